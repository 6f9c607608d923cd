//! The spreadsheet upload form every import page shares: a `file` field and a `dry_run` box.

use crate::error::PageError;
use axum::extract::Multipart;
use nuanxin_core::Error;

pub struct Upload {
    pub bytes: Vec<u8>,
    pub dry_run: bool,
}

pub async fn read(mut multipart: Multipart) -> Result<Upload, PageError> {
    let mut upload = Upload {
        bytes: Vec::new(),
        dry_run: false,
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => {
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| Error::Internal(e.into()))?
                    .to_vec()
            }
            Some("dry_run") => upload.dry_run = true,
            _ => {}
        }
    }
    Ok(upload)
}

/// What is wrong with an uploaded sheet, in the page's language, with its detail (the missing
/// column, the claimed size).
pub fn sheet_error(ctx: &crate::layout::Ctx, e: &nuanxin_core::sheets::SheetError) -> String {
    let message = ctx.t(e.code());
    match e.detail() {
        Some(detail) => format!("{message}: {detail}"),
        None => message.to_string(),
    }
}
