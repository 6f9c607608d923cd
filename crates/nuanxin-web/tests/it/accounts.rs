//! Accounts: creating cadres, granting posts within one's own scope, the audit trail.

use nuanxin_testkit::both_backends;
use serde_json::json;

both_backends! {
    async fn admins_create_accounts_only_inside_their_scope(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.post_json("/api/v1/accounts", json!({"username": "xq.staff", "display_name": "新区街道 干事", "password": "pass-word-1", "org_code": "F371502003", "role": "staff"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["display_name"], "新区街道 干事");
        let bad = [
            (json!({"username": "ab", "password": "pass-word-1", "org_code": "F371502003", "role": "staff"}), "username", "accounts.bad_username"),
            (json!({"username": "abc", "password": "short", "org_code": "F371502003", "role": "staff"}), "password", "accounts.password_too_short"),
            (json!({"username": "abc", "password": "pass-word-1", "org_code": "F371502003", "role": "boss"}), "role", "accounts.bad_role"),
            (json!({"username": "xq.staff", "password": "pass-word-1", "org_code": "F371502003", "role": "staff"}), "username", "accounts.username_taken"),
            (json!({"username": "abc", "password": "pass-word-1", "org_code": "F371503", "role": "staff"}), "org_code", "orgs.unknown_parent"),
        ];
        for (body, field, code) in bad {
            let e = county.post_json("/api/v1/accounts", body.clone()).await.json();
            assert_eq!((e["field"].as_str(), e["code"].as_str()), (Some(field), Some(code)), "{body}");
        }
        // The new cadre sees their township only.
        let mut staff = app.login("xq.staff", "pass-word-1").await;
        assert_eq!(staff.get("/api/v1/orgs/F371502003").await.status, 200);
        assert_eq!(staff.get("/api/v1/orgs/F371502004").await.status, 404);
        // Granting a second post widens the scope (兼任): the union of both subtrees.
        assert_eq!(county.post_json("/api/v1/accounts/xq.staff/assignments", json!({"org_code": "F371502004", "role": "viewer"})).await.status, 204);
        assert_eq!(staff.get("/api/v1/orgs/F371502004").await.status, 200);
        assert_eq!(staff.patch_json("/api/v1/orgs/JU371502004", json!({"name": "x"})).await.status, 403, "viewer there");
        assert_eq!(county.delete("/api/v1/accounts/xq.staff/assignments/F371502004").await.status, 204);
        assert_eq!(staff.get("/api/v1/orgs/F371502004").await.status, 404);
        // A township admin cannot grant at the county.
        let mut township = app.demo_user("gulou").await;
        assert_eq!(township.post_json("/api/v1/accounts/xq.staff/assignments", json!({"org_code": "F371502", "role": "viewer"})).await.status, 404);
        let audit = county.get("/api/v1/audit?q=accounts.").await.json();
        let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.starts_with(&["accounts.revoke", "accounts.grant", "accounts.create"]), "{actions:?}");
    }

    async fn account_pages_create_and_show_tokens_once(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        let r = c.post_form("/accounts/new", &[("username", "gl-viewer"), ("display_name", "观察员"), ("password", "pass-word-1"), ("org_code", "F371502001"), ("role", "viewer")], true).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/accounts/gl-viewer")));
        let r = c.post_form("/accounts/new", &[("username", "gl-viewer"), ("password", "pass-word-1"), ("org_code", "F371502001"), ("role", "viewer")], true).await;
        assert_eq!(r.status, 422);
        assert!(r.text().contains("这个用户名已被使用。"));
        let r = c.post_form("/accounts/gl-viewer/tokens", &[("name", "交通运输局窗口")], true).await;
        assert_eq!(r.status, 200);
        let page = r.text();
        let token = page.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        assert!(token.starts_with("nx_"));
        assert!(!c.get("/accounts/gl-viewer").await.text().contains(&token), "shown once");
        assert_eq!(app.anonymous().with_bearer(&token).get("/api/v1/orgs/F371502001").await.status, 200);
        let list = c.get("/accounts?q=gl-").await.text();
        assert!(list.contains("gl-viewer") && !list.contains("liuyuan"));
    }
}
