//! Grid reports and their steps. An approved reporter submits one (a category, what they saw,
//! where: a point or a typed address in a township, photos); it is routed at once and its
//! grid office is told (webhook, or by polling). The office, or staff of the reporter's union,
//! moves it on: forwarded to a body with a deadline, in progress, resolved, rejected with a
//! reason; the reporter may reopen a resolved or rejected report. Each step is a dated row.
//! Cadres see the reports of their subtree's reporters; a grid office sees only those routed to
//! its communities, without the reporter's name.

use super::routing::{self, Place};
use super::{is_closed, CATEGORIES, POINTS_RESOLVED};
use crate::accounts::Caller;
use crate::clock::beijing_midnight;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::services::photos::{self, Owner, Prepared, Uploads};
use crate::stations::geo::LatLng;
use crate::{on_db, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A report as cadres, grid offices and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Report {
    pub id: Uuid,
    pub report_no: String,
    pub category: String,
    pub details: String,
    /// Where, when the reporter shared a point (WGS-84).
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: String,
    pub township_code: Option<String>,
    /// The community it was routed to, and how (`boundary`, `nearest`, `township`, `unrouted`).
    pub community_code: Option<String>,
    pub community_name: Option<String>,
    pub routed_by: String,
    pub body_name: Option<String>,
    /// The deadline the body was given (Unix milliseconds).
    pub due_at: Option<i64>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub org_code: String,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub reporter: String,
    #[serde(skip)]
    pub reporter_phone: String,
    #[serde(skip)]
    pub membership_id: Uuid,
    #[serde(skip)]
    pub office_account: Option<Uuid>,
}

impl Report {
    /// Past its deadline and not closed.
    pub fn overdue(&self, now: i64) -> bool {
        !is_closed(&self.status) && self.due_at.is_some_and(|d| d < now)
    }

    /// Hours since it was reported (or until it was resolved).
    pub fn age_hours(&self, now: i64) -> i64 {
        (self.resolved_at.unwrap_or(now) - self.created_at).max(0) / 3_600_000
    }
}

/// One dated step of a report.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Step {
    pub at: i64,
    pub status: String,
    pub note: String,
    pub actor: String,
}

/// A new report (the member's form; `POST /api/v1/grid/reports` with `member_no`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportInput {
    pub category: String,
    pub details: String,
    /// A point from the phone's GPS or a pin (WGS-84); empty when the reporter types an address.
    pub lat: String,
    pub lng: String,
    /// A typed address, with its township (9-digit code) when no point is shared.
    pub address: String,
    pub township: String,
    /// The phone's key of this draft: sending the same draft again gives the same report.
    pub client_key: String,
    /// For the API: the reporter's membership number (an approved reporter of the caller's scope).
    pub member_no: String,
    /// The system of `lat`/`lng`: `wgs84` (a phone's GPS, the default) or `gcj02` (a pin on a
    /// Chinese map).
    pub crs: String,
}

/// A status change (`POST /api/v1/grid/reports/{id}/status`, the report page).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StepInput {
    /// `forwarded`, `in_progress`, `resolved` or `rejected`.
    pub status: String,
    /// Required for `rejected` (the reason); otherwise optional.
    pub note: String,
    /// For `forwarded`: the responsible body's id (a body of the community's county).
    pub body_id: String,
    /// Optional: a community (12-digit code) for a report that was not routed.
    pub community: String,
}

const SELECT: &str = "SELECT g.id, g.report_no, g.category, g.details, g.lat, g.lng, g.address, g.township_code,
        g.community_code, cr.name AS community_name, g.routed_by, b.name AS body_name, g.due_at, g.status,
        g.created_at, g.updated_at, g.resolved_at, o.code AS org_code, o.path AS org_path, p.name AS reporter, p.phone AS reporter_phone,
        g.membership_id, gc.office_account
    FROM grid_reports g JOIN org_units o ON o.id = g.org_id JOIN memberships m ON m.id = g.membership_id
    JOIN people p ON p.id = m.person_id LEFT JOIN regions cr ON cr.code = g.community_code
    LEFT JOIN grid_communities gc ON gc.region_code = g.community_code LEFT JOIN grid_bodies b ON b.id = g.body_id";
const FROM: &str = "FROM grid_reports g JOIN org_units o ON o.id = g.org_id
    LEFT JOIN grid_communities gc ON gc.region_code = g.community_code";

fn member_actor(person: Uuid) -> crate::audit::Actor {
    crate::audit::Actor {
        account_id: None,
        name: format!("member:{person}"),
        ip: None,
    }
}

/// Limits `q` to what the caller sees: their subtree's reporters' reports, and for a grid
/// office, those routed to its communities.
fn in_sight(q: &mut Sql, scope: &Scope) {
    q.push("(");
    match scope.is_empty() {
        true => q.push("1 = 0"),
        false => q.scope("o.path", scope),
    };
    if let Some(office) = scope.grid_office() {
        q.push(" OR gc.office_account = ").arg(office);
    }
    q.push(")");
}

/// The approved reporter's membership of a person (else refused), with its union.
async fn approved_of_person(tx: &mut Tx, person: Uuid) -> Result<(Uuid, Uuid, String)> {
    const SQL: &str =
        "SELECT m.id, m.org_id, o.path FROM memberships m JOIN org_units o ON o.id = m.org_id
        JOIN grid_reporters r ON r.membership_id = m.id
        WHERE m.person_id = $1 AND m.status = 'active' AND r.status = 'approved'";
    let row: Option<(Uuid, Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(person).fetch_optional(c).await)?;
    row.ok_or(Error::conflict("membership", "grid.not_reporter"))
}

/// The approved reporter a cadre's or partner's API call names by membership number (in scope).
pub async fn reporter_by_member_no(tx: &mut Tx, caller: &Caller, member_no: &str) -> Result<Uuid> {
    const SQL: &str =
        "SELECT m.person_id, o.path FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.member_no = $1 AND m.status = 'active'";
    let row: Option<(Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(member_no.trim()).fetch_optional(c).await)?;
    match row {
        Some((person, path)) if caller.role_at(&path) >= Some(Role::Staff) => Ok(person),
        _ => Err(Error::invalid("member_no", "grid.unknown_reporter")),
    }
}

/// The place of a report as typed, or its problems.
fn place_of(input: &ReportInput, errs: &mut FieldErrors) -> Option<Place> {
    let (lat, lng) = (input.lat.trim(), input.lng.trim());
    if !lat.is_empty() || !lng.is_empty() {
        let point = match (lat.parse::<f64>(), lng.parse::<f64>()) {
            (Ok(a), Ok(o)) => LatLng::parse(a, o).and_then(|p| {
                let crs = match input.crs.trim() {
                    "" => crate::stations::geo::Crs::Wgs84,
                    c => crate::stations::geo::Crs::parse(c)?,
                };
                crs.to_wgs84(p).check_in_china_area()
            }),
            (Err(_), _) => Err(Error::invalid("lat", "stations.bad_lat")),
            _ => Err(Error::invalid("lng", "stations.bad_lng")),
        };
        return match point {
            Ok(p) => Some(Place::Point(p)),
            Err(Error::Invalid { field, code }) => {
                errs.push(field, code);
                None
            }
            Err(_) => None,
        };
    }
    let township = input.township.trim();
    if township.len() != 9 || !township.bytes().all(|b| b.is_ascii_digit()) {
        errs.push("township", "grid.place_required");
        return None;
    }
    if input.address.trim().is_empty() {
        errs.push("address", "grid.address_required");
    }
    Some(Place::Township(township.to_string()))
}

/// An approved reporter submits a report (with its photos, already readied). The same draft sent
/// again (same `client_key`) answers the first report, unchanged. Routed at once; the community's
/// grid office is told by webhook when it has one.
pub async fn submit(
    tx: &mut Tx,
    uploads: &Uploads,
    person: Uuid,
    input: &ReportInput,
    photos_in: &[Prepared],
    at: i64,
) -> Result<Report> {
    let (membership, org_id, org_path) = approved_of_person(tx, person).await?;
    let key: String = input.client_key.trim().chars().take(64).collect();
    if !key.is_empty() {
        const SAME: &str =
            "SELECT id FROM grid_reports WHERE membership_id = $1 AND client_key = $2";
        let sent: Option<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(SAME).bind(membership).bind(&key).fetch_optional(c).await)?;
        if let Some(id) = sent {
            return one(tx, id).await;
        }
    }
    let mut errs = FieldErrors::new();
    let category = input.category.trim();
    if !CATEGORIES.contains(&category) {
        errs.push("category", "grid.bad_category");
    }
    let details: String = input.details.trim().chars().take(2000).collect();
    if details.is_empty() {
        errs.push("details", "grid.details_required");
    }
    let place = place_of(input, &mut errs);
    let township = match &place {
        Some(Place::Township(t)) => {
            const SQL: &str = "SELECT COUNT(*) FROM regions WHERE code = $1 AND level = 4";
            let known: i64 =
                on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(t).fetch_one(c).await)?;
            if known == 0 {
                errs.push("township", "grid.bad_township");
            }
            Some(t.clone())
        }
        _ => None,
    };
    let Some(place) = place.filter(|_| errs.is_empty()) else {
        return Err(errs.into());
    };
    let communities = match &place {
        Place::Point(p) => super::setup::near(tx, *p).await?,
        Place::Township(t) => super::setup::of_township(tx, t).await?,
    };
    let route = routing::route(&place, &communities);
    let (lat, lng) = match &place {
        Place::Point(p) => (Some(p.lat()), Some(p.lng())),
        Place::Township(_) => (None, None),
    };
    let id = new_id();
    let report_no = format!(
        "WG{}{}",
        crate::clock::beijing_date(at).format("%y%m%d"),
        crate::services::code_tail(5)
    );
    let key = match key.is_empty() {
        true => id.to_string(),
        false => key,
    };
    const SQL: &str = "INSERT INTO grid_reports (id, report_no, membership_id, org_id, client_key, category, details, lat, lng,
            address, township_code, community_code, routed_by, status, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'received', $14, $14)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(&report_no).bind(membership).bind(org_id).bind(&key)
        .bind(category).bind(&details).bind(lat).bind(lng).bind(input.address.trim().chars().take(200).collect::<String>())
        .bind(&township).bind(&route.community).bind(route.by.as_str()).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    let actor = member_actor(person);
    add_step(tx, id, at, "received", route.by.as_str(), &actor.name).await?;
    photos::attach(
        tx,
        uploads,
        Owner::GridReport(id),
        photos_in,
        &actor.name,
        at,
    )
    .await?;
    crate::audit::record(
        tx,
        &actor,
        at,
        "grid.report",
        &report_no,
        Some(&org_path),
        serde_json::json!({"category": category, "community": route.community, "routed_by": route.by.as_str(), "photos": photos_in.len()}),
    )
    .await?;
    let report = one(tx, id).await?;
    tell_office(tx, &report, "grid.report_routed", at).await?;
    Ok(report)
}

/// Queues a webhook delivery to the report's grid office, when it has a webhook.
async fn tell_office(tx: &mut Tx, r: &Report, event: &str, at: i64) -> Result<()> {
    let Some(office) = r.office_account else {
        return Ok(());
    };
    const HOOK: &str = "SELECT COUNT(*) FROM partner_webhooks WHERE account_id = $1";
    let hooked: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(HOOK).bind(office).fetch_one(c).await)?;
    if hooked == 0 {
        return Ok(());
    }
    let payload = serde_json::json!({"event": event, "report": r, "at": at});
    const QUEUE: &str =
        "INSERT INTO webhook_deliveries (id, account_id, request_key, payload, created_at, next_at)
        VALUES ($1, $2, $3, $4, $5, $5)";
    on_db!(tx.conn(), c => sqlx::query(QUEUE).bind(new_id()).bind(office).bind(format!("grid:{}", r.report_no))
        .bind(payload.to_string()).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

async fn add_step(
    tx: &mut Tx,
    report: Uuid,
    at: i64,
    status: &str,
    note: &str,
    actor: &str,
) -> Result<()> {
    const SQL: &str = "INSERT INTO grid_report_steps (id, report_id, at, status, note, actor) VALUES ($1, $2, $3, $4, $5, $6)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(report).bind(at).bind(status).bind(note).bind(actor)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A report by id, whoever asks (callers check sight first).
async fn one(tx: &mut Tx, id: Uuid) -> Result<Report> {
    let sql = format!("{SELECT} WHERE g.id = $1");
    let row =
        on_db!(tx.conn(), c => sqlx::query_as::<_, Report>(&sql).bind(id).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// A report the scope sees (its reporter's union in the subtree, or routed to its grid office).
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Report> {
    let r = one(tx, id).await?;
    let office = scope.grid_office().is_some() && scope.grid_office() == r.office_account;
    match office || scope.role_at(&r.org_path).is_some() {
        true => Ok(r),
        false => Err(Error::NotFound),
    }
}

/// A report of the person's own (any of their memberships).
pub async fn get_own(tx: &mut Tx, person: Uuid, id: Uuid) -> Result<Report> {
    let sql = format!("{SELECT} WHERE g.id = $1 AND m.person_id = $2");
    let row = on_db!(tx.conn(), c => sqlx::query_as::<_, Report>(&sql).bind(id).bind(person).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The steps of a report, oldest first (the caller has checked it is in sight).
pub async fn steps(tx: &mut Tx, id: Uuid) -> Result<Vec<Step>> {
    const SQL: &str = "SELECT at, status, note, actor FROM grid_report_steps WHERE report_id = $1 ORDER BY at, id";
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Step>(SQL).bind(id).fetch_all(c).await)?)
}

/// The person's own reports, latest first.
pub async fn of_person(tx: &mut Tx, person: Uuid) -> Result<Vec<Report>> {
    let sql = format!("{SELECT} WHERE m.person_id = $1 ORDER BY g.created_at DESC LIMIT 50");
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Report>(&sql).bind(person).fetch_all(c).await)?)
}

/// Who may move a report on: its grid office, or staff of the reporter's union (or above).
fn may_move(caller: &Caller, r: &Report) -> bool {
    let office = caller.scope.grid_office();
    (office.is_some() && office == r.office_account)
        || caller.role_at(&r.org_path) >= Some(Role::Staff)
}

/// Moves a report on (its grid office or staff): forwarded to a body (with the body's deadline),
/// in progress, resolved (its reporter earns points the first time), rejected with a reason. A
/// report not routed may be given its community in the same step.
pub async fn step(tx: &mut Tx, caller: &Caller, id: Uuid, input: &StepInput) -> Result<Report> {
    let r = get(tx, &caller.scope, id).await?;
    if !may_move(caller, &r) {
        return Err(Error::Forbidden);
    }
    let to = input.status.trim();
    if !["forwarded", "in_progress", "resolved", "rejected"].contains(&to) {
        return Err(Error::invalid("status", "grid.bad_status"));
    }
    if is_closed(&r.status) {
        return Err(Error::conflict("status", "grid.closed"));
    }
    let note: String = input.note.trim().chars().take(1000).collect();
    if to == "rejected" && note.is_empty() {
        return Err(Error::invalid("note", "grid.reason_required"));
    }
    let mut community = r.community_code.clone();
    if let Some(code) = Some(input.community.trim()).filter(|c| !c.is_empty()) {
        const KNOWN: &str = "SELECT COUNT(*) FROM grid_communities WHERE region_code = $1";
        let known: i64 =
            on_db!(tx.conn(), c => sqlx::query_scalar(KNOWN).bind(code).fetch_one(c).await)?;
        if r.community_code.is_some()
            || known == 0
            || caller.role_at(&r.org_path) < Some(Role::Staff)
        {
            return Err(Error::invalid("community", "grid.bad_community"));
        }
        community = Some(code.to_string());
    }
    let (mut body, mut due) = (None::<Uuid>, r.due_at);
    if to == "forwarded" {
        let county = community.as_deref().map(|c| &c[..6]).unwrap_or_default();
        let chosen = Uuid::parse_str(input.body_id.trim()).ok();
        let found = match chosen {
            Some(b) => super::setup::bodies(tx, county)
                .await?
                .into_iter()
                .find(|x| x.id == b && !county.is_empty()),
            None => None,
        };
        let Some(b) = found else {
            return Err(Error::invalid("body_id", "grid.bad_body"));
        };
        body = Some(b.id);
        due = Some(caller.at + i64::from(b.deadline_hours) * 3_600_000);
    }
    const FIRST: &str =
        "SELECT COUNT(*) FROM grid_report_steps WHERE report_id = $1 AND status = 'resolved'";
    let resolved_before: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(FIRST).bind(id).fetch_one(c).await)?;
    let resolved_at = (to == "resolved").then_some(caller.at);
    const SQL: &str = "UPDATE grid_reports SET status = $2, updated_at = $3, resolved_at = $4, community_code = $5,
            routed_by = CASE WHEN community_code IS NULL AND $5 IS NOT NULL THEN 'cadre' ELSE routed_by END,
            body_id = COALESCE($6, body_id), due_at = $7
        WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(to).bind(caller.at).bind(resolved_at).bind(&community)
        .bind(body).bind(due).execute(c).await.map(|r| r.rows_affected()))?;
    add_step(tx, id, caller.at, to, &note, &caller.actor.name).await?;
    if to == "resolved" && resolved_before == 0 {
        const POINTS: &str =
            "UPDATE grid_reporters SET points = points + $2 WHERE membership_id = $1";
        on_db!(tx.conn(), c => sqlx::query(POINTS).bind(r.membership_id).bind(POINTS_RESOLVED).execute(c).await.map(|r| r.rows_affected()))?;
    }
    caller
        .audit(tx, "grid.step", &r.report_no, Some(&r.org_path),
            serde_json::json!({"from": r.status, "to": to, "note": note, "body": body, "community": community}))
        .await?;
    one(tx, id).await
}

/// The reporter reopens a resolved or rejected report of theirs, saying why.
pub async fn reopen(tx: &mut Tx, person: Uuid, id: Uuid, note: &str, at: i64) -> Result<Report> {
    let r = get_own(tx, person, id).await?;
    if !is_closed(&r.status) {
        return Err(Error::conflict("status", "grid.not_closed"));
    }
    let note: String = note.trim().chars().take(1000).collect();
    if note.is_empty() {
        return Err(Error::invalid("note", "grid.reason_required"));
    }
    const SQL: &str = "UPDATE grid_reports SET status = 'reopened', updated_at = $2, resolved_at = NULL WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    let actor = member_actor(person);
    add_step(tx, id, at, "reopened", &note, &actor.name).await?;
    crate::audit::record(
        tx,
        &actor,
        at,
        "grid.reopen",
        &r.report_no,
        Some(&r.org_path),
        serde_json::json!({"note": note}),
    )
    .await?;
    let report = one(tx, id).await?;
    tell_office(tx, &report, "grid.report_reopened", at).await?;
    Ok(report)
}

/// An approved reporter adds photos to an open report someone already made nearby ("already
/// reported 120 m away — add your photo instead?").
pub async fn add_photos(
    tx: &mut Tx,
    uploads: &Uploads,
    person: Uuid,
    id: Uuid,
    photos_in: &[Prepared],
    at: i64,
) -> Result<Report> {
    approved_of_person(tx, person).await?;
    let r = one(tx, id).await?;
    if is_closed(&r.status) {
        return Err(Error::conflict("status", "grid.closed"));
    }
    if photos_in.is_empty() {
        return Err(Error::invalid("photos", "grid.photo_required"));
    }
    let actor = member_actor(person);
    photos::attach(
        tx,
        uploads,
        Owner::GridReport(id),
        photos_in,
        &actor.name,
        at,
    )
    .await?;
    add_step(tx, id, at, &r.status, "photo", &actor.name).await?;
    crate::audit::record(
        tx,
        &actor,
        at,
        "grid.add_photo",
        &r.report_no,
        Some(&r.org_path),
        serde_json::json!({"photos": photos_in.len()}),
    )
    .await?;
    one(tx, id).await
}

/// An open report near a point, as a reporter about to report the same sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Nearby {
    pub id: Uuid,
    pub category: String,
    pub status: String,
    pub distance_m: i64,
    pub created_at: i64,
}

/// Open reports of `category` within `radius_m` of a point, nearest first (at most five).
pub async fn nearby(tx: &mut Tx, p: LatLng, category: &str, radius_m: f64) -> Result<Vec<Nearby>> {
    let d_lat = radius_m / 111_000.0;
    let d_lng = d_lat / p.lat().to_radians().cos().max(0.1);
    const SQL: &str = "SELECT id, category, status, lat, lng, created_at FROM grid_reports
        WHERE lat BETWEEN $1 AND $2 AND lng BETWEEN $3 AND $4 AND category = $5
          AND status NOT IN ('resolved', 'rejected') LIMIT 200";
    let rows: Vec<(Uuid, String, String, f64, f64, i64)> = on_db!(tx.conn(), c => sqlx::query_as(SQL)
        .bind(p.lat() - d_lat).bind(p.lat() + d_lat).bind(p.lng() - d_lng).bind(p.lng() + d_lng).bind(category)
        .fetch_all(c).await)?;
    let mut found: Vec<Nearby> = rows
        .into_iter()
        .filter_map(|(id, category, status, lat, lng, created_at)| {
            let d = LatLng::parse(lat, lng).ok()?.distance_m(p);
            (d <= radius_m).then_some(Nearby {
                id,
                category,
                status,
                distance_m: d.round() as i64,
                created_at,
            })
        })
        .collect();
    found.sort_by_key(|n| (n.distance_m, n.id));
    found.truncate(5);
    Ok(found)
}

/// The filter of the reports list and the API's polling.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ReportFilter {
    pub status: String,
    pub category: String,
    /// A community's 12-digit code.
    pub community: String,
    /// `1`: open reports past their deadline only.
    pub overdue: String,
    /// `me`: only those routed to the caller's grid office.
    pub assigned_to: String,
    /// Changed at or after this instant (Unix milliseconds): a partner's polling.
    pub since: Option<i64>,
}

/// The reports the caller sees, filtered: overdue first, then open ones oldest first, then
/// closed ones latest first; or, when polling `since`, by when they changed.
pub async fn list(
    tx: &mut Tx,
    caller: &Caller,
    f: &ReportFilter,
    page: PageRequest,
) -> Result<Page<Report>> {
    let (filter, order) = query(caller, f)?;
    listing(filter, &order).page(tx, page).await
}

/// Every report of the list's filter, in its order, handed to `each` as the database streams
/// them (the export). Returns how many there were.
pub async fn for_each(
    tx: &mut Tx,
    caller: &Caller,
    f: &ReportFilter,
    each: impl FnMut(Report) -> Result<()>,
) -> Result<u64> {
    let (filter, order) = query(caller, f)?;
    listing(filter, &order).for_each(tx, each).await
}

/// The columns of the reports' sheet (`/grid/export.xlsx`): no reporter, as on the list.
pub const EXPORT_COLUMNS: [crate::sheets::Column; 15] = {
    use crate::sheets::Column;
    [
        Column::new("report_no", "编号", true),
        Column::new("category", "类别", true),
        Column::new("status", "状态", true),
        Column::new("community", "社区", false),
        Column::new("org_code", "上报人所在工会", true),
        Column::new("address", "地址", false),
        Column::new("lat", "纬度", false),
        Column::new("lng", "经度", false),
        Column::new("details", "情况说明", false),
        Column::new("body", "责任单位", false),
        Column::new("due_at", "办理期限", false),
        Column::new("overdue", "逾期", false),
        Column::new("created_at", "上报时间", true),
        Column::new("resolved_at", "办结时间", false),
        Column::new("age_hours", "用时（小时）", false),
    ]
};

fn listing(filter: Sql, order: &str) -> Listing<'_> {
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM grid_reports g JOIN org_units o ON o.id = g.org_id
            LEFT JOIN grid_communities gc ON gc.region_code = g.community_code",
        filter,
        order,
        id: "g.id",
    }
}

/// The list's WHERE clause (the caller's sight first) and its order.
fn query(caller: &Caller, f: &ReportFilter) -> Result<(Sql, String)> {
    let scope = &caller.scope;
    if scope.is_empty() && scope.grid_office().is_none() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    match f.assigned_to.trim() {
        "me" => {
            let office = scope
                .grid_office()
                .ok_or(Error::invalid("assigned_to", "grid.not_an_office"))?;
            filter.push("gc.office_account = ").arg(office);
        }
        _ => in_sight(&mut filter, scope),
    }
    if super::STATUSES.contains(&f.status.trim()) {
        filter.push(" AND g.status = ").arg(f.status.trim());
    } else if f.status.trim() == "open" {
        filter.push(" AND g.status NOT IN ('resolved', 'rejected')");
    }
    if CATEGORIES.contains(&f.category.trim()) {
        filter.push(" AND g.category = ").arg(f.category.trim());
    }
    if !f.community.trim().is_empty() {
        filter
            .push(" AND g.community_code = ")
            .arg(f.community.trim());
    }
    if f.overdue == "1" {
        filter
            .push(" AND g.status NOT IN ('resolved', 'rejected') AND g.due_at < ")
            .arg(caller.at);
    }
    if let Some(since) = f.since {
        filter.push(" AND g.updated_at >= ").arg(since);
    }
    // Overdue, then open (oldest first), then closed (latest first).
    let order = match f.since {
        Some(_) => "g.updated_at".to_string(),
        None => format!(
            "CASE WHEN g.status IN ('resolved', 'rejected') THEN 2 WHEN g.due_at < {} THEN 0 ELSE 1 END,
             CASE WHEN g.status IN ('resolved', 'rejected') THEN -g.updated_at ELSE g.created_at END",
            caller.at
        ),
    };
    Ok((filter, order))
}

/// Open reports the caller sees, counted by category and by community (for the list's summary).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct OpenCounts {
    pub by_category: Vec<(String, i64)>,
    /// `(community code, community name, open reports)`, most first; `""` for reports not routed.
    pub by_community: Vec<(String, String, i64)>,
    pub overdue: i64,
}

pub async fn open_counts(tx: &mut Tx, caller: &Caller) -> Result<OpenCounts> {
    let mut counts = OpenCounts::default();
    let mut q = Sql::new(&format!(
        "SELECT g.category, COUNT(*) {FROM} WHERE g.status NOT IN ('resolved', 'rejected') AND "
    ));
    in_sight(&mut q, &caller.scope);
    q.push(" GROUP BY g.category ORDER BY g.category");
    counts.by_category =
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_all(c).await)?;
    let mut q = Sql::new(&format!(
        "SELECT COALESCE(g.community_code, ''), COALESCE(MAX(r.name), ''), COUNT(*) {FROM}
        LEFT JOIN regions r ON r.code = g.community_code WHERE g.status NOT IN ('resolved', 'rejected') AND "
    ));
    in_sight(&mut q, &caller.scope);
    q.push(" GROUP BY g.community_code ORDER BY COUNT(*) DESC, g.community_code LIMIT 20");
    counts.by_community =
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_all(c).await)?;
    let mut q = Sql::new(&format!(
        "SELECT COUNT(*) {FROM} WHERE g.status NOT IN ('resolved', 'rejected') AND g.due_at < "
    ));
    q.arg(caller.at).push(" AND ");
    in_sight(&mut q, &caller.scope);
    counts.overdue =
        on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&q.sql), &q.args).fetch_one(c).await)?;
    Ok(counts)
}

/// Grid reports of a subtree's reporters in a period (the services report's `grid`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridFigures {
    /// Reports made in the period.
    pub reports: i64,
    /// Reports resolved in the period (and not reopened since).
    pub resolved: i64,
    /// The median hours from report to resolution of those, `null` when none.
    pub median_hours_to_resolve: Option<f64>,
    /// Distinct members who reported in the period.
    pub reporters: i64,
}

/// The grid figures of the subtree at `path` from `from` to `to` (Beijing days).
pub async fn figures(
    tx: &mut Tx,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<GridFigures> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    let (start, end) = (
        beijing_midnight(from),
        beijing_midnight(to + chrono::Days::new(1)),
    );
    const MADE: &str = "SELECT COUNT(*), COUNT(DISTINCT g.membership_id) FROM grid_reports g JOIN org_units o ON o.id = g.org_id
        WHERE o.path >= $1 AND o.path < $2 AND g.created_at >= $3 AND g.created_at < $4";
    let (reports, reporters): (i64, i64) = on_db!(tx.conn(), c => sqlx::query_as(MADE).bind(&lo).bind(&hi).bind(start).bind(end).fetch_one(c).await)?;
    const RESOLVED: &str = "SELECT g.resolved_at - g.created_at FROM grid_reports g JOIN org_units o ON o.id = g.org_id
        WHERE o.path >= $1 AND o.path < $2 AND g.status = 'resolved' AND g.resolved_at >= $3 AND g.resolved_at < $4";
    let mut took: Vec<i64> = on_db!(tx.conn(), c => sqlx::query_scalar(RESOLVED).bind(&lo).bind(&hi).bind(start).bind(end).fetch_all(c).await)?;
    took.sort_unstable();
    Ok(GridFigures {
        reports,
        resolved: took.len() as i64,
        median_hours_to_resolve: median_hours(&took),
        reporters,
    })
}

/// The median of durations in milliseconds, in hours rounded to a tenth.
fn median_hours(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    let mid = match n {
        0 => return None,
        _ if n % 2 == 1 => sorted[n / 2] as f64,
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    };
    Some((mid / 360_000.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median_hours(&[]), None);
        assert_eq!(median_hours(&[3_600_000]), Some(1.0));
        assert_eq!(median_hours(&[3_600_000, 7_200_000, 36_000_000]), Some(2.0));
        assert_eq!(median_hours(&[3_600_000, 5_400_000]), Some(1.3));
    }
}
