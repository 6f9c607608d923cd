//! The narrow roles. A station's keeper (驿站管理员): an account that keeps one station and holds no
//! subtree. They log visits there (a member's scan shows the name and that the membership is
//! active, nothing more), edit its hours and amenities, open and close it; the member register and
//! every other record answer 404. A partner pushes records and reads back its own pushes only. A
//! liaison (包片联系) reads like a viewer and records visits.

use nuanxin_core::members::{self, Channel, JoinContext, JoinDraft, JoinInput};
use nuanxin_testkit::{both_backends, Client, TestApp, TEST_NOW};
use serde_json::json;

async fn station(cadre: &mut Client, org: &str, name: &str) -> String {
    let r = cadre.post_json("/api/v1/stations", json!({"name": name, "type": "骑手之家", "lat": "36.45",
        "lng": "115.98", "address": "古楼街道柳园路 1 号", "hours": "每天 8:00-20:00", "amenities": "饮水",
        "keeper": "王芳", "phone": "0635-8123456", "org_code": org})).await;
    assert!(r.status.is_success(), "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// A member of Gulou's joint union: their membership number.
async fn member_no(app: &TestApp, cadre: &mut Client) -> String {
    let code = cadre.join_code("JU371502001").await;
    let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code)
        .await
        .unwrap();
    let input = JoinInput {
        name: "赵骑手".into(),
        id_number: "371502199001011234".into(),
        phone: "13906351001".into(),
        group: "外卖配送员".into(),
        consent: true,
        ..JoinInput::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let draft = JoinDraft::parse(&input, today).unwrap();
    let ctx = JoinContext::consented(Channel::Qr, "test", TEST_NOW, today);
    let joined = members::join(&app.store, &app.vault, &target, &draft, &ctx)
        .await
        .unwrap();
    let r = cadre
        .post_json(
            "/api/v1/members/decisions",
            json!({"ids": [joined.membership_id], "decision": "approve"}),
        )
        .await;
    assert_eq!(r.json()["decided"], 1, "{}", r.text());
    let list = cadre.get("/api/v1/members?status=active").await.json();
    list["items"][0]["member_no"].as_str().unwrap().to_string()
}

both_backends! {
    async fn a_keeper_logs_visits_at_their_station_and_sees_no_member_register(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mine = station(&mut gulou, "F371502001", "古楼骑手之家").await;
        let other = station(&mut gulou, "F371502001", "古楼第二驿站").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let elsewhere = station(&mut liuyuan, "F371502002", "柳园驿站").await;
        let no = member_no(&app, &mut gulou).await;
        // An admin makes the keeper; a station outside the unit is refused by name.
        let body = |station: &str| json!({"username": "keeper-wang", "password": "pass-word-1", "org_code": "F371502001", "role": "keeper", "station": station});
        let r = gulou.post_json("/api/v1/accounts", body(&elsewhere)).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("station")), "{}", r.text());
        let r = gulou.post_json("/api/v1/accounts", body(&mine)).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut keeper = app.login("keeper-wang", "pass-word-1").await;
        // Signed in, the keeper lands at their station and sees only it.
        let home = keeper.get("/").await;
        assert_eq!(home.location(), Some(format!("/stations/{mine}").as_str()));
        let page = keeper.get(&format!("/stations/{mine}")).await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains("id=\"log-visit\"") && page.text().contains("action=\"/stations/") && page.text().contains("我的驿站"));
        assert!(!page.text().contains("href=\"/members\""), "no register in the navigation");
        for path in ["/members", "/api/v1/members", "/members/export.xlsx", &format!("/stations/{other}"),
            &format!("/stations/{elsewhere}"), "/orgs/F371502001", "/api/v1/orgs/F371502001"] {
            assert_eq!(keeper.get(path).await.status, 404, "{path}");
        }
        let census = keeper.get("/api/v1/enterprises").await.json();
        assert_eq!(census["total"], 0, "{census}");
        // A scan logs the visit and shows the member's name and that they are a member: no ID
        // number, no phone.
        let r = keeper.post_json(&format!("/api/v1/stations/{mine}/visits"), json!({"service": "water", "member_no": format!("NUANXIN-MEMBER:{no}")})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!((v["member_name"].as_str(), v["member_no"].as_str()), (Some("赵骑手"), Some(no.as_str())));
        assert!(!r.text().contains("13906351001") && !r.text().contains("371502199001011234"), "{}", r.text());
        let r = keeper.post_json(&format!("/api/v1/stations/{other}/visits"), json!({"service": "water"})).await;
        assert_eq!(r.status, 404, "another station of the same union");
        // Hours and amenities are the keeper's to change, checked, audited; nothing else.
        let r = keeper.put_json(&format!("/api/v1/stations/{mine}/services"), json!({"hours": "每天 25:00-26:00", "amenities": "饮水"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("hours")), "{}", r.text());
        let r = keeper.put_json(&format!("/api/v1/stations/{mine}/services"), json!({"hours": "每天 9:00-21:00", "amenities": "饮水,充电"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!((r.json()["hours_text"].as_str(), r.json()["amenities"].as_str()), (Some("每天 9:00-21:00"), Some("water,charging")));
        let r = keeper.post_form(&format!("/stations/{mine}/services"), &[("hours", "24小时"), ("amenity", "water"), ("amenity", "toilet")], true).await;
        assert_eq!(r.location(), Some(format!("/stations/{mine}?saved=1").as_str()), "{}", r.text());
        let r = keeper.patch_json(&format!("/api/v1/stations/{mine}"), json!({"name": "改名"})).await;
        assert!(r.status == 403 || r.status == 405 || r.status == 422, "the rest is staff's: {} {}", r.status, r.text());
        assert_eq!(keeper.get(&format!("/stations/{mine}/edit")).await.status, 403);
        let r = keeper.post_json(&format!("/api/v1/stations/{mine}/close"), json!({})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("closed")), "{}", r.text());
        let log = gulou.get("/api/v1/audit?q=stations.").await.text();
        assert!(log.contains("stations.keeper_edit") && log.contains("keeper-wang"), "{log}");
        // Staff of the union see the keeper's visit with the member.
        let page = gulou.get(&format!("/stations/{mine}")).await.text();
        assert!(page.contains("赵骑手"), "{page}");
    }
}

both_backends! {
    async fn a_keeper_without_a_station_keeps_nothing_until_one_is_given(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mine = station(&mut gulou, "F371502001", "古楼骑手之家").await;
        let r = gulou.post_json("/api/v1/accounts", json!({"username": "keeper-li", "password": "pass-word-1", "org_code": "F371502001", "role": "keeper"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut keeper = app.login("keeper-li", "pass-word-1").await;
        let r = keeper.post_json(&format!("/api/v1/stations/{mine}/visits"), json!({"service": "visit"})).await;
        assert_eq!(r.status, 404, "{}", r.text());
        // Only an admin of the keeper's unit gives the station; a sibling's admin does not find
        // the keeper.
        let mut liuyuan = app.demo_user("liuyuan").await;
        let r = liuyuan.put_json("/api/v1/accounts/keeper-li/station", json!({"station": mine})).await;
        assert_eq!(r.status, 404, "{}", r.text());
        let r = gulou.put_json("/api/v1/accounts/gulou/station", json!({"station": mine})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("accounts.not_keeper")), "{}", r.text());
        let r = gulou.put_json("/api/v1/accounts/keeper-li/station", json!({"station": mine})).await;
        assert_eq!(r.status, 204, "{}", r.text());
        let mut keeper = app.login("keeper-li", "pass-word-1").await;
        let r = keeper.post_json(&format!("/api/v1/stations/{mine}/visits"), json!({"service": "visit", "headcount": 3})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // The account page names the station kept.
        let page = gulou.get("/accounts/keeper-li").await.text();
        assert!(page.contains("驿站管理员") && page.contains("古楼骑手之家"), "{page}");
    }
}

both_backends! {
    async fn a_liaison_reads_like_a_viewer_and_records_visits_to_units_and_enterprises(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let uscc = nuanxin_core::census::Uscc::with_check("91371502MA3N00017").unwrap();
        let r = gulou.post_json("/api/v1/enterprises", json!({"uscc": uscc.as_str(), "name": "东昌府区顺丰速运营业部",
            "industry": "express_delivery", "staff": "40", "new_form_workers": "30", "region_code": "371502001", "source": "survey"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        for (name, role) in [("li-aison", "liaison"), ("gl-view", "viewer")] {
            let r = gulou.post_json("/api/v1/accounts", json!({"username": name, "password": "pass-word-1", "org_code": "F371502001", "role": role})).await;
            assert!(r.status.is_success(), "{}", r.text());
        }
        let mut liaison = app.login("li-aison", "pass-word-1").await;
        let mut viewer = app.login("gl-view", "pass-word-1").await;
        // Read-only like a viewer: lists open, writes are refused.
        assert_eq!(liaison.get("/members").await.status, 200);
        let r = liaison.post_json("/api/v1/stations", json!({"name": "x"})).await;
        assert!(r.status == 403 || r.status == 422, "{} {}", r.status, r.text());
        let r = liaison.post_json("/api/v1/orgs", json!({"code": "X1", "name": "x", "type": "joint_union", "region_code": "371502001", "parent_code": "F371502001"})).await;
        assert_eq!(r.status, 403, "{}", r.text());
        // Visits: every problem said, then recorded and listed; a viewer may not, a sibling
        // township's liaison does not find the unit.
        let r = liaison.post_json("/api/v1/orgs/JU371502001/liaison-visits", json!({"visited_on": "2099-01-01", "note": ""})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let r = liaison.post_json("/api/v1/orgs/JU371502001/liaison-visits", json!({"visited_on": "2026-11-20", "note": "与站长座谈，了解午休需求"})).await;
        assert_eq!((r.status.as_u16(), r.json()["actor"].as_str()), (200, Some("li-aison")), "{}", r.text());
        let r = viewer.post_json("/api/v1/orgs/JU371502001/liaison-visits", json!({"note": "看看"})).await;
        assert_eq!(r.status, 403, "{}", r.text());
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.post_json("/api/v1/orgs/JU371502001/liaison-visits", json!({"note": "x"})).await.status, 404);
        let listed = viewer.get("/api/v1/orgs/JU371502001/liaison-visits").await.json();
        assert_eq!(listed[0]["note"], "与站长座谈，了解午休需求", "{listed}");
        // On the enterprise's page, by the page form.
        let page = liaison.get(&format!("/census/{}", uscc.as_str())).await.text();
        assert!(page.contains("id=\"liaison\"") && page.contains("liaison-visits"), "{page}");
        let r = liaison.post_form(&format!("/census/{}/liaison-visits", uscc.as_str()), &[("visited_on", ""), ("note", "了解快递员社保缴纳情况")], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let page = gulou.get(&format!("/census/{}", uscc.as_str())).await.text();
        assert!(page.contains("了解快递员社保缴纳情况") && page.contains("li-aison"), "{page}");
        assert!(!viewer.get(&format!("/census/{}", uscc.as_str())).await.text().contains("name=\"note\""), "no form for a viewer");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'liaison.visit'").await, 2);
    }
}

both_backends! {
    async fn a_partner_pushes_and_reads_back_only_its_own_pushes(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut tokens = Vec::new();
        for name in ["meituan-api", "window-api"] {
            let r = gulou.post_json("/api/v1/accounts", json!({"username": name, "password": "pass-word-1", "org_code": "F371502001", "role": "partner"})).await;
            assert!(r.status.is_success(), "{}", r.text());
            let t = gulou.post_json("/api/v1/tokens", json!({"username": name, "name": "push"})).await;
            tokens.push(t.json()["token"].as_str().unwrap().to_string());
        }
        let mut partner = app.anonymous().with_bearer(&tokens[0]);
        let mut other = app.anonymous().with_bearer(&tokens[1]);
        let record = |r: &str, region: &str| json!({"ref": r, "name": "赵骑手", "id_number": "371502199001011234", "phone": "13906351001",
            "group": "外卖配送员", "work_region": region, "consent": {"at": TEST_NOW - 1000, "by": "美团站点 王五", "method": "app_checkbox"}});
        let r = partner.post_json("/api/v1/members/push", json!({"records": [record("MT-1", "371502001"), record("MT-2", "371502002")]})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let results = r.json()["results"].clone();
        assert!(matches!(results[0]["outcome"].as_str(), Some("member" | "pending")), "{results}");
        assert_eq!((results[1]["outcome"].as_str(), results[1]["errors"][0]["code"].as_str()), (Some("rejected"), Some("members.no_union_for_region")), "outside its subtree: {results}");
        // Its own push reads back as it is now; another partner's never does.
        let first = partner.get("/api/v1/members/push/MT-1").await;
        assert_eq!((first.status.as_u16(), first.json()["org_code"].as_str()), (200, results[0]["org_code"].as_str()), "{}", first.text());
        assert_eq!(other.get("/api/v1/members/push/MT-1").await.status, 404);
        assert_eq!(partner.get("/api/v1/members/push/NOPE").await.status, 404);
        if first.json()["outcome"] == "pending" {
            let pending = gulou.get("/api/v1/members?status=pending").await.json();
            gulou.post_json("/api/v1/members/decisions", json!({"ids": [pending["items"][0]["id"]], "decision": "approve"})).await;
        }
        let now = partner.get("/api/v1/members/push/MT-1").await.json();
        assert_eq!(now["outcome"], "member", "{now}");
        assert!(now["member_no"].as_str().is_some_and(|n| !n.is_empty()), "{now}");
        // It sees nothing else: the register and the units answer 404.
        for path in ["/api/v1/members", "/api/v1/orgs/F371502001", "/api/v1/members?status=all"] {
            assert_eq!(partner.get(path).await.status, 404, "{path}");
        }
        assert_eq!(partner.get("/api/v1/enterprises").await.json()["total"], 0);
    }
}

async fn legal_aid_station(cadre: &mut Client, org: &str, name: &str) -> String {
    let r = cadre.post_json("/api/v1/stations", json!({"name": name, "type": "legal_aid_station", "lat": "36.45",
        "lng": "115.98", "address": "古楼街道柳园路 2 号", "hours": "周一至周五 9:00-17:00", "amenities": "饮水",
        "keeper": "李律师", "phone": "0635-8123457", "org_code": org})).await;
    assert!(r.status.is_success(), "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

async fn case(cadre: &mut Client, org: &str, name: &str) -> String {
    let r = cadre
        .post_json(
            "/api/v1/cases",
            json!({"org_code": org, "kind": "wages", "name": name,
        "phone": "13906357101", "claimed": "3000", "summary": "两个月工资未发"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

both_backends! {
    async fn a_lawyer_sees_and_works_only_the_cases_assigned_to_them(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let aid_station = legal_aid_station(&mut gulou, "F371502001", "古楼法律援助工作站").await;
        let riders_home = station(&mut gulou, "F371502001", "古楼骑手之家").await;
        // A lawyer is registered at a legal-aid station of the unit: another kind is refused.
        let body = |station: &str| json!({"username": "lawyer-li", "display_name": "李律师", "password": "pass-word-1",
            "org_code": "F371502001", "role": "lawyer", "station": station});
        let r = gulou.post_json("/api/v1/accounts", body(&riders_home)).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["errors"][0]["field"], "station", "{}", r.text());
        let r = gulou.post_json("/api/v1/accounts", body("")).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let r = gulou.post_json("/api/v1/accounts", body(&aid_station)).await;
        assert!(r.status.is_success(), "{}", r.text());
        // A lawyer of another county's station.
        let mut city = app.demo_user("liaocheng").await;
        let far_station = legal_aid_station(&mut city, "F371525", "冠县法律援助工作站").await;
        let r = city.post_json("/api/v1/accounts", json!({"username": "lawyer-far", "password": "pass-word-1",
            "org_code": "F371525", "role": "lawyer", "station": far_station})).await;
        assert!(r.status.is_success(), "{}", r.text());

        let assigned = case(&mut gulou, "JU371502001", "王骑手").await;
        let other = case(&mut gulou, "JU371502001", "赵快递").await;
        // Whom the case may go to: the township's lawyer, not the other county's.
        let r = gulou.get(&format!("/api/v1/cases/{assigned}/lawyers")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let names: Vec<String> = r.json().as_array().unwrap().iter().map(|l| l["username"].as_str().unwrap().to_string()).collect();
        assert_eq!(names, ["lawyer-li"], "{}", r.text());
        let r = gulou.patch_json(&format!("/api/v1/cases/{assigned}"), json!({"handler_account": "lawyer-far"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["errors"][0]["field"], "handler_account");
        let r = gulou.patch_json(&format!("/api/v1/cases/{assigned}"), json!({"handler_account": "lawyer-li"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["handler"], "李律师");
        assert_eq!(r.json()["handler_username"], "lawyer-li");

        // The lawyer: only their case, the client's phone whole, nothing else of the union.
        let mut lawyer = app.login("lawyer-li", "pass-word-1").await;
        let r = lawyer.get("/").await;
        assert_eq!(r.location(), Some("/cases"));
        let r = lawyer.get("/api/v1/cases?status=all").await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["total"], 1, "{}", r.text());
        assert_eq!(r.json()["items"][0]["id"], assigned.as_str());
        assert_eq!(r.json()["items"][0]["phone"], "13906357101");
        assert_eq!(lawyer.get(&format!("/api/v1/cases/{other}")).await.status, 404);
        assert_eq!(lawyer.get(&format!("/cases/{other}")).await.status, 404);
        let page = lawyer.get("/cases").await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("王骑手") && !page.text().contains("赵快递"));
        for path in ["/api/v1/members", "/api/v1/orgs/F371502001", "/api/v1/services/report?org=F371502001", "/members", "/dashboard"] {
            let r = lawyer.get(path).await;
            assert!(r.status == 404 || r.status == 403, "{path}: {} {}", r.status, r.text());
        }
        assert_eq!(lawyer.get(&format!("/api/v1/cases/{assigned}/lawyers")).await.status, 403);
        // They move the case on, add a hearing and close it; they do not reassign or hand it up.
        let r = lawyer.patch_json(&format!("/api/v1/cases/{assigned}"), json!({"stage": "arbitration", "note": "已申请劳动仲裁"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = lawyer.post_json(&format!("/api/v1/cases/{assigned}/events"), json!({"kind": "hearing", "on": "2026-12-10", "text": "仲裁开庭"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        for patch in [json!({"handler": "别人"}), json!({"handler_account": ""}), json!({"hand_to": "F371502"})] {
            let r = lawyer.patch_json(&format!("/api/v1/cases/{assigned}"), patch.clone()).await;
            assert_eq!(r.status, 403, "{patch}: {}", r.text());
        }
        assert_eq!(lawyer.patch_json(&format!("/api/v1/cases/{other}"), json!({"stage": "mediation"})).await.status, 404);
        let r = lawyer.patch_json(&format!("/api/v1/cases/{assigned}"), json!({"outcome": "supported", "recovered": "3000"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["status"], "closed");
        let audited = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'cases.update' AND actor = 'lawyer-li'").await;
        assert_eq!(audited, 2);
        // Taken back from the lawyer, the case is out of their sight.
        let r = gulou.patch_json(&format!("/api/v1/cases/{assigned}"), json!({"handler_account": ""})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["handler_username"].is_null(), "{}", r.text());
        assert!(r.json()["handler"].is_null(), "{}", r.text());
        assert_eq!(lawyer.get(&format!("/api/v1/cases/{assigned}")).await.status, 404);
        assert_eq!(lawyer.get("/api/v1/cases?status=all").await.json()["total"], 0);
    }
}
