//! Hardship files (困难职工档案): a cadre opens a file for a member of their area (every problem
//! named at once, one open file per person), records assistance, reviews it yearly (files due
//! are listed first) and closes it with a reason; the services report's `hardship` member
//! counts them. Files are sensitive: viewers and sibling unions see nothing, every view is
//! audited, and the ID number is only ever shown masked.

use super::care::members_of;
use nuanxin_testkit::both_backends;
use serde_json::json;

both_backends! {
    async fn a_cadre_keeps_a_file_and_every_view_is_audited(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 31, 2).await;
        // Every problem at once; nothing written.
        let r = gulou.post_json("/api/v1/hardship", json!({"member_no": "NOBODY", "level": "poor", "causes": [],
            "household_size": "0", "household_income": "-5", "opened_on": "2030-01-01"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["member_no", "level", "causes", "household_size", "household_income", "opened_on"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM hardship_files").await, 0);

        let r = gulou.post_json("/api/v1/hardship", json!({"member_no": nos[0], "level": "深度困难",
            "causes": "因病、unemployment", "household_size": "4", "household_income": "24,000",
            "opened_on": "2026-03-01"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let f = r.json();
        let id = f["id"].as_str().unwrap().to_string();
        assert_eq!((f["level"].as_str(), f["causes"].as_str()), (Some("deep"), Some("illness,unemployment")));
        assert_eq!((f["household_income_fen"].as_i64(), f["review_on"].as_str()), (Some(2_400_000), Some("2027-03-01")));
        let mask = f["id_mask"].as_str().unwrap();
        assert!(mask.contains('*'), "{mask}");
        // A second open file for the same member is refused.
        let r = gulou.post_json("/api/v1/hardship", json!({"member_no": nos[0], "level": "relative", "causes": ["other"],
            "household_size": "1", "household_income": "0"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("member_no")), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM hardship_files").await, 1);

        // Every view of the file or the list leaves an audit entry.
        let views = "SELECT COUNT(*) FROM audit_log WHERE action = 'hardship.view'";
        let before = app.count(views).await;
        let r = gulou.get(&format!("/api/v1/hardship/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["assistance"].as_array().map(Vec::len), Some(0));
        assert_eq!(app.count(views).await, before + 1);
        let page = gulou.get(&format!("/hardship/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains(mask), "the page shows the masked number");
        assert_eq!(app.count(views).await, before + 2);
        let lists = "SELECT COUNT(*) FROM audit_log WHERE action = 'hardship.list'";
        let r = gulou.get("/api/v1/hardship").await;
        assert_eq!(r.json()["total"], 1, "{}", r.text());
        assert_eq!(app.count(lists).await, 1);

        // Viewers, a sibling township: nothing, and no way to write.
        let mut guancha = app.demo_user("guancha").await;
        assert_eq!(guancha.get("/api/v1/hardship").await.status, 403);
        assert_eq!(guancha.get(&format!("/api/v1/hardship/{id}")).await.status, 404);
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/api/v1/hardship/{id}")).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/hardship").await.json()["total"], 0);
        let r = liuyuan.post_json(&format!("/api/v1/hardship/{id}/assistance"), json!({"kind": "money", "amount": "100"})).await;
        assert_eq!(r.status, 404);
        let r = liuyuan.post_json("/api/v1/hardship", json!({"member_no": nos[1], "level": "relative", "causes": ["other"],
            "household_size": "1", "household_income": "0"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("member_no")), "another township's member is not found");

        // Assistance: money needs an amount, goods a description.
        let url = format!("/api/v1/hardship/{id}/assistance");
        assert_eq!(gulou.post_json(&url, json!({"kind": "money", "amount": ""})).await.json()["field"], "amount");
        assert_eq!(gulou.post_json(&url, json!({"kind": "goods", "amount": "200"})).await.json()["field"], "description");
        let r = gulou.post_json(&url, json!({"kind": "资金救助", "amount": "500", "given_on": "2026-06-01"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let r = gulou.post_json(&url, json!({"kind": "goods", "amount": "300.50", "description": "米面油", "given_on": "2026-10-01"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let r = gulou.get(&format!("/api/v1/hardship/{id}")).await.json();
        assert_eq!((r["assisted_fen"].as_i64(), r["assistance_count"].as_i64()), (Some(80_050), Some(2)));
        assert_eq!(r["assistance"][0]["description"], "米面油");

        // The report: one open file, opened and assisted this year.
        let report = |c: serde_json::Value| c["hardship"].clone();
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2026-01-01&to=2026-11-23").await;
        assert_eq!(report(r.json()), json!({"open_files": 1, "new_files": 1, "assisted": 1, "assistance_fen": 80_050}));
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2026-07-01&to=2026-11-23").await;
        assert_eq!(report(r.json()), json!({"open_files": 1, "new_files": 0, "assisted": 1, "assistance_fen": 30_050}));
        let r = liuyuan.get("/api/v1/services/report?org=F371502002&from=2026-01-01&to=2026-11-23").await;
        assert_eq!(report(r.json())["open_files"], 0);

        // A second member's file due for review within 30 days is on the reminder list.
        let r = gulou.post_json("/api/v1/hardship", json!({"member_no": nos[1], "level": "accident", "causes": ["accident"],
            "household_size": "2", "household_income": "12000", "opened_on": "2026-01-10", "review_on": "2026-12-10"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let second = r.json()["id"].as_str().unwrap().to_string();
        let due = gulou.get("/api/v1/hardship?due=1").await.json();
        assert_eq!(due["total"], 1, "{due}");
        assert_eq!(due["items"][0]["id"], second.as_str());
        assert!(gulou.get("/hardship").await.text().contains("hardship-due"));
        // The review moves it a year on and off the list; a past date is refused.
        let r = gulou.post_json(&format!("/api/v1/hardship/{second}/review"), json!({"next_review_on": "2026-01-01"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("next_review_on")));
        let r = gulou.post_json(&format!("/api/v1/hardship/{second}/review"), json!({"level": "relative", "household_income": "30000"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!((r.json()["review_on"].as_str(), r.json()["reviewed_on"].as_str()), (Some("2027-11-23"), Some("2026-11-23")));
        assert_eq!((r.json()["level"].as_str(), r.json()["household_income_fen"].as_i64()), (Some("relative"), Some(3_000_000)));
        assert_eq!(gulou.get("/api/v1/hardship?due=1").await.json()["total"], 0);

        // Closing needs a reason; a closed file takes no more assistance.
        let close = format!("/api/v1/hardship/{id}/close");
        assert_eq!(gulou.post_json(&close, json!({"reason": " "})).await.json()["field"], "reason");
        let r = gulou.post_json(&close, json!({"reason": "已稳定就业"})).await;
        assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("closed")), "{}", r.text());
        let r = gulou.post_json(&url, json!({"kind": "money", "amount": "1"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("status")));
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2026-01-01&to=2026-11-23").await;
        assert_eq!(report(r.json())["open_files"], 1, "the second file stays open");
        assert_eq!(gulou.get("/api/v1/hardship?status=closed").await.json()["total"], 1);
        // The export: masked numbers only, audited.
        let sheet = gulou.get("/hardship/export.xlsx?status=all").await;
        assert_eq!(sheet.status, 200);
        let rows = sheet.sheet("困难职工档案");
        let all: Vec<Vec<String>> = rows.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[1..].iter().all(|r| r[2].contains('*')), "{all:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'hardship.export'").await, 1);
        assert_eq!(guancha.get("/hardship/export.xlsx").await.status, 403);
        // Every change audited; no whole ID number anywhere in the log.
        for (action, n) in [("hardship.open", 2), ("hardship.assist", 2), ("hardship.review", 1), ("hardship.close", 1)] {
            assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await, n, "{action}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'hardship.%' AND detail LIKE '%19900101%'").await, 0);
    }
}
