//! Mass-join events (集中入会活动): an event of a union has its own join code, a live head count
//! and the list of who joined through it. Closing an event revokes its code.
//!
//! An event a federation holds for the unions beneath it *routes* (Suizhou's city-wide event, 463
//! workers of many employers in one day): each joiner goes to the union of their employer when the
//! census knows it as unionised (by USCC, else by exact name), else to a joint union of their work
//! township (one of their group's industry first, then a flexible-employment one), else to the
//! event's holding union; the event's list shows where each went. Attendance and handouts are in
//! [`super::attendance`].

use super::{JoinDraft, JoinTarget};
use crate::accounts::Caller;
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::ScopeRoot;
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
    /// Held for the unions beneath the event's federation: each joiner is routed.
    pub routes: bool,
    /// Where a routed joiner goes when neither employer nor township names a union.
    pub holding_org_code: Option<String>,
    pub holding_org_name: Option<String>,
    /// What the event hands out to each person at most once (清凉包), if anything.
    pub handout: Option<String>,
    /// People checked in at the event.
    pub attended: i64,
    /// People who received the handout.
    pub handed_out: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct EventInput {
    pub name: String,
    /// The day of the event (2024-09-06, 2024/9/6, 2024年9月6日).
    pub held_on: String,
    #[serde(default)]
    pub place: Option<String>,
    /// Route each joiner to the union of their employer or township (federations only).
    #[serde(default)]
    pub routes: bool,
    /// Code of the joint union that takes routed joiners nobody else takes; by default the
    /// first holding pool (周转库) beneath the federation.
    #[serde(default)]
    pub holding_org: Option<String>,
    /// What each person receives at most once (清凉包), if anything.
    #[serde(default)]
    pub handout: Option<String>,
}

const SELECT: &str = "SELECT e.id, e.name, e.held_on, e.place, o.code AS org_code, o.name AS org_name, j.code, e.closed_at,
        (SELECT COUNT(*) FROM memberships m WHERE m.join_code_id = e.join_code_id AND m.status <> 'withdrawn') AS head_count,
        e.routes, h.code AS holding_org_code, h.name AS holding_org_name, e.handout,
        (SELECT COUNT(*) FROM event_attendance a WHERE a.event_id = e.id) AS attended,
        (SELECT COUNT(*) FROM event_attendance a WHERE a.event_id = e.id AND a.handed_at IS NOT NULL) AS handed_out
    FROM join_events e JOIN org_units o ON o.id = e.org_id JOIN join_codes j ON j.id = e.join_code_id
        LEFT JOIN org_units h ON h.id = e.holding_org_id";

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
    let handout = input
        .handout
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    if handout.is_some_and(|h| h.chars().count() > 40) {
        return Err(Error::invalid("handout", "events.bad_handout"));
    }
    let holding = if input.routes {
        if !matches!(
            org.kind,
            orgs::OrgKind::Federation | orgs::OrgKind::IndustryFederation
        ) {
            return Err(Error::invalid("routes", "events.routes_federations_only"));
        }
        Some(holding_union(tx, &caller.scope, &org, input.holding_org.as_deref()).await?)
    } else {
        None
    };
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
    const EVENT: &str = "INSERT INTO join_events (id, org_id, join_code_id, name, held_on, place, created_at, routes, holding_org_id, handout)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_db!(tx.conn(), c => sqlx::query(EVENT).bind(id).bind(org.id).bind(code_id).bind(name).bind(held_on).bind(place).bind(caller.at)
        .bind(input.routes).bind(holding.as_ref().map(|h| h.id)).bind(handout)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "events.create",
            org_code,
            Some(&org.path),
            serde_json::json!({"name": name, "held_on": held_on, "routes": input.routes,
                "holding_org": holding.as_ref().map(|h| &h.code), "handout": handout}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// The holding union of a routing event: the joint union named (active, beneath the federation),
/// else the first holding pool beneath it, nearest the federation first.
async fn holding_union(
    tx: &mut Tx,
    scope: &Scope,
    federation: &orgs::OrgUnit,
    named: Option<&str>,
) -> Result<orgs::OrgUnit> {
    let code = match named.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => code.to_string(),
        None => {
            let (from, to) = nuanxin_store::subtree_range(&federation.path);
            const FIRST: &str =
                "SELECT code FROM org_units WHERE path > $1 AND path < $2 AND kind = 'joint_union'
                AND joint_kind = 'holding_pool' AND status = 'active' ORDER BY depth, code LIMIT 1";
            let first: Option<String> = on_db!(tx.conn(), c => sqlx::query_scalar(FIRST).bind(&from).bind(&to).fetch_optional(c).await)?;
            first.ok_or(Error::invalid("holding_org", "events.no_holding_union"))?
        }
    };
    let unit = match orgs::get(tx, scope, &code).await {
        Ok(u) => u,
        Err(Error::NotFound) => {
            return Err(Error::invalid("holding_org", "events.bad_holding_union"))
        }
        Err(e) => return Err(e),
    };
    let beneath = unit.path.starts_with(&federation.path) && unit.path != federation.path;
    if !beneath || unit.kind != orgs::OrgKind::JointUnion || !unit.is_active() {
        return Err(Error::invalid("holding_org", "events.bad_holding_union"));
    }
    Ok(unit)
}

/// The union a joiner through `target` goes to when the code is a routing event's: the union of
/// their employer (a USCC typed as the employer, else its exact name), else a joint union of their
/// work township (their group's industry first, then one for any industry, flexible-employment
/// ones first), else the event's holding union; always beneath the event's federation. `None`
/// when the code is not a routing event's: the join goes to the code's own union.
pub async fn route_joiner(
    tx: &mut Tx,
    target: &JoinTarget,
    draft: &JoinDraft,
) -> Result<Option<JoinTarget>> {
    if target.channel != "event" {
        return Ok(None);
    }
    const EVENT: &str = "SELECT o.path, h.id, h.code, h.name, h.path, h.region_code, h.status
        FROM join_events e JOIN org_units o ON o.id = e.org_id LEFT JOIN org_units h ON h.id = e.holding_org_id
        WHERE e.join_code_id = $1 AND e.routes = TRUE";
    type EventRow = (
        String,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<EventRow> =
        on_db!(tx.conn(), c => sqlx::query_as(EVENT).bind(target.code_id).fetch_optional(c).await)?;
    let Some((path, h_id, h_code, h_name, h_path, h_region, h_status)) = row else {
        return Ok(None);
    };
    // Routed as a staff member of the federation would route: within its subtree only.
    let beneath = Scope::of_roots(vec![ScopeRoot {
        path,
        role: Role::Staff,
    }]);
    let employer = draft.employer.as_deref().map(str::trim);
    let uscc = employer.filter(|e| crate::census::Uscc::parse(e).is_ok());
    let by_name = if uscc.is_some() { None } else { employer };
    let found = match super::partner::employer_union(tx, &beneath, uscc, by_name).await? {
        Some(t) => Some(t),
        None => match &draft.work_region {
            Some(region) if region.as_str().len() >= 9 => {
                township_union(tx, &beneath, &region.as_str()[..9], draft.group).await?
            }
            _ => None,
        },
    };
    let routed = match (found, h_id, h_code, h_name, h_path, h_region) {
        (Some(t), ..) => t,
        (None, Some(org_id), Some(org_code), Some(org_name), Some(org_path), Some(org_region))
            if h_status.as_deref() == Some("active") =>
        {
            JoinTarget {
                org_id,
                org_code,
                org_name,
                org_path,
                org_region,
                ..target.clone()
            }
        }
        // A holding union dissolved since: the federation keeps the joiner.
        _ => return Ok(None),
    };
    Ok(Some(JoinTarget {
        code_id: target.code_id,
        code: target.code.clone(),
        channel: target.channel.clone(),
        auto_approve: target.auto_approve,
        routes: target.routes,
        ..routed
    }))
}

/// A joint union of a township for a worker group: one of the group's industry first, then one
/// for any industry; flexible-employment ones before holding pools before others.
async fn township_union(
    tx: &mut Tx,
    scope: &Scope,
    township: &str,
    group: super::WorkerGroup,
) -> Result<Option<JoinTarget>> {
    let industry = group.industry().as_str();
    let mut q = Sql::new(
        "SELECT o.id, o.code, o.name, o.path, o.region_code FROM org_units o
         WHERE o.kind = 'joint_union' AND o.status = 'active' AND o.region_code = ",
    );
    q.arg(township.to_string())
        .push(" AND (o.industry IS NULL OR o.industry = ")
        .arg(industry.to_string())
        .push(") AND ")
        .scope("o.path", scope)
        .push(" ORDER BY CASE WHEN o.industry IS NULL THEN 1 ELSE 0 END, CASE o.joint_kind WHEN 'flexible' THEN 0 WHEN 'holding_pool' THEN 1 ELSE 2 END, o.code LIMIT 1");
    let row: Option<(Uuid, String, String, String, String)> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_optional(c).await)?;
    Ok(row.map(
        |(org_id, org_code, org_name, org_path, org_region)| JoinTarget {
            code_id: Uuid::nil(),
            code: String::new(),
            channel: "event".into(),
            auto_approve: true,
            routes: false,
            org_id,
            org_code,
            org_name,
            org_path,
            org_region,
        },
    ))
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

/// The events of a unit in scope, whether the caller may hold a new one there, and for a
/// federation the holding pools beneath it a routing event may send joiners to (none: the unit
/// cannot hold a routing event).
pub async fn of_unit(
    store: &crate::Store,
    scope: &Scope,
    org_code: &str,
) -> Result<(orgs::OrgUnit, Vec<JoinEvent>, bool, Vec<(String, String)>)> {
    crate::in_read(store, async |tx| {
        let unit = orgs::get(tx, scope, org_code).await?;
        let events = list(tx, scope, org_code).await?;
        let may_create = scope.role_at(&unit.path) >= Some(Role::Staff) && unit.is_active();
        let pools = if may_create
            && matches!(
                unit.kind,
                orgs::OrgKind::Federation | orgs::OrgKind::IndustryFederation
            ) {
            let (from, to) = nuanxin_store::subtree_range(&unit.path);
            const POOLS: &str = "SELECT code, name FROM org_units WHERE path > $1 AND path < $2 AND kind = 'joint_union'
                AND joint_kind = 'holding_pool' AND status = 'active' ORDER BY depth, code LIMIT 200";
            on_db!(tx.conn(), c => sqlx::query_as(POOLS).bind(&from).bind(&to).fetch_all(c).await)?
        } else {
            Vec::new()
        };
        Ok((unit, events, may_create, pools))
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
