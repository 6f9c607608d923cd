//! Benchmark of the services report and the case import (`nuanxin bench services`, SQLite): a
//! generated province (a 10-ary tree of units), rights cases and mutual-aid claims (with their
//! people, memberships, one plan and the enrolments) inserted in bulk inside SQLite, the counters
//! built by the full recount (itself timed); then the report of random subtrees at each depth
//! (with `workers_helped`, the one figure read from the base table, timed apart), and the import
//! of a sheet of new cases through the same path as `nuanxin import cases`.

use nuanxin_core::accounts::Caller;
use nuanxin_core::coverage::{recount, Period};
use nuanxin_core::services::{cases, cases_sheet::CasesSheet, report};
use nuanxin_core::sheets::import::SheetImport;
use nuanxin_core::{on_db, regions, Backend, Scope, Store};
use rand::{Rng, SeedableRng};
use std::time::Instant;

const KINDS: [&str; 6] = [
    "wages",
    "injury",
    "dismissal",
    "platform_penalty",
    "social_insurance",
    "other",
];

pub async fn run(
    database: &str,
    units: usize,
    n_cases: usize,
    n_claims: usize,
    import_rows: usize,
    queries: usize,
) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    anyhow::ensure!(
        store.backend() == Backend::Sqlite,
        "bench services generates its rows inside SQLite: give a sqlite:// database"
    );
    regions::ensure_builtin(&store).await?;
    let have: i64 = {
        let mut tx = store.read().await?;
        on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM rights_cases").fetch_one(c).await)?
    };
    let paths = if have == 0 {
        let t = Instant::now();
        let paths = super::coverage::generate_units(&store, units).await?;
        println!("{units} units in {:.1} s", t.elapsed().as_secs_f64());
        generate(&store, &paths, n_cases, n_claims).await?;
        let t = Instant::now();
        let r = recount(&store, true).await?;
        println!(
            "recount (builds the counters): {} counters, {} written, {:.1} s",
            r.counters,
            r.differences.len(),
            t.elapsed().as_secs_f64()
        );
        let mut tx = store.write().await?;
        on_db!(tx.conn(), c => sqlx::query("ANALYZE").execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        paths
    } else {
        let mut tx = store.read().await?;
        let rows: Vec<(uuid::Uuid, String)> = on_db!(tx.conn(), c => sqlx::query_as("SELECT id, path FROM org_units WHERE code LIKE 'C%' ORDER BY path").fetch_all(c).await)?;
        rows
    };
    let scope = Scope::operator();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid");
    let period = Period::or_this_year(None, None, today)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    println!("| depth | subtree cases opened | report p50 | report p99 | of which workers_helped p50 | p99 |");
    println!("|---|---|---|---|---|---|");
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    for depth in 0..=3usize {
        let (mut whole, mut helped) = (Vec::new(), Vec::new());
        let mut opened = 0i64;
        let n = if depth == 0 { queries.min(50) } else { queries };
        for _ in 0..n {
            let code: String = std::iter::once('C')
                .chain((0..depth).map(|_| char::from(b'0' + rng.gen_range(0..10u8))))
                .collect();
            let t = Instant::now();
            let mut tx = store.read().await?;
            let r = match report::services(&mut tx, &scope, &code, period).await {
                Ok(r) => r,
                // A small tree has fewer units at its deepest level than codes drawn.
                Err(nuanxin_core::Error::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            tx.rollback().await?;
            whole.push(t.elapsed().as_secs_f64() * 1000.0);
            opened += r.cases.opened;
            let path = paths
                .iter()
                .find(|(_, p)| p.trim_end_matches('/').ends_with(&format!("/{code}")))
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            let t = Instant::now();
            let mut tx = store.read().await?;
            cases::workers_helped(&mut tx, &path, period.from, period.to).await?;
            tx.rollback().await?;
            helped.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        if whole.is_empty() {
            continue;
        }
        println!(
            "| {depth} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            opened / whole.len().max(1) as i64,
            pct(&mut whole, 0.5),
            pct(&mut whole, 0.99),
            pct(&mut helped, 0.5),
            pct(&mut helped, 0.99)
        );
    }
    if import_rows > 0 {
        // A ledger of new cases of the deepest units, as a union's Excel would give them.
        let leaves: Vec<String> = paths
            .iter()
            .rev()
            .take(1_000)
            .map(|(_, p)| {
                p.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        let mut csv = String::from("案件编号,受理工会编码,类型,处理方式,姓名,身份证号,手机号,企业统一社会信用代码,受理日期,诉求金额（元）,追回金额（元）,结案日期,结果\n");
        for i in 0..import_rows {
            let closed = i % 2 == 0;
            csv.push_str(&format!(
                "IMP-{i:07},{},欠薪,调解,王骑手,,139{:08},,2026-{:02}-{:02},{}.50,{},{},{}\n",
                leaves[i % leaves.len()],
                i,
                1 + i % 10,
                1 + i % 28,
                1000 + i % 9000,
                if closed { "800" } else { "" },
                if closed {
                    format!("2026-11-{:02}", 1 + i % 20)
                } else {
                    String::new()
                },
                if closed { "调解成功" } else { "" },
            ));
        }
        let clock = nuanxin_core::clock::Clock::fixed(
            today
                .and_hms_opt(4, 0, 0)
                .expect("valid")
                .and_utc()
                .timestamp_millis(),
        );
        let caller = Caller::operator(&clock);
        let vault = nuanxin_core::members::id_vault::IdVault::development();
        let t = Instant::now();
        let table = CasesSheet::read(csv.as_bytes())?;
        let read = t.elapsed().as_secs_f64();
        let rep = CasesSheet::import(&store, &vault, &caller, &table, false, |_, _| {}).await?;
        println!(
            "import of {import_rows} cases: {:.2} s ({read:.2} s reading the sheet), {} created, {} rejected",
            t.elapsed().as_secs_f64(),
            rep.tally.created,
            rep.rejected.len()
        );
    }
    Ok(())
}

/// Cases, and claims with their people, memberships, one plan at the root and enrolments, made
/// inside SQLite by `INSERT … SELECT` over a counting CTE, a million rows per statement.
async fn generate(
    store: &Store,
    units: &[(uuid::Uuid, String)],
    n_cases: usize,
    n_claims: usize,
) -> anyhow::Result<()> {
    use super::coverage::exec_sql;
    let mut tx = store.write().await?;
    exec_sql(&mut tx, "PRAGMA cache_size = -4000000".into()).await?;
    exec_sql(
        &mut tx,
        "CREATE TEMP TABLE bench_units (k INTEGER PRIMARY KEY, id BLOB NOT NULL)".into(),
    )
    .await?;
    let picks = &units[units.len() / 10..];
    for (n, chunk) in picks.chunks(1_000).enumerate() {
        let sql = format!(
            "INSERT INTO bench_units (k, id) VALUES {}",
            nuanxin_store::values_placeholders(tx.backend(), chunk.len(), 2, 1)
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
    let n_units = picks.len();
    let kinds = KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| format!("WHEN {i} THEN '{k}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let counting = |from: usize, to: usize| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {})",
            to - 1
        )
    };
    let unit = format!("(SELECT id FROM bench_units WHERE k = (i * 2654435761) % {n_units})");
    let t = Instant::now();
    for from in (0..n_cases).step_by(1_000_000) {
        let to = (from + 1_000_000).min(n_cases);
        let mut tx = store.write().await?;
        // Opened over 330 days of 2026; half closed ten days later, a third of those with money.
        exec_sql(&mut tx, format!(
            "{} INSERT INTO rights_cases (id, org_id, case_no, kind, stage, status, person_key, name, phone, summary,
                claimed_fen, recovered_fen, opened_on, closed_on, outcome, source, created_at, updated_at)
            SELECT unhex(printf('c1000000000070008000%012x', i)), {unit}, printf('B%09d', i),
                CASE i % 6 {kinds} END, 'mediation', CASE WHEN i % 2 = 0 THEN 'closed' ELSE 'open' END,
                printf('p%d', i % 600000), '骑手', printf('139%08d', i % 100000000), '',
                (i % 500) * 10000, CASE WHEN i % 6 = 0 THEN (i % 500) * 8000 ELSE 0 END,
                date('2026-01-01', '+' || ((i * 37) % 320) || ' days'),
                CASE WHEN i % 2 = 0 THEN date('2026-01-01', '+' || ((i * 37) % 320 + 10) || ' days') END,
                CASE WHEN i % 2 = 0 THEN 'mediated' END, 'import', 0, 0 FROM n",
            counting(from, to)
        )).await?;
        tx.commit().await?;
    }
    println!("{n_cases} cases in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut tx = store.write().await?;
    exec_sql(&mut tx,
        "INSERT INTO aid_plans (id, org_id, name, kind, starts_on, ends_on, premium_fen, payer, benefits, cap_fen, groups, insurer, created_at, updated_at)
        SELECT unhex('d0000000000070008000000000000001'), id, '基准计划', 'accident', '2026-01-01', '2026-12-31', 3000, 'union',
            '{\"hospital\": 500000}', 0, '', '', 0, 0 FROM org_units WHERE code = 'C'".into()).await?;
    tx.commit().await?;
    for from in (0..n_claims).step_by(1_000_000) {
        let to = (from + 1_000_000).min(n_claims);
        let mut tx = store.write().await?;
        exec_sql(&mut tx, format!(
            "{} INSERT INTO people (id, id_hash, id_sealed, id_mask, name, phone, created_at, updated_at)
            SELECT unhex(printf('d1000000000070008000%012x', i)), printf('aid-%012d', i), x'00000000',
                '3715**********0000', '会员', printf('138%08d', i % 100000000), 0, 0 FROM n",
            counting(from, to)
        )).await?;
        exec_sql(&mut tx, format!(
            "{} INSERT INTO memberships (id, person_id, org_id, status, worker_group, channel, consent_at, consent_by,
                consent_method, requested_at, joined_on, updated_at)
            SELECT unhex(printf('d2000000000070008000%012x', i)), unhex(printf('d1000000000070008000%012x', i)),
                {unit}, 'active', 'delivery_rider', 'import', 0, 'bench', 'bench', 0, '2026-01-01', 0 FROM n",
            counting(from, to)
        )).await?;
        exec_sql(&mut tx, format!(
            "{} INSERT INTO aid_enrolments (id, plan_id, person_id, membership_id, org_id, covered_from, covered_to, premium_fen, created_at)
            SELECT unhex(printf('d3000000000070008000%012x', i)), unhex('d0000000000070008000000000000001'),
                unhex(printf('d1000000000070008000%012x', i)), unhex(printf('d2000000000070008000%012x', i)),
                {unit}, '2026-01-01', '2026-12-31', 3000, 0 FROM n",
            counting(from, to)
        )).await?;
        // Filed over 320 days; a third approved, half of those paid.
        exec_sql(&mut tx, format!(
            "{} INSERT INTO aid_claims (id, enrolment_id, org_id, claim_no, incident_on, event, status, claimed_fen,
                approved_fen, paid_fen, filed_on, decided_on, paid_on, source, created_at, updated_at)
            SELECT unhex(printf('d4000000000070008000%012x', i)), unhex(printf('d3000000000070008000%012x', i)), {unit},
                printf('HZB%09d', i), date('2026-01-01', '+' || ((i * 41) % 320) || ' days'), 'hospital',
                CASE i % 6 WHEN 0 THEN 'paid' WHEN 3 THEN 'approved' ELSE 'entered' END, 300000,
                CASE WHEN i % 3 = 0 THEN 250000 ELSE 0 END, CASE WHEN i % 6 = 0 THEN 250000 ELSE 0 END,
                date('2026-01-01', '+' || ((i * 41) % 320) || ' days'),
                CASE WHEN i % 3 = 0 THEN date('2026-01-01', '+' || ((i * 41) % 320 + 5) || ' days') END,
                CASE WHEN i % 6 = 0 THEN date('2026-01-01', '+' || ((i * 41) % 320 + 9) || ' days') END,
                'member', 0, 0 FROM n",
            counting(from, to)
        )).await?;
        tx.commit().await?;
    }
    println!(
        "{n_claims} claims (with people, memberships, enrolments) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
