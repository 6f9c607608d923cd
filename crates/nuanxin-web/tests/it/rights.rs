//! Rights where a record is kept, not only where it goes: census changes need staff at the
//! enterprise's owner, a source chosen in the merge view cannot move an enterprise out of the
//! cadre's scope, a target handed down is changed only from above, and an account's page shows
//! only the posts inside the viewer's scope.

use nuanxin_testkit::{both_backends, Client};
use serde_json::json;

/// An enterprise recorded by the county (owner: the county federation unless a township's).
async fn enterprise(county: &mut Client, uscc17: &str, region: &str, source: &str) -> String {
    let uscc = nuanxin_core::census::Uscc::with_check(uscc17)
        .unwrap()
        .as_str()
        .to_string();
    let r = county
        .post_json(
            "/api/v1/enterprises",
            json!({"uscc": uscc, "name": "聊城某配送有限公司", "industry": "food_delivery", "staff": "30",
                   "new_form_workers": "20", "region_code": region, "source": source}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    uscc
}

both_backends! {
    async fn census_changes_need_staff_where_the_enterprise_is_kept(app: TestApp) {
        app.load_demo().await;
        let mut city = app.demo_user("liaocheng").await;
        let mut county = app.demo_user("dongchangfu").await;
        let uscc = enterprise(&mut county, "91371500MA3C00010", "371502", "survey").await;
        // Viewer at the county, staff at one township's joint union.
        city.post_json("/api/v1/accounts", json!({"username": "mixed-posts", "password": "pass-word-1", "org_code": "F371502", "role": "viewer"})).await;
        let r = city.post_json("/api/v1/accounts/mixed-posts/assignments", json!({"org_code": "JU371502001", "role": "staff"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut mixed = app.login("mixed-posts", "pass-word-1").await;
        assert_eq!(mixed.get(&format!("/api/v1/enterprises/{uscc}")).await.status, 200, "the viewer sees it");
        let r = mixed.post_json(&format!("/api/v1/enterprises/{uscc}/unionise"), json!({"how": "existing", "union_code": "JU371502001"})).await;
        assert_eq!(r.status, 403, "staff at the union is not staff where the record is kept: {}", r.text());
        let e = county.get(&format!("/api/v1/enterprises/{uscc}")).await.json();
        assert_eq!(e["union_status"], "none", "{e}");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'census.unionise'").await, 0);
    }

    async fn the_merge_view_cannot_move_an_enterprise_out_of_scope(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let uscc = enterprise(&mut county, "91371500MA3C00020", "371502001", "survey").await;
        // A second source puts it in the sibling township: the record is disputed.
        enterprise(&mut county, "91371500MA3C00020", "371502002", "market_regulation").await;
        let mut gulou = app.demo_user("gulou").await;
        let sources = gulou.get(&format!("/api/v1/enterprises/{uscc}/sources")).await;
        assert_eq!(sources.status, 200, "{}", sources.text());
        let page = gulou.get(&format!("/census/{uscc}")).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let r = gulou.post_form(&format!("/census/{uscc}/resolve"), &[("source", "market_regulation")], true).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(gulou.get(&format!("/api/v1/enterprises/{uscc}")).await.status, 200, "still Gulou's");
        // The county, whose scope holds both townships, may choose it.
        let r = county.post_form(&format!("/census/{uscc}/resolve"), &[("source", "market_regulation")], true).await;
        assert!(r.status.is_redirection() || r.status.is_success(), "{}", r.text());
        assert_eq!(gulou.get(&format!("/api/v1/enterprises/{uscc}")).await.status, 404, "now Liuyuan's");
    }

    async fn a_target_handed_down_is_changed_only_from_above(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let target = |org: &str, value: f64| json!({"org_code": org, "metric": "new_members", "period_start": "2027-01-01", "period_end": "2027-12-31", "value": value});
        let r = county.post_json("/api/v1/targets", target("F371502", 100.0)).await;
        assert!(r.status.is_success(), "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = county.post_json(&format!("/api/v1/targets/{id}/split"), json!([{"org_code": "F371502001", "value": 60.0}, {"org_code": "F371502002", "value": 40.0}])).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/targets", target("F371502001", 1.0)).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("targets.assigned_from_above")), "{}", r.text());
        let values = "SELECT CAST(SUM(value) AS BIGINT) FROM targets t JOIN org_units o ON o.id = t.org_id WHERE o.code = 'F371502001'";
        assert_eq!(app.count(values).await, 60);
        // The county changes it; a target of the township's own (another period) is its own.
        let r = county.post_json("/api/v1/targets", target("F371502001", 70.0)).await;
        assert!(r.status.is_success(), "{}", r.text());
        assert_eq!(app.count(values).await, 70);
        let own = json!({"org_code": "F371502001", "metric": "new_members", "period_start": "2027-01-01", "period_end": "2027-06-30", "value": 5.0});
        assert!(gulou.post_json("/api/v1/targets", own.clone()).await.status.is_success());
        let mut own = own;
        own["value"] = json!(6.0);
        assert!(gulou.post_json("/api/v1/targets", own).await.status.is_success(), "its own target it may change");
    }

    async fn an_accounts_page_shows_only_the_posts_inside_the_viewers_scope(app: TestApp) {
        app.load_demo().await;
        let mut city = app.demo_user("liaocheng").await;
        city.post_json("/api/v1/accounts", json!({"username": "two-posts", "password": "pass-word-1", "org_code": "F371502001", "role": "staff"})).await;
        let r = city.post_json("/api/v1/accounts/two-posts/assignments", json!({"org_code": "F371502002", "role": "staff"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut gulou = app.demo_user("gulou").await;
        let page = gulou.get("/accounts/two-posts").await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains("F371502001") && !page.text().contains("F371502002") && !page.text().contains("柳园"), "{}", page.text());
        assert!(city.get("/accounts/two-posts").await.text().contains("F371502002"), "the city sees both");
    }
}
