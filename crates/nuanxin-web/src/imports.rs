//! The one import page every sheet shares (`/orgs/import`, `/stations/import`, …): the upload
//! form (a `file` field and a `dry_run` box), the template download and the report. A sheet is
//! plugged in with an `ImportPage` impl naming its paths and messages; the import itself is the
//! core's `SheetImport`.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, PageError};
use crate::layout::Ctx;
use crate::respond::{self, render};
use askama::Template;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use nuanxin_core::census::prospects::ProspectsSheet;
use nuanxin_core::census::sheet::EnterprisesSheet;
use nuanxin_core::error::RowError;
use nuanxin_core::members::sheet::MembersSheet;
use nuanxin_core::orgs::sheet::OrgsSheet;
use nuanxin_core::sheets::import::{Count, Extra, ImportReport, SheetImport, Tally};
use nuanxin_core::sheets::{SheetError, Table};
use nuanxin_core::stations::sheet::StationsSheet;
use nuanxin_core::Error;

/// Where a sheet's import page lives and what it says.
pub trait ImportPage: SheetImport {
    /// The navigation section, whose list is at `/{SECTION}`.
    const SECTION: &'static str;
    /// The capability's path, if not the section's: the page is `{BASE}/import`, the template
    /// `{BASE}/template.xlsx`.
    const BASE: Option<&'static str> = None;
    /// The sheet's message keys are `{SECTION}.{KEY}` (the title) and `{SECTION}.{KEY}_explain`.
    const KEY: &'static str = "import";
    /// The pages between the section's own list and this one: (path, message key).
    const CRUMBS: &'static [(&'static str, &'static str)] = &[];
}

impl ImportPage for OrgsSheet {
    const SECTION: &'static str = "orgs";
}

impl ImportPage for MembersSheet {
    const SECTION: &'static str = "members";
}

impl ImportPage for StationsSheet {
    const SECTION: &'static str = "stations";
}

impl ImportPage for EnterprisesSheet {
    const SECTION: &'static str = "census";
}

impl ImportPage for nuanxin_core::services::cases_sheet::CasesSheet {
    const SECTION: &'static str = "cases";
}

impl ImportPage for nuanxin_core::services::labour_checks_sheet::LabourChecksSheet {
    const SECTION: &'static str = "cases";
    const BASE: Option<&'static str> = Some("/labour-checks");
    const KEY: &'static str = "checks_import";
    const CRUMBS: &'static [(&'static str, &'static str)] = &[("/labour-checks", "checks.title")];
}

impl ImportPage for nuanxin_core::services::care_sheet::CareRecipientsSheet {
    const SECTION: &'static str = "cases";
    const BASE: Option<&'static str> = Some("/care");
    const KEY: &'static str = "care_import";
    const CRUMBS: &'static [(&'static str, &'static str)] = &[("/care", "care.title")];
}

impl ImportPage for ProspectsSheet {
    const SECTION: &'static str = "census";
    const BASE: Option<&'static str> = Some("/census/prospects");
    const KEY: &'static str = "prospects_import";
    const CRUMBS: &'static [(&'static str, &'static str)] =
        &[("/census/prospects", "census.prospects")];
}

/// The report as the page shows it, whatever the sheet.
struct ReportView {
    dry_run: bool,
    rows: usize,
    counts: Vec<Count>,
    rejected: Vec<RowError>,
    extra: Option<Extra>,
}

impl<T: Tally> From<ImportReport<T>> for ReportView {
    fn from(r: ImportReport<T>) -> ReportView {
        ReportView {
            dry_run: r.dry_run,
            rows: r.rows,
            counts: r.counts(),
            extra: r.tally.extra(),
            rejected: r.rejected,
        }
    }
}

/// Where a sheet's pages live: `BASE`, or the section's own path.
fn base<S: ImportPage>() -> String {
    S::BASE.map_or_else(|| format!("/{}", S::SECTION), str::to_string)
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportView {
    ctx: Ctx,
    base: String,
    title: String,
    explain: String,
    crumbs: Vec<(String, String)>,
    report: Option<ReportView>,
    file_error: Option<String>,
}

impl ImportView {
    fn of<S: ImportPage>(auth: &Auth) -> ImportView {
        ImportView {
            ctx: Ctx::new(auth, S::SECTION, &format!("{}/import", base::<S>())),
            base: base::<S>(),
            title: format!("{}.{}", S::SECTION, S::KEY),
            explain: format!("{}.{}_explain", S::SECTION, S::KEY),
            crumbs: std::iter::once((format!("/{}", S::SECTION), format!("{}.title", S::SECTION)))
                .chain(
                    S::CRUMBS
                        .iter()
                        .map(|(h, k)| (h.to_string(), k.to_string())),
                )
                .collect(),
            report: None,
            file_error: None,
        }
    }
}

/// `GET {BASE}/import`: the upload form.
pub async fn form<S: ImportPage>(auth: Auth) -> Result<Html<String>, PageError> {
    render(&ImportView::of::<S>(&auth))
}

/// `POST {BASE}/import`: reads the file, imports it (or checks it, in a dry run) and shows the
/// report; an unreadable file is answered 422 with the form and the reason.
pub async fn submit<S: ImportPage>(
    auth: Auth,
    multipart: Multipart,
) -> Result<Response, PageError> {
    if !S::may_import(&auth.caller) {
        return Err(Error::Forbidden.into());
    }
    let Upload { bytes, dry_run } = read(multipart).await?;
    let mut page = ImportView::of::<S>(&auth);
    let table = match S::read(&bytes) {
        Ok(t) => t,
        Err(e) => {
            page.file_error = Some(sheet_error(&page.ctx, &e));
            let html = render(&page)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    let report = import::<S>(&auth, &table, dry_run).await?;
    page.report = Some(report.into());
    Ok(render(&page)?.into_response())
}

/// Imports (or checks) a table read from an upload, as the caller.
async fn import<S: SheetImport>(
    auth: &Auth,
    table: &Table,
    dry_run: bool,
) -> Result<ImportReport<S::Tally>, Error> {
    let app = &auth.app;
    S::import(
        &app.store,
        &app.vault,
        &auth.caller,
        table,
        dry_run,
        |_, _| {},
    )
    .await
}

/// The API's import (`POST /api/v1/…/import`, the file as the body): the report as JSON; an
/// unreadable file is answered 422 with the field `file`.
pub async fn api<S: SheetImport>(
    ApiAuth(auth): ApiAuth,
    dry_run: bool,
    body: axum::body::Bytes,
) -> Result<axum::Json<ImportReport<S::Tally>>, ApiError> {
    if !S::may_import(&auth.caller) {
        return Err(Error::Forbidden.into());
    }
    let table = S::read(&body).map_err(|e| match e {
        SheetError::TooLarge(_) => Error::invalid("file", e.code()),
        _ => Error::invalid("file", "import.unreadable"),
    })?;
    let report = import::<S>(&auth, &table, dry_run).await?;
    Ok(axum::Json(report))
}

/// `GET {BASE}/template.xlsx`: the sheet to fill in.
pub async fn template<S: ImportPage>(_auth: Auth) -> Result<Response, PageError> {
    let bytes = S::template().map_err(Error::Internal)?;
    Ok(respond::xlsx(bytes, &format!("{}-template.xlsx", S::NAME)))
}

pub struct Upload {
    pub bytes: Vec<u8>,
    pub dry_run: bool,
}

pub async fn read(mut multipart: Multipart) -> Result<Upload, PageError> {
    let mut upload = Upload {
        bytes: Vec::new(),
        dry_run: false,
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => {
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| Error::Internal(e.into()))?
                    .to_vec()
            }
            Some("dry_run") => upload.dry_run = true,
            _ => {}
        }
    }
    Ok(upload)
}

/// What is wrong with an uploaded sheet, in the page's language, with its detail (the missing
/// column, the claimed size).
pub fn sheet_error(ctx: &Ctx, e: &SheetError) -> String {
    let message = ctx.t(e.code());
    match e.detail() {
        Some(detail) => format!("{message}: {detail}"),
        None => message.to_string(),
    }
}
