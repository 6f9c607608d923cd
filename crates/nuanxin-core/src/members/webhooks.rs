//! Partner webhooks: a partner account (a platform or a licence window that pushes worker
//! records) sets one URL, and is told by a signed POST whenever the outcome of one of its pushes
//! changes: approved (`member`), rejected, transferred, left, retained, lapsed, moved to another
//! union by a merge, or given its membership number.
//!
//! How a change is found: each push records the outcome its answer told (`partner_outcomes`);
//! [`scan`] compares partners' memberships that changed lately (or all of them, hourly and at
//! start) with what the partner last heard, and queues a delivery for each difference, in the
//! same transaction that records the new outcome. [`deliver_due`] sends what is due; a delivery
//! stays queued until the partner's server answers 2xx, retried after 1, 5, 15 and 60 minutes,
//! 3 and 12 hours and then daily, nine attempts over about three days; then it is marked failed
//! and stays readable (`GET /api/v1/webhook/deliveries`), and polling the push keeps working.
//!
//! The body is JSON; `X-Nuanxin-Signature: sha256=<hex>` is HMAC-SHA256 under the webhook's
//! secret of `<X-Nuanxin-Timestamp>.<body>`, so that a partner can check both origin and age.

use crate::accounts::Caller;
use crate::page::{Page, PageRequest};
use crate::{on_db, Error, Result, Store, Timestamp, Tx};
use hmac::{Hmac, Mac};
use nuanxin_store::new_id;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

/// Pauses before each retry, in minutes: nine attempts in all.
const BACKOFF_MIN: [i64; 8] = [1, 5, 15, 60, 180, 720, 1440, 1440];

/// Deliveries sent per call of [`deliver_due`].
const SEND_BATCH: i64 = 50;

/// The range of request keys of partner pushes (`partner:{account}:{ref}`).
const KEYS: &str = "m.request_key >= 'partner:' AND m.request_key < 'partner;'";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct WebhookInput {
    /// Where notices are POSTed (http or https, at most 500 characters).
    pub url: String,
}

/// The caller's webhook. The secret is shown only when it is set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub url: String,
    pub created_at: i64,
    /// The HMAC key of the signatures: shown once, when the webhook is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One notice to the partner, as sent and as read back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (every attempt failed).
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    /// The JSON body: `{event, ref, outcome, previous, org_code, member_no, at}`.
    pub payload: serde_json::Value,
}

/// What a push's outcome reads as, from its membership's status (as `GET
/// /api/v1/members/push/{ref}` answers).
pub fn outcome_of(status: &str, transfer: bool) -> &str {
    match (status, transfer) {
        ("active", _) => "member",
        ("pending" | "review", true) => "transfer_pending",
        ("pending" | "review", false) => "pending",
        (other, _) => other,
    }
}

/// The partner account and the partner's own reference of a push's request key.
fn parse_key(key: &str) -> Option<(Uuid, &str)> {
    let rest = key.strip_prefix("partner:")?;
    let (account, reference) = rest.split_once(':')?;
    let account = Uuid::parse_str(account).ok().filter(|a| !a.is_nil())?;
    Some((account, reference))
}

fn caller_account(caller: &Caller) -> Result<Uuid> {
    // A grid office's account is told of the reports routed to it.
    if caller.scope.grid_office().is_none() {
        super::partner::can_push(&caller.scope)?;
    }
    caller.actor.account_id.ok_or(Error::Forbidden)
}

/// Sets the caller's webhook (a pushing account only), with a new secret, shown this once.
pub async fn set(tx: &mut Tx, caller: &Caller, input: &WebhookInput) -> Result<Webhook> {
    let account = caller_account(caller)?;
    let url = input.url.trim();
    let parsed = url::Url::parse(url).map_err(|_| Error::invalid("url", "webhooks.bad_url"))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || url.len() > 500
    {
        return Err(Error::invalid("url", "webhooks.bad_url"));
    }
    let secret: String = {
        use rand::Rng;
        let bytes: [u8; 32] = rand::thread_rng().gen();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    const SQL: &str = "INSERT INTO partner_webhooks (account_id, url, secret, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, created_at = excluded.created_at";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(account).bind(url).bind(&secret).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "webhooks.set",
            &caller.actor.name,
            None,
            serde_json::json!({"url": url}),
        )
        .await?;
    Ok(Webhook {
        url: url.to_string(),
        created_at: caller.at,
        secret: Some(secret),
    })
}

/// The caller's webhook, without its secret.
pub async fn get(tx: &mut Tx, caller: &Caller) -> Result<Webhook> {
    let account = caller_account(caller)?;
    const SQL: &str = "SELECT url, created_at FROM partner_webhooks WHERE account_id = $1";
    let row: Option<(String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(account).fetch_optional(c).await)?;
    let (url, created_at) = row.ok_or(Error::NotFound)?;
    Ok(Webhook {
        url,
        created_at,
        secret: None,
    })
}

/// Removes the caller's webhook; deliveries still queued are dropped with it (the partner
/// asked for no more notices), delivered and failed ones stay readable.
pub async fn remove(tx: &mut Tx, caller: &Caller) -> Result<()> {
    let account = caller_account(caller)?;
    const SQL: &str = "DELETE FROM partner_webhooks WHERE account_id = $1";
    let n = on_db!(tx.conn(), c => sqlx::query(SQL).bind(account).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    const DROP: &str =
        "UPDATE webhook_deliveries SET failed_at = $2, last_error = 'webhook removed'
        WHERE account_id = $1 AND delivered_at IS NULL AND failed_at IS NULL";
    on_db!(tx.conn(), c => sqlx::query(DROP).bind(account).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "webhooks.remove",
            &caller.actor.name,
            None,
            serde_json::json!({}),
        )
        .await?;
    Ok(())
}

/// The caller's deliveries, latest first.
pub async fn deliveries(tx: &mut Tx, caller: &Caller, page: PageRequest) -> Result<Page<Delivery>> {
    let account = caller_account(caller)?;
    const COUNT: &str = "SELECT COUNT(*) FROM webhook_deliveries WHERE account_id = $1";
    const SQL: &str = "SELECT id, attempts, created_at, next_at, delivered_at, failed_at, last_error, payload
        FROM webhook_deliveries WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";
    let total: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(COUNT).bind(account).fetch_one(c).await)?;
    type Row = (
        Uuid,
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(account).bind(page.limit()).bind(page.offset()).fetch_all(c).await)?;
    let items = rows
        .into_iter()
        .map(
            |(id, attempts, created_at, next_at, delivered_at, failed_at, last_error, payload)| {
                let status = match (delivered_at, failed_at) {
                    (Some(_), _) => "delivered",
                    (None, Some(_)) => "failed",
                    _ => "pending",
                };
                Delivery {
                    id,
                    status: status.into(),
                    attempts,
                    created_at,
                    next_at: (status == "pending").then_some(next_at),
                    delivered_at,
                    last_error,
                    payload: serde_json::from_str(&payload).unwrap_or_default(),
                }
            },
        )
        .collect();
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Records what a push's answer told the partner, so that [`scan`] tells only what changed after.
pub async fn told(
    tx: &mut Tx,
    request_key: &str,
    outcome: &str,
    org_code: Option<&str>,
    member_no: Option<&str>,
    at: Timestamp,
) -> Result<()> {
    let Some((account, _)) = parse_key(request_key) else {
        return Ok(());
    };
    const SQL: &str = "INSERT INTO partner_outcomes (request_key, account_id, outcome, org_code, member_no, changed_at)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_key) DO NOTHING";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(request_key).bind(account).bind(outcome).bind(org_code).bind(member_no).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// How far back [`scan`] looks when it looks at recent changes only: longer than any
/// transaction runs, so a change committed late is still seen (a change seen twice is told once).
pub const RECENT_MS: i64 = 15 * 60 * 1000;

/// Finds partners' pushes whose outcome changed since the partner last heard, records the new
/// outcome and queues a notice for partners with a webhook: those changed since `since`
/// (`None`: all). Returns the notices queued.
pub async fn scan(store: &Store, since: Option<Timestamp>, now: Timestamp) -> Result<usize> {
    type Row = (
        String,
        String,
        bool,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<Uuid>,
    );
    let mut sql = format!(
        "SELECT m.request_key, m.status, m.transfer_from_id IS NOT NULL, o.code, m.member_no,
            po.outcome, po.org_code, po.member_no, w.account_id
        FROM memberships m JOIN org_units o ON o.id = m.org_id
        LEFT JOIN partner_outcomes po ON po.request_key = m.request_key
        LEFT JOIN partner_webhooks w ON w.account_id = po.account_id
        WHERE {KEYS}"
    );
    if since.is_some() {
        sql.push_str(" AND m.updated_at >= $1");
    }
    let mut tx = store.write().await?;
    let rows: Vec<Row> = match since {
        Some(s) => on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(s).fetch_all(c).await)?,
        None => on_db!(tx.conn(), c => sqlx::query_as(&sql).fetch_all(c).await)?,
    };
    let mut queued = 0;
    for (key, status, transfer, org, member_no, heard, heard_org, heard_no, webhook) in rows {
        let outcome = outcome_of(&status, transfer);
        let Some((account, reference)) = parse_key(&key) else {
            continue;
        };
        let Some(previous) = heard else {
            // A push from before webhooks: what it is now is its starting point.
            told(
                &mut tx,
                &key,
                outcome,
                Some(&org),
                member_no.as_deref(),
                now,
            )
            .await?;
            continue;
        };
        if previous == outcome
            && heard_org.as_deref() == Some(org.as_str())
            && heard_no == member_no
        {
            continue;
        }
        const UPDATE: &str = "UPDATE partner_outcomes SET outcome = $2, org_code = $3, member_no = $4, changed_at = $5
            WHERE request_key = $1";
        on_db!(tx.conn(), c => sqlx::query(UPDATE).bind(&key).bind(outcome).bind(&org).bind(&member_no).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if webhook.is_none() {
            continue;
        }
        let payload = serde_json::json!({
            "event": "push.outcome_changed",
            "ref": reference,
            "outcome": outcome,
            "previous": previous,
            "org_code": org,
            "member_no": member_no,
            "at": now,
        });
        const QUEUE: &str = "INSERT INTO webhook_deliveries (id, account_id, request_key, payload, created_at, next_at)
            VALUES ($1, $2, $3, $4, $5, $5)";
        on_db!(tx.conn(), c => sqlx::query(QUEUE).bind(new_id()).bind(account).bind(&key).bind(payload.to_string()).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}

/// The signature of a body sent at `timestamp`: hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn signature(secret: &str, timestamp: Timestamp, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether an address is one a partner's webhook must not reach from the server (loopback,
/// private networks, link-local): a hostile partner could otherwise probe the server's own
/// network. Tests and single-machine setups allow them (`allow_private`).
fn private(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| private(v4.into()))
        }
    }
}

/// POSTs one body; `Err` holds what to record as the attempt's error.
fn post(
    url: &str,
    secret: &str,
    delivery: Uuid,
    at: Timestamp,
    body: &str,
    allow_private: bool,
) -> std::result::Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
    if !allow_private {
        let addrs = parsed
            .socket_addrs(|| None)
            .map_err(|e| format!("cannot resolve: {e}"))?;
        if addrs.iter().any(|a| private(a.ip())) {
            return Err("refused: the address is in a private network".into());
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let answer = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Nuanxin-Delivery", &delivery.to_string())
        .header("X-Nuanxin-Timestamp", &at.to_string())
        .header(
            "X-Nuanxin-Signature",
            &format!("sha256={}", signature(secret, at, body)),
        )
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = answer.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}

/// Sends the deliveries that are due (at most a batch), each recorded delivered, or failed for
/// now with its next attempt, or failed for good after the last. Returns those delivered.
pub async fn deliver_due(store: &Store, now: Timestamp, allow_private: bool) -> Result<usize> {
    const DUE: &str =
        "SELECT d.id, d.attempts, d.payload, w.url, w.secret FROM webhook_deliveries d
        JOIN partner_webhooks w ON w.account_id = d.account_id
        WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_at <= $1
        ORDER BY d.next_at, d.id LIMIT $2";
    let due: Vec<(Uuid, i64, String, String, String)> = crate::in_read(store, async |tx| {
        Ok(on_db!(tx.conn(), c => sqlx::query_as(DUE).bind(now).bind(SEND_BATCH).fetch_all(c).await)?)
    })
    .await?;
    let mut delivered = 0;
    for (id, attempts, payload, url, secret) in due {
        let sent = tokio::task::spawn_blocking(move || {
            post(&url, &secret, id, now, &payload, allow_private)
        })
        .await
        .unwrap_or_else(|e| Err(format!("sender stopped: {e}")));
        let attempts = attempts + 1;
        let mut tx = store.write().await?;
        match sent {
            Ok(()) => {
                delivered += 1;
                const DONE: &str = "UPDATE webhook_deliveries SET delivered_at = $2, attempts = $3, last_error = NULL WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(DONE).bind(id).bind(now).bind(attempts).execute(c).await.map(|r| r.rows_affected()))?;
            }
            Err(error) => {
                let pause = usize::try_from(attempts - 1)
                    .ok()
                    .and_then(|i| BACKOFF_MIN.get(i));
                let (next_at, failed_at) = match pause {
                    Some(min) => (now + min * 60_000, None),
                    None => (now, Some(now)),
                };
                const FAILED: &str = "UPDATE webhook_deliveries SET attempts = $2, next_at = $3, failed_at = $4, last_error = $5 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(FAILED).bind(id).bind(attempts).bind(next_at).bind(failed_at)
                    .bind(error.chars().take(300).collect::<String>()).execute(c).await.map(|r| r.rows_affected()))?;
            }
        }
        tx.commit().await?;
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_key_names_the_partner_and_its_reference() {
        let a = Uuid::from_u128(7);
        assert_eq!(parse_key(&format!("partner:{a}:A-1:x")), Some((a, "A-1:x")));
        assert_eq!(parse_key(&format!("partner:{}:A", Uuid::nil())), None);
        assert_eq!(parse_key("join_page:abc"), None);
    }

    #[test]
    fn private_networks_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.9",
            "172.16.5.5",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["203.0.113.9", "8.8.8.8", "2001:db8::1"] {
            assert!(!private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_signature_covers_time_and_body() {
        let s = signature("k", 1, "{}");
        assert_eq!(s.len(), 64);
        assert_ne!(s, signature("k", 2, "{}"));
        assert_ne!(s, signature("k", 1, "{ }"));
        assert_ne!(s, signature("j", 1, "{}"));
    }
}
