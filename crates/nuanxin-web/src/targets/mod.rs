//! Targets in the console (`/targets`) and the API (`/api/v1/targets`): set a unit's target,
//! split it among the units below (shares of a count must add up), see progress and ranking,
//! and assign the responsible leader.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::Ctx;
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use nuanxin_core::orgs::{self, OrgUnit};
use nuanxin_core::page::PageRequest;
use nuanxin_core::sheets::parse_date;
use nuanxin_core::targets::{self, ContactInput, Share, TargetInput, TargetMetric, TargetProgress};
use nuanxin_core::{in_read, in_write, Error, Role};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct TargetsQuery {
    pub org: Option<String>,
}

#[derive(Template)]
#[template(path = "targets/page.html")]
struct TargetsPage {
    ctx: Ctx,
    unit: OrgUnit,
    targets: Vec<TargetProgress>,
    children: Vec<OrgUnit>,
    contact: Option<ContactInput>,
    can_edit: bool,
    metrics: Vec<(&'static str, String)>,
    message: Option<&'static str>,
    error_field: Option<&'static str>,
    today: chrono::NaiveDate,
}

impl TargetsPage {
    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn fmt(&self, metric: &str, v: &f64) -> String {
        targets::format_value(metric, *v)
    }

    fn pct_of(&self, progress: &f64) -> String {
        format!("{:.0}%", (progress * 100.0).min(999.0))
    }

    fn bar_width(&self, progress: &f64) -> String {
        format!("{:.0}", (progress * 100.0).clamp(0.0, 100.0))
    }

    fn share_of(&self, t: &TargetProgress, code: &str) -> String {
        t.children
            .iter()
            .find(|c| c.org_code == code)
            .map(|c| {
                if TargetMetric::parse(&t.metric).is_some_and(|m| m.is_rate()) {
                    format!("{}", c.value)
                } else {
                    format!("{}", c.value as i64)
                }
            })
            .unwrap_or_default()
    }

    fn year_start(&self) -> String {
        format!("{}-01-01", chrono::Datelike::year(&self.today))
    }

    fn year_end(&self) -> String {
        format!("{}-12-31", chrono::Datelike::year(&self.today))
    }
}

async fn page(
    auth: &Auth,
    org: Option<String>,
    message: Option<&'static str>,
    error_field: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let code = match org.filter(|o| !o.trim().is_empty()) {
        Some(o) => o,
        None => auth.caller.home_unit().ok_or(Error::NotFound)?,
    };
    let (unit, targets, children, contact) = in_read(&auth.app.store, async |tx| {
        let scope = &auth.caller.scope;
        let unit = orgs::get(tx, scope, &code).await?;
        let targets = targets::progress_of(tx, scope, &code, auth.caller.today).await?;
        let first = PageRequest::new(Some(1), Some(200));
        let children: Vec<OrgUnit> = orgs::children(tx, scope, &code, first).await?.items;
        let children = children.into_iter().filter(|c| c.is_active()).collect();
        let contact = targets::contact_of(tx, scope, &code).await?;
        Ok((unit, targets, children, contact))
    })
    .await?;
    let ctx = Ctx::new(auth, "dashboard", &format!("/targets?org={code}"));
    let metrics = TargetMetric::ALL
        .iter()
        .map(|m| {
            (
                m.as_str(),
                ctx.t(&format!("targets.metric.{}", m.as_str())).to_string(),
            )
        })
        .collect();
    render(&TargetsPage {
        can_edit: auth.caller.scope.role_at(&unit.path) >= Some(Role::Staff),
        ctx,
        unit,
        targets,
        children,
        contact,
        metrics,
        message,
        error_field,
        today: auth.caller.today,
    })
}

pub async fn show(auth: Auth, Query(q): Query<TargetsQuery>) -> Result<Html<String>, PageError> {
    page(&auth, q.org, None, None).await
}

/// Answers a form: the page again with the saved note, or with the error (422).
async fn after(auth: &Auth, org: &str, result: Result<(), Error>) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(
            page(auth, Some(org.to_string()), Some("targets.saved"), None)
                .await?
                .into_response(),
        ),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            let html = page(auth, Some(org.to_string()), Some(e.code()), e.field()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct SetForm {
    pub org: String,
    pub metric: String,
    pub period_start: String,
    pub period_end: String,
    pub value: String,
}

pub async fn set(auth: Auth, axum::Form(f): axum::Form<SetForm>) -> Result<Response, PageError> {
    let result: Result<(), Error> = async {
        let start =
            parse_date(&f.period_start).ok_or(Error::invalid("period_start", "errors.bad_date"))?;
        let end =
            parse_date(&f.period_end).ok_or(Error::invalid("period_end", "errors.bad_date"))?;
        let metric = TargetMetric::parse(&f.metric)
            .ok_or(Error::invalid("metric", "targets.unknown_metric"))?;
        let value = parse_value(metric, &f.value)?;
        let input = TargetInput {
            org_code: f.org.clone(),
            metric: f.metric.clone(),
            period_start: start,
            period_end: end,
            value,
        };
        in_write(&auth.app.store, async |tx| {
            targets::set(tx, &auth.caller, &input).await
        })
        .await?;
        Ok(())
    }
    .await;
    after(&auth, &f.org, result).await
}

/// A typed value: a whole number, or a rate as 90% / 0.9.
fn parse_value(metric: TargetMetric, s: &str) -> Result<f64, Error> {
    let s = s.trim();
    let bad = || {
        Error::invalid(
            "value",
            if metric.is_rate() {
                "targets.bad_rate"
            } else {
                "targets.bad_count"
            },
        )
    };
    if metric.is_rate() {
        match s.strip_suffix('%').or_else(|| s.strip_suffix('％')) {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .map(|v| v / 100.0)
                .map_err(|_| bad()),
            None => s.parse::<f64>().map_err(|_| bad()),
        }
    } else {
        s.parse::<f64>().map_err(|_| bad())
    }
}

pub async fn split(auth: Auth, Path(id): Path<Uuid>, body: String) -> Result<Response, PageError> {
    let mut org = String::new();
    let mut raw: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "org" => org = v.into_owned(),
            k if k.starts_with("share_") && !v.trim().is_empty() => {
                raw.push((k["share_".len()..].to_string(), v.into_owned()))
            }
            _ => {}
        }
    }
    let result: Result<(), Error> = async {
        in_write(&auth.app.store, async |tx| {
            let metric = targets::metric_of(tx, &auth.caller.scope, id).await?;
            let mut shares = Vec::new();
            for (code, v) in raw {
                shares.push(Share {
                    org_code: code,
                    value: parse_value(metric, &v)?,
                });
            }
            targets::split(tx, &auth.caller, id, &shares).await
        })
        .await
    }
    .await;
    after(&auth, &org, result).await
}

#[derive(Debug, Deserialize)]
pub struct ContactForm {
    pub org: String,
    pub leader_name: String,
    #[serde(default)]
    pub leader_title: String,
    #[serde(default)]
    pub leader_phone: String,
}

pub async fn contact(
    auth: Auth,
    axum::Form(f): axum::Form<ContactForm>,
) -> Result<Response, PageError> {
    let result: Result<(), Error> = async {
        let input = ContactInput {
            leader_name: f.leader_name.clone(),
            leader_title: Some(f.leader_title.clone()),
            leader_phone: Some(f.leader_phone.clone()),
        };
        in_write(&auth.app.store, async |tx| {
            targets::assign_contact(tx, &auth.caller, &f.org, &input).await
        })
        .await
    }
    .await;
    after(&auth, &f.org, result).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ApiQuery {
    /// Org code.
    pub org: String,
}

#[utoipa::path(get, path = "/api/v1/targets", tag = "targets", params(ApiQuery),
    responses((status = 200, description = "The unit's targets with live progress and the children's ranked shares", body = Vec<TargetProgress>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<ApiQuery>,
) -> Result<Json<Vec<TargetProgress>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            targets::progress_of(tx, &auth.caller.scope, &q.org, auth.caller.today).await
        })
        .await?,
    ))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/targets", tag = "targets", request_body = TargetInput,
    responses((status = 200, body = Created), (status = 422, body = ErrorBody)))]
pub async fn api_set(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<TargetInput>,
) -> Result<Json<Created>, ApiError> {
    let id = in_write(&auth.app.store, async |tx| {
        targets::set(tx, &auth.caller, &input).await
    })
    .await?;
    Ok(Json(Created { id }))
}

#[utoipa::path(post, path = "/api/v1/targets/{id}/split", tag = "targets", request_body = Vec<Share>,
    params(("id" = Uuid, Path, description = "The target to split")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, description = "Shares do not add up, or not a child", body = ErrorBody)))]
pub async fn api_split(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(shares): Json<Vec<Share>>,
) -> Result<StatusCode, ApiError> {
    in_write(&auth.app.store, async |tx| {
        targets::split(tx, &auth.caller, id, &shares).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
