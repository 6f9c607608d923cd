//! Labour-law checks (法治体检): a township records a check of a census enterprise item by item
//! (every problem named at once, nothing written), follows it up to rectification, the services
//! report counts checks, enterprises, findings and rectified, and the recount agrees. Scope: the
//! sibling township neither sees nor changes it, a viewer cannot follow it up, an enterprise
//! outside the caller's scope cannot be checked. The ledger round-trips through a sheet.

use nuanxin_core::census::Uscc;
use nuanxin_core::coverage;
use nuanxin_testkit::both_backends;
use serde_json::json;

/// The demo census's enterprise `i` (townships 371502001…005 in turn: 0 is 古楼's, 1 柳园's).
fn uscc(i: u32) -> String {
    Uscc::with_check(&format!("91371502MA{:07}", 3_100_000 + i))
        .unwrap()
        .to_string()
}

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

async fn figures(cadre: &mut nuanxin_testkit::Client, org: &str) -> serde_json::Value {
    let r = cadre
        .get(&format!(
            "/api/v1/services/report?org={org}&from=2026-11-01&to=2026-11-30"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["labour_checks"].clone()
}

both_backends! {
    async fn a_township_checks_an_enterprise_and_follows_it_up_to_rectification(app: TestApp) {
        app.load_demo().await;
        nuanxin_core::demo::load_census(&app.store, &app.clock).await.unwrap();
        let mut gulou = app.demo_user("gulou").await;
        // Every problem at once, and nothing written.
        let r = gulou.post_json("/api/v1/labour-checks", json!({"uscc": uscc(1), "org_code": "F371502001",
            "checked_on": "2099-01-01", "items": {"wages": "found", "lunch": "ok"}, "findings": "0", "rectified": "x"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let got = fields(&r);
        for (f, code) in [("uscc", "checks.unknown_enterprise"), ("checked_on", "errors.bad_date"), ("items", "checks.bad_item"),
            ("rectified", "checks.bad_count"), ("findings", "checks.fewer_than_items")] {
            assert!(got.contains(&(f.to_string(), code.to_string())), "{f} {code} in {got:?}");
        }
        let r = gulou.post_json("/api/v1/labour-checks", json!({"uscc": uscc(0), "org_code": "F371502001",
            "checked_on": "2026-11-03", "findings": "2", "rectified": "3"})).await;
        assert_eq!(fields(&r), vec![("rectified".to_string(), "checks.rectified_too_high".to_string())]);
        let r = gulou.post_json("/api/v1/labour-checks", json!({"uscc": uscc(0), "org_code": "F371502001",
            "checked_on": "2026-11-03", "items": {"wages": "found"}})).await;
        assert_eq!(fields(&r), vec![("rectify_by".to_string(), "checks.deadline_required".to_string())]);
        assert_eq!(app.count("SELECT COUNT(*) FROM labour_checks").await, 0);

        // The items give the counts: two problems, one rectified on the spot.
        let r = gulou.post_json("/api/v1/labour-checks", json!({"uscc": uscc(0), "org_code": "F371502001", "checked_on": "2026-11-03",
            "items": {"contracts": "rectified", "wages": "found", "safety": "ok"}, "rectify_by": "2026-11-20", "follow_up": "补签合同"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let check = r.json();
        let id = check["id"].as_str().unwrap().to_string();
        assert_eq!((check["findings"].as_i64(), check["rectified"].as_i64()), (Some(2), Some(1)), "{check}");
        assert_eq!(check["items"], json!({"contracts": "rectified", "wages": "found", "safety": "ok"}));
        assert_eq!(figures(&mut gulou, "F371502001").await, json!({"checks": 1, "enterprises": 1, "findings": 2, "rectified": 1}));

        // Scope: the sibling township sees nothing and changes nothing; a viewer only reads.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/api/v1/labour-checks/{id}")).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/labour-checks").await.json()["total"], 0);
        assert_eq!(liuyuan.patch_json(&format!("/api/v1/labour-checks/{id}"), json!({"rectified": "2"})).await.status, 404);
        assert!(!liuyuan.get(&format!("/census/{}", uscc(1))).await.text().contains(&id), "not on the sibling's enterprise pages");
        gulou.post_json("/api/v1/accounts", json!({"username": "gl-view2", "password": "pass-word-1", "org_code": "F371502001", "role": "viewer"})).await;
        let mut viewer = app.login("gl-view2", "pass-word-1").await;
        assert_eq!(viewer.get(&format!("/api/v1/labour-checks/{id}")).await.status, 200);
        assert_eq!(viewer.patch_json(&format!("/api/v1/labour-checks/{id}"), json!({"rectified": "2"})).await.status, 403);
        assert_eq!(viewer.post_json("/api/v1/labour-checks", json!({"uscc": uscc(0), "org_code": "F371502001",
            "findings": "0", "rectified": "0"})).await.status, 403);

        // The enterprise's page lists it; past its deadline (today is 11-23) it is overdue.
        let page = gulou.get(&format!("/census/{}", uscc(0))).await.text();
        assert!(page.contains("id=\"labour-checks\"") && page.contains(&format!("/labour-checks/{id}")), "{page}");
        let list = gulou.get("/labour-checks?status=pending").await.text();
        assert!(list.contains(&format!("/labour-checks/{id}")) && list.contains("逾期未整改"), "overdue: the deadline 11-20 has passed");

        // Follow-up from the check's page: the wages paid, every problem rectified.
        let r = gulou.post_form(&format!("/labour-checks/{id}"), &[("item_contracts", "rectified"), ("item_wages", "rectified"),
            ("item_safety", "ok"), ("follow_up", "工资已补发")], true).await;
        assert_eq!((r.status.as_u16(), r.location().map(str::to_string)), (303, Some(format!("/labour-checks/{id}?done=saved"))), "{}", r.text());
        let after = gulou.get(&format!("/api/v1/labour-checks/{id}")).await.json();
        assert_eq!((after["findings"].as_i64(), after["rectified"].as_i64(), after["follow_up"].as_str()), (Some(2), Some(2), Some("工资已补发")), "{after}");
        assert!(!gulou.get("/labour-checks?status=pending").await.text().contains(&format!("/labour-checks/{id}")), "rectified: off the pending list");

        // A second check of the same enterprise: two checks, one enterprise; the county sees both.
        let r = gulou.post_json("/api/v1/labour-checks", json!({"uscc": uscc(0), "org_code": "F371502001", "checked_on": "2026-11-21",
            "findings": "1", "rectified": "0", "rectify_by": "2026-12-01"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let mut county = app.demo_user("dongchangfu").await;
        assert_eq!(figures(&mut county, "F371502").await, json!({"checks": 2, "enterprises": 1, "findings": 3, "rectified": 2}));
        assert_eq!(figures(&mut liuyuan, "F371502002").await, json!({"checks": 0, "enterprises": 0, "findings": 0, "rectified": 0}));
        assert_eq!(county.get("/api/v1/labour-checks?q=速达").await.json()["total"], 2);
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'checks.%'").await, 3, "two recorded, one followed up");
        // The figures page and its sheet: the county, then each unit below it.
        let page = county.get("/services/report?org=F371502&from=2026-11-01&to=2026-11-30").await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("id=\"report-checks\"") && page.text().contains("古楼街道"), "{}", page.text());
        let sheet = county.get("/services/report.xlsx?org=F371502&from=2026-11-01&to=2026-11-30").await;
        assert_eq!(sheet.status, 200);
        let rows: Vec<Vec<String>> = sheet.sheet("服务统计").rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!((rows[1][0].as_str(), rows[1][7].as_str(), rows[1][9].as_str()), ("F371502", "2", "3"), "{rows:?}");
        let gulou_row = rows.iter().find(|r| r[0] == "F371502001").unwrap();
        assert_eq!((gulou_row[7].as_str(), gulou_row[10].as_str()), ("2", "2"), "{gulou_row:?}");
        assert_eq!(liuyuan.get("/services/report?org=F371502").await.status, 404, "not the sibling's to read");
    }

    async fn the_checks_ledger_round_trips_through_a_sheet(app: TestApp) {
        app.load_demo().await;
        nuanxin_core::demo::load_census(&app.store, &app.clock).await.unwrap();
        let mut county = app.demo_user("dongchangfu").await;
        let csv = format!("统一社会信用代码,体检日期,实施工会编码,发现问题数,已整改数,整改期限\n\
            {},2026-11-05,F371502,4,1,2026-12-05\n\
            {},2026-11-06,F371502001,2.0,2,\n\
            91371502MA0000000X,2026-11-06,F371502,1,0,\n\
            {},2026-11-07,F3715,1,0,\n\
            {},2026-11-05,F371502,9,9,\n", uscc(2), uscc(0), uscc(3), uscc(2));
        let b = "XCHECKS";
        let upload = |csv: &str| {
            let body = format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"checks.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n");
            (format!("multipart/form-data; boundary={b}"), body.into_bytes())
        };
        let (ct, body) = upload(&csv);
        let r = county.send(axum::http::Method::POST, "/labour-checks/import", Some((&ct, body))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.text();
        // A bad USCC, a union outside the county's scope, the same check twice in the file.
        assert!(page.contains("新增 2 次"), "{page}");
        for (row, why) in [(4, "统一社会信用代码"), (5, "没有这个工会"), (6, "在文件中重复")] {
            let at = page.find(&format!("<td class=\"num\">{row}</td>")).unwrap_or_else(|| panic!("row {row} rejected: {page}"));
            assert!(page[at..].split("</tr>").next().unwrap().contains(why), "row {row}: {why}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM labour_checks").await, 2);
        assert_eq!(figures(&mut county, "F371502").await, json!({"checks": 2, "enterprises": 2, "findings": 6, "rectified": 3}));

        // Export, raise the rectified count, import again: updated, not duplicated.
        let sheet = county.get("/labour-checks/export.xlsx").await;
        assert_eq!(sheet.status, 200);
        let rows = sheet.sheet("法治体检");
        let mut lines: Vec<Vec<String>> = rows.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let row = lines.iter_mut().find(|r| r[0] == uscc(2)).unwrap();
        assert_eq!((row[3].as_str(), row[4].as_str()), ("4", "1"), "{row:?}");
        row[4] = "4".into();
        let csv: String = lines.iter().map(|r| r.join(",") + "\n").collect();
        let (ct, body) = upload(&csv);
        let r = county.send(axum::http::Method::POST, "/labour-checks/import", Some((&ct, body))).await;
        assert!(r.text().contains("更新 2 次"), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM labour_checks").await, 2);
        assert_eq!(figures(&mut county, "F371502").await, json!({"checks": 2, "enterprises": 2, "findings": 6, "rectified": 6}));
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        // The township sees its own check, and the county's check of its enterprise.
        let mut gulou = app.demo_user("gulou").await;
        assert_eq!(gulou.get("/api/v1/labour-checks").await.json()["total"], 1);
    }
}
