//! The scope matrix of every route, generated from the router: each route (the API's as the router
//! registered them, the pages' read from the source of `router.rs`, so a route added later is in
//! the matrix without anyone listing it) × each
//! role at one township (admin, staff, viewer) × each place of the record it names (own subtree,
//! sibling township, parent county, a township of another county) × by session and by API token.
//! A record outside the caller's subtree answers 404 to every read and every write, changes
//! nothing, and no answer of any route shows a record from outside. A route whose path the
//! matrix cannot fill fails the test: classify it below.

use nuanxin_core::members::{self, Channel, JoinContext, JoinDraft, JoinInput};
use nuanxin_testkit::{both_backends, Client, TestApp, TEST_NOW};
use serde_json::json;
use std::collections::BTreeMap;

/// What a path parameter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Org,
    Enterprise,
    Membership,
    Station,
    Event,
    Target,
    Account,
    Prospect,
    Transfer,
    Case,
    LabourCheck,
    Plan,
    Claim,
    Photo,
    Care,
    Hardship,
    Notice,
    Library,
    Competition,
    Entry,
    Offer,
    GridReport,
    Contract,
    Project,
}

/// The routes anyone may use, signed in or not.
const PUBLIC: &[&str] = &[
    "/",
    "/login",
    "/logout",
    "/lang/{tag}",
    "/j/{code}",
    "/j/{code}/employers",
    "/me",
    "/me/login",
    "/me/leave",
    "/me/transfer",
    "/me/work",
    "/me/phone",
    "/me/logout",
    "/me/notices/{id}",
    "/me/library",
    "/me/library/{id}",
    "/me/library/{id}/pdf",
    "/me/honours/{id}/showcase",
    "/showcase/{code}",
    "/showcase/photos/{id}",
    "/me/photos/{id}",
    "/me/grid",
    "/me/grid/enrol",
    "/me/grid/new",
    "/me/grid/nearby",
    "/me/grid/photos/{id}",
    "/me/grid/{id}",
    "/me/grid/{id}/reopen",
    "/me/grid/{id}/photos",
    "/verify/{token}",
    "/help",
    "/stations/nearby",
    "/api/v1/stations/nearest",
    "/api/v1/join/{code}/sms",
    "/api/v1/join/{code}",
    "/api/v1/session",
    "/api/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/assets/{*path}",
];

/// Routes of the caller's own records (a partner's own pushes, by the reference it gave; its
/// webhook and its deliveries): no subtree is named; `partner_reads_only_its_own_pushes` and the
/// webhook tests test them.
const OWN: &[&str] = &[
    "/api/v1/members/push/{request_id}",
    "/api/v1/webhook",
    "/api/v1/webhook/deliveries",
];

/// The national region tree: reference data every signed-in cadre may read, not a record of a
/// subtree.
const REFERENCE: &[&str] = &["/api/v1/regions/{code}", "/api/v1/regions/{code}/children"];

/// The kind of record each parameter of a path names; `None` for a route the matrix cannot fill.
fn kinds(path: &str) -> Option<Vec<Kind>> {
    let mut out = Vec::new();
    for seg in path.split('/').filter(|s| s.starts_with('{')) {
        out.push(match (seg, path) {
            ("{code}" | "{org_code}", _) => Kind::Org,
            ("{uscc}", _) => Kind::Enterprise,
            ("{username}", _) => Kind::Account,
            ("{id}", p) if p.contains("/members/") => Kind::Membership,
            ("{id}", p) if p.contains("/stations/") => Kind::Station,
            ("{id}", p) if p.contains("/events/") => Kind::Event,
            ("{id}", p) if p.contains("/targets/") => Kind::Target,
            ("{id}", p) if p.contains("/prospects/") => Kind::Prospect,
            ("{id}", p) if p.contains("/transfers/") => Kind::Transfer,
            ("{id}", p) if p.contains("/cases/") => Kind::Case,
            ("{id}", p) if p.contains("/labour-checks/") => Kind::LabourCheck,
            ("{id}", p) if p.contains("/aid/plans/") => Kind::Plan,
            ("{id}", p) if p.contains("/aid/claims/") => Kind::Claim,
            ("{id}", p) if p.contains("/photos/") => Kind::Photo,
            ("{id}", p) if p.contains("/care/") => Kind::Care,
            ("{id}", p) if p.contains("/hardship/") => Kind::Hardship,
            ("{id}", p) if p.contains("/notices/") => Kind::Notice,
            ("{id}", p) if p.contains("/library/") => Kind::Library,
            ("{id}", p) if p.contains("/competitions/") => Kind::Competition,
            ("{id}", p) if p.contains("/competition-entries/") => Kind::Entry,
            ("{id}", p) if p.contains("/offers/") => Kind::Offer,
            ("{id}", p) if p.contains("/grid/reporters/") => Kind::Membership,
            ("{id}", p) if p.contains("/grid/") => Kind::GridReport,
            ("{id}", p) if p.contains("/contracts/") => Kind::Contract,
            ("{id}", p) if p.contains("/projects/") => Kind::Project,
            _ => return None,
        });
    }
    Some(out)
}

/// Every (method, path) of the router: the API's as registered (`nuanxin_web::api_routes`), the
/// pages' and the rest read from the source of `router.rs`.
fn routes() -> Vec<(String, String)> {
    let src = include_str!("../../src/router.rs");
    let pages_from = src.find("pub fn router(").expect("the router");
    let mut out = nuanxin_web::api_routes();
    let mut at = pages_from;
    while let Some(found) = src[at..].find(".route(") {
        let start = at + found + ".route(".len();
        let mut depth = 1;
        let mut end = start;
        for (i, c) in src[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + i;
                break;
            }
        }
        let body = &src[start..end];
        let path = body.split('"').nth(1).expect("a path literal").to_string();
        for method in ["get", "post", "patch", "delete", "put"] {
            let chained = format!(".{method}(");
            let first = format!("{method}(");
            let rest = body.split_once(',').map_or("", |(_, r)| r).trim_start();
            if rest.starts_with(&first) || rest.contains(&chained) {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
        at = end;
    }
    out
}

const PLACES: [&str; 4] = ["own", "sibling", "parent", "unrelated"];

/// The unit and region code of each place, seen from the township F371502001.
fn place(p: &str) -> (&'static str, &'static str) {
    match p {
        "own" => ("F371502001", "371502001"),
        "sibling" => ("F371502002", "371502002"),
        "parent" => ("F371502", "371502"),
        _ => ("F371525001", "371525001"),
    }
}

/// One record of each kind in each place, made by the city's admin; names carry a marker that
/// no answer to the township's cadres may contain for a place outside their subtree.
async fn fixtures(app: &TestApp, city: &mut Client) -> BTreeMap<(Kind, &'static str), String> {
    let mut f = BTreeMap::new();
    for (n, p) in PLACES.iter().enumerate() {
        let (org, region) = place(p);
        let mark = format!("MARK{p}");
        f.insert((Kind::Org, *p), org.to_string());
        let uscc = nuanxin_core::census::Uscc::with_check(&format!("91371500MA3M000{n}0")).unwrap();
        let r = city.post_json("/api/v1/enterprises", json!({"uscc": uscc.as_str(), "name": format!("{mark}配送有限公司"),
            "industry": "food_delivery", "staff": "30", "new_form_workers": "20", "region_code": region, "source": "survey"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        f.insert((Kind::Enterprise, *p), uscc.as_str().to_string());
        let r = city.post_json("/api/v1/stations", json!({"name": format!("{mark}驿站"), "type": "骑手之家", "lat": "36.45",
            "lng": "115.98", "address": mark, "hours": "每天 8:00-20:00", "amenities": "饮水", "keeper": "王芳",
            "phone": "0635-8123456", "org_code": org})).await;
        assert!(r.status.is_success(), "{}", r.text());
        f.insert(
            (Kind::Station, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                &format!("/api/v1/orgs/{org}/events"),
                json!({"name": format!("{mark}集中入会"), "held_on": "2026-11-20"}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text());
        let event = r.json();
        f.insert((Kind::Event, *p), event["id"].as_str().unwrap().to_string());
        let target = members::resolve_code(
            &mut app.store.read().await.unwrap(),
            event["code"].as_str().unwrap(),
        )
        .await
        .unwrap();
        let input = JoinInput {
            name: "张马克".into(),
            id_number: id_of(n),
            phone: format!("1390635000{n}"),
            group: "快递员".into(),
            consent: true,
            ..JoinInput::default()
        };
        let draft = JoinDraft::parse(
            &input,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        )
        .unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let ctx = JoinContext::consented(Channel::Event, "test", TEST_NOW, today);
        let receipt = members::join(&app.store, &app.vault, &target, &draft, &ctx)
            .await
            .unwrap();
        f.insert((Kind::Membership, *p), receipt.membership_id.to_string());
        // A second member, moved by the city to a union of the same place: a transfer there.
        let input = JoinInput {
            name: "李转会".into(),
            id_number: nuanxin_testkit::id_with_check(&format!("37150219910101{n}12")),
            phone: format!("1390635100{n}"),
            ..input
        };
        let draft = JoinDraft::parse(&input, today).unwrap();
        let moving = members::join(&app.store, &app.vault, &target, &draft, &ctx)
            .await
            .unwrap();
        let to = match *p {
            "own" => "JU371502001",
            "sibling" => "JU371502002",
            "parent" => "HP371502",
            _ => "F371525",
        };
        let r = city
            .post_json(
                &format!("/api/v1/members/{}/transfer", moving.membership_id),
                json!({"to_org": to, "reason": format!("{mark}理由")}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        f.insert(
            (Kind::Transfer, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                "/api/v1/targets",
                json!({"org_code": org, "metric": "new_members", "period_start": "2027-01-01",
            "period_end": "2027-12-31", "value": 10.0}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text());
        f.insert(
            (Kind::Target, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        // A known worker who has not joined (as a partner's push without consent keeps one).
        let prospect = nuanxin_core::new_id();
        let org_id: uuid::Uuid = {
            let mut tx = app.store.read().await.unwrap();
            nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1").bind(org).fetch_one(c).await).unwrap()
        };
        {
            let mut tx = app.store.write().await.unwrap();
            nuanxin_core::on_db!(tx.conn(), c => sqlx::query("INSERT INTO prospects (id, org_id, name, phone, worker_group, source, created_at)
                VALUES ($1, $2, $3, '13906350099', 'courier', 'matrix', $4)").bind(prospect).bind(org_id).bind(format!("{mark}潜在会员")).bind(TEST_NOW)
                .execute(c).await.map(|r| r.rows_affected())).unwrap();
            tx.commit().await.unwrap();
        }
        f.insert((Kind::Prospect, *p), prospect.to_string());
        let username = format!("mark-{p}");
        let r = city.post_json("/api/v1/accounts", json!({"username": username, "password": "pass-word-1", "org_code": org, "role": "viewer"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        f.insert((Kind::Account, *p), username);
        let r = city
            .post_json(
                "/api/v1/cases",
                json!({"org_code": org, "kind": "wages", "name": format!("{mark}维权"),
            "phone": "13906350098", "claimed": "100", "summary": format!("{mark}案情")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let case = r.json()["id"].as_str().unwrap().to_string();
        f.insert((Kind::Case, *p), case.clone());
        let r = city
            .post_multipart(
                &format!("/api/v1/cases/{case}/photos"),
                &[],
                &[("photos", "slip.jpg", nuanxin_testkit::phone_photo(16, 12))],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Photo, *p),
            r.json()[0]["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                "/api/v1/labour-checks",
                json!({"uscc": uscc.as_str(), "org_code": org, "checked_on": "2026-11-02",
            "findings": "2", "rectified": "1", "rectify_by": "2026-12-01", "follow_up": format!("{mark}整改")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::LabourCheck, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        // A mutual-aid plan of the place, its member enrolled, and a claim of theirs.
        let r = city
            .post_json(
                "/api/v1/aid/plans",
                json!({"org_code": org, "name": format!("{mark}互助保障"), "kind": "accident",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "premium": "30", "benefits": {"hospital": "5000"}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let plan = r.json()["id"].as_str().unwrap().to_string();
        f.insert((Kind::Plan, *p), plan.clone());
        let r = city
            .post_json(&format!("/api/v1/aid/plans/{plan}/enrol"), json!({}))
            .await;
        assert!(r.json()["enrolled"].as_i64() > Some(0), "{}", r.text());
        let r = city
            .post_json(
                "/api/v1/aid/claims",
                json!({"plan_id": plan, "member_no": receipt.member_no, "incident_on": "2026-11-23",
            "event": "hospital", "claimed": "1000", "summary": format!("{mark}理赔")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Claim, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                "/api/v1/care/activities",
                json!({"org_code": org, "name": format!("{mark}送清凉"), "kind": "summer", "held_on": "2026-07-15"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Care, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                "/api/v1/hardship",
                json!({"member_no": receipt.member_no, "level": "relative", "causes": ["illness"],
            "household_size": "3", "household_income": "20000", "note": format!("{mark}困难")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Hardship, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                "/api/v1/notices",
                json!({"org_code": org, "title": format!("{mark}通知"), "body": format!("{mark}正文")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Notice, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_multipart(
                "/library",
                &[
                    ("org_code", org),
                    ("title", &format!("{mark}书屋")),
                    ("category", "law"),
                    ("body", &format!("{mark}正文")),
                ],
                &[("pdf", "law.pdf", b"%PDF-1.4 matrix".to_vec())],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        let r = city
            .post_json(
                "/api/v1/competitions",
                json!({"org_code": org, "name": format!("{mark}比武"), "held_on": "2026-10-01", "events": "配送技能"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let competition = r.json()["id"].as_str().unwrap().to_string();
        f.insert((Kind::Competition, *p), competition.clone());
        let r = city
            .post_json(
                &format!("/api/v1/competitions/{competition}/entries"),
                json!({"member_no": receipt.member_no, "event": "配送技能", "score": "90"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Entry, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city
            .post_json(
                "/api/v1/offers",
                json!({"org_code": org, "merchant": format!("{mark}商户"), "discount": format!("{mark}九折")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Offer, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        // A grid report of the place's member (approved as reporter), and a contract with its scan.
        let r = city
            .post_json(
                "/api/v1/grid/reporters",
                json!({"member_no": receipt.member_no, "approve": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let details = format!("{mark}路面塌陷");
        let r = city
            .post_multipart(
                "/api/v1/grid/reports",
                &[
                    ("member_no", receipt.member_no.as_deref().unwrap()),
                    ("category", "road_hazard"),
                    ("details", &details),
                    ("lat", "36.45"),
                    ("lng", "115.98"),
                ],
                &[("photos", "hole.jpg", nuanxin_testkit::phone_photo(16, 12))],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::GridReport, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let title = format!("{mark}集体合同");
        let r = city
            .post_multipart(
                "/contracts/new",
                &[
                    ("org_code", org),
                    ("kind", "industry"),
                    ("title", &title),
                    ("employer", "协会"),
                    ("signed_on", "2026-01-01"),
                    ("expires_on", "2028-12-31"),
                    ("group_courier", "1"),
                    ("head_count", "100"),
                ],
                &[("scan", "signed.pdf", b"%PDF-1.4 matrix".to_vec())],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        f.insert(
            (Kind::Contract, *p),
            r.location()
                .unwrap()
                .trim_start_matches("/contracts/")
                .to_string(),
        );
        // A social organisation of the place and a service project it could claim.
        let social =
            nuanxin_core::census::Uscc::with_check(&format!("51371500MJD00{n}000")).unwrap();
        let r = city
            .post_json(
                "/api/v1/social-orgs",
                json!({"uscc": social.as_str(), "name": format!("{mark}社工服务中心"),
            "org_code": org, "union_status": "unionised", "union_members": "60"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = city.post_json("/api/v1/projects", json!({"org_code": org, "title": format!("{mark}骑手关爱项目"),
            "description": format!("{mark}服务"), "budget": "50000", "starts_on": "2026-12-01", "ends_on": "2027-06-30",
            "groups": "delivery_rider"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        f.insert(
            (Kind::Project, *p),
            r.json()["id"].as_str().unwrap().to_string(),
        );
        let r = city.get(&format!("/api/v1/library?q={mark}")).await;
        f.insert(
            (Kind::Library, *p),
            r.json()["items"][0]["id"].as_str().unwrap().to_string(),
        );
    }
    f
}

/// A valid ID number (GB 11643) for fixture `n`.
fn id_of(n: usize) -> String {
    nuanxin_testkit::id_with_check(&format!("37150219900101{n}12"))
}

/// A fingerprint of everything a write could change.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM org_units WHERE status = 'active'",
        "SELECT COUNT(*) FROM enterprises WHERE union_status = 'unionised'",
        "SELECT COUNT(*) FROM stations WHERE status = 'open'",
        "SELECT COUNT(*) FROM memberships WHERE status = 'pending'",
        "SELECT COUNT(*) FROM join_events WHERE closed_at IS NULL",
        "SELECT COUNT(*) FROM targets",
        "SELECT COUNT(*) FROM assignments",
        "SELECT COUNT(*) FROM api_tokens",
        "SELECT COUNT(*) FROM join_codes",
        "SELECT COUNT(*) FROM station_visits",
        "SELECT COUNT(*) FROM audit_log",
        "SELECT COUNT(*) FROM prospects WHERE invited_at IS NOT NULL",
        "SELECT COUNT(*) FROM transfers WHERE status IN ('requested', 'accepted', 'objected')",
        "SELECT COUNT(*) FROM memberships WHERE status IN ('left', 'retained', 'lapsed')",
        "SELECT COUNT(*) FROM rights_cases WHERE status = 'closed'",
        "SELECT COUNT(*) FROM case_events",
        "SELECT CAST(SUM(claimed_fen) AS BIGINT) FROM rights_cases",
        "SELECT CAST(SUM(rectified) AS BIGINT) FROM labour_checks",
        "SELECT COUNT(*) FROM labour_checks",
        "SELECT COUNT(*) FROM aid_enrolments",
        "SELECT COUNT(*) FROM aid_claims WHERE status <> 'entered'",
        "SELECT COUNT(*) FROM aid_claims",
        "SELECT COUNT(*) FROM attachments",
        "SELECT COUNT(*) FROM care_receipts",
        "SELECT CAST(SUM(non_members) AS BIGINT) FROM care_activities",
        "SELECT COUNT(*) FROM rights_cases WHERE handler_account IS NOT NULL",
        "SELECT COUNT(*) FROM hardship_files WHERE status = 'open'",
        "SELECT COUNT(*) FROM hardship_assistance",
        "SELECT COUNT(*) FROM hardship_files WHERE reviewed_on IS NOT NULL",
        "SELECT COUNT(*) FROM notices WHERE withdrawn_at IS NULL",
        "SELECT COUNT(*) FROM honours WHERE public = TRUE",
        "SELECT COUNT(*) FROM library_items WHERE withdrawn_at IS NULL",
        "SELECT COUNT(*) FROM competitions",
        "SELECT COUNT(*) FROM benefit_offers WHERE withdrawn_at IS NULL",
        "SELECT CAST(SUM(score_centi) AS BIGINT) FROM competition_entries",
        "SELECT COUNT(*) FROM grid_reports WHERE status <> 'received'",
        "SELECT COUNT(*) FROM grid_report_steps",
        "SELECT COUNT(*) FROM grid_reporters WHERE status = 'approved'",
        "SELECT COUNT(*) FROM grid_communities",
        "SELECT COUNT(*) FROM collective_contracts",
        "SELECT COUNT(*) FROM social_orgs",
        "SELECT COUNT(*) FROM service_projects WHERE status <> 'open'",
        "SELECT COUNT(*) FROM service_projects",
        "SELECT COUNT(*) FROM chair_allowance_bands",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

async fn request(c: &mut Client, method: &str, path: &str) -> nuanxin_testkit::Resp {
    let api = path.starts_with("/api/");
    match (method, api) {
        ("GET", _) => c.get(path).await,
        ("DELETE", _) => c.delete(path).await,
        ("PATCH", _) => c.patch_json(path, json!({})).await,
        ("PUT", _) => c.put_json(path, json!({})).await,
        ("POST", true) => c.post_json(path, json!({})).await,
        _ => c.post_form(path, &[], true).await,
    }
}

both_backends! {
    async fn every_route_answers_404_for_records_outside_the_callers_subtree(app: TestApp) {
        app.load_demo().await;
        let mut city = app.demo_user("liaocheng").await;
        let f = fixtures(&app, &mut city).await;
        // The three roles at one township, each by session and by API token.
        let mut callers: Vec<(String, Client)> = Vec::new();
        for role in ["admin", "staff", "liaison", "viewer"] {
            let username = format!("matrix-{role}");
            let r = city.post_json("/api/v1/accounts", json!({"username": username, "password": "pass-word-1", "org_code": "F371502001", "role": role})).await;
            assert!(r.status.is_success(), "{}", r.text());
            callers.push((format!("{role} by session"), app.login(&username, "pass-word-1").await));
            let token = city.post_json("/api/v1/tokens", json!({"username": username, "name": "matrix"})).await.json()["token"].as_str().unwrap().to_string();
            callers.push((format!("{role} by token"), app.anonymous().with_bearer(&token)));
        }
        // A station's keeper at the township: their own station only, no subtree.
        let station = &f[&(Kind::Station, "own")];
        let r = city.post_json("/api/v1/accounts", json!({"username": "matrix-keeper", "password": "pass-word-1", "org_code": "F371502001", "role": "keeper", "station": station})).await;
        assert!(r.status.is_success(), "{}", r.text());
        callers.push(("keeper by session".into(), app.login("matrix-keeper", "pass-word-1").await));
        let token = city.post_json("/api/v1/tokens", json!({"username": "matrix-keeper", "name": "matrix"})).await.json()["token"].as_str().unwrap().to_string();
        callers.push(("keeper by token".into(), app.anonymous().with_bearer(&token)));
        // A legal-aid lawyer of the township, with the township's case assigned: that case only.
        let r = city.post_json("/api/v1/stations", json!({"name": "matrix法律援助工作站", "type": "legal_aid_station", "lat": "36.45",
            "lng": "115.98", "address": "matrix", "hours": "每天 8:00-20:00", "amenities": "饮水", "keeper": "李律师",
            "phone": "0635-8123456", "org_code": "F371502001"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let aid_station = r.json()["id"].as_str().unwrap().to_string();
        let r = city.post_json("/api/v1/accounts", json!({"username": "matrix-lawyer", "password": "pass-word-1", "org_code": "F371502001", "role": "lawyer", "station": aid_station})).await;
        assert!(r.status.is_success(), "{}", r.text());
        let r = city.patch_json(&format!("/api/v1/cases/{}", f[&(Kind::Case, "own")]), json!({"handler_account": "matrix-lawyer"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        callers.push(("lawyer by session".into(), app.login("matrix-lawyer", "pass-word-1").await));
        let token = city.post_json("/api/v1/tokens", json!({"username": "matrix-lawyer", "name": "matrix"})).await.json()["token"].as_str().unwrap().to_string();
        callers.push(("lawyer by token".into(), app.anonymous().with_bearer(&token)));
        // A grid office of the township (no community routed to it here): nothing at all.
        let r = city.post_json("/api/v1/accounts", json!({"username": "matrix-grid", "password": "pass-word-1", "org_code": "F371502001", "role": "grid_office"})).await;
        assert!(r.status.is_success(), "{}", r.text());
        callers.push(("grid office by session".into(), app.login("matrix-grid", "pass-word-1").await));
        let token = city.post_json("/api/v1/tokens", json!({"username": "matrix-grid", "name": "matrix"})).await.json()["token"].as_str().unwrap().to_string();
        callers.push(("grid office by token".into(), app.anonymous().with_bearer(&token)));
        let routes = routes();
        assert!(routes.len() > 100, "the router's routes were read: {}", routes.len());
        let mut unknown = Vec::new();
        // First what the cadres may do inside (reads of their own records and lists, which may
        // write an audit row or a first join code), then everything outside, which must change
        // nothing at all.
        let mut before = Vec::new();
        for pass in ["inside", "outside"] {
        if pass == "outside" {
            before = fingerprint(&app).await;
        }
        for (method, path) in &routes {
            if PUBLIC.contains(&path.as_str()) || REFERENCE.contains(&path.as_str()) || OWN.contains(&path.as_str()) {
                continue;
            }
            let Some(kinds) = kinds(path) else {
                if pass == "inside" {
                    unknown.push(format!("{method} {path}"));
                }
                continue;
            };
            let fill = |place: &str| {
                let mut p = path.clone();
                for k in &kinds {
                    let slot = p.find('{').unwrap();
                    let end = p[slot..].find('}').unwrap() + slot;
                    p.replace_range(slot..=end, &f[&(*k, place_key(place))]);
                }
                p
            };
            if kinds.is_empty() {
                // A list or a form: what it shows must come from inside the scope only.
                if method == "GET" && pass == "inside" {
                    for (who, c) in callers.iter_mut() {
                        let r = c.get(path).await;
                        for p in ["sibling", "parent", "unrelated"] {
                            assert!(!r.text().contains(&format!("MARK{p}")), "{who} GET {path} shows a record of the {p}");
                        }
                    }
                }
                continue;
            }
            // The fixture is real: the township's admin reaches its own record.
            if pass == "inside" {
                if method == "GET" {
                    let own = fill("own");
                    let r = callers[0].1.get(&own).await;
                    assert_ne!(r.status, 404, "GET {own}: the matrix's own record must be found: {}", r.text());
                }
                continue;
            }
            // The same route naming a record that exists nowhere: what "outside" must look like.
            let mut nowhere = path.clone();
            for k in &kinds {
                let slot = nowhere.find('{').unwrap();
                let end = nowhere[slot..].find('}').unwrap() + slot;
                nowhere.replace_range(slot..=end, &absent(*k));
            }
            for p in ["sibling", "parent", "unrelated"] {
                let url = fill(p);
                for (who, c) in callers.iter_mut() {
                    let r = request(c, method, &url).await;
                    assert!(!r.text().contains(&format!("MARK{p}")), "{who} {method} {url} shows data");
                    if who.ends_with("token") && !url.starts_with("/api/") {
                        // An API token opens no page: off to the sign-in page.
                        assert!(r.location().is_some_and(|l| l.starts_with("/login")) || r.status == 401, "{who} {method} {url}: {}", r.status);
                        continue;
                    }
                    if method == "GET" {
                        assert_eq!(r.status, 404, "{who} {method} {url} ({p}): {}", r.text());
                        continue;
                    }
                    // A write is refused exactly as for a record that does not exist: 404, or
                    // the same complaint about its body (which tells nothing of the record).
                    let none = request(c, method, &nowhere).await;
                    assert!(r.status.is_client_error(), "{who} {method} {url} ({p}): {} {}", r.status, r.text());
                    // The same answer but for the record's own id echoed back (in a form's action).
                    let mut seen = r.text();
                    for k in &kinds {
                        seen = seen.replace(&f[&(*k, place_key(p))], &absent(*k));
                    }
                    assert!(r.status == none.status && seen == none.text(),
                        "{who} {method} {url} ({p}) answers unlike a record that does not exist: {} vs {}", r.status, none.status);
                }
            }
        }
        }
        assert!(unknown.is_empty(), "routes the scope matrix cannot fill (classify them in route_matrix.rs): {unknown:?}");
        assert_eq!(fingerprint(&app).await, before, "no write outside the scope changed anything");
    }
}

/// A value of each kind that names no record.
fn absent(k: Kind) -> String {
    match k {
        Kind::Org => "F3799999".into(),
        Kind::Enterprise => nuanxin_core::census::Uscc::with_check("91371500MA3N00000")
            .unwrap()
            .as_str()
            .to_string(),
        Kind::Account => "no-such-account".into(),
        _ => "00000000-0000-7000-8000-000000000000".into(),
    }
}

fn place_key(p: &str) -> &'static str {
    PLACES.iter().find(|x| **x == p).copied().unwrap()
}

/// Each `#[utoipa::path]` handler is registered, once: the router and the OpenAPI document are
/// one list.
#[test]
fn every_documented_handler_is_routed() {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                if p.is_dir() {
                    count(&p)
                } else {
                    std::fs::read_to_string(&p)
                        .unwrap()
                        .matches("#[utoipa::path(")
                        .count()
                }
            })
            .sum()
    }
    let documented = count(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let routed = nuanxin_web::api_routes();
    assert!(documented > 40, "{documented}");
    assert_eq!(routed.len(), documented, "{routed:?}");
}

#[test]
fn the_router_is_read_whole() {
    let routes = routes();
    for expected in [
        ("GET", "/api/v1/orgs/{code}"),
        ("PATCH", "/api/v1/orgs/{code}"),
        (
            "DELETE",
            "/api/v1/accounts/{username}/assignments/{org_code}",
        ),
        ("POST", "/orgs/{code}/dissolve"),
        ("GET", "/readyz"),
    ] {
        assert!(
            routes
                .iter()
                .any(|(m, p)| m == expected.0 && p == expected.1),
            "{expected:?} in {routes:?}"
        );
    }
}
