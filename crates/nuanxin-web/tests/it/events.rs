//! Mass-join events a federation holds for the unions beneath it: each joiner is routed to the
//! union of their employer (census, by USCC or exact name), else to a joint union of their work
//! township (their group's industry first), else to the event's holding union; the event's list
//! shows where each went. Attendance and handouts: once per person and event, whichever way the
//! desk found them, also when two desks race.

use nuanxin_testkit::{both_backends, id_with_check, Client, TestApp};
use serde_json::{json, Value};

/// A worker joins through a join code on the public page: (the worker's client, the answer).
async fn join_at(
    app: &TestApp,
    code: &str,
    person: (&str, &str, &str),
    group: &str,
    employer: &str,
    work_region: &str,
) -> (Client, nuanxin_testkit::Resp) {
    let (name, id, phone) = person;
    let mut w = app.anonymous();
    let page = w.get(&format!("/j/{code}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let sent = w
        .post_form(
            &format!("/j/{code}"),
            &[("action", "sms"), ("phone", phone)],
            false,
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let sms = app.sms.last_code(phone).expect("a code was sent");
    let fields = [
        ("action", "join"),
        ("request_key", phone),
        ("name", name),
        ("id_number", id),
        ("phone", phone),
        ("sms_code", sms.as_str()),
        ("group", group),
        ("employer", employer),
        ("work_region", work_region),
        ("consent", "1"),
    ];
    let r = w.post_form(&format!("/j/{code}"), &fields, false).await;
    (w, r)
}

async fn routing_event(county: &mut Client, body: Value) -> (String, String) {
    let r = county.post_json("/api/v1/orgs/F371502/events", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let e = r.json();
    (
        e["id"].as_str().unwrap().to_string(),
        e["code"].as_str().unwrap().to_string(),
    )
}

/// The union each joiner of an event went to, by name.
async fn went_to(cadre: &mut Client, event: &str) -> Vec<(String, String)> {
    let list = cadre
        .get(&format!("/api/v1/events/{event}/members?per_page=200"))
        .await
        .json();
    let mut out: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["org_code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

both_backends! {
    async fn a_federations_event_routes_each_joiner_to_their_own_union(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        // The census knows a unionised employer; 古楼街道 has a joint union of couriers.
        let r = county.post_json("/api/v1/enterprises", json!({"uscc": "91371500789201168K", "name": "聊城速达同城配送有限公司",
            "industry": "food_delivery", "staff": "80", "new_form_workers": "60", "region_code": "371502002",
            "union_status": "unionised", "union_code": "JU371502002", "source": "survey"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = county.post_json("/api/v1/orgs", json!({"code": "JUEX371502001", "name": "古楼街道快递员联合工会", "type": "joint_union",
            "joint_kind": "flexible", "industry": "express_delivery", "region_code": "371502001", "parent_code": "F371502001"})).await;
        assert!(r.status.is_success(), "{}", r.text());

        let (event, code) = routing_event(&mut county, json!({"name": "东昌府区新就业形态劳动者集中入会", "held_on": "2026-11-23",
            "routes": true, "handout": "清凉包"})).await;
        let got = county.get(&format!("/api/v1/events/{event}")).await.json();
        assert_eq!(got["routes"], true);
        assert_eq!(got["holding_org_code"], "HP371502", "the nearest holding pool by default");
        assert_eq!(got["handout"], "清凉包");
        // The join page says where a joiner goes; the township list covers the county.
        let page = app.anonymous().get(&format!("/j/{code}")).await.text();
        assert!(page.contains("id=\"routes-note\"") && page.contains("古楼街道"), "{page}");

        let joiners = [
            (("张一", id_with_check("37150219900101101"), "13806350101"), "delivery_rider", "聊城速达同城配送有限公司", "371502001"),
            (("张二", id_with_check("37150219900101102"), "13806350102"), "delivery_rider", "91371500789201168K", "371502003"),
            (("张三", id_with_check("37150219900101103"), "13806350103"), "courier", "某快递网点", "371502001"),
            (("张四", id_with_check("37150219900101104"), "13806350104"), "delivery_rider", "美团", "371502001"),
            (("张五", id_with_check("37150219900101105"), "13806350105"), "delivery_rider", "美团", ""),
        ];
        for ((name, id, phone), group, employer, region) in &joiners {
            let (_, r) = join_at(&app, &code, (name, id, phone), group, employer, region).await;
            assert_eq!(r.status, 303, "{name}: {}", r.text());
            assert_eq!(r.location(), Some("/me"));
        }
        let mut expected = vec![
            ("张一".to_string(), "JU371502002".to_string()),   // the employer's union, by name
            ("张二".to_string(), "JU371502002".to_string()),   // by USCC, whatever the township
            ("张三".to_string(), "JUEX371502001".to_string()), // the township's union of couriers
            ("张四".to_string(), "JU371502001".to_string()),   // the township's flexible joint union
            ("张五".to_string(), "HP371502".to_string()),      // nowhere else: the holding pool
        ];
        expected.sort();
        assert_eq!(went_to(&mut county, &event).await, expected);
        assert_eq!(county.get(&format!("/api/v1/events/{event}")).await.json()["head_count"], 5);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active' AND channel = 'event'").await, 5);
        // The event's page shows where each went; a township sees only its own joiners' unions
        // in its register, and not the county's event.
        let html = county.get(&format!("/events/{event}")).await.text();
        assert!(html.contains("古楼街道快递员联合工会") && html.contains("周转库"), "{html}");
        let mut gulou = app.demo_user("gulou").await;
        assert_eq!(gulou.get(&format!("/api/v1/events/{event}")).await.status, 404);
        let theirs = gulou.get("/api/v1/members?status=all&per_page=200").await.json();
        let names: Vec<&str> = theirs["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"张三") && names.contains(&"张四") && !names.contains(&"张五"), "{names:?}");
        // The period figures count each join at the union it went to.
        let r = county.get("/api/v1/orgs/HP371502").await.json();
        assert_eq!(r["code"], "HP371502");
    }

    async fn a_routing_event_is_checked_before_it_is_held(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let mut gulou = app.demo_user("gulou").await;
        let bad = |r: nuanxin_testkit::Resp| (r.status.as_u16(), r.json()["errors"][0]["field"].as_str().unwrap_or_default().to_string(),
            r.json()["errors"][0]["code"].as_str().unwrap_or_default().to_string());
        // A joint union holds its own events only.
        let r = gulou.post_json("/api/v1/orgs/JU371502001/events", json!({"name": "x", "held_on": "2026-11-23", "routes": true})).await;
        assert_eq!(bad(r), (422, "routes".into(), "events.routes_federations_only".into()));
        // A township federation with no holding pool beneath it must name a joint union.
        let r = gulou.post_json("/api/v1/orgs/F371502001/events", json!({"name": "x", "held_on": "2026-11-23", "routes": true})).await;
        assert_eq!(bad(r), (422, "holding_org".into(), "events.no_holding_union".into()));
        let r = gulou.post_json("/api/v1/orgs/F371502001/events", json!({"name": "x", "held_on": "2026-11-23", "routes": true, "holding_org": "JU371502001"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        // The fallback must lie beneath the federation, be a joint union and be active.
        for outside in ["HP371503", "F371502001", "EU-NONE"] {
            let r = county.post_json("/api/v1/orgs/F371502/events", json!({"name": "x", "held_on": "2026-11-23", "routes": true, "holding_org": outside})).await;
            assert_eq!(bad(r), (422, "holding_org".into(), "events.bad_holding_union".into()), "{outside}");
        }
        let r = county.post_json("/api/v1/orgs/F371502/events", json!({"name": "x", "held_on": "2026-11-23", "handout": "一".repeat(41)})).await;
        assert_eq!(bad(r), (422, "handout".into(), "events.bad_handout".into()));
        assert_eq!(app.count("SELECT COUNT(*) FROM join_events").await, 1, "refused events change nothing");
        // The form offers routing to federations only, with their holding pools.
        let form = county.get("/orgs/F371502/events").await.text();
        assert!(form.contains("name=\"routes\"") && form.contains("<option value=\"HP371502\">"), "{form}");
        let form = gulou.get("/orgs/JU371502001/events").await.text();
        assert!(!form.contains("name=\"routes\""));
    }

    async fn each_person_checks_in_once_and_receives_the_handout_once(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let (event, code) = routing_event(&mut county, json!({"name": "送清凉集中入会", "held_on": "2026-11-23",
            "routes": true, "handout": "清凉包"})).await;
        let id = id_with_check("37150219900101201");
        let (mut worker, r) = join_at(&app, &code, ("李一", &id, "13806350201"), "delivery_rider", "美团", "371502001").await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(worker.get("/me").await.status, 200);
        let member_no = app.text("SELECT member_no FROM memberships WHERE channel = 'event'").await;
        let desk = county.clone();
        let check = |body: Value| {
            let mut c = desk.clone();
            let path = format!("/api/v1/events/{event}/attendance");
            async move { c.post_json(&path, body).await }
        };
        // The e-card's QR text: checked in and handed the pack.
        let r = check(json!({"who": format!("NUANXIN-MEMBER:{member_no}"), "handout": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["outcome"], "handed_out");
        assert_eq!(r.json()["attendance"]["name"], "李一");
        // Again, by membership number or by ID number: the same person, nothing handed twice.
        let r = check(json!({"who": member_no, "handout": true})).await;
        assert_eq!(r.json()["outcome"], "already_received", "{}", r.text());
        let r = check(json!({"who": id, "handout": true})).await;
        assert_eq!(r.json()["outcome"], "already_received", "{}", r.text());
        assert!(r.json()["attendance"]["handed_at"].is_i64());
        // A guest who is not a member gives a name; checked in without the pack.
        let guest = id_with_check("37150219900101202");
        let r = check(json!({"who": guest, "handout": false})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["field"].clone()), (422, json!("name")));
        let r = check(json!({"who": guest, "name": "王客", "handout": false})).await;
        assert_eq!(r.json()["outcome"], "checked_in", "{}", r.text());
        let r = check(json!({"who": guest, "name": "王客"})).await;
        assert_eq!(r.json()["outcome"], "already_checked_in");
        // Unknown numbers and a bad ID number are named errors and change nothing.
        let r = check(json!({"who": "NUANXIN-MEMBER:NOSUCH"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["code"].clone()), (422, json!("events.unknown_person")));
        let r = check(json!({"who": "371502199001012019"})).await;
        assert_eq!((r.status.as_u16(), r.json()["errors"][0]["code"].clone()), (422, json!("events.bad_who")));
        let got = county.get(&format!("/api/v1/events/{event}")).await.json();
        assert_eq!((got["attended"].clone(), got["handed_out"].clone()), (json!(2), json!(1)));
        let list = county.get(&format!("/api/v1/events/{event}/attendance")).await.json();
        assert_eq!(list["total"], 2);
        // A member of another county is seen by name initial only.
        let mut city = app.demo_user("liaocheng").await;
        let other = city.join_code("JU371503001").await;
        let (_, r) = join_at(&app, &other, ("欧阳娜娜", &id_with_check("37150319900101203"), "13806350203"), "courier", "", "371503001").await;
        assert_eq!(r.status, 303, "{}", r.text());
        let pending = city.get("/api/v1/members?org=JU371503001&status=pending").await.json();
        let far = pending["items"][0]["id"].as_str().unwrap().to_string();
        let r = city.post_json("/api/v1/members/decisions", json!({"ids": [far], "decision": "approve"})).await;
        assert_eq!(r.json()["decided"], 1, "{}", r.text());
        let far_no = app.text("SELECT m.member_no FROM memberships m JOIN people p ON p.id = m.person_id WHERE p.name = '欧阳娜娜'").await;
        let r = check(json!({"who": far_no, "handout": true})).await;
        assert_eq!(r.json()["outcome"], "handed_out");
        assert_eq!(r.json()["attendance"]["name"], "欧***");
        assert!(r.json()["attendance"]["org_name"].is_null());
        // A township cadre cannot reach the county's event; a viewer may not check in.
        let mut gulou = app.demo_user("gulou").await;
        assert_eq!(gulou.post_json(&format!("/api/v1/events/{event}/attendance"), json!({"who": member_no})).await.status, 404);
        county.post_json("/api/v1/accounts", json!({"username": "dcf-view", "password": "pass-word-1", "org_code": "F371502", "role": "viewer"})).await;
        let mut viewer = app.login("dcf-view", "pass-word-1").await;
        assert_eq!(viewer.post_json(&format!("/api/v1/events/{event}/attendance"), json!({"who": member_no})).await.status, 403);
        // Every check-in is audited without names or numbers.
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'events.check_in'").await, 3);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'events.check_in' AND (detail LIKE '%李一%' OR detail LIKE '%3715%')").await, 0);
        // A closed event takes no more check-ins.
        assert_eq!(county.post_form(&format!("/events/{event}/close"), &[], true).await.status, 303);
        let r = check(json!({"who": guest, "name": "王客"})).await;
        assert_eq!(r.status, 409, "{}", r.text());
    }

    async fn two_desks_racing_hand_out_one_pack(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let (event, _) = routing_event(&mut county, json!({"name": "送清凉", "held_on": "2026-11-23", "handout": "清凉包"})).await;
        let path = format!("/api/v1/events/{event}/attendance");
        let guest = id_with_check("37150219900101301");
        let desks: Vec<_> = (0..6)
            .map(|_| {
                let mut c = county.clone();
                let (path, guest) = (path.clone(), guest.clone());
                tokio::spawn(async move { c.post_json(&path, json!({"who": guest, "name": "赵客", "handout": true})).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for d in desks {
            let r = d.await.unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
            outcomes.push(r.json()["outcome"].as_str().unwrap().to_string());
        }
        outcomes.sort();
        assert_eq!(outcomes.iter().filter(|o| *o == "handed_out").count(), 1, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| *o == "already_received").count(), 5, "{outcomes:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM event_attendance WHERE handed_at IS NOT NULL").await, 1);
    }
}

#[tokio::test]
async fn the_desk_checks_in_from_the_events_page() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut county = app.demo_user("dongchangfu").await;
    let (event, _) = routing_event(
        &mut county,
        json!({"name": "送清凉", "held_on": "2026-11-23", "handout": "清凉包"}),
    )
    .await;
    let page = county.get(&format!("/events/{event}")).await.text();
    assert!(page.contains("id=\"check-in\"") && page.contains("同时发放：清凉包"));
    let guest = id_with_check("37150219900101401");
    let r = county
        .post_form(
            &format!("/events/{event}/attendance"),
            &[("who", &guest), ("name", "钱客"), ("handout", "true")],
            true,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("已发放清凉包：钱客"), "{}", r.text());
    let r = county
        .post_form(
            &format!("/events/{event}/attendance"),
            &[("who", &guest), ("handout", "true")],
            true,
        )
        .await;
    assert!(r.text().contains("不能重复发放"), "{}", r.text());
    // Without the CSRF token nothing happens.
    let r = county
        .post_form(
            &format!("/events/{event}/attendance"),
            &[
                ("who", &id_with_check("37150219900101402")),
                ("name", "孙客"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM event_attendance").await, 1);
    app.finish().await;
}
