//! The 15-minute circle analysis of an area: the share of demand (workplaces, hotspots) that
//! reaches one of the area's open stations within the time budget, the demand left outside, and
//! suggested sites for new stations, chosen greedily from candidate sites (kiosks, battery-swap
//! stations…) or, when none are given, from a grid laid over the uncovered demand.

use super::geo::{Crs, LatLng, TravelMode};
use super::index::StationIndex;
use super::siting::{self, Demand};
use crate::error::RowError;
use crate::sheets::{self, Column, Table};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most demand points in one analysis.
pub const MAX_POINTS: usize = 2_000_000;
/// Most suggested sites asked for at once.
pub const MAX_SITES: usize = 500;

/// Columns of a points sheet: demand points and candidate sites.
pub const POINT_COLUMNS: [Column; 5] = [
    Column::new("name", "名称", false),
    Column::new("lng", "经度", true),
    Column::new("lat", "纬度", true),
    Column::new("crs", "坐标系", false),
    Column::new("weight", "权重", false),
];

/// A demand point or a candidate site as given, before conversion to WGS-84.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PointInput {
    pub lat: f64,
    pub lng: f64,
    /// How many workers (or how much demand) the point stands for; default 1.
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A point of the answer, in WGS-84.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PointOut {
    pub lat: f64,
    pub lng: f64,
    pub weight: f64,
    pub name: Option<String>,
}

/// A suggested site, in the order chosen.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SiteOut {
    pub rank: usize,
    pub lat: f64,
    pub lng: f64,
    pub name: Option<String>,
    /// Demand weight this site adds to what the stations and earlier sites cover.
    pub gain: f64,
    pub newly_covered: usize,
    /// Share of all demand covered once this and the earlier sites are built.
    pub share_after: f64,
}

/// The answer of an analysis.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircleResult {
    pub mode: TravelMode,
    pub minutes: f64,
    /// Straight-line reach for the mode and minutes (detour factor included).
    pub radius_m: f64,
    pub stations: usize,
    pub demand_points: usize,
    pub total_weight: f64,
    pub covered_weight: f64,
    /// Covered over total weight; null without demand.
    pub share: Option<f64>,
    /// Demand points with no station within reach.
    pub uncovered: Vec<PointOut>,
    /// `candidates` when candidate sites were given, `grid` otherwise.
    pub candidate_source: &'static str,
    pub candidates: usize,
    pub sites: Vec<SiteOut>,
}

/// A named point in WGS-84 with its weight.
#[derive(Debug, Clone)]
pub struct NamedPoint {
    pub at: LatLng,
    pub weight: f64,
    pub name: Option<String>,
}

/// Checks points given as numbers (the API), WGS-84 or `crs`; the error names the position.
pub fn points_from_input(
    list: &[PointInput],
    crs: Crs,
    field: &'static str,
) -> Result<Vec<NamedPoint>> {
    if list.len() > MAX_POINTS {
        return Err(Error::invalid(field, "stations.too_many_points"));
    }
    list.iter()
        .map(|p| {
            let at = LatLng::parse(p.lat, p.lng)
                .and_then(|a| a.check_in_china_area())
                .map_err(|_| Error::invalid(field, "stations.bad_point"))?;
            let weight = p.weight.unwrap_or(1.0);
            Demand::new(at, weight).map_err(|_| Error::invalid(field, "stations.bad_weight"))?;
            Ok(NamedPoint {
                at: crs.to_wgs84(at),
                weight,
                name: p.name.clone(),
            })
        })
        .collect()
}

/// Reads a points sheet (名称, 经度, 纬度, 坐标系, 权重); every bad row is reported with its
/// row number and column.
pub fn read_points(bytes: &[u8]) -> std::result::Result<PointsSheet, sheets::SheetError> {
    let table = sheets::read(bytes, &POINT_COLUMNS)?;
    Ok(points_from_table(&table))
}

/// The points of a sheet and its rejected rows.
#[derive(Debug, Clone, Default)]
pub struct PointsSheet {
    pub points: Vec<NamedPoint>,
    pub rejected: Vec<RowError>,
}

fn points_from_table(table: &Table) -> PointsSheet {
    let mut out = PointsSheet::default();
    for (row, cells) in &table.rows {
        let cell = |k: &str| table.cell(cells, k);
        let reject = |out: &mut PointsSheet, key: &str, code: &'static str| {
            out.rejected.push(RowError {
                row: *row,
                column: table.header(key),
                code,
            })
        };
        let crs = match cell("crs") {
            "" => Crs::Wgs84,
            c => match Crs::parse(c) {
                Ok(c) => c,
                Err(e) => {
                    reject(&mut out, "crs", e.code());
                    continue;
                }
            },
        };
        let (Ok(lat), Ok(lng)) = (cell("lat").parse::<f64>(), cell("lng").parse::<f64>()) else {
            let key = if cell("lat").parse::<f64>().is_err() {
                "lat"
            } else {
                "lng"
            };
            reject(
                &mut out,
                key,
                if key == "lat" {
                    "stations.bad_lat"
                } else {
                    "stations.bad_lng"
                },
            );
            continue;
        };
        let at = match LatLng::parse(lat, lng).and_then(|p| p.check_in_china_area()) {
            Ok(p) => crs.to_wgs84(p),
            Err(e) => {
                reject(&mut out, e.field().unwrap_or("lat"), e.code());
                continue;
            }
        };
        let weight = match cell("weight") {
            "" => 1.0,
            w => match w.parse::<f64>().ok().filter(|w| w.is_finite() && *w >= 0.0) {
                Some(w) => w,
                None => {
                    reject(&mut out, "weight", "stations.bad_weight");
                    continue;
                }
            },
        };
        let name = Some(cell("name").to_string()).filter(|n| !n.is_empty());
        out.points.push(NamedPoint { at, weight, name });
    }
    out
}

/// Grid candidates: the centre of every cell (side `radius_m`) that holds uncovered demand, so a
/// site there reaches the whole cell's corners at most √2/2 of the radius away.
pub fn grid_candidates(uncovered: &[NamedPoint], radius_m: f64) -> Vec<NamedPoint> {
    let side_lat = radius_m / 111_195.0;
    let mut cells: HashMap<(i64, i64), (f64, f64)> = HashMap::new();
    for p in uncovered {
        let side_lng = side_lat / p.at.lat().to_radians().cos().max(0.05);
        let key = (
            (p.at.lat() / side_lat).floor() as i64,
            (p.at.lng() / side_lng).floor() as i64,
        );
        cells.entry(key).or_insert((
            (key.0 as f64 + 0.5) * side_lat,
            (key.1 as f64 + 0.5) * side_lng,
        ));
    }
    let mut out: Vec<NamedPoint> = cells
        .into_values()
        .filter_map(|(lat, lng)| LatLng::parse(lat, lng).ok())
        .map(|at| NamedPoint {
            at,
            weight: 0.0,
            name: None,
        })
        .collect();
    out.sort_by(|a, b| {
        a.at.lat()
            .total_cmp(&b.at.lat())
            .then(a.at.lng().total_cmp(&b.at.lng()))
    });
    out
}

/// What a cadre asks of the 15-minute circle: the area (a unit the caller can see), the places
/// where the demand is, candidate sites if any, how people travel and how far, how many sites to
/// suggest, and whether the result is taken away as a sheet.
pub struct CircleRequest<'a> {
    pub org_code: &'a str,
    pub demand: &'a [NamedPoint],
    pub candidates: Option<&'a [NamedPoint]>,
    pub mode: TravelMode,
    pub minutes: f64,
    pub k: usize,
    pub export: bool,
}

/// The circle analysis as the page and the API run it: the stations of the unit's subtree (not
/// found when the unit is outside the caller's scope), the analysis outside any transaction (on
/// SQLite a write transaction would hold the one write lock for as long as it takes), then its
/// audit entry. Gives the unit with the result.
pub async fn run(
    store: &crate::Store,
    live: &super::LiveIndex,
    caller: &crate::accounts::Caller,
    req: CircleRequest<'_>,
) -> Result<(crate::orgs::OrgUnit, CircleResult)> {
    let unit = crate::in_read(store, async |tx| {
        crate::orgs::get(tx, &caller.scope, req.org_code).await
    })
    .await?;
    live.ready().await;
    let index = live.subtree(std::slice::from_ref(&unit.path));
    let result = analyse(
        &index,
        req.demand,
        req.candidates,
        req.mode,
        req.minutes,
        req.k,
    )?;
    crate::in_write(store, async |tx| {
        caller.audit(tx, "stations.circle",
            &unit.code,
            Some(&unit.path),
            serde_json::json!({"demand": result.demand_points, "mode": req.mode.code(), "minutes": req.minutes, "k": req.k, "export": req.export}),
        )
        .await
    })
    .await?;
    Ok((unit, result))
}

/// Runs the analysis of `demand` against `stations`, suggesting up to `k` sites.
pub fn analyse(
    stations: &StationIndex,
    demand: &[NamedPoint],
    candidates: Option<&[NamedPoint]>,
    mode: TravelMode,
    minutes: f64,
    k: usize,
) -> Result<CircleResult> {
    if !(1.0..=120.0).contains(&minutes) {
        return Err(Error::invalid("minutes", "stations.bad_minutes"));
    }
    if k > MAX_SITES {
        return Err(Error::invalid("k", "stations.too_many_sites"));
    }
    let points: Vec<Demand> = demand
        .iter()
        .map(|p| Demand::new(p.at, p.weight))
        .collect::<Result<_>>()?;
    let cover = siting::coverage(&points, stations, mode, minutes);
    let uncovered: Vec<NamedPoint> = cover.uncovered.iter().map(|&i| demand[i].clone()).collect();
    let uncovered_demand: Vec<Demand> = cover.uncovered.iter().map(|&i| points[i]).collect();
    let (source, pool) = match candidates {
        Some(c) if !c.is_empty() => ("candidates", c.to_vec()),
        _ => ("grid", grid_candidates(&uncovered, cover.radius_m)),
    };
    let at: Vec<LatLng> = pool.iter().map(|p| p.at).collect();
    let chosen = siting::suggest_sites(&uncovered_demand, &at, k, cover.radius_m);
    let total = cover.total_weight;
    let share_of = |w: f64| if total > 0.0 { w / total } else { 0.0 };
    let sites = chosen
        .iter()
        .enumerate()
        .map(|(i, c)| SiteOut {
            rank: i + 1,
            lat: c.at.lat(),
            lng: c.at.lng(),
            name: pool[c.candidate].name.clone(),
            gain: c.gain,
            newly_covered: c.newly_covered,
            share_after: share_of(cover.covered_weight + c.covered_weight),
        })
        .collect();
    Ok(CircleResult {
        mode,
        minutes,
        radius_m: cover.radius_m,
        stations: stations.len(),
        demand_points: demand.len(),
        total_weight: total,
        covered_weight: cover.covered_weight,
        share: cover.share(),
        uncovered: uncovered
            .iter()
            .map(|p| PointOut {
                lat: p.at.lat(),
                lng: p.at.lng(),
                weight: p.weight,
                name: p.name.clone(),
            })
            .collect(),
        candidate_source: source,
        candidates: pool.len(),
        sites,
    })
}

/// The analysis as a workbook: a summary, the suggested sites and the uncovered demand.
pub fn result_xlsx(r: &CircleResult, zh: bool) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let t = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#FDE8E4");
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let summary = book.add_worksheet();
    summary.set_name(t("概况", "summary"))?;
    let rows: Vec<(&str, String)> = vec![
        (
            t("出行方式", "travel mode"),
            if zh {
                r.mode.label_zh().to_string()
            } else {
                r.mode.code().to_string()
            },
        ),
        (t("时间（分钟）", "minutes"), format!("{}", r.minutes)),
        (
            t("直线可达半径（米）", "straight-line reach (m)"),
            format!("{:.0}", r.radius_m),
        ),
        (t("驿站数", "stations"), r.stations.to_string()),
        (t("需求点数", "demand points"), r.demand_points.to_string()),
        (
            t("需求总权重", "total weight"),
            format!("{}", r.total_weight),
        ),
        (
            t("已覆盖权重", "covered weight"),
            format!("{}", r.covered_weight),
        ),
        (
            t("覆盖率", "share covered"),
            r.share.map(pct).unwrap_or_else(|| "—".into()),
        ),
        (
            t("未覆盖需求点", "uncovered points"),
            r.uncovered.len().to_string(),
        ),
    ];
    summary.set_column_width(0, 24)?;
    summary.set_column_width(1, 18)?;
    for (i, (k, v)) in rows.iter().enumerate() {
        summary.write_string_with_format(i as u32, 0, *k, &bold)?;
        summary.write_string(i as u32, 1, v)?;
    }
    let sites = book.add_worksheet();
    sites.set_name(t("建议选址", "suggested sites"))?;
    let head = [
        t("序号", "rank"),
        t("名称", "name"),
        t("纬度", "lat"),
        t("经度", "lng"),
        t("新增覆盖权重", "gain"),
        t("新增覆盖点数", "newly covered"),
        t("建成后覆盖率", "share after"),
    ];
    for (c, h) in head.iter().enumerate() {
        sites.write_string_with_format(0, c as u16, *h, &bold)?;
        sites.set_column_width(c as u16, 16)?;
    }
    for (i, s) in r.sites.iter().enumerate() {
        let row = i as u32 + 1;
        sites.write_number(row, 0, s.rank as f64)?;
        sheets::write_text(sites, row, 1, s.name.as_deref().unwrap_or(""), None)?;
        sites.write_number(row, 2, s.lat)?;
        sites.write_number(row, 3, s.lng)?;
        sites.write_number(row, 4, s.gain)?;
        sites.write_number(row, 5, s.newly_covered as f64)?;
        sites.write_string(row, 6, pct(s.share_after))?;
    }
    let open = book.add_worksheet();
    open.set_name(t("未覆盖需求点", "uncovered demand"))?;
    for (c, h) in [
        t("名称", "name"),
        t("纬度", "lat"),
        t("经度", "lng"),
        t("权重", "weight"),
    ]
    .iter()
    .enumerate()
    {
        open.write_string_with_format(0, c as u16, *h, &bold)?;
        open.set_column_width(c as u16, 16)?;
    }
    for (i, p) in r.uncovered.iter().enumerate() {
        let row = i as u32 + 1;
        sheets::write_text(open, row, 0, p.name.as_deref().unwrap_or(""), None)?;
        open.write_number(row, 1, p.lat)?;
        open.write_number(row, 2, p.lng)?;
        open.write_number(row, 3, p.weight)?;
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn p(lat: f64, lng: f64, weight: f64) -> NamedPoint {
        NamedPoint {
            at: LatLng::parse(lat, lng).unwrap(),
            weight,
            name: None,
        }
    }

    #[test]
    fn demand_near_a_station_is_covered_and_a_grid_site_covers_the_rest() {
        let stations =
            StationIndex::build([(Uuid::from_u128(1), LatLng::parse(36.45, 115.98).unwrap())]);
        // Two points by the station, three in a cluster 5 km north.
        let demand = vec![
            p(36.4505, 115.9805, 1.0),
            p(36.4495, 115.9795, 1.0),
            p(36.4950, 115.9800, 2.0),
            p(36.4952, 115.9802, 2.0),
            p(36.4948, 115.9798, 2.0),
        ];
        let r = analyse(&stations, &demand, None, TravelMode::Walk, 15.0, 3).unwrap();
        assert_eq!(r.covered_weight, 2.0);
        assert_eq!(r.total_weight, 8.0);
        assert_eq!(r.uncovered.len(), 3);
        assert_eq!(r.candidate_source, "grid");
        assert_eq!(
            r.sites.len(),
            1,
            "one site covers the cluster; no more is useful"
        );
        assert_eq!(r.sites[0].gain, 6.0);
        assert_eq!(r.sites[0].share_after, 1.0);
        let book = result_xlsx(&r, true).unwrap();
        assert!(book.starts_with(b"PK"));
    }

    #[test]
    fn bad_arguments_are_named() {
        let s = StationIndex::new();
        let e = analyse(&s, &[], None, TravelMode::Walk, 0.0, 1).unwrap_err();
        assert_eq!(e.field(), Some("minutes"));
        let e = analyse(&s, &[], None, TravelMode::Walk, 15.0, 10_000).unwrap_err();
        assert_eq!(e.field(), Some("k"));
    }

    #[test]
    fn a_points_sheet_reports_bad_rows_by_row_and_column() {
        let csv = "名称,经度,纬度,坐标系,权重\n甲,115.98,36.45,,3\n乙,abc,36.45,,1\n丙,115.98,36.45,百度坐标,1\n丁,115.98,36.45,GCJ02,-1\n";
        let sheet = read_points(csv.as_bytes()).unwrap();
        assert_eq!(sheet.points.len(), 1);
        assert_eq!(sheet.points[0].weight, 3.0);
        let got: Vec<(usize, &str, &str)> = sheet
            .rejected
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.code))
            .collect();
        assert_eq!(
            got,
            [
                (3, "经度", "stations.bad_lng"),
                (4, "坐标系", "stations.crs_bd09_unsupported"),
                (5, "权重", "stations.bad_weight"),
            ]
        );
    }
}
