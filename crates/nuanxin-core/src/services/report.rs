//! The services report of a unit's subtree for a period: one JSON object, one member per
//! service. Each is read from the maintained counters (one lookup, whatever the subtree's
//! size) except the counts of distinct things daily counters cannot add up: `workers_helped`
//! (people) of a period that does not start on 1 January (from 1 January it is read from the
//! first-help-day counters), `labour_checks.enterprises` and `aid.plans` (a handful of rows).

use crate::coverage::counts::{self, metric};
use crate::coverage::Period;
use crate::{on_db, orgs, Result, Scope, Tx};
use serde::Serialize;
use std::collections::BTreeMap;

/// Rights cases of the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseFigures {
    /// Cases opened in the period.
    pub opened: i64,
    /// Cases closed in the period.
    pub closed: i64,
    /// Distinct workers (by ID number, else phone) with a case closed in the period that
    /// recovered money.
    pub workers_helped: i64,
    /// Claimed by the cases opened in the period.
    pub claimed_fen: i64,
    /// Recovered by the cases closed in the period.
    pub recovered_fen: i64,
    /// Cases opened in the period, by kind (every kind, zero included).
    pub by_kind: BTreeMap<String, i64>,
}

/// Labour-law checks (法治体检) run in the period by the unions of the subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckFigures {
    /// Checks run in the period.
    pub checks: i64,
    /// Distinct enterprises checked in the period.
    pub enterprises: i64,
    /// Problems those checks found.
    pub findings: i64,
    /// Problems of those checks rectified since.
    pub rectified: i64,
}

/// Mutual aid (互助保障) of the subtree in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AidFigures {
    /// Plans run by the subtree's unions whose coverage overlaps the period.
    pub plans: i64,
    /// Members of the subtree whose coverage started in the period.
    pub enrolled: i64,
    /// Premium of those enrolments, in fen.
    pub premium_fen: i64,
    /// Claims filed in the period.
    pub claims: i64,
    /// Approved in the period, in fen.
    pub approved_fen: i64,
    /// Paid in the period, in fen.
    pub paid_fen: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServicesReport {
    pub org_code: String,
    pub org_name: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub cases: CaseFigures,
    pub labour_checks: CheckFigures,
    pub aid: AidFigures,
    /// Care activities held in the period by the subtree's unions, and what they reached.
    pub care: super::care::CareFigures,
    /// Hardship files of the subtree's unions: open at the period's end, opened and assisted in it.
    pub hardship: super::hardship::HardshipFigures,
    /// Honours of the subtree's members awarded in the period's years.
    pub honours: super::honours::HonourFigures,
    /// Grid reports of the subtree's reporters: made and resolved in the period.
    pub grid: super::grid::reports::GridFigures,
    /// Collective contracts of the subtree's unions valid on the period's last day.
    pub contracts: super::contracts::ContractFigures,
}

/// A period from 1 January to a day of the same year: distinct people helped are read from the
/// first-help-day counters; any other period counts them in the base table.
fn year_to_date(period: Period) -> bool {
    use chrono::Datelike;
    period.from.ordinal() == 1 && period.from.year() == period.to.year()
}

/// The report of the subtree of `org_code` (in scope) for `period`.
pub async fn services(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    period: Period,
) -> Result<ServicesReport> {
    let unit = orgs::get(tx, scope, org_code).await?;
    const METRICS: [&str; 13] = [
        metric::CASES_OPENED,
        metric::CASES_CLOSED,
        metric::CASES_HELPED_FIRST,
        metric::CASES_CLAIMED,
        metric::CASES_RECOVERED,
        metric::CHECKS,
        metric::CHECK_FINDINGS,
        metric::CHECK_RECTIFIED,
        metric::AID_ENROLLED,
        metric::AID_PREMIUM,
        metric::AID_CLAIMS,
        metric::AID_APPROVED,
        metric::AID_PAID,
    ];
    let c = counts::totals(tx, &unit.path, (period.from, period.to), &METRICS).await?;
    let sum = |m: &str| c.of(m).values().sum::<i64>();
    let mut by_kind: BTreeMap<String, i64> = super::cases::KINDS
        .iter()
        .map(|(k, _)| (k.to_string(), 0))
        .collect();
    // Cases opened are keyed by day and kind: their totals by kind.
    for (kind, n) in c.of(metric::CASES_OPENED) {
        *by_kind.entry(kind).or_default() += n;
    }
    let cases = CaseFigures {
        opened: sum(metric::CASES_OPENED),
        closed: sum(metric::CASES_CLOSED),
        workers_helped: if year_to_date(period) {
            // Each person counts once a year, on their first day helped: the sum is exact.
            sum(metric::CASES_HELPED_FIRST)
        } else {
            super::cases::workers_helped(tx, &unit.path, period.from, period.to).await?
        },
        claimed_fen: sum(metric::CASES_CLAIMED),
        recovered_fen: sum(metric::CASES_RECOVERED),
        by_kind,
    };
    let labour_checks = CheckFigures {
        checks: sum(metric::CHECKS),
        enterprises: super::labour_checks::enterprises_checked(
            tx,
            &unit.path,
            period.from,
            period.to,
        )
        .await?,
        findings: sum(metric::CHECK_FINDINGS),
        rectified: sum(metric::CHECK_RECTIFIED),
    };
    let aid = AidFigures {
        plans: super::aid::plans_in(tx, &unit.path, period.from, period.to).await?,
        enrolled: sum(metric::AID_ENROLLED),
        premium_fen: sum(metric::AID_PREMIUM),
        claims: sum(metric::AID_CLAIMS),
        approved_fen: sum(metric::AID_APPROVED),
        paid_fen: sum(metric::AID_PAID),
    };
    let care = super::care::figures(tx, &unit.path, period.from, period.to).await?;
    let hardship = super::hardship::figures(tx, &unit.path, period.from, period.to).await?;
    let honours = super::honours::figures(tx, &unit.path, period.from, period.to).await?;
    let grid = super::grid::reports::figures(tx, &unit.path, period.from, period.to).await?;
    let contracts = super::contracts::figures(tx, &unit.path, period.to).await?;
    Ok(ServicesReport {
        org_code: unit.code,
        org_name: unit.name,
        from: period.from,
        to: period.to,
        cases,
        labour_checks,
        aid,
        care,
        hardship,
        honours,
        grid,
        contracts,
    })
}

/// The services figures of one worker group (群体) of a subtree for a period: cases by the group
/// of the member who asked (cases recorded for a non-member or from a ledger are under `""`),
/// enrolments and claims by the enrolled member's group. Counted in the base tables, by the same
/// days as the report (opened, closed, covered from, filed, paid).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct GroupFigures {
    /// The worker group's code (`delivery_rider`, …), or `""` when not known.
    pub group: String,
    pub cases_opened: i64,
    pub claimed_fen: i64,
    pub cases_closed: i64,
    pub recovered_fen: i64,
    pub enrolled: i64,
    pub aid_claims: i64,
    pub paid_fen: i64,
}

/// The services figures of the subtree of `org_code` (in scope) by worker group, groups with
/// anything to show only, the unknown group last.
pub async fn by_group(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    period: Period,
) -> Result<Vec<GroupFigures>> {
    let unit = orgs::get(tx, scope, org_code).await?;
    let (lo, hi) = nuanxin_store::subtree_range(&unit.path);
    const OPENED: &str = "SELECT COALESCE(m.worker_group, ''), COUNT(*), CAST(COALESCE(SUM(c.claimed_fen), 0) AS BIGINT)
        FROM rights_cases c JOIN org_units o ON o.id = c.org_id LEFT JOIN memberships m ON m.id = c.membership_id
        WHERE o.path >= $1 AND o.path < $2 AND c.opened_on >= $3 AND c.opened_on <= $4 GROUP BY COALESCE(m.worker_group, '')";
    const CLOSED: &str = "SELECT COALESCE(m.worker_group, ''), COUNT(*), CAST(COALESCE(SUM(c.recovered_fen), 0) AS BIGINT)
        FROM rights_cases c JOIN org_units o ON o.id = c.org_id LEFT JOIN memberships m ON m.id = c.membership_id
        WHERE o.path >= $1 AND o.path < $2 AND c.closed_on >= $3 AND c.closed_on <= $4 GROUP BY COALESCE(m.worker_group, '')";
    const ENROLLED: &str = "SELECT m.worker_group, COUNT(*), CAST(0 AS BIGINT) FROM aid_enrolments e JOIN org_units o ON o.id = e.org_id
        JOIN memberships m ON m.id = e.membership_id
        WHERE o.path >= $1 AND o.path < $2 AND e.covered_from >= $3 AND e.covered_from <= $4 GROUP BY m.worker_group";
    const FILED: &str = "SELECT m.worker_group, COUNT(*), CAST(0 AS BIGINT) FROM aid_claims a JOIN org_units o ON o.id = a.org_id
        JOIN aid_enrolments e ON e.id = a.enrolment_id JOIN memberships m ON m.id = e.membership_id
        WHERE o.path >= $1 AND o.path < $2 AND a.filed_on >= $3 AND a.filed_on <= $4 GROUP BY m.worker_group";
    const PAID: &str = "SELECT m.worker_group, COUNT(*), CAST(COALESCE(SUM(a.paid_fen), 0) AS BIGINT) FROM aid_claims a
        JOIN org_units o ON o.id = a.org_id JOIN aid_enrolments e ON e.id = a.enrolment_id JOIN memberships m ON m.id = e.membership_id
        WHERE o.path >= $1 AND o.path < $2 AND a.paid_on >= $3 AND a.paid_on <= $4 GROUP BY m.worker_group";
    let mut groups: BTreeMap<String, GroupFigures> = BTreeMap::new();
    for (sql, which) in [
        (OPENED, 0),
        (CLOSED, 1),
        (ENROLLED, 2),
        (FILED, 3),
        (PAID, 4),
    ] {
        let rows: Vec<(String, i64, i64)> = on_db!(tx.conn(), c => sqlx::query_as(sql).bind(&lo).bind(&hi)
            .bind(period.from).bind(period.to).fetch_all(c).await)?;
        for (group, n, fen) in rows {
            let g = groups.entry(group.clone()).or_insert_with(|| GroupFigures {
                group,
                ..GroupFigures::default()
            });
            match which {
                0 => (g.cases_opened, g.claimed_fen) = (n, fen),
                1 => (g.cases_closed, g.recovered_fen) = (n, fen),
                2 => g.enrolled = n,
                3 => g.aid_claims = n,
                _ => g.paid_fen = fen,
            }
        }
    }
    let (known, unknown): (Vec<_>, Vec<_>) =
        groups.into_values().partition(|g| !g.group.is_empty());
    Ok(known.into_iter().chain(unknown).collect())
}
