//! One import driver for every sheet (SPEC section 5): the row loop, errors by row and column,
//! repeats within the file, progress, the dry run, the audit entry and the commit. A capability
//! plugs in how a row is read and how it is written (`Importer`), and what it counts (`Tally`).
//!
//! ```ignore
//! struct Stations;
//! impl Importer for Stations {
//!     type Row = StationDraft;
//!     type Tally = Upserts;
//!     const ACTION: &'static str = "stations.import";
//!     const NOT_FOUND: (&'static str, &'static str) = ("org_code", "stations.unknown_org");
//!     fn parse(&mut self, row: &Cells<'_>, _: &Caller) -> Result<StationDraft, FieldErrors> { … }
//!     async fn write(&mut self, tx: &mut Tx, caller: &Caller, d: &StationDraft, t: &mut Upserts)
//!         -> crate::Result<()> { … }
//! }
//! let report = sheets::import::run(store, caller, &table, dry_run, Stations, progress).await?;
//! ```

use super::{Column, Table};
use crate::accounts::Caller;
use crate::error::{FieldErrors, RowError};
use crate::members::id_vault::IdVault;
use crate::{Error, Result, Store, Tx};
use serde::Serialize;
use std::collections::HashSet;

/// What an import did (or, in a dry run, would do): the rows read, what the capability counted
/// (flattened into the same JSON object: `created`, `updated`, …), and every rejected cell.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport<T> {
    pub dry_run: bool,
    pub rows: usize,
    #[serde(flatten)]
    pub tally: T,
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RowError>,
}

impl<T: Tally> ImportReport<T> {
    pub fn new(dry_run: bool, rows: usize) -> ImportReport<T> {
        ImportReport {
            dry_run,
            rows,
            tally: T::default(),
            rejected: Vec::new(),
        }
    }

    /// The counts to show, each with its message key, the import's main result first.
    pub fn counts(&self) -> Vec<Count> {
        self.tally.counts(self.dry_run)
    }
}

/// `report.created` reads the tally's count, as the JSON does.
impl<T> std::ops::Deref for ImportReport<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.tally
    }
}

/// One number of an import's summary: its message key (with `{n}`) and the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub key: &'static str,
    pub n: usize,
}

/// What a capability counts as rows are written.
pub trait Tally: Default + Serialize {
    /// The numbers of the summary, each with its message key, the main result first.
    fn counts(&self, dry_run: bool) -> Vec<Count>;
    /// A list of rows beyond the rejections (members already on record), if the import keeps one.
    fn extra(&self) -> Option<Extra> {
        None
    }
}

/// A list of rows an import reports beyond the rejections: a title and column headers (message
/// keys) and, per row, its number and cells.
#[derive(Debug, Clone)]
pub struct Extra {
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Rows created or updated (stations; the orgs import only creates).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Upserts {
    pub created: usize,
    pub updated: usize,
}

/// The cells of one row, by column key.
pub struct Cells<'a> {
    table: &'a Table,
    cells: &'a [String],
    /// The row number as Excel shows it.
    pub row: usize,
}

impl Cells<'_> {
    /// The trimmed text of a column ("" when absent or empty).
    pub fn text(&self, key: &str) -> String {
        self.table.cell(self.cells, key).to_string()
    }

    /// The trimmed text of a column, `None` when empty.
    pub fn opt(&self, key: &str) -> Option<String> {
        Some(self.text(key)).filter(|s| !s.is_empty())
    }
}

/// How a capability reads and writes its rows.
pub trait Importer {
    /// A row checked on its own (a draft).
    type Row;
    type Tally: Tally;
    /// The audit action of a real (not dry) run: `stations.import`.
    const ACTION: &'static str;
    /// Where a write answered "not found" or "forbidden" (the union or region the row names is
    /// not the caller's): the column and the message key.
    const NOT_FOUND: (&'static str, &'static str);
    /// The column and message key of a row that repeats an earlier row's `key`.
    const DUPLICATE: (&'static str, &'static str) = ("", "sheets.duplicate_in_file");

    /// Checks one row on its own: every problem at once.
    fn parse(&mut self, cells: &Cells<'_>, caller: &Caller) -> Result<Self::Row, FieldErrors>;

    /// What must not repeat within one file (`None`: anything may).
    fn key(&self, _row: &Self::Row) -> Option<String> {
        None
    }

    /// The order to write the rows in (parents before children), and rows refused for their
    /// place in the file; rows are written in file order otherwise.
    #[expect(clippy::type_complexity, reason = "rows in, rows and refusals out")]
    fn order(
        &mut self,
        rows: Vec<(usize, Self::Row)>,
    ) -> (Vec<(usize, Self::Row)>, Vec<(usize, FieldErrors)>) {
        (rows, Vec::new())
    }

    /// Writes one checked row in the import's transaction and counts it.
    fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        row: &Self::Row,
        tally: &mut Self::Tally,
    ) -> impl std::future::Future<Output = Result<()>> + Send;

    /// Told of a row that was refused while writing (its children may depend on it).
    fn refused(&mut self, _row: &Self::Row) {}

    /// Reads what the rows will need, in the import's transaction before the first row is
    /// written (state to keep right as the rows change it).
    fn prepare(
        &mut self,
        _tx: &mut Tx,
        _rows: &[(usize, Self::Row)],
    ) -> impl std::future::Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// Writes what the rows gathered (counters added up over the whole file), in the import's
    /// transaction after the last row.
    fn finish(&mut self, _tx: &mut Tx) -> impl std::future::Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
}

/// Reports `progress(done, total)` every this many rows.
const PROGRESS_EVERY: usize = 200;

/// Imports a table: every row is checked, the good ones are written in one transaction, the
/// others are reported with row number, column header and reason. A dry run does all of it and
/// rolls back; a real run is audited under `I::ACTION` and commits.
pub async fn run<I: Importer>(
    store: &Store,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
    mut importer: I,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport<I::Tally>> {
    let total = table.rows.len();
    let mut report = ImportReport::<I::Tally>::new(dry_run, total);
    let mut seen: HashSet<String> = HashSet::new();
    let mut checked = Vec::with_capacity(total);
    for (row, cells) in &table.rows {
        let cells = Cells {
            table,
            cells,
            row: *row,
        };
        match importer.parse(&cells, caller) {
            Err(errs) => report.rejected.extend(row_errors(table, *row, &errs)),
            Ok(parsed) => match importer.key(&parsed) {
                Some(key) if seen.contains(&key) => {
                    let (field, code) = I::DUPLICATE;
                    report.rejected.push(row_error(table, *row, field, code));
                    importer.refused(&parsed);
                }
                key => {
                    if let Some(key) = key {
                        seen.insert(key);
                    }
                    checked.push((*row, parsed));
                }
            },
        }
    }
    let (ordered, misplaced) = importer.order(checked);
    for (row, errs) in &misplaced {
        report.rejected.extend(row_errors(table, *row, errs));
    }

    let mut tx = store.write().await?;
    importer.prepare(&mut tx, &ordered).await?;
    for (i, (row, parsed)) in ordered.iter().enumerate() {
        match importer
            .write(&mut tx, caller, parsed, &mut report.tally)
            .await
        {
            Ok(()) => {}
            Err(Error::NotFound | Error::Forbidden) => {
                let (field, code) = I::NOT_FOUND;
                report.rejected.push(row_error(table, *row, field, code));
                importer.refused(parsed);
            }
            Err(e) => match e.field_errors() {
                Some(errs) => {
                    report.rejected.extend(row_errors(table, *row, &errs));
                    importer.refused(parsed);
                }
                None => return Err(e),
            },
        }
        if i % PROGRESS_EVERY == 0 {
            progress(i + 1, total);
        }
    }
    importer.finish(&mut tx).await?;
    progress(total, total);
    report.rejected.sort_by_key(|e| e.row);
    if dry_run {
        tx.rollback().await?;
    } else {
        audit_import(&mut tx, caller, I::ACTION, &report).await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Records a real import in the audit log: the rows, what was counted, how many were rejected.
pub async fn audit_import<T: Tally>(
    tx: &mut Tx,
    caller: &Caller,
    action: &str,
    report: &ImportReport<T>,
) -> Result<()> {
    let mut details = serde_json::to_value(&report.tally).map_err(|e| Error::Internal(e.into()))?;
    if let Some(map) = details.as_object_mut() {
        // Lists (members already on record) are in the report; the log counts them.
        for v in map.values_mut() {
            if let Some(list) = v.as_array() {
                *v = list.len().into();
            }
        }
        map.insert("rejected".into(), report.rejected.len().into());
    }
    caller
        .audit(
            tx,
            action,
            &format!("{} rows", report.rows),
            caller.scope.roots().first().map(|r| r.path.as_str()),
            details,
        )
        .await
}

/// One rejected cell, under the header the file itself uses for `field`.
pub fn row_error(table: &Table, row: usize, field: &str, code: &'static str) -> RowError {
    RowError {
        row,
        column: table.header(field),
        code,
    }
}

/// Every problem of a row, each under its column's header.
pub fn row_errors<'a>(
    table: &'a Table,
    row: usize,
    errs: &'a FieldErrors,
) -> impl Iterator<Item = RowError> + 'a {
    errs.iter()
        .map(move |e| row_error(table, row, e.field, e.code))
}

/// A capability's sheet import as the pages, the API and the command line offer it: its columns,
/// its template and its import. `nuanxin import NAME FILE` and the page at `/…/import` are
/// written once for every `SheetImport`.
pub trait SheetImport {
    type Tally: Tally;
    /// The name of the command (`nuanxin import stations`) and of the template file.
    const NAME: &'static str;
    /// The columns of the sheet, with the headers either language may use.
    const COLUMNS: &'static [Column];

    /// The template to fill in: the columns, notes on the headers, text formats and drop-downs.
    fn template() -> anyhow::Result<Vec<u8>>;

    /// Reads an uploaded or local file into rows of this sheet.
    fn read(bytes: &[u8]) -> std::result::Result<Table, super::SheetError> {
        super::read(bytes, Self::COLUMNS)
    }

    /// Whether the caller may import this sheet at all (staff at one post at least); each row is
    /// still checked against the caller's subtree.
    fn may_import(caller: &Caller) -> bool {
        caller.is_staff()
    }

    /// Imports the table as the caller; `progress(done, total)` as rows go.
    fn import(
        store: &Store,
        vault: &IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> impl std::future::Future<Output = Result<ImportReport<Self::Tally>>> + Send;
}
