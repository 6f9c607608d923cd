//! Trust in the register: a join, push or import that names someone else's ID number changes
//! nothing of that person and says nothing about them; request keys answer only their own
//! person; a search by a whole ID number or phone needs the right to reveal one, is limited and
//! audited, and the audit log never keeps a whole number.

use nuanxin_core::accounts::Caller;
use nuanxin_core::members;
use nuanxin_core::sheets::import::SheetImport;
use nuanxin_store::{Scope, ScopeRoot};
use nuanxin_testkit::{both_backends, Client, TestApp};
use serde_json::{json, Value};

/// A member's ID number (valid check character, GB 11643) and phone.
const ZHANG: &str = "371502199001011234";
const ZHANG_PHONE: &str = "13806351234";
/// Someone who knows 张三's ID number, with a phone of their own.
const ATTACKER_PHONE: &str = "13900000666";

/// Joins through the JSON API with a fresh SMS code of `phone`.
async fn join_by_api(
    app: &TestApp,
    code: &str,
    name: &str,
    id: &str,
    phone: &str,
    key: &str,
) -> nuanxin_testkit::Resp {
    let mut w = app.anonymous();
    app.clock.advance(61_000); // one code a minute per phone
    let r = w
        .post_json(&format!("/api/v1/join/{code}/sms"), json!({"phone": phone}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let sms = app.sms.last_code(phone).expect("a code was sent");
    w.post_json(
        &format!("/api/v1/join/{code}"),
        json!({"name": name, "id_number": id, "phone": phone, "group": "delivery_rider",
               "work_region": "371502001", "consent": true, "request_key": key, "sms_code": sms}),
    )
    .await
}

/// 张三 joins Gulou by the API with his own phone and is approved: his membership number.
async fn zhang_is_a_member_of_gulou(app: &TestApp, gulou: &mut Client) -> String {
    let code = gulou.join_code("JU371502001").await;
    let r = join_by_api(app, &code, "张三", ZHANG, ZHANG_PHONE, "zhang-1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["membership_id"].clone();
    let r = gulou
        .post_json(
            "/api/v1/members/decisions",
            json!({"ids": [id], "decision": "approve"}),
        )
        .await;
    assert_eq!(r.json()["decided"], 1, "{}", r.text());
    let found = gulou.get("/api/v1/members?status=active").await.json();
    found["items"][0]["member_no"].as_str().unwrap().to_string()
}

/// 张三's person row and memberships as they stand.
async fn zhang_as_stored(app: &TestApp) -> (i64, i64, i64) {
    let person = app
        .count(&format!(
            "SELECT COUNT(*) FROM people WHERE name = '张三' AND phone = '{ZHANG_PHONE}'"
        ))
        .await;
    let active = app
        .count(
            "SELECT COUNT(*) FROM memberships m JOIN org_units o ON o.id = m.org_id
             WHERE m.status = 'active' AND o.code = 'JU371502001'",
        )
        .await;
    let others = app
        .count("SELECT COUNT(*) FROM memberships WHERE status IN ('pending', 'withdrawn', 'transferred')")
        .await;
    (person, active, others)
}

fn says_nothing_of(answer: &str, member_no: &str) {
    for secret in [member_no, "JU371502001", "古楼", ZHANG_PHONE, "person_id"] {
        assert!(
            !answer.contains(secret),
            "the answer names {secret}: {answer}"
        );
    }
}

both_backends! {
    async fn the_page_and_the_api_answer_the_same_bad_join_the_same_way(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let before = app.count("SELECT COUNT(*) FROM memberships").await;
        // A bad phone, no group and an unknown work region: every problem, on both channels.
        let bad = [("name", "李四"), ("id_number", "370102199001011234"), ("phone", "12345"), ("group", ""), ("work_region", "371599"), ("sms_code", "000000")];
        let mut w = app.anonymous();
        let mut body: serde_json::Map<String, Value> = bad.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        body.insert("consent".into(), json!(true));
        let r = w.post_json(&format!("/api/v1/join/{code}"), Value::Object(body)).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let mut api: Vec<(String, String)> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
            .collect();
        api.sort();
        let fields: Vec<&str> = api.iter().map(|(f, _)| f.as_str()).collect();
        for needed in ["phone", "group", "work_region"] {
            assert!(fields.contains(&needed), "{needed} in {api:?}");
        }
        assert!(api.contains(&("work_region".into(), "regions.unknown".into())), "{api:?}");
        let mut form = vec![("action", "join"), ("request_key", "same-bad-join"), ("consent", "1")];
        form.extend(bad);
        let r = w.post_form(&format!("/j/{code}"), &form, false).await;
        assert_eq!(r.status, 422);
        let html = r.text();
        let zh = nuanxin_web::Catalogue::of(nuanxin_web::Lang::ZhCn);
        for (_, code) in &api {
            assert!(html.contains(zh.get(code)), "the page names {code}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, before);
    }

    async fn a_join_with_a_members_id_number_and_another_phone_changes_nothing_of_them(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let no = zhang_is_a_member_of_gulou(&app, &mut gulou).await;
        let stored = zhang_as_stored(&app).await;
        assert_eq!(stored, (1, 1, 0));

        // Through the API at another union: an ordinary pending request, naming nothing of 张三.
        let elsewhere = liuyuan.join_code("JU371502002").await;
        let r = join_by_api(&app, &elsewhere, "冒名者", ZHANG, ATTACKER_PHONE, "attack-1").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let answer = r.json();
        assert_eq!((answer["status"].as_str(), answer["org_code"].as_str()), (Some("pending"), Some("JU371502002")));
        assert_eq!((answer["member_no"].clone(), answer["transfer_from"].clone()), (Value::Null, Value::Null));
        says_nothing_of(&r.text(), &no);
        assert_eq!(zhang_as_stored(&app).await, stored, "name, phone, union and status unchanged");
        // A retry answers the same and writes nothing more.
        let again = join_by_api(&app, &elsewhere, "冒名者", ZHANG, ATTACKER_PHONE, "attack-1").await;
        assert_eq!(again.json()["membership_id"], answer["membership_id"]);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'review'").await, 1);

        // Through the join page at his own union: no session as 张三, and nothing about him.
        let own = gulou.join_code("JU371502001").await;
        let mut w = app.anonymous();
        w.post_form(&format!("/j/{own}"), &[("action", "sms"), ("phone", ATTACKER_PHONE)], false).await;
        app.clock.advance(61_000);
        w.post_form(&format!("/j/{own}"), &[("action", "sms"), ("phone", ATTACKER_PHONE)], false).await;
        let sms = app.sms.last_code(ATTACKER_PHONE).unwrap();
        let r = w.post_form(&format!("/j/{own}"), &[("action", "join"), ("request_key", "attack-2"), ("name", "冒名者"),
            ("id_number", ZHANG), ("phone", ATTACKER_PHONE), ("sms_code", &sms), ("group", "delivery_rider"),
            ("work_region", "371502001"), ("consent", "1")], false).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("入会申请已提交"), "{}", r.text());
        assert!(r.headers.get("set-cookie").is_none(), "nobody is signed in as 张三");
        says_nothing_of(&r.text(), &no);
        assert!(w.get("/me").await.location().is_some_and(|l| l.starts_with("/me/login")), "no member session");
        assert_eq!(zhang_as_stored(&app).await, stored);

        // Each receiving union sees a request to verify, with the phone as typed.
        let req = liuyuan.get("/api/v1/members?status=pending").await.json();
        assert_eq!(req["total"], 1);
        let m = &req["items"][0];
        assert_eq!((m["status"].as_str(), m["review"].as_str(), m["name"].as_str(), m["phone"].as_str()),
            (Some("review"), Some("phone_differs"), Some("冒名者"), Some("139****0666")));
        let page = liuyuan.get("/members?status=pending").await.text();
        assert!(page.contains("待核实") && page.contains("手机号与登记的不一致"), "{page}");
        // Rejected, it stays a rejected request; 张三 is untouched.
        let r = liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [m["id"]], "decision": "reject", "reason": "非本人"})).await;
        assert_eq!(r.json()["decided"], 1, "{}", r.text());
        assert_eq!(zhang_as_stored(&app).await, stored);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active'").await, 1);
    }

    async fn an_approved_review_brings_the_new_phone_and_keeps_the_membership(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let no = zhang_is_a_member_of_gulou(&app, &mut gulou).await;
        // 张三 lost his phone and joins again with a new one: a request for Gulou to verify.
        let code = gulou.join_code("JU371502001").await;
        let r = join_by_api(&app, &code, "张三", ZHANG, "13700001111", "new-phone").await;
        assert_eq!(r.json()["status"], "pending", "{}", r.text());
        let req = gulou.get("/api/v1/members?status=pending").await.json();
        assert_eq!(req["items"][0]["review"], "phone_differs");
        let r = gulou.post_json("/api/v1/members/decisions", json!({"ids": [req["items"][0]["id"]], "decision": "approve"})).await;
        assert_eq!(r.json()["decided"], 1, "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE phone = '13700001111' AND name = '张三'").await, 1, "the checked phone is his now");
        let active = gulou.get("/api/v1/members?status=active").await.json();
        assert_eq!((active["total"].as_i64(), active["items"][0]["member_no"].as_str()), (Some(1), Some(no.as_str())), "the same membership");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status IN ('pending', 'review')").await, 0);
        // At another union, an approved review is a transfer.
        let mut liuyuan = app.demo_user("liuyuan").await;
        let code = liuyuan.join_code("JU371502002").await;
        join_by_api(&app, &code, "张三", ZHANG, "13700002222", "moved").await;
        let req = liuyuan.get("/api/v1/members?status=pending").await.json();
        liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [req["items"][0]["id"]], "decision": "approve"})).await;
        // Accepted by the new union; it completes when Gulou lets him go.
        let t = gulou.get("/api/v1/transfers").await.json();
        assert_eq!((t["total"].as_i64(), t["items"][0]["status"].as_str()), (Some(1), Some("accepted")), "{t}");
        let r = gulou.post_json(&format!("/api/v1/transfers/{}/accept", t["items"][0]["id"].as_str().unwrap()), json!({})).await;
        assert_eq!(r.json()["status"], "completed", "{}", r.text());
        assert_eq!(liuyuan.get("/api/v1/members?status=active").await.json()["total"], 1);
        assert_eq!(gulou.get("/api/v1/members?status=transferred").await.json()["total"], 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active'").await, 1);
    }

    async fn a_request_key_answers_only_its_own_person(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let first = join_by_api(&app, &code, "张三", ZHANG, ZHANG_PHONE, "shared-key").await;
        assert_eq!(first.status, 200, "{}", first.text());
        let other = nuanxin_testkit::id_with_check("37150219851212322");
        let r = join_by_api(&app, &code, "李四", &other, ATTACKER_PHONE, "shared-key").await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("members.request_key_taken")), "{}", r.text());
        assert!(!r.text().contains(first.json()["membership_id"].as_str().unwrap()), "{}", r.text());
        // The same ID number with the key but another phone does not replay it either.
        let r = join_by_api(&app, &code, "张三", ZHANG, ATTACKER_PHONE, "shared-key").await;
        assert_eq!(r.status, 409, "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1);
    }

    async fn partner_pushes_and_imports_leave_people_of_other_unions_alone(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let no = zhang_is_a_member_of_gulou(&app, &mut gulou).await;
        let stored = zhang_as_stored(&app).await;
        // A partner of Liuyuan pushes 张三 with another name and phone.
        let mut liuyuan = app.demo_user("liuyuan").await;
        liuyuan.post_json("/api/v1/accounts", json!({"username": "ly-window", "password": "pass-word-1", "org_code": "F371502002", "role": "staff"})).await;
        let token = liuyuan.post_json("/api/v1/tokens", json!({"username": "ly-window", "name": "窗口"})).await.json()["token"].as_str().unwrap().to_string();
        let consent = json!({"at": nuanxin_testkit::TEST_NOW - 60_000, "by": "柳园街道窗口", "method": "paper_form"});
        let r = app.anonymous().with_bearer(&token).post_json("/api/v1/members/push", json!({"channel": "window", "records": [
            {"ref": "P1", "name": "改名者", "id_number": ZHANG, "phone": ATTACKER_PHONE, "group": "truck_driver", "work_region": "371502002", "consent": consent}
        ]})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let result = &r.json()["results"][0];
        assert_eq!((result["outcome"].as_str(), result["org_code"].as_str(), result["member_no"].clone()), (Some("pending"), Some("JU371502002"), Value::Null));
        says_nothing_of(&r.text(), &no);
        assert_eq!(zhang_as_stored(&app).await, stored);
        let req = liuyuan.get("/api/v1/members?status=pending").await.json();
        assert_eq!(req["items"][0]["review"], "member_elsewhere");

        // A member sheet of Liuyuan's admin names him too: matched, without his union or number.
        let path: String = {
            let mut tx = app.store.read().await.unwrap();
            nuanxin_core::orgs::get(&mut tx, &Scope::operator(), "F371502002").await.unwrap().path
        };
        let caller = Caller {
            scope: Scope::of_roots(vec![ScopeRoot { path, role: nuanxin_core::Role::Admin }]),
            ..Caller::operator(&app.clock)
        };
        let csv = format!("姓名,身份证号,手机号,职业群体,所属工会编码,工作地区划代码,入会日期\n改名者,{ZHANG},{ATTACKER_PHONE},快递员,JU371502002,371502002,\n");
        let table = members::sheet::MembersSheet::read(csv.as_bytes()).unwrap();
        for dry_run in [true, false] {
            let rep = members::sheet::import(&app.store, &app.vault, &caller, &table, dry_run, |_, _| {}).await.unwrap();
            assert_eq!((rep.imported, rep.matched.len()), (0, 1), "{rep:?}");
            assert_eq!((rep.matched[0].member_no.clone(), rep.matched[0].org_code.clone()), (None, None));
            says_nothing_of(&serde_json::to_string(&rep).unwrap(), &no);
        }
        assert_eq!(zhang_as_stored(&app).await, stored);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'review'").await, 1, "the push's request stays");
    }

    async fn a_search_by_whole_id_number_or_phone_needs_the_reveal_right_and_is_audited(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        zhang_is_a_member_of_gulou(&app, &mut gulou).await;
        // A viewer of the whole city may list, but not search by a whole number.
        let mut viewer = app.demo_user("guancha").await;
        for q in [ZHANG, ZHANG_PHONE] {
            let r = viewer.get(&format!("/api/v1/members?q={q}")).await;
            assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("members.search_needs_reveal")), "{}", r.text());
            let page = viewer.get(&format!("/members?q={q}")).await.text();
            assert!(page.contains("需要查看完整证件号的权限") && !page.contains("张三"), "{page}");
            let r = viewer.get(&format!("/members/export.xlsx?q={q}")).await;
            assert_eq!(r.status, 422, "{}", r.text());
        }
        assert_eq!(viewer.get("/api/v1/members?q=张三").await.json()["total"], 1, "by name as before");
        // Staff (two posts, no admin) cannot either.
        let mut staff = app.demo_user("baopian").await;
        assert_eq!(staff.get(&format!("/api/v1/members?q={ZHANG_PHONE}")).await.status, 422);
        // The admin of the union can, audited with the number masked.
        let r = gulou.get(&format!("/api/v1/members?q={ZHANG}")).await;
        assert_eq!(r.json()["total"], 1, "{}", r.text());
        assert_eq!(gulou.get(&format!("/api/v1/members?q={ZHANG_PHONE}")).await.json()["total"], 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.search_exact'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.search_exact' AND subject = '3715**********1234'").await, 1);
        let r = gulou.get(&format!("/members/export.xlsx?q={ZHANG_PHONE}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.export' AND detail LIKE '%138****1234%'").await, 1);
        // Never a whole number in the audit log, whatever was done.
        let leaks = format!("SELECT COUNT(*) FROM audit_log WHERE subject LIKE '%{ZHANG}%' OR detail LIKE '%{ZHANG}%'
            OR subject LIKE '%{ZHANG_PHONE}%' OR detail LIKE '%{ZHANG_PHONE}%'");
        assert_eq!(app.count(&leaks).await, 0);
        // At most EXACT_SEARCHES_PER_HOUR an hour per account.
        for _ in 4..=members::EXACT_SEARCHES_PER_HOUR {
            assert_eq!(gulou.get(&format!("/api/v1/members?q={ZHANG_PHONE}")).await.status, 200);
        }
        assert_eq!(gulou.get(&format!("/api/v1/members?q={ZHANG_PHONE}")).await.status, 429);
        assert_eq!(gulou.get("/api/v1/members?q=张三").await.status, 200, "other searches go on");
        app.clock.advance(3_600_001);
        let mut gulou = app.demo_user("gulou").await; // the old session timed out meanwhile
        assert_eq!(gulou.get(&format!("/api/v1/members?q={ZHANG_PHONE}")).await.status, 200, "a new hour");
    }

    async fn a_visit_to_me_reads_and_writes_its_session_at_most_once_a_minute(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        zhang_is_a_member_of_gulou(&app, &mut gulou).await;
        let mut worker = app.anonymous();
        app.clock.advance(61_000);
        worker.post_form("/me/login", &[("action", "sms"), ("phone", ZHANG_PHONE)], false).await;
        let sms = app.sms.last_code(ZHANG_PHONE).unwrap();
        let r = worker.post_form("/me/login", &[("action", "login"), ("phone", ZHANG_PHONE), ("sms_code", &sms)], false).await;
        assert_eq!(r.location(), Some("/me"), "{}", r.text());
        let seen = "SELECT MAX(last_seen_at) FROM member_sessions";
        let first = app.count(seen).await;
        app.clock.advance(10_000);
        assert_eq!(worker.get("/me").await.status, 200);
        assert_eq!(app.count(seen).await, first, "a visit within the minute writes nothing");
        // While a writer holds the database (SQLite has one), visits with the live cookie and
        // with any made-up cookie are still answered: they only read.
        let held = app.store.write().await.unwrap();
        let mut stranger = app.anonymous();
        stranger.cookies.insert("nx_member".into(), "made-up-token".into());
        let wait = std::time::Duration::from_secs(30);
        let r = tokio::time::timeout(wait, stranger.get("/me")).await.expect("a made-up cookie takes no write lock");
        assert!(r.location().is_some_and(|l| l.starts_with("/me/login")));
        let r = tokio::time::timeout(wait, worker.get("/me")).await.expect("a visit within the minute takes no write lock");
        assert_eq!(r.status, 200);
        drop(held);
        app.clock.advance(61_000);
        assert_eq!(worker.get("/me").await.status, 200);
        assert_eq!(app.count(seen).await, first + 71_000, "the first visit of a new minute keeps the session alive");
    }

    async fn sms_codes_are_stored_under_the_servers_key_and_purged_once_they_cannot_matter(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let mut w = app.anonymous();
        let r = w.post_json(&format!("/api/v1/join/{code}/sms"), json!({"phone": ZHANG_PHONE})).await;
        assert_eq!(r.status, 204, "{}", r.text());
        let sms = app.sms.last_code(ZHANG_PHONE).unwrap();
        let stored: String = {
            let mut tx = app.store.read().await.unwrap();
            nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT code_hash FROM sms_codes").fetch_one(c).await).unwrap()
        };
        // Not the plain SHA-256 a database reader could try a million codes against.
        use sha2::Digest;
        let plain: String = sha2::Sha256::digest(format!("{ZHANG_PHONE}:{sms}")).iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(stored, plain);
        assert_eq!(stored, app.vault.keyed_hash("sms-code", &format!("{ZHANG_PHONE}:{sms}")));
        let other = members::id_vault::IdVault::from_env_values(
            "1:cm90YXRlZC1rZXktbnVtYmVyLXR3by0zMi1ieXRlcyE=", "b3RoZXItaGFzaC1rZXktb2YtMzItYnl0ZXMtbG9uZyE=").unwrap();
        assert_ne!(stored, other.keyed_hash("sms-code", &format!("{ZHANG_PHONE}:{sms}")), "another server key, another hash");
        // The code still works: it is checked under the same key.
        let r = join_by_api(&app, &code, "张三", ZHANG, ZHANG_PHONE, "k").await;
        assert_eq!(r.status, 200, "{}", r.text());

        // A day on, the codes and rate-limit windows of that day are purged; newer ones stay.
        let windows = app.count("SELECT COUNT(*) FROM rate_limits").await;
        assert!(windows >= 3, "{windows}");
        app.clock.advance(nuanxin_core::housekeeping::KEEP_MS + 3_600_000);
        w.post_json(&format!("/api/v1/join/{code}/sms"), json!({"phone": "13700009999"})).await;
        let purged = nuanxin_core::housekeeping::purge(&app.store, app.clock.now()).await.unwrap();
        // Every old window but the address's, which the new request started again today.
        assert_eq!((purged.sms_codes, purged.rate_limits), (2, windows as u64 - 1));
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes").await, 1, "today's code stays");
        assert_eq!(app.count("SELECT COUNT(*) FROM rate_limits").await, 3, "today's windows stay");
        assert_eq!(nuanxin_core::housekeeping::purge(&app.store, app.clock.now()).await.unwrap(), Default::default());
    }
}

/// The server's hourly cap of SMS codes, for all phones together: the page and the API say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hourly_cap_of_sms_codes_holds_for_all_phones_together() {
    let app = TestApp::sqlite_with(nuanxin_web::WebConfig {
        sms_per_hour: 3,
        ..Default::default()
    })
    .await;
    app.load_demo().await;
    let mut gulou = app.demo_user("gulou").await;
    let code = gulou.join_code("JU371502001").await;
    let mut w = app.anonymous();
    for i in 0..3 {
        let r = w
            .post_json(
                &format!("/api/v1/join/{code}/sms"),
                json!({"phone": format!("1370000000{i}")}),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text());
    }
    let r = w
        .post_json(
            &format!("/api/v1/join/{code}/sms"),
            json!({"phone": "13700000009"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["code"].as_str()),
        (503, Some("members.sms_busy")),
        "{}",
        r.text()
    );
    let page = w
        .post_form(
            &format!("/j/{code}"),
            &[("action", "sms"), ("phone", "13700000008")],
            false,
        )
        .await;
    assert!(
        page.text().contains("验证短信发送量已达本小时上限"),
        "{}",
        page.text()
    );
    assert!(
        app.sms.last_code("13700000009").is_none() && app.sms.last_code("13700000008").is_none(),
        "nothing sent beyond the cap"
    );
    app.finish().await;
}
