//! Static assets compiled into the binary: the stylesheet, the icon, the dashboard's chart script
//! and the vendored htmx, ECharts and Leaflet (see
//! `assets/vendor/README.md`). Nothing is loaded from the internet.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
    (
        "vendor/htmx/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/htmx/htmx.min.js"),
    ),
    (
        "vendor/echarts/echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/echarts/echarts.min.js"),
    ),
    (
        "vendor/leaflet/leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/leaflet/leaflet.js"),
    ),
    (
        "vendor/leaflet/leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/vendor/leaflet/leaflet.css"),
    ),
    (
        "coverage.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/coverage.js"),
    ),
    (
        "stations.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/stations.js"),
    ),
    (
        "keeper.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/keeper.js"),
    ),
    (
        "nearby.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/nearby.js"),
    ),
    (
        "shrink.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/shrink.js"),
    ),
    (
        "grid.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/grid.js"),
    ),
    (
        "tabs.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/tabs.js"),
    ),
    (
        "confirm.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/confirm.js"),
    ),
];

/// The content hash of each asset (ten hex digits of its SHA-256), computed once.
fn hashes() -> &'static std::collections::HashMap<&'static str, String> {
    static HASHES: std::sync::OnceLock<std::collections::HashMap<&'static str, String>> =
        std::sync::OnceLock::new();
    HASHES.get_or_init(|| {
        use sha2::Digest;
        FILES
            .iter()
            .map(|(path, _, bytes)| {
                let digest = sha2::Sha256::digest(bytes);
                let hex: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
                (*path, hex)
            })
            .collect()
    })
}

/// The URL of an asset with its content hash (`/assets/app.css?v=1a2b3c4d5e`): pages name every
/// asset through this, so that a browser may keep it a year and still never use a stale copy.
pub fn url(path: &str) -> String {
    match hashes().get(path) {
        Some(v) => format!("/assets/{path}?v={v}"),
        None => format!("/assets/{path}"),
    }
}

#[derive(serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// Serves an asset. The URL with the current hash is cached for a year (`immutable`); a URL with
/// an old hash is sent on to the current one (never an old copy under a new name); every answer
/// carries the hash as its ETag, so a revalidation costs a 304. With `--dev-assets DIR`
/// (`NUANXIN_DEV_ASSETS`, development only), files are read from that folder on each request, so
/// that stylesheet changes show without a rebuild.
pub async fn serve(
    State(state): State<crate::AppState>,
    Path(path): Path<String>,
    Query(version): Query<Version>,
    headers: HeaderMap,
) -> Response {
    if let Some(dir) = &state.config.dev_assets {
        if let Some((_, mime, _)) = FILES.iter().find(|(p, _, _)| *p == path) {
            if let Ok(bytes) = std::fs::read(dir.join(&path)) {
                return (
                    [
                        (header::CONTENT_TYPE, *mime),
                        (header::CACHE_CONTROL, "no-store"),
                    ],
                    bytes,
                )
                    .into_response();
            }
        }
    }
    let Some((_, mime, bytes)) = FILES.iter().find(|(p, _, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let hash = &hashes()[path.as_str()];
    let etag = format!("W/\"{hash}\"");
    match version.v.as_deref() {
        Some(v) if v != hash => return Redirect::temporary(&url(&path)).into_response(),
        _ => {}
    }
    let cache = if version.v.is_some() {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag.as_str()),
                (header::CACHE_CONTROL, cache),
            ],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, *mime),
            (header::CACHE_CONTROL, cache),
            (header::ETAG, etag.as_str()),
        ],
        *bytes,
    )
        .into_response()
}
