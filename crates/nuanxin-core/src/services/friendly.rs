//! Rider-friendly neighbourhoods (骑手友好街区): a street or community assessed against the
//! checklist of what riders need ([`CHECKS`]); the level is what the checklist reaches
//! ([`level_of`]: all five a model, four good, three basic), dated by the assessment. Staff of a
//! union whose region holds the place assess it; certified places (basic or better) are shown
//! to workers on the nearby page and on its map, nearest first.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::stations::geo::LatLng;
use crate::{on_db, Error, Result, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The checklist, as columns of `friendly_places`.
pub const CHECKS: [&str; 5] = ["parking", "access", "rest_points", "charging", "toilets"];

/// The levels, lowest first.
pub const LEVELS: [&str; 4] = ["none", "basic", "good", "model"];

/// The level a place reaches with `met` of the five checks met.
pub fn level_of(met: usize) -> &'static str {
    match met {
        5.. => "model",
        4 => "good",
        3 => "basic",
        _ => "none",
    }
}

/// An assessed place.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Place {
    pub id: Uuid,
    pub region_code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub parking: bool,
    pub access: bool,
    pub rest_points: bool,
    pub charging: bool,
    pub toilets: bool,
    /// `none`, `basic`, `good` or `model`.
    pub level: String,
    pub assessed_on: NaiveDate,
    pub note: String,
    pub org_code: String,
    #[serde(skip)]
    pub org_path: String,
}

impl Place {
    /// The checks it meets, as codes.
    pub fn met(&self) -> Vec<&'static str> {
        let flags = [
            self.parking,
            self.access,
            self.rest_points,
            self.charging,
            self.toilets,
        ];
        CHECKS
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(c, _)| *c)
            .collect()
    }

    pub fn certified(&self) -> bool {
        self.level != "none"
    }
}

/// An assessment (`POST /api/v1/friendly-places`, the form): the checks met, as `1`/`true`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlaceInput {
    pub org_code: String,
    /// A street's (9 digits) or a community's (12 digits) region code.
    pub region_code: String,
    /// Optional: the region's name otherwise.
    pub name: String,
    pub lat: String,
    pub lng: String,
    pub parking: String,
    pub access: String,
    pub rest_points: String,
    pub charging: String,
    pub toilets: String,
    /// Default today.
    pub assessed_on: String,
    pub note: String,
}

fn yes(text: &str) -> bool {
    matches!(text.trim(), "1" | "true" | "on" | "yes" | "是")
}

const SELECT: &str = "SELECT f.id, f.region_code, f.name, f.lat, f.lng, f.parking, f.access, f.rest_points, f.charging,
        f.toilets, f.level, f.assessed_on, f.note, o.code AS org_code, o.path AS org_path
    FROM friendly_places f JOIN org_units o ON o.id = f.org_id";

/// Assesses a place (staff of a union whose region holds it); a second assessment replaces the
/// first. All problems at once.
pub async fn assess(tx: &mut Tx, caller: &Caller, input: &PlaceInput) -> Result<Place> {
    let mut errs = FieldErrors::new();
    let code = input.region_code.trim();
    const REGION: &str = "SELECT name, level FROM regions WHERE code = $1";
    let region: Option<(String, i16)> =
        on_db!(tx.conn(), c => sqlx::query_as(REGION).bind(code).fetch_optional(c).await)?;
    let region_name = match region {
        Some((name, 4 | 5)) => Some(name),
        _ => {
            errs.push("region_code", "friendly.bad_region");
            None
        }
    };
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    if let Some(o) = &org {
        if !code.starts_with(o.region_code.as_str()) {
            errs.push("region_code", "grid.outside_region");
        }
    }
    let point = super::typed_point(&input.lat, &input.lng, &mut errs);
    let assessed_on = match input.assessed_on.trim() {
        "" => Some(caller.today),
        t => crate::sheets::parse_date(t).filter(|d| *d <= caller.today),
    };
    if assessed_on.is_none() {
        errs.push("assessed_on", "friendly.bad_date");
    }
    let (Some(region_name), Some(org), Some(point), Some(assessed_on), true) =
        (region_name, org, point, assessed_on, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let name: String = match input.name.trim() {
        "" => region_name,
        n => n.chars().take(100).collect(),
    };
    let flags = [
        &input.parking,
        &input.access,
        &input.rest_points,
        &input.charging,
        &input.toilets,
    ]
    .map(|f| yes(f));
    let level = level_of(flags.iter().filter(|f| **f).count());
    const SQL: &str = "INSERT INTO friendly_places (id, org_id, region_code, name, lat, lng, parking, access, rest_points,
            charging, toilets, level, assessed_on, note, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
        ON CONFLICT (region_code) DO UPDATE SET org_id = excluded.org_id, name = excluded.name, lat = excluded.lat,
            lng = excluded.lng, parking = excluded.parking, access = excluded.access, rest_points = excluded.rest_points,
            charging = excluded.charging, toilets = excluded.toilets, level = excluded.level,
            assessed_on = excluded.assessed_on, note = excluded.note, updated_at = excluded.updated_at";
    let note: String = input.note.trim().chars().take(1000).collect();
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(org.id).bind(code).bind(&name).bind(point.lat()).bind(point.lng())
        .bind(flags[0]).bind(flags[1]).bind(flags[2]).bind(flags[3]).bind(flags[4]).bind(level).bind(assessed_on).bind(&note)
        .bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(tx, "friendly.assess", code, Some(&org.path),
            serde_json::json!({"name": name, "level": level, "checks": flags, "assessed_on": assessed_on}))
        .await?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE f.region_code = ").arg(code);
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Place>(&q.sql), &q.args).fetch_one(c).await)?,
    )
}

/// The places the scope's unions assessed, the highest level first.
pub async fn list(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Place>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM friendly_places f JOIN org_units o ON o.id = f.org_id",
        filter,
        order: "CASE f.level WHEN 'model' THEN 0 WHEN 'good' THEN 1 WHEN 'basic' THEN 2 ELSE 3 END, f.name",
        id: "f.id",
    }
    .page(tx, page)
    .await
}

/// Certified places within `radius_m` of a point, nearest first (at most `limit`), with their
/// distance: what a worker sees on the nearby page.
pub async fn near(
    tx: &mut Tx,
    p: LatLng,
    radius_m: f64,
    limit: usize,
) -> Result<Vec<(Place, f64)>> {
    let d_lat = radius_m / 111_000.0;
    let d_lng = d_lat / p.lat().to_radians().cos().max(0.1);
    // Bounds are floats: bound directly (the Sql builder carries text, integers, ids and days).
    let sql = format!("{SELECT} WHERE f.level <> 'none' AND f.lat BETWEEN $1 AND $2 AND f.lng BETWEEN $3 AND $4 LIMIT 500");
    let rows: Vec<Place> = on_db!(tx.conn(), c => sqlx::query_as::<_, Place>(&sql).bind(p.lat() - d_lat).bind(p.lat() + d_lat)
        .bind(p.lng() - d_lng).bind(p.lng() + d_lng).fetch_all(c).await)?;
    let mut found: Vec<(Place, f64)> = rows
        .into_iter()
        .filter_map(|f| {
            let d = LatLng::parse(f.lat, f.lng).ok()?.distance_m(p);
            (d <= radius_m).then_some((f, d))
        })
        .collect();
    found.sort_by(|a, b| a.1.total_cmp(&b.1));
    found.truncate(limit);
    Ok(found)
}

/// Certified places of a region (a county or township prefix), by name: the nearby page's
/// search by region.
pub async fn in_region(tx: &mut Tx, prefix: &str, limit: i64) -> Result<Vec<Place>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE f.level <> 'none' AND f.region_code >= ")
        .arg(prefix.to_string())
        .push(" AND f.region_code < ")
        .arg(format!("{prefix}~"))
        .push(" ORDER BY f.name LIMIT ")
        .arg(limit);
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Place>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_is_what_the_checklist_reaches() {
        assert_eq!(
            [0, 2, 3, 4, 5].map(level_of),
            ["none", "none", "basic", "good", "model"]
        );
    }
}
