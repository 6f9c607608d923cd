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

/// Text as the audit log may keep it (a search typed by a user, say): the middle of every run of
/// seven or more digits (or `X`) is masked, so that no whole ID number or phone is ever stored.
pub fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |c: char| c.is_ascii_digit() || c == 'X' || c == 'x';
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && digit(chars[i]) {
            i += 1;
        }
        let run = i - start;
        if run >= 7 {
            out.extend(&chars[start..start + 3]);
            out.extend(std::iter::repeat_n('*', run - 5));
            out.extend(&chars[i - 2..i]);
        } else {
            out.extend(&chars[start..i]);
        }
        if i < chars.len() && !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_digit_runs;
    use proptest::prelude::*;

    #[test]
    fn long_digit_runs_are_masked_and_the_rest_kept() {
        assert_eq!(mask_digit_runs("手机13806351234"), "手机138******34");
        assert_eq!(
            mask_digit_runs("37150219900101123X 张三"),
            "371*************3X 张三"
        );
        assert_eq!(mask_digit_runs("F3715020011 第12号"), "F371*****11 第12号");
        assert_eq!(mask_digit_runs("123456 张三"), "123456 张三");
    }

    proptest! {
        #[test]
        fn no_seven_digits_survive_in_a_row(text in "[0-9Xx张 a-]{0,40}") {
            let masked = mask_digit_runs(&text);
            let longest = masked
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            prop_assert!(longest < 7, "{masked}");
            prop_assert_eq!(masked.chars().count(), text.chars().count());
        }
    }
}
