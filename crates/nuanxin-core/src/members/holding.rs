//! The holding pool (周转库): workers without an employer union land in a holding union (a joint
//! union of kind `holding_pool`) with their employer's name. Once the census enterprise they work
//! for has its own union, a cadre moves them there from the enterprise's page, one by one or all
//! at once ("this enterprise now has a union: move its 23 members there"). Each move is a transfer
//! asked by the holding union (which lets go): it completes at once when the cadre is staff of the
//! enterprise union too, else when that union accepts.

use super::transfers;
use crate::accounts::Caller;
use crate::{census, in_read, in_write, on_db, orgs, Error, Result, Scope, Store, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A worker in a holding union whose employer is the enterprise.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Waiting {
    /// Membership id.
    pub id: Uuid,
    pub name: String,
    pub member_no: Option<String>,
    pub org_code: String,
    pub org_name: String,
    pub group: String,
    pub joined_on: Option<NaiveDate>,
}

/// The workers of an enterprise waiting in the holding unions of the caller's scope (by the
/// employer's name as registered), not already moving elsewhere.
pub async fn waiting_in(tx: &mut Tx, scope: &Scope, name: &str) -> Result<Vec<Waiting>> {
    let mut q = Sql::new("SELECT m.id, p.name, m.member_no, o.code AS org_code, o.name AS org_name, m.worker_group AS \"group\", m.joined_on
        FROM memberships m JOIN people p ON p.id = m.person_id JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND o.joint_kind = 'holding_pool' AND TRIM(m.employer) = ");
    q.arg(name.trim().to_string())
        .push(" AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.from_membership = m.id AND t.status IN ('requested', 'accepted', 'objected')) AND ")
        .scope("o.path", scope)
        .push(" ORDER BY p.name, m.id LIMIT 1000");
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Waiting>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

/// The enterprise's union (when it has one) and its workers waiting in holding unions.
pub async fn waiting(
    store: &Store,
    scope: &Scope,
    uscc: &str,
) -> Result<(Option<orgs::OrgUnit>, Vec<Waiting>)> {
    in_read(store, async |tx| {
        let e = census::get(tx, scope, uscc).await?;
        let union = match e.union_code.as_deref() {
            Some(code) => orgs::get(tx, &Scope::operator(), code).await.ok(),
            None => None,
        };
        let waiting = waiting_in(tx, scope, &e.name).await?;
        Ok((union, waiting))
    })
    .await
}

/// Which waiting workers to move: the ids given, or all when none are.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MoveRequest {
    pub ids: Vec<Uuid>,
}

/// What a move did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Moved {
    /// Transfers completed at once.
    pub moved: usize,
    /// Transfers waiting for the enterprise union to accept.
    pub pending: usize,
}

/// Moves waiting workers to the enterprise's union, in one transaction: all of them, or none
/// when one cannot move (the answer names the problem).
pub async fn move_to_union(
    store: &Store,
    caller: &Caller,
    uscc: &str,
    req: &MoveRequest,
) -> Result<Moved> {
    in_write(store, async |tx| {
        let e = census::get(tx, &caller.scope, uscc).await?;
        let code = e
            .union_code
            .clone()
            .ok_or(Error::conflict("union_code", "holding.no_union"))?;
        let union = orgs::get(tx, &Scope::operator(), &code).await?;
        let waiting = waiting_in(tx, &caller.scope, &e.name).await?;
        let chosen: Vec<&Waiting> = if req.ids.is_empty() {
            waiting.iter().collect()
        } else {
            let chosen: Vec<&Waiting> =
                waiting.iter().filter(|w| req.ids.contains(&w.id)).collect();
            if chosen.len() != req.ids.len() {
                return Err(Error::invalid("ids", "holding.not_waiting"));
            }
            chosen
        };
        if chosen.is_empty() {
            return Err(Error::invalid("ids", "holding.nobody"));
        }
        let mut done = Moved::default();
        for w in chosen {
            let reason = format!("转入{}", e.name);
            let id = transfers::request_in(tx, caller, w.id, &union, Some(&reason)).await?;
            if transfers::is_completed(tx, id).await? {
                done.moved += 1;
            } else {
                done.pending += 1;
            }
        }
        let path = orgs::get(tx, &caller.scope, &e.owner_code.clone().unwrap_or_default())
            .await
            .map(|o| o.path)
            .ok();
        let detail =
            serde_json::json!({"union": code, "moved": done.moved, "pending": done.pending});
        caller
            .audit(tx, "holding.move", uscc, path.as_deref(), detail)
            .await?;
        Ok(done)
    })
    .await
}
