//! Crash safety on SQLite: a client keeps joining through the JSON API while the server is killed
//! with SIGKILL several times and restarted on the same database and port. Every join the server
//! acknowledged (200 with a membership) must be in the database afterwards, complete: its person,
//! its membership number and its `joined` event.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a step that fails fails the test, with its message"
)]

use nuanxin_testkit::TestDb;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Kill/restart cycles and acknowledged joins the test keeps going for (within `BUDGET`).
const MIN_KILLS: usize = 10;
const MIN_ACKS: usize = 100;
/// The least that must have happened within the budget for the test to pass.
const REQUIRED_KILLS: usize = 4;
const REQUIRED_ACKS: usize = 60;
const BUDGET: Duration = Duration::from_secs(40);

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client: one request per connection, short timeouts.

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Reply> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_reply(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("incomplete response ({} bytes)", raw.len()),
        )
    })
}

/// A complete response, or `None` when it was cut off (the server died while answering).
fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut out = Vec::new();
        let mut rest = rest;
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n")?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..nl]).ok()?.trim(), 16).ok()?;
            rest = &rest[nl + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
        out
    } else if let Some(len) = get("content-length") {
        rest.get(..len.parse::<usize>().ok()?)?.to_vec()
    } else {
        rest.to_vec()
    };
    Some(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn healthy(port: u16) -> bool {
    matches!(http(port, "GET", "/healthz", &[], ""), Ok(r) if r.status == 200)
}

// ---------------------------------------------------------------------------------------------
// The server under test.

struct Server {
    url: String,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
    starts: usize,
}

impl Server {
    /// Starts `nuanxin demo` (first time) or `nuanxin serve` and waits until `/healthz` answers.
    fn start(&mut self, demo: bool) -> Duration {
        assert!(self.child.is_none());
        let began = Instant::now();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let listen = format!("127.0.0.1:{}", self.port);
        let mut child = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
            .args(["--database", &self.url])
            .args([if demo { "demo" } else { "serve" }, "--listen", &listen])
            .arg("--trust-forwarded-for") // the clients play many phones' addresses
            .env("NUANXIN_LOG", "warn")
            .env("NUANXIN_DEV_KEYS", "1")
            .env("NO_COLOR", "1")
            .env_remove("NUANXIN_DATABASE_URL")
            .env_remove("NUANXIN_LISTEN")
            .env_remove("NUANXIN_SMS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        self.starts += 1;
        let deadline = began + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "server start #{} exited with {status}:\n{}",
                    self.starts,
                    tail(&self.log)
                );
            }
            if healthy(self.port) {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server start #{} not healthy within 60 s:\n{}",
                    self.starts,
                    tail(&self.log)
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        self.child = Some(child);
        began.elapsed()
    }

    /// SIGKILL, then reap the process.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------------------------
// Test data.

/// A valid 18-digit resident ID number: Dongchangfu district, born 1990-01-01 plus `i` days.
fn id_number(i: usize) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(i as u64);
    let body = format!("371502{}{:03}", born.format("%Y%m%d"), (i * 7 + 3) % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// A distinct phone per join; its masked form (`139****0042`) is what the server logs.
fn phone(i: usize) -> (String, String) {
    (format!("1390000{i:04}"), format!("139****{i:04}"))
}

/// The code of the last development SMS logged for the masked phone.
fn sms_code(log: &Path, masked: &str) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains(masked) && l.contains("验证码是"))?;
    let after = &line[line.find("验证码是")? + "验证码是".len()..];
    let code: String = after
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (code.len() == 6).then_some(code)
}

/// A small xorshift generator: random enough for kill moments, seeded from the clock.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ---------------------------------------------------------------------------------------------
// The client.

#[derive(Debug, Clone)]
struct Ack {
    i: usize,
    membership_id: String,
    status: String,
    member_no: Option<String>,
}

#[derive(Default, Debug)]
struct Tally {
    attempts: usize,
    /// The server was down: connection refused.
    refused: usize,
    /// The SMS request died with the server.
    sms_cut: usize,
    /// 204 but the code never reached the log (killed between commit and log line).
    sms_unlogged: usize,
    /// The join request died with the server (the kill landed mid-join).
    join_cut: usize,
    /// ... and its retry with the same request key and SMS code was then acknowledged.
    retry_acked: usize,
    /// ... or refused because the SMS code had been used up by the lost request: the joins.
    retry_code_used: Vec<usize>,
    /// Anything else: a status the server should not give.
    unexpected: Vec<String>,
}

fn client(
    port: u16,
    join_code: &str,
    log: &Path,
    stop: &AtomicBool,
    acks: &Mutex<Vec<Ack>>,
) -> Tally {
    let mut t = Tally::default();
    let json = ("Content-Type", "application/json");
    for i in 0..10_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        t.attempts += 1;
        let (phone, masked) = phone(i);
        let xff = format!("10.0.{}.{}", i / 250, i % 250);
        let headers = [json, ("X-Forwarded-For", xff.as_str())];
        match http(
            port,
            "POST",
            &format!("/api/v1/join/{join_code}/sms"),
            &headers,
            &serde_json::json!({ "phone": phone }).to_string(),
        ) {
            Ok(r) if r.status == 204 => {}
            Ok(r) => {
                t.unexpected
                    .push(format!("sms #{i}: {} {}", r.status, r.body));
                continue;
            }
            Err(e) => {
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    t.refused += 1;
                } else {
                    t.sms_cut += 1;
                }
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        }
        let Some(code) = sms_code(log, &masked) else {
            t.sms_unlogged += 1;
            continue;
        };
        let body = serde_json::json!({
            "name": "测试", "id_number": id_number(i), "phone": phone, "group": "courier",
            "consent": true, "request_key": format!("k-{i}"), "sms_code": code,
        })
        .to_string();
        let path = format!("/api/v1/join/{join_code}");
        let reply = match http(port, "POST", &path, &headers, &body) {
            Ok(r) => r,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    t.refused += 1;
                    continue;
                }
                t.join_cut += 1;
                // Once the server is back, submit the same join again.
                let back = Instant::now() + Duration::from_secs(60);
                while !healthy(port) && Instant::now() < back && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(25));
                }
                match http(port, "POST", &path, &headers, &body) {
                    Ok(r) if r.status == 200 => {
                        t.retry_acked += 1;
                        r
                    }
                    Ok(r) if r.status == 422 && r.body.contains("members.sms_code_expired") => {
                        t.retry_code_used.push(i);
                        continue;
                    }
                    Ok(r) => r,
                    Err(_) => continue,
                }
            }
        };
        let v = reply.json();
        match (reply.status, v["membership_id"].as_str()) {
            (200, Some(id)) => acks.lock().unwrap().push(Ack {
                i,
                membership_id: id.to_string(),
                status: v["status"].as_str().unwrap_or_default().to_string(),
                member_no: v["member_no"].as_str().map(str::to_string),
            }),
            _ => t
                .unexpected
                .push(format!("join #{i}: {} {}", reply.status, reply.body)),
        }
    }
    t
}

// ---------------------------------------------------------------------------------------------

async fn scalar(store: &nuanxin_core::Store, sql: &str, id: Option<sqlx::types::Uuid>) -> i64 {
    let mut tx = store.read().await.unwrap();
    let n = nuanxin_core::on_db!(tx.conn(), c => {
        let q = sqlx::query_scalar::<_, i64>(sql);
        match id {
            Some(id) => q.bind(id).fetch_one(c).await,
            None => q.fetch_one(c).await,
        }
    })
    .unwrap();
    drop(tx);
    n
}

async fn by_request_key(store: &nuanxin_core::Store, key: &str) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM memberships WHERE request_key = $1";
    let mut tx = store.read().await.unwrap();
    let n = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar::<_, i64>(SQL).bind(key).fetch_one(c).await)
        .unwrap();
    drop(tx);
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_joins_survive_sigkill() {
    let db = TestDb::sqlite().await;
    let dir = std::env::temp_dir().join(format!("nuanxin-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("server.log");
    let _ = std::fs::remove_file(&log);
    let mut server = Server {
        url: db.url.clone(),
        port: free_port(),
        log: log.clone(),
        child: None,
        starts: 0,
    };
    let began = Instant::now();
    let first = server.start(true);
    let port = server.port;

    // Sign in as the township cadre and make an auto-approving QR join code.
    let creds = serde_json::json!({ "username": "gulou", "password": "nuanxin-demo" });
    let json = ("Content-Type", "application/json");
    let r = http(port, "POST", "/api/v1/session", &[json], &creds.to_string()).unwrap();
    assert_eq!(r.status, 200, "sign in: {}", r.body);
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string();
    assert!(cookie.starts_with("nx_session="), "{cookie}");
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    let r = http(
        port,
        "POST",
        "/api/v1/orgs/JU371502001/join-codes",
        &[json, ("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        r#"{"channel":"qr","auto_approve":true}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200, "join code: {}", r.body);
    let join_code = r.json()["code"].as_str().unwrap().to_string();

    // The client joins while this thread kills and restarts the server.
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let worker = {
        let (stop, acks, log) = (stop.clone(), acks.clone(), log.clone());
        std::thread::spawn(move || client(port, &join_code, &log, &stop, &acks))
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let (mut kills, mut restart_max) = (0, Duration::ZERO);
    let deadline = began + BUDGET;
    while (kills < MIN_KILLS || acks.lock().unwrap().len() < MIN_ACKS) && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(300 + rng.below(700)));
        server.kill();
        kills += 1;
        std::thread::sleep(Duration::from_millis(rng.below(100)));
        restart_max = restart_max.max(server.start(false));
    }
    // A last stretch without kills, then stop the client and kill the server for good.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let tally = worker.join().unwrap();
    server.kill();
    let acks = acks.lock().unwrap().clone();
    eprintln!(
        "crash test: seed {seed}, {kills} kills, {} acknowledged joins, first start {first:?}, \
         slowest restart {restart_max:?}, {:?} in all; {tally:?}",
        acks.len(),
        began.elapsed()
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("panicked"))
        .collect();
    if !errors.is_empty() {
        eprintln!("server log errors:\n{}", errors.join("\n"));
    }

    // Every acknowledged join is there, whole.
    let store = nuanxin_core::Store::open(&db.url).await.unwrap();
    for ack in &acks {
        let id: sqlx::types::Uuid = ack.membership_id.parse().unwrap();
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM memberships WHERE id = $1",
                Some(id)
            )
            .await,
            1,
            "acknowledged join #{} ({}) is missing",
            ack.i,
            ack.membership_id
        );
        assert_eq!(ack.status, "active", "auto-approved: {ack:?}");
        assert!(ack.member_no.is_some(), "{ack:?}");
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM memberships m JOIN people p ON p.id = m.person_id
                    WHERE m.id = $1 AND m.status = 'active' AND m.member_no IS NOT NULL",
                Some(id)
            )
            .await,
            1,
            "acknowledged join #{} is not whole",
            ack.i
        );
    }
    let checks = [
        (
            "memberships without their person",
            "SELECT COUNT(*) FROM memberships m LEFT JOIN people p ON p.id = m.person_id WHERE p.id IS NULL",
        ),
        (
            "active memberships without a number",
            "SELECT COUNT(*) FROM memberships WHERE status = 'active' AND member_no IS NULL",
        ),
        (
            "active memberships without a joined event",
            "SELECT COUNT(*) FROM memberships m WHERE m.status = 'active' AND NOT EXISTS
                (SELECT 1 FROM membership_events e WHERE e.membership_id = m.id AND e.event = 'joined')",
        ),
        (
            "memberships without a requested event",
            "SELECT COUNT(*) FROM memberships m WHERE m.channel = 'qr' AND NOT EXISTS
                (SELECT 1 FROM membership_events e WHERE e.membership_id = m.id AND e.event = 'requested')",
        ),
        (
            "joining people without a membership (a join is one transaction)",
            "SELECT COUNT(*) FROM people p WHERE p.phone LIKE '1390000%' AND NOT EXISTS
                (SELECT 1 FROM memberships m WHERE m.person_id = p.id)",
        ),
    ];
    for (what, sql) in checks {
        assert_eq!(scalar(&store, sql, None).await, 0, "{what}");
    }
    // A join whose answer was lost and whose retry was refused (its SMS code used up): did the
    // first request commit? Reported, not asserted: such joins were never acknowledged.
    let mut committed = Vec::new();
    for i in &tally.retry_code_used {
        if by_request_key(&store, &format!("k-{i}")).await > 0 {
            committed.push(*i);
        }
    }
    if !committed.is_empty() {
        eprintln!(
            "note: joins {committed:?} were committed, but their retry with the same request_key \
             was refused with members.sms_code_expired instead of returning the first answer"
        );
    }
    store.close().await;

    assert!(
        tally.unexpected.is_empty(),
        "unexpected answers: {:#?}",
        tally.unexpected
    );
    assert!(
        kills >= REQUIRED_KILLS,
        "only {kills} kill/restart cycles in {BUDGET:?}"
    );
    assert!(
        acks.len() >= REQUIRED_ACKS,
        "only {} acknowledged joins in {BUDGET:?}",
        acks.len()
    );
    db.drop_database().await;
    if std::env::var_os("NUANXIN_CRASH_KEEP_LOG").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
