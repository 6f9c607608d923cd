//! Care activities (送清凉 …): a cadre creates an activity (every problem named at once), records
//! recipients from their e-cards or numbers, a repeat is refused with the earlier receipt and
//! nothing written, a member of another union's area is not named, non-members are counted by
//! number, and the services report's `care` member counts it all. Scope: a sibling township
//! sees nothing.

use nuanxin_core::members::{self, Channel, JoinContext, JoinDraft, JoinInput};
use nuanxin_testkit::{both_backends, Client, TestApp, TEST_NOW};
use serde_json::json;

/// `n` approved members of the joint union `org` (its cadre approves): their membership numbers.
pub(crate) async fn members_of(
    app: &TestApp,
    cadre: &mut Client,
    org: &str,
    first: usize,
    n: usize,
) -> Vec<String> {
    let code = cadre.join_code(org).await;
    let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code)
        .await
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut ids = Vec::new();
    for i in first..first + n {
        let input = JoinInput {
            name: ["张清凉", "李清凉", "王清凉", "赵清凉", "钱清凉"][i % 5].into(),
            id_number: nuanxin_testkit::id_with_check(&format!("37150219900101{i:02}1")),
            phone: format!("139063520{i:02}"),
            group: "外卖配送员".into(),
            consent: true,
            ..JoinInput::default()
        };
        let draft = JoinDraft::parse(&input, today).unwrap();
        let ctx = JoinContext::consented(Channel::Qr, "test", TEST_NOW, today);
        ids.push(
            members::join(&app.store, &app.vault, &target, &draft, &ctx)
                .await
                .unwrap()
                .membership_id,
        );
    }
    let r = cadre
        .post_json(
            "/api/v1/members/decisions",
            json!({"ids": ids, "decision": "approve"}),
        )
        .await;
    assert_eq!(r.json()["decided"], n, "{}", r.text());
    let list = cadre
        .get("/api/v1/members?status=active&per_page=100")
        .await
        .json();
    ids.iter()
        .map(|id| {
            let m = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == id.to_string())
                .expect("the approved member");
            m["member_no"].as_str().unwrap().to_string()
        })
        .collect()
}

both_backends! {
    async fn a_cadre_records_recipients_once_each_and_the_report_counts_them(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        // Every problem at once; nothing written.
        let r = gulou.post_json("/api/v1/care/activities", json!({"name": " ", "kind": "picnic", "held_on": "someday",
            "org_code": "F371502001", "budget": "-1"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["name", "kind", "held_on", "budget"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM care_activities").await, 0);
        let r = gulou.post_json("/api/v1/care/activities", json!({"name": "2026年夏季送清凉", "kind": "送清凉", "held_on": "2026-07-15",
            "org_code": "F371502001", "place": "古楼骑手之家", "items": "绿豆汤、藿香正气水", "budget": "1,000", "unit_cost": "25"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let a = r.json();
        let id = a["id"].as_str().unwrap().to_string();
        assert!(a["code"].as_str().unwrap().starts_with("HD"), "{a}");
        assert_eq!((a["kind"].as_str(), a["budget_fen"].as_i64()), (Some("summer"), Some(100_000)));

        let nos = members_of(&app, &mut gulou, "JU371502001", 1, 3).await;
        let url = format!("/api/v1/care/activities/{id}/recipients");
        let r = gulou.post_json(&url, json!({"qr": format!("NUANXIN-MEMBER:{}", nos[0])})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["items"], "绿豆汤、藿香正气水");
        for no in &nos[1..] {
            let r = gulou.post_json(&url, json!({"member_no": no})).await;
            assert_eq!(r.status, 201, "{}", r.text());
        }
        // The fourth scan, a repeat: refused with the earlier receipt, nothing written.
        let r = gulou.post_json(&url, json!({"member_no": nos[0]})).await;
        assert_eq!(r.status, 409, "{}", r.text());
        assert_eq!(r.json()["code"], "care.already_received");
        assert_eq!(r.json()["receipt"]["member_no"], nos[0].as_str());
        assert_eq!(r.json()["receipt"]["recorded_by"], "gulou");
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts").await, 3);
        // Nobody, a card of another township's member: not named, nothing written.
        let mut liuyuan = app.demo_user("liuyuan").await;
        let theirs = members_of(&app, &mut liuyuan, "JU371502002", 10, 1).await;
        let r = gulou.post_json(&url, json!({"member_no": theirs[0]})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["field"], "member_no");
        assert!(!r.text().contains("清凉"), "{}", r.text());
        assert_eq!(gulou.post_json(&url, json!({})).await.status, 422);
        // The sibling township sees nothing of it and records nothing.
        assert_eq!(liuyuan.get(&format!("/api/v1/care/activities/{id}")).await.status, 404);
        assert_eq!(liuyuan.post_json(&url, json!({"member_no": theirs[0]})).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/care/activities").await.json()["total"], 0);
        // Non-members by number; a count that would go below zero is refused.
        let r = gulou.post_json(&format!("/api/v1/care/activities/{id}/non-members"), json!({"count": 5})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!((r.json()["members"].as_i64(), r.json()["non_members"].as_i64()), (Some(3), Some(5)));
        let r = gulou.post_json(&format!("/api/v1/care/activities/{id}/non-members"), json!({"count": -6})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        // The report: one activity, 8 reached (3 members), ¥25 each.
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2026-01-01&to=2026-12-31").await;
        assert_eq!(r.json()["care"], json!({"activities": 1, "recipients": 8, "members_reached": 3, "non_members": 5, "spent_fen": 20_000}), "{}", r.text());
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2026-08-01&to=2026-12-31").await;
        assert_eq!(r.json()["care"]["activities"], 0, "counted by the activity's day");
        // The page: recipients, spending against the budget; a repeat scan says when.
        let page = gulou.get(&format!("/care/{id}")).await.text();
        assert!(page.contains("李清凉") && page.contains("¥200.00 / ¥1,000.00"), "{page}");
        let r = gulou.post_form(&format!("/care/{id}/scan"), &[("member_no", nos[1].as_str())], true).await;
        assert_eq!(r.status, 409);
        assert!(r.text().contains("不能重复领取"), "{}", r.text());
        let r = gulou.post_form(&format!("/care/{id}/scan"), &[("member_no", "")], true).await;
        assert_eq!(r.status, 422);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'care.receipt'").await, 3);
        // An activity held at a station: its keeper sees it and records; another keeper does not.
        let mut stations = Vec::new();
        for name in ["古楼骑手之家", "古楼第二驿站"] {
            let r = gulou.post_json("/api/v1/stations", json!({"name": name, "type": "rider_home", "lat": "36.45",
                "lng": "115.98", "address": "古楼街道柳园路 1 号", "hours": "每天 8:00-20:00", "amenities": "饮水",
                "keeper": "王芳", "phone": "0635-8123456", "org_code": "F371502001"})).await;
            stations.push(r.json()["id"].as_str().unwrap().to_string());
        }
        let r = gulou.post_json("/api/v1/care/activities", json!({"name": "驿站送清凉", "kind": "summer", "held_on": "2026-07-16",
            "org_code": "F371502001", "station": "not-a-station"})).await;
        assert_eq!(r.json()["errors"][0]["field"], "station", "{}", r.text());
        let r = gulou.post_json("/api/v1/care/activities", json!({"name": "驿站送清凉", "kind": "summer", "held_on": "2026-07-16",
            "org_code": "F371502001", "station": stations[0]})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let at_station = r.json()["id"].as_str().unwrap().to_string();
        let mut keepers = Vec::new();
        for (i, s) in stations.iter().enumerate() {
            let username = format!("keeper-{i}");
            let r = gulou.post_json("/api/v1/accounts", json!({"username": username, "password": "pass-word-1",
                "org_code": "F371502001", "role": "keeper", "station": s})).await;
            assert!(r.status.is_success(), "{}", r.text());
            keepers.push(app.login(&username, "pass-word-1").await);
        }
        let url = format!("/api/v1/care/activities/{at_station}/recipients");
        let r = keepers[0].post_json(&url, json!({"member_no": nos[0]})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert!(keepers[0].get(&format!("/stations/{}", stations[0])).await.text().contains("驿站送清凉"));
        assert_eq!(keepers[0].get("/api/v1/care/activities").await.json()["total"], 1, "their station's only");
        assert_eq!(keepers[0].get(&format!("/api/v1/care/activities/{id}")).await.status, 404);
        assert_eq!(keepers[1].get(&format!("/api/v1/care/activities/{at_station}")).await.status, 404);
        assert_eq!(keepers[1].post_json(&url, json!({"member_no": nos[1]})).await.status, 404);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'care.non_members'").await, 1);
    }
}

both_backends! {
    async fn a_paper_list_comes_in_and_each_repeat_names_the_earlier_row_or_receipt(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/care/activities", json!({"name": "金秋助学", "kind": "school", "held_on": "2026-09-01",
            "org_code": "F371502001", "items": "助学金", "unit_cost": "500"})).await;
        let a = r.json();
        let (id, code) = (a["id"].as_str().unwrap().to_string(), a["code"].as_str().unwrap().to_string());
        let nos = members_of(&app, &mut gulou, "JU371502001", 1, 3).await;
        // The third member was scanned on the day already.
        let r = gulou.post_json(&format!("/api/v1/care/activities/{id}/recipients"), json!({"member_no": nos[2]})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let id2 = nuanxin_testkit::id_with_check("37150219900101021");
        let csv = format!("活动编号,身份证号,会员编号,领取日期,物品\n\
            {code},,{n0},2026-09-01,\n\
            {code},{id2},,2026-09-01,助学金与书包\n\
            {code},,{n0},2026-09-01,\n\
            {lower},,{n2},2026-09-01,\n\
            {code},,99999999999999,2026-09-01,\n\
            HDNOSUCH,,{n1},2026-09-01,\n\
            {code},,,2099-01-01,\n", n0 = nos[0], n1 = nos[1], n2 = nos[2], lower = code.to_lowercase());
        // A dry run writes nothing.
        let r = gulou.post_multipart("/care/import", &[("dry_run", "1")], &[("file", "list.csv", csv.clone().into_bytes())]).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts").await, 1);
        let r = gulou.post_multipart("/care/import", &[], &[("file", "list.csv", csv.into_bytes())]).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.text();
        assert!(page.contains("登记领取 2 人") && page.contains("重复 2 人"), "{page}");
        // Row 4 repeats row 2; row 5 repeats the scan of the day (by gulou).
        assert!(page.contains("#2") && page.contains("2026-11-23 · gulou"), "{page}");
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts").await, 3);
        let a = gulou.get(&format!("/api/v1/care/activities/{id}")).await.json();
        assert_eq!(a["members"], 3, "the count follows the receipts: {a}");
        let listed = gulou.get(&format!("/api/v1/care/activities/{id}/recipients")).await.json();
        let items: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|r| r["items"].as_str().unwrap()).collect();
        assert!(items.contains(&"助学金与书包") && items.contains(&"助学金"), "{items:?}");
        // The sibling township's cadre cannot import into it: every row names the code as unknown.
        let mut liuyuan = app.demo_user("liuyuan").await;
        let csv = format!("活动编号,会员编号,领取日期\n{code},{},2026-09-01\n", nos[1]);
        let r = liuyuan.post_multipart("/care/import", &[], &[("file", "list.csv", csv.into_bytes())]).await;
        assert!(r.text().contains("没有这个活动编号"), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts").await, 3);
    }
}

both_backends! {
    async fn a_handout_records_a_filtered_member_list_once(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 51, 4).await;
        let r = gulou.post_json("/api/v1/care/activities", json!({"name": "冬季送温暖", "kind": "winter", "held_on": "2026-11-20",
            "org_code": "F371502001", "items": "棉衣", "unit_cost": "80"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        // One of them received already by a scan.
        let scan = format!("/api/v1/care/activities/{id}/recipients");
        assert_eq!(gulou.post_json(&scan, json!({"member_no": nos[0]})).await.status, 201);
        let bulk = format!("/api/v1/care/activities/{id}/recipients/bulk");
        let r = gulou.post_json(&bulk, json!({"org": "JU371502001", "group": "外卖配送员", "dry_run": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!((r.json()["matched"].as_i64(), r.json()["already"].as_i64(), r.json()["recorded"].as_i64(), r.json()["cost_fen"].as_i64()),
            (Some(4), Some(1), Some(3), Some(24_000)), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts").await, 1, "a preview writes nothing");
        // Another group: nobody.
        let r = gulou.post_json(&bulk, json!({"group": "courier", "dry_run": true})).await;
        assert_eq!(r.json()["matched"], 0, "{}", r.text());
        let r = gulou.post_json(&bulk, json!({"org": "JU371502001", "group": "外卖配送员"})).await;
        assert_eq!((r.json()["recorded"].as_i64(), r.json()["dry_run"].as_bool()), (Some(3), Some(false)), "{}", r.text());
        assert_eq!(gulou.get(&format!("/api/v1/care/activities/{id}")).await.json()["members"], 4);
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts WHERE CAST(received_on AS TEXT) = '2026-11-20'").await, 3,
            "dated the activity's day");
        // Again: everyone received already, nothing written.
        let r = gulou.post_json(&bulk, json!({})).await;
        assert_eq!((r.json()["recorded"].as_i64(), r.json()["already"].as_i64()), (Some(0), Some(4)), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM care_receipts").await, 4);
        // Outside the organiser: refused by field; a sibling sees nothing; a viewer may not.
        let r = gulou.post_json(&bulk, json!({"org": "F371502", "dry_run": true})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("cases.unknown_org")), "the county is out of gulou's sight: {}", r.text());
        let mut city = app.demo_user("liaocheng").await;
        let r = city.post_json(&bulk, json!({"org": "F371502002", "dry_run": true})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("org")), "{}", r.text());
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.post_json(&bulk, json!({"dry_run": true})).await.status, 404);
        let mut guancha = app.demo_user("guancha").await;
        assert_eq!(guancha.post_json(&bulk, json!({"dry_run": true})).await.status, 403);
        // The page: preview then confirm.
        let page = gulou.post_form(&format!("/care/{id}/handout"), &[("step", "preview")], true).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("id=\"handout-report\""), "{}", page.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'care.handout'").await, 1, "only a handout that recorded someone");
    }
}
