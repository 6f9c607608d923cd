//! The services report of a unit's subtree for a period: one JSON object, one member per
//! service. Each is read from the maintained counters (one lookup, whatever the subtree's
//! size) except the counts of distinct things daily counters cannot add up: `workers_helped`
//! (people) of a period that does not start on 1 January (from 1 January it is read from the
//! first-help-day counters), `labour_checks.enterprises` and `aid.plans` (a handful of rows).

use crate::coverage::counts::{self, metric};
use crate::coverage::Period;
use crate::{orgs, Result, Scope, Tx};
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
    Ok(ServicesReport {
        org_code: unit.code,
        org_name: unit.name,
        from: period.from,
        to: period.to,
        cases,
        labour_checks,
        aid,
    })
}
