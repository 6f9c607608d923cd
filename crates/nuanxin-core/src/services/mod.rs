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

/// Worker groups as a form or the API types them (codes or Chinese names, separated by commas,
/// 、 or spaces), each once; an unknown one is a problem of `groups`, none at all too.
pub(crate) fn worker_groups(text: &str, errs: &mut crate::error::FieldErrors) -> Vec<&'static str> {
    let mut groups = Vec::new();
    for g in text
        .split([',', '，', '、', ' '])
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        match crate::members::WorkerGroup::parse(g) {
            Some(g) if !groups.contains(&g.as_str()) => groups.push(g.as_str()),
            Some(_) => {}
            None => errs.push("groups", "contracts.bad_group"),
        }
    }
    if groups.is_empty() && errs.get("groups").is_none() {
        errs.push("groups", "contracts.groups_required");
    }
    groups
}

/// A point typed as latitude and longitude (WGS-84, in China), or the problem of the field that
/// is wrong added to `errs`.
pub(crate) fn typed_point(
    lat: &str,
    lng: &str,
    errs: &mut crate::error::FieldErrors,
) -> Option<crate::stations::geo::LatLng> {
    use crate::stations::geo::LatLng;
    let (Ok(a), Ok(o)) = (lat.trim().parse::<f64>(), lng.trim().parse::<f64>()) else {
        match lat.trim().parse::<f64>() {
            Err(_) => errs.push("lat", "stations.bad_lat"),
            Ok(_) => errs.push("lng", "stations.bad_lng"),
        }
        return None;
    };
    match LatLng::parse(a, o).and_then(LatLng::check_in_china_area) {
        Ok(p) => Some(p),
        Err(e) => {
            if let Some(f) = e
                .field_errors()
                .and_then(|f| f.iter().next().map(|f| (f.field, f.code)))
            {
                errs.push(f.0, f.1);
            }
            None
        }
    }
}

/// An optional region code as typed: `None` when empty; an unknown code is a problem of
/// `region_code` added to `errs` (the code is still returned).
pub(crate) async fn typed_region(
    tx: &mut crate::Tx,
    text: &str,
    errs: &mut crate::error::FieldErrors,
) -> crate::Result<Option<String>> {
    let code = text.trim();
    if code.is_empty() {
        return Ok(None);
    }
    const SQL: &str = "SELECT COUNT(*) FROM regions WHERE code = $1";
    let known: i64 =
        crate::on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(code).fetch_one(c).await)?;
    if known == 0 {
        errs.push("region_code", "contracts.bad_region");
    }
    Ok(Some(code.to_string()))
}
