//! Hardship files (困难职工档案) in the console and the API: the files of the caller's staff
//! subtrees with the reviews falling due first on request, a new file, a file's page with its
//! assistance, the yearly review and closing. Staff and admins only; every view is audited by
//! the core (a file's page or a list page reads in a write transaction for that).

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, Pager, Paging};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::page::Page;
use nuanxin_core::services::hardship::{
    self, Assistance, AssistanceInput, Causes, CloseInput, File, FileInput, Filter, ReviewInput,
    AID_KINDS, CAUSES, LEVELS,
};
use nuanxin_core::services::money::yuan;
use nuanxin_core::{in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

/// Helpers the hardship pages share.
trait Labels {
    fn ctx(&self) -> &Ctx;

    fn level(&self, code: &str) -> String {
        self.ctx().t(&format!("hardship.level.{code}")).to_string()
    }

    fn causes(&self, f: &File) -> String {
        f.cause_codes()
            .iter()
            .map(|c| self.ctx().t(&format!("hardship.cause.{c}")).to_string())
            .collect::<Vec<_>>()
            .join(self.ctx().t("common.list_sep"))
    }

    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

#[derive(Template)]
#[template(path = "services/hardship.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<File>,
    filter: Filter,
    levels: Vec<(&'static str, String)>,
    due: i64,
    today: chrono::NaiveDate,
}

impl Labels for ListPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl ListPage {
    fn pager(&self) -> Pager {
        let f = &self.filter;
        let q = crate::auth::urlencode(&f.q);
        let (status, due, level) = (f.status.clone(), f.due.clone(), f.level.clone());
        Pager::of(&self.page, move |n| {
            format!("/hardship?status={status}&due={due}&level={level}&q={q}&page={n}")
        })
    }

    fn overdue(&self, f: &File) -> bool {
        f.is_open() && f.review_on < self.today
    }

    fn export_link(&self) -> String {
        let f = &self.filter;
        format!(
            "/hardship/export.xlsx?status={}&due={}&level={}&q={}",
            f.status,
            f.due,
            f.level,
            crate::auth::urlencode(&f.q)
        )
    }
}

/// `GET /hardship`: the files of the caller's staff subtrees (open ones by default).
pub async fn list(
    auth: Auth,
    Query(filter): Query<Filter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let (page, due) = in_write(&auth.app.store, async |tx| {
        let page = hardship::list(tx, &auth.caller, &filter, paging.request()).await?;
        let due = hardship::due_count(tx, &auth.caller).await?;
        Ok((page, due))
    })
    .await?;
    let ctx = Ctx::new(&auth, "cases", "/hardship");
    render(&ListPage {
        levels: ctx.labels("hardship.level", &LEVELS),
        ctx,
        page,
        filter,
        due,
        today: auth.caller.today,
    })
}

#[derive(Template)]
#[template(path = "services/hardship_new.html")]
struct NewPage {
    ctx: Ctx,
    entered: crate::layout::Entered,
    causes_checked: Vec<String>,
    levels: Vec<(&'static str, String)>,
    causes: Vec<(&'static str, String)>,
}

impl NewPage {
    fn checked(&self, code: &str) -> bool {
        self.causes_checked.iter().any(|c| c == code)
    }
}

fn new_page(
    auth: &Auth,
    form: HashMap<String, String>,
    causes_checked: Vec<String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "cases", "/hardship/new");
    render(&NewPage {
        levels: ctx.labels("hardship.level", &LEVELS),
        causes: ctx.labels("hardship.cause", &CAUSES),
        ctx,
        entered: crate::layout::Entered { form, errors },
        causes_checked,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    member_no: String,
}

/// `GET /hardship/new`: the form (a member's page links it with their number filled in).
pub async fn new_form(auth: Auth, Query(q): Query<NewQuery>) -> Result<Html<String>, PageError> {
    if !hardship::may_see(&auth.caller) {
        return Err(Error::Forbidden.into());
    }
    let mut form = HashMap::new();
    form.insert("member_no".to_string(), q.member_no);
    form.insert("opened_on".to_string(), auth.caller.today.to_string());
    new_page(&auth, form, Vec::new(), HashMap::new())
}

/// `POST /hardship/new`: the form's fields, `causes` repeated once per box ticked.
pub async fn create(
    auth: Auth,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let causes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "causes")
        .map(|(_, v)| v.clone())
        .collect();
    let form: HashMap<String, String> = pairs.into_iter().filter(|(k, _)| k != "causes").collect();
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = FileInput {
        member_no: v("member_no"),
        level: v("level"),
        causes: Causes::List(causes.clone()),
        household_size: v("household_size"),
        household_income: v("household_income"),
        opened_on: v("opened_on"),
        review_on: v("review_on"),
        note: v("note"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        hardship::open(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |f| format!("/hardship/{}?done=opened", f.id),
        move |errors| async move { new_page(&auth, form, causes, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/hardship_file.html")]
struct FilePage {
    ctx: Ctx,
    file: File,
    assistance: Vec<Assistance>,
    levels: Vec<(&'static str, String)>,
    aid_kinds: Vec<(&'static str, String)>,
    today: chrono::NaiveDate,
    /// What the last step said: (message, whether it is an error).
    message: Option<(String, bool)>,
    /// The form the message belongs to: `assist`, `review` or `close`.
    form: &'static str,
}

impl Labels for FilePage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl FilePage {
    fn aid_kind(&self, code: &str) -> String {
        self.ctx.t(&format!("hardship.aid.{code}")).to_string()
    }

    fn overdue(&self) -> bool {
        self.file.is_open() && self.file.review_on < self.today
    }

    fn message_for(&self, form: &str) -> Option<&(String, bool)> {
        self.message.as_ref().filter(|_| self.form == form)
    }
}

async fn file_page(
    auth: &Auth,
    id: Uuid,
    message: Option<(String, bool)>,
    form: &'static str,
) -> Result<Html<String>, PageError> {
    let (file, assistance) = in_write(&auth.app.store, async |tx| {
        let f = hardship::get(tx, &auth.caller, id).await?;
        let a = hardship::assistance(tx, &auth.caller, id).await?;
        Ok((f, a))
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", &format!("/hardship/{id}"));
    render(&FilePage {
        levels: ctx.labels("hardship.level", &LEVELS),
        aid_kinds: ctx.labels("hardship.aid", &AID_KINDS),
        ctx,
        file,
        assistance,
        today: auth.caller.today,
        message,
        form,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
}

/// `GET /hardship/{id}`: the file and its assistance (the view is audited).
pub async fn show(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, PageError> {
    let t = |k: &str| crate::i18n::Catalogue::of(auth.lang).get(k).to_string();
    let (message, form) = match q.done.as_str() {
        "opened" => (Some((t("hardship.opened"), false)), "top"),
        "assisted" => (Some((t("hardship.assisted_done"), false)), "assist"),
        "reviewed" => (Some((t("hardship.reviewed_done"), false)), "review"),
        "closed" => (Some((t("hardship.closed_done"), false)), "top"),
        _ => (None, ""),
    };
    file_page(&auth, id, message, form).await
}

/// A step's answer on the page: back to the file with its message, or the file again with the
/// refusal beside the form that was sent.
async fn after_step<T>(
    auth: &Auth,
    id: Uuid,
    done: Result<T, Error>,
    ok: &str,
    form: &'static str,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/hardship/{id}?done={ok}#{form}")).into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let text = crate::i18n::Catalogue::of(auth.lang).get(code).to_string();
                let page = file_page(auth, id, Some((text, true)), form).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /hardship/{id}/assistance`.
pub async fn assist(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<AssistanceInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        hardship::assist(tx, &auth.caller, id, &input).await
    })
    .await;
    after_step(&auth, id, done, "assisted", "assist").await
}

/// `POST /hardship/{id}/review`.
pub async fn review(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<ReviewInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        hardship::review(tx, &auth.caller, id, &input).await
    })
    .await;
    after_step(&auth, id, done, "reviewed", "review").await
}

/// `POST /hardship/{id}/close`.
pub async fn close(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<CloseInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        hardship::close(tx, &auth.caller, id, &input).await
    })
    .await;
    after_step(&auth, id, done, "closed", "close").await
}

#[utoipa::path(get, path = "/api/v1/hardship", tag = "services", params(Filter, Paging),
    responses((status = 200, description = "The hardship files of the caller's staff subtrees (the view is audited)", body = Page<File>),
              (status = 403, description = "Not staff anywhere", body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<Filter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<File>>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            hardship::list(tx, &auth.caller, &filter, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/hardship", tag = "services", request_body = FileInput,
    responses((status = 201, description = "The file opened", body = File), (status = 403, body = ErrorBody),
              (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_open(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<FileInput>,
) -> Result<(StatusCode, Json<File>), ApiError> {
    let f = in_write(&auth.app.store, async |tx| {
        hardship::open(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// A file with its assistance records.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FileDetail {
    #[serde(flatten)]
    pub file: File,
    pub assistance: Vec<Assistance>,
}

#[utoipa::path(get, path = "/api/v1/hardship/{id}", tag = "services", params(("id" = Uuid, Path, description = "File id")),
    responses((status = 200, description = "The file and its assistance (the view is audited)", body = FileDetail), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<FileDetail>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            let file = hardship::get(tx, &auth.caller, id).await?;
            let assistance = hardship::assistance(tx, &auth.caller, id).await?;
            Ok(FileDetail { file, assistance })
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/hardship/{id}/assistance", tag = "services", request_body = AssistanceInput,
    params(("id" = Uuid, Path, description = "File id")),
    responses((status = 201, description = "Recorded", body = Assistance), (status = 404, body = ErrorBody),
              (status = 422, description = "Field errors, or the file is closed (`status`)", body = ErrorBody)))]
pub async fn api_assist(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<AssistanceInput>,
) -> Result<(StatusCode, Json<Assistance>), ApiError> {
    let a = in_write(&auth.app.store, async |tx| {
        hardship::assist(tx, &auth.caller, id, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(post, path = "/api/v1/hardship/{id}/review", tag = "services", request_body = ReviewInput,
    params(("id" = Uuid, Path, description = "File id")),
    responses((status = 200, description = "The file after its review", body = File), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn api_review(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<ReviewInput>,
) -> Result<Json<File>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            hardship::review(tx, &auth.caller, id, &input).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/hardship/{id}/close", tag = "services", request_body = CloseInput,
    params(("id" = Uuid, Path, description = "File id")),
    responses((status = 200, description = "The file closed", body = File), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn api_close(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<CloseInput>,
) -> Result<Json<File>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            hardship::close(tx, &auth.caller, id, &input).await
        })
        .await?,
    ))
}

/// `GET /hardship/export.xlsx`: the files of the list's filter as a sheet (ID numbers masked;
/// the export is audited).
pub async fn export(auth: Auth, Query(filter): Query<Filter>) -> Result<Response, PageError> {
    let files = in_write(&auth.app.store, async |tx| {
        hardship::export(tx, &auth.caller, &filter).await
    })
    .await?;
    let cat = crate::i18n::Catalogue::of(auth.lang);
    let headers: Vec<&str> = [
        "hardship.field.name",
        "hardship.field.member_no",
        "hardship.field.id_mask",
        "hardship.field.org",
        "hardship.field.level",
        "hardship.field.causes",
        "hardship.field.household_size",
        "hardship.field.household_income",
        "hardship.field.opened_on",
        "hardship.field.review_on",
        "hardship.field.assisted",
        "hardship.field.status",
    ]
    .iter()
    .map(|k| cat.get(k))
    .collect();
    let plain = |fen: i64| yuan(fen).replace(',', "");
    let rows: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            vec![
                f.name.clone(),
                f.member_no.clone(),
                f.id_mask.clone(),
                f.org_name.clone(),
                cat.get(&format!("hardship.level.{}", f.level)).to_string(),
                f.cause_codes()
                    .iter()
                    .map(|c| cat.get(&format!("hardship.cause.{c}")).to_string())
                    .collect::<Vec<_>>()
                    .join(cat.get("common.list_sep")),
                f.household_size.to_string(),
                plain(f.household_income_fen),
                f.opened_on.to_string(),
                f.review_on.to_string(),
                plain(f.assisted_fen),
                cat.get(&format!("hardship.status.{}", f.status))
                    .to_string(),
            ]
        })
        .collect();
    let title = cat.get("hardship.title");
    let bytes =
        nuanxin_core::sheets::write_xlsx(title, &headers, &rows).map_err(Error::Internal)?;
    Ok(crate::respond::xlsx(bytes, "hardship.xlsx"))
}
