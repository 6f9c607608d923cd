//! SQL for stations and visits. A station belongs to the union that runs it: cadres see the
//! stations of their subtree and record them with the staff role there. Every change to where a
//! station is, or whether it is open, writes a row to `station_changes`, which every server
//! process follows to keep its nearest-station index current (`live.rs`).

use super::{Amenity, OpeningHours, StationDraft, StationType};
use crate::accounts::Caller;
use crate::coverage::counts::{self, metric, Delta};
use crate::orgs;
use crate::page::{ListFilter, Listing, Page, PageRequest};
use crate::regions::{self, Region, RegionCode};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub(crate) const SELECT: &str = "SELECT s.id, s.name, s.kind, s.lat, s.lng, s.address, s.hours, s.hours_text, s.amenities,
        s.host, s.keeper, s.phone, s.status, o.code AS org_code, o.name AS org_name, o.path AS org_path, s.updated_at
    FROM stations s JOIN org_units o ON o.id = s.org_id";

/// A station as stored: coordinates in WGS-84.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Station {
    pub id: Uuid,
    pub name: String,
    /// Station type code (SPEC section 5).
    pub kind: String,
    pub lat: f64,
    pub lng: f64,
    pub address: String,
    /// Opening hours in the structured (JSON) form.
    #[serde(skip)]
    pub hours: String,
    /// Opening hours as written.
    pub hours_text: String,
    /// Amenity codes separated by commas.
    pub amenities: String,
    pub host: Option<String>,
    pub keeper: Option<String>,
    pub phone: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub updated_at: i64,
}

impl Station {
    pub fn kind_label(&self) -> &'static str {
        StationType::parse(&self.kind)
            .map(StationType::label_zh)
            .unwrap_or("")
    }

    pub fn amenity_list(&self) -> Vec<Amenity> {
        self.amenities
            .split(',')
            .filter_map(|a| Amenity::from_code(a).or_else(|| Amenity::parse(a).ok()))
            .collect()
    }

    pub fn opening(&self) -> OpeningHours {
        OpeningHours::from_json(&self.hours).unwrap_or_else(|_| OpeningHours::always())
    }

    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

/// Filters and sort of the station list: the page's query string and the API's parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct StationFilter {
    /// Only stations of this unit's subtree.
    pub org: Option<String>,
    /// Part of the name or the address.
    pub q: Option<String>,
    /// Station type code or Chinese name.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `open` (default), `closed` or `all`.
    pub status: Option<String>,
    /// `name` (default), `updated` (latest first).
    pub sort: Option<String>,
}

/// Staff of the station's unit, or the station's own keeper: who logs visits there, opens and
/// closes it, and edits its hours and amenities.
fn keeper_check(scope: &Scope, s: &Station) -> Result<()> {
    if scope.keeps(s.id) {
        return Ok(());
    }
    match scope.role_at(&s.org_path) {
        Some(r) if r >= Role::Staff => Ok(()),
        _ => Err(Error::Forbidden),
    }
}

fn role_check(scope: &Scope, path: &str, role: Role) -> Result<()> {
    match scope.role_at(path) {
        None => Err(Error::NotFound),
        Some(r) if r >= role => Ok(()),
        Some(_) => Err(Error::Forbidden),
    }
}

/// The WHERE clause and ORDER BY of a station filter within the caller's scope.
async fn filter_sql(
    tx: &mut Tx,
    scope: &Scope,
    filter: &StationFilter,
) -> Result<(Sql, &'static str)> {
    let narrowed = orgs::narrow(tx, scope, filter.org.as_deref()).await?;
    let mut w = Sql::new(" WHERE ");
    w.scope("o.path", &narrowed);
    match filter.status.as_deref().unwrap_or("open") {
        "all" => {}
        "closed" => {
            w.push(" AND s.status = 'closed'");
        }
        "" | "open" => {
            w.push(" AND s.status = 'open'");
        }
        _ => return Err(Error::invalid("status", "stations.bad_status")),
    }
    if let Some(k) = filter
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let k = StationType::parse(k)?;
        w.push(" AND s.kind = ").arg(k.code());
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{q}%");
        w.push(" AND (s.name LIKE ")
            .arg(like.clone())
            .push(" OR s.address LIKE ")
            .arg(like)
            .push(")");
    }
    let order = match filter.sort.as_deref() {
        Some("updated") => "s.updated_at DESC",
        _ => "s.name",
    };
    Ok((w, order))
}

/// The query of the stations matching `filter` in the caller's scope, in list order.
impl ListFilter for StationFilter {
    type Row = Station;

    async fn listing(&self, tx: &mut Tx, scope: &Scope) -> Result<Listing<'static>> {
        let (w, order) = filter_sql(tx, scope, self).await?;
        Ok(Listing {
            select: SELECT,
            count: "SELECT COUNT(*) FROM stations s JOIN org_units o ON o.id = s.org_id",
            filter: w,
            order,
            id: "s.id",
        })
    }
}

pub use crate::page::{for_each, list};

/// One station in scope, or kept by the caller (a keeper reads their own station).
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Station> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE s.id = ").arg(id);
    if !scope.keeps(id) {
        q.push(" AND ").scope("o.path", scope);
    }
    on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Station>(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// Stations by id, whatever the scope: the public nearest-station answer and the live index.
pub async fn by_ids(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<Station>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(SELECT);
        q.push(" WHERE s.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(*id);
        }
        q.push(")");
        let rows = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Station>(&q.sql), &q.args).fetch_all(c).await)?;
        out.extend(rows);
    }
    Ok(out)
}

/// The unit a station is recorded under, checked for the staff role; a missing or foreign code is
/// an error on the `org_code` field.
async fn owner(tx: &mut Tx, caller: &Caller, code: &str) -> Result<orgs::OrgUnit> {
    let unit = orgs::get(tx, &caller.scope, code)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("org_code", "stations.unknown_org"),
            e => e,
        })?;
    role_check(&caller.scope, &unit.path, Role::Staff)?;
    if unit.status != orgs::OrgStatus::Active {
        return Err(Error::invalid("org_code", "stations.org_dissolved"));
    }
    Ok(unit)
}

async fn log_change(tx: &mut Tx, id: Uuid) -> Result<()> {
    const SQL: &str = "INSERT INTO station_changes (station_id) VALUES ($1)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

fn amenity_codes(list: &[Amenity]) -> String {
    list.iter().map(|a| a.code()).collect::<Vec<_>>().join(",")
}

/// Records a new station.
pub async fn create(tx: &mut Tx, caller: &Caller, d: &StationDraft) -> Result<Station> {
    let unit = owner(tx, caller, &d.org_code).await?;
    let id = new_id();
    const SQL: &str = "INSERT INTO stations (id, org_id, name, kind, lat, lng, address, hours, hours_text, amenities,
            host, keeper, phone, status, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, $14)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(unit.id).bind(&d.name).bind(d.kind.code())
        .bind(d.at.lat()).bind(d.at.lng()).bind(&d.address).bind(d.hours.to_json()).bind(&d.hours_text)
        .bind(amenity_codes(&d.amenities)).bind(&d.host).bind(&d.keeper).bind(&d.phone).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    log_change(tx, id).await?;
    counts::bump(
        tx,
        &unit.path,
        &[Delta::new(metric::STATIONS, d.kind.code(), 1)],
    )
    .await?;
    caller.audit(tx, "stations.create",
        &id.to_string(),
        Some(&unit.path),
        serde_json::json!({"name": d.name, "type": d.kind.code(), "lat": d.at.lat(), "lng": d.at.lng()}),
    )
    .await?;
    get(tx, &caller.scope, id).await
}

/// Replaces a station's values; it may move to another unit in the caller's scope.
pub async fn update(tx: &mut Tx, caller: &Caller, id: Uuid, d: &StationDraft) -> Result<Station> {
    let old = get(tx, &caller.scope, id).await?;
    if caller.scope.role_at(&old.org_path).is_none() {
        return Err(Error::Forbidden); // a keeper edits hours and amenities only
    }
    role_check(&caller.scope, &old.org_path, Role::Staff)?;
    let unit = owner(tx, caller, &d.org_code).await?;
    const SQL: &str = "UPDATE stations SET org_id = $2, name = $3, kind = $4, lat = $5, lng = $6, address = $7, hours = $8,
            hours_text = $9, amenities = $10, host = $11, keeper = $12, phone = $13, updated_at = $14
        WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(unit.id).bind(&d.name).bind(d.kind.code())
        .bind(d.at.lat()).bind(d.at.lng()).bind(&d.address).bind(d.hours.to_json()).bind(&d.hours_text)
        .bind(amenity_codes(&d.amenities)).bind(&d.host).bind(&d.keeper).bind(&d.phone).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    log_change(tx, id).await?;
    if old.is_open() && (old.org_path != unit.path || old.kind != d.kind.code()) {
        counts::bump(
            tx,
            &old.org_path,
            &[Delta::new(metric::STATIONS, old.kind.clone(), -1)],
        )
        .await?;
        counts::bump(
            tx,
            &unit.path,
            &[Delta::new(metric::STATIONS, d.kind.code(), 1)],
        )
        .await?;
    }
    if old.org_path != unit.path {
        // The services given there count where the station now belongs, as a recount would.
        const SERVED: &str = "SELECT visited_on, CAST(SUM(headcount) AS BIGINT) FROM station_visits
            WHERE station_id = $1 GROUP BY visited_on";
        let days: Vec<(chrono::NaiveDate, i64)> =
            on_db!(tx.conn(), c => sqlx::query_as(SERVED).bind(id).fetch_all(c).await)?;
        let out: Vec<Delta> = days
            .iter()
            .map(|(d, n)| Delta::new(metric::SERVICES, d.to_string(), -n))
            .collect();
        let into: Vec<Delta> = days
            .iter()
            .map(|(d, n)| Delta::new(metric::SERVICES, d.to_string(), *n))
            .collect();
        counts::bump(tx, &old.org_path, &out).await?;
        counts::bump(tx, &unit.path, &into).await?;
    }
    caller.audit(tx, "stations.update",
        &id.to_string(),
        Some(&unit.path),
        serde_json::json!({"name": d.name, "type": d.kind.code(), "lat": d.at.lat(), "lng": d.at.lng(), "org": d.org_code}),
    )
    .await?;
    get(tx, &caller.scope, id).await
}

async fn set_status(tx: &mut Tx, caller: &Caller, id: Uuid, open: bool) -> Result<Station> {
    let s = get(tx, &caller.scope, id).await?;
    keeper_check(&caller.scope, &s)?;
    if s.is_open() == open {
        return Ok(s);
    }
    const SQL: &str = "UPDATE stations SET status = $2, updated_at = $3 WHERE id = $1";
    let status = if open { "open" } else { "closed" };
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(status).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    log_change(tx, id).await?;
    let n = if open { 1 } else { -1 };
    counts::bump(
        tx,
        &s.org_path,
        &[Delta::new(metric::STATIONS, s.kind.clone(), n)],
    )
    .await?;
    let action = if open {
        "stations.reopen"
    } else {
        "stations.close"
    };
    caller
        .audit(
            tx,
            action,
            &id.to_string(),
            Some(&s.org_path),
            serde_json::json!({"name": s.name}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// Closes a station: it leaves the nearest-station answers; its visits stay.
pub async fn close(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Station> {
    set_status(tx, caller, id, false).await
}

pub async fn reopen(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Station> {
    set_status(tx, caller, id, true).await
}

/// What a keeper logs: a service given (or a plain visit), how many people, and optionally the
/// member whose e-card was scanned.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    /// An amenity code (`water`, `charging`, `hot_meal`, …) or `visit`.
    pub service: String,
    /// People served at once (anonymous head count); default 1.
    #[serde(default)]
    pub headcount: Option<i64>,
    /// Membership number from the e-card, when scanned or typed.
    #[serde(default)]
    pub member_no: Option<String>,
}

/// A logged visit.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Visit {
    pub id: Uuid,
    pub visited_at: i64,
    pub service: String,
    pub headcount: i64,
    pub member_no: Option<String>,
    /// The scanned member's name (what a keeper sees of them, with their membership being
    /// active): never more of the member register.
    pub member_name: Option<String>,
    pub recorded_by: String,
}

/// Logs a visit at a station (staff role at the station's unit).
pub async fn record_visit(tx: &mut Tx, caller: &Caller, id: Uuid, v: &VisitInput) -> Result<Visit> {
    let s = get(tx, &caller.scope, id).await?;
    keeper_check(&caller.scope, &s)?;
    if !s.is_open() {
        return Err(Error::invalid("service", "stations.closed"));
    }
    let service = match v.service.trim() {
        "" | "visit" => "visit".to_string(),
        other => Amenity::parse(other)
            .map_err(|_| Error::invalid("service", "stations.bad_service"))?
            .code()
            .to_string(),
    };
    let headcount = v.headcount.unwrap_or(1);
    if !(1..=500).contains(&headcount) {
        return Err(Error::invalid("headcount", "stations.bad_headcount"));
    }
    let membership: Option<(Uuid, String, String)> = match v
        .member_no
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => None,
        Some(no) => {
            // The e-card's QR code reads "NUANXIN-MEMBER:<number>" (a scanner types it all).
            let no = no
                .strip_prefix(crate::members::ECARD_PREFIX)
                .unwrap_or(no)
                .trim();
            const SQL: &str = "SELECT m.id, m.member_no, p.name FROM memberships m JOIN people p ON p.id = m.person_id
                WHERE m.member_no = $1 AND m.status = 'active'";
            let found: Option<(Uuid, String, String)> =
                on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(no).fetch_optional(c).await)?;
            Some(found.ok_or(Error::invalid("member_no", "stations.unknown_member"))?)
        }
    };
    let visit_id = new_id();
    let day = crate::clock::beijing_date(caller.at);
    const SQL: &str = "INSERT INTO station_visits (id, station_id, visited_at, visited_on, service, headcount, membership_id, recorded_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(visit_id).bind(id).bind(caller.at).bind(day).bind(&service)
        .bind(headcount).bind(membership.as_ref().map(|m| m.0)).bind(&caller.actor.name)
        .execute(c).await.map(|r| r.rows_affected()))?;
    counts::bump(
        tx,
        &s.org_path,
        &[Delta::new(metric::SERVICES, day.to_string(), headcount)],
    )
    .await?;
    caller.audit(tx, "stations.visit", &id.to_string(), Some(&s.org_path),
        serde_json::json!({"service": service, "headcount": headcount, "member": membership.is_some()})).await?;
    Ok(Visit {
        id: visit_id,
        visited_at: caller.at,
        service,
        headcount,
        member_name: membership.as_ref().map(|m| m.2.clone()),
        member_no: membership.map(|m| m.1),
        recorded_by: caller.actor.name.clone(),
    })
}

/// A station's visits, latest first.
pub async fn visits(
    tx: &mut Tx,
    scope: &Scope,
    id: Uuid,
    page: PageRequest,
) -> Result<Page<Visit>> {
    get(tx, scope, id).await?;
    const COUNT: &str = "SELECT COUNT(*) FROM station_visits WHERE station_id = $1";
    const SQL: &str =
        "SELECT v.id, v.visited_at, v.service, v.headcount, m.member_no, p.name AS member_name, v.recorded_by
        FROM station_visits v LEFT JOIN memberships m ON m.id = v.membership_id LEFT JOIN people p ON p.id = m.person_id
        WHERE v.station_id = $1 ORDER BY v.visited_at DESC, v.id LIMIT $2 OFFSET $3";
    let total: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(COUNT).bind(id).fetch_one(c).await)?;
    let items = on_db!(tx.conn(), c => sqlx::query_as::<_, Visit>(SQL).bind(id).bind(page.limit()).bind(page.offset()).fetch_all(c).await)?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Open stations run by units whose region lies in the region a worker named (its code, or the
/// first region whose name matches), by name: the worker's list when no location is known.
/// `None` when no region is named so.
pub async fn in_region(
    store: &crate::Store,
    named: &str,
    limit: i64,
) -> Result<Option<(Region, Vec<Station>)>> {
    crate::in_read(store, async |tx| {
        let found = match RegionCode::parse(named) {
            Ok(code) => regions::get(tx, &code).await?,
            Err(_) => regions::search(tx, named, None, 1).await?.into_iter().next(),
        };
        let Some(region) = found else {
            return Ok(None);
        };
        let sql = format!(
            "{SELECT} WHERE s.status = 'open' AND o.region_code >= $1 AND o.region_code < $2 ORDER BY s.name, s.id LIMIT $3"
        );
        let (from, to) = (&region.code, format!("{}:", region.code));
        let rows = on_db!(tx.conn(), c => sqlx::query_as::<_, Station>(&sql).bind(from).bind(&to).bind(limit).fetch_all(c).await)?;
        Ok(Some((region, rows)))
    })
    .await
}

/// Saves a station from a form or an API body, as the use case of both: checks every field (all
/// problems at once), creates the station (`id` None) or updates it, and commits.
pub async fn save(
    store: &crate::Store,
    caller: &Caller,
    id: Option<Uuid>,
    input: &super::StationInput,
) -> Result<Station> {
    let draft = StationDraft::parse(input)?;
    let mut tx = store.write().await?;
    let s = match id {
        None => create(&mut tx, caller, &draft).await?,
        Some(id) => update(&mut tx, caller, id, &draft).await?,
    };
    tx.commit().await?;
    Ok(s)
}

/// What a keeper may change of their station: the opening hours and the amenities.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct KeeperEdit {
    /// Opening hours as written (每天 8:00-20:00, 周一至周五 9:00-18:00, 24小时).
    pub hours: String,
    /// Amenity names or codes separated by commas.
    pub amenities: String,
}

/// The station's keeper (or staff of its unit) changes its hours and amenities; audited.
pub async fn keeper_edit(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    e: &KeeperEdit,
) -> Result<Station> {
    let s = get(tx, &caller.scope, id).await?;
    keeper_check(&caller.scope, &s)?;
    let mut errs = crate::error::FieldErrors::new();
    let text = e.hours.trim();
    let hours = if text.is_empty() {
        Some(OpeningHours::always())
    } else {
        OpeningHours::parse(text)
            .map_err(|err| errs.push("hours", err.code()))
            .ok()
    };
    let amenities = Amenity::parse_list(&e.amenities)
        .map_err(|err| errs.push("amenities", err.code()))
        .ok();
    let (Some(hours), Some(amenities)) = (hours, amenities) else {
        return Err(errs.into());
    };
    let hours_text = if text.is_empty() {
        s.hours_text.clone()
    } else {
        text.to_string()
    };
    const SQL: &str = "UPDATE stations SET hours = $2, hours_text = $3, amenities = $4, updated_at = $5 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(hours.to_json()).bind(&hours_text)
        .bind(amenity_codes(&amenities)).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    log_change(tx, id).await?;
    let detail = serde_json::json!({
        "hours": {"before": s.hours_text, "after": hours_text},
        "amenities": {"before": s.amenities, "after": amenity_codes(&amenities)},
    });
    caller
        .audit(
            tx,
            "stations.keeper_edit",
            &id.to_string(),
            Some(&s.org_path),
            detail,
        )
        .await?;
    get(tx, &caller.scope, id).await
}
