//! Social organisations and service projects: a union registers the organisations of its area
//! (USCC starting 5, all problems at once), a sibling cannot see or take them over; a project is
//! posted, claimed by a registered organisation once, and its result recorded; the chairs'
//! allowance follows the bands of the nearest union that set them, and exports as a sheet.

use nuanxin_testkit::both_backends;
use serde_json::json;

fn uscc(body: &str) -> String {
    nuanxin_core::census::Uscc::with_check(body)
        .unwrap()
        .as_str()
        .to_string()
}

both_backends! {
    async fn organisations_claim_projects_and_chairs_are_paid_by_size(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/social-orgs", json!({"uscc": uscc("91371500MA3M00001"), "name": " ",
            "org_code": "F371502001", "union_status": "maybe", "union_members": "-3"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["uscc", "name", "union_status", "union_members"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let big = uscc("52371500MJD000001");
        let small = uscc("51371500MJD000002");
        for (code, name, members, key) in [(&big, "古楼社工服务中心", "230", "1"), (&small, "聊城骑手互助协会", "30", "")] {
            let r = gulou.post_json("/api/v1/social-orgs", json!({"uscc": code, "name": name, "org_code": "F371502001",
                "union_status": "unionised", "union_members": members, "key_contact": key, "contact_name": "王主任"})).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let list = gulou.get("/api/v1/social-orgs").await.json();
        assert_eq!((list["total"].as_i64(), list["items"][0]["name"].as_str(), list["items"][0]["kind"].as_str()),
            (Some(2), Some("古楼社工服务中心"), Some("private_non_enterprise")), "key contacts first: {list}");
        // A sibling neither sees it nor takes it over.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get("/api/v1/social-orgs").await.json()["total"], 0);
        let r = liuyuan.post_json("/api/v1/social-orgs", json!({"uscc": big, "name": "改名", "org_code": "F371502002",
            "union_status": "none"})).await;
        assert_eq!(r.status, 409, "{}", r.text());
        // The allowance: defaults, then the county's own bands, nearest union first.
        let a = gulou.get("/api/v1/social-orgs/allowances?org_code=F371502001").await.json();
        assert_eq!(a, json!([{"uscc": big, "name": "古楼社工服务中心", "org_code": "F371502001", "union_members": 230, "monthly_fen": 50000}]));
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.post_form("/social-orgs/allowance", &[("org_code", "F371502"), ("bands", "50:150, 100:250, 300:400")], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(gulou.get("/api/v1/social-orgs/allowances?org_code=F371502001").await.json()[0]["monthly_fen"], 25000);
        let r = county.post_form("/social-orgs/allowance", &[("org_code", "F371502"), ("bands", "30:100")], true).await;
        assert_eq!(r.status, 422, "bands start at 50 members");
        let sheet = gulou.get("/social-orgs/allowance.xlsx?org_code=F371502001").await;
        assert_eq!(sheet.status, 200);
        assert!(sheet.body.starts_with(b"PK"), "an xlsx");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'social.allowance_export'").await, 1);

        // A project: posted, claimed once by a registered organisation, its result recorded.
        let r = gulou.post_json("/api/v1/projects", json!({"org_code": "F371502001", "title": "", "description": "",
            "budget": "0", "starts_on": "2027-01-01", "ends_on": "2026-12-01", "groups": ""})).await;
        assert_eq!(r.status, 422);
        assert_eq!(app.count("SELECT COUNT(*) FROM service_projects").await, 0);
        let r = gulou.post_json("/api/v1/projects", json!({"org_code": "F371502001", "title": "骑手心理疏导服务",
            "description": "每月两次驿站心理疏导", "budget": "50,000", "starts_on": "2026-12-01", "ends_on": "2027-05-31",
            "groups": "外卖配送员、快递员"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = gulou.post_json(&format!("/api/v1/projects/{id}/result"), json!({"result": "x", "served": "3"})).await;
        assert_eq!(r.status, 409, "not claimed yet");
        let r = gulou.post_json(&format!("/api/v1/projects/{id}/claim"), json!({"uscc": uscc("51371500MJD000099")})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("uscc")), "not registered");
        assert_eq!(liuyuan.post_json(&format!("/api/v1/projects/{id}/claim"), json!({"uscc": big})).await.status, 404);
        let r = gulou.post_form(&format!("/projects/{id}/claim"), &[("uscc", big.as_str())], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let r = gulou.post_json(&format!("/api/v1/projects/{id}/claim"), json!({"uscc": small})).await;
        assert_eq!(r.status, 409, "claimed once");
        let r = gulou.post_json(&format!("/api/v1/projects/{id}/result"), json!({"result": "服务骑手 120 人次", "served": "120"})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str(), r.json()["claimed_by"].as_str()), (200, Some("done"), Some("古楼社工服务中心")));
        let page = gulou.get(&format!("/projects/{id}")).await.text();
        assert!(page.contains("服务骑手 120 人次") && page.contains("已结项"));
        assert_eq!(liuyuan.get(&format!("/projects/{id}")).await.status, 404);
    }
}
