//! SQL for accounts and assignments.

use super::{hash_password, Caller};
use crate::error::OnUnique;
use crate::page::{Page, PageRequest};
use crate::{on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, ScopeRoot, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Account {
    #[serde(skip)]
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(skip)]
    pub failed_logins: i32,
    #[serde(skip)]
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub created_at: i64,
}

/// One post of a cadre: an org unit and the role held there.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Assignment {
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// `admin`, `staff`, `viewer`, or `keeper` (of the station below; no subtree).
    pub role: String,
    /// The station a keeper keeps.
    pub station_id: Option<Uuid>,
    pub station_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AccountInput {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub password: String,
    pub org_code: String,
    /// `admin`, `staff`, `viewer` or `keeper`.
    pub role: String,
    /// For a keeper: the id of the station they keep (of the unit's subtree). Without it the
    /// keeper keeps nothing until one is assigned.
    #[serde(default)]
    pub station: Option<String>,
}

/// The role `keeper`: a station's keeper holds no subtree.
pub const KEEPER: &str = "keeper";
/// The role `partner`: a platform's or a licence window's API account pushes records into the
/// unit's subtree and reads back its own pushes' outcomes; it holds no subtree to read.
pub const PARTNER: &str = "partner";
/// The role `lawyer`: a lawyer registered at a legal-aid station (法律援助工作站) of the unit's
/// subtree; holds no subtree, sees and works on only the rights cases assigned to them.
pub const LAWYER: &str = "lawyer";
/// The role `grid_office`: a community grid office (网格办) or a city-management system; holds
/// no subtree, sees and moves on only the grid reports routed to its communities (Open311-style).
pub const GRID_OFFICE: &str = "grid_office";

/// The station named for a keeper of the unit at `org_path`: it must exist inside that subtree.
async fn kept_station(tx: &mut Tx, org_path: &str, station: Option<&str>) -> Result<Option<Uuid>> {
    let Some(text) = station.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let id =
        Uuid::parse_str(text).map_err(|_| Error::invalid("station", "accounts.bad_station"))?;
    const SQL: &str =
        "SELECT o.path FROM stations s JOIN org_units o ON o.id = s.org_id WHERE s.id = $1";
    let path: Option<String> =
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(id).fetch_optional(c).await)?;
    match path {
        Some(p) if p.starts_with(org_path) => Ok(Some(id)),
        _ => Err(Error::invalid("station", "accounts.bad_station")),
    }
}

/// The legal-aid station a lawyer of the unit at `org_path` is registered at: required, inside
/// that subtree, of type `legal_aid_station`.
async fn legal_aid_station(tx: &mut Tx, org_path: &str, station: Option<&str>) -> Result<Uuid> {
    let id = kept_station(tx, org_path, station)
        .await?
        .ok_or(Error::invalid("station", "accounts.lawyer_station"))?;
    const SQL: &str = "SELECT kind FROM stations WHERE id = $1";
    let kind: String = on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(id).fetch_one(c).await)?;
    match kind == "legal_aid_station" {
        true => Ok(id),
        false => Err(Error::invalid("station", "accounts.lawyer_station")),
    }
}

/// A lawyer a case of the unit at `case_path` may be assigned to.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Lawyer {
    #[serde(skip)]
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub station_name: String,
    pub org_name: String,
}

/// The lawyers of the legal-aid stations of the case's union, of its parents and of the units
/// below it: whom a case of the unit at `case_path` may be assigned to. Disabled accounts are left out.
pub async fn lawyers_for(tx: &mut Tx, case_path: &str) -> Result<Vec<Lawyer>> {
    let (lo, hi) = nuanxin_store::subtree_range(case_path);
    const SQL: &str = "SELECT a.id, a.username, a.display_name, s.name AS station_name, o.name AS org_name
        FROM assignments p JOIN accounts a ON a.id = p.account_id JOIN stations s ON s.id = p.station_id
        JOIN org_units o ON o.id = s.org_id
        WHERE p.role = 'lawyer' AND NOT a.disabled
          AND ((o.path >= $1 AND o.path < $2) OR substr($3, 1, length(o.path)) = o.path)
        ORDER BY o.path, a.display_name, a.username";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Lawyer>(SQL).bind(&lo).bind(&hi).bind(case_path).fetch_all(c).await)?,
    )
}

const ACCOUNT_COLUMNS: &str =
    "id, username, display_name, password_hash, failed_logins, locked_until, disabled, created_at";

pub async fn account_by_username(tx: &mut Tx, username: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1");
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Account>(&sql).bind(username).fetch_optional(c).await)?,
    )
}

pub(super) async fn account_by_id(tx: &mut Tx, id: Uuid) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Account>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn assignments_of(tx: &mut Tx, account_id: Uuid) -> Result<Vec<Assignment>> {
    const SQL: &str = "SELECT o.code AS org_code, o.name AS org_name, o.path AS org_path, a.role, a.station_id, s.name AS station_name
        FROM assignments a JOIN org_units o ON o.id = a.org_id LEFT JOIN stations s ON s.id = a.station_id
        WHERE a.account_id = $1 ORDER BY o.path";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Assignment>(SQL).bind(account_id).fetch_all(c).await)?,
    )
}

/// The posts of an account that lie inside `scope`, for a page about the account: a cadre sees
/// the posts of their own subtree, never where else the account works. Not found when none.
pub async fn posts_in_scope(
    tx: &mut Tx,
    scope: &Scope,
    account_id: Uuid,
) -> Result<Vec<Assignment>> {
    let posts: Vec<Assignment> = assignments_of(tx, account_id)
        .await?
        .into_iter()
        .filter(|p| scope.role_at(&p.org_path).is_some())
        .collect();
    if posts.is_empty() {
        return Err(Error::NotFound);
    }
    Ok(posts)
}

/// The scope of an account: the union of its assigned subtrees, each with its role.
pub async fn scope_of(tx: &mut Tx, account_id: Uuid) -> Result<Scope> {
    let roots = assignments_of(tx, account_id)
        .await?
        .into_iter()
        .filter_map(|a| {
            Role::parse(&a.role).map(|role| ScopeRoot {
                path: a.org_path,
                role,
            })
        })
        .collect();
    const KEPT: &str = "SELECT station_id FROM assignments WHERE account_id = $1 AND role = 'keeper' AND station_id IS NOT NULL";
    let kept: Vec<Uuid> =
        on_db!(tx.conn(), c => sqlx::query_scalar(KEPT).bind(account_id).fetch_all(c).await)?;
    const PUSHING: &str = "SELECT o.path FROM assignments a JOIN org_units o ON o.id = a.org_id
        WHERE a.account_id = $1 AND a.role = 'partner'";
    let pushing: Vec<String> =
        on_db!(tx.conn(), c => sqlx::query_scalar(PUSHING).bind(account_id).fetch_all(c).await)?;
    const LAWYERING: &str =
        "SELECT COUNT(*) FROM assignments WHERE account_id = $1 AND role = 'lawyer'";
    let lawyer: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(LAWYERING).bind(account_id).fetch_one(c).await)?;
    const OFFICE: &str =
        "SELECT COUNT(*) FROM assignments WHERE account_id = $1 AND role = 'grid_office'";
    let office: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(OFFICE).bind(account_id).fetch_one(c).await)?;
    let mut scope = Scope::of_roots(roots).keeping(kept).pushing_into(pushing);
    if lawyer > 0 {
        scope = scope.counselling(account_id);
    }
    if office > 0 {
        scope = scope.at_grid_office(account_id);
    }
    Ok(scope)
}

fn check_username(u: &str) -> Result<()> {
    let ok = (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("username", "accounts.bad_username"))
    }
}

fn check_password(p: &str) -> Result<()> {
    if p.chars().count() < 8 {
        return Err(Error::invalid("password", "accounts.password_too_short"));
    }
    Ok(())
}

/// Creates an account with its first assignment. The caller must be an admin at that unit and
/// can grant no role above their own (admins are the top role, so: any role inside their scope).
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn create_account(tx: &mut Tx, caller: &Caller, input: &AccountInput) -> Result<Account> {
    let username = input.username.trim();
    check_username(username)?;
    check_password(&input.password)?;
    let keeper = input.role.trim() == KEEPER;
    let partner = input.role.trim() == PARTNER;
    let lawyer = input.role.trim() == LAWYER;
    let office = input.role.trim() == GRID_OFFICE;
    let role = match keeper || partner || lawyer || office {
        true => Role::Viewer, // checked below as a post the admin gives, held as no subtree
        false => Role::parse(&input.role).ok_or(Error::invalid("role", "accounts.bad_role"))?,
    };
    let org = orgs::get(tx, &caller.scope, &input.org_code)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("org_code", "orgs.unknown_parent"),
            e => e,
        })?;
    require_admin(&caller.scope, &org.path, role)?;
    let station = match (keeper, lawyer) {
        (true, _) => kept_station(tx, &org.path, input.station.as_deref()).await?,
        (_, true) => Some(legal_aid_station(tx, &org.path, input.station.as_deref()).await?),
        _ => None,
    };
    let id = nuanxin_store::new_id();
    let display = input
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(username);
    const SQL: &str = "INSERT INTO accounts (id, username, display_name, password_hash, created_at)
        VALUES ($1, $2, $3, $4, $5)";
    let hash = hash_password(&input.password);
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(username).bind(display).bind(&hash).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))
    .on_unique("username", "accounts.username_taken")?;
    let role_name = match (keeper, partner, lawyer, office) {
        (true, ..) => KEEPER,
        (_, true, ..) => PARTNER,
        (_, _, true, _) => LAWYER,
        (.., true) => GRID_OFFICE,
        _ => role.as_str(),
    };
    if keeper || partner || lawyer || office {
        const POST: &str = "INSERT INTO assignments (id, account_id, org_id, role, station_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_db!(tx.conn(), c => sqlx::query(POST).bind(nuanxin_store::new_id()).bind(id).bind(org.id).bind(role_name)
            .bind(station).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    } else {
        insert_assignment(tx, caller, id, org.id, role).await?;
    }
    caller
        .audit(
            tx,
            "accounts.create",
            username,
            Some(&org.path),
            serde_json::json!({"org": org.code, "role": role_name, "station": station}),
        )
        .await?;
    Ok(account_by_id(tx, id).await?.expect("just inserted"))
}

fn require_admin(scope: &Scope, path: &str, granted: Role) -> Result<()> {
    match scope.role_at(path) {
        None => Err(Error::NotFound),
        Some(Role::Admin) if granted <= Role::Admin => Ok(()),
        Some(_) => Err(Error::Forbidden),
    }
}

async fn insert_assignment(
    tx: &mut Tx,
    caller: &Caller,
    account: Uuid,
    org: Uuid,
    role: Role,
) -> Result<()> {
    const SQL: &str = "INSERT INTO assignments (id, account_id, org_id, role, created_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (account_id, org_id) DO UPDATE SET role = excluded.role";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(nuanxin_store::new_id()).bind(account).bind(org)
        .bind(role.as_str()).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The account, if it holds a post inside the caller's scope (else not found).
async fn visible_account(tx: &mut Tx, scope: &Scope, username: &str) -> Result<Account> {
    let account = account_by_username(tx, username)
        .await?
        .ok_or(Error::NotFound)?;
    let posts = assignments_of(tx, account.id).await?;
    if posts.iter().any(|p| scope.role_at(&p.org_path).is_some())
        || posts.is_empty() && scope == &Scope::operator()
    {
        Ok(account)
    } else {
        Err(Error::NotFound)
    }
}

/// Gives an account a post (or changes the role of an existing one).
pub async fn grant(
    tx: &mut Tx,
    caller: &Caller,
    username: &str,
    org_code: &str,
    role: Role,
) -> Result<()> {
    let account = visible_account(tx, &caller.scope, username).await?;
    let org = orgs::get(tx, &caller.scope, org_code).await?;
    require_admin(&caller.scope, &org.path, role)?;
    insert_assignment(tx, caller, account.id, org.id, role).await?;
    caller
        .audit(
            tx,
            "accounts.grant",
            username,
            Some(&org.path),
            serde_json::json!({"org": org.code, "role": role}),
        )
        .await
}

/// Takes a post away.
pub async fn revoke(tx: &mut Tx, caller: &Caller, username: &str, org_code: &str) -> Result<()> {
    let account = visible_account(tx, &caller.scope, username).await?;
    let org = orgs::get(tx, &caller.scope, org_code).await?;
    require_admin(&caller.scope, &org.path, Role::Viewer)?;
    const SQL: &str = "DELETE FROM assignments WHERE account_id = $1 AND org_id = $2";
    let n = on_db!(tx.conn(), c => sqlx::query(SQL).bind(account.id).bind(org.id).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    caller
        .audit(
            tx,
            "accounts.revoke",
            username,
            Some(&org.path),
            serde_json::json!({"org": org.code}),
        )
        .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AccountRow {
    pub username: String,
    pub display_name: String,
    pub org_code: String,
    pub org_name: String,
    pub role: String,
    pub locked_until: Option<i64>,
}

/// Posts held inside the scope, one row per (account, unit), searchable by username or name.
pub async fn list_accounts(
    tx: &mut Tx,
    scope: &Scope,
    q: &str,
    page: PageRequest,
) -> Result<Page<AccountRow>> {
    let mut from = Sql::new(
        " FROM assignments s JOIN accounts a ON a.id = s.account_id JOIN org_units o ON o.id = s.org_id WHERE ",
    );
    from.scope("o.path", scope)
        .push(" AND (a.username LIKE ")
        .arg(format!("%{}%", q.trim()));
    from.push(" OR a.display_name LIKE ")
        .arg(format!("%{}%", q.trim()))
        .push(")");
    let count_sql = format!("SELECT COUNT(*){}", from.sql);
    let mut list = Sql::new(
        "SELECT a.username, a.display_name, o.code AS org_code, o.name AS org_name, s.role, a.locked_until",
    );
    list.push(&from.sql)
        .push(" ORDER BY a.username, o.path LIMIT ");
    list.args = from.args.clone();
    list.arg(page.limit()).push(" OFFSET ").arg(page.offset());
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count_sql), &from.args).fetch_one(c).await)?;
    let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, AccountRow>(&list.sql), &list.args)
        .fetch_all(c).await)?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Gives a keeper the station they keep (or another one): an admin of the keeper's unit, a
/// station inside that unit's subtree; audited.
pub async fn keep_station(
    tx: &mut Tx,
    caller: &Caller,
    username: &str,
    station: &str,
) -> Result<()> {
    let account = visible_account(tx, &caller.scope, username).await?;
    let post = assignments_of(tx, account.id)
        .await?
        .into_iter()
        .find(|p| p.role == KEEPER && caller.scope.role_at(&p.org_path).is_some())
        .ok_or(Error::invalid("station", "accounts.not_keeper"))?;
    require_admin(&caller.scope, &post.org_path, Role::Viewer)?;
    let id = kept_station(tx, &post.org_path, Some(station))
        .await?
        .ok_or(Error::invalid("station", "accounts.bad_station"))?;
    const SQL: &str =
        "UPDATE assignments SET station_id = $3 WHERE account_id = $1 AND role = 'keeper'
        AND org_id = (SELECT id FROM org_units WHERE code = $2)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(account.id).bind(&post.org_code).bind(id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "accounts.keep_station",
            username,
            Some(&post.org_path),
            serde_json::json!({"station": id}),
        )
        .await
}
