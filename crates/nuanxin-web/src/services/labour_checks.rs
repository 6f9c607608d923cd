//! Labour-law checks (法治体检) in the console and the API: the list of the caller's subtree (and
//! of their enterprises), a new check (from the enterprise's census page), a check's page with
//! its follow-up, the sheet import and the export.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, ListLinks, Pager, Paging};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::page::Page;
use nuanxin_core::services::labour_checks::{
    self, CheckFilter, CheckInput, CheckPatch, LabourCheck, ITEMS, ITEM_STATES,
};
use nuanxin_core::{in_read, in_write, Error, Role};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

impl ListLinks for CheckFilter {
    const PATH: &'static str = "/labour-checks";
}

#[derive(Template)]
#[template(path = "services/checks.html")]
struct ListPage {
    ctx: Ctx,
    query: CheckFilter,
    page: Page<LabourCheck>,
    may_create: bool,
    today: chrono::NaiveDate,
}

impl ListPage {
    fn export_link(&self) -> String {
        format!("/labour-checks/export.xlsx?{}", self.query.query_with(&[]))
    }

    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| self.query.page_link(n))
    }
}

/// `GET /labour-checks`: the checks of the caller's subtree, newest first.
pub async fn list(
    auth: Auth,
    Query(query): Query<CheckFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        labour_checks::list(tx, &auth.caller.scope, &query, paging.request()).await
    })
    .await?;
    let ctx = Ctx::new(&auth, "cases", &query.link(&[]));
    render(&ListPage {
        may_create: auth.caller.is_staff(),
        today: auth.caller.today,
        ctx,
        query,
        page,
    })
}

#[derive(Template)]
#[template(path = "services/check_new.html")]
struct NewPage {
    ctx: Ctx,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
    /// The enterprise's name, when the USCC names one in scope.
    enterprise: Option<String>,
    today: String,
}

impl NewPage {
    fn value(&self, field: &str) -> &str {
        self.form.get(field).map_or("", String::as_str)
    }

    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field).copied()
    }

    fn items(&self) -> Vec<&'static str> {
        ITEMS.iter().map(|(c, _)| *c).collect()
    }

    fn states(&self) -> &'static [&'static str] {
        &ITEM_STATES
    }

    fn item_value(&self, item: &str) -> &str {
        self.value(&format!("item_{item}"))
    }
}

async fn new_page(
    auth: &Auth,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let uscc = form.get("uscc").cloned().unwrap_or_default();
    let enterprise = in_read(&auth.app.store, async |tx| {
        Ok(
            match nuanxin_core::census::get(tx, &auth.caller.scope, &uscc).await {
                Ok(e) => Some(e.name),
                Err(Error::NotFound) => None,
                Err(e) => return Err(e),
            },
        )
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", "/labour-checks/new");
    render(&NewPage {
        today: auth.caller.today.to_string(),
        ctx,
        form,
        errors,
        enterprise,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    uscc: String,
}

/// `GET /labour-checks/new?uscc=`: the form, the union defaulting to the caller's first post.
pub async fn new_form(auth: Auth, Query(q): Query<NewQuery>) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    form.insert("uscc".to_string(), q.uscc);
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    new_page(&auth, form, HashMap::new()).await
}

/// The items of a form: `item_wages=found` fields.
fn items_of(form: &HashMap<String, String>) -> BTreeMap<String, String> {
    form.iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("item_")
                .map(|item| (item.to_string(), v.clone()))
        })
        .collect()
}

/// `POST /labour-checks/new`.
pub async fn create(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = CheckInput {
        uscc: v("uscc"),
        org_code: v("org_code"),
        checked_on: v("checked_on"),
        items: items_of(&form),
        findings: v("findings"),
        rectified: v("rectified"),
        rectify_by: v("rectify_by"),
        follow_up: v("follow_up"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        labour_checks::create(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |k| format!("/labour-checks/{}?done=saved", k.id),
        move |errors| async move { new_page(&auth, form, errors).await },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/check.html")]
struct CheckPage {
    ctx: Ctx,
    check: LabourCheck,
    may_edit: bool,
    today: chrono::NaiveDate,
    message: Option<(&'static str, bool)>,
}

impl CheckPage {
    fn items(&self) -> Vec<&'static str> {
        ITEMS.iter().map(|(c, _)| *c).collect()
    }

    fn states(&self) -> &'static [&'static str] {
        &ITEM_STATES
    }

    fn item(&self, item: &str) -> String {
        self.check.item(item).unwrap_or_default()
    }
}

async fn check_page(
    auth: &Auth,
    id: Uuid,
    message: Option<(&'static str, bool)>,
) -> Result<Html<String>, PageError> {
    let check = in_read(&auth.app.store, async |tx| {
        labour_checks::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", &format!("/labour-checks/{id}"));
    render(&CheckPage {
        may_edit: auth.caller.role_at(&check.org_path) >= Some(Role::Staff),
        today: auth.caller.today,
        ctx,
        check,
        message,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /labour-checks/{id}`.
pub async fn show(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> Result<Html<String>, PageError> {
    let message = (done.done == "saved").then_some(("checks.saved", false));
    check_page(&auth, id, message).await
}

/// `POST /labour-checks/{id}`: the follow-up (items rectified, counts, deadline, notes).
pub async fn update(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let get = |k: &str| form.get(k).cloned();
    let items = items_of(&form);
    let patch = CheckPatch {
        items: (!items.is_empty()).then_some(items),
        findings: get("findings"),
        rectified: get("rectified"),
        rectify_by: get("rectify_by"),
        follow_up: get("follow_up"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        labour_checks::update(tx, &auth.caller, id, &patch).await
    })
    .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/labour-checks/{id}?done=saved")).into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let page = check_page(&auth, id, Some((code, true))).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// `GET /labour-checks/export.xlsx`: the list as filtered, every page, in the import layout.
pub async fn export(auth: Auth, Query(query): Query<CheckFilter>) -> Result<Response, PageError> {
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes = labour_checks::export(&auth.app.store, &auth.caller, &query, zh).await?;
    Ok(crate::respond::xlsx(bytes, "labour-checks.xlsx"))
}

#[utoipa::path(post, path = "/api/v1/labour-checks", tag = "services", request_body = CheckInput,
    responses((status = 201, body = LabourCheck), (status = 403, body = ErrorBody), (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<CheckInput>,
) -> Result<(StatusCode, Json<LabourCheck>), ApiError> {
    let k = in_write(&auth.app.store, async |tx| {
        labour_checks::create(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(k)))
}

#[utoipa::path(get, path = "/api/v1/labour-checks", tag = "services", params(CheckFilter, Paging),
    responses((status = 200, description = "The checks the caller's unions ran, and the checks of their enterprises", body = Page<LabourCheck>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<CheckFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<LabourCheck>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            labour_checks::list(tx, &auth.caller.scope, &query, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/labour-checks/{id}", tag = "services", params(("id" = Uuid, Path, description = "Check id")),
    responses((status = 200, body = LabourCheck), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<LabourCheck>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            labour_checks::get(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/labour-checks/{id}", tag = "services", request_body = CheckPatch,
    params(("id" = Uuid, Path, description = "Check id")),
    responses((status = 200, body = LabourCheck), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_update(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(patch): Json<CheckPatch>,
) -> Result<Json<LabourCheck>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            labour_checks::update(tx, &auth.caller, id, &patch).await
        })
        .await?,
    ))
}
