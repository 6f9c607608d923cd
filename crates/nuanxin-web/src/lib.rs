//! The web console and the JSON API: axum handlers that extract, call `nuanxin-core`, and render
//! an askama page or JSON. No SQL and no business rule lives here. Every page exists in Chinese
//! (default) and English from the catalogues in `locales/`; every asset is served by the binary.

mod assets;
mod auth;
mod error;
mod i18n;
mod layout;
mod openapi;
mod respond;
mod router;
mod upload;

mod accounts;
mod audit;
mod census;
mod coverage;
mod join;
mod members;
mod orgs;
mod regions;
mod session;
mod targets;

pub use auth::{CSRF_HEADER, LANG_COOKIE, SESSION_COOKIE};
pub use i18n::{Catalogue, Lang};
pub use router::router;

use nuanxin_core::clock::Clock;
use nuanxin_core::members::id_vault::IdVault;
use nuanxin_core::members::sms::SmsSender;
use nuanxin_core::members::JoinQueue;
use nuanxin_core::Store;
use std::sync::Arc;

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve behind HTTPS). Off for plain-HTTP local use.
    pub secure_cookies: bool,
    /// The address workers reach the server at, for the URLs inside join QR codes
    /// (`https://union.example.cn`); empty means the address of the request.
    pub public_url: String,
}

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
}

impl AppState {
    pub fn new(
        store: Store,
        clock: Clock,
        config: WebConfig,
        vault: IdVault,
        sms: Arc<dyn SmsSender>,
    ) -> AppState {
        let joins = JoinQueue::start(store.clone(), vault.clone());
        AppState(Arc::new(Inner {
            store,
            clock,
            config,
            vault,
            sms,
            joins,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
