//! Join codes (一会一码): each union has a random code per channel; the QR code opens
//! `/j/{code}`. Rotating a code revokes the old one, which then answers with a clear page.

use crate::accounts::Caller;
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::new_id;
use rand::Rng;
use serde::Serialize;
use uuid::Uuid;

/// Characters of a code: no 0/O, 1/I/L, so that a code read aloud or typed is unambiguous.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

pub(super) fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct JoinCode {
    #[serde(skip)]
    pub id: Uuid,
    pub code: String,
    pub channel: String,
    pub auto_approve: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// What a scanned code leads to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JoinTarget {
    pub code_id: Uuid,
    pub code: String,
    pub channel: String,
    pub auto_approve: bool,
    pub org_id: Uuid,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub org_region: String,
    /// The code is a routing event's: the join goes to the union the event routes the joiner to
    /// (see `events::route_joiner`), not to the code's own union.
    #[sqlx(default)]
    pub routes: bool,
}

/// The codes of a unit in scope, active first.
pub async fn join_codes_of(tx: &mut Tx, scope: &Scope, org_code: &str) -> Result<Vec<JoinCode>> {
    let org = orgs::get(tx, scope, org_code).await?;
    const SQL: &str =
        "SELECT id, code, channel, auto_approve, created_at, revoked_at FROM join_codes
        WHERE org_id = $1 ORDER BY revoked_at IS NOT NULL, created_at DESC";
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, JoinCode>(SQL).bind(org.id).fetch_all(c).await)?)
}

/// The active code of a unit for a channel, created on first use.
pub async fn current_code(
    tx: &mut Tx,
    caller: &Caller,
    org_code: &str,
    channel: &str,
) -> Result<JoinCode> {
    let existing = join_codes_of(tx, &caller.scope, org_code).await?;
    if let Some(c) = existing
        .into_iter()
        .find(|c| c.revoked_at.is_none() && c.channel == channel)
    {
        return Ok(c);
    }
    rotate_code(tx, caller, org_code, channel, false).await
}

/// Revokes the unit's active code of this channel and issues a new one. Staff and above.
pub async fn rotate_code(
    tx: &mut Tx,
    caller: &Caller,
    org_code: &str,
    channel: &str,
    auto_approve: bool,
) -> Result<JoinCode> {
    if !matches!(channel, "qr" | "event" | "window") {
        return Err(Error::invalid("channel", "members.bad_channel"));
    }
    let org = orgs::get(tx, &caller.scope, org_code).await?;
    if caller.scope.role_at(&org.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    if !org.is_active() {
        return Err(Error::conflict("status", "orgs.dissolved_readonly"));
    }
    const REVOKE: &str = "UPDATE join_codes SET revoked_at = $3 WHERE org_id = $1 AND channel = $2 AND revoked_at IS NULL";
    on_db!(tx.conn(), c => sqlx::query(REVOKE).bind(org.id).bind(channel).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    let code = JoinCode {
        id: new_id(),
        code: new_code(),
        channel: channel.to_string(),
        auto_approve,
        created_at: caller.at,
        revoked_at: None,
    };
    const INSERT: &str = "INSERT INTO join_codes (id, org_id, code, channel, auto_approve, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    on_db!(tx.conn(), c => sqlx::query(INSERT).bind(code.id).bind(org.id).bind(&code.code).bind(channel)
        .bind(auto_approve).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "members.code_rotated",
            org_code,
            Some(&org.path),
            serde_json::json!({"channel": channel, "auto_approve": auto_approve}),
        )
        .await?;
    Ok(code)
}

/// The union a scanned code leads to. Public by design: holding the code is the permission.
/// An unknown code is not found; a revoked one, or one of a dissolved union, is a conflict the
/// join page explains.
pub async fn resolve_code(tx: &mut Tx, code: &str) -> Result<JoinTarget> {
    const SQL: &str = "SELECT j.id AS code_id, j.code, j.channel, j.auto_approve, o.id AS org_id, o.code AS org_code,
            o.name AS org_name, o.path AS org_path, o.region_code AS org_region,
            EXISTS (SELECT 1 FROM join_events e WHERE e.join_code_id = j.id AND e.routes = TRUE) AS routes
        FROM join_codes j JOIN org_units o ON o.id = j.org_id
        WHERE j.code = $1";
    const STATE: &str = "SELECT j.revoked_at IS NOT NULL OR o.status <> 'active' FROM join_codes j
        JOIN org_units o ON o.id = j.org_id WHERE j.code = $1";
    let code = code.trim().to_ascii_uppercase();
    let target = on_db!(tx.conn(), c => sqlx::query_as::<_, JoinTarget>(SQL).bind(&code).fetch_optional(c).await)?
        .ok_or(Error::NotFound)?;
    let stale: bool =
        on_db!(tx.conn(), c => sqlx::query_scalar(STATE).bind(&code).fetch_one(c).await)?;
    if stale {
        return Err(Error::conflict("code", "members.code_revoked"));
    }
    Ok(target)
}
