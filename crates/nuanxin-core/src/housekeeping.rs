//! Housekeeping: rows that matter only for a while (rate-limit windows, SMS codes) are deleted
//! once they can no longer matter, in bounded batches so that no purge holds the database's
//! writer for long. `serve` runs it every hour; `nuanxin admin purge` runs it on demand.

use crate::{on_db, Result, Store, Timestamp};

/// Rows are kept this long after they stop mattering (the longest rate-limit window is an
/// hour, an SMS code lives five minutes).
pub const KEEP_MS: i64 = 24 * 3_600_000;

/// Rows deleted per statement.
const BATCH: i64 = 10_000;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub rate_limits: u64,
    pub sms_codes: u64,
}

/// Deletes rate-limit windows that started, and SMS codes that expired, more than
/// [`KEEP_MS`] before `now`.
pub async fn purge(store: &Store, now: Timestamp) -> Result<Purged> {
    let before = now - KEEP_MS;
    let mut purged = Purged::default();
    loop {
        let n = delete_batch(store, RATE_LIMITS, before).await?;
        purged.rate_limits += n;
        if n < BATCH as u64 {
            break;
        }
    }
    loop {
        let n = delete_batch(store, SMS_CODES, before).await?;
        purged.sms_codes += n;
        if n < BATCH as u64 {
            break;
        }
    }
    Ok(purged)
}

const RATE_LIMITS: &str = "DELETE FROM rate_limits WHERE key IN
    (SELECT key FROM rate_limits WHERE window_start < $1 LIMIT $2)";
const SMS_CODES: &str =
    "DELETE FROM sms_codes WHERE id IN (SELECT id FROM sms_codes WHERE expires_at < $1 LIMIT $2)";

async fn delete_batch(store: &Store, sql: &str, before: Timestamp) -> Result<u64> {
    let mut tx = store.write().await?;
    let n = on_db!(tx.conn(), c => sqlx::query(sql).bind(before).bind(BATCH).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}
