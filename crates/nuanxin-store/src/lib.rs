//! Storage plumbing: one `Store` over SQLite or PostgreSQL, transactions, the `on_db!` macro that
//! runs one query body against whichever backend is open, migrations, application-generated ids,
//! and `Scope`, the one mechanism that limits every query to the caller's subtrees.
//! It never names a capability: tables and rules belong to `nuanxin-core`.

mod ids;
mod scope;
mod sql;
mod store;

pub use ids::{new_id, Timestamp};
pub use scope::{subtree_range, Role, Scope, ScopeRoot};
pub use sql::{Arg, Sql};
pub use store::{Backend, Conn, Store, StoreError, Tx};

/// Runs `$body` with `$c` bound to the native connection of whichever backend is open, so that a
/// query is written once and type-checked against both drivers.
#[macro_export]
macro_rules! on_db {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}

/// Placeholders for a multi-row `VALUES` list: `($1, $2), ($3, $4)` for 2 rows of 2 columns
/// starting at `$1`.
pub fn values_placeholders(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * cols + c).to_string());
        }
        out.push(')');
    }
    out
}
