//! Worker services (SPEC section 3.7) in the console and the API: rights cases, labour-law checks,
//! mutual aid, and the one services report each service adds its figures to.

pub mod aid;
pub mod care;
pub mod cases;
pub mod competitions;
pub mod contracts;
pub mod friendly;
pub mod grid;
pub mod hardship;
pub mod help;
pub mod honours;
pub mod labour_checks;
pub mod library;
pub mod notices;
pub mod offers;
pub mod photos;
pub mod social_orgs;

use crate::auth::ApiAuth;
use crate::coverage::{org_of, period, CoverageQuery};
use crate::error::{ApiError, ErrorBody};
use axum::extract::Query;
use axum::Json;
use nuanxin_core::services::report::{self, GroupFigures, ServicesReport};
use nuanxin_core::{in_read, in_write, Error};

#[utoipa::path(get, path = "/api/v1/services/report", tag = "services", params(CoverageQuery),
    responses((status = 200, description = "The services figures of the unit's subtree for the period (as `nuanxin report services`)", body = ServicesReport),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_report(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<ServicesReport>, ApiError> {
    let code = org_of(&auth, &query).map_err(|_| Error::NotFound)?;
    let period = period(&query, auth.caller.today)?;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            report::services(tx, &auth.caller.scope, &code, period).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/services/report/groups", tag = "services", params(CoverageQuery),
    responses((status = 200, description = "The services figures of the unit's subtree for the period by worker group (cases by the asking member's group, `\"\"` when not known; enrolments and claims by the enrolled member's group)", body = Vec<GroupFigures>),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_report_groups(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<Vec<GroupFigures>>, ApiError> {
    let code = org_of(&auth, &query).map_err(|_| Error::NotFound)?;
    let period = period(&query, auth.caller.today)?;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            report::by_group(tx, &auth.caller.scope, &code, period).await
        })
        .await?,
    ))
}

/// The services report of a unit's subtree, of each unit below it and by worker group, for the
/// page and the sheet.
async fn report_with_children(
    auth: &crate::auth::Auth,
    query: &CoverageQuery,
) -> Result<(ServicesReport, Vec<ServicesReport>, Vec<GroupFigures>), crate::error::PageError> {
    let code = org_of(auth, query)?;
    let period = period(query, auth.caller.today)?;
    let scope = &auth.caller.scope;
    Ok(in_read(&auth.app.store, async |tx| {
        let whole = report::services(tx, scope, &code, period).await?;
        let below = nuanxin_core::orgs::children(
            tx,
            scope,
            &code,
            nuanxin_core::page::PageRequest::new(Some(1), Some(200)),
        )
        .await?;
        let mut rows = Vec::new();
        for unit in below.items.iter().filter(|u| u.is_active()) {
            rows.push(report::services(tx, scope, &unit.code, period).await?);
        }
        let groups = report::by_group(tx, scope, &code, period).await?;
        Ok((whole, rows, groups))
    })
    .await?)
}

#[derive(askama::Template)]
#[template(path = "services/report.html")]
struct ReportPage {
    ctx: crate::layout::Ctx,
    report: ServicesReport,
    children: Vec<ServicesReport>,
    groups: Vec<GroupFigures>,
}

impl ReportPage {
    fn yuan(&self, fen: &i64) -> String {
        nuanxin_core::services::money::yuan(*fen)
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    /// A worker group's name, or "not known" for the empty code.
    fn group(&self, code: &str) -> String {
        match code {
            "" => self.ctx.t("services.group_unknown").to_string(),
            c => self.label("members.group", c),
        }
    }

    fn export_link(&self) -> String {
        format!(
            "/services/report.xlsx?org={}&from={}&to={}",
            self.report.org_code, self.report.from, self.report.to
        )
    }
}

/// `GET /services/report`: the services figures of a unit's subtree for a period, with a row per
/// unit below it.
pub async fn report_page(
    auth: crate::auth::Auth,
    Query(query): Query<CoverageQuery>,
) -> Result<axum::response::Html<String>, crate::error::PageError> {
    let (report, children, groups) = report_with_children(&auth, &query).await?;
    crate::respond::render(&ReportPage {
        ctx: crate::layout::Ctx::new(&auth, "cases", "/services/report"),
        report,
        children,
        groups,
    })
}

/// `GET /services/report.xlsx`: the same figures as a sheet, the subtree first, then each unit
/// below it; one column per figure.
pub async fn report_xlsx(
    auth: crate::auth::Auth,
    Query(query): Query<CoverageQuery>,
) -> Result<axum::response::Response, crate::error::PageError> {
    let (whole, children, groups) = report_with_children(&auth, &query).await?;
    let zh = auth.lang == crate::Lang::ZhCn;
    let cat = crate::i18n::Catalogue::of(auth.lang);
    let headers: Vec<&str> = REPORT_COLUMNS.iter().map(|k| cat.get(k)).collect();
    let yuan = |fen: i64| nuanxin_core::services::money::yuan(fen).replace(',', "");
    let row = |r: &ServicesReport| {
        vec![
            r.org_code.clone(),
            r.org_name.clone(),
            r.cases.opened.to_string(),
            r.cases.closed.to_string(),
            r.cases.workers_helped.to_string(),
            yuan(r.cases.claimed_fen),
            yuan(r.cases.recovered_fen),
            r.labour_checks.checks.to_string(),
            r.labour_checks.enterprises.to_string(),
            r.labour_checks.findings.to_string(),
            r.labour_checks.rectified.to_string(),
            r.aid.plans.to_string(),
            r.aid.enrolled.to_string(),
            yuan(r.aid.premium_fen),
            r.aid.claims.to_string(),
            yuan(r.aid.approved_fen),
            yuan(r.aid.paid_fen),
            r.care.activities.to_string(),
            r.care.recipients.to_string(),
            r.care.members_reached.to_string(),
            r.care.non_members.to_string(),
            yuan(r.care.spent_fen),
            r.hardship.open_files.to_string(),
            r.hardship.new_files.to_string(),
            r.hardship.assisted.to_string(),
            yuan(r.hardship.assistance_fen),
            r.honours.awarded.to_string(),
            r.grid.reports.to_string(),
            r.grid.resolved.to_string(),
            r.grid
                .median_hours_to_resolve
                .map_or_else(String::new, |h| h.to_string()),
            r.grid.reporters.to_string(),
            r.contracts.valid.to_string(),
            r.contracts.covered_workers.to_string(),
        ]
    };
    let rows: Vec<Vec<String>> = std::iter::once(&whole)
        .chain(children.iter())
        .map(row)
        .collect();
    let group_headers: Vec<&str> = GROUP_COLUMNS.iter().map(|k| cat.get(k)).collect();
    let group_rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            vec![
                match g.group.as_str() {
                    "" => cat.get("services.group_unknown").to_string(),
                    c => cat.get(&format!("members.group.{c}")).to_string(),
                },
                g.cases_opened.to_string(),
                yuan(g.claimed_fen),
                g.cases_closed.to_string(),
                yuan(g.recovered_fen),
                g.enrolled.to_string(),
                g.aid_claims.to_string(),
                yuan(g.paid_fen),
            ]
        })
        .collect();
    let bytes = nuanxin_core::sheets::write_xlsx_sheets(&[
        (if zh { "服务统计" } else { "services" }, &headers, &rows),
        (
            if zh { "按群体" } else { "by group" },
            &group_headers,
            &group_rows,
        ),
    ])
    .map_err(Error::Internal)?;
    in_write(&auth.app.store, async |tx| {
        auth.caller
            .audit(
                tx,
                "services.export",
                &whole.org_code,
                None,
                serde_json::json!({"from": whole.from, "to": whole.to}),
            )
            .await
    })
    .await?;
    Ok(crate::respond::xlsx(bytes, "services.xlsx"))
}

/// The columns of the sheet by worker group, as message keys.
const GROUP_COLUMNS: [&str; 8] = [
    "services.col.group",
    "services.col.cases_opened",
    "services.col.claimed",
    "services.col.cases_closed",
    "services.col.recovered",
    "services.col.enrolled",
    "services.col.claims",
    "services.col.paid",
];

/// The sheet's columns, as message keys.
const REPORT_COLUMNS: [&str; 33] = [
    "services.col.org_code",
    "services.col.org_name",
    "services.col.cases_opened",
    "services.col.cases_closed",
    "services.col.workers_helped",
    "services.col.claimed",
    "services.col.recovered",
    "services.col.checks",
    "services.col.enterprises",
    "services.col.findings",
    "services.col.rectified",
    "services.col.plans",
    "services.col.enrolled",
    "services.col.premium",
    "services.col.claims",
    "services.col.approved",
    "services.col.paid",
    "services.col.care_activities",
    "services.col.care_recipients",
    "services.col.care_members",
    "services.col.care_non_members",
    "services.col.care_spent",
    "services.col.hardship_open",
    "services.col.hardship_new",
    "services.col.hardship_assisted",
    "services.col.hardship_fen",
    "services.col.honours_awarded",
    "services.col.grid_reports",
    "services.col.grid_resolved",
    "services.col.grid_median_hours",
    "services.col.grid_reporters",
    "services.col.contracts_valid",
    "services.col.contracts_covered",
];

/// The form of a bulk step over a filtered member list (a plan's enrolment, a care handout): the
/// filter, and `step`: `preview` (a dry run, the default) or `confirm`.
#[derive(serde::Deserialize, Default)]
pub struct BulkForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    joined_before: String,
    #[serde(default)]
    joined_after: String,
    #[serde(default)]
    step: String,
}

impl BulkForm {
    /// The member filter the form asks for; anything but `confirm` only counts.
    pub fn filter(self) -> nuanxin_core::services::selection::MemberFilter {
        nuanxin_core::services::selection::MemberFilter {
            dry_run: self.step != "confirm",
            org: self.org,
            group: self.group,
            joined_before: self.joined_before,
            joined_after: self.joined_after,
        }
    }
}

/// A form post's answer: on to `to` (of what it made) when it went through; the form again with
/// its problems (422, `again`) when they are the caller's to mend; else the error page.
pub(crate) async fn form_answer<T, Again>(
    done: Result<T, Error>,
    to: impl FnOnce(T) -> String,
    again: impl FnOnce(std::collections::HashMap<&'static str, &'static str>) -> Again,
) -> Result<axum::response::Response, crate::error::PageError>
where
    Again:
        std::future::Future<Output = Result<axum::response::Html<String>, crate::error::PageError>>,
{
    use axum::response::IntoResponse;
    match done {
        Ok(made) => Ok(axum::response::Redirect::to(&to(made)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => {
                let errors = errs.iter().map(|e| (e.field, e.code)).collect();
                let page = again(errors).await?;
                Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// A step refused on a record's page (a stage, a follow-up, an enrolment, a review), as the
/// page says it: the first field's message, else the refusal's own; `None` for an error that is
/// not the caller's to mend (it goes to the error page).
pub(crate) fn refusal(e: &Error) -> Option<&'static str> {
    match e {
        Error::Invalid { .. } | Error::Conflict { .. } | Error::Fields(_) => Some(
            e.field_errors()
                .and_then(|f| f.iter().next().map(|f| f.code))
                .unwrap_or(e.code()),
        ),
        _ => None,
    }
}
