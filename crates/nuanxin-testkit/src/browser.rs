//! Headless Chromium for end-to-end tests, driven through chromedriver (WebDriver) by
//! `fantoccini`, against the app served on a loopback port. Without chromedriver the browser
//! tests report themselves skipped, unless `NUANXIN_E2E=1` makes them mandatory (CI).

use crate::TestApp;
use fantoccini::{Client, ClientBuilder};
// chromedriver listens on loopback: plain HTTP, no TLS stack.
use hyper_util::client::legacy::connect::HttpConnector;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    server: tokio::task::JoinHandle<()>,
    _profile: PathGuard,
}

struct PathGuard(std::path::PathBuf);

impl Drop for PathGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

impl Browser {
    /// Serves `app` on a free loopback port and opens a headless Chromium window of the given
    /// size. `None` when no browser is installed and `NUANXIN_E2E` is not set.
    pub async fn open(app: &TestApp, width: u32, height: u32) -> Option<Browser> {
        let mandatory = std::env::var("NUANXIN_E2E").is_ok_and(|v| v == "1");
        let Some(driver_path) = chromedriver() else {
            assert!(!mandatory, "NUANXIN_E2E=1 but chromedriver is not installed (apt-get install chromium chromium-driver)");
            let _ = writeln!(std::io::stderr(), "note: browser tests skipped: install chromium and chromium-driver, or set NUANXIN_E2E=1 to require them");
            return None;
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app.router.clone();
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile =
            std::env::temp_dir().join(format!("nuanxin-chrome-{}-{port}", std::process::id()));
        // Chromium's windows are at least 500 px wide: narrower (phone) sizes are emulated.
        let mobile = if width < 500 {
            serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "touch": true}})
        } else {
            serde_json::Value::Null
        };
        let mut caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", format!("--window-size={width},{height}"),
                         format!("--user-data-dir={}", profile.display()), "--lang=zh-CN"]
            }
        }))
        .unwrap();
        if !mobile.is_null() {
            caps["goog:chromeOptions"]["mobileEmulation"] = mobile;
        }
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("connect to chromedriver");
        Some(Browser {
            client,
            base: format!("http://{addr}"),
            driver,
            server,
            _profile: PathGuard(profile),
        })
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Saves a screenshot under `target/screenshots/NAME.png` for people to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        self.server.abort();
    }
}
