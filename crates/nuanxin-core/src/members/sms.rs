//! SMS verification codes: six digits, valid five minutes, single use, at most five tries, and
//! rate-limited per phone and per address (shared by every process through the database). Sent
//! through an `SmsSender`: the development sender writes the code to the server log; a real
//! gateway plugs in behind the same trait.

use super::id_vault::IdVault;
use super::identity::Phone;
use crate::accounts::rate_limit_in;
use crate::{on_db, Error, Result, Store, Timestamp, Tx};
use rand::Rng;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
pub const MAX_ATTEMPTS: i64 = 5;
/// The words that mark a verification-code message.
const CODE_MARK: &str = "验证码";

/// Sends a text message to a mainland mobile number.
pub trait SmsSender: Send + Sync {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;
}

/// Development sender: logs the message (with the code) instead of sending it, and remembers
/// the last message per phone so that tests can read it.
#[derive(Default)]
pub struct DevSms {
    last: Mutex<HashMap<String, String>>,
}

impl DevSms {
    /// The last message sent to a phone (tests).
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn last_message(&self, phone: &str) -> Option<String> {
        self.last.lock().expect("not poisoned").get(phone).cloned()
    }

    /// The six-digit code in the last message to a phone, when that message is a verification
    /// code (tests): a later message of another kind (a report number with six digits in it)
    /// is no code.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let msg = self.last_message(phone)?;
        if !msg.contains(CODE_MARK) {
            return None;
        }
        msg.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .map(str::to_string)
    }
}

impl SmsSender for DevSms {
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>> {
        Box::pin(async move {
            tracing::warn!(phone = %phone.mask(), message = text, "development SMS sender: message not sent, shown here");
            self.last
                .lock()
                .expect("not poisoned")
                .insert(phone.as_str().to_string(), text.to_string());
            Ok(())
        })
    }
}

/// A generic HTTP gateway: POSTs `{"phone": "13800000000", "text": "..."}` as JSON to a URL,
/// with `Authorization: Bearer TOKEN` when a token is configured; any 2xx answer counts as sent.
/// Configured by `NUANXIN_SMS_URL` and `NUANXIN_SMS_TOKEN`; most Chinese SMS vendors accept
/// such a call through a small relay of the union's IT department.
pub struct HttpSms {
    url: String,
    token: Option<String>,
}

impl std::fmt::Debug for HttpSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSms")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl HttpSms {
    pub fn new(url: &str, token: Option<String>) -> anyhow::Result<HttpSms> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("NUANXIN_SMS_URL must start with http:// or https://");
        }
        Ok(HttpSms {
            url: url.to_string(),
            token: token.filter(|t| !t.is_empty()),
        })
    }
}

impl SmsSender for HttpSms {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>> {
        let (url, token) = (self.url.clone(), self.token.clone());
        let body = serde_json::json!({"phone": phone.as_str(), "text": text});
        Box::pin(async move {
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(std::time::Duration::from_secs(10)))
                    .build()
                    .into();
                let mut req = agent.post(&url);
                if let Some(t) = token {
                    req = req.header("Authorization", &format!("Bearer {t}"));
                }
                req.send_json(&body)
                    .map_err(|e| anyhow::anyhow!("SMS gateway: {e}"))?;
                Ok(())
            })
            .await?
        })
    }
}

/// The stored form of a code: keyed (HMAC under the server's hash key), so that a reader of the
/// database cannot try the million six-digit codes against it.
fn code_hash(vault: &IdVault, phone: &Phone, code: &str) -> String {
    vault.keyed_hash("sms-code", &format!("{}:{code}", phone.as_str()))
}

/// Sends a new code to `phone`. At most one per minute and five per hour per phone, thirty per
/// hour per address.
pub async fn request_code(
    store: &Store,
    vault: &IdVault,
    sender: &dyn SmsSender,
    phone: &Phone,
    ip: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    // The three limits and the code in one transaction (one commit): a mass-join event asks
    // for thousands of codes in minutes. The limits are checked in turn; a refused request
    // still counts against the limits checked before it, as it did with one commit each.
    let limits = [
        (format!("sms:phone:{}", phone.as_str()), 1, 60_000),
        (format!("sms:phone-hour:{}", phone.as_str()), 5, 3_600_000),
        (format!("sms:ip:{}", ip.unwrap_or("-")), 30, 3_600_000),
    ];
    let mut tx = store.write().await?;
    for (key, max, window_ms) in &limits {
        if !rate_limit_in(&mut tx, key, *max, *window_ms, now).await? {
            tx.commit().await?;
            return Err(Error::RateLimited);
        }
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    const SQL: &str = "INSERT INTO sms_codes (id, phone, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(nuanxin_store::new_id()).bind(phone.as_str()).bind(code_hash(vault, phone, &code))
        .bind(now).bind(now + CODE_TTL_MS).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    sender
        .send(
            phone,
            &format!("【暖新】您的{CODE_MARK}是 {code}，5 分钟内有效。请勿告诉他人。"),
        )
        .await
        .map_err(Error::Internal)?;
    Ok(())
}

/// Checks a code and uses it up. Wrong tries are counted (and committed) even though the
/// caller's own work then stops. The same check as a join's ([`check`]).
pub async fn verify_code(
    store: &Store,
    vault: &IdVault,
    phone: &Phone,
    code: &str,
    now: Timestamp,
) -> Result<()> {
    let mut tx = store.write().await?;
    let live = live_codes(&mut tx, &[phone.as_str()], now).await?;
    let checked = check(&live, vault, phone, code, now);
    let (used, missed) = match &checked {
        Ok(id) => (Some(*id), None),
        Err((_, miss)) => (None, *miss),
    };
    settle(&mut tx, used.as_slice(), missed.as_slice(), now).await?;
    tx.commit().await?;
    checked.map(|_| ()).map_err(|(e, _)| e)
}

const WRONG: &str = "members.sms_code_wrong";

/// A phone's unused, unexpired code, as a batch of joins checks it.
pub(super) struct LiveCode {
    id: uuid::Uuid,
    hash: String,
    attempts: i64,
    created_at: Timestamp,
    expires_at: Timestamp,
}

/// The unused codes of `phones` that are still valid at `now`, by phone: one query for a whole
/// batch of joins (see [`check`]).
pub(super) async fn live_codes(
    tx: &mut Tx,
    phones: &[&str],
    now: Timestamp,
) -> Result<HashMap<String, Vec<LiveCode>>> {
    let mut out: HashMap<String, Vec<LiveCode>> = HashMap::new();
    if phones.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT phone, id, code_hash, attempts, created_at, expires_at FROM sms_codes
        WHERE used_at IS NULL AND expires_at > {} AND phone IN ({})",
        nuanxin_store::list_placeholders(tx.backend(), 1, 1),
        nuanxin_store::list_placeholders(tx.backend(), phones.len(), 2)
    );
    type Row = (String, uuid::Uuid, String, i64, Timestamp, Timestamp);
    let rows: Vec<Row> = on_db!(tx.conn(), c => {
        let mut q = sqlx::query_as(&sql).bind(now);
        for p in phones {
            q = q.bind(*p);
        }
        q.fetch_all(c).await
    })?;
    for (phone, id, hash, attempts, created_at, expires_at) in rows {
        out.entry(phone).or_default().push(LiveCode {
            id,
            hash,
            attempts,
            created_at,
            expires_at,
        });
    }
    Ok(out)
}

/// Checks `code` against the phone's latest live code (the newest unused, unexpired one): the
/// id of the code to use up, or the error together with the code whose wrong try must count.
pub(super) fn check(
    live: &HashMap<String, Vec<LiveCode>>,
    vault: &IdVault,
    phone: &Phone,
    code: &str,
    now: Timestamp,
) -> std::result::Result<uuid::Uuid, (Error, Option<uuid::Uuid>)> {
    let latest = live
        .get(phone.as_str())
        .into_iter()
        .flatten()
        .filter(|c| c.expires_at > now)
        .max_by_key(|c| (c.created_at, c.id));
    let Some(latest) = latest else {
        return Err((Error::invalid("sms_code", "members.sms_code_expired"), None));
    };
    if latest.attempts >= MAX_ATTEMPTS {
        return Err((
            Error::invalid("sms_code", "members.sms_too_many_attempts"),
            None,
        ));
    }
    if latest.hash != code_hash(vault, phone, code.trim()) {
        return Err((Error::invalid("sms_code", WRONG), Some(latest.id)));
    }
    Ok(latest.id)
}

/// Uses up the codes `used` and counts a wrong try against each of `missed`.
pub(super) async fn settle(
    tx: &mut Tx,
    used: &[uuid::Uuid],
    missed: &[uuid::Uuid],
    now: Timestamp,
) -> Result<()> {
    let backend = tx.backend();
    if !used.is_empty() {
        let sql = format!(
            "UPDATE sms_codes SET used_at = {} WHERE id IN ({})",
            nuanxin_store::list_placeholders(backend, 1, 1),
            nuanxin_store::list_placeholders(backend, used.len(), 2)
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in used {
                q = q.bind(*id);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    if !missed.is_empty() {
        let sql = format!(
            "UPDATE sms_codes SET attempts = attempts + 1 WHERE id IN ({})",
            nuanxin_store::list_placeholders(backend, missed.len(), 1)
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for id in missed {
                q = q.bind(*id);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}
