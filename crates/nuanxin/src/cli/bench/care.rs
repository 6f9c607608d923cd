//! Benchmark of a mass handout (`nuanxin bench care`, SQLite): the demo's org tree, `members`
//! active members of one joint union inserted in bulk, a 送清凉 activity, then `scanners`
//! scanners (a keeper's phone, cadres' phones, a scanner gun) recording every member once, each
//! scan its own transaction as `POST /api/v1/care/activities/{id}/recipients` runs it, and a
//! round of repeats (refused, nothing written). Prints each round's scans per minute and the
//! latency of one scan (p50, p99, max).

use nuanxin_core::accounts::Caller;
use nuanxin_core::clock::Clock;
use nuanxin_core::services::care::{self, ActivityInput, RecipientInput, Scanned};
use nuanxin_core::{in_read, in_write, on_db, Backend, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn run(database: &str, members: usize, scanners: usize) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    anyhow::ensure!(
        store.backend() == Backend::Sqlite,
        "bench care generates its rows inside SQLite: give a sqlite:// database"
    );
    let clock = Clock::system();
    nuanxin_core::regions::ensure_builtin(&store).await?;
    nuanxin_core::demo::load(&store, &clock).await?;
    let t = Instant::now();
    generate(&store, members).await?;
    println!("{members} members in {:.1} s", t.elapsed().as_secs_f64());
    let caller = Caller::operator(&clock);
    let input = ActivityInput {
        name: "夏季送清凉（基准）".into(),
        kind: "summer".into(),
        held_on: clock.today().to_string(),
        org_code: "JU371502001".into(),
        items: "绿豆汤、藿香正气水".into(),
        unit_cost: "25".into(),
        ..ActivityInput::default()
    };
    let activity = in_write(&store, async |tx| care::create(tx, &caller, &input).await).await?;
    let nos: Vec<String> = (0..members).map(|i| format!("B{i:011}")).collect();
    for (round, expect_new) in [("first scans", true), ("repeats", false)] {
        let (took, latencies) =
            scan_all(&store, &clock, activity.id, &nos, scanners, expect_new).await?;
        let mut l = latencies;
        l.sort();
        let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
        println!(
            "{round}: {} scans by {scanners} scanners in {:.1} s = {:.0} a minute; one scan p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            l.len(),
            took.as_secs_f64(),
            l.len() as f64 / took.as_secs_f64() * 60.0,
            ms(pct(0.50)),
            ms(pct(0.99)),
            ms(l[l.len() - 1]),
        );
    }
    let a = in_read(&store, async |tx| {
        care::get(tx, &nuanxin_core::Scope::operator(), activity.id).await
    })
    .await?;
    anyhow::ensure!(a.members == members as i64, "{} recorded", a.members);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Every number scanned once, shared out among `scanners` tasks; the latency of each scan.
async fn scan_all(
    store: &Store,
    clock: &Clock,
    activity: uuid::Uuid,
    nos: &[String],
    scanners: usize,
    expect_new: bool,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let nos = Arc::new(nos.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..scanners {
        let (store, clock, nos) = (store.clone(), clock.clone(), nos.clone());
        tasks.push(tokio::spawn(async move {
            let caller = Caller::operator(&clock);
            let mut out = Vec::new();
            for no in nos.iter().skip(s).step_by(scanners) {
                let input = RecipientInput {
                    member_no: no.clone(),
                    ..RecipientInput::default()
                };
                let t = Instant::now();
                let done = in_write(&store, async |tx| {
                    care::scan(tx, &caller, activity, &input).await
                })
                .await?;
                out.push(t.elapsed());
                anyhow::ensure!(
                    matches!(done, Scanned::New(_)) == expect_new,
                    "member {no}: unexpected answer"
                );
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(nos.len());
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((started.elapsed(), all))
}

/// `n` active members of 古楼街道灵活就业人员联合工会 with numbers B00000000000…, inserted inside SQLite.
async fn generate(store: &Store, n: usize) -> anyhow::Result<()> {
    let mut tx = store.write().await?;
    let max = n.saturating_sub(1);
    let people = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {max})
        INSERT INTO people (id, id_hash, id_sealed, id_mask, name, phone, created_at, updated_at)
        SELECT unhex(printf('e1000000000070008000%012x', i)), printf('care-%012d', i), x'00000000',
            '3715**********0000', '骑手', printf('137%08d', i), 0, 0 FROM n"
    );
    let memberships = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {max})
        INSERT INTO memberships (id, person_id, org_id, status, worker_group, channel, consent_at, consent_by,
            consent_method, requested_at, joined_on, updated_at, member_no)
        SELECT unhex(printf('e2000000000070008000%012x', i)), unhex(printf('e1000000000070008000%012x', i)),
            (SELECT id FROM org_units WHERE code = 'JU371502001'), 'active', 'delivery_rider', 'import', 0, 'bench',
            'bench', 0, '2026-01-01', 0, printf('B%011d', i) FROM n"
    );
    for sql in [people, memberships] {
        on_db!(tx.conn(), c => sqlx::query(&sql).execute(c).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(())
}
