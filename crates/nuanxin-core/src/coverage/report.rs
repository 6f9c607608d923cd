//! The coverage report of a unit's subtree: members by group, channel and region, unions by
//! type, the census figures, both rates with their denominators, new members in a period, and
//! the same for each child. Every figure comes from the maintained counters (`counts`), so the
//! report costs a few index lookups whatever the size of the subtree.

use super::counts::{self, metric, Counts};
use crate::members::WorkerGroup;
use crate::orgs::{self, OrgKind, OrgUnit};
use crate::page::PageRequest;
use crate::{Error, Result, Scope, Tx};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// A period of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The period given, or the current year up to today.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn or_this_year(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Period> {
        let from =
            from.unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("valid"));
        let to = to.unwrap_or(today);
        if from > to {
            return Err(Error::invalid("from", "coverage.period_reversed"));
        }
        Ok(Period { from, to })
    }
}

/// Enterprises not unionised (of those still operating) by staff size bucket.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct NotUnionised {
    pub ge100: i64,
    #[serde(rename = "50_99")]
    pub from50to99: i64,
    #[serde(rename = "25_49")]
    pub from25to49: i64,
    pub lt25: i64,
}

/// The figures of one subtree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub region_code: String,
    /// `active` or `dissolved`.
    pub status: String,
    pub members_total: i64,
    /// Active members by worker group code (all eleven groups, zeros included).
    pub members_by_group: BTreeMap<String, i64>,
    /// Active members by join channel code.
    pub members_by_channel: BTreeMap<String, i64>,
    /// Active members by work region (township code; "" when not given).
    pub members_by_region: BTreeMap<String, i64>,
    /// Active units of the subtree (itself included) by type: `federation`,
    /// `industry_federation`, `joint_union`, `enterprise_union`.
    pub unions_by_type: BTreeMap<String, i64>,
    /// Census enterprises counted in the subtree (in its regions without a union, or with a
    /// union in it), whatever their state.
    pub enterprises_surveyed: i64,
    /// Of those, still operating: the denominator of the unionisation rate.
    pub enterprises_eligible: i64,
    /// Operating enterprises with a union (their own, or a joint union that covers them).
    pub enterprises_unionised: i64,
    pub enterprises_not_unionised: NotUnionised,
    /// New-employment-form workers that the census counts in operating enterprises.
    pub census_workers: i64,
    /// Prospects not attached to a census enterprise.
    pub prospects_unattached: i64,
    /// census_workers + prospects_unattached: the denominator of the membership rate.
    pub known_workers: i64,
    /// members_total ÷ known_workers; null without known workers.
    pub membership_rate: Option<f64>,
    /// enterprises_unionised ÷ enterprises_eligible; null without eligible enterprises.
    pub unionisation_rate: Option<f64>,
    pub period: Period,
    /// Members who joined in the period (back-dated joins count on their date).
    pub new_members: i64,
    /// Active memberships that ended in the period, on their dates: leaves, retentions (保留会籍),
    /// lapses and transfers out.
    pub left_members: i64,
    /// The same by how they ended: `left`, `retained`, `lapsed`, `transferred_out` (zeros
    /// included).
    pub left_by_kind: BTreeMap<String, i64>,
    /// Units founded in the period.
    pub new_unions: i64,
    /// Enterprises marked unionised in the period.
    pub new_unionised_enterprises: i64,
    /// Open stations run by units of the subtree.
    pub stations_open: i64,
    /// Open stations by station type code.
    pub stations_by_type: BTreeMap<String, i64>,
    /// People served at the subtree's stations in the period (visit head counts).
    pub services: i64,
    /// The same figures for each child unit (one level; their `children` are empty).
    #[schema(no_recursion)]
    pub children: Vec<Coverage>,
}

fn rate(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| (num as f64 / den as f64 * 10_000.0).round() / 10_000.0)
}

fn figures(unit: &OrgUnit, c: &Counts, period: Period) -> Coverage {
    let mut by_group: BTreeMap<String, i64> = WorkerGroup::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), 0))
        .collect();
    by_group.extend(c.of(metric::MEMBERS));
    let mut unions: BTreeMap<String, i64> = OrgKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), 0))
        .collect();
    unions.extend(c.of(metric::UNIONS));
    let members_total = c.total(metric::MEMBERS);
    let census_workers = c.get(metric::ENT, "workers");
    let prospects_unattached = c.get(metric::PROSPECTS, "unattached");
    let known = census_workers + prospects_unattached;
    let eligible = c.get(metric::ENT, "operating");
    let unionised = c.get(metric::ENT, "unionised");
    Coverage {
        org_code: unit.code.clone(),
        org_name: unit.name.clone(),
        org_type: unit.kind.as_str().to_string(),
        region_code: unit.region_code.clone(),
        status: unit.status.as_str().to_string(),
        members_total,
        members_by_group: by_group,
        members_by_channel: c.of(metric::CHANNEL),
        members_by_region: c.of(metric::REGION),
        unions_by_type: unions,
        enterprises_surveyed: c.get(metric::ENT, "surveyed"),
        enterprises_eligible: eligible,
        enterprises_unionised: unionised,
        enterprises_not_unionised: NotUnionised {
            ge100: c.get(metric::ENT, "none_ge100"),
            from50to99: c.get(metric::ENT, "none_50_99"),
            from25to49: c.get(metric::ENT, "none_25_49"),
            lt25: c.get(metric::ENT, "none_lt25"),
        },
        census_workers,
        prospects_unattached,
        known_workers: known,
        membership_rate: rate(members_total, known),
        unionisation_rate: rate(unionised, eligible),
        period,
        new_members: c.total(metric::JOINED),
        left_members: c.total(metric::LEFT),
        left_by_kind: c.endings(),
        new_unions: c.total(metric::UNIONS_FOUNDED),
        new_unionised_enterprises: c.total(metric::ENT_UNIONISED),
        stations_open: c.total(metric::STATIONS),
        stations_by_type: crate::stations::StationType::ALL
            .iter()
            .map(|t| (t.code().to_string(), c.get(metric::STATIONS, t.code())))
            .collect(),
        services: c.total(metric::SERVICES),
        children: Vec::new(),
    }
}

/// The coverage of `org_code`'s subtree and of each child, for `period`.
pub async fn coverage(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    period: Period,
) -> Result<Coverage> {
    let unit = orgs::get(tx, scope, org_code).await?;
    let days = Some((period.from, period.to));
    let own = counts::load(tx, &unit.path, days).await?;
    let mut report = figures(&unit, &own, period);
    let mut by_path = counts::load_children(tx, unit.id, days).await?;
    let mut children = Vec::new();
    let mut page = PageRequest::new(Some(1), Some(crate::page::MAX_PER_PAGE));
    loop {
        let batch = orgs::children(tx, scope, &unit.code, page).await?;
        let done = batch.items.len() < page.per_page as usize;
        children.extend(batch.items);
        if done {
            break;
        }
        page.page += 1;
    }
    let empty = Counts::default();
    for child in children {
        let c = by_path.remove(&child.path);
        let c = c.as_ref().unwrap_or(&empty);
        // Dissolved children without anything left to count are history, not figures.
        if !child.is_active()
            && c.total(metric::MEMBERS) == 0
            && c.get(metric::ENT, "surveyed") == 0
        {
            continue;
        }
        report.children.push(figures(&child, c, period));
    }
    Ok(report)
}

/// Members at the end of each month, with joins and departures in it, for the last `months`
/// months up to `today`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// YYYY-MM.
    pub month: String,
    pub members: i64,
    pub joined: i64,
    pub left: i64,
    pub new_unions: i64,
}

pub async fn trend(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    today: NaiveDate,
    months: u32,
) -> Result<Vec<TrendPoint>> {
    let unit = orgs::get(tx, scope, org_code).await?;
    let first = months_back(today, months.saturating_sub(1));
    let rows = counts::monthly(tx, &unit.path, first).await?;
    let now = counts::load(tx, &unit.path, Some((today, today)))
        .await?
        .total(metric::MEMBERS);
    // Joins and departures after today (back-dated imports cannot be in the future, but a
    // clock can be): counted so that the end-of-month figures stay exact.
    let mut points: Vec<TrendPoint> = (0..months)
        .map(|i| {
            let d = months_back(today, months - 1 - i);
            TrendPoint {
                month: d.format("%Y-%m").to_string(),
                members: 0,
                joined: 0,
                left: 0,
                new_unions: 0,
            }
        })
        .collect();
    let mut later_net: BTreeMap<String, i64> = BTreeMap::new();
    for (m, month, n) in &rows {
        if let Some(p) = points.iter_mut().find(|p| &p.month == month) {
            match m.as_str() {
                "joined" => p.joined += n,
                "left" => p.left += n,
                "unions_founded" => p.new_unions += n,
                _ => {}
            }
        } else if month > &points.last().map(|p| p.month.clone()).unwrap_or_default() {
            let e = later_net.entry(month.clone()).or_default();
            match m.as_str() {
                "joined" => *e += n,
                "left" => *e -= n,
                _ => {}
            }
        }
    }
    // Walk back from today's total: the end of a month is the next month's end minus its net.
    let mut members = now - later_net.values().sum::<i64>();
    for p in points.iter_mut().rev() {
        p.members = members;
        members -= p.joined - p.left;
    }
    Ok(points)
}

#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
fn months_back(today: NaiveDate, n: u32) -> NaiveDate {
    let total = today.year() * 12 + today.month0() as i32 - n as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .expect("valid")
}

/// What the dashboard shows of a unit: its figures for the period, its twelve-month trend, its
/// targets with progress, the unit and the way down to it.
pub struct Dashboard {
    pub report: Coverage,
    pub trend: Vec<TrendPoint>,
    pub targets: Vec<crate::targets::TargetProgress>,
    pub unit: OrgUnit,
    pub trail: Vec<OrgUnit>,
}

/// The dashboard of a unit in the caller's scope, read in one transaction (its figures agree).
pub async fn dashboard(
    store: &crate::Store,
    caller: &crate::accounts::Caller,
    org_code: &str,
    period: Period,
) -> Result<Dashboard> {
    crate::in_read(store, async |tx| {
        let (scope, today) = (&caller.scope, caller.today);
        let report = coverage(tx, scope, org_code, period).await?;
        let trend = trend(tx, scope, org_code, today, 12).await?;
        let targets = crate::targets::progress_of(tx, scope, org_code, today).await?;
        let unit = orgs::get(tx, scope, org_code).await?;
        let trail = orgs::ancestors(tx, scope, &unit).await?;
        Ok(Dashboard {
            report,
            trend,
            targets,
            unit,
            trail,
        })
    })
    .await
}

/// The statistics sheet (统计表) of a unit for a period, its export audited.
pub async fn export_statistics(
    store: &crate::Store,
    caller: &crate::accounts::Caller,
    org_code: &str,
    period: Period,
    zh: bool,
) -> Result<Vec<u8>> {
    crate::in_write(store, async |tx| {
        let report = coverage(tx, &caller.scope, org_code, period).await?;
        let bytes = super::sheet::statistics_xlsx(&report, zh).map_err(Error::Internal)?;
        let path = orgs::get(tx, &caller.scope, org_code).await?.path;
        let filter = serde_json::json!({"from": period.from, "to": period.to});
        let (actor, at) = (&caller.actor, caller.at);
        crate::audit::record(
            tx,
            actor,
            at,
            "coverage.export",
            org_code,
            Some(&path),
            filter,
        )
        .await?;
        Ok(bytes)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_back_crosses_years() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 15).unwrap();
        assert_eq!(
            months_back(d, 0),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(
            months_back(d, 2),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        assert_eq!(
            months_back(d, 14),
            NaiveDate::from_ymd_opt(2024, 12, 1).unwrap()
        );
    }

    #[test]
    fn rates_are_rounded_and_absent_without_denominator() {
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(5, 0), None);
    }
}
