//! `nuanxin bench joins --http`: durable joins through the JSON API on loopback, as a worker's
//! phone makes them: ask for an SMS code, then join with it. The server runs in this process
//! (client and server share the machine's cores) with an SMS sender that hands the codes to the
//! clients instead of a gateway. Each client keeps one keep-alive connection; in the timed phase
//! the joins are sent at a fixed total rate (open loop: a slow answer does not slow the next
//! request), and each latency counts from the moment its request was due, so a server that falls
//! behind shows it in the percentiles. `--rate 0` sends as fast as the clients can (closed loop).

use nuanxin_core::members::identity::Phone;
use nuanxin_core::members::sms::SmsSender;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

pub struct Args {
    pub database: String,
    pub clients: usize,
    pub joins: usize,
    /// Joins per second offered in all; 0 for as fast as possible.
    pub rate: f64,
}

/// Hands each code to the benchmark's clients: no log line, no gateway.
#[derive(Default)]
struct CodesToClients(Mutex<HashMap<String, String>>);

impl SmsSender for CodesToClients {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>> {
        let code = text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_default()
            .to_string();
        self.0
            .lock()
            .expect("not poisoned")
            .insert(phone.as_str().to_string(), code);
        Box::pin(async { Ok(()) })
    }
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let store = nuanxin_core::Store::open(&a.database).await?;
    nuanxin_core::regions::ensure_builtin(&store).await?;
    let clock = nuanxin_core::clock::Clock::system();
    nuanxin_core::demo::load(&store, &clock).await?;
    let caller = nuanxin_core::accounts::Caller::operator(&clock);
    let mut tx = store.write().await?;
    let code =
        nuanxin_core::members::rotate_code(&mut tx, &caller, "JU371502001", "qr", true).await?;
    tx.commit().await?;
    let sms = Arc::new(CodesToClients::default());
    let state = nuanxin_web::AppState::new(
        store.clone(),
        clock.clone(),
        nuanxin_web::WebConfig {
            trust_forwarded_for: true, // each bench client plays its own address
            sms_per_hour: u32::MAX,    // tens of thousands of codes in a minute, on purpose
            ..nuanxin_web::WebConfig::default()
        },
        super::serve::vault()?,
        sms.clone(),
    );
    let router = nuanxin_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let offset = clock.now() as usize % 1_000_000 * 7;
    let person = move |i: usize| {
        (
            super::bench::members::id_number(offset + i),
            format!("139{:08}", (offset + i) % 100_000_000),
        )
    };

    // 1. SMS codes, one per phone (not timed as joins: in life they come a minute earlier).
    // Every 25 phones share a client address, under the limit of 30 codes per address and hour.
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (next, code) = (next.clone(), code.code.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= a.joins {
                    return anyhow::Ok(());
                }
                let body = serde_json::json!({"phone": person(i).1}).to_string();
                // Addresses follow the people (as phones do), so a second run on the same
                // database does not reuse the addresses of the first within the hour.
                let n = (offset + i) / 25;
                let ip = format!("10.{}.{}.{}", n / 65_536 % 256, n / 256 % 256, n % 256);
                let status = conn
                    .post(&format!("/api/v1/join/{code}/sms"), &ip, &body)
                    .await?;
                anyhow::ensure!(status == 204, "SMS code for join {i}: status {status}");
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!(
        "{} SMS codes requested over HTTP in {:.1} s ({:.0}/s)",
        a.joins,
        started.elapsed().as_secs_f64(),
        a.joins as f64 / started.elapsed().as_secs_f64()
    );
    let codes = Arc::new(std::mem::take(&mut *sms.0.lock().expect("not poisoned")));

    // 2. The joins.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (next, code, codes) = (next.clone(), code.code.clone(), codes.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(addr).await?;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= a.joins {
                    return anyhow::Ok(latencies);
                }
                let due = match a.rate > 0.0 {
                    true => started + Duration::from_secs_f64(i as f64 / a.rate),
                    false => Instant::now(),
                };
                tokio::time::sleep_until(due.into()).await;
                let (id_number, phone) = person(i);
                let body = serde_json::json!({
                    "name": "测试会员", "id_number": id_number, "phone": phone, "group": "courier",
                    "consent": true, "request_key": format!("bench-{offset}-{i}"), "sms_code": codes[&phone],
                })
                .to_string();
                let status = conn.post(&format!("/api/v1/join/{code}"), "10.255.0.1", &body).await?;
                anyhow::ensure!(status == 200, "join {i}: status {status}");
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
    // Every acknowledged join must be in the database.
    let mut tx = store.read().await?;
    const COUNT: &str =
        "SELECT COUNT(*) FROM memberships WHERE request_key LIKE $1 AND status = 'active'";
    let pattern = format!("bench-{offset}-%");
    let stored: i64 = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar(COUNT).bind(&pattern).fetch_one(c).await)?;
    anyhow::ensure!(
        stored as usize == all.len(),
        "{} joins acknowledged, {stored} stored",
        all.len()
    );
    println!(
        "| {:?} | {} | {} | {:.0} joins/s | {:.1} ms | {:.1} ms | {:.1} ms |",
        store.backend(),
        a.clients,
        if a.rate > 0.0 {
            format!("{:.0}/s", a.rate)
        } else {
            "as fast as answered".into()
        },
        all.len() as f64 / secs,
        pct(0.5),
        pct(0.99),
        pct(1.0),
    );
    Ok(())
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Conn> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(Conn {
        stream,
        buf: vec![0u8; 64 * 1024],
    })
}

impl Conn {
    async fn post(&mut self, path: &str, client_ip: &str, body: &str) -> anyhow::Result<u16> {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nX-Forwarded-For: {client_ip}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await?;
        super::bench_stations::read_response(&mut self.stream, &mut self.buf).await
    }
}
