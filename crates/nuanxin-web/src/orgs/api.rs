//! Org network in the JSON API (`/api/v1/orgs`). Same `core` calls as the pages.

use super::pages::ListQuery;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use nuanxin_core::orgs::sheet::{self, ImportReport};
use nuanxin_core::orgs::{self, HistoryEntry, OrgInput, OrgUnit};
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::{in_read, in_write};
use serde::Deserialize;

#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(ListQuery),
    responses((status = 200, description = "Units in the caller's scope", body = Page<OrgUnit>)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<OrgUnit>>, ApiError> {
    let filter = q.filter()?;
    let page = in_read(&auth.app.store, async |tx| {
        let page = PageRequest::new(q.page, q.per_page);
        orgs::list(tx, &auth.caller.scope, &filter, page).await
    })
    .await?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}", tag = "orgs",
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, body = OrgUnit), (status = 404, description = "Unknown or outside the caller's scope", body = ErrorBody)))]
pub async fn get(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
) -> Result<Json<OrgUnit>, ApiError> {
    Ok(Json(
        orgs::find(&auth.app.store, &auth.caller.scope, &code).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}/children", tag = "orgs",
    params(("code" = String, Path, description = "Org code"), ("page" = Option<u32>, Query, description = "Page"), ("per_page" = Option<u32>, Query, description = "Page size")),
    responses((status = 200, body = Page<OrgUnit>), (status = 404, body = ErrorBody)))]
pub async fn children(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
    Query(p): Query<ListQuery>,
) -> Result<Json<Page<OrgUnit>>, ApiError> {
    let page = in_read(&auth.app.store, async |tx| {
        let page = PageRequest::new(p.page, p.per_page);
        orgs::children(tx, &auth.caller.scope, &code, page).await
    })
    .await?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}/history", tag = "orgs",
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = ErrorBody)))]
pub async fn history(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            orgs::history(tx, &auth.caller.scope, &code).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = OrgInput,
    responses((status = 201, body = OrgUnit), (status = 422, description = "A field is invalid", body = ErrorBody),
              (status = 409, description = "The code is taken", body = ErrorBody)))]
pub async fn create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<OrgInput>,
) -> Result<(StatusCode, Json<OrgUnit>), ApiError> {
    let unit = orgs::submit_new(&auth.app.store, &auth.caller, &input).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// Fields to change; absent fields keep their value.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct OrgPatch {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub joint_kind: Option<String>,
    pub industry: Option<String>,
    pub region_code: Option<String>,
    pub founded_on: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/orgs/{code}", tag = "orgs", request_body = OrgPatch,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, body = OrgUnit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
    Json(p): Json<OrgPatch>,
) -> Result<Json<OrgUnit>, ApiError> {
    let unit = orgs::submit_changes(&auth.app.store, &auth.caller, &code, |unit| {
        let unit = unit.clone();
        OrgInput {
            code: unit.code,
            name: p.name.unwrap_or(unit.name),
            kind: p.kind.unwrap_or(unit.kind.as_str().to_string()),
            joint_kind: p.joint_kind.or(unit.joint_kind),
            industry: p.industry.or(unit.industry),
            parent_code: unit.parent_code,
            region_code: p.region_code.unwrap_or(unit.region_code),
            founded_on: p.founded_on.or(unit.founded_on.map(|d| d.to_string())),
            contact_name: p.contact_name.or(unit.contact_name),
            contact_phone: p.contact_phone.or(unit.contact_phone),
        }
    })
    .await?;
    Ok(Json(unit))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MoveBody {
    pub parent_code: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/move", tag = "orgs", request_body = MoveBody,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, description = "The unit at its new place", body = OrgUnit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_subtree(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
    Json(b): Json<MoveBody>,
) -> Result<Json<OrgUnit>, ApiError> {
    let unit = in_write(&auth.app.store, async |tx| {
        orgs::move_subtree(tx, &auth.caller, &code, &b.parent_code).await
    })
    .await?;
    Ok(Json(unit))
}

/// Where the members of a dissolved unit go.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DissolveBody {
    /// The union that takes the unit's members (by default the nearest holding pool).
    pub members_to: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/dissolve", tag = "orgs", request_body = DissolveBody,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, description = "Dissolved; its members (if any) moved with dated events to `members_to`, by default the nearest holding pool", body = OrgUnit),
              (status = 404, body = ErrorBody), (status = 409, description = "Already dissolved or has active children", body = ErrorBody),
              (status = 422, description = "Members and nowhere for them to go, or an unknown union", body = ErrorBody)))]
pub async fn dissolve(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Json<OrgUnit>, ApiError> {
    let b: DissolveBody = match body.is_empty() {
        true => DissolveBody::default(),
        false => serde_json::from_slice(&body)
            .map_err(|_| nuanxin_core::Error::invalid("members_to", "errors.bad_body"))?,
    };
    let (store, caller) = (&auth.app.store, &auth.caller);
    let to = b.members_to.as_deref();
    Ok(Json(
        orgs::merge::dissolve_with_members(store, caller, &code, to).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// `true` to check without writing.
    pub dry_run: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/orgs/import", tag = "orgs", params(ImportParams),
    request_body(content = Vec<u8>, description = "The .xlsx or .csv file as the body", content_type = "application/octet-stream"),
    responses((status = 200, description = "Per-row report", body = ImportReport), (status = 422, description = "Unreadable file", body = ErrorBody)))]
pub async fn import(
    _state: State<AppState>,
    auth: ApiAuth,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    crate::imports::api::<sheet::OrgsSheet>(auth, p.dry_run.unwrap_or(false), body).await
}
