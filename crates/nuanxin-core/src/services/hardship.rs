//! Hardship files (困难职工档案): a union keeps a file for a member in hardship, with a level
//! (深度困难 / 相对困难 / 意外致困), the causes, the household's size and yearly income, and a
//! review due every year; assistance (money, goods, a job referral, schooling aid) is recorded
//! against it with dates, and the file is closed with a reason when the hardship ends.
//!
//! Files are sensitive: only the admins and staff of the member's union and of its parents see
//! them (not viewers, liaisons, keepers or lawyers), every view of a file or of the list is
//! audited, and ID numbers are only ever shown masked. The services report's `hardship` member
//! counts the files of a subtree in a period.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use chrono::{Months, NaiveDate};
use nuanxin_store::{bind_args, new_id, ScopeRoot, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Levels of hardship, as forms and the API name them (code or Chinese name).
pub const LEVELS: [(&str, &str); 3] = [
    ("deep", "深度困难"),
    ("relative", "相对困难"),
    ("accident", "意外致困"),
];

/// Causes of hardship (a file names one or more).
pub const CAUSES: [(&str, &str); 7] = [
    ("illness", "因病"),
    ("disability", "因残"),
    ("accident", "因灾因意外"),
    ("unemployment", "失业"),
    ("schooling", "子女上学"),
    ("low_income", "收入低"),
    ("other", "其他"),
];

/// Kinds of assistance.
pub const AID_KINDS: [(&str, &str); 4] = [
    ("money", "资金救助"),
    ("goods", "物资"),
    ("job", "就业推荐"),
    ("school", "助学"),
];

/// Days ahead a review counts as due on the reminder list.
pub const DUE_WITHIN_DAYS: u64 = 30;

/// A hardship file as its readers see it (the ID number masked).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct File {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub member_no: String,
    pub name: String,
    /// The ID number, masked (`3415**********123X`).
    pub id_mask: String,
    pub worker_group: String,
    pub level: String,
    /// Codes of [`CAUSES`], comma-separated.
    pub causes: String,
    pub household_size: i64,
    /// The household's yearly income, in fen.
    pub household_income_fen: i64,
    pub opened_on: NaiveDate,
    /// The next yearly review.
    pub review_on: NaiveDate,
    pub reviewed_on: Option<NaiveDate>,
    /// `open` or `closed`.
    pub status: String,
    pub closed_on: Option<NaiveDate>,
    pub close_reason: String,
    pub note: String,
    /// All assistance recorded, in fen.
    pub assisted_fen: i64,
    pub assistance_count: i64,
}

impl File {
    /// The household's monthly income per head, in fen.
    pub fn monthly_per_head_fen(&self) -> i64 {
        self.household_income_fen / 12 / self.household_size.max(1)
    }

    pub fn is_open(&self) -> bool {
        self.status == "open"
    }

    /// The cause codes, in the order of [`CAUSES`].
    pub fn cause_codes(&self) -> Vec<&str> {
        self.causes.split(',').filter(|c| !c.is_empty()).collect()
    }
}

/// One assistance record of a file.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Assistance {
    pub id: Uuid,
    pub file_id: Uuid,
    pub kind: String,
    pub amount_fen: i64,
    pub description: String,
    pub given_on: NaiveDate,
    pub recorded_by: String,
    pub at: i64,
}

/// A causes field: a list of codes or Chinese names (JSON), or one text separated by commas,
/// 、 or spaces (forms).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Causes {
    List(Vec<String>),
    Text(String),
}

impl Default for Causes {
    fn default() -> Self {
        Causes::Text(String::new())
    }
}

impl Causes {
    fn typed(&self) -> Vec<String> {
        match self {
            Causes::List(l) => l.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>(),
            Causes::Text(t) => t
                .split([',', '，', '、', ' ', ';', '；'])
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>(),
        }
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect()
    }
}

/// A new file (`POST /api/v1/hardship`, the new-file form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FileInput {
    /// The member's membership number (an active member of the caller's subtree).
    pub member_no: String,
    /// Code or Chinese name of [`LEVELS`].
    pub level: String,
    pub causes: Causes,
    /// People in the household (1 to 20).
    pub household_size: String,
    /// The household's yearly income, yuan with at most two decimals.
    pub household_income: String,
    /// When the file is opened (default today); not in the future.
    pub opened_on: String,
    /// The first review (default a year after opening).
    pub review_on: String,
    pub note: String,
}

/// An assistance record (`POST /api/v1/hardship/{id}/assistance`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AssistanceInput {
    /// Code or Chinese name of [`AID_KINDS`].
    pub kind: String,
    /// Yuan (money given, or the goods' value); required for money.
    pub amount: String,
    pub description: String,
    /// Default today; not in the future.
    pub given_on: String,
}

/// A yearly review (`POST /api/v1/hardship/{id}/review`): the level and household as found, and
/// the next review (default a year on).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    pub level: String,
    pub household_size: String,
    pub household_income: String,
    pub next_review_on: String,
    pub note: String,
}

/// Closing a file (`POST /api/v1/hardship/{id}/close`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CloseInput {
    pub reason: String,
}

/// Which files a list shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct Filter {
    /// `open` (default), `closed` or `all`.
    pub status: String,
    /// Only open files whose review is due within 30 days or overdue (`1`).
    pub due: String,
    /// A level code.
    pub level: String,
    /// Name or membership number, exact or the start of it.
    pub q: String,
}

impl Filter {
    pub fn due_only(&self) -> bool {
        matches!(self.due.as_str(), "1" | "true" | "on")
    }
}

fn code_of(list: &[(&'static str, &'static str)], typed: &str) -> Option<&'static str> {
    super::cases::code_of(list, typed)
}

/// The part of a scope where the caller is staff or admin: where hardship files are in sight.
pub fn staff_scope(scope: &Scope) -> Scope {
    Scope::of_roots(
        scope
            .roots()
            .iter()
            .filter(|r| r.role >= Role::Staff)
            .cloned()
            .collect::<Vec<ScopeRoot>>(),
    )
}

/// Whether the caller may see hardship files at all (staff somewhere).
pub fn may_see(caller: &Caller) -> bool {
    caller.is_staff()
}

const SELECT: &str = "SELECT f.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, m.member_no, p.name,
        p.id_mask, m.worker_group, f.level, f.causes, f.household_size, f.household_income_fen, f.opened_on, f.review_on,
        f.reviewed_on, f.status, f.closed_on, f.close_reason, f.note, f.assisted_fen, f.assistance_count
    FROM hardship_files f JOIN org_units o ON o.id = f.org_id JOIN memberships m ON m.id = f.membership_id
    JOIN people p ON p.id = f.person_id";

fn text(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

fn day(typed: &str, field: &'static str, errs: &mut FieldErrors) -> Option<NaiveDate> {
    let d = crate::sheets::parse_date(typed.trim());
    if d.is_none() {
        errs.push(field, "errors.bad_date");
    }
    d
}

fn household(size: &str, income: &str, errs: &mut FieldErrors) -> (Option<i64>, Option<i64>) {
    let size = size
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=20).contains(n));
    if size.is_none() {
        errs.push("household_size", "hardship.bad_household_size");
    }
    let income = match super::money::parse_yuan(income) {
        Ok(fen) => Some(fen),
        Err(code) => {
            errs.push("household_income", code);
            None
        }
    };
    (size, income)
}

/// A year after `day` (28 February for 29 February).
fn a_year_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(12)).unwrap_or(day)
}

async fn audit_view(tx: &mut Tx, caller: &Caller, f: &File) -> Result<()> {
    caller
        .audit(
            tx,
            "hardship.view",
            &f.id.to_string(),
            Some(&f.org_path),
            serde_json::json!({"member_no": f.member_no}),
        )
        .await
}

/// The file, read without an audit entry (the caller audits, or it is the writer's own read).
async fn fetch(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<File> {
    let staff = staff_scope(&caller.scope);
    let mut q = Sql::new(SELECT);
    q.push(" WHERE f.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", &staff);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, File>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// A file in sight (staff of its union or above): the view is audited, so this takes a write
/// transaction.
pub async fn get(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<File> {
    let f = fetch(tx, caller, id).await?;
    audit_view(tx, caller, &f).await?;
    Ok(f)
}

/// The conditions of a list: in the staff scope, and the filter's.
fn conditions(q: &mut Sql, caller: &Caller, staff: &Scope, filter: &Filter) {
    q.scope("o.path", staff);
    match filter.status.as_str() {
        "closed" => {
            q.push(" AND f.status = 'closed'");
        }
        "all" => {}
        _ => {
            q.push(" AND f.status = 'open'");
        }
    }
    if filter.due_only() {
        let until = caller.today + chrono::Days::new(DUE_WITHIN_DAYS);
        q.push(" AND f.status = 'open' AND f.review_on <= ")
            .arg(until);
    }
    if let Some(level) = code_of(&LEVELS, &filter.level) {
        q.push(" AND f.level = ").arg(level);
    }
    let typed = filter.q.trim();
    if !typed.is_empty() {
        let like = format!("{}%", typed.replace(['%', '_', '\\'], ""));
        q.push(" AND (p.name LIKE ")
            .arg(like.clone())
            .push(" OR m.member_no LIKE ")
            .arg(like)
            .push(")");
    }
}

/// The files in sight, filtered; due reviews first when only those are asked for, else the
/// latest opened first. The view is audited (the filter and how many it showed).
pub async fn list(
    tx: &mut Tx,
    caller: &Caller,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<File>> {
    let staff = staff_scope(&caller.scope);
    if staff.is_empty() {
        return Err(Error::Forbidden);
    }
    let q = filter.q.trim();
    let mut cond = Sql::new(" WHERE ");
    conditions(&mut cond, caller, &staff, filter);
    let found: Page<File> = Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM hardship_files f JOIN org_units o ON o.id = f.org_id
            JOIN memberships m ON m.id = f.membership_id JOIN people p ON p.id = f.person_id",
        filter: cond,
        order: if filter.due_only() {
            "f.review_on"
        } else {
            "f.opened_on DESC"
        },
        id: "f.id",
    }
    .page(tx, page)
    .await?;
    caller
        .audit(
            tx,
            "hardship.list",
            "",
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"status": filter.status, "due": filter.due_only(), "level": filter.level,
                "q": q, "page": page.page, "shown": found.items.len()}),
        )
        .await?;
    Ok(found)
}

/// Most files one export holds.
pub const EXPORT_MAX: i64 = 50_000;

/// The files of a list's filter for the export sheet (ID numbers masked, as everywhere): the
/// export is audited with the filter and how many rows it held.
pub async fn export(tx: &mut Tx, caller: &Caller, filter: &Filter) -> Result<Vec<File>> {
    let staff = staff_scope(&caller.scope);
    if staff.is_empty() {
        return Err(Error::Forbidden);
    }
    let mut sel = Sql::new(&format!("{SELECT} WHERE "));
    conditions(&mut sel, caller, &staff, filter);
    sel.push(" ORDER BY o.path, f.opened_on, f.id LIMIT ")
        .arg(EXPORT_MAX);
    let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, File>(&sel.sql), &sel.args).fetch_all(c).await)?;
    caller
        .audit(
            tx,
            "hardship.export",
            "",
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"status": filter.status, "due": filter.due_only(), "level": filter.level,
                "q": filter.q.trim(), "rows": items.len()}),
        )
        .await?;
    Ok(items)
}

/// Open files whose review falls due within [`DUE_WITHIN_DAYS`] days or is overdue, in sight of
/// the caller: the reminder's count (no names, so not a view).
pub async fn due_count(tx: &mut Tx, caller: &Caller) -> Result<i64> {
    let staff = staff_scope(&caller.scope);
    if staff.is_empty() {
        return Ok(0);
    }
    let until = caller.today + chrono::Days::new(DUE_WITHIN_DAYS);
    let mut q = Sql::new(
        "SELECT COUNT(*) FROM hardship_files f JOIN org_units o ON o.id = f.org_id WHERE f.status = 'open' AND f.review_on <= ",
    );
    q.arg(until).push(" AND ").scope("o.path", &staff);
    Ok(on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&q.sql), &q.args).fetch_one(c).await)?)
}

/// The active member of the caller's staff subtrees with this number.
async fn member(tx: &mut Tx, staff: &Scope, no: &str) -> Result<Option<(Uuid, Uuid, Uuid)>> {
    let no = no
        .trim()
        .strip_prefix(crate::members::ECARD_PREFIX)
        .unwrap_or(no.trim());
    let mut q = Sql::new(
        "SELECT m.id, m.person_id, m.org_id FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND m.member_no = ",
    );
    q.arg(no.to_string()).push(" AND ").scope("o.path", staff);
    Ok(on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_optional(c).await)?)
}

/// Opens a file for an active member of the caller's staff subtrees. All problems at once; a
/// member with an open file already is refused on `member_no`.
pub async fn open(tx: &mut Tx, caller: &Caller, input: &FileInput) -> Result<File> {
    let staff = staff_scope(&caller.scope);
    if staff.is_empty() {
        return Err(Error::Forbidden);
    }
    let mut errs = FieldErrors::new();
    let member = if input.member_no.trim().is_empty() {
        errs.push("member_no", "hardship.member_required");
        None
    } else {
        let m = member(tx, &staff, &input.member_no).await?;
        if m.is_none() {
            errs.push("member_no", "hardship.unknown_member");
        }
        m
    };
    if let Some((_, person, _)) = member {
        const OPEN: &str =
            "SELECT COUNT(*) FROM hardship_files WHERE person_id = $1 AND status = 'open'";
        let n: i64 =
            on_db!(tx.conn(), c => sqlx::query_scalar(OPEN).bind(person).fetch_one(c).await)?;
        if n > 0 {
            errs.push("member_no", "hardship.already_open");
        }
    }
    let level = code_of(&LEVELS, &input.level);
    if level.is_none() {
        errs.push("level", "hardship.bad_level");
    }
    let mut causes: Vec<&'static str> = Vec::new();
    for typed in input.causes.typed() {
        match code_of(&CAUSES, &typed) {
            Some(c) if !causes.contains(&c) => causes.push(c),
            Some(_) => {}
            None => {
                errs.push("causes", "hardship.bad_cause");
                break;
            }
        }
    }
    if causes.is_empty() && errs.get("causes").is_none() {
        errs.push("causes", "hardship.causes_required");
    }
    causes.sort_by_key(|c| CAUSES.iter().position(|(k, _)| k == c));
    let (size, income) = household(&input.household_size, &input.household_income, &mut errs);
    let opened_on = match input.opened_on.trim() {
        "" => Some(caller.today),
        t => day(t, "opened_on", &mut errs).filter(|d| {
            let ok = *d <= caller.today;
            if !ok {
                errs.push("opened_on", "errors.bad_date");
            }
            ok
        }),
    };
    let review_on = match (input.review_on.trim(), opened_on) {
        ("", Some(o)) => Some(a_year_after(o)),
        ("", None) => None,
        (t, o) => day(t, "review_on", &mut errs).filter(|d| {
            let ok = o.is_none_or(|o| *d > o);
            if !ok {
                errs.push("review_on", "hardship.bad_review_on");
            }
            ok
        }),
    };
    let (
        Some((membership, person, org)),
        Some(level),
        Some(size),
        Some(income),
        Some(opened_on),
        Some(review_on),
        true,
    ) = (
        member,
        level,
        size,
        income,
        opened_on,
        review_on,
        errs.is_empty(),
    )
    else {
        return Err(errs.into());
    };
    let id = new_id();
    const SQL: &str = "INSERT INTO hardship_files (id, org_id, person_id, membership_id, level, causes, household_size,
            household_income_fen, opened_on, review_on, status, note, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12, $13, $13)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org).bind(person).bind(membership).bind(level)
        .bind(causes.join(",")).bind(size).bind(income).bind(opened_on).bind(review_on).bind(text(&input.note, 1000))
        .bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    let f = fetch(tx, caller, id).await?;
    caller
        .audit(
            tx,
            "hardship.open",
            &id.to_string(),
            Some(&f.org_path),
            serde_json::json!({"member_no": f.member_no, "level": level, "causes": f.causes,
                "household_size": size, "household_income_fen": income}),
        )
        .await?;
    Ok(f)
}

/// The assistance records of a file in sight, latest first.
pub async fn assistance(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Vec<Assistance>> {
    fetch(tx, caller, id).await?;
    const SQL: &str = "SELECT id, file_id, kind, amount_fen, description, given_on, recorded_by, at
        FROM hardship_assistance WHERE file_id = $1 ORDER BY given_on DESC, at DESC";
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Assistance>(SQL).bind(id).fetch_all(c).await)?)
}

/// Records assistance given on an open file.
pub async fn assist(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    input: &AssistanceInput,
) -> Result<Assistance> {
    let f = fetch(tx, caller, id).await?;
    if !f.is_open() {
        return Err(Error::invalid("status", "hardship.closed"));
    }
    let mut errs = FieldErrors::new();
    let kind = code_of(&AID_KINDS, &input.kind);
    if kind.is_none() {
        errs.push("kind", "hardship.bad_aid_kind");
    }
    let amount = super::money::parse_yuan(&input.amount).unwrap_or_else(|code| {
        errs.push("amount", code);
        -1
    });
    if kind == Some("money") && amount == 0 {
        errs.push("amount", "hardship.amount_required");
    }
    let description = text(&input.description, 500);
    if kind.is_some_and(|k| k != "money") && description.is_empty() {
        errs.push("description", "hardship.description_required");
    }
    let given_on = match input.given_on.trim() {
        "" => Some(caller.today),
        t => day(t, "given_on", &mut errs),
    };
    if let Some(d) = given_on {
        if d > caller.today || d < f.opened_on {
            errs.push("given_on", "hardship.bad_given_on");
        }
    }
    let (Some(kind), Some(given_on), true) = (kind, given_on, errs.is_empty()) else {
        return Err(errs.into());
    };
    let aid = new_id();
    const SQL: &str = "INSERT INTO hardship_assistance (id, file_id, kind, amount_fen, description, given_on, recorded_by, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(aid).bind(id).bind(kind).bind(amount).bind(&description).bind(given_on)
        .bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    const SUM: &str = "UPDATE hardship_files SET assisted_fen = assisted_fen + $2, assistance_count = assistance_count + 1,
        updated_at = $3 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SUM).bind(id).bind(amount).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "hardship.assist",
            &id.to_string(),
            Some(&f.org_path),
            serde_json::json!({"member_no": f.member_no, "kind": kind, "amount_fen": amount, "given_on": given_on}),
        )
        .await?;
    const ONE: &str = "SELECT id, file_id, kind, amount_fen, description, given_on, recorded_by, at
        FROM hardship_assistance WHERE id = $1";
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Assistance>(ONE).bind(aid).fetch_one(c).await)?)
}

/// Records the yearly review of an open file: level and household as found now, the next review
/// (default a year from today).
pub async fn review(tx: &mut Tx, caller: &Caller, id: Uuid, input: &ReviewInput) -> Result<File> {
    let f = fetch(tx, caller, id).await?;
    if !f.is_open() {
        return Err(Error::invalid("status", "hardship.closed"));
    }
    let mut errs = FieldErrors::new();
    let level = match input.level.trim() {
        "" => Some(code_of(&LEVELS, &f.level).unwrap_or("relative")),
        t => {
            let l = code_of(&LEVELS, t);
            if l.is_none() {
                errs.push("level", "hardship.bad_level");
            }
            l
        }
    };
    let size_typed = match input.household_size.trim() {
        "" => f.household_size.to_string(),
        t => t.to_string(),
    };
    let income_typed = match input.household_income.trim() {
        "" => super::money::yuan(f.household_income_fen),
        t => t.to_string(),
    };
    let (size, income) = household(&size_typed, &income_typed, &mut errs);
    let next = match input.next_review_on.trim() {
        "" => Some(a_year_after(caller.today)),
        t => day(t, "next_review_on", &mut errs).filter(|d| {
            let ok = *d > caller.today;
            if !ok {
                errs.push("next_review_on", "hardship.bad_review_on");
            }
            ok
        }),
    };
    let (Some(level), Some(size), Some(income), Some(next), true) =
        (level, size, income, next, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let note = text(&input.note, 1000);
    const SQL: &str = "UPDATE hardship_files SET level = $2, household_size = $3, household_income_fen = $4, reviewed_on = $5,
        review_on = $6, note = CASE WHEN $7 = '' THEN note ELSE $7 END, updated_at = $8 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(level).bind(size).bind(income).bind(caller.today).bind(next)
        .bind(&note).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "hardship.review",
            &id.to_string(),
            Some(&f.org_path),
            serde_json::json!({"member_no": f.member_no, "level": [f.level, level],
                "household_size": [f.household_size, size], "household_income_fen": [f.household_income_fen, income],
                "next_review_on": next}),
        )
        .await?;
    fetch(tx, caller, id).await
}

/// Closes an open file with a reason.
pub async fn close(tx: &mut Tx, caller: &Caller, id: Uuid, input: &CloseInput) -> Result<File> {
    let f = fetch(tx, caller, id).await?;
    if !f.is_open() {
        return Err(Error::invalid("status", "hardship.closed"));
    }
    let reason = text(&input.reason, 500);
    if reason.is_empty() {
        return Err(Error::invalid("reason", "hardship.reason_required"));
    }
    const SQL: &str = "UPDATE hardship_files SET status = 'closed', closed_on = $2, close_reason = $3, updated_at = $4
        WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.today).bind(&reason).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "hardship.close",
            &id.to_string(),
            Some(&f.org_path),
            serde_json::json!({"member_no": f.member_no, "reason": reason}),
        )
        .await?;
    fetch(tx, caller, id).await
}

/// The services report's `hardship` member for a subtree and period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HardshipFigures {
    /// Files open on the period's last day.
    pub open_files: i64,
    /// Files opened in the period.
    pub new_files: i64,
    /// Files that received assistance in the period.
    pub assisted: i64,
    /// Assistance given in the period, in fen.
    pub assistance_fen: i64,
}

/// The hardship figures of the files of the subtree at `path`, from `from` to `to`.
pub async fn figures(
    tx: &mut Tx,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HardshipFigures> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const FILES: &str = "SELECT
            CAST(COALESCE(SUM(CASE WHEN f.opened_on <= $4 AND (f.closed_on IS NULL OR f.closed_on > $4) THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN f.opened_on >= $3 AND f.opened_on <= $4 THEN 1 ELSE 0 END), 0) AS BIGINT)
        FROM hardship_files f JOIN org_units o ON o.id = f.org_id WHERE o.path >= $1 AND o.path < $2";
    let (open_files, new_files): (i64, i64) = on_db!(tx.conn(), c => sqlx::query_as(FILES).bind(&lo).bind(&hi)
        .bind(from).bind(to).fetch_one(c).await)?;
    const AID: &str = "SELECT COUNT(DISTINCT a.file_id), CAST(COALESCE(SUM(a.amount_fen), 0) AS BIGINT)
        FROM hardship_assistance a JOIN hardship_files f ON f.id = a.file_id JOIN org_units o ON o.id = f.org_id
        WHERE o.path >= $1 AND o.path < $2 AND a.given_on >= $3 AND a.given_on <= $4";
    let (assisted, assistance_fen): (i64, i64) = on_db!(tx.conn(), c => sqlx::query_as(AID).bind(&lo).bind(&hi)
        .bind(from).bind(to).fetch_one(c).await)?;
    Ok(HardshipFigures {
        open_files,
        new_files,
        assisted,
        assistance_fen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_read_from_a_list_or_a_text_with_any_separator() {
        assert_eq!(
            Causes::Text("因病、 unemployment,，其他".into()).typed(),
            vec!["因病", "unemployment", "其他"]
        );
        assert_eq!(
            Causes::List(vec![" illness ".into(), "".into()]).typed(),
            vec!["illness"]
        );
    }

    #[test]
    fn a_review_a_year_on_keeps_to_the_calendar() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(a_year_after(d("2026-03-15")), d("2027-03-15"));
        assert_eq!(a_year_after(d("2028-02-29")), d("2029-02-28"));
    }
}
