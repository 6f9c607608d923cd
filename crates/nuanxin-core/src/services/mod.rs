//! Worker services (SPEC section 3.7): rights cases (维权), labour-law checks (法治体检) and mutual
//! aid (互助保障); care activities and hardship files join them. `report` is the one services report
//! (`nuanxin report services`, `GET /api/v1/services/report`) each of them adds its member to.

pub mod aid;
pub mod care;
pub mod care_sheet;
pub mod cases;
pub mod cases_sheet;
pub mod competitions;
pub mod contracts;
pub mod friendly;
pub mod grid;
pub mod hardship;
pub mod honours;
pub mod labour_checks;
pub mod labour_checks_sheet;
pub mod library;
pub mod money;
pub mod notices;
pub mod offers;
pub mod photos;
pub mod projects;
pub mod report;
pub mod selection;
pub mod social_orgs;

/// `n` random characters for a record's short code (case numbers, activity codes): digits and
/// capitals without the look-alikes 0/O, 1/I/L.
pub(crate) fn code_tail(n: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The union a new record names by its code, checked as the services' forms check it: unknown
/// or out of sight, or dissolved, is a problem of `org_code` added to `errs`; a unit the caller
/// is not staff of is refused.
pub(crate) async fn staff_unit(
    tx: &mut crate::Tx,
    caller: &crate::accounts::Caller,
    code: &str,
    errs: &mut crate::error::FieldErrors,
) -> crate::Result<Option<crate::orgs::OrgUnit>> {
    let org = match crate::orgs::get(tx, &caller.scope, code.trim()).await {
        Ok(o) => o,
        Err(crate::Error::NotFound) => {
            errs.push("org_code", "cases.unknown_org");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if caller.role_at(&org.path) < Some(crate::Role::Staff) {
        return Err(crate::Error::Forbidden);
    }
    if !org.is_active() {
        errs.push("org_code", "orgs.dissolved_readonly");
    }
    Ok(Some(org))
}
