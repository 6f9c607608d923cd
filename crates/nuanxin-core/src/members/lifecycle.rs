//! The end of an active membership (会籍): a member leaves (退会), on their own from `/me` or
//! recorded by a cadre; a member who lost their job or retired keeps their membership (保留会籍);
//! a cadre lapses a membership (for years without contact, say). Each happens on a date with a
//! reason, as a dated membership event: the member leaves the active counters and the departures
//! of that day count it, by how it ended. A retained membership can still be left or lapsed
//! later (it left the active count on the day it was retained, so nothing is counted twice), and
//! a retained member who joins again moves from it like a transfer.
//!
//! The member's history (`history`) reads every membership of the person with its events.

use super::MemberRow;
use crate::accounts::Caller;
use crate::audit::{self, Actor};
use crate::error::FieldErrors;
use crate::{in_read, in_write, on_db, Error, Result, Role, Scope, Store, Timestamp, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How an active membership ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// 退会: the member leaves the union.
    Leave,
    /// 保留会籍: the member keeps their membership without a job (lost it, retired).
    Retain,
    /// A cadre ends a membership that is no longer kept up.
    Lapse,
}

impl Ending {
    pub const ALL: [Ending; 3] = [Ending::Leave, Ending::Retain, Ending::Lapse];

    /// The membership's status after it, which is also its event's name.
    pub fn status(self) -> &'static str {
        match self {
            Ending::Leave => "left",
            Ending::Retain => "retained",
            Ending::Lapse => "lapsed",
        }
    }

    /// The path segment and audit action: `leave`, `retain`, `lapse`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Leave => "leave",
            Ending::Retain => "retain",
            Ending::Lapse => "lapse",
        }
    }

    pub fn parse(s: &str) -> Option<Ending> {
        Ending::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The statuses it may end: a retained membership may still be left or lapsed.
    fn ends(self, status: &str) -> bool {
        match self {
            Ending::Retain => status == "active",
            Ending::Leave | Ending::Lapse => status == "active" || status == "retained",
        }
    }
}

/// The day and the reason, as the form or the API body gives them; a blank day is today.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EndingInput {
    /// The day it counts for (2026-03-01, 2026/3/1, 2026年3月1日); blank for today.
    pub on: String,
    /// Why (required, at most 200 characters).
    pub reason: String,
}

/// A checked day and reason.
#[derive(Debug)]
struct Checked {
    on: NaiveDate,
    reason: String,
}

impl EndingInput {
    /// The problems of the day and reason (none when both are fine), for a form that has fields
    /// of its own to check with them.
    pub fn problems(&self, today: NaiveDate) -> FieldErrors {
        match self.check(today) {
            Ok(_) => FieldErrors::new(),
            Err(errs) => errs,
        }
    }

    /// Checks both fields, all problems at once; the day may not be after today.
    fn check(&self, today: NaiveDate) -> std::result::Result<Checked, FieldErrors> {
        let mut errs = FieldErrors::new();
        let on = match self.on.trim() {
            "" => Some(today),
            s => crate::sheets::parse_date(s),
        };
        match on {
            None => errs.push("on", "errors.bad_date"),
            Some(d) if d > today => errs.push("on", "members.end_in_future"),
            Some(_) => {}
        }
        let reason: String = self.reason.trim().chars().take(200).collect();
        if reason.is_empty() {
            errs.push("reason", "members.end_reason_required");
        }
        match on {
            Some(on) if errs.is_empty() => Ok(Checked { on, reason }),
            _ => Err(errs),
        }
    }
}

/// The membership as the ending needs it.
struct Current {
    org_id: Uuid,
    org_path: String,
    status: String,
    joined_on: Option<NaiveDate>,
    member_no: Option<String>,
}

async fn current(tx: &mut Tx, id: Uuid) -> Result<Current> {
    const SQL: &str =
        "SELECT m.org_id, o.path, m.status, m.joined_on, m.member_no FROM memberships m
        JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    let (org_id, org_path, status, joined_on, member_no) =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?
            .ok_or(Error::NotFound)?;
    Ok(Current {
        org_id,
        org_path,
        status,
        joined_on,
        member_no,
    })
}

/// Ends membership `id` in `tx`: the status, the dated event with its reason, the counters, the
/// audit entry. The row is read again here, in the writing transaction: of a concurrent leave and
/// transfer of one member, the second finds the membership ended and changes nothing (409).
async fn end_in(
    tx: &mut Tx,
    id: Uuid,
    ending: Ending,
    checked: &Checked,
    actor: &Actor,
    at: Timestamp,
) -> Result<Current> {
    let m = current(tx, id).await?;
    if !ending.ends(&m.status) {
        return Err(Error::conflict("status", "members.not_active"));
    }
    if m.joined_on.is_some_and(|j| checked.on < j) {
        return Err(Error::invalid("on", "members.end_before_join"));
    }
    const SQL: &str =
        "UPDATE memberships SET status = $2, ended_on = $3, reason = $4, updated_at = $5
        WHERE id = $1 AND status = $6";
    let changed = on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(ending.status()).bind(checked.on)
        .bind(&checked.reason).bind(at).bind(&m.status).execute(c).await.map(|r| r.rows_affected()))?;
    if changed != 1 {
        return Err(Error::conflict("status", "members.not_active"));
    }
    const EVENT: &str = "INSERT INTO membership_events (id, membership_id, org_id, event, at, on_date, actor, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_db!(tx.conn(), c => sqlx::query(EVENT).bind(new_id()).bind(id).bind(m.org_id).bind(ending.status()).bind(at)
        .bind(checked.on).bind(&actor.name).bind(&checked.reason).execute(c).await.map(|r| r.rows_affected()))?;
    if m.status == "active" {
        crate::coverage::counts::ended(tx, id, checked.on, ending.status()).await?;
    }
    let detail = serde_json::json!({
        "membership": id,
        "member_no": m.member_no,
        "on": checked.on,
        "reason": audit::mask_digit_runs(&checked.reason),
        "was": m.status,
    });
    let action = format!("members.{}", ending.as_str());
    let subject = id.to_string();
    audit::record(tx, actor, at, &action, &subject, Some(&m.org_path), detail).await?;
    Ok(m)
}

/// A cadre ends a membership: staff of the member's union (or above) only. Returns the record
/// as it is after.
pub async fn end(
    store: &Store,
    caller: &Caller,
    id: Uuid,
    ending: Ending,
    input: &EndingInput,
) -> Result<MemberRow> {
    let checked = input.check(caller.today)?;
    in_write(store, async |tx| {
        // Another subtree's member is not found; a viewer may look but not end.
        super::get(tx, &caller.scope, id).await?;
        let m = current(tx, id).await?;
        if caller.scope.role_at(&m.org_path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        end_in(tx, id, ending, &checked, &caller.actor, caller.at).await?;
        super::get(tx, &caller.scope, id).await
    })
    .await
}

/// A member leaves on their own (from `/me`, signed in by SMS): their active or retained
/// membership ends as `left`. Returns the union's name.
pub async fn leave_own(
    store: &Store,
    person: Uuid,
    input: &EndingInput,
    ip: Option<String>,
    at: Timestamp,
    today: NaiveDate,
) -> Result<String> {
    let checked = input.check(today)?;
    in_write(store, async |tx| {
        const OWN: &str =
            "SELECT m.id, o.name FROM memberships m JOIN org_units o ON o.id = m.org_id
            WHERE m.person_id = $1 AND m.status IN ('active', 'retained')";
        let (id, union): (Uuid, String) =
            on_db!(tx.conn(), c => sqlx::query_as(OWN).bind(person).fetch_optional(c).await)?
                .ok_or(Error::conflict("status", "members.not_active"))?;
        let no = current(tx, id).await?.member_no.unwrap_or_default();
        let actor = Actor {
            account_id: None,
            name: format!("member:{no}"),
            ip,
        };
        end_in(tx, id, Ending::Leave, &checked, &actor, at).await?;
        Ok(union)
    })
    .await
}

/// One step of a member's history: a membership event with its union.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// `requested`, `joined`, `rejected`, `transferred_out`, `left`, `retained`, `lapsed`,
    /// `merged_out`/`merged_in` (a merge), `dissolved_out`/`dissolved_in` (a dissolution).
    pub event: String,
    /// The day it counts for.
    pub on_date: NaiveDate,
    pub org_code: String,
    pub org_name: String,
    pub reason: Option<String>,
    pub at: i64,
}

const HISTORY: &str = "SELECT e.event, e.on_date, o.code AS org_code, o.name AS org_name, e.reason, e.at
    FROM membership_events e JOIN memberships m ON m.id = e.membership_id JOIN org_units o ON o.id = e.org_id
    WHERE m.person_id = $1 AND m.status <> 'review'
    ORDER BY e.at DESC, CASE e.event WHEN 'requested' THEN 0 WHEN 'joined' THEN 1 WHEN 'retained' THEN 2
        WHEN 'merged_out' THEN 3 WHEN 'dissolved_out' THEN 3 WHEN 'merged_in' THEN 4 WHEN 'dissolved_in' THEN 4 ELSE 5 END DESC LIMIT 200";

/// The history of the person a membership in scope belongs to: every union and date, newest
/// first. Requests kept for review are left out (someone else may have made them).
pub async fn history(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Vec<HistoryEntry>> {
    super::get(tx, scope, id).await?;
    const PERSON: &str = "SELECT person_id FROM memberships WHERE id = $1";
    let person: Uuid =
        on_db!(tx.conn(), c => sqlx::query_scalar(PERSON).bind(id).fetch_one(c).await)?;
    own_history(tx, person).await
}

/// A person's own history, for `/me`.
pub async fn own_history(tx: &mut Tx, person: Uuid) -> Result<Vec<HistoryEntry>> {
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, HistoryEntry>(HISTORY).bind(person).fetch_all(c).await)?,
    )
}

/// A member in scope with their history, read together.
pub async fn with_history(
    store: &Store,
    scope: &Scope,
    id: Uuid,
) -> Result<(MemberRow, Vec<HistoryEntry>)> {
    in_read(store, async |tx| {
        let row = super::get(tx, scope, id).await?;
        let history = history(tx, scope, id).await?;
        Ok((row, history))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_day_and_a_reason_are_checked_together() {
        let today = day("2026-06-01");
        let blank = EndingInput::default().check(today).unwrap_err();
        assert_eq!(blank.get("reason"), Some("members.end_reason_required"));
        assert_eq!(blank.get("on"), None, "a blank day is today");
        let late = EndingInput {
            on: "2026-06-02".into(),
            reason: "x".into(),
        };
        assert_eq!(
            late.check(today).unwrap_err().get("on"),
            Some("members.end_in_future")
        );
        let ok = EndingInput {
            on: "2026年3月1日".into(),
            reason: " 退休 ".into(),
        }
        .check(today)
        .unwrap();
        assert_eq!((ok.on, ok.reason.as_str()), (day("2026-03-01"), "退休"));
    }

    #[test]
    fn only_an_active_membership_is_retained() {
        assert!(Ending::Retain.ends("active"));
        assert!(!Ending::Retain.ends("retained"));
        assert!(Ending::Leave.ends("retained") && Ending::Lapse.ends("retained"));
        assert!(!Ending::Leave.ends("pending") && !Ending::Lapse.ends("left"));
        assert_eq!(Ending::parse("retain"), Some(Ending::Retain));
        assert_eq!(Ending::parse("left"), None);
    }
}
