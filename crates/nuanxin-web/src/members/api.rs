//! Members in the JSON API.

use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::layout::Paging;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use nuanxin_core::members::corrections::{self, CorrectionInput, IdChange};
use nuanxin_core::members::lifecycle::{self, Ending, EndingInput, HistoryEntry};
use nuanxin_core::members::{self, Decision, JoinCode, MemberFilter, MemberRow};
use nuanxin_core::page::Page;
use nuanxin_core::Error;
use nuanxin_core::{in_read, in_write};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MemberFilter, Paging),
    responses((status = 200, description = "Memberships in the caller's scope; ID numbers masked", body = Page<MemberRow>),
              (status = 404, description = "org outside the caller's scope", body = ErrorBody)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<MemberFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<MemberRow>>, ApiError> {
    Ok(Json(
        super::pages::search(&auth, &filter, paging.request()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    pub ids: Vec<Uuid>,
    /// `approve` or `reject`.
    pub decision: String,
    /// Required when rejecting; shown to the worker.
    pub reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Decided {
    pub decided: usize,
}

#[utoipa::path(post, path = "/api/v1/members/decisions", tag = "members", request_body = DecisionBody,
    responses((status = 200, body = Decided), (status = 404, body = ErrorBody), (status = 409, description = "Not pending", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    ApiAuth(auth): ApiAuth,
    Json(b): Json<DecisionBody>,
) -> Result<Json<Decided>, ApiError> {
    let decision = match b.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject {
            reason: b.reason.unwrap_or_default(),
        },
        _ => return Err(Error::invalid("decision", "members.bad_decision").into()),
    };
    let n = in_write(&auth.app.store, async |tx| {
        members::decide(tx, &auth.caller, &b.ids, &decision).await
    })
    .await?;
    Ok(Json(Decided { decided: n }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id_number: String,
}

#[utoipa::path(post, path = "/api/v1/members/{id}/reveal", tag = "members",
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "The full ID number (admins; audited)", body = Revealed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reveal(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Revealed>, ApiError> {
    let id_number = in_write(&auth.app.store, async |tx| {
        members::reveal_id(tx, &auth.caller, &auth.app.vault, id).await
    })
    .await?;
    Ok(Json(Revealed { id_number }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RotateBody {
    /// `qr` (default), `event` or `window`.
    pub channel: Option<String>,
    #[serde(default)]
    pub auto_approve: bool,
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/join-codes", tag = "members", request_body = RotateBody,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, description = "The new code; the previous one of the channel stops working", body = JoinCode), (status = 404, body = ErrorBody)))]
pub async fn rotate(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
    Json(b): Json<RotateBody>,
) -> Result<Json<JoinCode>, ApiError> {
    let channel = b.channel.as_deref().unwrap_or("qr");
    let jc = in_write(&auth.app.store, async |tx| {
        members::rotate_code(tx, &auth.caller, &code, channel, b.auto_approve).await
    })
    .await?;
    Ok(Json(jc))
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}/join-codes", tag = "members",
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, body = Vec<JoinCode>), (status = 404, body = ErrorBody)))]
pub async fn codes(
    ApiAuth(auth): ApiAuth,
    Path(code): Path<String>,
) -> Result<Json<Vec<JoinCode>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            members::join_codes_of(tx, &auth.caller.scope, &code).await
        })
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PushBody {
    /// `window` (licence window, 两个同步) or `partner` (platform company; default).
    pub channel: Option<String>,
    pub records: Vec<members::partner::PushRecord>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PushAnswer {
    pub results: Vec<members::partner::PushResult>,
}

#[utoipa::path(post, path = "/api/v1/members/push", tag = "members", request_body = PushBody,
    responses((status = 200, description = "One result per record, in order; safe to send again", body = PushAnswer),
              (status = 403, description = "The token's account is not staff anywhere", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn push(
    ApiAuth(auth): ApiAuth,
    Json(b): Json<PushBody>,
) -> Result<Json<PushAnswer>, ApiError> {
    members::partner::can_push(&auth.caller.scope)?;
    let channel = match b.channel.as_deref().unwrap_or("partner") {
        "window" => members::Channel::Window,
        "partner" => members::Channel::Partner,
        _ => return Err(Error::invalid("channel", "members.bad_channel").into()),
    };
    if b.records.len() > 1000 {
        return Err(Error::invalid("records", "members.too_many_records").into());
    }
    let results = members::partner::push(
        &auth.app.store,
        &auth.app.vault,
        &auth.caller,
        channel,
        &b.records,
    )
    .await?;
    Ok(Json(PushAnswer { results }))
}

#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members", request_body = CorrectionInput,
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "The record as corrected (mobile number masked); the correction is audited", body = MemberRow),
              (status = 403, description = "Not staff of the member's union", body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "A request under review", body = ErrorBody),
              (status = 422, description = "Every problem of the body", body = ErrorBody)))]
pub async fn correct(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<CorrectionInput>,
) -> Result<Json<MemberRow>, ApiError> {
    Ok(Json(
        corrections::correct(&auth.app.store, &auth.caller, id, &input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/id-number", tag = "members", request_body = IdChange,
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "The member row with the new number masked; the change is audited with the reason", body = MemberRow),
              (status = 403, description = "Not an admin of the member's union", body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Another person has this number", body = ErrorBody),
              (status = 422, description = "A bad number, or no reason", body = ErrorBody)))]
pub async fn change_id(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(change): Json<IdChange>,
) -> Result<Json<MemberRow>, ApiError> {
    let (store, vault) = (&auth.app.store, &auth.app.vault);
    Ok(Json(
        corrections::change_id_number(store, vault, &auth.caller, id, &change).await?,
    ))
}

async fn end(
    auth: &crate::auth::Auth,
    id: Uuid,
    ending: Ending,
    input: &EndingInput,
) -> Result<Json<MemberRow>, ApiError> {
    Ok(Json(
        lifecycle::end(&auth.app.store, &auth.caller, id, ending, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/leave", tag = "members", request_body = EndingInput,
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "退会: the member left on the day given (status `left`); counted on that day, audited with the reason", body = MemberRow),
              (status = 403, description = "Not staff of the member's union", body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Not an active or retained membership", body = ErrorBody),
              (status = 422, description = "A bad or future day, a day before joining, no reason", body = ErrorBody)))]
pub async fn leave(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<EndingInput>,
) -> Result<Json<MemberRow>, ApiError> {
    end(&auth, id, Ending::Leave, &input).await
}

#[utoipa::path(post, path = "/api/v1/members/{id}/retain", tag = "members", request_body = EndingInput,
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "保留会籍: the member keeps their membership without a job (status `retained`); leaves the active count on the day given", body = MemberRow),
              (status = 403, description = "Not staff of the member's union", body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Not an active membership", body = ErrorBody),
              (status = 422, description = "A bad or future day, a day before joining, no reason", body = ErrorBody)))]
pub async fn retain(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<EndingInput>,
) -> Result<Json<MemberRow>, ApiError> {
    end(&auth, id, Ending::Retain, &input).await
}

#[utoipa::path(post, path = "/api/v1/members/{id}/lapse", tag = "members", request_body = EndingInput,
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "The membership lapsed on the day given (status `lapsed`); counted on that day, audited with the reason", body = MemberRow),
              (status = 403, description = "Not staff of the member's union", body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Not an active or retained membership", body = ErrorBody),
              (status = 422, description = "A bad or future day, a day before joining, no reason", body = ErrorBody)))]
pub async fn lapse(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<EndingInput>,
) -> Result<Json<MemberRow>, ApiError> {
    end(&auth, id, Ending::Lapse, &input).await
}

#[utoipa::path(get, path = "/api/v1/members/{id}/history", tag = "members",
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "Every union and date of the person, newest first", body = Vec<HistoryEntry>),
              (status = 404, body = ErrorBody)))]
pub async fn history(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let (_, history) = lifecycle::with_history(&auth.app.store, &auth.caller.scope, id).await?;
    Ok(Json(history))
}

#[utoipa::path(get, path = "/api/v1/members/push/{request_id}", tag = "members",
    params(("request_id" = String, Path, description = "The `ref` the caller pushed the record with")),
    responses((status = 200, description = "What became of the caller's own push, as it is now (`member`, `pending`, `transfer_pending`, `rejected`, `transferred`, `left`, `retained`, `lapsed`)", body = members::partner::PushResult),
              (status = 404, description = "No push of the caller's with this reference (another account's pushes are never found; records kept as prospects have no membership)", body = ErrorBody)))]
pub async fn push_outcome(
    ApiAuth(auth): ApiAuth,
    Path(request_id): Path<String>,
) -> Result<Json<members::partner::PushResult>, ApiError> {
    Ok(Json(
        members::partner::outcome(&auth.app.store, &auth.caller, &request_id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/webhook", tag = "members", request_body = members::webhooks::WebhookInput,
    responses((status = 200, description = "The webhook, with its new secret (shown this once): notices of changed push outcomes are POSTed there, signed `X-Nuanxin-Signature: sha256=HMAC(secret, \"<X-Nuanxin-Timestamp>.<body>\")`", body = members::webhooks::Webhook),
              (status = 403, description = "Only an account that pushes records has a webhook", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_webhook(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<members::webhooks::WebhookInput>,
) -> Result<Json<members::webhooks::Webhook>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            members::webhooks::set(tx, &auth.caller, &input).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/webhook", tag = "members",
    responses((status = 200, description = "The caller's webhook (without its secret)", body = members::webhooks::Webhook),
              (status = 403, body = ErrorBody), (status = 404, description = "No webhook set", body = ErrorBody)))]
pub async fn get_webhook(
    ApiAuth(auth): ApiAuth,
) -> Result<Json<members::webhooks::Webhook>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            members::webhooks::get(tx, &auth.caller).await
        })
        .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/webhook", tag = "members",
    responses((status = 204, description = "Removed; notices not yet delivered are dropped"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_webhook(ApiAuth(auth): ApiAuth) -> Result<StatusCode, ApiError> {
    in_write(&auth.app.store, async |tx| {
        members::webhooks::remove(tx, &auth.caller).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/webhook/deliveries", tag = "members",
    params(("page" = Option<u32>, Query, description = "Page"), ("per_page" = Option<u32>, Query, description = "Page size")),
    responses((status = 200, description = "The caller's notices, latest first: pending, delivered or failed (every attempt failed), with the last error", body = Page<members::webhooks::Delivery>),
              (status = 403, body = ErrorBody)))]
pub async fn webhook_deliveries(
    ApiAuth(auth): ApiAuth,
    Query(p): Query<crate::layout::SearchQuery>,
) -> Result<Json<Page<members::webhooks::Delivery>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            members::webhooks::deliveries(tx, &auth.caller, p.page(50)).await
        })
        .await?,
    ))
}
