//! Scope: the subtrees of the org tree that a caller may see and change. Org units carry a
//! materialised path of codes (`/3715/371502/`); a subtree is the half-open range of paths
//! `[path, path with its last '/' raised to '0')`, which an ordinary B-tree index answers.
//! Only `accounts` in `nuanxin-core` builds a scope, from a signed-in account or an API token.

use serde::Serialize;
use std::fmt;

/// What a cadre may do within an assigned subtree. Ordered: a higher role may do all a lower may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything in the subtree.
    Viewer,
    /// 包片联系: reads like a viewer, and records visits and notes on the units and enterprises
    /// of the subtree.
    Liaison,
    /// Also records and edits data in the subtree.
    Staff,
    /// Also restructures the subtree (move, dissolve) and manages accounts in it.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Staff, Role::Liaison, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Liaison => "liaison",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim() {
            "viewer" => Some(Role::Viewer),
            "liaison" => Some(Role::Liaison),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One assigned subtree and the role held there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRoot {
    pub path: String,
    pub role: Role,
}

/// The union of the subtrees a caller holds, each with a role, and the stations the caller keeps
/// (驿站管理员: a keeper holds no subtree, only their stations' own pages and visit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    roots: Vec<ScopeRoot>,
    stations: Vec<uuid::Uuid>,
    /// Subtrees a partner (a platform's or a licence window's API account) pushes records into,
    /// without reading anything there.
    pushing: Vec<String>,
    /// A lawyer of a legal-aid station (律师): the account whose assigned rights cases the caller
    /// sees and works on, and nothing else.
    counsel: Option<uuid::Uuid>,
    /// A community grid office (网格办): the account whose routed grid reports the caller sees
    /// and moves on, and nothing else.
    grid_office: Option<uuid::Uuid>,
}

impl Scope {
    /// The whole tree with the admin role: for the operator at the server shell (CLI).
    pub fn operator() -> Scope {
        Scope {
            roots: vec![ScopeRoot {
                path: "/".into(),
                role: Role::Admin,
            }],
            stations: Vec::new(),
            pushing: Vec::new(),
            counsel: None,
            grid_office: None,
        }
    }

    /// A scope of the given subtrees. Roots inside another root keep the higher of the two roles
    /// at their own subtree, so the role at a path is the highest role of any root above it.
    pub fn of_roots(mut roots: Vec<ScopeRoot>) -> Scope {
        roots.sort_by(|a, b| a.path.cmp(&b.path).then(b.role.cmp(&a.role)));
        roots.dedup_by(|b, a| a.path == b.path);
        Scope {
            roots,
            stations: Vec::new(),
            pushing: Vec::new(),
            counsel: None,
            grid_office: None,
        }
    }

    /// The same scope, keeping these stations too.
    pub fn keeping(mut self, mut stations: Vec<uuid::Uuid>) -> Scope {
        stations.sort();
        stations.dedup();
        self.stations = stations;
        self
    }

    /// The same scope, pushing records into these subtrees too (a partner's posts).
    pub fn pushing_into(mut self, paths: Vec<String>) -> Scope {
        self.pushing = paths;
        self
    }

    /// The same scope, seeing the rights cases assigned to this lawyer's account too.
    pub fn counselling(mut self, account: uuid::Uuid) -> Scope {
        self.counsel = Some(account);
        self
    }

    /// The same scope, seeing the grid reports routed to this grid office's account too.
    pub fn at_grid_office(mut self, account: uuid::Uuid) -> Scope {
        self.grid_office = Some(account);
        self
    }

    /// The grid office's account whose routed reports the caller sees, when the caller is one.
    pub fn grid_office(&self) -> Option<uuid::Uuid> {
        self.grid_office
    }

    /// The lawyer's account whose assigned cases the caller sees, when the caller is a lawyer.
    pub fn counsel(&self) -> Option<uuid::Uuid> {
        self.counsel
    }

    /// The scope partner pushes route within: a partner's push subtrees (as staff), else the
    /// caller's own scope.
    pub fn for_pushing(&self) -> Scope {
        if self.pushing.is_empty() {
            return self.clone();
        }
        Scope::of_roots(
            self.pushing
                .iter()
                .map(|p| ScopeRoot {
                    path: p.clone(),
                    role: Role::Staff,
                })
                .collect(),
        )
    }

    /// Whether the caller keeps this station (as its keeper).
    pub fn keeps(&self, station: uuid::Uuid) -> bool {
        self.stations.contains(&station)
    }

    /// The stations the caller keeps.
    pub fn kept_stations(&self) -> &[uuid::Uuid] {
        &self.stations
    }

    /// A scope that sees nothing (an account without assignments).
    pub fn empty() -> Scope {
        Scope {
            roots: Vec::new(),
            stations: Vec::new(),
            pushing: Vec::new(),
            counsel: None,
            grid_office: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    pub fn roots(&self) -> &[ScopeRoot] {
        &self.roots
    }

    /// The highest role held at `path` (a unit's materialised path), or `None` when the path lies
    /// outside every assigned subtree.
    pub fn role_at(&self, path: &str) -> Option<Role> {
        self.roots
            .iter()
            .filter(|r| path.starts_with(&r.path))
            .map(|r| r.role)
            .max()
    }

    /// The part of this scope inside the subtree at `path`: one root with the role held there,
    /// or `None` when the path is outside. Lets a query on one subtree use a single index range.
    pub fn within(&self, path: &str) -> Option<Scope> {
        let role = self.role_at(path)?;
        let mut roots = vec![ScopeRoot {
            path: path.to_string(),
            role,
        }];
        roots.extend(
            self.roots
                .iter()
                .filter(|r| r.path.starts_with(path) && r.path != path)
                .cloned(),
        );
        Some(Scope::of_roots(roots))
    }

    /// The roots that are not inside another root: the disjoint ranges a query must cover.
    fn outer_roots(&self) -> Vec<&ScopeRoot> {
        let mut out: Vec<&ScopeRoot> = Vec::new();
        for r in &self.roots {
            if !out.iter().any(|o| r.path.starts_with(&o.path)) {
                out.push(r);
            }
        }
        out
    }

    /// SQL condition limiting `column` (a materialised path) to this scope, with placeholders
    /// numbered from `$first`; bind `self.bounds()` in order. An empty scope yields `1 = 0`.
    pub fn sql(&self, column: &str, first: usize) -> String {
        let roots = self.outer_roots();
        if roots.is_empty() {
            return "(1 = 0)".into();
        }
        let parts: Vec<String> = (0..roots.len())
            .map(|i| {
                let n = first + 2 * i;
                format!("({column} >= ${n} AND {column} < ${})", n + 1)
            })
            .collect();
        format!("({})", parts.join(" OR "))
    }

    /// The values to bind for `sql`: lower and upper bound of each outer root.
    pub fn bounds(&self) -> Vec<String> {
        self.outer_roots()
            .into_iter()
            .flat_map(|r| {
                let (lo, hi) = subtree_range(&r.path);
                [lo, hi]
            })
            .collect()
    }

    /// Number of placeholders `sql` uses.
    pub fn bind_count(&self) -> usize {
        self.outer_roots().len() * 2
    }
}

/// The half-open range of paths in the subtree rooted at `path` (which ends in '/').
/// '0' is the character after '/', and codes never contain '/', so the range holds exactly the
/// paths that start with `path`.
pub fn subtree_range(path: &str) -> (String, String) {
    debug_assert!(path.ends_with('/'));
    let mut hi = path[..path.len() - 1].to_string();
    hi.push('0');
    (path.to_string(), hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(path: &str, role: Role) -> ScopeRoot {
        ScopeRoot {
            path: path.into(),
            role,
        }
    }

    #[test]
    fn role_at_takes_the_highest_role_above_the_path() {
        let s = Scope::of_roots(vec![root("/A/", Role::Viewer), root("/A/B/", Role::Admin)]);
        assert_eq!(s.role_at("/A/"), Some(Role::Viewer));
        assert_eq!(s.role_at("/A/C/"), Some(Role::Viewer));
        assert_eq!(s.role_at("/A/B/D/"), Some(Role::Admin));
        assert_eq!(s.role_at("/AB/"), None);
        assert_eq!(s.role_at("/Z/"), None);
    }

    #[test]
    fn nested_roots_collapse_into_one_range() {
        let s = Scope::of_roots(vec![
            root("/A/B/", Role::Admin),
            root("/A/", Role::Viewer),
            root("/C/", Role::Staff),
        ]);
        assert_eq!(
            s.sql("o.path", 3),
            "((o.path >= $3 AND o.path < $4) OR (o.path >= $5 AND o.path < $6))"
        );
        assert_eq!(s.bounds(), vec!["/A/", "/A0", "/C/", "/C0"]);
    }

    #[test]
    fn subtree_range_excludes_siblings_sharing_a_prefix() {
        let (lo, hi) = subtree_range("/A/B/");
        for inside in ["/A/B/", "/A/B/C/", "/A/B/zz-9_/"] {
            assert!(lo.as_str() <= inside && inside < hi.as_str(), "{inside}");
        }
        for outside in ["/A/", "/A/BC/", "/A/B-C/", "/A/B_/", "/A/C/"] {
            assert!(
                !(lo.as_str() <= outside && outside < hi.as_str()),
                "{outside}"
            );
        }
    }

    #[test]
    fn within_narrows_to_one_subtree_keeping_higher_roles_below() {
        let s = Scope::of_roots(vec![
            root("/A/", Role::Viewer),
            root("/A/B/C/", Role::Admin),
        ]);
        let w = s.within("/A/B/").unwrap();
        assert_eq!(w.bounds(), vec!["/A/B/", "/A/B0"]);
        assert_eq!(w.role_at("/A/B/"), Some(Role::Viewer));
        assert_eq!(w.role_at("/A/B/C/D/"), Some(Role::Admin));
        assert_eq!(w.role_at("/A/"), None);
        assert!(s.within("/Z/").is_none());
    }

    #[test]
    fn empty_scope_matches_nothing() {
        assert_eq!(Scope::empty().sql("path", 1), "(1 = 0)");
        assert!(Scope::empty().bounds().is_empty());
    }
}
