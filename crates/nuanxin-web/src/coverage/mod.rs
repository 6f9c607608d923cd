//! The dashboard a cadre lands on (`/dashboard`): targets first, then the coverage of their
//! area with charts (trend, composition, ranking of children), the children's figures with
//! drill-down to each child and to the lists behind each figure, and the statistics sheet as
//! xlsx. The API answers the same figures at `/api/v1/coverage`.

pub mod boundaries;

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::Ctx;
use crate::respond::{self, render};
use askama::Template;
use axum::extract::Query;
use axum::response::{Html, Response};
use axum::Json;
use nuanxin_core::coverage::{self, Coverage, Period, TrendPoint};
use nuanxin_core::members::WorkerGroup;
use nuanxin_core::sheets::parse_date;
use nuanxin_core::targets::{self, TargetProgress};
use nuanxin_core::{in_read, orgs, Error};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CoverageQuery {
    /// Org code (default: the caller's first post).
    pub org: Option<String>,
    /// First day of the period (default: 1 January of this year).
    pub from: Option<String>,
    /// Last day of the period (default: today).
    pub to: Option<String>,
}

pub(crate) fn period(q: &CoverageQuery, today: chrono::NaiveDate) -> Result<Period, Error> {
    let date = |field: &'static str, s: &Option<String>| match s
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(s) => parse_date(s)
            .map(Some)
            .ok_or(Error::invalid(field, "errors.bad_date")),
    };
    Period::or_this_year(date("from", &q.from)?, date("to", &q.to)?, today)
}

pub(crate) fn org_of(auth: &Auth, q: &CoverageQuery) -> Result<String, PageError> {
    match q.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(o) => Ok(o.to_string()),
        None => auth
            .caller
            .home_unit()
            .ok_or_else(|| Error::NotFound.into()),
    }
}

#[derive(Template)]
#[template(path = "coverage/dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    report: Coverage,
    trend: Vec<TrendPoint>,
    targets: Vec<TargetProgress>,
    crumbs: Vec<(String, String)>,
    /// Members by worker group, in the order of SPEC section 2.
    groups: Vec<(&'static str, i64)>,
    /// The data the charts draw, as JSON for `assets/coverage.js`.
    chart_json: String,
    /// A region boundary file covers the children: the choropleth is drawn.
    has_map: bool,
    /// The rights cases of the period (the services report's `cases`).
    cases: nuanxin_core::services::report::CaseFigures,
    /// Labour-law checks and mutual aid of the period (the report's `labour_checks` and `aid`).
    checks: nuanxin_core::services::report::CheckFigures,
    aid: nuanxin_core::services::report::AidFigures,
}

impl DashboardPage {
    fn pct(&self, r: &Option<f64>) -> String {
        r.map(|x| format!("{:.1}%", x * 100.0))
            .unwrap_or_else(|| "—".into())
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn yuan(&self, fen: &i64) -> String {
        nuanxin_core::services::money::yuan(*fen)
    }

    fn unions_total(&self, c: &Coverage) -> i64 {
        c.unions_by_type.values().sum()
    }

    fn export_link(&self) -> String {
        format!(
            "/dashboard/export.xlsx?org={}&from={}&to={}",
            crate::auth::urlencode(&self.report.org_code),
            self.report.period.from,
            self.report.period.to
        )
    }

    fn drill(&self, code: &str) -> String {
        format!(
            "/dashboard?org={}&from={}&to={}",
            crate::auth::urlencode(code),
            self.report.period.from,
            self.report.period.to
        )
    }

    fn pct_of(&self, progress: &f64) -> String {
        format!("{:.0}%", (progress * 100.0).min(999.0))
    }

    fn bar_width(&self, progress: &f64) -> String {
        format!("{:.0}", (progress * 100.0).clamp(0.0, 100.0))
    }

    fn target_value(&self, t: &TargetProgress) -> String {
        targets::format_value(&t.metric, t.value)
    }

    fn target_actual(&self, t: &TargetProgress) -> String {
        targets::format_value(&t.metric, t.actual)
    }
}

pub async fn dashboard(
    auth: Auth,
    Query(query): Query<CoverageQuery>,
) -> Result<Html<String>, PageError> {
    let code = org_of(&auth, &query)?;
    let period = period(&query, auth.caller.today)?;
    let coverage::Dashboard {
        report,
        trend,
        targets,
        trail,
        ..
    } = coverage::dashboard(&auth.app.store, &auth.caller, &code, period).await?;
    let crumbs = trail.into_iter().map(|a| (a.code, a.name)).collect();
    let services = in_read(&auth.app.store, async |tx| {
        nuanxin_core::services::report::services(tx, &auth.caller.scope, &code, period).await
    })
    .await?;
    let ctx = Ctx::new(&auth, "dashboard", &format!("/dashboard?org={code}"));
    let groups: Vec<serde_json::Value> = WorkerGroup::ALL
        .iter()
        .map(|g| serde_json::json!({"name": ctx.t(&format!("members.group.{}", g.as_str())), "value": report.members_by_group.get(g.as_str()).copied().unwrap_or(0)}))
        .collect();
    // The choropleth: children's membership rates by region, where boundaries are configured.
    let map = auth.app.config.boundaries.as_ref().and_then(|b| {
        let mut by_region: std::collections::BTreeMap<&str, (i64, i64, Vec<&str>)> = Default::default();
        for c in &report.children {
            let e = by_region.entry(c.region_code.as_str()).or_default();
            e.0 += c.members_total;
            e.1 += c.known_workers;
            e.2.push(c.org_name.as_str());
        }
        let codes: Vec<&str> = by_region.keys().copied().collect();
        let geo = b.collection_for(&codes)?;
        let data: Vec<serde_json::Value> = by_region
            .iter()
            .map(|(code, (members, known, names))| {
                let rate = (*known > 0).then(|| (*members as f64 / *known as f64 * 1000.0).round() / 10.0);
                serde_json::json!({"name": code, "value": rate, "units": names.join("、"), "members": members, "known": known})
            })
            .collect();
        Some(serde_json::json!({"geo": geo, "data": data, "label": ctx.t("coverage.membership_rate")}))
    });
    let has_map = map.is_some();
    let mut ranking: Vec<&Coverage> = report.children.iter().collect();
    ranking.sort_by_key(|c| std::cmp::Reverse(c.members_total));
    let chart_json = respond::json_in_html(&serde_json::json!({
        "trend": {
            "months": trend.iter().map(|p| p.month.clone()).collect::<Vec<_>>(),
            "members": trend.iter().map(|p| p.members).collect::<Vec<_>>(),
            "joined": trend.iter().map(|p| p.joined).collect::<Vec<_>>(),
            "labels": [ctx.t("coverage.members_total"), ctx.t("coverage.new_members")],
        },
        "groups": groups,
        "map": map,
        "ranking": {
            "names": ranking.iter().take(15).map(|c| c.org_name.clone()).collect::<Vec<_>>(),
            "members": ranking.iter().take(15).map(|c| c.members_total).collect::<Vec<_>>(),
            "label": ctx.t("coverage.members_total"),
        },
    }));
    let by_group = WorkerGroup::ALL
        .iter()
        .map(|g| {
            (
                g.as_str(),
                report
                    .members_by_group
                    .get(g.as_str())
                    .copied()
                    .unwrap_or(0),
            )
        })
        .collect();
    render(&DashboardPage {
        has_map,
        cases: services.cases,
        checks: services.labour_checks,
        aid: services.aid,
        ctx,
        groups: by_group,
        report,
        trend,
        targets,
        crumbs,
        chart_json,
    })
}

pub async fn export(auth: Auth, Query(query): Query<CoverageQuery>) -> Result<Response, PageError> {
    let code = org_of(&auth, &query)?;
    let period = period(&query, auth.caller.today)?;
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes =
        coverage::export_statistics(&auth.app.store, &auth.caller, &code, period, zh).await?;
    Ok(respond::xlsx(
        bytes,
        &format!("statistics-{code}-{}.xlsx", period.to),
    ))
}

#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage", params(CoverageQuery),
    responses((status = 200, description = "Figures of the unit's subtree and of each child", body = Coverage),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_coverage(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<Coverage>, ApiError> {
    let code = org_of(&auth, &query).map_err(|_| Error::NotFound)?;
    let period = period(&query, auth.caller.today)?;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            coverage::coverage(tx, &auth.caller.scope, &code, period).await
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TrendQuery {
    pub org: Option<String>,
    /// Months back from this month (1-60, default 12).
    pub months: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/coverage/trend", tag = "coverage", params(TrendQuery),
    responses((status = 200, description = "Members at the end of each month, joins and departures", body = Vec<TrendPoint>), (status = 404, body = ErrorBody)))]
pub async fn api_trend(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<TrendQuery>,
) -> Result<Json<Vec<TrendPoint>>, ApiError> {
    let cq = CoverageQuery {
        org: q.org,
        ..Default::default()
    };
    let code = org_of(&auth, &cq).map_err(|_| Error::NotFound)?;
    let months = q.months.unwrap_or(12).clamp(1, 60);
    let trend = in_read(&auth.app.store, async |tx| {
        coverage::trend(tx, &auth.caller.scope, &code, auth.caller.today, months).await
    })
    .await?;
    Ok(Json(trend))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct EmployersQuery {
    /// Org code (default: the caller's first post).
    pub org: Option<String>,
    /// How many employers (1-500, default 100).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/coverage/employers", tag = "coverage", params(EmployersQuery),
    responses((status = 200, description = "Active members of the subtree by employer, largest first, with the census enterprise of that name", body = Vec<coverage::EmployerCount>), (status = 404, body = ErrorBody)))]
pub async fn api_employers(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<EmployersQuery>,
) -> Result<Json<Vec<coverage::EmployerCount>>, ApiError> {
    let cq = CoverageQuery {
        org: q.org,
        ..Default::default()
    };
    let code = org_of(&auth, &cq).map_err(|_| Error::NotFound)?;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            coverage::employers(tx, &auth.caller.scope, &code, q.limit.unwrap_or(100)).await
        })
        .await?,
    ))
}

#[derive(Template)]
#[template(path = "coverage/employers.html")]
struct EmployersPage {
    ctx: Ctx,
    org_code: String,
    org_name: String,
    rows: Vec<coverage::EmployerCount>,
}

impl EmployersPage {
    fn status(&self, s: &Option<String>) -> String {
        match s {
            Some(s) => self.ctx.t(&format!("census.status.{s}")).to_string(),
            None => self.ctx.t("coverage.not_in_census").to_string(),
        }
    }
}

pub async fn employers_page(
    auth: Auth,
    Query(q): Query<EmployersQuery>,
) -> Result<Html<String>, PageError> {
    let cq = CoverageQuery {
        org: q.org,
        ..Default::default()
    };
    let code = org_of(&auth, &cq)?;
    let limit = q.limit.unwrap_or(100);
    let (unit, rows) = in_read(&auth.app.store, async |tx| {
        let unit = orgs::get(tx, &auth.caller.scope, &code).await?;
        let rows = coverage::employers(tx, &auth.caller.scope, &code, limit).await?;
        Ok((unit, rows))
    })
    .await?;
    render(&EmployersPage {
        ctx: Ctx::new(
            &auth,
            "dashboard",
            &format!("/dashboard/employers?org={code}"),
        ),
        org_code: unit.code,
        org_name: unit.name,
        rows,
    })
}
