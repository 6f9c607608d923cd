//! The org-units sheet (SPEC section 5): import with a per-row report and a dry run, and export
//! in the same layout so that an exported file imports again.

use super::{queries, OrgDraft, OrgFilter, OrgInput, OrgKind};
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::PageRequest;
use crate::sheets::import::{self, Cells, Count, Importer, Tally};
use crate::sheets::{self, Column, Table};
use crate::{audit, Error, Result, Scope, Store, Tx};
use serde::Serialize;
use std::collections::HashSet;

pub const COLUMNS: [Column; 10] = [
    Column::new("code", "工会编码", true),
    Column::new("name", "工会名称", true),
    Column::new("parent_code", "上级工会编码", true),
    Column::new("type", "组织类型", true),
    Column::new("region_code", "区划代码", true),
    Column::new("founded_on", "成立日期", false),
    Column::new("joint_kind", "联合工会类型", false),
    Column::new("industry", "行业", false),
    Column::new("contact_name", "联系人", false),
    Column::new("contact_phone", "联系电话", false),
];

/// What an org import counted.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct OrgTally {
    pub imported: usize,
}

impl Tally for OrgTally {
    fn counts(&self, dry_run: bool) -> Vec<Count> {
        vec![Count {
            key: if dry_run {
                "orgs.import_would"
            } else {
                "orgs.import_done"
            },
            n: self.imported,
        }]
    }
}

/// What an org import did (or, in a dry run, would do).
pub type ImportReport = import::ImportReport<OrgTally>;

/// Org rows, written parents before children whatever their order in the file. A row whose
/// parent row was refused is refused too, unless the parent unit already exists.
#[derive(Default)]
struct OrgRows {
    /// Codes of rows refused so far.
    refused: HashSet<String>,
}

impl Importer for OrgRows {
    type Row = OrgDraft;
    type Tally = OrgTally;
    const ACTION: &'static str = "orgs.import";
    const NOT_FOUND: (&'static str, &'static str) = ("parent_code", "orgs.unknown_parent");
    const DUPLICATE: (&'static str, &'static str) = ("code", "orgs.duplicate_in_file");

    fn parse(&mut self, cells: &Cells<'_>, caller: &Caller) -> Result<OrgDraft, FieldErrors> {
        let input = OrgInput {
            code: cells.text("code"),
            name: cells.text("name"),
            kind: cells.text("type"),
            joint_kind: cells.opt("joint_kind"),
            industry: cells.opt("industry"),
            parent_code: cells.opt("parent_code"),
            region_code: cells.text("region_code"),
            founded_on: cells.opt("founded_on"),
            contact_name: cells.opt("contact_name"),
            contact_phone: cells.opt("contact_phone"),
        };
        OrgDraft::parse(&input, caller.today).inspect_err(|_| {
            self.refused.insert(input.code.trim().to_string());
        })
    }

    fn key(&self, d: &OrgDraft) -> Option<String> {
        Some(d.code.clone())
    }

    /// Parents in the file before their children; rows in a cycle of parents are refused.
    fn order(
        &mut self,
        rows: Vec<(usize, OrgDraft)>,
    ) -> (Vec<(usize, OrgDraft)>, Vec<(usize, FieldErrors)>) {
        let in_file: HashSet<String> = rows.iter().map(|(_, d)| d.code.clone()).collect();
        let mut placed: HashSet<String> = HashSet::new();
        let mut ordered = Vec::with_capacity(rows.len());
        let mut pending = rows;
        loop {
            let before = pending.len();
            let (ready, waiting): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, d)| {
                d.parent_code
                    .as_ref()
                    .is_none_or(|p| !in_file.contains(p) || placed.contains(p))
            });
            placed.extend(ready.iter().map(|(_, d)| d.code.clone()));
            ordered.extend(ready);
            if waiting.is_empty() || waiting.len() == before {
                let cycle = waiting
                    .iter()
                    .map(|(row, _)| (*row, FieldErrors::one("parent_code", "orgs.parent_cycle")))
                    .collect();
                return (ordered, cycle);
            }
            pending = waiting;
        }
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        d: &OrgDraft,
        tally: &mut OrgTally,
    ) -> Result<()> {
        if let Some(parent) = d.parent_code.as_ref().filter(|p| self.refused.contains(*p)) {
            if queries::get(tx, &caller.scope, parent).await.is_err() {
                return Err(Error::invalid("parent_code", "orgs.parent_rejected"));
            }
        }
        queries::create(tx, caller, d).await?;
        tally.imported += 1;
        Ok(())
    }

    fn refused(&mut self, d: &OrgDraft) {
        self.refused.insert(d.code.clone());
    }
}

/// The org units sheet, as pages and the command line import it.
pub struct OrgsSheet;

impl import::SheetImport for OrgsSheet {
    type Tally = OrgTally;
    const NAME: &'static str = "orgs";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        sheets::write_template("工会组织", &COLUMNS, &template_choices(), &[])
    }

    async fn import(
        store: &Store,
        _vault: &crate::members::id_vault::IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<ImportReport> {
        import::run(store, caller, table, dry_run, OrgRows::default(), progress).await
    }
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
    sheets::audit_export(
        tx,
        caller,
        "orgs.export",
        &format!("{} rows", rows.len()),
        serde_json::json!({"q": filter.q.as_deref().map(audit::mask_digit_runs), "under": filter.under}),
    )
    .await?;
    Ok((headers, rows))
}

/// Whether the scope may import at all (at least staff somewhere).
pub fn can_import(scope: &Scope) -> bool {
    scope.roots().iter().any(|r| r.role >= crate::Role::Staff)
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
