//! Liaison visits (包片联系): a leader assigned to units (role `liaison`, read-only like a viewer)
//! records each visit with a note, on a unit or on a census enterprise of the subtree; staff and
//! admins may too. The unit's page and the enterprise's page list them, newest first.

use crate::accounts::Caller;
use crate::{census, in_read, in_write, on_db, orgs, Error, Result, Role, Scope, Store, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A visit as the form or the API body gives it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct VisitNote {
    /// The day of the visit (2026-03-01, 2026/3/1, 2026年3月1日); blank for today.
    pub visited_on: String,
    /// What was seen and agreed (required, at most 1,000 characters).
    pub note: String,
}

/// A recorded visit.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LiaisonVisit {
    pub id: Uuid,
    pub visited_on: NaiveDate,
    pub note: String,
    /// Who recorded it (username).
    pub actor: String,
    pub org_code: String,
    pub org_name: String,
    /// The enterprise visited, when it was one.
    pub enterprise_name: Option<String>,
    pub created_at: i64,
}

/// What was visited.
pub enum Visited<'a> {
    Unit(&'a str),
    Enterprise(&'a str),
}

fn check(v: &VisitNote, today: NaiveDate) -> Result<(NaiveDate, String)> {
    let mut errs = crate::error::FieldErrors::new();
    let day = match v.visited_on.trim() {
        "" => Some(today),
        s => crate::sheets::parse_date(s),
    };
    match day {
        None => errs.push("visited_on", "errors.bad_date"),
        Some(d) if d > today => errs.push("visited_on", "liaison.in_future"),
        Some(_) => {}
    }
    let note: String = v.note.trim().chars().take(1000).collect();
    if note.is_empty() {
        errs.push("note", "liaison.note_required");
    }
    match day {
        Some(d) if errs.is_empty() => Ok((d, note)),
        _ => Err(errs.into()),
    }
}

/// The unit a visit is filed under (the enterprise's owner for an enterprise), and the
/// enterprise's id.
async fn place(
    tx: &mut Tx,
    scope: &Scope,
    what: &Visited<'_>,
) -> Result<(orgs::OrgUnit, Option<Uuid>)> {
    match what {
        Visited::Unit(code) => Ok((orgs::get(tx, scope, code).await?, None)),
        Visited::Enterprise(uscc) => {
            let e = census::get(tx, scope, uscc).await?;
            let owner = e.owner_code.clone().ok_or(Error::NotFound)?;
            Ok((orgs::get(tx, scope, &owner).await?, Some(e.id)))
        }
    }
}

/// Records a visit: a liaison, staff or admin of the unit (viewers may only read); audited.
pub async fn record(
    store: &Store,
    caller: &Caller,
    what: Visited<'_>,
    v: &VisitNote,
) -> Result<LiaisonVisit> {
    let (day, note) = check(v, caller.today)?;
    in_write(store, async |tx| {
        let (unit, enterprise) = place(tx, &caller.scope, &what).await?;
        if caller.role_at(&unit.path) < Some(Role::Liaison) {
            return Err(Error::Forbidden);
        }
        let id = new_id();
        const SQL: &str = "INSERT INTO liaison_visits (id, org_id, enterprise_id, actor, visited_on, note, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(unit.id).bind(enterprise).bind(&caller.actor.name)
            .bind(day).bind(&note).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
        let detail = serde_json::json!({"visit": id, "visited_on": day, "enterprise": enterprise});
        caller.audit(tx, "liaison.visit", &unit.code, Some(&unit.path), detail).await?;
        let all = list_in(tx, &caller.scope, &what).await?;
        all.into_iter().find(|x| x.id == id).ok_or(Error::NotFound)
    })
    .await
}

const SELECT: &str = "SELECT v.id, v.visited_on, v.note, v.actor, o.code AS org_code, o.name AS org_name,
        e.name AS enterprise_name, v.created_at
    FROM liaison_visits v JOIN org_units o ON o.id = v.org_id LEFT JOIN enterprises e ON e.id = v.enterprise_id";

async fn list_in(tx: &mut Tx, scope: &Scope, what: &Visited<'_>) -> Result<Vec<LiaisonVisit>> {
    let (unit, enterprise) = place(tx, scope, what).await?;
    let rows = match enterprise {
        Some(e) => {
            let sql = format!("{SELECT} WHERE v.enterprise_id = $1 ORDER BY v.visited_on DESC, v.created_at DESC LIMIT 100");
            on_db!(tx.conn(), c => sqlx::query_as::<_, LiaisonVisit>(&sql).bind(e).fetch_all(c).await)?
        }
        None => {
            let sql = format!("{SELECT} WHERE v.org_id = $1 ORDER BY v.visited_on DESC, v.created_at DESC LIMIT 100");
            on_db!(tx.conn(), c => sqlx::query_as::<_, LiaisonVisit>(&sql).bind(unit.id).fetch_all(c).await)?
        }
    };
    Ok(rows)
}

/// The visits of a unit (its own and its enterprises') or of an enterprise in scope, newest first,
/// and whether the caller may record one.
pub async fn list(
    store: &Store,
    caller: &Caller,
    what: Visited<'_>,
) -> Result<(Vec<LiaisonVisit>, bool)> {
    in_read(store, async |tx| {
        let (unit, _) = place(tx, &caller.scope, &what).await?;
        let may = caller.role_at(&unit.path) >= Some(Role::Liaison) && unit.is_active();
        Ok((list_in(tx, &caller.scope, &what).await?, may))
    })
    .await
}
