//! Attendance and handouts at mass-join events (签到、发放清凉包): a cadre at the desk scans a
//! worker's e-card (or types a membership number or an ID number; a guest who is not a member
//! gives a name too) and, when the event hands something out, ticks that it was handed over.
//! Each person is checked in once per event and receives the handout at most once, whichever
//! desk or way found them: the person is the keyed hash of their ID number, and the database
//! holds one row per event and person (two desks racing end in one row and one handout).

use super::id_vault::IdVault;
use super::identity::{PersonName, ResidentId};
use crate::accounts::Caller;
use crate::page::{Page, PageRequest};
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::new_id;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the desk typed or scanned.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInInput {
    /// The e-card's QR text (`NUANXIN-MEMBER:…`), a membership number, or an ID number.
    pub who: String,
    /// For a guest who is not a member (found by ID number only): their name.
    #[serde(default)]
    pub name: Option<String>,
    /// The event's handout was handed over now.
    #[serde(default)]
    pub handout: bool,
}

/// One person checked in at an event.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attendance {
    pub id: Uuid,
    /// The name; masked (`张*`) for a member of a union outside the event's subtree.
    pub name: String,
    pub member_no: Option<String>,
    /// The member's union, for members of the event's subtree.
    pub org_name: Option<String>,
    pub checked_in_at: i64,
    pub recorded_by: String,
    pub handed_at: Option<i64>,
    pub handed_by: Option<String>,
    #[serde(skip)]
    #[sqlx(default)]
    org_path: Option<String>,
}

/// What a check-in did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckIn {
    /// `checked_in` (new), `handed_out` (the handout was given now), `already_checked_in` (seen
    /// before, nothing to hand out or none asked for) or `already_received` (the handout was
    /// given before: `attendance.handed_at` and `handed_by` say when and by whom).
    pub outcome: String,
    pub attendance: Attendance,
}

const SELECT: &str = "SELECT a.id, a.name, m.member_no, o.name AS org_name, a.checked_in_at, a.recorded_by, a.handed_at, a.handed_by,
        o.path AS org_path
    FROM event_attendance a LEFT JOIN memberships m ON m.id = a.membership_id LEFT JOIN org_units o ON o.id = m.org_id";

/// A name as a desk outside the member's union may see it: the first character and stars.
fn masked(name: &str) -> String {
    let mut chars = name.chars();
    let first: String = chars.next().into_iter().collect();
    format!("{first}{}", "*".repeat(chars.count().clamp(1, 3)))
}

impl Attendance {
    /// Names and unions of members outside the event's subtree are not the desk's to see.
    fn seen_from(mut self, event_path: &str) -> Attendance {
        if let Some(path) = self.org_path.take() {
            if !path.starts_with(event_path) {
                self.name = masked(&self.name);
                self.org_name = None;
            }
        }
        self
    }
}

/// The person the desk named: (keyed hash of the ID number, active membership, name). A
/// membership number (16 digits) is looked up first, then an ID number (15 or 18 characters); a
/// guest found by ID number only is named by the desk, or by their earlier check-in.
async fn identify(
    tx: &mut Tx,
    vault: &IdVault,
    event_id: Uuid,
    input: &CheckInInput,
    today: chrono::NaiveDate,
) -> Result<(String, Option<Uuid>, String)> {
    let typed = input.who.trim();
    let typed = typed
        .strip_prefix(super::ECARD_PREFIX)
        .unwrap_or(typed)
        .trim();
    if typed.is_empty() {
        return Err(Error::invalid("who", "events.who_required"));
    }
    const ACTIVE: &str =
        "SELECT m.id, p.name, p.id_hash FROM memberships m JOIN people p ON p.id = m.person_id
        WHERE m.status = 'active' AND ";
    let sql = format!("{ACTIVE} m.member_no = $1");
    let member: Option<(Uuid, String, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(typed).fetch_optional(c).await)?;
    if let Some((membership, name, hash)) = member {
        return Ok((hash, Some(membership), name));
    }
    let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if !matches!(compact.chars().count(), 15 | 18) {
        return Err(Error::invalid("who", "events.unknown_person"));
    }
    let id =
        ResidentId::parse(&compact, today).map_err(|_| Error::invalid("who", "events.bad_who"))?;
    let hash = vault.lookup_hash(&id);
    let sql = format!("{ACTIVE} p.id_hash = $1");
    let member: Option<(Uuid, String, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(&hash).fetch_optional(c).await)?;
    if let Some((membership, name, _)) = member {
        return Ok((hash, Some(membership), name));
    }
    // A guest: not a member (now). Named by the desk, or by their check-in before.
    let typed_name = input.name.as_deref().map(str::trim).unwrap_or_default();
    if typed_name.is_empty() {
        const BEFORE: &str =
            "SELECT name FROM event_attendance WHERE event_id = $1 AND id_hash = $2";
        let before: Option<String> = on_db!(tx.conn(), c => sqlx::query_scalar(BEFORE).bind(event_id).bind(&hash).fetch_optional(c).await)?;
        if let Some(name) = before {
            return Ok((hash, None, name));
        }
    }
    let name = PersonName::parse(typed_name)
        .map_err(|_| Error::invalid("name", "events.guest_name_required"))?;
    Ok((hash, None, name.as_str().to_string()))
}

/// Checks a person in at an event of the caller's scope (staff of the event's union), and hands
/// the event's handout over when asked: at most once per person and event.
pub async fn check_in(
    tx: &mut Tx,
    caller: &Caller,
    vault: &IdVault,
    event_id: Uuid,
    input: &CheckInInput,
) -> Result<CheckIn> {
    let event = super::events::get(tx, &caller.scope, event_id).await?;
    let org = orgs::get(tx, &caller.scope, &event.org_code).await?;
    if caller.scope.role_at(&org.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    if event.closed_at.is_some() {
        return Err(Error::conflict("status", "events.closed_readonly"));
    }
    let (hash, membership, name) = identify(tx, vault, event_id, input, caller.today).await?;
    const INSERT: &str = "INSERT INTO event_attendance (id, event_id, id_hash, membership_id, name, checked_in_at, recorded_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id, id_hash) DO NOTHING";
    let added = on_db!(tx.conn(), c => sqlx::query(INSERT).bind(new_id()).bind(event_id).bind(&hash).bind(membership)
        .bind(&name).bind(caller.at).bind(&caller.actor.name).execute(c).await.map(|r| r.rows_affected()))?;
    let wants_handout = input.handout && event.handout.is_some();
    let handed = if wants_handout {
        // Whoever sets it first hands it over; a second desk finds it set.
        const HAND: &str = "UPDATE event_attendance SET handed_at = $3, handed_by = $4
            WHERE event_id = $1 AND id_hash = $2 AND handed_at IS NULL";
        on_db!(tx.conn(), c => sqlx::query(HAND).bind(event_id).bind(&hash).bind(caller.at).bind(&caller.actor.name)
            .execute(c).await.map(|r| r.rows_affected()))?
    } else {
        0
    };
    let sql = format!("{SELECT} WHERE a.event_id = $1 AND a.id_hash = $2");
    let row = on_db!(tx.conn(), c => sqlx::query_as::<_, Attendance>(&sql).bind(event_id).bind(&hash).fetch_one(c).await)?;
    let outcome = match (added, handed, wants_handout) {
        (_, 1.., _) => "handed_out",
        (_, 0, true) => "already_received",
        (1.., _, _) => "checked_in",
        _ => "already_checked_in",
    };
    if added > 0 || handed > 0 {
        caller
            .audit(
                tx,
                "events.check_in",
                &event_id.to_string(),
                Some(&org.path),
                serde_json::json!({"member": membership.is_some(), "checked_in": added > 0, "handout": handed > 0}),
            )
            .await?;
    }
    Ok(CheckIn {
        outcome: outcome.to_string(),
        attendance: row.seen_from(&org.path),
    })
}

/// Who was checked in at an event of the scope, latest first.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    event_id: Uuid,
    page: PageRequest,
) -> Result<Page<Attendance>> {
    let event = super::events::get(tx, scope, event_id).await?;
    let org = orgs::get(tx, scope, &event.org_code).await?;
    const COUNT: &str = "SELECT COUNT(*) FROM event_attendance WHERE event_id = $1";
    let total: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(COUNT).bind(event_id).fetch_one(c).await)?;
    let sql = format!(
        "{SELECT} WHERE a.event_id = $1 ORDER BY a.checked_in_at DESC, a.id LIMIT $2 OFFSET $3"
    );
    let items: Vec<Attendance> = on_db!(tx.conn(), c => sqlx::query_as::<_, Attendance>(&sql)
        .bind(event_id).bind(page.limit()).bind(page.offset()).fetch_all(c).await)?;
    Ok(Page {
        items: items.into_iter().map(|a| a.seen_from(&org.path)).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn a_masked_name_keeps_the_first_character_only() {
        assert_eq!(masked("张三"), "张*");
        assert_eq!(masked("欧阳娜娜"), "欧***");
        assert_eq!(masked("买买提·艾力江"), "买***");
        assert_eq!(masked("Li"), "L*");
    }
}
