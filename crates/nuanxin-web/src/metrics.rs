//! `/metrics` in the Prometheus text format (OpenMetrics): requests by route (the matched path,
//! never the raw URL, so no ID or name ever appears) and status with their durations, the join
//! queue's depth and batches, and the time writers waited for SQLite's one writer. Open to any
//! client unless `--metrics-token` is set, then only with `Authorization: Bearer TOKEN`.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::fmt::Write;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The server's own counters, one set per process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("nuanxin");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            durations.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
        }
    }
}

/// Counts every request by its route and status, with its duration.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = req.method().as_str().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .durations
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = &state.config.metrics_token;
    if !token.is_empty() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.expose()) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    let mut out = String::new();
    if prometheus_client::encoding::text::encode_registry(&mut out, &state.metrics.registry)
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let (batches, batched) = nuanxin_core::members::join_batches();
    let (waits, waited) = nuanxin_core::sqlite_write_waits();
    let mut gauge = |name: &str, kind: &str, help: &str, value: String| {
        let _ = write!(
            out,
            "# HELP nuanxin_{name} {help}\n# TYPE nuanxin_{name} {kind}\nnuanxin_{name}{} {value}\n",
            if kind == "counter" { "_total" } else { "" }
        );
    };
    gauge(
        "join_queue_depth",
        "gauge",
        "Joins waiting to be written",
        state.joins.depth().to_string(),
    );
    gauge(
        "join_batches",
        "counter",
        "Batches of joins written",
        batches.to_string(),
    );
    gauge(
        "joins_batched",
        "counter",
        "Joins written in batches (divided by the batches: the mean batch size)",
        batched.to_string(),
    );
    gauge(
        "sqlite_write_transactions",
        "counter",
        "Write transactions begun on SQLite",
        waits.to_string(),
    );
    gauge(
        "sqlite_write_wait_seconds",
        "counter",
        "Time spent waiting for SQLite's one writer",
        format!("{waited:.6}"),
    );
    out.push_str("# EOF\n");
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// `GET /readyz`: 200 when the database answers, else 503 with the reason (for a load balancer
/// to stop sending requests; `/healthz` only says the process runs).
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: the database does not answer",
            )
                .into_response()
        }
    }
}
