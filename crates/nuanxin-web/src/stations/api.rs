//! Stations in the JSON API: the scoped list and records, the keeper's visits and the 15-minute
//! circle analysis. Same `core` calls as the pages. The public nearest-station endpoint is in
//! `nearby.rs`.

use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::layout::Paging;
use axum::extract::{Path, Query};
use axum::Json;
use nuanxin_core::page::Page;
use nuanxin_core::stations::circle::{self, CircleResult, PointInput};
use nuanxin_core::stations::{
    self, Crs, Station, StationFilter, StationInput, TravelMode, Visit, VisitInput,
};
use nuanxin_core::Error;
use nuanxin_core::{in_read, in_write};
use serde::Deserialize;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/stations", tag = "stations", params(StationFilter, Paging),
    responses((status = 200, description = "Stations in the caller's scope", body = Page<Station>)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<StationFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Station>>, ApiError> {
    Ok(Json(super::pages::search(&auth, &filter, paging).await?))
}

#[utoipa::path(post, path = "/api/v1/stations", tag = "stations", request_body = StationInput,
    responses((status = 200, body = Station), (status = 422, description = "A field is invalid", body = ErrorBody)))]
pub async fn create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<StationInput>,
) -> Result<Json<Station>, ApiError> {
    Ok(Json(
        stations::save(&auth.app.store, &auth.caller, None, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/stations/{id}", tag = "stations",
    responses((status = 200, body = Station), (status = 404, body = ErrorBody)))]
pub async fn get(ApiAuth(auth): ApiAuth, Path(id): Path<Uuid>) -> Result<Json<Station>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            stations::get(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/stations/{id}", tag = "stations", request_body = StationInput,
    responses((status = 200, body = Station), (status = 422, body = ErrorBody)))]
pub async fn update(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<StationInput>,
) -> Result<Json<Station>, ApiError> {
    Ok(Json(
        stations::save(&auth.app.store, &auth.caller, Some(id), &input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/stations/{id}/close", tag = "stations",
    responses((status = 200, description = "Closed: it leaves the nearest-station answers", body = Station)))]
pub async fn close(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Station>, ApiError> {
    let s = in_write(&auth.app.store, async |tx| {
        stations::close(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Json(s))
}

#[utoipa::path(post, path = "/api/v1/stations/{id}/visits", tag = "stations", request_body = VisitInput,
    responses((status = 200, body = Visit), (status = 422, body = ErrorBody)))]
pub async fn visit(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<VisitInput>,
) -> Result<Json<Visit>, ApiError> {
    let v = in_write(&auth.app.store, async |tx| {
        stations::record_visit(tx, &auth.caller, id, &input).await
    })
    .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CircleRequest {
    /// The unit whose stations count (default: the caller's first post).
    #[serde(default)]
    pub org: Option<String>,
    /// `walk` (default), `ebike` or `car`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The time budget (default 15).
    #[serde(default)]
    pub minutes: Option<f64>,
    /// How many new sites to suggest (default 10, at most 500).
    #[serde(default)]
    pub k: Option<usize>,
    /// `wgs84` (default) or `gcj02`, for both lists of points.
    #[serde(default)]
    pub crs: Option<String>,
    pub demand: Vec<PointInput>,
    /// Candidate sites; without them a grid over the uncovered demand is used.
    #[serde(default)]
    pub candidates: Option<Vec<PointInput>>,
}

#[utoipa::path(post, path = "/api/v1/stations/coverage", tag = "stations", request_body = CircleRequest,
    responses((status = 200, description = "Share of demand within reach of the area's stations, uncovered points and suggested sites (WGS-84)", body = CircleResult),
        (status = 422, body = ErrorBody)))]
pub async fn coverage(
    ApiAuth(auth): ApiAuth,
    Json(req): Json<CircleRequest>,
) -> Result<Json<CircleResult>, ApiError> {
    let crs = match req.crs.as_deref() {
        None => Crs::Wgs84,
        Some(c) => Crs::parse(c)?,
    };
    let mode = match req.mode.as_deref() {
        None => TravelMode::Walk,
        Some(m) => TravelMode::parse(m)?,
    };
    let demand = circle::points_from_input(&req.demand, crs, "demand")?;
    let candidates = match &req.candidates {
        Some(c) => Some(circle::points_from_input(c, crs, "candidates")?),
        None => None,
    };
    let code = match req.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => o.to_string(),
        None => auth
            .caller
            .scope
            .roots()
            .first()
            .and_then(|r| {
                r.path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .map(str::to_string)
            })
            .ok_or(Error::NotFound)?,
    };
    let (_, result) = circle::run(
        &auth.app.store,
        &auth.app.stations,
        &auth.caller,
        circle::CircleRequest {
            org_code: &code,
            demand: &demand,
            candidates: candidates.as_deref(),
            mode,
            minutes: req.minutes.unwrap_or(circle_default_minutes()),
            k: req.k.unwrap_or(10),
            export: false,
        },
    )
    .await?;
    Ok(Json(result))
}

fn circle_default_minutes() -> f64 {
    stations::siting::CIRCLE_MINUTES
}

#[utoipa::path(put, path = "/api/v1/stations/{id}/services", tag = "stations", request_body = stations::KeeperEdit,
    params(("id" = Uuid, Path, description = "Station id")),
    responses((status = 200, description = "The station with its new hours and amenities (its keeper, or staff of its unit); audited with before and after", body = Station),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "Hours or amenities not understood", body = ErrorBody)))]
pub async fn services(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(edit): Json<stations::KeeperEdit>,
) -> Result<Json<Station>, ApiError> {
    let s = in_write(&auth.app.store, async |tx| {
        stations::keeper_edit(tx, &auth.caller, id, &edit).await
    })
    .await?;
    Ok(Json(s))
}
