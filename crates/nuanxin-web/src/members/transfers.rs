//! Transfers (转会) in the console and the API: the list both unions and their parents see, with
//! the step each may take (accept or let go, object within the window, decide an objection), and
//! a cadre's request to move a member elsewhere from the member's page.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, ListLinks, Pager, Paging};
use crate::respond::{self, render};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::error::FieldErrors;
use nuanxin_core::members::transfers::{
    self, common_parent, Objection, Ruling, Transfer, TransferFilter, TransferRequest,
};
use nuanxin_core::members::MemberRow;
use nuanxin_core::page::Page;
use nuanxin_core::{in_read, orgs, Error, Role};
use serde::Deserialize;
use uuid::Uuid;

impl ListLinks for TransferFilter {
    const PATH: &'static str = "/transfers";
}

/// What the caller may do with one transfer on the list.
pub struct Row {
    pub t: Transfer,
    /// Accept (the receiving union) or let go (the old union).
    pub may_accept: bool,
    /// Object, within the window (the old union, before it let go).
    pub may_object: bool,
    /// Decide an objection (the lowest common parent federation).
    pub may_decide: bool,
    /// What accepting means for the caller: `transfers.accept` (the receiving union),
    /// `transfers.release` (the old union) or `transfers.accept_both`.
    pub accept_label: &'static str,
    /// The membership the caller can open: the old one where they see the old union.
    pub member_link: Uuid,
}

#[derive(Template)]
#[template(path = "members/transfers.html")]
struct ListPage {
    ctx: Ctx,
    query: TransferFilter,
    page: Page<Row>,
    statuses: Vec<(&'static str, String)>,
    message: Option<&'static str>,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| self.query.page_link(n))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }
}

const STATUSES: [&str; 8] = [
    "open",
    "requested",
    "accepted",
    "objected",
    "completed",
    "rejected",
    "withdrawn",
    "all",
];

/// The steps the caller may take on each transfer: read from the paths of the two unions.
async fn with_steps(auth: &Auth, page: Page<Transfer>) -> Result<Page<Row>, Error> {
    let codes: Vec<(String, String)> = page
        .items
        .iter()
        .map(|t| (t.from_org_code.clone(), t.to_org_code.clone()))
        .collect();
    let paths = in_read(&auth.app.store, async |tx| {
        let everyone = nuanxin_core::Scope::operator();
        let mut out = Vec::new();
        for (from, to) in &codes {
            let from = orgs::get(tx, &everyone, from).await?.path;
            let to = orgs::get(tx, &everyone, to).await?.path;
            out.push((from, to));
        }
        Ok(out)
    })
    .await?;
    let caller = &auth.caller;
    let staff = |path: &str| caller.role_at(path) >= Some(Role::Staff);
    let today = caller.today;
    let items = page
        .items
        .into_iter()
        .zip(paths)
        .map(|(t, (from, to))| {
            let open = t.status == "requested" || t.status == "accepted";
            let receiving = staff(&to) && t.accepted_at.is_none();
            let releasing = staff(&from) && t.released_at.is_none();
            let parent = common_parent(&from, &to);
            let accept_label = match (receiving, releasing) {
                (true, true) => "transfers.accept_both",
                (false, true) => "transfers.release",
                _ => "transfers.accept",
            };
            let member_link = if caller.role_at(&from).is_some() {
                t.from_membership
            } else {
                t.to_membership
            };
            Row {
                accept_label,
                member_link,
                may_accept: open && (receiving || releasing),
                may_object: open && releasing && today <= t.objection_until,
                may_decide: t.status == "objected" && parent.is_some_and(|p| staff(&p)),
                t,
            }
        })
        .collect();
    Ok(Page {
        items,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
}

async fn list_page(
    auth: &Auth,
    query: TransferFilter,
    paging: Paging,
    message: Option<&'static str>,
) -> Result<Response, PageError> {
    let (store, scope) = (&auth.app.store, &auth.caller.scope);
    let found = transfers::list(store, scope, &query, paging.request()).await?;
    let page = with_steps(auth, found).await?;
    let ctx = Ctx::new(auth, "members", &query.link(&[]));
    let statuses = STATUSES
        .iter()
        .map(|s| (*s, ctx.t(&format!("transfers.status.{s}")).to_string()))
        .collect();
    let html = render(&ListPage {
        ctx,
        query,
        page,
        statuses,
        message,
    })?;
    Ok(html.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /transfers`: transfers from or to the caller's subtree, open ones first by default.
pub async fn list(
    auth: Auth,
    Query(query): Query<TransferFilter>,
    Query(paging): Query<Paging>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let message = match done.done.as_str() {
        "accept" => Some("transfers.done.accept"),
        "object" => Some("transfers.done.object"),
        "decide" => Some("transfers.done.decide"),
        "request" => Some("transfers.done.request"),
        _ => None,
    };
    list_page(&auth, query, paging, message).await
}

/// A step's answer on the list page: back to the list, or the list with what went wrong.
async fn step_done(
    auth: &Auth,
    done: Result<Transfer, Error>,
    step: &str,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/transfers?status=all&done={step}")).into_response()),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            let query = TransferFilter::default();
            let page = list_page(auth, query, Paging::default(), Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /transfers/{id}/accept`.
pub async fn accept_page(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let done = transfers::accept(&auth.app.store, &auth.caller, id).await;
    step_done(&auth, done, "accept").await
}

/// `POST /transfers/{id}/object`.
pub async fn object_page(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(o): Form<Objection>,
) -> Result<Response, PageError> {
    let done = transfers::object(&auth.app.store, &auth.caller, id, &o).await;
    step_done(&auth, done, "object").await
}

/// `POST /transfers/{id}/decide`.
pub async fn decide_page(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(r): Form<Ruling>,
) -> Result<Response, PageError> {
    let done = transfers::decide(&auth.app.store, &auth.caller, id, &r).await;
    step_done(&auth, done, "decide").await
}

#[derive(Template)]
#[template(path = "members/transfer.html")]
struct RequestPage {
    ctx: Ctx,
    m: MemberRow,
    form: TransferRequest,
    errors: FieldErrors,
    problem: Option<&'static str>,
}

impl RequestPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.ctx.t(c))
    }
}

async fn request_page(
    auth: &Auth,
    id: Uuid,
    form: TransferRequest,
    errors: FieldErrors,
    problem: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let m = super::pages::staff_member(auth, id).await?;
    let ctx = Ctx::new(auth, "members", &format!("/members/{id}/transfer"));
    render(&RequestPage {
        ctx,
        m,
        form,
        errors,
        problem,
    })
}

/// `GET /members/{id}/transfer`: the receiving union and the reason.
pub async fn request_form(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    request_page(
        &auth,
        id,
        TransferRequest::default(),
        FieldErrors::new(),
        None,
    )
    .await
}

/// `POST /members/{id}/transfer`.
pub async fn request(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(form): Form<TransferRequest>,
) -> Result<Response, PageError> {
    match transfers::request(&auth.app.store, &auth.caller, id, &form).await {
        Ok(_) => Ok(Redirect::to("/transfers?status=all&done=request").into_response()),
        Err(e) => {
            let (errors, problem) = match (e.field_errors(), &e) {
                (_, Error::Conflict { .. }) => (FieldErrors::new(), Some(e.code())),
                (Some(errs), _) => (errs, None),
                (None, _) => return Err(e.into()),
            };
            let html = request_page(&auth, id, form, errors, problem).await?;
            Ok(respond::invalid(html))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/transfers", tag = "members", params(TransferFilter, Paging),
    responses((status = 200, description = "Transfers from or to the caller's subtree, newest first", body = Page<Transfer>),
              (status = 404, description = "`org` outside the caller's scope", body = ErrorBody),
              (status = 422, description = "An unknown status", body = ErrorBody)))]
pub async fn list_api(
    ApiAuth(auth): ApiAuth,
    Query(filter): Query<TransferFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Transfer>>, ApiError> {
    let (store, scope) = (&auth.app.store, &auth.caller.scope);
    Ok(Json(
        transfers::list(store, scope, &filter, paging.request()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/transfer", tag = "members", request_body = TransferRequest,
    params(("id" = Uuid, Path, description = "Membership id")),
    responses((status = 200, description = "The transfer: a request at the receiving union, which the old union has let go; completed at once when the caller is staff of both", body = Transfer),
              (status = 403, description = "Not staff of the member's union", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Not an active or retained membership, or a transfer already open", body = ErrorBody),
              (status = 422, description = "An unknown or dissolved union, or the member's own", body = ErrorBody)))]
pub async fn request_api(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(req): Json<TransferRequest>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(
        transfers::request(&auth.app.store, &auth.caller, id, &req).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/accept", tag = "members",
    params(("id" = Uuid, Path, description = "Transfer id")),
    responses((status = 200, description = "Accepted by the receiving union and/or let go by the old one (staff of each); completed when both hold or the objection window closed", body = Transfer),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Objected (the parent federation decides) or closed", body = ErrorBody)))]
pub async fn accept_api(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(
        transfers::accept(&auth.app.store, &auth.caller, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/object", tag = "members", request_body = Objection,
    params(("id" = Uuid, Path, description = "Transfer id")),
    responses((status = 200, description = "Objected: the lowest common parent federation decides", body = Transfer),
              (status = 403, description = "Not staff of the old union", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "The window closed, the old union let go, or the transfer is closed", body = ErrorBody),
              (status = 422, description = "No reason", body = ErrorBody)))]
pub async fn object_api(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(o): Json<Objection>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(
        transfers::object(&auth.app.store, &auth.caller, id, &o).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/decide", tag = "members", request_body = Ruling,
    params(("id" = Uuid, Path, description = "Transfer id")),
    responses((status = 200, description = "`accept`: the member moves now; `reject`: the member stays and the request is rejected", body = Transfer),
              (status = 403, description = "Not staff of the lowest common parent federation", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Not objected", body = ErrorBody), (status = 422, description = "An unknown outcome", body = ErrorBody)))]
pub async fn decide_api(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(r): Json<Ruling>,
) -> Result<Json<Transfer>, ApiError> {
    Ok(Json(
        transfers::decide(&auth.app.store, &auth.caller, id, &r).await?,
    ))
}
