//! Targets (层层下达): a unit's target for a period, split among its children, whose shares must
//! add up to it; progress computed from the live coverage counters; siblings ranked; overdue and
//! at-risk targets flagged; and the contact assignment (包片联系点): the leader responsible for a
//! unit, shown beside its targets.

use crate::accounts::Caller;
use crate::coverage::counts::{self, metric};
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a target measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetMetric {
    /// Members who join in the period.
    NewMembers,
    /// Unions founded in the period.
    NewUnions,
    /// Enterprises marked unionised in the period.
    UnionisedEnterprises,
    /// Membership rate at the end of the period (0-1).
    MembershipRate,
    /// Unionisation rate at the end of the period (0-1).
    UnionisationRate,
    /// Open stations at the end of the period (驿站建设).
    Stations,
    /// People served at stations in the period (服务人次).
    Services,
}

impl TargetMetric {
    pub const ALL: [TargetMetric; 7] = [
        TargetMetric::NewMembers,
        TargetMetric::NewUnions,
        TargetMetric::UnionisedEnterprises,
        TargetMetric::MembershipRate,
        TargetMetric::UnionisationRate,
        TargetMetric::Stations,
        TargetMetric::Services,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetMetric::NewMembers => "new_members",
            TargetMetric::NewUnions => "new_unions",
            TargetMetric::UnionisedEnterprises => "unionised_enterprises",
            TargetMetric::MembershipRate => "membership_rate",
            TargetMetric::UnionisationRate => "unionisation_rate",
            TargetMetric::Stations => "stations",
            TargetMetric::Services => "services",
        }
    }

    pub fn parse(s: &str) -> Option<TargetMetric> {
        TargetMetric::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
    }

    /// Counts split by sum; rates are handed down as they are.
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            TargetMetric::MembershipRate | TargetMetric::UnionisationRate
        )
    }
}

/// Shows a value of a metric: a count, or a rate as a percentage.
pub fn format_value(metric: &str, v: f64) -> String {
    match TargetMetric::parse(metric) {
        Some(m) if m.is_rate() => format!("{:.1}%", v * 100.0),
        _ => format!("{}", v.round() as i64),
    }
}

/// A target with its live progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetProgress {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    pub metric: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub value: f64,
    pub actual: f64,
    /// actual ÷ value.
    pub progress: f64,
    /// `done`, `on_track`, `at_risk` or `overdue`.
    pub status: String,
    /// The leader responsible for the unit (contact assignment).
    pub leader: Option<String>,
    /// Place among the siblings sharing the parent target (1 = best progress).
    pub rank: Option<usize>,
    /// The shares of the children, best progress first.
    #[schema(no_recursion)]
    pub children: Vec<TargetProgress>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TargetInput {
    pub org_code: String,
    pub metric: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// A count, or a rate between 0 and 1.
    pub value: f64,
}

fn check_value(metric: TargetMetric, v: f64) -> Result<()> {
    let ok = v.is_finite()
        && v >= 0.0
        && if metric.is_rate() {
            v <= 1.0
        } else {
            v.fract() == 0.0
        };
    if ok {
        Ok(())
    } else if metric.is_rate() {
        Err(Error::invalid("value", "targets.bad_rate"))
    } else {
        Err(Error::invalid("value", "targets.bad_count"))
    }
}

/// Sets (or changes) a unit's target for a period. The caller must be staff at the unit or
/// above.
pub async fn set(tx: &mut Tx, caller: &Caller, input: &TargetInput) -> Result<Uuid> {
    let metric = TargetMetric::parse(&input.metric)
        .ok_or(Error::invalid("metric", "targets.unknown_metric"))?;
    if input.period_end < input.period_start {
        return Err(Error::invalid("period_end", "coverage.period_reversed"));
    }
    check_value(metric, input.value)?;
    let unit = orgs::get(tx, &caller.scope, &input.org_code).await?;
    if caller.scope.role_at(&unit.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    // A target handed down from a unit above is that unit's to change: the unit it was handed to
    // may split it further down, not rewrite it.
    const HANDED: &str = "SELECT o.path FROM targets t JOIN targets p ON p.id = t.parent_id JOIN org_units o ON o.id = p.org_id
        WHERE t.org_id = $1 AND t.metric = $2 AND t.period_start = $3 AND t.period_end = $4";
    let from: Option<String> = on_db!(tx.conn(), c => sqlx::query_scalar(HANDED).bind(unit.id).bind(metric.as_str())
        .bind(input.period_start).bind(input.period_end).fetch_optional(c).await)?;
    if from.is_some_and(|path| caller.scope.role_at(&path) < Some(Role::Staff)) {
        return Err(Error::conflict("value", "targets.assigned_from_above"));
    }
    let id = upsert(
        tx,
        caller,
        unit.id,
        metric,
        input.period_start,
        input.period_end,
        input.value,
        None,
    )
    .await?;
    caller.audit(tx, "targets.set", &unit.code, Some(&unit.path),
        serde_json::json!({"metric": metric, "from": input.period_start, "to": input.period_end, "value": input.value})).await?;
    Ok(id)
}

#[expect(
    clippy::too_many_arguments,
    reason = "every column of the row it writes, each named"
)]
async fn upsert(
    tx: &mut Tx,
    caller: &Caller,
    org: Uuid,
    metric: TargetMetric,
    start: NaiveDate,
    end: NaiveDate,
    value: f64,
    parent: Option<Uuid>,
) -> Result<Uuid> {
    const FIND: &str = "SELECT id FROM targets WHERE org_id = $1 AND metric = $2 AND period_start = $3 AND period_end = $4";
    let existing: Option<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(FIND).bind(org).bind(metric.as_str()).bind(start).bind(end).fetch_optional(c).await)?;
    match existing {
        Some(id) => {
            const SQL: &str = "UPDATE targets SET value = $2, parent_id = COALESCE($3, parent_id), updated_at = $4 WHERE id = $1";
            on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(value).bind(parent).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
            Ok(id)
        }
        None => {
            let id = new_id();
            const SQL: &str = "INSERT INTO targets (id, org_id, metric, period_start, period_end, value, parent_id, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
            on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org).bind(metric.as_str()).bind(start).bind(end).bind(value)
                .bind(parent).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
            Ok(id)
        }
    }
}

/// One child's share of a target.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Share {
    pub org_code: String,
    pub value: f64,
}

/// Splits a target among direct children of its unit. Counts must add up exactly to the
/// parent's value; a rate is handed to each child as its own target.
pub async fn split(tx: &mut Tx, caller: &Caller, target: Uuid, shares: &[Share]) -> Result<()> {
    let (org, metric, start, end, value) = row(tx, target).await?;
    const CODE: &str = "SELECT code FROM org_units WHERE id = $1";
    let code: String =
        on_db!(tx.conn(), c => sqlx::query_scalar(CODE).bind(org).fetch_one(c).await)?;
    let unit = orgs::get(tx, &caller.scope, &code).await?;
    if caller.scope.role_at(&unit.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let metric =
        TargetMetric::parse(&metric).ok_or(Error::invalid("metric", "targets.unknown_metric"))?;
    if shares.is_empty() {
        return Err(Error::invalid("shares", "targets.no_shares"));
    }
    let mut children = Vec::new();
    for s in shares {
        check_value(metric, s.value)?;
        let child = orgs::get(tx, &caller.scope, &s.org_code)
            .await
            .map_err(|_| Error::invalid("org_code", "targets.not_a_child"))?;
        if child.parent_id != Some(unit.id) || !child.is_active() {
            return Err(Error::invalid("org_code", "targets.not_a_child"));
        }
        if children.iter().any(|(c, _): &(Uuid, f64)| *c == child.id) {
            return Err(Error::invalid("org_code", "targets.duplicate_child"));
        }
        children.push((child.id, s.value));
    }
    if !metric.is_rate() {
        let sum: f64 = children.iter().map(|c| c.1).sum();
        if (sum - value).abs() > 1e-9 {
            return Err(Error::invalid("shares", "targets.shares_must_add_up"));
        }
    }
    for (child, v) in &children {
        upsert(tx, caller, *child, metric, start, end, *v, Some(target)).await?;
    }
    caller.audit(tx, "targets.split", &unit.code, Some(&unit.path),
        serde_json::json!({"target": target, "shares": shares.iter().map(|s| (s.org_code.clone(), s.value)).collect::<Vec<_>>()})).await?;
    Ok(())
}

async fn row(tx: &mut Tx, id: Uuid) -> Result<(Uuid, String, NaiveDate, NaiveDate, f64)> {
    const SQL: &str =
        "SELECT org_id, metric, period_start, period_end, value FROM targets WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// What a target (in scope) measures.
pub async fn metric_of(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<TargetMetric> {
    const SQL: &str = "SELECT t.metric, o.path FROM targets t JOIN org_units o ON o.id = t.org_id WHERE t.id = $1";
    let row: Option<(String, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?;
    match row {
        Some((m, path)) if scope.role_at(&path).is_some() => {
            TargetMetric::parse(&m).ok_or(Error::NotFound)
        }
        _ => Err(Error::NotFound),
    }
}

type TargetRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    NaiveDate,
    NaiveDate,
    f64,
    Option<String>,
);

const SELECT: &str = "SELECT t.id, o.id, o.code, o.name, o.path, t.metric, t.period_start, t.period_end, t.value, ca.leader_name
    FROM targets t JOIN org_units o ON o.id = t.org_id LEFT JOIN contact_assignments ca ON ca.org_id = o.id";

/// The targets of a unit whose period has not ended more than a year ago, each with its
/// children's shares ranked.
pub async fn progress_of(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    today: NaiveDate,
) -> Result<Vec<TargetProgress>> {
    let unit = orgs::get(tx, scope, org_code).await?;
    let sql = format!(
        "{SELECT} WHERE t.org_id = $1 AND t.period_end >= $2 ORDER BY t.period_end, t.metric"
    );
    let since = today - chrono::Duration::days(366);
    let rows: Vec<TargetRow> =
        on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(unit.id).bind(since).fetch_all(c).await)?;
    let mut out = Vec::new();
    for r in rows {
        let mut t = measure(tx, r, today).await?;
        let sql = format!("{SELECT} WHERE t.parent_id = $1 ORDER BY o.code");
        let kids: Vec<TargetRow> =
            on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(t.id).fetch_all(c).await)?;
        for k in kids {
            if scope.role_at(&k.4).is_some() {
                let child = measure(tx, k, today).await?;
                t.children.push(child);
            }
        }
        t.children.sort_by(|a, b| {
            b.progress
                .total_cmp(&a.progress)
                .then(a.org_code.cmp(&b.org_code))
        });
        for (i, c) in t.children.iter_mut().enumerate() {
            c.rank = Some(i + 1);
        }
        out.push(t);
    }
    // Overdue and at-risk first: what needs attention leads.
    out.sort_by_key(|t| match t.status.as_str() {
        "overdue" => 0,
        "at_risk" => 1,
        "on_track" => 2,
        _ => 3,
    });
    Ok(out)
}

async fn measure(tx: &mut Tx, r: TargetRow, today: NaiveDate) -> Result<TargetProgress> {
    let (id, _org, code, name, path, metric, start, end, value, leader) = r;
    let until = end.min(today);
    let c = counts::load(tx, &path, Some((start, until.max(start)))).await?;
    let rate = |n: i64, d: i64| if d > 0 { n as f64 / d as f64 } else { 0.0 };
    let actual = match TargetMetric::parse(&metric) {
        Some(TargetMetric::NewMembers) => c.total(metric::JOINED) as f64,
        Some(TargetMetric::NewUnions) => c.total(metric::UNIONS_FOUNDED) as f64,
        Some(TargetMetric::UnionisedEnterprises) => c.total(metric::ENT_UNIONISED) as f64,
        Some(TargetMetric::MembershipRate) => rate(
            c.total(metric::MEMBERS),
            c.get(metric::ENT, "workers") + c.get(metric::PROSPECTS, "unattached"),
        ),
        Some(TargetMetric::UnionisationRate) => rate(
            c.get(metric::ENT, "unionised"),
            c.get(metric::ENT, "operating"),
        ),
        Some(TargetMetric::Stations) => c.total(metric::STATIONS) as f64,
        Some(TargetMetric::Services) => c.total(metric::SERVICES) as f64,
        None => 0.0,
    };
    let progress = if value > 0.0 { actual / value } else { 1.0 };
    let status = status(progress, start, end, today);
    Ok(TargetProgress {
        id,
        org_code: code,
        org_name: name,
        metric,
        period_start: start,
        period_end: end,
        value,
        actual,
        progress,
        status: status.into(),
        leader,
        rank: None,
        children: Vec::new(),
    })
}

/// Done when reached; overdue when the period is over without it; at risk when progress lags
/// the elapsed share of the period by more than 15 points.
pub fn status(progress: f64, start: NaiveDate, end: NaiveDate, today: NaiveDate) -> &'static str {
    if progress >= 1.0 {
        return "done";
    }
    if today > end {
        return "overdue";
    }
    let days = (end - start).num_days() as f64 + 1.0;
    let elapsed = ((today - start).num_days() as f64 + 1.0).clamp(0.0, days) / days;
    if progress < elapsed - 0.15 {
        "at_risk"
    } else {
        "on_track"
    }
}

/// The leader responsible for a unit (包片联系点).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContactInput {
    pub leader_name: String,
    pub leader_title: Option<String>,
    pub leader_phone: Option<String>,
}

/// Assigns (or clears, with an empty name) the leader responsible for a unit.
pub async fn assign_contact(
    tx: &mut Tx,
    caller: &Caller,
    org_code: &str,
    input: &ContactInput,
) -> Result<()> {
    let unit = orgs::get(tx, &caller.scope, org_code).await?;
    if caller.scope.role_at(&unit.path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let name = input.leader_name.trim();
    if name.chars().count() > 40 {
        return Err(Error::invalid("leader_name", "targets.leader_too_long"));
    }
    let phone = match input
        .leader_phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(p) => Some(
            orgs::normalise_phone(p).ok_or(Error::invalid("leader_phone", "errors.bad_phone"))?,
        ),
    };
    const CLEAR: &str = "DELETE FROM contact_assignments WHERE org_id = $1";
    on_db!(tx.conn(), c => sqlx::query(CLEAR).bind(unit.id).execute(c).await.map(|r| r.rows_affected()))?;
    if !name.is_empty() {
        const SQL: &str = "INSERT INTO contact_assignments (org_id, leader_name, leader_title, leader_phone, assigned_at) VALUES ($1, $2, $3, $4, $5)";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(unit.id).bind(name)
            .bind(input.leader_title.as_deref().map(str::trim).filter(|t| !t.is_empty())).bind(&phone).bind(caller.at)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    caller
        .audit(
            tx,
            "targets.contact",
            &unit.code,
            Some(&unit.path),
            serde_json::json!({"leader": name}),
        )
        .await?;
    Ok(())
}

/// The leader of a unit, if one is assigned.
pub async fn contact_of(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
) -> Result<Option<ContactInput>> {
    let unit = orgs::get(tx, scope, org_code).await?;
    const SQL: &str =
        "SELECT leader_name, leader_title, leader_phone FROM contact_assignments WHERE org_id = $1";
    let row: Option<(String, Option<String>, Option<String>)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(unit.id).fetch_optional(c).await)?;
    Ok(
        row.map(|(leader_name, leader_title, leader_phone)| ContactInput {
            leader_name,
            leader_title,
            leader_phone,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn status_follows_progress_and_time() {
        let (s, e) = (d(1, 1), d(12, 31));
        assert_eq!(status(1.0, s, e, d(3, 1)), "done");
        assert_eq!(status(0.99, s, e, d(12, 31)), "on_track");
        assert_eq!(
            status(0.99, s, e, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            "overdue"
        );
        // Half the year gone, 30% done: lagging by 20 points.
        assert_eq!(status(0.30, s, e, d(7, 2)), "at_risk");
        assert_eq!(status(0.40, s, e, d(7, 2)), "on_track");
    }

    #[test]
    fn values_are_checked_by_kind() {
        assert!(check_value(TargetMetric::NewMembers, 120.0).is_ok());
        assert_eq!(
            check_value(TargetMetric::NewMembers, 1.5)
                .unwrap_err()
                .code(),
            "targets.bad_count"
        );
        assert_eq!(
            check_value(TargetMetric::MembershipRate, 1.2)
                .unwrap_err()
                .code(),
            "targets.bad_rate"
        );
        assert!(check_value(TargetMetric::MembershipRate, 0.9).is_ok());
        assert_eq!(format_value("membership_rate", 0.905), "90.5%");
        assert_eq!(format_value("new_members", 12.0), "12");
    }
}
