//! What crosses the wire: Secure cookies and HSTS whenever the site is served over HTTPS, and a
//! language switch that only ever sends the browser back to this site.

use nuanxin_testkit::TestApp;
use nuanxin_web::WebConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_cookies_are_secure_and_browsers_are_told_to_stay() {
    for (config, https) in [
        (WebConfig::default(), false),
        (
            WebConfig {
                public_url: "https://union.example.cn".into(),
                ..Default::default()
            },
            true,
        ),
        (
            WebConfig {
                secure_cookies: true,
                ..Default::default()
            },
            true,
        ),
    ] {
        let app = TestApp::sqlite_with(config).await;
        app.load_demo().await;
        let mut c = app.anonymous();
        let page = c.get("/login").await;
        let csrf = page
            .text()
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .map(|s| s.split('"').next().unwrap().to_string());
        let mut fields = vec![
            ("username", "gulou"),
            ("password", nuanxin_core::demo::PASSWORD),
        ];
        if let Some(t) = &csrf {
            fields.push(("_csrf", t));
        }
        let r = c.post_form("/login", &fields, false).await;
        let cookies: Vec<String> = r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(!cookies.is_empty(), "{}", r.text());
        assert!(
            cookies.iter().all(|c| c.contains("; Secure") == https),
            "https={https}: {cookies:?}"
        );
        assert_eq!(
            page.headers.contains_key("strict-transport-security"),
            https,
            "https={https}"
        );
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_never_sends_anyone_to_another_site() {
    let app = TestApp::sqlite().await;
    let mut c = app.anonymous();
    for (next, to) in [
        ("/orgs", "/orgs"),
        ("/%09/evil.example", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example", "/"),
        ("/%0a/evil.example", "/"),
    ] {
        let r = c.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(r.location(), Some(to), "{next}");
    }
    app.finish().await;
}

/// A request to the router as a browser on a weak network sends it.
async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_travel_compressed_under_versioned_urls_cached_for_a_year() {
    let app = TestApp::sqlite().await;
    let (_, _, page) = fetch(&app, "/login", &[]).await;
    let page = String::from_utf8(page).unwrap();
    let css = page
        .split("href=\"")
        .find(|s| s.starts_with("/assets/app.css?v="))
        .expect("a versioned stylesheet URL")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let echarts = nuanxin_web::asset_url("vendor/echarts/echarts.min.js");
    let (status, headers, plain) = fetch(&app, &echarts, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(headers.get("content-encoding").is_none());
    let etag = headers["etag"].to_str().unwrap().to_string();
    // gzip and brotli, as the browser accepts; gzip decompresses to the same bytes.
    let (_, gz_headers, gz) = fetch(&app, &echarts, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz_headers["content-encoding"], "gzip");
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gz.as_slice()),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, plain);
    let (_, br_headers, br) = fetch(&app, &echarts, &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(br_headers["content-encoding"], "br");
    assert!(
        br.len() * 2 < plain.len(),
        "ECharts {} bytes, {} with brotli",
        plain.len(),
        br.len()
    );
    // Pages are compressed too.
    let (_, page_headers, _) = fetch(&app, "/login", &[("accept-encoding", "gzip")]).await;
    assert_eq!(page_headers["content-encoding"], "gzip");
    // A revalidation costs a 304; an old hash is sent on to the current one, never served.
    let (status, _, body) = fetch(&app, &css, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200, "another asset's tag does not match");
    assert!(!body.is_empty());
    let (_, css_headers, _) = fetch(&app, &css, &[]).await;
    let css_tag = css_headers["etag"].to_str().unwrap().to_string();
    let (status, _, body) = fetch(&app, &css, &[("if-none-match", &css_tag)]).await;
    assert_eq!((status.as_u16(), body.len()), (304, 0));
    let (status, headers, _) = fetch(&app, "/assets/app.css?v=0000000000", &[]).await;
    assert_eq!(
        (status.as_u16(), headers["location"].to_str().unwrap()),
        (307, css.as_str())
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_and_metrics_count_requests_by_route() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let (status, headers, body) = fetch(&app, "/readyz", &[]).await;
    assert_eq!((status.as_u16(), body.as_slice()), (200, b"ok".as_slice()));
    assert_eq!(
        headers["x-request-id"].to_str().unwrap().len(),
        36,
        "every answer names its request"
    );
    let mut cadre = app.demo_user("gulou").await;
    cadre.get("/orgs/F371502001").await;
    cadre.get("/orgs/F371502002").await; // out of scope: 404
    let (status, headers, body) = fetch(&app, "/metrics", &[]).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = String::from_utf8(body).unwrap();
    let value = |line_start: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .unwrap_or_else(|| panic!("{line_start} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    // By the route as matched, never the URL (no code, ID or name of anyone).
    assert_eq!(
        value("nuanxin_http_requests_total{method=\"GET\",route=\"/orgs/{code}\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        value("nuanxin_http_requests_total{method=\"GET\",route=\"/orgs/{code}\",status=\"404\"}"),
        1.0
    );
    assert!(!text.contains("F371502001"), "{text}");
    assert!(value("nuanxin_http_request_duration_seconds_count{route=\"/orgs/{code}\"}") >= 2.0);
    assert_eq!(value("nuanxin_join_queue_depth"), 0.0);
    assert!(value("nuanxin_sqlite_write_transactions_total") >= 1.0);
    assert!(text.contains("nuanxin_sqlite_write_wait_seconds_total") && text.ends_with("# EOF\n"));
    // With the database gone the server is not ready (it still lives).
    app.store.close().await;
    let (status, _, _) = fetch(&app, "/readyz", &[]).await;
    assert_eq!(status, 503);
    let (status, _, _) = fetch(&app, "/healthz", &[]).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_kept_for_a_token() {
    let app = TestApp::sqlite_with(WebConfig {
        metrics_token: "s3cret".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(fetch(&app, "/metrics", &[]).await.0, 401);
    assert_eq!(
        fetch(&app, "/metrics", &[("authorization", "Bearer wrong")])
            .await
            .0,
        401
    );
    assert_eq!(
        fetch(&app, "/metrics", &[("authorization", "Bearer s3cret")])
            .await
            .0,
        200
    );
    app.finish().await;
}
