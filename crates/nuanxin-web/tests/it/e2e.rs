//! End-to-end in headless Chromium: sign in, browse and edit the org tree, switch language, on a
//! desktop and a phone. Screenshots land in target/screenshots/ for people to look at.

use fantoccini::Locator;
use nuanxin_testkit::{Browser, TestApp};

/// Types into a field, retrying while the page is still being replaced.
async fn fill(b: &Browser, id: &str, value: &str) {
    for _ in 0..150 {
        if let Ok(e) = b.client.find(Locator::Id(id)).await {
            if e.send_keys(value).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("cannot type into #{id}");
}

async fn sign_in(b: &Browser, username: &str) {
    b.goto("/login").await;
    fill(b, "username", username).await;
    fill(b, "password", nuanxin_core::demo::PASSWORD).await;
    click(b, "button[type=submit]").await;
}

/// Clicks the element `css` finds.
async fn click(b: &Browser, css: &str) {
    let e = b.client.find(Locator::Css(css)).await.unwrap();
    e.click().await.unwrap();
}

/// The text of an element, waiting for it to appear.
async fn text(b: &Browser, css: &str) -> String {
    for _ in 0..150 {
        if let Ok(e) = b.client.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                return t;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no element {css} at {}", b.path().await);
}

/// Waits until an element's text contains `needle` (a form posted: the old page may still be
/// showing the element), and returns the text.
async fn text_with(b: &Browser, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(e) = b.client.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{css} never said {needle:?}: {last:?} at {}",
        b.path().await
    );
}

/// A member signs in on `/me/login` with the SMS code sent to `phone`.
async fn member_signs_in(b: &Browser, app: &TestApp, phone: &str) {
    b.goto("/me/login").await;
    fill(b, "phone", phone).await;
    let before = app.sms.last_message(phone);
    click(b, "button[value=sms]").await;
    let mut sms = None;
    for _ in 0..100 {
        // Only a message sent after the click: an earlier code is used up.
        if app.sms.last_message(phone) != before {
            sms = app.sms.last_code(phone);
        }
        if sms.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    fill(b, "sms_code", &sms.expect("a code")).await;
    click(b, "button[value=login]").await;
    wait_for_path(b, "/me").await;
}

/// How many pixels the page scrolls sideways (0 when it fits the window).
async fn sideways_px(b: &Browser) -> i64 {
    b.client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap_or(0)
}

/// Waits until the browser shows `path` (with any query string).
async fn wait_for_path(b: &Browser, path: &str) {
    for _ in 0..400 {
        let at = b.path().await;
        if at == path || at.starts_with(&format!("{path}?")) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {path}, at {}", b.path().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_cadre_browses_searches_creates_edits_moves_and_dissolves_units() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 1440, 900).await else {
        return app.finish().await;
    };
    sign_in(&b, "liaocheng").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/orgs/F3715").await;
    assert_eq!(text(&b, "h1").await, "聊城市总工会");
    b.screenshot("desktop-unit-zh").await;

    // Live search (htmx) in the list.
    b.goto("/orgs").await;
    b.client
        .find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("古楼")
        .await
        .unwrap();
    let mut found = false;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if text(&b, "#org-results")
            .await
            .contains("古楼街道灵活就业人员联合工会")
            && !text(&b, "#org-results").await.contains("柳园")
        {
            found = true;
            break;
        }
    }
    assert!(found, "live search shows the matching units only");
    b.screenshot("desktop-list-zh").await;

    // Create a unit under a township with the region picker.
    b.goto("/orgs/new?parent=F371502001").await;
    b.client
        .find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys("E2E-1")
        .await
        .unwrap();
    b.client
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("古楼街道网约车司机联合工会")
        .await
        .unwrap();
    let village = b
        .client
        .find(Locator::Css(".picker-levels select"))
        .await
        .unwrap();
    village.select_by_index(1).await.unwrap();
    let mut picked = String::new();
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        picked = b
            .client
            .find(Locator::Id("region_code"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        if picked.len() == 12 {
            break;
        }
    }
    assert!(
        picked.starts_with("371502001") && picked.len() == 12,
        "the picker fills the region code: {picked}"
    );
    b.screenshot("desktop-form-zh").await;
    click(&b, "form.form button.primary").await;
    wait_for_path(&b, "/orgs/E2E-1").await;
    assert_eq!(text(&b, "h1").await, "古楼街道网约车司机联合工会");

    // Edit with a bad phone number: the field error shows, then fix it.
    b.goto("/orgs/E2E-1/edit").await;
    b.client
        .find(Locator::Id("contact_phone"))
        .await
        .unwrap()
        .send_keys("12345")
        .await
        .unwrap();
    click(&b, "form.form button.primary").await;
    assert!(text(&b, ".field-error").await.contains("电话号码不正确"));
    let phone = b.client.find(Locator::Id("contact_phone")).await.unwrap();
    phone.clear().await.unwrap();
    phone.send_keys("0635-8888888").await.unwrap();
    click(&b, "form.form button.primary").await;
    wait_for_path(&b, "/orgs/E2E-1").await;
    assert!(text(&b, "dl.facts").await.contains("0635-8888888"));

    // Move under the county's holding pool, then dissolve with confirmation.
    b.goto("/orgs/E2E-1/move").await;
    b.client
        .find(Locator::Id("parent_code"))
        .await
        .unwrap()
        .send_keys("HP371502")
        .await
        .unwrap();
    click(&b, "form.form button.primary").await;
    wait_for_path(&b, "/orgs/E2E-1").await;
    assert!(text(&b, ".crumbs").await.contains("周转库"));
    b.goto("/orgs/E2E-1/dissolve").await;
    b.screenshot("desktop-dissolve-zh").await;
    click(&b, "button.danger").await;
    wait_for_path(&b, "/orgs/E2E-1").await;
    assert!(text(&b, ".page-head").await.contains("已撤销"));

    // Switch to English and back.
    b.client
        .find(Locator::Id("lang-en"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&b, "/orgs/E2E-1").await;
    assert!(text(&b, ".page-head").await.contains("Dissolved"));
    assert!(text(&b, "nav.mainnav").await.contains("Org network"));
    b.goto("/orgs/F3715").await;
    b.screenshot("desktop-unit-en").await;
    b.goto("/orgs/JU371502001/join-code").await;
    assert!(text(&b, "#join-url").await.contains("/j/"));
    b.screenshot("desktop-join-code-en").await;
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_township_cadre_on_a_phone_sees_only_their_township() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    b.goto("/orgs").await;
    wait_for_path(&b, "/login").await;
    b.screenshot("phone-login-zh").await;
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/orgs/F371502001").await;
    b.goto("/orgs/F371502001").await;
    assert_eq!(text(&b, "h1").await, "东昌府区古楼街道总工会");
    b.screenshot("phone-unit-zh").await;
    b.goto("/orgs/F371502002").await;
    assert!(text(&b, "body").await.contains("404"));
    b.goto("/orgs/new?parent=F371502001").await;
    b.screenshot("phone-form-zh").await;
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rider_joins_on_a_phone_and_gets_the_e_card_once_approved() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let code = cadre
        .post_json("/api/v1/orgs/JU371502001/join-codes", serde_json::json!({}))
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    b.goto(&format!("/j/{code}")).await;
    assert!(text(&b, "header")
        .await
        .contains("古楼街道灵活就业人员联合工会"));
    fill(&b, "name", "买买提•艾力").await;
    // A mistyped ID number is flagged as soon as the field is left, before any submit.
    fill(&b, "id_number", "371502199001011235").await;
    b.client
        .find(Locator::Id("phone"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text(&b, "#id_number-live").await.contains("校验位"));
    b.screenshot("phone-join-live-check-zh").await;
    b.client
        .find(Locator::Id("id_number"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&b, "id_number", "371502199001011234").await;
    assert_eq!(text(&b, "#id_number-live").await, "", "corrected as typed");
    fill(&b, "phone", "138 0635 1234").await;
    click(&b, "button[value=sms]").await;
    let mut sms = None;
    for _ in 0..50 {
        sms = app.sms.last_code("13806351234");
        if sms.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sms = sms.expect("the dev SMS sender got the code");
    fill(&b, "sms_code", &sms).await;
    b.client
        .find(Locator::Id("group"))
        .await
        .unwrap()
        .select_by_value("delivery_rider")
        .await
        .unwrap();
    fill(&b, "employer", "美团外卖").await;
    click(&b, "input[name=consent]").await;
    b.screenshot("phone-join-zh").await;
    click(&b, "button[value=join]").await;
    wait_for_path(&b, "/me").await;
    assert!(text(&b, "main").await.contains("待审核"));
    // A cadre approves in a second session; the worker reloads and sees the e-card.
    let id = cadre.get("/api/v1/members?status=pending").await.json()["items"][0]["id"].clone();
    assert_eq!(
        cadre.get("/api/v1/members?status=pending").await.json()["items"][0]["name"],
        "买买提·艾力"
    );
    cadre
        .post_json(
            "/api/v1/members/decisions",
            serde_json::json!({"ids": [id], "decision": "approve"}),
        )
        .await;
    b.goto("/me").await;
    assert_eq!(text(&b, "#member-no").await.len(), 16);
    b.screenshot("phone-ecard-zh").await;
    b.close().await;
    app.finish().await;
}

/// Runs axe-core (from `node_modules`, installed by `npm ci`) on the current page and returns
/// the serious and critical violations as `rule: target` lines.
async fn axe_violations(b: &Browser) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/axe-core/axe.min.js");
    let Ok(axe) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var("NUANXIN_E2E").is_err(),
            "run `npm ci` first: {} is missing",
            path.display()
        );
        return Vec::new();
    };
    b.client.execute(&axe, vec![]).await.unwrap();
    let version = b
        .client
        .execute("return axe.version", vec![])
        .await
        .unwrap();
    assert!(
        version.as_str().is_some_and(|v| v.starts_with('4')),
        "axe-core did not load: {version}"
    );
    let result = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(result).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_and_cadre_pages_have_no_serious_accessibility_violations() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let code = cadre
        .post_json("/api/v1/orgs/JU371502001/join-codes", serde_json::json!({}))
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    // A request and a second one naming the same ID number from another phone (kept to verify).
    for (phone, key) in [("13806351234", "a11y-1"), ("13900000666", "a11y-2")] {
        let mut w = app.anonymous();
        app.clock.advance(61_000);
        w.post_json(
            &format!("/api/v1/join/{code}/sms"),
            serde_json::json!({"phone": phone}),
        )
        .await;
        let sms = app.sms.last_code(phone).unwrap();
        let r = w
            .post_json(
                &format!("/api/v1/join/{code}"),
                serde_json::json!({"name": "张三", "id_number": "371502199001011234", "phone": phone,
                    "group": "delivery_rider", "consent": true, "request_key": key, "sms_code": sms}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let mut found = Vec::new();
    nuanxin_core::demo::load_stations(&app.store, &app.clock)
        .await
        .expect("demo stations load");
    for path in [
        format!("/j/{code}"),
        "/me/login".to_string(),
        format!("/help?code={code}"),
        "/login".to_string(),
        "/stations/nearby".to_string(),
        "/stations/nearby?lat=36.456&lng=115.985&mode=ebike".to_string(),
        "/showcase/F371502001".to_string(),
    ] {
        b.goto(&path).await;
        found.extend(
            axe_violations(&b)
                .await
                .into_iter()
                .map(|v| format!("{path} {v}")),
        );
    }
    // The join page with every field in error.
    b.goto(&format!("/j/{code}")).await;
    click(&b, "button[value=join]").await;
    text(&b, ".err").await;
    found.extend(
        axe_violations(&b)
            .await
            .into_iter()
            .map(|v| format!("join page with errors: {v}")),
    );
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/orgs/F371502001").await;
    for path in [
        "/orgs/F371502001",
        "/orgs",
        "/members?status=all",
        "/members?status=pending",
        "/orgs/JU371502001/join-code",
        "/orgs/new?parent=F371502001",
        "/stations",
        "/stations/new",
        "/stations/circle",
        "/cases",
        "/cases/new",
        "/labour-checks",
        "/labour-checks/new",
        "/aid",
        "/aid/plans/new",
        "/aid/claims",
        "/care",
        "/care/new",
        "/care/import",
        "/hardship",
        "/hardship/new",
        "/notices",
        "/notices/new",
        "/honours",
        "/library",
        "/competitions",
        "/offers",
        "/grid",
        "/grid/reporters",
        "/grid/setup",
        "/contracts",
        "/contracts/new",
        "/contracts/coverage",
        "/social-orgs",
        "/social-orgs/allowance",
        "/friendly",
        "/projects",
        "/services/report",
    ] {
        b.goto(path).await;
        b.screenshot(&format!(
            "phone-{}",
            path.trim_start_matches('/').replace(['/', '?', '='], "-")
        ))
        .await;
        found.extend(
            axe_violations(&b)
                .await
                .into_iter()
                .map(|v| format!("{path} {v}")),
        );
    }
    b.close().await;
    app.finish().await;
    assert!(
        found.is_empty(),
        "serious or critical axe-core violations:\n{}",
        found.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_cadre_lands_on_the_dashboard_drills_down_and_exports() {
    // Squares standing in for the townships' boundaries, so the choropleth draws.
    let features: Vec<serde_json::Value> = (1..=5)
        .map(|i| {
            let (x, y) = (115.90 + 0.05 * f64::from(i), 36.40);
            serde_json::json!({"type": "Feature", "properties": {"code": format!("37150200{i}")},
                "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + 0.05, y], [x + 0.05, y + 0.05], [x, y + 0.05], [x, y]]]}})
        })
        .collect();
    let boundaries = nuanxin_web::RegionBoundaries::parse(
        &serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let app = TestApp::sqlite_with(nuanxin_web::WebConfig {
        boundaries: Some(std::sync::Arc::new(boundaries)),
        ..nuanxin_web::WebConfig::default()
    })
    .await;
    app.load_demo().await;
    nuanxin_core::demo::load_census(&app.store, &app.clock)
        .await
        .expect("demo census loads");
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    assert_eq!(text(&b, "h1").await, "东昌府区总工会");
    // Targets come first: the district's share of the city's target, split to townships.
    let targets = text(&b, "#targets").await;
    assert!(
        targets.contains("新发展会员") && targets.contains("入会率"),
        "{targets}"
    );
    // The figures equal the report's (which the integration tests compare with direct counts).
    let caller = nuanxin_core::accounts::Caller::operator(&app.clock);
    let period =
        nuanxin_core::coverage::Period::or_this_year(None, None, app.clock.today()).unwrap();
    let report = nuanxin_core::coverage::coverage(
        &mut app.store.read().await.unwrap(),
        &caller.scope,
        "F371502",
        period,
    )
    .await
    .unwrap();
    assert_eq!(
        text(&b, "#kpi-members").await,
        report.members_total.to_string()
    );
    assert!(report.enterprises_surveyed >= 60);
    let rate = text(&b, "#kpi-unionisation-rate").await;
    assert_eq!(
        rate,
        format!("{:.1}%", report.unionisation_rate.unwrap() * 100.0)
    );
    // The charts draw (ECharts renders SVG into the containers).
    let mut drawn = false;
    for _ in 0..50 {
        if b.client
            .find(Locator::Css("#chart-trend svg"))
            .await
            .is_ok()
            && b.client
                .find(Locator::Css("#chart-ranking svg"))
                .await
                .is_ok()
            && b.client
                .find(Locator::Css("#chart-map svg path"))
                .await
                .is_ok()
        {
            drawn = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(drawn, "the charts and the choropleth are drawn");
    b.screenshot("desktop-dashboard-zh").await;
    let map = b.client.find(Locator::Id("map-card")).await.unwrap();
    map.click().await.ok();
    b.client
        .execute(
            "document.getElementById('map-card').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    b.screenshot("desktop-dashboard-map-zh").await;

    // Drill down to a township: its own dashboard.
    let link = b
        .client
        .find(Locator::XPath(
            "//a[contains(@class,'drill') and contains(., '古楼街道')]",
        ))
        .await
        .unwrap();
    link.click().await.unwrap();
    let mut h1 = String::new();
    for _ in 0..50 {
        h1 = text(&b, "h1").await;
        if h1.contains("古楼街道") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(h1.contains("古楼街道"), "{h1}");
    assert!(b.path().await.starts_with("/dashboard?org=F371502001"));
    // …and on to the list behind a figure: the township's enterprises without a union.
    b.goto("/census?org=F371502001&status=not_unionised").await;
    let list = text(&b, "#census-results").await;
    assert!(list.contains("建议"), "{list}");
    b.screenshot("desktop-census-zh").await;

    // The statistics sheet: the export link answers an xlsx whose totals equal the report's.
    let href = b
        .client
        .find(Locator::Id("census-export"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(href.starts_with("/census/export.xlsx"));
    b.goto("/dashboard?org=F371502").await;
    let export = b
        .client
        .find(Locator::Id("export-statistics"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let mut cadre = app.demo_user("dongchangfu").await;
    let r = cadre.get(&export).await;
    assert_eq!(r.status, 200);
    let sheet = r.sheet("信息统计表");
    let total_row = sheet
        .rows()
        .find(|row| row.first().map(|c| c.to_string()) == Some("合计".into()))
        .expect("a total row");
    assert_eq!(total_row[1].to_string(), report.members_total.to_string());
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'coverage.export'")
            .await
            >= 1,
        "exports are audited"
    );

    // The phone layout of the dashboard, in English.
    b.goto("/lang/en?next=/dashboard").await;
    b.client.set_window_size(390, 844).await.unwrap();
    assert_eq!(
        text(&b, "#kpi-members").await,
        report.members_total.to_string()
    );
    b.screenshot("phone-dashboard-en").await;
    b.close().await;
    app.finish().await;
}

/// Overrides the browser's geolocation with a fixed position, as a phone would report it.
async fn mock_location(b: &Browser, lat: f64, lng: f64) {
    b.client
        .execute(
            &format!("navigator.geolocation.getCurrentPosition = function (ok) {{ ok({{ coords: {{ latitude: {lat}, longitude: {lng}, accuracy: 10 }} }}); }};"),
            vec![],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rider_finds_the_nearest_stations_on_a_phone_and_a_keeper_logs_a_visit() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    nuanxin_core::demo::load_stations(&app.store, &app.clock)
        .await
        .expect("demo stations load");
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    // A rider, not signed in, shares the location: the nearest stations, list first.
    b.goto("/stations/nearby").await;
    b.screenshot("phone-nearby-start-zh").await;
    mock_location(&b, 36.4567, 115.9850).await;
    b.client
        .find(Locator::Id("locate"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut names = Vec::new();
    for _ in 0..50 {
        if b.path().await.contains("lat=36.456700") {
            names = b
                .client
                .find_all(Locator::Css("#results article h2"))
                .await
                .unwrap();
            if !names.is_empty() {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(names.len(), 10, "ten nearest stations listed");
    assert_eq!(names[0].text().await.unwrap(), "光岳楼交警岗亭驿站");
    let first = text(&b, "#results article").await;
    assert!(first.contains("m") && first.contains("约"), "{first}");
    let nav = b
        .client
        .find(Locator::Css("#results article .go a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        nav.starts_with("https://uri.amap.com/navigation?to="),
        "{nav}"
    );
    b.screenshot("phone-nearby-zh").await;
    // By e-bike the same stations are fewer minutes away.
    b.client
        .find(Locator::XPath(
            "//nav[@class='modes']/a[contains(., '电动车')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&b, "/stations/nearby").await;
    for _ in 0..50 {
        if b.path().await.contains("mode=ebike") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(b.path().await.contains("mode=ebike"));
    // In English.
    let here = b.path().await;
    b.goto(&format!(
        "/lang/en?next={}",
        here.replace('&', "%26").replace('?', "%3F")
    ))
    .await;
    let title = text(&b, "h1").await;
    assert_eq!(title, "Nearby stations");
    b.screenshot("phone-nearby-en").await;
    // Without a location: search by township name.
    b.goto("/lang/zh-CN?next=/stations/nearby").await;
    b.goto("/stations/nearby?region=古楼街道").await;
    let listed = text(&b, "#results").await;
    assert!(listed.contains("古楼街道骑手之家"), "{listed}");
    assert!(
        !listed.contains("柳园街道快递员之家"),
        "only the township's stations"
    );

    // The keeper at the township logs a service in two taps.
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/stations").await;
    let list = text(&b, "#stations-results").await;
    assert!(list.contains("共 3 个驿站"), "{list}");
    b.screenshot("phone-stations-zh").await;
    b.client
        .find(Locator::LinkText("古楼街道骑手之家"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text(&b, "#log-visit").await;
    b.client
        .find(Locator::Id("v-count"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&b, "v-count", "2").await;
    click(&b, "#log-visit button[value=hot_meal]").await;
    let visits = text(&b, "#visits").await;
    assert!(visits.contains("热饭"), "{visits}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM station_visits WHERE service = 'hot_meal' AND headcount = 2"
        )
        .await,
        1
    );
    b.screenshot("phone-station-zh").await;
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_records_a_station_with_errors_first_then_analyses_the_circle() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    nuanxin_core::demo::load_stations(&app.store, &app.clock)
        .await
        .expect("demo stations load");
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/stations").await;
    b.screenshot("desktop-stations-zh").await;
    b.goto("/stations/new").await;
    fill(&b, "f-name", "湖西换电站骑手驿站").await;
    fill(&b, "f-address", "湖西街道建设路换电站").await;
    fill(&b, "f-lat", "36.4444").await;
    fill(&b, "f-lng", "115.9588").await;
    fill(&b, "f-hours", "看心情").await;
    click(&b, "#station-form button[type=submit]").await;
    let err = text(&b, "#e-hours").await;
    assert!(err.contains("开放时间"), "{err}");
    b.screenshot("desktop-station-form-error-zh").await;
    let hours = b.client.find(Locator::Id("f-hours")).await.unwrap();
    hours.clear().await.unwrap();
    hours
        .send_keys("周一至周五 8:00-20:00；周六 9:00-17:00")
        .await
        .unwrap();
    click(&b, "#station-form button[type=submit]").await;
    let h1 = text(&b, "h1").await;
    assert_eq!(h1, "湖西换电站骑手驿站");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stations WHERE name = '湖西换电站骑手驿站'")
            .await,
        1
    );
    b.screenshot("desktop-station-zh").await;

    // The circle: a demand file uploaded, the share and suggested sites shown.
    let dir = std::env::temp_dir().join(format!("nuanxin-circle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let demand = dir.join("demand.csv");
    std::fs::write(
        &demand,
        "名称,经度,纬度,坐标系,权重\n光岳楼,115.9850,36.4567,,5\n远郊物流园,116.1000,36.5200,,3\n远郊物流园二号,116.1005,36.5203,,2\n坏行,abc,36.1,,1\n",
    )
    .unwrap();
    b.goto("/stations/circle").await;
    b.client
        .find(Locator::Id("c-demand"))
        .await
        .unwrap()
        .send_keys(demand.to_str().unwrap())
        .await
        .unwrap();
    click(&b, "#circle-form button[value=html]").await;
    let share = text(&b, "#circle-share").await;
    assert_eq!(share, "50.0%", "5 of 10 weight near 光岳楼");
    let sites = text(&b, "#sites").await;
    assert!(
        sites.contains("100.0%"),
        "one suggested site covers the rest: {sites}"
    );
    let rejected = text(&b, "#rejected").await;
    assert!(
        rejected.contains('5') && rejected.contains("经度"),
        "{rejected}"
    );
    b.screenshot("desktop-circle-zh").await;
    let _ = std::fs::remove_dir_all(&dir);
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_scrolls_sideways_on_a_phone() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    nuanxin_core::demo::load_census(&app.store, &app.clock)
        .await
        .expect("demo census loads");
    nuanxin_core::demo::load_stations(&app.store, &app.clock)
        .await
        .expect("demo stations load");
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    let mut wide = Vec::new();
    for path in [
        "/dashboard",
        "/targets",
        "/census",
        "/stations",
        "/stations/new",
        "/stations/circle",
        "/stations/nearby?lat=36.456&lng=115.985",
        "/orgs",
        "/members",
        "/labour-checks",
        "/labour-checks/new?uscc=91371502MA31000006",
        "/aid",
        "/aid/plans/new",
        "/aid/claims?status=all",
    ] {
        b.goto(path).await;
        text(&b, "h1").await;
        // The main nav scrolls by itself; the page must not.
        let overflow = b
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        let px = overflow.as_i64().unwrap_or(0);
        if px > 0 {
            wide.push(format!("{path}: {px} px"));
        }
    }
    b.close().await;
    app.finish().await;
    assert!(wide.is_empty(), "pages wider than the phone: {wide:?}");
}

/// A station named like a script, on the public map with tiles configured: the page's own
/// scripts draw the map under the content security policy, the popup shows the name as text,
/// and nothing of the name runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_named_like_a_script_is_shown_as_text_on_the_map() {
    let app = TestApp::sqlite_with(nuanxin_web::WebConfig {
        tiles: nuanxin_web::TileConfig {
            url: "http://127.0.0.1:9/{z}/{x}/{y}.png".into(),
            gcj02: true,
            attribution: String::new(),
        },
        ..Default::default()
    })
    .await;
    app.load_demo().await;
    let hostile =
        "</script><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
    let mut county = app.demo_user("dongchangfu").await;
    let r = county
        .post_json(
            "/api/v1/stations",
            serde_json::json!({"name": hostile, "type": "骑手之家", "lat": "36.4560", "lng": "115.9825",
                "address": "东昌府区某路1号", "hours": "每天 8:00-20:00", "amenities": "饮水", "keeper": "王芳",
                "phone": "0635-8123456", "org_code": "JU371502001"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let mut anyone = app.anonymous();
    for _ in 0..50 {
        let found = anyone
            .get("/api/v1/stations/nearest?lat=36.4561&lng=115.9826&mode=walk")
            .await
            .json();
        if found["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    b.goto("/stations/nearby?lat=36.4561&lng=115.9826&mode=walk")
        .await;
    // Leaflet (a vendored file) drew the map and its markers: external scripts run.
    let mut markers = Vec::new();
    for _ in 0..50 {
        markers = b
            .client
            .find_all(Locator::Css("#nearby-map path.leaflet-interactive"))
            .await
            .unwrap();
        if !markers.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!markers.is_empty(), "the map draws its markers");
    b.client
        .execute(
            "document.querySelector('#nearby-map path.leaflet-interactive').dispatchEvent(new MouseEvent('click', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    let mut popup = serde_json::Value::Null;
    for _ in 0..50 {
        popup = b
            .client
            .execute(
                "var p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : null;",
                vec![],
            )
            .await
            .unwrap();
        if popup.as_str().is_some_and(|p| !p.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        popup,
        serde_json::json!(hostile),
        "the popup shows the name as text"
    );
    let pwned = b
        .client
        .execute("return window.__pwned === undefined;", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, serde_json::json!(true), "nothing of the name ran");
    let img = b
        .client
        .find_all(Locator::Css("#nearby-map img[src=x]"))
        .await
        .unwrap();
    assert!(img.is_empty(), "no element was made of the name");
    b.screenshot("phone-nearby-hostile-name-zh").await;
    b.close().await;
    app.finish().await;
}

/// The one import page every sheet shares, in a real browser: a cadre downloads nothing, picks a
/// stations CSV with one bad row, checks it (dry run) and reads the report by row and column; in
/// English the same page speaks English. Nothing is written by the dry run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_checks_a_sheet_on_the_shared_import_page() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    let dir = std::env::temp_dir().join(format!("nuanxin-e2e-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stations.csv");
    std::fs::write(
        &file,
        "名称,类型,经度,纬度,坐标系,地址,开放时间,设施,管理员,电话,所属工会编码\n\
         古楼街道骑手之家,骑手之家,115.9855,36.4565,GCJ02,东关街12号,周一至周五 8:00-20:00,饮水、充电,王芳,13806351234,JU371502001\n\
         坏坐标驿站,骑手之家,200,36.4565,GCJ02,东关街13号,全天,饮水,,,JU371502001\n",
    )
    .unwrap();
    let before = app.count("SELECT COUNT(*) FROM stations").await;
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    for (lang, heading, rejected) in [
        ("zh", "试运行结果（未写入）", "1 行有问题"),
        ("en", "Dry run result (nothing written)", "1 rejected"),
    ] {
        if lang == "en" {
            b.goto("/lang/en?next=/stations/import").await;
        }
        b.goto("/stations/import").await;
        let input = b.client.find(Locator::Id("file")).await.unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
        click(&b, "form.form button[type=submit]").await;
        let report = text(&b, "#import-report").await;
        assert!(
            report.contains(heading) && report.contains(rejected),
            "{report}"
        );
        let bad_row = text(&b, "#import-report tbody tr td.num").await;
        assert_eq!(bad_row, "3", "{report}");
        assert!(
            report.contains("经度"),
            "the column as the file names it: {report}"
        );
        b.screenshot(&format!("desktop-import-report-{lang}")).await;
    }
    b.client.set_window_size(390, 844).await.unwrap();
    b.screenshot("phone-import-report-en").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM stations").await, before);
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_corrects_a_members_record_from_its_page() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    // A rider who joined and was approved.
    let mut cadre = app.demo_user("gulou").await;
    let id = approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "赵骑手",
        "37150219900101123",
        "13806350099",
    )
    .await;
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto(&format!("/members/{id}")).await;
    click(&b, ".page-head .actions a.button").await;
    text(&b, "#correct-form").await;
    // A mistake first: the form comes back with the field marked, nothing saved.
    let work = b.client.find(Locator::Id("f-work_region")).await.unwrap();
    work.clear().await.unwrap();
    work.send_keys("12ab").await.unwrap();
    click(&b, "#correct-form button[type=submit]").await;
    let error = text(&b, "#e-work_region").await;
    assert!(error.contains("区划代码"), "{error}");
    b.screenshot("desktop-member-correct-error-zh").await;
    let work = b.client.find(Locator::Id("f-work_region")).await.unwrap();
    work.clear().await.unwrap();
    work.send_keys("371502002").await.unwrap();
    let employer = b.client.find(Locator::Id("f-employer")).await.unwrap();
    employer.clear().await.unwrap();
    employer.send_keys("顺丰速运").await.unwrap();
    click(&b, "#correct-form button[type=submit]").await;
    let done = text(&b, "p.alert.ok").await;
    assert!(done.contains("已更正"), "{done}");
    assert!(text(&b, "dl.facts").await.contains("顺丰速运"));
    b.screenshot("desktop-member-corrected-zh").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'members.correct'")
            .await,
        1
    );
    // The same form in English, on a phone.
    b.goto(&format!("/lang/en?next=/members/{id}/correct"))
        .await;
    b.goto(&format!("/members/{id}/correct")).await;
    b.client.set_window_size(390, 844).await.unwrap();
    let heading = text(&b, "h1").await;
    assert_eq!(heading, "Correct a member's record");
    b.screenshot("phone-member-correct-en").await;
    b.close().await;
    app.finish().await;
}

/// A rider who joined at `org` and was approved by `cadre`: the membership id.
async fn approved_member(
    app: &TestApp,
    cadre: &mut nuanxin_testkit::Client,
    org: &str,
    name: &str,
    id_body17: &str,
    phone: &str,
) -> uuid::Uuid {
    let code = cadre.join_code(org).await;
    let target = nuanxin_core::members::resolve_code(&mut app.store.read().await.unwrap(), &code)
        .await
        .unwrap();
    let input = nuanxin_core::members::JoinInput {
        name: name.into(),
        id_number: nuanxin_testkit::id_with_check(id_body17),
        phone: phone.into(),
        group: "delivery_rider".into(),
        consent: true,
        ..Default::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let draft = nuanxin_core::members::JoinDraft::parse(&input, today).unwrap();
    let ctx = nuanxin_core::members::JoinContext::consented(
        nuanxin_core::members::Channel::Qr,
        "test",
        nuanxin_testkit::TEST_NOW,
        today,
    );
    let joined = nuanxin_core::members::join(&app.store, &app.vault, &target, &draft, &ctx)
        .await
        .unwrap();
    let r = cadre
        .post_json(
            "/api/v1/members/decisions",
            serde_json::json!({"ids": [joined.membership_id], "decision": "approve"}),
        )
        .await;
    assert_eq!(r.json()["decided"], 1, "{}", r.text());
    joined.membership_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_records_a_leave_and_a_worker_leaves_from_their_phone() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    let mut cadre = app.demo_user("gulou").await;
    let leaver = approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "钱退会",
        "37150219900101123",
        "13806350101",
    )
    .await;
    let keeper = approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "孙保留",
        "37150219910101123",
        "13806350102",
    )
    .await;
    approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "周骑手",
        "37150219920101123",
        "13806350103",
    )
    .await;

    // The cadre records a leave from the member's page; a missing reason is said first.
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto(&format!("/members/{leaver}")).await;
    click(&b, "a[href$='kind=leave']").await;
    text(&b, "#end-form").await;
    b.screenshot("desktop-member-end-zh").await;
    click(&b, "#end-form button[type=submit]").await;
    let error = text(&b, "#e-reason").await;
    assert!(error.contains("原因"), "{error}");
    fill(&b, "f-reason", "本人申请退会").await;
    click(&b, "#end-form button[type=submit]").await;
    let done = text(&b, "p.alert.ok").await;
    assert!(done.contains("已办理退会"), "{done}");
    let history = text(&b, "#history").await;
    assert!(
        history.contains("退会") && history.contains("本人申请退会"),
        "{history}"
    );
    assert!(text(&b, ".page-head").await.contains("已退会"));
    b.screenshot("desktop-member-left-zh").await;

    // In English on a phone: a membership retained.
    b.goto(&format!("/lang/en?next=/members/{keeper}")).await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.goto(&format!("/members/{keeper}/end?kind=retain")).await;
    assert_eq!(text(&b, "h1").await, "End a membership");
    fill(&b, "f-reason", "Lost the job").await;
    b.screenshot("phone-member-retain-en").await;
    click(&b, "#end-form button[type=submit]").await;
    let history = text(&b, "#history").await;
    assert!(
        history.contains("Membership retained") && history.contains("Lost the job"),
        "{history}"
    );
    b.screenshot("phone-member-retained-en").await;

    // A worker signs in on the phone and leaves from their own page (the browser still holds
    // the cadre's session: the member's form acts for the member only).
    b.goto("/me/login").await;
    fill(&b, "phone", "13806350103").await;
    click(&b, "button[value=sms]").await;
    text(&b, "#sms_code").await;
    let code = app.sms.last_code("13806350103").expect("a code was sent");
    fill(&b, "sms_code", &code).await;
    click(&b, "button[value=login]").await;
    wait_for_path(&b, "/me").await;
    click(&b, "#leave summary").await;
    fill(&b, "f-reason", "I moved away").await;
    click(&b, "#leave button.danger").await;
    // Not ticked: said, nothing done.
    let error = text(&b, "#e-confirm").await;
    assert!(error.contains("tick"), "{error}");
    b.screenshot("phone-me-leave-error-en").await;
    click(&b, "#leave input[name=confirm]").await;
    click(&b, "#leave button.danger").await;
    wait_for_path(&b, "/me").await;
    let done = text(&b, "p.ok").await;
    assert!(done.contains("You have left"), "{done}");
    assert!(text(&b, "#history").await.contains("Left"));
    b.screenshot("phone-me-left-en").await;
    let left = app
        .count("SELECT COUNT(*) FROM memberships WHERE status = 'left'")
        .await;
    assert_eq!(left, 2, "the cadre's and the worker's");
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_asks_to_move_from_their_phone_and_the_old_union_lets_go() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    let mut cadre = app.demo_user("gulou").await;
    approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "吴骑手",
        "37150219930101123",
        "13806350104",
    )
    .await;
    // The worker signs in on the phone and asks to move to Liuyuan's joint union.
    b.goto("/me/login").await;
    fill(&b, "phone", "13806350104").await;
    click(&b, "button[value=sms]").await;
    text(&b, "#sms_code").await;
    let code = app.sms.last_code("13806350104").expect("a code was sent");
    fill(&b, "sms_code", &code).await;
    click(&b, "button[value=login]").await;
    wait_for_path(&b, "/me").await;
    click(&b, "#transfer summary").await;
    click(&b, "#transfer button.primary").await;
    let error = text(&b, "#e-to_org").await;
    assert!(error.contains("工会"), "{error}");
    let select = b.client.find(Locator::Id("f-to_org")).await.unwrap();
    select.select_by_value("JU371502002").await.unwrap();
    fill(&b, "f-transfer-reason", "换到柳园的站点").await;
    b.screenshot("phone-me-transfer-zh").await;
    click(&b, "#transfer button.primary").await;
    wait_for_path(&b, "/me").await;
    assert!(text(&b, "p.ok").await.contains("转会申请已提交"));
    assert!(text(&b, "#transfers").await.contains("待接收"));
    b.screenshot("phone-me-transfer-sent-zh").await;

    // The old union sees it on a desktop and lets the member go (a new window: a headless
    // window does not grow past the size it opened with).
    b.close().await;
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/transfers").await;
    let row = text(&b, "#transfers tbody tr").await;
    assert!(
        row.contains("吴骑手") && row.contains("换到柳园的站点"),
        "{row}"
    );
    b.screenshot("desktop-transfers-zh").await;
    click(&b, "#transfers form[action$='/accept'] button").await;
    let done = text(&b, "p.alert.ok").await;
    assert!(done.contains("已同意"), "{done}");
    assert!(text(&b, "#transfers tbody").await.contains("原工会已放行"));
    // In English, on a phone.
    b.goto("/lang/en?next=/transfers?status=all").await;
    b.client.set_window_size(390, 844).await.unwrap();
    assert_eq!(text(&b, "h1").await, "Transfers");
    // One block per transfer on a phone: neither the page nor the table scrolls sideways.
    let wide = b
        .client
        .execute(
            "const w = document.querySelector('#transfers .table-wrap'); return Math.max(w.scrollWidth - w.clientWidth, document.documentElement.scrollWidth - document.documentElement.clientWidth);",
            vec![],
        )
        .await
        .unwrap();
    assert!(wide.as_i64().unwrap_or(0) <= 0, "{wide} px sideways");
    b.screenshot("phone-transfers-en").await;
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_logs_a_visit_on_a_phone_and_cannot_open_the_member_register() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    let mut cadre = app.demo_user("gulou").await;
    let r = cadre.post_json("/api/v1/stations", serde_json::json!({"name": "古楼骑手之家", "type": "骑手之家",
        "lat": "36.45", "lng": "115.98", "address": "古楼街道柳园路 1 号", "hours": "每天 8:00-20:00",
        "amenities": "饮水,充电", "org_code": "F371502001"})).await;
    let station = r.json()["id"].as_str().unwrap().to_string();
    let r = cadre
        .post_json(
            "/api/v1/accounts",
            serde_json::json!({"username": "keeper-wang", "password": "pass-word-1",
        "org_code": "F371502001", "role": "keeper", "station": station}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    b.goto("/login").await;
    fill(&b, "username", "keeper-wang").await;
    fill(&b, "password", "pass-word-1").await;
    click(&b, "button[type=submit]").await;
    wait_for_path(&b, &format!("/stations/{station}")).await;
    assert_eq!(text(&b, ".mainnav").await.trim(), "我的驿站");
    click(&b, "#log-visit button[value=water]").await;
    let done = text(&b, "p.alert.ok").await;
    assert!(done.contains("已登记"), "{done}");
    assert!(text(&b, "#visits tbody").await.contains("饮水"));
    b.screenshot("phone-keeper-station-zh").await;
    b.goto("/members").await;
    assert_eq!(text(&b, ".status-code").await, "404");
    b.screenshot("phone-keeper-members-404-zh").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM station_visits WHERE recorded_by = 'keeper-wang'")
            .await,
        1
    );
    b.close().await;
    app.finish().await;
}

/// A county federation holds a routing event from its page; a rider joins through its code and
/// lands in their township's joint union; at the desk the cadre scans the rider's e-card number
/// and hands out one cooling pack, and a second scan says it was already received. On a desktop,
/// then on a phone and in English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_federation_holds_a_routing_event_and_the_desk_hands_out_once() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/orgs/F371502/events").await;
    fill(&b, "name", "东昌府区骑手集中入会").await;
    fill(&b, "handout", "清凉包").await;
    click(&b, "#routes").await;
    b.screenshot("event-new-routing-zh").await;
    click(&b, "form.form button[type=submit]").await;
    for _ in 0..100 {
        if b.path().await.starts_with("/events/") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let event_path = b.path().await;
    assert!(text(&b, ".page-head").await.contains("分流入会"));
    let url = text(&b, ".qr-card .mono").await;
    let code = url.rsplit('/').next().unwrap().to_string();
    // A rider joins through the event's code (their own phone: a plain client here).
    let mut w = app.anonymous();
    let phone = "13806359901";
    w.post_form(
        &format!("/j/{code}"),
        &[("action", "sms"), ("phone", phone)],
        false,
    )
    .await;
    let sms = app.sms.last_code(phone).expect("a code was sent");
    let id = nuanxin_testkit::id_with_check("37150219950505123");
    let r = w
        .post_form(
            &format!("/j/{code}"),
            &[
                ("action", "join"),
                ("request_key", "e2e-routing"),
                ("name", "周骑手"),
                ("id_number", &id),
                ("phone", phone),
                ("sms_code", &sms),
                ("group", "delivery_rider"),
                ("employer", "美团外卖"),
                ("work_region", "371502001"),
                ("consent", "1"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let member_no: String = {
        let mut tx = app.store.read().await.unwrap();
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT member_no FROM memberships WHERE channel = 'event'").fetch_one(c).await).unwrap()
    };
    b.goto(&event_path).await;
    assert!(text(&b, "main")
        .await
        .contains("古楼街道灵活就业人员联合工会"));
    fill(&b, "who", &format!("NUANXIN-MEMBER:{member_no}")).await;
    click(&b, "#check-in button[type=submit]").await;
    assert!(text(&b, "#check-in-result")
        .await
        .contains("已发放清凉包：周骑手"));
    fill(&b, "who", &id).await;
    click(&b, "#check-in button[type=submit]").await;
    assert!(text(&b, "#check-in-result").await.contains("不能重复发放"));
    assert_eq!(text(&b, "#handed-out").await, "1");
    b.screenshot("event-desk-zh").await;
    b.close().await;

    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto(&format!("/lang/en?next={event_path}")).await;
    assert!(text(&b, "#attendance").await.contains("Attendance"));
    let overflow = b
        .client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "the event page scrolls sideways"
    );
    b.screenshot("phone-event-desk-en").await;
    b.close().await;
    app.finish().await;
}

/// A rider asks the union for help from /me on a phone, with a photo of a pay slip that the
/// phone shrinks before sending; the township's cadre finds the case in the queue on a desktop,
/// moves it to mediation and assigns it to the legal-aid station's lawyer; the lawyer, who sees
/// only this case, looks at the photo, records a hearing and closes it with the amount
/// recovered; the rider is told. Then the lawyer's queue in English on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rider_asks_for_help_and_a_cadre_handles_the_case_to_closure() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let r = cadre.post_json("/api/v1/stations", serde_json::json!({"name": "古楼街道法律援助工作站", "type": "legal_aid_station",
        "lat": "36.45", "lng": "115.98", "address": "古楼街道柳园路 2 号", "hours": "周一至周五 9:00-17:00", "amenities": "饮水",
        "keeper": "刘律师", "phone": "0635-8123457", "org_code": "F371502001"})).await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = cadre.post_json("/api/v1/accounts", serde_json::json!({"username": "lawyer-liu", "display_name": "刘律师",
        "password": nuanxin_core::demo::PASSWORD, "org_code": "F371502001", "role": "lawyer", "station": r.json()["id"]})).await;
    assert!(r.status.is_success(), "{}", r.text());
    let slip = std::env::temp_dir().join(format!("nuanxin-e2e-slip-{}.jpg", std::process::id()));
    std::fs::write(&slip, nuanxin_testkit::phone_photo(3200, 2000)).unwrap();
    approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "孙骑手",
        "37150219930303123",
        "13806358801",
    )
    .await;
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    // The rider signs in by SMS and asks for help.
    member_signs_in(&b, &app, "13806358801").await;
    click(&b, "#help summary").await;
    b.client
        .find(Locator::Id("f-help-kind"))
        .await
        .unwrap()
        .select_by_value("wages")
        .await
        .unwrap();
    fill(&b, "f-help-employer", "某配送站").await;
    fill(&b, "f-help-claimed", "4500").await;
    fill(&b, "f-help-summary", "两个月工资未发，站长失联").await;
    b.client
        .find(Locator::Id("f-help-photos"))
        .await
        .unwrap()
        .send_keys(slip.to_str().unwrap())
        .await
        .unwrap();
    // The phone shrinks the photo to at most 1600 px, as JPEG, before it is sent.
    let mut shrunk = serde_json::Value::Null;
    for _ in 0..100 {
        shrunk = b.client.execute("var i = document.getElementById('f-help-photos'); return i.dataset.shrunk ? [i.files.length, i.files[0].size, i.files[0].type] : null;", vec![]).await.unwrap();
        if !shrunk.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(shrunk[0], 1, "{shrunk}");
    assert_eq!(shrunk[2], "image/jpeg", "{shrunk}");
    assert!(
        shrunk[1].as_u64().unwrap() < std::fs::metadata(&slip).unwrap().len(),
        "{shrunk}"
    );
    b.screenshot("phone-me-help-zh").await;
    click(&b, "#help button.primary").await;
    wait_for_path(&b, "/me").await;
    text_with(&b, "#cases", "欠薪").await;
    b.screenshot("phone-me-case-zh").await;
    b.close().await;

    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/cases").await;
    text_with(&b, "#cases tbody", "孙骑手").await;
    b.screenshot("desktop-cases-zh").await;
    click(&b, "#cases tbody a").await;
    text(&b, "#timeline").await;
    b.client
        .find(Locator::Id("s-stage"))
        .await
        .unwrap()
        .select_by_value("mediation")
        .await
        .unwrap();
    b.client
        .find(Locator::Id("s-lawyer"))
        .await
        .unwrap()
        .select_by_value("lawyer-liu")
        .await
        .unwrap();
    click(&b, "#case-step button.primary").await;
    text_with(&b, "#case-status", "调解").await;
    text_with(&b, "#handler", "刘律师").await;
    let photos = b
        .client
        .find_all(Locator::Css("#photos img"))
        .await
        .unwrap();
    assert_eq!(photos.len(), 1, "the rider's photo is on the case");
    b.screenshot("desktop-case-lawyer-zh").await;
    b.close().await;
    std::fs::remove_file(&slip).ok();

    // The lawyer signs in: their cases only, the photo shown, the case worked to its end.
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "lawyer-liu").await;
    wait_for_path(&b, "/cases").await;
    text_with(&b, "#cases tbody", "孙骑手").await;
    assert_eq!(
        b.client
            .find_all(Locator::Css("#cases tbody tr"))
            .await
            .unwrap()
            .len(),
        1
    );
    click(&b, "#cases tbody a").await;
    text(&b, "#timeline").await;
    let mut loaded = serde_json::Value::Null;
    for _ in 0..50 {
        loaded = b.client.execute("var i = document.querySelector('#photos img'); return i && i.complete ? i.naturalWidth : null;", vec![]).await.unwrap();
        if loaded.as_u64().is_some_and(|w| w > 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(loaded, 1000, "the photo, upright and shrunk, shows");
    b.client
        .execute(
            "document.getElementById('photos').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    b.screenshot("desktop-case-photos-lawyer-zh").await;
    assert!(
        b.client.find(Locator::Id("case-hand-up")).await.is_err(),
        "a lawyer does not hand cases up"
    );
    b.client
        .find(Locator::Id("e-kind"))
        .await
        .unwrap()
        .select_by_value("hearing")
        .await
        .unwrap();
    b.client
        .execute(
            "document.getElementById('e-on').value = '2026-11-25';",
            vec![],
        )
        .await
        .unwrap();
    fill(&b, "e-text", "街道调解室").await;
    click(&b, "#case-entry button").await;
    text_with(&b, "#timeline", "开庭").await;
    b.client
        .find(Locator::Id("c-outcome"))
        .await
        .unwrap()
        .select_by_value("mediated")
        .await
        .unwrap();
    fill(&b, "c-recovered", "4500").await;
    // The closing asks for confirmation first (the page's own dialog): accept it.
    b.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();
    click(&b, "#case-close button.primary").await;
    text_with(&b, "#case-status", "已结案").await;
    assert_eq!(text_with(&b, "#recovered", "¥").await, "¥4,500.00");
    b.screenshot("desktop-case-closed-zh").await;
    assert!(app
        .sms
        .last_message("13806358801")
        .unwrap()
        .contains("已结案"));
    // The lawyer's queue in English on a phone.
    b.goto("/lang/en?next=/cases?status=all").await;
    b.client.set_window_size(390, 844).await.unwrap();
    assert_eq!(text(&b, "h1").await, "Rights cases");
    let wide = sideways_px(&b).await;
    assert!(wide <= 0, "{wide} px sideways");
    b.screenshot("phone-cases-en").await;
    b.close().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_enrols_riders_a_rider_claims_from_the_phone_and_the_township_pays() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "钱骑手",
        "37150219940404123",
        "13806358811",
    )
    .await;
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    // The county defines a plan (a missing benefit first), previews and enrols 古楼's riders.
    sign_in(&b, "dongchangfu").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/aid/plans/new").await;
    assert_eq!(
        b.client
            .find(Locator::Id("f-org_code"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("F371502"),
        "the union defaults to the cadre's own"
    );
    fill(&b, "f-name", "骑手专项意外伤害互助保障").await;
    b.client
        .find(Locator::Id("f-kind"))
        .await
        .unwrap()
        .select_by_value("accident")
        .await
        .unwrap();
    fill(&b, "f-premium", "30").await;
    click(&b, "#plan-new button.primary").await;
    text_with(&b, "#e-benefits", "至少填写一项").await;
    fill(&b, "b-hospital", "5000").await;
    fill(&b, "b-death", "100000").await;
    b.screenshot("desktop-aid-plan-new-zh").await;
    click(&b, "#plan-new button.primary").await;
    fill(&b, "n-org", "F371502001").await;
    click(&b, "#enrol-preview").await;
    text_with(&b, "#enrol-report", "本次参保 1 人").await;
    b.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();
    click(&b, "#enrol-confirm").await;
    text_with(&b, "#enrol-report", "参保完成").await;
    text_with(&b, "#enrolments", "钱骑手").await;
    b.screenshot("desktop-aid-plan-zh").await;
    b.close().await;

    // The rider sees the badge and files a claim from the phone.
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    member_signs_in(&b, &app, "13806358811").await;
    assert_eq!(text(&b, "#aid-badge").await, "互助保障");
    click(&b, "#claim summary").await;
    b.client
        .find(Locator::Id("f-claim-event"))
        .await
        .unwrap()
        .select_by_value("hospital")
        .await
        .unwrap();
    b.client
        .execute(
            "document.getElementById('f-claim-on').value = '2026-11-23';",
            vec![],
        )
        .await
        .unwrap();
    fill(&b, "f-claim-amount", "3200").await;
    fill(&b, "f-claim-summary", "送餐途中摔伤住院三天").await;
    b.screenshot("phone-me-claim-zh").await;
    click(&b, "#claim button.primary").await;
    wait_for_path(&b, "/me").await;
    text_with(&b, "#aid", "已登记").await;
    b.screenshot("phone-me-aid-zh").await;
    b.close().await;

    // The township reviews it to payment; the rider is told at each step.
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/aid/claims").await;
    text_with(&b, "#claims tbody", "钱骑手").await;
    click(&b, "#claims tbody a").await;
    click(&b, "#d-check").await;
    text_with(&b, "#claim-status", "已初审").await;
    click(&b, "#d-approve").await;
    text_with(&b, "#claim-status", "已核准").await;
    assert_eq!(text_with(&b, "#approved", "¥").await, "¥3,200.00");
    b.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();
    click(&b, "#d-pay").await;
    text_with(&b, "#claim-status", "已赔付").await;
    b.screenshot("desktop-aid-claim-paid-zh").await;
    assert!(app
        .sms
        .last_message("13806358811")
        .unwrap()
        .contains("已赔付 3,200.00 元"));
    // The queue in English on a phone, no sideways scroll.
    b.goto("/lang/en?next=/aid/claims?status=all").await;
    b.client.set_window_size(390, 844).await.unwrap();
    assert_eq!(text(&b, "h1").await, "Claims");
    let wide = sideways_px(&b).await;
    assert!(wide <= 0, "{wide} px sideways");
    b.screenshot("phone-aid-claims-en").await;
    b.close().await;
    app.finish().await;
}

/// A township cadre on a phone creates a 送清凉 activity at a riders' station (an error first);
/// the station's keeper opens it from the station's page and records three riders as a scanner
/// gun types their e-cards (the code and Enter), and the fourth scan, a repeat, is refused with
/// when and by whom they received; then the page in English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_scans_three_e_cards_into_a_handout_and_a_repeat_is_refused() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let r = cadre.post_json("/api/v1/stations", serde_json::json!({"name": "古楼骑手之家", "type": "rider_home", "lat": "36.45",
        "lng": "115.98", "address": "古楼街道柳园路 1 号", "hours": "每天 8:00-20:00", "amenities": "饮水",
        "keeper": "王芳", "phone": "0635-8123456", "org_code": "F371502001"})).await;
    assert!(r.status.is_success(), "{}", r.text());
    let station = r.json()["id"].as_str().unwrap().to_string();
    let r = cadre
        .post_json(
            "/api/v1/accounts",
            serde_json::json!({"username": "keeper-wang", "password": nuanxin_core::demo::PASSWORD,
        "org_code": "F371502001", "role": "keeper", "station": station}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let mut nos = Vec::new();
    for (i, name) in ["周骑手", "吴骑手", "郑骑手"].iter().enumerate() {
        let id = approved_member(
            &app,
            &mut cadre,
            "JU371502001",
            name,
            &format!("371502199404{:02}123", i + 1),
            &format!("1380635890{i}"),
        )
        .await;
        let list = cadre
            .get("/api/v1/members?status=active&per_page=100")
            .await
            .json();
        let m = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id.to_string())
            .unwrap()
            .clone();
        nos.push(m["member_no"].as_str().unwrap().to_string());
    }
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/care/new").await;
    fill(&b, "f-name", "夏季送清凉进驿站").await;
    click(&b, "#care-new button.primary").await;
    text_with(&b, "#e-kind", "类型").await;
    b.client
        .find(Locator::Id("f-kind"))
        .await
        .unwrap()
        .select_by_value("summer")
        .await
        .unwrap();
    fill(&b, "f-items", "绿豆汤、藿香正气水").await;
    fill(&b, "f-budget", "500").await;
    fill(&b, "f-unit_cost", "20").await;
    fill(&b, "f-station", &station).await;
    click(&b, "#care-new button.primary").await;
    text(&b, "#scan").await;
    b.close().await;

    // The keeper at the station's door, on a phone.
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    sign_in(&b, "keeper-wang").await;
    wait_for_path(&b, &format!("/stations/{station}")).await;
    text_with(&b, "#station-care", "夏季送清凉进驿站").await;
    click(&b, "#station-care a").await;
    text(&b, "#scan").await;
    for (i, no) in nos.iter().enumerate() {
        // A scanner gun types the e-card's code and Enter.
        fill(&b, "s-member", &format!("NUANXIN-MEMBER:{no}\u{E007}")).await;
        text_with(&b, "#care-members", &(i + 1).to_string()).await;
        text_with(&b, "#care-message", "已登记").await;
    }
    fill(&b, "s-member", &format!("{}\u{E007}", nos[0])).await;
    let refused = text_with(&b, "#care-message", "不能重复领取").await;
    assert!(
        refused.contains("周骑手") && refused.contains("keeper-wang"),
        "{refused}"
    );
    assert_eq!(text(&b, "#care-members").await, "3");
    assert_eq!(text(&b, "#care-spent").await, "¥60.00 / ¥500.00");
    let wide = sideways_px(&b).await;
    assert!(wide <= 0, "{wide} px sideways");
    b.screenshot("phone-care-scan-zh").await;
    let here = b.path().await;
    // The refused scan's page answers the post (/care/{id}/scan): back to the activity's own.
    let here = here
        .split(['?', '#'])
        .next()
        .unwrap()
        .trim_end_matches("/scan")
        .to_string();
    b.goto(&format!("/lang/en?next={here}")).await;
    text_with(&b, "#scan h2", "Scan an e-card").await;
    b.screenshot("phone-care-scan-en").await;
    b.close().await;

    // The township publishes a notice to its members from the console.
    let Some(b) = Browser::open(&app, 1280, 900).await else {
        return app.finish().await;
    };
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/notices/new").await;
    click(&b, "#notice-new button.primary").await;
    text_with(&b, "#e-title", "标题").await;
    fill(&b, "f-title", "冬季送温暖报名开始").await;
    fill(&b, "f-body", "请符合条件的会员\n到古楼骑手之家登记。").await;
    click(&b, "#notice-new button.primary").await;
    assert_eq!(text(&b, "#notice-reads").await, "0");
    let notice_page = b.path().await;
    b.close().await;

    // The first rider reads it on the phone, and sees the handout.
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    member_signs_in(&b, &app, "13806358900").await;
    text_with(&b, "#notices", "冬季送温暖报名开始").await;
    text_with(&b, "#home-links", "附近驿站").await;
    text_with(&b, "#received", "夏季送清凉进驿站").await;
    b.screenshot("phone-me-home-zh").await;
    click(&b, "#notices a").await;
    text_with(&b, "#notice", "到古楼骑手之家登记").await;
    b.screenshot("phone-me-notice-zh").await;
    b.goto("/lang/en?next=/me").await;
    text_with(&b, "#notices h2", "Notices").await;
    text_with(&b, "#received", "夏季送清凉进驿站").await;
    let wide = sideways_px(&b).await;
    assert!(wide <= 0, "{wide} px sideways");
    b.screenshot("phone-me-home-en").await;
    b.close().await;
    let read = cadre
        .get(&format!(
            "/api/v1{}",
            notice_page.split('?').next().unwrap()
        ))
        .await;
    assert_eq!(read.json()["reads"], 1, "{}", read.text());
    app.finish().await;
}

/// A township's cadre opens a hardship file for a member through the form (every problem named
/// first), records assistance and sees the file due for review on the reminder list; in
/// Chinese, then in English.
#[tokio::test]
async fn a_cadre_keeps_a_hardship_file_in_the_browser() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let id = approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "孙困难",
        "37150219850101123",
        "13806358911",
    )
    .await;
    let list = cadre
        .get("/api/v1/members?status=active&per_page=100")
        .await
        .json();
    let no = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id.to_string())
        .unwrap()["member_no"]
        .as_str()
        .unwrap()
        .to_string();
    let Some(b) = Browser::open(&app, 1280, 900).await else {
        return app.finish().await;
    };
    sign_in(&b, "gulou").await;
    wait_for_path(&b, "/dashboard").await;
    b.goto("/hardship").await;
    text_with(&b, "#files", "还没有困难职工档案").await;
    click(&b, ".actions a.primary").await;
    fill(&b, "f-member_no", &no).await;
    fill(&b, "f-household_size", "0").await;
    click(&b, "#hardship-new button.primary").await;
    text_with(&b, "#e-level", "困难类别").await;
    text_with(&b, "#e-causes", "致困原因").await;
    text_with(&b, "#e-household_size", "家庭人口").await;
    b.client
        .find(Locator::Id("f-level"))
        .await
        .unwrap()
        .select_by_value("deep")
        .await
        .unwrap();
    click(&b, "input[name=causes][value=illness]").await;
    fill(&b, "f-household_size", "3").await;
    fill(&b, "f-household_income", "18000").await;
    // A date field takes keys in the browser's locale order: set its value as a picker would.
    b.client
        .execute(
            "document.getElementById('f-review_on').value = '2026-12-10';",
            vec![],
        )
        .await
        .unwrap();
    click(&b, "#hardship-new button.primary").await;
    text_with(&b, "#hardship-message", "档案已建立").await;
    assert!(
        text(&b, "#file-facts").await.contains('*'),
        "the ID number is masked"
    );
    fill(&b, "a-amount", "800").await;
    fill(&b, "a-description", "春节慰问金").await;
    click(&b, "#assist button.primary").await;
    text_with(&b, "#assist-message", "帮扶已记录").await;
    text_with(&b, "#assistance", "春节慰问金").await;
    text_with(&b, "#file-assisted", "800.00").await;
    b.screenshot("desktop-hardship-file-zh").await;
    b.goto("/hardship").await;
    text_with(&b, "#hardship-due", "1").await;
    text_with(&b, "#files", "孙困难").await;
    b.goto("/lang/en?next=/hardship").await;
    text_with(&b, "#hardship-due", "due for review").await;
    text_with(&b, "#files", "Deep hardship").await;
    b.screenshot("desktop-hardship-list-en").await;
    b.close().await;
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'hardship.view'")
            .await
            >= 2
    );
    app.finish().await;
}

/// Waits until the browser's path starts with `prefix`, and returns it.
async fn wait_for_prefix(b: &Browser, prefix: &str) -> String {
    for _ in 0..100 {
        let at = b.path().await;
        if at.starts_with(prefix) {
            return at;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {prefix}…, at {}", b.path().await);
}

/// A rider who is a grid reporter reports a sunken road from a phone (its location mocked): the
/// draft survives a reload, the photo is shrunk on the phone; the community's grid office
/// forwards it to the roads body and resolves it in the browser; the rider sees it resolved, in
/// English too, with the points on /me.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rider_reports_a_hazard_and_the_grid_office_resolves_it() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("gulou").await;
    let body = super::grid::set_up(&app, &mut cadre, "gucheng-grid").await;
    let membership = approved_member(
        &app,
        &mut cadre,
        "JU371502001",
        "钱网格",
        "37150219940404123",
        "13806359901",
    )
    .await;
    let r = cadre
        .post_form(
            &format!("/grid/reporters/{membership}"),
            &[("approve", "1")],
            true,
        )
        .await;
    assert_eq!(r.status, 303);
    let hole = std::env::temp_dir().join(format!("nuanxin-e2e-hole-{}.jpg", std::process::id()));
    std::fs::write(&hole, nuanxin_testkit::phone_photo(3000, 2000)).unwrap();
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    member_signs_in(&b, &app, "13806359901").await;
    click(&b, "#grid-link").await;
    wait_for_path(&b, "/me/grid").await;
    click(&b, "#grid-new").await;
    wait_for_path(&b, "/me/grid/new").await;
    fill(&b, "g-details", "东关大街路面塌陷约一米").await;
    // The connection drops, the page is opened again: the draft is still there.
    b.goto("/me/grid/new").await;
    let kept = b
        .client
        .execute("return document.getElementById('g-details').value;", vec![])
        .await
        .unwrap();
    assert_eq!(kept, "东关大街路面塌陷约一米");
    assert!(text(&b, "#g-draft-note").await.contains("草稿已保存"));
    b.client
        .find(Locator::Id("g-category"))
        .await
        .unwrap()
        .select_by_value("road_hazard")
        .await
        .unwrap();
    mock_location(&b, 36.4560, 115.9830).await;
    click(&b, "#g-locate").await;
    text_with(&b, "#g-located", "已定位").await;
    b.client
        .find(Locator::Id("g-photos"))
        .await
        .unwrap()
        .send_keys(hole.to_str().unwrap())
        .await
        .unwrap();
    let mut shrunk = serde_json::Value::Null;
    for _ in 0..100 {
        shrunk = b.client.execute("var i = document.getElementById('g-photos'); return i.dataset.shrunk ? [i.files.length, i.files[0].type] : null;", vec![]).await.unwrap();
        if !shrunk.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(shrunk, serde_json::json!([1, "image/jpeg"]));
    // The page is opened again: the shrunk photo is in the draft too.
    let mut kept = serde_json::Value::Null;
    for _ in 0..100 {
        kept = b
            .client
            .execute("return localStorage.getItem('grid-draft-photo');", vec![])
            .await
            .unwrap();
        if !kept.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!kept.is_null(), "the photo is kept with the draft");
    b.goto("/me/grid/new").await;
    let restored = b.client.execute("var i = document.getElementById('g-photos'); return [i.files.length, i.files[0] ? i.files[0].type : '', i.dataset.kept || ''];", vec![]).await.unwrap();
    assert_eq!(restored, serde_json::json!([1, "image/jpeg", "1"]));
    text_with(&b, "#g-located", "36.456").await;
    b.screenshot("phone-me-grid-new-zh").await;
    let found = axe_violations(&b).await;
    assert!(found.is_empty(), "{found:?}");
    assert!(
        sideways_px(&b).await <= 0,
        "the report form scrolls sideways"
    );
    click(&b, "#grid-report button.primary").await;
    let page = wait_for_prefix(&b, "/me/grid/0").await;
    text_with(&b, "#grid-sent", "已提交").await;
    let draft = b
        .client
        .execute("return localStorage.getItem('grid-draft');", vec![])
        .await
        .unwrap();
    assert!(draft.is_null(), "the draft is cleared once sent: {draft}");
    let photo = b
        .client
        .execute("return localStorage.getItem('grid-draft-photo');", vec![])
        .await
        .unwrap();
    assert!(photo.is_null(), "and its photo");
    b.screenshot("phone-me-grid-sent-zh").await;
    let id = page
        .trim_start_matches("/me/grid/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    b.close().await;

    // The grid office, on a desktop: forwards to the roads body, then resolves.
    let Some(b) = Browser::open(&app, 1440, 1000).await else {
        return app.finish().await;
    };
    b.goto("/login").await;
    fill(&b, "username", "gucheng-grid").await;
    fill(&b, "password", "pass-word-1").await;
    click(&b, "button[type=submit]").await;
    wait_for_path(&b, "/grid").await;
    text_with(&b, "#reports tbody", "古城社区").await;
    b.screenshot("desktop-grid-office-zh").await;
    click(&b, "#reports tbody a").await;
    wait_for_path(&b, &format!("/grid/{id}")).await;
    b.client
        .find(Locator::Id("s-status"))
        .await
        .unwrap()
        .select_by_value("forwarded")
        .await
        .unwrap();
    b.client
        .find(Locator::Id("s-body"))
        .await
        .unwrap()
        .select_by_value(&body)
        .await
        .unwrap();
    click(&b, "#step button.primary").await;
    text_with(&b, "#report-status", "已转交").await;
    assert!(text(&b, "#report-body").await.contains("公路"));
    b.client
        .find(Locator::Id("s-status"))
        .await
        .unwrap()
        .select_by_value("resolved")
        .await
        .unwrap();
    fill(&b, "s-note", "路面已修复").await;
    click(&b, "#step button.primary").await;
    text_with(&b, "#report-status", "已办结").await;
    assert!(
        text(&b, "#report-photos").await.is_empty(),
        "a photo thumbnail, no text"
    );
    b.screenshot("desktop-grid-report-zh").await;
    b.close().await;
    assert!(app
        .sms
        .last_message("13806359901")
        .unwrap()
        .contains("已处理完毕"));

    // The rider, in English: resolved, with the office's note; points on the home page.
    let Some(b) = Browser::open(&app, 390, 844).await else {
        return app.finish().await;
    };
    app.clock.advance(61_000); // the next SMS code may be sent
    member_signs_in(&b, &app, "13806359901").await;
    b.goto(&format!("/lang/en?next=/me/grid/{id}")).await;
    text_with(&b, "#grid-status", "Resolved").await;
    assert!(text(&b, "#grid-steps").await.contains("路面已修复"));
    assert!(sideways_px(&b).await <= 0);
    b.screenshot("phone-me-grid-resolved-en").await;
    b.goto("/me").await;
    text_with(&b, "#grid-link", "10 pts").await;
    b.close().await;
    app.finish().await;
}
