//! The scope matrix: for every endpoint and every role at two sibling townships, no read or write
//! crosses the subtree boundary. Outside the scope everything answers 404, as if it did not exist.

use nuanxin_testkit::{both_backends, Client, TestApp};
use serde_json::json;

/// A fingerprint of everything a write could change.
async fn state(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM org_units").await,
        app.count("SELECT COUNT(*) FROM org_units WHERE status = 'active'")
            .await,
        app.count("SELECT COUNT(*) FROM assignments").await,
        app.count("SELECT COUNT(*) FROM api_tokens").await,
    )
}

async fn paths(app: &TestApp) -> Vec<(String, String)> {
    let mut tx = app.store.read().await.unwrap();
    nuanxin_core::on_db!(tx.conn(), c => sqlx::query_as::<_, (String, String)>("SELECT path, name FROM org_units ORDER BY path").fetch_all(c).await).unwrap()
}

/// Every way to reach liuyuan's township (F371502002) from gulou's (F371502001).
async fn assert_cannot_cross(app: &TestApp, c: &mut Client, who: &str) {
    let before = (state(app).await, paths(app).await);
    let sibling = "F371502002";
    let sibling_child = "JU371502002";
    for path in [
        format!("/api/v1/orgs/{sibling}"),
        format!("/api/v1/orgs/{sibling}/children"),
        format!("/api/v1/orgs/{sibling}/history"),
        format!("/api/v1/orgs/{sibling_child}"),
        format!("/api/v1/orgs?under={sibling}"),
        "/api/v1/orgs/F371502".to_string(),
        "/api/v1/orgs/F3715".to_string(),
    ] {
        let r = c.get(&path).await;
        assert_eq!(r.status, 404, "{who} GET {path}: {}", r.text());
    }
    let list = c
        .get(&format!("/api/v1/orgs?q={sibling}&status=all&per_page=200"))
        .await
        .json();
    assert_eq!(list["total"], 0, "{who} searched the sibling: {list}");
    let everything = c.get("/api/v1/orgs?status=all&per_page=200").await.json();
    for o in everything["items"].as_array().unwrap() {
        assert!(
            o["path"]
                .as_str()
                .unwrap()
                .starts_with("/F3715/F371502/F371502001/"),
            "{who} sees {o}"
        );
    }
    let writes = [
        (
            "PATCH",
            format!("/api/v1/orgs/{sibling}"),
            json!({"name": "改名"}),
        ),
        (
            "PATCH",
            format!("/api/v1/orgs/{sibling_child}"),
            json!({"name": "改名"}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{sibling_child}/move"),
            json!({"parent_code": "F371502001"}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{sibling_child}/dissolve"),
            json!({}),
        ),
        (
            "POST",
            "/api/v1/accounts/liuyuan/assignments".to_string(),
            json!({"org_code": "F371502001", "role": "viewer"}),
        ),
        (
            "POST",
            "/api/v1/tokens".to_string(),
            json!({"username": "liuyuan", "name": "x"}),
        ),
    ];
    for (method, path, body) in writes {
        let r = if method == "PATCH" {
            c.patch_json(&path, body).await
        } else {
            c.post_json(&path, body).await
        };
        assert_eq!(r.status, 404, "{who} {method} {path}: {}", r.text());
    }
    let r = c
        .delete("/api/v1/accounts/liuyuan/assignments/F371502002")
        .await;
    assert_eq!(r.status, 404, "{who} revokes the sibling's post");
    // Writes that name the sibling as the new parent or the place of a new unit.
    let r = c
        .post_json(
            "/api/v1/orgs/JU371502001/move",
            json!({"parent_code": sibling}),
        )
        .await;
    assert!(
        matches!(r.status.as_u16(), 403 | 422),
        "{who} moves into the sibling: {}",
        r.text()
    );
    let r = c.post_json("/api/v1/orgs", json!({"code": "X1", "name": "x", "type": "joint_union", "parent_code": sibling, "region_code": "371502002"})).await;
    assert!(
        matches!(r.status.as_u16(), 403 | 422),
        "{who} creates under the sibling: {}",
        r.text()
    );
    let csv = format!(
        "工会编码,工会名称,上级工会编码,组织类型,区划代码\nX2,x,{sibling},联合工会,371502002\n"
    );
    let r = c.post_bytes("/api/v1/orgs/import", csv.into_bytes()).await;
    if r.status == 200 {
        assert_eq!(r.json()["imported"], 0, "{who} imports under the sibling");
    } else {
        assert_eq!(r.status, 403, "{who} imports: {}", r.text());
    }
    // The audit log and the accounts list show nothing of the sibling.
    let audit = c.get("/api/v1/audit?per_page=200").await.json();
    for e in audit["items"].as_array().unwrap() {
        assert!(
            !e["subject"].as_str().unwrap().contains("F371502002"),
            "{who} reads the sibling's audit: {e}"
        );
    }
    let accounts = c.get("/api/v1/accounts?per_page=200").await.json();
    for a in accounts["items"].as_array().unwrap() {
        assert_ne!(a["username"], "liuyuan", "{who} lists the sibling's cadre");
    }
    assert_eq!(
        (state(app).await, paths(app).await),
        before,
        "{who} changed something outside the scope"
    );
}

async fn assert_pages_cannot_cross(c: &mut Client, who: &str) {
    for path in [
        "/orgs/F371502002",
        "/orgs/F371502002/edit",
        "/orgs/F371502002/move",
        "/orgs/F371502002/dissolve",
        "/orgs?under=F371502002",
        "/accounts/liuyuan",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 404, "{who} GET {path}");
        assert!(r.text().contains("404"), "{who} {path} shows an error page");
    }
    for path in [
        "/orgs/F371502002/edit",
        "/orgs/JU371502002/dissolve",
        "/orgs/JU371502002/move",
    ] {
        let r = c
            .post_form(
                path,
                &[
                    ("name", "x"),
                    ("type", "joint_union"),
                    ("region_code", "371502002"),
                    ("parent_code", "F371502001"),
                ],
                true,
            )
            .await;
        assert_eq!(r.status, 404, "{who} POST {path}");
    }
    let csv = c.get("/orgs/export.csv?status=all").await.text();
    assert!(
        !csv.contains("F371502002") && csv.contains("F371502001"),
        "{who} exports the sibling"
    );
}

both_backends! {
    async fn no_role_at_one_township_reaches_its_sibling(app: TestApp) {
        app.load_demo().await;
        let mut city = app.demo_user("liaocheng").await;
        for role in ["admin", "staff", "viewer"] {
            let username = format!("gulou_{role}");
            let r = city.post_json("/api/v1/accounts", json!({"username": username, "password": "pass-word-1", "org_code": "F371502001", "role": role})).await;
            assert_eq!(r.status, 201, "{}", r.text());
        }
        for role in ["admin", "staff", "viewer"] {
            let who = format!("gulou_{role}");
            let mut c = app.login(&who, "pass-word-1").await;
            assert_cannot_cross(&app, &mut c, &who).await;
            assert_pages_cannot_cross(&mut c, &who).await;
            // The same account through an API token.
            let token = city.post_json("/api/v1/tokens", json!({"username": who, "name": "partner"})).await.json()["token"].as_str().unwrap().to_string();
            let mut t = app.anonymous().with_bearer(&token);
            assert_eq!(t.get("/api/v1/orgs/F371502001").await.status, 200);
            assert_cannot_cross(&app, &mut t, &format!("{who} (token)")).await;
        }
    }

    async fn roles_inside_the_scope_do_what_they_may(app: TestApp) {
        app.load_demo().await;
        let mut city = app.demo_user("liaocheng").await;
        for role in ["staff", "viewer"] {
            city.post_json("/api/v1/accounts", json!({"username": format!("g_{role}"), "password": "pass-word-1", "org_code": "F371502001", "role": role})).await;
        }
        let mut viewer = app.login("g_viewer", "pass-word-1").await;
        assert_eq!(viewer.get("/api/v1/orgs/JU371502001").await.status, 200);
        assert_eq!(viewer.patch_json("/api/v1/orgs/JU371502001", json!({"name": "x"})).await.status, 403);
        assert_eq!(viewer.post_json("/api/v1/orgs", json!({"code": "V1", "name": "x", "type": "joint_union", "parent_code": "F371502001", "region_code": "371502001"})).await.status, 403);
        let mut staff = app.login("g_staff", "pass-word-1").await;
        assert_eq!(staff.patch_json("/api/v1/orgs/JU371502001", json!({"name": "古楼街道新业态联合工会"})).await.status, 200);
        assert_eq!(staff.post_json("/api/v1/orgs", json!({"code": "S1", "name": "x", "type": "joint_union", "parent_code": "F371502001", "region_code": "371502001"})).await.status, 201);
        assert_eq!(staff.post_json("/api/v1/orgs/S1/dissolve", json!({})).await.status, 403);
        assert_eq!(staff.post_json("/api/v1/orgs/S1/move", json!({"parent_code": "JU371502001"})).await.status, 403);
        assert_eq!(staff.post_json("/api/v1/accounts", json!({"username": "g_new", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await.status, 403);
        // A cadre with posts at two townships sees both and nothing between them.
        let mut multi = app.demo_user("baopian").await;
        assert_eq!(multi.get("/api/v1/orgs/F371502003").await.status, 200);
        assert_eq!(multi.get("/api/v1/orgs/F371502004").await.status, 200);
        assert_eq!(multi.get("/api/v1/orgs/F371502001").await.status, 404);
        assert_eq!(multi.get("/api/v1/orgs/F371502").await.status, 404);
        let all = multi.get("/api/v1/orgs?per_page=200").await.json();
        let direct = app.count("SELECT COUNT(*) FROM org_units WHERE status = 'active' AND (path LIKE '/F3715/F371502/F371502003/%' OR path LIKE '/F3715/F371502/F371502004/%')").await;
        assert_eq!(all["total"].as_i64().unwrap(), direct);
    }
}
