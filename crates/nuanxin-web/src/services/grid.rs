//! Grid reports (网格随手拍) in the console, the API and the member's phone: cadres and grid
//! offices see the reports routed to them, overdue first, and move them on; staff approve
//! reporters and load the communities and bodies of their area; an approved reporter reports
//! from `/me/grid/new` (a photo shrunk on the phone, GPS or a township, a draft kept on the phone)
//! and follows each report's steps, reopening one that was closed wrongly.

use crate::auth::{ApiAuth, Auth, ClientInfo};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::i18n::{Catalogue, Lang};
use crate::layout::{Ctx, Pager, Paging};
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::members::identity::Phone;
use nuanxin_core::page::Page;
use nuanxin_core::services::grid::reporters::{self, Reporter};
use nuanxin_core::services::grid::reports::{
    self, Nearby, OpenCounts, Report, ReportFilter, ReportInput, Step, StepInput,
};
use nuanxin_core::services::grid::setup::{self, Body, BodyInput, CommunityInput, CommunityRow};
use nuanxin_core::services::grid::{BODY_KINDS, CATEGORIES, STATUSES};
use nuanxin_core::services::photos::{self, Owner};
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

/// Labels the grid pages share.
trait Labels {
    fn lang(&self) -> Lang;

    fn category(&self, code: &str) -> String {
        Catalogue::of(self.lang())
            .get(&format!("grid.category.{code}"))
            .to_string()
    }

    fn status(&self, code: &str) -> String {
        Catalogue::of(self.lang())
            .get(&format!("grid.status.{code}"))
            .to_string()
    }

    /// An instant as a Beijing date and time.
    fn when(&self, millis: impl crate::layout::Whole) -> String {
        crate::layout::beijing_time(millis.whole())
    }
}

#[derive(Template)]
#[template(path = "services/grid.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Report>,
    filter: ReportFilter,
    counts: OpenCounts,
    categories: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    now: i64,
    is_staff: bool,
    office: bool,
    tiles: crate::TileConfig,
    /// `[lat, lng, label, id]` of the page's reports that have a point, for the map.
    points: String,
}

impl Labels for ListPage {
    fn lang(&self) -> Lang {
        self.ctx.lang
    }
}

impl ListPage {
    /// The list's filter as a sheet's address.
    fn export_link(&self) -> String {
        let (f, enc) = (&self.filter, crate::auth::urlencode);
        format!(
            "/grid/export.xlsx?status={}&category={}&overdue={}&community={}",
            enc(&f.status),
            enc(&f.category),
            enc(&f.overdue),
            enc(&f.community)
        )
    }

    fn pager(&self) -> Pager {
        let f = &self.filter;
        let (s, c, o, m) = (
            f.status.clone(),
            f.category.clone(),
            f.overdue.clone(),
            f.community.clone(),
        );
        Pager::of(&self.page, move |n| {
            format!("/grid?status={s}&category={c}&overdue={o}&community={m}&page={n}")
        })
    }
}

/// `GET /grid`: the reports the caller sees, overdue first, with open counts and a map.
pub async fn list(
    auth: Auth,
    Query(filter): Query<ReportFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let (page, counts) = in_read(&auth.app.store, async |tx| {
        let page = reports::list(tx, &auth.caller, &filter, paging.request()).await?;
        let counts = reports::open_counts(tx, &auth.caller).await?;
        Ok((page, counts))
    })
    .await?;
    let points: Vec<serde_json::Value> = page
        .items
        .iter()
        .filter_map(|r| {
            let p = nuanxin_core::stations::geo::LatLng::parse(r.lat?, r.lng?).ok()?;
            let shown = match auth.app.config.tiles.gcj02 {
                true => nuanxin_core::stations::geo::wgs84_to_gcj02(p),
                false => p,
            };
            Some(serde_json::json!([
                shown.lat(),
                shown.lng(),
                r.report_no,
                r.id
            ]))
        })
        .collect();
    let ctx = Ctx::new(&auth, "cases", "/grid");
    render(&ListPage {
        categories: ctx.code_labels("grid.category", &CATEGORIES),
        statuses: ctx.code_labels("grid.status", &STATUSES),
        ctx,
        page,
        filter,
        counts,
        now: auth.caller.at,
        is_staff: auth.caller.is_staff(),
        office: auth.caller.scope.grid_office().is_some(),
        tiles: auth.app.config.tiles.clone(),
        points: serde_json::Value::Array(points)
            .to_string()
            .replace('<', "\\u003c"),
    })
}

/// `GET /grid/export.xlsx`: the reports of the list's filter, every page, as a sheet (no
/// reporter, as on the list; audited).
pub async fn export(auth: Auth, Query(filter): Query<ReportFilter>) -> Result<Response, PageError> {
    let zh = auth.lang == Lang::ZhCn;
    let cat = Catalogue::of(auth.lang);
    let when = |millis: Option<i64>| millis.map(crate::layout::beijing_time).unwrap_or_default();
    let now = auth.caller.at;
    let spec = nuanxin_core::sheets::Export {
        sheet: ("网格随手拍", "grid reports"),
        columns: &reports::EXPORT_COLUMNS,
        widths: &[
            18.0, 14.0, 10.0, 20.0, 14.0, 30.0, 11.0, 11.0, 40.0, 20.0, 17.0, 8.0, 17.0, 17.0, 10.0,
        ],
        action: "grid.export",
        subject: "*",
        filter: serde_json::json!({"status": filter.status, "category": filter.category,
            "overdue": filter.overdue, "community": filter.community}),
    };
    let bytes = nuanxin_core::sheets::export(
        &auth.app.store,
        &auth.caller,
        spec,
        zh,
        async |tx, sheet| {
            reports::for_each(tx, &auth.caller, &filter, |r: Report| {
                let overdue = match r.overdue(now) {
                    true => cat.get("common.yes"),
                    false => "",
                };
                let row = [
                    r.report_no.clone(),
                    cat.get(&format!("grid.category.{}", r.category))
                        .to_string(),
                    cat.get(&format!("grid.status.{}", r.status)).to_string(),
                    r.community_name.clone().unwrap_or_default(),
                    r.org_code.clone(),
                    r.address.clone(),
                    r.lat.map(|v| format!("{v:.6}")).unwrap_or_default(),
                    r.lng.map(|v| format!("{v:.6}")).unwrap_or_default(),
                    r.details.clone(),
                    r.body_name.clone().unwrap_or_default(),
                    when(r.due_at),
                    overdue.to_string(),
                    when(Some(r.created_at)),
                    when(r.resolved_at),
                    r.age_hours(now).to_string(),
                ];
                sheet.push(&row).map_err(Error::Internal)
            })
            .await
        },
    )
    .await?;
    Ok(crate::respond::xlsx(bytes, "grid-reports.xlsx"))
}

#[derive(Template)]
#[template(path = "services/grid_report.html")]
struct ReportPage {
    ctx: Ctx,
    report: Report,
    steps: Vec<Step>,
    photos: Vec<Uuid>,
    bodies: Vec<Body>,
    may_move: bool,
    /// Staff see the reporter's name; a grid office does not.
    staff: bool,
    now: i64,
    message: Option<(String, bool)>,
}

impl Labels for ReportPage {
    fn lang(&self) -> Lang {
        self.ctx.lang
    }
}

impl ReportPage {
    fn body_kind(&self, b: &Body) -> String {
        self.ctx
            .t(&format!("grid.body_kind.{}", b.kind))
            .to_string()
    }
}

async fn report_page(
    auth: &Auth,
    id: Uuid,
    message: Option<(String, bool)>,
) -> Result<Html<String>, PageError> {
    let (report, steps, photos, bodies) = in_read(&auth.app.store, async |tx| {
        let r = reports::get(tx, &auth.caller.scope, id).await?;
        let steps = reports::steps(tx, id).await?;
        let photos = photos::of(tx, Owner::GridReport(id)).await?;
        let county = r.community_code.as_deref().map(|c| c[..6].to_string());
        let bodies = match county {
            Some(c) => setup::bodies(tx, &c).await?,
            None => Vec::new(),
        };
        Ok((r, steps, photos.into_iter().map(|p| p.id).collect(), bodies))
    })
    .await?;
    let office = auth.caller.scope.grid_office();
    let staff = auth.caller.role_at(&report.org_path) >= Some(nuanxin_core::Role::Staff);
    render(&ReportPage {
        ctx: Ctx::new(auth, "cases", &format!("/grid/{id}")),
        may_move: !nuanxin_core::services::grid::is_closed(&report.status)
            && (staff || (office.is_some() && office == report.office_account)),
        staff,
        report,
        steps,
        photos,
        bodies,
        now: auth.caller.at,
        message,
    })
}

/// `GET /grid/{id}`: a report, its photos and steps, and the step form.
pub async fn show(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    report_page(&auth, id, None).await
}

/// `POST /grid/{id}/status`: the office or staff moves the report on; the reporter gets an SMS
/// when it is resolved.
pub async fn step(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<StepInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        reports::step(tx, &auth.caller, id, &input).await
    })
    .await;
    match done {
        Ok(r) => {
            tell_resolved(&auth.app, &r).await;
            Ok(Redirect::to(&format!("/grid/{id}?done=1")).into_response())
        }
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let text = Catalogue::of(auth.lang).get(code).to_string();
                let page = report_page(&auth, id, Some((text, true))).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// The SMS a reporter gets when their report is resolved.
async fn tell_resolved(state: &AppState, r: &Report) {
    if r.status != "resolved" {
        return;
    }
    let Ok(phone) = Phone::parse(&r.reporter_phone) else {
        return;
    };
    let text = format!(
        "【暖新】您报告的随手拍 {} 已处理完毕，感谢您守护城市。可在“我的随手拍”查看。",
        r.report_no
    );
    if let Err(e) = state.sms.send(&phone, &text).await {
        tracing::warn!(error = %e, report = %r.id, "grid SMS not sent");
    }
}

#[derive(Template)]
#[template(path = "services/grid_reporters.html")]
struct ReportersPage {
    ctx: Ctx,
    page: Page<Reporter>,
    status: String,
    entered: crate::layout::Entered,
}

impl ReportersPage {
    fn pager(&self) -> Pager {
        let s = self.status.clone();
        Pager::of(&self.page, move |n| {
            format!("/grid/reporters?status={s}&page={n}")
        })
    }
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
pub struct StatusQuery {
    /// `pending`, `approved` or `revoked`; empty for all.
    #[serde(default)]
    status: String,
}

async fn reporters_page(
    auth: &Auth,
    status: String,
    paging: &Paging,
    entered: crate::layout::Entered,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        reporters::list(
            tx,
            &auth.caller.scope,
            Some(status.as_str()),
            paging.request(),
        )
        .await
    })
    .await?;
    render(&ReportersPage {
        ctx: Ctx::new(auth, "cases", "/grid/reporters"),
        page,
        status,
        entered,
    })
}

/// `GET /grid/reporters`: the reporters of the caller's subtree, those waiting first.
pub async fn reporters_list(
    auth: Auth,
    Query(q): Query<StatusQuery>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    reporters_page(&auth, q.status, &paging, crate::layout::Entered::default()).await
}

#[derive(serde::Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    approve: String,
    /// To flag a member by number (else the path's membership).
    #[serde(default)]
    member_no: String,
}

/// `POST /grid/reporters/{membership}`: approve (or flag) or revoke a reporter.
pub async fn decide(
    auth: Auth,
    Path(membership): Path<Uuid>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        reporters::decide(tx, &auth.caller, membership, f.approve == "1").await
    })
    .await?;
    Ok(Redirect::to("/grid/reporters?done=1").into_response())
}

/// `POST /grid/reporters`: a cadre flags a member as reporter by membership number.
pub async fn flag(auth: Auth, Form(f): Form<DecisionForm>) -> Result<Response, PageError> {
    let no = f.member_no.clone();
    let done = in_write(&auth.app.store, async |tx| {
        let m = reporters::membership_by_no(tx, &auth.caller, &no).await?;
        reporters::decide(tx, &auth.caller, m, true).await
    })
    .await;
    let form = HashMap::from([("member_no".to_string(), f.member_no)]);
    super::form_answer(
        done,
        |_| "/grid/reporters?done=1".to_string(),
        move |errors| async move {
            reporters_page(
                &auth,
                String::new(),
                &Paging::default(),
                crate::layout::Entered { form, errors },
            )
            .await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/grid_setup.html")]
struct SetupPage {
    ctx: Ctx,
    communities: Vec<CommunityRow>,
    bodies: Vec<Body>,
    kinds: Vec<(&'static str, String)>,
    community: crate::layout::Entered,
    body: crate::layout::Entered,
}

async fn setup_page(
    auth: &Auth,
    community: crate::layout::Entered,
    body: crate::layout::Entered,
) -> Result<Html<String>, PageError> {
    let prefix = home_region(auth).await?;
    let (communities, bodies) = in_read(&auth.app.store, async |tx| {
        let c = setup::communities(tx, &auth.caller.scope, None).await?;
        let b = setup::bodies(tx, &prefix).await?;
        Ok((c, b))
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", "/grid/setup");
    render(&SetupPage {
        kinds: ctx.code_labels("grid.body_kind", &BODY_KINDS),
        ctx,
        communities,
        bodies,
        community,
        body,
    })
}

/// The region of the caller's first post (its bodies are listed), or nothing.
async fn home_region(auth: &Auth) -> Result<String, PageError> {
    let Some(code) = auth.caller.home_unit() else {
        return Ok("~".to_string());
    };
    Ok(in_read(&auth.app.store, async |tx| {
        nuanxin_core::orgs::get(tx, &auth.caller.scope, &code).await
    })
    .await
    .map(|o| o.region_code)
    .unwrap_or_else(|_| "~".to_string()))
}

fn with_home(auth: &Auth) -> crate::layout::Entered {
    let mut e = crate::layout::Entered::default();
    if let Some(code) = auth.caller.home_unit() {
        e.form.insert("org_code".to_string(), code);
    }
    e
}

/// `GET /grid/setup`: the communities and bodies of the caller's area, and the forms to add them.
pub async fn setup_form(auth: Auth) -> Result<Html<String>, PageError> {
    setup_page(&auth, with_home(&auth), with_home(&auth)).await
}

/// `POST /grid/setup/communities`.
pub async fn put_community(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = CommunityInput {
        org_code: v("org_code"),
        region_code: v("region_code"),
        lat: v("lat"),
        lng: v("lng"),
        boundary: v("boundary"),
        office: v("office"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        setup::put_community(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |_| "/grid/setup?done=community".to_string(),
        move |errors| async move {
            let body = with_home(&auth);
            setup_page(&auth, crate::layout::Entered { form, errors }, body).await
        },
    )
    .await
}

/// `POST /grid/setup/bodies`.
pub async fn add_body(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = BodyInput {
        org_code: v("org_code"),
        county_code: v("county_code"),
        kind: v("kind"),
        name: v("name"),
        deadline_hours: v("deadline_hours"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        setup::add_body(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |_| "/grid/setup?done=body".to_string(),
        move |errors| async move {
            let community = with_home(&auth);
            setup_page(&auth, community, crate::layout::Entered { form, errors }).await
        },
    )
    .await
}

// ---- The API ----

/// A report with its steps.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: Report,
    pub steps: Vec<Step>,
    /// Photo ids, each at `GET /api/v1/photos/{id}`.
    pub photos: Vec<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/grid/reports", tag = "services", params(ReportFilter, Paging),
    responses((status = 200, description = "Reports the caller sees (a grid office: those routed to it with `assigned_to=me`; polling with `since`, by change time)", body = Page<Report>),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<ReportFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Report>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            reports::list(tx, &auth.caller, &filter, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/grid/reports/{id}", tag = "services", params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, body = ReportDetail), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<ReportDetail>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            let report = reports::get(tx, &auth.caller.scope, id).await?;
            let steps = reports::steps(tx, id).await?;
            let photos = photos::of(tx, Owner::GridReport(id)).await?;
            Ok(ReportDetail {
                report,
                steps,
                photos: photos.into_iter().map(|p| p.id).collect(),
            })
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/grid/reports", tag = "services",
    request_body(content_type = "multipart/form-data", description = "The fields of `ReportInput` (with `member_no`, an approved reporter of the caller's subtree) and file fields named `photos`"),
    responses((status = 201, description = "The report, routed", body = Report), (status = 403, body = ErrorBody),
              (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_submit(
    ApiAuth(auth): ApiAuth,
    super::photos::WithPhotos {
        form,
        photos: files,
        ..
    }: super::photos::WithPhotos<ReportInput>,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    let ready = super::photos::ready(files).await?;
    let uploads = auth.app.config.uploads()?;
    let r = in_write(&auth.app.store, async |tx| {
        let person = reports::reporter_by_member_no(tx, &auth.caller, &form.member_no).await?;
        reports::submit(tx, &uploads, person, &form, &ready, auth.caller.at).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(post, path = "/api/v1/grid/reports/{id}/status", tag = "services", params(("id" = Uuid, Path, description = "Report id")),
    request_body = StepInput,
    responses((status = 200, description = "The report as moved on", body = Report), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Already resolved or rejected", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn api_step(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<StepInput>,
) -> Result<Json<Report>, ApiError> {
    let r = in_write(&auth.app.store, async |tx| {
        reports::step(tx, &auth.caller, id, &input).await
    })
    .await?;
    tell_resolved(&auth.app, &r).await;
    Ok(Json(r))
}

/// A reporter flagged, approved or revoked by membership number.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ReporterInput {
    pub member_no: String,
    /// `true`: flag or approve; `false`: revoke.
    pub approve: bool,
}

#[utoipa::path(get, path = "/api/v1/grid/reporters", tag = "services", params(StatusQuery, Paging),
    responses((status = 200, description = "The reporters of the caller's subtree, those waiting first", body = Page<Reporter>),
              (status = 404, body = ErrorBody)))]
pub async fn api_reporters(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<StatusQuery>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Reporter>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            reporters::list(
                tx,
                &auth.caller.scope,
                Some(q.status.as_str()),
                paging.request(),
            )
            .await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/grid/reporters", tag = "services", request_body = ReporterInput,
    responses((status = 200, description = "The reporter as decided", body = Reporter), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn api_decide(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<ReporterInput>,
) -> Result<Json<Reporter>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            let m = reporters::membership_by_no(tx, &auth.caller, &input.member_no).await?;
            reporters::decide(tx, &auth.caller, m, input.approve).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/grid/communities", tag = "services",
    responses((status = 200, body = Vec<CommunityRow>), (status = 404, body = ErrorBody)))]
pub async fn api_communities(ApiAuth(auth): ApiAuth) -> Result<Json<Vec<CommunityRow>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            setup::communities(tx, &auth.caller.scope, None).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/grid/communities", tag = "services", request_body = CommunityInput,
    responses((status = 200, description = "The community as loaded (or updated)", body = CommunityRow),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_put_community(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<CommunityInput>,
) -> Result<Json<CommunityRow>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            setup::put_community(tx, &auth.caller, &input).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/grid/bodies", tag = "services", request_body = BodyInput,
    responses((status = 201, body = Body), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn api_add_body(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<BodyInput>,
) -> Result<(StatusCode, Json<Body>), ApiError> {
    let b = in_write(&auth.app.store, async |tx| {
        setup::add_body(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(b)))
}

// ---- The reporter's pages ----

#[derive(Template)]
#[template(path = "join/me_grid.html")]
struct MeGridPage {
    lang: Lang,
    csrf: String,
    reporter: Option<Reporter>,
    reports: Vec<Report>,
    message: Option<&'static str>,
}

impl Labels for MeGridPage {
    fn lang(&self) -> Lang {
        self.lang
    }
}

impl MeGridPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// `GET /me/grid`: the member's reporter status, points and reports.
pub async fn me_home(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let Some((person, token)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let (reporter, reports) = in_read(&state.store, async |tx| {
        let r = reporters::of_person(tx, person).await?;
        let list = reports::of_person(tx, person).await?;
        Ok((r, list))
    })
    .await?;
    Ok(render(&MeGridPage {
        lang,
        csrf: nuanxin_core::members::sessions::csrf_of(&token),
        reporter,
        reports,
        message: match q.done.as_str() {
            "enrol" => Some("grid.enrolled"),
            "photo" => Some("grid.photo_added"),
            _ => None,
        },
    })?
    .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /me/grid/enrol`: the member asks to report.
pub async fn me_enrol(
    State(state): State<AppState>,
    client: ClientInfo,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let now = state.clock.now();
    in_write(&state.store, async |tx| {
        reporters::enrol(tx, person, now).await
    })
    .await?;
    Ok(Redirect::to("/me/grid?done=enrol").into_response())
}

#[derive(Template)]
#[template(path = "join/me_grid_new.html")]
struct MeGridNewPage {
    lang: Lang,
    csrf: String,
    form: ReportInput,
    errors: nuanxin_core::error::FieldErrors,
    categories: Vec<(&'static str, String)>,
    townships: Vec<(String, String)>,
    tiles: crate::TileConfig,
}

impl MeGridNewPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.t(c))
    }
}

async fn me_new_page(
    state: &AppState,
    lang: Lang,
    person: Uuid,
    token: &str,
    form: ReportInput,
    errors: nuanxin_core::error::FieldErrors,
) -> Result<Html<String>, PageError> {
    let region = in_read(&state.store, async |tx| {
        reporters::union_region(tx, person).await
    })
    .await?
    .unwrap_or_default();
    let townships = crate::join::pages::townships(state, &region).await?;
    let cat = Catalogue::of(lang);
    render(&MeGridNewPage {
        lang,
        csrf: nuanxin_core::members::sessions::csrf_of(token),
        form,
        errors,
        categories: CATEGORIES
            .iter()
            .map(|c| (*c, cat.get(&format!("grid.category.{c}")).to_string()))
            .collect(),
        townships,
        tiles: state.config.tiles.clone(),
    })
}

/// `GET /me/grid/new`: the report form (an approved reporter's).
pub async fn me_new(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
) -> Result<Response, PageError> {
    let Some((person, token)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let form = ReportInput {
        client_key: Uuid::new_v4().to_string(),
        ..ReportInput::default()
    };
    Ok(
        me_new_page(&state, lang, person, &token, form, Default::default())
            .await?
            .into_response(),
    )
}

/// `POST /me/grid/new`: the report (multipart, the CSRF token in the query string).
pub async fn me_submit(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Query(q): Query<CsrfForm>,
    super::photos::WithPhotos {
        form,
        photos: files,
        ..
    }: super::photos::WithPhotos<ReportInput>,
) -> Result<Response, PageError> {
    let Some((person, token)) = crate::join::pages::posting(&state, &client, &q.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let now = state.clock.now();
    let done = match super::photos::ready(files).await {
        Ok(ready) => {
            let uploads = state.config.uploads()?;
            in_write(&state.store, async |tx| {
                reports::submit(tx, &uploads, person, &form, &ready, now).await
            })
            .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(r) => Ok(Redirect::to(&format!("/me/grid/{}?done=sent", r.id)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => {
                let page = me_new_page(&state, lang, person, &token, form, errs).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NearbyQuery {
    #[serde(default)]
    lat: f64,
    #[serde(default)]
    lng: f64,
    #[serde(default)]
    category: String,
}

/// `GET /me/grid/nearby?lat=&lng=&category=`: open reports of the category within 300 m (JSON),
/// for "already reported 120 m away — add your photo instead?". Approved reporters only: other
/// members have nothing to report, so nothing to learn of others' reports.
pub async fn me_nearby(
    State(state): State<AppState>,
    client: ClientInfo,
    Query(q): Query<NearbyQuery>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    };
    let Ok(p) = nuanxin_core::stations::geo::LatLng::parse(q.lat, q.lng) else {
        return Ok(Json(Vec::<Nearby>::new()).into_response());
    };
    let found = in_read(&state.store, async |tx| {
        let approved = reporters::of_person(tx, person)
            .await?
            .is_some_and(|r| r.status == "approved");
        match approved {
            true => reports::nearby(tx, p, &q.category, 300.0).await.map(Some),
            false => Ok(None),
        }
    })
    .await?;
    match found {
        Some(found) => Ok(Json(found).into_response()),
        None => Ok(StatusCode::FORBIDDEN.into_response()),
    }
}

#[derive(Template)]
#[template(path = "join/me_grid_report.html")]
struct MeReportPage {
    lang: Lang,
    csrf: String,
    report: Report,
    steps: Vec<Step>,
    photos: Vec<Uuid>,
    error: Option<&'static str>,
    sent: bool,
}

impl Labels for MeReportPage {
    fn lang(&self) -> Lang {
        self.lang
    }
}

impl MeReportPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }
}

async fn me_report_page(
    state: &AppState,
    lang: Lang,
    person: Uuid,
    token: &str,
    id: Uuid,
    error: Option<&'static str>,
    sent: bool,
) -> Result<Html<String>, PageError> {
    let (report, steps, photos) = in_read(&state.store, async |tx| {
        let r = reports::get_own(tx, person, id).await?;
        let steps = reports::steps(tx, id).await?;
        let photos = photos::of(tx, Owner::GridReport(id)).await?;
        Ok((r, steps, photos.into_iter().map(|p| p.id).collect()))
    })
    .await?;
    render(&MeReportPage {
        lang,
        csrf: nuanxin_core::members::sessions::csrf_of(token),
        report,
        steps,
        photos,
        error,
        sent,
    })
}

/// `GET /me/grid/{id}`: one of the member's reports with its steps.
pub async fn me_report(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let Some((person, token)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    Ok(
        me_report_page(&state, lang, person, &token, id, None, q.done == "sent")
            .await?
            .into_response(),
    )
}

/// `POST /me/grid/{id}/reopen`: the reporter reopens a closed report, saying why.
pub async fn me_reopen(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = crate::join::pages::posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let now = state.clock.now();
    match in_write(&state.store, async |tx| {
        reports::reopen(tx, person, id, &f.note, now).await
    })
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/me/grid/{id}")).into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let page =
                    me_report_page(&state, lang, person, &token, id, Some(code), false).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /me/grid/{id}/photos`: an approved reporter adds their photo to an open report nearby.
pub async fn me_add_photo(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Query(q): Query<CsrfForm>,
    super::photos::WithPhotos { photos: files, .. }: super::photos::WithPhotos<
        HashMap<String, String>,
    >,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::posting(&state, &client, &q.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let now = state.clock.now();
    let ready = super::photos::ready(files).await?;
    let uploads = state.config.uploads()?;
    in_write(&state.store, async |tx| {
        reports::add_photos(tx, &uploads, person, id, &ready, now).await
    })
    .await?;
    Ok(Redirect::to("/me/grid?done=photo").into_response())
}

/// `GET /me/grid/photos/{id}`: a photo of one of the member's own reports.
pub async fn me_photo(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    in_read(&state.store, async |tx| {
        match photos::owner_of(tx, id).await? {
            Owner::GridReport(r) => reports::get_own(tx, person, r).await.map(|_| ()),
            _ => Err(Error::NotFound),
        }
    })
    .await?;
    let bytes = photos::bytes(&state.config.uploads()?, id).await?;
    Ok(super::photos::jpeg(bytes))
}
