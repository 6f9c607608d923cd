//! Answers every page handler shares: a rendered template, a file download.

use crate::error::PageError;
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use nuanxin_core::Error;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn render<T: Template>(t: &T) -> Result<Html<String>, PageError> {
    Ok(Html(t.render().map_err(|e| Error::Internal(e.into()))?))
}

/// A file to save (`attachment`) or to show in the browser (`inline`).
pub fn file(bytes: Vec<u8>, filename: &str, content_type: &str, inline: bool) -> Response {
    let disposition = if inline { "inline" } else { "attachment" };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
