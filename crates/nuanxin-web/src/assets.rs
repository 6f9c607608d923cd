//! Static assets compiled into the binary: the stylesheet, the icon, the dashboard's chart script
//! and the vendored htmx, ECharts and Leaflet (see
//! `assets/vendor/README.md`). Nothing is loaded from the internet.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

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
        "confirm.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/confirm.js"),
    ),
];

/// Serves an asset. With `NUANXIN_DEV_ASSETS=DIR` set (development only), files are read from
/// that folder on each request, so that stylesheet changes show without a rebuild.
pub async fn serve(Path(path): Path<String>) -> Response {
    if let Ok(dir) = std::env::var("NUANXIN_DEV_ASSETS") {
        if let Some((_, mime, _)) = FILES.iter().find(|(p, _, _)| *p == path) {
            if let Ok(bytes) = std::fs::read(std::path::Path::new(&dir).join(&path)) {
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
    match FILES.iter().find(|(p, _, _)| *p == path) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
