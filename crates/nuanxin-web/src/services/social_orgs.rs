//! Social organisations (社会组织) and service projects (服务项目) in the console and the API:
//! the registry of the caller's area with key contacts first, a new or updated organisation,
//! the chairs' allowance of organisations' unions with 50+ members (its bands, and the sheet),
//! projects posted by unions, claimed by an organisation, and their results.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, Entered, Pager, Paging};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::page::Page;
use nuanxin_core::services::money::yuan;
use nuanxin_core::services::projects::{
    self, ClaimInput, Project, ProjectFilter, ProjectInput, ResultInput,
};
use nuanxin_core::services::social_orgs::{
    self, Allowance, SocialOrg, SocialOrgFilter, SocialOrgInput, UNION_STATUSES,
};
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "services/social_orgs.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<SocialOrg>,
    filter: SocialOrgFilter,
    statuses: Vec<(&'static str, String)>,
    entered: Entered,
    may_create: bool,
}

impl ListPage {
    fn pager(&self) -> Pager {
        let f = &self.filter;
        let (q, key, st) = (
            crate::auth::urlencode(&f.q),
            f.key.clone(),
            f.union_status.clone(),
        );
        Pager::of(&self.page, move |n| {
            format!("/social-orgs?q={q}&key={key}&union_status={st}&page={n}")
        })
    }
}

async fn list_page(
    auth: &Auth,
    filter: SocialOrgFilter,
    paging: &Paging,
    entered: Entered,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        social_orgs::list(tx, &auth.caller.scope, &filter, paging.request()).await
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", "/social-orgs");
    render(&ListPage {
        statuses: ctx.code_labels("social.union_status", &UNION_STATUSES),
        ctx,
        page,
        filter,
        entered,
        may_create: auth.caller.is_staff(),
    })
}

/// `GET /social-orgs`: the registry, key contacts first, with the form to add one.
pub async fn list(
    auth: Auth,
    Query(filter): Query<SocialOrgFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let mut entered = Entered::default();
    if let Some(code) = auth.caller.home_unit() {
        entered.form.insert("org_code".to_string(), code);
    }
    list_page(&auth, filter, &paging, entered).await
}

/// `POST /social-orgs`: registers (or updates, by USCC) an organisation.
pub async fn put(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = SocialOrgInput {
        uscc: v("uscc"),
        name: v("name"),
        org_code: v("org_code"),
        region_code: v("region_code"),
        union_status: v("union_status"),
        union_members: v("union_members"),
        key_contact: v("key_contact"),
        contact_name: v("contact_name"),
        contact_phone: v("contact_phone"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        social_orgs::put(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |s| format!("/social-orgs?q={}", s.uscc),
        move |errors| async move {
            list_page(
                &auth,
                SocialOrgFilter::default(),
                &Paging::default(),
                Entered { form, errors },
            )
            .await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/social_allowance.html")]
struct AllowancePage {
    ctx: Ctx,
    org_code: String,
    rows: Vec<Allowance>,
    bands: String,
    entered: Entered,
}

impl AllowancePage {
    fn yuan(&self, fen: impl crate::layout::Whole) -> String {
        yuan(fen.whole())
    }

    fn total(&self) -> String {
        yuan(self.rows.iter().map(|r| r.monthly_fen).sum())
    }
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
pub struct OrgQuery {
    /// The unit whose subtree is counted (default: the caller's first post).
    #[serde(default)]
    org_code: String,
}

fn code_of(auth: &Auth, q: &OrgQuery) -> Result<String, Error> {
    match q.org_code.trim() {
        "" => auth.caller.home_unit().ok_or(Error::NotFound),
        c => Ok(c.to_string()),
    }
}

async fn allowance_page(
    auth: &Auth,
    code: String,
    entered: Entered,
) -> Result<Html<String>, PageError> {
    let (rows, bands) = in_read(&auth.app.store, async |tx| {
        let rows = social_orgs::allowances(tx, &auth.caller.scope, &code).await?;
        let unit = nuanxin_core::orgs::get(tx, &auth.caller.scope, &code).await?;
        let bands = social_orgs::bands_at(tx, &unit.path).await?;
        Ok((rows, bands))
    })
    .await?;
    let bands = bands
        .iter()
        .map(|(m, f)| format!("{m}:{}", yuan(*f)))
        .collect::<Vec<_>>()
        .join(", ");
    render(&AllowancePage {
        ctx: Ctx::new(auth, "cases", "/social-orgs/allowance"),
        org_code: code,
        rows,
        bands,
        entered,
    })
}

/// `GET /social-orgs/allowance?org_code=`: the chairs' monthly allowance, and the bands.
pub async fn allowance(auth: Auth, Query(q): Query<OrgQuery>) -> Result<Html<String>, PageError> {
    let code = code_of(&auth, &q)?;
    allowance_page(&auth, code, Entered::default()).await
}

/// `POST /social-orgs/allowance`: sets the bands of a union's subtree.
pub async fn set_bands(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let code = form.get("org_code").cloned().unwrap_or_default();
    let text = form.get("bands").cloned().unwrap_or_default();
    let done = match social_orgs::parse_bands(&text) {
        Ok(bands) => {
            in_write(&auth.app.store, async |tx| {
                social_orgs::set_bands(tx, &auth.caller, &code, &bands).await
            })
            .await
        }
        Err(e) => Err(e),
    };
    let back = code.clone();
    super::form_answer(
        done,
        move |_| format!("/social-orgs/allowance?org_code={back}"),
        move |errors| async move { allowance_page(&auth, code, Entered { form, errors }).await },
    )
    .await
}

/// `GET /social-orgs/allowance.xlsx?org_code=`: the allowances as a sheet (audited).
pub async fn allowance_xlsx(auth: Auth, Query(q): Query<OrgQuery>) -> Result<Response, PageError> {
    let code = code_of(&auth, &q)?;
    let rows = in_write(&auth.app.store, async |tx| {
        let rows = social_orgs::allowances(tx, &auth.caller.scope, &code).await?;
        auth.caller
            .audit(
                tx,
                "social.allowance_export",
                &code,
                None,
                serde_json::json!({"rows": rows.len()}),
            )
            .await?;
        Ok(rows)
    })
    .await?;
    let cat = crate::i18n::Catalogue::of(auth.lang);
    let headers: Vec<&str> = [
        "social.field.uscc",
        "social.field.name",
        "social.field.org_code",
        "social.field.union_members",
        "social.monthly",
    ]
    .iter()
    .map(|k| cat.get(k))
    .collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.uscc.clone(),
                r.name.clone(),
                r.org_code.clone(),
                r.union_members.to_string(),
                yuan(r.monthly_fen).replace(',', ""),
            ]
        })
        .collect();
    let sheet = if auth.lang == crate::Lang::ZhCn {
        "主席津贴"
    } else {
        "allowance"
    };
    let bytes = nuanxin_core::sheets::write_xlsx_sheets(&[(sheet, &headers, &body)])
        .map_err(Error::Internal)?;
    Ok(crate::respond::xlsx(bytes, "chair-allowance.xlsx"))
}

#[derive(Template)]
#[template(path = "services/projects.html")]
struct ProjectsPage {
    ctx: Ctx,
    page: Page<Project>,
    filter: ProjectFilter,
    entered: Entered,
    may_create: bool,
}

impl ProjectsPage {
    fn pager(&self) -> Pager {
        let s = self.filter.status.clone();
        Pager::of(&self.page, move |n| {
            format!("/projects?status={s}&page={n}")
        })
    }

    fn yuan(&self, fen: impl crate::layout::Whole) -> String {
        yuan(fen.whole())
    }

    fn status(&self, code: &str) -> String {
        self.ctx.t(&format!("projects.status.{code}")).to_string()
    }
}

async fn projects_page(
    auth: &Auth,
    filter: ProjectFilter,
    paging: &Paging,
    entered: Entered,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        projects::list(tx, &auth.caller.scope, &filter, paging.request()).await
    })
    .await?;
    render(&ProjectsPage {
        ctx: Ctx::new(auth, "cases", "/projects"),
        page,
        filter,
        entered,
        may_create: auth.caller.is_staff(),
    })
}

/// `GET /projects`: the service projects, open ones first, with the form to post one.
pub async fn projects_list(
    auth: Auth,
    Query(filter): Query<ProjectFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let mut entered = Entered::default();
    if let Some(code) = auth.caller.home_unit() {
        entered.form.insert("org_code".to_string(), code);
    }
    projects_page(&auth, filter, &paging, entered).await
}

/// `POST /projects`: posts a project.
pub async fn project_create(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = ProjectInput {
        org_code: v("org_code"),
        title: v("title"),
        description: v("description"),
        budget: v("budget"),
        starts_on: v("starts_on"),
        ends_on: v("ends_on"),
        groups: v("groups"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        projects::create(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |p| format!("/projects/{}", p.id),
        move |errors| async move {
            projects_page(
                &auth,
                ProjectFilter::default(),
                &Paging::default(),
                Entered { form, errors },
            )
            .await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/project.html")]
struct ProjectPage {
    ctx: Ctx,
    project: Project,
    may_work: bool,
    message: Option<String>,
}

impl ProjectPage {
    fn yuan(&self, fen: impl crate::layout::Whole) -> String {
        yuan(fen.whole())
    }

    fn status(&self, code: &str) -> String {
        self.ctx.t(&format!("projects.status.{code}")).to_string()
    }

    fn groups(&self) -> String {
        self.project
            .groups
            .split(',')
            .map(|g| self.ctx.t(&format!("members.group.{g}")).to_string())
            .collect::<Vec<_>>()
            .join(self.ctx.t("common.list_sep"))
    }
}

async fn project_page(
    auth: &Auth,
    id: Uuid,
    message: Option<String>,
) -> Result<Html<String>, PageError> {
    let project = in_read(&auth.app.store, async |tx| {
        projects::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    render(&ProjectPage {
        ctx: Ctx::new(auth, "cases", &format!("/projects/{id}")),
        may_work: auth.caller.role_at(&project.org_path) >= Some(nuanxin_core::Role::Staff),
        project,
        message,
    })
}

/// `GET /projects/{id}`.
pub async fn project_show(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    project_page(&auth, id, None).await
}

async fn after_step(
    auth: &Auth,
    id: Uuid,
    done: Result<Project, Error>,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}")).into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let text = crate::i18n::Catalogue::of(auth.lang).get(code).to_string();
                let page = project_page(auth, id, Some(text)).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /projects/{id}/claim`.
pub async fn project_claim(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<ClaimInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        projects::claim(tx, &auth.caller, id, &input).await
    })
    .await;
    after_step(&auth, id, done).await
}

/// `POST /projects/{id}/result`.
pub async fn project_result(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<ResultInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        projects::finish(tx, &auth.caller, id, &input).await
    })
    .await;
    after_step(&auth, id, done).await
}

#[utoipa::path(get, path = "/api/v1/social-orgs", tag = "services", params(SocialOrgFilter, Paging),
    responses((status = 200, description = "The social organisations of the caller's subtree, key contacts first", body = Page<SocialOrg>),
              (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<SocialOrgFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<SocialOrg>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            social_orgs::list(tx, &auth.caller.scope, &filter, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/social-orgs", tag = "services", request_body = SocialOrgInput,
    responses((status = 200, description = "The organisation registered, or updated by its USCC", body = SocialOrg),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_put(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<SocialOrgInput>,
) -> Result<Json<SocialOrg>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            social_orgs::put(tx, &auth.caller, &input).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/social-orgs/allowances", tag = "services", params(OrgQuery),
    responses((status = 200, description = "The monthly allowance of the chair of each unionised organisation with 50+ members in the subtree", body = Vec<Allowance>),
              (status = 404, body = ErrorBody)))]
pub async fn api_allowances(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Vec<Allowance>>, ApiError> {
    let code = code_of(&auth, &q)?;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            social_orgs::allowances(tx, &auth.caller.scope, &code).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "services", params(ProjectFilter, Paging),
    responses((status = 200, description = "The service projects of the caller's subtree, open ones first", body = Page<Project>),
              (status = 404, body = ErrorBody)))]
pub async fn api_projects(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<ProjectFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Project>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            projects::list(tx, &auth.caller.scope, &filter, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "services", request_body = ProjectInput,
    responses((status = 201, body = Project), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_project_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<ProjectInput>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let p = in_write(&auth.app.store, async |tx| {
        projects::create(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "services", params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = Project), (status = 404, body = ErrorBody)))]
pub async fn api_project(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            projects::get(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/claim", tag = "services", params(("id" = Uuid, Path, description = "Project id")),
    request_body = ClaimInput,
    responses((status = 200, description = "Claimed by the organisation", body = Project), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Not open", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_claim(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<ClaimInput>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            projects::claim(tx, &auth.caller, id, &input).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/result", tag = "services", params(("id" = Uuid, Path, description = "Project id")),
    request_body = ResultInput,
    responses((status = 200, description = "Done, with its result", body = Project), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Not claimed", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_result(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<ResultInput>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            projects::finish(tx, &auth.caller, id, &input).await
        })
        .await?,
    ))
}
