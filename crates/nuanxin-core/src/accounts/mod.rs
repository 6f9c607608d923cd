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
    account_by_username, assignments_of, create_account, grant, list_accounts, posts_in_scope,
    revoke, scope_of, Account, AccountInput, AccountRow, Assignment,
};
pub use sessions::{
    hit_rate_limit, login, logout, rate_limit_in, session, Session, ABSOLUTE_TIMEOUT_MS,
    IDLE_TIMEOUT_MS, LOCKOUT_MS, MAX_FAILURES,
};
pub use tokens::{authenticate_token, create_token, list_tokens, revoke_token, ApiToken};

use crate::audit::Actor;
use crate::clock::Clock;
use crate::{Scope, Timestamp};
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

    fn new(scope: Scope, actor: Actor, clock: &Clock) -> Caller {
        Caller {
            scope,
            actor,
            at: clock.now(),
            today: clock.today(),
        }
    }
}
