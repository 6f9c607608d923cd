//! The audit log in the console and the API, limited to the caller's scope.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, PageError};
use crate::layout::{Ctx, SearchQuery};
use crate::respond::render;
use askama::Template;
use axum::extract::Query;
use axum::response::Html;
use axum::Json;
use nuanxin_core::audit::{self, AuditEntry};
use nuanxin_core::in_read;
use nuanxin_core::page::Page;

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

/// The rows in the caller's scope that match the search (in the action, subject or actor),
/// newest first: for the page and the API.
async fn search(auth: &Auth, q: &SearchQuery) -> Result<Page<AuditEntry>, nuanxin_core::Error> {
    in_read(&auth.app.store, async |tx| {
        audit::list(tx, &auth.caller.scope, Some(&q.text()), q.page(50)).await
    })
    .await
}

pub async fn page(auth: Auth, Query(q): Query<SearchQuery>) -> Result<Html<String>, PageError> {
    render(&ListPage {
        page: search(&auth, &q).await?,
        ctx: Ctx::new(&auth, "audit", "/audit"),
        q: q.text(),
    })
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(SearchQuery),
    responses((status = 200, description = "Audit rows concerning units in the caller's scope, newest first", body = Page<AuditEntry>)))]
pub async fn list(
    ApiAuth(auth): ApiAuth,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    Ok(Json(search(&auth, &q).await?))
}
