//! The domain of Nuanxin, one folder per capability (SPEC section 3). Every function that reads or
//! changes data takes a transaction and the caller's `Scope`; web pages, the JSON API and the CLI
//! all call these same functions.

pub mod accounts;
pub mod audit;
pub mod census;
pub mod clock;
pub mod coverage;
pub mod demo;
pub mod error;
pub mod housekeeping;
pub mod members;
pub mod orgs;
pub mod page;
pub mod regions;
pub mod services;
pub mod sheets;
pub mod stations;
pub mod targets;

pub use error::{Error, Result};

/// Runs one read in a read transaction of its own (one consistent snapshot), the boundary of every
/// query a page or the API shows.
pub async fn in_read<T>(store: &Store, read: impl AsyncFnOnce(&mut Tx) -> Result<T>) -> Result<T> {
    let mut tx = store.read().await?;
    read(&mut tx).await
}

/// Runs one change in a write transaction of its own and commits it when the change succeeds
/// (an error rolls everything back): the boundary of every use case a page or the API calls,
/// so that handlers never hold a transaction.
pub async fn in_write<T>(
    store: &Store,
    change: impl AsyncFnOnce(&mut Tx) -> Result<T>,
) -> Result<T> {
    let mut tx = store.write().await?;
    let value = change(&mut tx).await?;
    tx.commit().await?;
    Ok(value)
}
pub use nuanxin_store::{
    new_id, on_db, sqlite_write_waits, Backend, Role, Scope, Store, Timestamp, Tx,
};
/// The database error type, for the edges that convert it.
pub use sqlx::Error as DbError;
