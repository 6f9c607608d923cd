//! Rider-friendly neighbourhoods: a township assesses its communities against the checklist (the
//! level follows from it; a re-assessment replaces the first), a sibling cannot assess them, and
//! workers see the certified ones near them on the nearby page, nearest first.

use nuanxin_testkit::both_backends;
use serde_json::json;

both_backends! {
    async fn certified_neighbourhoods_show_on_the_workers_nearby_page(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/friendly-places", json!({"org_code": "F371502001", "region_code": "3715",
            "lat": "116", "lng": "36.4", "assessed_on": "2030-01-01"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["region_code", "lat", "assessed_on"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let assess = |code: &str, lat: &str, checks: &[&str]| {
            let mut body = json!({"org_code": "F371502001", "region_code": code, "lat": lat, "lng": "115.9822"});
            for c in checks {
                body[*c] = json!("1");
            }
            body
        };
        let r = gulou.post_json("/api/v1/friendly-places", assess("371502001001", "36.4558", &["parking", "access", "rest_points", "charging", "toilets"])).await;
        assert_eq!((r.status.as_u16(), r.json()["level"].as_str(), r.json()["name"].as_str()), (200, Some("model"), Some("古城社区居委会")), "{}", r.text());
        let r = gulou.post_json("/api/v1/friendly-places", assess("371502001002", "36.4600", &["parking", "toilets"])).await;
        assert_eq!(r.json()["level"], "none");
        // Re-assessed with a third check: certified, one row still.
        let r = gulou.post_json("/api/v1/friendly-places", assess("371502001002", "36.4600", &["parking", "toilets", "charging"])).await;
        assert_eq!(r.json()["level"], "basic");
        assert_eq!(app.count("SELECT COUNT(*) FROM friendly_places").await, 2);
        let r = app.demo_user("liuyuan").await.post_json("/api/v1/friendly-places",
            json!({"org_code": "F371502002", "region_code": "371502001003", "lat": "36.45", "lng": "115.98"})).await;
        assert_eq!(r.json()["errors"][0]["code"], "grid.outside_region", "{}", r.text());
        let list = gulou.get("/api/v1/friendly-places").await.json();
        assert_eq!(list["items"][0]["level"], "model", "the highest level first");
        // A worker near 古城社区 sees both, nearest first, with what each offers.
        let page = app.anonymous().get("/stations/nearby?lat=36.4560&lng=115.9822").await.text();
        let (first, second) = (page.find("古城社区居委会").expect("the model place"), page.find("湖南社区居委会").expect("the basic one"));
        assert!(first < second, "nearest first");
        assert!(page.contains("示范") && page.contains("厕所开放"));
        let far = app.anonymous().get("/stations/nearby?lat=36.60&lng=116.20").await.text();
        assert!(!far.contains("古城社区居委会"), "not within 3 km");
        assert!(app.anonymous().get("/stations/nearby?region=371502001").await.text().contains("湖南社区居委会"));
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'friendly.assess'").await, 3);
    }
}
