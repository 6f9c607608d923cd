//! Benchmark of subtree listing and counting over a generated tree (`nuanxin bench subtree`).
//! Generated rows are inserted in bulk, bypassing the per-unit rules: the benchmark measures the
//! read path that every scoped query uses.

use nuanxin_core::orgs::{OrgFilter, OrgStatus};
use nuanxin_core::page::PageRequest;
use nuanxin_core::{on_db, regions, Result, Scope, Store};
use nuanxin_store::values_placeholders;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// Fills `database` with a tree of `units` org units (fan-out 10) and times `queries` subtree
/// listings (first page of 50 with the total count) of random units at depth 1 to 4.
pub async fn subtree(database: &str, units: usize, queries: usize) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    regions::ensure_builtin(&store).await?;
    let existing: i64 = {
        let mut tx = store.read().await?;
        on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM org_units WHERE code LIKE 'B%'").fetch_one(c).await)?
    };
    let started = Instant::now();
    if (existing as usize) < units {
        generate(&store, units).await?;
    }
    println!(
        "tree of {units} units ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let scope = Scope::operator();
    for depth in [1usize, 2, 3, 4] {
        let mut times = Vec::with_capacity(queries);
        let mut total_rows = 0i64;
        for _ in 0..queries {
            let code = random_code(&mut rng, depth, units);
            let filter = OrgFilter {
                under: Some(code),
                status: Some(OrgStatus::Active),
                ..OrgFilter::default()
            };
            let t = Instant::now();
            let mut tx = store.read().await?;
            let page = nuanxin_core::orgs::list(
                &mut tx,
                &scope,
                &filter,
                PageRequest {
                    page: 1,
                    per_page: 50,
                },
            )
            .await?;
            tx.rollback().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total_rows += page.total;
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        println!(
            "subtree at depth {depth}: mean subtree {:>7} units | p50 {:.2} ms | p99 {:.2} ms | max {:.2} ms ({queries} queries)",
            total_rows / queries as i64,
            pct(0.5),
            pct(0.99),
            times[times.len() - 1]
        );
    }
    Ok(())
}

/// Code of the unit at `depth` with a random index (codes are `B` + the digits of the BFS index
/// path: the root is `B`, its children `B0`..`B9`, theirs `B00`..`B99`...).
fn random_code(rng: &mut impl Rng, depth: usize, units: usize) -> String {
    loop {
        let code: String = std::iter::once('B')
            .chain((0..depth).map(|_| char::from(b'0' + rng.gen_range(0..10u8))))
            .collect();
        if index_of(&code) < units {
            return code;
        }
    }
}

fn index_of(code: &str) -> usize {
    // BFS index of a complete 10-ary tree.
    let digits = &code[1..];
    let level_start: usize = (0..digits.len()).map(|d| 10usize.pow(d as u32)).sum();
    level_start
        + digits
            .bytes()
            .fold(0usize, |acc, b| acc * 10 + (b - b'0') as usize)
}

async fn generate(store: &Store, units: usize) -> Result<()> {
    let mut tx = store.write().await?;
    let rows = super::tree("B", units);
    for chunk in rows.chunks(1_000) {
        let sql = format!(
            "INSERT INTO org_units (id, code, name, kind, parent_id, path, depth, region_code, status, created_at, updated_at)
             VALUES {}",
            values_placeholders(tx.backend(), chunk.len(), 11, 1)
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for (id, code, parent, path, depth) in chunk {
                q = q.bind(*id).bind(code).bind(format!("工会 {code}")).bind("joint_union").bind(*parent)
                    .bind(path).bind(*depth).bind("37").bind("active").bind(0i64).bind(0i64);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    tx.commit().await?;
    Ok(())
}
