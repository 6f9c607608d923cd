//! The web console and the JSON API: axum handlers that extract, call `nuanxin-core`, and render
//! an askama page or JSON. No SQL and no business rule lives here. Every page exists in Chinese
//! (default) and English from the catalogues in `locales/`; every asset is served by the binary.

mod assets;
mod auth;
mod error;
mod i18n;
mod imports;
mod layout;
mod metrics;
mod openapi;
mod respond;
mod router;

mod accounts;
mod audit;
mod census;
mod coverage;
mod join;
mod members;
mod orgs;
mod regions;
mod services;
mod session;
mod stations;
mod targets;

pub use assets::url as asset_url;
pub use auth::{CSRF_HEADER, LANG_COOKIE, SESSION_COOKIE};
pub use coverage::boundaries::RegionBoundaries;
pub use i18n::{Catalogue, Lang};
pub use router::{api_routes, router};

use nuanxin_core::clock::Clock;
use nuanxin_core::members::id_vault::IdVault;
use nuanxin_core::members::sms::SmsSender;
use nuanxin_core::members::JoinQueue;
use nuanxin_core::stations::LiveIndex;
use nuanxin_core::Store;
use std::sync::Arc;

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` and send HSTS (serve behind HTTPS); also on whenever `public_url`
    /// is https. Off for plain-HTTP local use.
    pub secure_cookies: bool,
    /// The address workers reach the server at, for the URLs inside join QR codes
    /// (`https://union.example.cn`); empty means the address of the request.
    pub public_url: String,
    /// Map tiles for the station maps; without a URL the pages show lists only.
    pub tiles: TileConfig,
    /// Requests per minute one client address may make to the nearest-station page and API
    /// (0: the default of 600).
    pub nearest_per_minute: u32,
    /// Region boundaries for the dashboard's choropleth (`--region-boundaries FILE`).
    pub boundaries: Option<Arc<RegionBoundaries>>,
    /// Take the client's address from `X-Forwarded-For` (serve behind a proxy of the union's
    /// own that sets it); otherwise from the connection, so that the header cannot dodge the
    /// per-address limits.
    pub trust_forwarded_for: bool,
    /// SMS codes this server process sends per hour to all phones together (0: the default of
    /// 10,000); a request beyond it is answered 503 `members.sms_busy`.
    pub sms_per_hour: u32,
    /// When set, `/metrics` answers only with `Authorization: Bearer TOKEN`.
    pub metrics_token: Secret,
    /// Development only: serve `/assets/…` from this folder, read on each request, so that
    /// stylesheet changes show without a rebuild (`--dev-assets`).
    pub dev_assets: Option<std::path::PathBuf>,
    /// Folders searched for a CJK font for the join posters, besides the system's (`--font-dir`).
    pub font_dirs: Vec<std::path::PathBuf>,
    /// The folder photos of documents are kept in (`--uploads`); without it no photo is taken.
    pub uploads: Option<std::path::PathBuf>,
}

/// A setting that must not be shown: `Debug` and `Display` print `***`, so that a logged or
/// printed configuration never holds a token, a key or a password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

/// A tile server: union intranets run their own, so nothing is fetched from the internet unless
/// configured.
#[derive(Debug, Clone, Default)]
pub struct TileConfig {
    /// `https://tiles.example.cn/{z}/{x}/{y}.png`; empty: no map, lists only.
    pub url: String,
    /// The tiles are drawn in GCJ-02 (as most Chinese tile servers are); WGS-84 otherwise.
    pub gcj02: bool,
    /// Attribution shown on the map, as the tile licence asks.
    pub attribution: String,
}

impl WebConfig {
    /// The uploads folder, or an error when the server was started without one.
    pub fn uploads(&self) -> Result<nuanxin_core::services::photos::Uploads, nuanxin_core::Error> {
        self.uploads
            .as_ref()
            .map(nuanxin_core::services::photos::Uploads::at)
            .ok_or_else(|| {
                nuanxin_core::Error::Internal(anyhow::anyhow!(
                    "no uploads folder configured (--uploads)"
                ))
            })
    }

    /// The site is served over HTTPS (`--secure-cookies`, or a public address that is https):
    /// cookies are then `Secure` and browsers are told to keep to HTTPS (HSTS).
    pub fn https(&self) -> bool {
        self.secure_cookies || self.public_url.starts_with("https://")
    }
}

impl TileConfig {
    pub fn enabled(&self) -> bool {
        !self.url.is_empty()
    }

    /// The origin of the tile URL, for the content security policy.
    pub fn origin(&self) -> Option<String> {
        let rest = self.url.split_once("://")?;
        let host = rest.1.split('/').next()?;
        Some(format!("{}://{}", rest.0, host.replace(['{', '}'], ""))).filter(|o| !o.contains(' '))
    }
}

/// The per-client limiter of the public nearest-station page and API.
pub type NearestLimiter = governor::DefaultKeyedRateLimiter<String>;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub clock: Clock,
    pub config: WebConfig,
    /// Seals and finds ID numbers.
    pub vault: IdVault,
    /// Sends SMS codes.
    pub sms: Arc<dyn SmsSender>,
    /// Writes joins, with group commit on SQLite.
    pub joins: JoinQueue,
    /// The open stations in memory, following the database's change log.
    pub stations: Arc<LiveIndex>,
    pub nearest_limiter: Arc<NearestLimiter>,
    /// The hourly cap of SMS codes sent by this process.
    pub sms_cap: Arc<governor::DefaultDirectRateLimiter>,
    /// Requests by route and status, for `/metrics`.
    pub metrics: metrics::Metrics,
}

impl AppState {
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn new(
        store: Store,
        clock: Clock,
        config: WebConfig,
        vault: IdVault,
        sms: Arc<dyn SmsSender>,
    ) -> AppState {
        let joins = JoinQueue::start(store.clone(), vault.clone());
        let stations = LiveIndex::start(store.clone());
        let per_minute = std::num::NonZeroU32::new(config.nearest_per_minute)
            .unwrap_or(std::num::NonZeroU32::new(600).expect("not zero"));
        let nearest_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
            per_minute,
        )));
        let sms_per_hour = std::num::NonZeroU32::new(config.sms_per_hour)
            .unwrap_or(std::num::NonZeroU32::new(10_000).expect("not zero"));
        let sms_cap = Arc::new(governor::RateLimiter::direct(governor::Quota::per_hour(
            sms_per_hour,
        )));
        let state = AppState(Arc::new(Inner {
            store,
            clock,
            config,
            vault,
            sms,
            joins,
            stations,
            nearest_limiter,
            sms_cap,
            metrics: metrics::Metrics::default(),
        }));
        stations::nearby::start_limiter_cleanup(&state);
        state
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
