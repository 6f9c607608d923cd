//! Server-side sessions and login protection. The cookie holds a random token; the database
//! holds only its SHA-256, the CSRF token, and the times that enforce idle and absolute timeouts.
//! Failures, lockouts and rate limits live in the database, so every server process sees them.

use super::queries::{account_by_id, account_by_username, scope_of, Account};
use super::{verify_password, Caller};
use crate::audit::{self, Actor};
use crate::clock::Clock;
use crate::{on_db, Error, Result, Scope, Store, Timestamp, Tx};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_MS: i64 = 30 * 60 * 1000;
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT_MS: i64 = 12 * 60 * 60 * 1000;
/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILURES: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// Sign-in attempts allowed from one address per window.
const LOGIN_ATTEMPTS_PER_IP: i64 = 30;
const LOGIN_WINDOW_MS: i64 = 5 * 60 * 1000;
/// last_seen_at is refreshed at most this often, to keep reads from writing on every request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A signed-in account with its scope.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub scope: Scope,
    pub csrf_token: String,
}

impl Session {
    pub fn caller(&self, ip: Option<String>, clock: &Clock) -> Caller {
        let actor = Actor {
            account_id: Some(self.account.id),
            name: self.account.username.clone(),
            ip,
        };
        Caller::new(self.scope.clone(), actor, clock)
    }
}

pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Counts one hit of `key` and fails with `RateLimited` past `max` hits in the window. The count
/// is kept in the database, so that every process shares it. Committed at once.
pub async fn hit_rate_limit(
    store: &Store,
    key: &str,
    max: i64,
    window_ms: i64,
    now: Timestamp,
) -> Result<()> {
    let mut tx = store.write().await?;
    let within = rate_limit_in(&mut tx, key, max, window_ms, now).await?;
    tx.commit().await?;
    if within {
        Ok(())
    } else {
        Err(Error::RateLimited)
    }
}

/// Counts a hit against `key` inside `tx` (see [`hit_rate_limit`]): whether it is within `max`.
/// The hit counts once `tx` commits, whatever the caller then does.
pub async fn rate_limit_in(
    tx: &mut Tx,
    key: &str,
    max: i64,
    window_ms: i64,
    now: Timestamp,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
        ON CONFLICT (key) DO UPDATE SET
          hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END,
          window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
        RETURNING hits";
    let hits: i64 = on_db!(tx.conn(), c => sqlx::query_scalar::<_, i64>(SQL).bind(key).bind(now).bind(now - window_ms)
        .fetch_one(c).await)?;
    Ok(hits <= max)
}

const BAD_CREDENTIALS: Error = Error::Unauthenticated {
    code: "accounts.bad_credentials",
};

/// Signs in. Returns the cookie token (shown once, stored only hashed) and the session.
pub async fn login(
    store: &Store,
    clock: &Clock,
    username: &str,
    password: &str,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(String, Session)> {
    let now = clock.now();
    hit_rate_limit(
        store,
        &format!("login:ip:{}", ip.unwrap_or("-")),
        LOGIN_ATTEMPTS_PER_IP,
        LOGIN_WINDOW_MS,
        now,
    )
    .await?;
    let mut tx = store.read().await?;
    let account = account_by_username(&mut tx, username.trim()).await?;
    tx.rollback().await?;
    let Some(account) = account else {
        // Same work as for a real account, so that timing does not tell which usernames exist.
        let _ = verify_password(password, &DUMMY_HASH);
        return Err(BAD_CREDENTIALS);
    };
    if account.disabled {
        return Err(BAD_CREDENTIALS);
    }
    if account.locked_until.is_some_and(|t| t > now) {
        return Err(Error::Unauthenticated {
            code: "accounts.locked",
        });
    }
    let ok = verify_password(password, &account.password_hash);
    let actor = Actor {
        account_id: Some(account.id),
        name: account.username.clone(),
        ip: ip.map(str::to_string),
    };
    let mut tx = store.write().await?;
    if !ok {
        const FAIL: &str = "UPDATE accounts SET
              failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
              locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
            WHERE id = $1 RETURNING locked_until";
        let locked: Option<i64> = on_db!(tx.conn(), c => sqlx::query_scalar(FAIL).bind(account.id).bind(MAX_FAILURES)
            .bind(now + LOCKOUT_MS).fetch_one(c).await)?;
        let locked_now = locked.is_some_and(|t| t > now);
        let action = if locked_now {
            "accounts.locked"
        } else {
            "accounts.login_failed"
        };
        audit::record(
            &mut tx,
            &actor,
            now,
            action,
            &account.username,
            None,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        return Err(if locked_now {
            Error::Unauthenticated {
                code: "accounts.locked",
            }
        } else {
            BAD_CREDENTIALS
        });
    }
    const RESET: &str = "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(RESET).bind(account.id).execute(c).await.map(|r| r.rows_affected()))?;
    let token = random_token();
    let csrf = random_token();
    const INSERT: &str = "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, ip, user_agent)
        VALUES ($1, $2, $3, $4, $4, $5, $6)";
    let ua: Option<String> = user_agent.map(|u| u.chars().take(200).collect());
    on_db!(tx.conn(), c => sqlx::query(INSERT).bind(token_hash(&token)).bind(account.id).bind(&csrf).bind(now)
        .bind(ip).bind(&ua).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        &actor,
        now,
        "accounts.login",
        &account.username,
        None,
        serde_json::json!({}),
    )
    .await?;
    let scope = scope_of(&mut tx, account.id).await?;
    tx.commit().await?;
    Ok((
        token,
        Session {
            account,
            scope,
            csrf_token: csrf,
        },
    ))
}

/// The live session of a cookie token, or `None` when unknown or timed out (a timed-out session
/// is deleted).
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn session(store: &Store, clock: &Clock, token: &str) -> Result<Option<Session>> {
    let now = clock.now();
    let hash = token_hash(token);
    let mut tx = store.read().await?;
    const SQL: &str = "SELECT account_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = $1";
    let row: Option<(uuid::Uuid, String, i64, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(&hash).fetch_optional(c).await)?;
    let Some((account_id, csrf_token, created_at, last_seen_at)) = row else {
        return Ok(None);
    };
    let expired = now - last_seen_at > IDLE_TIMEOUT_MS || now - created_at > ABSOLUTE_TIMEOUT_MS;
    let account = account_by_id(&mut tx, account_id)
        .await?
        .filter(|a| !a.disabled);
    let scope = scope_of(&mut tx, account_id).await?;
    tx.rollback().await?;
    if expired || account.is_none() {
        delete_session(store, &hash).await?;
        return Ok(None);
    }
    if now - last_seen_at > TOUCH_EVERY_MS {
        let mut tx = store.write().await?;
        const TOUCH: &str = "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1";
        on_db!(tx.conn(), c => sqlx::query(TOUCH).bind(&hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
    }
    Ok(Some(Session {
        account: account.expect("checked"),
        scope,
        csrf_token,
    }))
}

async fn delete_session(store: &Store, hash: &str) -> Result<()> {
    let mut tx = store.write().await?;
    on_db!(tx.conn(), c => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(())
}

/// Ends the session of a cookie token (no error if there is none).
pub async fn logout(store: &Store, token: &str) -> Result<()> {
    delete_session(store, &token_hash(token)).await
}

/// An argon2id hash of a fixed string, verified against when the username is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| super::hash_password("no such account"));
