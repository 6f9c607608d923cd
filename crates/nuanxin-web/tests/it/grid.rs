//! Grid reports: a rider enrolled as reporter reports from the phone; the report is routed to its
//! community's grid office, which forwards and resolves it through the API; the rider gets an SMS
//! and points, sees each step, and may reopen it. Nobody outside sees it, and a grid office sees
//! only what was routed to it (without the reporter's name). Contracts: recorded with their
//! terms, reminded before expiry, and counted in coverage and in the services report.

use super::care::members_of;
use super::lifecycle::{member_csrf, sign_in_member};
use nuanxin_testkit::both_backends;
use serde_json::json;

/// A square boundary (GeoJSON order) of `half` degrees around a point.
fn square(lat: f64, lng: f64, half: f64) -> String {
    json!([
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half]
    ])
    .to_string()
}

/// The grid office `username` at the township, the township's two communities (the first with
/// a boundary and the office), and the county's roads body with a 48-hour deadline (a county's
/// bodies are set up by a union whose region holds the county).
pub(crate) async fn set_up(
    app: &nuanxin_testkit::TestApp,
    gulou: &mut nuanxin_testkit::Client,
    username: &str,
) -> String {
    let r = gulou
        .post_json(
            "/api/v1/accounts",
            json!({"username": username, "password": "pass-word-1",
        "org_code": "F371502001", "role": "grid_office"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = gulou.post_json("/api/v1/grid/communities", json!({"org_code": "F371502001", "region_code": "371502001001",
        "lat": "36.4558", "lng": "115.9822", "boundary": square(36.4558, 115.9822, 0.005), "office": username})).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["has_boundary"].as_bool()),
        (200, Some(true)),
        "{}",
        r.text()
    );
    let r = gulou
        .post_json(
            "/api/v1/grid/communities",
            json!({"org_code": "F371502001", "region_code": "371502001002",
        "lat": "36.4700", "lng": "115.9900"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gulou
        .post_json(
            "/api/v1/grid/bodies",
            json!({"org_code": "F371502001", "county_code": "371502",
        "kind": "roads", "name": "东昌府区公路事业发展中心", "deadline_hours": "48"}),
        )
        .await;
    assert_eq!(
        r.json()["errors"][0]["code"],
        "grid.outside_region",
        "a township sets up no county body"
    );
    let mut county = app.demo_user("dongchangfu").await;
    let r = county
        .post_json(
            "/api/v1/grid/bodies",
            json!({"org_code": "F371502", "county_code": "371502",
        "kind": "roads", "name": "东昌府区公路事业发展中心", "deadline_hours": "48"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

fn report_form<'a>(key: &'a str, lat: &'a str, lng: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_key", key),
        ("category", "road_hazard"),
        ("details", "路面塌陷约一米 <b>危险</b>"),
        ("lat", lat),
        ("lng", lng),
    ]
}

both_backends! {
    async fn a_riders_report_is_routed_forwarded_resolved_and_reopened(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 61, 2).await;
        // Setup refuses what it cannot use, every problem at once, and writes nothing.
        let r = gulou.post_json("/api/v1/grid/communities", json!({"org_code": "F371502001", "region_code": "371502001",
            "lat": "116.0", "lng": "36.4", "boundary": "[[1,2]]", "office": "gulou"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["region_code", "lat", "boundary", "office"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let mut liuyuan = app.demo_user("liuyuan").await;
        let r = liuyuan.post_json("/api/v1/grid/communities", json!({"org_code": "F371502002", "region_code": "371502001003",
            "lat": "36.45", "lng": "115.98"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["code"].as_str()), (422, Some("grid.outside_region")), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM grid_communities").await, 0);
        let body = set_up(&app, &mut gulou, "gucheng-grid").await;
        let r = app.demo_user("dongchangfu").await.post_json("/api/v1/grid/bodies", json!({"org_code": "F371502", "county_code": "371502",
            "kind": "roads", "name": "重复", "deadline_hours": "24"})).await;
        assert_eq!(r.status, 409, "one body of a kind per county: {}", r.text());

        // Not a reporter yet: refused. The rider enrols; the union approves.
        let phone = "13906352061";
        let mut rider = sign_in_member(&app, phone).await;
        let csrf = member_csrf(&rider.get("/me/grid").await.text());
        let r = rider.post_multipart(&format!("/me/grid/new?_csrf={csrf}"), &report_form("k-0", "36.4558", "115.9822"), &[]).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("工会批准您为网格员后才能上报"), "{}", r.text());
        assert_eq!(rider.post_form("/me/grid/enrol", &[("_csrf", csrf.as_str())], false).await.location(), Some("/me/grid?done=enrol"));
        let waiting = gulou.get("/api/v1/grid/reporters?status=pending").await.json();
        assert_eq!(waiting["total"], 1, "{waiting}");
        let membership = waiting["items"][0]["membership_id"].as_str().unwrap().to_string();
        assert_eq!(liuyuan.post_form(&format!("/grid/reporters/{membership}"), &[("approve", "1")], true).await.status, 404);
        assert_eq!(gulou.post_form(&format!("/grid/reporters/{membership}"), &[("approve", "1")], true).await.status, 303);

        // Bad input: every problem at once, nothing written.
        let r = rider.post_multipart(&format!("/me/grid/new?_csrf={csrf}"), &[("client_key", "k-1"), ("category", "ufo"), ("details", " ")], &[]).await;
        assert_eq!(r.status, 422);
        for msg in ["请选择问题类别", "请简单描述问题", "请使用当前位置"] {
            assert!(r.text().contains(msg), "{msg}");
        }
        // Without the token: refused.
        let r = rider.post_multipart("/me/grid/new", &report_form("k-1", "36.4558", "115.9822"), &[]).await;
        assert_eq!(r.status, 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM grid_reports").await, 0);

        // A report from GPS with a photo: routed by the community's boundary.
        let r = rider.post_multipart(&format!("/me/grid/new?_csrf={csrf}"), &report_form("k-1", "36.4560", "115.9830"),
            &[("photos", "hole.jpg", nuanxin_testkit::phone_photo(2400, 1800))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let page = r.location().unwrap().to_string();
        let id = page.trim_start_matches("/me/grid/").split('?').next().unwrap().to_string();
        // The same draft sent again (a lost answer): the same report.
        let again = rider.post_multipart(&format!("/me/grid/new?_csrf={csrf}"), &report_form("k-1", "36.4560", "115.9830"),
            &[("photos", "hole.jpg", nuanxin_testkit::phone_photo(2400, 1800))]).await;
        assert_eq!(again.location(), Some(page.as_str()));
        assert_eq!(app.count("SELECT COUNT(*) FROM grid_reports").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM attachments WHERE owner_kind = 'grid_report'").await, 1);
        let mine = rider.get(&page).await.text();
        assert!(mine.contains("已受理") && mine.contains("危险") && !mine.contains("<b>危险"), "escaped, received");
        // A typed address in a township with two communities: a cadre routes it.
        let r = rider.post_multipart(&format!("/me/grid/new?_csrf={csrf}"), &[("client_key", "k-2"), ("category", "traffic_light"),
            ("details", "红绿灯不亮"), ("township", "371502001"), ("address", "东昌路与柳园路口")], &[]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let unrouted = r.location().unwrap().trim_start_matches("/me/grid/").split('?').next().unwrap().to_string();

        // The grid office polls what was routed to it: the first report only, without the name.
        let token = gulou.post_json("/api/v1/tokens", json!({"username": "gucheng-grid", "name": "poll"})).await.json()["token"]
            .as_str().unwrap().to_string();
        let mut office = app.anonymous().with_bearer(&token);
        // The office may be told by webhook rather than poll (its deliveries are its own).
        let r = office.put_json("/api/v1/webhook", json!({"url": "https://grid.example.cn/hook"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let polled = office.get("/api/v1/grid/reports?assigned_to=me").await;
        assert_eq!(polled.json()["total"], 1, "{}", polled.text());
        let routed = &polled.json()["items"][0];
        assert_eq!((routed["community_code"].as_str(), routed["routed_by"].as_str()), (Some("371502001001"), Some("boundary")));
        assert!(!polled.text().contains("张清凉") && !polled.text().contains("李清凉"), "no reporter's name for the office");
        let later = app.clock.now() + 1;
        assert_eq!(office.get(&format!("/api/v1/grid/reports?assigned_to=me&since={later}")).await.json()["total"], 0);
        assert_eq!(gulou.get("/api/v1/grid/reports?assigned_to=me").await.status, 422, "a cadre is no grid office");
        assert_eq!(office.get(&format!("/api/v1/grid/reports/{unrouted}")).await.status, 404);
        let r = office.post_json(&format!("/api/v1/grid/reports/{unrouted}/status"), json!({"status": "resolved"})).await;
        assert_eq!(r.status, 404);
        // Forwarded to the body: its deadline; then resolved, the rider told and paid points.
        let r = office.post_json(&format!("/api/v1/grid/reports/{id}/status"), json!({"status": "forwarded"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["field"].as_str()), (422, Some("body_id")), "{}", r.text());
        let r = office.post_json(&format!("/api/v1/grid/reports/{id}/status"), json!({"status": "forwarded", "body_id": body})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["due_at"].as_i64(), Some(app.clock.now() + 48 * 3_600_000));
        app.clock.advance(3 * 3_600_000);
        let r = office.post_json(&format!("/api/v1/grid/reports/{id}/status"), json!({"status": "rejected"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["field"].as_str()), (422, Some("note")));
        let r = office.post_json(&format!("/api/v1/grid/reports/{id}/status"), json!({"status": "resolved", "note": "已修复路面"})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("resolved")), "{}", r.text());
        let no = r.json()["report_no"].as_str().unwrap().to_string();
        assert!(app.sms.last_message(phone).unwrap().contains(&no), "{:?}", app.sms.last_message(phone));
        let r = office.post_json(&format!("/api/v1/grid/reports/{id}/status"), json!({"status": "in_progress"})).await;
        assert_eq!(r.status, 409, "closed: only its reporter reopens it");
        assert!(rider.get("/me").await.text().contains("10 分"), "points on /me");
        // The rider reopens (a reason needed); resolved again, no second points.
        let r = rider.post_form(&format!("/me/grid/{id}/reopen"), &[("_csrf", csrf.as_str()), ("note", " ")], false).await;
        assert_eq!(r.status, 422);
        let r = rider.post_form(&format!("/me/grid/{id}/reopen"), &[("_csrf", csrf.as_str()), ("note", "又塌了")], false).await;
        assert_eq!(r.status, 303);
        let told = office.get("/api/v1/webhook/deliveries").await.json();
        assert_eq!(told["total"], 1, "{told}");
        assert_eq!(told["items"][0]["payload"]["event"], "grid.report_reopened", "{told}");
        assert!(!told.to_string().contains("张清凉"), "no reporter's name in the notice");
        let r = office.post_json(&format!("/api/v1/grid/reports/{id}/status"), json!({"status": "resolved", "note": "重新修复"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // Three hours passed: the cadres sign in again.
        let (mut gulou, mut liuyuan) = (app.demo_user("gulou").await, app.demo_user("liuyuan").await);
        let reporters = gulou.get("/api/v1/grid/reporters").await;
        assert_eq!(reporters.json()["items"][0]["points"], 10, "{}", reporters.text());
        let detail = gulou.get(&format!("/api/v1/grid/reports/{id}")).await.json();
        let steps: Vec<&str> = detail["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
        assert_eq!(steps, ["received", "forwarded", "resolved", "reopened", "resolved"]);
        // A cadre routes the typed one by hand.
        let r = gulou.post_form(&format!("/grid/{unrouted}/status"), &[("status", "in_progress"), ("community", "371502001002")], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(gulou.get(&format!("/api/v1/grid/reports/{unrouted}")).await.json()["routed_by"], "cadre");

        // Out of sight: a sibling's cadre, another member, their photos.
        assert_eq!(liuyuan.get(&format!("/api/v1/grid/reports/{id}")).await.status, 404);
        assert_eq!(liuyuan.get(&format!("/grid/{id}")).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/grid/reports").await.json()["total"], 0);
        let photo = detail["photos"][0].as_str().unwrap().to_string();
        let r = rider.get(&format!("/me/grid/photos/{photo}")).await;
        assert!(r.status == 200 && r.body.starts_with(&[0xFF, 0xD8]) && !r.body.windows(4).any(|w| w == b"Exif"), "a JPEG without EXIF");
        assert_eq!(gulou.get(&format!("/photos/{photo}")).await.status, 200);
        assert_eq!(office.get(&format!("/api/v1/photos/{photo}")).await.status, 200);
        assert_eq!(liuyuan.get(&format!("/photos/{photo}")).await.status, 404);
        let mut other = sign_in_member(&app, "13906352062").await;
        assert_eq!(other.get(&format!("/me/grid/{id}")).await.status, 404);
        assert_eq!(other.get(&format!("/me/grid/photos/{photo}")).await.status, 404);
        // Nearby open reports of the same kind are offered to the next reporter (the typed one has no point).
        let r = other.get("/me/grid/nearby?lat=36.4560&lng=115.9830&category=road_hazard").await;
        assert_eq!(r.status, 403, "not a reporter: nothing of others' reports");
        let near = rider.get("/me/grid/nearby?lat=36.4569&lng=115.9830&category=traffic_light").await.json();
        assert_eq!(near, json!([]), "the typed report has no point");
        let r = gulou.post_json("/api/v1/grid/reporters", json!({"member_no": nos[1], "approve": true})).await;
        assert_eq!(r.json()["status"], "approved", "{}", r.text());
        let other_csrf = member_csrf(&other.get("/me").await.text());
        let r = other.post_multipart(&format!("/me/grid/new?_csrf={other_csrf}"), &[("client_key", "o-1"), ("category", "fire"),
            ("details", "消防通道堵塞"), ("lat", "36.4560"), ("lng", "115.9830")], &[]).await;
        assert_eq!(r.status, 303);
        let near = rider.get("/me/grid/nearby?lat=36.4569&lng=115.9830&category=fire").await.json();
        assert_eq!(near.as_array().unwrap().len(), 1, "{near}");
        assert!((95..=105).contains(&near[0]["distance_m"].as_i64().unwrap()), "{near}");

        // The services report counts them.
        let grid = gulou.get("/api/v1/services/report?org_code=F371502001&from=2026-01-01&to=2026-12-31").await.json()["grid"].clone();
        assert_eq!(grid, json!({"reports": 3, "resolved": 1, "median_hours_to_resolve": 3.0, "reporters": 2}), "{grid}");
        assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'grid.step'").await >= 4);
        // The console's list: overdue first once the deadline passes.
        app.clock.advance(72 * 3_600_000);
        let r = office.post_json(&format!("/api/v1/grid/reports/{unrouted}/status"), json!({"status": "resolved"})).await;
        assert_eq!(r.status, 404, "routed to a community without an office: not the office's");
        let list = app.demo_user("gulou").await.get("/grid").await;
        assert_eq!(list.status, 200);
        assert!(list.text().contains("消防隐患") && list.text().contains("未办结"), "counts by category");

        // The list as a sheet, every page: labelled, no reporter's name; the office's holds only
        // its own; a sibling's is empty; each export audited.
        let mut gulou = app.demo_user("gulou").await;
        let sheet = gulou.get("/grid/export.xlsx").await;
        assert_eq!(sheet.status, 200);
        let rows: Vec<Vec<String>> = sheet.sheet("网格随手拍").rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!((rows.len(), rows[0][0].as_str(), rows[0][2].as_str()), (4, "编号", "状态"), "{rows:?}");
        let first = rows.iter().find(|r| r[0] == no).expect("the first report");
        assert_eq!((first[1].as_str(), first[2].as_str(), first[3].as_str(), first[9].as_str()),
            ("道路隐患", "已办结", "古城社区居委会", "东昌府区公路事业发展中心"), "{first:?}");
        assert!(rows.iter().flatten().all(|c| !c.contains("清凉")), "no reporter's name: {rows:?}");
        let overdue = rows.iter().filter(|r| r[11] == "是").count();
        assert_eq!(overdue, 0, "no deadline was given to the open ones: {rows:?}");
        let only_fire = gulou.get("/grid/export.xlsx?category=fire").await.sheet("网格随手拍");
        assert_eq!(only_fire.rows().count(), 2, "the filter holds in the sheet");
        let mut office_web = app.login("gucheng-grid", "pass-word-1").await;
        let own = office_web.get("/grid/export.xlsx").await.sheet("网格随手拍");
        assert_eq!(own.rows().count(), 3, "the office's two routed reports, not the one routed by hand elsewhere");
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get("/grid/export.xlsx").await.sheet("网格随手拍").rows().count(), 1, "a sibling's: headers only");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'grid.export'").await, 4);
    }

    async fn a_large_villages_boundary_takes_reports_far_from_its_point(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 91, 1).await;
        let r = gulou.post_json("/api/v1/grid/reporters", json!({"member_no": nos[0], "approve": true})).await;
        assert_eq!(r.json()["status"], "approved", "{}", r.text());
        // A ring wider than a degree is no village: refused, by field.
        let r = gulou.post_json("/api/v1/grid/communities", json!({"org_code": "F371502001", "region_code": "371502001003",
            "lat": "36.45", "lng": "116.105", "boundary": "[[115.5,36.40],[116.7,36.40],[116.7,36.50]]"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["code"].as_str()), (422, Some("grid.boundary_too_large")), "{}", r.text());
        // Its point at the west end; its boundary reaches some 25 km east.
        let ring = "[[116.10,36.40],[116.40,36.40],[116.40,36.50],[116.10,36.50]]";
        let r = gulou.post_json("/api/v1/grid/communities", json!({"org_code": "F371502001", "region_code": "371502001003",
            "lat": "36.45", "lng": "116.105", "boundary": ring})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let report = |lat: &'static str, lng: &'static str, key: &'static str| {
            vec![("member_no", nos[0].clone()), ("category", "road_hazard".into()), ("details", "路面塌陷".into()),
                ("lat", lat.into()), ("lng", lng.into()), ("client_key", key.into())]
        };
        for (lat, lng, key, community, by) in [
            ("36.45", "116.38", "far-east", Some("371502001003"), "boundary"),
            ("36.45", "116.09", "west-of-it", None, "unrouted"),
        ] {
            let fields = report(lat, lng, key);
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = gulou.post_multipart("/api/v1/grid/reports", &fields, &[]).await;
            assert_eq!(r.status, 201, "{}", r.text());
            assert_eq!((r.json()["community_code"].as_str(), r.json()["routed_by"].as_str()), (community, Some(by)), "{key}: {}", r.text());
        }
    }

    async fn contracts_are_recorded_reminded_and_cover_their_groups(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        members_of(&app, &mut gulou, "JU371502001", 71, 3).await;
        let r = gulou.post_json("/api/v1/contracts", json!({"org_code": "F371502001", "kind": "pact", "title": " ",
            "employer": "", "signed_on": "2026-13-01", "expires_on": "2026-01-01", "groups": "astronaut", "head_count": "0",
            "max_hours": "25", "min_piece_rate": "abc"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["kind", "title", "employer", "signed_on", "groups", "head_count", "max_hours", "min_piece_rate"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM collective_contracts").await, 0);
        let r = gulou.post_json("/api/v1/contracts", json!({"org_code": "F371502001", "kind": "industry",
            "title": "古楼街道外卖配送行业集体合同", "employer": "聊城市外卖配送行业协会", "signed_on": "2024-01-15",
            "expires_on": "2027-01-14", "groups": "外卖配送员, courier", "head_count": "1200", "min_piece_rate": "4.5",
            "max_hours": "10", "rest_days": "4", "heat_allowance": "300", "insurance": "职业伤害保障全覆盖"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let c = r.json();
        assert_eq!((c["groups"].as_str(), c["min_piece_fen"].as_i64(), c["heat_fen"].as_i64()), (Some("delivery_rider,courier"), Some(450), Some(30000)));
        let id = c["id"].as_str().unwrap().to_string();
        // Expiring within 90 days of 2026-11-23: reminded.
        let list = gulou.get("/contracts").await.text();
        assert!(list.contains("1 份集体合同将在 90 天内到期"), "the reminder");
        assert_eq!(gulou.get("/api/v1/contracts?state=expiring").await.json()["total"], 1);
        assert_eq!(gulou.get("/api/v1/contracts?state=expired").await.json()["total"], 0);
        // The page's form takes a scan (a PDF), kept and served to those who see the contract.
        let r = gulou.post_multipart("/contracts/new", &[("org_code", "F371502001"), ("kind", "enterprise"), ("title", "某快递网点集体合同"),
            ("employer", "某快递网点"), ("signed_on", "2026-11-01"), ("expires_on", "2029-10-31"), ("group_courier", "1"), ("head_count", "40")],
            &[("scan", "signed.pdf", b"%PDF-1.4 signed".to_vec())]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let with_scan = r.location().unwrap().to_string();
        let scan = gulou.get(&format!("{with_scan}/scan")).await;
        assert_eq!((scan.status.as_u16(), scan.body.starts_with(b"%PDF-")), (200, true));
        let r = gulou.post_multipart("/contracts/new", &[("org_code", "F371502001"), ("kind", "enterprise"), ("title", "x"),
            ("employer", "y"), ("signed_on", "2026-11-01"), ("expires_on", "2029-10-31"), ("group_courier", "1"), ("head_count", "4")],
            &[("scan", "signed.pdf", b"PK zip".to_vec())]).await;
        assert_eq!(r.status, 422, "a scan must be a PDF or a photo");
        let mut liuyuan = app.demo_user("liuyuan").await;
        members_of(&app, &mut liuyuan, "JU371502002", 75, 1).await;
        assert_eq!(liuyuan.get(&format!("/api/v1/contracts/{id}")).await.status, 404);
        assert_eq!(liuyuan.get(&format!("{with_scan}/scan")).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/contracts").await.json()["total"], 0);
        // Coverage: the township's delivery riders are covered by the industry contract.
        let cov = gulou.get("/api/v1/contracts/coverage?org_code=F371502001").await.json();
        let riders = cov.as_array().unwrap().iter().find(|g| g["group"] == "delivery_rider").unwrap().clone();
        assert_eq!(riders["covered"], riders["members"], "{cov}");
        assert!(riders["members"].as_i64().unwrap() >= 3);
        let county = app.demo_user("dongchangfu").await.get("/api/v1/contracts/coverage?org_code=F371502").await.json();
        let county_riders = county.as_array().unwrap().iter().find(|g| g["group"] == "delivery_rider").unwrap().clone();
        assert_eq!(county_riders["covered"], riders["covered"], "only the township's members are covered: {county}");
        assert!(county_riders["members"].as_i64() > riders["members"].as_i64());
        // The services report: valid on the period's last day.
        let at = |to: &str| format!("/api/v1/services/report?org_code=F371502001&from=2026-01-01&to={to}");
        assert_eq!(gulou.get(&at("2026-12-31")).await.json()["contracts"], json!({"valid": 2, "covered_workers": 1240}));
        assert_eq!(gulou.get("/api/v1/services/report?org_code=F371502001&from=2027-01-01&to=2027-12-31").await.json()["contracts"],
            json!({"valid": 1, "covered_workers": 40}));
        assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'contracts.create'").await == 2);
        // The list as a sheet with the key terms, soonest expiry first; a sibling's is empty.
        let rows: Vec<Vec<String>> = gulou.get("/contracts/export.xlsx").await.sheet("集体合同").rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(&rows[1][..4], ["古楼街道外卖配送行业集体合同", "行业性", "F371502001", "东昌府区古楼街道总工会"], "{rows:?}");
        assert_eq!((rows[1][7].as_str(), rows[1][8].as_str(), rows[1][10].as_str(), rows[1][11].as_str(), rows[1][15].as_str()),
            ("2027-01-14", "即将到期", "1200", "4.50", "300.00"), "{rows:?}");
        assert!(rows[1][9].contains("快递"), "groups by name: {rows:?}");
        assert_eq!(gulou.get("/contracts/export.xlsx?state=expiring").await.sheet("集体合同").rows().count(), 2);
        assert_eq!(liuyuan.get("/contracts/export.xlsx").await.sheet("集体合同").rows().count(), 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'contracts.export'").await, 3);
    }

    async fn the_demo_loads_the_grid_and_contracts_once(app: TestApp) {
        app.load_demo().await;
        nuanxin_core::demo::load_members(&app.store, &app.vault, &app.clock).await.unwrap();
        assert_eq!(nuanxin_core::demo::load_grid(&app.store, &app.clock).await.unwrap(), 9);
        assert_eq!(nuanxin_core::demo::load_grid(&app.store, &app.clock).await.unwrap(), 0, "once");
        for (table, n) in [("grid_communities", 2), ("grid_bodies", 5), ("grid_reports", 2), ("collective_contracts", 2),
            ("social_orgs", 2), ("service_projects", 1), ("friendly_places", 2)] {
            assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, n, "{table}");
        }
        // The grid office signs in to the reports routed to it, and sees both (both in 古城社区).
        let mut office = app.login(nuanxin_core::demo::GRID_OFFICE.0, nuanxin_core::demo::PASSWORD).await;
        let r = office.get("/").await;
        assert_eq!(r.location(), Some("/grid"));
        let page = office.get("/grid").await.text();
        assert!(page.contains("古城社区") && page.contains("共 2 件"), "{page}");
        assert_eq!(office.get("/members").await.status, 404, "a grid office sees no members");
        let county = app.demo_user("dongchangfu").await.get("/contracts").await.text();
        assert!(county.contains("1 份集体合同将在 90 天内到期"), "the reminder");
        assert_eq!(app.count("SELECT COUNT(*) FROM service_projects WHERE status = 'claimed'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM friendly_places WHERE level = 'model'").await, 1);
    }
}
