//! API tokens for partner systems (`Authorization: Bearer TOKEN`). A token acts as the account
//! it belongs to, with that account's scope; it is shown once and stored only as its SHA-256.

use super::queries::{account_by_id, account_by_username, assignments_of, scope_of};
use super::sessions::{random_token, token_hash};
use super::Caller;
use crate::audit::Actor;
use crate::clock::Clock;
use crate::{on_db, Error, Result, Role, Store, Tx};
use nuanxin_store::{bind_args, Sql};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub username: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Creates a token for `username`, an account the caller administers in every one of its posts.
/// Returns the token in plain text: it is never shown again.
pub async fn create_token(
    tx: &mut Tx,
    caller: &Caller,
    username: &str,
    name: &str,
) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "accounts.bad_token_name"));
    }
    let account = account_by_username(tx, username)
        .await?
        .ok_or(Error::NotFound)?;
    let posts = assignments_of(tx, account.id).await?;
    if posts.is_empty()
        || posts
            .iter()
            .any(|p| caller.scope.role_at(&p.org_path).is_none())
    {
        return Err(Error::NotFound);
    }
    if posts
        .iter()
        .any(|p| caller.scope.role_at(&p.org_path) != Some(Role::Admin))
    {
        return Err(Error::Forbidden);
    }
    let token = format!("nx_{}", random_token());
    const SQL: &str = "INSERT INTO api_tokens (id, account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(nuanxin_store::new_id()).bind(account.id).bind(name)
        .bind(token_hash(&token)).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "tokens.create",
            username,
            Some(&posts[0].org_path),
            serde_json::json!({"name": name}),
        )
        .await?;
    Ok(token)
}

/// The caller a bearer token stands for, or `None` for an unknown or revoked token.
pub async fn authenticate_token(
    store: &Store,
    clock: &Clock,
    token: &str,
    ip: Option<String>,
) -> Result<Option<Caller>> {
    let mut tx = store.read().await?;
    const SQL: &str =
        "SELECT id, account_id, name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
    let row: Option<(Uuid, Uuid, String)> = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(token_hash(token)).fetch_optional(c).await)?;
    let Some((token_id, account_id, name)) = row else {
        return Ok(None);
    };
    let Some(account) = account_by_id(&mut tx, account_id)
        .await?
        .filter(|a| !a.disabled)
    else {
        return Ok(None);
    };
    let scope = scope_of(&mut tx, account_id).await?;
    tx.rollback().await?;
    let now = clock.now();
    let mut tx = store.write().await?;
    const TOUCH: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(TOUCH).bind(token_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    let actor = Actor {
        account_id: Some(account.id),
        name: format!("{}:{}", account.username, name),
        ip,
    };
    Ok(Some(Caller::new(scope, actor, clock)))
}

/// Tokens of accounts with a post in the caller's scope.
pub async fn list_tokens(tx: &mut Tx, caller: &Caller) -> Result<Vec<ApiToken>> {
    let mut q = Sql::new(
        "SELECT t.id, t.name, a.username, t.created_at, t.last_used_at, t.revoked_at
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id
         WHERE EXISTS (SELECT 1 FROM assignments s JOIN org_units o ON o.id = s.org_id
                       WHERE s.account_id = t.account_id AND ",
    );
    q.scope("o.path", &caller.scope)
        .push(") ORDER BY t.created_at DESC");
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, ApiToken>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn revoke_token(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<()> {
    let visible = list_tokens(tx, caller).await?;
    let t = visible
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(Error::NotFound)?;
    let account = account_by_username(tx, &t.username).await?.expect("joined");
    let posts = assignments_of(tx, account.id).await?;
    if posts
        .iter()
        .any(|p| caller.scope.role_at(&p.org_path) != Some(Role::Admin))
    {
        return Err(Error::Forbidden);
    }
    const SQL: &str = "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "tokens.revoke",
            &t.username,
            posts.first().map(|p| p.org_path.as_str()),
            serde_json::json!({"name": t.name}),
        )
        .await
}

/// What a cadre sees of one account: the account, its posts in the caller's scope, and its API
/// tokens the caller may see.
pub async fn overview(
    store: &Store,
    caller: &Caller,
    username: &str,
) -> Result<(super::Account, Vec<super::Assignment>, Vec<ApiToken>)> {
    crate::in_read(store, async |tx| {
        let account = account_by_username(tx, username)
            .await?
            .ok_or(Error::NotFound)?;
        let posts = super::posts_in_scope(tx, &caller.scope, account.id).await?;
        let tokens = list_tokens(tx, caller)
            .await?
            .into_iter()
            .filter(|t| t.username == username)
            .collect();
        Ok((account, posts, tokens))
    })
    .await
}
