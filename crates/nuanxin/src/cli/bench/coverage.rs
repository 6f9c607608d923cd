//! Benchmark of the coverage report (`nuanxin bench coverage`): a generated province (a 10-ary
//! tree of units), members and enterprises inserted in bulk, the counters built by the full
//! recount (itself timed), then the report of random subtrees at each depth timed against a
//! plain GROUP BY over the base tables for the same subtree.

use nuanxin_core::coverage::counts::{metric, Counts};
use nuanxin_core::coverage::{coverage, recount, Period};
use nuanxin_core::{new_id, on_db, regions, Backend, Scope, Store};
use nuanxin_store::values_placeholders;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const GROUPS: [&str; 11] = [
    "delivery_rider",
    "courier",
    "truck_driver",
    "ride_hailing_driver",
    "domestic_worker",
    "care_worker",
    "security_guard",
    "mall_info_staff",
    "real_estate_agent",
    "internet_marketer",
    "other",
];

/// Generates `units` units (fan-out 10 under the root `C`), `members` active members and
/// `enterprises` census enterprises spread over them at random, unless present; then times
/// `queries` reports per depth.
pub async fn run(
    database: &str,
    units: usize,
    members: usize,
    enterprises: usize,
    queries: usize,
) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    regions::ensure_builtin(&store).await?;
    let have: i64 = {
        let mut tx = store.read().await?;
        on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM memberships").fetch_one(c).await)?
    };
    if have == 0 {
        let t = Instant::now();
        let paths = generate_units(&store, units).await?;
        println!("{units} units in {:.1} s", t.elapsed().as_secs_f64());
        if store.backend() == Backend::Sqlite {
            generate_in_sqlite(&store, &paths, members, enterprises).await?;
        } else {
            let t = Instant::now();
            generate_members(&store, &paths, members).await?;
            println!("{members} members in {:.1} s", t.elapsed().as_secs_f64());
            let t = Instant::now();
            generate_enterprises(&store, &paths, enterprises).await?;
            println!(
                "{enterprises} enterprises in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        let t = Instant::now();
        let r = recount(&store, true).await?;
        println!(
            "recount (builds the counters): {} counters, {} written, {:.1} s",
            r.counters,
            r.differences.len(),
            t.elapsed().as_secs_f64()
        );
    }
    // Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give a live
    // database: without them PostgreSQL scans the counters table instead of using its key.
    {
        let mut tx = store.write().await?;
        on_db!(tx.conn(), c => sqlx::query("ANALYZE").execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
    }
    let scope = Scope::operator();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid");
    let period = Period::or_this_year(None, None, today)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    println!("| depth | subtree members | report p50 | report p99 | GROUP BY p50 | GROUP BY p99 | ratio (p50) |");
    println!("|---|---|---|---|---|---|---|");
    for depth in 0..=3usize {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        let mut seen_members = 0i64;
        let n = if depth == 0 { queries.min(20) } else { queries };
        for i in 0..n {
            let code: String = std::iter::once('C')
                .chain((0..depth).map(|_| char::from(b'0' + rng.gen_range(0..10u8))))
                .collect();
            let t = Instant::now();
            let mut tx = store.read().await?;
            let r = coverage(&mut tx, &scope, &code, period).await?;
            tx.rollback().await?;
            fast.push(t.elapsed().as_secs_f64() * 1000.0);
            seen_members += r.members_total;
            // The same figures by a GROUP BY over the base tables (a few samples: it is slow).
            if i < 5 {
                let t = Instant::now();
                let direct = group_by(&store, &format!("/{}/", path_of(&code))).await?;
                slow.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(
                    direct.total(metric::MEMBERS),
                    r.members_total,
                    "the report equals the GROUP BY"
                );
                assert_eq!(direct.get(metric::ENT, "surveyed"), r.enterprises_surveyed);
            }
        }
        let pct = |v: &mut Vec<f64>, p: f64| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
        };
        let (f50, f99, s50, s99) = (
            pct(&mut fast, 0.5),
            pct(&mut fast, 0.99),
            pct(&mut slow, 0.5),
            pct(&mut slow, 0.99),
        );
        println!(
            "| {depth} | {} | {f50:.2} ms | {f99:.2} ms | {s50:.0} ms | {s99:.0} ms | {:.0}× |",
            seen_members / n as i64,
            s50 / f50
        );
    }
    Ok(())
}

/// `C123` → `C/C1/C12/C123`: the path of a generated unit without its slashes at the ends.
fn path_of(code: &str) -> String {
    (1..=code.len())
        .map(|i| &code[..i])
        .collect::<Vec<_>>()
        .join("/")
}

async fn group_by(store: &Store, path: &str) -> anyhow::Result<Counts> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    let mut tx = store.read().await?;
    const MEMBERS: &str = "SELECT 'members', m.worker_group, COUNT(*) FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND o.path >= $1 AND o.path < $2 GROUP BY m.worker_group";
    const ENT: &str = "SELECT 'ent', 'surveyed', COUNT(*) FROM enterprises e JOIN org_units o ON o.id = e.owner_org_id
        WHERE o.path >= $1 AND o.path < $2";
    let mut rows: Vec<(String, String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(MEMBERS).bind(&lo).bind(&hi).fetch_all(c).await)?;
    rows.extend(on_db!(tx.conn(), c => sqlx::query_as::<_, (String, String, i64)>(ENT).bind(&lo).bind(&hi).fetch_all(c).await)?);
    Ok(Counts(
        rows.into_iter().map(|(m, k, n)| ((m, k), n)).collect(),
    ))
}

pub(super) async fn generate_units(
    store: &Store,
    units: usize,
) -> anyhow::Result<Vec<(uuid::Uuid, String)>> {
    let rows = super::tree("C", units);
    let mut tx = store.write().await?;
    for chunk in rows.chunks(1_000) {
        let sql = format!(
            "INSERT INTO org_units (id, code, name, kind, parent_id, path, depth, region_code, status, created_at, updated_at) VALUES {}",
            values_placeholders(tx.backend(), chunk.len(), 11, 1)
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for (id, code, parent, path, depth) in chunk {
                let kind = if *depth < 3 { "federation" } else { "joint_union" };
                q = q.bind(*id).bind(code).bind(format!("工会 {code}")).bind(kind).bind(*parent)
                    .bind(path).bind(*depth).bind("37").bind("active").bind(0i64).bind(0i64);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| (r.0, r.3)).collect())
}

/// The same data as [`generate_members`] and [`generate_enterprises`], made inside SQLite: one
/// `INSERT … SELECT` over a counting CTE per million rows, no bound values, keys that grow with
/// the row number, the secondary indexes dropped during the load and built afterwards, and a
/// page cache large enough for the unique indexes. Binding rows from Rust wrote about a million
/// members in 5-6 minutes here, because every commit wrote out pages of indexes keyed at random.
async fn generate_in_sqlite(
    store: &Store,
    units: &[(uuid::Uuid, String)],
    members: usize,
    enterprises: usize,
) -> anyhow::Result<()> {
    let mut tx = store.write().await?;
    exec_sql(&mut tx, "PRAGMA cache_size = -4000000".into()).await?;
    const INDEXES: &str =
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
        AND tbl_name IN ('people', 'memberships', 'enterprises')";
    let indexes: Vec<(String, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(INDEXES).fetch_all(c).await)?;
    for (name, _) in &indexes {
        exec_sql(&mut tx, format!("DROP INDEX {name}")).await?;
    }
    exec_sql(
        &mut tx,
        "CREATE TEMP TABLE bench_units (k INTEGER PRIMARY KEY, id BLOB NOT NULL)".into(),
    )
    .await?;
    let picks = &units[units.len() / 10..];
    for (n, chunk) in picks.chunks(1_000).enumerate() {
        let sql = format!(
            "INSERT INTO bench_units (k, id) VALUES {}",
            values_placeholders(tx.backend(), chunk.len(), 2, 1)
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for (i, (id, _)) in chunk.iter().enumerate() {
                q = q.bind((n * 1_000 + i) as i64).bind(*id);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    tx.commit().await?;
    let groups = GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| format!("WHEN {i} THEN '{g}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let n_units = picks.len();
    // Row numbers `i` in [from, to): ids and keys grow with `i`; units, groups and days are
    // spread by multiplicative hashing of `i`.
    let counting = |from: usize, to: usize| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {})",
            to - 1
        )
    };
    let t = Instant::now();
    for from in (0..members).step_by(1_000_000) {
        let to = (from + 1_000_000).min(members);
        let mut tx = store.write().await?;
        exec_sql(&mut tx, format!(
            "{} INSERT INTO people (id, id_hash, id_sealed, id_mask, name, phone, created_at, updated_at)
            SELECT unhex(printf('b1000000000070008000%012x', i)), printf('bench-%012d', i), x'00000000',
                '3715**********0000', '会员' || i, printf('139%08d', i % 100000000), 0, 0 FROM n",
            counting(from, to)
        )).await?;
        exec_sql(&mut tx, format!(
            "{} INSERT INTO memberships (id, person_id, org_id, status, worker_group, channel, consent_at, consent_by,
                consent_method, requested_at, joined_on, updated_at)
            SELECT unhex(printf('b2000000000070008000%012x', i)), unhex(printf('b1000000000070008000%012x', i)),
                (SELECT id FROM bench_units WHERE k = (i * 2654435761) % {n_units}), 'active',
                CASE (i * 7) % 11 {groups} END, 'import', 0, 'bench', 'bench', 0,
                date('2026-01-01', '+' || ((i * 37) % 330) || ' days'), 0 FROM n",
            counting(from, to)
        )).await?;
        tx.commit().await?;
        println!("  {to} members, {:.0} s", t.elapsed().as_secs_f64());
    }
    println!("{members} members in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    for from in (0..enterprises).step_by(1_000_000) {
        let to = (from + 1_000_000).min(enterprises);
        let mut tx = store.write().await?;
        exec_sql(&mut tx, format!(
            "{} INSERT INTO enterprises (id, uscc, name, industry, staff, new_form_workers, region_code, union_status,
                operating, source, owner_org_id, created_at, updated_at)
            SELECT unhex(printf('b3000000000070008000%012x', i)), printf('B%017d', i), '企业' || i, 'other',
                1 + (i * 131) % 299, (1 + (i * 131) % 299) / 2, '37', CASE WHEN i % 3 = 0 THEN 'unionised' ELSE 'none' END,
                TRUE, 'bench', (SELECT id FROM bench_units WHERE k = (i * 40503) % {n_units}), 0, 0 FROM n",
            counting(from, to)
        )).await?;
        tx.commit().await?;
    }
    println!(
        "{enterprises} enterprises in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut tx = store.write().await?;
    for (_, sql) in &indexes {
        exec_sql(&mut tx, sql.clone()).await?;
    }
    tx.commit().await?;
    println!(
        "{} secondary indexes built in {:.1} s",
        indexes.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) async fn exec_sql(tx: &mut nuanxin_core::Tx, sql: String) -> anyhow::Result<u64> {
    Ok(on_db!(tx.conn(), c => sqlx::query(&sql).execute(c).await.map(|r| r.rows_affected()))?)
}

async fn generate_members(
    store: &Store,
    units: &[(uuid::Uuid, String)],
    members: usize,
) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let bar = 1_000_000usize.max(members / 20);
    for start in (0..members).step_by(5_000) {
        let end = (start + 5_000).min(members);
        let mut tx = store.write().await?;
        let people: Vec<(uuid::Uuid, usize)> = (start..end).map(|i| (new_id(), i)).collect();
        for chunk in people.chunks(1_000) {
            let sql = format!(
                "INSERT INTO people (id, id_hash, id_sealed, id_mask, name, phone, created_at, updated_at) VALUES {}",
                values_placeholders(tx.backend(), chunk.len(), 8, 1)
            );
            on_db!(tx.conn(), c => {
                let mut q = sqlx::query(&sql);
                for (id, i) in chunk {
                    q = q.bind(*id).bind(format!("bench-{i}")).bind(vec![0u8; 4]).bind("3715**********0000")
                        .bind(format!("会员{i}")).bind(format!("139{:08}", i % 100_000_000)).bind(0i64).bind(0i64);
                }
                q.execute(c).await.map(|r| r.rows_affected())
            })?;
            let sql = format!(
                "INSERT INTO memberships (id, person_id, org_id, status, worker_group, channel, consent_at, consent_by, consent_method,
                    requested_at, joined_on, updated_at) VALUES {}",
                values_placeholders(tx.backend(), chunk.len(), 12, 1)
            );
            let picks: Vec<(uuid::Uuid, &str, chrono::NaiveDate)> = chunk
                .iter()
                .map(|_| {
                    let unit = units[rng.gen_range(units.len() / 10..units.len())].0;
                    let day = chrono::NaiveDate::from_ymd_opt(
                        2026,
                        rng.gen_range(1..=11),
                        rng.gen_range(1..=28),
                    )
                    .expect("valid");
                    (unit, GROUPS[rng.gen_range(0..GROUPS.len())], day)
                })
                .collect();
            on_db!(tx.conn(), c => {
                let mut q = sqlx::query(&sql);
                for ((id, _), (unit, group, day)) in chunk.iter().zip(&picks) {
                    q = q.bind(new_id()).bind(*id).bind(*unit).bind("active").bind(*group).bind("import")
                        .bind(0i64).bind("bench").bind("bench").bind(0i64).bind(*day).bind(0i64);
                }
                q.execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        tx.commit().await?;
        if end % bar < 5_000 {
            println!("  {end} members");
        }
    }
    Ok(())
}

async fn generate_enterprises(
    store: &Store,
    units: &[(uuid::Uuid, String)],
    n: usize,
) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for start in (0..n).step_by(5_000) {
        let end = (start + 5_000).min(n);
        let mut tx = store.write().await?;
        let idx: Vec<usize> = (start..end).collect();
        for chunk in idx.chunks(1_000) {
            let sql = format!(
                "INSERT INTO enterprises (id, uscc, name, industry, staff, new_form_workers, region_code, union_status, operating, source,
                    owner_org_id, created_at, updated_at) VALUES {}",
                values_placeholders(tx.backend(), chunk.len(), 13, 1)
            );
            on_db!(tx.conn(), c => {
                let mut q = sqlx::query(&sql);
                for i in chunk {
                    let unit = units[rng.gen_range(units.len() / 10..units.len())].0;
                    let staff: i64 = rng.gen_range(1..300);
                    q = q.bind(new_id()).bind(format!("B{i:017}")).bind(format!("企业{i}")).bind("other").bind(staff)
                        .bind(staff / 2).bind("37").bind(if i % 3 == 0 { "unionised" } else { "none" }).bind(true)
                        .bind("bench").bind(unit).bind(0i64).bind(0i64);
                }
                q.execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        tx.commit().await?;
    }
    Ok(())
}
