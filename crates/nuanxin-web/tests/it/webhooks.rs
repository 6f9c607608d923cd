//! Partner webhooks: a partner sets a URL and is told, by a signed POST, when the outcome of one
//! of its pushes changes; a notice stays queued until the partner's server answers 2xx, is
//! retried after a pause, and can be read back. Private addresses are refused unless allowed.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use nuanxin_core::members::webhooks;
use nuanxin_testkit::{both_backends, Client, TestApp, TEST_NOW};
use serde_json::json;
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A partner's server: records what it receives, answering 500 to the first `fail_first`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    fail_first: Arc<AtomicUsize>,
}

async fn start_receiver(fail_first: usize) -> (Receiver, String) {
    let r = Receiver::default();
    r.fail_first.store(fail_first, Ordering::SeqCst);
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                state.got.lock().unwrap().push((headers, body));
                let left = state.fail_first.load(Ordering::SeqCst);
                if left > 0 {
                    state.fail_first.store(left - 1, Ordering::SeqCst);
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (r, format!("http://{addr}/hook"))
}

async fn partner(app: &TestApp, cadre: &mut Client, name: &str) -> Client {
    let r = cadre.post_json("/api/v1/accounts", json!({"username": name, "password": "pass-word-1", "org_code": "F371502001", "role": "partner"})).await;
    assert!(r.status.is_success(), "{}", r.text());
    let t = cadre
        .post_json("/api/v1/tokens", json!({"username": name, "name": "push"}))
        .await;
    app.anonymous()
        .with_bearer(t.json()["token"].as_str().unwrap())
}

fn record(reference: &str, id: &str, phone: &str) -> serde_json::Value {
    json!({"ref": reference, "name": "赵骑手", "id_number": id, "phone": phone, "group": "外卖配送员",
        "work_region": "371502001", "consent": {"at": TEST_NOW - 1000, "by": "美团站点 王五", "method": "app_checkbox"}})
}

/// The membership id of a partner's push, by the member's phone.
async fn membership_of(cadre: &mut Client, phone: &str) -> String {
    let found = cadre
        .get(&format!("/api/v1/members?status=all&q={phone}"))
        .await
        .json();
    found["items"][0]["id"].as_str().unwrap().to_string()
}

both_backends! {
    async fn a_partner_is_told_by_webhook_when_an_outcome_changes(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut meituan = partner(&app, &mut gulou, "meituan-api").await;
        let mut other = partner(&app, &mut gulou, "window-api").await;
        let (receiver, url) = start_receiver(1).await;

        // Setting the webhook: a bad address is a named error; the secret is shown once.
        let r = meituan.put_json("/api/v1/webhook", json!({"url": "ftp://example.com/x"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["field"].clone()), (422, json!("url")));
        let r = meituan.put_json("/api/v1/webhook", json!({"url": url})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let secret = r.json()["secret"].as_str().unwrap().to_string();
        assert_eq!(secret.len(), 64);
        let read = meituan.get("/api/v1/webhook").await.json();
        assert_eq!(read["url"], url.as_str());
        assert!(read.get("secret").is_none(), "{read}");
        assert_eq!(other.get("/api/v1/webhook").await.status, 404);

        // A push answers at once; nothing changed since, so nothing is told.
        let r = meituan.post_json("/api/v1/members/push", json!({"records": [record("MT-1", "371502199001011234", "13906351001")]})).await;
        assert_eq!(r.json()["results"][0]["outcome"], "member", "{}", r.text());
        let now = app.clock.now();
        assert_eq!(webhooks::scan(&app.store, None, now).await.unwrap(), 0);

        // The member leaves: one notice, queued once however often the scan runs.
        let id = membership_of(&mut gulou, "13906351001").await;
        let r = gulou.post_json(&format!("/api/v1/members/{id}/leave"), json!({"reason": "不再从事配送"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let now = app.clock.now();
        assert_eq!(webhooks::scan(&app.store, Some(now - webhooks::RECENT_MS), now).await.unwrap(), 1);
        assert_eq!(webhooks::scan(&app.store, None, now).await.unwrap(), 0);

        // The partner's server fails the first attempt: the notice waits for its retry.
        assert_eq!(webhooks::deliver_due(&app.store, now, true).await.unwrap(), 0);
        let list = meituan.get("/api/v1/webhook/deliveries").await.json();
        assert_eq!(list["total"], 1);
        let d = &list["items"][0];
        assert_eq!((d["status"].as_str(), d["attempts"].as_i64(), d["last_error"].as_str()), (Some("pending"), Some(1), Some("HTTP 500")), "{d}");
        assert_eq!(d["next_at"].as_i64(), Some(now + 60_000));
        assert_eq!(webhooks::deliver_due(&app.store, now + 30_000, true).await.unwrap(), 0, "not due yet");
        assert_eq!(receiver.got.lock().unwrap().len(), 1);
        assert_eq!(webhooks::deliver_due(&app.store, now + 60_000, true).await.unwrap(), 1);
        let d = meituan.get("/api/v1/webhook/deliveries").await.json()["items"][0].clone();
        assert_eq!((d["status"].as_str(), d["attempts"].as_i64()), (Some("delivered"), Some(2)), "{d}");

        // What the partner received: signed over time and body, about its own reference.
        let (headers, body) = receiver.got.lock().unwrap().last().cloned().unwrap();
        let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((sent["ref"].as_str(), sent["outcome"].as_str(), sent["previous"].as_str()), (Some("MT-1"), Some("left"), Some("member")), "{sent}");
        assert_eq!(sent["org_code"], "JU371502001");
        let ts = headers["x-nuanxin-timestamp"].to_str().unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.{body}").as_bytes());
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(headers["x-nuanxin-signature"].to_str().unwrap(), format!("sha256={expected}"));
        // Nothing more is due; the other partner heard nothing and reads nothing.
        assert_eq!(webhooks::deliver_due(&app.store, now + 3_600_000, true).await.unwrap(), 0);
        assert_eq!(other.get("/api/v1/webhook/deliveries").await.json()["total"], 0);

        // A private address is refused unless the server allows it: the attempt fails, named.
        let r = meituan.post_json("/api/v1/members/push", json!({"records": [record("MT-2", &nuanxin_testkit::id_with_check("37150219910101123"), "13906351002")]})).await;
        assert_eq!(r.json()["results"][0]["outcome"], "member", "{}", r.text());
        let id = membership_of(&mut gulou, "13906351002").await;
        gulou.post_json(&format!("/api/v1/members/{id}/retain"), json!({"reason": "失业"})).await;
        let later = app.clock.now();
        assert_eq!(webhooks::scan(&app.store, None, later).await.unwrap(), 1);
        assert_eq!(webhooks::deliver_due(&app.store, later, false).await.unwrap(), 0);
        let d = meituan.get("/api/v1/webhook/deliveries").await.json()["items"][0].clone();
        assert!(d["last_error"].as_str().unwrap().contains("private network"), "{d}");
        assert_eq!(receiver.got.lock().unwrap().len(), 2, "nothing was sent");

        // Removing the webhook drops what is still queued, and is audited like setting it.
        assert_eq!(meituan.delete("/api/v1/webhook").await.status, 204);
        let d = meituan.get("/api/v1/webhook/deliveries").await.json()["items"][0].clone();
        assert_eq!(d["status"], "failed");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('webhooks.set', 'webhooks.remove')").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%secret%'").await, 0);
    }

    async fn only_accounts_that_push_have_a_webhook(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        gulou.post_json("/api/v1/accounts", json!({"username": "gl-view", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await;
        let mut viewer = app.login("gl-view", "pass-word-1").await;
        assert_eq!(viewer.put_json("/api/v1/webhook", json!({"url": "https://example.com/hook"})).await.status, 403);
        assert_eq!(viewer.get("/api/v1/webhook/deliveries").await.status, 403);
        assert_eq!(app.anonymous().get("/api/v1/webhook").await.status, 401);
    }
}
