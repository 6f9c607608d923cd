//! Census pages: the enterprise list with the un-unionised database by size bucket and the
//! suggested action, the form, an enterprise's page with its sources (the merge view) and the
//! one-click "mark unionised", import and export, and the prospects with their invitations.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::{Ctx, ListLinks, Paging};
use crate::respond::{self, render};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::census::sheet::{self};
use nuanxin_core::census::{
    self, Enterprise, EnterpriseFilter, EnterpriseInput, SourceRecord, UnionStatus, Unionise,
};
use nuanxin_core::coverage::{self, Coverage, Period};
use nuanxin_core::error::FieldErrors;
use nuanxin_core::orgs::Industry;
use nuanxin_core::page::Page;
use nuanxin_core::{in_read, in_write, Error};
use serde::Deserialize;

impl ListLinks for EnterpriseFilter {
    const PATH: &'static str = "/census";
}

impl ListPage {
    /// The list of the un-unionised enterprises of one size bucket, with the other filters.
    fn bucket_link(&self, bucket: &str) -> String {
        self.query.link(&[
            ("status", Some("not_unionised")),
            ("bucket", Some(bucket)),
            ("page", None),
        ])
    }
}

#[derive(Template)]
#[template(path = "census/list.html")]
struct ListPage {
    ctx: Ctx,
    query: EnterpriseFilter,
    page: Page<Enterprise>,
    /// The un-unionised buckets of the area: (bucket, count).
    buckets: Vec<(&'static str, i64)>,
    summary: Option<Coverage>,
    can_edit: bool,
}

impl ListPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::of(&self.page, |n| self.query.page_link(n))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn status_options(&self) -> &'static [&'static str] {
        &["not_unionised", "none", "preparing", "unionised"]
    }

    fn bucket_options(&self) -> &'static [&'static str] {
        &["ge100", "50_99", "25_49", "lt25"]
    }

    fn sort_options(&self) -> &'static [&'static str] {
        &["name", "staff", "workers", "updated"]
    }

    fn action(&self, e: &Enterprise) -> String {
        e.suggested_action()
            .map(|a| self.label("census.action", a.as_str()))
            .unwrap_or_default()
    }
}

pub async fn list(
    auth: Auth,
    Query(query): Query<EnterpriseFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let org = match respond::filled(&query.org) {
        Some(o) => Some(o),
        None => auth.caller.home_unit(),
    };
    let period = Period::or_this_year(None, None, auth.caller.today)?;
    let (page, summary) = in_read(&auth.app.store, async |tx| {
        let scope = &auth.caller.scope;
        let page = census::list(tx, scope, &query, paging.request()).await?;
        let summary = match org {
            Some(code) => Some(coverage::coverage(tx, scope, &code, period).await?),
            None => None,
        };
        Ok((page, summary))
    })
    .await?;
    let buckets = match &summary {
        Some(s) => vec![
            ("ge100", s.enterprises_not_unionised.ge100),
            ("50_99", s.enterprises_not_unionised.from50to99),
            ("25_49", s.enterprises_not_unionised.from25to49),
            ("lt25", s.enterprises_not_unionised.lt25),
        ],
        None => Vec::new(),
    };
    let ctx = Ctx::new(&auth, "census", "/census");
    render(&ListPage {
        can_edit: auth.caller.is_staff(),
        ctx,
        query,
        page,
        buckets,
        summary,
    })
}

#[derive(Debug, Default, Deserialize, Clone)]
pub struct EnterpriseForm {
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub staff: String,
    #[serde(default)]
    pub new_form_workers: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub has_party_org: Option<String>,
    #[serde(default)]
    pub union_status: String,
    #[serde(default)]
    pub union_code: String,
    #[serde(default)]
    pub operating: Option<String>,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub source: String,
}

impl EnterpriseForm {
    fn input(&self) -> EnterpriseInput {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        EnterpriseInput {
            uscc: self.uscc.clone(),
            name: self.name.clone(),
            industry: self.industry.clone(),
            staff: self.staff.clone(),
            new_form_workers: self.new_form_workers.clone(),
            region_code: self.region_code.clone(),
            address: opt(&self.address),
            has_party_org: Some(
                if self.has_party_org.is_some() {
                    "是"
                } else {
                    "否"
                }
                .into(),
            ),
            union_status: opt(&self.union_status),
            union_code: opt(&self.union_code),
            operating: Some(
                if self.operating.is_some() {
                    "是"
                } else {
                    "否"
                }
                .into(),
            ),
            contact_name: opt(&self.contact_name),
            contact_phone: opt(&self.contact_phone),
            source: opt(&self.source),
        }
    }

    fn of(e: &Enterprise) -> EnterpriseForm {
        EnterpriseForm {
            uscc: e.uscc.clone(),
            name: e.name.clone(),
            industry: e.industry.clone(),
            staff: e.staff.to_string(),
            new_form_workers: e.new_form_workers.to_string(),
            region_code: e.region_code.clone(),
            address: e.address.clone().unwrap_or_default(),
            has_party_org: e.has_party_org.then(|| "1".into()),
            union_status: e.union_status.clone(),
            union_code: e.union_code.clone().unwrap_or_default(),
            operating: e.operating.then(|| "1".into()),
            contact_name: e.contact_name.clone().unwrap_or_default(),
            contact_phone: e.contact_phone.clone().unwrap_or_default(),
            source: e.source.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "census/form.html")]
struct FormPage {
    ctx: Ctx,
    editing: bool,
    form: EnterpriseForm,
    errors: FieldErrors,
    industries: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.ctx.t(c))
    }

    fn inputs(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("uscc", "text"),
            ("name", "text"),
            ("staff", "number"),
            ("new_form_workers", "number"),
            ("region_code", "text"),
            ("address", "text"),
            ("union_code", "text"),
            ("contact_name", "text"),
            ("contact_phone", "tel"),
            ("source", "text"),
        ]
    }

    fn field_label(&self, field: &str) -> String {
        self.ctx.t(&format!("census.field.{field}")).to_string()
    }

    fn value(&self, field: &str) -> String {
        let f = &self.form;
        match field {
            "uscc" => &f.uscc,
            "name" => &f.name,
            "staff" => &f.staff,
            "new_form_workers" => &f.new_form_workers,
            "region_code" => &f.region_code,
            "address" => &f.address,
            "union_code" => &f.union_code,
            "contact_name" => &f.contact_name,
            "contact_phone" => &f.contact_phone,
            _ => &f.source,
        }
        .clone()
    }
}

fn form_page(
    auth: &Auth,
    editing: bool,
    form: EnterpriseForm,
    errors: FieldErrors,
) -> Result<Html<String>, PageError> {
    let here = if editing {
        format!("/census/{}/edit", form.uscc)
    } else {
        "/census/new".to_string()
    };
    let ctx = Ctx::new(auth, "census", &here);
    let industries = Industry::ALL
        .iter()
        .map(|i| {
            (
                i.as_str(),
                ctx.t(&format!("orgs.industry.{}", i.as_str())).to_string(),
            )
        })
        .collect();
    let statuses = UnionStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                ctx.t(&format!("census.status.{}", s.as_str())).to_string(),
            )
        })
        .collect();
    render(&FormPage {
        ctx,
        editing,
        form,
        errors,
        industries,
        statuses,
    })
}

pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let form = EnterpriseForm {
        operating: Some("1".into()),
        union_status: "none".into(),
        industry: "food_delivery".into(),
        ..EnterpriseForm::default()
    };
    form_page(&auth, false, form, FieldErrors::new())
}

pub async fn create(auth: Auth, Form(form): Form<EnterpriseForm>) -> Result<Response, PageError> {
    match census::submit(&auth.app.store, &auth.caller, &form.input()).await {
        Ok((_, e)) => Ok(Redirect::to(&format!("/census/{}", e.uscc)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => Ok(respond::invalid(form_page(&auth, false, form, errs)?)),
            None => Err(e.into()),
        },
    }
}

pub async fn edit_form(auth: Auth, Path(uscc): Path<String>) -> Result<Html<String>, PageError> {
    let e = in_read(&auth.app.store, async |tx| {
        census::get(tx, &auth.caller.scope, &uscc).await
    })
    .await?;
    form_page(&auth, true, EnterpriseForm::of(&e), FieldErrors::new())
}

pub async fn update(
    auth: Auth,
    Path(uscc): Path<String>,
    Form(mut form): Form<EnterpriseForm>,
) -> Result<Response, PageError> {
    form.uscc = uscc.clone();
    match census::revise(&auth.app.store, &auth.caller, &uscc, &form.input()).await {
        Ok(e) => Ok(Redirect::to(&format!("/census/{}", e.uscc)).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => Ok(respond::invalid(form_page(&auth, true, form, errs)?)),
            None => Err(e.into()),
        },
    }
}

#[derive(Template)]
#[template(path = "census/show.html")]
struct ShowPage {
    ctx: Ctx,
    e: Enterprise,
    sources: Vec<SourceRecord>,
    /// Fields on which the sources disagree.
    differing: Vec<&'static str>,
    can_edit: bool,
    message: Option<&'static str>,
    /// The enterprise's union (code, name), when it has one.
    union: Option<(String, String)>,
    /// Its workers waiting in the holding unions of the caller's scope.
    waiting: Vec<nuanxin_core::members::holding::Waiting>,
    liaison_visits: Vec<nuanxin_core::orgs::liaison::LiaisonVisit>,
    may_visit: bool,
    visit_action: String,
    today: String,
    /// Its labour-law checks (法治体检), newest first.
    checks: Page<nuanxin_core::services::labour_checks::LabourCheck>,
}

const FACT_FIELDS: [&str; 7] = [
    "name",
    "industry",
    "staff",
    "new_form_workers",
    "region_code",
    "union_status",
    "operating",
];

impl ShowPage {
    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn value(&self, s: &SourceRecord, field: &str) -> String {
        match s.record.get(field) {
            Some(serde_json::Value::String(v)) => match field {
                "industry" => self.label("orgs.industry", v),
                "union_status" => self.label("census.status", v),
                _ => v.clone(),
            },
            Some(serde_json::Value::Bool(b)) => self
                .ctx
                .t(if *b { "common.yes" } else { "common.no" })
                .to_string(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    fn differs(&self, field: &str) -> bool {
        self.differing.contains(&field)
    }

    fn fields(&self) -> Vec<&'static str> {
        FACT_FIELDS.to_vec()
    }
}

async fn show_page(
    auth: &Auth,
    uscc: &str,
    message: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let (e, sources, checks) = in_read(&auth.app.store, async |tx| {
        let e = census::get(tx, &auth.caller.scope, uscc).await?;
        let sources = census::sources_of(tx, &auth.caller.scope, uscc).await?;
        let checks = nuanxin_core::services::labour_checks::list(
            tx,
            &auth.caller.scope,
            &nuanxin_core::services::labour_checks::CheckFilter {
                uscc: Some(e.uscc.clone()),
                ..Default::default()
            },
            nuanxin_core::page::PageRequest::new(Some(1), Some(20)),
        )
        .await?;
        Ok((e, sources, checks))
    })
    .await?;
    let differing = FACT_FIELDS
        .into_iter()
        .filter(|f| {
            let mut values = sources.iter().map(|s| s.record.get(*f));
            let first = values.next();
            values.any(|v| Some(v) != first)
        })
        .collect();
    let (union, waiting) =
        nuanxin_core::members::holding::waiting(&auth.app.store, &auth.caller.scope, uscc).await?;
    let (liaison_visits, may_visit) = nuanxin_core::orgs::liaison::list(
        &auth.app.store,
        &auth.caller,
        nuanxin_core::orgs::liaison::Visited::Enterprise(uscc),
    )
    .await
    .unwrap_or_default();
    let ctx = Ctx::new(auth, "census", &format!("/census/{uscc}"));
    render(&ShowPage {
        can_edit: auth.caller.is_staff(),
        ctx,
        e,
        sources,
        differing,
        message,
        union: union.map(|u| (u.code, u.name)),
        waiting,
        liaison_visits,
        may_visit,
        visit_action: format!("/census/{uscc}/liaison-visits"),
        today: auth.caller.today.to_string(),
        checks,
    })
}

pub async fn show(auth: Auth, Path(uscc): Path<String>) -> Result<Html<String>, PageError> {
    show_page(&auth, &uscc, None).await
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    pub source: String,
}

pub async fn resolve(
    auth: Auth,
    Path(uscc): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        census::resolve(tx, &auth.caller, &uscc, &f.source).await
    })
    .await?;
    Ok(Redirect::to(&format!("/census/{uscc}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct UnioniseForm {
    /// `existing` or `new`.
    pub how: String,
    #[serde(default)]
    pub union_code: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent_code: String,
}

pub async fn unionise(
    auth: Auth,
    Path(uscc): Path<String>,
    Form(f): Form<UnioniseForm>,
) -> Result<Response, PageError> {
    let how = if f.how == "new" {
        Unionise::New {
            code: f.code,
            name: f.name,
            parent_code: f.parent_code,
        }
    } else {
        Unionise::Existing {
            union_code: f.union_code,
        }
    };
    match in_write(&auth.app.store, async |tx| {
        census::mark_unionised(tx, &auth.caller, &uscc, &how).await
    })
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/census/{uscc}")).into_response()),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            let html = show_page(&auth, &uscc, Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn export(
    auth: Auth,
    Query(query): Query<EnterpriseFilter>,
) -> Result<Response, PageError> {
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes = sheet::export(&auth.app.store, &auth.caller, &query, zh).await?;
    Ok(respond::xlsx(bytes, "enterprises.xlsx"))
}

/// `POST /census/{uscc}/move-members`: the checked workers (or all of them) move from the
/// holding pool to the enterprise's union.
pub async fn move_members(
    auth: Auth,
    Path(uscc): Path<String>,
    body: String,
) -> Result<Response, PageError> {
    use nuanxin_core::members::holding::{move_to_union, MoveRequest};
    let mut req = MoveRequest::default();
    let mut all = false;
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "id" => req.ids.extend(uuid::Uuid::parse_str(&v).ok()),
            "all" => all = true,
            _ => {}
        }
    }
    if all {
        req.ids.clear();
    }
    match move_to_union(&auth.app.store, &auth.caller, &uscc, &req).await {
        Ok(done) => {
            let message = if done.pending > 0 {
                "holding.moved_pending"
            } else {
                "holding.moved"
            };
            Ok(show_page(&auth, &uscc, Some(message))
                .await?
                .into_response())
        }
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            let html = show_page(&auth, &uscc, Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /census/{uscc}/liaison-visits`: a liaison (or staff) records a visit to the enterprise.
pub async fn liaison_visit(
    auth: Auth,
    Path(uscc): Path<String>,
    Form(v): Form<nuanxin_core::orgs::liaison::VisitNote>,
) -> Result<Response, PageError> {
    use nuanxin_core::orgs::liaison::{record, Visited};
    record(
        &auth.app.store,
        &auth.caller,
        Visited::Enterprise(&uscc),
        &v,
    )
    .await?;
    Ok(Redirect::to(&format!("/census/{uscc}#liaison")).into_response())
}
