//! Benchmark of grid reports (`nuanxin bench grid`, SQLite): reports with a photo of about
//! 200 KB each sent through the API (`POST /api/v1/grid/reports`, multipart) to the server in
//! this process on loopback, at a fixed rate (open loop: each latency counts from when its report
//! was due), by approved reporters of the demo's township; each is checked (decoded, re-encoded
//! without metadata), routed by its point among the township's communities, its photo written
//! and synced to the uploads folder, its row and first step committed. Afterwards every
//! acknowledged report is checked to be in the database with its photo on disk.

use nuanxin_core::accounts::{self, AccountInput, Caller};
use nuanxin_core::services::grid::{reporters, setup};
use nuanxin_core::{demo, on_db, Backend, Store};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// A camera-like photo: noise with a gradient, encoded as JPEG to about `target` bytes.
fn photo(seed: u64, target: usize) -> anyhow::Result<Vec<u8>> {
    use image::ImageEncoder;
    let (w, h) = (1280u32, 960u32);
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 59) as u32;
            pixels.push(((x * 255 / w + noise) % 256) as u8);
            pixels.push(((y * 255 / h + noise) % 256) as u8);
            pixels.push(((x + y) % 256) as u8);
        }
    }
    // The quality that lands nearest the target size.
    let mut best = Vec::new();
    for quality in [30u8, 35, 40, 45, 50, 60, 70, 80, 90] {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).write_image(
            &pixels,
            w,
            h,
            image::ExtendedColorType::Rgb8,
        )?;
        let closer = best.is_empty() || out.len().abs_diff(target) < best.len().abs_diff(target);
        if closer {
            best = out;
        }
    }
    Ok(best)
}

pub async fn run(
    database: &str,
    reports: usize,
    per_minute: f64,
    clients: usize,
) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    anyhow::ensure!(
        store.backend() == Backend::Sqlite,
        "bench grid measures SQLite: give a sqlite:// database"
    );
    nuanxin_core::regions::ensure_builtin(&store).await?;
    let clock = nuanxin_core::clock::Clock::system();
    demo::load(&store, &clock).await?;
    let vault = super::super::serve::vault()?;
    demo::load_members(&store, &vault, &clock).await?;
    let caller = Caller::operator(&clock);
    let mut tx = store.write().await?;
    // The township's communities (古城社区 with its boundary), as a county would load them.
    let ring = serde_json::json!([
        [115.976, 36.450],
        [115.988, 36.450],
        [115.988, 36.462],
        [115.976, 36.462]
    ]);
    for (code, lat, lng, boundary) in [
        ("371502001001", "36.4558", "115.9822", ring.to_string()),
        ("371502001002", "36.4640", "115.9900", String::new()),
        ("371502001003", "36.4480", "115.9700", String::new()),
    ] {
        let input = setup::CommunityInput {
            org_code: "F371502001".into(),
            region_code: code.into(),
            lat: lat.into(),
            lng: lng.into(),
            boundary,
            office: String::new(),
        };
        setup::put_community(&mut tx, &caller, &input).await?;
    }
    const RIDERS: &str = "SELECT m.id, m.member_no FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND m.member_no IS NOT NULL AND o.path LIKE '%/F371502001/%' ORDER BY m.member_no LIMIT 50";
    let riders: Vec<(uuid::Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(RIDERS).fetch_all(c).await)?;
    anyhow::ensure!(
        !riders.is_empty(),
        "the demo's members of F371502001 are needed"
    );
    for (m, _) in &riders {
        reporters::decide(&mut tx, &caller, *m, true).await?;
    }
    let username = format!("bench-grid-{}", clock.now() % 1_000_000);
    accounts::create_account(
        &mut tx,
        &caller,
        &AccountInput {
            username: username.clone(),
            display_name: None,
            password: "bench-password".into(),
            org_code: "F371502001".into(),
            role: "staff".into(),
            station: None,
        },
    )
    .await?;
    let token = accounts::create_token(&mut tx, &caller, &username, "bench").await?;
    tx.commit().await?;

    let uploads = std::env::temp_dir().join(format!("nuanxin-bench-grid-{}", std::process::id()));
    std::fs::create_dir_all(&uploads)?;
    let state = nuanxin_web::AppState::new(
        store.clone(),
        clock.clone(),
        nuanxin_web::WebConfig {
            uploads: Some(uploads.clone()),
            ..nuanxin_web::WebConfig::default()
        },
        vault,
        Arc::new(nuanxin_core::members::sms::DevSms::default()),
    );
    let router = nuanxin_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let photos: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..8)
            .map(|i| photo(i, 200_000))
            .collect::<anyhow::Result<_>>()?,
    );
    let mean = photos.iter().map(Vec::len).sum::<usize>() / photos.len();
    println!(
        "{reports} reports at {per_minute}/min by {clients} clients, photos of {} KB on average",
        mean / 1000
    );
    let (riders, token) = (Arc::new(riders), Arc::new(token));
    let run_key = clock.now();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, riders, token, photos) =
            (next.clone(), riders.clone(), token.clone(), photos.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buf = vec![0u8; 64 * 1024];
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= reports {
                    return anyhow::Ok(latencies);
                }
                let due = started + Duration::from_secs_f64(i as f64 * 60.0 / per_minute);
                tokio::time::sleep_until(due.into()).await;
                // Points around the township: inside 古城社区's boundary, near the others, or far.
                let (lat, lng) = (36.44 + (i % 37) as f64 * 0.001, 115.965 + (i % 41) as f64 * 0.001);
                let fields = [
                    ("member_no", riders[i % riders.len()].1.clone()),
                    ("client_key", format!("bench-{run_key}-{i}")),
                    ("category", "road_hazard".to_string()),
                    ("details", format!("第 {i} 处路面塌陷")),
                    ("lat", format!("{lat:.6}")),
                    ("lng", format!("{lng:.6}")),
                ];
                let boundary = format!("nuanxinbench{i}");
                let mut body = Vec::new();
                for (k, v) in fields {
                    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
                }
                body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
                body.extend_from_slice(&photos[i % photos.len()]);
                body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                let head = format!(
                    "POST /api/v1/grid/reports HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
                let status = super::super::bench_stations::read_response(&mut stream, &mut buf).await?;
                anyhow::ensure!(status == 201, "report {i}: status {status}");
                latencies.push(due.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    server.abort();
    all.sort_by(|x, y| x.total_cmp(y));
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    // Every acknowledged report is stored, with its photo on disk.
    let mut tx = store.read().await?;
    let pattern = format!("bench-{run_key}-%");
    const STORED: &str = "SELECT COUNT(*) FROM grid_reports WHERE client_key LIKE $1";
    let stored: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(STORED).bind(&pattern).fetch_one(c).await)?;
    const ROUTED: &str = "SELECT routed_by, COUNT(*) FROM grid_reports WHERE client_key LIKE $1 GROUP BY routed_by ORDER BY routed_by";
    let routed: Vec<(String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(ROUTED).bind(&pattern).fetch_all(c).await)?;
    drop(tx);
    anyhow::ensure!(
        stored as usize == all.len(),
        "{} reports acknowledged, {stored} stored",
        all.len()
    );
    let files = count_files(&uploads)?;
    anyhow::ensure!(
        files >= all.len(),
        "{} reports acknowledged, {files} photos on disk",
        all.len()
    );
    std::fs::remove_dir_all(&uploads)?;
    println!("routed: {routed:?}");
    println!("| grid reports with a {} KB photo | {} at {per_minute:.0}/min | {:.0}/min achieved | p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms |",
        mean / 1000, all.len(), all.len() as f64 * 60.0 / secs, pct(0.5), pct(0.99), pct(1.0));
    Ok(())
}

fn count_files(dir: &std::path::Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        n += if p.is_dir() { count_files(&p)? } else { 1 };
    }
    Ok(n)
}
