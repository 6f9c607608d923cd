//! Service projects (服务项目): a union posts a project for social organisations to claim (a
//! title, what it asks for, a budget, dates, the worker groups it serves); one registered
//! organisation of the union's area claims it; the result (what was done, workers served) is
//! recorded when it ends. Staff of the posting union (or above) post, record claims and results.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A service project as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub description: String,
    pub budget_fen: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Worker groups served, comma-separated codes.
    pub groups: String,
    /// `open`, `claimed` or `done`.
    pub status: String,
    /// The organisation that claimed it.
    pub claimed_by: Option<String>,
    pub claimed_uscc: Option<String>,
    pub result: String,
    pub served: Option<i64>,
}

/// A new project (`POST /api/v1/projects`, the form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProjectInput {
    pub org_code: String,
    pub title: String,
    pub description: String,
    /// Yuan.
    pub budget: String,
    pub starts_on: String,
    pub ends_on: String,
    /// Worker groups, codes or Chinese names, separated by commas.
    pub groups: String,
}

/// A claim (`POST /api/v1/projects/{id}/claim`): the claiming organisation by USCC.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClaimInput {
    pub uscc: String,
}

/// The result of a claimed project.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ResultInput {
    pub result: String,
    /// Workers served.
    pub served: String,
}

const SELECT: &str = "SELECT p.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, p.title, p.description,
        p.budget_fen, p.starts_on, p.ends_on, p.groups, p.status, s.name AS claimed_by, s.uscc AS claimed_uscc,
        p.result, p.served
    FROM service_projects p JOIN org_units o ON o.id = p.org_id LEFT JOIN social_orgs s ON s.id = p.claimed_by";

/// Posts a project (staff of the union or above). All problems at once.
pub async fn create(tx: &mut Tx, caller: &Caller, input: &ProjectInput) -> Result<Project> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let title: String = input.title.trim().chars().take(200).collect();
    if title.is_empty() {
        errs.push("title", "projects.title_required");
    }
    let description: String = input.description.trim().chars().take(5000).collect();
    if description.is_empty() {
        errs.push("description", "projects.description_required");
    }
    let budget = match super::money::parse_yuan(&input.budget) {
        Ok(f) if f > 0 => Some(f),
        Ok(_) => {
            errs.push("budget", "projects.budget_required");
            None
        }
        Err(code) => {
            errs.push("budget", code);
            None
        }
    };
    let mut day = |typed: &str, field: &'static str| {
        let d = crate::sheets::parse_date(typed.trim());
        if d.is_none() {
            errs.push(field, "errors.bad_date");
        }
        d
    };
    let starts_on = day(&input.starts_on, "starts_on");
    let ends_on = day(&input.ends_on, "ends_on");
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s {
            errs.push("ends_on", "projects.ends_before_start");
        }
    }
    let groups = super::worker_groups(&input.groups, &mut errs);
    let (Some(org), Some(budget), Some(starts_on), Some(ends_on), true) =
        (org, budget, starts_on, ends_on, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let id = new_id();
    let groups = groups.join(",");
    const SQL: &str = "INSERT INTO service_projects (id, org_id, title, description, budget_fen, starts_on, ends_on, groups,
            status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $10)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&title).bind(&description).bind(budget)
        .bind(starts_on).bind(ends_on).bind(&groups).bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "projects.create",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"title": title, "budget_fen": budget, "groups": groups}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// A project of the scope's unions.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Project> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE p.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Project>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The list's filter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ProjectFilter {
    /// `open`, `claimed` or `done`.
    pub status: String,
}

/// The projects of the scope's unions: open ones first, then by start.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    f: &ProjectFilter,
    page: PageRequest,
) -> Result<Page<Project>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    if ["open", "claimed", "done"].contains(&f.status.trim()) {
        filter.push(" AND p.status = ").arg(f.status.trim());
    }
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM service_projects p JOIN org_units o ON o.id = p.org_id",
        filter,
        order:
            "CASE p.status WHEN 'open' THEN 0 WHEN 'claimed' THEN 1 ELSE 2 END, p.starts_on DESC",
        id: "p.id",
    }
    .page(tx, page)
    .await
}

fn staff_of(caller: &Caller, p: &Project) -> Result<()> {
    match caller.role_at(&p.org_path) >= Some(Role::Staff) {
        true => Ok(()),
        false => Err(Error::Forbidden),
    }
}

/// An organisation of the caller's scope claims an open project (staff of the posting union).
pub async fn claim(tx: &mut Tx, caller: &Caller, id: Uuid, input: &ClaimInput) -> Result<Project> {
    let p = get(tx, &caller.scope, id).await?;
    staff_of(caller, &p)?;
    if p.status != "open" {
        return Err(Error::conflict("status", "projects.not_open"));
    }
    let org = match super::social_orgs::by_uscc(tx, &caller.scope, &input.uscc).await {
        Ok(o) => o,
        Err(Error::NotFound) => return Err(Error::invalid("uscc", "projects.unknown_org")),
        Err(e) => return Err(e),
    };
    const SQL: &str = "UPDATE service_projects SET status = 'claimed', claimed_by = $2, claimed_at = $3, updated_at = $3
        WHERE id = $1 AND status = 'open'";
    let changed = on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Err(Error::conflict("status", "projects.not_open"));
    }
    caller
        .audit(
            tx,
            "projects.claim",
            &id.to_string(),
            Some(&p.org_path),
            serde_json::json!({"uscc": org.uscc, "name": org.name}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// Records the result of a claimed project (staff of the posting union): it is done.
pub async fn finish(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    input: &ResultInput,
) -> Result<Project> {
    let p = get(tx, &caller.scope, id).await?;
    staff_of(caller, &p)?;
    if p.status != "claimed" {
        return Err(Error::conflict("status", "projects.not_claimed"));
    }
    let mut errs = FieldErrors::new();
    let result: String = input.result.trim().chars().take(5000).collect();
    if result.is_empty() {
        errs.push("result", "projects.result_required");
    }
    let served = input.served.trim().parse::<i64>().ok().filter(|n| *n >= 0);
    if served.is_none() {
        errs.push("served", "projects.bad_served");
    }
    let (Some(served), true) = (served, errs.is_empty()) else {
        return Err(errs.into());
    };
    const SQL: &str = "UPDATE service_projects SET status = 'done', result = $2, served = $3, done_at = $4, updated_at = $4 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(&result).bind(served).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "projects.finish",
            &id.to_string(),
            Some(&p.org_path),
            serde_json::json!({"served": served}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}
