//! The census in the JSON API. Same `core` calls as the pages.

use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::layout::Paging;
use axum::extract::{Path, Query};
use axum::Json;
use nuanxin_core::census::prospects::{self, Prospect};
use nuanxin_core::census::{
    self, Enterprise, EnterpriseFilter, EnterpriseInput, Recorded, SourceRecord, Unionise,
};
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::{in_read, in_write};
use serde::{Deserialize, Serialize};

#[utoipa::path(get, path = "/api/v1/enterprises", tag = "census", params(EnterpriseFilter, Paging),
    responses((status = 200, description = "Census enterprises counted in the caller's scope", body = Page<Enterprise>)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<EnterpriseFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Enterprise>>, ApiError> {
    let page = in_read(&auth.app.store, async |tx| {
        census::list(tx, &auth.caller.scope, &filter, paging.request()).await
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordAnswer {
    pub outcome: Recorded,
    pub enterprise: Enterprise,
}

#[utoipa::path(post, path = "/api/v1/enterprises", tag = "census", request_body = EnterpriseInput,
    responses((status = 200, body = RecordAnswer), (status = 422, description = "A field is invalid", body = ErrorBody)))]
pub async fn create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<EnterpriseInput>,
) -> Result<Json<RecordAnswer>, ApiError> {
    let (outcome, enterprise) = census::submit(&auth.app.store, &auth.caller, &input).await?;
    Ok(Json(RecordAnswer {
        outcome,
        enterprise,
    }))
}

#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}", tag = "census",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = Enterprise), (status = 404, body = ErrorBody)))]
pub async fn get(
    ApiAuth(auth): ApiAuth,
    Path(uscc): Path<String>,
) -> Result<Json<Enterprise>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            census::get(tx, &auth.caller.scope, &uscc).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/sources", tag = "census",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, description = "Each source's version, for the merge view", body = Vec<SourceRecord>), (status = 404, body = ErrorBody)))]
pub async fn sources(
    ApiAuth(auth): ApiAuth,
    Path(uscc): Path<String>,
) -> Result<Json<Vec<SourceRecord>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            census::sources_of(tx, &auth.caller.scope, &uscc).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/unionise", tag = "census",
    params(("uscc" = String, Path, description = "Unified social credit code")), request_body = Unionise,
    responses((status = 200, body = Enterprise), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unionise(
    ApiAuth(auth): ApiAuth,
    Path(uscc): Path<String>,
    Json(how): Json<Unionise>,
) -> Result<Json<Enterprise>, ApiError> {
    let e = in_write(&auth.app.store, async |tx| {
        census::mark_unionised(tx, &auth.caller, &uscc, &how).await
    })
    .await?;
    Ok(Json(e))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ProspectQuery {
    pub org: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/prospects", tag = "census", params(ProspectQuery),
    responses((status = 200, description = "Known workers who are not members, phones masked", body = Page<Prospect>)))]
pub async fn prospects(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<ProspectQuery>,
) -> Result<Json<Page<Prospect>>, ApiError> {
    let page = in_read(&auth.app.store, async |tx| {
        let page = PageRequest::new(q.page, q.per_page);
        prospects::list(
            tx,
            &auth.caller.scope,
            q.org.as_deref(),
            q.q.as_deref(),
            page,
        )
        .await
    })
    .await?;
    Ok(Json(page))
}

#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/move-members", tag = "census", request_body = nuanxin_core::members::holding::MoveRequest,
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, description = "The enterprise's workers waiting in holding unions (the ids given, or all) move to its union: each a transfer the holding union lets go", body = nuanxin_core::members::holding::Moved),
              (status = 404, body = ErrorBody), (status = 409, description = "The enterprise has no union yet", body = ErrorBody),
              (status = 422, description = "An id that is not waiting, or nobody to move", body = ErrorBody)))]
pub async fn move_members(
    ApiAuth(auth): ApiAuth,
    Path(uscc): Path<String>,
    Json(req): Json<nuanxin_core::members::holding::MoveRequest>,
) -> Result<Json<nuanxin_core::members::holding::Moved>, ApiError> {
    let done =
        nuanxin_core::members::holding::move_to_union(&auth.app.store, &auth.caller, &uscc, &req)
            .await?;
    Ok(Json(done))
}
