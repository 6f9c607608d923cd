//! Stored text never becomes markup: hostile names of stations and units reach every page that
//! shows them escaped (as text in HTML, as `\u003c` escapes in embedded JSON), and the content
//! security policy forbids inline script, so that a slip could still not run.

use nuanxin_testkit::{Client, TestApp};
use nuanxin_web::{TileConfig, WebConfig};
use serde_json::json;

/// A name that ends a script block, opens a tag with a handler, and breaks out of an attribute.
const HOSTILE: &str = "</script><script>window.__pwned=1</script><img src=x onerror=alert(1)>\"'><svg onload=alert(2)>";

/// What must never appear in a page: any of the markup the hostile name carries.
fn assert_inert(path: &str, body: &str) {
    for raw in [
        "<script>window.__pwned",
        "<img src=x",
        "<svg onload",
        "</script><script>",
    ] {
        assert!(!body.contains(raw), "{path} shows stored markup {raw:?}");
    }
}

fn tiles() -> WebConfig {
    WebConfig {
        tiles: TileConfig {
            url: "https://tiles.example.cn/{z}/{x}/{y}.png".into(),
            gcj02: true,
            attribution: String::new(),
        },
        ..WebConfig::default()
    }
}

async fn hostile_names_are_inert_everywhere(app: TestApp) {
    app.load_demo().await;
    let mut county = app.demo_user("dongchangfu").await;
    let r = county
        .post_json(
            "/api/v1/orgs",
            json!({"code": "JUXSS1", "name": HOSTILE, "parent_code": "F371502001", "type": "joint_union",
                   "region_code": "371502001"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = county
        .post_json(
            "/api/v1/stations",
            json!({"name": HOSTILE, "type": "骑手之家", "lat": "36.4560", "lng": "115.9825", "address": HOSTILE,
                   "hours": "每天 8:00-20:00", "amenities": "饮水", "keeper": "王芳", "phone": "0635-8123456",
                   "org_code": "JUXSS1"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let station = r.json()["id"].as_str().unwrap().to_string();
    // The public page finds it once the index has followed the change log.
    let mut anyone = app.anonymous();
    let nearby = "/stations/nearby?lat=36.4561&lng=115.9826&mode=walk";
    let mut page = String::new();
    for _ in 0..50 {
        page = anyone.get(nearby).await.text();
        if page.contains("id=\"map-data\"") && page.contains("\\u003c/script\\u003e") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        page.contains("\\u003c/script\\u003e"),
        "the map data carries the name, escaped: {page}"
    );
    assert_inert(nearby, &page);
    for path in [
        "/stations".to_string(),
        format!("/stations/{station}"),
        "/orgs/JUXSS1".to_string(),
        "/orgs/F371502001".to_string(),
        "/orgs?q=script".to_string(),
        "/dashboard".to_string(),
        "/dashboard?org=F371502001".to_string(),
        "/audit".to_string(),
    ] {
        let r = county.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_inert(&path, &r.text());
    }
    // The circle analysis shows the station on its map too.
    let b = "NUANXINBOUNDARY";
    let mut body = String::new();
    for (k, v) in [
        ("org", "F371502001"),
        ("mode", "walk"),
        ("minutes", "15"),
        ("k", "1"),
    ] {
        body += &format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n");
    }
    body += &format!("--{b}\r\nContent-Disposition: form-data; name=\"demand\"; filename=\"d.csv\"\r\nContent-Type: text/csv\r\n\r\n名称,经度,纬度,坐标系,权重\n光岳楼,115.9826,36.4561,,5\n\r\n--{b}--\r\n");
    let ct = format!("multipart/form-data; boundary={b}");
    let r = county
        .send(
            axum::http::Method::POST,
            "/stations/circle",
            Some((&ct, body.into_bytes())),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("\\u003c/script\\u003e"), "{}", r.text());
    assert_inert("/stations/circle", &r.text());
    // JSON answers carry the name as a JSON string, never sniffed as HTML.
    let r = anyone
        .get("/api/v1/stations/nearest?lat=36.4561&lng=115.9826&mode=walk")
        .await;
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_inert_everywhere_on_sqlite() {
    hostile_names_are_inert_everywhere(TestApp::sqlite_with(tiles()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_inert_everywhere_on_postgres() {
    if let Some(app) = TestApp::postgres_with(tiles()).await {
        hostile_names_are_inert_everywhere(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_may_run_inline_script() {
    let app = TestApp::sqlite_with(tiles()).await;
    app.load_demo().await;
    let mut cadre: Client = app.demo_user("gulou").await;
    let code = cadre
        .post_json(
            "/api/v1/orgs/JU371502001/join-codes",
            json!({"channel": "qr"}),
        )
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let join = format!("/j/{code}");
    for path in [
        "/login",
        "/stations/nearby",
        "/me/login",
        "/dashboard",
        "/orgs",
        join.as_str(),
    ] {
        let r = cadre.get(path).await;
        let csp = r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap_or_else(|| panic!("{path}: no script-src in {csp}"));
        // Files of our own, and the join page's live checks by their hash: nothing else inline.
        let sources: Vec<&str> = script_src.split_whitespace().skip(1).collect();
        assert_eq!(sources[0], "'self'", "{path}: {script_src}");
        assert!(
            sources[1..].iter().all(|s| s.starts_with("'sha256-")),
            "{path}: {script_src}"
        );
        let body = r.text();
        for inline in [
            " onsubmit=",
            " onclick=",
            " onload=",
            " onchange=",
            "javascript:",
        ] {
            assert!(
                !body.contains(inline),
                "{path} carries an inline handler {inline:?}"
            );
        }
        // Every inline script is one the policy names by its hash (else the browser blocks it).
        for script in body.split("<script>").skip(1) {
            let text = script.split("</script>").next().unwrap();
            use base64::Engine;
            use sha2::Digest;
            let hash = base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha256::digest(text.as_bytes()));
            assert!(
                csp.contains(&format!("'sha256-{hash}'")),
                "{path}: an inline script the policy does not allow"
            );
        }
        assert_eq!(
            body.matches("<script>").count(),
            usize::from(path == join),
            "{path}"
        );
    }
    app.finish().await;
}
