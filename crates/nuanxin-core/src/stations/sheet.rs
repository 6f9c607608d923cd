//! The stations sheet (SPEC section 5): import with a per-row report and a dry run, and export in
//! the same layout, so a cadre can export, edit in Excel and import again.

use super::{queries, StationDraft, StationFilter, StationInput};
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::sheets::import::{self, Cells, Count, ImportReport, Importer, Tally, Upserts};
use crate::sheets::{self, Column, Table};
use crate::{Error, Result, Store, Tx};

pub const COLUMNS: [Column; 11] = [
    Column::new("name", "名称", true),
    Column::new("type", "类型", false),
    Column::new("lng", "经度", true),
    Column::new("lat", "纬度", true),
    Column::new("crs", "坐标系", false),
    Column::new("address", "地址", true),
    Column::new("hours", "开放时间", false),
    Column::new("amenities", "设施", false),
    Column::new("keeper", "管理员", false),
    Column::new("phone", "电话", false),
    Column::new("org_code", "所属工会编码", true),
];

/// What a stations import did (or, in a dry run, would do).
pub type StationImportReport = ImportReport<Upserts>;

impl Tally for Upserts {
    fn counts(&self, _dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: "stations.import_created",
                n: self.created,
            },
            Count {
                key: "stations.import_updated",
                n: self.updated,
            },
        ]
    }
}

/// Station rows: a row whose union already has a station of that name updates it, any other
/// row creates one.
struct StationRows;

impl Importer for StationRows {
    type Row = StationDraft;
    type Tally = Upserts;
    const ACTION: &'static str = "stations.import";
    const NOT_FOUND: (&'static str, &'static str) = ("org_code", "stations.unknown_org");
    const DUPLICATE: (&'static str, &'static str) = ("name", "stations.duplicate_in_file");

    fn parse(&mut self, cells: &Cells<'_>, _caller: &Caller) -> Result<StationDraft, FieldErrors> {
        StationDraft::parse(&StationInput {
            name: cells.text("name"),
            kind: cells.text("type"),
            lat: cells.text("lat"),
            lng: cells.text("lng"),
            crs: cells.opt("crs"),
            address: cells.text("address"),
            hours: cells.text("hours"),
            amenities: cells.text("amenities"),
            host: None,
            keeper: cells.opt("keeper"),
            phone: cells.opt("phone"),
            org_code: cells.text("org_code"),
        })
    }

    fn key(&self, d: &StationDraft) -> Option<String> {
        Some(format!("{}\t{}", d.org_code, d.name))
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        d: &StationDraft,
        tally: &mut Upserts,
    ) -> Result<()> {
        if upsert(tx, caller, d).await? {
            tally.created += 1;
        } else {
            tally.updated += 1;
        }
        Ok(())
    }
}

/// The stations sheet, as pages and the command line import it.
pub struct StationsSheet;

impl import::SheetImport for StationsSheet {
    type Tally = Upserts;
    const NAME: &'static str = "stations";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        let example = vec![vec![
            "古楼街道骑手之家".to_string(),
            "骑手之家".into(),
            "115.985500".into(),
            "36.456500".into(),
            "GCJ02".into(),
            "东昌府区古楼街道东关街12号".into(),
            "周一至周五 8:00-20:00；周六 9:00-17:00".into(),
            "饮水、充电、热饭、休息、卫生间".into(),
            "王芳".into(),
            "0635-8123456".into(),
            "F371502001".into(),
        ]];
        let types = super::StationType::ALL
            .iter()
            .map(|t| t.label_zh())
            .collect();
        sheets::write_template("驿站", &COLUMNS, &[("type", types)], &example)
    }

    async fn import(
        store: &Store,
        _vault: &crate::members::id_vault::IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<StationImportReport> {
        import::run(store, caller, table, dry_run, StationRows, progress).await
    }
}

/// Creates the station, or updates the one of the same name under the same union; true when new.
async fn upsert(tx: &mut Tx, caller: &Caller, d: &StationDraft) -> Result<bool> {
    const FIND: &str = "SELECT s.id FROM stations s JOIN org_units o ON o.id = s.org_id WHERE o.code = $1 AND s.name = $2";
    let existing: Option<uuid::Uuid> = crate::on_db!(tx.conn(), c => sqlx::query_scalar(FIND).bind(&d.org_code).bind(&d.name).fetch_optional(c).await)?;
    match existing {
        Some(id) => {
            queries::update(tx, caller, id, d).await?;
            Ok(false)
        }
        None => {
            queries::create(tx, caller, d).await?;
            Ok(true)
        }
    }
}

/// The stations matching `filter`, in the import layout (WGS-84), read page by page.
pub async fn export(
    store: &Store,
    caller: &Caller,
    filter: &StationFilter,
    zh: bool,
) -> Result<Vec<u8>> {
    let spec = sheets::Export {
        sheet: ("驿站", "stations"),
        columns: &COLUMNS,
        widths: &[
            30.0, 14.0, 12.0, 12.0, 8.0, 36.0, 36.0, 30.0, 10.0, 16.0, 14.0,
        ],
        action: "stations.export",
        subject: filter.org.as_deref().unwrap_or("*"),
        filter: serde_json::json!({"q": filter.q.as_deref().map(crate::audit::mask_digit_runs), "type": filter.kind, "status": filter.status}),
    };
    sheets::export(store, caller, spec, zh, async |tx, sheet| {
        queries::for_each(tx, &caller.scope, filter, |s| {
            let amenities = s
                .amenity_list()
                .iter()
                .map(|a| if zh { a.label_zh() } else { a.code() })
                .collect::<Vec<_>>()
                .join("、");
            sheet
                .push(&[
                    s.name.clone(),
                    if zh {
                        s.kind_label().to_string()
                    } else {
                        s.kind.clone()
                    },
                    format!("{:.6}", s.lng),
                    format!("{:.6}", s.lat),
                    "WGS84".into(),
                    s.address.clone(),
                    s.hours_text.clone(),
                    amenities,
                    s.keeper.clone().unwrap_or_default(),
                    s.phone.clone().unwrap_or_default(),
                    s.org_code.clone(),
                ])
                .map_err(Error::Internal)?;
            Ok(())
        })
        .await
    })
    .await
}
