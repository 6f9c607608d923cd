//! The labour-law checks sheet (`nuanxin import labour-checks`, 法治体检 › 导入): a federation's
//! ledger of checks comes in whole. A row names a census enterprise, the day and the union that
//! ran the check; the same union's check of the enterprise that day is updated, any other row
//! creates one.

use super::labour_checks::{self, Figures};
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::members::id_vault::IdVault;
use crate::sheets::import::{self, Cells, Count, ImportReport, Importer, Tally};
use crate::sheets::{self, Column, Table};
use crate::{census, orgs, Error, Result, Role, Store, Tx};
use chrono::NaiveDate;
use std::collections::BTreeMap;

pub const COLUMNS: [Column; 8] = [
    Column::new("uscc", "统一社会信用代码", true),
    Column::new("checked_on", "体检日期", true),
    Column::new("org_code", "实施工会编码", true),
    Column::new("findings", "发现问题数", true),
    Column::new("rectified", "已整改数", true),
    Column::new("enterprise_name", "企业名称", false),
    Column::new("rectify_by", "整改期限", false),
    Column::new("follow_up", "整改跟进", false),
];

/// One checked row.
pub struct CheckRow {
    uscc: String,
    checked_on: NaiveDate,
    org_code: String,
    figures: Figures,
    follow_up: Option<String>,
}

fn parse_row(cells: &Cells<'_>, today: NaiveDate) -> std::result::Result<CheckRow, FieldErrors> {
    let mut errs = FieldErrors::new();
    let uscc = match census::Uscc::parse(&cells.text("uscc")) {
        Ok(u) => Some(u.as_str().to_string()),
        Err(e) => {
            errs.push("uscc", e.code());
            None
        }
    };
    let checked_on = if cells.opt("checked_on").is_none() {
        errs.push("checked_on", "errors.bad_date");
        None
    } else {
        labour_checks::check_day(&cells.text("checked_on"), today, &mut errs)
    };
    let org_code = cells.text("org_code");
    if org_code.is_empty() {
        errs.push("org_code", "checks.unknown_org");
    }
    for field in ["findings", "rectified"] {
        if cells.opt(field).is_none() {
            errs.push(field, "checks.bad_count");
        }
    }
    let figures = labour_checks::check_figures(
        &BTreeMap::new(),
        &cells.text("findings"),
        &cells.text("rectified"),
        &cells.text("rectify_by"),
        &mut errs,
    );
    match (uscc, checked_on) {
        (Some(uscc), Some(checked_on)) if errs.is_empty() => Ok(CheckRow {
            uscc,
            checked_on,
            org_code,
            figures,
            follow_up: cells
                .opt("follow_up")
                .map(|t| t.chars().take(2000).collect()),
        }),
        _ => Err(errs),
    }
}

struct CheckRows;

impl Importer for CheckRows {
    type Row = CheckRow;
    type Tally = CheckUpserts;
    const ACTION: &'static str = "checks.import";
    const NOT_FOUND: (&'static str, &'static str) = ("org_code", "checks.unknown_org");
    const DUPLICATE: (&'static str, &'static str) = ("checked_on", "checks.duplicate_in_file");

    fn parse(
        &mut self,
        cells: &Cells<'_>,
        caller: &Caller,
    ) -> std::result::Result<CheckRow, FieldErrors> {
        parse_row(cells, caller.today)
    }

    fn key(&self, row: &CheckRow) -> Option<String> {
        Some(format!(
            "{}\u{0}{}\u{0}{}",
            row.uscc, row.org_code, row.checked_on
        ))
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        r: &CheckRow,
        tally: &mut CheckUpserts,
    ) -> Result<()> {
        let org = orgs::get(tx, &caller.scope, &r.org_code).await?;
        if caller.scope.role_at(&org.path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        if !org.is_active() {
            return Err(Error::invalid("org_code", "orgs.dissolved_readonly"));
        }
        let enterprise = match census::get(tx, &caller.scope, &r.uscc).await {
            Ok(e) => e.id,
            Err(Error::NotFound) => {
                return Err(Error::invalid("uscc", "checks.unknown_enterprise"))
            }
            Err(e) => return Err(e),
        };
        let (_, created) = labour_checks::upsert(
            tx,
            enterprise,
            &org,
            r.checked_on,
            &r.figures,
            r.follow_up.as_deref(),
            "import",
            caller.at,
        )
        .await?;
        if created {
            tally.created += 1;
        } else {
            tally.updated += 1;
        }
        tally.findings += r.figures.findings as usize;
        Ok(())
    }
}

/// The labour-law checks sheet, as pages and the command line import it.
pub struct LabourChecksSheet;

impl import::SheetImport for LabourChecksSheet {
    type Tally = CheckUpserts;
    const NAME: &'static str = "labour-checks";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        let example = vec![vec![
            census::Uscc::with_check("91371502MA3C8KXX0")
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            "2026-06-01".into(),
            "F371502".into(),
            "3".into(),
            "2".into(),
            "聊城某物流有限公司".into(),
            "2026-07-01".into(),
            "劳动合同已补签，社保整改中".into(),
        ]];
        sheets::write_template("法治体检", &COLUMNS, &[], &example)
    }

    async fn import(
        store: &Store,
        _vault: &IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<ImportReport<CheckUpserts>> {
        import::run(store, caller, table, dry_run, CheckRows, progress).await
    }
}

/// Checks created or updated by an import, and the problems they found.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct CheckUpserts {
    pub created: usize,
    pub updated: usize,
    pub findings: usize,
}

impl Tally for CheckUpserts {
    fn counts(&self, _dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: "checks.import_created",
                n: self.created,
            },
            Count {
                key: "checks.import_updated",
                n: self.updated,
            },
            Count {
                key: "checks.import_findings",
                n: self.findings,
            },
        ]
    }
}
