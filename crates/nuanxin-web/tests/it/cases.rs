//! Rights cases (维权): a cadre records a case (every problem named at once), moves it through
//! the stages with a timeline, closes it with the amounts; the worker is told by SMS; a member
//! asks for help from `/me`; the services report counts by the days cases opened and closed,
//! and the recount agrees. Scope: a sibling township sees nothing, a viewer sees phones masked.

use nuanxin_core::coverage;
use nuanxin_testkit::{both_backends, id_with_check};
use serde_json::json;

fn fields(r: &nuanxin_testkit::Resp) -> Vec<(String, String)> {
    r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn report(
    cadre: &mut nuanxin_testkit::Client,
    org: &str,
    from: &str,
    to: &str,
) -> serde_json::Value {
    let r = cadre
        .get(&format!(
            "/api/v1/services/report?org={org}&from={from}&to={to}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["cases"].clone()
}

both_backends! {
    async fn a_cadre_handles_a_case_to_closure_and_the_report_counts_it(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        // Every problem at once, and nothing written.
        let r = gulou.post_json("/api/v1/cases", json!({"org_code": "JU371502001", "kind": "lost_cat", "name": "",
            "phone": "12345", "claimed": "1.234", "opened_on": "2099-01-01", "id_number": "371502199001011235"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let got = fields(&r);
        for f in ["kind", "name", "phone", "claimed", "opened_on", "id_number"] {
            assert!(got.iter().any(|(field, _)| field == f), "{f} in {got:?}");
        }
        assert!(got.contains(&("claimed".into(), "money.bad_amount".into())), "{got:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 0);

        let r = gulou.post_json("/api/v1/cases", json!({"org_code": "JU371502001", "kind": "欠薪", "name": "王骑手",
            "phone": "13906357001", "id_number": id_with_check("37150219900101701"), "employer": "某配送站",
            "claimed": "12,000.50", "opened_on": "2026-11-02", "summary": "三个月工资未发"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let case = r.json();
        let id = case["id"].as_str().unwrap().to_string();
        assert!(case["case_no"].as_str().unwrap().starts_with("WQ20261102"), "{case}");
        assert_eq!((case["kind"].as_str(), case["stage"].as_str(), case["claimed_fen"].as_i64()), (Some("wages"), Some("consultation"), Some(1_200_050)));
        assert!(case["id_number"].as_str().unwrap().contains("****"), "masked: {case}");
        let r = gulou.post_json("/api/v1/cases", json!({"org_code": "JU371502001", "kind": "injury", "name": "李快递",
            "phone": "13906357002", "claimed": "800", "opened_on": "2026-11-20"})).await;
        assert_eq!(r.status, 201, "{}", r.text());

        // Scope: the sibling township sees nothing; the county sees both; a viewer sees phones masked.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/api/v1/cases/{id}")).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/cases").await.json()["total"], 0);
        assert_eq!(liuyuan.patch_json(&format!("/api/v1/cases/{id}"), json!({"stage": "mediation"})).await.status, 404);
        let mut county = app.demo_user("dongchangfu").await;
        assert_eq!(county.get("/api/v1/cases?status=all").await.json()["total"], 2);
        assert_eq!(county.get("/api/v1/cases?kind=injury").await.json()["total"], 1);
        assert_eq!(county.get("/api/v1/cases?q=王骑").await.json()["total"], 1);
        gulou.post_json("/api/v1/accounts", json!({"username": "gl-view", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await;
        let mut viewer = app.login("gl-view", "pass-word-1").await;
        let seen = viewer.get(&format!("/api/v1/cases/{id}")).await.json();
        assert_eq!(seen["phone"], "139****7001", "{seen}");
        assert_eq!(viewer.patch_json(&format!("/api/v1/cases/{id}"), json!({"stage": "mediation"})).await.status, 403);

        // Escalation: the worker hears of each stage by SMS; the timeline keeps every step.
        let r = gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"stage": "mediation", "handler": "张律师", "note": "约企业负责人面谈"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(app.sms.last_message("13906357001").unwrap().contains("调解"), "{:?}", app.sms.last_message("13906357001"));
        let r = gulou.post_json(&format!("/api/v1/cases/{id}/events"), json!({"kind": "hearing", "text": "调解会"})).await;
        assert_eq!(fields(&r), vec![("on".to_string(), "cases.day_required".to_string())]);
        let r = gulou.post_json(&format!("/api/v1/cases/{id}/events"), json!({"kind": "hearing", "text": "调解会", "on": "2026-11-25"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        // Closing: the amounts checked; then told; a second close is a conflict.
        let r = gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"outcome": "mediated", "recovered": "999999999", "closed_on": "2026-11-22"})).await;
        assert_eq!(fields(&r), vec![("recovered".to_string(), "cases.recovered_too_high".to_string())]);
        let r = gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"outcome": "mediated", "recovered": "9600", "closed_on": "2026-10-01"})).await;
        assert_eq!(fields(&r), vec![("closed_on".to_string(), "cases.bad_closed_on".to_string())], "before it opened");
        let r = gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"outcome": "mediated", "recovered": "9600", "closed_on": "2026-11-22"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!((r.json()["status"].as_str(), r.json()["recovered_fen"].as_i64()), (Some("closed"), Some(960_000)));
        assert!(app.sms.last_message("13906357001").unwrap().contains("已结案"));
        assert_eq!(gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"outcome": "supported"})).await.status, 409);
        let timeline = gulou.get(&format!("/api/v1/cases/{id}")).await.json()["events"].clone();
        let kinds: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["opened", "stage", "assigned", "note", "hearing", "closed"], "{timeline}");

        // The report: opened by their day, claimed with them; closed and recovered by the closing day.
        let cases = report(&mut county, "F371502", "2026-11-01", "2026-11-30").await;
        assert_eq!((cases["opened"].as_i64(), cases["closed"].as_i64(), cases["workers_helped"].as_i64()), (Some(2), Some(1), Some(1)), "{cases}");
        assert_eq!((cases["claimed_fen"].as_i64(), cases["recovered_fen"].as_i64()), (Some(1_280_050), Some(960_000)));
        assert_eq!((cases["by_kind"]["wages"].as_i64(), cases["by_kind"]["injury"].as_i64(), cases["by_kind"]["dismissal"].as_i64()), (Some(1), Some(1), Some(0)));
        let dash = county.get("/dashboard?org=F371502&from=2026-11-01&to=2026-11-30").await.text();
        assert!(dash.contains("id=\"kpi-cases\">2<") && dash.contains("¥9,600.00"), "the dashboard card");
        // From 1 January the people helped come from the first-help-day counters: the same.
        let ytd = report(&mut county, "F371502", "2026-01-01", "2026-11-30").await;
        assert_eq!((ytd["workers_helped"].as_i64(), ytd["opened"].as_i64()), (Some(1), Some(2)), "{ytd}");
        let before_close = report(&mut county, "F371502", "2026-01-01", "2026-11-21").await;
        assert_eq!(before_close["workers_helped"], 0, "helped on the 22nd");
        let early = report(&mut county, "F371502", "2026-11-01", "2026-11-10").await;
        assert_eq!((early["opened"].as_i64(), early["closed"].as_i64(), early["claimed_fen"].as_i64()), (Some(1), Some(0), Some(1_200_050)));
        let sibling = report(&mut liuyuan, "F371502002", "2026-01-01", "2026-12-31").await;
        assert_eq!(sibling["opened"], 0);
        // Reopening takes the closing away again; the recount agrees at every step.
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        let r = gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"reopen": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let after = report(&mut county, "F371502", "2026-11-01", "2026-11-30").await;
        assert_eq!((after["closed"].as_i64(), after["recovered_fen"].as_i64(), after["workers_helped"].as_i64()), (Some(0), Some(0), Some(0)));
        assert_eq!(report(&mut county, "F371502", "2026-01-01", "2026-11-30").await["workers_helped"], 0, "reopened: nobody helped this year");
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'cases.%'").await, 6, "two created, a stage, a hearing, the closing, the reopening");
    }

    async fn a_member_asks_for_help_from_their_phone(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let mut w = app.anonymous();
        let phone = "13906357101";
        w.post_form(&format!("/j/{code}"), &[("action", "sms"), ("phone", phone)], false).await;
        let sms = app.sms.last_code(phone).unwrap();
        let id = id_with_check("37150219920202711");
        let r = w.post_form(&format!("/j/{code}"), &[("action", "join"), ("request_key", "help-1"), ("name", "赵骑手"), ("id_number", &id),
            ("phone", phone), ("sms_code", &sms), ("group", "delivery_rider"), ("employer", "美团外卖"), ("work_region", "371502001"), ("consent", "1")], false).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let pending = gulou.get("/api/v1/members?status=pending").await.json();
        gulou.post_json("/api/v1/members/decisions", json!({"ids": [pending["items"][0]["id"]], "decision": "approve"})).await;
        let me = w.get("/me").await.text();
        assert!(me.contains("id=\"help\"") && me.contains("action=\"/me/help\""), "{me}");
        let csrf = me.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        // Missing what happened, a bad amount: named, nothing kept.
        let r = w.post_form("/me/help", &[("_csrf", csrf.as_str()), ("kind", "platform_penalty"), ("claimed", "-5")], false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-help-summary\"") && r.text().contains("id=\"e-help-claimed\""), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 0);
        // Without the member's token nothing happens either.
        let r = w.post_form("/me/help", &[("_csrf", "forged"), ("kind", "platform_penalty"), ("summary", "x")], false).await;
        assert_ne!(r.status, 303);
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 0);
        let r = w.post_form("/me/help", &[("_csrf", csrf.as_str()), ("kind", "platform_penalty"), ("employer", "某外卖平台"),
            ("claimed", "350"), ("summary", "超时被扣 350 元，申诉无回应")], false).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert!(app.sms.last_message(phone).unwrap().contains("求助已受理"));
        // The union's queue has it, with the member's own name and number; /me shows its status.
        let queue = gulou.get("/api/v1/cases").await.json();
        assert_eq!(queue["total"], 1, "{queue}");
        let c = &queue["items"][0];
        assert_eq!((c["name"].as_str(), c["source"].as_str(), c["kind"].as_str(), c["claimed_fen"].as_i64()), (Some("赵骑手"), Some("member"), Some("platform_penalty"), Some(35_000)));
        assert!(c["id_number"].as_str().unwrap().contains("****"));
        let me = w.get("/me").await.text();
        assert!(me.contains("平台扣罚") && me.contains("咨询") && me.contains("350.00"), "{me}");
        // A stage move shows on /me too; a non-member has no /me/help.
        let cid = c["id"].as_str().unwrap();
        gulou.patch_json(&format!("/api/v1/cases/{cid}"), json!({"stage": "legal_aid"})).await;
        assert!(w.get("/me").await.text().contains("法律援助"));
        // By worker group: the rider's case under their group; a case recorded for a non-member
        // under "not known", last.
        let r = gulou.post_json("/api/v1/cases", json!({"org_code": "JU371502001", "kind": "wages", "name": "钱师傅",
            "phone": "13906357102", "claimed": "100"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let r = gulou.get("/api/v1/services/report/groups?org=F371502001&from=2026-01-01&to=2026-12-31").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let groups = r.json();
        assert_eq!(groups.as_array().unwrap().len(), 2, "{groups}");
        assert_eq!((groups[0]["group"].as_str(), groups[0]["cases_opened"].as_i64(), groups[0]["claimed_fen"].as_i64()),
            (Some("delivery_rider"), Some(1), Some(35_000)), "{groups}");
        assert_eq!((groups[1]["group"].as_str(), groups[1]["cases_opened"].as_i64()), (Some(""), Some(1)), "{groups}");
        assert_eq!(app.demo_user("liuyuan").await.get("/api/v1/services/report/groups?org=F371502001").await.status, 404);
        let page = gulou.get("/services/report?org=F371502001&from=2026-01-01&to=2026-12-31").await.text();
        assert!(page.contains("id=\"report-groups\"") && page.contains("外卖配送员") && page.contains("未登记群体"), "{page}");
        let sheet = gulou.get("/services/report.xlsx?org=F371502001&from=2026-01-01&to=2026-12-31").await;
        let rows: Vec<Vec<String>> = sheet.sheet("按群体").rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!((rows[1][0].as_str(), rows[1][1].as_str(), rows[1][2].as_str()), ("外卖配送员", "1", "350.00"), "{rows:?}");
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        assert_eq!(app.anonymous().post_form("/me/help", &[("_csrf", "x"), ("kind", "wages"), ("summary", "x")], false).await.status, 303,
            "a visitor is sent to sign in");
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 2);
    }
}

both_backends! {
    async fn a_case_goes_up_to_the_county_and_the_ledger_round_trips_through_excel(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let r = gulou.post_json("/api/v1/cases", json!({"org_code": "JU371502001", "kind": "dismissal", "name": "周快递",
            "phone": "13906357301", "id_number": id_with_check("37150219880808730"), "claimed": "20000", "opened_on": "2026-11-10"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        // Only to a federation above: not to the sibling township.
        let r = gulou.patch_json(&format!("/api/v1/cases/{id}"), json!({"hand_to": "F371502002"})).await;
        assert_eq!(fields(&r), vec![("hand_to".to_string(), "cases.bad_hand_to".to_string())]);
        let page = gulou.get(&format!("/cases/{id}")).await.text();
        assert!(page.contains("id=\"case-hand-up\"") && page.contains("<option value=\"F371502\">"), "{page}");
        let r = gulou.post_form(&format!("/cases/{id}"), &[("hand_to", "F371502"), ("note", "涉及多家站点")], true).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/cases?status=all")), "{}", r.text());
        // The township no longer sees it; the county does, with the step on the timeline.
        assert_eq!(gulou.get(&format!("/api/v1/cases/{id}")).await.status, 404);
        let mut county = app.demo_user("dongchangfu").await;
        let c = county.get(&format!("/api/v1/cases/{id}")).await.json();
        assert_eq!(c["org_code"], "F371502", "{c}");
        assert!(c["events"].as_array().unwrap().iter().any(|e| e["kind"] == "handed_up"), "{c}");
        assert_eq!(report(&mut gulou, "F371502001", "2026-11-01", "2026-11-30").await["opened"], 0);
        assert_eq!(report(&mut county, "F371502", "2026-11-01", "2026-11-30").await["opened"], 1);
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);

        // The county closes it in its Excel ledger: export, fill in the closing, import again.
        let sheet = county.get("/cases/export.xlsx?status=all").await;
        assert_eq!(sheet.status, 200);
        let rows = sheet.sheet("维权案件");
        let row: Vec<String> = rows.rows().nth(1).unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!((row[0].starts_with("WQ"), row[1].as_str(), row[2].as_str(), row[4].as_str()), (true, "F371502", "解除劳动关系", "周快递"), "{row:?}");
        assert!(row[5].contains("****"), "masked in the export: {row:?}");
        let header: Vec<String> = rows.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        let mut csv = header.join(",") + "\n";
        let mut edited = row.clone();
        edited[10] = "15000".into();
        edited[11] = "2026-11-22".into();
        edited[12] = "部分支持".into();
        csv.push_str(&edited.join(","));
        csv.push('\n');
        let b = "XCASES";
        let body = format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cases.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n");
        let r = county.send(axum::http::Method::POST, "/cases/import", Some((&format!("multipart/form-data; boundary={b}"), body.into_bytes()))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("更新 1 件"), "{}", r.text());
        let c = county.get(&format!("/api/v1/cases/{id}")).await.json();
        assert_eq!((c["status"].as_str(), c["outcome"].as_str(), c["recovered_fen"].as_i64()), (Some("closed"), Some("partly"), Some(1_500_000)), "{c}");
        assert!(c["id_number"].as_str().unwrap().ends_with(&id_with_check("37150219880808730")[14..]), "the number on record kept: {c}");
        let cases = report(&mut county, "F371502", "2026-11-01", "2026-11-30").await;
        assert_eq!((cases["opened"].as_i64(), cases["closed"].as_i64(), cases["recovered_fen"].as_i64(), cases["workers_helped"].as_i64()), (Some(1), Some(1), Some(1_500_000), Some(1)));
        let ytd = report(&mut county, "F371502", "2026-01-01", "2026-12-31").await;
        assert_eq!(ytd["workers_helped"], 1, "closed by the sheet, counted from 1 January too: {ytd}");
        assert_eq!(report(&mut gulou, "F371502001", "2026-01-01", "2026-12-31").await["workers_helped"], 0, "handed up: the county's");
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('cases.export', 'cases.import')").await, 2);
    }

    async fn a_visitor_who_is_not_a_member_asks_for_help_from_a_unions_code(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.join_code("JU371502001").await;
        let mut v = app.anonymous();
        let page = v.get(&format!("/help?code={code}")).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("古楼街道") && page.text().contains("id=\"help-form\""), "{}", page.text());
        assert_eq!(v.get("/help?code=NOPE1234").await.status, 404);
        assert!(v.get("/help").await.text().contains("12351"), "without a code: how to find one");
        let people = app.count("SELECT COUNT(*) FROM people").await;
        // Every problem at once; the code is not spent on a form with mistakes.
        let phone = "13906357401";
        let r = v.post_form("/help", &[("code", code.as_str()), ("action", "sms"), ("phone", phone)], false).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let sms = app.sms.last_code(phone).unwrap();
        let r = v.post_form("/help", &[("code", code.as_str()), ("action", "ask"), ("phone", phone), ("sms_code", sms.as_str()),
            ("name", ""), ("kind", "x"), ("claimed", "1.234")], false).await;
        assert_eq!(r.status, 422);
        for id in ["name-err", "kind-err", "claimed-err", "summary-err"] {
            assert!(r.text().contains(&format!("id=\"{id}\"")), "{id}");
        }
        let ask = |code: &str| vec![("code", code.to_string()), ("action", "ask".into()), ("phone", phone.into()),
            ("name", "吴快递".into()), ("kind", "wages".into()), ("employer", "某快递网点".into()), ("claimed", "2600".into()),
            ("summary", "上月工资被克扣".into())];
        let mut wrong = ask(&code);
        wrong.push(("sms_code", "000000".into()));
        let fields: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = v.post_form("/help", &fields, false).await;
        assert_eq!(r.status, 422);
        assert!(r.text().contains("id=\"code-err\""), "the wrong code named");
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 0);
        let mut right = ask(&code);
        right.push(("sms_code", sms.clone()));
        let fields: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = v.post_form("/help", &fields, false).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("id=\"case-no\"") && r.text().contains(&format!("href=\"/j/{code}\"")), "the number and the offer to join");
        assert!(app.sms.last_message(phone).unwrap().contains("求助已受理"));
        // The union's queue has it; the code is used up (a replay records nothing).
        let queue = gulou.get("/api/v1/cases").await.json();
        assert_eq!(queue["total"], 1, "{queue}");
        assert_eq!((queue["items"][0]["source"].as_str(), queue["items"][0]["name"].as_str()), (Some("public"), Some("吴快递")));
        assert_eq!(v.post_form("/help", &fields, false).await.status, 422);
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, people, "nobody's record made or changed");
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
    }
}

both_backends! {
    async fn a_ledger_of_hundreds_of_new_cases_is_written_whole(app: TestApp) {
        // More rows than one multi-row statement takes, with a bad row in the middle: every good
        // row becomes a case with its 'opened' entry, the bad one is named, counters agree.
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let mut csv = String::from("案件编号,受理工会编码,类型,处理方式,姓名,手机号,受理日期,诉求金额（元）,追回金额（元）,结案日期,结果\n");
        for i in 0..905 {
            if i == 450 {
                csv.push_str("BAD-1,F371502,欠薪,咨询,王五,123,2026-03-01,100,,,\n");
            }
            let closed = if i % 3 == 0 { "50,2026-03-20,调解成功" } else { ",," };
            csv.push_str(&format!("LEDGER-{i:04},F371502,欠薪,调解,王五,139{i:08},2026-03-01,100,{closed}\n"));
        }
        let b = "XLEDGER";
        let body = format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cases.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n");
        let r = county.send(axum::http::Method::POST, "/cases/import", Some((&format!("multipart/form-data; boundary={b}"), body.into_bytes()))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("新增 905 件"), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases WHERE case_no LIKE 'LEDGER-%' AND source = 'import'").await, 905);
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases WHERE case_no = 'BAD-1'").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM case_events e JOIN rights_cases c ON c.id = e.case_id
            WHERE e.kind = 'opened' AND e.on_date = c.opened_on AND c.case_no LIKE 'LEDGER-%'").await, 905);
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases WHERE case_no LIKE 'LEDGER-%' AND status = 'closed'
            AND outcome = 'mediated' AND recovered_fen = 5000").await, 302);
        let cases = report(&mut county, "F371502", "2026-01-01", "2026-12-31").await;
        assert_eq!((cases["opened"].as_i64(), cases["closed"].as_i64(), cases["workers_helped"].as_i64()), (Some(905), Some(302), Some(302)), "{cases}");
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
    }
}
