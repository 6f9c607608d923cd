//! Targets: set, split among the children (shares must add up), progress from live data (here
//! stations and services), siblings ranked, status by the elapsed part of the period, scoped.

use nuanxin_testkit::both_backends;
use serde_json::json;

fn station(name: &str, org: &str, lat: f64) -> serde_json::Value {
    json!({"name": name, "type": "union_station", "lat": lat.to_string(), "lng": "115.98",
        "address": "某路", "org_code": org})
}

both_backends! {
    async fn station_targets_cascade_and_progress_follows_live_data(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let r = county
            .post_json("/api/v1/targets", json!({"org_code": "F371502", "metric": "stations",
                "period_start": "2026-01-01", "period_end": "2026-12-31", "value": 4}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        // Shares that do not add up are refused, naming why; nothing is split.
        let r = county
            .post_json(&format!("/api/v1/targets/{id}/split"),
                json!([{"org_code": "F371502001", "value": 2}, {"org_code": "F371502002", "value": 1}]))
            .await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["code"], "targets.shares_must_add_up");
        assert_eq!(app.count("SELECT COUNT(*) FROM targets").await, 1);
        let r = county
            .post_json(&format!("/api/v1/targets/{id}/split"),
                json!([{"org_code": "F371502001", "value": 2}, {"org_code": "F371502002", "value": 2}]))
            .await;
        assert_eq!(r.status, 204, "{}", r.text());
        // A target that ended unmet is overdue.
        let r = county
            .post_json("/api/v1/targets", json!({"org_code": "F371502", "metric": "services",
                "period_start": "2026-01-01", "period_end": "2026-06-30", "value": 100}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());

        // Live data: two stations in 古楼街道, one in 柳园街道, people served at one of them.
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        for (name, lat) in [("甲", 36.45), ("乙", 36.46)] {
            let r = gulou.post_json("/api/v1/stations", station(name, "F371502001", lat)).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let r = liuyuan.post_json("/api/v1/stations", station("丙", "F371502002", 36.47)).await;
        assert_eq!(r.status, 200, "{}", r.text());

        let r = county.get("/api/v1/targets?org=F371502").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let list = r.json();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["metric"], "services", "overdue first");
        assert_eq!(list[0]["status"], "overdue");
        let t = &list[1];
        assert_eq!((t["value"].as_f64(), t["actual"].as_f64()), (Some(4.0), Some(3.0)));
        // 326 of 365 days gone (89 %): 75 % is within 15 points, on track.
        assert_eq!(t["status"], "on_track");
        let kids = t["children"].as_array().unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!((kids[0]["org_code"].as_str(), kids[0]["rank"].as_u64(), kids[0]["status"].as_str()), (Some("F371502001"), Some(1), Some("done")));
        assert_eq!((kids[1]["org_code"].as_str(), kids[1]["rank"].as_u64(), kids[1]["status"].as_str()), (Some("F371502002"), Some(2), Some("at_risk")));
        assert_eq!(kids[1]["progress"], 0.5);
        // The township cadre sees its own share, not the county's target.
        assert_eq!(gulou.get("/api/v1/targets?org=F371502").await.status, 404);
        let own = gulou.get("/api/v1/targets?org=F371502001").await.json();
        assert_eq!((own[0]["value"].as_f64(), own[0]["actual"].as_f64()), (Some(2.0), Some(2.0)));
        // The coverage report counts the same stations.
        let cov = county.get("/api/v1/coverage?org=F371502").await.json();
        assert_eq!(cov["stations_open"], 3);
        assert_eq!(cov["stations_by_type"]["union_station"], 3);
    }
}
