//! Prospects: workers the union knows of (from a partner push or the census) who are not members.
//! They count in the membership rate's denominator; a cadre lists them and invites them by SMS
//! with the join link of their union.

use crate::accounts::Caller;
use crate::members::identity::Phone;
use crate::members::sms::SmsSender;
use crate::page::{Page, PageRequest};
use crate::{audit, on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, Sql};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Prospect {
    pub id: Uuid,
    pub name: String,
    /// Masked: 138****5678.
    pub phone: Option<String>,
    pub group: String,
    pub employer: Option<String>,
    pub work_region: Option<String>,
    pub org_code: String,
    pub org_name: String,
    pub source: String,
    pub created_at: i64,
    pub invited_at: Option<i64>,
    /// Whether the person has since become a member anywhere.
    pub member: bool,
}

const SELECT: &str = "SELECT p.id, p.name, p.phone, p.worker_group AS \"group\", p.employer, p.work_region, o.code AS org_code,
        o.name AS org_name, p.source, p.created_at, p.invited_at,
        EXISTS (SELECT 1 FROM people pe JOIN memberships m ON m.person_id = pe.id
                WHERE pe.id_hash = p.id_hash AND m.status = 'active') AS member
    FROM prospects p JOIN org_units o ON o.id = p.org_id";

/// Prospects at units in scope (of the subtree of `org` when given), newest first.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    org: Option<&str>,
    q: Option<&str>,
    page: PageRequest,
) -> Result<Page<Prospect>> {
    let narrowed = match org.filter(|o| !o.trim().is_empty()) {
        Some(code) => {
            let unit = orgs::get(tx, scope, code).await?;
            Some(scope.within(&unit.path).ok_or(Error::NotFound)?)
        }
        None => None,
    };
    let mut w = Sql::new(" WHERE ");
    w.scope("o.path", narrowed.as_ref().unwrap_or(scope));
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        w.push(" AND (p.name LIKE ")
            .arg(format!("%{q}%"))
            .push(" OR p.employer LIKE ")
            .arg(format!("%{q}%"))
            .push(")");
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM prospects p JOIN org_units o ON o.id = p.org_id{}",
        w.sql
    );
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count_sql), &w.args).fetch_one(c).await)?;
    let mut sql = Sql {
        sql: format!("{SELECT}{} ORDER BY p.created_at DESC, p.id LIMIT ", w.sql),
        args: w.args,
    };
    sql.arg(page.limit()).push(" OFFSET ").arg(page.offset());
    let mut items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Prospect>(&sql.sql), &sql.args).fetch_all(c).await)?;
    for p in &mut items {
        p.phone = p
            .phone
            .as_deref()
            .and_then(|s| Phone::parse(s).ok())
            .map(|p| p.mask());
    }
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Sends an invitation SMS with the join link of the prospect's union (`link_of(org_code)`
/// gives the link) and notes when. Members are not invited again.
pub async fn invite(
    tx: &mut Tx,
    caller: &Caller,
    sms: &dyn SmsSender,
    id: Uuid,
    link: &str,
) -> Result<()> {
    let mut q = Sql::new("SELECT p.phone, o.path, o.name FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE p.id = ");
    q.arg(id).push(" AND ").scope("o.path", &caller.scope);
    let row: Option<(Option<String>, String, String)> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_optional(c).await)?;
    let (phone, path, org_name) = row.ok_or(Error::NotFound)?;
    if caller.scope.role_at(&path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let phone = phone
        .as_deref()
        .and_then(|p| Phone::parse(p).ok())
        .ok_or(Error::invalid("phone", "census.prospect_without_phone"))?;
    let text = format!("【暖新】{org_name}邀请您加入工会，扫码或打开 {link} 一分钟完成入会。");
    sms.send(&phone, &text)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("sms: {e}")))?;
    const SQL: &str = "UPDATE prospects SET invited_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        &caller.actor,
        caller.at,
        "census.invite",
        &id.to_string(),
        Some(&path),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

/// The code of the union a prospect is known at, in scope.
pub async fn union_of(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<String> {
    let mut q = Sql::new(
        "SELECT o.code FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE p.id = ",
    );
    q.arg(id).push(" AND ").scope("o.path", scope);
    on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}
