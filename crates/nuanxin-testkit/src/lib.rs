//! Test kit: `TestApp` with a throwaway database on either backend, an HTTP client that keeps
//! the session cookie and CSRF token, and `both_backends!`, which writes one test per backend.
//! SQLite tests use a temporary file (WAL and locking are real). PostgreSQL tests run when
//! `NUANXIN_TEST_DATABASE_URL` names a server: each test gets a database copied from a template
//! migrated once, dropped afterwards; leftovers of dead test processes are swept by name.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a step that fails fails the test, with its message"
)]

mod browser;
mod client;
mod db;
pub mod sheets;

pub use browser::Browser;
pub use client::{Client, Resp};
pub use db::TestDb;

/// A valid 18-character ID number (GB 11643) from its first 17 digits.
pub fn id_with_check(body17: &str) -> String {
    nuanxin_core::members::identity::ResidentId::with_check(body17)
}

use nuanxin_core::clock::Clock;
use nuanxin_core::members::id_vault::IdVault;
use nuanxin_core::members::sms::DevSms;
use nuanxin_core::Store;
use nuanxin_web::{AppState, WebConfig};
use std::sync::Arc;

/// 2026-11-23 08:00 Beijing time, the fixed "now" of every test.
pub const TEST_NOW: i64 = 1_795_392_000_000;

pub struct TestApp {
    pub store: Store,
    pub clock: Clock,
    /// The development SMS sender: tests read the codes it "sent".
    pub sms: Arc<DevSms>,
    pub vault: IdVault,
    pub router: axum::Router,
    pub db: TestDb,
    /// The folder this test's photos are kept in.
    pub uploads: Option<std::path::PathBuf>,
}

impl TestApp {
    async fn on(db: TestDb) -> TestApp {
        TestApp::on_with(db, WebConfig::default()).await
    }

    async fn on_with(db: TestDb, mut config: WebConfig) -> TestApp {
        // Photos go to a folder of this test's own, removed with the database.
        let uploads = config.uploads.get_or_insert_with(|| {
            std::env::temp_dir().join(format!("nuanxin-uploads-{}", nuanxin_core::new_id()))
        });
        let uploads = Some(uploads.clone());
        let store = Store::open(&db.url).await.expect("open test database");
        let clock = Clock::fixed(TEST_NOW);
        let sms = Arc::new(DevSms::default());
        let vault = IdVault::development();
        let state = AppState::new(
            store.clone(),
            clock.clone(),
            config,
            vault.clone(),
            sms.clone(),
        );
        let router = nuanxin_web::router(state);
        TestApp {
            uploads,
            store,
            clock,
            sms,
            vault,
            router,
            db,
        }
    }

    pub async fn sqlite() -> TestApp {
        TestApp::on(TestDb::sqlite().await).await
    }

    /// On SQLite with web settings of the test's own (tile server, boundaries, limits).
    pub async fn sqlite_with(config: WebConfig) -> TestApp {
        TestApp::on_with(TestDb::sqlite().await, config).await
    }

    /// `None` (and a notice on stderr) when `NUANXIN_TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<TestApp> {
        Some(TestApp::on(TestDb::postgres().await?).await)
    }

    /// On PostgreSQL with web settings of the test's own; `None` as [`TestApp::postgres`].
    pub async fn postgres_with(config: WebConfig) -> Option<TestApp> {
        Some(TestApp::on_with(TestDb::postgres().await?, config).await)
    }

    /// Loads the Liaocheng demo (org tree and demo accounts).
    pub async fn load_demo(&self) {
        nuanxin_core::demo::load(&self.store, &self.clock)
            .await
            .expect("demo loads");
    }

    /// A client that is not signed in.
    pub fn anonymous(&self) -> Client {
        Client::new(self.router.clone())
    }

    /// A client signed in through `POST /api/v1/session`.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let mut c = self.anonymous();
        let r = c.login(username, password).await;
        assert_eq!(r.status, 200, "login of {username} failed: {}", r.text());
        c
    }

    /// A demo account, signed in.
    pub async fn demo_user(&self, username: &str) -> Client {
        self.login(username, nuanxin_core::demo::PASSWORD).await
    }

    /// Counts rows with a raw query, for tests that compare with the product's own figures.
    pub async fn count(&self, sql: &str) -> i64 {
        let mut tx = self.store.read().await.unwrap();
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)
            .unwrap()
    }

    /// One text value with a raw query (a membership number, a code).
    pub async fn text(&self, sql: &str) -> String {
        let mut tx = self.store.read().await.unwrap();
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar::<_, String>(sql).fetch_one(c).await)
            .unwrap()
    }

    pub async fn finish(self) {
        self.store.close().await;
        self.db.drop_database().await;
        if let Some(dir) = &self.uploads {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// Writes `mod NAME { sqlite, postgres }` tests from one body taking `app: TestApp`.
#[macro_export]
macro_rules! both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block )*) => { $(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::TestApp::sqlite().await;
                $body
                $app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::TestApp::postgres().await else { return };
                $body
                $app.finish().await;
            }
        }
    )* };
}

/// A phone's photo of `w`×`h` pixels as JPEG, whose EXIF says "turn 90°" and carries a GPS-like
/// marker (`GPSLatitude36.4567`): what a worker's camera sends.
pub fn phone_photo(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let mut exif = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
    exif.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0]);
    exif.extend_from_slice(b"GPSLatitude36.4567");
    let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new(&mut out);
    enc.set_exif_metadata(exif).unwrap();
    enc.write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}
