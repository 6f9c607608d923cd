//! Regions in the JSON API. Regions are public reference data, but the API still asks for a
//! signed-in caller or a token, like every other endpoint.

use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use nuanxin_core::in_read;
use nuanxin_core::regions::{self, Region, RegionCode};
use nuanxin_core::Error;

#[utoipa::path(get, path = "/api/v1/regions", tag = "regions",
    responses((status = 200, description = "The provinces", body = Vec<Region>)))]
pub async fn provinces(
    State(state): State<AppState>,
    _auth: ApiAuth,
) -> Result<Json<Vec<Region>>, ApiError> {
    Ok(Json(
        in_read(&state.store, async |tx| regions::children(tx, None).await).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "Region code, 12-digit or short form")),
    responses((status = 200, body = Region), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _auth: ApiAuth,
    Path(code): Path<String>,
) -> Result<Json<Region>, ApiError> {
    let code = RegionCode::parse(&code)?;
    let region = in_read(&state.store, async |tx| regions::get(tx, &code).await).await?;
    Ok(Json(region.ok_or(Error::NotFound)?))
}

#[utoipa::path(get, path = "/api/v1/regions/{code}/children", tag = "regions",
    params(("code" = String, Path, description = "Region code")),
    responses((status = 200, body = Vec<Region>), (status = 404, body = ErrorBody)))]
pub async fn children(
    State(state): State<AppState>,
    _auth: ApiAuth,
    Path(code): Path<String>,
) -> Result<Json<Vec<Region>>, ApiError> {
    let code = RegionCode::parse(&code)?;
    let children = in_read(&state.store, async |tx| {
        regions::get(tx, &code).await?.ok_or(Error::NotFound)?;
        regions::children(tx, Some(&code)).await
    })
    .await?;
    Ok(Json(children))
}
