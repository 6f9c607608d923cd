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
pub mod sheets;
pub mod stations;
pub mod targets;

pub use error::{Error, Result};
pub use nuanxin_store::{
    new_id, on_db, sqlite_write_waits, Backend, Role, Scope, Store, Timestamp, Tx,
};
/// The database error type, for the edges that convert it.
pub use sqlx::Error as DbError;
