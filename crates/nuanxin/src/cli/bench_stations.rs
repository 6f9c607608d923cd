//! `nuanxin bench stations`: the nearest-station index in process, rebuilt from the database,
//! behind the HTTP endpoint on loopback and compared with PostGIS on the same points; and the
//! 15-minute circle analysis at national scale. Prints Markdown for BENCHMARKS.md.

use super::bench::stations::{bench_siting, fill_database, postgis_nearest, random_points};
use nuanxin_core::clock::Clock;
use nuanxin_core::stations::{LatLng, LiveIndex, StationIndex, TravelMode};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What `nuanxin bench stations` measures, and on how much.
#[derive(clap::Args)]
pub struct Args {
    /// Database the stations are written to (for the start-up load and the HTTP run).
    #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-stations.db")]
    pub database: String,
    #[arg(long, default_value_t = 1_000_000)]
    pub stations: usize,
    /// 10-nearest queries timed in process.
    #[arg(long, default_value_t = 200_000)]
    pub queries: usize,
    /// A PostgreSQL database with PostGIS available (postgresql-15-postgis-3), to compare.
    #[arg(long)]
    pub postgis: Option<String>,
    /// Seconds of each timed run against PostGIS and the HTTP endpoint.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Concurrent keep-alive connections to the HTTP endpoint.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Demand points, stations and candidate sites of the circle analysis.
    #[arg(long, default_value_t = 1_000_000)]
    pub demand: usize,
    #[arg(long, default_value_t = 100_000)]
    pub circle_stations: usize,
    #[arg(long, default_value_t = 100_000)]
    pub candidates: usize,
    #[arg(long, default_value_t = 50)]
    pub sites: usize,
}

const STATION_SEED: u64 = 36_4567;
const QUERY_SEED: u64 = 7;

pub async fn run(a: Args) -> anyhow::Result<()> {
    let points = random_points(a.stations, STATION_SEED);
    let queries = random_points(a.queries, QUERY_SEED);
    let ids = |pts: &[LatLng]| -> Vec<(uuid::Uuid, LatLng)> {
        pts.iter()
            .enumerate()
            .map(|(i, p)| (uuid::Uuid::from_u128(i as u128 + 1), *p))
            .collect()
    };

    // 1. In process, one thread.
    let started = Instant::now();
    let index = StationIndex::build(ids(&points));
    let build = started.elapsed();
    let started = Instant::now();
    for q in &queries {
        black_box(index.nearest(*q, 10));
    }
    let in_process = queries.len() as f64 / started.elapsed().as_secs_f64();
    println!("| measure | result |\n|---|---|");
    println!(
        "| index bulk load, {} stations | {:.2} s |",
        a.stations,
        build.as_secs_f64()
    );
    println!(
        "| 10-nearest in process, one thread | {:.0} queries/s |",
        in_process
    );
    drop(index);

    // 2. The database and the server's start-up load.
    let store = super::open(&a.database).await?;
    let clock = Clock::system();
    nuanxin_core::demo::load(&store, &clock).await?;
    let mut tx = store.read().await?;
    let have: i64 = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM stations").fetch_one(c).await)?;
    drop(tx);
    if have != a.stations as i64 {
        let mut tx = store.write().await?;
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query("DELETE FROM station_visits").execute(c).await.map(|r| r.rows_affected()))?;
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query("DELETE FROM stations").execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        let took = fill_database(&store, &points).await?;
        println!(
            "| bulk insert of the stations (fixture) | {:.1} s |",
            took.as_secs_f64()
        );
    }
    let live = LiveIndex::new();
    let started = Instant::now();
    let n = live.load(&store).await?;
    println!(
        "| index rebuilt from the database at start-up, {n} stations | {:.2} s |",
        started.elapsed().as_secs_f64()
    );
    drop(live);

    // 3. The HTTP endpoint on loopback (client and server share this machine's cores).
    let config = nuanxin_web::WebConfig {
        nearest_per_minute: u32::MAX,
        ..nuanxin_web::WebConfig::default()
    };
    let state = nuanxin_web::AppState::new(
        store.clone(),
        clock.clone(),
        config,
        super::serve::vault()?,
        Arc::new(nuanxin_core::members::sms::DevSms::default()),
    );
    state.stations.ready().await;
    let router = nuanxin_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let ok = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let mut tasks = Vec::new();
    for c in 0..a.connections {
        let ok = ok.clone();
        let mine: Vec<LatLng> = queries
            .iter()
            .skip(c)
            .step_by(a.connections)
            .take(20_000)
            .copied()
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            let mut buf = vec![0u8; 64 * 1024];
            'run: loop {
                for q in &mine {
                    let req = format!(
                        "GET /api/v1/stations/nearest?lat={:.6}&lng={:.6}&mode=walk&limit=10 HTTP/1.1\r\nHost: bench\r\n\r\n",
                        q.lat(),
                        q.lng()
                    );
                    s.write_all(req.as_bytes()).await?;
                    let status = read_response(&mut s, &mut buf).await?;
                    if status == 200 {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    if Instant::now() >= deadline {
                        break 'run;
                    }
                }
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    let started = Instant::now();
    for t in tasks {
        t.await??;
    }
    let rps = ok.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    server.abort();
    println!(
        "| `GET /api/v1/stations/nearest` on loopback, {} keep-alive connections | {:.0} requests/s |",
        a.connections, rps
    );

    // 4. PostGIS on the same points and queries.
    if let Some(url) = &a.postgis {
        for clients in [1, 2] {
            let qps = postgis_nearest(url, &points, &queries, clients, a.seconds).await?;
            println!(
                "| PostGIS GiST `ORDER BY geom <-> point LIMIT 10`, {clients} client(s) | {:.0} queries/s (in process is {:.0}× that) |",
                qps,
                in_process / qps
            );
        }
    }

    // 5. The 15-minute circle at national scale.
    for mode in [TravelMode::Walk, TravelMode::Ebike] {
        let s = bench_siting(a.demand, a.circle_stations, a.candidates, a.sites, mode);
        println!(
            "| circle ({}): coverage of {} demand points by {} stations | {:.2} s ({:.1}% covered) |",
            mode.code(),
            s.demand,
            s.stations,
            s.coverage.as_secs_f64(),
            s.covered_share * 100.0
        );
        println!(
            "| circle ({}): {} suggested sites from {} candidates for {} uncovered points | {:.2} s (they cover {:.1}% of it) |",
            mode.code(),
            s.sites,
            s.candidates,
            s.uncovered,
            s.suggest.as_secs_f64(),
            s.suggested_share * 100.0
        );
    }
    store.close().await;
    Ok(())
}

/// Reads one HTTP/1.1 response with a Content-Length body; returns its status.
pub(super) async fn read_response(
    s: &mut tokio::net::TcpStream,
    buf: &mut [u8],
) -> anyhow::Result<u16> {
    let mut have = 0usize;
    loop {
        let n = s.read(&mut buf[have..]).await?;
        anyhow::ensure!(n > 0, "connection closed");
        have += n;
        if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])?;
            let status: u16 = head.get(9..12).unwrap_or("0").parse()?;
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            let mut body = have - (end + 4);
            while body < len {
                let n = s.read(&mut buf[..]).await?;
                anyhow::ensure!(n > 0, "connection closed");
                body += n;
            }
            return Ok(status);
        }
    }
}
