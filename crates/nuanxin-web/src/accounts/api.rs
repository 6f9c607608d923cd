//! Accounts in the JSON API: list and create cadres, grant and revoke posts, create API tokens.

use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::layout::SearchQuery;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use nuanxin_core::accounts::{self, Account, AccountInput, AccountRow};
use nuanxin_core::in_write;
use nuanxin_core::page::Page;
use nuanxin_core::{Error, Role};
use serde::{Deserialize, Serialize};

#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(SearchQuery),
    responses((status = 200, description = "Posts held in the caller's scope", body = Page<AccountRow>)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Page<AccountRow>>, ApiError> {
    Ok(Json(super::pages::search(&auth, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput,
    responses((status = 201, body = Account), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 403, description = "Not an admin at that unit", body = ErrorBody)))]
pub async fn create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<AccountInput>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let account = in_write(&auth.app.store, async |tx| {
        accounts::create_account(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(account)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct GrantBody {
    pub org_code: String,
    /// `admin`, `staff` or `viewer`.
    pub role: String,
}

#[utoipa::path(post, path = "/api/v1/accounts/{username}/assignments", tag = "accounts", request_body = GrantBody,
    params(("username" = String, Path, description = "Username")),
    responses((status = 204, description = "Granted"), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn grant(
    ApiAuth(auth): ApiAuth,
    Path(username): Path<String>,
    Json(b): Json<GrantBody>,
) -> Result<StatusCode, ApiError> {
    let role = Role::parse(&b.role).ok_or(Error::invalid("role", "accounts.bad_role"))?;
    in_write(&auth.app.store, async |tx| {
        accounts::grant(tx, &auth.caller, &username, &b.org_code, role).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/accounts/{username}/assignments/{org_code}", tag = "accounts",
    params(("username" = String, Path, description = "Username"), ("org_code" = String, Path, description = "Org code")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    ApiAuth(auth): ApiAuth,
    Path((username, org)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    in_write(&auth.app.store, async |tx| {
        accounts::revoke(tx, &auth.caller, &username, &org).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenBody {
    pub username: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// Shown once; send as `Authorization: Bearer TOKEN`.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = TokenBody,
    responses((status = 201, body = NewToken), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_token(
    ApiAuth(auth): ApiAuth,
    Json(b): Json<TokenBody>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let token = in_write(&auth.app.store, async |tx| {
        accounts::create_token(tx, &auth.caller, &b.username, &b.name).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(NewToken { token })))
}

/// The station a keeper keeps.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct KeptStation {
    /// Station id (inside the keeper's unit).
    pub station: String,
}

#[utoipa::path(put, path = "/api/v1/accounts/{username}/station", tag = "accounts", request_body = KeptStation,
    params(("username" = String, Path, description = "Username of a station keeper")),
    responses((status = 204, description = "The keeper keeps this station now (audited)"), (status = 404, body = ErrorBody),
              (status = 403, description = "Not an admin of the keeper's unit", body = ErrorBody),
              (status = 422, description = "Not a keeper, or a station outside the keeper's unit", body = ErrorBody)))]
pub async fn keep_station(
    ApiAuth(auth): ApiAuth,
    Path(username): Path<String>,
    Json(b): Json<KeptStation>,
) -> Result<StatusCode, ApiError> {
    in_write(&auth.app.store, async |tx| {
        accounts::keep_station(tx, &auth.caller, &username, &b.station).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
