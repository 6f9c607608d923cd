//! "Nearby stations" for workers, before or after joining: no login. The page is a list first
//! (works with map tiles unavailable and with JavaScript off), the map comes after. The answer
//! comes from the in-memory index; both the page and the API are rate-limited per client address.

use crate::auth::client_ip;
use crate::error::{ApiError, PageError};
use crate::i18n::{Catalogue, Lang};
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use nuanxin_core::stations::{self, Crs, LatLng, StationCard, TravelMode};
use nuanxin_core::Error;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// Most stations in one answer.
pub const MAX_LIMIT: usize = 50;

/// Links that open Chinese map apps at a station (GCJ-02, as they expect), and the phone.
pub struct NavLinks {
    pub amap: String,
    pub tencent: String,
    pub baidu: String,
}

impl NavLinks {
    pub fn new(name: &str, gcj: LatLng) -> NavLinks {
        let name = crate::auth::urlencode(name);
        let (lat, lng) = (gcj.lat(), gcj.lng());
        NavLinks {
            amap: format!("https://uri.amap.com/navigation?to={lng:.6},{lat:.6},{name}&mode=walk&coordinate=gaode&callnative=1"),
            tencent: format!("https://apis.map.qq.com/uri/v1/routeplan?type=walk&to={name}&tocoord={lat:.6},{lng:.6}&referer=nuanxin"),
            baidu: format!("https://api.map.baidu.com/direction?destination=latlng:{lat:.6},{lng:.6}|name:{name}&coord_type=gcj02&mode=walking&output=html&src=nuanxin"),
        }
    }
}

/// One station of the answer: the contract fields first (WGS-84), then what the page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearestItem {
    pub id: Uuid,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub distance_m: f64,
    pub travel_minutes: f64,
    /// Station type code.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub address: String,
    pub open_now: bool,
    pub amenities: Vec<&'static str>,
    pub phone: Option<String>,
    /// The same place in GCJ-02, for Chinese map apps.
    pub gcj02_lat: f64,
    pub gcj02_lng: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearestAnswer {
    pub items: Vec<NearestItem>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct NearestQuery {
    /// Latitude, WGS-84.
    pub lat: Option<String>,
    /// Longitude, WGS-84.
    pub lng: Option<String>,
    /// `walk` (default), `ebike` or `car`.
    pub mode: Option<String>,
    /// How many stations (1-50, default 10).
    pub limit: Option<String>,
}

struct Asked {
    at: LatLng,
    mode: TravelMode,
    limit: usize,
}

fn parse(q: &NearestQuery) -> Result<Asked, Error> {
    let num = |s: &Option<String>, field: &'static str, code: &'static str| {
        s.as_deref()
            .map(str::trim)
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or(Error::invalid(field, code))
    };
    let lat = num(&q.lat, "lat", "stations.bad_lat")?;
    let lng = num(&q.lng, "lng", "stations.bad_lng")?;
    let at = LatLng::parse(lat, lng)?.check_in_china_area()?;
    let mode = match q.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => TravelMode::Walk,
        Some(m) => TravelMode::parse(m)?,
    };
    let limit = match q.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => 10,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or(Error::invalid("limit", "stations.bad_limit"))?,
    };
    Ok(Asked { at, mode, limit })
}

fn items(state: &AppState, asked: &Asked) -> Vec<NearestItem> {
    let now = stations::hours::beijing_time(state.clock.now());
    state
        .stations
        .nearest(asked.at, asked.limit)
        .into_iter()
        .map(|(c, d)| item(&c, d, asked.mode, now))
        .collect()
}

fn item(
    c: &StationCard,
    distance_m: f64,
    mode: TravelMode,
    now: Option<chrono::NaiveDateTime>,
) -> NearestItem {
    let gcj = Crs::Gcj02.from_wgs84(c.at);
    NearestItem {
        id: c.id,
        name: c.name.clone(),
        lat: c.at.lat(),
        lng: c.at.lng(),
        distance_m: distance_m.round(),
        travel_minutes: (mode.travel_minutes(distance_m) * 10.0).round() / 10.0,
        kind: c.kind.code(),
        address: c.address.clone(),
        open_now: now.map(|t| c.hours.is_open_at(t)).unwrap_or(false),
        amenities: c.amenities.iter().map(|a| a.code()).collect(),
        phone: c.phone.clone(),
        gcj02_lat: gcj.lat(),
        gcj02_lng: gcj.lng(),
    }
}

/// The per-client rate limit of the nearest-station page and API: an extractor that refuses the
/// request with 429 when the client has asked too often.
pub struct RateLimited;

impl FromRequestParts<AppState> for RateLimited {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_ip(parts, state.config.trust_forwarded_for).unwrap_or_default();
        match state.nearest_limiter.check_key(&ip) {
            Ok(()) => Ok(RateLimited),
            Err(_) => {
                let lang = crate::auth::lang_of(&parts.headers);
                let body = crate::error::ErrorBody::of(&Error::RateLimited, lang);
                Err((
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "10")],
                    Json(body),
                )
                    .into_response())
            }
        }
    }
}

#[utoipa::path(get, path = "/api/v1/stations/nearest", tag = "stations", params(NearestQuery),
    responses((status = 200, description = "Open stations nearest first; WGS-84 in and out", body = NearestAnswer),
        (status = 422, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 429, description = "Too many requests from this client")))]
pub async fn api_nearest(
    State(state): State<AppState>,
    _limit: RateLimited,
    Query(q): Query<NearestQuery>,
) -> Result<Json<NearestAnswer>, ApiError> {
    let asked = parse(&q)?;
    state.stations.ready().await;
    Ok(Json(NearestAnswer {
        items: items(&state, &asked),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub lat: Option<String>,
    pub lng: Option<String>,
    pub mode: Option<String>,
    /// A region typed by name or code when the location is not shared.
    pub region: Option<String>,
}

/// A row of the page.
pub struct Row {
    pub item: NearestItem,
    pub links: NavLinks,
    pub type_label: &'static str,
    pub amenities: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "stations/nearby.html")]
struct NearbyPage {
    lang: Lang,
    mode: &'static str,
    located: Option<(f64, f64)>,
    region: String,
    region_name: Option<String>,
    rows: Vec<Row>,
    error: Option<&'static str>,
    tiles: crate::TileConfig,
    map_json: String,
    /// Certified rider-friendly neighbourhoods near the point (or in the region), with the
    /// distance when a point was given.
    friendly: Vec<(nuanxin_core::services::friendly::Place, f64)>,
}

impl NearbyPage {
    fn level(&self, code: &str) -> String {
        self.t(&format!("friendly.level.{code}")).to_string()
    }

    fn met(&self, p: &nuanxin_core::services::friendly::Place) -> String {
        p.met()
            .iter()
            .map(|c| self.t(&format!("friendly.check.{c}")).to_string())
            .collect::<Vec<_>>()
            .join(self.t("common.list_sep"))
    }

    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn modes(&self) -> [(&'static str, &'static str); 3] {
        [
            ("walk", self.t("stations.mode.walk")),
            ("ebike", self.t("stations.mode.ebike")),
            ("car", self.t("stations.mode.car")),
        ]
    }

    fn is_mode(&self, code: &str) -> bool {
        self.mode == code
    }

    fn mode_link(&self, mode: &str) -> String {
        match self.located {
            Some((lat, lng)) => format!("/stations/nearby?lat={lat:.6}&lng={lng:.6}&mode={mode}"),
            None => format!("/stations/nearby?mode={mode}"),
        }
    }

    fn distance(&self, m: &f64) -> String {
        if *m < 1000.0 {
            format!("{m:.0} m")
        } else {
            format!("{:.1} km", m / 1000.0)
        }
    }

    fn minutes(&self, m: &f64) -> String {
        let n = m.ceil().max(1.0);
        self.t("stations.minutes")
            .replace("{n}", &format!("{n:.0}"))
    }

    fn here_encoded(&self) -> String {
        crate::auth::urlencode(&self.here())
    }

    fn here(&self) -> String {
        match self.located {
            Some((lat, lng)) => format!(
                "/stations/nearby?lat={lat:.6}&lng={lng:.6}&mode={}",
                self.mode
            ),
            None => "/stations/nearby".into(),
        }
    }
}

fn ctx_ctx(lang: Lang) -> crate::layout::Ctx {
    crate::layout::Ctx::anonymous(lang, "/stations/nearby")
}

#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn page(
    State(state): State<AppState>,
    _limit: RateLimited,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let lang = crate::auth::lang_of(&headers);
    let ctx = ctx_ctx(lang);
    let mode = q
        .mode
        .as_deref()
        .and_then(|m| TravelMode::parse(m).ok())
        .unwrap_or(TravelMode::Walk);
    let mut page = NearbyPage {
        lang,
        mode: mode.code(),
        located: None,
        region: q.region.clone().unwrap_or_default(),
        region_name: None,
        rows: Vec::new(),
        error: None,
        tiles: state.config.tiles.clone(),
        map_json: "null".into(),
        friendly: Vec::new(),
    };
    let row = |item: NearestItem| {
        let gcj =
            LatLng::parse(item.gcj02_lat, item.gcj02_lng).expect("converted from a valid point");
        Row {
            links: NavLinks::new(&item.name, gcj),
            type_label: super::pages::type_label(&ctx, item.kind),
            amenities: item
                .amenities
                .iter()
                .filter_map(|a| stations::Amenity::parse(a).ok())
                .map(|a| (a.code(), super::pages::amenity_label(&ctx, a)))
                .collect(),
            item,
        }
    };
    let has_point = q.lat.as_deref().is_some_and(|s| !s.trim().is_empty());
    if has_point {
        let asked = NearestQuery {
            lat: q.lat.clone(),
            lng: q.lng.clone(),
            mode: Some(mode.code().into()),
            limit: None,
        };
        match parse(&asked) {
            Ok(asked) => {
                state.stations.ready().await;
                page.located = Some((asked.at.lat(), asked.at.lng()));
                page.rows = items(&state, &asked).into_iter().map(row).collect();
                page.friendly = nuanxin_core::in_read(&state.store, async |tx| {
                    nuanxin_core::services::friendly::near(tx, asked.at, 3_000.0, 5).await
                })
                .await?;
            }
            Err(e) => page.error = Some(e.code()),
        }
    } else if let Some(r) = q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        match stations::queries::in_region(&state.store, r, 30).await? {
            Some((region, list)) => {
                let now = stations::hours::beijing_time(state.clock.now());
                page.region_name = Some(region.name);
                let code = r.to_string();
                page.friendly = nuanxin_core::in_read(&state.store, async |tx| {
                    nuanxin_core::services::friendly::in_region(tx, &code, 10).await
                })
                .await?
                .into_iter()
                .map(|p| (p, f64::NAN))
                .collect();
                page.rows = list
                    .iter()
                    .filter_map(StationCard::of)
                    .map(|card| row(item(&card, f64::NAN, mode, now)))
                    .collect();
            }
            None => page.error = Some("stations.region_not_found"),
        }
    }
    if page.tiles.enabled() && !page.rows.is_empty() {
        let tiles_gcj = page.tiles.gcj02;
        let shown = |lat: f64, lng: f64| -> [f64; 2] {
            match LatLng::parse(lat, lng) {
                Ok(p) if tiles_gcj => {
                    let g = Crs::Gcj02.from_wgs84(p);
                    [g.lat(), g.lng()]
                }
                _ => [lat, lng],
            }
        };
        page.map_json = crate::respond::json_in_html(&serde_json::json!({
            "me": page.located.map(|(lat, lng)| shown(lat, lng)),
            "stations": page.rows.iter().map(|r| {
                let [lat, lng] = shown(r.item.lat, r.item.lng);
                serde_json::json!([lat, lng, r.item.name])
            }).collect::<Vec<_>>(),
            "friendly": page.friendly.iter().map(|(f, _)| {
                let [lat, lng] = shown(f.lat, f.lng);
                serde_json::json!([lat, lng, f.name])
            }).collect::<Vec<_>>(),
        }));
    }
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let html: Html<String> = render(&page)?;
    Ok((status, html).into_response())
}

/// Keeps the limiter's memory bounded: forget clients idle for a while.
pub fn start_limiter_cleanup(state: &AppState) {
    let limiter: Arc<crate::NearestLimiter> = state.nearest_limiter.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
}
