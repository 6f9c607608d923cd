//! The worker's own changes from `/me` (signed in by SMS): where they work now (employer and work
//! place, on their current membership) and their mobile number (proved by a code sent to the new
//! number). Each is audited with before and after, numbers masked.

use super::identity::Phone;
use crate::audit::{self, Actor};
use crate::coverage::counts;
use crate::error::FieldErrors;
use crate::regions::{self, RegionCode};
use crate::{in_write, on_db, Error, Result, Store, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the member works now: the body of the `/me` form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct WorkUpdate {
    pub employer: String,
    /// Township (or village) code; blank for unknown.
    pub work_region: String,
}

/// The member's current membership (active or retained) and what the update changes.
#[derive(sqlx::FromRow)]
struct Current {
    id: Uuid,
    status: String,
    org_path: String,
    group: String,
    channel: String,
    employer: Option<String>,
    work_region: Option<String>,
    member_no: Option<String>,
}

/// Updates the employer and work place of the member's current membership; an active member
/// moves between the counters of the work townships.
pub async fn update_work(
    store: &Store,
    person: Uuid,
    update: &WorkUpdate,
    ip: Option<String>,
    at: Timestamp,
) -> Result<()> {
    let employer: Option<String> =
        Some(update.employer.trim().chars().take(100).collect::<String>())
            .filter(|e| !e.is_empty());
    let region = match update.work_region.trim() {
        "" => None,
        r => Some(
            RegionCode::parse(r).map_err(|_| Error::invalid("work_region", "regions.bad_code"))?,
        ),
    };
    in_write(store, async |tx| {
        if let Some(r) = &region {
            if regions::get(tx, r).await?.is_none() {
                return Err(Error::invalid("work_region", "regions.unknown"));
            }
        }
        const SQL: &str = "SELECT m.id, m.status, o.path AS org_path, m.worker_group AS \"group\", m.channel, m.employer, m.work_region, m.member_no
            FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.person_id = $1 AND m.status IN ('active', 'retained')";
        let c = on_db!(tx.conn(), cn => sqlx::query_as::<_, Current>(SQL).bind(person).fetch_optional(cn).await)?
            .ok_or(Error::conflict("status", "members.not_active"))?;
        let new_region = region.as_ref().map(|r| r.as_str().to_string());
        if c.employer == employer && c.work_region == new_region {
            return Ok(());
        }
        const UPDATE: &str = "UPDATE memberships SET employer = $2, work_region = $3, updated_at = $4 WHERE id = $1";
        on_db!(tx.conn(), cn => sqlx::query(UPDATE).bind(c.id).bind(&employer).bind(&new_region).bind(at)
            .execute(cn).await.map(|r| r.rows_affected()))?;
        if c.status == "active" {
            let mut deltas = counts::membership_deltas(&c.group, &c.channel, c.work_region.as_deref(), -1);
            deltas.extend(counts::membership_deltas(&c.group, &c.channel, new_region.as_deref(), 1));
            counts::add_rows(tx, counts::rows(&c.org_path, &deltas)).await?;
        }
        let actor = Actor { account_id: None, name: format!("member:{}", c.member_no.clone().unwrap_or_default()), ip };
        let detail = serde_json::json!({
            "employer": {"before": c.employer, "after": employer},
            "work_region": {"before": c.work_region, "after": new_region},
        });
        audit::record(tx, &actor, at, "members.self_update", &c.id.to_string(), Some(&c.org_path), detail).await
    })
    .await
}

/// The member's new mobile number, once the code sent to it is proved (`sms::verify_code`):
/// refused when another person has it (sign-in by SMS finds one person per number).
pub async fn change_phone(
    store: &Store,
    person: Uuid,
    phone: &Phone,
    ip: Option<String>,
    at: Timestamp,
) -> Result<()> {
    in_write(store, async |tx| {
        const TAKEN: &str = "SELECT COUNT(*) FROM people WHERE phone = $1 AND id <> $2";
        let taken: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(TAKEN).bind(phone.as_str()).bind(person).fetch_one(c).await)?;
        if taken > 0 {
            let mut errs = FieldErrors::new();
            errs.push("phone", "members.phone_taken");
            return Err(errs.into());
        }
        const OLD: &str = "SELECT phone FROM people WHERE id = $1";
        let old: String = on_db!(tx.conn(), c => sqlx::query_scalar(OLD).bind(person).fetch_one(c).await)?;
        const SQL: &str = "UPDATE people SET phone = $2, updated_at = $3 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(person).bind(phone.as_str()).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
        const WHERE: &str = "SELECT o.path, m.member_no FROM memberships m JOIN org_units o ON o.id = m.org_id
            WHERE m.person_id = $1 AND m.status IN ('active', 'retained')";
        let (path, no): (Option<String>, Option<String>) =
            on_db!(tx.conn(), c => sqlx::query_as(WHERE).bind(person).fetch_optional(c).await)?
                .map_or((None, None), |(p, n): (String, Option<String>)| (Some(p), n));
        let actor = Actor { account_id: None, name: format!("member:{}", no.unwrap_or_default()), ip };
        let masked_old = Phone::parse(&old).map(|p| p.mask()).unwrap_or_default();
        let detail = serde_json::json!({"phone": {"before": masked_old, "after": phone.mask()}});
        audit::record(tx, &actor, at, "members.self_phone", &person.to_string(), path.as_deref(), detail).await
    })
    .await
}
