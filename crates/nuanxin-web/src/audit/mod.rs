//! The audit log in the console and the API, limited to the caller's scope.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, PageError};
use crate::layout::Ctx;
use crate::respond::render;
use askama::Template;
use axum::extract::Query;
use axum::response::Html;
use axum::Json;
use nuanxin_core::audit::{self, AuditEntry};
use nuanxin_core::in_read;
use nuanxin_core::page::{Page, PageRequest};
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Text found in the action, subject or actor.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    ctx: Ctx,
    q: String,
    page: Page<AuditEntry>,
}

impl ListPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::searched(&self.page, "/audit", &self.q)
    }

    fn action_label(&self, action: &str) -> String {
        let key = format!("audit.action.{}", action.replace('.', "_"));
        let cat = crate::i18n::Catalogue::of(self.ctx.lang);
        if cat.has(&key) {
            cat.get(&key).to_string()
        } else {
            action.to_string()
        }
    }
}

pub async fn page(auth: Auth, Query(q): Query<AuditQuery>) -> Result<Html<String>, PageError> {
    let search = q.q.unwrap_or_default();
    let page = in_read(&auth.app.store, async |tx| {
        let page = PageRequest::new(q.page, Some(50));
        audit::list(tx, &auth.caller.scope, Some(&search), page).await
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(&auth, "audit", "/audit"),
        q: search,
        page,
    })
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "Audit rows concerning units in the caller's scope, newest first", body = Page<AuditEntry>)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let page = in_read(&auth.app.store, async |tx| {
        let page = PageRequest::new(q.page, q.per_page);
        audit::list(tx, &auth.caller.scope, q.q.as_deref(), page).await
    })
    .await?;
    Ok(Json(page))
}
