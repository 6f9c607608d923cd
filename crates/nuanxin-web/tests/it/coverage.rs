//! Coverage figures are exact: after imports, joins, transfers, moves and dissolutions, every
//! figure of the report equals a direct count over the base records, and the full recount finds
//! no difference in the maintained counters.

use nuanxin_core::accounts::Caller;
use nuanxin_core::census::{self, Uscc};
use nuanxin_core::coverage::{self, Coverage, Period};
use nuanxin_core::members::{self, Channel, JoinContext, JoinDraft, JoinInput, JoinTarget};
use nuanxin_core::{orgs, regions::RegionCode};
use nuanxin_testkit::{both_backends, TestApp, TEST_NOW};

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

use nuanxin_core::sheets::import::SheetImport;
use nuanxin_testkit::id_with_check;

/// The i-th made-up person: a valid ID number and phone.
fn person(i: u32) -> (String, String) {
    (
        id_with_check(&format!(
            "3715021990{:02}{:02}{:03}",
            1 + i % 12,
            1 + i % 28,
            i % 1000
        )),
        format!("139{:08}", 6350000 + i),
    )
}

fn uscc(i: u32) -> String {
    Uscc::with_check(&format!("91371502MA{:07}", 3_000_000 + i))
        .unwrap()
        .to_string()
}

fn ctx() -> JoinContext {
    JoinContext::consented(Channel::Qr, "test", TEST_NOW, today())
}

/// The route of a partner push: the joint union of the township, auto-approving.
async fn target_in(app: &TestApp, region: &str) -> JoinTarget {
    let caller = Caller::operator(&app.clock);
    let mut tx = app.store.read().await.unwrap();
    members::partner::route(
        &mut tx,
        &caller.scope,
        &RegionCode::parse(region).unwrap(),
        None,
        None,
    )
    .await
    .unwrap()
    .unwrap()
}

async fn unit_target(app: &TestApp, code: &str) -> JoinTarget {
    let caller = Caller::operator(&app.clock);
    let unit = orgs::get(&mut app.store.read().await.unwrap(), &caller.scope, code)
        .await
        .unwrap();
    JoinTarget {
        code_id: uuid::Uuid::nil(),
        code: String::new(),
        channel: "qr".into(),
        auto_approve: true,
        org_id: unit.id,
        org_code: unit.code,
        org_name: unit.name,
        org_path: unit.path,
        org_region: unit.region_code,
        routes: false,
    }
}

async fn join(app: &TestApp, target: &JoinTarget, i: u32, group: &str) -> members::JoinReceipt {
    let (id, phone) = person(i);
    let input = JoinInput {
        name: format!(
            "会员{}",
            i.to_string()
                .chars()
                .map(|d| "零一二三四五六七八九"
                    .chars()
                    .nth(d as usize - '0' as usize)
                    .unwrap())
                .collect::<String>()
        ),
        id_number: id,
        phone,
        group: group.into(),
        work_region: Some("371502003".into()),
        consent: true,
        ..JoinInput::default()
    };
    let draft = JoinDraft::parse(&input, today()).unwrap();
    members::join(&app.store, &app.vault, target, &draft, &ctx())
        .await
        .unwrap()
}

async fn report(app: &TestApp, code: &str, period: Period) -> Coverage {
    let caller = Caller::operator(&app.clock);
    let mut tx = app.store.read().await.unwrap();
    coverage::coverage(&mut tx, &caller.scope, code, period)
        .await
        .unwrap()
}

/// Compares every figure of the unit's report, and of each child, with direct counts.
async fn assert_exact(app: &TestApp, code: &str, period: Period) {
    let r = report(app, code, period).await;
    check(app, &r, period).await;
    for child in &r.children {
        check(app, child, period).await;
    }
    let recount = coverage::recount(&app.store, false).await.unwrap();
    assert!(
        recount.differences.is_empty(),
        "maintained counters differ from a recount: {:?}",
        &recount.differences[..recount.differences.len().min(10)]
    );
}

async fn check(app: &TestApp, r: &Coverage, period: Period) {
    let path: String = {
        let caller = Caller::operator(&app.clock);
        orgs::get(
            &mut app.store.read().await.unwrap(),
            &caller.scope,
            &r.org_code,
        )
        .await
        .unwrap()
        .path
    };
    let sub = format!(
        "o.path >= '{path}' AND o.path < '{}0'",
        &path[..path.len() - 1]
    );
    let members = |extra: &str| {
        format!("SELECT COUNT(*) FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.status = 'active' AND {sub}{extra}")
    };
    assert_eq!(
        r.members_total,
        app.count(&members("")).await,
        "{} members_total",
        r.org_code
    );
    for (group, n) in &r.members_by_group {
        assert_eq!(
            *n,
            app.count(&members(&format!(" AND m.worker_group = '{group}'")))
                .await,
            "{} {group}",
            r.org_code
        );
    }
    for (kind, n) in &r.unions_by_type {
        let direct = app.count(&format!("SELECT COUNT(*) FROM org_units o WHERE o.status = 'active' AND o.kind = '{kind}' AND {sub}")).await;
        assert_eq!(*n, direct, "{} unions {kind}", r.org_code);
    }
    // Enterprises: with a union in the subtree, or without one in the subtree's region (for a
    // federation; other units count only the enterprises of their unions).
    let active_federation = app.count(&format!("SELECT COUNT(*) FROM org_units o WHERE o.code = '{}' AND o.kind = 'federation' AND o.status = 'active'", r.org_code)).await;
    let in_region = if active_federation == 1 {
        format!(
            " OR (e.union_org_id IS NULL AND e.region_code LIKE '{}%')",
            r.region_code
        )
    } else {
        String::new()
    };
    let ents = |extra: &str| {
        format!("SELECT COUNT(*) FROM enterprises e WHERE ((e.union_org_id IN (SELECT o.id FROM org_units o WHERE {sub})){in_region}){extra}")
    };
    assert_eq!(
        r.enterprises_surveyed,
        app.count(&ents("")).await,
        "{} surveyed",
        r.org_code
    );
    assert_eq!(
        r.enterprises_eligible,
        app.count(&ents(" AND e.operating = TRUE")).await,
        "{} eligible",
        r.org_code
    );
    assert_eq!(
        r.enterprises_unionised,
        app.count(&ents(
            " AND e.operating = TRUE AND e.union_status = 'unionised'"
        ))
        .await,
        "{} unionised",
        r.org_code
    );
    let workers = app
        .count(&ents(" AND e.operating = TRUE").replace(
            "SELECT COUNT(*)",
            "SELECT CAST(COALESCE(SUM(e.new_form_workers), 0) AS BIGINT)",
        ))
        .await;
    assert_eq!(r.census_workers, workers, "{} census workers", r.org_code);
    let (from, to) = (period.from, period.to);
    let joined = app.count(&format!("SELECT COUNT(*) FROM membership_events e JOIN org_units o ON o.id = e.org_id WHERE e.event = 'joined' AND e.on_date >= '{from}' AND e.on_date <= '{to}' AND {sub}")).await;
    assert_eq!(r.new_members, joined, "{} new members", r.org_code);
    let left = app.count(&format!("SELECT COUNT(*) FROM membership_events e JOIN org_units o ON o.id = e.org_id WHERE e.event IN ('transferred_out', 'lapsed') AND e.on_date >= '{from}' AND e.on_date <= '{to}' AND {sub}")).await;
    assert_eq!(r.left_members, left, "{} left", r.org_code);
    let rate = (r.known_workers > 0)
        .then(|| (r.members_total as f64 / r.known_workers as f64 * 10_000.0).round() / 10_000.0);
    assert_eq!(r.membership_rate, rate);
}

const HEADER: &str = "统一社会信用代码,企业名称,行业,职工人数,新就业形态劳动者人数,区划代码,建会状态,所属工会编码,来源\n";

both_backends! {
    async fn figures_equal_direct_counts_through_imports_joins_transfers_moves_and_dissolutions(app: TestApp) {
        app.load_demo().await;
        let caller = Caller::operator(&app.clock);
        let year = Period { from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), to: today() };

        // A census import: enterprises across Dongchangfu's townships, one with a union.
        let mut csv = String::from(HEADER);
        let townships = ["371502001", "371502002", "371502003", "371502004"];
        for i in 0..24u32 {
            let region = townships[i as usize % 4];
            csv.push_str(&format!("{},企业{i},快递,{},{},{region},未建会,,排查\n", uscc(i), [8, 30, 60, 150][i as usize % 4], 5 + i));
        }
        csv.push_str(&format!("{},聊城滴滴出行,网约车,40,300,371502003,已建会,EU3715008,排查\n", uscc(99)));
        let table = census::sheet::EnterprisesSheet::read(csv.as_bytes()).unwrap();
        let rep = census::sheet::EnterprisesSheet::import(&app.store, &app.vault, &caller, &table, false, |_, _| {}).await.unwrap();
        assert_eq!((rep.created, rep.rejected.len()), (25, 0), "{:?}", rep.rejected);
        assert_exact(&app, "F371502", year).await;

        // The same enterprise from another source with other figures: disputed, values unchanged.
        let other = format!("{HEADER}{},企业0,快递,9,6,371502001,未建会,,邮政管理局\n", uscc(0));
        let rep = census::sheet::EnterprisesSheet::import(&app.store, &app.vault, &caller, &census::sheet::EnterprisesSheet::read(other.as_bytes()).unwrap(), false, |_, _| {}).await.unwrap();
        assert_eq!(rep.disputed, 1);

        // Joins: partner-routed members at the township joint unions, and at an enterprise union.
        let gulou = target_in(&app, "371502001").await;
        let liuyuan = target_in(&app, "371502002").await;
        for i in 0..6 {
            let r = join(&app, &gulou, i, if i % 2 == 0 { "delivery_rider" } else { "courier" }).await;
            assert_eq!(r.status, "active");
        }
        let didi = unit_target(&app, "EU3715008").await;
        for i in 10..13 {
            join(&app, &didi, i, "ride_hailing_driver").await;
        }
        assert_exact(&app, "F3715", year).await;
        assert_exact(&app, "F371502", year).await;

        // A transfer: member 0 joins Liuyuan; approved there, the Gulou membership ends.
        let t = join(&app, &liuyuan, 0, "delivery_rider").await;
        assert_eq!(t.status, "pending");
        let mut tx = app.store.write().await.unwrap();
        members::decide(&mut tx, &caller, &[t.membership_id], &members::Decision::Approve).await.unwrap();
        tx.commit().await.unwrap();
        assert_exact(&app, "F371502", year).await;
        assert_eq!(report(&app, "F371502001", year).await.left_members, 1);

        // A back-dated member import counts in its own month.
        let import = "姓名,身份证号,手机号,职业群体,所属工会编码,入会日期\n".to_string()
            + &format!("导入甲,{},{},快递员,JU371502002,2025-03-01\n", person(40).0, person(40).1)
            + &format!("导入乙,{},{},外卖配送员,JU371502002,2025/3/9\n", person(41).0, person(41).1);
        let table = members::sheet::MembersSheet::read(import.as_bytes()).unwrap();
        let rep = members::sheet::import(&app.store, &app.vault, &caller, &table, false, |_, _| {}).await.unwrap();
        assert_eq!(rep.imported, 2, "{:?}", rep.rejected);
        let march = Period { from: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(), to: chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap() };
        assert_eq!(report(&app, "F371502", march).await.new_members, 2);
        assert_exact(&app, "F371502", march).await;
        let trend = coverage::trend(&mut app.store.read().await.unwrap(), &caller.scope, "F371502", today(), 24).await.unwrap();
        let m = |month: &str| trend.iter().find(|p| p.month == month).unwrap().members;
        assert_eq!((m("2025-02"), m("2025-03"), m("2026-10"), m("2026-11")), (0, 2, 2, 8), "{trend:?}");

        // Marking an enterprise unionised moves it to its union.
        let before = report(&app, "F371502004", year).await;
        let mut tx = app.store.write().await.unwrap();
        census::mark_unionised(&mut tx, &caller, &uscc(3), &census::Unionise::New { code: "EU3715T3".into(), name: "企业3工会".into(), parent_code: "F371502004".into() }).await.unwrap();
        census::mark_unionised(&mut tx, &caller, &uscc(7), &census::Unionise::Existing { union_code: "JU371502004".into() }).await.unwrap();
        tx.commit().await.unwrap();
        let r = report(&app, "F371502004", year).await;
        assert_eq!((r.new_unionised_enterprises, r.new_unions), (before.new_unionised_enterprises + 2, before.new_unions + 1));
        assert_eq!((r.enterprises_unionised, r.enterprises_surveyed), (before.enterprises_unionised + 2, before.enterprises_surveyed));
        assert_exact(&app, "F371502", year).await;

        // Moving the enterprise union with its members from the industry federation to the
        // township federation moves its figures.
        let before_if = report(&app, "IF3715RH", year).await.members_total;
        let mut tx = app.store.write().await.unwrap();
        orgs::move_subtree(&mut tx, &caller, "EU3715008", "F371502003").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(report(&app, "IF3715RH", year).await.members_total, before_if - 3);
        assert_eq!(report(&app, "F371502003", year).await.members_total, 3);
        assert_exact(&app, "F3715", year).await;
        assert_exact(&app, "F371502", year).await;

        // Dissolving Xinqu's township federation (after its children) hands its enterprises
        // without a union to the county federation.
        let fed = "F371502004";
        let kids = orgs::children(&mut app.store.read().await.unwrap(), &caller.scope, fed, nuanxin_core::page::PageRequest::default()).await.unwrap();
        let mut tx = app.store.write().await.unwrap();
        for k in kids.items.iter().filter(|k| k.is_active()) {
            orgs::dissolve(&mut tx, &caller, &k.code).await.unwrap();
        }
        orgs::dissolve(&mut tx, &caller, fed).await.unwrap();
        tx.commit().await.unwrap();
        let county = report(&app, "F371502", year).await;
        assert_eq!(county.enterprises_surveyed, 25);
        assert_exact(&app, "F371502", year).await;
        assert_exact(&app, "F3715", year).await;
    }

    async fn the_recount_finds_and_repairs_a_broken_counter(app: TestApp) {
        app.load_demo().await;
        let caller = Caller::operator(&app.clock);
        join(&app, &target_in(&app, "371502001").await, 1, "courier").await;
        assert!(coverage::recount(&app.store, false).await.unwrap().differences.is_empty());
        let mut tx = app.store.write().await.unwrap();
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query("UPDATE coverage_counts SET n = n + 5 WHERE scope_path = '/F3715/' AND metric = 'members'").execute(c).await.map(|r| r.rows_affected())).unwrap();
        tx.commit().await.unwrap();
        let broken = coverage::recount(&app.store, false).await.unwrap();
        assert_eq!(broken.differences.len(), 1, "{:?}", broken.differences);
        assert_eq!((broken.differences[0].stored, broken.differences[0].counted), (6, 1));
        let fixed = coverage::recount(&app.store, true).await.unwrap();
        assert!(fixed.repaired);
        assert!(coverage::recount(&app.store, false).await.unwrap().differences.is_empty());
        assert_eq!(report(&app, "F3715", Period::or_this_year(None, None, today()).unwrap()).await.members_total, 1);
        let _ = caller;
    }
}

both_backends! {
    async fn prospects_import_routes_links_and_counts_each_person_once(app: TestApp) {
        app.load_demo().await;
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.post_json("/api/v1/enterprises", serde_json::json!({"uscc": "91371500789201168K", "name": "聊城速达同城配送有限公司",
            "industry": "food_delivery", "staff": "80", "new_form_workers": "60", "region_code": "371502002",
            "union_status": "unionised", "union_code": "JU371502002", "source": "survey"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let (id, _) = person(7);
        let csv = format!(
            "姓名,身份证号,手机号,职业群体,工作单位,工作单位统一社会信用代码,工作地区划代码,来源\n\
             骑手甲,{id},13806350007,外卖配送员,聊城速达同城配送有限公司,91371500789201168K,371502001,平台名单\n\
             快递员乙,,13806350008,快递员,某快递网点,,371502001,排查\n\
             丙,,13806350009,宇航员,,,371502001,排查\n\
             丁,,13806350010,快递员,,,999999,排查\n"
        );
        let b = "NUANXINBOUNDARY";
        let body = |dry: bool| {
            let mut s = format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n");
            if dry {
                s.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n"));
            }
            s.push_str(&format!("--{b}--\r\n"));
            s.into_bytes()
        };
        let ct = format!("multipart/form-data; boundary={b}");
        let r = county.send(axum::http::Method::POST, "/census/prospects/import", Some((&ct, body(true)))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.text();
        assert!(page.contains("请选择职业群体") && page.contains("没有这个区划代码"), "{page}");
        assert_eq!(app.count("SELECT COUNT(*) FROM prospects").await, 0, "a dry run writes nothing");
        for round in 0..2 {
            let r = county.send(axum::http::Method::POST, "/census/prospects/import", Some((&ct, body(false)))).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let page = r.text();
            assert!(page.contains("<td class=\"num\">4</td>"), "row numbers as Excel shows them: {page}");
            assert_eq!(app.count("SELECT COUNT(*) FROM prospects").await, 2, "round {round}: each person once: {}", page.split("import-report").nth(1).unwrap_or(""));
        }
        // The unionised employer's union takes its worker; the other goes to the township's joint union.
        assert_eq!(app.count("SELECT COUNT(*) FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE o.code = 'JU371502002' AND p.enterprise_id IS NOT NULL AND p.id_hash IS NOT NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE o.code = 'JU371502001' AND p.enterprise_id IS NULL").await, 1);
        // Counted once, in the right place: only the unattached one widens the denominator.
        let recount = coverage::recount(&app.store, false).await.unwrap();
        assert!(recount.differences.is_empty(), "{:?}", recount.differences);
        let cov = county.get("/api/v1/coverage?org=F371502").await.json();
        assert_eq!(cov["prospects_unattached"], 1);
        assert!(county.get("/census/prospects/template.xlsx").await.body.starts_with(b"PK"));
        // The census export streams the enterprise in the import layout.
        let r = county.get("/census/export.xlsx?org=F371502").await;
        assert_eq!(r.status, 200);
        let sheet = r.sheet("企业");
        assert_eq!(sheet.height(), 2, "header and the one enterprise");
        assert_eq!(sheet.get((1, 0)).unwrap().to_string(), "91371500789201168K");
    }
}

both_backends! {
    async fn members_by_employer_equal_a_direct_count_within_scope(app: TestApp) {
        app.load_demo().await;
        nuanxin_core::demo::load_members(&app.store, &app.vault, &app.clock).await.unwrap();
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.get("/api/v1/coverage/employers?org=F371502").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let rows = r.json();
        let rows = rows.as_array().unwrap();
        assert!(!rows.is_empty());
        let total: i64 = rows.iter().map(|r| r["members"].as_i64().unwrap()).sum();
        let direct = app.count("SELECT COUNT(*) FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.status = 'active' AND o.path LIKE '/F3715/F371502/%'").await;
        assert_eq!(total, direct, "every active member counted once");
        let first = rows[0]["employer"].as_str().unwrap().replace('\'', "''");
        let of_first = app.count(&format!("SELECT COUNT(*) FROM memberships WHERE status = 'active' AND COALESCE(TRIM(employer), '') = '{first}'")).await;
        assert_eq!(rows[0]["members"].as_i64().unwrap(), of_first);
        assert!(rows.windows(2).all(|w| w[0]["members"].as_i64() >= w[1]["members"].as_i64()), "largest first");
        let mut gulou = app.demo_user("gulou").await;
        assert_eq!(gulou.get("/api/v1/coverage/employers?org=F371502").await.status, 404);
        let page = county.get("/dashboard/employers?org=F371502").await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("按工作单位统计会员"));
    }
}
