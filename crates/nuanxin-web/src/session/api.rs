//! `POST /api/v1/session` (sign in, sets the session cookie), `GET` (who am I),
//! `DELETE` (sign out).

use super::pages::session_cookie;
use crate::auth::{cookie, ApiAuth, ClientInfo, SESSION_COOKIE};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nuanxin_core::accounts::{self, Assignment};
use nuanxin_core::in_read;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub username: String,
    pub display_name: String,
    /// Send this in the `X-CSRF-Token` header with every write made with the session cookie.
    pub csrf_token: Option<String>,
    pub assignments: Vec<Assignment>,
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials,
    responses((status = 200, description = "Signed in; the session cookie is set", body = SessionInfo),
              (status = 401, description = "Wrong credentials or account locked", body = ErrorBody),
              (status = 429, description = "Too many attempts", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(c): Json<Credentials>,
) -> Result<Response, ApiError> {
    let (ip, ua) = (client.ip.clone(), client.user_agent.as_deref());
    let (token, session) = accounts::login(
        &state.store,
        &state.clock,
        &c.username,
        &c.password,
        ip.as_deref(),
        ua,
    )
    .await?;
    let assignments = in_read(&state.store, async |tx| {
        accounts::assignments_of(tx, session.account.id).await
    })
    .await?;
    let info = SessionInfo {
        username: session.account.username.clone(),
        display_name: session.account.display_name.clone(),
        csrf_token: Some(session.csrf_token.clone()),
        assignments,
    };
    let cookie = session_cookie(&state, &token, accounts::ABSOLUTE_TIMEOUT_MS / 1000);
    Ok(([(SET_COOKIE, cookie)], Json(info)).into_response())
}

#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn show(ApiAuth(auth): ApiAuth) -> Result<Json<SessionInfo>, ApiError> {
    let account_id = auth
        .caller
        .actor
        .account_id
        .expect("signed-in callers have an account");
    let assignments = in_read(&auth.app.store, async |tx| {
        accounts::assignments_of(tx, account_id).await
    })
    .await?;
    let (username, display_name) = match &auth.session {
        Some(s) => (s.account.username.clone(), s.account.display_name.clone()),
        None => (
            auth.caller.actor.name.clone(),
            auth.caller.actor.name.clone(),
        ),
    };
    Ok(Json(SessionInfo {
        username,
        display_name,
        csrf_token: auth.session.map(|s| s.csrf_token),
        assignments,
    }))
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "Signed out")))]
pub async fn delete(
    State(state): State<AppState>,
    client: ClientInfo,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&client.headers, SESSION_COOKIE) {
        accounts::logout(&state.store, token).await?;
    }
    Ok((
        [(SET_COOKIE, session_cookie(&state, "", 0))],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}
