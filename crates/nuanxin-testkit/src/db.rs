//! Throwaway databases for tests.

use sqlx::{Connection, Executor, PgConnection};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::OnceCell;

pub struct TestDb {
    pub url: String,
    /// For PostgreSQL: the server's admin URL and the database name, to drop it afterwards.
    pg: Option<(String, String)>,
    _dir: Option<PathBuf>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();
static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nuanxin-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Migrates and loads the built-in regions into a database at `url`, then closes it.
async fn prepare(url: &str) {
    let store = nuanxin_core::Store::open(url)
        .await
        .expect("migrate template");
    nuanxin_core::regions::ensure_builtin(&store)
        .await
        .expect("load regions");
    store.close().await;
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let template = SQLITE_TEMPLATE
            .get_or_init(|| async {
                let path = scratch_dir().join("template.db");
                // A thread of its own: the template outlives the runtime of the first test.
                let url = format!("sqlite://{}", path.display());
                let u = url.clone();
                on_own_thread(async move { prepare(&u).await });
                path
            })
            .await;
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = scratch_dir().join(format!("t{n}.db"));
        std::fs::copy(template, &path).expect("copy template");
        let wal = format!("{}-wal", template.display());
        if std::path::Path::new(&wal).exists() {
            std::fs::copy(&wal, format!("{}-wal", path.display())).expect("copy template WAL");
        }
        TestDb {
            url: format!("sqlite://{}", path.display()),
            pg: None,
            _dir: Some(path),
        }
    }

    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin) = std::env::var("NUANXIN_TEST_DATABASE_URL") else {
            SKIP_NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "note: PostgreSQL tests skipped: set NUANXIN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run them"
                );
            });
            return None;
        };
        let template = PG_TEMPLATE
            .get_or_init(|| async {
                let a = admin.clone();
                on_own_thread(async move { pg_template(&a).await })
            })
            .await;
        let name = format!(
            "nxt_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect to NUANXIN_TEST_DATABASE_URL");
        let mut tries = 0;
        loop {
            match conn
                .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
                .await
            {
                Ok(_) => break,
                // Another test may be cloning the template at this moment.
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        conn.close().await.ok();
        Some(TestDb {
            url: with_database(&admin, &name),
            pg: Some((admin, name)),
            _dir: None,
        })
    }

    pub async fn drop_database(&self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = PgConnection::connect(admin).await {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
                conn.close().await.ok();
            }
        }
        if let Some(path) = &self._dir {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[start..].find('/') {
        Some(i) => &base[..start + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// The template database for this version of the schema: created once (under an advisory lock,
/// as several test binaries run at once), reused by later runs while the schema is unchanged.
async fn pg_template(admin: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for dir in ["migrations/postgres"] {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../nuanxin-store")
            .join(dir);
        let mut files: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            h.update(std::fs::read(f).unwrap());
        }
    }
    h.update(include_bytes!("../../nuanxin-core/data/regions.tsv.gz"));
    let digest: String = h
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("nuanxin_tpl_{digest}");
    let mut conn = PgConnection::connect(admin)
        .await
        .expect("connect to NUANXIN_TEST_DATABASE_URL");
    conn.execute("SELECT pg_advisory_lock(74211)")
        .await
        .unwrap();
    sweep(&mut conn).await;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    if !exists {
        let building = format!("{name}_building");
        conn.execute(format!("DROP DATABASE IF EXISTS {building}").as_str())
            .await
            .unwrap();
        conn.execute(format!("CREATE DATABASE {building}").as_str())
            .await
            .unwrap();
        prepare(&with_database(admin, &building)).await;
        conn.execute(format!("ALTER DATABASE {building} RENAME TO {name}").as_str())
            .await
            .unwrap();
    }
    conn.execute("SELECT pg_advisory_unlock(74211)")
        .await
        .unwrap();
    conn.close().await.ok();
    name
}

/// Drops test databases left by test processes that no longer run.
async fn sweep(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'nxt\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
}

/// Runs `work` to its end on a thread and runtime of its own: a template database outlives the
/// runtime of the test that made it first.
fn on_own_thread<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || tokio::runtime::Runtime::new().unwrap().block_on(work))
        .join()
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
