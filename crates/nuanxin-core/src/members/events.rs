//! Mass-join events (集中入会活动): an event of a union has its own join code, a live head count
//! and the list of who joined through it. Closing an event revokes its code.

use crate::accounts::Caller;
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct JoinEvent {
    pub id: Uuid,
    pub name: String,
    pub held_on: NaiveDate,
    pub place: Option<String>,
    pub org_code: String,
    pub org_name: String,
    /// The event's join code (its QR code opens `/j/{code}`).
    pub code: String,
    pub closed_at: Option<i64>,
    /// Joins made through the event's code (any status but withdrawn).
    pub head_count: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct EventInput {
    pub name: String,
    /// The day of the event (2024-09-06, 2024/9/6, 2024年9月6日).
    pub held_on: String,
    #[serde(default)]
    pub place: Option<String>,
}

const SELECT: &str = "SELECT e.id, e.name, e.held_on, e.place, o.code AS org_code, o.name AS org_name, j.code, e.closed_at,
        (SELECT COUNT(*) FROM memberships m WHERE m.join_code_id = e.join_code_id AND m.status <> 'withdrawn') AS head_count
    FROM join_events e JOIN org_units o ON o.id = e.org_id JOIN join_codes j ON j.id = e.join_code_id";

/// Creates an event with a fresh join code of channel `event`. Staff and above.
pub async fn create(
    tx: &mut Tx,
    caller: &Caller,
    org_code: &str,
    input: &EventInput,
) -> Result<JoinEvent> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "events.bad_name"));
    }
    let held_on = crate::sheets::parse_date(&input.held_on)
        .ok_or(Error::invalid("held_on", "errors.bad_date"))?;
    let org = orgs::get(tx, &caller.scope, org_code).await?;
    if caller.scope.role_at(&org.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    if !org.is_active() {
        return Err(Error::conflict("status", "orgs.dissolved_readonly"));
    }
    let code_id = new_id();
    let code = super::codes::new_code();
    const CODE: &str = "INSERT INTO join_codes (id, org_id, code, channel, auto_approve, created_at) VALUES ($1, $2, $3, 'event', TRUE, $4)";
    on_db!(tx.conn(), c => sqlx::query(CODE).bind(code_id).bind(org.id).bind(&code).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    let id = new_id();
    let place = input
        .place
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    const EVENT: &str = "INSERT INTO join_events (id, org_id, join_code_id, name, held_on, place, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_db!(tx.conn(), c => sqlx::query(EVENT).bind(id).bind(org.id).bind(code_id).bind(name).bind(held_on).bind(place).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "events.create",
            org_code,
            Some(&org.path),
            serde_json::json!({"name": name, "held_on": held_on}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// An event of a unit in scope, with its live head count.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<JoinEvent> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE e.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, JoinEvent>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// Events of a unit's subtree, newest first.
/// An event in scope and a page of everyone who joined at it, whatever their status now.
pub async fn attendance(
    store: &crate::Store,
    scope: &Scope,
    vault: &super::id_vault::IdVault,
    id: Uuid,
    page: crate::page::PageRequest,
) -> Result<(JoinEvent, crate::page::Page<super::MemberRow>)> {
    crate::in_read(store, async |tx| {
        let event = get(tx, scope, id).await?;
        let everyone = super::MemberFilter {
            event: Some(id),
            status: Some("all".into()),
            ..super::MemberFilter::default()
        };
        let joined = super::list(tx, scope, vault, &everyone, page).await?;
        Ok((event, joined))
    })
    .await
}

/// The events of a unit in scope, and whether the caller may hold a new one there.
pub async fn of_unit(
    store: &crate::Store,
    scope: &Scope,
    org_code: &str,
) -> Result<(orgs::OrgUnit, Vec<JoinEvent>, bool)> {
    crate::in_read(store, async |tx| {
        let unit = orgs::get(tx, scope, org_code).await?;
        let events = list(tx, scope, org_code).await?;
        let may_create = scope.role_at(&unit.path) >= Some(Role::Staff) && unit.is_active();
        Ok((unit, events, may_create))
    })
    .await
}

/// One event in scope, read on its own.
pub async fn find(store: &crate::Store, scope: &Scope, id: Uuid) -> Result<JoinEvent> {
    crate::in_read(store, async |tx| get(tx, scope, id).await).await
}

pub async fn list(tx: &mut Tx, scope: &Scope, org_code: &str) -> Result<Vec<JoinEvent>> {
    let org = orgs::get(tx, scope, org_code).await?;
    let narrowed = scope.within(&org.path).ok_or(Error::NotFound)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE ")
        .scope("o.path", &narrowed)
        .push(" ORDER BY e.held_on DESC, e.created_at DESC LIMIT 200");
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, JoinEvent>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

/// Closes an event: its code stops working.
pub async fn close(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<JoinEvent> {
    let event = get(tx, &caller.scope, id).await?;
    let org = orgs::get(tx, &caller.scope, &event.org_code).await?;
    if caller.scope.role_at(&org.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    const CLOSE: &str = "UPDATE join_events SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL";
    on_db!(tx.conn(), c => sqlx::query(CLOSE).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    const REVOKE: &str = "UPDATE join_codes SET revoked_at = $2 WHERE id = (SELECT join_code_id FROM join_events WHERE id = $1) AND revoked_at IS NULL";
    on_db!(tx.conn(), c => sqlx::query(REVOKE).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "events.close",
            &event.org_code,
            Some(&org.path),
            serde_json::json!({"event": id}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}
