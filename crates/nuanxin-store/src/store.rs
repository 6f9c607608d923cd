//! The `Store`: a connection pool to SQLite (embedded default) or PostgreSQL, chosen by URL, with
//! migrations embedded in the binary and run on open.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (use sqlite://PATH or postgres://...): {0}")]
    BadUrl(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pool {
    /// Readers share `read`; writers take the one connection of `write` in turn. SQLite has one
    /// writer at a time anyway: waiting for the pool's connection is a fair queue, where waiting
    /// for the file's lock is polling with back-off, and a writer never waits for a connection
    /// behind a crowd of readers.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// The database of one Nuanxin system. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
}

/// A native connection of either backend, for `on_db!`.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// A transaction. Dropped without `commit` it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Write transactions begun on SQLite by this process, and the time spent waiting for the one
/// writer: for `/metrics` (how long a join or import queues behind another writer).
static SQLITE_WRITE_WAITS: AtomicU64 = AtomicU64::new(0);
static SQLITE_WRITE_WAIT_MICROS: AtomicU64 = AtomicU64::new(0);

/// (write transactions begun, seconds waited for the writer) on SQLite in this process.
pub fn sqlite_write_waits() -> (u64, f64) {
    (
        SQLITE_WRITE_WAITS.load(Ordering::Relaxed),
        SQLITE_WRITE_WAIT_MICROS.load(Ordering::Relaxed) as f64 / 1e6,
    )
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating an SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens without migrating.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            // WAL with synchronous=FULL: a commit is on disk when it returns, also across a crash.
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts.clone())
                .await?;
            // The writer keeps statement journals in memory: SQLite journals every page a
            // multi-row statement touches when a foreign key could make it fail halfway, and in
            // a temporary file those were millions of small writes in a large import (see
            // BENCHMARKS.md). A journal lasts one statement; readers' sorts still spill to disk.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.pragma("temp_store", "memory"))
                .await?;
            Ok(Store {
                pool: Pool::Sqlite { read, write },
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store {
                pool: Pool::Postgres(pool),
            })
        } else {
            Err(StoreError::BadUrl(url.to_string()))
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Versions of the embedded migrations of a backend, for the schema parity test.
    pub fn migration_versions(backend: Backend) -> Vec<i64> {
        let m = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter().map(|m| m.version).collect()
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A transaction for reading.
    pub async fn read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => Tx::Sqlite(read.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for writing. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so that two writers queue on the busy timeout instead of failing on lock upgrade.
    pub async fn write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite { write, .. } => {
                let asked = std::time::Instant::now();
                let tx = write.begin_with("BEGIN IMMEDIATE").await?;
                SQLITE_WRITE_WAITS.fetch_add(1, Ordering::Relaxed);
                SQLITE_WRITE_WAIT_MICROS
                    .fetch_add(asked.elapsed().as_micros() as u64, Ordering::Relaxed);
                Tx::Sqlite(tx)
            }
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Whether the database answers (`SELECT 1` in a read transaction): for `/readyz`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query("SELECT 1").execute(read).await.map(|_| ()),
            Pool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
        }
    }

    /// A consistent copy of an SQLite database in the file `path` (`VACUUM INTO`), taken while
    /// the server goes on writing. `None` for PostgreSQL, which `pg_dump` copies.
    pub async fn sqlite_copy_into(&self, path: &str) -> Option<Result<(), sqlx::Error>> {
        match &self.pool {
            Pool::Sqlite { write, .. } => Some(
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(write)
                    .await
                    .map(|_| ()),
            ),
            Pool::Postgres(_) => None,
        }
    }

    /// The same database through connections of its own (at most `max` on PostgreSQL), for work
    /// on a runtime of its own: a PostgreSQL connection is served by the runtime that opened it.
    /// SQLite's connections each run on a thread of their own, so on SQLite this is the store
    /// itself (and its one writer stays the one writer).
    pub async fn with_own_connections(&self, max: u32) -> Result<Store, StoreError> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(self.clone()),
            Pool::Postgres(p) => {
                let pool = PgPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with((*p.connect_options()).clone())
                    .await?;
                Ok(Store {
                    pool: Pool::Postgres(pool),
                })
            }
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}
