//! `nuanxin serve` and `nuanxin demo`.

use super::config::Secret;
use nuanxin_core::clock::Clock;
use nuanxin_core::demo;
use nuanxin_core::members::id_vault::IdVault;
use nuanxin_core::members::sms::{DevSms, HttpSms, SmsSender};
use nuanxin_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "NUANXIN_LISTEN")]
    pub listen: SocketAddr,
    /// Mark cookies Secure: use when the console is served over HTTPS.
    #[arg(long, env = "NUANXIN_SECURE_COOKIES", value_parser = clap::builder::BoolishValueParser::new())]
    pub secure_cookies: bool,
    /// The address workers reach the server at, put into join QR codes (e.g. https://union.example.cn).
    #[arg(long, env = "NUANXIN_PUBLIC_URL", default_value = "")]
    pub public_url: String,
    /// Map tiles for the station maps, e.g. https://tiles.example.cn/{z}/{x}/{y}.png (the union's
    /// own tile server). Without it the station pages show lists only.
    #[arg(long, env = "NUANXIN_TILE_URL", default_value = "")]
    pub tile_url: String,
    /// The tiles are in GCJ-02 (most Chinese tile servers); WGS-84 otherwise.
    #[arg(long, env = "NUANXIN_TILE_GCJ02", value_parser = clap::builder::BoolishValueParser::new())]
    pub tile_gcj02: bool,
    /// Attribution shown on the map.
    #[arg(long, env = "NUANXIN_TILE_ATTRIBUTION", default_value = "")]
    pub tile_attribution: String,
    /// A GeoJSON FeatureCollection of region boundaries (features carry `code` or `adcode`): the
    /// dashboard then draws the children's membership rates on a map.
    #[arg(long, env = "NUANXIN_REGION_BOUNDARIES")]
    pub region_boundaries: Option<PathBuf>,
    /// Requests per minute per client address to the public nearest-station page and API.
    #[arg(long, env = "NUANXIN_NEAREST_PER_MINUTE", default_value_t = 600)]
    pub nearest_per_minute: u32,
    /// Take client addresses from X-Forwarded-For: only behind a proxy of your own that sets it.
    #[arg(long, env = "NUANXIN_TRUST_FORWARDED_FOR", value_parser = clap::builder::BoolishValueParser::new())]
    pub trust_forwarded_for: bool,
    /// SMS codes this server process sends per hour, to all phones together; beyond it the join
    /// page asks to try later (a flood of code requests cannot run up the union's SMS bill).
    #[arg(long, env = "NUANXIN_SMS_PER_HOUR", default_value_t = 10_000)]
    pub sms_per_hour: u32,
    /// Let partners' webhooks reach loopback and private-network addresses (refused otherwise, so
    /// that a partner cannot probe the server's own network): for a partner on the same machine
    /// or network only.
    #[arg(long, env = "NUANXIN_WEBHOOK_ALLOW_PRIVATE", value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_private: bool,
    /// When set, /metrics answers only with `Authorization: Bearer TOKEN` (open otherwise: it
    /// counts requests by route and holds no member's data).
    #[arg(
        long,
        env = "NUANXIN_METRICS_TOKEN",
        default_value = "",
        hide_env_values = true
    )]
    pub metrics_token: Secret,
    /// The union's SMS gateway (a POST of {phone, text} per code); without it, codes are written
    /// to the log (development).
    #[arg(long, env = "NUANXIN_SMS_URL")]
    pub sms_url: Option<String>,
    /// Bearer token for the SMS gateway.
    #[arg(long, env = "NUANXIN_SMS_TOKEN", hide_env_values = true)]
    pub sms_token: Option<Secret>,
    /// Development only: serve /assets from this folder, read on each request.
    #[arg(long, env = "NUANXIN_DEV_ASSETS")]
    pub dev_assets: Option<PathBuf>,
    /// Folders with a CJK font for the join posters, besides the system's (':'-separated).
    #[arg(long, env = "NUANXIN_FONT_DIR", value_delimiter = ':')]
    pub font_dir: Vec<PathBuf>,
    /// The folder photos of documents (on cases and claims) are kept in: back it up with the
    /// database. Created when the first photo arrives.
    #[arg(long, env = "NUANXIN_UPLOADS", default_value = "nuanxin-uploads")]
    pub uploads: PathBuf,
}

/// The SMS gateway of `--sms-url`, or the development sender that writes codes to the log.
fn sms_sender(args: &ServeArgs) -> anyhow::Result<Arc<dyn SmsSender>> {
    match &args.sms_url {
        Some(url) if !url.is_empty() => Ok(Arc::new(HttpSms::new(
            url,
            args.sms_token.as_ref().map(|t| t.expose().to_string()),
        )?)),
        _ => {
            tracing::warn!(
                "NUANXIN_SMS_URL not set: SMS codes are written to this log instead of being sent"
            );
            Ok(Arc::new(DevSms::default()))
        }
    }
}

/// The ID keys of this run, and whether it may fall back to the public development keys
/// (`--dev-keys`, `demo`, `bench`): set once from the command line.
struct Keys {
    id_keys: Option<Secret>,
    hash_key: Option<Secret>,
    dev_allowed: bool,
}

static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();

pub fn set_keys(id_keys: Option<Secret>, hash_key: Option<Secret>, dev_allowed: bool) {
    let filled = |s: Option<Secret>| s.filter(|s| !s.expose().trim().is_empty());
    let _ = KEYS.set(Keys {
        id_keys: filled(id_keys),
        hash_key: filled(hash_key),
        dev_allowed,
    });
}

/// What to do when the keys are missing: said by every command that seals or finds ID numbers.
const KEYS_HELP: &str = "make a pair with `nuanxin admin keys` and set both NUANXIN_ID_KEYS and \
NUANXIN_ID_HASH_KEY, or pass --dev-keys (NUANXIN_DEV_KEYS=1) to use the public development keys \
on test data only";

/// The ID-number vault from `NUANXIN_ID_KEYS` and `NUANXIN_ID_HASH_KEY`. Without them it fails,
/// unless development keys are allowed (`--dev-keys`, `demo`, `bench`): a server that sealed real
/// ID numbers with keys printed in the source would protect nothing.
pub fn vault() -> anyhow::Result<IdVault> {
    let keys = KEYS.get();
    let dev_allowed = keys.is_some_and(|k| k.dev_allowed);
    match (
        keys.and_then(|k| k.id_keys.as_ref()),
        keys.and_then(|k| k.hash_key.as_ref()),
    ) {
        (Some(keys), Some(hash)) => IdVault::from_env_values(keys.expose(), hash.expose()),
        (None, None) if dev_allowed => {
            tracing::warn!("using the public development keys for ID numbers (--dev-keys): never with real data");
            Ok(IdVault::development())
        }
        (None, None) => anyhow::bail!(
            "NUANXIN_ID_KEYS and NUANXIN_ID_HASH_KEY are not set: ID numbers are sealed with them, and Nuanxin does not start without real keys; {KEYS_HELP}"
        ),
        (Some(_), None) => anyhow::bail!("NUANXIN_ID_HASH_KEY is not set (NUANXIN_ID_KEYS is): {KEYS_HELP}"),
        (None, Some(_)) => anyhow::bail!("NUANXIN_ID_KEYS is not set (NUANXIN_ID_HASH_KEY is): {KEYS_HELP}"),
    }
}

/// Purges rate-limit windows and SMS codes that can no longer matter, and completes transfers
/// whose objection window closed, every hour.
fn start_housekeeping(store: nuanxin_core::Store, clock: Clock) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        every.tick().await; // the first tick is immediate: start an hour from now
        loop {
            every.tick().await;
            match nuanxin_core::housekeeping::purge(&store, clock.now()).await {
                Ok(p) => tracing::info!(
                    rate_limits = p.rate_limits,
                    sms_codes = p.sms_codes,
                    "housekeeping"
                ),
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
            // Transfers whose objection window closed with nobody acting complete now.
            match nuanxin_core::members::transfers::complete_due(&store, clock.now()).await {
                Ok(n) => tracing::info!(completed = n, "transfers due"),
                Err(e) => tracing::warn!(error = %e, "completing transfers failed"),
            }
        }
    });
}

/// Tells partners of changed push outcomes: every half minute the memberships changed lately
/// are compared with what their partner last heard and due notices are sent; at start and every
/// hour, all of them (a change made while the server was down is told too).
fn start_webhooks(store: nuanxin_core::Store, clock: Clock, allow_private: bool) {
    use nuanxin_core::members::webhooks;
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
        let mut ticks: u64 = 0;
        loop {
            every.tick().await;
            let now = clock.now();
            let since = (!ticks.is_multiple_of(120)).then(|| now - webhooks::RECENT_MS);
            ticks += 1;
            if let Err(e) = webhooks::scan(&store, since, now).await {
                tracing::warn!(error = %e, "webhook scan failed");
            }
            match webhooks::deliver_due(&store, now, allow_private).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(delivered = n, "webhooks"),
                Err(e) => tracing::warn!(error = %e, "webhook delivery failed"),
            }
        }
    });
}

pub async fn serve(database: &str, args: ServeArgs, with_demo: bool) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let vault = vault()?;
    let store = super::open(database).await?;
    let clock = Clock::system();
    if with_demo {
        let summary = demo::load(&store, &clock).await?;
        if summary.already_loaded {
            println!("demo data already present in {database}");
        } else {
            println!(
                "demo data loaded: {} org units, {} accounts",
                summary.units, summary.accounts
            );
        }
        let members = demo::load_members(&store, &vault, &clock).await?;
        if members > 0 {
            println!("demo members loaded: {members}");
        }
        let cases = demo::load_cases(&store, &vault, &clock).await?;
        if cases > 0 {
            println!("demo rights cases loaded: {cases}");
        }
        let enterprises = demo::load_census(&store, &clock).await?;
        if enterprises > 0 {
            println!("demo census loaded: {enterprises} enterprises, targets and contact leaders");
        }
        let services = demo::load_services(&store, &clock).await?;
        if services > 0 {
            println!("demo mutual aid and labour-law checks loaded: {services}");
        }
        let stations = demo::load_stations(&store, &clock).await?;
        if stations > 0 {
            println!("demo stations loaded: {stations}");
        }
        if demo::load_legal_aid(&store, &clock).await? > 0 {
            println!("demo legal-aid station and its lawyer loaded");
        }
        if demo::load_worker_home(&store, &clock).await? > 0 {
            println!("demo handout, notice, library, offer, competition, honour and hardship file loaded");
        }
        if demo::load_grid(&store, &clock).await? > 0 {
            println!(
                "demo grid office, communities, bodies, reports and collective contracts loaded"
            );
        }
        println!("\n  Demo accounts (password: {})", demo::PASSWORD);
        for (username, display, _, what) in demo::ACCOUNTS {
            println!("    {username:<12} {display} — {what}");
        }
        let (lawyer, display) = demo::LAWYER;
        println!("    {lawyer:<12} {display} — legal-aid lawyer: only the cases assigned to them");
        let (office, display) = demo::GRID_OFFICE;
        println!("    {office:<12} {display} — grid office: only the grid reports routed to it");
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let sms = sms_sender(&args)?;
    let config = WebConfig {
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        sms_per_hour: args.sms_per_hour,
        metrics_token: args.metrics_token.clone(),
        dev_assets: args.dev_assets.clone(),
        font_dirs: args.font_dir.clone(),
        uploads: Some(args.uploads.clone()),
        public_url: args.public_url,
        tiles: nuanxin_web::TileConfig {
            url: args.tile_url,
            gcj02: args.tile_gcj02,
            attribution: args.tile_attribution,
        },
        nearest_per_minute: args.nearest_per_minute,
        boundaries: match &args.region_boundaries {
            Some(path) => {
                let b = nuanxin_web::RegionBoundaries::load(path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                tracing::info!(regions = b.len(), "region boundaries loaded");
                Some(Arc::new(b))
            }
            None => None,
        },
    };
    start_housekeeping(store.clone(), clock.clone());
    start_webhooks(store.clone(), clock.clone(), args.webhook_allow_private);
    let app = nuanxin_web::router(AppState::new(store, clock, config, vault, sms));
    println!(
        "\n  暖新 Nuanxin is ready at http://{} ({} ms)\n",
        listener.local_addr()?,
        started.elapsed().as_millis()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}
