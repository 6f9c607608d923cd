//! The one place that turns domain errors into HTTP answers: statuses, JSON error bodies for the
//! API, and error pages (rendered in the request's language by `render_error_pages`). Internal
//! errors are logged and shown as a generic message, never as SQL.

use crate::i18n::{Catalogue, Lang};
use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use nuanxin_core::Error;
use serde::Serialize;

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Invalid { .. } | Error::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::Csrf => StatusCode::FORBIDDEN,
        Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        Error::Db(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn log_internal(e: &Error) {
    if matches!(e, Error::Db(_) | Error::Internal(_)) {
        tracing::error!(error = %e, "internal error");
    }
}

/// JSON error body of the API: a stable code and a message; for bad input, every problem with its
/// field (`field` repeats the first one's, as earlier clients read it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
}

/// One field's problem in an error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    /// The body for an error, with messages from the catalogue of `lang`.
    pub fn of(e: &Error, lang: Lang) -> ErrorBody {
        let cat = Catalogue::of(lang);
        let code = e.code();
        ErrorBody {
            code: code.to_string(),
            message: cat.get(code).to_string(),
            field: e.field().map(str::to_string),
            errors: e
                .field_errors()
                .map(|errs| {
                    errs.iter()
                        .map(|f| FieldErrorBody {
                            field: f.field.to_string(),
                            code: f.code.to_string(),
                            message: cat.get(f.code).to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// An error answered as JSON (messages in English; the code is the stable part).
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(e)
    }
}

impl From<nuanxin_core::DbError> for ApiError {
    fn from(e: nuanxin_core::DbError) -> ApiError {
        ApiError(Error::Db(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        log_internal(&self.0);
        let body = ErrorBody::of(&self.0, Lang::En);
        (status_of(&self.0), Json(body)).into_response()
    }
}

/// An error answered as a page. The response carries the error's code; `render_error_pages`
/// renders it in the request's language.
pub struct PageError(pub Error);

#[derive(Clone)]
struct ErrorMarker(&'static str);

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        PageError(e)
    }
}

impl From<nuanxin_core::DbError> for PageError {
    fn from(e: nuanxin_core::DbError) -> PageError {
        PageError(Error::Db(e))
    }
}

impl PageError {
    pub fn into_response_with(self, status: StatusCode) -> Response {
        log_internal(&self.0);
        let mut r = (status, self.0.code()).into_response();
        r.extensions_mut().insert(ErrorMarker(self.0.code()));
        r
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        self.into_response_with(status)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Lang,
    status: u16,
    code: &'static str,
}

impl ErrorPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }
}

/// Renders responses that carry a page error as a full error page in the request's language.
pub async fn render_error_pages(req: Request, next: Next) -> Response {
    let lang = crate::auth::lang_of(req.headers());
    let res = next.run(req).await;
    let Some(ErrorMarker(code)) = res.extensions().get::<ErrorMarker>().cloned() else {
        return res;
    };
    let status = res.status();
    let page = ErrorPage {
        lang,
        status: status.as_u16(),
        code,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => res,
    }
}
