//! Station pages for cadres and keepers: the list, the form with a map pin, a station's page with
//! the two-tap visit log, import and export, and the 15-minute circle analysis of an area.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::{Ctx, ListLinks, Paging};
use crate::respond::{self, render};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::error::FieldErrors;
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::stations::sheet::{self};
use nuanxin_core::stations::{
    self, Amenity, Crs, LatLng, Station, StationFilter, StationInput, StationType, Visit,
    VisitInput,
};
use nuanxin_core::{in_read, in_write, Error};
use serde::Deserialize;
use uuid::Uuid;

impl ListLinks for StationFilter {
    const PATH: &'static str = "/stations";
}

#[derive(Template)]
#[template(path = "stations/list.html")]
struct ListPage {
    ctx: Ctx,
    query: StationFilter,
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

/// A page of the stations in the caller's scope that the filter selects: the page's list and
/// the API's.
pub(super) async fn search(
    auth: &Auth,
    filter: &StationFilter,
    paging: Paging,
) -> Result<Page<Station>, Error> {
    in_read(&auth.app.store, async |tx| {
        stations::list(tx, &auth.caller.scope, filter, paging.request()).await
    })
    .await
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
    auth: Auth,
    Query(query): Query<StationFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let page = search(&auth, &query, paging).await?;
    render(&ListPage {
        ctx: Ctx::new(&auth, "stations", "/stations"),
        can_edit: auth.caller.is_staff(),
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
        tiles: auth.app.config.tiles.clone(),
    })
}

pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let org_code = auth.caller.home_unit().unwrap_or_default();
    let form = StationForm {
        kind: "union_station".into(),
        crs: "gcj02".into(),
        amenities: "water,charging,hot_meal,rest,toilet".into(),
        org_code,
        ..StationForm::default()
    };
    form_page(&auth, None, form, FieldErrors::new())
}

/// Saves the form: creates a station (`id` None) or updates one.
async fn save(auth: &Auth, id: Option<Uuid>, form: StationForm) -> Result<Response, PageError> {
    match stations::save(&auth.app.store, &auth.caller, id, &form.input()).await {
        Ok(s) => Ok(Redirect::to(&format!("/stations/{}?saved=1", s.id)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => Ok(respond::invalid(form_page(auth, id, form, errs)?)),
            None => Err(e.into()),
        },
    }
}

pub async fn create(auth: Auth, body: axum::body::Bytes) -> Result<Response, PageError> {
    save(&auth, None, StationForm::parse(&body)).await
}

pub async fn edit_form(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    let s = in_read(&auth.app.store, async |tx| {
        stations::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    // The whole record is staff's; a keeper changes hours and services on the station's page.
    if auth.caller.role_at(&s.org_path) < Some(nuanxin_core::Role::Staff) {
        return Err(Error::Forbidden.into());
    }
    form_page(&auth, Some(id), StationForm::of(&s), FieldErrors::new())
}

pub async fn update(
    auth: Auth,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    save(&auth, Some(id), StationForm::parse(&body)).await
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
    /// Care activities held at the station, latest first.
    activities: Vec<nuanxin_core::services::care::Activity>,
    /// Staff of the station's unit: edits everything.
    can_edit: bool,
    /// Staff or the station's keeper: logs visits, opens and closes it, edits hours and
    /// amenities.
    can_keep: bool,
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

    /// Every amenity with whether the station offers it: the keeper's check boxes.
    fn amenity_choices(&self) -> Vec<(&'static str, &'static str, bool)> {
        let has = self.s.amenity_list();
        Amenity::ALL
            .iter()
            .map(|a| (a.code(), amenity_label(&self.ctx, *a), has.contains(a)))
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
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, PageError> {
    let (s, visits, activities) = in_read(&auth.app.store, async |tx| {
        let s = stations::get(tx, &auth.caller.scope, id).await?;
        let page = PageRequest::new(q.page, Some(30));
        let visits = stations::visits(tx, &auth.caller.scope, id, page).await?;
        let activities = nuanxin_core::services::care::at_station(tx, id).await?;
        Ok((s, visits, activities))
    })
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
    let can_edit = auth.caller.role_at(&s.org_path) >= Some(nuanxin_core::Role::Staff);
    render(&ShowPage {
        can_keep: can_edit || auth.caller.scope.keeps(s.id),
        can_edit,
        ctx,
        s,
        visits,
        activities,
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
    match in_write(&auth.app.store, async |tx| {
        stations::record_visit(tx, &auth.caller, id, &input).await
    })
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/stations/{id}?logged=1")).into_response()),
        Err(Error::Invalid { code, .. }) => {
            Ok(Redirect::to(&format!("/stations/{id}?error={code}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn close(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        stations::close(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Redirect::to(&format!("/stations/{id}?saved=1")).into_response())
}

pub async fn reopen(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        stations::reopen(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Redirect::to(&format!("/stations/{id}?saved=1")).into_response())
}

pub async fn export(auth: Auth, Query(query): Query<StationFilter>) -> Result<Response, PageError> {
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes = sheet::export(&auth.app.store, &auth.caller, &query, zh).await?;
    Ok(respond::xlsx(bytes, "stations.xlsx"))
}

#[derive(Debug, Default, Deserialize)]
pub struct ServicesForm {
    #[serde(default)]
    hours: String,
    /// Checked amenity codes (one field per box).
    #[serde(default)]
    amenity: Vec<String>,
}

/// `POST /stations/{id}/services`: the keeper (or staff) changes the hours and amenities.
pub async fn services(
    auth: Auth,
    Path(id): Path<Uuid>,
    body: String,
) -> Result<Response, PageError> {
    let mut form = ServicesForm::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "hours" => form.hours = v.into_owned(),
            "amenity" => form.amenity.push(v.into_owned()),
            _ => {}
        }
    }
    let edit = stations::KeeperEdit {
        hours: form.hours,
        amenities: form.amenity.join(","),
    };
    match in_write(&auth.app.store, async |tx| {
        stations::keeper_edit(tx, &auth.caller, id, &edit).await
    })
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/stations/{id}?saved=1")).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => {
                let code = errs.iter().next().map_or("common.fix_errors", |e| e.code);
                Ok(Redirect::to(&format!("/stations/{id}?error={code}")).into_response())
            }
            None => Err(e.into()),
        },
    }
}
