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
pub use store::{sqlite_write_waits, Backend, Conn, Store, StoreError, Tx};

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
/// starting at `$1`. On SQLite they are anonymous (`(?, ?), (?, ?)`) and bound in the order they
/// appear, so every placeholder of such a statement must come from these functions (sqlx numbers
/// anonymous placeholders apart from `$n` ones). Why: sqlx looks every `$n` up by name, which
/// SQLite does by a linear search; a statement of 16,000 `$n` spent 80% of a bulk import there.
pub fn values_placeholders(backend: Backend, rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        out.push_str(&list_placeholders(backend, cols, first + r * cols));
        out.push(')');
    }
    out
}

/// Placeholders for an `IN (…)` list or one row: `$3, $4, $5` for 3 starting at `$3` (`?, ?, ?`
/// on SQLite, see [`values_placeholders`]).
pub fn list_placeholders(backend: Backend, n: usize, first: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        match backend {
            Backend::Sqlite => out.push('?'),
            Backend::Postgres => {
                out.push('$');
                out.push_str(&(first + i).to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_positional_on_sqlite() {
        assert_eq!(
            values_placeholders(Backend::Postgres, 2, 2, 3),
            "($3, $4), ($5, $6)"
        );
        assert_eq!(
            values_placeholders(Backend::Sqlite, 2, 2, 3),
            "(?, ?), (?, ?)"
        );
        assert_eq!(list_placeholders(Backend::Postgres, 3, 1), "$1, $2, $3");
        assert_eq!(list_placeholders(Backend::Sqlite, 1, 1), "?");
        assert_eq!(list_placeholders(Backend::Sqlite, 0, 1), "");
    }
}
