//! Care activities (送清凉 / 送温暖 …) in the console and the API: the list of the caller's subtree,
//! a new activity, an activity's page where a cadre's phone or a scanner gun records recipients
//! from their e-cards (a repeat is refused with the earlier receipt), non-members counted by
//! number, and the recipients with the cost spent against the budget.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, Pager, Paging};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::services::care::{
    self, Activity, ActivityInput, HandoutReport, Receipt, RecipientInput, Scanned, KINDS,
};
use nuanxin_core::services::money::yuan;
use nuanxin_core::services::selection::MemberFilter;
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

/// A message of the page's language.
fn t(auth: &Auth, key: &str) -> String {
    crate::i18n::Catalogue::of(auth.lang).get(key).to_string()
}

#[derive(Template)]
#[template(path = "services/care.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Activity>,
    may_create: bool,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/care?page={n}"))
    }

    fn label(&self, kind: &str) -> String {
        self.ctx.t(&format!("care.kind.{kind}")).to_string()
    }

    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

/// `GET /care`: the care activities of the caller's subtree, latest first.
pub async fn list(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        care::list(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(&auth, "cases", "/care"),
        may_create: auth.caller.is_staff(),
        page,
    })
}

#[derive(Template)]
#[template(path = "services/care_new.html")]
struct NewPage {
    ctx: Ctx,
    entered: crate::layout::Entered,
    kinds: Vec<(&'static str, String)>,
}

fn new_page(
    auth: &Auth,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "cases", "/care/new");
    render(&NewPage {
        kinds: ctx.labels("care.kind", &KINDS),
        ctx,
        entered: crate::layout::Entered { form, errors },
    })
}

/// `GET /care/new`: the form, the organiser defaulting to the caller's first post.
pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    form.insert("held_on".to_string(), auth.caller.today.to_string());
    new_page(&auth, form, HashMap::new())
}

fn input_of(form: &HashMap<String, String>) -> ActivityInput {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    ActivityInput {
        name: v("name"),
        kind: v("kind"),
        held_on: v("held_on"),
        org_code: v("org_code"),
        place: v("place"),
        station: v("station"),
        co_organisers: v("co_organisers"),
        items: v("items"),
        budget: v("budget"),
        unit_cost: v("unit_cost"),
    }
}

/// `POST /care/new`.
pub async fn create(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let input = input_of(&form);
    let done = in_write(&auth.app.store, async |tx| {
        care::create(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |a| format!("/care/{}", a.id),
        move |errors| async move { new_page(&auth, form, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/care_activity.html")]
struct ActivityPage {
    ctx: Ctx,
    activity: Activity,
    recipients: Page<Receipt>,
    may_record: bool,
    /// What the last scan said: (message, whether it is an error).
    message: Option<(String, bool)>,
    /// The handout form as sent, and what its preview or confirmation found.
    filter: MemberFilter,
    handout: Option<HandoutReport>,
    groups: Vec<(&'static str, String)>,
    may_handout: bool,
}

impl ActivityPage {
    fn label(&self, kind: &str) -> String {
        self.ctx.t(&format!("care.kind.{kind}")).to_string()
    }

    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }

    /// Share of the budget spent, in whole percent (0 without a budget).
    fn spent_pct(&self) -> i64 {
        match self.activity.budget_fen {
            0 => 0,
            b => (self.activity.spent_fen() * 100 / b).min(999),
        }
    }

    fn pager(&self) -> Pager {
        let id = self.activity.id;
        Pager::of(&self.recipients, |n| format!("/care/{id}?page={n}"))
    }
}

async fn activity_page(
    auth: &Auth,
    id: Uuid,
    page: PageRequest,
    message: Option<(String, bool)>,
) -> Result<Html<String>, PageError> {
    handout_page(auth, id, page, message, MemberFilter::default(), None).await
}

async fn handout_page(
    auth: &Auth,
    id: Uuid,
    page: PageRequest,
    message: Option<(String, bool)>,
    filter: MemberFilter,
    handout: Option<HandoutReport>,
) -> Result<Html<String>, PageError> {
    let (activity, recipients) = in_read(&auth.app.store, async |tx| {
        let a = care::get(tx, &auth.caller.scope, id).await?;
        let r = care::recipients(tx, &auth.caller.scope, id, page).await?;
        Ok((a, r))
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", &format!("/care/{id}"));
    render(&ActivityPage {
        groups: nuanxin_core::members::WorkerGroup::ALL
            .iter()
            .map(|g| {
                (
                    g.as_str(),
                    ctx.t(&format!("members.group.{}", g.as_str())).to_string(),
                )
            })
            .collect(),
        ctx,
        may_record: care::may_record(&auth.caller, &activity),
        may_handout: auth.caller.role_at(&activity.org_path) >= Some(nuanxin_core::Role::Staff),
        activity,
        recipients,
        message,
        filter,
        handout,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    name: String,
}

/// `GET /care/{id}`.
pub async fn show(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let message = match q.done.as_str() {
        "scanned" => Some((t(&auth, "care.scanned").replace("{name}", &q.name), false)),
        "counted" => Some((t(&auth, "care.counted").to_string(), false)),
        _ => None,
    };
    activity_page(&auth, id, paging.request(), message).await
}

/// What the earlier receipt of a repeated scan says, in the page's language.
fn already_text(auth: &Auth, r: &Receipt) -> String {
    t(auth, "care.already")
        .replace("{name}", &r.name)
        .replace("{day}", &r.received_on.to_string())
        .replace("{by}", &r.recorded_by)
}

/// `POST /care/{id}/scan`: a recipient from the e-card a phone or scanner gun read (or a typed
/// number); back to the page, ready for the next scan.
pub async fn scan(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<RecipientInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        care::scan(tx, &auth.caller, id, &input).await
    })
    .await;
    let (status, message) = match done {
        Ok(Scanned::New(r)) => {
            let name = crate::auth::urlencode(&r.name);
            return Ok(
                Redirect::to(&format!("/care/{id}?done=scanned&name={name}#scan")).into_response(),
            );
        }
        // A repeat: when and by whom, nothing written.
        Ok(Scanned::Already(r)) => (StatusCode::CONFLICT, already_text(&auth, &r)),
        Err(e) => match super::refusal(&e) {
            Some(code) => (StatusCode::UNPROCESSABLE_ENTITY, t(&auth, code)),
            None => return Err(e.into()),
        },
    };
    let page = activity_page(
        &auth,
        id,
        PageRequest::new(None, None),
        Some((message, true)),
    )
    .await?;
    Ok((status, page).into_response())
}

/// A number of non-members, as a form's text or a JSON number.
#[derive(serde::Deserialize, Debug, Clone, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Count {
    Number(i64),
    Text(String),
}

#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
pub struct CountInput {
    /// Non-members reached (a negative number corrects a miscount).
    #[serde(default)]
    pub count: Option<Count>,
}

fn count_of(input: &CountInput) -> Result<i64, Error> {
    match &input.count {
        Some(Count::Number(n)) => Some(*n),
        Some(Count::Text(t)) => t.trim().parse::<i64>().ok(),
        None => None,
    }
    .ok_or(Error::invalid("count", "care.bad_count"))
}

/// `POST /care/{id}/non-members`: non-members reached, by number.
pub async fn non_members(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<CountInput>,
) -> Result<Response, PageError> {
    let done = match count_of(&input) {
        Ok(n) => {
            in_write(&auth.app.store, async |tx| {
                care::count_non_members(tx, &auth.caller, id, n).await
            })
            .await
        }
        Err(e) => {
            in_read(&auth.app.store, async |tx| {
                care::get(tx, &auth.caller.scope, id).await
            })
            .await?;
            Err(e)
        }
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/care/{id}?done=counted")).into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let message = Some((t(&auth, code).to_string(), true));
                let page = activity_page(&auth, id, PageRequest::new(None, None), message).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

#[utoipa::path(post, path = "/api/v1/care/activities", tag = "services", request_body = ActivityInput,
    responses((status = 201, description = "The activity with its `id` and `code`", body = Activity), (status = 403, body = ErrorBody),
              (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<ActivityInput>,
) -> Result<(StatusCode, Json<Activity>), ApiError> {
    let a = in_write(&auth.app.store, async |tx| {
        care::create(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(get, path = "/api/v1/care/activities", tag = "services", params(Paging),
    responses((status = 200, description = "The care activities of the caller's subtree, latest first", body = Page<Activity>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Activity>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            care::list(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/care/activities/{id}", tag = "services", params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, body = Activity), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Activity>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            care::get(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/care/activities/{id}/recipients", tag = "services",
    params(("id" = Uuid, Path, description = "Activity id"), Paging),
    responses((status = 200, description = "The members who received, latest first", body = Page<Receipt>), (status = 404, body = ErrorBody)))]
pub async fn api_recipients(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Receipt>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            care::recipients(tx, &auth.caller.scope, id, paging.request()).await
        })
        .await?,
    ))
}

/// A repeated scan's answer: the error and the earlier receipt.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AlreadyReceived {
    pub code: &'static str,
    pub message: String,
    pub receipt: Receipt,
}

#[utoipa::path(post, path = "/api/v1/care/activities/{id}/recipients", tag = "services", request_body = RecipientInput,
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 201, description = "Recorded", body = Receipt),
              (status = 409, description = "Received already at this activity: the earlier receipt", body = AlreadyReceived),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "`member_no`: no active member of the organiser's subtree", body = ErrorBody)))]
pub async fn api_scan(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<RecipientInput>,
) -> Result<Response, ApiError> {
    let done = in_write(&auth.app.store, async |tx| {
        care::scan(tx, &auth.caller, id, &input).await
    })
    .await?;
    Ok(match done {
        Scanned::New(r) => (StatusCode::CREATED, Json(r)).into_response(),
        Scanned::Already(r) => (
            StatusCode::CONFLICT,
            Json(AlreadyReceived {
                code: "care.already_received",
                message: format!(
                    "{} received at this activity on {}, recorded by {}",
                    r.name, r.received_on, r.recorded_by
                ),
                receipt: r,
            }),
        )
            .into_response(),
    })
}

#[utoipa::path(post, path = "/api/v1/care/activities/{id}/non-members", tag = "services", request_body = CountInput,
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "The activity with its new count", body = Activity), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_non_members(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<CountInput>,
) -> Result<Json<Activity>, ApiError> {
    let store = &auth.app.store;
    in_read(store, async |tx| {
        care::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    let n = count_of(&input)?;
    Ok(Json(
        in_write(store, async |tx| {
            care::count_non_members(tx, &auth.caller, id, n).await
        })
        .await?,
    ))
}

/// `POST /care/{id}/handout`: recipients from a filtered member list: the preview (count and
/// cost), then the confirmed handout.
pub async fn handout(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(f): Form<super::BulkForm>,
) -> Result<Response, PageError> {
    let filter = f.filter();
    let done = in_write(&auth.app.store, async |tx| {
        care::handout(tx, &auth.caller, id, &filter).await
    })
    .await;
    let first = PageRequest::new(None, None);
    match done {
        Ok(report) => Ok(handout_page(&auth, id, first, None, filter, Some(report))
            .await?
            .into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let message = Some((t(&auth, code), true));
                let page = handout_page(&auth, id, first, message, filter, None).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

#[utoipa::path(post, path = "/api/v1/care/activities/{id}/recipients/bulk", tag = "services", request_body = MemberFilter,
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "Members matched, received already and recorded now (with `dry_run`: who would be)", body = HandoutReport),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_handout(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(filter): Json<MemberFilter>,
) -> Result<Json<HandoutReport>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            care::handout(tx, &auth.caller, id, &filter).await
        })
        .await?,
    ))
}
