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
