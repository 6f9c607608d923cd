//! The care recipients sheet (`nuanxin import care-recipients`, 关爱活动 › 导入领取名单): the paper
//! list of a handout comes in after the day. A row names the activity by its code and the member
//! by ID number or membership number; a person receives once per activity, so a repeat (of an
//! earlier row, or of a receipt already on record) is refused, and the report's list of repeats
//! names the earlier row or the earlier receipt.

use super::care;
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::members::id_vault::IdVault;
use crate::members::identity::ResidentId;
use crate::sheets::import::{self, Cells, Count, Extra, ImportReport, Importer, Tally};
use crate::sheets::{self, Column, Table};
use crate::{Error, Result, Store, Tx};
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

pub const COLUMNS: [Column; 5] = [
    Column::new("activity_code", "活动编号", true),
    Column::new("id_number", "身份证号", false),
    Column::new("member_no", "会员编号", false),
    Column::new("received_on", "领取日期", true),
    Column::new("items", "物品", false),
];

/// One checked row.
pub struct RecipientRow {
    row: usize,
    activity_code: String,
    id: Option<ResidentId>,
    member_no: Option<String>,
    received_on: NaiveDate,
    items: Option<String>,
}

fn parse_row(
    cells: &Cells<'_>,
    today: NaiveDate,
) -> std::result::Result<RecipientRow, FieldErrors> {
    let mut errs = FieldErrors::new();
    let activity_code = cells.text("activity_code").to_uppercase();
    if activity_code.is_empty() {
        errs.push("activity_code", "care.unknown_activity");
    }
    let id = match cells.opt("id_number") {
        None => None,
        Some(typed) => ResidentId::parse(&typed, today)
            .map_err(|e| errs.push("id_number", e.code()))
            .ok(),
    };
    let member_no = cells.opt("member_no").map(|m| {
        m.strip_prefix(crate::members::ECARD_PREFIX)
            .unwrap_or(&m)
            .trim()
            .to_string()
    });
    if cells.opt("id_number").is_none() && member_no.is_none() {
        errs.push("member_no", "care.member_required");
    }
    let received_on = sheets::parse_date(&cells.text("received_on")).filter(|d| *d <= today);
    if received_on.is_none() {
        errs.push("received_on", "errors.bad_date");
    }
    match received_on {
        Some(received_on) if errs.is_empty() => Ok(RecipientRow {
            row: cells.row,
            activity_code,
            id,
            member_no,
            received_on,
            items: cells.opt("items").map(|t| t.chars().take(200).collect()),
        }),
        _ => Err(errs),
    }
}

struct RecipientRows<'a> {
    vault: &'a IdVault,
    /// Activities by code, as found (or not) in the caller's scope.
    activities: HashMap<String, Option<care::Activity>>,
    /// (activity, person) → the row that recorded them in this file.
    recorded: HashMap<(Uuid, Uuid), usize>,
}

impl Importer for RecipientRows<'_> {
    type Row = RecipientRow;
    type Tally = Receipts;
    const ACTION: &'static str = "care.import";
    const NOT_FOUND: (&'static str, &'static str) = ("activity_code", "care.unknown_activity");

    fn parse(
        &mut self,
        cells: &Cells<'_>,
        caller: &Caller,
    ) -> std::result::Result<RecipientRow, FieldErrors> {
        parse_row(cells, caller.today)
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        r: &RecipientRow,
        tally: &mut Receipts,
    ) -> Result<()> {
        if !self.activities.contains_key(&r.activity_code) {
            let found = care::by_code(tx, &caller.scope, &r.activity_code).await?;
            self.activities.insert(r.activity_code.clone(), found);
        }
        let a = self
            .activities
            .get(&r.activity_code)
            .and_then(Option::as_ref)
            .ok_or(Error::NotFound)?;
        if !care::may_record(caller, a) {
            return Err(Error::Forbidden);
        }
        let id_hash = r.id.as_ref().map(|id| self.vault.lookup_hash(id));
        let (field, member) = match (&id_hash, &r.member_no) {
            (Some(hash), _) => (
                "id_number",
                care::member_by_id(tx, &a.org_path, hash).await?,
            ),
            (None, Some(no)) => ("member_no", care::member_by_no(tx, &a.org_path, no).await?),
            (None, None) => return Err(Error::invalid("member_no", "care.member_required")),
        };
        let member = member.ok_or(Error::invalid(field, "care.unknown_member"))?;
        if let Some(earlier) = self.recorded.get(&(a.id, member.person)) {
            tally.repeats.push(Repeat {
                row: r.row,
                member_no: member.member_no.clone(),
                earlier_row: Some(*earlier),
                earlier_received_on: None,
                earlier_by: None,
            });
            return Err(Error::invalid(field, "care.repeat"));
        }
        match care::record(
            tx,
            a,
            &member,
            r.received_on,
            r.items.as_deref(),
            "import",
            caller.at,
        )
        .await?
        {
            care::Scanned::New(_) => {
                self.recorded.insert((a.id, member.person), r.row);
                tally.created += 1;
                Ok(())
            }
            care::Scanned::Already(earlier) => {
                tally.repeats.push(Repeat {
                    row: r.row,
                    member_no: member.member_no.clone(),
                    earlier_row: None,
                    earlier_received_on: Some(earlier.received_on),
                    earlier_by: Some(earlier.recorded_by),
                });
                Err(Error::invalid(field, "care.repeat"))
            }
        }
    }

    async fn finish(&mut self, tx: &mut Tx) -> Result<()> {
        // The activities' member counts follow their receipts.
        for a in self.activities.values().flatten() {
            care::recount_members(tx, a.id).await?;
        }
        Ok(())
    }
}

/// The care recipients sheet, as pages and the command line import it.
pub struct CareRecipientsSheet;

impl import::SheetImport for CareRecipientsSheet {
    type Tally = Receipts;
    const NAME: &'static str = "care-recipients";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        let example = vec![vec![
            "HD7K2M9Q".into(),
            String::new(),
            "37150200000001".into(),
            "2026-07-15".into(),
            "绿豆汤、藿香正气水".into(),
        ]];
        sheets::write_template("领取名单", &COLUMNS, &[], &example)
    }

    async fn import(
        store: &Store,
        vault: &IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<ImportReport<Receipts>> {
        let rows = RecipientRows {
            vault,
            activities: HashMap::new(),
            recorded: HashMap::new(),
        };
        import::run(store, caller, table, dry_run, rows, progress).await
    }
}

/// A row refused as a repeat: the earlier row of this file, or the receipt already on record.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Repeat {
    pub row: usize,
    pub member_no: String,
    pub earlier_row: Option<usize>,
    pub earlier_received_on: Option<NaiveDate>,
    pub earlier_by: Option<String>,
}

/// Receipts recorded by an import, and the repeats it refused.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Receipts {
    pub created: usize,
    pub repeats: Vec<Repeat>,
}

impl Tally for Receipts {
    fn counts(&self, _dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: "care.import_created",
                n: self.created,
            },
            Count {
                key: "care.import_repeats",
                n: self.repeats.len(),
            },
        ]
    }

    fn extra(&self) -> Option<Extra> {
        (!self.repeats.is_empty()).then(|| Extra {
            title: "care.import_repeats_title",
            headers: vec!["care.member_no", "care.import_earlier"],
            rows: self
                .repeats
                .iter()
                .map(|r| {
                    let earlier = match (&r.earlier_row, &r.earlier_received_on, &r.earlier_by) {
                        (Some(row), ..) => format!("#{row}"),
                        (None, Some(day), by) => {
                            format!("{day} · {}", by.as_deref().unwrap_or_default())
                        }
                        _ => String::new(),
                    };
                    (r.row, vec![r.member_no.clone(), earlier])
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sheet_has_the_contract_columns_in_order() {
        let keys: Vec<&str> = super::COLUMNS.iter().map(|c| c.key).collect();
        assert_eq!(
            keys,
            [
                "activity_code",
                "id_number",
                "member_no",
                "received_on",
                "items"
            ]
        );
    }
}
