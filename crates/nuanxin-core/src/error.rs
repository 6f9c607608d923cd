//! One small error enum for the whole domain. `code` is a stable key (`orgs.code_taken`) that
//! finds its message in the web layer's catalogues and appears in JSON error bodies.

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Also the answer for a record that exists outside the caller's scope.
    #[error("not found")]
    NotFound,
    #[error("{field}: {code}")]
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    #[error("{field}: {code}")]
    Conflict {
        field: &'static str,
        code: &'static str,
    },
    #[error("not allowed for this role")]
    Forbidden,
    #[error("too many attempts")]
    RateLimited,
    /// The server as a whole has reached a limit (the hourly cap of SMS sent): not the caller's
    /// fault, try later.
    #[error("busy: {code}")]
    Busy { code: &'static str },
    #[error("not signed in")]
    Unauthenticated { code: &'static str },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &'static str, code: &'static str) -> Error {
        Error::Invalid { field, code }
    }

    pub fn conflict(field: &'static str, code: &'static str) -> Error {
        Error::Conflict { field, code }
    }

    /// The stable message key of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "errors.not_found",
            Error::Invalid { code, .. } | Error::Conflict { code, .. } => code,
            Error::Forbidden => "errors.forbidden",
            Error::RateLimited => "errors.rate_limited",
            Error::Busy { code } => code,
            Error::Unauthenticated { code } => code,
            Error::Db(_) | Error::Internal(_) => "errors.internal",
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } | Error::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Turns a unique-constraint violation into a field conflict; SQLite does not name the violated
/// constraint, so the caller says which field a unique violation of this statement means.
pub trait OnUnique<T> {
    fn on_unique(self, field: &'static str, code: &'static str) -> Result<T>;
}

impl<T> OnUnique<T> for std::result::Result<T, sqlx::Error> {
    fn on_unique(self, field: &'static str, code: &'static str) -> Result<T> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Error::conflict(field, code),
            _ => Error::Db(e),
        })
    }
}

/// A problem with one cell (or row) of an imported spreadsheet. `row` is the row number as Excel
/// shows it (the header is row 1); `column` is the header as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub code: &'static str,
}
