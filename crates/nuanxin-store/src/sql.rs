//! `Sql`: a query assembled from parts, with `$n` placeholders numbered as arguments are added,
//! for lists whose filters vary. Bind its arguments with `bind_args!` inside `on_db!`.

use crate::Scope;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Uuid(Uuid),
    Date(chrono::NaiveDate),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}
impl From<i64> for Arg {
    fn from(i: i64) -> Arg {
        Arg::Int(i)
    }
}
impl From<chrono::NaiveDate> for Arg {
    fn from(d: chrono::NaiveDate) -> Arg {
        Arg::Date(d)
    }
}
impl From<Uuid> for Arg {
    fn from(u: Uuid) -> Arg {
        Arg::Uuid(u)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(sql: &str) -> Sql {
        Sql {
            sql: sql.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, sql: &str) -> &mut Sql {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn arg(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// Appends the condition limiting the path column `column` to `scope`.
    pub fn scope(&mut self, column: &str, scope: &Scope) -> &mut Sql {
        let cond = scope.sql(column, self.args.len() + 1);
        self.sql.push_str(&cond);
        self.args.extend(scope.bounds().into_iter().map(Arg::Text));
        self
    }
}

/// Binds every argument of a `Sql` to a native sqlx query, in order.
#[macro_export]
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                $crate::Arg::Text(s) => q.bind(s.as_str()),
                $crate::Arg::Int(i) => q.bind(*i),
                $crate::Arg::Uuid(u) => q.bind(*u),
                $crate::Arg::Date(d) => q.bind(*d),
            };
        }
        q
    }};
}
