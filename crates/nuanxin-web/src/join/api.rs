//! Joining through the JSON API (apps, kiosks): ask for an SMS code, then join with it.

use crate::auth::ClientInfo;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use nuanxin_core::in_read;
use nuanxin_core::members::identity::Phone;
use nuanxin_core::members::{self, JoinContext, JoinInput, JoinReceipt};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SmsBody {
    pub phone: String,
}

#[utoipa::path(post, path = "/api/v1/join/{code}/sms", tag = "join", request_body = SmsBody,
    params(("code" = String, Path, description = "Join code from the union's QR code")),
    responses((status = 204, description = "Code sent"), (status = 404, body = ErrorBody), (status = 409, description = "Code revoked", body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, description = "The server's hourly cap of SMS codes is reached", body = ErrorBody)))]
pub async fn send_code(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(code): Path<String>,
    Json(b): Json<SmsBody>,
) -> Result<StatusCode, ApiError> {
    in_read(&state.store, async |tx| {
        members::resolve_code(tx, &code).await
    })
    .await?;
    let phone = Phone::parse(&b.phone)?;
    super::send_sms_code(&state, &phone, client.ip.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct JoinBody {
    #[serde(flatten)]
    pub input: JoinInput,
    pub sms_code: String,
}

#[utoipa::path(post, path = "/api/v1/join/{code}", tag = "join", request_body = JoinBody,
    params(("code" = String, Path, description = "Join code from the union's QR code")),
    responses((status = 200, description = "The join, pending or active; a retry with the same request_key answers the same", body = JoinReceipt),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn join(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Json(b): Json<JoinBody>,
) -> Result<Json<JoinReceipt>, ApiError> {
    let target = in_read(&state.store, async |tx| {
        members::resolve_code(tx, &code).await
    })
    .await?;
    // A retry with the same request key is answered inside the join, before the SMS code is
    // checked: its code was used up by the first submission.
    let ctx = JoinContext::by_worker(
        &target,
        "api",
        state.clock.now(),
        state.clock.today(),
        &b.sms_code,
    );
    Ok(Json(
        state.joins.join_by_worker(&target, &b.input, &ctx).await?,
    ))
}
