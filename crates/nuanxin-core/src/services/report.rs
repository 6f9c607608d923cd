//! The services report of a unit's subtree for a period: one JSON object, one member per
//! service. `cases` is read from the maintained counters (one lookup, whatever the subtree's
//! size) except `workers_helped`, a count of distinct people that daily counters cannot add up.

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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServicesReport {
    pub org_code: String,
    pub org_name: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub cases: CaseFigures,
}

/// The report of the subtree of `org_code` (in scope) for `period`.
pub async fn services(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    period: Period,
) -> Result<ServicesReport> {
    let unit = orgs::get(tx, scope, org_code).await?;
    let c = counts::load(tx, &unit.path, Some((period.from, period.to))).await?;
    let sum = |m: &str| c.of(m).values().sum::<i64>();
    let mut by_kind: BTreeMap<String, i64> = super::cases::KINDS
        .iter()
        .map(|(k, _)| (k.to_string(), 0))
        .collect();
    for (key, n) in c.of(metric::CASES_OPENED) {
        if let Some((_, kind)) = key.split_once(':') {
            *by_kind.entry(kind.to_string()).or_default() += n;
        }
    }
    let cases = CaseFigures {
        opened: sum(metric::CASES_OPENED),
        closed: sum(metric::CASES_CLOSED),
        workers_helped: super::cases::workers_helped(tx, &unit.path, period.from, period.to)
            .await?,
        claimed_fen: sum(metric::CASES_CLAIMED),
        recovered_fen: sum(metric::CASES_RECOVERED),
        by_kind,
    };
    Ok(ServicesReport {
        org_code: unit.code,
        org_name: unit.name,
        from: period.from,
        to: period.to,
        cases,
    })
}
