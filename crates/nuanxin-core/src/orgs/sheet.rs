//! The org-units sheet (SPEC section 5): import with a per-row report and a dry run, and export
//! in the same layout so that an exported file imports again.

use super::{queries, OrgDraft, OrgFilter, OrgInput, OrgKind};
use crate::accounts::Caller;
use crate::error::RowError;
use crate::page::PageRequest;
use crate::sheets::{self, Column, Table};
use crate::{audit, Error, Result, Scope, Store, Tx};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

pub const COLUMNS: [Column; 10] = [
    Column {
        key: "code",
        zh: "工会编码",
        required: true,
    },
    Column {
        key: "name",
        zh: "工会名称",
        required: true,
    },
    Column {
        key: "parent_code",
        zh: "上级工会编码",
        required: true,
    },
    Column {
        key: "type",
        zh: "组织类型",
        required: true,
    },
    Column {
        key: "region_code",
        zh: "区划代码",
        required: true,
    },
    Column {
        key: "founded_on",
        zh: "成立日期",
        required: false,
    },
    Column {
        key: "joint_kind",
        zh: "联合工会类型",
        required: false,
    },
    Column {
        key: "industry",
        zh: "行业",
        required: false,
    },
    Column {
        key: "contact_name",
        zh: "联系人",
        required: false,
    },
    Column {
        key: "contact_phone",
        zh: "联系电话",
        required: false,
    },
];

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub imported: usize,
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RowError>,
}

/// Imports org units. Every row is validated; valid rows are written in one transaction (parents
/// before children, whatever the order in the file), rejected rows are reported with row number,
/// column header and reason. A dry run does all of it and rolls back.
pub async fn import(
    store: &Store,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
) -> Result<ImportReport> {
    let mut rejected: Vec<RowError> = Vec::new();
    let mut drafts: Vec<(usize, OrgDraft)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    // Codes of rows that failed validation: their children cannot be imported either.
    let mut failed: HashSet<String> = HashSet::new();
    for (row, cells) in &table.rows {
        let cell = |k: &str| table.cell(cells, k).to_string();
        let opt = |k: &str| Some(cell(k)).filter(|s| !s.is_empty());
        let input = OrgInput {
            code: cell("code"),
            name: cell("name"),
            kind: cell("type"),
            joint_kind: opt("joint_kind"),
            industry: opt("industry"),
            parent_code: opt("parent_code"),
            region_code: cell("region_code"),
            founded_on: opt("founded_on"),
            contact_name: opt("contact_name"),
            contact_phone: opt("contact_phone"),
        };
        match OrgDraft::parse(&input, caller.today) {
            Err(errs) => {
                failed.insert(input.code.trim().to_string());
                rejected.extend(errs.into_iter().map(|(f, code)| RowError {
                    row: *row,
                    column: table.header(f),
                    code,
                }));
            }
            Ok(d) => {
                if seen.insert(d.code.clone(), *row).is_some() {
                    rejected.push(RowError {
                        row: *row,
                        column: table.header("code"),
                        code: "orgs.duplicate_in_file",
                    });
                } else {
                    drafts.push((*row, d));
                }
            }
        }
    }
    let in_file: HashSet<String> = drafts.iter().map(|(_, d)| d.code.clone()).collect();

    let mut tx = store.write().await?;
    let mut done: HashSet<String> = HashSet::new();
    let mut pending = drafts;
    let mut imported = 0;
    loop {
        let before = pending.len();
        let mut next = Vec::new();
        for (row, d) in pending {
            // A rejected parent row does not block its children when the parent unit exists.
            let parent_missing = match &d.parent_code {
                Some(p) if failed.contains(p) => {
                    queries::get(&mut tx, &caller.scope, p).await.is_err()
                }
                _ => false,
            };
            match &d.parent_code {
                Some(_) if parent_missing => {
                    rejected.push(RowError {
                        row,
                        column: table.header("parent_code"),
                        code: "orgs.parent_rejected",
                    });
                    failed.insert(d.code.clone());
                }
                Some(p) if in_file.contains(p) && !done.contains(p) && !failed.contains(p) => {
                    next.push((row, d))
                }
                _ => match queries::create(&mut tx, caller, &d).await {
                    Ok(_) => {
                        done.insert(d.code.clone());
                        imported += 1;
                    }
                    Err(Error::Invalid { field, code } | Error::Conflict { field, code }) => {
                        rejected.push(RowError {
                            row,
                            column: table.header(field),
                            code,
                        });
                        failed.insert(d.code.clone());
                    }
                    Err(Error::NotFound | Error::Forbidden) => {
                        rejected.push(RowError {
                            row,
                            column: table.header("parent_code"),
                            code: "orgs.unknown_parent",
                        });
                        failed.insert(d.code.clone());
                    }
                    Err(e) => return Err(e),
                },
            }
        }
        if next.is_empty() {
            break;
        }
        if next.len() == before {
            for (row, _) in &next {
                rejected.push(RowError {
                    row: *row,
                    column: table.header("parent_code"),
                    code: "orgs.parent_cycle",
                });
            }
            break;
        }
        pending = next;
    }
    rejected.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    let report = ImportReport {
        dry_run,
        rows: table.rows.len(),
        imported,
        rejected,
    };
    if dry_run {
        tx.rollback().await?;
    } else {
        audit::record(
            &mut tx,
            &caller.actor,
            caller.at,
            "orgs.import",
            &format!("{} rows", report.rows),
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"imported": report.imported, "rejected": report.rejected.len()}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Chinese name of a type, as the sheet writes it.
pub fn kind_zh(k: OrgKind) -> &'static str {
    match k {
        OrgKind::Federation => "总工会",
        OrgKind::IndustryFederation => "行业工会联合会",
        OrgKind::JointUnion => "联合工会",
        OrgKind::EnterpriseUnion => "企业工会",
    }
}

/// The units in scope matching the filter, as sheet rows (header row first), for xlsx or csv.
/// Audited as an export.
pub async fn export(
    tx: &mut Tx,
    caller: &Caller,
    filter: &OrgFilter,
) -> Result<(Vec<&'static str>, Vec<Vec<String>>)> {
    let headers: Vec<&'static str> = COLUMNS.iter().map(|c| c.zh).chain(["状态"]).collect();
    let mut rows = Vec::new();
    let mut page = PageRequest {
        page: 1,
        per_page: 5_000,
    };
    loop {
        let batch = queries::list(tx, &caller.scope, filter, page).await?;
        let n = batch.items.len();
        for o in batch.items {
            rows.push(vec![
                o.code.clone(),
                o.name.clone(),
                o.parent_code.clone().unwrap_or_default(),
                kind_zh(o.kind).to_string(),
                format!("{:0<12}", o.region_code),
                o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
                o.joint_kind.clone().unwrap_or_default(),
                o.industry.clone().unwrap_or_default(),
                o.contact_name.clone().unwrap_or_default(),
                o.contact_phone.clone().unwrap_or_default(),
                if o.is_active() { "正常" } else { "已撤销" }.to_string(),
            ]);
        }
        if n < page.per_page as usize {
            break;
        }
        page.page += 1;
    }
    audit::record(
        tx,
        &caller.actor,
        caller.at,
        "orgs.export",
        &format!("{} rows", rows.len()),
        caller.scope.roots().first().map(|r| r.path.as_str()),
        serde_json::json!({"q": filter.q.as_deref().map(crate::audit::mask_digit_runs), "under": filter.under}),
    )
    .await?;
    Ok((headers, rows))
}

/// Reads an uploaded or local file into a table of org rows.
pub fn read(bytes: &[u8]) -> std::result::Result<Table, sheets::SheetError> {
    sheets::read(bytes, &COLUMNS)
}

/// Whether the scope may import at all (at least staff somewhere).
pub fn can_import(scope: &Scope) -> bool {
    scope.roots().iter().any(|r| r.role >= crate::Role::Staff)
}

/// The import template: SPEC section 5's columns, with notes, text formats and drop-downs.
pub fn template() -> anyhow::Result<Vec<u8>> {
    sheets::write_template("工会组织", &COLUMNS, &template_choices(), &[])
}

fn template_choices() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "type",
            vec!["总工会", "行业工会联合会", "联合工会", "企业工会"],
        ),
        (
            "joint_kind",
            vec![
                "区域联合工会",
                "市场联合工会",
                "商圈联合工会",
                "灵活就业人员联合工会",
                "周转库",
            ],
        ),
        (
            "industry",
            super::Industry::ALL.iter().map(|i| i.zh()).collect(),
        ),
    ]
}

#[cfg(test)]
mod template_tests {
    #[test]
    fn every_choice_of_the_template_is_accepted_by_the_import() {
        for (key, values) in super::template_choices() {
            for v in values {
                let ok = match key {
                    "type" => super::OrgKind::parse(v).is_some(),
                    "joint_kind" => super::super::JointKind::parse(v).is_some(),
                    _ => super::super::Industry::parse(v).is_some(),
                };
                assert!(ok, "{key}: {v}");
            }
        }
    }
}
