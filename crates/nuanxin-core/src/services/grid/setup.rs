//! What a county loads before reports can be routed: its communities (a village-level region,
//! its point, optionally its boundary, and the grid office account it reports to) and the
//! responsible bodies its grid offices forward to, each with a deadline. Staff of a union whose
//! region holds the community or county set them up.

use super::routing::{self, Community};
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::stations::geo::LatLng;
use crate::{on_db, Error, Result, Scope, Tx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A community as its setup page and the API show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CommunityRow {
    pub region_code: String,
    pub region_name: String,
    pub lat: f64,
    pub lng: f64,
    /// Whether a boundary is loaded (routing then uses it, not the point).
    pub has_boundary: bool,
    /// The username of the grid office account its reports go to.
    pub office: Option<String>,
    pub org_code: String,
}

/// A community to load or update (`POST /api/v1/grid/communities`, the setup form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CommunityInput {
    /// The union setting it up: the community must lie in its region.
    pub org_code: String,
    /// The village-level region code (12 digits).
    pub region_code: String,
    pub lat: String,
    pub lng: String,
    /// Optional: a JSON array of `[lng, lat]` pairs, one closed ring (WGS-84).
    pub boundary: String,
    /// Optional: the username of a grid office account (role `grid_office`).
    pub office: String,
}

/// A responsible body of a county.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Body {
    pub id: Uuid,
    pub county_code: String,
    /// `roads`, `traffic_police`, `city_management`, `fire` or `public_security`.
    pub kind: String,
    pub name: String,
    pub deadline_hours: i32,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BodyInput {
    pub org_code: String,
    /// The county's 6-digit code.
    pub county_code: String,
    pub kind: String,
    pub name: String,
    pub deadline_hours: String,
}

/// The union `org_code` names, which the caller is staff of, and whose region holds `region`.
async fn unit_over(
    tx: &mut Tx,
    caller: &Caller,
    org_code: &str,
    region: &str,
    field: &'static str,
    errs: &mut FieldErrors,
) -> Result<Option<crate::orgs::OrgUnit>> {
    let org = crate::services::staff_unit(tx, caller, org_code, errs).await?;
    if let Some(o) = &org {
        if !region.is_empty() && !region.starts_with(o.region_code.as_str()) {
            errs.push(field, "grid.outside_region");
        }
    }
    Ok(org)
}

async fn region_level(tx: &mut Tx, code: &str) -> Result<Option<i16>> {
    const SQL: &str = "SELECT level FROM regions WHERE code = $1";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(code).fetch_optional(c).await)?)
}

/// Loads or updates a community (staff of a union whose region holds it). All problems at once.
pub async fn put_community(
    tx: &mut Tx,
    caller: &Caller,
    input: &CommunityInput,
) -> Result<CommunityRow> {
    let mut errs = FieldErrors::new();
    let code = input.region_code.trim();
    if region_level(tx, code).await? != Some(5) {
        errs.push("region_code", "grid.bad_community");
    }
    let org = unit_over(tx, caller, &input.org_code, code, "region_code", &mut errs).await?;
    let point = crate::services::typed_point(&input.lat, &input.lng, &mut errs);
    let ring = match input.boundary.trim() {
        "" => None,
        b => match routing::parse_boundary(b) {
            None => {
                errs.push("boundary", "grid.bad_boundary");
                None
            }
            Some(ring) if !Extent::of_ring(&ring).within_span() => {
                errs.push("boundary", "grid.boundary_too_large");
                None
            }
            ring => ring,
        },
    };
    let boundary = match &ring {
        Some(ring) => Some(
            serde_json::to_string(&ring.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>())
                .map_err(|e| Error::Internal(e.into()))?,
        ),
        None => None,
    };
    let office = match input.office.trim() {
        "" => None,
        name => {
            const SQL: &str =
                "SELECT a.id FROM accounts a JOIN assignments p ON p.account_id = a.id
                WHERE a.username = $1 AND p.role = 'grid_office' AND NOT a.disabled";
            let id: Option<Uuid> =
                on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(name).fetch_optional(c).await)?;
            if id.is_none() {
                errs.push("office", "grid.bad_office");
            }
            id
        }
    };
    let (Some(org), Some(point), true) = (org, point, errs.is_empty()) else {
        return Err(errs.into());
    };
    let e = Extent::of(point, ring.as_deref());
    const SQL: &str = "INSERT INTO grid_communities (region_code, lat, lng, boundary, office_account, org_id, updated_at,
            min_lat, max_lat, min_lng, max_lng)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (region_code) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, boundary = excluded.boundary,
            office_account = excluded.office_account, org_id = excluded.org_id, updated_at = excluded.updated_at,
            min_lat = excluded.min_lat, max_lat = excluded.max_lat, min_lng = excluded.min_lng, max_lng = excluded.max_lng";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(code).bind(point.lat()).bind(point.lng()).bind(&boundary)
        .bind(office).bind(org.id).bind(caller.at).bind(e.min_lat).bind(e.max_lat).bind(e.min_lng).bind(e.max_lng)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "grid.community",
            code,
            Some(&org.path),
            serde_json::json!({"lat": point.lat(), "lng": point.lng(), "boundary": boundary.is_some(), "office": input.office.trim()}),
        )
        .await?;
    communities(tx, &caller.scope, Some(code))
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound)
}

/// The communities set up by the scope's unions (or the one of `code`), by code.
pub async fn communities(
    tx: &mut Tx,
    scope: &Scope,
    code: Option<&str>,
) -> Result<Vec<CommunityRow>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut q = nuanxin_store::Sql::new(
        "SELECT g.region_code, r.name AS region_name, g.lat, g.lng, (g.boundary IS NOT NULL) AS has_boundary,
            a.username AS office, o.code AS org_code
        FROM grid_communities g JOIN regions r ON r.code = g.region_code JOIN org_units o ON o.id = g.org_id
        LEFT JOIN accounts a ON a.id = g.office_account WHERE ",
    );
    q.scope("o.path", scope);
    if let Some(code) = code {
        q.push(" AND g.region_code = ").arg(code);
    }
    q.push(" ORDER BY g.region_code LIMIT 2000");
    Ok(
        on_db!(tx.conn(), c => nuanxin_store::bind_args!(sqlx::query_as::<_, CommunityRow>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

/// How far, in degrees of latitude or longitude, a community's boundary may reach (about 110 km
/// north to south): routing then reads only the communities whose box starts within this of a
/// report, by the index on `min_lat`.
pub const MAX_SPAN_DEG: f64 = 1.0;

/// The box a community is found by: its boundary's bounding box, or its point alone.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Extent {
    min_lat: f64,
    max_lat: f64,
    min_lng: f64,
    max_lng: f64,
}

impl Extent {
    fn of(point: LatLng, ring: Option<&[(f64, f64)]>) -> Extent {
        match ring {
            Some(ring) if !ring.is_empty() => Extent::of_ring(ring),
            _ => Extent {
                min_lat: point.lat(),
                max_lat: point.lat(),
                min_lng: point.lng(),
                max_lng: point.lng(),
            },
        }
    }

    /// The bounding box of a ring of `(lng, lat)` vertices (not empty).
    fn of_ring(ring: &[(f64, f64)]) -> Extent {
        let (lng0, lat0) = ring.first().copied().unwrap_or_default();
        let start = Extent {
            min_lat: lat0,
            max_lat: lat0,
            min_lng: lng0,
            max_lng: lng0,
        };
        ring.iter().fold(start, |e, &(lng, lat)| Extent {
            min_lat: e.min_lat.min(lat),
            max_lat: e.max_lat.max(lat),
            min_lng: e.min_lng.min(lng),
            max_lng: e.max_lng.max(lng),
        })
    }

    /// Whether it reaches no further than [`MAX_SPAN_DEG`] either way.
    fn within_span(&self) -> bool {
        self.max_lat - self.min_lat <= MAX_SPAN_DEG && self.max_lng - self.min_lng <= MAX_SPAN_DEG
    }

    /// The square of `half_m` metres (and a little more) each side of a point.
    fn around(p: LatLng, half_m: f64) -> Extent {
        let d_lat = half_m * 1.01 / 111_000.0;
        let d_lng = d_lat / p.lat().to_radians().cos().max(0.01);
        Extent {
            min_lat: p.lat() - d_lat,
            max_lat: p.lat() + d_lat,
            min_lng: p.lng() - d_lng,
            max_lng: p.lng() + d_lng,
        }
    }
}

/// The communities routing may give a point to: those whose boundary's box holds it, and those
/// known by a point within [`routing::NEAREST_WITHIN_M`] of it.
pub async fn near(tx: &mut Tx, p: LatLng) -> Result<Vec<Community>> {
    let square = Extent::around(p, routing::NEAREST_WITHIN_M);
    const SQL: &str = "SELECT region_code, lat, lng, boundary FROM grid_communities
        WHERE min_lat BETWEEN $1 AND $2 AND max_lat >= $3 AND min_lng <= $4 AND max_lng >= $5";
    let rows: Vec<(String, f64, f64, Option<String>)> = on_db!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(square.min_lat - MAX_SPAN_DEG).bind(square.max_lat).bind(square.min_lat)
        .bind(square.max_lng).bind(square.min_lng).fetch_all(c).await)?;
    Ok(rows.into_iter().filter_map(community).collect())
}

/// The communities of a township (9-digit code), as routing reads them.
pub async fn of_township(tx: &mut Tx, township: &str) -> Result<Vec<Community>> {
    let (lo, hi) = (township.to_string(), format!("{township}~"));
    const SQL: &str = "SELECT region_code, lat, lng, boundary FROM grid_communities WHERE region_code >= $1 AND region_code < $2";
    let rows: Vec<(String, f64, f64, Option<String>)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(&lo).bind(&hi).fetch_all(c).await)?;
    Ok(rows.into_iter().filter_map(community).collect())
}

fn community((code, lat, lng, boundary): (String, f64, f64, Option<String>)) -> Option<Community> {
    Some(Community {
        code,
        point: LatLng::parse(lat, lng).ok()?,
        boundary: boundary.as_deref().and_then(routing::parse_boundary),
    })
}

/// Adds a responsible body to a county (staff of a union whose region holds it); a county has
/// one body of each kind. All problems at once.
pub async fn add_body(tx: &mut Tx, caller: &Caller, input: &BodyInput) -> Result<Body> {
    let mut errs = FieldErrors::new();
    let county = input.county_code.trim();
    if region_level(tx, county).await? != Some(3) {
        errs.push("county_code", "grid.bad_county");
    }
    let org = unit_over(
        tx,
        caller,
        &input.org_code,
        county,
        "county_code",
        &mut errs,
    )
    .await?;
    let kind = input.kind.trim();
    if !super::BODY_KINDS.contains(&kind) {
        errs.push("kind", "grid.bad_body_kind");
    }
    let name: String = input.name.trim().chars().take(100).collect();
    if name.is_empty() {
        errs.push("name", "grid.name_required");
    }
    let hours = input
        .deadline_hours
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|h| (1..=2160).contains(h));
    if hours.is_none() {
        errs.push("deadline_hours", "grid.bad_deadline");
    }
    let (Some(org), Some(hours), true) = (org, hours, errs.is_empty()) else {
        return Err(errs.into());
    };
    let id = nuanxin_store::new_id();
    const SQL: &str =
        "INSERT INTO grid_bodies (id, county_code, kind, name, deadline_hours, org_id, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    use crate::error::OnUnique;
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(county).bind(kind).bind(&name).bind(hours).bind(org.id)
        .bind(caller.at).execute(c).await.map(|r| r.rows_affected()))
    .on_unique("kind", "grid.body_taken")?;
    caller
        .audit(tx, "grid.body", &id.to_string(), Some(&org.path),
            serde_json::json!({"county": county, "kind": kind, "name": name, "deadline_hours": hours}))
        .await?;
    Ok(Body {
        id,
        county_code: county.to_string(),
        kind: kind.to_string(),
        name,
        deadline_hours: hours,
    })
}

/// The bodies of the counties whose code starts with `prefix` (a county's, or a wider region's).
pub async fn bodies(tx: &mut Tx, prefix: &str) -> Result<Vec<Body>> {
    let (lo, hi) = (prefix.to_string(), format!("{prefix}~"));
    const SQL: &str = "SELECT id, county_code, kind, name, deadline_hours FROM grid_bodies
        WHERE county_code >= $1 AND county_code < $2 ORDER BY county_code, kind";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Body>(SQL).bind(&lo).bind(&hi).fetch_all(c).await)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_communitys_extent_is_its_boundarys_box_or_its_point() {
        let point = LatLng::parse(36.45, 116.0).unwrap();
        assert_eq!(
            Extent::of(point, None),
            Extent {
                min_lat: 36.45,
                max_lat: 36.45,
                min_lng: 116.0,
                max_lng: 116.0
            }
        );
        // A large village: its boundary reaches 40 km east of its point.
        let ring = [
            (115.99, 36.44),
            (116.40, 36.44),
            (116.40, 36.60),
            (115.99, 36.60),
        ];
        let e = Extent::of(point, Some(&ring));
        assert_eq!(
            e,
            Extent {
                min_lat: 36.44,
                max_lat: 36.60,
                min_lng: 115.99,
                max_lng: 116.40
            }
        );
        // A report 35 km east, inside that boundary, meets the extent.
        let far = Extent::around(
            LatLng::parse(36.5, 116.38).unwrap(),
            routing::NEAREST_WITHIN_M,
        );
        assert!(far.min_lat <= e.max_lat && far.max_lat >= e.min_lat);
        assert!(far.min_lng <= e.max_lng && far.max_lng >= e.min_lng);
        // The square around a point holds a point 3 km away, east or north.
        let sq = Extent::around(point, routing::NEAREST_WITHIN_M);
        let east = LatLng::parse(
            36.45,
            116.0 + 3_000.0 / (111_000.0 * 36.45f64.to_radians().cos()),
        )
        .unwrap();
        assert!(east.distance_m(point) > 2_990.0 && sq.max_lng >= east.lng());
        assert!(sq.max_lat >= 36.45 + 3_000.0 / 111_000.0);
        // Half a degree wide fits; a ring wider than a degree of longitude is refused.
        assert!(e.within_span());
        let wide = [(115.0, 36.4), (116.2, 36.4), (116.2, 36.5)];
        assert!(!Extent::of_ring(&wide).within_span());
    }
}
