//! Grid reporters (兼职网格员): active members flagged by a cadre of their union (approved at
//! once), or who enrol themselves on `/me/grid` and wait for a cadre's approval. Only approved
//! reporters submit reports; each resolved report earns its reporter points.

use crate::accounts::Caller;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use nuanxin_store::Sql;
use serde::Serialize;
use uuid::Uuid;

/// A reporter as the member and cadres see them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Reporter {
    pub membership_id: Uuid,
    pub name: String,
    pub member_no: Option<String>,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// `pending`, `approved` or `revoked`.
    pub status: String,
    pub points: i64,
    pub requested_at: i64,
}

const SELECT: &str = "SELECT r.membership_id, p.name, m.member_no, o.code AS org_code, o.name AS org_name,
        o.path AS org_path, r.status, r.points, r.requested_at
    FROM grid_reporters r JOIN memberships m ON m.id = r.membership_id JOIN people p ON p.id = m.person_id
    JOIN org_units o ON o.id = m.org_id";

/// The signed-in person's active membership and its union's path.
pub(crate) async fn active_membership(tx: &mut Tx, person: Uuid) -> Result<Option<(Uuid, String)>> {
    const SQL: &str = "SELECT m.id, o.path FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.person_id = $1 AND m.status = 'active'";
    Ok(on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(person).fetch_optional(c).await)?)
}

async fn by_membership(tx: &mut Tx, membership: Uuid) -> Result<Option<Reporter>> {
    let sql = format!("{SELECT} WHERE r.membership_id = $1");
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Reporter>(&sql).bind(membership).fetch_optional(c).await)?,
    )
}

/// The person's reporter record (of their active membership), if they have one.
pub async fn of_person(tx: &mut Tx, person: Uuid) -> Result<Option<Reporter>> {
    match active_membership(tx, person).await? {
        Some((m, _)) => by_membership(tx, m).await,
        None => Ok(None),
    }
}

/// A member asks to report (from `/me/grid`): pending until a cadre approves. Asking again
/// while pending or approved changes nothing; a revoked reporter asks anew.
pub async fn enrol(tx: &mut Tx, person: Uuid, at: i64) -> Result<Reporter> {
    let (membership, path) = active_membership(tx, person)
        .await?
        .ok_or(Error::conflict("membership", "grid.not_a_member"))?;
    const SQL: &str = "INSERT INTO grid_reporters (membership_id, status, requested_at) VALUES ($1, 'pending', $2)
        ON CONFLICT (membership_id) DO UPDATE SET status = 'pending', requested_at = excluded.requested_at,
            decided_at = NULL, decided_by = NULL
        WHERE grid_reporters.status = 'revoked'";
    let changed = on_db!(tx.conn(), c => sqlx::query(SQL).bind(membership).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    if changed > 0 {
        crate::audit::record(
            tx,
            &crate::audit::Actor {
                account_id: None,
                name: format!("member:{person}"),
                ip: None,
            },
            at,
            "grid.enrol",
            &membership.to_string(),
            Some(&path),
            serde_json::json!({}),
        )
        .await?;
    }
    by_membership(tx, membership).await?.ok_or(Error::NotFound)
}

/// A cadre (staff of the member's union or above) approves a reporter, flags a member as one
/// (approved at once), or revokes one (`approve = false`).
pub async fn decide(
    tx: &mut Tx,
    caller: &Caller,
    membership: Uuid,
    approve: bool,
) -> Result<Reporter> {
    const MEMBER: &str = "SELECT o.path, m.status FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    let found: Option<(String, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(MEMBER).bind(membership).fetch_optional(c).await)?;
    let Some((path, status)) = found.filter(|(p, _)| caller.role_at(p).is_some()) else {
        return Err(Error::NotFound);
    };
    if caller.role_at(&path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    if approve && status != "active" {
        return Err(Error::conflict("membership", "grid.not_a_member"));
    }
    let to = if approve { "approved" } else { "revoked" };
    const SQL: &str = "INSERT INTO grid_reporters (membership_id, status, requested_at, decided_at, decided_by)
        VALUES ($1, $2, $3, $3, $4)
        ON CONFLICT (membership_id) DO UPDATE SET status = excluded.status, decided_at = excluded.decided_at,
            decided_by = excluded.decided_by";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(membership).bind(to).bind(caller.at).bind(&caller.actor.name)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            if approve {
                "grid.approve_reporter"
            } else {
                "grid.revoke_reporter"
            },
            &membership.to_string(),
            Some(&path),
            serde_json::json!({}),
        )
        .await?;
    by_membership(tx, membership).await?.ok_or(Error::NotFound)
}

/// The reporters of the scope's unions, those waiting for approval first.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    status: Option<&str>,
    page: PageRequest,
) -> Result<Page<Reporter>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    if let Some(s) = status.filter(|s| ["pending", "approved", "revoked"].contains(s)) {
        filter.push(" AND r.status = ").arg(s);
    }
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM grid_reporters r JOIN memberships m ON m.id = r.membership_id
            JOIN org_units o ON o.id = m.org_id",
        filter,
        order: "CASE r.status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END, r.points DESC, r.requested_at",
        id: "r.membership_id",
    }
    .page(tx, page)
    .await
}

/// The membership a cadre names by its number to flag as reporter: active, in the caller's
/// subtree (else a problem of `member_no`).
pub async fn membership_by_no(tx: &mut Tx, caller: &Caller, member_no: &str) -> Result<Uuid> {
    const SQL: &str = "SELECT m.id, o.path FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.member_no = $1 AND m.status = 'active'";
    let row: Option<(Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(member_no.trim()).fetch_optional(c).await)?;
    match row {
        Some((m, path)) if caller.role_at(&path).is_some() => Ok(m),
        _ => Err(Error::invalid("member_no", "grid.unknown_reporter")),
    }
}

/// The region of the union of the person's active membership (whose townships a reporter
/// picks from when they type an address).
pub async fn union_region(tx: &mut Tx, person: Uuid) -> Result<Option<String>> {
    const SQL: &str = "SELECT o.region_code FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.person_id = $1 AND m.status = 'active'";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(person).fetch_optional(c).await)?)
}
