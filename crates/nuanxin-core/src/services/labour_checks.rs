//! Labour-law checks (法治体检) of census enterprises: a union visits an enterprise on a day and
//! checks it item by item (contracts signed, wages on time, hours, social insurance, safety); the
//! problems found get a rectification deadline, and the follow-up records them rectified.
//!
//! A check is seen by the cadres of the union that ran it and its parents, and by those of the
//! enterprise's own federation (it is about their enterprise); only staff of the running union
//! (or above) record and follow it up. Every check adds to the maintained counters of its union
//! and every ancestor (`checks`, `check_findings`, `check_rectified` by the day of the check): a
//! change takes the old figures away and adds the new ones in the same transaction.

use crate::accounts::Caller;
use crate::coverage::counts::{self, metric, Delta};
use crate::error::FieldErrors;
use crate::page::{ListFilter, Listing};
use crate::{census, on_db, orgs, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{new_id, Sql};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a check looks at, item by item (检查项目).
pub const ITEMS: [(&str, &str); 5] = [
    ("contracts", "劳动合同签订"),
    ("wages", "工资按时足额支付"),
    ("hours", "工作时间和休息休假"),
    ("social_insurance", "社会保险缴纳"),
    ("safety", "劳动安全卫生"),
];

/// What the check found on an item: compliant, a problem, a problem rectified since.
pub const ITEM_STATES: [&str; 3] = ["ok", "found", "rectified"];

/// A check as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LabourCheck {
    pub id: Uuid,
    pub uscc: String,
    pub enterprise_name: String,
    /// The union that ran the check.
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub checked_on: NaiveDate,
    /// Problems found.
    pub findings: i64,
    /// Problems rectified since.
    pub rectified: i64,
    /// What was found item by item: `{"wages": "found", "contracts": "ok"}` (items not checked
    /// one by one are absent).
    #[serde(serialize_with = "items_json")]
    #[schema(value_type = Object)]
    pub items: String,
    /// The rectification deadline.
    pub rectify_by: Option<NaiveDate>,
    pub follow_up: String,
    /// `cadre` or `import`.
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn items_json<S: serde::Serializer>(raw: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    parse_items(raw).serialize(s)
}

fn parse_items(raw: &str) -> BTreeMap<String, String> {
    serde_json::from_str(raw).unwrap_or_default()
}

impl LabourCheck {
    /// The state of one item (`ok`, `found`, `rectified`), if it was checked one by one.
    pub fn item(&self, item: &str) -> Option<String> {
        parse_items(&self.items).remove(item)
    }

    /// Problems still open after their deadline.
    pub fn overdue(&self, today: &NaiveDate) -> bool {
        self.rectified < self.findings && self.rectify_by.is_some_and(|d| d < *today)
    }
}

/// A check as a cadre records it (`POST /api/v1/labour-checks`, the form on the enterprise page).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CheckInput {
    /// The enterprise's USCC (统一社会信用代码): a census enterprise in the caller's scope.
    pub uscc: String,
    /// The union that ran the check.
    pub org_code: String,
    /// Default today.
    pub checked_on: String,
    /// Item by item: `ok`, `found` or `rectified` (codes of [`ITEMS`]).
    pub items: BTreeMap<String, String>,
    /// Problems found: default the items found (and rectified); at least as many.
    pub findings: String,
    /// Problems rectified: default the items rectified; at most the findings.
    pub rectified: String,
    /// The rectification deadline: required when problems remain.
    pub rectify_by: String,
    pub follow_up: String,
}

/// The follow-up of a check (`PATCH /api/v1/labour-checks/{id}`): every field optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CheckPatch {
    pub items: Option<BTreeMap<String, String>>,
    pub findings: Option<String>,
    pub rectified: Option<String>,
    pub rectify_by: Option<String>,
    pub follow_up: Option<String>,
}

/// The filter of the checks list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct CheckFilter {
    /// A union's code: the checks it and the unions below it ran.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub org: Option<String>,
    /// One enterprise's checks.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub uscc: Option<String>,
    /// `pending`: only checks with problems not yet rectified.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub status: Option<String>,
    /// Enterprise name or USCC contains.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub q: Option<String>,
}

const SELECT: &str = "SELECT k.id, e.uscc, e.name AS enterprise_name, o.code AS org_code, o.name AS org_name,
        o.path AS org_path, k.checked_on, k.findings, k.rectified, k.items, k.rectify_by, k.follow_up, k.source,
        k.created_at, k.updated_at
    FROM labour_checks k JOIN enterprises e ON e.id = k.enterprise_id JOIN org_units o ON o.id = k.org_id
    LEFT JOIN org_units eo ON eo.id = e.owner_org_id";
const COUNT: &str =
    "SELECT COUNT(*) FROM labour_checks k JOIN enterprises e ON e.id = k.enterprise_id
    JOIN org_units o ON o.id = k.org_id LEFT JOIN org_units eo ON eo.id = e.owner_org_id";

/// The rows a scope sees: checks its unions ran, and checks of its enterprises.
fn seen_in(q: &mut Sql, scope: &Scope) {
    q.push(" WHERE (")
        .scope("o.path", scope)
        .push(" OR ")
        .scope("eo.path", scope)
        .push(")");
}

impl ListFilter for CheckFilter {
    type Row = LabourCheck;

    async fn listing(&self, tx: &mut Tx, scope: &Scope) -> Result<Listing<'static>> {
        if scope.roots().is_empty() {
            return Err(Error::NotFound);
        }
        let mut q = Sql::new("");
        seen_in(&mut q, scope);
        if let Some(code) = self.org.as_deref().filter(|o| !o.is_empty()) {
            let unit = orgs::get(tx, scope, code).await?;
            let (lo, hi) = nuanxin_store::subtree_range(&unit.path);
            q.push(" AND o.path >= ")
                .arg(lo)
                .push(" AND o.path < ")
                .arg(hi);
        }
        if let Some(u) = self.uscc.as_deref().filter(|u| !u.is_empty()) {
            q.push(" AND e.uscc = ").arg(u.to_uppercase());
        }
        if self.status.as_deref() == Some("pending") {
            q.push(" AND k.rectified < k.findings");
        }
        if let Some(t) = self.q.as_deref().filter(|t| !t.is_empty()) {
            let like = format!("%{}%", t.replace(['%', '_'], ""));
            q.push(" AND (e.name LIKE ")
                .arg(like.clone())
                .push(" OR e.uscc LIKE ")
                .arg(like.to_uppercase())
                .push(")");
        }
        Ok(Listing {
            select: SELECT,
            count: COUNT,
            filter: q,
            order: "k.checked_on DESC",
            id: "k.id",
        })
    }
}

pub use crate::page::list;

/// What a check adds to the counters, on the day of the check.
pub fn deltas(checked_on: NaiveDate, findings: i64, rectified: i64) -> Vec<Delta> {
    let day = checked_on.format("%Y-%m-%d").to_string();
    vec![
        Delta::new(metric::CHECKS, day.clone(), 1),
        Delta::new(metric::CHECK_FINDINGS, day.clone(), findings),
        Delta::new(metric::CHECK_RECTIFIED, day, rectified),
    ]
}

fn negated(d: Vec<Delta>) -> Vec<Delta> {
    d.into_iter()
        .map(|d| Delta::new(d.metric, d.key, -d.n))
        .collect()
}

/// A count typed in a form or a sheet: a whole number from 0 to 999.
pub fn parse_count(typed: &str) -> std::result::Result<Option<i64>, &'static str> {
    let t = typed.trim();
    if t.is_empty() {
        return Ok(None);
    }
    // Excel writes whole numbers as `3.0`.
    let t = t.strip_suffix(".0").unwrap_or(t);
    match t.parse::<i64>() {
        Ok(n) if (0..1000).contains(&n) => Ok(Some(n)),
        _ => Err("checks.bad_count"),
    }
}

/// Findings and rectified as checked: the items' states, the typed counts (defaulting to the
/// items'), rectified at most the findings, a deadline when problems remain.
pub struct Figures {
    pub items: BTreeMap<String, String>,
    pub findings: i64,
    pub rectified: i64,
    pub rectify_by: Option<NaiveDate>,
}

pub fn check_figures(
    items: &BTreeMap<String, String>,
    findings: &str,
    rectified: &str,
    rectify_by: &str,
    errs: &mut FieldErrors,
) -> Figures {
    let mut kept = BTreeMap::new();
    for (item, state) in items {
        let state = state.trim();
        if state.is_empty() {
            continue;
        }
        match (
            ITEMS.iter().find(|(c, _)| c == item),
            ITEM_STATES.contains(&state),
        ) {
            (Some((code, _)), true) => {
                kept.insert(code.to_string(), state.to_string());
            }
            _ => errs.push("items", "checks.bad_item"),
        }
    }
    let found_items = kept.values().filter(|s| *s != "ok").count() as i64;
    let rectified_items = kept.values().filter(|s| *s == "rectified").count() as i64;
    let mut count = |field: &'static str, typed: &str, default: i64| match parse_count(typed) {
        Ok(n) => n.unwrap_or(default),
        Err(code) => {
            errs.push(field, code);
            default
        }
    };
    let findings = count("findings", findings, found_items);
    let rectified = count("rectified", rectified, rectified_items);
    if findings < found_items {
        errs.push("findings", "checks.fewer_than_items");
    }
    if rectified > findings {
        errs.push("rectified", "checks.rectified_too_high");
    }
    let rectify_by = match rectify_by.trim() {
        "" => None,
        d => {
            let parsed = crate::sheets::parse_date(d);
            if parsed.is_none() {
                errs.push("rectify_by", "errors.bad_date");
            }
            parsed
        }
    };
    Figures {
        items: kept,
        findings,
        rectified,
        rectify_by,
    }
}

/// The enterprise (in the caller's scope) and the running union (where the caller is staff).
async fn parties(
    tx: &mut Tx,
    caller: &Caller,
    uscc: &str,
    org_code: &str,
    errs: &mut FieldErrors,
) -> Result<(Option<Uuid>, Option<orgs::OrgUnit>)> {
    let enterprise = match census::get(tx, &caller.scope, uscc.trim()).await {
        Ok(e) => Some(e.id),
        Err(Error::NotFound) => {
            errs.push("uscc", "checks.unknown_enterprise");
            None
        }
        Err(e) => return Err(e),
    };
    let org = match orgs::get(tx, &caller.scope, org_code.trim()).await {
        Ok(o) if caller.scope.role_at(&o.path) < Some(Role::Staff) => return Err(Error::Forbidden),
        Ok(o) if !o.is_active() => {
            errs.push("org_code", "orgs.dissolved_readonly");
            None
        }
        Ok(o) => Some(o),
        Err(Error::NotFound) => {
            errs.push("org_code", "checks.unknown_org");
            None
        }
        Err(e) => return Err(e),
    };
    Ok((enterprise, org))
}

/// The day of a check: default today, never in the future.
pub fn check_day(typed: &str, today: NaiveDate, errs: &mut FieldErrors) -> Option<NaiveDate> {
    let d = match typed.trim() {
        "" => Some(today),
        t => crate::sheets::parse_date(t).filter(|d| *d <= today),
    };
    if d.is_none() {
        errs.push("checked_on", "errors.bad_date");
    }
    d
}

/// One check written: a new one, or the same union's check of the enterprise that day updated
/// (its counters moved from the old figures to the new). Returns the id and whether it is new.
#[expect(
    clippy::too_many_arguments,
    reason = "the columns of one check, written alike by the form and the sheet"
)]
pub async fn upsert(
    tx: &mut Tx,
    enterprise: Uuid,
    org: &orgs::OrgUnit,
    checked_on: NaiveDate,
    f: &Figures,
    follow_up: Option<&str>,
    source: &str,
    at: i64,
) -> Result<(Uuid, bool)> {
    const FIND: &str = "SELECT id, findings, rectified FROM labour_checks
        WHERE enterprise_id = $1 AND org_id = $2 AND checked_on = $3";
    let old: Option<(Uuid, i64, i64)> = on_db!(tx.conn(), c => sqlx::query_as(FIND)
        .bind(enterprise).bind(org.id).bind(checked_on).fetch_optional(c).await)?;
    let items = serde_json::to_string(&f.items).map_err(|e| Error::Internal(e.into()))?;
    let mut moved = deltas(checked_on, f.findings, f.rectified);
    let (id, created) = match old {
        Some((id, findings, rectified)) => {
            moved.extend(negated(deltas(checked_on, findings, rectified)));
            // A sheet gives no items: the items recorded stay.
            const UPDATE: &str = "UPDATE labour_checks SET findings = $2, rectified = $3,
                items = CASE WHEN $4 = '{}' THEN items ELSE $4 END, rectify_by = COALESCE($5, rectify_by),
                follow_up = COALESCE($6, follow_up), updated_at = $7 WHERE id = $1";
            on_db!(tx.conn(), c => sqlx::query(UPDATE).bind(id).bind(f.findings).bind(f.rectified).bind(&items)
                .bind(f.rectify_by).bind(follow_up).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
            (id, false)
        }
        None => {
            let id = new_id();
            const INSERT: &str = "INSERT INTO labour_checks (id, enterprise_id, org_id, checked_on, findings, rectified,
                    items, rectify_by, follow_up, source, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)";
            on_db!(tx.conn(), c => sqlx::query(INSERT).bind(id).bind(enterprise).bind(org.id).bind(checked_on)
                .bind(f.findings).bind(f.rectified).bind(&items).bind(f.rectify_by).bind(follow_up.unwrap_or(""))
                .bind(source).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
            (id, true)
        }
    };
    counts::bump(tx, &org.path, &moved).await?;
    Ok((id, created))
}

/// Records a check a cadre ran. All problems at once.
pub async fn create(tx: &mut Tx, caller: &Caller, input: &CheckInput) -> Result<LabourCheck> {
    let mut errs = FieldErrors::new();
    let (enterprise, org) = parties(tx, caller, &input.uscc, &input.org_code, &mut errs).await?;
    let checked_on = check_day(&input.checked_on, caller.today, &mut errs);
    let f = check_figures(
        &input.items,
        &input.findings,
        &input.rectified,
        &input.rectify_by,
        &mut errs,
    );
    if f.rectified < f.findings && f.rectify_by.is_none() && input.rectify_by.trim().is_empty() {
        errs.push("rectify_by", "checks.deadline_required");
    }
    let (Some(enterprise), Some(org), Some(checked_on), true) =
        (enterprise, org, checked_on, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let follow_up: String = input.follow_up.trim().chars().take(2000).collect();
    let (id, _) = upsert(
        tx,
        enterprise,
        &org,
        checked_on,
        &f,
        Some(&follow_up),
        "cadre",
        caller.at,
    )
    .await?;
    caller
        .audit(
            tx,
            "checks.create",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"uscc": input.uscc.trim(), "findings": f.findings, "rectified": f.rectified}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// A check the scope sees.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<LabourCheck> {
    let mut q = Sql::new(SELECT);
    seen_in(&mut q, scope);
    q.push(" AND k.id = ").arg(id);
    on_db!(tx.conn(), c => nuanxin_store::bind_args!(sqlx::query_as::<_, LabourCheck>(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// The follow-up: items rectified, the counts, the deadline, the notes. Staff of the running
/// union (or above) only.
pub async fn update(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    patch: &CheckPatch,
) -> Result<LabourCheck> {
    let old = get(tx, &caller.scope, id).await?;
    if caller.scope.role_at(&old.org_path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let mut errs = FieldErrors::new();
    let items = patch
        .items
        .clone()
        .unwrap_or_else(|| parse_items(&old.items));
    // Counts not typed follow the items when they are given, else stay as they are.
    let count = |typed: &Option<String>, was: i64| match typed {
        Some(t) if !t.trim().is_empty() => t.clone(),
        _ if patch.items.is_some() => String::new(),
        _ => was.to_string(),
    };
    let f = check_figures(
        &items,
        &count(&patch.findings, old.findings),
        &count(&patch.rectified, old.rectified),
        patch
            .rectify_by
            .as_deref()
            .unwrap_or(&old.rectify_by.map(|d| d.to_string()).unwrap_or_default()),
        &mut errs,
    );
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let follow_up = patch
        .follow_up
        .as_deref()
        .map(|t| t.trim().chars().take(2000).collect::<String>());
    let items_json = serde_json::to_string(&f.items).map_err(|e| Error::Internal(e.into()))?;
    const UPDATE: &str =
        "UPDATE labour_checks SET findings = $2, rectified = $3, items = $4, rectify_by = $5,
        follow_up = COALESCE($6, follow_up), updated_at = $7 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(UPDATE).bind(id).bind(f.findings).bind(f.rectified).bind(&items_json)
        .bind(f.rectify_by).bind(&follow_up).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    let mut moved = negated(deltas(old.checked_on, old.findings, old.rectified));
    moved.extend(deltas(old.checked_on, f.findings, f.rectified));
    counts::bump(tx, &old.org_path, &moved).await?;
    caller
        .audit(
            tx,
            "checks.update",
            &id.to_string(),
            Some(&old.org_path),
            serde_json::json!({"findings": [old.findings, f.findings], "rectified": [old.rectified, f.rectified]}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// What every check counter should be, for the recount: (path, delta) from the base table.
pub async fn expected(tx: &mut Tx) -> Result<Vec<(String, Delta)>> {
    const SQL: &str = "SELECT o.path, k.checked_on, k.findings, k.rectified
        FROM labour_checks k JOIN org_units o ON o.id = k.org_id";
    let rows: Vec<(String, NaiveDate, i64, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .flat_map(|(path, on, f, r)| deltas(on, f, r).into_iter().map(move |d| (path.clone(), d)))
        .collect())
}

/// Distinct enterprises checked by the unions of a subtree in the period.
pub async fn enterprises_checked(
    tx: &mut Tx,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT COUNT(DISTINCT k.enterprise_id) FROM labour_checks k JOIN org_units o ON o.id = k.org_id
        WHERE k.checked_on >= $1 AND k.checked_on <= $2 AND o.path >= $3 AND o.path < $4";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(from).bind(to).bind(&lo).bind(&hi).fetch_one(c).await)?,
    )
}

/// The checks of the filter, all of them, in the import sheet's layout.
pub async fn export(
    store: &crate::Store,
    caller: &Caller,
    filter: &CheckFilter,
    zh: bool,
) -> Result<Vec<u8>> {
    let spec = crate::sheets::Export {
        sheet: ("法治体检", "labour checks"),
        columns: &super::labour_checks_sheet::COLUMNS,
        widths: &[22.0, 12.0, 14.0, 12.0, 12.0, 30.0, 12.0, 40.0],
        action: "checks.export",
        subject: filter.org.as_deref().unwrap_or("*"),
        filter: serde_json::json!({"q": filter.q, "uscc": filter.uscc, "status": filter.status}),
    };
    crate::sheets::export(store, caller, spec, zh, async |tx, sheet| {
        crate::page::for_each(tx, &caller.scope, filter, |k: LabourCheck| {
            let row = [
                k.uscc,
                k.checked_on.to_string(),
                k.org_code,
                k.findings.to_string(),
                k.rectified.to_string(),
                k.enterprise_name,
                k.rectify_by.map(|d| d.to_string()).unwrap_or_default(),
                k.follow_up,
            ];
            sheet.push(&row).map_err(Error::Internal)
        })
        .await
    })
    .await
}
