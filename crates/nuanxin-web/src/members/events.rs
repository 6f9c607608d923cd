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
use nuanxin_core::members::attendance::{Attendance, CheckIn, CheckInInput};
use nuanxin_core::members::events::{self, EventInput, JoinEvent};
use nuanxin_core::members::MemberRow;
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::{in_read, in_write, Error};
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
    /// Holding pools beneath a federation, for a routing event (empty: no routing event here).
    pools: Vec<(String, String)>,
    error: Option<(&'static str, &'static str)>,
    today: String,
}

async fn list_page(
    auth: &Auth,
    org: &str,
    error: Option<(&'static str, &'static str)>,
) -> Result<Html<String>, PageError> {
    let (unit, list, can_create, pools) =
        events::of_unit(&auth.app.store, &auth.caller.scope, org).await?;
    let ctx = Ctx::new(auth, "members", &format!("/orgs/{org}/events"));
    render(&ListPage {
        can_create,
        pools,
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
    attended: Page<Attendance>,
    /// The desk may check people in (staff of the event's union, the event open).
    can_check_in: bool,
    /// The last check-in's answer: (outcome or error code, whether it is an error, the person).
    result: Option<(String, bool, Option<Attendance>)>,
}

impl EventPage {
    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    /// The last check-in's answer as the desk reads it, and whether it is a refusal.
    fn result_message(&self) -> Option<(String, bool)> {
        let (code, error, person) = self.result.as_ref()?;
        if *error {
            return Some((self.ctx.t(code).to_string(), true));
        }
        let a = person.as_ref()?;
        let item = self.event.handout.clone().unwrap_or_default();
        let at = match code.as_str() {
            "already_received" => a.handed_at.unwrap_or(a.checked_in_at),
            _ => a.checked_in_at,
        };
        let text = self
            .ctx
            .t(&format!("events.outcome_{code}"))
            .replace("{name}", &a.name)
            .replace("{item}", &item)
            .replace("{at}", &self.ctx.datetime(&at))
            .replace("{by}", a.handed_by.as_deref().unwrap_or_default());
        Some((text, code.starts_with("already")))
    }
}

fn join_url(state: &AppState, headers: &HeaderMap, code: &str) -> String {
    format!("{}/j/{code}", super::pages::base_url(state, headers))
}

async fn event_page(
    auth: &Auth,
    headers: &HeaderMap,
    id: Uuid,
    result: Option<(String, bool, Option<Attendance>)>,
) -> Result<Html<String>, PageError> {
    let (event, joined) = attendance(auth, id, PageRequest::new(Some(1), Some(200))).await?;
    let attended = in_read(&auth.app.store, async |tx| {
        nuanxin_core::members::attendance::list(
            tx,
            &auth.caller.scope,
            id,
            PageRequest::new(Some(1), Some(200)),
        )
        .await
    })
    .await?;
    let url = join_url(&auth.app, headers, &event.code);
    let ctx = Ctx::new(auth, "members", &format!("/events/{id}"));
    let can_check_in = event.closed_at.is_none()
        && auth
            .caller
            .scope
            .role_at(&event_path(auth, &event.org_code).await?)
            >= Some(nuanxin_core::Role::Staff);
    render(&EventPage {
        qr: qr_svg(&url),
        url,
        event,
        joined,
        attended,
        can_check_in,
        result,
        ctx,
    })
}

/// The path of the event's union, for the caller's role there.
async fn event_path(auth: &Auth, org_code: &str) -> Result<String, Error> {
    let unit = in_read(&auth.app.store, async |tx| {
        nuanxin_core::orgs::get(tx, &auth.caller.scope, org_code).await
    })
    .await?;
    Ok(unit.path)
}

pub async fn show(
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    event_page(&auth, &headers, id, None).await
}

/// The desk's check-in form: the answer shows on the event's page, ready for the next scan.
pub async fn check_in(
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(input): Form<CheckInInput>,
) -> Result<Response, PageError> {
    let app = &auth.app;
    let done = in_write(&app.store, async |tx| {
        nuanxin_core::members::attendance::check_in(tx, &auth.caller, &app.vault, id, &input).await
    })
    .await;
    let (status, result) = match done {
        Ok(c) => (StatusCode::OK, (c.outcome, false, Some(c.attendance))),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            (e.code().to_string(), true, None),
        ),
        Err(e) => return Err(e.into()),
    };
    Ok((status, event_page(&auth, &headers, id, Some(result)).await?).into_response())
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

#[utoipa::path(post, path = "/api/v1/events/{id}/attendance", tag = "members", request_body = CheckInInput,
    params(("id" = Uuid, Path, description = "Event id")),
    responses((status = 200, description = "Checked in, or found checked in before; the handout handed over at most once", body = CheckIn),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "The event is closed", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn api_check_in(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<CheckInInput>,
) -> Result<Json<CheckIn>, ApiError> {
    let app = &auth.app;
    Ok(Json(
        in_write(&app.store, async |tx| {
            nuanxin_core::members::attendance::check_in(tx, &auth.caller, &app.vault, id, &input)
                .await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/events/{id}/attendance", tag = "members",
    params(("id" = Uuid, Path, description = "Event id"), ("page" = Option<u32>, Query, description = "Page"), ("per_page" = Option<u32>, Query, description = "Page size")),
    responses((status = 200, description = "Who was checked in, latest first", body = Page<Attendance>), (status = 404, body = ErrorBody)))]
pub async fn api_attendance(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<crate::layout::SearchQuery>,
) -> Result<Json<Page<Attendance>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            nuanxin_core::members::attendance::list(tx, &auth.caller.scope, id, p.page(50)).await
        })
        .await?,
    ))
}
