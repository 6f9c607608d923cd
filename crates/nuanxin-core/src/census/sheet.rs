//! The enterprises sheet (SPEC section 5): import with a per-row report and a dry run, and the
//! un-unionised enterprise list exported in the same layout.

use super::{EnterpriseDraft, EnterpriseFilter, EnterpriseInput, Recorded};
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::sheets::import::{self, Cells, Count, ImportReport, Importer, Tally};
use crate::sheets::{self, Column, Table};
use crate::{Error, Result, Store, Tx};
use serde::Serialize;

pub const COLUMNS: [Column; 15] = [
    Column::new("uscc", "统一社会信用代码", true),
    Column::new("name", "企业名称", true),
    Column::new("industry", "行业", false),
    Column::new("staff", "职工人数", true),
    Column::new("new_form_workers", "新就业形态劳动者人数", false),
    Column::new("region_code", "区划代码", true),
    Column::new("address", "地址", false),
    Column::new("has_party_org", "是否建立党组织", false),
    Column::new("union_status", "建会状态", false),
    Column::new("union_code", "所属工会编码", false),
    Column::new("contact_name", "联系人", false),
    Column::new("contact_phone", "联系电话", false),
    Column::new("source", "来源", false),
    Column::new("operating", "是否在营", false),
    Column::new("suggested_action", "建议", false),
];

/// What an enterprises import counted.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct EnterpriseTally {
    pub created: usize,
    pub updated: usize,
    /// Rows that another source already reported with the same facts.
    pub confirmed: usize,
    /// Rows whose facts differ from another source's: listed in the merge view.
    pub disputed: usize,
}

impl Tally for EnterpriseTally {
    fn counts(&self, _dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: "census.import_created",
                n: self.created,
            },
            Count {
                key: "census.import_updated",
                n: self.updated,
            },
            Count {
                key: "census.import_confirmed",
                n: self.confirmed,
            },
            Count {
                key: "census.import_disputed",
                n: self.disputed,
            },
        ]
    }
}

/// What an enterprises import did (or, in a dry run, would do).
pub type EnterpriseImportReport = ImportReport<EnterpriseTally>;

/// Enterprise rows: recorded per source, so that two sources of one enterprise can be compared.
struct EnterpriseRows;

impl Importer for EnterpriseRows {
    type Row = EnterpriseDraft;
    type Tally = EnterpriseTally;
    const ACTION: &'static str = "census.import";
    const NOT_FOUND: (&'static str, &'static str) = ("region_code", "census.region_outside_scope");
    const DUPLICATE: (&'static str, &'static str) = ("uscc", "census.duplicate_in_file");

    fn parse(
        &mut self,
        cells: &Cells<'_>,
        _caller: &Caller,
    ) -> Result<EnterpriseDraft, FieldErrors> {
        EnterpriseDraft::parse(&EnterpriseInput {
            uscc: cells.text("uscc"),
            name: cells.text("name"),
            industry: cells.text("industry"),
            staff: cells.text("staff"),
            new_form_workers: cells.text("new_form_workers"),
            region_code: cells.text("region_code"),
            address: cells.opt("address"),
            has_party_org: cells.opt("has_party_org"),
            union_status: cells.opt("union_status"),
            union_code: cells.opt("union_code"),
            operating: cells.opt("operating"),
            contact_name: cells.opt("contact_name"),
            contact_phone: cells.opt("contact_phone"),
            source: cells.opt("source"),
        })
    }

    fn key(&self, d: &EnterpriseDraft) -> Option<String> {
        Some(format!("{}\t{}", d.uscc, d.source))
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        d: &EnterpriseDraft,
        tally: &mut EnterpriseTally,
    ) -> Result<()> {
        match super::record(tx, caller, d).await? {
            Recorded::Created => tally.created += 1,
            Recorded::Updated => tally.updated += 1,
            Recorded::Confirmed => tally.confirmed += 1,
            Recorded::Disputed => tally.disputed += 1,
        }
        Ok(())
    }
}

/// The census enterprises sheet, as pages and the command line import it.
pub struct EnterprisesSheet;

impl import::SheetImport for EnterprisesSheet {
    type Tally = EnterpriseTally;
    const NAME: &'static str = "enterprises";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        let choices = vec![
            (
                "industry",
                crate::orgs::Industry::ALL.iter().map(|i| i.zh()).collect(),
            ),
            ("union_status", vec!["未建会", "筹建中", "已建会"]),
            ("has_party_org", vec!["是", "否"]),
        ];
        sheets::write_template("企业", &COLUMNS[..13], &choices, &[])
    }

    async fn import(
        store: &Store,
        _vault: &crate::members::id_vault::IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<EnterpriseImportReport> {
        import::run(store, caller, table, dry_run, EnterpriseRows, progress).await
    }
}

/// Exports the enterprises matching `filter` in the import layout plus the suggested action,
/// page by page (never the whole table in memory at once beyond the workbook itself).
pub async fn export(
    store: &Store,
    caller: &Caller,
    filter: &EnterpriseFilter,
    zh: bool,
) -> Result<Vec<u8>> {
    let spec = sheets::Export {
        sheet: ("企业", "enterprises"),
        columns: &COLUMNS,
        widths: &[
            22.0, 36.0, 14.0, 10.0, 12.0, 14.0, 36.0, 10.0, 10.0, 14.0, 12.0, 16.0, 12.0, 10.0,
            14.0,
        ],
        action: "census.export",
        subject: filter.org.as_deref().unwrap_or("*"),
        filter: serde_json::json!({"q": filter.q.as_deref().map(crate::audit::mask_digit_runs), "status": filter.status, "bucket": filter.bucket}),
    };
    sheets::export(store, caller, spec, zh, async |tx, sheet| {
        super::queries::for_each(tx, &caller.scope, filter, |e| {
            let action = e
                .suggested_action()
                .map(|a| match (a, zh) {
                    (super::SuggestedAction::OwnUnion, true) => "单独建会",
                    (super::SuggestedAction::JoinJointUnion, true) => "纳入联合工会",
                    (a, false) => a.as_str(),
                })
                .unwrap_or("")
                .to_string();
            sheet
                .push(&[
                    e.uscc,
                    e.name,
                    e.industry,
                    e.staff.to_string(),
                    e.new_form_workers.to_string(),
                    e.region_code,
                    e.address.unwrap_or_default(),
                    if e.has_party_org { "是" } else { "否" }.into(),
                    e.union_status,
                    e.union_code.unwrap_or_default(),
                    e.contact_name.unwrap_or_default(),
                    e.contact_phone.unwrap_or_default(),
                    e.source,
                    if e.operating { "是" } else { "否" }.into(),
                    action,
                ])
                .map_err(Error::Internal)?;
            Ok(())
        })
        .await
    })
    .await
}
