//! Care activities (送清凉 / 送温暖 / 金秋助学 / 健康筛查 / 节日慰问): a union hands out supplies or
//! screenings on a day at a place, with a budget and a cost per recipient. Members are recorded as
//! recipients by their e-card (the QR code a phone or a scanner gun reads, or the membership
//! number typed); a person receives at most once per activity, and a second scan says when and
//! by whom they already did. Non-members are counted by number only.
//!
//! An activity is seen by the cadres of the union that organised it and its parents; its staff
//! (or above) record recipients, who must be active members of the organiser's subtree (a scan of
//! anyone else's card tells nothing about them). An activity held at a station is seen and
//! recorded by that station's keeper too (驿站管理员, on the phone at the door). The services report's `care` member counts the
//! activities held in the period and what they reached.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Page, PageRequest};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Kinds of care activity, as the forms, the API and sheets name them (code or Chinese name).
pub const KINDS: [(&str, &str); 6] = [
    ("summer", "送清凉"),
    ("winter", "送温暖"),
    ("school", "金秋助学"),
    ("screening", "健康筛查"),
    ("festival", "节日慰问"),
    ("other", "其他"),
];

/// An activity as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Activity {
    pub id: Uuid,
    /// Short code for sheets and scans: `HD` and six characters.
    pub code: String,
    pub name: String,
    pub kind: String,
    pub held_on: NaiveDate,
    pub place: String,
    /// The station it is held at, whose keeper records recipients too.
    pub station_id: Option<Uuid>,
    pub station_name: Option<String>,
    /// The organising union.
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// Co-organisers, as typed (other unions, enterprises, sponsors).
    pub co_organisers: String,
    /// What each recipient gets.
    pub items: String,
    pub budget_fen: i64,
    /// Cost per recipient.
    pub unit_cost_fen: i64,
    /// Members recorded as recipients.
    pub members: i64,
    /// Non-members, counted by number.
    pub non_members: i64,
    pub created_at: i64,
}

impl Activity {
    /// Spent so far: the cost per recipient times everyone reached.
    pub fn spent_fen(&self) -> i64 {
        self.unit_cost_fen
            .saturating_mul(self.members + self.non_members)
    }
}

/// One member's receipt at an activity.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Receipt {
    pub id: Uuid,
    pub activity_id: Uuid,
    pub member_no: String,
    pub name: String,
    pub received_on: NaiveDate,
    pub items: String,
    /// Who recorded it (a cadre's username, `import`).
    pub recorded_by: String,
    pub at: i64,
}

/// A new activity (`POST /api/v1/care/activities`, the new-activity form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActivityInput {
    pub name: String,
    /// Code or Chinese name of [`KINDS`].
    pub kind: String,
    pub held_on: String,
    pub org_code: String,
    pub place: String,
    /// The id of the station it is held at (of the organiser's subtree), optional.
    pub station: String,
    pub co_organisers: String,
    pub items: String,
    /// Yuan, at most two decimals.
    pub budget: String,
    /// Yuan per recipient.
    pub unit_cost: String,
}

/// A recipient scanned or typed (`POST /api/v1/care/activities/{id}/recipients`): the membership
/// number, or what the e-card's QR code reads (`NUANXIN-MEMBER:<number>`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecipientInput {
    pub member_no: String,
    pub qr: String,
    /// What they received, when not the activity's items.
    pub items: String,
}

/// What a scan did: recorded now, or found the earlier receipt (nothing written).
#[derive(Debug, Clone)]
pub enum Scanned {
    New(Receipt),
    Already(Receipt),
}

/// The code of a kind typed as its code or Chinese name.
pub fn kind_of(typed: &str) -> Option<&'static str> {
    super::cases::code_of(&KINDS, typed)
}

const SELECT: &str = "SELECT a.id, a.code, a.name, a.kind, a.held_on, a.place, a.station_id, s.name AS station_name,
        o.code AS org_code, o.name AS org_name, o.path AS org_path, a.co_organisers, a.items, a.budget_fen, a.unit_cost_fen,
        a.members, a.non_members, a.created_at
    FROM care_activities a JOIN org_units o ON o.id = a.org_id LEFT JOIN stations s ON s.id = a.station_id";

/// The activities of the scope, and those held at the stations the caller keeps.
fn visible(q: &mut Sql, scope: &Scope) {
    q.push("(").scope("o.path", scope);
    for station in scope.kept_stations() {
        q.push(" OR a.station_id = ").arg(*station);
    }
    q.push(")");
}

/// Staff of the organiser (or above), or the keeper of the station it is held at.
pub fn may_record(caller: &Caller, a: &Activity) -> bool {
    caller.role_at(&a.org_path) >= Some(Role::Staff)
        || a.station_id.is_some_and(|s| caller.scope.keeps(s))
}

/// The station named for an activity of the unit at `org_path`: inside that subtree.
async fn station_of(tx: &mut Tx, org_path: &str, typed: &str) -> Result<Option<Uuid>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let bad = || Error::invalid("station", "care.bad_station");
    let id = Uuid::parse_str(typed).map_err(|_| bad())?;
    const SQL: &str =
        "SELECT o.path FROM stations s JOIN org_units o ON o.id = s.org_id WHERE s.id = $1";
    let path: Option<String> =
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(id).fetch_optional(c).await)?;
    match path {
        Some(p) if p.starts_with(org_path) => Ok(Some(id)),
        _ => Err(bad()),
    }
}

fn text(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

fn new_code() -> String {
    format!("HD{}", super::code_tail(6))
}

/// Records a new activity (staff of the organising union or above). All problems at once.
pub async fn create(tx: &mut Tx, caller: &Caller, input: &ActivityInput) -> Result<Activity> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let name = text(&input.name, 100);
    if name.is_empty() {
        errs.push("name", "care.name_required");
    }
    let kind = kind_of(&input.kind);
    if kind.is_none() {
        errs.push("kind", "care.bad_kind");
    }
    let held_on = crate::sheets::parse_date(input.held_on.trim());
    if held_on.is_none() {
        errs.push("held_on", "errors.bad_date");
    }
    let money = |field: &'static str, typed: &str, errs: &mut FieldErrors| {
        super::money::parse_yuan(typed).unwrap_or_else(|code| {
            errs.push(field, code);
            0
        })
    };
    let budget_fen = money("budget", &input.budget, &mut errs);
    let unit_cost_fen = money("unit_cost", &input.unit_cost, &mut errs);
    let station = match &org {
        Some(o) => match station_of(tx, &o.path, &input.station).await {
            Ok(s) => s,
            Err(e) if e.field() == Some("station") => {
                errs.push("station", "care.bad_station");
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let (Some(org), Some(kind), Some(held_on), true) = (org, kind, held_on, errs.is_empty()) else {
        return Err(errs.into());
    };
    let id = new_id();
    const SQL: &str = "INSERT INTO care_activities (id, org_id, code, name, kind, held_on, place, co_organisers, items,
            budget_fen, unit_cost_fen, members, non_members, created_by, created_at, updated_at, station_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, $12, $13, $13, $14)";
    let mut tries = 0;
    loop {
        let code = new_code();
        let done = on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&code).bind(&name).bind(kind)
            .bind(held_on).bind(text(&input.place, 100)).bind(text(&input.co_organisers, 200)).bind(text(&input.items, 200))
            .bind(budget_fen).bind(unit_cost_fen).bind(&caller.actor.name).bind(caller.at).bind(station)
            .execute(c).await.map(|r| r.rows_affected()));
        match done {
            Ok(_) => break,
            // A code taken already: another draw.
            Err(e) if tries < 3 && e.to_string().to_lowercase().contains("unique") => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
    caller
        .audit(
            tx,
            "care.create",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"name": name, "kind": kind, "held_on": held_on, "budget_fen": budget_fen}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// An activity of the scope.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Activity> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE a.id = ").arg(id).push(" AND ");
    visible(&mut q, scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Activity>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The activities of the scope (and of the stations the caller keeps), latest first.
pub async fn list(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Activity>> {
    if scope.roots().is_empty() && scope.kept_stations().is_empty() {
        return Err(Error::NotFound);
    }
    let mut count = Sql::new(
        "SELECT COUNT(*) FROM care_activities a JOIN org_units o ON o.id = a.org_id WHERE ",
    );
    visible(&mut count, scope);
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count.sql), &count.args).fetch_one(c).await)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE ");
    visible(&mut q, scope);
    q.push(" ORDER BY a.held_on DESC, a.id DESC LIMIT ")
        .arg(page.limit())
        .push(" OFFSET ")
        .arg(page.offset());
    let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Activity>(&q.sql), &q.args).fetch_all(c).await)?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

const RECEIPT: &str = "SELECT r.id, r.activity_id, m.member_no, p.name, r.received_on, r.items, r.recorded_by, r.at
    FROM care_receipts r JOIN memberships m ON m.id = r.membership_id JOIN people p ON p.id = r.person_id";

/// The member receipts of an activity, latest first.
pub async fn recipients(
    tx: &mut Tx,
    scope: &Scope,
    id: Uuid,
    page: PageRequest,
) -> Result<Page<Receipt>> {
    let a = get(tx, scope, id).await?;
    let sql = format!(
        "{RECEIPT} WHERE r.activity_id = $1 ORDER BY r.at DESC, r.id DESC LIMIT $2 OFFSET $3"
    );
    let items = on_db!(tx.conn(), c => sqlx::query_as::<_, Receipt>(&sql).bind(id).bind(page.limit()).bind(page.offset())
        .fetch_all(c).await)?;
    Ok(Page {
        items,
        total: a.members,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Records a member as a recipient from their e-card or number (staff of the organiser or
/// above). A member already recorded at this activity: their earlier receipt, nothing written.
pub async fn scan(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    input: &RecipientInput,
) -> Result<Scanned> {
    let a = get(tx, &caller.scope, id).await?;
    if !may_record(caller, &a) {
        return Err(Error::Forbidden);
    }
    let typed = match (input.qr.trim(), input.member_no.trim()) {
        ("", "") => return Err(Error::invalid("member_no", "care.member_required")),
        ("", no) => no,
        (qr, _) => qr,
    };
    let no = typed
        .strip_prefix(crate::members::ECARD_PREFIX)
        .unwrap_or(typed)
        .trim();
    // Whoever else's card it is, nothing is told about them.
    let member = member_by_no(tx, &a.org_path, no)
        .await?
        .ok_or(Error::invalid("member_no", "care.unknown_member"))?;
    let today = crate::clock::beijing_date(caller.at);
    let items = Some(input.items.as_str()).filter(|t| !t.trim().is_empty());
    let done = record(tx, &a, &member, today, items, &caller.actor.name, caller.at).await?;
    if let Scanned::New(_) = &done {
        const BUMP: &str =
            "UPDATE care_activities SET members = members + 1, updated_at = $2 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(BUMP).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
        caller
            .audit(
                tx,
                "care.receipt",
                &id.to_string(),
                Some(&a.org_path),
                serde_json::json!({"member_no": member.member_no}),
            )
            .await?;
    }
    Ok(done)
}

/// An active member of a subtree who may receive at its activities.
#[derive(Debug, Clone)]
pub struct Member {
    pub membership: Uuid,
    pub person: Uuid,
    pub org: Uuid,
    pub member_no: String,
}

type MemberRow = (Uuid, Uuid, Uuid, String);

fn member_of(row: MemberRow) -> Member {
    Member {
        membership: row.0,
        person: row.1,
        org: row.2,
        member_no: row.3,
    }
}

/// The active member of the subtree at `path` with this membership number.
pub async fn member_by_no(tx: &mut Tx, path: &str, no: &str) -> Result<Option<Member>> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT m.id, m.person_id, m.org_id, m.member_no FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.member_no = $1 AND m.status = 'active' AND o.path >= $2 AND o.path < $3";
    let found: Option<MemberRow> = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(no).bind(&lo).bind(&hi)
        .fetch_optional(c).await)?;
    Ok(found.map(member_of))
}

/// The active member of the subtree at `path` with this ID number (by its lookup hash).
pub async fn member_by_id(tx: &mut Tx, path: &str, id_hash: &str) -> Result<Option<Member>> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT m.id, m.person_id, m.org_id, m.member_no FROM memberships m JOIN people p ON p.id = m.person_id
        JOIN org_units o ON o.id = m.org_id
        WHERE p.id_hash = $1 AND m.status = 'active' AND m.member_no IS NOT NULL AND o.path >= $2 AND o.path < $3";
    let found: Option<MemberRow> = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id_hash).bind(&lo).bind(&hi)
        .fetch_optional(c).await)?;
    Ok(found.map(member_of))
}

/// Writes a member's receipt at an activity, or finds the earlier one (nothing written). The
/// activity's member count is the caller's to keep (a scan adds one, an import recounts).
pub async fn record(
    tx: &mut Tx,
    a: &Activity,
    member: &Member,
    received_on: NaiveDate,
    items: Option<&str>,
    recorded_by: &str,
    at: i64,
) -> Result<Scanned> {
    let earlier = format!("{RECEIPT} WHERE r.activity_id = $1 AND r.person_id = $2");
    let before: Option<Receipt> = on_db!(tx.conn(), c => sqlx::query_as::<_, Receipt>(&earlier).bind(a.id).bind(member.person)
        .fetch_optional(c).await)?;
    if let Some(r) = before {
        return Ok(Scanned::Already(r));
    }
    let items = match items.map(|t| text(t, 200)) {
        Some(t) if !t.is_empty() => t,
        _ => a.items.clone(),
    };
    let receipt = new_id();
    const SQL: &str = "INSERT INTO care_receipts (id, activity_id, person_id, membership_id, org_id, received_on, items,
            recorded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(receipt).bind(a.id).bind(member.person).bind(member.membership).bind(member.org)
        .bind(received_on).bind(&items).bind(recorded_by).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    let sql = format!("{RECEIPT} WHERE r.id = $1");
    let r = on_db!(tx.conn(), c => sqlx::query_as::<_, Receipt>(&sql).bind(receipt).fetch_one(c).await)?;
    Ok(Scanned::New(r))
}

/// Sets an activity's member count from its receipts (after an import).
pub async fn recount_members(tx: &mut Tx, id: Uuid) -> Result<()> {
    const SQL: &str = "UPDATE care_activities SET members = (SELECT COUNT(*) FROM care_receipts WHERE activity_id = $1)
        WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The latest activities held at a station (the caller has the station in sight).
pub async fn at_station(tx: &mut Tx, station: Uuid) -> Result<Vec<Activity>> {
    let sql =
        format!("{SELECT} WHERE a.station_id = $1 ORDER BY a.held_on DESC, a.id DESC LIMIT 10");
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Activity>(&sql).bind(station).fetch_all(c).await)?,
    )
}

/// The activity of the scope with this code, if any.
pub async fn by_code(tx: &mut Tx, scope: &Scope, code: &str) -> Result<Option<Activity>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE a.code = ")
        .arg(code.trim().to_uppercase())
        .push(" AND ");
    visible(&mut q, scope);
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Activity>(&q.sql), &q.args).fetch_optional(c).await)?,
    )
}

/// Adds non-members reached, counted by number (staff of the organiser or above); a negative
/// count corrects a miscount, never below zero.
pub async fn count_non_members(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    count: i64,
) -> Result<Activity> {
    let a = get(tx, &caller.scope, id).await?;
    if !may_record(caller, &a) {
        return Err(Error::Forbidden);
    }
    if count == 0 || count.abs() > 100_000 || a.non_members + count < 0 {
        return Err(Error::invalid("count", "care.bad_count"));
    }
    const SQL: &str =
        "UPDATE care_activities SET non_members = non_members + $2, updated_at = $3 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(count).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "care.non_members",
            &id.to_string(),
            Some(&a.org_path),
            serde_json::json!({"count": count, "before": a.non_members}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// What a member received, latest first (their `/me`).
pub async fn of_person(tx: &mut Tx, person: Uuid) -> Result<Vec<(Receipt, String, String)>> {
    const SQL: &str = "SELECT r.id, r.activity_id, m.member_no, p.name, r.received_on, r.items, r.recorded_by, r.at,
            a.name AS activity_name, o.name AS org_name
        FROM care_receipts r JOIN memberships m ON m.id = r.membership_id JOIN people p ON p.id = r.person_id
        JOIN care_activities a ON a.id = r.activity_id JOIN org_units o ON o.id = a.org_id
        WHERE r.person_id = $1 ORDER BY r.received_on DESC, r.at DESC LIMIT 20";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        receipt: Receipt,
        activity_name: String,
        org_name: String,
    }
    let rows: Vec<Row> =
        on_db!(tx.conn(), c => sqlx::query_as::<_, Row>(SQL).bind(person).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.receipt, r.activity_name, r.org_name))
        .collect())
}

/// The services report's `care` member for the subtree at `path`: activities held in the period
/// and what they reached.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct CareFigures {
    pub activities: i64,
    /// Everyone reached: members recorded and non-members counted.
    pub recipients: i64,
    /// Distinct members who received something.
    pub members_reached: i64,
    pub non_members: i64,
    /// Cost per recipient times everyone reached.
    pub spent_fen: i64,
}

/// The care figures of the activities the subtree at `path` organised, held from `from` to `to`.
pub async fn figures(
    tx: &mut Tx,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<CareFigures> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SUMS: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(a.members), 0) AS BIGINT), CAST(COALESCE(SUM(a.non_members), 0) AS BIGINT),
            CAST(COALESCE(SUM(a.unit_cost_fen * (a.members + a.non_members)), 0) AS BIGINT)
        FROM care_activities a JOIN org_units o ON o.id = a.org_id
        WHERE o.path >= $1 AND o.path < $2 AND a.held_on >= $3 AND a.held_on <= $4";
    let (activities, members, non_members, spent_fen): (i64, i64, i64, i64) = on_db!(tx.conn(), c => sqlx::query_as(SUMS)
        .bind(&lo).bind(&hi).bind(from).bind(to).fetch_one(c).await)?;
    const REACHED: &str = "SELECT COUNT(DISTINCT r.person_id) FROM care_receipts r JOIN care_activities a ON a.id = r.activity_id
        JOIN org_units o ON o.id = a.org_id WHERE o.path >= $1 AND o.path < $2 AND a.held_on >= $3 AND a.held_on <= $4";
    let members_reached: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(REACHED).bind(&lo).bind(&hi).bind(from).bind(to)
        .fetch_one(c).await)?;
    Ok(CareFigures {
        activities,
        recipients: members + non_members,
        members_reached,
        non_members,
        spent_fen,
    })
}

/// What a handout to a filtered member list found and did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct HandoutReport {
    pub dry_run: bool,
    /// Active members the filter selects.
    pub matched: i64,
    /// Of them, recorded at this activity already.
    pub already: i64,
    /// Recorded now (in a dry run: who would be).
    pub recorded: i64,
    /// Their cost at the activity's cost per recipient, in fen.
    pub cost_fen: i64,
}

/// Most members one handout records: a larger list is cut by group or union first.
pub const HANDOUT_MAX: usize = 20_000;

/// Records every member `filter` selects as a recipient (staff of the organiser and of the unit
/// filtered, inside the organiser's subtree), dated the activity's day (today for one still ahead);
/// those who received already are counted apart. A dry run only counts.
pub async fn handout(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    filter: &super::selection::MemberFilter,
) -> Result<HandoutReport> {
    let a = get(tx, &caller.scope, id).await?;
    if caller.role_at(&a.org_path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let sel = super::selection::check(
        tx,
        caller,
        filter,
        &a.org_code,
        &a.org_path,
        "care.outside_organiser",
    )
    .await?;
    let mut q = sel.query(
        "SELECT 1 FROM care_receipts r WHERE r.activity_id = $ AND r.person_id = m.person_id",
        a.id,
    );
    q.push(" AND m.member_no IS NOT NULL ORDER BY o.path, m.id");
    let rows: Vec<super::selection::Selected> =
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_all(c).await)?;
    let fresh: Vec<_> = rows.iter().filter(|r| !r.4).collect();
    if fresh.len() > HANDOUT_MAX {
        return Err(Error::invalid("org", "care.handout_too_large"));
    }
    let mut report = HandoutReport {
        dry_run: filter.dry_run,
        matched: rows.len() as i64,
        already: (rows.len() - fresh.len()) as i64,
        recorded: fresh.len() as i64,
        cost_fen: fresh.len() as i64 * a.unit_cost_fen,
    };
    if filter.dry_run || fresh.is_empty() {
        return Ok(report);
    }
    let received_on = a.held_on.min(caller.today);
    for chunk in fresh.chunks(500) {
        let values = nuanxin_store::values_placeholders(tx.backend(), chunk.len(), 9, 1);
        let sql = format!(
            "INSERT INTO care_receipts (id, activity_id, person_id, membership_id, org_id, received_on, items, recorded_by, at)
            VALUES {values} ON CONFLICT (activity_id, person_id) DO NOTHING"
        );
        on_db!(tx.conn(), c => {
            let mut ins = sqlx::query(&sql);
            for (membership, person, org, _, _) in chunk {
                ins = ins.bind(new_id()).bind(a.id).bind(*person).bind(*membership).bind(*org).bind(received_on)
                    .bind(&a.items).bind(&caller.actor.name).bind(caller.at);
            }
            ins.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    let before = a.members;
    recount_members(tx, a.id).await?;
    let after = get(tx, &caller.scope, a.id).await?.members;
    report.recorded = after - before;
    report.cost_fen = report.recorded * a.unit_cost_fen;
    let mut detail = sel.detail();
    detail["recorded"] = report.recorded.into();
    caller
        .audit(
            tx,
            "care.handout",
            &a.id.to_string(),
            Some(&a.org_path),
            detail,
        )
        .await?;
    Ok(report)
}
