//! Accounts (工会干部账号): cadres with one or more assignments (an org unit and a role), whose
//! scope is the union of the assigned subtrees; server-side sessions; API tokens for partner
//! systems, scoped like their owning account; login rate limits and lockout shared by every
//! server process through the database. This is the only module that builds a `Scope`.

mod passwords;
mod queries;
mod sessions;
mod tokens;

pub use passwords::{hash_password, verify_password};
pub use queries::{
    account_by_username, assignments_of, create_account, grant, keep_station, lawyers_for,
    list_accounts, posts_in_scope, revoke, scope_of, Account, AccountInput, AccountRow, Assignment,
    Lawyer, GRID_OFFICE, KEEPER, LAWYER, PARTNER,
};
pub use sessions::{
    hit_rate_limit, login, logout, rate_limit_in, session, Session, ABSOLUTE_TIMEOUT_MS,
    IDLE_TIMEOUT_MS, LOCKOUT_MS, MAX_FAILURES,
};
pub use tokens::{authenticate_token, create_token, list_tokens, overview, revoke_token, ApiToken};

use crate::audit::Actor;
use crate::clock::Clock;
use crate::{Role, Scope, Timestamp};
use chrono::NaiveDate;

/// Who is asking, and within which subtrees: built only by `accounts` (from a session or token)
/// or for the operator at the shell.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    pub actor: Actor,
    pub at: Timestamp,
    pub today: NaiveDate,
}

impl Caller {
    /// The operator at the server shell: the whole tree.
    pub fn operator(clock: &Clock) -> Caller {
        Caller {
            scope: Scope::operator(),
            actor: Actor::operator(),
            at: clock.now(),
            today: clock.today(),
        }
    }

    /// Records what the caller did in the audit log, in the change's own transaction: the
    /// `action`, its `subject` (a code or an id), the path of the unit it concerns (whose
    /// cadres may read the entry) and what else a reader needs (`detail`).
    pub async fn audit(
        &self,
        tx: &mut crate::Tx,
        action: &str,
        subject: &str,
        scope_path: Option<&str>,
        detail: serde_json::Value,
    ) -> crate::Result<()> {
        crate::audit::record(
            tx,
            &self.actor,
            self.at,
            action,
            subject,
            scope_path,
            detail,
        )
        .await
    }

    /// The code of the unit of the caller's first post: where their pages open by default.
    pub fn home_unit(&self) -> Option<String> {
        let root = self.scope.roots().first()?;
        let code = root.path.trim_end_matches('/').rsplit('/').next()?;
        Some(code.to_string()).filter(|c| !c.is_empty())
    }

    /// Staff (or admin) at one post at least: may import sheets, edit records of their subtree
    /// and see its work lists.
    pub fn is_staff(&self) -> bool {
        self.scope.roots().iter().any(|r| r.role >= Role::Staff)
    }

    /// Admin at one post at least: manages accounts and sees the admin-only pages.
    pub fn is_admin(&self) -> bool {
        self.scope.roots().iter().any(|r| r.role == Role::Admin)
    }

    /// The caller's role at the unit of `path` (through a post at it or above it).
    pub fn role_at(&self, path: &str) -> Option<Role> {
        self.scope.role_at(path)
    }

    /// May see whole ID numbers of the members of the unit at `path`: its admins only (and
    /// every reveal is audited).
    pub fn may_reveal_ids(&self, path: &str) -> bool {
        self.role_at(path) == Some(Role::Admin)
    }

    /// May restructure (move, merge, dissolve) the unit at `path`: its admins only.
    pub fn may_restructure(&self, path: &str) -> bool {
        self.role_at(path) == Some(Role::Admin)
    }

    fn new(scope: Scope, actor: Actor, clock: &Clock) -> Caller {
        Caller {
            scope,
            actor,
            at: clock.now(),
            today: clock.today(),
        }
    }
}
