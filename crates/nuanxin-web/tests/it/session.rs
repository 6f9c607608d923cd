//! Signing in and out, lockout, rate limits, session timeouts, CSRF, language, health.

use nuanxin_core::accounts::{IDLE_TIMEOUT_MS, LOCKOUT_MS, MAX_FAILURES};
use nuanxin_testkit::both_backends;
use serde_json::json;

both_backends! {
    async fn wrong_passwords_lock_the_account_for_a_while(app: TestApp) {
        app.load_demo().await;
        let mut c = app.anonymous();
        let r = c.login("gulou", "wrong").await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (401, Some("accounts.bad_credentials")));
        assert_eq!(c.login("nobody", "wrong").await.json()["code"], "accounts.bad_credentials");
        for _ in 1..MAX_FAILURES {
            c.login("gulou", "wrong").await;
        }
        let r = c.login("gulou", nuanxin_core::demo::PASSWORD).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (401, Some("accounts.locked")), "locked even with the right password");
        app.clock.advance(LOCKOUT_MS + 1);
        assert_eq!(c.login("gulou", nuanxin_core::demo::PASSWORD).await.status, 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'accounts.locked'").await, 1);
    }

    async fn too_many_attempts_from_one_address_are_refused(app: TestApp) {
        app.load_demo().await;
        let mut c = app.anonymous();
        let mut statuses = Vec::new();
        for i in 0..32 {
            statuses.push(c.login(&format!("nobody{i}"), "x").await.status.as_u16());
        }
        assert!(statuses[..30].iter().all(|s| *s == 401));
        assert_eq!(&statuses[30..], &[429, 429]);
    }

    async fn sessions_time_out_and_end_at_logout(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        assert_eq!(c.get("/api/v1/session").await.json()["username"], "gulou");
        app.clock.advance(IDLE_TIMEOUT_MS - 1000);
        assert_eq!(c.get("/api/v1/session").await.status, 200, "activity keeps the session");
        app.clock.advance(IDLE_TIMEOUT_MS - 1000);
        assert_eq!(c.get("/api/v1/session").await.status, 200);
        app.clock.advance(IDLE_TIMEOUT_MS + 1);
        assert_eq!(c.get("/api/v1/session").await.status, 401, "idle timeout");
        let r = c.get("/orgs").await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/login?next=/orgs")));

        let mut d = app.demo_user("gulou").await;
        assert_eq!(d.delete("/api/v1/session").await.status, 204);
        assert_eq!(d.get("/api/v1/session").await.status, 401);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    }

    async fn writes_with_a_session_cookie_need_the_csrf_token(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        let fields = [("name", "改名"), ("type", "joint_union"), ("region_code", "371502001")];
        assert_eq!(c.post_form("/orgs/JU371502001/edit", &fields, false).await.status, 403, "form without token");
        let token = c.csrf.take();
        assert_eq!(c.patch_json("/api/v1/orgs/JU371502001", json!({"name": "x"})).await.status, 403, "JSON without header");
        c.csrf = Some("forged".into());
        assert_eq!(c.patch_json("/api/v1/orgs/JU371502001", json!({"name": "x"})).await.status, 403, "JSON with a wrong header");
        c.csrf = token;
        assert_eq!(c.post_form("/orgs/JU371502001/edit", &fields, true).await.status, 303);
        assert_eq!(c.get("/api/v1/orgs/JU371502001").await.json()["name"], "改名");
        // Bearer tokens carry no cookie and need no CSRF token.
        let mut admin = app.demo_user("liaocheng").await;
        let token = admin.post_json("/api/v1/tokens", json!({"username": "gulou", "name": "窗口"})).await.json()["token"].as_str().unwrap().to_string();
        let mut partner = app.anonymous().with_bearer(&token);
        assert_eq!(partner.patch_json("/api/v1/orgs/JU371502001", json!({"name": "再改名"})).await.status, 200);
        let audit = admin.get("/api/v1/audit?q=orgs.update").await.json();
        assert_eq!(audit["items"][0]["actor"], "gulou:窗口");
    }

    async fn login_page_language_switch_health_and_openapi(app: TestApp) {
        app.load_demo().await;
        let mut c = app.anonymous();
        assert_eq!(c.get("/healthz").await.status, 200);
        let login = c.get("/login").await.text();
        assert!(login.contains("<html lang=\"zh-CN\">") && login.contains("登录"));
        let r = c.get("/lang/en?next=/login").await;
        assert_eq!(r.location(), Some("/login"));
        assert!(r.headers.get("set-cookie").unwrap().to_str().unwrap().starts_with("nx_lang=en"));
        assert_eq!(c.get("/lang/en?next=//evil.example").await.location(), Some("/"), "no open redirect");
        c.lang = Some("en".into());
        assert!(c.get("/login").await.text().contains("Sign in"));
        let r = c.post_form("/login", &[("username", "gulou"), ("password", nuanxin_core::demo::PASSWORD), ("next", "/orgs?q=x")], false).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/orgs?q=x")));
        assert!(c.session.is_some());
        let home = c.get("/").await;
        assert_eq!(home.location(), Some("/dashboard"));

        let spec = c.get("/api/openapi.json").await.json();
        let paths = spec["paths"].as_object().unwrap();
        for p in ["/api/v1/session", "/api/v1/orgs", "/api/v1/orgs/{code}", "/api/v1/orgs/{code}/children", "/api/v1/orgs/{code}/move",
                  "/api/v1/orgs/{code}/dissolve", "/api/v1/orgs/import", "/api/v1/regions/{code}/children", "/api/v1/accounts", "/api/v1/audit", "/api/v1/tokens"] {
            assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
        }
        let mut anonymous = app.anonymous();
        assert_eq!(anonymous.get("/api/v1/orgs").await.status, 401);
        assert_eq!(anonymous.get("/api/v1/orgs").await.json()["code"], "accounts.sign_in_required");
    }

    async fn regions_api_and_picker(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        let r = c.get("/api/v1/regions/371502000000").await.json();
        assert_eq!((r["code"].as_str(), r["name"].as_str(), r["parent_code"].as_str()), (Some("371502"), Some("东昌府区"), Some("3715")));
        let kids = c.get("/api/v1/regions/371502/children").await.json();
        assert_eq!(kids.as_array().unwrap().len(), 24);
        assert_eq!(c.get("/api/v1/regions/123").await.status, 422);
        assert_eq!(c.get("/api/v1/regions/999999").await.status, 404);
        let villages = c.get("/api/v1/regions/371502001/children").await.json();
        assert!(villages.as_array().unwrap().len() > 2);
        let picker = c.get("/regions/picker?pick=371502001&picker_root=3715").await.text();
        assert!(picker.contains("value=\"371502001\" selected") && picker.contains("古楼街道"), "{picker}");
        assert_eq!(app.count("SELECT COUNT(*) FROM regions WHERE level <= 4").await, 44699);
    }
}
