//! Timing helpers for `nuanxin bench stations`: 10-nearest queries per second over a random index
//! of stations across China, and the 15-minute circle analysis at national scale (coverage of
//! demand points, suggested sites). Printing and the command itself are left to the CLI.

use nuanxin_core::stations::geo::{LatLng, TravelMode};
use nuanxin_core::stations::index::StationIndex;
use nuanxin_core::stations::siting::{coverage, suggest_sites, Demand, CIRCLE_MINUTES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A point uniformly at random in mainland China's bounding box.
fn anywhere(rng: &mut StdRng) -> LatLng {
    LatLng::parse(rng.gen_range(18.0..53.5), rng.gen_range(73.5..134.7)).expect("in range")
}

/// Points clustered around `centres` like the people of a city: normal spread of about 10 km.
fn around(rng: &mut StdRng, centres: &[LatLng], n: usize) -> Vec<LatLng> {
    (0..n)
        .map(|_| {
            let c = centres[rng.gen_range(0..centres.len())];
            let (u, v): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
            let r = (-2.0 * u.ln()).sqrt() * 0.09;
            let (dy, dx) = (v * std::f64::consts::TAU).sin_cos();
            let lat = (c.lat() + r * dy).clamp(-90.0, 90.0);
            let lng = (c.lng() + r * dx / c.lat().to_radians().cos()).clamp(-180.0, 180.0);
            LatLng::parse(lat, lng).expect("clamped")
        })
        .collect()
}

fn ids(points: &[LatLng]) -> impl Iterator<Item = (Uuid, LatLng)> + '_ {
    points
        .iter()
        .enumerate()
        .map(|(i, &at)| (Uuid::from_u128(i as u128 + 1), at))
}

/// `n` random station points across China, the same for the same `seed`.
pub fn random_points(n: usize, seed: u64) -> Vec<LatLng> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| anywhere(&mut rng)).collect()
}

/// Inserts `points` as open stations of the root unit in bulk (no audit, no counters: a
/// benchmark fixture), with their change-log rows. Returns how long it took.
pub async fn fill_database(
    store: &nuanxin_core::Store,
    points: &[LatLng],
) -> nuanxin_core::Result<Duration> {
    use nuanxin_core::on_db;
    let started = Instant::now();
    let mut tx = store.write().await?;
    let root: Uuid = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY path LIMIT 1").fetch_one(c).await)?;
    const COLS: usize = 13;
    for (chunk_no, chunk) in points.chunks(1_000).enumerate() {
        let values = nuanxin_store::values_placeholders(tx.backend(), chunk.len(), COLS, 1);
        let sql = format!(
            "INSERT INTO stations (id, org_id, name, kind, lat, lng, address, hours, hours_text, amenities, status, created_at, updated_at)
             VALUES {values}"
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for (i, p) in chunk.iter().enumerate() {
                let n = chunk_no * 1_000 + i;
                q = q.bind(Uuid::from_u128(n as u128 + 1)).bind(root).bind(format!("驿站{n}")).bind("union_station")
                    .bind(p.lat()).bind(p.lng()).bind("某路").bind("{}").bind("").bind("water,charging")
                    .bind("open").bind(0i64).bind(0i64);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// PostGIS with a GiST index on the same points: 10-nearest queries per second from `clients`
/// concurrent connections for `seconds`. The table `bench_stations` is created in `url`.
pub async fn postgis_nearest(
    url: &str,
    points: &[LatLng],
    queries: &[LatLng],
    clients: usize,
    seconds: f64,
) -> anyhow::Result<f64> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut conn)
        .await?;
    let count: Option<i64> = sqlx::query_scalar("SELECT COUNT(*) FROM bench_stations")
        .fetch_one(&mut conn)
        .await
        .ok();
    if count != Some(points.len() as i64) {
        sqlx::query("DROP TABLE IF EXISTS bench_stations")
            .execute(&mut conn)
            .await?;
        sqlx::query("CREATE TABLE bench_stations (id BIGINT PRIMARY KEY, geom geometry(Point, 4326) NOT NULL)")
            .execute(&mut conn)
            .await?;
        for (c, chunk) in points.chunks(10_000).enumerate() {
            let ids: Vec<i64> = (0..chunk.len()).map(|i| (c * 10_000 + i) as i64).collect();
            let lats: Vec<f64> = chunk.iter().map(|p| p.lat()).collect();
            let lngs: Vec<f64> = chunk.iter().map(|p| p.lng()).collect();
            sqlx::query("INSERT INTO bench_stations SELECT id, ST_SetSRID(ST_MakePoint(lng, lat), 4326) FROM UNNEST($1::bigint[], $2::float8[], $3::float8[]) AS t(id, lat, lng)")
                .bind(&ids).bind(&lats).bind(&lngs)
                .execute(&mut conn)
                .await?;
        }
        sqlx::query("CREATE INDEX bench_stations_geom ON bench_stations USING GIST (geom)")
            .execute(&mut conn)
            .await?;
        sqlx::query("ANALYZE bench_stations")
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let url = url.to_string();
        let mine: Vec<LatLng> = queries.iter().skip(c).step_by(clients).copied().collect();
        tasks.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            let mut done = 0u64;
            const SQL: &str = "SELECT id FROM bench_stations ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT 10";
            'outer: loop {
                for q in &mine {
                    let rows: Vec<i64> = sqlx::query_scalar(SQL).bind(q.lng()).bind(q.lat()).fetch_all(&mut conn).await?;
                    black_box(rows);
                    done += 1;
                    if Instant::now() >= deadline {
                        break 'outer;
                    }
                }
            }
            conn.close().await?;
            Ok::<u64, anyhow::Error>(done)
        }));
    }
    let started = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64().max(seconds))
}

/// Nearest-station throughput on one thread.
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct NearestBench {
    pub stations: usize,
    /// Bulk load of the index.
    pub build: Duration,
    /// 10-nearest queries per second.
    pub queries_per_s: f64,
}

/// Builds an index of `n_stations` random stations across China and runs `queries` 10-nearest
/// queries from random points on the calling thread.
#[cfg(test)]
pub fn bench_nearest(n_stations: usize, queries: usize) -> NearestBench {
    let mut rng = StdRng::seed_from_u64(36_4567);
    let points: Vec<LatLng> = (0..n_stations).map(|_| anywhere(&mut rng)).collect();
    let started = Instant::now();
    let index = StationIndex::build(ids(&points));
    let build = started.elapsed();
    let from: Vec<LatLng> = (0..queries).map(|_| anywhere(&mut rng)).collect();
    let started = Instant::now();
    for q in &from {
        black_box(index.nearest(*q, 10));
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    NearestBench {
        stations: n_stations,
        build,
        queries_per_s: queries as f64 / elapsed,
    }
}

/// The 15-minute circle analysis at scale.
#[derive(Debug, Clone)]
pub struct SitingBench {
    pub demand: usize,
    pub stations: usize,
    pub candidates: usize,
    /// Bulk load of the station index (not part of `coverage`).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "printed by the national-scale test only")
    )]
    pub index_build: Duration,
    /// `siting::coverage` of all demand points against all stations.
    pub coverage: Duration,
    pub covered_share: f64,
    pub uncovered: usize,
    /// `siting::suggest_sites` over the uncovered demand, including its demand index.
    pub suggest: Duration,
    pub sites: usize,
    /// Share of the uncovered demand that the suggested sites cover.
    pub suggested_share: f64,
}

/// Demand, stations and candidate sites clustered around 400 random city centres in China; the
/// coverage of all demand within 15 minutes by `mode`, then `sites` suggested sites for the
/// uncovered demand.
pub fn bench_siting(
    demand: usize,
    stations: usize,
    candidates: usize,
    sites: usize,
    mode: TravelMode,
) -> SitingBench {
    let mut rng = StdRng::seed_from_u64(15);
    let centres: Vec<LatLng> = (0..400).map(|_| anywhere(&mut rng)).collect();
    let people: Vec<Demand> = around(&mut rng, &centres, demand)
        .into_iter()
        .map(|at| Demand::new(at, 1.0).expect("positive weight"))
        .collect();
    let station_points = around(&mut rng, &centres, stations);
    let candidate_points = around(&mut rng, &centres, candidates);

    let started = Instant::now();
    let index = StationIndex::build(ids(&station_points));
    let index_build = started.elapsed();

    let started = Instant::now();
    let covered = coverage(&people, &index, mode, CIRCLE_MINUTES);
    let coverage_time = started.elapsed();

    let uncovered: Vec<Demand> = covered.uncovered.iter().map(|&i| people[i]).collect();
    let started = Instant::now();
    let chosen = suggest_sites(&uncovered, &candidate_points, sites, covered.radius_m);
    let suggest = started.elapsed();

    let gained = chosen.last().map_or(0.0, |c| c.covered_weight);
    SitingBench {
        demand,
        stations,
        candidates,
        index_build,
        coverage: coverage_time,
        covered_share: covered.share().unwrap_or(0.0),
        uncovered: uncovered.len(),
        suggest,
        sites: chosen.len(),
        suggested_share: if uncovered.is_empty() {
            0.0
        } else {
            gained / uncovered.len() as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_run_on_small_inputs() {
        let n = bench_nearest(2_000, 500);
        assert!(n.queries_per_s > 0.0);
        let s = bench_siting(5_000, 500, 1_000, 5, TravelMode::Walk);
        assert!(s.covered_share > 0.0 && s.covered_share < 1.0, "{s:?}");
        assert_eq!(s.sites, 5);
        assert!(s.suggested_share > 0.0);
    }

    /// The numbers of BENCHMARKS.md; run with
    /// `cargo test --release -p nuanxin-core --lib stations::bench -- --ignored --nocapture`.
    #[test]
    #[ignore = "a benchmark at national scale (minutes in a debug build), not a check; `nuanxin bench stations` is the maintained one"]
    fn national_scale() {
        let n = bench_nearest(1_000_000, 200_000);
        println!(
            "nearest: {} stations, build {:.2?}, 10-nearest {:.0} queries/s on one thread",
            n.stations, n.build, n.queries_per_s
        );
        for mode in TravelMode::ALL {
            let s = bench_siting(1_000_000, 100_000, 100_000, 50, mode);
            println!(
                "siting ({}): index {:.2?}; coverage of {} demand by {} stations {:.2?} \
                 ({:.1}% covered, {} uncovered); {} sites from {} candidates {:.2?} \
                 (cover {:.1}% of the uncovered)",
                mode.code(),
                s.index_build,
                s.demand,
                s.stations,
                s.coverage,
                s.covered_share * 100.0,
                s.uncovered,
                s.sites,
                s.candidates,
                s.suggest,
                s.suggested_share * 100.0
            );
        }
    }
}
