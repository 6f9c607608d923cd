//! Org pages. Each handler extracts, calls `nuanxin_core::orgs`, and renders.

use super::view::{self, OrgRow};
use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::{Ctx, ListLinks};
use crate::regions::picker::Picker;
use crate::respond::{self, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::error::FieldErrors;
use nuanxin_core::orgs::sheet::{self};
use nuanxin_core::orgs::{
    self, HistoryEntry, Industry, JointKind, OrgFilter, OrgInput, OrgKind, OrgStatus, OrgUnit,
};
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::regions::RegionCode;
use nuanxin_core::{in_read, in_write, sheets, Error, Role};
use serde::{Deserialize, Serialize};

/// Filters, sort and page of the org list: the page's query string and the API's parameters.
#[derive(Debug, Default, Deserialize, Serialize, Clone, utoipa::IntoParams)]
pub struct ListQuery {
    /// Text found in the code or name.
    pub q: Option<String>,
    /// `federation`, `industry_federation`, `joint_union` or `enterprise_union` (or the Chinese name).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `active` (default), `dissolved` or `all`.
    pub status: Option<String>,
    /// Only this unit's subtree (by code).
    pub under: Option<String>,
    /// Only units whose region lies inside this region (12-digit or short code).
    pub region: Option<String>,
    /// `path` (default), `code`, `name`, `region`, `founded`, `updated`.
    pub sort: Option<String>,
    /// `1` for descending.
    pub desc: Option<String>,
    pub page: Option<u32>,
    /// At most 200.
    pub per_page: Option<u32>,
}

fn filled(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    pub fn filter(&self) -> Result<OrgFilter, Error> {
        let region = match filled(&self.region) {
            Some(r) => Some(RegionCode::parse(r)?),
            None => None,
        };
        Ok(OrgFilter {
            q: filled(&self.q).map(str::to_string),
            kind: filled(&self.kind).and_then(OrgKind::parse),
            status: match filled(&self.status) {
                Some("dissolved") => Some(OrgStatus::Dissolved),
                Some("all") => None,
                _ => Some(OrgStatus::Active),
            },
            under: filled(&self.under).map(str::to_string),
            region,
            sort: filled(&self.sort)
                .and_then(|s| serde_json::from_value(serde_json::json!(s)).ok())
                .unwrap_or_default(),
            desc: filled(&self.desc) == Some("1"),
        })
    }

    /// Link to the same list sorted by `col` (toggling direction when already sorted by it).
    pub fn sort_link(&self, col: &str) -> String {
        let same = filled(&self.sort) == Some(col);
        let desc = (same && filled(&self.desc) != Some("1")).then_some("1");
        self.link(&[("sort", Some(col)), ("desc", desc), ("page", None)])
    }

    pub fn sort_mark(&self, col: &str) -> &'static str {
        match (
            filled(&self.sort) == Some(col),
            filled(&self.desc) == Some("1"),
        ) {
            (true, false) => "▲",
            (true, true) => "▼",
            _ => "",
        }
    }

    /// The export of everything the filters select, as `xlsx` or `csv`.
    pub fn export_as(&self, format: &str) -> String {
        format!(
            "/orgs/export.{format}?{}",
            self.query_with(&[("page", None)])
        )
    }
}

impl ListLinks for ListQuery {
    const PATH: &'static str = "/orgs";
}

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct ListPage {
    ctx: Ctx,
    query: ListQuery,
    rows: Vec<OrgRow>,
    page: Page<()>,
    under: Option<OrgRow>,
    kinds: Vec<(&'static str, String)>,
    can_create: bool,
}

#[derive(Template)]
#[template(path = "orgs/results.html")]
struct ResultsFragment {
    ctx: Ctx,
    query: ListQuery,
    rows: Vec<OrgRow>,
    page: Page<()>,
}

fn kinds(ctx: &Ctx) -> Vec<(&'static str, String)> {
    OrgKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                ctx.t(&format!("orgs.kind.{}", k.as_str())).to_string(),
            )
        })
        .collect()
}

fn shape(page: &Page<OrgUnit>) -> Page<()> {
    Page {
        items: Vec::new(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

pub async fn list(
    auth: Auth,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let filter = query.filter()?;
    let result = in_read(&auth.app.store, async |tx| {
        let page = PageRequest::new(query.page, query.per_page);
        orgs::list(tx, &auth.caller.scope, &filter, page).await
    })
    .await?;
    let ctx = Ctx::new(&auth, "orgs", &query.link(&[("page", None)]));
    let rows = result.items.iter().map(|o| view::row(&ctx, o)).collect();
    if is_htmx(&headers)
        && headers.get("hx-target").and_then(|v| v.to_str().ok()) == Some("org-results")
    {
        return render(&ResultsFragment {
            ctx,
            query,
            rows,
            page: shape(&result),
        });
    }
    let under = match filled(&query.under) {
        Some(code) => Some(view::row(
            &ctx,
            &orgs::find(&auth.app.store, &auth.caller.scope, code).await?,
        )),
        None => None,
    };
    let can_create = auth.caller.is_staff();
    let kinds = kinds(&ctx);
    render(&ListPage {
        ctx,
        query,
        rows,
        page: shape(&result),
        under,
        kinds,
        can_create,
    })
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct ShowPage {
    ctx: Ctx,
    unit: OrgRow,
    trail: Vec<OrgRow>,
    children: Vec<OrgRow>,
    children_page: Page<()>,
    history: Vec<HistoryEntry>,
    /// Days the union may object to a member leaving by transfer.
    transfer_window: i64,
    can_edit: bool,
    can_restructure: bool,
    liaison_visits: Vec<orgs::liaison::LiaisonVisit>,
    may_visit: bool,
    visit_action: String,
    today: String,
}

impl ShowPage {
    fn event_label(&self, event: &str) -> String {
        self.ctx.t(&format!("orgs.event.{event}")).to_string()
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<u32>,
}

pub async fn show(
    auth: Auth,
    Path(code): Path<String>,
    Query(pq): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    let scope = &auth.caller.scope;
    let orgs::Overview {
        unit,
        trail,
        children,
        history,
        transfer_window,
    } = orgs::overview(
        &auth.app.store,
        scope,
        &code,
        PageRequest::new(pq.page, Some(50)),
    )
    .await?;
    let role = scope.role_at(&unit.path);
    let (liaison_visits, may_visit) = orgs::liaison::list(
        &auth.app.store,
        &auth.caller,
        orgs::liaison::Visited::Unit(&code),
    )
    .await?;
    let ctx = Ctx::new(&auth, "orgs", &format!("/orgs/{code}"));
    let page = ShowPage {
        unit: view::row(&ctx, &unit),
        trail: trail.iter().map(|o| view::row(&ctx, o)).collect(),
        children: children.items.iter().map(|o| view::row(&ctx, o)).collect(),
        children_page: shape(&children),
        history,
        transfer_window,
        can_edit: unit.is_active() && role >= Some(Role::Staff),
        can_restructure: unit.is_active() && auth.caller.may_restructure(&unit.path),
        liaison_visits,
        may_visit,
        visit_action: format!("/orgs/{code}/liaison-visits"),
        today: auth.caller.today.to_string(),
        ctx,
    };
    render(&page)
}

/// Values and errors of the create/edit form.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct OrgForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub joint_kind: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub parent_code: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub founded_on: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
}

impl OrgForm {
    fn input(&self) -> OrgInput {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        OrgInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            joint_kind: opt(&self.joint_kind),
            industry: opt(&self.industry),
            parent_code: opt(&self.parent_code),
            region_code: self.region_code.clone(),
            founded_on: opt(&self.founded_on),
            contact_name: opt(&self.contact_name),
            contact_phone: opt(&self.contact_phone),
        }
    }

    fn of(o: &OrgUnit) -> OrgForm {
        OrgForm {
            code: o.code.clone(),
            name: o.name.clone(),
            kind: o.kind.as_str().into(),
            joint_kind: o.joint_kind.clone().unwrap_or_default(),
            industry: o.industry.clone().unwrap_or_default(),
            parent_code: o.parent_code.clone().unwrap_or_default(),
            region_code: o.region_code.clone(),
            founded_on: o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
            contact_name: o.contact_name.clone().unwrap_or_default(),
            contact_phone: o.contact_phone.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct FormPage {
    ctx: Ctx,
    editing: bool,
    form: OrgForm,
    errors: FieldErrors,
    parent: Option<OrgRow>,
    picker: Picker,
    kinds: Vec<(&'static str, String)>,
    joint_kinds: Vec<(&'static str, String)>,
    industries: Vec<(&'static str, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }
}

async fn form_page(
    auth: &Auth,
    editing: bool,
    form: OrgForm,
    errors: FieldErrors,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "orgs", if editing { "/orgs" } else { "/orgs/new" });
    let parent = match filled(&Some(form.parent_code.clone())) {
        Some(p) => orgs::find(&auth.app.store, &auth.caller.scope, p)
            .await
            .ok(),
        None => None,
    };
    let root = parent.as_ref().map(|p| p.region_code.clone());
    let picker = Picker::build(
        &auth.app.store,
        root.as_deref(),
        &form.region_code,
        errors.get("region_code"),
    )
    .await?;
    let page = FormPage {
        editing,
        parent: parent.as_ref().map(|p| view::row(&ctx, p)),
        picker,
        kinds: kinds(&ctx),
        joint_kinds: JointKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    ctx.t(&format!("orgs.joint_kind.{}", k.as_str()))
                        .to_string(),
                )
            })
            .collect(),
        industries: Industry::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    ctx.t(&format!("orgs.industry.{}", k.as_str())).to_string(),
                )
            })
            .collect(),
        form,
        errors,
        ctx,
    };
    render(&page)
}

fn with_status(status: StatusCode, html: Html<String>) -> Response {
    (status, html).into_response()
}

#[derive(Deserialize)]
pub struct NewQuery {
    parent: Option<String>,
}

pub async fn new_form(auth: Auth, Query(q): Query<NewQuery>) -> Result<Html<String>, PageError> {
    let mut form = OrgForm {
        kind: "joint_union".into(),
        ..OrgForm::default()
    };
    if let Some(p) = filled(&q.parent) {
        let parent = orgs::find(&auth.app.store, &auth.caller.scope, p).await?;
        form.parent_code = parent.code;
        form.region_code = parent.region_code;
    }
    form_page(&auth, false, form, FieldErrors::new()).await
}

pub async fn create(auth: Auth, Form(form): Form<OrgForm>) -> Result<Response, PageError> {
    match orgs::submit_new(&auth.app.store, &auth.caller, &form.input()).await {
        Ok(unit) => Ok(Redirect::to(&format!("/orgs/{}", unit.code)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => Ok(respond::invalid(form_page(&auth, false, form, errs).await?)),
            None => Err(e.into()),
        },
    }
}

pub async fn edit_form(auth: Auth, Path(code): Path<String>) -> Result<Html<String>, PageError> {
    let unit = orgs::find(&auth.app.store, &auth.caller.scope, &code).await?;
    form_page(&auth, true, OrgForm::of(&unit), FieldErrors::new()).await
}

pub async fn update(
    auth: Auth,
    Path(code): Path<String>,
    Form(mut form): Form<OrgForm>,
) -> Result<Response, PageError> {
    let mut kept = None;
    let saved = orgs::submit_changes(&auth.app.store, &auth.caller, &code, |unit| {
        kept = Some((unit.code.clone(), unit.parent_code.clone()));
        form.input()
    })
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{code}")).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => {
                if let Some((code, parent)) = kept {
                    form.code = code;
                    form.parent_code = parent.unwrap_or_default();
                }
                Ok(respond::invalid(form_page(&auth, true, form, errs).await?))
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Template)]
#[template(path = "orgs/move.html")]
struct MovePage {
    ctx: Ctx,
    unit: OrgRow,
    parent_code: String,
    error: Option<&'static str>,
    candidates: Vec<OrgRow>,
}

#[derive(Deserialize)]
pub struct MoveForm {
    parent_code: String,
}

async fn move_page(
    auth: &Auth,
    code: &str,
    parent_code: String,
    error: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let (unit, candidates) = orgs::move_targets(&auth.app.store, &auth.caller.scope, code).await?;
    let ctx = Ctx::new(auth, "orgs", &format!("/orgs/{code}/move"));
    let candidates = candidates.iter().map(|c| view::row(&ctx, c)).collect();
    render(&MovePage {
        unit: view::row(&ctx, &unit),
        parent_code,
        error,
        candidates,
        ctx,
    })
}

pub async fn move_form(auth: Auth, Path(code): Path<String>) -> Result<Html<String>, PageError> {
    move_page(&auth, &code, String::new(), None).await
}

pub async fn move_subtree(
    auth: Auth,
    Path(code): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Response, PageError> {
    match in_write(&auth.app.store, async |tx| {
        orgs::move_subtree(tx, &auth.caller, &code, f.parent_code.trim()).await
    })
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{code}")).into_response()),
        Err(Error::Invalid { code: c, .. } | Error::Conflict { code: c, .. }) => {
            let html = move_page(&auth, &code, f.parent_code, Some(c)).await?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, html))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orgs/dissolve.html")]
struct DissolvePage {
    ctx: Ctx,
    unit: OrgRow,
    /// Memberships still held (active, retained, requests): they move to `members_to`.
    members: i64,
    members_to: String,
    error: Option<&'static str>,
}

/// The dissolve page: a unit with members says how many and where they go (the nearest holding
/// pool unless another union is named).
async fn dissolve_page(
    auth: &Auth,
    code: &str,
    members_to: Option<String>,
    error: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let scope = &auth.caller.scope;
    let (unit, members, default_to) = in_read(&auth.app.store, async |tx| {
        let unit = orgs::get(tx, scope, code).await?;
        let members = orgs::merge::members_left(tx, unit.id).await?;
        let to = orgs::merge::default_members_to(tx, &unit).await?;
        Ok((unit, members, to))
    })
    .await?;
    let ctx = Ctx::new(auth, "orgs", &format!("/orgs/{code}/dissolve"));
    render(&DissolvePage {
        unit: view::row(&ctx, &unit),
        members,
        members_to: members_to.or(default_to).unwrap_or_default(),
        error,
        ctx,
    })
}

pub async fn dissolve_form(
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Html<String>, PageError> {
    dissolve_page(&auth, &code, None, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DissolveForm {
    #[serde(default)]
    members_to: Option<String>,
}

pub async fn dissolve(
    auth: Auth,
    Path(code): Path<String>,
    Form(f): Form<DissolveForm>,
) -> Result<Response, PageError> {
    let to = f.members_to.as_deref();
    match orgs::merge::dissolve_with_members(&auth.app.store, &auth.caller, &code, to).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{code}")).into_response()),
        Err(Error::Conflict { code: c, .. } | Error::Invalid { code: c, .. }) => {
            let html = dissolve_page(&auth, &code, f.members_to, Some(c)).await?;
            Ok(with_status(StatusCode::CONFLICT, html))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn export_xlsx(
    state: State<AppState>,
    auth: Auth,
    query: Query<ListQuery>,
) -> Result<Response, PageError> {
    export(state, auth, "xlsx", query).await
}

pub async fn export_csv(
    state: State<AppState>,
    auth: Auth,
    query: Query<ListQuery>,
) -> Result<Response, PageError> {
    export(state, auth, "csv", query).await
}

async fn export(
    State(state): State<AppState>,
    auth: Auth,
    format: &str,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (headers, rows) = in_write(&state.store, async |tx| {
        sheet::export(tx, &auth.caller, &query.filter()?).await
    })
    .await?;
    let name = format!("org-units-{}", auth.caller.today);
    match format {
        "xlsx" => Ok(respond::xlsx(
            sheets::write_xlsx("工会组织", &headers, &rows).map_err(Error::Internal)?,
            &format!("{name}.xlsx"),
        )),
        "csv" => Ok(respond::file(
            sheets::write_csv(&headers, &rows).map_err(Error::Internal)?,
            &format!("{name}.csv"),
            "text/csv; charset=utf-8",
            false,
        )),
        _ => Err(Error::NotFound.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WindowForm {
    #[serde(default)]
    days: String,
}

/// `POST /orgs/{code}/transfer-window`: the union's objection window, from its page.
pub async fn transfer_window(
    auth: Auth,
    Path(code): Path<String>,
    Form(f): Form<WindowForm>,
) -> Result<Response, PageError> {
    use nuanxin_core::members::transfers::{set_window, TransferWindow};
    let days = f.days.trim().parse::<i64>().unwrap_or(-1);
    set_window(
        &auth.app.store,
        &auth.caller,
        &code,
        &TransferWindow { days },
    )
    .await?;
    Ok(Redirect::to(&format!("/orgs/{code}")).into_response())
}

#[utoipa::path(put, path = "/api/v1/orgs/{code}/transfer-window", tag = "orgs", request_body = nuanxin_core::members::transfers::TransferWindow,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, description = "The window set (audited with before and after)", body = nuanxin_core::members::transfers::TransferWindow),
              (status = 403, description = "Not staff of the unit", body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, description = "Days outside 0 to 30", body = crate::error::ErrorBody)))]
pub async fn transfer_window_api(
    crate::auth::ApiAuth(auth): crate::auth::ApiAuth,
    Path(code): Path<String>,
    axum::Json(w): axum::Json<nuanxin_core::members::transfers::TransferWindow>,
) -> Result<axum::Json<nuanxin_core::members::transfers::TransferWindow>, crate::error::ApiError> {
    let set =
        nuanxin_core::members::transfers::set_window(&auth.app.store, &auth.caller, &code, &w)
            .await?;
    Ok(axum::Json(set))
}

/// `POST /orgs/{code}/liaison-visits`: a liaison (or staff) records a visit to the unit.
pub async fn liaison_visit(
    auth: Auth,
    Path(code): Path<String>,
    Form(v): Form<orgs::liaison::VisitNote>,
) -> Result<Response, PageError> {
    use orgs::liaison::{record, Visited};
    record(&auth.app.store, &auth.caller, Visited::Unit(&code), &v).await?;
    Ok(Redirect::to(&format!("/orgs/{code}#liaison")).into_response())
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}/liaison-visits", tag = "orgs",
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, description = "Visits recorded on the unit, newest first", body = Vec<orgs::liaison::LiaisonVisit>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn liaison_visits_api(
    crate::auth::ApiAuth(auth): crate::auth::ApiAuth,
    Path(code): Path<String>,
) -> Result<axum::Json<Vec<orgs::liaison::LiaisonVisit>>, crate::error::ApiError> {
    use orgs::liaison::{list, Visited};
    let (visits, _) = list(&auth.app.store, &auth.caller, Visited::Unit(&code)).await?;
    Ok(axum::Json(visits))
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/liaison-visits", tag = "orgs", request_body = orgs::liaison::VisitNote,
    params(("code" = String, Path, description = "Org code")),
    responses((status = 200, description = "The visit recorded (a liaison, staff or admin of the unit; audited)", body = orgs::liaison::LiaisonVisit),
              (status = 403, description = "A viewer", body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, description = "No note, or a bad or future day", body = crate::error::ErrorBody)))]
pub async fn liaison_visit_api(
    crate::auth::ApiAuth(auth): crate::auth::ApiAuth,
    Path(code): Path<String>,
    axum::Json(v): axum::Json<orgs::liaison::VisitNote>,
) -> Result<axum::Json<orgs::liaison::LiaisonVisit>, crate::error::ApiError> {
    use orgs::liaison::{record, Visited};
    Ok(axum::Json(
        record(&auth.app.store, &auth.caller, Visited::Unit(&code), &v).await?,
    ))
}

#[derive(Template)]
#[template(path = "orgs/merge.html")]
struct MergePage {
    ctx: Ctx,
    unit: OrgRow,
    into: String,
    /// Units beside it (same parent), to pick from.
    candidates: Vec<OrgRow>,
    error: Option<&'static str>,
}

async fn merge_page(
    auth: &Auth,
    code: &str,
    into: String,
    error: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let scope = &auth.caller.scope;
    let (unit, siblings) = in_read(&auth.app.store, async |tx| {
        let unit = orgs::get(tx, scope, code).await?;
        let siblings = match unit.parent_code.as_deref() {
            Some(parent) if scope.role_at(&unit.path).is_some() => {
                let page = PageRequest::new(Some(1), Some(nuanxin_core::page::MAX_PER_PAGE));
                orgs::children(tx, scope, parent, page)
                    .await
                    .map(|p| p.items)
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        Ok((unit, siblings))
    })
    .await?;
    if !auth.caller.may_restructure(&unit.path) {
        return Err(Error::Forbidden.into());
    }
    let ctx = Ctx::new(auth, "orgs", &format!("/orgs/{code}/merge"));
    let candidates = siblings
        .iter()
        .filter(|o| o.id != unit.id && o.is_active())
        .map(|o| view::row(&ctx, o))
        .collect();
    render(&MergePage {
        unit: view::row(&ctx, &unit),
        into,
        candidates,
        error,
        ctx,
    })
}

/// `GET /orgs/{code}/merge`: which unit survives, and what moves there.
pub async fn merge_form(auth: Auth, Path(code): Path<String>) -> Result<Html<String>, PageError> {
    merge_page(&auth, &code, String::new(), None).await
}

/// `POST /orgs/{code}/merge`.
pub async fn merge(
    auth: Auth,
    Path(code): Path<String>,
    Form(input): Form<orgs::merge::MergeInput>,
) -> Result<Response, PageError> {
    match orgs::merge::merge(&auth.app.store, &auth.caller, &code, &input).await {
        Ok(done) => Ok(Redirect::to(&format!("/orgs/{}", done.into)).into_response()),
        Err(Error::Invalid { code: c, .. } | Error::Conflict { code: c, .. }) => {
            let html = merge_page(&auth, &code, input.into, Some(c)).await?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, html))
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/merge", tag = "orgs", request_body = orgs::merge::MergeInput,
    params(("code" = String, Path, description = "Code of the unit merged (dissolved)")),
    responses((status = 200, description = "What moved to the surviving unit: members (active ones with dated events), join codes, stations, the enterprises it was the union of, prospects, open transfers; audited at both", body = orgs::merge::Merged),
              (status = 403, description = "Not an admin of the merged unit", body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "Units still active below it, or a dissolved unit", body = crate::error::ErrorBody),
              (status = 422, description = "An unknown surviving unit, or itself or one below it", body = crate::error::ErrorBody)))]
pub async fn merge_api(
    crate::auth::ApiAuth(auth): crate::auth::ApiAuth,
    Path(code): Path<String>,
    axum::Json(input): axum::Json<orgs::merge::MergeInput>,
) -> Result<axum::Json<orgs::merge::Merged>, crate::error::ApiError> {
    Ok(axum::Json(
        orgs::merge::merge(&auth.app.store, &auth.caller, &code, &input).await?,
    ))
}
