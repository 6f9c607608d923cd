//! Joining: join code → mobile join page → SMS code → pending → approved → e-card; one active
//! membership per person, transfers, duplicates, validation, scope, the audited reveal.

use nuanxin_core::members::{self, Channel, JoinContext, JoinDraft, JoinInput};
use nuanxin_testkit::{both_backends, Client, TestApp, TEST_NOW};
use serde_json::json;

/// 18-character ID numbers with valid check characters (GB 11643).
const ZHANG: &str = "371502199001011234";

fn li() -> String {
    id_with_check("37150219851212322")
}

use nuanxin_core::sheets::import::SheetImport;
use nuanxin_testkit::id_with_check;

/// A worker joins through the mobile page: asks for the SMS code, reads it from the dev sender,
/// submits. Returns the worker's client (with the member cookie) and the response.
async fn join_by_page(
    app: &TestApp,
    code: &str,
    name: &str,
    id: &str,
    phone: &str,
) -> (Client, nuanxin_testkit::Resp) {
    let mut w = app.anonymous();
    let page = w.get(&format!("/j/{code}")).await;
    assert_eq!(page.status, 200);
    // The work place is picked from the townships of the union's county (others typed).
    assert!(
        page.text().contains("<option value=\"371502001\"") && page.text().contains("古楼街道"),
        "township picker"
    );
    let key = page
        .text()
        .split("name=\"request_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
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
        ("request_key", key.as_str()),
        ("name", name),
        ("id_number", id),
        ("phone", phone),
        ("sms_code", sms.as_str()),
        ("group", "delivery_rider"),
        ("employer", "美团"),
        ("work_region", "371502001"),
        ("consent", "1"),
    ];
    let r = w.post_form(&format!("/j/{code}"), &fields, false).await;
    (w, r)
}

fn draft(name: &str, id: &str, phone: &str, key: Option<&str>) -> JoinDraft {
    let input = JoinInput {
        name: name.into(),
        id_number: id.into(),
        phone: phone.into(),
        group: "快递员".into(),
        consent: true,
        request_key: key.map(str::to_string),
        ..JoinInput::default()
    };
    JoinDraft::parse(
        &input,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    )
    .unwrap()
}

fn ctx() -> JoinContext {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    JoinContext::consented(Channel::Qr, "test", TEST_NOW, today)
}

both_backends! {
    async fn join_approve_and_the_e_card(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let code = cadre.join_code("JU371502001").await;
        let (mut worker, r) = join_by_page(&app, &code, "张三", ZHANG, "13806351234").await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/me")), "{}", r.text());
        let me = worker.get("/me").await.text();
        assert!(me.contains("待审核") && me.contains("古楼街道灵活就业人员联合工会") && me.contains("3715**********1234"), "{me}");
        assert!(!me.contains(ZHANG), "the full ID number is never shown to the page");

        let pending = cadre.get("/api/v1/members?org=F371502001&status=pending").await.json();
        assert_eq!(pending["total"], 1);
        let m = &pending["items"][0];
        assert_eq!((m["name"].as_str(), m["id_number"].as_str(), m["phone"].as_str()), (Some("张三"), Some("3715**********1234"), Some("138****1234")));
        let r = cadre.post_json("/api/v1/members/decisions", json!({"ids": [m["id"]], "decision": "approve"})).await;
        assert_eq!(r.json()["decided"], 1, "{}", r.text());
        let me = worker.get("/me").await.text();
        assert!(me.contains("电子会员卡") && me.contains("<svg"), "{me}");
        let no = me.split("id=\"member-no\">").nth(1).unwrap().split('<').next().unwrap();
        assert!(no.starts_with("37150226") && no.len() == 16, "{no}");
        let active = cadre.get(&format!("/api/v1/members?q={no}")).await.json();
        assert_eq!(active["items"][0]["status"], "active");
        // The events count the join for the statistics of the day.
        assert_eq!(app.count("SELECT COUNT(*) FROM membership_events WHERE event = 'joined' AND on_date = '2026-11-23'").await, 1);
        // The sealed ID number is stored, not the number.
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM people WHERE id_mask = '3715**********1234' AND id_hash <> '{ZHANG}'")).await, 1);
        // The member signs in again later with phone and SMS code.
        let mut again = app.anonymous();
        app.clock.advance(61_000);
        again.post_form("/me/login", &[("action", "sms"), ("phone", "138 0635 1234")], false).await;
        let sms = app.sms.last_code("13806351234").unwrap();
        let r = again.post_form("/me/login", &[("action", "login"), ("phone", "13806351234"), ("sms_code", &sms)], false).await;
        assert_eq!(r.location(), Some("/me"));
        assert!(again.get("/me").await.text().contains(no));
    }

    async fn a_second_join_elsewhere_is_a_transfer_and_one_membership_stays_active(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let first = members::resolve_code(&mut app.store.read().await.unwrap(), &gulou.join_code("JU371502001").await).await.unwrap();
        let second = members::resolve_code(&mut app.store.read().await.unwrap(), &liuyuan.join_code("JU371502002").await).await.unwrap();
        let r1 = members::join(&app.store, &app.vault, &first, &draft("李四", &li(), "13906351111", None), &ctx()).await.unwrap();
        let id1 = r1.membership_id.to_string();
        gulou.post_json("/api/v1/members/decisions", json!({"ids": [id1], "decision": "approve"})).await;
        let r2 = members::join(&app.store, &app.vault, &second, &draft("李四", &li().to_lowercase(), "13906351111", None), &ctx()).await.unwrap();
        assert_eq!((r2.status.as_str(), r2.transfer_from.as_deref()), ("pending", Some("古楼街道灵活就业人员联合工会")));
        // The old union still has the member; the new one sees the transfer request.
        assert_eq!(gulou.get("/api/v1/members?status=active").await.json()["total"], 1);
        let req = liuyuan.get("/api/v1/members?status=pending").await.json();
        assert_eq!(req["items"][0]["transfer_from"], "古楼街道灵活就业人员联合工会");
        let leaving = gulou.get("/api/v1/members?status=transfer_out").await.json();
        assert_eq!((leaving["total"].as_i64(), leaving["items"][0]["org_code"].as_str()), (Some(1), Some("JU371502002")), "the old union sees the request");
        assert_eq!(liuyuan.get("/api/v1/members?status=transfer_out").await.json()["total"], 0);
        // gulou cannot decide liuyuan's request.
        let r = gulou.post_json("/api/v1/members/decisions", json!({"ids": [r2.membership_id], "decision": "approve"})).await;
        assert_eq!(r.status, 404);
        let r = liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [r2.membership_id], "decision": "approve"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // Accepted by the new union: the old one may still object, so nothing moved yet. Both
        // see the transfer; the old union lets the member go and it completes.
        assert_eq!(gulou.get("/api/v1/members?status=active").await.json()["total"], 1);
        let seen = liuyuan.get("/api/v1/transfers").await.json();
        let t = gulou.get("/api/v1/transfers").await.json();
        assert_eq!((t["total"].as_i64(), seen["total"].as_i64()), (Some(1), Some(1)), "{t}");
        assert_eq!((t["items"][0]["status"].as_str(), t["items"][0]["requested_side"].as_str()), (Some("accepted"), Some("worker")));
        let id = t["items"][0]["id"].as_str().unwrap().to_string();
        let r = liuyuan.post_json(&format!("/api/v1/transfers/{id}/object"), json!({"reason": "不是我们的"})).await;
        assert_eq!(r.status, 403, "only the old union objects: {}", r.text());
        let r = gulou.post_json(&format!("/api/v1/transfers/{id}/accept"), json!({})).await;
        assert_eq!(r.json()["status"], "completed", "{}", r.text());
        assert_eq!(gulou.get("/api/v1/members?status=active").await.json()["total"], 0);
        assert_eq!(gulou.get("/api/v1/members?status=transferred").await.json()["total"], 1);
        assert_eq!(liuyuan.get("/api/v1/members?status=active").await.json()["total"], 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, 1, "one person, found by the keyed hash");
        let events = app.count("SELECT COUNT(*) FROM membership_events WHERE event IN ('joined', 'transferred_out')").await;
        assert_eq!(events, 3);
    }

    async fn duplicate_and_concurrent_submissions_make_one_membership(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &cadre.join_code("JU371502001").await).await.unwrap();
        let mut handles = Vec::new();
        for i in 0..8 {
            let (store, vault, target) = (app.store.clone(), app.vault.clone(), target.clone());
            // Half retry the same request key, half are fresh submissions of the same person.
            let key = if i % 2 == 0 { Some("same-key".to_string()) } else { None };
            handles.push(tokio::spawn(async move {
                members::join(&store, &vault, &target, &draft("张三", ZHANG, "13806351234", key.as_deref()), &ctx()).await
            }));
        }
        let mut ids = std::collections::BTreeSet::new();
        for h in handles {
            ids.insert(h.await.unwrap().expect("every submission is answered").membership_id);
        }
        assert_eq!(ids.len(), 1, "one membership for all submissions");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, 1);
    }

    async fn bad_input_is_reported_by_field_and_nothing_is_written(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let code = cadre.join_code("JU371502001").await;
        let mut w = app.anonymous();
        let bad_check = format!("{}0", &ZHANG[..17]);
        let fields = [("action", "join"), ("name", "<b>张三</b>"), ("id_number", bad_check.as_str()), ("phone", "12345"), ("group", "")];
        let r = w.post_form(&format!("/j/{code}"), &fields, false).await;
        assert_eq!(r.status, 422);
        let page = r.text();
        for msg in ["姓名只能包含文字", "身份证号校验位不正确", "请填写 11 位中国大陆手机号", "请选择职业群体", "请阅读并同意隐私说明"] {
            assert!(page.contains(msg), "{msg} missing");
        }
        assert!(!page.contains("<b>张三</b>"), "hostile input is escaped");
        // A wrong SMS code is refused; five wrong tries use the code up.
        w.post_form(&format!("/j/{code}"), &[("action", "sms"), ("phone", "13806351234")], false).await;
        let good = [("action", "join"), ("name", "张三"), ("id_number", ZHANG), ("phone", "13806351234"), ("group", "courier"), ("consent", "1")];
        for _ in 0..5 {
            let mut f = good.to_vec();
            f.push(("sms_code", "000000"));
            assert!(w.post_form(&format!("/j/{code}"), &f, false).await.text().contains("验证码不正确"));
        }
        let mut f = good.to_vec();
        let real = app.sms.last_code("13806351234").unwrap();
        f.push(("sms_code", real.as_str()));
        assert!(w.post_form(&format!("/j/{code}"), &f, false).await.text().contains("验证码错误次数过多"));
        // Asking again within a minute is refused.
        let r = w.post_form(&format!("/j/{code}"), &[("action", "sms"), ("phone", "13806351234")], false).await;
        assert!(r.text().contains("发送太频繁"));
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, 0);
        // Legacy 15-digit numbers are upgraded.
        let legacy = "371502900101123";
        let d = draft("王五", legacy, "13706350000", None);
        assert_eq!(d.id.as_str(), id_with_check("37150219900101123"));
    }

    async fn rotated_codes_stop_working_and_cadres_see_only_their_members(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let old = gulou.join_code("JU371502001").await;
        let new = gulou.join_code("JU371502001").await;
        assert_ne!(old, new);
        let mut w = app.anonymous();
        let r = w.get(&format!("/j/{old}")).await;
        assert_eq!(r.status, 410);
        assert!(r.text().contains("二维码已失效"));
        assert_eq!(w.get("/j/NOSUCHCODE").await.status, 404);
        let (_, r) = join_by_page(&app, &new, "张三", ZHANG, "13806351234").await;
        assert_eq!(r.status, 303);
        // Siblings see nothing of it, and cannot rotate the code.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get("/api/v1/members?status=all").await.json()["total"], 0);
        assert_eq!(liuyuan.get("/api/v1/members?org=F371502001").await.status, 404);
        assert_eq!(liuyuan.post_json("/api/v1/orgs/JU371502001/join-codes", json!({})).await.status, 404);
        let id = gulou.get("/api/v1/members?status=pending").await.json()["items"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(liuyuan.post_json(&format!("/api/v1/members/{id}/reveal"), json!({})).await.status, 404);
        assert_eq!(liuyuan.get(&format!("/members/{id}")).await.status, 404);
        // The admin reveals the number, and the reveal is audited; a staff member may not.
        let r = gulou.post_json(&format!("/api/v1/members/{id}/reveal"), json!({})).await;
        assert_eq!(r.json()["id_number"], ZHANG);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.reveal_id' AND actor = 'gulou'").await, 1);
        let mut staff = app.demo_user("baopian").await;
        assert_eq!(staff.post_json(&format!("/api/v1/members/{id}/reveal"), json!({})).await.status, 404);
        // The cadre pages: the register with the pending request, the code page with its QR code.
        let list = gulou.get("/members?status=pending").await.text();
        assert!(list.contains("张三") && list.contains("3715**********1234") && !list.contains(ZHANG));
        let page = gulou.get("/orgs/JU371502001/join-code").await.text();
        assert!(page.contains(&new) && page.contains("<svg"));
        let pdf = gulou.get("/orgs/JU371502001/join-code.pdf").await;
        if pdf.status == 200 {
            assert!(pdf.body.starts_with(b"%PDF"));
        } else {
            assert!(std::env::var("NUANXIN_E2E").is_err(), "the poster needs a CJK font: {}", pdf.text());
        }
        assert_eq!(liuyuan.get("/orgs/JU371502001/join-code.pdf").await.status, 404);
        let xlsx = gulou.get("/members/export.xlsx?status=all").await;
        assert_eq!(xlsx.status, 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.export'").await, 1);
        // Rejecting needs a reason, shown to the worker.
        let r = gulou.post_json("/api/v1/members/decisions", json!({"ids": [id], "decision": "reject"})).await;
        assert_eq!(r.json()["field"], "reason");
        let r = gulou.post_json("/api/v1/members/decisions", json!({"ids": [id], "decision": "reject", "reason": "不在本辖区工作"})).await;
        assert_eq!(r.status, 200);
    }

    async fn partner_pushes_with_consent_make_members_and_without_only_prospects(app: TestApp) {
        app.load_demo().await;
        let mut city = app.demo_user("liaocheng").await;
        city.post_json("/api/v1/accounts", json!({"username": "dcf-window", "password": "pass-word-1", "org_code": "F371502", "role": "staff"})).await;
        let token = city.post_json("/api/v1/tokens", json!({"username": "dcf-window", "name": "交通运输局窗口"})).await.json()["token"].as_str().unwrap().to_string();
        let mut window = app.anonymous().with_bearer(&token);
        let consent = json!({"at": TEST_NOW - 60_000, "by": "东昌府区交通运输局窗口 王五", "method": "paper_form"});
        let body = json!({"channel": "window", "records": [
            {"ref": "A1", "name": "张三", "id_number": ZHANG, "phone": "13806351234", "group": "货车司机", "work_region": "371502001001", "consent": consent},
            {"ref": "A2", "name": "李四", "id_number": li(), "phone": "13906351111", "group": "truck_driver", "work_region": "371502002"},
            {"ref": "A3", "name": "王五", "id_number": "371502199001011230", "phone": "13706350000", "group": "truck_driver", "work_region": "371502001", "consent": consent},
            {"ref": "A4", "name": "赵六", "id_number": id_with_check("37150319900101123"), "phone": "13706350001", "group": "truck_driver", "work_region": "371503001", "consent": consent},
            {"ref": "A5", "name": "钱七", "id_number": id_with_check("37150219900101124"), "phone": "13706350002", "group": "truck_driver", "work_region": "371502001", "consent": {"at": TEST_NOW, "by": "", "method": "x"}}
        ]});
        let r = window.post_json("/api/v1/members/push", body.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let results = r.json()["results"].clone();
        let outcome = |i: usize| (results[i]["outcome"].as_str().unwrap().to_string(), results[i]["org_code"].as_str().map(str::to_string));
        assert_eq!(outcome(0), ("member".into(), Some("JU371502001".into())));
        assert!(results[0]["member_no"].as_str().unwrap().starts_with("371502"));
        assert_eq!(outcome(1), ("prospect".into(), Some("JU371502002".into())));
        assert_eq!(results[2]["errors"][0], json!({"field": "id_number", "code": "members.id_bad_check"}));
        assert_eq!(results[3]["errors"][0]["code"], "members.no_union_for_region", "Chiping is outside the window's county");
        assert_eq!(results[4]["errors"][0]["code"], "members.bad_consent_evidence");
        // Pushing the same batch again changes nothing and answers the same.
        let again = window.post_json("/api/v1/members/push", body).await.json()["results"].clone();
        assert_eq!(again[0]["member_no"], results[0]["member_no"]);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM prospects").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships m JOIN people p ON p.id = m.person_id WHERE p.name = '李四'").await, 0, "a prospect is never a member");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE channel = 'window' AND consent_method = 'paper_form'").await, 1);
        // A unionised employer known to the census takes its worker, whatever the work township:
        // by USCC, or by the exact name.
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.post_json("/api/v1/enterprises", json!({"uscc": "91371500789201168K", "name": "聊城速达同城配送有限公司",
            "industry": "food_delivery", "staff": "80", "new_form_workers": "60", "region_code": "371502002",
            "union_status": "unionised", "union_code": "JU371502002", "source": "survey"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let employed = json!({"channel": "window", "records": [
            {"ref": "B1", "name": "孙八", "id_number": id_with_check("37150219900101125"), "phone": "13706350003", "group": "delivery_rider",
             "work_region": "371502001", "employer_uscc": "91371500789201168k", "consent": consent},
            {"ref": "B2", "name": "周九", "id_number": id_with_check("37150219900101126"), "phone": "13706350004", "group": "delivery_rider",
             "work_region": "371502001", "employer": "聊城速达同城配送有限公司", "consent": consent},
            {"ref": "B3", "name": "吴十", "id_number": id_with_check("37150219900101127"), "phone": "13706350005", "group": "delivery_rider",
             "work_region": "371502001", "employer": "没有建会的公司", "consent": consent}
        ]});
        let r = window.post_json("/api/v1/members/push", employed).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let results = r.json()["results"].clone();
        let unions: Vec<&str> = (0..3).map(|i| results[i]["org_code"].as_str().unwrap()).collect();
        assert_eq!(unions, ["JU371502002", "JU371502002", "JU371502001"]);
        // A viewer token cannot push.
        city.post_json("/api/v1/accounts", json!({"username": "dcf-view", "password": "pass-word-1", "org_code": "F371502", "role": "viewer"})).await;
        let vt = city.post_json("/api/v1/tokens", json!({"username": "dcf-view", "name": "x"})).await.json()["token"].as_str().unwrap().to_string();
        assert_eq!(app.anonymous().with_bearer(&vt).post_json("/api/v1/members/push", json!({"records": []})).await.status, 403);
    }

    async fn a_mass_join_event_counts_who_joins_through_its_code(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let r = cadre.post_json("/api/v1/orgs/JU371502001/events", json!({"name": "外卖骑手集中入会", "held_on": "2026/11/23", "place": "古楼街道骑手之家"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let event = r.json();
        let (id, code) = (event["id"].as_str().unwrap().to_string(), event["code"].as_str().unwrap().to_string());
        assert_eq!(event["head_count"], 0);
        for (i, (name, phone)) in [("张三", "13806351234"), ("刘一", "13806351235")].iter().enumerate() {
            let id_number = id_with_check(&format!("3715021990010112{i}"));
            let (_, r) = join_by_page(&app, &code, name, &id_number, phone).await;
            assert_eq!(r.status, 303, "{}", r.text());
        }
        let now = cadre.get(&format!("/api/v1/events/{id}")).await.json();
        assert_eq!(now["head_count"], 2);
        let joined = cadre.get(&format!("/api/v1/events/{id}/members")).await.json();
        assert_eq!(joined["total"], 2);
        assert!(joined["items"].as_array().unwrap().iter().all(|m| m["status"] == "active" && m["channel"] == "event"), "{joined}");
        assert_eq!(cadre.get(&format!("/events/{id}/count")).await.text(), "2");
        let screen = cadre.get(&format!("/events/{id}/screen")).await.text();
        assert!(screen.contains("外卖骑手集中入会") && screen.contains("hx-trigger=\"every 3s\""));
        // Siblings see nothing; closing stops the code.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/api/v1/events/{id}")).await.status, 404);
        assert_eq!(cadre.post_form(&format!("/events/{id}/close"), &[], true).await.status, 303);
        assert_eq!(app.anonymous().get(&format!("/j/{code}")).await.status, 410);
        // The regular code of the union keeps working.
        let regular = cadre.join_code("JU371502001").await;
        assert_eq!(app.anonymous().get(&format!("/j/{regular}")).await.status, 200);
    }
}

#[tokio::test]
async fn the_join_page_is_light_and_self_contained() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let code = cadre.join_code("JU371502001").await;
    let page = app.anonymous().get(&format!("/j/{code}")).await;
    // Everything a first visit transfers: the page itself, with its styles and its small script
    // of live checks inline, and no scripts, stylesheets, images or fonts to fetch.
    assert!(page.body.len() < 50_000, "{} bytes", page.body.len());
    let html = page.text();
    assert!(
        html.contains("data-id-bad-check=\"身份证号校验位不正确"),
        "the live checks' messages"
    );
    for external in ["<script src", "<link", "<img", "@font-face", "url("] {
        assert!(!html.contains(external), "the join page loads {external}");
    }
    // The employer field suggests employers from the census of the union's county.
    nuanxin_core::demo::load_census(&app.store, &app.clock)
        .await
        .unwrap();
    let names = app
        .anonymous()
        .get(&format!("/j/{code}/employers?q=快递"))
        .await
        .json();
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        !names.is_empty() && names.len() <= 10 && names.iter().all(|n| n.contains("快递")),
        "{names:?}"
    );
    assert!(names.contains(&"东昌府区顺捷快递服务部"), "{names:?}");
    let none = app
        .anonymous()
        .get(&format!("/j/{code}/employers?q=%25"))
        .await
        .json();
    assert_eq!(none, json!([]), "LIKE wildcards are taken literally");
    assert_eq!(
        app.anonymous()
            .get("/j/nosuchcode/employers?q=快递")
            .await
            .status,
        404
    );
    app.finish().await;
}

#[tokio::test]
async fn the_http_sms_gateway_posts_json_with_the_token() {
    use axum::routing::post;
    use nuanxin_core::members::identity::Phone;
    use nuanxin_core::members::sms::{HttpSms, SmsSender};
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let s = seen.clone();
    let gateway = axum::Router::new().route(
        "/send",
        post(
            move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                s.lock().unwrap().push((auth, body.0));
                "ok"
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, gateway).await.unwrap() });
    let sms = HttpSms::new(&format!("http://{addr}/send"), Some("t0ken".into())).unwrap();
    assert!(!format!("{sms:?}").contains("t0ken"));
    sms.send(
        &Phone::parse("13806351234").unwrap(),
        "【暖新】验证码 123456",
    )
    .await
    .unwrap();
    let got = seen.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![(
            "Bearer t0ken".to_string(),
            json!({"phone": "13806351234", "text": "【暖新】验证码 123456"})
        )]
    );
    let down = HttpSms::new("http://127.0.0.1:9/none", None).unwrap();
    assert!(down
        .send(&Phone::parse("13806351234").unwrap(), "x")
        .await
        .is_err());
    assert!(HttpSms::new("ftp://x", None).is_err());
}

#[tokio::test]
async fn cadres_import_members_from_the_console() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut c = app.demo_user("gulou").await;
    let csv = format!("姓名,身份证号,手机号,职业群体,所属工会编码\n张三,{ZHANG},13806351234,快递员,JU371502001\n李四,{},13906351111,骑手,JU371502001\n王五,{},13706350000,保安员,JU371502002\n",
        li(), id_with_check("37150219900101124"));
    let b = "NUANXINBOUNDARY";
    let body = |dry: bool| {
        let mut s = format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n");
        if dry {
            s.push_str(&format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n"
            ));
        }
        s.push_str(&format!("--{b}--\r\n"));
        s.into_bytes()
    };
    let ct = format!("multipart/form-data; boundary={b}");
    let r = c
        .send(
            axum::http::Method::POST,
            "/members/import",
            Some((&ct, body(true))),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(
        page.contains("可导入 1 行")
            && page.contains("请选择职业群体")
            && page.contains("没有这个上级工会"),
        "{page}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 0);
    let r = c
        .send(
            axum::http::Method::POST,
            "/members/import",
            Some((&ct, body(false))),
        )
        .await;
    assert!(r.text().contains("已导入 1 行"));
    assert_eq!(
        c.get("/api/v1/members?status=active").await.json()["total"],
        1
    );
    assert!(c
        .get("/members/template.xlsx")
        .await
        .body
        .starts_with(b"PK"));
    app.finish().await;
}

both_backends! {
    async fn group_commit_keeps_each_join_apart(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &cadre.join_code("JU371502001").await).await.unwrap();
        let queue = members::JoinQueue::start(app.store.clone(), app.vault.clone());
        let mut handles = Vec::new();
        for i in 0..30usize {
            let (queue, target) = (queue.clone(), target.clone());
            handles.push(tokio::spawn(async move {
                // Every third join names a work region that does not exist: it fails alone.
                let mut input = JoinInput { name: "并发".into(), id_number: id_with_check(&format!("371502199001{:02}{:03}", 1 + i % 28, 100 + i)),
                    phone: format!("1380635{:04}", i), group: "courier".into(), consent: true, ..JoinInput::default() };
                if i % 3 == 0 {
                    input.work_region = Some("371599001".into());
                }
                let d = JoinDraft::parse(&input, chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()).unwrap();
                (i, queue.join(&target, &d, &ctx()).await)
            }));
        }
        let mut ok = 0;
        for h in handles {
            let (i, r) = h.await.unwrap();
            match r {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!((i % 3, e.code()), (0, "regions.unknown")),
            }
        }
        assert_eq!(ok, 20);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 20);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, 20, "a failed join leaves no person behind");
    }
}

both_backends! {
    async fn a_work_place_outside_the_listed_townships_is_typed(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let code = cadre.join_code("JU371502001").await;
        let mut w = app.anonymous();
        let page = w.get(&format!("/j/{code}")).await.text();
        let key = page.split("name=\"request_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let phone = "13806359999";
        w.post_form(&format!("/j/{code}"), &[("action", "sms"), ("phone", phone)], false).await;
        let sms = app.sms.last_code(phone).expect("a code was sent");
        // "Elsewhere" in the list, and a Chiping township typed below it.
        let fields = [
            ("action", "join"), ("request_key", key.as_str()), ("name", "孙悟"), ("id_number", ZHANG),
            ("phone", phone), ("sms_code", sms.as_str()), ("group", "courier"),
            ("work_region", ""), ("work_region_other", "371599001"), ("consent", "1"),
        ];
        // A code that names no region is an error on the field, and the SMS code stays usable.
        let r = w.post_form(&format!("/j/{code}"), &fields, false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"wr-err\"") && r.text().contains("没有这个区划代码"), "{}", r.text());
        let mut fields = fields;
        fields[8] = ("work_region_other", "371503001");
        let r = w.post_form(&format!("/j/{code}"), &fields, false).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE work_region = '371503001'").await, 1);
    }
}

both_backends! {
    async fn a_large_member_import_writes_in_batches_and_counts_exactly(app: TestApp) {
        app.load_demo().await;
        let caller = nuanxin_core::accounts::Caller::operator(&app.clock);
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        // 张三 is already a member of Gulou; 李四 has a request pending at Liuyuan.
        let at_gulou = members::resolve_code(&mut app.store.read().await.unwrap(), &gulou.join_code("JU371502001").await).await.unwrap();
        let at_liuyuan = members::resolve_code(&mut app.store.read().await.unwrap(), &liuyuan.join_code("JU371502002").await).await.unwrap();
        let zhang = members::join(&app.store, &app.vault, &at_gulou, &draft("张三", ZHANG, "13806351234", None), &ctx()).await.unwrap();
        let mut tx = app.store.write().await.unwrap();
        members::decide(&mut tx, &caller, &[zhang.membership_id], &members::Decision::Approve).await.unwrap();
        tx.commit().await.unwrap();
        members::join(&app.store, &app.vault, &at_liuyuan, &draft("李四", &li(), "13906351111", None), &ctx()).await.unwrap();

        // 2,600 rows: more than two write batches, with bad rows and a repeat across batches.
        let id = |i: usize| {
            let born = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap() + chrono::Days::new((i / 1000) as u64);
            id_with_check(&format!("371502{}{:03}", born.format("%Y%m%d"), i % 1000))
        };
        let mut csv = "姓名,身份证号,手机号,职业群体,所属工会编码,工作地区划代码,入会日期\n".to_string();
        for i in 0..2_600 {
            let who = if i == 1_500 { id(10) } else { id(i) };
            let phone = if i == 2_000 { "12345".to_string() } else { format!("137{:08}", i) };
            let union = match i {
                2_100 => "JU999",
                _ if i % 2 == 0 => "JU371502001",
                _ => "JU371502002",
            };
            let joined = if i % 2 == 0 { "2025-03-01" } else { "2026-01-15" };
            csv += &format!("导入会员,{who},{phone},快递员,{union},371502001,{joined}\n");
        }
        csv += &format!("张三,{ZHANG},13806351234,快递员,JU371502002,,\n");
        csv += &format!("李四,{},13906351111,外卖配送员,JU371502001,,\n", li());
        let table = members::sheet::MembersSheet::read(csv.as_bytes()).unwrap();
        let active = "SELECT COUNT(*) FROM memberships WHERE status = 'active'";
        let before = app.count(active).await;

        let dry = members::sheet::import(&app.store, &app.vault, &caller, &table, true, |_, _| {}).await.unwrap();
        assert_eq!((dry.dry_run, dry.imported, dry.matched.len(), dry.rejected.len()), (true, 2_598, 1, 3));
        assert_eq!(app.count(active).await, before, "a dry run writes nothing");

        let mut progress = Vec::new();
        let rep = members::sheet::import(&app.store, &app.vault, &caller, &table, false, |done, total| progress.push((done, total))).await.unwrap();
        assert_eq!(rep.imported, 2_598, "{:?}", rep.rejected);
        let rejected: Vec<(usize, &str, &str)> = rep.rejected.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
        assert_eq!(rejected, vec![
            (1_502, "身份证号", "members.duplicate_in_file"),
            (2_002, "手机号", "members.bad_phone"),
            (2_102, "所属工会编码", "orgs.unknown_parent"),
        ]);
        assert_eq!(rep.matched.len(), 1);
        let m = &rep.matched[0];
        assert_eq!((m.row, m.org_code.as_deref()), (2_602, Some("JU371502001")), "张三 is matched to his Gulou membership");
        assert!(m.member_no.as_deref().is_some_and(|n| n.starts_with("37150226")), "{m:?}");
        assert!(progress.len() >= 3 && progress.last() == Some(&(2_602, 2_602)), "{progress:?}");

        assert_eq!(app.count(active).await, before + 2_598);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active' AND member_no IS NOT NULL").await, before + 2_598);
        assert_eq!(app.count("SELECT COUNT(DISTINCT member_no) FROM memberships").await, before + 2_598, "numbers are unique");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'pending'").await, 0, "李四's request at Liuyuan gave way");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'withdrawn'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM membership_events WHERE event = 'joined' AND on_date = '2025-03-01'").await, 1_297, "the even rows but the repeat and the two bad ones");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships m JOIN people p ON p.id = m.person_id WHERE p.phone = '13700001234' AND m.status = 'active'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE id_mask LIKE '3715**********%'").await, app.count("SELECT COUNT(*) FROM people").await);
        // The counters summed once per batch agree with a recount from the records.
        let recount = nuanxin_core::coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        let cov = gulou.get("/api/v1/members?org=JU371502001&status=active&per_page=1").await.json();
        assert_eq!(cov["total"], 1 + 1_297 + 1, "张三, the even rows, 李四");
    }

    async fn the_sms_code_is_used_up_only_by_the_join_it_allows(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let code = cadre.join_code("JU371502001").await;
        let mut phone = app.anonymous();
        let r = phone.post_json(&format!("/api/v1/join/{code}/sms"), json!({"phone": "13806351234"})).await;
        assert_eq!(r.status, 204, "{}", r.text());
        let sms = app.sms.last_code("13806351234").unwrap();
        let body = |region: &str, sms_code: &str| json!({"name": "张三", "id_number": ZHANG, "phone": "13806351234", "group": "courier",
            "consent": true, "work_region": region, "sms_code": sms_code});
        let wrong = if sms == "000000" { "111111" } else { "000000" };
        let r = phone.post_json(&format!("/api/v1/join/{code}"), body("371502001", wrong)).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("members.sms_code_wrong")));
        assert_eq!(app.count("SELECT attempts FROM sms_codes").await, 1, "the wrong try is counted");
        // A join that fails after the code was accepted leaves the code usable.
        let r = phone.post_json(&format!("/api/v1/join/{code}"), body("371502999", &sms)).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("work_region")), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE used_at IS NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE phone = '13806351234'").await, 0, "nothing of the failed join stays");
        let r = phone.post_json(&format!("/api/v1/join/{code}"), body("371502001", &sms)).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("pending")), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE used_at IS NOT NULL").await, 1, "used up with the join");
        // Used once: a second join with the same code is refused.
        let mut other = body("371502001", &sms);
        other["id_number"] = json!(li());
        let r = phone.post_json(&format!("/api/v1/join/{code}"), other).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("members.sms_code_expired")));
        // Five wrong tries use a code up.
        app.clock.advance(61_000);
        phone.post_json(&format!("/api/v1/join/{code}/sms"), json!({"phone": "13806351234"})).await;
        for _ in 0..5 {
            let r = phone.post_json(&format!("/api/v1/join/{code}"), body("371502001", "999999")).await;
            assert_eq!(r.status, 422);
        }
        let fresh = app.sms.last_code("13806351234").unwrap();
        let r = phone.post_json(&format!("/api/v1/join/{code}"), body("371502001", &fresh)).await;
        assert_eq!(r.json()["code"], "members.sms_too_many_attempts", "{}", r.text());
    }
}

both_backends! {
    async fn a_batch_of_joins_answers_each_as_if_alone(app: TestApp) {
        app.load_demo().await;
        let caller = nuanxin_core::accounts::Caller::operator(&app.clock);
        let mut tx = app.store.write().await.unwrap();
        let gulou = members::rotate_code(&mut tx, &caller, "JU371502001", "qr", false).await.unwrap().code;
        let liuyuan = members::rotate_code(&mut tx, &caller, "JU371502002", "qr", true).await.unwrap().code;
        tx.commit().await.unwrap();
        let gulou = members::resolve_code(&mut app.store.read().await.unwrap(), &gulou).await.unwrap();
        let liuyuan = members::resolve_code(&mut app.store.read().await.unwrap(), &liuyuan).await.unwrap();
        // 张三 is already a member at Liuyuan, which approves joins automatically.
        let zhang = members::join(&app.store, &app.vault, &liuyuan, &draft("张三", ZHANG, "13806351234", None), &ctx()).await.unwrap();
        assert_eq!(zhang.status, "active");
        let zhao = id_with_check("37150219900606123");
        let mut nowhere = draft("王五", &id_with_check("37150219900303123"), "13806350003", None);
        nowhere.work_region = Some(nuanxin_core::regions::RegionCode::parse("371599001").unwrap());
        let c = ctx();
        let drafts = [
            draft("李四", &li(), "13906351111", Some("tap")),
            draft("李四", &li(), "13906351111", Some("tap")), // a double tap
            draft("赵六", &zhao, "13806350006", None),
            draft("赵六", &zhao, "13806350006", None), // sent again without a key
            nowhere,
            draft("张三", ZHANG, "13806351234", None), // a member elsewhere: a transfer request
        ];
        let targets = [&gulou, &gulou, &liuyuan, &liuyuan, &gulou, &gulou];
        let batch: Vec<_> = targets.into_iter().zip(&drafts).map(|(t, d)| (t, d, &c)).collect();
        let answers = members::join_many(&app.store, &app.vault, &batch).await;
        let ok = |i: usize| answers[i].as_ref().unwrap();
        assert_eq!(ok(0), ok(1), "a repeat in the batch gets the first answer");
        assert_eq!(ok(0).status, "pending");
        assert_eq!(ok(2), ok(3));
        assert_eq!(ok(2).status, "active");
        assert!(ok(2).member_no.is_some());
        assert_eq!(answers[4].as_ref().unwrap_err().code(), "regions.unknown");
        assert_eq!((ok(5).status.as_str(), ok(5).transfer_from.is_some()), ("pending", true));
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 4);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, 3, "the failed join left no person");
        assert_eq!(app.count("SELECT COUNT(*) FROM membership_events WHERE event = 'requested'").await, 4);
        assert_eq!(app.count("SELECT COUNT(*) FROM membership_events WHERE event = 'joined'").await, 2);
        let recount = nuanxin_core::coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
    }
}

both_backends! {
    async fn sms_codes_are_limited_per_phone_and_per_address(app: TestApp) {
        app.load_demo().await;
        let mut cadre = app.demo_user("gulou").await;
        let url = format!("/api/v1/join/{}/sms", cadre.join_code("JU371502001").await);
        let mut w = app.anonymous();
        let ask = |phone: &str| json!({ "phone": phone });
        assert_eq!(w.post_json(&url, ask("13806351234")).await.status, 204);
        assert_eq!(w.post_json(&url, ask("13806351234")).await.status, 429, "one code a minute per phone");
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes").await, 1, "a refused request stores no code");
        for _ in 0..4 {
            app.clock.advance(61_000);
            assert_eq!(w.post_json(&url, ask("13806351234")).await.status, 204);
        }
        app.clock.advance(61_000);
        assert_eq!(w.post_json(&url, ask("13806351234")).await.status, 429, "five an hour per phone");
        // Thirty an hour per address: the five above and 25 to other phones; refusals count not.
        for i in 0..25 {
            let r = w.post_json(&url, ask(&format!("1390635{i:04}"))).await;
            assert_eq!(r.status, 204, "code {i}: {}", r.text());
        }
        assert_eq!(w.post_json(&url, ask("13906359999")).await.status, 429, "thirty an hour per address");
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes").await, 30);
    }
}

both_backends! {
    async fn a_cadre_corrects_a_record_and_the_log_keeps_before_and_after(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
        let joined = members::join(&app.store, &app.vault, &target, &draft("李四", &li(), "13906351111", None), &ctx()).await.unwrap();
        let id = joined.membership_id.to_string();
        let r = gulou.post_json("/api/v1/members/decisions", json!({"ids": [id], "decision": "approve"})).await;
        assert_eq!(r.json()["decided"], 1, "{}", r.text());
        let (old_name, new_group, full_phone) = ("李四", "delivery_rider", "13906351111");
        let uscc = nuanxin_core::census::Uscc::with_check("91371502MA3N00017").unwrap();
        let r = gulou.post_json("/api/v1/enterprises", json!({"uscc": uscc.as_str(), "name": "东昌府区顺丰速运营业部",
            "industry": "express_delivery", "staff": "40", "new_form_workers": "30", "region_code": "371502001", "source": "survey"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        // The form shows the record, the mobile number only masked.
        let form = gulou.get(&format!("/members/{id}/correct")).await;
        assert_eq!(form.status, 200);
        assert!(form.text().contains(old_name) && form.text().contains("139****1111") && !form.text().contains(full_phone), "{}", form.text());
        // The employer is picked from the county's census (or typed).
        assert!(form.text().contains("<datalist id=\"employer-list\"><option value=\"东昌府区顺丰速运营业部\">"), "{}", form.text());
        // The page corrects name, group, employer and work place; a blank phone keeps the number.
        let r = gulou
            .post_form(&format!("/members/{id}/correct"), &[("name", "王更正"), ("phone", ""), ("group", new_group),
                ("employer", "顺丰速运"), ("work_region", "371502002"), ("home_region", "")], true)
            .await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some(format!("/members/{id}?done=corrected").as_str())), "{}", r.text());
        let page = gulou.get(&format!("/members/{id}?done=corrected")).await.text();
        assert!(page.contains("王更正") && page.contains("顺丰速运") && page.contains("已更正"), "{page}");
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM people WHERE name = '王更正' AND phone = '{full_phone}'")).await, 1);
        // The log says what changed, before and after; never the whole mobile number.
        let log = gulou.get("/api/v1/audit?q=members.correct").await.json();
        assert_eq!(log["total"], 1, "{log}");
        let detail = log["items"][0]["detail"].to_string();
        let d: serde_json::Value = match &log["items"][0]["detail"] {
            serde_json::Value::String(s) => serde_json::from_str(s).unwrap(),
            v => v.clone(),
        };
        assert_eq!((d["name"]["before"].as_str(), d["name"]["after"].as_str()), (Some(old_name), Some("王更正")));
        assert_eq!(d["group"]["after"], new_group);
        assert_eq!(d["work_region"]["after"], "371502002");
        assert!(d.get("phone").is_none() && !detail.contains(full_phone), "{detail}");
        // The member moved between the counters of the groups and townships: a recount agrees.
        let recount = nuanxin_core::coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);

        // The API answers every problem of a bad body at once and changes nothing.
        let r = gulou.patch_json(&format!("/api/v1/members/{id}"), json!({"name": "", "phone": "123", "group": "pilot", "work_region": "371599999"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, ["name", "phone", "group"], "{}", r.text());
        let r = gulou.patch_json(&format!("/api/v1/members/{id}"), json!({"name": "王更正", "group": new_group, "work_region": "371599999"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("work_region")), "an unknown region");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.correct'").await, 1);
        // A new mobile number is logged masked.
        let r = gulou.patch_json(&format!("/api/v1/members/{id}"), json!({"name": "王更正", "phone": "13906359999", "group": new_group, "employer": "顺丰速运", "work_region": "371502002"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["phone"], "139****9999");
        let log = gulou.get("/api/v1/audit?q=members.correct").await.text();
        assert!(!log.contains("13906359999") && log.contains("139****9999"), "{log}");
        // A cadre of a sibling township does not find the record; a viewer may not correct it.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/members/{id}/correct")).await.status, 404);
        let r = gulou.post_json("/api/v1/accounts", json!({"username": "gl-view", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut viewer = app.login("gl-view", "pass-word-1").await;
        let r = viewer.patch_json(&format!("/api/v1/members/{id}"), json!({"name": "查看者", "group": new_group})).await;
        assert_eq!(r.status, 403, "{}", r.text());
    }
}

both_backends! {
    async fn only_an_admin_changes_an_id_number_with_a_reason(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
        let joined = members::join(&app.store, &app.vault, &target, &draft("李四", &li(), "13906351111", None), &ctx()).await.unwrap();
        members::join(&app.store, &app.vault, &target, &draft("张三", ZHANG, "13906352222", None), &ctx()).await.unwrap();
        let id = joined.membership_id.to_string();
        let path = format!("/api/v1/members/{id}/id-number");
        let new_number = id_with_check("37150219920202123");
        // Every problem at once; nothing changes.
        let r = gulou.post_json(&path, json!({"id_number": "12345", "reason": " "})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, ["id_number", "reason"]);
        // Another person's number is refused.
        let r = gulou.post_json(&path, json!({"id_number": ZHANG, "reason": "录入错误"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("members.id_taken")), "{}", r.text());
        // A staff cadre may correct the record but not the number.
        let r = gulou.post_json("/api/v1/accounts", json!({"username": "gl-staff", "password": "pass-word-1", "org_code": "F371502001", "role": "staff"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut staff = app.login("gl-staff", "pass-word-1").await;
        let r = staff.post_json(&path, json!({"id_number": new_number, "reason": "录入错误"})).await;
        assert_eq!(r.status, 403, "{}", r.text());
        // The admin changes it: the row shows the new number masked, the person is found by it,
        // and the log keeps both numbers masked with the reason.
        let r = gulou.post_json(&path, json!({"id_number": new_number, "reason": "入会时录错 37150219851212322"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["id_number"], format!("3715**********{}", &new_number[14..]));
        let log = gulou.get("/api/v1/audit?q=members.change_id").await.json();
        assert_eq!(log["total"], 1, "{log}");
        let detail = log["items"][0]["detail"].as_str().unwrap();
        assert!(!detail.contains(&new_number) && !detail.contains(&li()) && !detail.contains("37150219851212322") && detail.contains("入会时录错"), "{detail}");
        // The sealed number opens to the new one.
        let r = gulou.post_form(&format!("/members/{id}/reveal"), &[], true).await;
        assert!(r.text().contains(&new_number), "the reveal shows the new number");
    }
}
