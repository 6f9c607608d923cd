//! Member sessions: a worker who proved their phone by SMS (at joining, or at sign-in later)
//! sees their own memberships and e-card. Separate from cadre sessions: a member has no scope.

use crate::{on_db, Result, Store, Timestamp, Tx};
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A member session ends this long after the last visit.
pub const MEMBER_IDLE_MS: i64 = 30 * 24 * 3600 * 1000;

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The CSRF token of a member session: the member's own forms carry it, and a change is made only
/// when it matches. Derived from the session's secret token (which only the member's browser
/// holds, in an HttpOnly cookie), so nothing more is stored.
pub fn csrf_of(token: &str) -> String {
    hash(&format!("nuanxin-member-csrf:{token}"))[..32].to_string()
}

/// Starts a session for a person; returns the cookie token.
pub async fn start(store: &Store, person: Uuid, now: Timestamp) -> Result<String> {
    crate::in_write(store, async |tx| start_in(tx, person, now).await).await
}

/// Starts a session for a person in `tx` (a join's own transaction); returns the cookie token.
pub(crate) async fn start_in(tx: &mut Tx, person: Uuid, now: Timestamp) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    const SQL: &str = "INSERT INTO member_sessions (token_hash, person_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(hash(&token)).bind(person).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(token)
}

/// A live session's last visit is written again at most this often: a visit reads, and only
/// the first visit of a minute writes (with any cookie at all, a read costs nothing of the
/// single SQLite writer).
pub const MEMBER_TOUCH_MS: i64 = 60_000;

/// The person of a live session.
pub async fn person_of(store: &Store, token: &str, now: Timestamp) -> Result<Option<Uuid>> {
    let mut tx = store.read().await?;
    const FIND: &str =
        "SELECT person_id, last_seen_at FROM member_sessions WHERE token_hash = $1 AND last_seen_at > $2";
    let found: Option<(Uuid, i64)> = on_db!(tx.conn(), c => sqlx::query_as(FIND).bind(hash(token)).bind(now - MEMBER_IDLE_MS)
        .fetch_optional(c).await)?;
    drop(tx);
    let Some((person, seen)) = found else {
        return Ok(None);
    };
    if now - seen >= MEMBER_TOUCH_MS {
        let mut tx = store.write().await?;
        const TOUCH: &str =
            "UPDATE member_sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2";
        on_db!(tx.conn(), c => sqlx::query(TOUCH).bind(hash(token)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
    }
    Ok(Some(person))
}

pub async fn end(store: &Store, token: &str) -> Result<()> {
    let mut tx = store.write().await?;
    on_db!(tx.conn(), c => sqlx::query("DELETE FROM member_sessions WHERE token_hash = $1").bind(hash(token)).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(())
}

/// The person registered with this phone (the latest, should two share one).
pub async fn person_by_phone(tx: &mut Tx, phone: &str) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM people WHERE phone = $1 ORDER BY updated_at DESC LIMIT 1";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(phone).fetch_optional(c).await)?)
}

/// What a member sees of themself: name and memberships, newest first.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnMembership {
    pub status: String,
    pub member_no: Option<String>,
    pub org_code: String,
    pub org_name: String,
    pub group: String,
    pub joined_on: Option<chrono::NaiveDate>,
    pub requested_at: i64,
    pub reason: Option<String>,
    pub employer: Option<String>,
    pub work_region: Option<String>,
    /// The region of the union: its county's townships are the work places offered.
    pub org_region: String,
}

/// Requests kept for review are left out: someone else may have made them in this person's name,
/// and they are not the person's until a cadre has checked them.
pub async fn own(tx: &mut Tx, person: Uuid) -> Result<(String, String, Vec<OwnMembership>)> {
    const PERSON: &str = "SELECT name, id_mask FROM people WHERE id = $1";
    let (name, mask): (String, String) =
        on_db!(tx.conn(), c => sqlx::query_as(PERSON).bind(person).fetch_one(c).await)?;
    const SQL: &str = "SELECT m.status, m.member_no, o.code AS org_code, o.name AS org_name, m.worker_group AS \"group\", m.joined_on, m.requested_at, m.reason,
            m.employer, m.work_region, o.region_code AS org_region
        FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.person_id = $1 AND m.status <> 'review' ORDER BY m.requested_at DESC";
    let rows = on_db!(tx.conn(), c => sqlx::query_as::<_, OwnMembership>(SQL).bind(person).fetch_all(c).await)?;
    Ok((name, mask, rows))
}
