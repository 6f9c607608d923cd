//! Collective contracts (集体合同) in the console and the API: the contracts of the caller's
//! subtree by expiry with a reminder of those expiring within 90 days, a new contract with its
//! signed scan (a PDF, or a photo shrunk like every photo), a contract's page and scan, and the
//! coverage of a unit's members by worker group.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, Pager, Paging};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use nuanxin_core::members::WorkerGroup;
use nuanxin_core::page::Page;
use nuanxin_core::services::contracts::{
    self, Contract, ContractFilter, ContractInput, GroupCoverage, KINDS,
};
use nuanxin_core::services::money::yuan;
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

trait Labels {
    fn ctx(&self) -> &Ctx;

    fn group(&self, code: &str) -> String {
        self.ctx().t(&format!("members.group.{code}")).to_string()
    }

    fn groups(&self, c: &Contract) -> String {
        c.group_list()
            .iter()
            .map(|g| self.group(g))
            .collect::<Vec<_>>()
            .join(self.ctx().t("common.list_sep"))
    }

    fn kind(&self, code: &str) -> String {
        self.ctx().t(&format!("contracts.kind.{code}")).to_string()
    }

    fn yuan(&self, fen: impl crate::layout::Whole) -> String {
        yuan(fen.whole())
    }
}

#[derive(Template)]
#[template(path = "services/contracts.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Contract>,
    filter: ContractFilter,
    expiring: i64,
    today: chrono::NaiveDate,
    may_create: bool,
}

impl Labels for ListPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl ListPage {
    /// The list's filter as a sheet's address.
    fn export_link(&self) -> String {
        format!(
            "/contracts/export.xlsx?state={}&q={}",
            crate::auth::urlencode(&self.filter.state),
            crate::auth::urlencode(&self.filter.q)
        )
    }

    fn pager(&self) -> Pager {
        let (s, q) = (
            self.filter.state.clone(),
            crate::auth::urlencode(&self.filter.q),
        );
        Pager::of(&self.page, move |n| {
            format!("/contracts?state={s}&q={q}&page={n}")
        })
    }
}

/// `GET /contracts`: the contracts of the caller's subtree, soonest expiry first.
pub async fn list(
    auth: Auth,
    Query(filter): Query<ContractFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let today = auth.caller.today;
    let (page, expiring) = in_read(&auth.app.store, async |tx| {
        let page =
            contracts::list(tx, &auth.caller.scope, &filter, today, paging.request()).await?;
        let expiring = contracts::expiring_count(tx, &auth.caller.scope, today).await?;
        Ok((page, expiring))
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(&auth, "cases", "/contracts"),
        page,
        filter,
        expiring,
        today,
        may_create: auth.caller.is_staff(),
    })
}

/// `GET /contracts/export.xlsx`: the contracts of the list's filter, every page, as a sheet
/// with their key terms (audited).
pub async fn export(
    auth: Auth,
    Query(filter): Query<ContractFilter>,
) -> Result<Response, PageError> {
    let zh = auth.lang == crate::Lang::ZhCn;
    let cat = crate::i18n::Catalogue::of(auth.lang);
    let today = auth.caller.today;
    let spec = nuanxin_core::sheets::Export {
        sheet: ("集体合同", "contracts"),
        columns: &contracts::EXPORT_COLUMNS,
        widths: &[
            30.0, 8.0, 14.0, 24.0, 24.0, 14.0, 12.0, 12.0, 10.0, 24.0, 10.0, 10.0, 10.0, 10.0,
            24.0, 10.0,
        ],
        action: "contracts.export",
        subject: "*",
        filter: serde_json::json!({"state": filter.state, "q": filter.q}),
    };
    let plain = |fen: Option<i64>| fen.map(|f| yuan(f).replace(',', "")).unwrap_or_default();
    let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
    let bytes = nuanxin_core::sheets::export(
        &auth.app.store,
        &auth.caller,
        spec,
        zh,
        async |tx, sheet| {
            contracts::for_each(tx, &auth.caller.scope, &filter, today, |c: Contract| {
                // A contract signed for a later day is in none of the states yet.
                let state = [
                    ("expired", c.expired(today)),
                    ("expiring", c.expiring(today)),
                    ("valid", c.valid_on(today)),
                ]
                .into_iter()
                .find_map(|(s, holds)| {
                    holds.then(|| cat.get(&format!("contracts.state.{s}")).to_string())
                })
                .unwrap_or_default();
                let groups = c
                    .group_list()
                    .iter()
                    .map(|g| cat.get(&format!("members.group.{g}")).to_string())
                    .collect::<Vec<_>>()
                    .join(cat.get("common.list_sep"));
                let row = [
                    c.title.clone(),
                    cat.get(&format!("contracts.kind.{}", c.kind)).to_string(),
                    c.org_code.clone(),
                    c.org_name.clone(),
                    c.employer.clone(),
                    c.region_code.clone().unwrap_or_default(),
                    c.signed_on.to_string(),
                    c.expires_on.to_string(),
                    state,
                    groups,
                    c.head_count.to_string(),
                    plain(c.min_piece_fen),
                    number(c.max_hours),
                    number(c.rest_days),
                    c.insurance.clone(),
                    plain(c.heat_fen),
                ];
                sheet.push(&row).map_err(Error::Internal)
            })
            .await
        },
    )
    .await?;
    Ok(crate::respond::xlsx(bytes, "contracts.xlsx"))
}

#[derive(Template)]
#[template(path = "services/contract_new.html")]
struct NewPage {
    ctx: Ctx,
    entered: crate::layout::Entered,
    kinds: Vec<(&'static str, String)>,
    groups: Vec<(&'static str, String)>,
}

fn new_page(
    auth: &Auth,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "cases", "/contracts/new");
    let groups = WorkerGroup::ALL
        .iter()
        .map(|g| {
            (
                g.as_str(),
                ctx.t(&format!("members.group.{}", g.as_str())).to_string(),
            )
        })
        .collect();
    render(&NewPage {
        kinds: ctx.code_labels("contracts.kind", &KINDS),
        groups,
        ctx,
        entered: crate::layout::Entered { form, errors },
    })
}

impl NewPage {
    /// Whether the group box of `code` is ticked in the form as sent.
    fn picked(&self, code: &str) -> bool {
        self.entered.value("groups").split(',').any(|g| g == code)
    }
}

/// `GET /contracts/new`.
pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    form.insert("signed_on".to_string(), auth.caller.today.to_string());
    new_page(&auth, form, HashMap::new())
}

/// The scan as sent: a PDF kept as it is, or a photo re-encoded (no metadata).
async fn scan_of(
    photos: Vec<Vec<u8>>,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Option<Vec<u8>>, Error> {
    if let Some((_, pdf)) = files.into_iter().find(|(n, _)| n == "scan") {
        return Ok(Some(pdf));
    }
    match photos.into_iter().next() {
        Some(photo) => {
            let ready = nuanxin_core::services::photos::prepare_all(vec![photo])
                .await
                .map_err(|_| Error::invalid("scan", "contracts.bad_scan"))?;
            Ok(ready.into_iter().next().map(|p| p.jpeg))
        }
        None => Ok(None),
    }
}

/// `POST /contracts/new` (multipart: the fields, a PDF `scan` or a photo in `photos`).
pub async fn create(
    auth: Auth,
    super::photos::WithPhotos {
        mut form,
        photos,
        files,
    }: super::photos::WithPhotos<HashMap<String, String>>,
) -> Result<Response, PageError> {
    // The form's group boxes (`group_<code>`), as the API's comma-separated list.
    let picked: Vec<&str> = WorkerGroup::ALL
        .iter()
        .map(|g| g.as_str())
        .filter(|g| form.contains_key(&format!("group_{g}")))
        .collect();
    form.insert("groups".to_string(), picked.join(","));
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = ContractInput {
        org_code: v("org_code"),
        kind: v("kind"),
        title: v("title"),
        employer: v("employer"),
        region_code: v("region_code"),
        signed_on: v("signed_on"),
        expires_on: v("expires_on"),
        groups: v("groups"),
        head_count: v("head_count"),
        min_piece_rate: v("min_piece_rate"),
        max_hours: v("max_hours"),
        rest_days: v("rest_days"),
        insurance: v("insurance"),
        heat_allowance: v("heat_allowance"),
    };
    let done = match scan_of(photos, files).await {
        Ok(scan) => {
            let uploads = auth.app.config.uploads()?;
            in_write(&auth.app.store, async |tx| {
                contracts::create(tx, &auth.caller, &uploads, &input, scan.as_deref()).await
            })
            .await
        }
        Err(e) => Err(e),
    };
    super::form_answer(
        done,
        |c| format!("/contracts/{}", c.id),
        move |errors| async move { new_page(&auth, form, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/contract.html")]
struct ContractPage {
    ctx: Ctx,
    contract: Contract,
    today: chrono::NaiveDate,
}

impl Labels for ContractPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

/// `GET /contracts/{id}`.
pub async fn show(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    let contract = in_read(&auth.app.store, async |tx| {
        contracts::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    render(&ContractPage {
        ctx: Ctx::new(&auth, "cases", &format!("/contracts/{id}")),
        contract,
        today: auth.caller.today,
    })
}

/// `GET /contracts/{id}/scan`: the signed scan, to those who see the contract.
pub async fn scan(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let c = in_read(&auth.app.store, async |tx| {
        contracts::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    let (bytes, content_type) = contracts::scan(&auth.app.config.uploads()?, &c).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "services/contracts_coverage.html")]
struct CoveragePage {
    ctx: Ctx,
    org_code: String,
    org_name: String,
    rows: Vec<GroupCoverage>,
    today: chrono::NaiveDate,
}

impl Labels for CoveragePage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl CoveragePage {
    fn share(&self, g: &GroupCoverage) -> String {
        match g.members {
            0 => "—".to_string(),
            n => format!("{:.1}%", g.covered as f64 * 100.0 / n as f64),
        }
    }
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
pub struct OrgQuery {
    /// The unit whose subtree is counted (default: the caller's first post).
    #[serde(default)]
    org_code: String,
}

async fn coverage_of(
    auth: &Auth,
    q: &OrgQuery,
) -> Result<(nuanxin_core::orgs::OrgUnit, Vec<GroupCoverage>), Error> {
    let code = match q.org_code.trim() {
        "" => auth.caller.home_unit().ok_or(Error::NotFound)?,
        c => c.to_string(),
    };
    let today = auth.caller.today;
    in_read(&auth.app.store, async |tx| {
        let unit = nuanxin_core::orgs::get(tx, &auth.caller.scope, &code).await?;
        let rows = contracts::coverage(tx, &unit.path, today).await?;
        Ok((unit, rows))
    })
    .await
}

/// `GET /contracts/coverage?org_code=`: members of each group, and those a valid contract covers.
pub async fn coverage(auth: Auth, Query(q): Query<OrgQuery>) -> Result<Html<String>, PageError> {
    let (unit, rows) = coverage_of(&auth, &q).await?;
    render(&CoveragePage {
        ctx: Ctx::new(&auth, "cases", "/contracts/coverage"),
        org_code: unit.code,
        org_name: unit.name,
        rows,
        today: auth.caller.today,
    })
}

#[utoipa::path(get, path = "/api/v1/contracts", tag = "services", params(ContractFilter, Paging),
    responses((status = 200, description = "The contracts of the caller's subtree, by expiry", body = Page<Contract>),
              (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<ContractFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Contract>>, ApiError> {
    let today = auth.caller.today;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            contracts::list(tx, &auth.caller.scope, &filter, today, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/contracts", tag = "services", request_body = ContractInput,
    responses((status = 201, description = "The contract recorded (its scan goes up from the console's form)", body = Contract),
              (status = 403, body = ErrorBody), (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<ContractInput>,
) -> Result<(StatusCode, Json<Contract>), ApiError> {
    let uploads = auth.app.config.uploads()?;
    let c = in_write(&auth.app.store, async |tx| {
        contracts::create(tx, &auth.caller, &uploads, &input, None).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "services", params(("id" = Uuid, Path, description = "Contract id")),
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            contracts::get(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/contracts/coverage", tag = "services", params(OrgQuery),
    responses((status = 200, description = "Active members of each worker group of the subtree, and those a contract valid today covers (of their union or a union above, for their group)", body = Vec<GroupCoverage>),
              (status = 404, body = ErrorBody)))]
pub async fn api_coverage(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Vec<GroupCoverage>>, ApiError> {
    Ok(Json(coverage_of(&auth, &q).await?.1))
}
