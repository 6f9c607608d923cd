//! Stations: recorded with clear errors, scoped to the cadre's subtree, found nearest first by
//! anyone (equal to a brute-force scan), kept in step with changes made by another process,
//! visits logged and counted, the 15-minute circle analysed.

use nuanxin_core::accounts::Caller;
use nuanxin_core::coverage;
use nuanxin_core::stations::{self, LatLng, StationDraft, StationInput};
use nuanxin_core::Store;
use nuanxin_testkit::{both_backends, Client};
use serde_json::{json, Value};
use std::time::Duration;

fn station(name: &str, org: &str, lat: f64, lng: f64) -> Value {
    json!({
        "name": name, "type": "骑手之家", "lat": lat.to_string(), "lng": lng.to_string(),
        "address": "东昌府区某路1号", "hours": "每天 8:00-20:00", "amenities": "饮水、充电",
        "keeper": "王芳", "phone": "0635-8123456", "org_code": org,
    })
}

async fn nearest(c: &mut Client, lat: f64, lng: f64, limit: usize) -> Vec<Value> {
    let r = c
        .get(&format!(
            "/api/v1/stations/nearest?lat={lat}&lng={lng}&mode=walk&limit={limit}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().unwrap().clone()
}

/// Waits for the server's index to reach `n` answers near a point (it follows the change log
/// every 400 ms); fails after 5 s.
async fn wait_for(c: &mut Client, lat: f64, lng: f64, n: usize) -> Vec<Value> {
    for _ in 0..50 {
        let items = nearest(c, lat, lng, 50).await;
        if items.len() == n {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the index did not reach {n} stations");
}

both_backends! {
    async fn stations_are_validated_scoped_and_found_nearest_first(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let mut anyone = app.anonymous();

        // Clear errors naming the field, nothing written.
        let mut bad = station("坏坐标", "F371502001", 115.98, 36.45);
        let r = gulou.post_json("/api/v1/stations", bad.clone()).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["field"], "lat");
        bad["lat"] = json!("36.45");
        bad["lng"] = json!("115.98");
        bad["hours"] = json!("看心情");
        let r = gulou.post_json("/api/v1/stations", bad).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("hours")));
        // Another township's union is outside the cadre's scope.
        let r = gulou.post_json("/api/v1/stations", station("越界", "F371502002", 36.46, 115.97)).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("org_code")));
        assert_eq!(app.count("SELECT COUNT(*) FROM stations").await, 0);

        // A grid of stations in two townships; GCJ-02 input is stored as WGS-84.
        let mut points: Vec<(String, f64, f64)> = Vec::new();
        for i in 0..6 {
            for j in 0..4 {
                let (lat, lng) = (36.40 + i as f64 * 0.013, 115.93 + j as f64 * 0.017);
                let (org, who) = if j < 2 { ("F371502001", &mut gulou) } else { ("F371502002", &mut liuyuan) };
                let name = format!("驿站{i}{j}");
                let r = who.post_json("/api/v1/stations", station(&name, org, lat, lng)).await;
                assert_eq!(r.status, 200, "{}", r.text());
                points.push((name, lat, lng));
            }
        }
        let mut gcj = station("高德取点驿站", "F371502001", 36.4565, 115.9855);
        gcj["crs"] = json!("GCJ02");
        let r = gulou.post_json("/api/v1/stations", gcj).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let stored = r.json();
        let wgs = stations::gcj02_to_wgs84(LatLng::parse(36.4565, 115.9855).unwrap());
        assert!((stored["lat"].as_f64().unwrap() - wgs.lat()).abs() < 1e-9);
        assert!((stored["lng"].as_f64().unwrap() - wgs.lng()).abs() < 1e-9);
        points.push(("高德取点驿站".into(), wgs.lat(), wgs.lng()));

        // Scope: each township cadre lists only its own; the county cadre lists all.
        let r = gulou.get("/api/v1/stations?per_page=100").await;
        assert_eq!(r.json()["total"], 13);
        let r = liuyuan.get("/api/v1/stations?per_page=100").await;
        assert_eq!(r.json()["total"], 12);
        let id = stored["id"].as_str().unwrap();
        assert_eq!(liuyuan.get(&format!("/api/v1/stations/{id}")).await.status, 404);
        let mut county = app.demo_user("dongchangfu").await;
        assert_eq!(county.get("/api/v1/stations?per_page=100&q=驿站1").await.json()["total"], 4);
        // The export holds the caller's stations in the import layout, and is audited.
        let r = gulou.get("/stations/export.xlsx").await;
        assert_eq!(r.status, 200);
        let sheet = r.sheet("驿站");
        assert_eq!(sheet.height(), 14, "header and 13 stations");
        assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "名称");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'stations.export'").await, 1);

        // Nearest, without login, equals a brute-force scan of the same stations.
        wait_for(&mut anyone, 36.45, 115.96, 25).await;
        for (qlat, qlng) in [(36.45, 115.96), (36.39, 115.90), (36.48, 116.01), (36.4565, 115.9855)] {
            let items = nearest(&mut anyone, qlat, qlng, 5).await;
            let from = LatLng::parse(qlat, qlng).unwrap();
            let mut brute: Vec<(f64, &str)> = points
                .iter()
                .map(|(n, lat, lng)| (from.distance_m(LatLng::parse(*lat, *lng).unwrap()), n.as_str()))
                .collect();
            brute.sort_by(|a, b| a.0.total_cmp(&b.0));
            let got: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
            let want: Vec<&str> = brute.iter().take(5).map(|b| b.1).collect();
            assert_eq!(got, want, "from {qlat},{qlng}");
            for (item, (d, _)) in items.iter().zip(&brute) {
                assert!((item["distance_m"].as_f64().unwrap() - d).abs() <= 0.5);
                let minutes = item["travel_minutes"].as_f64().unwrap();
                assert!((minutes - d * 1.3 / (4.5 / 0.06)).abs() <= 0.06, "walk at 4.5 km/h with the detour factor: {minutes} for {d} m");
            }
        }
        // Bad parameters are named; far outside China is refused.
        let r = anyone.get("/api/v1/stations/nearest?lat=36.45&lng=-115.96").await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("lng")));
        let r = anyone.get("/api/v1/stations/nearest?lat=36.45&lng=115.96&mode=plane").await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("mode")));
        let r = anyone.get("/api/v1/stations/nearest?lat=36.45&lng=115.96&limit=500").await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("limit")));

        // Closing a station takes it out of the answers; the change is audited.
        let r = gulou.post_json(&format!("/api/v1/stations/{id}/close"), json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        wait_for(&mut anyone, 36.45, 115.96, 24).await;
        assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'stations.close'").await == 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'stations.create'").await, 25);
    }

    async fn the_index_follows_changes_made_by_another_process(app: TestApp) {
        app.load_demo().await;
        let mut anyone = app.anonymous();
        assert!(nearest(&mut anyone, 36.45, 115.98, 10).await.is_empty());
        // Another process (a CLI import, a second server) writes through its own connection.
        let other = Store::open(&app.db.url).await.unwrap();
        let caller = Caller::operator(&app.clock);
        let mut ids = Vec::new();
        let mut tx = other.write().await.unwrap();
        for i in 0..3 {
            let input = StationInput {
                name: format!("外部驿站{i}"),
                kind: "union_station".into(),
                lat: format!("{}", 36.45 + i as f64 * 0.001),
                lng: "115.98".into(),
                address: "某路".into(),
                org_code: "F371502001".into(),
                ..StationInput::default()
            };
            let d = StationDraft::parse(&input).unwrap();
            ids.push(stations::create(&mut tx, &caller, &d).await.unwrap().id);
        }
        tx.commit().await.unwrap();
        let items = wait_for(&mut anyone, 36.45, 115.98, 3).await;
        assert_eq!(items[0]["name"], "外部驿站0");
        // A move and a closure made elsewhere show up too.
        let mut tx = other.write().await.unwrap();
        let moved = StationDraft::parse(&StationInput {
            name: "外部驿站0".into(),
            lat: "36.60".into(),
            lng: "115.98".into(),
            address: "新址".into(),
            org_code: "F371502001".into(),
            ..StationInput::default()
        })
        .unwrap();
        stations::update(&mut tx, &caller, ids[0], &moved).await.unwrap();
        stations::close(&mut tx, &caller, ids[1]).await.unwrap();
        tx.commit().await.unwrap();
        let mut items = Vec::new();
        for _ in 0..50 {
            items = nearest(&mut anyone, 36.45, 115.98, 10).await;
            if items.len() == 2 && items[0]["name"] == "外部驿站2" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(items.len(), 2, "the closure made by another process reached the index: {items:?}");
        assert_eq!(items[0]["name"], "外部驿站2");
        assert_eq!(items[1]["name"], "外部驿站0");
        assert!(items[1]["distance_m"].as_f64().unwrap() > 16_000.0, "moved 16 km north");
        other.close().await;
    }

    async fn keepers_log_visits_counted_in_coverage_and_the_circle_is_analysed(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/stations", station("古楼驿站", "F371502001", 36.4558, 115.9822)).await;
        let id = r.json()["id"].as_str().unwrap().to_string();
        // Two taps: a service, a head count; an unknown member number is refused.
        let r = gulou.post_json(&format!("/api/v1/stations/{id}/visits"), json!({"service": "water", "headcount": 3})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = gulou.post_json(&format!("/api/v1/stations/{id}/visits"), json!({"service": "热饭"})).await;
        assert_eq!((r.status.as_u16(), r.json()["service"].as_str()), (200, Some("hot_meal")));
        // A scanned e-card (its QR code reads NUANXIN-MEMBER:<number>) names the member.
        nuanxin_core::demo::load_members(&app.store, &app.vault, &app.clock).await.unwrap();
        let mut tx = app.store.read().await.unwrap();
        let no: String = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT member_no FROM memberships WHERE status = 'active' ORDER BY member_no LIMIT 1").fetch_one(c).await).unwrap();
        drop(tx);
        let r = gulou.post_json(&format!("/api/v1/stations/{id}/visits"), json!({"service": "rest", "member_no": format!("NUANXIN-MEMBER:{no}")})).await;
        assert_eq!((r.status.as_u16(), r.json()["member_no"].as_str()), (200, Some(no.as_str())));
        let r = gulou.post_json(&format!("/api/v1/stations/{id}/visits"), json!({"service": "visit", "member_no": "NUANXIN-MEMBER:NOPE"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("member_no")));
        let r = gulou.post_json(&format!("/api/v1/stations/{id}/visits"), json!({"service": "visit", "headcount": 0})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("headcount")));
        // The page form does the same.
        let r = gulou.post_form(&format!("/stations/{id}/visits"), &[("service", "charging"), ("headcount", "2")], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let page = gulou.get(&format!("/stations/{id}")).await;
        assert!(page.text().contains("共 4 条"), "visits listed");
        assert_eq!(app.count("SELECT CAST(COALESCE(SUM(headcount), 0) AS BIGINT) FROM station_visits").await, 7);
        // Stations and services feed the maintained counters; the recount agrees.
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        let served = app.count("SELECT CAST(SUM(n) AS BIGINT) FROM coverage_counts WHERE scope_path = '/F3715/F371502/' AND metric = 'services'").await;
        assert_eq!(served, 7);
        let open = app.count("SELECT CAST(SUM(n) AS BIGINT) FROM coverage_counts WHERE scope_path = '/F3715/F371502/F371502001/' AND metric = 'stations'").await;
        assert_eq!(open, 1);

        // The circle: demand by the station is covered, a cluster 5 km north is not; one
        // suggested site covers it.
        let mut demand: Vec<Value> = vec![json!({"lat": 36.4560, "lng": 115.9825, "weight": 2})];
        for k in 0..3 {
            demand.push(json!({"lat": 36.50 + k as f64 * 0.0005, "lng": 115.9822, "weight": 1}));
        }
        let mut anyone = app.anonymous();
        wait_for(&mut anyone, 36.45, 115.98, 1).await;
        let r = gulou.post_json("/api/v1/stations/coverage", json!({"org": "F371502001", "demand": demand, "k": 3})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let c = r.json();
        assert_eq!(c["stations"], 1);
        assert_eq!(c["covered_weight"], 2.0);
        assert_eq!(c["total_weight"], 5.0);
        assert_eq!(c["uncovered"].as_array().unwrap().len(), 3);
        assert_eq!(c["sites"].as_array().unwrap().len(), 1);
        assert_eq!(c["sites"][0]["share_after"], 1.0);
        let r = gulou.post_json("/api/v1/stations/coverage", json!({"org": "F371502002", "demand": demand})).await;
        assert_eq!(r.status, 404, "another township is outside the cadre's scope");
    }
}
