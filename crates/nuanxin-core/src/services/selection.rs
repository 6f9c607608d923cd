//! A filtered selection of active members for a bulk step ("all 外卖配送员 of 东昌府区 who joined
//! before 1 June"): a mutual-aid plan's enrolment, a care activity's handout. The filter names a
//! union (its subtree), a worker group and joining days; the step previews the count and confirms.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::members::WorkerGroup;
use crate::{orgs, Error, Result, Role, Tx};
use chrono::NaiveDate;
use nuanxin_store::Sql;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which members a bulk step takes: active members of a union's subtree (default: the record's
/// own union), of a worker group, joined before or after a day.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MemberFilter {
    pub org: String,
    /// A worker group code or Chinese name.
    pub group: String,
    /// Joined on or before this day.
    pub joined_before: String,
    /// Joined on or after this day.
    pub joined_after: String,
    /// Only count: nothing is written.
    pub dry_run: bool,
}

/// A checked filter.
pub struct Selection {
    pub unit: orgs::OrgUnit,
    pub group: Option<WorkerGroup>,
    pub before: Option<NaiveDate>,
    pub after: Option<NaiveDate>,
}

/// One member selected: membership, person, their union's id and path, and whether the step has
/// them already (enrolled, received).
pub type Selected = (Uuid, Uuid, Uuid, String, bool);

/// Checks a filter for a record of the union at `within` (whose code is the default): the union
/// named must lie inside it (else `outside` on `org`) and be one the caller is staff of; the
/// group and days must read. All problems at once.
pub async fn check(
    tx: &mut Tx,
    caller: &Caller,
    filter: &MemberFilter,
    default_code: &str,
    within: &str,
    outside: &'static str,
) -> Result<Selection> {
    let mut errs = FieldErrors::new();
    let code = match filter.org.trim() {
        "" => default_code,
        code => code,
    };
    let unit = match orgs::get(tx, &caller.scope, code).await {
        Ok(u) if !u.path.starts_with(within) => {
            errs.push("org", outside);
            None
        }
        Ok(u) if caller.scope.role_at(&u.path) < Some(Role::Staff) => return Err(Error::Forbidden),
        Ok(u) => Some(u),
        Err(Error::NotFound) => {
            errs.push("org", "cases.unknown_org");
            None
        }
        Err(e) => return Err(e),
    };
    let group = match filter.group.trim() {
        "" => None,
        g => {
            let parsed = WorkerGroup::parse(g);
            if parsed.is_none() {
                errs.push("group", "aid.bad_group");
            }
            parsed
        }
    };
    let mut date = |field: &'static str, typed: &str| match typed.trim() {
        "" => None,
        t => {
            let d = crate::sheets::parse_date(t);
            if d.is_none() {
                errs.push(field, "errors.bad_date");
            }
            d
        }
    };
    let before = date("joined_before", &filter.joined_before);
    let after = date("joined_after", &filter.joined_after);
    match (unit, errs.is_empty()) {
        (Some(unit), true) => Ok(Selection {
            unit,
            group,
            before,
            after,
        }),
        _ => Err(errs.into()),
    }
}

impl Selection {
    /// The members selected, as rows of [`Selected`]: `taken` is a condition on a member `m`
    /// the step has already (`SELECT 1 FROM aid_enrolments e WHERE e.plan_id = $ AND
    /// e.person_id = m.person_id`, with `$` standing for `record`). More conditions may follow
    /// before the caller orders the rows.
    pub fn query(&self, taken: &str, record: Uuid) -> Sql {
        let (head, tail) = taken.split_once('$').unwrap_or((taken, ""));
        let (lo, hi) = nuanxin_store::subtree_range(&self.unit.path);
        let mut q = Sql::new("SELECT m.id, m.person_id, m.org_id, o.path, EXISTS (");
        q.push(head).arg(record).push(tail).push(
            ") FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.status = 'active' AND o.path >= ",
        );
        q.arg(lo).push(" AND o.path < ").arg(hi);
        if let Some(g) = self.group {
            q.push(" AND m.worker_group = ").arg(g.as_str().to_string());
        }
        if let Some(d) = self.before {
            q.push(" AND m.joined_on <= ").arg(d);
        }
        if let Some(d) = self.after {
            q.push(" AND m.joined_on >= ").arg(d);
        }
        q
    }

    /// What the audit entry of a bulk step records of the filter.
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({"org": self.unit.code, "group": self.group.map(|g| g.as_str()),
            "joined_before": self.before, "joined_after": self.after})
    }
}
