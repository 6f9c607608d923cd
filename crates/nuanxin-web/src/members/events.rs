//! Mass-join events in the console (list, create, detail with who joined, the big screen with a
//! live head count, close) and in the API.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::join::qr_svg;
use crate::layout::Ctx;
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::members::events::{self, EventInput, JoinEvent};
use nuanxin_core::members::MemberRow;
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::{in_write, Error};
use uuid::Uuid;

/// An event in the caller's scope and a page of who joined at it.
async fn attendance(
    auth: &Auth,
    id: Uuid,
    page: PageRequest,
) -> Result<(JoinEvent, Page<MemberRow>), Error> {
    let app = &auth.app;
    events::attendance(&app.store, &auth.caller.scope, &app.vault, id, page).await
}

#[derive(Template)]
#[template(path = "members/events.html")]
struct ListPage {
    ctx: Ctx,
    org_code: String,
    org_name: String,
    events: Vec<JoinEvent>,
    can_create: bool,
    error: Option<(&'static str, &'static str)>,
    today: String,
}

async fn list_page(
    auth: &Auth,
    org: &str,
    error: Option<(&'static str, &'static str)>,
) -> Result<Html<String>, PageError> {
    let (unit, list, can_create) =
        events::of_unit(&auth.app.store, &auth.caller.scope, org).await?;
    let ctx = Ctx::new(auth, "members", &format!("/orgs/{org}/events"));
    render(&ListPage {
        can_create,
        org_code: unit.code,
        org_name: unit.name,
        events: list,
        error,
        today: auth.caller.today.to_string(),
        ctx,
    })
}

pub async fn list(auth: Auth, Path(org): Path<String>) -> Result<Html<String>, PageError> {
    list_page(&auth, &org, None).await
}

pub async fn create(
    auth: Auth,
    Path(org): Path<String>,
    Form(input): Form<EventInput>,
) -> Result<Response, PageError> {
    let created = in_write(&auth.app.store, async |tx| {
        events::create(tx, &auth.caller, &org, &input).await
    })
    .await;
    match created {
        Ok(e) => Ok(Redirect::to(&format!("/events/{}", e.id)).into_response()),
        Err(Error::Invalid { field, code }) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            list_page(&auth, &org, Some((field, code))).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "members/event.html")]
struct EventPage {
    ctx: Ctx,
    event: JoinEvent,
    url: String,
    qr: String,
    joined: Page<MemberRow>,
}

impl EventPage {
    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }
}

fn join_url(state: &AppState, headers: &HeaderMap, code: &str) -> String {
    format!("{}/j/{code}", super::pages::base_url(state, headers))
}

pub async fn show(
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    let (event, joined) = attendance(&auth, id, PageRequest::new(Some(1), Some(200))).await?;
    let url = join_url(&auth.app, &headers, &event.code);
    let ctx = Ctx::new(&auth, "members", &format!("/events/{id}"));
    render(&EventPage {
        qr: qr_svg(&url),
        url,
        event,
        joined,
        ctx,
    })
}

#[derive(Template)]
#[template(path = "members/event_screen.html")]
struct ScreenPage {
    ctx: Ctx,
    event: JoinEvent,
    qr: String,
}

pub async fn screen(
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    let event = events::find(&auth.app.store, &auth.caller.scope, id).await?;
    let qr = qr_svg(&join_url(&auth.app, &headers, &event.code));
    render(&ScreenPage {
        ctx: Ctx::new(&auth, "members", &format!("/events/{id}/screen")),
        event,
        qr,
    })
}

/// The head count alone, for the big screen to poll.
pub async fn count(auth: Auth, Path(id): Path<Uuid>) -> Result<String, PageError> {
    let event = events::find(&auth.app.store, &auth.caller.scope, id).await?;
    Ok(event.head_count.to_string())
}

pub async fn close(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        events::close(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/events", tag = "members", request_body = EventInput,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 201, body = JoinEvent), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Path(org): Path<String>,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, Json<JoinEvent>), ApiError> {
    let e = in_write(&auth.app.store, async |tx| {
        events::create(tx, &auth.caller, &org, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "members",
    params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "The event with its live head count", body = JoinEvent), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<JoinEvent>, ApiError> {
    Ok(Json(
        events::find(&auth.app.store, &auth.caller.scope, id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/events/{id}/members", tag = "members",
    params(("id" = Uuid, Path, description = "Event id"), ("page" = Option<u32>, Query, description = "Page"), ("per_page" = Option<u32>, Query, description = "Page size")),
    responses((status = 200, description = "Who joined at the event", body = Page<MemberRow>), (status = 404, body = ErrorBody)))]
pub async fn api_members(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<crate::layout::SearchQuery>,
) -> Result<Json<Page<MemberRow>>, ApiError> {
    let (_, joined) = attendance(&auth, id, p.page(50)).await?;
    Ok(Json(joined))
}
