//! The 15-minute circle (15分钟服务圈) as a page: paste or upload places, see which have a station
//! within reach.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::Ctx;
use crate::respond::{self, render};
use askama::Template;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use nuanxin_core::stations::circle::{self, CircleResult, NamedPoint};
use nuanxin_core::stations::TravelMode;
use nuanxin_core::Error;
use std::collections::HashMap;

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

pub async fn circle_form(auth: Auth) -> Result<Html<String>, PageError> {
    let org = auth.caller.home_unit().unwrap_or_default();
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
        tiles: auth.app.config.tiles.clone(),
    })
}

/// Runs the analysis on the uploaded demand (and candidate) files; `format=xlsx` downloads it.
pub async fn circle_run(auth: Auth, mut multipart: Multipart) -> Result<Response, PageError> {
    let state = auth.app.clone();
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
    let code = if page.org.is_empty() {
        auth.caller.home_unit().unwrap_or_default()
    } else {
        page.org.clone()
    };
    let cands: Option<Vec<NamedPoint>> = candidates.map(|c| c.points);
    let request = circle::CircleRequest {
        org_code: &code,
        demand: &demand.points,
        candidates: cands.as_deref(),
        mode,
        minutes,
        k,
        export: get("format") == "xlsx",
    };
    let (unit, result) = match circle::run(&state.store, &state.stations, &auth.caller, request)
        .await
    {
        Ok(r) => r,
        Err(Error::NotFound | Error::Forbidden) => return fail(page, "stations.unknown_org", None),
        Err(e @ (Error::Invalid { .. } | Error::Fields(_))) => return fail(page, e.code(), None),
        Err(e) => return Err(e.into()),
    };
    if get("format") == "xlsx" {
        let bytes = circle::result_xlsx(&result, page.ctx.lang == crate::Lang::ZhCn)
            .map_err(Error::Internal)?;
        return Ok(respond::xlsx(bytes, "15-minute-circle.xlsx"));
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
