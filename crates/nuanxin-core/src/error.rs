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
    /// Every problem of a form or a sheet row at once (a draft's `parse`), so that a page and the
    /// API answer the same bad input the same way.
    #[error("{0}")]
    Fields(FieldErrors),
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
    /// A form or request that changes something came without the session's CSRF token (or with
    /// another): refused, whoever is signed in.
    #[error("missing or wrong CSRF token")]
    Csrf,
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
            Error::Fields(errs) => errs.first().map_or("errors.invalid", |e| e.code),
            Error::Forbidden => "errors.forbidden",
            Error::RateLimited => "errors.rate_limited",
            Error::Busy { code } => code,
            Error::Unauthenticated { code } => code,
            Error::Csrf => "errors.csrf",
            Error::Db(_) | Error::Internal(_) => "errors.internal",
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } | Error::Conflict { field, .. } => Some(field),
            Error::Fields(errs) => errs.first().map(|e| e.field),
            _ => None,
        }
    }

    /// The problems of a form's fields, when this error is about them (invalid or taken values);
    /// `None` for every other error.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            Error::Invalid { field, code } | Error::Conflict { field, code } => {
                Some(FieldErrors::one(field, code))
            }
            Error::Fields(errs) => Some(errs.clone()),
            _ => None,
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(errs: FieldErrors) -> Error {
        Error::Fields(errs)
    }
}

/// One field's problem: the field's key (`phone`, or a sheet column's key) and the message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

/// Every problem of one form or one sheet row, in the order they were found. A draft's `parse`
/// collects them all, so that the person filling the form sees every mistake at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    pub fn one(field: &'static str, code: &'static str) -> FieldErrors {
        FieldErrors(vec![FieldError { field, code }])
    }

    pub fn push(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError { field, code });
    }

    /// Records the error of a check that failed (its field, or `fallback` when it names none).
    pub fn take(&mut self, fallback: &'static str, e: &Error) {
        self.push(e.field().unwrap_or(fallback), e.code());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// The message key of the first problem with `field`, if any.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.code))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Compares with `vec![(field, code), …]`, as tests write the expected problems.
impl PartialEq<Vec<(&'static str, &'static str)>> for FieldErrors {
    fn eq(&self, other: &Vec<(&'static str, &'static str)>) -> bool {
        self.0.len() == other.len()
            && self
                .0
                .iter()
                .zip(other)
                .all(|(a, (f, c))| a.field == *f && a.code == *c)
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
