//! Rights cases (维权): a worker's request for help, accepted by a union and seen by the cadres of
//! that union and its parents. A case moves through consultation → mediation → legal aid →
//! arbitration → litigation as it escalates, keeps a dated timeline (notes, hearings, deadlines,
//! documents, assignment), and closes with an outcome and the amounts claimed and recovered.
//!
//! Every case adds to the maintained counters of its union and every ancestor (`cases_opened` by
//! day and kind, `cases_claimed` in fen by the day it was opened, `cases_closed` and
//! `cases_recovered` by the day it closed): a change takes the case's old contribution away and
//! adds its new one in the same transaction, and `admin recount` recomputes them from this table.

use super::money;
use crate::accounts::Caller;
use crate::coverage::counts::{self, metric, Delta};
use crate::error::FieldErrors;
use crate::members::id_vault::IdVault;
use crate::members::identity::{PersonName, Phone, ResidentId};
use crate::page::{Page, PageRequest};
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Kinds of case (类型), as the import sheet and the forms name them.
pub const KINDS: [(&str, &str); 6] = [
    ("wages", "欠薪"),
    ("injury", "工伤"),
    ("dismissal", "解除劳动关系"),
    ("platform_penalty", "平台扣罚"),
    ("social_insurance", "社保"),
    ("other", "其他"),
];

/// How a case is handled (处理方式), in the order it escalates.
pub const STAGES: [(&str, &str); 5] = [
    ("consultation", "咨询"),
    ("mediation", "调解"),
    ("legal_aid", "法律援助"),
    ("arbitration", "仲裁"),
    ("litigation", "诉讼"),
];

/// How a case ended (结果).
pub const OUTCOMES: [(&str, &str); 5] = [
    ("supported", "支持"),
    ("partly", "部分支持"),
    ("not_supported", "未支持"),
    ("withdrawn", "撤回"),
    ("mediated", "调解成功"),
];

/// Timeline entries a cadre adds by hand.
pub const ENTRY_KINDS: [&str; 4] = ["note", "hearing", "deadline", "document"];

/// The code of a listed value typed as its code or its Chinese name.
pub fn code_of(list: &[(&'static str, &'static str)], typed: &str) -> Option<&'static str> {
    let t = typed.trim();
    list.iter()
        .find(|(c, zh)| *c == t || *zh == t)
        .map(|(c, _)| *c)
}

/// A case as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub case_no: String,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub kind: String,
    pub stage: String,
    /// `open` or `closed`.
    pub status: String,
    pub name: String,
    /// Always masked: `3715**********123X`.
    pub id_number: Option<String>,
    /// Masked for viewers.
    pub phone: String,
    pub employer: Option<String>,
    pub employer_uscc: Option<String>,
    pub summary: String,
    pub claimed_fen: i64,
    pub recovered_fen: i64,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub handler: Option<String>,
    /// The lawyer's account the case is assigned to (a legal-aid station's lawyer), if any.
    pub handler_username: Option<String>,
    #[serde(skip)]
    pub handler_account: Option<Uuid>,
    /// `member` (asked from /me), `cadre` or `import`.
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One entry of a case's timeline.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseEvent {
    pub id: Uuid,
    pub at: i64,
    /// `opened`, `note`, `stage`, `hearing`, `deadline`, `document`, `assigned`, `closed`,
    /// `reopened`, `changed`.
    pub kind: String,
    /// The day of a hearing or a deadline.
    pub on_date: Option<NaiveDate>,
    pub text: String,
    pub actor: String,
}

/// A case as a cadre records it (`POST /api/v1/cases`, the new-case form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CaseInput {
    /// The union that accepts the case.
    pub org_code: String,
    pub kind: String,
    /// Default `consultation`.
    pub stage: String,
    pub name: String,
    /// Optional.
    pub id_number: String,
    pub phone: String,
    pub employer: String,
    pub employer_uscc: String,
    /// Yuan, at most two decimals.
    pub claimed: String,
    /// Default today.
    pub opened_on: String,
    pub summary: String,
    pub handler: String,
}

/// What a worker types on `/me` to ask for help.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AskInput {
    pub kind: String,
    pub employer: String,
    /// Yuan at stake, optional.
    pub claimed: String,
    pub summary: String,
}

/// A change to a case (`PATCH /api/v1/cases/{id}`): every field is optional. Closing takes an
/// outcome (and the amount recovered, the day); `reopen` opens a closed case again.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CasePatch {
    pub kind: Option<String>,
    pub stage: Option<String>,
    pub handler: Option<String>,
    /// Assign the case to a lawyer of a legal-aid station (their username; empty to take it back
    /// from them). The lawyer's name becomes the handler shown.
    pub handler_account: Option<String>,
    pub claimed: Option<String>,
    pub employer: Option<String>,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub recovered: Option<String>,
    pub closed_on: Option<String>,
    pub reopen: bool,
    /// A note for the timeline with the change.
    pub note: Option<String>,
    /// Hand the case up to a federation above its union (its code): the case then belongs to
    /// that federation's subtree, and the union below no longer sees it.
    pub hand_to: Option<String>,
}

/// A timeline entry a cadre adds (`POST /api/v1/cases/{id}/events`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EntryInput {
    /// `note`, `hearing`, `deadline` or `document`.
    pub kind: String,
    pub text: String,
    /// The day of a hearing or a deadline (required for them).
    pub on: String,
}

/// The filter of the case queue.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct CaseFilter {
    /// A union's code: its subtree only.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub org: Option<String>,
    /// `open` (default), `closed` or `all`.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub kind: Option<String>,
    /// Name, case number or employer contains.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub q: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.case_no, o.code AS org_code, o.name AS org_name, o.path AS org_path, c.kind, c.stage,
        c.status, c.name, c.id_mask AS id_number, c.phone, c.employer, c.employer_uscc, c.summary, c.claimed_fen,
        c.recovered_fen, c.opened_on, c.closed_on, c.outcome, c.handler, ha.username AS handler_username,
        c.handler_account, c.source, c.created_at, c.updated_at
    FROM rights_cases c JOIN org_units o ON o.id = c.org_id LEFT JOIN accounts ha ON ha.id = c.handler_account";

/// What a case adds to the counters: opened (by day and kind) and claimed on its opening day;
/// closed and recovered on its closing day.
pub fn deltas(
    kind: &str,
    opened_on: NaiveDate,
    claimed_fen: i64,
    closed_on: Option<NaiveDate>,
    recovered_fen: i64,
) -> Vec<Delta> {
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut out = vec![
        Delta::new(
            metric::CASES_OPENED,
            format!("{}:{kind}", day(opened_on)),
            1,
        ),
        Delta::new(metric::CASES_CLAIMED, day(opened_on), claimed_fen),
    ];
    if let Some(closed) = closed_on {
        out.push(Delta::new(metric::CASES_CLOSED, day(closed), 1));
        out.push(Delta::new(
            metric::CASES_RECOVERED,
            day(closed),
            recovered_fen,
        ));
    }
    out
}

fn case_deltas(c: &Case, sign: i64) -> Vec<Delta> {
    deltas(
        &c.kind,
        c.opened_on,
        c.claimed_fen,
        c.closed_on,
        c.recovered_fen,
    )
    .into_iter()
    .map(|d| Delta::new(d.metric, d.key, d.n * sign))
    .collect()
}

/// A fresh case number of a union: `WQ` and the day, and four characters.
fn new_case_no(today: NaiveDate) -> String {
    format!("WQ{}{}", today.format("%Y%m%d"), super::code_tail(4))
}

/// The worker a case is about: one key for the ID number when given, else the phone.
pub fn person_key(vault: &IdVault, id: Option<&ResidentId>, phone: &Phone) -> String {
    match id {
        Some(id) => vault.lookup_hash(id),
        None => vault.keyed_hash("case-phone", phone.as_str()),
    }
}

fn text(s: &str, max: usize) -> Option<String> {
    let t: String = s.trim().chars().take(max).collect();
    (!t.is_empty()).then_some(t)
}

fn amount(field: &'static str, typed: &str, errs: &mut FieldErrors) -> i64 {
    money::parse_yuan(typed).unwrap_or_else(|code| {
        errs.push(field, code);
        0
    })
}

/// A new case's row, checked.
struct NewCase {
    org: orgs::OrgUnit,
    kind: &'static str,
    stage: &'static str,
    name: String,
    id: Option<ResidentId>,
    phone: Phone,
    employer: Option<String>,
    employer_uscc: Option<String>,
    claimed_fen: i64,
    opened_on: NaiveDate,
    summary: String,
    handler: Option<String>,
    membership: Option<Uuid>,
    source: &'static str,
}

async fn insert(tx: &mut Tx, vault: &IdVault, c: &NewCase, actor: &str, at: i64) -> Result<Uuid> {
    let id = new_id();
    let key = person_key(vault, c.id.as_ref(), &c.phone);
    const SQL: &str = "INSERT INTO rights_cases (id, org_id, case_no, kind, stage, status, person_key, membership_id, name,
            id_sealed, id_mask, phone, employer, employer_uscc, summary, claimed_fen, recovered_fen, opened_on, handler,
            source, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16, $17, $18, $19, $19)";
    let mut tries = 0;
    loop {
        let case_no = new_case_no(c.opened_on);
        let done = on_db!(tx.conn(), c2 => sqlx::query(SQL).bind(id).bind(c.org.id).bind(&case_no).bind(c.kind).bind(c.stage)
            .bind(&key).bind(c.membership).bind(&c.name).bind(c.id.as_ref().map(|i| vault.seal(i))).bind(c.id.as_ref().map(|i| i.mask()))
            .bind(c.phone.as_str()).bind(&c.employer).bind(&c.employer_uscc).bind(&c.summary).bind(c.claimed_fen)
            .bind(c.opened_on).bind(&c.handler).bind(c.source).bind(at)
            .execute(c2).await.map(|r| r.rows_affected()));
        match done {
            Ok(_) => break,
            // A case number taken already (one in a million a day): another draw.
            Err(e) if tries < 3 && e.to_string().to_lowercase().contains("unique") => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
    event(tx, id, "opened", None, &c.summary, actor, at).await?;
    counts::bump(
        tx,
        &c.org.path,
        &deltas(c.kind, c.opened_on, c.claimed_fen, None, 0),
    )
    .await?;
    Ok(id)
}

async fn event(
    tx: &mut Tx,
    case: Uuid,
    kind: &str,
    on: Option<NaiveDate>,
    text: &str,
    actor: &str,
    at: i64,
) -> Result<()> {
    const SQL: &str = "INSERT INTO case_events (id, case_id, at, kind, on_date, text, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(case).bind(at).bind(kind).bind(on).bind(text).bind(actor)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a case a cadre accepted (staff of the union, or above). All problems at once.
pub async fn create(
    tx: &mut Tx,
    caller: &Caller,
    vault: &IdVault,
    input: &CaseInput,
) -> Result<Case> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let kind = code_of(&KINDS, &input.kind);
    if kind.is_none() {
        errs.push("kind", "cases.bad_kind");
    }
    let stage = match input.stage.trim() {
        "" => Some("consultation"),
        s => code_of(&STAGES, s),
    };
    if stage.is_none() {
        errs.push("stage", "cases.bad_stage");
    }
    let name = PersonName::parse(&input.name)
        .map_err(|e| errs.push("name", e.code()))
        .ok();
    let id = match input.id_number.trim() {
        "" => None,
        typed => ResidentId::parse(typed, caller.today)
            .map_err(|e| errs.push("id_number", e.code()))
            .ok(),
    };
    let phone = Phone::parse(&input.phone)
        .map_err(|e| errs.push("phone", e.code()))
        .ok();
    let employer_uscc = match input.employer_uscc.trim() {
        "" => None,
        u => match crate::census::Uscc::parse(u) {
            Ok(u) => Some(u.as_str().to_string()),
            Err(e) => {
                errs.push("employer_uscc", e.code());
                None
            }
        },
    };
    let claimed_fen = amount("claimed", &input.claimed, &mut errs);
    let opened_on = match input.opened_on.trim() {
        "" => Some(caller.today),
        d => crate::sheets::parse_date(d).filter(|d| *d <= caller.today),
    };
    if opened_on.is_none() {
        errs.push("opened_on", "errors.bad_date");
    }
    let (Some(org), Some(kind), Some(stage), Some(name), Some(phone), Some(opened_on), true) =
        (org, kind, stage, name, phone, opened_on, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let new = NewCase {
        org,
        kind,
        stage,
        name: name.as_str().to_string(),
        id,
        phone,
        employer: text(&input.employer, 100),
        employer_uscc,
        claimed_fen,
        opened_on,
        summary: text(&input.summary, 2000).unwrap_or_default(),
        handler: text(&input.handler, 50),
        membership: None,
        source: "cadre",
    };
    let id = insert(tx, vault, &new, &caller.actor.name, caller.at).await?;
    caller
        .audit(
            tx,
            "cases.create",
            &id.to_string(),
            Some(&new.org.path),
            serde_json::json!({"kind": kind, "claimed_fen": claimed_fen}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// A member asks for help from `/me`: the union of their current membership accepts the case,
/// with their name, ID number and phone on record.
pub async fn ask(
    tx: &mut Tx,
    person: Uuid,
    input: &AskInput,
    photos: (&super::photos::Uploads, &[super::photos::Prepared]),
    at: i64,
    today: NaiveDate,
) -> Result<(String, String)> {
    let mut errs = FieldErrors::new();
    let kind = code_of(&KINDS, &input.kind);
    if kind.is_none() {
        errs.push("kind", "cases.bad_kind");
    }
    let claimed_fen = amount("claimed", &input.claimed, &mut errs);
    let summary = text(&input.summary, 2000);
    if summary.is_none() {
        errs.push("summary", "cases.summary_required");
    }
    let (Some(kind), Some(summary), true) = (kind, summary, errs.is_empty()) else {
        return Err(errs.into());
    };
    const MEMBER: &str = "SELECT m.id, m.org_id, o.path, p.name, p.phone, p.id_hash, p.id_sealed, p.id_mask, m.employer
        FROM memberships m JOIN people p ON p.id = m.person_id JOIN org_units o ON o.id = m.org_id
        WHERE m.person_id = $1 AND m.status IN ('active', 'retained') ORDER BY m.status = 'active' DESC LIMIT 1";
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        String,
        String,
        Vec<u8>,
        String,
        Option<String>,
    );
    let row: Option<Row> =
        on_db!(tx.conn(), c => sqlx::query_as(MEMBER).bind(person).fetch_optional(c).await)?;
    let (membership, org_id, path, name, phone, hash, sealed, mask, employer) =
        row.ok_or(Error::conflict("status", "cases.not_a_member"))?;
    let id = new_id();
    let employer = text(&input.employer, 100).or(employer);
    const SQL: &str = "INSERT INTO rights_cases (id, org_id, case_no, kind, stage, status, person_key, membership_id, name,
            id_sealed, id_mask, phone, employer, summary, claimed_fen, recovered_fen, opened_on, source, created_at, updated_at)
        VALUES ($1, $2, $3, $4, 'consultation', 'open', $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, 'member', $15, $15)";
    let case_no = new_case_no(today);
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org_id).bind(&case_no).bind(kind).bind(&hash).bind(membership)
        .bind(&name).bind(sealed).bind(mask).bind(&phone).bind(&employer).bind(&summary).bind(claimed_fen).bind(today).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    event(tx, id, "opened", None, &summary, &name, at).await?;
    let (uploads, photos) = photos;
    if !photos.is_empty() {
        let owner = super::photos::Owner::Case(id);
        super::photos::attach(tx, uploads, owner, photos, &name, at).await?;
        let text = format!("照片 {} 张", photos.len());
        event(tx, id, "document", None, &text, &name, at).await?;
    }
    counts::bump(tx, &path, &deltas(kind, today, claimed_fen, None, 0)).await?;
    crate::audit::record(
        tx,
        &crate::audit::Actor {
            account_id: None,
            name: format!("member:{person}"),
            ip: None,
        },
        at,
        "cases.ask",
        &id.to_string(),
        Some(&path),
        serde_json::json!({"kind": kind, "claimed_fen": claimed_fen, "photos": photos.len()}),
    )
    .await?;
    Ok((case_no, phone))
}

/// What a visitor who is not a member types on `/help`: who they are and what happened. The
/// page checks their phone by SMS before [`ask_public`] records it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PublicAsk {
    pub name: String,
    pub phone: String,
    pub kind: String,
    pub employer: String,
    pub claimed: String,
    pub summary: String,
}

/// The checked fields of a visitor's request, or every problem at once.
pub struct CheckedAsk {
    name: String,
    phone: Phone,
    kind: &'static str,
    claimed_fen: i64,
    summary: String,
    employer: Option<String>,
}

impl PublicAsk {
    pub fn check(&self) -> std::result::Result<CheckedAsk, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = PersonName::parse(&self.name)
            .map_err(|e| errs.push("name", e.code()))
            .ok();
        let phone = Phone::parse(&self.phone)
            .map_err(|e| errs.push("phone", e.code()))
            .ok();
        let kind = code_of(&KINDS, &self.kind);
        if kind.is_none() {
            errs.push("kind", "cases.bad_kind");
        }
        let claimed_fen = amount("claimed", &self.claimed, &mut errs);
        let summary = text(&self.summary, 2000);
        if summary.is_none() {
            errs.push("summary", "cases.summary_required");
        }
        match (name, phone, kind, summary) {
            (Some(name), Some(phone), Some(kind), Some(summary)) if errs.is_empty() => {
                Ok(CheckedAsk {
                    name: name.as_str().to_string(),
                    phone,
                    kind,
                    claimed_fen,
                    summary,
                    employer: text(&self.employer, 100),
                })
            }
            _ => Err(errs),
        }
    }
}

/// A visitor who is not a member asks for help on `/help` of a union's code: the union accepts the
/// case (`source` `public`), with the name and phone they gave. Nothing of anyone else's record is
/// read or changed. Returns the case number.
pub async fn ask_public(
    tx: &mut Tx,
    vault: &IdVault,
    org_code: &str,
    ask: CheckedAsk,
    at: i64,
    today: NaiveDate,
) -> Result<String> {
    let org = orgs::get(tx, &Scope::operator(), org_code).await?;
    let actor = format!("public:{}", ask.phone.mask());
    let new = NewCase {
        org,
        kind: ask.kind,
        stage: "consultation",
        name: ask.name,
        id: None,
        phone: ask.phone,
        employer: ask.employer,
        employer_uscc: None,
        claimed_fen: ask.claimed_fen,
        opened_on: today,
        summary: ask.summary,
        handler: None,
        membership: None,
        source: "public",
    };
    let id = insert(tx, vault, &new, &new.name, at).await?;
    crate::audit::record(
        tx,
        &crate::audit::Actor {
            account_id: None,
            name: actor,
            ip: None,
        },
        at,
        "cases.ask_public",
        &id.to_string(),
        Some(&new.org.path),
        serde_json::json!({"kind": new.kind, "claimed_fen": new.claimed_fen}),
    )
    .await?;
    const NO: &str = "SELECT case_no FROM rights_cases WHERE id = $1";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(NO).bind(id).fetch_one(c).await)?)
}

/// A case of the scope; the phone masked for viewers.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Case> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE c.id = ").arg(id).push(" AND ");
    visible(&mut q, scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Case>(&q.sql), &q.args).fetch_optional(c).await)?;
    let case = row.ok_or(Error::NotFound)?;
    Ok(seen_by(case, scope))
}

/// The cases of the scope, and those assigned to the caller when they are a lawyer.
fn visible(q: &mut Sql, scope: &Scope) {
    q.push("(").scope("o.path", scope);
    if let Some(lawyer) = scope.counsel() {
        q.push(" OR c.handler_account = ").arg(lawyer);
    }
    q.push(")");
}

/// Whether the case is assigned to the caller as its lawyer.
fn counsels(scope: &Scope, c: &Case) -> bool {
    scope.counsel().is_some() && scope.counsel() == c.handler_account
}

fn seen_by(mut c: Case, scope: &Scope) -> Case {
    if scope.role_at(&c.org_path) < Some(Role::Staff) && !counsels(scope, &c) {
        c.phone = Phone::parse(&c.phone).map(|p| p.mask()).unwrap_or_default();
    }
    c
}

/// The case queue of the scope (or of a unit's subtree in it), open ones oldest first.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    filter: &CaseFilter,
    page: PageRequest,
) -> Result<Page<Case>> {
    let narrowed = match filter
        .org
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(code) => {
            let unit = orgs::get(tx, scope, code).await?;
            scope.within(&unit.path).ok_or(Error::NotFound)?
        }
        None => {
            if scope.roots().is_empty() && scope.counsel().is_none() {
                return Err(Error::NotFound);
            }
            scope.clone()
        }
    };
    let status = filter.status.as_deref().unwrap_or("open");
    let filtered = |q: &mut Sql| {
        q.push(" WHERE ");
        visible(q, &narrowed);
        if matches!(status, "open" | "closed") {
            q.push(" AND c.status = ").arg(status.to_string());
        }
        if let Some(kind) = filter.kind.as_deref().and_then(|k| code_of(&KINDS, k)) {
            q.push(" AND c.kind = ").arg(kind.to_string());
        }
        if let Some(t) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let like = format!("%{}%", t.replace(['%', '_'], ""));
            q.push(" AND (c.name LIKE ")
                .arg(like.clone())
                .push(" OR c.case_no LIKE ")
                .arg(like.clone())
                .push(" OR c.employer LIKE ")
                .arg(like)
                .push(")");
        }
    };
    let mut count =
        Sql::new("SELECT COUNT(*) FROM rights_cases c JOIN org_units o ON o.id = c.org_id");
    filtered(&mut count);
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count.sql), &count.args).fetch_one(c).await)?;
    let mut q = Sql::new(SELECT);
    filtered(&mut q);
    let order = if status == "closed" {
        " ORDER BY c.closed_on DESC, c.id DESC"
    } else {
        " ORDER BY c.status = 'closed', c.opened_on, c.id"
    };
    q.push(order)
        .push(" LIMIT ")
        .arg(page.limit())
        .push(" OFFSET ")
        .arg(page.offset());
    let items: Vec<Case> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Case>(&q.sql), &q.args).fetch_all(c).await)?;
    Ok(Page {
        items: items.into_iter().map(|c| seen_by(c, scope)).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// A case's timeline, oldest first.
pub async fn timeline(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Vec<CaseEvent>> {
    get(tx, scope, id).await?;
    events_of(tx, id).await
}

async fn events_of(tx: &mut Tx, id: Uuid) -> Result<Vec<CaseEvent>> {
    const SQL: &str = "SELECT id, at, kind, on_date, text, actor FROM case_events WHERE case_id = $1 ORDER BY at, id";
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, CaseEvent>(SQL).bind(id).fetch_all(c).await)?)
}

/// Staff of the case's union or above, or the lawyer it is assigned to, work on a case.
fn staff_check(caller: &Caller, c: &Case) -> Result<()> {
    if caller.scope.role_at(&c.org_path) < Some(Role::Staff) && !counsels(&caller.scope, c) {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// What only the union's staff decide: who handles the case, handing it up, reopening it.
fn staff_only(caller: &Caller, c: &Case, patch: &CasePatch) -> Result<()> {
    let deciding = patch.handler.is_some()
        || patch.handler_account.is_some()
        || patch.reopen
        || patch
            .hand_to
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty());
    if deciding && caller.scope.role_at(&c.org_path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Changes a case (staff of its union or above): fields, stage, handler, closing or reopening;
/// each change is on the timeline, the counters follow, and the change is audited. Returns the
/// case and whether the worker should be told (stage, closing, reopening).
pub async fn update(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    patch: &CasePatch,
) -> Result<(Case, bool)> {
    let before = get(tx, &caller.scope, id).await?;
    staff_check(caller, &before)?;
    staff_only(caller, &before, patch)?;
    let mut errs = FieldErrors::new();
    let mut after = before.clone();
    let mut entries: Vec<(&'static str, Option<NaiveDate>, String)> = Vec::new();
    if let Some(k) = &patch.kind {
        match code_of(&KINDS, k) {
            Some(k) => after.kind = k.to_string(),
            None => errs.push("kind", "cases.bad_kind"),
        }
    }
    if let Some(s) = &patch.stage {
        match code_of(&STAGES, s) {
            Some(s) if s != before.stage => {
                after.stage = s.to_string();
                entries.push(("stage", None, s.to_string()));
            }
            Some(_) => {}
            None => errs.push("stage", "cases.bad_stage"),
        }
    }
    if let Some(h) = &patch.handler {
        let h = text(h, 50);
        if h != before.handler {
            entries.push(("assigned", None, h.clone().unwrap_or_default()));
            after.handler = h;
        }
    }
    if let Some(username) = &patch.handler_account {
        match username.trim() {
            "" => after.handler_account = None,
            u => match crate::accounts::lawyers_for(tx, &before.org_path)
                .await?
                .into_iter()
                .find(|l| l.username == u)
            {
                Some(l) => {
                    after.handler_account = Some(l.id);
                    after.handler = Some(l.display_name);
                }
                None => errs.push("handler_account", "cases.bad_lawyer"),
            },
        }
        if after.handler_account != before.handler_account {
            if after.handler_account.is_none() && after.handler == before.handler {
                after.handler = None;
            }
            entries.retain(|(k, ..)| *k != "assigned");
            entries.push(("assigned", None, after.handler.clone().unwrap_or_default()));
        }
    }
    if let Some(c) = &patch.claimed {
        after.claimed_fen = amount("claimed", c, &mut errs);
    }
    if let Some(e) = &patch.employer {
        after.employer = text(e, 100);
    }
    if let Some(s) = &patch.summary {
        after.summary = text(s, 2000).unwrap_or_default();
    }
    if patch.reopen {
        if before.status != "closed" {
            return Err(Error::conflict("status", "cases.not_closed"));
        }
        after.status = "open".into();
        after.closed_on = None;
        after.outcome = None;
        after.recovered_fen = 0;
        entries.push(("reopened", None, String::new()));
    } else if let Some(o) = patch.outcome.as_deref().filter(|o| !o.trim().is_empty()) {
        match code_of(&OUTCOMES, o) {
            Some(o) => {
                if before.status == "closed" {
                    return Err(Error::conflict("status", "cases.closed_already"));
                }
                let closed_on = match patch.closed_on.as_deref().map(str::trim) {
                    None | Some("") => Some(caller.today),
                    Some(d) => crate::sheets::parse_date(d)
                        .filter(|d| *d <= caller.today && *d >= before.opened_on),
                };
                if closed_on.is_none() {
                    errs.push("closed_on", "cases.bad_closed_on");
                }
                after.status = "closed".into();
                after.outcome = Some(o.to_string());
                after.closed_on = closed_on;
                after.recovered_fen = amount(
                    "recovered",
                    patch.recovered.as_deref().unwrap_or(""),
                    &mut errs,
                );
                entries.push(("closed", closed_on, o.to_string()));
            }
            None => errs.push("outcome", "cases.bad_outcome"),
        }
    }
    if after.recovered_fen > after.claimed_fen.saturating_mul(10) && after.recovered_fen > 0 {
        errs.push("recovered", "cases.recovered_too_high");
    }
    // Handing up: to a federation above the case's union, active.
    let mut handed: Option<orgs::OrgUnit> = None;
    if let Some(code) = patch
        .hand_to
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match orgs::get(tx, &Scope::operator(), code).await {
            Ok(up)
                if before.org_path.starts_with(&up.path)
                    && up.path != before.org_path
                    && up.is_active() =>
            {
                entries.push(("handed_up", None, up.name.clone()));
                handed = Some(up);
            }
            Ok(_) | Err(Error::NotFound) => errs.push("hand_to", "cases.bad_hand_to"),
            Err(e) => return Err(e),
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    if let Some(n) = patch.note.as_deref().and_then(|n| text(n, 2000)) {
        entries.push(("note", None, n));
    }
    let people: Vec<String> = person_of_case(tx, id).await?.into_iter().collect();
    let helped = helped_before(tx, &people).await?;
    const SQL: &str = "UPDATE rights_cases SET kind = $2, stage = $3, handler = $4, claimed_fen = $5, employer = $6,
        summary = $7, status = $8, outcome = $9, closed_on = $10, recovered_fen = $11, updated_at = $12,
        handler_account = $13 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(&after.kind).bind(&after.stage).bind(&after.handler)
        .bind(after.claimed_fen).bind(&after.employer).bind(&after.summary).bind(&after.status).bind(&after.outcome)
        .bind(after.closed_on).bind(after.recovered_fen).bind(caller.at).bind(after.handler_account)
        .execute(c).await.map(|r| r.rows_affected()))?;
    match &handed {
        None => {
            let mut moved = case_deltas(&before, -1);
            moved.extend(case_deltas(&after, 1));
            counts::bump(tx, &before.org_path, &moved).await?;
        }
        Some(up) => {
            const HAND: &str = "UPDATE rights_cases SET org_id = $2 WHERE id = $1";
            on_db!(tx.conn(), c => sqlx::query(HAND).bind(id).bind(up.id).execute(c).await.map(|r| r.rows_affected()))?;
            counts::bump(tx, &before.org_path, &case_deltas(&before, -1)).await?;
            counts::bump(tx, &up.path, &case_deltas(&after, 1)).await?;
        }
    }
    helped_after(tx, &people, helped).await?;
    let tell = entries
        .iter()
        .any(|(k, ..)| matches!(*k, "stage" | "closed" | "reopened"));
    for (kind, on, text) in &entries {
        event(tx, id, kind, *on, text, &caller.actor.name, caller.at).await?;
    }
    caller
        .audit(
            tx,
            "cases.update",
            &id.to_string(),
            Some(&before.org_path),
            serde_json::json!({
                "before": {"kind": before.kind, "stage": before.stage, "status": before.status, "claimed_fen": before.claimed_fen,
                    "recovered_fen": before.recovered_fen, "outcome": before.outcome, "handler": before.handler,
                    "handler_account": before.handler_username},
                "after": {"kind": after.kind, "stage": after.stage, "status": after.status, "claimed_fen": after.claimed_fen,
                    "recovered_fen": after.recovered_fen, "outcome": after.outcome, "handler": after.handler,
                    "handler_account": patch.handler_account.as_deref().map(str::trim),
                    "org": handed.as_ref().map_or(&before.org_code, |u| &u.code)},
            }),
        )
        .await?;
    // Handed up, the case may have left the caller's subtree: they see it this once, as staff.
    let now = match &handed {
        None => get(tx, &caller.scope, id).await?,
        Some(_) => get(tx, &Scope::operator(), id).await?,
    };
    Ok((now, tell))
}

/// Adds photos of documents to a case (its staff or its lawyer): a `document` entry on the
/// timeline says how many, and the change is audited.
pub async fn add_photos(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    uploads: &super::photos::Uploads,
    photos: &[super::photos::Prepared],
) -> Result<Vec<Uuid>> {
    let c = get(tx, &caller.scope, id).await?;
    staff_check(caller, &c)?;
    if photos.is_empty() {
        return Err(Error::invalid("photos", "photos.none"));
    }
    let ids = super::photos::attach(
        tx,
        uploads,
        super::photos::Owner::Case(id),
        photos,
        &caller.actor.name,
        caller.at,
    )
    .await?;
    let text = format!("照片 {} 张", photos.len());
    event(
        tx,
        id,
        "document",
        None,
        &text,
        &caller.actor.name,
        caller.at,
    )
    .await?;
    const TOUCH: &str = "UPDATE rights_cases SET updated_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c2 => sqlx::query(TOUCH).bind(id).bind(caller.at).execute(c2).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "cases.photos",
            &id.to_string(),
            Some(&c.org_path),
            serde_json::json!({"photos": ids}),
        )
        .await?;
    Ok(ids)
}

/// Adds a note, a hearing, a deadline or a document to a case's timeline (staff or above).
pub async fn add_entry(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    input: &EntryInput,
) -> Result<CaseEvent> {
    let c = get(tx, &caller.scope, id).await?;
    staff_check(caller, &c)?;
    let mut errs = FieldErrors::new();
    let kind = ENTRY_KINDS
        .iter()
        .find(|k| **k == input.kind.trim())
        .copied();
    if kind.is_none() {
        errs.push("kind", "cases.bad_entry");
    }
    let on = match input.on.trim() {
        "" => None,
        d => {
            let parsed = crate::sheets::parse_date(d);
            if parsed.is_none() {
                errs.push("on", "errors.bad_date");
            }
            parsed
        }
    };
    if matches!(kind, Some("hearing" | "deadline")) && on.is_none() && input.on.trim().is_empty() {
        errs.push("on", "cases.day_required");
    }
    let body = text(&input.text, 2000);
    if body.is_none() && !matches!(kind, Some("hearing" | "deadline")) {
        errs.push("text", "cases.text_required");
    }
    let Some(kind) = kind.filter(|_| errs.is_empty()) else {
        return Err(errs.into());
    };
    let body = body.unwrap_or_default();
    event(tx, id, kind, on, &body, &caller.actor.name, caller.at).await?;
    const TOUCH: &str = "UPDATE rights_cases SET updated_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c2 => sqlx::query(TOUCH).bind(id).bind(caller.at).execute(c2).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "cases.entry",
            &id.to_string(),
            Some(&c.org_path),
            serde_json::json!({"kind": kind}),
        )
        .await?;
    let all = events_of(tx, id).await?;
    all.into_iter().next_back().ok_or(Error::NotFound)
}

/// A worker's own cases (of any membership of theirs), newest first, each with its timeline.
pub async fn of_person(tx: &mut Tx, person: Uuid) -> Result<Vec<(Case, Vec<CaseEvent>)>> {
    let sql = format!(
        "{SELECT} WHERE c.membership_id IN (SELECT id FROM memberships WHERE person_id = $1) ORDER BY c.opened_on DESC, c.id DESC LIMIT 20"
    );
    let cases: Vec<Case> =
        on_db!(tx.conn(), c => sqlx::query_as::<_, Case>(&sql).bind(person).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        let events = events_of(tx, c.id).await?;
        out.push((c, events));
    }
    Ok(out)
}

/// What every case counter should be, for the recount: (path, delta) from the base table,
/// summed by the database (a row per unit, kind and day, not per case).
pub async fn expected(tx: &mut Tx) -> Result<Vec<(String, Delta)>> {
    const OPENED: &str = "SELECT o.path, c.kind, c.opened_on, COUNT(*), CAST(SUM(c.claimed_fen) AS BIGINT)
        FROM rights_cases c JOIN org_units o ON o.id = c.org_id GROUP BY o.path, c.kind, c.opened_on";
    const CLOSED: &str =
        "SELECT o.path, c.closed_on, COUNT(*), CAST(SUM(c.recovered_fen) AS BIGINT)
        FROM rights_cases c JOIN org_units o ON o.id = c.org_id WHERE c.closed_on IS NOT NULL
        GROUP BY o.path, c.closed_on";
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let opened: Vec<(String, String, NaiveDate, i64, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(OPENED).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(opened.len() * 2);
    for (path, kind, on, n, claimed) in opened {
        out.push((
            path.clone(),
            Delta::new(metric::CASES_OPENED, format!("{}:{kind}", day(on)), n),
        ));
        out.push((path, Delta::new(metric::CASES_CLAIMED, day(on), claimed)));
    }
    let closed: Vec<(String, NaiveDate, i64, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(CLOSED).fetch_all(c).await)?;
    for (path, on, n, recovered) in closed {
        out.push((path.clone(), Delta::new(metric::CASES_CLOSED, day(on), n)));
        out.push((
            path,
            Delta::new(metric::CASES_RECOVERED, day(on), recovered),
        ));
    }
    Ok(out)
}

/// What every first-help-day counter should be: rows of each subtree's own path (not to be
/// added to the ancestors: a person helped in two townships counts once in their county).
pub async fn expected_helped(tx: &mut Tx) -> Result<Vec<(String, Delta)>> {
    const HELPED: &str = "SELECT o.path, c.person_key, c.closed_on FROM rights_cases c JOIN org_units o ON o.id = c.org_id
        WHERE c.recovered_fen > 0 AND c.closed_on IS NOT NULL";
    let helped: Vec<(String, String, NaiveDate)> =
        on_db!(tx.conn(), c => sqlx::query_as(HELPED).fetch_all(c).await)?;
    Ok(helped_firsts(&helped))
}

/// The first-help-day counter rows of cases' rows (path, person, day closed with money
/// recovered): per subtree (the path and each ancestor), person and year, +1 on the first day.
pub fn helped_firsts(rows: &[(String, String, NaiveDate)]) -> Vec<(String, Delta)> {
    use chrono::Datelike;
    use std::collections::BTreeMap;
    let mut first: BTreeMap<(String, &str, i32), NaiveDate> = BTreeMap::new();
    for (path, person, day) in rows {
        for prefix in counts::prefixes(path) {
            let e = first
                .entry((prefix.to_string(), person.as_str(), day.year()))
                .or_insert(*day);
            *e = (*e).min(*day);
        }
    }
    first
        .into_iter()
        .map(|((path, _, _), day)| {
            (
                path,
                Delta::new(
                    metric::CASES_HELPED_FIRST,
                    day.format("%Y-%m-%d").to_string(),
                    1,
                ),
            )
        })
        .collect()
}

/// The first-help-day rows of some people, from their cases as they stand.
async fn helped_of(tx: &mut Tx, people: &[String]) -> Result<Vec<(String, Delta)>> {
    let mut rows = Vec::new();
    // A few hundred people a statement (an import touches many).
    for chunk in people.chunks(400) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT o.path, c.person_key, c.closed_on FROM rights_cases c JOIN org_units o ON o.id = c.org_id
            WHERE c.person_key IN ({}) AND c.recovered_fen > 0 AND c.closed_on IS NOT NULL",
            marks.join(", ")
        );
        let found: Vec<(String, String, NaiveDate)> = on_db!(tx.conn(), c => {
            let mut q = sqlx::query_as(&sql);
            for key in chunk {
                q = q.bind(key);
            }
            q.fetch_all(c).await
        })?;
        rows.extend(found);
    }
    Ok(helped_firsts(&rows))
}

/// Who a case is about (the key the first-help-day counters are kept by).
pub async fn person_of_case(tx: &mut Tx, case: Uuid) -> Result<Option<String>> {
    const SQL: &str = "SELECT person_key FROM rights_cases WHERE id = $1";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(case).fetch_optional(c).await)?)
}

/// Keeps the first-help-day counters of `people` right across a change of their cases: call
/// with the rows before the change (from [`helped_before`]) once the change is written.
pub async fn helped_after(
    tx: &mut Tx,
    people: &[String],
    before: Vec<(String, Delta)>,
) -> Result<()> {
    let after = helped_of(tx, people).await?;
    let mut rows: Vec<(String, &'static str, String, i64)> = before
        .into_iter()
        .map(|(p, d)| (p, d.metric, d.key, -d.n))
        .collect();
    rows.extend(after.into_iter().map(|(p, d)| (p, d.metric, d.key, d.n)));
    counts::add_rows(tx, rows).await
}

/// The first-help-day rows of `people` before a change of their cases.
pub async fn helped_before(tx: &mut Tx, people: &[String]) -> Result<Vec<(String, Delta)>> {
    helped_of(tx, people).await
}

/// Distinct workers helped: with a case of the subtree closed in the period with money recovered.
pub async fn workers_helped(
    tx: &mut Tx,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT COUNT(DISTINCT c.person_key) FROM rights_cases c JOIN org_units o ON o.id = c.org_id
        WHERE c.closed_on >= $1 AND c.closed_on <= $2 AND c.recovered_fen > 0 AND o.path >= $3 AND o.path < $4";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(from).bind(to).bind(&lo).bind(&hi).fetch_one(c).await)?,
    )
}

/// The cases of the queue's filter, all of them, in the import sheet's layout (ID numbers
/// masked: a masked number imported again leaves the number on record as it is).
pub async fn export(
    store: &crate::Store,
    caller: &Caller,
    filter: &CaseFilter,
    zh: bool,
) -> Result<Vec<u8>> {
    let spec = crate::sheets::Export {
        sheet: ("维权案件", "cases"),
        columns: &super::cases_sheet::COLUMNS,
        widths: &[
            20.0, 14.0, 12.0, 10.0, 10.0, 20.0, 14.0, 20.0, 12.0, 14.0, 14.0, 12.0, 12.0, 40.0,
        ],
        action: "cases.export",
        subject: filter.org.as_deref().unwrap_or("*"),
        filter: serde_json::json!({"q": filter.q.as_deref().map(crate::audit::mask_digit_runs),
            "kind": filter.kind, "status": filter.status}),
    };
    crate::sheets::export(store, caller, spec, zh, async |tx, sheet| {
        let label = |list: &[(&'static str, &'static str)], code: &str| {
            if zh {
                list.iter()
                    .find(|(c, _)| *c == code)
                    .map_or(code.to_string(), |(_, z)| z.to_string())
            } else {
                code.to_string()
            }
        };
        let mut n = 0u64;
        let mut page = 1;
        loop {
            let found = list(
                tx,
                &caller.scope,
                filter,
                PageRequest::new(Some(page), Some(200)),
            )
            .await?;
            for c in &found.items {
                sheet
                    .push(&[
                        c.case_no.clone(),
                        c.org_code.clone(),
                        label(&KINDS, &c.kind),
                        label(&STAGES, &c.stage),
                        c.name.clone(),
                        c.id_number.clone().unwrap_or_default(),
                        c.phone.clone(),
                        c.employer_uscc.clone().unwrap_or_default(),
                        c.opened_on.to_string(),
                        money::yuan(c.claimed_fen).replace(',', ""),
                        if c.status == "closed" {
                            money::yuan(c.recovered_fen).replace(',', "")
                        } else {
                            String::new()
                        },
                        c.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                        c.outcome
                            .as_deref()
                            .map(|o| label(&OUTCOMES, o))
                            .unwrap_or_default(),
                        c.summary.clone(),
                    ])
                    .map_err(Error::Internal)?;
                n += 1;
            }
            if found.items.len() < 200 {
                break;
            }
            page += 1;
        }
        Ok(n)
    })
    .await
}
