//! The enterprises sheet (SPEC section 5): import with a per-row report and a dry run, and the
//! un-unionised enterprise list exported in the same layout.

use super::{EnterpriseDraft, EnterpriseFilter, EnterpriseInput, Recorded};
use crate::accounts::Caller;
use crate::error::RowError;
use crate::sheets::{self, Column, Table};
use crate::{audit, Error, Result, Scope, Store, Tx};
use serde::Serialize;
use std::collections::HashMap;

macro_rules! col {
    ($key:literal, $zh:literal, $req:literal) => {
        Column {
            key: $key,
            zh: $zh,
            required: $req,
        }
    };
}

pub const COLUMNS: [Column; 15] = [
    col!("uscc", "统一社会信用代码", true),
    col!("name", "企业名称", true),
    col!("industry", "行业", false),
    col!("staff", "职工人数", true),
    col!("new_form_workers", "新就业形态劳动者人数", false),
    col!("region_code", "区划代码", true),
    col!("address", "地址", false),
    col!("has_party_org", "是否建立党组织", false),
    col!("union_status", "建会状态", false),
    col!("union_code", "所属工会编码", false),
    col!("contact_name", "联系人", false),
    col!("contact_phone", "联系电话", false),
    col!("source", "来源", false),
    col!("operating", "是否在营", false),
    col!("suggested_action", "建议", false),
];

pub fn read(bytes: &[u8]) -> std::result::Result<Table, sheets::SheetError> {
    sheets::read(bytes, &COLUMNS)
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows that another source already reported with the same facts.
    pub confirmed: usize,
    /// Rows whose facts differ from another source's: listed in the merge view.
    pub disputed: usize,
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RowError>,
}

/// Imports enterprises in one transaction; `progress(done, total)` is called as rows go.
pub async fn import(
    store: &Store,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<EnterpriseImportReport> {
    let mut report = EnterpriseImportReport {
        dry_run,
        rows: table.rows.len(),
        created: 0,
        updated: 0,
        confirmed: 0,
        disputed: 0,
        rejected: Vec::new(),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut tx = store.write().await?;
    let total = table.rows.len();
    for (i, (row, cells)) in table.rows.iter().enumerate() {
        let cell = |k: &str| table.cell(cells, k).to_string();
        let opt = |k: &str| Some(cell(k)).filter(|s| !s.trim().is_empty());
        let input = EnterpriseInput {
            uscc: cell("uscc"),
            name: cell("name"),
            industry: cell("industry"),
            staff: cell("staff"),
            new_form_workers: cell("new_form_workers"),
            region_code: cell("region_code"),
            address: opt("address"),
            has_party_org: opt("has_party_org"),
            union_status: opt("union_status"),
            union_code: opt("union_code"),
            operating: opt("operating"),
            contact_name: opt("contact_name"),
            contact_phone: opt("contact_phone"),
            source: opt("source"),
        };
        let draft = match EnterpriseDraft::parse(&input) {
            Ok(d) => d,
            Err(errs) => {
                report
                    .rejected
                    .extend(errs.into_iter().map(|(f, code)| RowError {
                        row: *row,
                        column: table.header(f),
                        code,
                    }));
                continue;
            }
        };
        if seen
            .insert(format!("{}\t{}", draft.uscc, draft.source), *row)
            .is_some()
        {
            report.rejected.push(RowError {
                row: *row,
                column: table.header("uscc"),
                code: "census.duplicate_in_file",
            });
            continue;
        }
        match super::record(&mut tx, caller, &draft).await {
            Ok(Recorded::Created) => report.created += 1,
            Ok(Recorded::Updated) => report.updated += 1,
            Ok(Recorded::Confirmed) => report.confirmed += 1,
            Ok(Recorded::Disputed) => report.disputed += 1,
            Err(Error::Invalid { field, code } | Error::Conflict { field, code }) => {
                report.rejected.push(RowError {
                    row: *row,
                    column: table.header(field),
                    code,
                })
            }
            Err(Error::NotFound | Error::Forbidden) => report.rejected.push(RowError {
                row: *row,
                column: table.header("region_code"),
                code: "census.region_outside_scope",
            }),
            Err(e) => return Err(e),
        }
        if i % 200 == 0 {
            progress(i + 1, total);
        }
    }
    progress(total, total);
    if dry_run {
        tx.rollback().await?;
    } else {
        audit::record(&mut tx, &caller.actor, caller.at, "census.import", &format!("{total} rows"),
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"created": report.created, "updated": report.updated, "disputed": report.disputed, "rejected": report.rejected.len()}))
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Exports the enterprises matching `filter` in the import layout plus the suggested action,
/// page by page (never the whole table in memory at once beyond the workbook itself).
pub async fn export(
    tx: &mut Tx,
    scope: &Scope,
    filter: &EnterpriseFilter,
    zh: bool,
) -> Result<Vec<u8>> {
    let headers: Vec<&str> = COLUMNS
        .iter()
        .map(|c| if zh { c.zh } else { c.key })
        .collect();
    let mut sheet = sheets::XlsxStream::new(
        if zh { "企业" } else { "enterprises" },
        &headers,
        &[
            22.0, 36.0, 14.0, 10.0, 12.0, 14.0, 36.0, 10.0, 10.0, 14.0, 12.0, 16.0, 12.0, 10.0,
            14.0,
        ],
    )
    .map_err(Error::Internal)?;
    super::queries::for_each(tx, scope, filter, |e| {
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
    .await?;
    sheet.finish().map_err(Error::Internal)
}

/// The import template (the columns an import takes), with notes, text formats (USCC, codes,
/// phones) and drop-downs.
pub fn template() -> anyhow::Result<Vec<u8>> {
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
