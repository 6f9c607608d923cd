//! The org network through HTTP: create, read, edit, move, dissolve, import, export.

use nuanxin_core::sheets::import::SheetImport;
use nuanxin_testkit::both_backends;
use serde_json::json;

fn unit(code: &str, name: &str, kind: &str, parent: &str, region: &str) -> serde_json::Value {
    json!({"code": code, "name": name, "type": kind, "parent_code": parent, "region_code": region})
}

both_backends! {
    async fn create_read_update_and_list_children(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("dongchangfu").await;
        let r = c.post_json("/api/v1/orgs", unit("JU-TEST-1", "古楼街道快递员联合工会", "联合工会", "F371502001", "371502001000")).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let body = r.json();
        assert_eq!((body["code"].as_str(), body["type"].as_str(), body["parent_code"].as_str(), body["region_code"].as_str()),
            (Some("JU-TEST-1"), Some("joint_union"), Some("F371502001"), Some("371502001")));

        let r = c.patch_json("/api/v1/orgs/JU-TEST-1", json!({"name": "古楼街道快递行业联合工会", "contact_phone": "138 0635 1234"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["contact_phone"], "13806351234");
        assert_eq!(c.get("/api/v1/orgs/JU-TEST-1").await.json()["name"], "古楼街道快递行业联合工会");

        let children = c.get("/api/v1/orgs/F371502001/children?per_page=200").await.json();
        let codes: Vec<&str> = children["items"].as_array().unwrap().iter().map(|o| o["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"JU-TEST-1"), "{codes:?}");
        assert_eq!(children["total"].as_i64().unwrap() as usize, codes.len());
        let direct = app.count("SELECT COUNT(*) FROM org_units o JOIN org_units p ON p.id = o.parent_id WHERE p.code = 'F371502001'").await;
        assert_eq!(children["total"].as_i64().unwrap(), direct);

        // Roll-up by region code prefix, in either code form.
        let in_township = c.get("/api/v1/orgs?region=371502001000&per_page=200").await.json();
        let direct = app.count("SELECT COUNT(*) FROM org_units WHERE status = 'active' AND region_code LIKE '371502001%' AND path LIKE '/F3715/F371502/%'").await;
        assert_eq!(in_township["total"].as_i64().unwrap(), direct);
        assert!(direct >= 4);
        let e = c.get("/api/v1/orgs?region=37x").await;
        assert_eq!((e.status.as_u16(), e.json()["field"].as_str()), (422, Some("region_code")));

        let history = c.get("/api/v1/orgs/JU-TEST-1/history").await.json();
        let events: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["updated", "created"]);
    }

    async fn invalid_input_names_the_field_and_writes_nothing(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("liaocheng").await;
        let before = app.count("SELECT COUNT(*) FROM org_units").await;
        let audit_before = app.count("SELECT COUNT(*) FROM audit_log").await;
        let cases = [
            (unit("bad/code", "x", "joint_union", "F3715", "3715"), 422, "code", "orgs.bad_code"),
            (unit("OK1", "x", "club", "F3715", "3715"), 422, "type", "orgs.bad_type"),
            (unit("OK1", "x", "joint_union", "F3715", "37150"), 422, "region_code", "regions.bad_code"),
            (unit("OK1", "x", "joint_union", "F3715", "371599"), 422, "region_code", "regions.unknown"),
            (unit("OK1", "x", "joint_union", "F3715", "3716"), 422, "region_code", "orgs.region_outside_parent"),
            (unit("OK1", "x", "joint_union", "NOPE", "3715"), 422, "parent_code", "orgs.unknown_parent"),
            (unit("F371502", "x", "joint_union", "F3715", "3715"), 409, "code", "orgs.code_taken"),
            (unit("OK1", "x", "federation", "F371502001", "371502"), 422, "region_code", "orgs.region_outside_parent"),
        ];
        for (body, status, field, code) in cases {
            let r = c.post_json("/api/v1/orgs", body.clone()).await;
            assert_eq!(r.status, status, "{body} -> {}", r.text());
            let e = r.json();
            assert_eq!((e["field"].as_str(), e["code"].as_str()), (Some(field), Some(code)), "{body}");
            assert!(!e["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units").await, before);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit_before);
        insta::assert_snapshot!(c.post_json("/api/v1/orgs", unit("OK1", "x", "joint_union", "F3715", "3716")).await.text(),
            @r#"{"code":"orgs.region_outside_parent","message":"The region must lie within the parent's region.","field":"region_code","errors":[{"field":"region_code","code":"orgs.region_outside_parent","message":"The region must lie within the parent's region."}]}"#);
    }

    async fn every_problem_of_a_body_is_answered_at_once(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("liaocheng").await;
        let before = app.count("SELECT COUNT(*) FROM org_units").await;
        let r = c.post_json("/api/v1/orgs", unit("bad/code", "x", "club", "F3715", "37150")).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let e = r.json();
        let problems: Vec<(&str, &str)> = e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["field"].as_str().unwrap(), p["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            problems,
            [("code", "orgs.bad_code"), ("type", "orgs.bad_type"), ("region_code", "regions.bad_code")]
        );
        assert!(e["errors"].as_array().unwrap().iter().all(|p| !p["message"].as_str().unwrap().is_empty()));
        // The first problem is also the body's own code and field, as clients read it before.
        assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("orgs.bad_code"), Some("code")));
        // The page shows every problem on its field, in the same answer.
        let r = c
            .post_form(
                "/orgs/new",
                &[("code", "bad/code"), ("name", "x"), ("type", "club"), ("parent_code", "F3715"), ("region_code", "37150")],
                true,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text());
        let html = r.text();
        for key in ["orgs.bad_code", "orgs.bad_type", "regions.bad_code"] {
            let message = nuanxin_web::Catalogue::of(nuanxin_web::Lang::ZhCn).get(key);
            assert!(html.contains(message), "{key}: {message}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units").await, before);
    }

    async fn moving_a_subtree_rewrites_every_path_and_keeps_history(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("dongchangfu").await;
        // The township joint union with its village children... here: a township federation's subtree.
        let before = app.count("SELECT COUNT(*) FROM org_units WHERE path LIKE '/F3715/F371502/F371502001/%'").await;
        assert!(before >= 3);
        let r = c.post_json("/api/v1/orgs/JU371502001/move", json!({"parent_code": "HP371502"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["path"], "/F3715/F371502/HP371502/JU371502001/");
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units WHERE path LIKE '/F3715/F371502/F371502001/%'").await, before - 1);
        // Moving a federation with its whole subtree under another county is refused by region…
        let r = c.post_json("/api/v1/orgs/F371502001/move", json!({"parent_code": "F371503"})).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("orgs.unknown_parent")), "outside the county admin's scope, told apart from nothing");
        // …and a unit cannot move under its own subtree.
        let r = c.post_json("/api/v1/orgs/F371502001/move", json!({"parent_code": "JU371502001001"})).await;
        assert_eq!(r.json()["code"], "orgs.move_into_own_subtree");
        // The city admin moves a whole township federation (with its villages) to another county's pool.
        let mut city = app.demo_user("liaocheng").await;
        let subtree = app.count("SELECT COUNT(*) FROM org_units WHERE path LIKE '/F3715/F371502/F371502002/%'").await;
        let r = city.post_json("/api/v1/orgs/JU371502002004/move", json!({"parent_code": "F3715"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units WHERE path LIKE '/F3715/F371502/F371502002/%'").await, subtree - 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units WHERE path = '/F3715/JU371502002004/' AND depth = 1").await, 1);
        let history = city.get("/api/v1/orgs/JU371502002004/history").await.json();
        assert_eq!(history[0]["event"], "moved");
        assert_eq!(history[0]["from_parent_code"], "F371502002");
        assert_eq!(history[0]["to_parent_code"], "F3715");
        // Paths of every unit stay consistent with their parents.
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units o JOIN org_units p ON p.id = o.parent_id WHERE o.path <> p.path || o.code || '/' OR o.depth <> p.depth + 1").await, 0);
    }

    async fn dissolving_needs_no_active_children_and_keeps_the_unit(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        let r = c.post_json("/api/v1/orgs/F371502001/dissolve", json!({})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.json()["code"], "orgs.has_active_children");
        let r = c.post_json("/api/v1/orgs/JU371502001001/dissolve", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["status"], "dissolved");
        assert_eq!(r.json()["dissolved_on"], "2026-11-23");
        assert_eq!(c.post_json("/api/v1/orgs/JU371502001001/dissolve", json!({})).await.json()["code"], "orgs.already_dissolved");
        assert_eq!(c.patch_json("/api/v1/orgs/JU371502001001", json!({"name": "x"})).await.json()["code"], "orgs.dissolved_readonly");
        // Still listed with status=all, not among the active ones.
        let active = c.get("/api/v1/orgs?q=JU371502001001").await.json();
        assert_eq!(active["total"], 0);
        let all = c.get("/api/v1/orgs?q=JU371502001001&status=all").await.json();
        assert_eq!(all["total"], 1);
        // A staff member cannot dissolve.
        let mut staff = app.demo_user("baopian").await;
        assert_eq!(staff.post_json("/api/v1/orgs/JU371502003001/dissolve", json!({})).await.status, 403);
    }

    async fn the_six_column_sheet_imports_an_industry_federation_without_an_industry(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("dongchangfu").await;
        // SPEC section 5: six columns, no 行业. A 新就业形态工会联合会 spans industries.
        let csv = "工会编码,工会名称,上级工会编码,组织类型,区划代码,成立日期\n\
            IF371502NEF,东昌府区新就业形态工会联合会,F371502,行业工会联合会,371502000000,2024-05-01\n\
            IF371502EXP,东昌府区快递行业工会联合会,F371502,industry_federation,371502,\n";
        let r = c.post_bytes("/api/v1/orgs/import", csv.as_bytes().to_vec()).await;
        assert_eq!((r.status.as_u16(), r.json()["imported"].as_i64()), (200, Some(2)), "{}", r.text());
        assert_eq!(r.json()["rejected"], json!([]));
        let unit = c.get("/api/v1/orgs/IF371502NEF").await.json();
        assert_eq!((unit["type"].as_str(), unit["industry"].clone()), (Some("industry_federation"), json!(null)), "{unit}");
    }

    async fn import_reports_bad_rows_by_row_and_column_and_writes_the_rest(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("dongchangfu").await;
        let csv = "工会编码,工会名称,上级工会编码,组织类型,区划代码,成立日期\n\
            IMP-CHILD,新区街道某村联合工会,IMP-PARENT,联合工会,371502003001,2024/9/6\n\
            IMP-PARENT,东昌府区快递行业联合工会,F371502,联合工会,371502000000,2024年9月6日\n\
            IMP-BAD1,坏区划,F371502,联合工会,37150x,\n\
            IMP-BAD2,,F371502,联合工会,371502,\n\
            IMP-BAD3,越界,F371502,联合工会,371503,\n\
            IMP-ORPHAN,坏上级之下,IMP-BAD1,联合工会,371502,\n\
            IMP-PARENT,重复,F371502,联合工会,371502,\n\
            IMP-FUT,未来,F371502,联合工会,371502,2099-01-01\n\
            IMP-OUT,范围外,F371503,联合工会,371503,\n";
        let before = app.count("SELECT COUNT(*) FROM org_units").await;
        let dry = c.post_bytes("/api/v1/orgs/import?dry_run=true", csv.as_bytes().to_vec()).await;
        assert_eq!(dry.status, 200, "{}", dry.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units").await, before, "a dry run writes nothing");
        let real = c.post_bytes("/api/v1/orgs/import", csv.as_bytes().to_vec()).await.json();
        let mut d = dry.json();
        d["dry_run"] = json!(false);
        assert_eq!(d, real, "the dry run predicts the real run");
        insta::assert_json_snapshot!(real, @r#"
        {
          "dry_run": false,
          "imported": 2,
          "rejected": [
            {
              "code": "regions.bad_code",
              "column": "区划代码",
              "row": 4
            },
            {
              "code": "orgs.name_required",
              "column": "工会名称",
              "row": 5
            },
            {
              "code": "orgs.region_outside_parent",
              "column": "区划代码",
              "row": 6
            },
            {
              "code": "orgs.parent_rejected",
              "column": "上级工会编码",
              "row": 7
            },
            {
              "code": "orgs.duplicate_in_file",
              "column": "工会编码",
              "row": 8
            },
            {
              "code": "orgs.founded_in_future",
              "column": "成立日期",
              "row": 9
            },
            {
              "code": "orgs.unknown_parent",
              "column": "上级工会编码",
              "row": 10
            }
          ],
          "rows": 9
        }
        "#);
        assert_eq!(app.count("SELECT COUNT(*) FROM org_units").await, before + 2);
        let child = c.get("/api/v1/orgs/IMP-CHILD").await.json();
        assert_eq!((child["parent_code"].as_str(), child["founded_on"].as_str()), (Some("IMP-PARENT"), Some("2024-09-06")));
    }

    async fn export_then_import_round_trips_in_xlsx(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        let r = c.get("/orgs/export.xlsx").await;
        assert_eq!(r.status, 200);
        let table = nuanxin_core::orgs::sheet::OrgsSheet::read(&r.body).unwrap();
        let in_scope = app.count("SELECT COUNT(*) FROM org_units WHERE path LIKE '/F3715/F371502/F371502001/%' AND status = 'active'").await;
        assert_eq!(table.rows.len() as i64, in_scope);
        assert_eq!(table.cell(&table.rows[0].1, "code"), "F371502001");
        assert_eq!(table.cell(&table.rows[0].1, "region_code"), "371502001000");
        // Importing the export again: every row is a known code.
        let report = c.post_bytes("/api/v1/orgs/import?dry_run=true", r.body.clone()).await.json();
        assert_eq!(report["imported"], 0);
        assert!(report["rejected"].as_array().unwrap().iter().all(|e| e["code"] == "orgs.code_taken" || e["code"] == "orgs.unknown_parent"), "{report}");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'orgs.export' AND actor = 'gulou'").await, 1);
        let csv = c.get("/orgs/export.csv?q=%E6%9D%91").await;
        assert!(csv.text().starts_with("\u{feff}工会编码,工会名称"), "{}", csv.text());
    }

    async fn pages_render_forms_with_field_errors_and_redirect_after_create(app: TestApp) {
        app.load_demo().await;
        let mut c = app.demo_user("gulou").await;
        let r = c.post_form("/orgs/new", &[("code", "PG-1"), ("name", ""), ("type", "joint_union"), ("parent_code", "F371502001"), ("region_code", "371502001")], true).await;
        assert_eq!(r.status, 422);
        assert!(r.text().contains("请填写工会名称。"), "{}", r.text());
        let r = c.post_form("/orgs/new", &[("code", "PG-1"), ("name", "古楼街道外卖骑手联合工会"), ("type", "joint_union"), ("joint_kind", "flexible"), ("parent_code", "F371502001"), ("region_code", "371502001")], true).await;
        assert_eq!((r.status.as_u16(), r.location()), (303, Some("/orgs/PG-1")));
        let page = c.get("/orgs/PG-1").await.text();
        assert!(page.contains("古楼街道外卖骑手联合工会") && page.contains("灵活就业人员联合工会"));
        let list = c.get("/orgs?q=%E5%A4%96%E5%8D%96").await.text();
        assert!(list.contains("PG-1"));
        c.lang = Some("en".into());
        let page = c.get("/orgs/PG-1").await.text();
        assert!(page.contains("Flexible workers&#39; joint union") || page.contains("Flexible workers' joint union"), "{page}");
        assert!(page.contains("<html lang=\"en\">"));
    }
}

#[tokio::test]
async fn cadres_import_org_units_from_the_console() {
    let app = nuanxin_testkit::TestApp::sqlite().await;
    app.load_demo().await;
    let mut c = app.demo_user("gulou").await;
    let csv = "工会编码,工会名称,上级工会编码,组织类型,区划代码\nUP-1,古楼街道快递员联合工会,F371502001,联合工会,371502001\nUP-2,坏,F371502001,联合工会,9\n";
    let b = "NUANXINBOUNDARY";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"o.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n"
    );
    let ct = format!("multipart/form-data; boundary={b}");
    let r = c
        .send(
            axum::http::Method::POST,
            "/orgs/import",
            Some((&ct, body.into_bytes())),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(
        page.contains("已导入 1 行") && page.contains("区划代码格式不正确"),
        "{page}"
    );
    assert_eq!(c.get("/api/v1/orgs/UP-1").await.status, 200);
    // Without the CSRF token (no header, no query parameter) the upload is refused.
    c.csrf = None;
    let r = c
        .send(
            axum::http::Method::POST,
            "/orgs/import",
            Some((&ct, b"x".to_vec())),
        )
        .await;
    assert_eq!(r.status, 403);
    app.finish().await;
}
