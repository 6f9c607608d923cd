//! Benchmark of durable joins (`nuanxin bench joins`): many concurrent clients join new people to
//! one union through `members::join`, each answer given only after its commit.

use nuanxin_core::accounts::Caller;
use nuanxin_core::clock::Clock;
use nuanxin_core::members::id_vault::IdVault;
use nuanxin_core::members::{join, resolve_code, Channel, JoinContext, JoinDraft, JoinInput};
use nuanxin_core::{demo, Store};
use std::sync::Arc;
use std::time::Instant;

/// A valid resident ID number, different for each `i` below 15 million (born 1970-2011 in 东昌府区).
pub fn id_number(i: usize) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")
        + chrono::Days::new((i % 15_000) as u64);
    let body = format!("371502{}{:03}", born.format("%Y%m%d"), (i / 15_000) % 1000);
    nuanxin_core::members::identity::ResidentId::with_check(&body)
}

/// Runs `joins` joins from `clients` concurrent tasks and prints throughput and latency.
pub async fn joins(
    database: &str,
    clients: usize,
    joins: usize,
    group_commit: bool,
) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    nuanxin_core::regions::ensure_builtin(&store).await?;
    let clock = Clock::system();
    demo::load(&store, &clock).await?;
    let caller = Caller::operator(&clock);
    let mut tx = store.write().await?;
    let code =
        nuanxin_core::members::rotate_code(&mut tx, &caller, "JU371502001", "qr", true).await?;
    let target = resolve_code(&mut tx, &code.code).await?;
    tx.commit().await?;
    let vault = IdVault::development();
    let queue =
        group_commit.then(|| nuanxin_core::members::JoinQueue::start(store.clone(), vault.clone()));
    let offset = clock.now() as usize % 1_000_000 * 7;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (store, vault, target, next, clock) = (
            store.clone(),
            vault.clone(),
            target.clone(),
            next.clone(),
            clock.clone(),
        );
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= joins {
                    return anyhow::Ok(latencies);
                }
                let input = JoinInput {
                    name: "测试会员".into(),
                    id_number: id_number(offset + i),
                    phone: format!("139{:08}", (offset + i) % 100_000_000),
                    group: "courier".into(),
                    consent: true,
                    ..JoinInput::default()
                };
                let draft = JoinDraft::parse(&input, clock.today())
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let ctx = JoinContext::consented(Channel::Qr, "bench", clock.now(), clock.today());
                let t = Instant::now();
                match &queue {
                    Some(q) => q.join(&target, &draft, &ctx).await?,
                    None => join(&store, &vault, &target, &draft, &ctx).await?,
                };
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{} durable joins{} from {clients} concurrent clients in {secs:.1} s: {:.0} joins/s | p50 {:.1} ms | p99 {:.1} ms",
        all.len(),
        if group_commit { " (group commit)" } else { "" },
        all.len() as f64 / secs,
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}
