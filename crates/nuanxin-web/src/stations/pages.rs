//! Station pages for cadres and keepers: the list, the form with a map pin, a station's page with
//! the two-tap visit log, import and export, and the 15-minute circle analysis of an area.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::Ctx;
use crate::respond::{self, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::error::FieldErrors;
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::stations::circle::{self, CircleResult, NamedPoint};
use nuanxin_core::stations::sheet::{self};
use nuanxin_core::stations::{
    self, Amenity, Crs, LatLng, Station, StationFilter, StationInput, StationType, TravelMode,
    Visit, VisitInput,
};
use nuanxin_core::{Error, Role};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

fn filled(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn can_edit(auth: &Auth) -> bool {
    auth.caller
        .scope
        .roots()
        .iter()
        .any(|r| r.role >= Role::Staff)
}

#[derive(Debug, Default, Deserialize, Clone)]
pub struct ListQuery {
    pub org: Option<String>,
    pub q: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub page: Option<u32>,
}

impl ListQuery {
    pub fn filter(&self) -> StationFilter {
        StationFilter {
            org: filled(&self.org),
            q: filled(&self.q),
            kind: filled(&self.kind),
            status: filled(&self.status),
            sort: filled(&self.sort),
        }
    }

    fn encode(&self, page: Option<u32>) -> String {
        let mut p: Vec<String> = Vec::new();
        for (k, v) in [
            ("org", &self.org),
            ("q", &self.q),
            ("type", &self.kind),
            ("status", &self.status),
            ("sort", &self.sort),
        ] {
            if let Some(v) = filled(v) {
                p.push(format!("{k}={}", crate::auth::urlencode(&v)));
            }
        }
        if let Some(n) = page {
            p.push(format!("page={n}"));
        }
        p.join("&")
    }

    pub fn page_link(&self, page: u32) -> String {
        format!("/stations?{}", self.encode(Some(page)))
    }

    pub fn export_link(&self) -> String {
        format!("/stations/export.xlsx?{}", self.encode(None))
    }

    pub fn is(&self, key: &str, value: &str) -> bool {
        let v = match key {
            "type" => &self.kind,
            "status" => &self.status,
            "sort" => &self.sort,
            _ => &None,
        };
        v.as_deref().unwrap_or("") == value
    }
}

#[derive(Template)]
#[template(path = "stations/list.html")]
struct ListPage {
    ctx: Ctx,
    query: ListQuery,
    page: Page<Station>,
    can_edit: bool,
}

impl ListPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::of(&self.page, |n| self.query.page_link(n))
    }

    fn types(&self) -> Vec<(&'static str, &'static str)> {
        StationType::ALL
            .iter()
            .map(|t| (t.code(), type_label(&self.ctx, t.code())))
            .collect()
    }

    fn type_label(&self, code: &str) -> &'static str {
        type_label(&self.ctx, code)
    }

    fn amenities(&self, s: &Station) -> String {
        amenity_labels(&self.ctx, &s.amenity_list())
    }
}

pub(crate) fn type_label(ctx: &Ctx, code: &str) -> &'static str {
    let key: &'static str = match StationType::parse(code) {
        Ok(t) => match t {
            StationType::UnionStation => "stations.type.union_station",
            StationType::CareStation => "stations.type.care_station",
            StationType::DriverHome => "stations.type.driver_home",
            StationType::RiderHome => "stations.type.rider_home",
            StationType::CourierHome => "stations.type.courier_home",
            StationType::VillagePoint => "stations.type.village_point",
            StationType::HealthPost => "stations.type.health_post",
            StationType::NursingRoom => "stations.type.nursing_room",
            StationType::LegalAidStation => "stations.type.legal_aid_station",
        },
        Err(_) => "stations.type.union_station",
    };
    ctx.t(key)
}

pub(crate) fn amenity_label(ctx: &Ctx, a: Amenity) -> &'static str {
    ctx.t(match a {
        Amenity::Water => "stations.amenity.water",
        Amenity::Charging => "stations.amenity.charging",
        Amenity::HotMeal => "stations.amenity.hot_meal",
        Amenity::Rest => "stations.amenity.rest",
        Amenity::Toilet => "stations.amenity.toilet",
        Amenity::FirstAid => "stations.amenity.first_aid",
        Amenity::HealthKiosk => "stations.amenity.health_kiosk",
        Amenity::Books => "stations.amenity.books",
        Amenity::Wifi => "stations.amenity.wifi",
    })
}

fn amenity_labels(ctx: &Ctx, list: &[Amenity]) -> String {
    let sep = if ctx.lang == crate::Lang::ZhCn {
        "、"
    } else {
        ", "
    };
    list.iter()
        .map(|a| amenity_label(ctx, *a))
        .collect::<Vec<_>>()
        .join(sep)
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let mut tx = state.store.read().await?;
    let page = stations::list(
        &mut tx,
        &auth.caller.scope,
        &query.filter(),
        PageRequest::new(query.page, Some(50)),
    )
    .await?;
    render(&ListPage {
        ctx: Ctx::new(&auth, "stations", "/stations"),
        can_edit: can_edit(&auth),
        query,
        page,
    })
}

#[derive(Debug, Default, Deserialize, Clone)]
pub struct StationForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub crs: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub hours: String,
    /// Checked amenity codes, joined by the browser as repeated fields; see `amenity`.
    #[serde(default)]
    pub amenities: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub keeper: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub org_code: String,
}

impl StationForm {
    fn input(&self) -> StationInput {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        StationInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            lat: self.lat.clone(),
            lng: self.lng.clone(),
            crs: opt(&self.crs),
            address: self.address.clone(),
            hours: self.hours.clone(),
            amenities: self.amenities.clone(),
            host: opt(&self.host),
            keeper: opt(&self.keeper),
            phone: opt(&self.phone),
            org_code: self.org_code.clone(),
        }
    }

    fn of(s: &Station) -> StationForm {
        StationForm {
            name: s.name.clone(),
            kind: s.kind.clone(),
            lat: format!("{:.6}", s.lat),
            lng: format!("{:.6}", s.lng),
            crs: "wgs84".into(),
            address: s.address.clone(),
            hours: s.hours_text.clone(),
            amenities: s.amenities.clone(),
            host: s.host.clone().unwrap_or_default(),
            keeper: s.keeper.clone().unwrap_or_default(),
            phone: s.phone.clone().unwrap_or_default(),
            org_code: s.org_code.clone(),
        }
    }

    /// Reads the urlencoded body: every `amenity` box checked becomes part of `amenities`.
    fn parse(body: &[u8]) -> StationForm {
        let mut f = StationForm::default();
        let mut amenities: Vec<String> = Vec::new();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "name" => f.name = v,
                "kind" => f.kind = v,
                "lat" => f.lat = v,
                "lng" => f.lng = v,
                "crs" => f.crs = v,
                "address" => f.address = v,
                "hours" => f.hours = v,
                "amenity" => amenities.push(v),
                "host" => f.host = v,
                "keeper" => f.keeper = v,
                "phone" => f.phone = v,
                "org_code" => f.org_code = v,
                _ => {}
            }
        }
        f.amenities = amenities.join(",");
        f
    }

    fn has_amenity(&self, code: &str) -> bool {
        self.amenities.split(',').any(|a| a.trim() == code)
    }
}

#[derive(Template)]
#[template(path = "stations/form.html")]
struct FormPage {
    ctx: Ctx,
    id: Option<Uuid>,
    form: StationForm,
    errors: FieldErrors,
    tiles: crate::TileConfig,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.ctx.t(c))
    }

    fn field_label(&self, field: &str) -> String {
        self.ctx.t(&format!("stations.field.{field}")).to_string()
    }

    fn types(&self) -> Vec<(&'static str, &'static str)> {
        StationType::ALL
            .iter()
            .map(|t| (t.code(), type_label(&self.ctx, t.code())))
            .collect()
    }

    fn amenities(&self) -> Vec<(&'static str, &'static str)> {
        Amenity::ALL
            .iter()
            .map(|a| (a.code(), amenity_label(&self.ctx, *a)))
            .collect()
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/stations/{id}/edit"),
            None => "/stations/new".into(),
        }
    }
}

fn form_page(
    state: &AppState,
    auth: &Auth,
    id: Option<Uuid>,
    form: StationForm,
    errors: FieldErrors,
) -> Result<Html<String>, PageError> {
    let here = match id {
        Some(id) => format!("/stations/{id}/edit"),
        None => "/stations/new".into(),
    };
    render(&FormPage {
        ctx: Ctx::new(auth, "stations", &here),
        id,
        form,
        errors,
        tiles: state.config.tiles.clone(),
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Html<String>, PageError> {
    let org_code = crate::census::pages::home_org(&state, &auth)
        .await?
        .unwrap_or_default();
    let form = StationForm {
        kind: "union_station".into(),
        crs: "gcj02".into(),
        amenities: "water,charging,hot_meal,rest,toilet".into(),
        org_code,
        ..StationForm::default()
    };
    form_page(&state, &auth, None, form, FieldErrors::new())
}

/// Saves the form: creates a station (`id` None) or updates one.
async fn save(
    state: &AppState,
    auth: &Auth,
    id: Option<Uuid>,
    form: StationForm,
) -> Result<Response, PageError> {
    match stations::save(&state.store, &auth.caller, id, &form.input()).await {
        Ok(s) => Ok(Redirect::to(&format!("/stations/{}?saved=1", s.id)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => Ok(respond::invalid(form_page(state, auth, id, form, errs)?)),
            None => Err(e.into()),
        },
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    save(&state, &auth, None, StationForm::parse(&body)).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Html<String>, PageError> {
    let mut tx = state.store.read().await?;
    let s = stations::get(&mut tx, &auth.caller.scope, id).await?;
    form_page(
        &state,
        &auth,
        Some(id),
        StationForm::of(&s),
        FieldErrors::new(),
    )
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    save(&state, &auth, Some(id), StationForm::parse(&body)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    pub page: Option<u32>,
    pub saved: Option<String>,
    pub logged: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "stations/show.html")]
struct ShowPage {
    ctx: Ctx,
    s: Station,
    visits: Page<Visit>,
    can_edit: bool,
    open_now: bool,
    gcj: LatLng,
    message: Option<&'static str>,
    error: Option<String>,
}

impl ShowPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::of(&self.visits, |n| {
            format!("/stations/{}?page={n}", self.s.id)
        })
    }

    fn type_label(&self) -> &'static str {
        type_label(&self.ctx, &self.s.kind)
    }

    fn amenities(&self) -> Vec<(&'static str, &'static str)> {
        self.s
            .amenity_list()
            .into_iter()
            .map(|a| (a.code(), amenity_label(&self.ctx, a)))
            .collect()
    }

    fn service_label(&self, code: &str) -> &'static str {
        match Amenity::parse(code) {
            Ok(a) => amenity_label(&self.ctx, a),
            Err(_) => self.ctx.t("stations.service_visit"),
        }
    }

    fn links(&self) -> super::nearby::NavLinks {
        super::nearby::NavLinks::new(&self.s.name, self.gcj)
    }
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, PageError> {
    let mut tx = state.store.read().await?;
    let s = stations::get(&mut tx, &auth.caller.scope, id).await?;
    let visits = stations::visits(
        &mut tx,
        &auth.caller.scope,
        id,
        PageRequest::new(q.page, Some(30)),
    )
    .await?;
    let at = stations::hours::beijing_time(auth.caller.at);
    let open_now = s.is_open() && at.map(|t| s.opening().is_open_at(t)).unwrap_or(false);
    let gcj = LatLng::parse(s.lat, s.lng)
        .map(|p| Crs::Gcj02.from_wgs84(p))
        .map_err(|_| Error::NotFound)?;
    let message = if q.saved.is_some() {
        Some("stations.saved")
    } else if q.logged.is_some() {
        Some("stations.visit_logged")
    } else {
        None
    };
    let ctx = Ctx::new(&auth, "stations", &format!("/stations/{id}"));
    let error = q.error.as_deref().map(|code| ctx.t(code).to_string());
    render(&ShowPage {
        can_edit: can_edit(&auth),
        ctx,
        s,
        visits,
        open_now,
        gcj,
        message,
        error,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub headcount: String,
    #[serde(default)]
    pub member_no: String,
}

/// The keeper's two taps: one button per service posts here.
pub async fn visit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(form): Form<VisitForm>,
) -> Result<Response, PageError> {
    let headcount = match form.headcount.trim() {
        "" => None,
        n => match n.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Ok(
                    Redirect::to(&format!("/stations/{id}?error=stations.bad_headcount"))
                        .into_response(),
                )
            }
        },
    };
    let input = VisitInput {
        service: form.service,
        headcount,
        member_no: Some(form.member_no).filter(|m| !m.trim().is_empty()),
    };
    let mut tx = state.store.write().await?;
    match stations::record_visit(&mut tx, &auth.caller, id, &input).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/stations/{id}?logged=1")).into_response())
        }
        Err(Error::Invalid { code, .. }) => {
            Ok(Redirect::to(&format!("/stations/{id}?error={code}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn close(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let mut tx = state.store.write().await?;
    stations::close(&mut tx, &auth.caller, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/stations/{id}?saved=1")).into_response())
}

pub async fn reopen(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let mut tx = state.store.write().await?;
    stations::reopen(&mut tx, &auth.caller, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/stations/{id}?saved=1")).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let mut tx = state.store.write().await?;
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes = sheet::export(&mut tx, &auth.caller.scope, &query.filter(), zh).await?;
    nuanxin_core::audit::record(
        &mut tx,
        &auth.caller.actor,
        auth.caller.at,
        "stations.export",
        query.filter().org.as_deref().unwrap_or("*"),
        auth.caller.scope.roots().first().map(|r| r.path.as_str()),
        serde_json::json!({"type": query.kind, "status": query.status}),
    )
    .await?;
    tx.commit().await?;
    Ok(respond::file(bytes, "stations.xlsx", respond::XLSX, false))
}

#[derive(Template)]
#[template(path = "stations/circle.html")]
struct CirclePage {
    ctx: Ctx,
    org: String,
    mode: String,
    minutes: String,
    k: String,
    result: Option<CircleResult>,
    rejected: Vec<nuanxin_core::error::RowError>,
    error: Option<String>,
    map_json: String,
    tiles: crate::TileConfig,
}

impl CirclePage {
    fn pct(&self, x: &f64) -> String {
        format!("{:.1}%", x * 100.0)
    }

    fn share(&self, r: &CircleResult) -> String {
        r.share.map(|s| self.pct(&s)).unwrap_or_else(|| "—".into())
    }

    fn modes(&self) -> Vec<(&'static str, String)> {
        [TravelMode::Walk, TravelMode::Ebike, TravelMode::Car]
            .iter()
            .map(|m| {
                (
                    m.code(),
                    self.ctx
                        .t(&format!("stations.mode.{}", m.code()))
                        .to_string(),
                )
            })
            .collect()
    }

    fn reason(&self, code: &str) -> String {
        self.ctx.t(code).to_string()
    }
}

pub async fn circle_form(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Html<String>, PageError> {
    let org = crate::census::pages::home_org(&state, &auth)
        .await?
        .unwrap_or_default();
    render(&CirclePage {
        ctx: Ctx::new(&auth, "stations", "/stations/circle"),
        org,
        mode: "walk".into(),
        minutes: "15".into(),
        k: "10".into(),
        result: None,
        rejected: Vec::new(),
        error: None,
        map_json: "null".into(),
        tiles: state.config.tiles.clone(),
    })
}

/// Runs the analysis on the uploaded demand (and candidate) files; `format=xlsx` downloads it.
pub async fn circle_run(
    State(state): State<AppState>,
    auth: Auth,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut demand_bytes = Vec::new();
    let mut candidate_bytes = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|e| Error::Internal(e.into()))?;
        match name.as_str() {
            "demand" => demand_bytes = bytes.to_vec(),
            "candidates" => candidate_bytes = bytes.to_vec(),
            _ => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    let get = |k: &str| {
        fields
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let ctx = Ctx::new(&auth, "stations", "/stations/circle");
    let mut page = CirclePage {
        ctx,
        org: get("org"),
        mode: get("mode"),
        minutes: get("minutes"),
        k: get("k"),
        result: None,
        rejected: Vec::new(),
        error: None,
        map_json: "null".into(),
        tiles: state.config.tiles.clone(),
    };
    let fail =
        |mut page: CirclePage, code: &str, detail: Option<String>| -> Result<Response, PageError> {
            let msg = page.ctx.t(code).to_string();
            page.error = Some(match detail {
                Some(d) => format!("{msg}: {d}"),
                None => msg,
            });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        };
    let mode = match TravelMode::parse(&page.mode) {
        Ok(m) => m,
        Err(e) => return fail(page, e.code(), None),
    };
    let Some(minutes) = page.minutes.parse::<f64>().ok() else {
        return fail(page, "stations.bad_minutes", None);
    };
    let Some(k) = page.k.parse::<usize>().ok() else {
        return fail(page, "stations.too_many_sites", None);
    };
    let demand = match circle::read_points(&demand_bytes) {
        Ok(d) => d,
        Err(e) => {
            let detail = crate::imports::sheet_error(&page.ctx, &e);
            return fail(page, "stations.circle_demand_unreadable", Some(detail));
        }
    };
    let candidates = if candidate_bytes.is_empty() {
        None
    } else {
        match circle::read_points(&candidate_bytes) {
            Ok(c) => Some(c),
            Err(e) => {
                let detail = crate::imports::sheet_error(&page.ctx, &e);
                return fail(page, "stations.circle_candidates_unreadable", Some(detail));
            }
        }
    };
    let mut rejected = demand.rejected.clone();
    if let Some(c) = &candidates {
        rejected.extend(c.rejected.iter().cloned());
    }
    // The area's stations: the unit's subtree, within the caller's scope.
    let mut tx = state.store.read().await?;
    let code = if page.org.is_empty() {
        crate::census::pages::home_org(&state, &auth)
            .await?
            .unwrap_or_default()
    } else {
        page.org.clone()
    };
    let unit = match nuanxin_core::orgs::get(&mut tx, &auth.caller.scope, &code).await {
        Ok(u) => u,
        Err(_) => return fail(page, "stations.unknown_org", None),
    };
    drop(tx);
    state.stations.ready().await;
    let index = state.stations.subtree(std::slice::from_ref(&unit.path));
    let cands: Option<Vec<NamedPoint>> = candidates.map(|c| c.points);
    let result = match circle::analyse(&index, &demand.points, cands.as_deref(), mode, minutes, k) {
        Ok(r) => r,
        Err(e) => return fail(page, e.code(), None),
    };
    let mut tx = state.store.write().await?;
    nuanxin_core::audit::record(
        &mut tx,
        &auth.caller.actor,
        auth.caller.at,
        "stations.circle",
        &unit.code,
        Some(&unit.path),
        serde_json::json!({"demand": result.demand_points, "mode": mode.code(), "minutes": minutes, "k": k, "export": get("format") == "xlsx"}),
    )
    .await?;
    tx.commit().await?;
    if get("format") == "xlsx" {
        let bytes = circle::result_xlsx(&result, page.ctx.lang == crate::Lang::ZhCn)
            .map_err(Error::Internal)?;
        return Ok(respond::file(
            bytes,
            "15-minute-circle.xlsx",
            respond::XLSX,
            false,
        ));
    }
    let stations_json: Vec<serde_json::Value> = state
        .stations
        .cards_under(&unit.path, 5_000)
        .iter()
        .map(|c| serde_json::json!([c.at.lat(), c.at.lng(), c.name]))
        .collect();
    page.map_json = respond::json_in_html(&serde_json::json!({
        "radius_m": result.radius_m,
        "stations": stations_json,
        "uncovered": result.uncovered.iter().take(5_000).map(|p| [p.lat, p.lng]).collect::<Vec<_>>(),
        "sites": result.sites.iter().map(|s| [s.lat, s.lng]).collect::<Vec<_>>(),
    }));
    page.rejected = rejected;
    page.result = Some(result);
    page.org = unit.code;
    Ok(render(&page)?.into_response())
}
