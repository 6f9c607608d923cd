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

/// A form field's text, trimmed; `None` when left empty.
pub fn filled(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A form shown again with its problems: 422, so that scripts and tests see the refusal.
pub fn invalid(html: Html<String>) -> Response {
    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response()
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

/// A spreadsheet to save.
pub fn xlsx(bytes: Vec<u8>, filename: &str) -> Response {
    file(bytes, filename, XLSX, false)
}

/// `value` as JSON to put inside a page (`<script type="application/json">`): `<`, `>` and `&`
/// (and the two line separators JavaScript once refused) are written as `\uXXXX` escapes, so
/// that no stored text (a station named `</script><script>…`) can end the block or open a tag.
/// The one way pages embed data; the scripts read it with `JSON.parse`.
pub fn json_in_html(value: &serde_json::Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::json_in_html;

    #[test]
    fn stored_text_cannot_leave_the_json_block() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script> & <!-- \u{2028}"});
        let html = json_in_html(&v);
        assert!(
            !html.contains('<') && !html.contains('>') && !html.contains('&'),
            "{html}"
        );
        let back: serde_json::Value = serde_json::from_str(&html).unwrap();
        assert_eq!(back, v, "the same value for JSON.parse");
    }
}
