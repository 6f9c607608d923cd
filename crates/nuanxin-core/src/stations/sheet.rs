//! The stations sheet (SPEC section 5): import with a per-row report and a dry run, and export in
//! the same layout, so a cadre can export, edit in Excel and import again.

use super::{queries, StationDraft, StationFilter, StationInput};
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

pub const COLUMNS: [Column; 11] = [
    col!("name", "名称", true),
    col!("type", "类型", false),
    col!("lng", "经度", true),
    col!("lat", "纬度", true),
    col!("crs", "坐标系", false),
    col!("address", "地址", true),
    col!("hours", "开放时间", false),
    col!("amenities", "设施", false),
    col!("keeper", "管理员", false),
    col!("phone", "电话", false),
    col!("org_code", "所属工会编码", true),
];

pub fn read(bytes: &[u8]) -> std::result::Result<Table, sheets::SheetError> {
    sheets::read(bytes, &COLUMNS)
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StationImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    /// Rows naming a station already recorded under the same union with the same name: updated.
    pub updated: usize,
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RowError>,
}

/// Imports stations in one transaction: a row whose union already has a station of that name
/// updates it, any other row creates one. `progress(done, total)` is called as rows go.
pub async fn import(
    store: &Store,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<StationImportReport> {
    let mut report = StationImportReport {
        dry_run,
        rows: table.rows.len(),
        created: 0,
        updated: 0,
        rejected: Vec::new(),
    };
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut tx = store.write().await?;
    let total = table.rows.len();
    for (i, (row, cells)) in table.rows.iter().enumerate() {
        let cell = |k: &str| table.cell(cells, k).to_string();
        let opt = |k: &str| Some(cell(k)).filter(|s| !s.trim().is_empty());
        let input = StationInput {
            name: cell("name"),
            kind: cell("type"),
            lat: cell("lat"),
            lng: cell("lng"),
            crs: opt("crs"),
            address: cell("address"),
            hours: cell("hours"),
            amenities: cell("amenities"),
            host: None,
            keeper: opt("keeper"),
            phone: opt("phone"),
            org_code: cell("org_code"),
        };
        let draft = match StationDraft::parse(&input) {
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
            .insert((draft.org_code.clone(), draft.name.clone()), *row)
            .is_some()
        {
            report.rejected.push(RowError {
                row: *row,
                column: table.header("name"),
                code: "stations.duplicate_in_file",
            });
            continue;
        }
        match upsert(&mut tx, caller, &draft).await {
            Ok(true) => report.created += 1,
            Ok(false) => report.updated += 1,
            Err(Error::Invalid { field, code } | Error::Conflict { field, code }) => {
                report.rejected.push(RowError {
                    row: *row,
                    column: table.header(field),
                    code,
                })
            }
            Err(Error::NotFound | Error::Forbidden) => report.rejected.push(RowError {
                row: *row,
                column: table.header("org_code"),
                code: "stations.unknown_org",
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
        audit::record(
            &mut tx,
            &caller.actor,
            caller.at,
            "stations.import",
            &format!("{total} rows"),
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"created": report.created, "updated": report.updated, "rejected": report.rejected.len()}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
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
    tx: &mut Tx,
    scope: &Scope,
    filter: &StationFilter,
    zh: bool,
) -> Result<Vec<u8>> {
    let headers: Vec<&str> = COLUMNS
        .iter()
        .map(|c| if zh { c.zh } else { c.key })
        .collect();
    let mut sheet = sheets::XlsxStream::new(
        if zh { "驿站" } else { "stations" },
        &headers,
        &[
            30.0, 14.0, 12.0, 12.0, 8.0, 36.0, 36.0, 30.0, 10.0, 16.0, 14.0,
        ],
    )
    .map_err(Error::Internal)?;
    queries::for_each(tx, scope, filter, |s| {
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
    .await?;
    sheet.finish().map_err(Error::Internal)
}

/// The import template with an example row, notes, text formats and a drop-down of the types.
pub fn template() -> anyhow::Result<Vec<u8>> {
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
