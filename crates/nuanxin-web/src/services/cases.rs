//! Rights cases (维权) in the console and the API: the queue of the caller's subtree, a new case,
//! a case's page with its timeline and the steps (stage, handler, entries, closing, reopening).
//! The worker is told by SMS when the stage changes, and when the case closes or reopens.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, ListLinks, Pager, Paging};
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::members::identity::Phone;
use nuanxin_core::page::Page;
use nuanxin_core::services::cases::{
    self, Case, CaseEvent, CaseFilter, CaseInput, CasePatch, EntryInput, KINDS, OUTCOMES, STAGES,
};
use nuanxin_core::services::money::yuan;
use nuanxin_core::{in_read, in_write, Error, Role};
use std::collections::HashMap;
use uuid::Uuid;

impl ListLinks for CaseFilter {
    const PATH: &'static str = "/cases";
}

/// Tells the worker by SMS that their case moved (a failed SMS is logged: the change stands).
async fn tell(state: &AppState, c: &Case) {
    let Ok(phone) = Phone::parse(&c.phone) else {
        return;
    };
    let what = match (c.status.as_str(), c.outcome.as_deref()) {
        ("closed", Some(o)) => format!(
            "已结案（{}）",
            OUTCOMES
                .iter()
                .find(|(k, _)| *k == o)
                .map_or(o, |(_, zh)| zh)
        ),
        _ => format!(
            "进入{}阶段",
            STAGES
                .iter()
                .find(|(k, _)| *k == c.stage)
                .map_or(c.stage.as_str(), |(_, zh)| zh)
        ),
    };
    let text = format!(
        "【暖新】您的维权案件 {} {}。可登录“我的会员”查看进展。",
        c.case_no, what
    );
    if let Err(e) = state.sms.send(&phone, &text).await {
        tracing::warn!(error = %e, case = %c.id, "case SMS not sent");
    }
}

#[derive(Template)]
#[template(path = "services/cases.html")]
struct ListPage {
    ctx: Ctx,
    query: CaseFilter,
    page: Page<Case>,
    kinds: Vec<(&'static str, String)>,
    may_create: bool,
}

impl ListPage {
    /// The export of the queue as filtered.
    fn export_link(&self) -> String {
        format!("/cases/export.xlsx?{}", self.query.query_with(&[]))
    }

    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| self.query.page_link(n))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn yuan(&self, fen: &i64) -> String {
        yuan(*fen)
    }
}

/// `GET /cases`: the queue of the caller's subtree, open cases oldest first.
pub async fn list(
    auth: Auth,
    Query(query): Query<CaseFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        cases::list(tx, &auth.caller.scope, &query, paging.request()).await
    })
    .await?;
    let ctx = Ctx::new(&auth, "cases", &query.link(&[]));
    let may_create = auth
        .caller
        .scope
        .roots()
        .iter()
        .any(|r| r.role >= Role::Staff);
    render(&ListPage {
        kinds: ctx.labels("cases.kind", &KINDS),
        ctx,
        query,
        page,
        may_create,
    })
}

#[derive(Template)]
#[template(path = "services/case_new.html")]
struct NewPage {
    ctx: Ctx,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
    kinds: Vec<(&'static str, String)>,
    stages: Vec<(&'static str, String)>,
    today: String,
}

impl NewPage {
    fn value(&self, field: &str) -> &str {
        self.form.get(field).map_or("", String::as_str)
    }

    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field).copied()
    }
}

fn new_page(
    auth: &Auth,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "cases", "/cases/new");
    render(&NewPage {
        kinds: ctx.labels("cases.kind", &KINDS),
        stages: ctx.labels("cases.stage", &STAGES),
        today: auth.caller.today.to_string(),
        ctx,
        form,
        errors,
    })
}

/// `GET /cases/new`: the form, the union defaulting to the caller's first post.
pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    new_page(&auth, form, HashMap::new())
}

fn input_of(form: &HashMap<String, String>) -> CaseInput {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    CaseInput {
        org_code: v("org_code"),
        kind: v("kind"),
        stage: v("stage"),
        name: v("name"),
        id_number: v("id_number"),
        phone: v("phone"),
        employer: v("employer"),
        employer_uscc: v("employer_uscc"),
        claimed: v("claimed"),
        opened_on: v("opened_on"),
        summary: v("summary"),
        handler: v("handler"),
    }
}

/// `POST /cases/new`.
pub async fn create(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let app = &auth.app;
    let input = input_of(&form);
    let done = in_write(&app.store, async |tx| {
        cases::create(tx, &auth.caller, &app.vault, &input).await
    })
    .await;
    super::form_answer(
        done,
        |c| format!("/cases/{}", c.id),
        move |errors| async move { new_page(&auth, form, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/case.html")]
struct CasePage {
    ctx: Ctx,
    case: Case,
    events: Vec<CaseEvent>,
    /// Staff of the case's union or above: assign, hand up, reopen.
    may_edit: bool,
    /// Staff, or the lawyer the case is assigned to: stage, entries, closing.
    may_work: bool,
    /// The legal-aid lawyers the case may be assigned to (for staff).
    lawyers: Vec<nuanxin_core::accounts::Lawyer>,
    /// Photos of documents, oldest first.
    photos: Vec<nuanxin_core::services::photos::Photo>,
    stages: Vec<(&'static str, String)>,
    outcomes: Vec<(&'static str, String)>,
    /// The federations above the case's union it may be handed up to: (code, name), nearest first.
    parents: Vec<(String, String)>,
    /// What the last step left to say: (message code, whether it is an error).
    message: Option<(&'static str, bool)>,
}

impl CasePage {
    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn yuan(&self, fen: &i64) -> String {
        yuan(*fen)
    }

    /// How far along the escalation the case is: the stages up to its own.
    fn reached(&self, stage: &str) -> bool {
        let at = |s: &str| STAGES.iter().position(|(c, _)| *c == s).unwrap_or(0);
        at(stage) <= at(&self.case.stage)
    }
}

async fn case_page(
    auth: &Auth,
    id: Uuid,
    message: Option<(&'static str, bool)>,
) -> Result<Html<String>, PageError> {
    let may_edit = |c: &Case| auth.caller.role_at(&c.org_path) >= Some(Role::Staff);
    let (case, events, parents, lawyers, photos) = in_read(&auth.app.store, async |tx| {
        let c = cases::get(tx, &auth.caller.scope, id).await?;
        let e = cases::timeline(tx, &auth.caller.scope, id).await?;
        let lawyers = match may_edit(&c) {
            true => nuanxin_core::accounts::lawyers_for(tx, &c.org_path).await?,
            false => Vec::new(),
        };
        let everyone = nuanxin_core::Scope::operator();
        let mut parents = Vec::new();
        let codes: Vec<&str> = c.org_path.trim_matches('/').split('/').collect();
        for code in codes.iter().rev().skip(1) {
            let unit = nuanxin_core::orgs::get(tx, &everyone, code).await?;
            if unit.is_active() {
                parents.push((unit.code, unit.name));
            }
        }
        let photos = nuanxin_core::services::photos::of(
            tx,
            nuanxin_core::services::photos::Owner::Case(c.id),
        )
        .await?;
        Ok((c, e, parents, lawyers, photos))
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", &format!("/cases/{id}"));
    let counsel = auth.caller.scope.counsel();
    render(&CasePage {
        parents,
        lawyers,
        photos,
        may_edit: may_edit(&case),
        may_work: may_edit(&case) || (counsel.is_some() && counsel == case.handler_account),
        stages: ctx.labels("cases.stage", &STAGES),
        outcomes: ctx.labels("cases.outcome", &OUTCOMES),
        ctx,
        case,
        events,
        message,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /cases/{id}`.
pub async fn show(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> Result<Html<String>, PageError> {
    let message = match done.done.as_str() {
        "saved" => Some(("cases.saved", false)),
        "entry" => Some(("cases.entry_added", false)),
        "photos" => Some(("cases.photos_added", false)),
        _ => None,
    };
    case_page(&auth, id, message).await
}

/// A step's answer on the case page: back to it, or the page with what went wrong.
async fn step_done<T>(
    auth: &Auth,
    id: Uuid,
    done: Result<T, Error>,
    what: &str,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done={what}")).into_response()),
        Err(e) => refused(auth, id, e).await,
    }
}

/// The case page with what a refused step left to say (or the error page).
pub(super) async fn refused(auth: &Auth, id: Uuid, e: Error) -> Result<Response, PageError> {
    match super::refusal(&e) {
        Some(code) => {
            let page = case_page(auth, id, Some((code, true))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        None => Err(e.into()),
    }
}

async fn apply(auth: &Auth, id: Uuid, patch: &CasePatch) -> Result<Case, Error> {
    let (case, notify) = in_write(&auth.app.store, async |tx| {
        cases::update(tx, &auth.caller, id, patch).await
    })
    .await?;
    if notify {
        tell(&auth.app, &case).await;
    }
    Ok(case)
}

/// `POST /cases/{id}`: a step of the case page (stage, handler, closing, reopening).
pub async fn update(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let get = |k: &str| form.get(k).cloned();
    let patch = CasePatch {
        stage: get("stage"),
        handler: get("handler"),
        handler_account: get("handler_account"),
        outcome: get("outcome"),
        recovered: get("recovered"),
        closed_on: get("closed_on"),
        claimed: get("claimed"),
        reopen: form.get("reopen").is_some_and(|v| v == "1"),
        note: get("note"),
        hand_to: get("hand_to"),
        ..CasePatch::default()
    };
    let handing = patch
        .hand_to
        .as_deref()
        .is_some_and(|h| !h.trim().is_empty());
    let done = apply(&auth, id, &patch).await;
    match done {
        // Handed up, the case may be out of the caller's sight: back to the queue.
        Ok(_) if handing => Ok(Redirect::to("/cases?status=all").into_response()),
        done => step_done(&auth, id, done, "saved").await,
    }
}

/// `GET /cases/export.xlsx`: the queue as filtered, every page, in the import sheet's layout.
pub async fn export(auth: Auth, Query(query): Query<CaseFilter>) -> Result<Response, PageError> {
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes = cases::export(&auth.app.store, &auth.caller, &query, zh).await?;
    Ok(crate::respond::xlsx(bytes, "cases.xlsx"))
}

/// `POST /cases/{id}/events`: a note, a hearing, a deadline or a document on the timeline.
pub async fn add_entry(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<EntryInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        cases::add_entry(tx, &auth.caller, id, &input).await
    })
    .await;
    step_done(&auth, id, done, "entry").await
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "services", request_body = CaseInput,
    responses((status = 201, body = Case), (status = 403, body = ErrorBody), (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<CaseInput>,
) -> Result<(StatusCode, Json<Case>), ApiError> {
    let app = &auth.app;
    let c = in_write(&app.store, async |tx| {
        cases::create(tx, &auth.caller, &app.vault, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "services", params(CaseFilter, Paging),
    responses((status = 200, description = "The case queue of the caller's subtree", body = Page<Case>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<CaseFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Case>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            cases::list(tx, &auth.caller.scope, &query, paging.request()).await
        })
        .await?,
    ))
}

/// A case with its timeline.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CaseWithTimeline {
    #[serde(flatten)]
    pub case: Case,
    pub events: Vec<CaseEvent>,
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "services", params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 200, body = CaseWithTimeline), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<CaseWithTimeline>, ApiError> {
    let (case, events) = in_read(&auth.app.store, async |tx| {
        let c = cases::get(tx, &auth.caller.scope, id).await?;
        let e = cases::timeline(tx, &auth.caller.scope, id).await?;
        Ok((c, e))
    })
    .await?;
    Ok(Json(CaseWithTimeline { case, events }))
}

#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "services", request_body = CasePatch,
    params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Closed already, or not closed (reopen)", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_update(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(patch): Json<CasePatch>,
) -> Result<Json<Case>, ApiError> {
    Ok(Json(apply(&auth, id, &patch).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/events", tag = "services", request_body = EntryInput,
    params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 201, body = CaseEvent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_add_entry(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<EntryInput>,
) -> Result<(StatusCode, Json<CaseEvent>), ApiError> {
    let e = in_write(&auth.app.store, async |tx| {
        cases::add_entry(tx, &auth.caller, id, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/lawyers", tag = "services", params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 200, description = "The legal-aid lawyers the case may be assigned to (`PATCH` with `handler_account`): of the stations of its union, above and below it", body = Vec<nuanxin_core::accounts::Lawyer>),
              (status = 403, description = "Not staff of the case's union", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_lawyers(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<nuanxin_core::accounts::Lawyer>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            let c = cases::get(tx, &auth.caller.scope, id).await?;
            if auth.caller.role_at(&c.org_path) < Some(Role::Staff) {
                return Err(Error::Forbidden);
            }
            nuanxin_core::accounts::lawyers_for(tx, &c.org_path).await
        })
        .await?,
    ))
}
