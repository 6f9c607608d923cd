//! Mutual aid (互助保障): the county defines a plan (every problem named at once), previews and
//! enrols a filtered group of members (one enrolment per person per plan), a member files a claim
//! from `/me` (only for an incident in their coverage, once per incident), the township reviews it
//! through entered → checked → approved → paid within the schedule, the member hears of each
//! step by SMS, and the services report and the recount agree. Scope: the sibling township sees
//! neither the enrolments nor the claims.

use nuanxin_core::coverage;
use nuanxin_testkit::{both_backends, id_with_check};
use serde_json::json;

fn fields(r: &nuanxin_testkit::Resp) -> Vec<(String, String)> {
    r.json()["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A member who joined through the union's code, approved, with a session on `/me`.
async fn member(
    app: &nuanxin_testkit::TestApp,
    cadre: &mut nuanxin_testkit::Client,
    union: &str,
    n: u32,
    group: &str,
) -> (nuanxin_testkit::Client, String) {
    let code = cadre.join_code(union).await;
    let mut w = app.anonymous();
    let phone = format!("1390635{n:04}");
    w.post_form(
        &format!("/j/{code}"),
        &[("action", "sms"), ("phone", &phone)],
        false,
    )
    .await;
    let sms = app.sms.last_code(&phone).unwrap();
    let id = id_with_check(&format!("37150219910301{n:03}"));
    let r = w
        .post_form(
            &format!("/j/{code}"),
            &[
                ("action", "join"),
                ("request_key", &format!("aid-{n}")),
                (
                    "name",
                    &format!("会员{}", ["甲", "乙", "丙", "丁", "戊"][n as usize % 5]),
                ),
                ("id_number", &id),
                ("phone", &phone),
                ("sms_code", &sms),
                ("group", group),
                ("employer", "某配送站"),
                ("work_region", "371502001"),
                ("consent", "1"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let pending = cadre.get("/api/v1/members?status=pending").await.json();
    let ids: Vec<_> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    let r = cadre
        .post_json(
            "/api/v1/members/decisions",
            json!({"ids": ids, "decision": "approve"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    (w, phone)
}

both_backends! {
    async fn a_plan_enrols_a_group_and_a_claim_is_paid(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let mut gulou = app.demo_user("gulou").await;
        let (mut rider, phone) = member(&app, &mut gulou, "JU371502001", 1, "delivery_rider").await;
        member(&app, &mut gulou, "JU371502001", 2, "delivery_rider").await;
        member(&app, &mut gulou, "JU371502001", 3, "courier").await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        member(&app, &mut liuyuan, "JU371502002", 4, "delivery_rider").await;

        // Every problem at once, and nothing written.
        let r = county.post_json("/api/v1/aid/plans", json!({"org_code": "F371502", "name": "", "kind": "lottery",
            "starts_on": "2026-12-31", "ends_on": "2026-01-01", "premium": "-1", "benefits": {"death": "abc"}, "groups": ["astronaut"]})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let got = fields(&r);
        for f in ["name", "kind", "ends_on", "premium", "benefits", "groups"] {
            assert!(got.iter().any(|(field, _)| field == f), "{f} in {got:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_plans").await, 0);
        let r = county.post_json("/api/v1/aid/plans", json!({"org_code": "F371502", "name": "骑手专项意外伤害互助保障", "kind": "意外伤害",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "premium": "30", "payer": "union",
            "benefits": {"death": "100000", "hospital": "5,000"}, "cap": "100000", "groups": ["外卖配送员"]})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let plan = r.json();
        let pid = plan["id"].as_str().unwrap().to_string();
        assert_eq!((plan["premium_fen"].as_i64(), plan["benefits"]["hospital"].as_i64(), plan["groups"][0].as_str()), (Some(3000), Some(500_000), Some("delivery_rider")), "{plan}");
        // The county's plan is the county's to run: the townships below do not list it.
        assert_eq!(county.get("/api/v1/aid/plans").await.json()["total"], 1);
        assert_eq!(gulou.get("/api/v1/aid/plans").await.json()["total"], 0);

        // Preview the riders of 古楼: two (the courier is not in the plan's groups); nothing written.
        let r = county.post_json(&format!("/api/v1/aid/plans/{pid}/enrol"), json!({"org": "F371502001", "dry_run": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json(), json!({"dry_run": true, "matched": 2, "already": 0, "enrolled": 2, "premium_fen": 6000}));
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_enrolments").await, 0);
        // A union outside the plan's reach; the sibling township may not enrol 古楼's members.
        let r = county.post_json(&format!("/api/v1/aid/plans/{pid}/enrol"), json!({"org": "F371525"})).await;
        assert_eq!(fields(&r), vec![("org".to_string(), "cases.unknown_org".to_string())], "outside the county's scope");
        assert_eq!(liuyuan.post_json(&format!("/api/v1/aid/plans/{pid}/enrol"), json!({"org": "F371502001"})).await.status, 404);
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_enrolments").await, 0);
        let r = county.post_json(&format!("/api/v1/aid/plans/{pid}/enrol"), json!({"org": "F371502001"})).await;
        assert_eq!(r.json()["enrolled"], 2, "{}", r.text());
        // Again, and county-wide: the two are not enrolled twice; 柳园's rider joins.
        let r = county.post_json(&format!("/api/v1/aid/plans/{pid}/enrol"), json!({})).await;
        assert_eq!(r.json(), json!({"dry_run": false, "matched": 3, "already": 2, "enrolled": 1, "premium_fen": 3000}));
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_enrolments").await, 3);
        assert_eq!(county.get(&format!("/api/v1/aid/plans/{pid}/enrolments")).await.json()["total"], 3);
        assert_eq!(liuyuan.get(&format!("/api/v1/aid/plans/{pid}/enrolments")).await.status, 404);
        let sheet = county.get(&format!("/aid/plans/{pid}/enrolments.xlsx")).await;
        assert_eq!(sheet.status, 200);
        let rows: Vec<Vec<String>> = sheet.sheet("参保人员清单").rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert!(rows[1][3].contains("****") && rows[1][2] == "居民身份证", "masked ID numbers: {rows:?}");

        // The rider's /me shows the plan and the e-card badge; a claim out of coverage or of an
        // event the plan does not pay is refused, nothing kept.
        let me = rider.get("/me").await.text();
        assert!(me.contains("id=\"aid-badge\"") && me.contains("骑手专项意外伤害互助保障") && me.contains("action=\"/me/claim\""), "{me}");
        let csrf = me.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let r = rider.post_form("/me/claim", &[("_csrf", csrf.as_str()), ("plan_id", pid.as_str()), ("event", "outpatient"),
            ("incident_on", "2025-06-01"), ("claimed", "0")], false).await;
        assert_eq!(r.status, 422, "{}", r.text());
        for id in ["e-claim-event", "e-claim-on", "e-claim-amount"] {
            assert!(r.text().contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_claims").await, 0);
        let claim = [("_csrf", csrf.as_str()), ("plan_id", pid.as_str()), ("event", "hospital"), ("incident_on", "2026-11-23"),
            ("claimed", "6000"), ("summary", "送餐途中摔伤住院")];
        let r = rider.post_form("/me/claim", &claim, false).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert!(app.sms.last_message(&phone).unwrap().contains("理赔申请已登记"));
        let r = rider.post_form("/me/claim", &claim, false).await;
        assert_eq!(r.status, 422, "one claim per incident");
        assert!(r.text().contains("这次事故已经申请过理赔"), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_claims").await, 1);

        // The township's queue; the sibling sees nothing.
        let queue = gulou.get("/api/v1/aid/claims").await.json();
        assert_eq!(queue["total"], 1, "{queue}");
        let cid = queue["items"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(liuyuan.get(&format!("/api/v1/aid/claims/{cid}")).await.status, 404);
        assert_eq!(liuyuan.post_json(&format!("/api/v1/aid/claims/{cid}/decision"), json!({"decision": "check"})).await.status, 404);
        // Steps in order only; the schedule bounds the amount; the member hears of each.
        let decide = |d: serde_json::Value| (format!("/api/v1/aid/claims/{cid}/decision"), d);
        let (path, body) = decide(json!({"decision": "approve"}));
        assert_eq!(gulou.post_json(&path, body).await.status, 409, "not checked yet");
        let (path, body) = decide(json!({"decision": "check"}));
        assert_eq!(gulou.post_json(&path, body).await.status, 200);
        assert!(app.sms.last_message(&phone).unwrap().contains("已通过初审"));
        let (path, body) = decide(json!({"decision": "approve", "amount": "5000.01"}));
        assert_eq!(fields(&gulou.post_json(&path, body).await), vec![("amount".to_string(), "aid.over_schedule".to_string())]);
        let (path, body) = decide(json!({"decision": "approve"}));
        let r = gulou.post_json(&path, body).await;
        assert_eq!((r.json()["status"].as_str(), r.json()["approved_fen"].as_i64()), (Some("approved"), Some(500_000)), "the schedule's sum: {}", r.text());
        let r = gulou.post_form(&format!("/aid/claims/{cid}"), &[("decision", "pay")], true).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert!(app.sms.last_message(&phone).unwrap().contains("已赔付 5,000.00 元"));
        let c = gulou.get(&format!("/api/v1/aid/claims/{cid}")).await.json();
        assert_eq!((c["status"].as_str(), c["paid_fen"].as_i64()), (Some("paid"), Some(500_000)), "{c}");
        let steps: Vec<&str> = c["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
        assert_eq!(steps, ["entered", "checked", "approved", "paid"]);
        assert!(rider.get("/me").await.text().contains("已赔付"));

        // The report: enrolments by the day coverage started (today), the claim's money.
        let r = county.get("/api/v1/services/report?org=F371502&from=2026-01-01&to=2026-12-31").await.json();
        assert_eq!(r["aid"], json!({"plans": 1, "enrolled": 3, "premium_fen": 9000, "claims": 1, "approved_fen": 500_000, "paid_fen": 500_000}), "{r}");
        let sibling = liuyuan.get("/api/v1/services/report?org=F371502002&from=2026-01-01&to=2026-12-31").await.json();
        assert_eq!((sibling["aid"]["enrolled"].as_i64(), sibling["aid"]["claims"].as_i64()), (Some(1), Some(0)));
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'aid.%'").await, 8,
            "the plan, two enrolments, the export, the claim, three steps");
    }
}
