//! Approvals (审核): a cadre approves or rejects pending joins, transfer requests and requests
//! held for review, in bulk, within the caller's subtree.

use super::join::*;
use crate::accounts::Caller;
use crate::{on_db, Error, Result, Role, Tx};
use uuid::Uuid;

/// A cadre's answer to pending joins and transfer requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

/// Approves or rejects pending requests in bulk. Each must be pending at a unit where the caller
/// is staff or admin; requests outside the scope are not found, and then nothing is changed.
pub async fn decide(
    tx: &mut Tx,
    caller: &Caller,
    ids: &[Uuid],
    decision: &Decision,
) -> Result<usize> {
    if let Decision::Reject { reason } = decision {
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "members.reason_required"));
        }
    }
    if ids.is_empty() {
        return Err(Error::invalid("ids", "members.nothing_selected"));
    }
    const ROW: &str = "SELECT m.status, o.path, o.code FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    for id in ids {
        let row: Option<(String, String, String)> =
            on_db!(tx.conn(), c => sqlx::query_as(ROW).bind(*id).fetch_optional(c).await)?;
        let Some((status, path, code)) = row else {
            return Err(Error::NotFound);
        };
        match caller.scope.role_at(&path) {
            None => return Err(Error::NotFound),
            Some(r) if r < Role::Staff => return Err(Error::Forbidden),
            _ => {}
        }
        if status != "pending" && status != REVIEW {
            return Err(Error::conflict("status", "members.not_pending"));
        }
        match decision {
            Decision::Approve if status == REVIEW => approve_review(tx, caller, *id).await?,
            // A transfer request is accepted: the member moves when the old union lets go or
            // its objection window closes.
            Decision::Approve => match super::transfers::of_request(tx, *id).await? {
                Some(transfer) => {
                    super::transfers::accept_in(tx, caller, transfer).await?;
                }
                None => {
                    activate(tx, *id, caller.at, caller.today, &caller.actor.name).await?;
                }
            },
            Decision::Reject { reason } => {
                const SQL: &str = "UPDATE memberships SET status = 'rejected', reason = $2, decided_at = $3, decided_by = $4, updated_at = $3 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(SQL).bind(*id).bind(reason.trim()).bind(caller.at).bind(caller.actor.account_id)
                    .execute(c).await.map(|r| r.rows_affected()))?;
                const ORG: &str = "SELECT org_id FROM memberships WHERE id = $1";
                let org: Uuid =
                    on_db!(tx.conn(), c => sqlx::query_scalar(ORG).bind(*id).fetch_one(c).await)?;
                super::transfers::request_rejected(tx, *id, caller.at).await?;
                add_event(
                    tx,
                    *id,
                    org,
                    "rejected",
                    caller.at,
                    caller.today,
                    &caller.actor.name,
                )
                .await?;
            }
        }
        let action = if *decision == Decision::Approve {
            "members.approve"
        } else {
            "members.reject"
        };
        caller
            .audit(
                tx,
                action,
                &code,
                Some(&path),
                serde_json::json!({"membership": id}),
            )
            .await?;
    }
    Ok(ids.len())
}

/// Approves a request kept for review: the cadre has checked that the submitter is the person
/// (in person, or by calling the phone on record), so the name and phone submitted become the
/// person's. A member of this union already keeps their membership (the request only brought
/// the new phone); otherwise the request becomes an ordinary one, a transfer where the person is
/// a member elsewhere, and is approved as such (a request pending elsewhere gives way).
async fn approve_review(tx: &mut Tx, caller: &Caller, membership: Uuid) -> Result<()> {
    const ROW: &str =
        "SELECT person_id, org_id, claimed_name, claimed_phone FROM memberships WHERE id = $1";
    let (person, org, name, phone): (Uuid, Uuid, Option<String>, Option<String>) =
        on_db!(tx.conn(), c => sqlx::query_as(ROW).bind(membership).fetch_one(c).await)?;
    const PERSON: &str = "UPDATE people SET name = COALESCE($2, name), phone = COALESCE($3, phone), updated_at = $4 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(PERSON).bind(person).bind(&name).bind(&phone).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    // The membership it moves from: active, or kept without a job (保留会籍).
    const CURRENT: &str = "SELECT id, org_id, status FROM memberships WHERE person_id = $1 AND status IN ('active', 'retained')
        ORDER BY status LIMIT 1";
    let current: Option<(Uuid, Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(CURRENT).bind(person).fetch_optional(c).await)?;
    if current
        .as_ref()
        .is_some_and(|(_, at, status)| *at == org && status == "active")
    {
        const DONE: &str = "UPDATE memberships SET status = 'withdrawn', reason = 'confirmed', decided_at = $2, decided_by = $3, updated_at = $2 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(DONE).bind(membership).bind(caller.at).bind(caller.actor.account_id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        return Ok(());
    }
    const GIVE_WAY: &str = "UPDATE memberships SET status = 'withdrawn', updated_at = $2 WHERE person_id = $1 AND status = 'pending'";
    on_db!(tx.conn(), c => sqlx::query(GIVE_WAY).bind(person).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    const PENDING: &str = "UPDATE memberships SET status = 'pending', transfer_from_id = $2, updated_at = $3 WHERE id = $1";
    let from = current.map(|(id, _, _)| id);
    on_db!(tx.conn(), c => sqlx::query(PENDING).bind(membership).bind(from).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    match from {
        // A member elsewhere: a transfer like any, accepted by this union.
        Some(from) => {
            let asking = super::transfers::Asking {
                side: "worker",
                actor: &caller.actor.name,
                reason: None,
                now: caller.at,
                today: caller.today,
            };
            let transfer = super::transfers::open(tx, from, membership, &asking).await?;
            super::transfers::accept_in(tx, caller, transfer).await?;
        }
        None => {
            activate(tx, membership, caller.at, caller.today, &caller.actor.name).await?;
        }
    }
    Ok(())
}
