//! Transfers (转会) both ways. A transfer is asked for by the worker (by joining at another
//! union's code, or from `/me`) or by a cadre of the member's union; it is a request at the
//! receiving union (a pending membership that moves from the old one) and a row here that both
//! unions see. It completes when the receiving union has accepted and the old union has let the
//! member go or has not objected within its objection window (`transfer_objection_days` of the
//! old union, [`DEFAULT_OBJECTION_DAYS`] when not set). An objection carries a reason and goes to
//! the lowest common parent federation of the two unions, whose decision ends it. A membership
//! kept without a job (保留会籍) moves without a window: there is nothing to object to.
//!
//! Completion runs in the transaction of the step that allows it, and for windows that close
//! with nobody acting, in [`complete_due`] (which `serve` runs every hour).

use super::join::{activate, add_event};
use crate::accounts::Caller;
use crate::audit::{self, Actor};
use crate::page::{Listing, Page, PageRequest};
use crate::{in_read, in_write, on_db, orgs, Error, Result, Role, Scope, Store, Timestamp, Tx};
use chrono::{Days, NaiveDate};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Days the old union may object when it has not set its own.
pub const DEFAULT_OBJECTION_DAYS: i64 = 7;

/// A transfer as both unions and the parent federation see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transfer {
    pub id: Uuid,
    pub member_name: String,
    pub member_no: Option<String>,
    /// The membership it moves from.
    pub from_membership: Uuid,
    /// The request at the receiving union (active once the transfer completes).
    pub to_membership: Uuid,
    pub from_org_code: String,
    pub from_org_name: String,
    pub to_org_code: String,
    pub to_org_name: String,
    /// `requested`, `accepted` (by the receiving union, waiting for the window), `objected`
    /// (waiting for the parent federation), `completed`, `rejected`, `withdrawn`.
    pub status: String,
    /// `worker` or `from` (a cadre of the old union or above).
    pub requested_side: String,
    pub requested_by: String,
    pub reason: Option<String>,
    pub requested_at: i64,
    /// The last day the old union may object.
    pub objection_until: NaiveDate,
    pub accepted_at: Option<i64>,
    /// When the old union let the member go before the window closed.
    pub released_at: Option<i64>,
    pub objected_at: Option<i64>,
    pub objection: Option<String>,
    pub decided_by: Option<String>,
    /// The parent federation's decision on an objection: `accept` or `reject`.
    pub outcome: Option<String>,
    pub completed_at: Option<i64>,
}

const SELECT: &str = "SELECT t.id, p.name AS member_name, fm.member_no, t.from_membership, t.to_membership,
        fo.code AS from_org_code, fo.name AS from_org_name, too.code AS to_org_code, too.name AS to_org_name,
        t.status, t.requested_side, t.requested_by, t.reason, t.requested_at, t.objection_until, t.accepted_at,
        t.released_at, t.objected_at, t.objection, t.decided_by, t.outcome, t.completed_at
    FROM transfers t
    JOIN memberships fm ON fm.id = t.from_membership JOIN people p ON p.id = fm.person_id
    JOIN org_units fo ON fo.id = t.from_org_id JOIN org_units too ON too.id = t.to_org_id";

/// A cadre's request to move a member of their union elsewhere: the body of
/// `POST /members/{id}/transfer`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TransferRequest {
    /// The code of the receiving union.
    pub to_org: String,
    pub reason: String,
}

/// An objection of the old union: the body of `POST /transfers/{id}/object`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Objection {
    pub reason: String,
}

/// The parent federation's decision on an objection: the body of `POST /transfers/{id}/decide`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Ruling {
    /// `accept` (the member moves) or `reject` (the member stays).
    pub outcome: String,
    pub reason: String,
}

/// The lowest unit both paths lie under (`/3715/371502/` of two townships of 371502), if any.
pub fn common_parent(a: &str, b: &str) -> Option<String> {
    let mut common = String::from("/");
    for (x, y) in a
        .trim_matches('/')
        .split('/')
        .zip(b.trim_matches('/').split('/'))
    {
        if x != y || x.is_empty() {
            break;
        }
        common.push_str(x);
        common.push('/');
    }
    (common.len() > 1).then_some(common)
}

/// The transfer's units and state, as the steps need them.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    status: String,
    to_membership: Uuid,
    from_path: String,
    to_path: String,
    from_status: String,
    objection_until: NaiveDate,
    accepted_at: Option<i64>,
    released_at: Option<i64>,
}

async fn row(tx: &mut Tx, id: Uuid) -> Result<Row> {
    const SQL: &str = "SELECT t.status, t.to_membership, fo.path AS from_path, too.path AS to_path,
            fm.status AS from_status, t.objection_until, t.accepted_at, t.released_at
        FROM transfers t JOIN org_units fo ON fo.id = t.from_org_id JOIN org_units too ON too.id = t.to_org_id
        JOIN memberships fm ON fm.id = t.from_membership WHERE t.id = $1";
    on_db!(tx.conn(), c => sqlx::query_as::<_, Row>(SQL).bind(id).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// A transfer in scope: either union (or the parent deciding) is in the caller's subtree.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Transfer> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE t.id = ")
        .arg(id)
        .push(" AND (")
        .scope("fo.path", scope)
        .push(" OR ")
        .scope("too.path", scope)
        .push(")");
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Transfer>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// Filters of the transfer list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct TransferFilter {
    /// Only transfers from or to this unit's subtree (org code).
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub org: Option<String>,
    /// `open` (requested, accepted or objected; the default), `requested`, `accepted`,
    /// `objected`, `completed`, `rejected`, `withdrawn` or `all`.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub status: Option<String>,
}

const STATUSES: [&str; 6] = [
    "requested",
    "accepted",
    "objected",
    "completed",
    "rejected",
    "withdrawn",
];

impl crate::page::ListFilter for TransferFilter {
    type Row = Transfer;

    async fn listing(&self, tx: &mut Tx, scope: &Scope) -> Result<Listing<'static>> {
        let scope = orgs::narrow(tx, scope, self.org.as_deref()).await?;
        let mut w = Sql::new(" WHERE (");
        w.scope("fo.path", &scope)
            .push(" OR ")
            .scope("too.path", &scope)
            .push(")");
        match self.status.as_deref().unwrap_or("open") {
            "all" => {}
            "open" => {
                w.push(" AND t.status IN ('requested', 'accepted', 'objected')");
            }
            s if STATUSES.contains(&s) => {
                w.push(" AND t.status = ").arg(s.to_string());
            }
            _ => return Err(Error::invalid("status", "transfers.bad_status")),
        }
        Ok(Listing {
            select: SELECT,
            count: "SELECT COUNT(*) FROM transfers t JOIN org_units fo ON fo.id = t.from_org_id JOIN org_units too ON too.id = t.to_org_id",
            filter: w,
            order: "t.requested_at DESC",
            id: "t.id",
        })
    }
}

/// A page of the transfers from or to the caller's subtree, newest first.
pub async fn list(
    store: &Store,
    scope: &Scope,
    filter: &TransferFilter,
    page: PageRequest,
) -> Result<Page<Transfer>> {
    in_read(store, async |tx| {
        crate::page::list(tx, scope, filter, page).await
    })
    .await
}

async fn objection_days(tx: &mut Tx, org: Uuid) -> Result<i64> {
    const SQL: &str = "SELECT transfer_objection_days FROM org_units WHERE id = $1";
    let days: Option<i32> =
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(org).fetch_one(c).await)?;
    Ok(days.map_or(DEFAULT_OBJECTION_DAYS, i64::from))
}

/// Who asks for a transfer, why and when.
#[derive(Clone, Copy)]
pub(crate) struct Asking<'a> {
    /// `worker`, or `from` (a cadre of the old union or above).
    pub side: &'a str,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
    pub now: Timestamp,
    pub today: NaiveDate,
}

/// Opens the transfer of a request at the receiving union (`to_membership`, pending, moving from
/// `from_membership`). Returns its id.
pub(crate) async fn open(
    tx: &mut Tx,
    from_membership: Uuid,
    to_membership: Uuid,
    asking: &Asking<'_>,
) -> Result<Uuid> {
    let Asking {
        side,
        actor,
        reason,
        now,
        today,
    } = *asking;
    const ORGS: &str =
        "SELECT f.org_id, t.org_id FROM memberships f, memberships t WHERE f.id = $1 AND t.id = $2";
    let (from_org, to_org): (Uuid, Uuid) = on_db!(tx.conn(), c => sqlx::query_as(ORGS)
        .bind(from_membership).bind(to_membership).fetch_one(c).await)?;
    // The window runs `days` days from the day of the request, that day included: with 0 there
    // is no window at all.
    let days = objection_days(tx, from_org).await?;
    let until = match days {
        d if d <= 0 => today.pred_opt().unwrap_or(today),
        d => today
            .checked_add_days(Days::new(d as u64 - 1))
            .unwrap_or(today),
    };
    // The old union asking lets the member go at once.
    let released = (side == "from").then_some(now);
    let id = new_id();
    const SQL: &str = "INSERT INTO transfers (id, from_membership, to_membership, from_org_id, to_org_id, status,
            requested_side, requested_by, reason, requested_at, objection_until, released_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $8, $9, $10, $11, $9)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(from_membership).bind(to_membership).bind(from_org).bind(to_org)
        .bind(side).bind(actor).bind(reason).bind(now).bind(until).bind(released)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// The open transfer of a request at a receiving union, if any.
pub(crate) async fn of_request(tx: &mut Tx, to_membership: Uuid) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM transfers WHERE to_membership = $1 AND status IN ('requested', 'accepted', 'objected')";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(to_membership).fetch_optional(c).await)?)
}

/// Completes a transfer whose conditions hold: the receiving union accepted, and the old union
/// let go, the window closed, or the old membership was retained (nothing to object to).
/// Returns whether it completed.
async fn try_complete(
    tx: &mut Tx,
    id: Uuid,
    actor: &str,
    now: Timestamp,
    today: NaiveDate,
) -> Result<bool> {
    let r = row(tx, id).await?;
    const REQUEST: &str = "SELECT status FROM memberships WHERE id = $1";
    let request: String = on_db!(tx.conn(), c => sqlx::query_scalar(REQUEST).bind(r.to_membership).fetch_one(c).await)?;
    if request != "pending" {
        // The worker asked elsewhere since, or the request was decided: nothing to move.
        withdraw(tx, &[r.to_membership], now).await?;
        return Ok(false);
    }
    let free = r.released_at.is_some() || today > r.objection_until || r.from_status != "active";
    if r.status != "accepted" || r.accepted_at.is_none() || !free {
        return Ok(false);
    }
    activate(tx, r.to_membership, now, today, actor).await?;
    const DONE: &str = "UPDATE transfers SET status = 'completed', completed_at = $2, updated_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(DONE).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(true)
}

/// The receiving union accepts (its staff), and/or the old union lets the member go (its staff);
/// a cadre of both does both. Completes the transfer when nothing else holds it. Used by the
/// approval of a transfer request too.
pub(crate) async fn accept_in(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<bool> {
    let r = row(tx, id).await?;
    let receiving = caller.role_at(&r.to_path) >= Some(Role::Staff);
    let old = caller.role_at(&r.from_path) >= Some(Role::Staff);
    if !receiving && !old {
        return Err(Error::Forbidden);
    }
    if r.status == "objected" {
        return Err(Error::conflict("status", "transfers.objected"));
    }
    if r.status != "requested" && r.status != "accepted" {
        return Err(Error::conflict("status", "transfers.closed"));
    }
    if receiving && r.accepted_at.is_none() {
        const ACCEPT: &str = "UPDATE transfers SET status = 'accepted', accepted_at = $2, updated_at = $2 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(ACCEPT).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    }
    if old && r.released_at.is_none() {
        const RELEASE: &str =
            "UPDATE transfers SET released_at = $2, updated_at = $2 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(RELEASE).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    }
    let detail = serde_json::json!({"transfer": id, "receiving": receiving, "releasing": old});
    caller
        .audit(
            tx,
            "transfers.accept",
            &id.to_string(),
            Some(&r.to_path),
            detail,
        )
        .await?;
    try_complete(tx, id, &caller.actor.name, caller.at, caller.today).await
}

/// Ends an open transfer without moving the member: the request at the receiving union is
/// rejected with the reason.
async fn reject_in(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    reason: &str,
    at: Timestamp,
    today: NaiveDate,
    actor: &str,
) -> Result<()> {
    let r = row(tx, id).await?;
    const END: &str = "UPDATE transfers SET status = $2, updated_at = $3 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(END).bind(id).bind(status).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    const REQUEST: &str =
        "UPDATE memberships SET status = 'rejected', reason = $2, decided_at = $3, updated_at = $3
        WHERE id = $1 AND status = 'pending'";
    on_db!(tx.conn(), c => sqlx::query(REQUEST).bind(r.to_membership).bind(reason).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    const ORG: &str = "SELECT org_id FROM memberships WHERE id = $1";
    let org: Uuid =
        on_db!(tx.conn(), c => sqlx::query_scalar(ORG).bind(r.to_membership).fetch_one(c).await)?;
    add_event(tx, r.to_membership, org, "rejected", at, today, actor).await
}

/// The receiving union rejected a transfer request (the request itself is rejected by the
/// caller): its transfer ends as rejected.
pub(crate) async fn request_rejected(
    tx: &mut Tx,
    to_membership: Uuid,
    at: Timestamp,
) -> Result<()> {
    const END: &str = "UPDATE transfers SET status = 'rejected', updated_at = $2
        WHERE to_membership = $1 AND status IN ('requested', 'accepted', 'objected')";
    on_db!(tx.conn(), c => sqlx::query(END).bind(to_membership).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Requests that gave way (the worker asked elsewhere since): their transfers end as withdrawn.
pub(crate) async fn withdraw(tx: &mut Tx, requests: &[Uuid], at: Timestamp) -> Result<()> {
    for request in requests {
        const END: &str = "UPDATE transfers SET status = 'withdrawn', updated_at = $2
            WHERE to_membership = $1 AND status IN ('requested', 'accepted', 'objected')";
        on_db!(tx.conn(), c => sqlx::query(END).bind(*request).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

fn reason_of(text: &str) -> Option<String> {
    Some(text.trim().chars().take(200).collect::<String>()).filter(|r| !r.is_empty())
}

/// `POST /transfers/{id}/accept`.
pub async fn accept(store: &Store, caller: &Caller, id: Uuid) -> Result<Transfer> {
    in_write(store, async |tx| {
        get(tx, &caller.scope, id).await?;
        accept_in(tx, caller, id).await?;
        get(tx, &caller.scope, id).await
    })
    .await
}

/// The old union objects within its window, with a reason: the parent federation decides.
pub async fn object(
    store: &Store,
    caller: &Caller,
    id: Uuid,
    objection: &Objection,
) -> Result<Transfer> {
    let reason = reason_of(&objection.reason)
        .ok_or(Error::invalid("reason", "transfers.reason_required"))?;
    in_write(store, async |tx| {
        get(tx, &caller.scope, id).await?;
        let r = row(tx, id).await?;
        if caller.role_at(&r.from_path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        if r.status != "requested" && r.status != "accepted" {
            return Err(Error::conflict("status", "transfers.closed"));
        }
        if r.released_at.is_some() {
            return Err(Error::conflict("status", "transfers.released"));
        }
        if caller.today > r.objection_until {
            return Err(Error::conflict("status", "transfers.window_closed"));
        }
        const SQL: &str = "UPDATE transfers SET status = 'objected', objected_at = $2, objection = $3, updated_at = $2 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).bind(&reason).execute(c).await.map(|r| r.rows_affected()))?;
        let detail = serde_json::json!({"transfer": id, "reason": audit::mask_digit_runs(&reason)});
        caller.audit(tx, "transfers.object", &id.to_string(), Some(&r.from_path), detail).await?;
        get(tx, &caller.scope, id).await
    })
    .await
}

/// The lowest common parent federation (its staff, or above) decides an objection: `accept`
/// moves the member at once, `reject` keeps them.
pub async fn decide(store: &Store, caller: &Caller, id: Uuid, ruling: &Ruling) -> Result<Transfer> {
    let accept = match ruling.outcome.trim() {
        "accept" => true,
        "reject" => false,
        _ => return Err(Error::invalid("outcome", "transfers.bad_outcome")),
    };
    in_write(store, async |tx| {
        get(tx, &caller.scope, id).await?;
        let r = row(tx, id).await?;
        let parent = common_parent(&r.from_path, &r.to_path).ok_or(Error::Forbidden)?;
        if caller.role_at(&parent) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        if r.status != "objected" {
            return Err(Error::conflict("status", "transfers.not_objected"));
        }
        const SQL: &str = "UPDATE transfers SET status = $2, outcome = $3, decided_at = $4, decided_by = $5, accepted_at = COALESCE(accepted_at, $4),
            released_at = CASE WHEN $3 = 'accept' THEN $4 ELSE released_at END, updated_at = $4 WHERE id = $1";
        let (status, outcome) = if accept { ("accepted", "accept") } else { ("objected", "reject") };
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(status).bind(outcome).bind(caller.at).bind(&caller.actor.name)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if accept {
            try_complete(tx, id, &caller.actor.name, caller.at, caller.today).await?;
        } else {
            let reason = reason_of(&ruling.reason).unwrap_or_else(|| "transfer_objection_upheld".into());
            reject_in(tx, id, "rejected", &reason, caller.at, caller.today, &caller.actor.name).await?;
        }
        let detail = serde_json::json!({"transfer": id, "outcome": outcome});
        caller.audit(tx, "transfers.decide", &id.to_string(), Some(&parent), detail).await?;
        get(tx, &caller.scope, id).await
    })
    .await
}

/// A cadre of the member's union (staff, or above) asks to move the member to another union:
/// a request at the receiving union, which it accepts like any transfer (at once when the cadre
/// is staff there too). The old union asking, it lets the member go at once.
pub async fn request(
    store: &Store,
    caller: &Caller,
    membership: Uuid,
    req: &TransferRequest,
) -> Result<Transfer> {
    let reason = reason_of(&req.reason);
    in_write(store, async |tx| {
        if req.to_org.trim().is_empty() {
            return Err(Error::invalid("to_org", "transfers.to_org_required"));
        }
        let to = orgs::get(tx, &Scope::operator(), &req.to_org)
            .await
            .map_err(|_| Error::invalid("to_org", "transfers.unknown_union"))?;
        let id = request_in(tx, caller, membership, &to, reason.as_deref()).await?;
        get(tx, &Scope::operator(), id).await
    })
    .await
}

/// [`request`] in the caller's transaction, to a union already looked up: the member's union
/// asks (and so lets go); accepted at once when the caller is staff of the receiving union too.
pub(crate) async fn request_in(
    tx: &mut Tx,
    caller: &Caller,
    membership: Uuid,
    to: &orgs::OrgUnit,
    reason: Option<&str>,
) -> Result<Uuid> {
    let m = super::get(tx, &caller.scope, membership).await?;
    let from = orgs::get(tx, &caller.scope, &m.org_code).await?;
    if caller.role_at(&from.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    if !to.is_active() {
        return Err(Error::invalid("to_org", "transfers.union_dissolved"));
    }
    if to.id == from.id {
        return Err(Error::invalid("to_org", "transfers.same_union"));
    }
    let actor = caller.actor.name.clone();
    let asking = Asking {
        side: "from",
        actor: &actor,
        reason,
        now: caller.at,
        today: caller.today,
    };
    let id = start(tx, membership, to.id, &asking).await?;
    let detail = serde_json::json!({"transfer": id, "membership": membership, "to_org": to.code});
    caller
        .audit(
            tx,
            "transfers.request",
            &id.to_string(),
            Some(&from.path),
            detail,
        )
        .await?;
    if caller.role_at(&to.path) >= Some(Role::Staff) {
        accept_in(tx, caller, id).await?;
    }
    Ok(id)
}

/// Whether a transfer completed.
pub(crate) async fn is_completed(tx: &mut Tx, id: Uuid) -> Result<bool> {
    Ok(row(tx, id).await?.status == "completed")
}

/// Writes the request at the receiving union for an active or retained membership and opens its
/// transfer; a request of the person pending elsewhere gives way.
async fn start(tx: &mut Tx, membership: Uuid, to_org: Uuid, asking: &Asking<'_>) -> Result<Uuid> {
    let (actor, now, today) = (asking.actor, asking.now, asking.today);
    const OLD: &str = "SELECT person_id, status FROM memberships WHERE id = $1";
    let (person, status): (Uuid, String) =
        on_db!(tx.conn(), c => sqlx::query_as(OLD).bind(membership).fetch_one(c).await)?;
    if status != "active" && status != "retained" {
        return Err(Error::conflict("status", "members.not_active"));
    }
    const OPEN: &str = "SELECT COUNT(*) FROM transfers WHERE from_membership = $1 AND status IN ('requested', 'accepted', 'objected')";
    let opened: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(OPEN).bind(membership).fetch_one(c).await)?;
    if opened > 0 {
        return Err(Error::conflict("to_org", "transfers.open"));
    }
    const PENDING: &str = "SELECT id FROM memberships WHERE person_id = $1 AND status = 'pending'";
    let pending: Vec<Uuid> =
        on_db!(tx.conn(), c => sqlx::query_scalar(PENDING).bind(person).fetch_all(c).await)?;
    const GIVE_WAY: &str = "UPDATE memberships SET status = 'withdrawn', updated_at = $2 WHERE person_id = $1 AND status = 'pending'";
    on_db!(tx.conn(), c => sqlx::query(GIVE_WAY).bind(person).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    withdraw(tx, &pending, now).await?;
    let request = new_id();
    const COPY: &str = "INSERT INTO memberships (id, person_id, org_id, status, worker_group, employer, work_region, channel,
            transfer_from_id, consent_at, consent_by, consent_method, requested_at, updated_at)
        SELECT $1, person_id, $2, 'pending', worker_group, employer, work_region, channel, id, consent_at, consent_by,
            consent_method, $3, $3 FROM memberships WHERE id = $4";
    on_db!(tx.conn(), c => sqlx::query(COPY).bind(request).bind(to_org).bind(now).bind(membership)
        .execute(c).await.map(|r| r.rows_affected()))?;
    add_event(tx, request, to_org, "requested", now, today, actor).await?;
    open(tx, membership, request, asking).await
}

/// The member asks to move to another union from `/me`: returns the transfer.
pub async fn request_own(
    store: &Store,
    person: Uuid,
    to_org: &str,
    reason: &str,
    ip: Option<String>,
    at: Timestamp,
    today: NaiveDate,
) -> Result<Transfer> {
    let reason = reason_of(reason);
    in_write(store, async |tx| {
        const OWN: &str = "SELECT m.id, m.org_id, m.member_no, o.path FROM memberships m JOIN org_units o ON o.id = m.org_id
            WHERE m.person_id = $1 AND m.status IN ('active', 'retained')";
        let (membership, from_org, no, path): (Uuid, Uuid, Option<String>, String) =
            on_db!(tx.conn(), c => sqlx::query_as(OWN).bind(person).fetch_optional(c).await)?
                .ok_or(Error::conflict("status", "members.not_active"))?;
        if to_org.trim().is_empty() {
            return Err(Error::invalid("to_org", "transfers.to_org_required"));
        }
        let to = orgs::get(tx, &Scope::operator(), to_org)
            .await
            .map_err(|_| Error::invalid("to_org", "transfers.unknown_union"))?;
        if !to.is_active() {
            return Err(Error::invalid("to_org", "transfers.union_dissolved"));
        }
        if to.id == from_org {
            return Err(Error::invalid("to_org", "transfers.same_union"));
        }
        let actor = Actor { account_id: None, name: format!("member:{}", no.unwrap_or_default()), ip };
        let asking = Asking { side: "worker", actor: &actor.name, reason: reason.as_deref(), now: at, today };
        let id = start(tx, membership, to.id, &asking).await?;
        let detail = serde_json::json!({"transfer": id, "membership": membership, "to_org": to.code});
        audit::record(tx, &actor, at, "transfers.request", &id.to_string(), Some(&path), detail).await?;
        get(tx, &Scope::operator(), id).await
    })
    .await
}

/// The open transfers of a person, for `/me`.
pub async fn own(tx: &mut Tx, person: Uuid) -> Result<Vec<Transfer>> {
    let sql = format!("{SELECT} WHERE fm.person_id = $1 ORDER BY t.requested_at DESC LIMIT 20");
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Transfer>(&sql).bind(person).fetch_all(c).await)?)
}

/// Completes every accepted transfer whose objection window closed before `now`'s day; returns
/// how many completed. `serve` runs it every hour.
pub async fn complete_due(store: &Store, now: Timestamp) -> Result<usize> {
    let today = crate::clock::beijing_date(now);
    let due: Vec<Uuid> = in_read(store, async |tx| {
        const DUE: &str = "SELECT id FROM transfers WHERE status = 'accepted' AND objection_until < $1 ORDER BY requested_at LIMIT 1000";
        Ok(on_db!(tx.conn(), c => sqlx::query_scalar(DUE).bind(today).fetch_all(c).await)?)
    })
    .await?;
    let mut done = 0;
    for id in due {
        let completed = in_write(store, async |tx| {
            try_complete(tx, id, "system", now, today).await
        })
        .await?;
        done += usize::from(completed);
    }
    Ok(done)
}

/// The unions a member may ask to move to from `/me`: the active joint and enterprise unions of
/// the county of their union, by name (code, name).
pub async fn destinations(tx: &mut Tx, person: Uuid) -> Result<Vec<(String, String)>> {
    const CURRENT: &str =
        "SELECT o.id, o.region_code FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.person_id = $1 AND m.status IN ('active', 'retained')";
    let Some((org, region)): Option<(Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(CURRENT).bind(person).fetch_optional(c).await)?
    else {
        return Ok(Vec::new());
    };
    let county: String = region.chars().take(6).collect();
    const SQL: &str = "SELECT code, name FROM org_units WHERE status = 'active' AND kind IN ('joint_union', 'enterprise_union')
        AND region_code >= $1 AND region_code < $2 AND id <> $3 ORDER BY name LIMIT 300";
    let (lo, hi) = (county.clone(), format!("{county}~"));
    Ok(on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(lo).bind(hi).bind(org).fetch_all(c).await)?)
}

/// The most days a union may give itself to object.
pub const MAX_OBJECTION_DAYS: i64 = 30;

/// A union's objection window: the body of `PUT /orgs/{code}/transfer-window`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TransferWindow {
    /// Days the union may object to a member leaving for another union (0 to 30; 0 lets every
    /// accepted transfer complete at once).
    pub days: i64,
}

/// The objection window of a unit in scope, in days.
pub async fn window(tx: &mut Tx, scope: &Scope, org_code: &str) -> Result<i64> {
    let unit = orgs::get(tx, scope, org_code).await?;
    objection_days(tx, unit.id).await
}

/// Sets a union's objection window: staff of the unit (or above); audited with before and after.
/// Transfers already asked for keep the day they were given.
pub async fn set_window(
    store: &Store,
    caller: &Caller,
    org_code: &str,
    w: &TransferWindow,
) -> Result<TransferWindow> {
    if !(0..=MAX_OBJECTION_DAYS).contains(&w.days) {
        return Err(Error::invalid("days", "transfers.bad_window"));
    }
    in_write(store, async |tx| {
        let unit = orgs::get(tx, &caller.scope, org_code).await?;
        if caller.role_at(&unit.path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        let before = objection_days(tx, unit.id).await?;
        const SQL: &str =
            "UPDATE org_units SET transfer_objection_days = $2, updated_at = $3 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(unit.id).bind(w.days as i32).bind(caller.at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        let detail =
            serde_json::json!({"transfer_objection_days": {"before": before, "after": w.days}});
        caller
            .audit(
                tx,
                "orgs.transfer_window",
                org_code,
                Some(&unit.path),
                detail,
            )
            .await?;
        Ok(TransferWindow { days: w.days })
    })
    .await
}
