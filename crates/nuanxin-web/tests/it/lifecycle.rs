//! The end of a membership: a cadre records a leave (退会), a retention (保留会籍) or a lapse on a
//! date with a reason; a member leaves from `/me`; period figures count each on its date, by
//! kind, and the recount agrees; a retained member who joins again moves from that membership;
//! a leave racing a transfer ends in one consistent state.

use chrono::NaiveDate;
use nuanxin_core::accounts::Caller;
use nuanxin_core::coverage::{self, Coverage, Period};
use nuanxin_core::members::{self, Channel, JoinContext, JoinDraft, JoinInput};
use nuanxin_testkit::{both_backends, id_with_check, Client, TestApp, TEST_NOW};
use serde_json::{json, Value};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn draft(name: &str, id: &str, phone: &str) -> JoinDraft {
    let input = JoinInput {
        name: name.into(),
        id_number: id.into(),
        phone: phone.into(),
        group: "快递员".into(),
        consent: true,
        ..JoinInput::default()
    };
    JoinDraft::parse(&input, day("2026-11-23")).unwrap()
}

/// A person joins at a union's QR code today (a courier): the receipt.
async fn joins(
    app: &TestApp,
    cadre: &mut Client,
    org: &str,
    name: &str,
    id: &str,
    phone: &str,
) -> members::JoinReceipt {
    let code = cadre.join_code(org).await;
    let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code)
        .await
        .unwrap();
    let today = nuanxin_core::clock::beijing_date(app.clock.now());
    let ctx = JoinContext::consented(Channel::Qr, "test", app.clock.now(), today);
    members::join(
        &app.store,
        &app.vault,
        &target,
        &draft(name, id, phone),
        &ctx,
    )
    .await
    .unwrap()
}

/// Joins a person at a union's QR code and has its cadre approve: the membership id.
async fn member(
    app: &TestApp,
    cadre: &mut Client,
    org: &str,
    name: &str,
    id: &str,
    phone: &str,
) -> String {
    let id = joins(app, cadre, org, name, id, phone)
        .await
        .membership_id
        .to_string();
    let r = cadre
        .post_json(
            "/api/v1/members/decisions",
            json!({"ids": [id], "decision": "approve"}),
        )
        .await;
    assert_eq!(r.json()["decided"], 1, "{}", r.text());
    id
}

async fn report(app: &TestApp, code: &str, from: &str, to: &str) -> Coverage {
    let caller = Caller::operator(&app.clock);
    let mut tx = app.store.read().await.unwrap();
    let period = Period {
        from: day(from),
        to: day(to),
    };
    coverage::coverage(&mut tx, &caller.scope, code, period)
        .await
        .unwrap()
}

async fn assert_recount_agrees(app: &TestApp) {
    let recount = coverage::recount(&app.store, false).await.unwrap();
    assert!(recount.differences.is_empty(), "{:?}", recount.differences);
}

fn fields(r: &nuanxin_testkit::Resp) -> Vec<String> {
    let body = r.json();
    match body["errors"].as_array() {
        Some(errs) => errs
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect(),
        None => vec![body["field"].as_str().unwrap_or_default().to_string()],
    }
}

both_backends! {
    async fn a_cadre_records_a_leave_a_retention_and_a_lapse_counted_on_their_days(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let a = member(&app, &mut gulou, "JU371502001", "张退会", "371502199001011234", "13906351001").await;
        let b = member(&app, &mut gulou, "JU371502001", "李保留", &id_with_check("37150219851212322"), "13906351002").await;
        let before = report(&app, "F371502001", "2026-01-01", "2026-12-31").await;
        // Ten days later (sessions expire meanwhile: sign in again).
        app.clock.advance(10 * DAY_MS);
        let mut gulou = app.demo_user("gulou").await;

        // Every problem at once, nothing changed: no reason, a day after today.
        let r = gulou.post_json(&format!("/api/v1/members/{a}/leave"), json!({"on": "2026-12-31", "reason": " "})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(fields(&r), ["on", "reason"]);
        let r = gulou.post_json(&format!("/api/v1/members/{a}/leave"), json!({"on": "2026-11-01", "reason": "本人申请"})).await;
        assert_eq!((r.status.as_u16(), fields(&r)), (422, vec!["on".to_string()]), "before the member joined");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active'").await, before.members_total);

        // The leave counts on its own day, not on the day it was recorded.
        let r = gulou.post_json(&format!("/api/v1/members/{a}/leave"), json!({"on": "2026-11-30", "reason": "本人申请退会"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let row = r.json();
        assert_eq!((row["status"].as_str(), row["ended_on"].as_str(), row["reason"].as_str()), (Some("left"), Some("2026-11-30"), Some("本人申请退会")));
        assert_eq!(report(&app, "F371502001", "2026-11-23", "2026-11-29").await.left_members, 0);
        let week = report(&app, "F371502001", "2026-11-30", "2026-12-03").await;
        assert_eq!((week.left_members, week.left_by_kind["left"]), (1, 1));
        assert_eq!(week.members_total, before.members_total - 1);
        // Its parents count it too, on the same day.
        let county = report(&app, "F371502", "2026-11-30", "2026-11-30").await;
        assert_eq!(county.left_by_kind["left"], 1);
        // Once ended, it cannot end again.
        let r = gulou.post_json(&format!("/api/v1/members/{a}/lapse"), json!({"reason": "失联"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("members.not_active")), "{}", r.text());

        // Retained today (a blank day is today): out of the active count, counted as retained.
        let r = gulou.post_json(&format!("/api/v1/members/{b}/retain"), json!({"on": "", "reason": "失业"})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("retained")), "{}", r.text());
        let now = report(&app, "F371502001", "2026-11-23", "2026-12-03").await;
        assert_eq!((now.members_total, now.left_members), (before.members_total - 2, 2));
        assert_eq!((now.left_by_kind["left"], now.left_by_kind["retained"], now.left_by_kind["lapsed"]), (1, 1, 0));
        // A retained membership cannot be retained again, but it can lapse: counted once only.
        let r = gulou.post_json(&format!("/api/v1/members/{b}/retain"), json!({"reason": "again"})).await;
        assert_eq!(r.status, 409, "{}", r.text());
        let r = gulou.post_json(&format!("/api/v1/members/{b}/lapse"), json!({"reason": "长期失联 13906351002"})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("lapsed")), "{}", r.text());
        let after = report(&app, "F371502001", "2026-11-23", "2026-12-03").await;
        assert_eq!((after.members_total, after.left_members, after.left_by_kind["lapsed"]), (before.members_total - 2, 2, 0));
        assert_recount_agrees(&app).await;

        // The history reads every step with its reason; the audit log keeps each, numbers masked.
        let h = gulou.get(&format!("/api/v1/members/{b}/history")).await.json();
        let steps: Vec<&str> = h.as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(steps, ["lapsed", "retained", "joined", "requested"], "{h}");
        assert_eq!(h[1]["reason"], "失业");
        let log = gulou.get("/api/v1/audit?q=members.").await.text();
        for action in ["members.leave", "members.retain", "members.lapse"] {
            assert!(log.contains(action), "{action}: {log}");
        }
        assert!(!log.contains("13906351002"), "a phone in a reason is masked: {log}");
        // The member's page shows the history and no more buttons to end it.
        let page = gulou.get(&format!("/members/{b}")).await.text();
        assert!(page.contains("会籍记录") && page.contains("保留会籍") && page.contains("失业"), "{page}");
        assert!(!page.contains(&format!("/members/{b}/end")), "{page}");
        // The lists filter by the new statuses.
        let left = gulou.get("/api/v1/members?org=F371502001&status=left").await.json();
        assert_eq!((left["total"].as_i64(), left["items"][0]["name"].as_str()), (Some(1), Some("张退会")));
    }
}

both_backends! {
    async fn only_staff_of_the_members_union_end_a_membership(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let a = member(&app, &mut gulou, "JU371502001", "张三", "371502199001011234", "13906351001").await;
        // A cadre of a sibling township does not find it; a viewer of the union may not end it.
        let mut liuyuan = app.demo_user("liuyuan").await;
        let r = liuyuan.post_json(&format!("/api/v1/members/{a}/leave"), json!({"reason": "x"})).await;
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(liuyuan.get(&format!("/members/{a}/end")).await.status, 404);
        let r = gulou.post_json("/api/v1/accounts", json!({"username": "gl-view", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let mut viewer = app.login("gl-view", "pass-word-1").await;
        let r = viewer.post_json(&format!("/api/v1/members/{a}/lapse"), json!({"reason": "x"})).await;
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(viewer.get(&format!("/members/{a}/end")).await.status, 403);
        assert!(!viewer.get(&format!("/members/{a}")).await.text().contains("/end?kind="), "a viewer sees no buttons");
        // The page form without its CSRF token changes nothing.
        let r = gulou.post_form(&format!("/members/{a}/end"), &[("kind", "leave"), ("reason", "x")], false).await;
        assert_eq!(r.status, 403, "{}", r.text());
        // With it: the page form ends it and says so.
        let r = gulou.post_form(&format!("/members/{a}/end"), &[("kind", "retain"), ("on", ""), ("reason", "退休")], true).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some(format!("/members/{a}?done=retain").as_str())), "{}", r.text());
        let page = gulou.get(&format!("/members/{a}?done=retain")).await.text();
        assert!(page.contains("已保留会籍") && page.contains("退休"), "{page}");
        // A bad form comes back with the field named.
        let r = gulou.post_form(&format!("/members/{a}/end"), &[("kind", "leave"), ("on", "明天"), ("reason", "x")], true).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-on\""), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'retained'").await, 1);
    }
}

/// Signs a member in at `/me/login` by SMS.
pub(crate) async fn sign_in_member(app: &TestApp, phone: &str) -> Client {
    let mut w = app.anonymous();
    let r = w
        .post_form("/me/login", &[("action", "sms"), ("phone", phone)], false)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let code = app.sms.last_code(phone).expect("a code was sent");
    let r = w
        .post_form(
            "/me/login",
            &[
                ("action", "login"),
                ("phone", phone),
                ("sms_code", code.as_str()),
            ],
            false,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.location()),
        (303, Some("/me")),
        "{}",
        r.text()
    );
    w
}

pub(crate) fn member_csrf(page: &str) -> String {
    page.split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

both_backends! {
    async fn a_member_leaves_from_their_own_page_with_its_token(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let a = member(&app, &mut gulou, "JU371502001", "张三", "371502199001011234", "13906351001").await;
        member(&app, &mut gulou, "JU371502001", "李四", &id_with_check("37150219851212322"), "13906351002").await;
        let mut w = sign_in_member(&app, "13906351001").await;
        let me = w.get("/me").await.text();
        assert!(me.contains("退出工会") && me.contains("action=\"/me/leave\""), "{me}");
        let token = member_csrf(&me);
        let members_before = report(&app, "F371502001", "2026-11-23", "2026-11-23").await.members_total;
        // Without the session's token, or from another browser, nothing changes.
        let r = w.post_form("/me/leave", &[("reason", "不再从事这一行"), ("confirm", "1")], false).await;
        assert_eq!(r.status, 403, "{}", r.text());
        let mut other = sign_in_member(&app, "13906351002").await;
        let r = other.post_form("/me/leave", &[("_csrf", token.as_str()), ("reason", "x"), ("confirm", "1")], false).await;
        assert_eq!(r.status, 403, "another member's token: {}", r.text());
        // Not ticked, no reason: both said, nothing changed.
        let r = w.post_form("/me/leave", &[("_csrf", token.as_str()), ("reason", "")], false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-reason\"") && r.text().contains("id=\"e-confirm\""), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'left'").await, 0);
        // Ticked with a reason: the member has left, today.
        let r = w.post_form("/me/leave", &[("_csrf", token.as_str()), ("on", ""), ("reason", "不再从事这一行"), ("confirm", "1")], false).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/me?done=left")), "{}", r.text());
        let me = w.get("/me?done=left").await.text();
        assert!(me.contains("您已退出工会") && me.contains("已退会") && !me.contains("电子会员卡</div>"), "{me}");
        assert!(!me.contains("action=\"/me/leave\""), "nothing left to leave: {me}");
        let row = gulou.get("/api/v1/members?org=F371502001&status=left").await.json();
        assert_eq!((row["total"].as_i64(), row["items"][0]["id"].as_str()), (Some(1), Some(a.as_str())));
        let now = report(&app, "F371502001", "2026-11-23", "2026-11-23").await;
        assert_eq!((now.members_total, now.left_by_kind["left"]), (members_before - 1, 1));
        let log = gulou.get("/api/v1/audit?q=members.leave").await.json();
        assert_eq!(log["items"][0]["actor"].as_str().map(|a| a.starts_with("member:")), Some(true), "{log}");
        assert_recount_agrees(&app).await;
    }
}

both_backends! {
    async fn a_retained_member_who_joins_again_moves_from_the_retained_membership(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let a = member(&app, &mut gulou, "JU371502001", "张三", "371502199001011234", "13906351001").await;
        let r = gulou.post_json(&format!("/api/v1/members/{a}/retain"), json!({"reason": "失业"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let gulou_members = report(&app, "F371502001", "2026-11-23", "2026-11-23").await.members_total;
        // A new job in another township: the join moves from the retained membership.
        let mut liuyuan = app.demo_user("liuyuan").await;
        let code = liuyuan.join_code("JU371502002").await;
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
        let ctx = JoinContext::consented(Channel::Qr, "test", TEST_NOW, day("2026-11-23"));
        let joined = members::join(&app.store, &app.vault, &target, &draft("张三", "371502199001011234", "13906351001"), &ctx).await.unwrap();
        assert_eq!(joined.transfer_from.as_deref(), Some("古楼街道灵活就业人员联合工会"), "{joined:?}");
        let r = liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [joined.membership_id], "decision": "approve"})).await;
        assert_eq!(r.json()["decided"], 1, "{}", r.text());
        let moved = gulou.get("/api/v1/members?org=F371502001&status=transferred").await.json();
        assert_eq!((moved["total"].as_i64(), moved["items"][0]["id"].as_str()), (Some(1), Some(a.as_str())), "{moved}");
        // The old union's figures do not count the member leaving twice.
        let old = report(&app, "F371502001", "2026-11-23", "2026-11-23").await;
        assert_eq!((old.members_total, old.left_by_kind["retained"], old.left_by_kind["transferred_out"]), (gulou_members, 1, 0));
        assert_eq!(report(&app, "F371502002", "2026-11-23", "2026-11-23").await.new_members, 1);
        assert_recount_agrees(&app).await;
    }
}

both_backends! {
    async fn a_leave_racing_a_transfer_ends_in_one_consistent_state(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut gulou2 = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        for round in 0..4 {
            let id = id_with_check(&format!("37150219900101{round}12"));
            let phone = format!("1390635200{round}");
            let a = member(&app, &mut gulou, "JU371502001", "赵竞争", &id, &phone).await;
            let code = liuyuan.join_code("JU371502002").await;
            let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
            let ctx = JoinContext::consented(Channel::Qr, "test", TEST_NOW, day("2026-11-23"));
            let moving = members::join(&app.store, &app.vault, &target, &draft("赵竞争", &id, &phone), &ctx).await.unwrap();
            // The new union accepts; then the old union's leave races its letting go.
            let r = liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [moving.membership_id], "decision": "approve"})).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let t = gulou.get("/api/v1/transfers").await.json()["items"][0]["id"].as_str().unwrap().to_string();
            let path = format!("/api/v1/members/{a}/leave");
            let leave = gulou.post_json(&path, json!({"reason": "本人申请"}));
            let release_path = format!("/api/v1/transfers/{t}/accept");
            let release = gulou2.post_json(&release_path, json!({}));
            let (left, released) = tokio::join!(leave, release);
            assert!(left.status == 200 || left.status == 409, "{}", left.text());
            assert_eq!(released.status, 200, "{}", released.text());
            // One way or the other: the old membership ended once, the new one is active.
            let statuses: Value = gulou.get(&format!("/api/v1/members/{a}/history")).await.json();
            let endings = statuses.as_array().unwrap().iter()
                .filter(|e| matches!(e["event"].as_str(), Some("left" | "transferred_out"))).count();
            assert_eq!(endings, 1, "round {round}: {statuses}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE status = 'active' AND worker_group = 'courier' AND org_id IN (SELECT id FROM org_units WHERE code = 'JU371502002')").await, 4);
        assert_recount_agrees(&app).await;
    }
}

/// A worker of Gulou joins at Liuyuan's code: a transfer request there.
async fn moves_to_liuyuan(
    app: &TestApp,
    liuyuan: &mut Client,
    name: &str,
    id: &str,
    phone: &str,
) -> String {
    let r = joins(app, liuyuan, "JU371502002", name, id, phone).await;
    assert_eq!(r.status, "pending");
    r.membership_id.to_string()
}

async fn transfer_of(c: &mut Client, request: &str) -> Value {
    let all = c
        .get("/api/v1/transfers?status=all&per_page=100")
        .await
        .json();
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["to_membership"] == request)
        .cloned()
        .expect("the transfer")
}

both_backends! {
    async fn a_transfer_completes_when_let_go_or_when_the_window_closes(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let a = member(&app, &mut gulou, "JU371502001", "张甲", "371502199001011234", "13906351001").await;
        member(&app, &mut gulou, "JU371502001", "李乙", &id_with_check("37150219851212322"), "13906351002").await;
        let b = gulou.get("/api/v1/members?q=李乙").await.json()["items"][0]["id"].as_str().unwrap().to_string();
        // The worker asks by joining at Liuyuan; Liuyuan accepts; Gulou neither lets go nor objects.
        let request = moves_to_liuyuan(&app, &mut liuyuan, "张甲", "371502199001011234", "13906351001").await;
        let r = liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [request], "decision": "approve"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let t = transfer_of(&mut gulou, &request).await;
        assert_eq!((t["status"].as_str(), t["objection_until"].as_str()), (Some("accepted"), Some("2026-11-29")), "seven days by default, the first included: {t}");
        assert_eq!(members::transfers::complete_due(&app.store, app.clock.now()).await.unwrap(), 0, "the window is open");
        // The day after the window closes, the hourly run completes it.
        app.clock.advance(8 * DAY_MS);
        assert_eq!(members::transfers::complete_due(&app.store, app.clock.now()).await.unwrap(), 1);
        let mut gulou = app.demo_user("gulou").await;
        let t = transfer_of(&mut gulou, &request).await;
        assert_eq!(t["status"], "completed", "{t}");
        let old = gulou.get("/api/v1/members?status=transferred").await.json();
        assert_eq!(old["items"][0]["id"].as_str(), Some(a.as_str()));
        let figures = report(&app, "F371502001", "2026-12-01", "2026-12-01").await;
        assert_eq!(figures.left_by_kind["transferred_out"], 1, "counted on the day it completed");

        // A union without a window: an accepted transfer completes at once. Only staff set it,
        // within 0 to 30 days, audited.
        let r = gulou.put_json("/api/v1/orgs/JU371502001/transfer-window", json!({"days": 31})).await;
        assert_eq!((r.status.as_u16(), fields(&r)), (422, vec!["days".to_string()]));
        let mut liuyuan = app.demo_user("liuyuan").await;
        let r = liuyuan.put_json("/api/v1/orgs/JU371502001/transfer-window", json!({"days": 0})).await;
        assert_eq!(r.status, 404, "another township's union");
        let r = gulou.put_json("/api/v1/orgs/JU371502001/transfer-window", json!({"days": 0})).await;
        assert_eq!(r.json()["days"], 0, "{}", r.text());
        assert!(gulou.get("/orgs/JU371502001").await.text().contains("name=\"days\" type=\"number\" min=\"0\" max=\"30\" value=\"0\""));
        let c = member(&app, &mut gulou, "JU371502001", "王丙", &id_with_check("37150219880808123"), "13906351003").await;
        let request = moves_to_liuyuan(&app, &mut liuyuan, "王丙", &id_with_check("37150219880808123"), "13906351003").await;
        let r = liuyuan.post_json("/api/v1/members/decisions", json!({"ids": [request], "decision": "approve"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(transfer_of(&mut liuyuan, &request).await["status"], "completed");
        assert_eq!(gulou.get(&format!("/api/v1/members/{c}/history")).await.json()[0]["event"], "transferred_out");
        let log = gulou.get("/api/v1/audit?q=orgs.transfer_window").await.json();
        assert_eq!(log["total"], 1, "{log}");
        assert!(log["items"][0]["detail"].to_string().contains("transfer_objection_days"), "{log}");

        // The old union's cadre asks: it lets go at once, so the receiving union's acceptance
        // completes it.
        let r = gulou.post_json(&format!("/api/v1/members/{b}/transfer"), json!({"to_org": "JU371502001"})).await;
        assert_eq!((r.status.as_u16(), fields(&r)), (422, vec!["to_org".to_string()]), "its own union");
        let r = gulou.post_json(&format!("/api/v1/members/{b}/transfer"), json!({"to_org": "NOPE", "reason": "换站点"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("transfers.unknown_union")));
        let r = gulou.post_json(&format!("/api/v1/members/{b}/transfer"), json!({"to_org": "JU371502002", "reason": "换站点"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let t = r.json();
        assert_eq!((t["status"].as_str(), t["requested_side"].as_str(), t["released_at"].is_null()), (Some("requested"), Some("from"), false), "{t}");
        let r = gulou.post_json(&format!("/api/v1/members/{b}/transfer"), json!({"to_org": "JU371502002"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("transfers.open")));
        let r = liuyuan.post_json(&format!("/api/v1/transfers/{}/accept", t["id"].as_str().unwrap()), json!({})).await;
        assert_eq!(r.json()["status"], "completed", "{}", r.text());
        assert_eq!(liuyuan.get("/api/v1/members?status=active").await.json()["total"], 3);
        assert_recount_agrees(&app).await;
        // Each union reads its own steps in the audit log.
        assert!(gulou.get("/api/v1/audit?q=transfers.").await.text().contains("transfers.request"));
        assert!(liuyuan.get("/api/v1/audit?q=transfers.").await.text().contains("transfers.accept"));
    }
}

both_backends! {
    async fn an_objection_goes_to_the_lowest_common_parent(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let a = member(&app, &mut gulou, "JU371502001", "张甲", "371502199001011234", "13906351001").await;
        let request = moves_to_liuyuan(&app, &mut liuyuan, "张甲", "371502199001011234", "13906351001").await;
        let id = transfer_of(&mut gulou, &request).await["id"].as_str().unwrap().to_string();
        // Gulou objects within the window, with a reason; without one, nothing changes.
        let r = gulou.post_json(&format!("/api/v1/transfers/{id}/object"), json!({"reason": " "})).await;
        assert_eq!((r.status.as_u16(), fields(&r)), (422, vec!["reason".to_string()]));
        let r = gulou.post_json(&format!("/api/v1/transfers/{id}/object"), json!({"reason": "会费与慰问品未结清"})).await;
        assert_eq!(r.json()["status"], "objected", "{}", r.text());
        // Neither union decides now; the receiving union cannot accept past an objection.
        let r = liuyuan.post_json(&format!("/api/v1/transfers/{id}/accept"), json!({})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("transfers.objected")));
        for c in [&mut gulou, &mut liuyuan] {
            let r = c.post_json(&format!("/api/v1/transfers/{id}/decide"), json!({"outcome": "accept"})).await;
            assert_eq!(r.status, 403, "{}", r.text());
        }
        // The county federation above both decides: the member stays.
        let mut county = app.demo_user("dongchangfu").await;
        let listed = county.get("/api/v1/transfers?status=objected").await.json();
        assert_eq!(listed["total"], 1, "{listed}");
        let r = county.post_json(&format!("/api/v1/transfers/{id}/decide"), json!({"outcome": "maybe"})).await;
        assert_eq!((r.status.as_u16(), fields(&r)), (422, vec!["outcome".to_string()]));
        let r = county.post_json(&format!("/api/v1/transfers/{id}/decide"), json!({"outcome": "reject", "reason": "先结清"})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("rejected")), "{}", r.text());
        let stays = gulou.get("/api/v1/members?status=active").await.json();
        assert_eq!((stays["total"].as_i64(), stays["items"][0]["id"].as_str()), (Some(1), Some(a.as_str())));
        assert_eq!(liuyuan.get("/api/v1/members?status=rejected").await.json()["total"], 1);
        // A second request, objected too, which the county lets through: the member moves now.
        let request = moves_to_liuyuan(&app, &mut liuyuan, "张甲", "371502199001011234", "13906351001").await;
        let id = transfer_of(&mut gulou, &request).await["id"].as_str().unwrap().to_string();
        gulou.post_json(&format!("/api/v1/transfers/{id}/object"), json!({"reason": "再议"})).await;
        let r = county.post_json(&format!("/api/v1/transfers/{id}/decide"), json!({"outcome": "accept"})).await;
        assert_eq!(r.json()["status"], "completed", "{}", r.text());
        assert_eq!(liuyuan.get("/api/v1/members?status=active").await.json()["total"], 1);
        // Past the window, an objection is refused.
        let b = member(&app, &mut gulou, "JU371502001", "李乙", &id_with_check("37150219851212322"), "13906351002").await;
        let request = moves_to_liuyuan(&app, &mut liuyuan, "李乙", &id_with_check("37150219851212322"), "13906351002").await;
        app.clock.advance(8 * DAY_MS);
        let mut gulou = app.demo_user("gulou").await;
        let id = transfer_of(&mut gulou, &request).await["id"].as_str().unwrap().to_string();
        let r = gulou.post_json(&format!("/api/v1/transfers/{id}/object"), json!({"reason": "晚了"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("transfers.window_closed")), "{}", r.text());
        let _ = b;
        assert_recount_agrees(&app).await;
    }
}

both_backends! {
    async fn a_member_asks_to_move_from_their_own_page(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        member(&app, &mut gulou, "JU371502001", "张三", "371502199001011234", "13906351001").await;
        let mut w = sign_in_member(&app, "13906351001").await;
        let me = w.get("/me").await.text();
        assert!(me.contains("action=\"/me/transfer\"") && me.contains("<option value=\"JU371502002\""), "the county's unions: {me}");
        let token = member_csrf(&me);
        let r = w.post_form("/me/transfer", &[("to_org", "JU371502002")], false).await;
        assert_eq!(r.status, 403, "{}", r.text());
        let r = w.post_form("/me/transfer", &[("_csrf", token.as_str()), ("to_org", "")], false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-to_org\""), "{}", r.text());
        let r = w.post_form("/me/transfer", &[("_csrf", token.as_str()), ("to_org", "JU371502002"), ("reason", "换到新站点")], false).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/me?done=transfer")), "{}", r.text());
        let me = w.get("/me?done=transfer").await.text();
        assert!(me.contains("转会申请已提交") && me.contains("待接收") && me.contains("柳园"), "{me}");
        // The old union sees it on its transfer page, with the step it may take.
        let page = gulou.get("/transfers").await.text();
        assert!(page.contains("张三") && page.contains("换到新站点") && page.contains("/object"), "{page}");
        let r = w.post_form("/me/transfer", &[("_csrf", token.as_str()), ("to_org", "JU371502002")], false).await;
        assert_eq!(r.status, 422, "a second one while the first is open: {}", r.text());
    }
}

/// A small deterministic generator (xorshift): the same seed plays the same sequence, so a
/// failure names its seed and step and replays.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

const UNIONS: [(&str, &str); 2] = [("JU371502001", "gulou"), ("JU371502002", "liuyuan")];

/// Members counted at each union by the maintained counters, and by a direct count.
async fn counted_and_direct(app: &TestApp, union: &str) -> (i64, i64) {
    let counted = report(app, union, "2026-01-01", "2027-12-31")
        .await
        .members_total;
    let direct = app
        .count(&format!(
            "SELECT COUNT(*) FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE o.code = '{union}' AND m.status = 'active'"
        ))
        .await;
    (counted, direct)
}

both_backends! {
    async fn figures_stay_exact_through_random_joins_transfers_leaves_retentions_lapses_merges_and_dissolutions(app: TestApp) {
        app.load_demo().await;
        let people: Vec<(String, String)> = (0..6)
            .map(|i| (id_with_check(&format!("37150219900101{i}11")), format!("1390635300{i}")))
            .collect();
        let (mut merges, mut dissolutions) = (0, 0);
        for seed in [7u64, 2026, 91_3715] {
            let mut dice = Dice(seed);
            // Joint unions made during the run in 古楼街道, merged or dissolved later.
            let mut extra: Vec<String> = Vec::new();
            for step in 0..16 {
                let mut cadres = Vec::new();
                for (_, user) in UNIONS {
                    cadres.push(app.demo_user(user).await);
                }
                let (who, u) = (dice.roll(people.len()), dice.roll(UNIONS.len()));
                let (id, phone) = &people[who];
                match dice.roll(9) {
                    // Join (or move by joining) at a union; its cadre approves, and sometimes
                    // the old union lets the member go at once.
                    0 | 1 => {
                        let code = cadres[u].join_code(UNIONS[u].0).await;
                        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
                        let today = nuanxin_core::clock::beijing_date(app.clock.now());
                        let ctx = JoinContext::consented(Channel::Qr, "test", app.clock.now(), today);
                        let r = members::join(&app.store, &app.vault, &target, &draft("随机", id, phone), &ctx).await.unwrap();
                        if r.status == "pending" {
                            let d = cadres[u].post_json("/api/v1/members/decisions", json!({"ids": [r.membership_id], "decision": "approve"})).await;
                            assert_eq!(d.status, 200, "seed {seed} step {step}: {}", d.text());
                            let other = 1 - u;
                            if dice.roll(2) == 0 {
                                let open = cadres[other].get("/api/v1/transfers").await.json();
                                for t in open["items"].as_array().unwrap() {
                                    let path = format!("/api/v1/transfers/{}/accept", t["id"].as_str().unwrap());
                                    cadres[other].post_json(&path, json!({})).await;
                                }
                            }
                        }
                    }
                    // A new joint union, and someone joins it.
                    6 => {
                        let code = format!("JU-R{seed}-{step}");
                        let r = cadres[0].post_json("/api/v1/orgs", json!({"code": code, "name": format!("古楼{code}联合工会"), "type": "joint_union",
                            "region_code": "371502001", "parent_code": "F371502001"})).await;
                        assert!(r.status.is_success(), "seed {seed} step {step}: {}", r.text());
                        let join = cadres[0].join_code(&code).await;
                        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &join).await.unwrap();
                        let today = nuanxin_core::clock::beijing_date(app.clock.now());
                        let ctx = JoinContext::consented(Channel::Qr, "test", app.clock.now(), today);
                        let r = members::join(&app.store, &app.vault, &target, &draft("随机", id, phone), &ctx).await.unwrap();
                        if r.status == "pending" {
                            cadres[0].post_json("/api/v1/members/decisions", json!({"ids": [r.membership_id], "decision": "approve"})).await;
                        }
                        extra.push(code);
                    }
                    // Merge one of them into 古楼's joint union or into another of them.
                    7 if !extra.is_empty() => {
                        let a = extra.remove(dice.roll(extra.len()));
                        let into = match extra.len() {
                            0 => UNIONS[0].0.to_string(),
                            n => [UNIONS[0].0.to_string(), extra[dice.roll(n)].clone()][dice.roll(2)].clone(),
                        };
                        let r = cadres[0].post_json(&format!("/api/v1/orgs/{a}/merge"), json!({"into": into})).await;
                        assert_eq!(r.status, 200, "seed {seed} step {step} merge {a} into {into}: {}", r.text());
                        merges += 1;
                    }
                    // Dissolve one of them: its members go to the nearest holding pool.
                    8 if !extra.is_empty() => {
                        let a = extra.remove(dice.roll(extra.len()));
                        let r = cadres[0].post_json(&format!("/api/v1/orgs/{a}/dissolve"), json!({})).await;
                        assert_eq!(r.status, 200, "seed {seed} step {step} dissolve {a}: {}", r.text());
                        dissolutions += 1;
                    }
                    7 | 8 => {}
                    // Leave, retain or lapse one of the union's current memberships.
                    k => {
                        let list = cadres[u].get("/api/v1/members?status=all&per_page=100").await.json();
                        let mine: Vec<String> = list["items"].as_array().unwrap().iter()
                            .filter(|m| m["status"] == "active" || m["status"] == "retained")
                            .map(|m| m["id"].as_str().unwrap().to_string()).collect();
                        if let Some(m) = mine.get(dice.roll(mine.len().max(1))) {
                            let how = ["leave", "retain", "lapse", "leave"][k - 2];
                            let r = cadres[u].post_json(&format!("/api/v1/members/{m}/{how}"), json!({"reason": "随机"})).await;
                            assert!(r.status == 200 || r.status == 409, "seed {seed} step {step} {how}: {}", r.text());
                        }
                    }
                }
                // Sometimes days pass, and windows close.
                if dice.roll(4) == 0 {
                    app.clock.advance(8 * DAY_MS);
                    members::transfers::complete_due(&app.store, app.clock.now()).await.unwrap();
                }
                let checked = UNIONS.iter().map(|(u, _)| u.to_string()).chain(extra.iter().cloned()).chain(["HP371502".to_string()]);
                for union in checked {
                    let (counted, direct) = counted_and_direct(&app, &union).await;
                    assert_eq!(counted, direct, "seed {seed} step {step}: members of {union}");
                }
                let recount = coverage::recount(&app.store, false).await.unwrap();
                assert!(recount.differences.is_empty(), "seed {seed} step {step}: {:?}", recount.differences);
                let actives = app.count("SELECT COUNT(*) FROM (SELECT person_id FROM memberships WHERE status = 'active' GROUP BY person_id HAVING COUNT(*) > 1) x").await;
                assert_eq!(actives, 0, "seed {seed} step {step}: one active membership per person");
            }
        }
        assert!(merges > 0 && dissolutions > 0, "the seeds play merges ({merges}) and dissolutions ({dissolutions})");
    }
}

both_backends! {
    async fn workers_in_the_holding_pool_move_to_their_employers_new_union(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let name = "东昌府区顺丰速运营业部";
        let uscc = nuanxin_core::census::Uscc::with_check("91371502MA3N00017").unwrap();
        let r = county.post_json("/api/v1/enterprises", json!({"uscc": uscc.as_str(), "name": name,
            "industry": "express_delivery", "staff": "40", "new_form_workers": "30", "region_code": "371502001", "source": "survey"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        // Three couriers of the enterprise and one of another employer land in the holding pool.
        let code = county.join_code("HP371502").await;
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
        let ctx = JoinContext::consented(Channel::Qr, "test", TEST_NOW, day("2026-11-23"));
        let mut ids = Vec::new();
        for (i, employer) in [name, name, name, "美团"].iter().enumerate() {
            let input = JoinInput {
                name: ["周一", "周二", "周三", "周四"][i].into(),
                id_number: id_with_check(&format!("37150219920202{i}12")),
                phone: format!("1390635400{i}"),
                group: "快递员".into(),
                employer: Some(employer.to_string()),
                consent: true,
                ..JoinInput::default()
            };
            let d = JoinDraft::parse(&input, day("2026-11-23")).unwrap();
            let r = members::join(&app.store, &app.vault, &target, &d, &ctx).await.unwrap();
            let a = county.post_json("/api/v1/members/decisions", json!({"ids": [r.membership_id], "decision": "approve"})).await;
            assert_eq!(a.json()["decided"], 1, "{}", a.text());
            ids.push(r.membership_id.to_string());
        }
        // Without a union, the page lists them and offers no move; the API says why.
        let page = county.get(&format!("/census/{}", uscc.as_str())).await.text();
        assert!(page.contains("id=\"holding\"") && page.contains("周一") && !page.contains("周四") && !page.contains("id=\"move-all\""), "{page}");
        let r = county.post_json(&format!("/api/v1/enterprises/{}/move-members", uscc.as_str()), json!({})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (409, Some("holding.no_union")), "{}", r.text());
        // The enterprise gets its union; one worker moves first, then all the others at once.
        let r = county.post_json(&format!("/api/v1/enterprises/{}/unionise", uscc.as_str()),
            json!({"how": "new", "code": "EU-SF-1", "name": "顺丰速运营业部工会", "parent_code": "F371502001"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let r = county.post_json(&format!("/api/v1/enterprises/{}/move-members", uscc.as_str()), json!({"ids": [ids[3]]})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("holding.not_waiting")), "another employer's worker");
        let r = county.post_json(&format!("/api/v1/enterprises/{}/move-members", uscc.as_str()), json!({"ids": [ids[0]]})).await;
        assert_eq!((r.json()["moved"].as_i64(), r.json()["pending"].as_i64()), (Some(1), Some(0)), "{}", r.text());
        let page = county.get(&format!("/census/{}", uscc.as_str())).await.text();
        assert!(page.contains("全部转入（2 人）"), "{page}");
        let r = county.post_form(&format!("/census/{}/move-members", uscc.as_str()), &[("all", "1")], true).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("已转入企业工会") && !r.text().contains("id=\"holding\""), "{}", r.text());
        let union = county.get("/api/v1/members?org=EU-SF-1&status=active").await.json();
        assert_eq!(union["total"], 3, "{union}");
        let pool = county.get("/api/v1/members?org=HP371502&status=active").await.json();
        assert_eq!((pool["total"].as_i64(), pool["items"][0]["name"].as_str()), (Some(1), Some("周四")));
        assert_recount_agrees(&app).await;
        // A township cadre does not see the county's holding pool.
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json(&format!("/api/v1/enterprises/{}/move-members", uscc.as_str()), json!({})).await;
        assert!(r.status == 404 || r.status == 422, "{} {}", r.status, r.text());
    }
}

both_backends! {
    async fn a_member_updates_where_they_work_and_their_number_from_their_own_page(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        member(&app, &mut gulou, "JU371502001", "张三", "371502199001011234", "13906351001").await;
        member(&app, &mut gulou, "JU371502001", "李四", &id_with_check("37150219851212322"), "13906351002").await;
        let mut w = sign_in_member(&app, "13906351001").await;
        let me = w.get("/me").await.text();
        assert!(me.contains("action=\"/me/work\"") && me.contains("<option value=\"371502002\""), "{me}");
        let token = member_csrf(&me);
        // Where they work: checked, saved, counted in the new township; audited.
        let r = w.post_form("/me/work", &[("_csrf", token.as_str()), ("employer", "美团"), ("work_region", "9999")], false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-work_region\""), "{}", r.text());
        let r = w.post_form("/me/work", &[("employer", "美团"), ("work_region", "371502002")], false).await;
        assert_eq!(r.status, 403, "no token: {}", r.text());
        let r = w.post_form("/me/work", &[("_csrf", token.as_str()), ("employer", "美团"), ("work_region", "371502002")], false).await;
        assert_eq!(r.location(), Some("/me?done=work"), "{}", r.text());
        let rows = gulou.get("/api/v1/members?q=张三").await.json();
        assert_eq!((rows["items"][0]["employer"].as_str(), rows["items"][0]["work_region"].as_str()), (Some("美团"), Some("371502002")));
        let figures = report(&app, "F371502001", "2026-01-01", "2026-12-31").await;
        assert_eq!(figures.members_by_region.get("371502002"), Some(&1), "{:?}", figures.members_by_region);
        assert_recount_agrees(&app).await;
        // A new number: the code goes to it; another person's number is refused.
        let r = w.post_form("/me/phone", &[("_csrf", token.as_str()), ("action", "sms"), ("phone", "13906351002")], false).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let code = app.sms.last_code("13906351002").expect("a code");
        let r = w.post_form("/me/phone", &[("_csrf", token.as_str()), ("action", "change"), ("phone", "13906351002"), ("sms_code", code.as_str())], false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("另一人名下"), "{}", r.text());
        app.clock.advance(61_000);
        let r = w.post_form("/me/phone", &[("_csrf", token.as_str()), ("action", "sms"), ("phone", "13906359999")], false).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = w.post_form("/me/phone", &[("_csrf", token.as_str()), ("action", "change"), ("phone", "13906359999"), ("sms_code", "000000")], false).await;
        assert_eq!(r.status, 422, "a wrong code: {}", r.text());
        assert!(r.text().contains("id=\"e-phone-code\""), "{}", r.text());
        let code = app.sms.last_code("13906359999").expect("a code");
        let r = w.post_form("/me/phone", &[("_csrf", token.as_str()), ("action", "change"), ("phone", "13906359999"), ("sms_code", code.as_str())], false).await;
        assert_eq!(r.location(), Some("/me?done=phone"), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE phone = '13906359999' AND name = '张三'").await, 1);
        let log = gulou.get("/api/v1/audit?q=members.self_").await.text();
        assert!(log.contains("members.self_update") && log.contains("members.self_phone") && !log.contains("13906359999"), "{log}");
        // The next sign-in is with the new number (a minute later: one code a minute).
        app.clock.advance(61_000);
        sign_in_member(&app, "13906359999").await;
    }
}

both_backends! {
    async fn a_merge_moves_members_codes_and_stations_and_keeps_the_figures_right(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/orgs", json!({"code": "JU-NEW", "name": "古楼街道新联合工会", "type": "joint_union",
            "region_code": "371502001", "parent_code": "F371502001"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let a = member(&app, &mut gulou, "JU371502001", "张甲", "371502199001011234", "13906351001").await;
        let b = member(&app, &mut gulou, "JU371502001", "李乙", &id_with_check("37150219851212322"), "13906351002").await;
        let r = gulou.post_json(&format!("/api/v1/members/{b}/retain"), json!({"reason": "失业"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let code = gulou.join_code("JU371502001").await;
        let station = gulou.post_json("/api/v1/stations", json!({"name": "古楼骑手之家", "type": "骑手之家", "lat": "36.45",
            "lng": "115.98", "address": "古楼街道柳园路 1 号", "hours": "每天 8:00-20:00", "amenities": "饮水", "org_code": "JU371502001"})).await;
        let station = station.json()["id"].as_str().unwrap().to_string();
        let r = gulou.post_json(&format!("/api/v1/stations/{station}/visits"), json!({"service": "water", "headcount": 4})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // Targets: both units have a new-members target for the year (they add up), the merged
        // one a rate target the other lacks (it moves) and hands a share of its count down.
        let mut county = app.demo_user("dongchangfu").await;
        for (org, metric, value) in [("JU371502001", "new_members", 30.0), ("JU-NEW", "new_members", 12.0), ("JU371502001", "membership_rate", 0.6)] {
            let body = json!({"org_code": org, "metric": metric, "period_start": "2026-01-01", "period_end": "2026-12-31", "value": value});
            let r = county.post_json("/api/v1/targets", body).await;
            assert!(r.status.is_success(), "{}", r.text());
        }
        let before = report(&app, "F371502001", "2026-01-01", "2026-12-31").await;
        // Problems first: into itself, into nowhere; a viewer may not.
        let r = gulou.post_json("/api/v1/orgs/JU371502001/merge", json!({"into": "JU371502001"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("orgs.merge_into_itself")));
        let r = gulou.post_json("/api/v1/orgs/JU371502001/merge", json!({"into": "JU371502002"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("orgs.merge_unknown")), "another township's union");
        let r = gulou.post_json("/api/v1/accounts", json!({"username": "gl-view", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await;
        assert!(r.status.is_success());
        let mut viewer = app.login("gl-view", "pass-word-1").await;
        assert_eq!(viewer.post_json("/api/v1/orgs/JU371502001/merge", json!({"into": "JU-NEW"})).await.status, 403);
        // The merge.
        let r = gulou.post_json("/api/v1/orgs/JU371502001/merge", json!({"into": "JU-NEW"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let m = r.json();
        assert_eq!((m["members"].as_i64(), m["stations"].as_i64(), m["join_codes"].as_i64()), (Some(2), Some(1), Some(1)), "{m}");
        assert_eq!(m["targets"].as_i64(), Some(2), "{m}");
        let targets = county.get("/api/v1/targets?org=JU-NEW").await.json();
        let of = |metric: &str| targets.as_array().or(targets["items"].as_array()).unwrap().iter()
            .find(|t| t["metric"] == metric && t["org_code"] == "JU-NEW").map(|t| t["value"].as_f64().unwrap());
        assert_eq!((of("new_members"), of("membership_rate")), (Some(42.0), Some(0.6)), "{targets}");
        assert_eq!(app.count("SELECT COUNT(*) FROM targets t JOIN org_units o ON o.id = t.org_id WHERE o.code = 'JU371502001'").await, 0);
        let merged = gulou.get("/api/v1/orgs/JU371502001").await.json();
        assert_eq!(merged["status"], "dissolved", "{merged}");
        let moved = gulou.get("/api/v1/members?org=JU-NEW&status=all").await.json();
        assert_eq!(moved["total"], 2, "{moved}");
        assert_eq!(gulou.get(&format!("/api/v1/stations/{station}")).await.json()["org_code"], "JU-NEW");
        // The township's figures are what they were; the new union holds the member and the
        // services; nobody joined or left by the merge.
        let after = report(&app, "F371502001", "2026-01-01", "2026-12-31").await;
        assert_eq!((after.members_total, after.new_members, after.left_members, after.services), (before.members_total, before.new_members, before.left_members, before.services));
        let new = report(&app, "JU-NEW", "2026-01-01", "2026-12-31").await;
        assert_eq!((new.members_total, new.new_members, new.services, new.stations_open), (1, 0, 4, 1));
        assert_recount_agrees(&app).await;
        let h = gulou.get(&format!("/api/v1/members/{a}/history")).await.json();
        let events: Vec<&str> = h.as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert!(events.contains(&"merged_out") && events.contains(&"merged_in"), "{h}");
        // The printed join code keeps working: it joins the union that stayed.
        let target = members::resolve_code(&mut app.store.read().await.unwrap(), &code).await.unwrap();
        assert_eq!(target.org_code, "JU-NEW");
        let page = gulou.get("/orgs/JU371502001").await.text();
        assert!(page.contains("合并至"), "{page}");
    }
}

both_backends! {
    async fn dissolving_a_unit_with_members_sends_them_to_the_holding_pool_or_where_told(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        for code in ["JU-OLD", "JU-NEW"] {
            let r = gulou.post_json("/api/v1/orgs", json!({"code": code, "name": format!("古楼{code}联合工会"), "type": "joint_union",
                "region_code": "371502001", "parent_code": "F371502001"})).await;
            assert!(r.status.is_success(), "{}", r.text());
        }
        let a = member(&app, &mut gulou, "JU-OLD", "张甲", "371502199001011234", "13906351001").await;
        member(&app, &mut gulou, "JU-NEW", "李乙", &id_with_check("37150219851212322"), "13906351002").await;
        member(&app, &mut gulou, "JU-NEW", "王丙", &id_with_check("37150219880808123"), "13906351003").await;
        let before = report(&app, "F371502", "2026-01-01", "2026-12-31").await;
        // The page says how many and offers the nearest holding pool.
        let page = gulou.get("/orgs/JU-OLD/dissolve").await.text();
        assert!(page.contains("还有 1 条会籍") && page.contains("value=\"HP371502\""), "{page}");
        // Named: the members go where told, with the day in their history.
        let r = gulou.post_json("/api/v1/orgs/JU-OLD/dissolve", json!({"members_to": "JU371502002"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("orgs.merge_unknown")), "outside the cadre's subtree");
        let r = gulou.post_json("/api/v1/orgs/JU-OLD/dissolve", json!({"members_to": "JU-NEW"})).await;
        assert_eq!(r.json()["status"], "dissolved", "{}", r.text());
        let moved = gulou.get("/api/v1/members?org=JU-NEW&status=active").await.json();
        assert_eq!(moved["total"], 3, "{moved}");
        let h = gulou.get(&format!("/api/v1/members/{a}/history")).await.json();
        assert_eq!(h[0]["event"], "dissolved_in", "{h}");
        // Not named: the county's holding pool takes them, though it lies outside the township.
        let r = gulou.post_form("/orgs/JU-NEW/dissolve", &[], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let mut county = app.demo_user("dongchangfu").await;
        let pool = county.get("/api/v1/members?org=HP371502&status=active").await.json();
        assert_eq!(pool["total"], 3, "{pool}");
        let after = report(&app, "F371502", "2026-01-01", "2026-12-31").await;
        assert_eq!((after.members_total, after.new_members, after.left_members), (before.members_total, before.new_members, before.left_members));
        assert_recount_agrees(&app).await;
    }
}
