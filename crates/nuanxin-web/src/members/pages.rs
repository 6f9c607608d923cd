//! Member pages: the register with pending requests to approve or reject in bulk, a member's
//! page with the audited reveal, export to Excel, and a union's join code with its QR code.

use crate::auth::Auth;
use crate::error::PageError;
use crate::join::qr_svg;
use crate::layout::{Ctx, ListLinks, Paging};
use crate::respond::{self, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::error::FieldErrors;
use nuanxin_core::members::corrections::{self, CorrectionInput, IdChange};
use nuanxin_core::members::lifecycle::{self, Ending, EndingInput, HistoryEntry};
use nuanxin_core::members::{self, Decision, JoinCode, MemberFilter, MemberRow, WorkerGroup};
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::{in_read, in_write, orgs, Error, Role};
use serde::Deserialize;
use uuid::Uuid;

impl ListLinks for MemberFilter {
    const PATH: &'static str = "/members";
}

#[derive(Template)]
#[template(path = "members/list.html")]
struct ListPage {
    ctx: Ctx,
    query: MemberFilter,
    page: Page<MemberRow>,
    statuses: Vec<(&'static str, String)>,
    can_decide: bool,
    message: Option<&'static str>,
}

impl ListPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::of(&self.page, |n| self.query.page_link(n))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }
}

const STATUSES: [&str; 10] = [
    "pending",
    "transfer_out",
    "active",
    "retained",
    "left",
    "lapsed",
    "rejected",
    "transferred",
    "withdrawn",
    "all",
];

/// A page of the memberships in the caller's scope that the filter selects, ID numbers masked:
/// the page's list and the API's.
pub(super) async fn search(
    auth: &Auth,
    filter: &MemberFilter,
    request: PageRequest,
) -> Result<Page<MemberRow>, Error> {
    let app = &auth.app;
    members::search(&app.store, &auth.caller, &app.vault, filter, request).await
}

async fn list_page(
    auth: &Auth,
    query: MemberFilter,
    paging: Paging,
    mut message: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let request = paging.request();
    let found = search(auth, &query, request).await;
    // A search the caller may not make (or too many) says why on the page, with no rows.
    let page = match found {
        Ok(page) => page,
        Err(e @ (Error::Invalid { .. } | Error::RateLimited)) => {
            message = Some(e.code());
            Page {
                items: Vec::new(),
                total: 0,
                page: request.page,
                per_page: request.per_page,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = Ctx::new(auth, "members", &query.link(&[]));
    let statuses = STATUSES
        .iter()
        .map(|s| (*s, ctx.t(&format!("members.status.{s}")).to_string()))
        .collect();
    let can_decide = auth.caller.is_staff();
    render(&ListPage {
        ctx,
        query,
        page,
        statuses,
        can_decide,
        message,
    })
}

pub async fn list(
    auth: Auth,
    Query(query): Query<MemberFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    list_page(&auth, query, paging, None).await
}

/// The bulk decision form: checked rows, the button pressed, and the reason.
pub async fn decide(auth: Auth, body: String) -> Result<Response, PageError> {
    let mut ids = Vec::new();
    let (mut decision, mut reason) = (String::new(), String::new());
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "id" => ids.push(
                Uuid::parse_str(&v)
                    .map_err(|_| Error::invalid("ids", "members.nothing_selected"))?,
            ),
            "decision" => decision = v.into_owned(),
            "reason" => reason = v.into_owned(),
            _ => {}
        }
    }
    let decision = if decision == "reject" {
        Decision::Reject { reason }
    } else {
        Decision::Approve
    };
    let decided = in_write(&auth.app.store, async |tx| {
        members::decide(tx, &auth.caller, &ids, &decision).await
    })
    .await;
    match decided {
        Ok(_) => Ok(Redirect::to("/members?status=pending").into_response()),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            let query = MemberFilter {
                status: Some("pending".into()),
                ..MemberFilter::default()
            };
            let html = list_page(&auth, query, Paging::default(), Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "members/show.html")]
struct ShowPage {
    ctx: Ctx,
    m: MemberRow,
    history: Vec<HistoryEntry>,
    revealed: Option<String>,
    can_reveal: bool,
    can_correct: bool,
    /// The ways the caller may end this membership (none for a viewer or an ended one).
    endings: Vec<Ending>,
    /// The caller may ask to move the member to another union.
    can_transfer: bool,
    message: Option<&'static str>,
    /// The member's honours (荣誉), on their record.
    honours: Vec<nuanxin_core::services::honours::Honour>,
}

impl ShowPage {
    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }
}

/// The ways a staff member may end a membership in `status`.
fn endings_of(status: &str) -> Vec<Ending> {
    match status {
        "active" => Ending::ALL.to_vec(),
        "retained" => vec![Ending::Leave, Ending::Lapse],
        _ => Vec::new(),
    }
}

async fn show_page(
    auth: &Auth,
    id: Uuid,
    revealed: Option<String>,
    show: &ShowQuery,
) -> Result<Html<String>, PageError> {
    let ((m, history), path, honours) = in_read(&auth.app.store, async |tx| {
        let m = members::get(tx, &auth.caller.scope, id).await?;
        let history = lifecycle::history(tx, &auth.caller.scope, id).await?;
        let path = orgs::get(tx, &auth.caller.scope, &m.org_code).await?.path;
        let honours = nuanxin_core::services::honours::of_membership(tx, id).await?;
        Ok(((m, history), path, honours))
    })
    .await?;
    let ctx = Ctx::new(auth, "members", &format!("/members/{id}"));
    let staff = auth.caller.scope.role_at(&path) >= Some(Role::Staff);
    let message = match show.done.as_deref() {
        Some("corrected") => Some("members.corrected"),
        Some("leave") => Some("members.ended.leave"),
        Some("retain") => Some("members.ended.retain"),
        Some("lapse") => Some("members.ended.lapse"),
        _ => show.corrected.is_some().then_some("members.corrected"),
    };
    render(&ShowPage {
        can_reveal: auth.caller.may_reveal_ids(&path),
        can_correct: staff && m.status != "review",
        endings: if staff {
            endings_of(&m.status)
        } else {
            Vec::new()
        },
        can_transfer: staff && (m.status == "active" || m.status == "retained"),
        message,
        honours,
        ctx,
        m,
        history,
        revealed,
    })
}

pub async fn show(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, PageError> {
    show_page(&auth, id, None, &q).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    corrected: Option<String>,
    /// What was just done: `corrected`, `leave`, `retain`, `lapse`.
    done: Option<String>,
}

/// A member in the caller's scope whom the caller may change (staff of the member's union or
/// above): the record for a form that changes it; 403 for a viewer, 404 outside the scope.
pub(super) async fn staff_member(auth: &Auth, id: Uuid) -> Result<MemberRow, PageError> {
    let (m, path) = in_read(&auth.app.store, async |tx| {
        let m = members::get(tx, &auth.caller.scope, id).await?;
        let path = orgs::get(tx, &auth.caller.scope, &m.org_code).await?.path;
        Ok((m, path))
    })
    .await?;
    if auth.caller.role_at(&path) < Some(Role::Staff) {
        return Err(Error::Forbidden.into());
    }
    Ok(m)
}

#[derive(Template)]
#[template(path = "members/end.html")]
struct EndPage {
    ctx: Ctx,
    m: MemberRow,
    ending: Ending,
    endings: Vec<Ending>,
    form: EndingInput,
    /// The latest day the form accepts.
    today: String,
    errors: FieldErrors,
    /// A conflict (the membership ended meanwhile), said above the form.
    problem: Option<&'static str>,
}

impl EndPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.ctx.t(c))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EndQuery {
    #[serde(default)]
    kind: String,
}

async fn end_page(
    auth: &Auth,
    id: Uuid,
    ending: Ending,
    form: EndingInput,
    errors: FieldErrors,
    problem: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let m = staff_member(auth, id).await?;
    let ctx = Ctx::new(auth, "members", &format!("/members/{id}/end"));
    let form = EndingInput {
        on: if form.on.is_empty() {
            auth.caller.today.to_string()
        } else {
            form.on
        },
        ..form
    };
    render(&EndPage {
        endings: endings_of(&m.status),
        today: auth.caller.today.to_string(),
        ctx,
        m,
        ending,
        form,
        errors,
        problem,
    })
}

/// `GET /members/{id}/end?kind=leave|retain|lapse`: the day, the reason and what it means.
pub async fn end_form(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<EndQuery>,
) -> Result<Html<String>, PageError> {
    let ending = Ending::parse(&q.kind).unwrap_or(Ending::Leave);
    end_page(
        &auth,
        id,
        ending,
        EndingInput::default(),
        FieldErrors::new(),
        None,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    kind: String,
    #[serde(flatten)]
    input: EndingInput,
}

/// `POST /members/{id}/end`: ends the membership, or shows the form again with the problem.
pub async fn end(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(f): Form<EndForm>,
) -> Result<Response, PageError> {
    let Some(ending) = Ending::parse(&f.kind) else {
        let mut errs = FieldErrors::new();
        errs.push("kind", "members.end_kind_required");
        let html = end_page(&auth, id, Ending::Leave, f.input, errs, None).await?;
        return Ok(respond::invalid(html));
    };
    match lifecycle::end(&auth.app.store, &auth.caller, id, ending, &f.input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/members/{id}?done={}", ending.as_str())).into_response())
        }
        Err(e) => match e.field_errors() {
            Some(errs) => {
                let html = end_page(&auth, id, ending, f.input, errs, None).await?;
                Ok(respond::invalid(html))
            }
            None if matches!(e, Error::Conflict { .. }) => {
                let html = end_page(
                    &auth,
                    id,
                    ending,
                    f.input,
                    FieldErrors::new(),
                    Some(e.code()),
                )
                .await?;
                Ok((StatusCode::CONFLICT, html).into_response())
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Template)]
#[template(path = "members/correct.html")]
struct CorrectPage {
    ctx: Ctx,
    id: Uuid,
    record: MemberRow,
    form: CorrectionInput,
    groups: Vec<(&'static str, String)>,
    /// The county's census employers, largest first, to pick from (any name may be typed).
    employers: Vec<String>,
    /// The admin's second form: a new ID number with the reason.
    can_change_id: bool,
    id_change: IdChange,
    errors: FieldErrors,
}

impl CorrectPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.ctx.t(c))
    }
}

async fn correct_page(
    auth: &Auth,
    form: Option<CorrectionInput>,
    id_change: IdChange,
    id: Uuid,
    errors: FieldErrors,
) -> Result<Html<String>, PageError> {
    let (record, unit, employers) = in_read(&auth.app.store, async |tx| {
        let record = members::get(tx, &auth.caller.scope, id).await?;
        let unit = orgs::get(tx, &auth.caller.scope, &record.org_code).await?;
        let county: String = unit.region_code.chars().take(6).collect();
        let employers = nuanxin_core::census::largest_employers(tx, &county, 200).await?;
        Ok((record, unit, employers))
    })
    .await?;
    let form = form.unwrap_or_else(|| CorrectionInput {
        name: record.name.clone(),
        phone: String::new(),
        group: record.group.clone(),
        employer: record.employer.clone(),
        work_region: record.work_region.clone(),
        home_region: record.home_region.clone(),
    });
    let ctx = Ctx::new(auth, "members", &format!("/members/{id}/correct"));
    let groups = WorkerGroup::ALL
        .iter()
        .map(|g| {
            (
                g.as_str(),
                ctx.t(&format!("members.group.{}", g.as_str())).to_string(),
            )
        })
        .collect();
    render(&CorrectPage {
        ctx,
        id,
        record,
        form,
        groups,
        can_change_id: auth.caller.may_reveal_ids(&unit.path),
        employers,
        id_change,
        errors,
    })
}

/// `GET /members/{id}/correct`: the record in a form, the mobile number left blank (kept unless
/// typed again).
pub async fn correct_form(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    correct_page(&auth, None, IdChange::default(), id, FieldErrors::new()).await
}

/// `POST /members/{id}/correct`: corrects the record, or shows the form again with every problem.
pub async fn correct(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(form): Form<CorrectionInput>,
) -> Result<Response, PageError> {
    match corrections::correct(&auth.app.store, &auth.caller, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/members/{id}?done=corrected")).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => {
                let html = correct_page(&auth, Some(form), IdChange::default(), id, errs).await?;
                Ok(respond::invalid(html))
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /members/{id}/id-number`: an admin changes the member's ID number, with the reason.
pub async fn change_id(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(change): Form<IdChange>,
) -> Result<Response, PageError> {
    let (store, vault) = (&auth.app.store, &auth.app.vault);
    match corrections::change_id_number(store, vault, &auth.caller, id, &change).await {
        Ok(_) => Ok(Redirect::to(&format!("/members/{id}?done=corrected")).into_response()),
        Err(e) => match e.field_errors() {
            Some(errs) => {
                let html = correct_page(&auth, None, change, id, errs).await?;
                Ok(respond::invalid(html))
            }
            None => Err(e.into()),
        },
    }
}

#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn reveal(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let full = in_write(&auth.app.store, async |tx| {
        members::reveal_id(tx, &auth.caller, &auth.app.vault, id).await
    })
    .await?;
    let mut res = show_page(&auth, id, Some(full), &ShowQuery::default())
        .await?
        .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("valid header"),
    );
    Ok(res)
}

pub async fn export(auth: Auth, Query(filter): Query<MemberFilter>) -> Result<Response, PageError> {
    let (bytes, _rows) = in_write(&auth.app.store, async |tx| {
        members::sheet::export_xlsx(tx, &auth.caller, &auth.app.vault, &filter).await
    })
    .await?;
    Ok(respond::xlsx(
        bytes,
        &format!("members-{}.xlsx", auth.caller.today),
    ))
}

#[derive(Template)]
#[template(path = "members/join_code.html")]
struct JoinCodePage {
    ctx: Ctx,
    org_code: String,
    org_name: String,
    code: JoinCode,
    url: String,
    qr: String,
    history: Vec<JoinCode>,
    can_rotate: bool,
}

pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if !state.config.public_url.is_empty() {
        return state.config.public_url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

pub async fn join_code(
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Html<String>, PageError> {
    let (unit, can_rotate, codes, code) = in_write(&auth.app.store, async |tx| {
        let caller = &auth.caller;
        let unit = orgs::get(tx, &caller.scope, &org).await?;
        let can_rotate = caller.scope.role_at(&unit.path) >= Some(Role::Staff) && unit.is_active();
        let codes = members::join_codes_of(tx, &caller.scope, &org).await?;
        let code = match codes
            .iter()
            .find(|c| c.revoked_at.is_none() && c.channel == "qr")
        {
            Some(c) => c.clone(),
            None if can_rotate => members::current_code(tx, caller, &org, "qr").await?,
            None => return Err(Error::NotFound),
        };
        Ok((unit, can_rotate, codes, code))
    })
    .await?;
    let url = format!("{}/j/{}", base_url(&auth.app, &headers), code.code);
    let ctx = Ctx::new(&auth, "members", &format!("/orgs/{org}/join-code"));
    render(&JoinCodePage {
        qr: qr_svg(&url),
        url,
        org_code: unit.code,
        org_name: unit.name,
        code,
        history: codes
            .into_iter()
            .filter(|c| c.revoked_at.is_some())
            .collect(),
        can_rotate,
        ctx,
    })
}

pub async fn join_code_svg(
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, PageError> {
    let (_, url) = active_join_url(&auth, &headers, &org).await?;
    let svg = qr_svg(&url);
    Ok(respond::file(
        svg.into_bytes(),
        &format!("join-{org}.svg"),
        "image/svg+xml",
        false,
    ))
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    auto_approve: Option<String>,
}

pub async fn rotate(
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<RotateForm>,
) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        members::rotate_code(tx, &auth.caller, &org, "qr", f.auto_approve.is_some()).await
    })
    .await?;
    Ok(Redirect::to(&format!("/orgs/{org}/join-code")).into_response())
}

/// The active QR join code of a unit with its full URL, for the poster.
async fn active_join_url(
    auth: &Auth,
    headers: &HeaderMap,
    org: &str,
) -> Result<(String, String), PageError> {
    let (unit, code) = in_read(&auth.app.store, async |tx| {
        let unit = orgs::get(tx, &auth.caller.scope, org).await?;
        let codes = members::join_codes_of(tx, &auth.caller.scope, org).await?;
        let code = codes
            .into_iter()
            .find(|c| c.revoked_at.is_none() && c.channel == "qr")
            .ok_or(Error::NotFound)?;
        Ok((unit, code))
    })
    .await?;
    Ok((
        unit.name,
        format!("{}/j/{}", base_url(&auth.app, headers), code.code),
    ))
}

/// The printable poster of a union's join code, drawn off the request's thread: `pdf` (A4,
/// Chinese glyphs embedded) or `png` (1240 px wide, for sharing in chat groups).
async fn poster(
    auth: &Auth,
    headers: &HeaderMap,
    org: &str,
    pdf: bool,
) -> Result<Response, PageError> {
    let (name, url) = active_join_url(auth, headers, org).await?;
    let svg = super::poster::poster_svg(&name, &url, &qr_svg(&url));
    let fonts = auth.app.config.font_dirs.clone();
    let bytes = tokio::task::spawn_blocking(move || match pdf {
        true => super::poster::poster_pdf(&svg, &fonts),
        false => super::poster::poster_png(&svg, &fonts, 1240),
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(Error::Internal)?;
    let (ext, mime) = if pdf {
        ("pdf", "application/pdf")
    } else {
        ("png", "image/png")
    };
    Ok(respond::file(
        bytes,
        &format!("join-{org}.{ext}"),
        mime,
        true,
    ))
}

pub async fn join_code_pdf(
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, PageError> {
    poster(&auth, &headers, &org, true).await
}

pub async fn join_code_png(
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, PageError> {
    poster(&auth, &headers, &org, false).await
}
