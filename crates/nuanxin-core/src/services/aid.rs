//! Mutual aid (互助保障): a union's plan (accident, hospitalisation, critical illness) with a
//! coverage period, a premium per person paid by the union (a gift) or the member, a benefit
//! schedule of fixed sums per event and the worker groups it is for. Cadres enrol members in bulk
//! from a filtered list (a preview of the count and cost first; one enrolment per person per
//! plan); enrolled members file claims for an incident in their coverage (one per incident),
//! reviewed entered → checked → approved / rejected → paid.
//!
//! A plan is seen and run by the cadres of its union and those above; it covers members of the
//! unions below. Enrolments and claims belong to the member's union: its cadres and their
//! parents see them, and every one adds to the maintained counters of that union and every
//! ancestor (`aid_enrolled` and `aid_premium` by the day coverage starts, `aid_claims` by the day
//! filed, `aid_approved` by the day approved, `aid_paid` by the day paid).

use super::money;
use crate::accounts::Caller;
use crate::coverage::counts::{self, metric, Delta};
use crate::error::FieldErrors;
use crate::members::WorkerGroup;
use crate::page::{Page, PageRequest};
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Kinds of plan.
pub const PLAN_KINDS: [(&str, &str); 4] = [
    ("accident", "意外伤害"),
    ("hospital", "住院医疗"),
    ("critical_illness", "重大疾病"),
    ("other", "其他"),
];

/// Who pays the premium: the union (a gift to its members) or the member.
pub const PAYERS: [(&str, &str); 2] = [("union", "工会赠送"), ("member", "会员自费")];

/// The events a benefit schedule pays a fixed sum for.
pub const EVENTS: [(&str, &str); 6] = [
    ("death", "身故"),
    ("disability", "伤残"),
    ("hospital", "住院"),
    ("outpatient", "门诊"),
    ("critical_illness", "重疾确诊"),
    ("other", "其他"),
];

/// A claim's steps.
pub const CLAIM_STATUSES: [&str; 5] = ["entered", "checked", "approved", "rejected", "paid"];

/// A plan as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Plan {
    pub id: Uuid,
    /// The union that runs the plan.
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub kind: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Premium per person, in fen.
    pub premium_fen: i64,
    /// `union` or `member`.
    pub payer: String,
    /// The fixed sum per event, in fen: `{"death": 10000000, "hospital": 500000}`.
    #[serde(serialize_with = "benefits_json")]
    #[schema(value_type = Object)]
    pub benefits: String,
    /// The most one person may receive from the plan, in fen (0: the schedule only).
    pub cap_fen: i64,
    /// Worker groups it is for (empty: every group).
    #[serde(serialize_with = "groups_list")]
    #[schema(value_type = Vec<String>)]
    pub groups: String,
    pub insurer: String,
    /// Members enrolled (in the whole plan).
    pub enrolled: i64,
    pub created_at: i64,
}

fn benefits_json<S: serde::Serializer>(raw: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    parse_benefits(raw).serialize(s)
}

fn groups_list<S: serde::Serializer>(raw: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    split_groups(raw).serialize(s)
}

fn parse_benefits(raw: &str) -> BTreeMap<String, i64> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn split_groups(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

impl Plan {
    /// The schedule: (event, fen), in the order of [`EVENTS`].
    pub fn schedule(&self) -> Vec<(&'static str, i64)> {
        let b = parse_benefits(&self.benefits);
        EVENTS
            .iter()
            .filter_map(|(e, _)| b.get(*e).map(|n| (*e, *n)))
            .collect()
    }

    pub fn group_codes(&self) -> Vec<String> {
        split_groups(&self.groups)
    }
}

/// A plan as a cadre defines it (`POST /api/v1/aid/plans`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanInput {
    pub org_code: String,
    pub name: String,
    pub kind: String,
    pub starts_on: String,
    pub ends_on: String,
    /// Yuan per person, at most two decimals.
    pub premium: String,
    /// `union` (default) or `member`.
    pub payer: String,
    /// Yuan per event: `{"death": "100000", "hospital": "5000"}`; at least one.
    pub benefits: BTreeMap<String, String>,
    /// Yuan, the most one person may receive (optional).
    pub cap: String,
    /// Worker group codes or Chinese names; none: every group.
    pub groups: Vec<String>,
    pub insurer: String,
}

const PLAN_SELECT: &str =
    "SELECT p.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, p.name, p.kind,
        p.starts_on, p.ends_on, p.premium_fen, p.payer, p.benefits, p.cap_fen, p.groups, p.insurer,
        (SELECT COUNT(*) FROM aid_enrolments e WHERE e.plan_id = p.id) AS enrolled, p.created_at
    FROM aid_plans p JOIN org_units o ON o.id = p.org_id";

fn code_in(list: &[(&'static str, &'static str)], typed: &str) -> Option<&'static str> {
    super::cases::code_of(list, typed)
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn yuan_field(field: &'static str, typed: &str, errs: &mut FieldErrors) -> i64 {
    money::parse_yuan(typed).unwrap_or_else(|code| {
        errs.push(field, code);
        0
    })
}

/// Defines a plan (staff of its union, or above). All problems at once.
pub async fn create_plan(tx: &mut Tx, caller: &Caller, input: &PlanInput) -> Result<Plan> {
    let mut errs = FieldErrors::new();
    let org = match orgs::get(tx, &caller.scope, input.org_code.trim()).await {
        Ok(o) if caller.scope.role_at(&o.path) < Some(Role::Staff) => return Err(Error::Forbidden),
        Ok(o) if !o.is_active() => {
            errs.push("org_code", "orgs.dissolved_readonly");
            None
        }
        Ok(o) => Some(o),
        Err(Error::NotFound) => {
            errs.push("org_code", "cases.unknown_org");
            None
        }
        Err(e) => return Err(e),
    };
    let name: String = input.name.trim().chars().take(100).collect();
    if name.is_empty() {
        errs.push("name", "aid.name_required");
    }
    let kind = code_in(&PLAN_KINDS, &input.kind);
    if kind.is_none() {
        errs.push("kind", "aid.bad_kind");
    }
    let payer = match input.payer.trim() {
        "" => Some("union"),
        p => code_in(&PAYERS, p),
    };
    if payer.is_none() {
        errs.push("payer", "aid.bad_payer");
    }
    let mut date = |field: &'static str, typed: &str| {
        let d = crate::sheets::parse_date(typed.trim());
        if d.is_none() {
            errs.push(field, "errors.bad_date");
        }
        d
    };
    let starts_on = date("starts_on", &input.starts_on);
    let ends_on = date("ends_on", &input.ends_on);
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s || (e - s).num_days() > 366 * 3 {
            errs.push("ends_on", "aid.bad_period");
        }
    }
    let premium_fen = yuan_field("premium", &input.premium, &mut errs);
    let cap_fen = yuan_field("cap", &input.cap, &mut errs);
    let mut benefits = BTreeMap::new();
    for (event, typed) in &input.benefits {
        if typed.trim().is_empty() {
            continue;
        }
        match code_in(&EVENTS, event) {
            Some(e) => {
                let fen = yuan_field("benefits", typed, &mut errs);
                if fen > 0 {
                    benefits.insert(e.to_string(), fen);
                }
            }
            None => errs.push("benefits", "aid.bad_event"),
        }
    }
    if benefits.is_empty() {
        errs.push("benefits", "aid.benefits_required");
    }
    let mut groups = Vec::new();
    for g in input.groups.iter().filter(|g| !g.trim().is_empty()) {
        match WorkerGroup::parse(g.trim()) {
            Some(w) => groups.push(w.as_str()),
            None => errs.push("groups", "aid.bad_group"),
        }
    }
    groups.sort_unstable();
    groups.dedup();
    let (Some(org), Some(kind), Some(payer), Some(starts_on), Some(ends_on), true) =
        (org, kind, payer, starts_on, ends_on, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let id = new_id();
    let benefits_raw = serde_json::to_string(&benefits).map_err(|e| Error::Internal(e.into()))?;
    const SQL: &str = "INSERT INTO aid_plans (id, org_id, name, kind, starts_on, ends_on, premium_fen, payer, benefits,
            cap_fen, groups, insurer, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&name).bind(kind).bind(starts_on).bind(ends_on)
        .bind(premium_fen).bind(payer).bind(&benefits_raw).bind(cap_fen).bind(groups.join(","))
        .bind(input.insurer.trim().chars().take(100).collect::<String>()).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "aid.plan_create",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"name": name, "premium_fen": premium_fen, "kind": kind}),
        )
        .await?;
    get_plan(tx, &caller.scope, id).await
}

/// The condition on the plan's union path `o.path` for the plans a scope sees: its own and those
/// below. (A plan of a union above is its cadres' to run; the members it covers below are seen
/// through their enrolments and claims.)
fn plans_seen(q: &mut Sql, scope: &Scope) {
    q.push(" WHERE ").scope("o.path", scope);
}

/// A plan the scope sees.
pub async fn get_plan(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Plan> {
    let mut q = Sql::new(PLAN_SELECT);
    plans_seen(&mut q, scope);
    q.push(" AND p.id = ").arg(id);
    on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Plan>(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// The plans a scope sees, newest first.
pub async fn plans(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Plan>> {
    if scope.roots().is_empty() {
        return Err(Error::NotFound);
    }
    let mut count =
        Sql::new("SELECT COUNT(*) FROM aid_plans p JOIN org_units o ON o.id = p.org_id");
    plans_seen(&mut count, scope);
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count.sql), &count.args).fetch_one(c).await)?;
    let mut q = Sql::new(PLAN_SELECT);
    plans_seen(&mut q, scope);
    q.push(" ORDER BY p.starts_on DESC, p.id LIMIT ")
        .arg(page.limit())
        .push(" OFFSET ")
        .arg(page.offset());
    let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Plan>(&q.sql), &q.args).fetch_all(c).await)?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Which members a bulk enrolment takes (`POST /api/v1/aid/plans/{id}/enrol`): always only the
/// plan's groups, inside the plan's subtree.
pub use super::selection::MemberFilter as EnrolFilter;

/// What a bulk enrolment found and did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct EnrolReport {
    pub dry_run: bool,
    /// Members the filter selects.
    pub matched: i64,
    /// Of them, enrolled in the plan already.
    pub already: i64,
    /// Enrolled now (in a dry run: who would be).
    pub enrolled: i64,
    /// Premium of those enrolled now, in fen.
    pub premium_fen: i64,
}

/// Enrols the members `filter` selects in the plan (staff of the unit filtered, inside the
/// plan's subtree). One enrolment per person per plan: those enrolled already are counted apart.
pub async fn enrol(
    tx: &mut Tx,
    caller: &Caller,
    plan_id: Uuid,
    filter: &EnrolFilter,
) -> Result<EnrolReport> {
    let plan = get_plan(tx, &caller.scope, plan_id).await?;
    if plan.ends_on < caller.today {
        return Err(Error::conflict("plan", "aid.plan_ended"));
    }
    let sel = super::selection::check(
        tx,
        caller,
        filter,
        &plan.org_code,
        &plan.org_path,
        "aid.outside_plan",
    )
    .await?;
    let mut q = sel.query(
        "SELECT 1 FROM aid_enrolments e WHERE e.plan_id = $ AND e.person_id = m.person_id",
        plan.id,
    );
    let groups = plan.group_codes();
    if !groups.is_empty() {
        q.push(" AND m.worker_group IN (");
        for (i, g) in groups.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(g.clone());
        }
        q.push(")");
    }
    q.push(" ORDER BY o.path, m.id");
    type Row = super::selection::Selected;
    let rows: Vec<Row> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Row>(&q.sql), &q.args).fetch_all(c).await)?;
    let already = rows.iter().filter(|r| r.4).count() as i64;
    let fresh: Vec<&Row> = rows.iter().filter(|r| !r.4).collect();
    let mut report = EnrolReport {
        dry_run: filter.dry_run,
        matched: rows.len() as i64,
        already,
        enrolled: fresh.len() as i64,
        premium_fen: fresh.len() as i64 * plan.premium_fen,
    };
    if filter.dry_run {
        return Ok(report);
    }
    let from = plan.starts_on.max(caller.today);
    const INSERT: &str =
        "INSERT INTO aid_enrolments (id, plan_id, person_id, membership_id, org_id, covered_from,
            covered_to, premium_fen, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (plan_id, person_id) DO NOTHING";
    let mut by_path: BTreeMap<String, i64> = BTreeMap::new();
    let mut enrolled = 0;
    for (membership, person, org_id, path, _) in fresh {
        let n = on_db!(tx.conn(), c => sqlx::query(INSERT).bind(new_id()).bind(plan.id).bind(person).bind(membership)
            .bind(org_id).bind(from).bind(plan.ends_on).bind(plan.premium_fen).bind(caller.at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n > 0 {
            *by_path.entry(path.clone()).or_default() += 1;
            enrolled += 1;
        }
    }
    let mut rows = Vec::new();
    for (path, n) in &by_path {
        rows.extend(counts::rows(
            path,
            &enrol_deltas(from, *n, plan.premium_fen),
        ));
    }
    counts::add_rows(tx, rows).await?;
    report.enrolled = enrolled;
    report.premium_fen = enrolled * plan.premium_fen;
    caller
        .audit(
            tx,
            "aid.enrol",
            &plan.id.to_string(),
            Some(&sel.unit.path),
            {
                let mut d = sel.detail();
                d["enrolled"] = enrolled.into();
                d
            },
        )
        .await?;
    Ok(report)
}

fn enrol_deltas(from: NaiveDate, n: i64, premium_fen: i64) -> Vec<Delta> {
    vec![
        Delta::new(metric::AID_ENROLLED, day(from), n),
        Delta::new(metric::AID_PREMIUM, day(from), n * premium_fen),
    ]
}

/// One enrolled member as the plan's sheet lists them (ID numbers masked).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Enrolment {
    pub id: Uuid,
    pub name: String,
    pub id_number: String,
    #[serde(skip)]
    pub phone: String,
    pub member_no: Option<String>,
    pub org_name: String,
    pub worker_group: String,
    pub employer: Option<String>,
    pub covered_from: NaiveDate,
    pub covered_to: NaiveDate,
    pub premium_fen: i64,
}

/// The plan's enrolments in the caller's scope, by union and name (the insurer's sheet).
pub async fn enrolments(
    tx: &mut Tx,
    scope: &Scope,
    plan: Uuid,
    page: Option<PageRequest>,
) -> Result<(i64, Vec<Enrolment>)> {
    let filtered = |q: &mut Sql| {
        q.push(" WHERE e.plan_id = ")
            .arg(plan)
            .push(" AND ")
            .scope("o.path", scope);
    };
    let mut count =
        Sql::new("SELECT COUNT(*) FROM aid_enrolments e JOIN org_units o ON o.id = e.org_id");
    filtered(&mut count);
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count.sql), &count.args).fetch_one(c).await)?;
    let mut q = Sql::new(
        "SELECT e.id, p.name, p.id_mask AS id_number, p.phone, m.member_no, o.name AS org_name, m.worker_group, m.employer,
            e.covered_from, e.covered_to, e.premium_fen
        FROM aid_enrolments e JOIN people p ON p.id = e.person_id JOIN memberships m ON m.id = e.membership_id
        JOIN org_units o ON o.id = e.org_id",
    );
    filtered(&mut q);
    q.push(" ORDER BY o.path, p.name, e.id");
    if let Some(page) = page {
        q.push(" LIMIT ")
            .arg(page.limit())
            .push(" OFFSET ")
            .arg(page.offset());
    }
    let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Enrolment>(&q.sql), &q.args).fetch_all(c).await)?;
    Ok((total, items))
}

/// The plan's enrolments in the insurer's layout (参保人员清单): every one in the caller's scope.
pub async fn export_enrolments(
    store: &crate::Store,
    caller: &Caller,
    plan: Uuid,
    zh: bool,
) -> Result<Vec<u8>> {
    const COLUMNS: [crate::sheets::Column; 11] = [
        crate::sheets::Column::new("seq", "序号", true),
        crate::sheets::Column::new("name", "被保险人姓名", true),
        crate::sheets::Column::new("id_type", "证件类型", true),
        crate::sheets::Column::new("id_number", "证件号码", true),
        crate::sheets::Column::new("phone", "联系电话", true),
        crate::sheets::Column::new("group", "职业类别", true),
        crate::sheets::Column::new("employer", "工作单位", false),
        crate::sheets::Column::new("org_name", "所属工会", true),
        crate::sheets::Column::new("covered_from", "保障起期", true),
        crate::sheets::Column::new("covered_to", "保障止期", true),
        crate::sheets::Column::new("premium", "保费（元）", true),
    ];
    let spec = crate::sheets::Export {
        sheet: ("参保人员清单", "enrolments"),
        columns: &COLUMNS,
        widths: &[
            6.0, 12.0, 10.0, 22.0, 14.0, 12.0, 24.0, 24.0, 12.0, 12.0, 10.0,
        ],
        action: "aid.export",
        subject: &plan.to_string(),
        filter: serde_json::json!({}),
    };
    crate::sheets::export(store, caller, spec, zh, async |tx, sheet| {
        get_plan(tx, &caller.scope, plan).await?;
        let (_, all) = enrolments(tx, &caller.scope, plan, None).await?;
        for (i, e) in all.iter().enumerate() {
            let group = WorkerGroup::parse(&e.worker_group)
                .map(|g| if zh { g.zh() } else { g.as_str() })
                .unwrap_or("");
            sheet
                .push(&[
                    (i + 1).to_string(),
                    e.name.clone(),
                    if zh { "居民身份证" } else { "resident ID" }.to_string(),
                    e.id_number.clone(),
                    crate::members::identity::Phone::parse(&e.phone)
                        .map(|p| p.mask())
                        .unwrap_or_default(),
                    group.to_string(),
                    e.employer.clone().unwrap_or_default(),
                    e.org_name.clone(),
                    e.covered_from.to_string(),
                    e.covered_to.to_string(),
                    money::yuan(e.premium_fen).replace(',', ""),
                ])
                .map_err(Error::Internal)?;
        }
        Ok(all.len() as u64)
    })
    .await
}

/// A claim as cadres, the API and the member see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Claim {
    pub id: Uuid,
    pub claim_no: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub member_no: Option<String>,
    /// Masked for viewers.
    pub phone: String,
    pub incident_on: NaiveDate,
    pub event: String,
    pub summary: String,
    pub status: String,
    pub claimed_fen: i64,
    pub approved_fen: i64,
    pub paid_fen: i64,
    pub reason: Option<String>,
    pub filed_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
    /// `member` (filed from /me) or `cadre`.
    pub source: String,
    pub updated_at: i64,
}

/// One step of a claim.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ClaimEvent {
    pub at: i64,
    pub status: String,
    pub amount_fen: Option<i64>,
    pub text: String,
    pub actor: String,
}

const CLAIM_SELECT: &str = "SELECT c.id, c.claim_no, p.id AS plan_id, p.name AS plan_name, o.code AS org_code,
        o.name AS org_name, o.path AS org_path, pe.name, m.member_no, pe.phone, c.incident_on, c.event, c.summary,
        c.status, c.claimed_fen, c.approved_fen, c.paid_fen, c.reason, c.filed_on, c.decided_on, c.paid_on, c.source,
        c.updated_at
    FROM aid_claims c JOIN aid_enrolments e ON e.id = c.enrolment_id JOIN aid_plans p ON p.id = e.plan_id
    JOIN people pe ON pe.id = e.person_id JOIN memberships m ON m.id = e.membership_id
    JOIN org_units o ON o.id = c.org_id";

/// A claim as it is filed: by a cadre (`POST /api/v1/aid/claims`, naming the member by
/// membership number) or by the member from `/me` (their own enrolment).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClaimInput {
    pub plan_id: Option<Uuid>,
    /// The member's membership number (a cadre filing for them).
    pub member_no: String,
    pub incident_on: String,
    /// An event of the plan's schedule.
    pub event: String,
    /// Yuan.
    pub claimed: String,
    pub summary: String,
}

struct Enrolled {
    id: Uuid,
    org_id: Uuid,
    path: String,
    covered_from: NaiveDate,
    covered_to: NaiveDate,
    benefits: String,
}

/// The enrolment in `plan` of the member with membership number `member_no`, or of `person`.
async fn enrolled(
    tx: &mut Tx,
    plan: Uuid,
    member_no: Option<&str>,
    person: Option<Uuid>,
) -> Result<Option<Enrolled>> {
    const BY_NO: &str = "SELECT e.id, e.org_id, o.path, e.covered_from, e.covered_to, p.benefits FROM aid_enrolments e
        JOIN org_units o ON o.id = e.org_id JOIN aid_plans p ON p.id = e.plan_id
        JOIN memberships m ON m.person_id = e.person_id WHERE e.plan_id = $1 AND m.member_no = $2";
    const BY_PERSON: &str = "SELECT e.id, e.org_id, o.path, e.covered_from, e.covered_to, p.benefits FROM aid_enrolments e
        JOIN org_units o ON o.id = e.org_id JOIN aid_plans p ON p.id = e.plan_id WHERE e.plan_id = $1 AND e.person_id = $2";
    type Row = (Uuid, Uuid, String, NaiveDate, NaiveDate, String);
    let row: Option<Row> = match (member_no, person) {
        (Some(no), _) => {
            on_db!(tx.conn(), c => sqlx::query_as::<_, Row>(BY_NO).bind(plan).bind(no).fetch_optional(c).await)?
        }
        (None, Some(p)) => {
            on_db!(tx.conn(), c => sqlx::query_as::<_, Row>(BY_PERSON).bind(plan).bind(p).fetch_optional(c).await)?
        }
        (None, None) => None,
    };
    Ok(row.map(
        |(id, org_id, path, covered_from, covered_to, benefits)| Enrolled {
            id,
            org_id,
            path,
            covered_from,
            covered_to,
            benefits,
        },
    ))
}

fn new_claim_no(today: NaiveDate) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let tail: String = (0..5)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("HZ{}{tail}", today.format("%Y%m%d"))
}

/// Files a claim on an enrolment, checked: the incident in the coverage, an event of the
/// schedule, an amount; one claim per incident (409).
async fn file(
    tx: &mut Tx,
    e: &Enrolled,
    input: &ClaimInput,
    source: &str,
    actor: &str,
    at: i64,
    today: NaiveDate,
) -> Result<Uuid> {
    let mut errs = FieldErrors::new();
    let incident_on = crate::sheets::parse_date(input.incident_on.trim()).filter(|d| *d <= today);
    match incident_on {
        None => errs.push("incident_on", "errors.bad_date"),
        Some(d) if d < e.covered_from || d > e.covered_to => {
            errs.push("incident_on", "aid.not_covered")
        }
        _ => {}
    }
    let schedule = parse_benefits(&e.benefits);
    let event = code_in(&EVENTS, &input.event).filter(|ev| schedule.contains_key(*ev));
    if event.is_none() {
        errs.push("event", "aid.bad_event");
    }
    let claimed_fen = yuan_field("claimed", &input.claimed, &mut errs);
    if claimed_fen <= 0 && !errs.iter().any(|f| f.field == "claimed") {
        errs.push("claimed", "aid.amount_required");
    }
    let summary: String = input.summary.trim().chars().take(2000).collect();
    let (Some(incident_on), Some(event), true) = (incident_on, event, errs.is_empty()) else {
        return Err(errs.into());
    };
    const SAME: &str =
        "SELECT COUNT(*) FROM aid_claims WHERE enrolment_id = $1 AND incident_on = $2 AND event = $3";
    let same: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(SAME).bind(e.id).bind(incident_on).bind(event).fetch_one(c).await)?;
    if same > 0 {
        return Err(Error::conflict("incident_on", "aid.claim_exists"));
    }
    let id = new_id();
    const SQL: &str = "INSERT INTO aid_claims (id, enrolment_id, org_id, claim_no, incident_on, event, summary, status,
            claimed_fen, filed_on, source, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'entered', $8, $9, $10, $11, $11)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(e.id).bind(e.org_id).bind(new_claim_no(today)).bind(incident_on)
        .bind(event).bind(&summary).bind(claimed_fen).bind(today).bind(source).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    step(tx, id, "entered", Some(claimed_fen), &summary, actor, at).await?;
    counts::bump(
        tx,
        &e.path,
        &[Delta::new(metric::AID_CLAIMS, day(today), 1)],
    )
    .await?;
    Ok(id)
}

async fn step(
    tx: &mut Tx,
    claim: Uuid,
    status: &str,
    amount: Option<i64>,
    text: &str,
    actor: &str,
    at: i64,
) -> Result<()> {
    const SQL: &str = "INSERT INTO aid_claim_events (id, claim_id, at, status, amount_fen, text, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(claim).bind(at).bind(status).bind(amount).bind(text).bind(actor)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A cadre files a claim for an enrolled member (staff of the member's union, or above).
pub async fn file_for(tx: &mut Tx, caller: &Caller, input: &ClaimInput) -> Result<Claim> {
    let plan = input
        .plan_id
        .ok_or(Error::invalid("plan_id", "aid.unknown_plan"))?;
    get_plan(tx, &caller.scope, plan)
        .await
        .map_err(|_| Error::invalid("plan_id", "aid.unknown_plan"))?;
    let e = enrolled(tx, plan, Some(input.member_no.trim()), None)
        .await?
        .filter(|e| caller.scope.role_at(&e.path).is_some())
        .ok_or(Error::invalid("member_no", "aid.not_enrolled"))?;
    if caller.scope.role_at(&e.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let id = file(
        tx,
        &e,
        input,
        "cadre",
        &caller.actor.name,
        caller.at,
        caller.today,
    )
    .await?;
    caller
        .audit(
            tx,
            "aid.claim",
            &id.to_string(),
            Some(&e.path),
            serde_json::json!({"plan": plan, "event": input.event}),
        )
        .await?;
    get_claim(tx, &caller.scope, id).await
}

/// The member files a claim from `/me` on their own enrolment. Returns the claim number and the
/// member's phone (for the SMS).
pub async fn file_own(
    tx: &mut Tx,
    person: Uuid,
    input: &ClaimInput,
    photos: (&super::photos::Uploads, &[super::photos::Prepared]),
    at: i64,
    today: NaiveDate,
) -> Result<(String, String)> {
    let plan = input
        .plan_id
        .ok_or(Error::invalid("plan_id", "aid.not_enrolled"))?;
    let e = enrolled(tx, plan, None, Some(person))
        .await?
        .ok_or(Error::invalid("plan_id", "aid.not_enrolled"))?;
    let who = format!("member:{person}");
    const NAME: &str = "SELECT name FROM people WHERE id = $1";
    let name: String =
        on_db!(tx.conn(), c => sqlx::query_scalar(NAME).bind(person).fetch_one(c).await)?;
    let id = file(tx, &e, input, "member", &name, at, today).await?;
    let (uploads, photos) = photos;
    super::photos::attach(
        tx,
        uploads,
        super::photos::Owner::Claim(id),
        photos,
        &name,
        at,
    )
    .await?;
    crate::audit::record(
        tx,
        &crate::audit::Actor {
            account_id: None,
            name: who,
            ip: None,
        },
        at,
        "aid.claim",
        &id.to_string(),
        Some(&e.path),
        serde_json::json!({"plan": plan, "event": input.event, "photos": photos.len()}),
    )
    .await?;
    const NO: &str = "SELECT c.claim_no, p.phone FROM aid_claims c JOIN aid_enrolments e ON e.id = c.enrolment_id
        JOIN people p ON p.id = e.person_id WHERE c.id = $1";
    let row: (String, String) =
        on_db!(tx.conn(), c => sqlx::query_as(NO).bind(id).fetch_one(c).await)?;
    Ok(row)
}

/// A claim of the scope; the phone masked for viewers.
pub async fn get_claim(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Claim> {
    let mut q = Sql::new(CLAIM_SELECT);
    q.push(" WHERE c.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let c = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Claim>(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)?;
    Ok(claim_seen_by(c, scope))
}

fn claim_seen_by(mut c: Claim, scope: &Scope) -> Claim {
    if scope.role_at(&c.org_path) < Some(Role::Staff) {
        c.phone = crate::members::identity::Phone::parse(&c.phone)
            .map(|p| p.mask())
            .unwrap_or_default();
    }
    c
}

/// A claim's steps, oldest first.
pub async fn claim_steps(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Vec<ClaimEvent>> {
    get_claim(tx, scope, id).await?;
    steps_of(tx, id).await
}

async fn steps_of(tx: &mut Tx, id: Uuid) -> Result<Vec<ClaimEvent>> {
    const SQL: &str = "SELECT at, status, amount_fen, text, actor FROM aid_claim_events WHERE claim_id = $1 ORDER BY at, id";
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, ClaimEvent>(SQL).bind(id).fetch_all(c).await)?)
}

/// The filter of the claims queue.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct ClaimFilter {
    /// `entered`, `checked`, `approved`, `rejected`, `paid`, or `open` (entered, checked,
    /// approved: the default), `all`.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub status: Option<String>,
    #[serde(default)]
    pub plan: Option<Uuid>,
    /// Name, membership number or claim number contains.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub q: Option<String>,
}

/// The claims of the scope, oldest open ones first.
pub async fn claims(
    tx: &mut Tx,
    scope: &Scope,
    filter: &ClaimFilter,
    page: PageRequest,
) -> Result<Page<Claim>> {
    if scope.roots().is_empty() {
        return Err(Error::NotFound);
    }
    let status = filter.status.as_deref().unwrap_or("open");
    let filtered = |q: &mut Sql| {
        q.push(" WHERE ").scope("o.path", scope);
        match status {
            "open" => {
                q.push(" AND c.status IN ('entered', 'checked', 'approved')");
            }
            s if CLAIM_STATUSES.contains(&s) => {
                q.push(" AND c.status = ").arg(s.to_string());
            }
            _ => {}
        }
        if let Some(p) = filter.plan {
            q.push(" AND p.id = ").arg(p);
        }
        if let Some(t) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let like = format!("%{}%", t.replace(['%', '_'], ""));
            q.push(" AND (pe.name LIKE ")
                .arg(like.clone())
                .push(" OR m.member_no LIKE ")
                .arg(like.clone())
                .push(" OR c.claim_no LIKE ")
                .arg(like)
                .push(")");
        }
    };
    let count_sql = format!(
        "SELECT COUNT(*) {}",
        &CLAIM_SELECT[CLAIM_SELECT.find("FROM aid_claims").unwrap_or(0)..]
    );
    let mut count = Sql::new(&count_sql);
    filtered(&mut count);
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count.sql), &count.args).fetch_one(c).await)?;
    let mut q = Sql::new(CLAIM_SELECT);
    filtered(&mut q);
    q.push(" ORDER BY c.filed_on, c.id LIMIT ")
        .arg(page.limit())
        .push(" OFFSET ")
        .arg(page.offset());
    let items: Vec<Claim> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Claim>(&q.sql), &q.args).fetch_all(c).await)?;
    Ok(Page {
        items: items.into_iter().map(|c| claim_seen_by(c, scope)).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// A step of the review (`POST /api/v1/aid/claims/{id}/decision`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Decision {
    /// `check` (entered → checked), `approve` (checked → approved), `reject` (entered or
    /// checked → rejected, with a reason), `pay` (approved → paid).
    pub decision: String,
    /// Yuan approved (default: the claim, at most the schedule's sum and what the cap leaves)
    /// or paid (default: the amount approved, at most it).
    pub amount: String,
    pub reason: String,
}

/// Moves a claim one step (staff of the member's union, or above). Returns the claim after it.
pub async fn decide(tx: &mut Tx, caller: &Caller, id: Uuid, d: &Decision) -> Result<Claim> {
    let c = get_claim(tx, &caller.scope, id).await?;
    if caller.scope.role_at(&c.org_path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let typed = match d.amount.trim() {
        "" => None,
        t => Some(money::parse_yuan(t).map_err(|code| Error::invalid("amount", code))?),
    };
    let (to, amount) = match (d.decision.trim(), c.status.as_str()) {
        ("check", "entered") => ("checked", None),
        ("approve", "checked") => {
            let plan = get_plan(tx, &Scope::operator(), c.plan_id).await?;
            let sum = plan
                .schedule()
                .iter()
                .find(|(e, _)| *e == c.event)
                .map_or(0, |(_, n)| *n);
            const RECEIVED: &str = "SELECT CAST(COALESCE(SUM(approved_fen), 0) AS BIGINT) FROM aid_claims
                WHERE enrolment_id = (SELECT enrolment_id FROM aid_claims WHERE id = $1) AND status IN ('approved', 'paid')";
            let received: i64 =
                on_db!(tx.conn(), c2 => sqlx::query_scalar(RECEIVED).bind(id).fetch_one(c2).await)?;
            let room = if plan.cap_fen > 0 {
                (plan.cap_fen - received).max(0)
            } else {
                i64::MAX
            };
            let amount = typed.unwrap_or(c.claimed_fen.min(sum).min(room));
            if amount > sum {
                return Err(Error::invalid("amount", "aid.over_schedule"));
            }
            if amount > room {
                return Err(Error::invalid("amount", "aid.over_cap"));
            }
            if amount <= 0 {
                return Err(Error::invalid("amount", "aid.amount_required"));
            }
            ("approved", Some(amount))
        }
        ("reject", "entered" | "checked") => {
            if d.reason.trim().is_empty() {
                return Err(Error::invalid("reason", "aid.reason_required"));
            }
            ("rejected", None)
        }
        ("pay", "approved") => {
            let amount = typed.unwrap_or(c.approved_fen);
            if amount > c.approved_fen || amount <= 0 {
                return Err(Error::invalid("amount", "aid.over_approved"));
            }
            ("paid", Some(amount))
        }
        ("check" | "approve" | "reject" | "pay", _) => {
            return Err(Error::conflict("decision", "aid.wrong_step"))
        }
        _ => return Err(Error::invalid("decision", "aid.bad_decision")),
    };
    let today = caller.today;
    let reason: String = d.reason.trim().chars().take(500).collect();
    let n = match to {
        "approved" | "paid" => {
            let sql = if to == "approved" {
                "UPDATE aid_claims SET status = $2, approved_fen = $3, decided_on = $4, updated_at = $5 WHERE id = $1 AND status = $6"
            } else {
                "UPDATE aid_claims SET status = $2, paid_fen = $3, paid_on = $4, updated_at = $5 WHERE id = $1 AND status = $6"
            };
            on_db!(tx.conn(), c2 => sqlx::query(sql).bind(id).bind(to).bind(amount.unwrap_or(0)).bind(today).bind(caller.at)
                .bind(&c.status).execute(c2).await.map(|r| r.rows_affected()))?
        }
        "rejected" => {
            const SQL: &str = "UPDATE aid_claims SET status = 'rejected', reason = $2, decided_on = $3, updated_at = $4
                WHERE id = $1 AND status = $5";
            on_db!(tx.conn(), c2 => sqlx::query(SQL).bind(id).bind(&reason).bind(today).bind(caller.at).bind(&c.status)
                .execute(c2).await.map(|r| r.rows_affected()))?
        }
        _ => {
            const SQL: &str =
                "UPDATE aid_claims SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4";
            on_db!(tx.conn(), c2 => sqlx::query(SQL).bind(id).bind(to).bind(caller.at).bind(&c.status)
                .execute(c2).await.map(|r| r.rows_affected()))?
        }
    };
    if n == 0 {
        return Err(Error::conflict("decision", "aid.wrong_step"));
    }
    step(tx, id, to, amount, &reason, &caller.actor.name, caller.at).await?;
    let delta = match (to, amount) {
        ("approved", Some(a)) => Some(Delta::new(metric::AID_APPROVED, day(today), a)),
        ("paid", Some(a)) => Some(Delta::new(metric::AID_PAID, day(today), a)),
        _ => None,
    };
    if let Some(delta) = delta {
        counts::bump(tx, &c.org_path, &[delta]).await?;
    }
    caller
        .audit(
            tx,
            "aid.decide",
            &id.to_string(),
            Some(&c.org_path),
            serde_json::json!({"from": c.status, "to": to, "amount_fen": amount}),
        )
        .await?;
    get_claim(tx, &caller.scope, id).await
}

/// A member's plan as `/me` shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnPlan {
    pub plan_id: Uuid,
    pub name: String,
    pub kind: String,
    pub org_name: String,
    pub covered_from: NaiveDate,
    pub covered_to: NaiveDate,
    pub benefits: String,
    pub payer: String,
}

impl OwnPlan {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.covered_from <= day && day <= self.covered_to
    }

    pub fn schedule(&self) -> Vec<(&'static str, i64)> {
        let b = parse_benefits(&self.benefits);
        EVENTS
            .iter()
            .filter_map(|(e, _)| b.get(*e).map(|n| (*e, *n)))
            .collect()
    }
}

/// A person's plans (newest first) and claims with their steps.
pub async fn of_person(
    tx: &mut Tx,
    person: Uuid,
) -> Result<(Vec<OwnPlan>, Vec<(Claim, Vec<ClaimEvent>)>)> {
    const PLANS: &str = "SELECT p.id AS plan_id, p.name, p.kind, o.name AS org_name, e.covered_from, e.covered_to, p.benefits, p.payer
        FROM aid_enrolments e JOIN aid_plans p ON p.id = e.plan_id JOIN org_units o ON o.id = p.org_id
        WHERE e.person_id = $1 ORDER BY e.covered_to DESC, p.id LIMIT 20";
    let plans: Vec<OwnPlan> = on_db!(tx.conn(), c => sqlx::query_as::<_, OwnPlan>(PLANS).bind(person).fetch_all(c).await)?;
    let sql =
        format!("{CLAIM_SELECT} WHERE e.person_id = $1 ORDER BY c.filed_on DESC, c.id LIMIT 20");
    let claims: Vec<Claim> =
        on_db!(tx.conn(), c => sqlx::query_as::<_, Claim>(&sql).bind(person).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(claims.len());
    for c in claims {
        let steps = steps_of(tx, c.id).await?;
        out.push((c, steps));
    }
    Ok((plans, out))
}

/// What every aid counter should be, for the recount: (path, delta) from the base tables, summed
/// by the database (a row per unit and day).
pub async fn expected(tx: &mut Tx) -> Result<Vec<(String, Delta)>> {
    const ENROLLED: &str =
        "SELECT o.path, e.covered_from, COUNT(*), CAST(SUM(e.premium_fen) AS BIGINT)
        FROM aid_enrolments e JOIN org_units o ON o.id = e.org_id GROUP BY o.path, e.covered_from";
    let rows: Vec<(String, NaiveDate, i64, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(ENROLLED).fetch_all(c).await)?;
    let mut out = Vec::new();
    for (path, from, n, premium) in rows {
        out.push((path.clone(), Delta::new(metric::AID_ENROLLED, day(from), n)));
        out.push((path, Delta::new(metric::AID_PREMIUM, day(from), premium)));
    }
    const FILED: &str =
        "SELECT o.path, c.filed_on, COUNT(*) FROM aid_claims c JOIN org_units o ON o.id = c.org_id
        GROUP BY o.path, c.filed_on";
    const APPROVED: &str = "SELECT o.path, c.decided_on, CAST(SUM(c.approved_fen) AS BIGINT) FROM aid_claims c
        JOIN org_units o ON o.id = c.org_id WHERE c.decided_on IS NOT NULL AND c.status IN ('approved', 'paid')
        GROUP BY o.path, c.decided_on";
    const PAID: &str = "SELECT o.path, c.paid_on, CAST(SUM(c.paid_fen) AS BIGINT) FROM aid_claims c
        JOIN org_units o ON o.id = c.org_id WHERE c.paid_on IS NOT NULL GROUP BY o.path, c.paid_on";
    let filed: Vec<(String, NaiveDate, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(FILED).fetch_all(c).await)?;
    for (path, on, n) in filed {
        out.push((path, Delta::new(metric::AID_CLAIMS, day(on), n)));
    }
    for (sql, m) in [(APPROVED, metric::AID_APPROVED), (PAID, metric::AID_PAID)] {
        let rows: Vec<(String, NaiveDate, i64)> =
            on_db!(tx.conn(), c => sqlx::query_as(sql).fetch_all(c).await)?;
        for (path, on, fen) in rows {
            out.push((path, Delta::new(m, day(on), fen)));
        }
    }
    Ok(out)
}

/// Plans run by the unions of a subtree whose coverage overlaps the period.
pub async fn plans_in(tx: &mut Tx, path: &str, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT COUNT(*) FROM aid_plans p JOIN org_units o ON o.id = p.org_id
        WHERE p.starts_on <= $1 AND p.ends_on >= $2 AND o.path >= $3 AND o.path < $4";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(to).bind(from).bind(&lo).bind(&hi).fetch_one(c).await)?,
    )
}
