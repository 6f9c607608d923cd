//! Audit log: who changed what, when, from where; also every export and every view of personal
//! data. A change and its audit row share one transaction, so neither exists without the other.

use crate::page::{Page, PageRequest};
use crate::{new_id, on_db, Result, Scope, Timestamp, Tx};
use serde::Serialize;
use uuid::Uuid;

/// Who acts: a signed-in account, a partner's API token, or the operator at the shell.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub account_id: Option<Uuid>,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn operator() -> Actor {
        Actor {
            account_id: None,
            name: "operator".into(),
            ip: None,
        }
    }
}

/// Records one audited event. `scope_path` is the path of the org unit concerned: cadres whose
/// scope covers it can read the row.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    at: Timestamp,
    action: &str,
    subject: &str,
    scope_path: Option<&str>,
    detail: serde_json::Value,
) -> Result<()> {
    const SQL: &str =
        "INSERT INTO audit_log (id, at, actor_id, actor, ip, action, subject, scope_path, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let detail = detail.to_string();
    on_db!(tx.conn(), c => sqlx::query(SQL)
        .bind(new_id()).bind(at).bind(actor.account_id).bind(&actor.name).bind(&actor.ip)
        .bind(action).bind(subject).bind(scope_path).bind(&detail)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Audit rows concerning units in scope, newest first, optionally filtered by action prefix or
/// subject.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    q: Option<&str>,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    let filter = scope.sql("scope_path", 2);
    let n = 2 + scope.bind_count();
    let pattern = format!("%{}%", q.unwrap_or("").trim());
    let where_ = format!("WHERE {filter} AND (action LIKE $1 OR subject LIKE $1 OR actor LIKE $1)");
    let count_sql = format!("SELECT COUNT(*) FROM audit_log {where_}");
    let sql = format!(
        "SELECT at, actor, ip, action, subject, detail FROM audit_log {where_}
         ORDER BY at DESC, id DESC LIMIT ${n} OFFSET ${}",
        n + 1
    );
    let bounds = scope.bounds();
    let total: i64 = on_db!(tx.conn(), c => {
        let mut q = sqlx::query_scalar(&count_sql).bind(&pattern);
        for b in &bounds { q = q.bind(b); }
        q.fetch_one(c).await
    })?;
    let items = on_db!(tx.conn(), c => {
        let mut q = sqlx::query_as::<_, AuditEntry>(&sql).bind(&pattern);
        for b in &bounds { q = q.bind(b); }
        q.bind(page.limit()).bind(page.offset()).fetch_all(c).await
    })?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
