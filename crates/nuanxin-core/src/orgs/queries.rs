//! SQL for the org network. Every function takes the caller's scope; a unit outside it reads as
//! not found. Writes check the role held at the unit: staff may create and edit, admins may also
//! move and dissolve.

use super::{check_placement, OrgDraft, OrgKind, OrgStatus, OrgUnit};
use crate::accounts::Caller;
use crate::coverage::counts::{self, metric, Delta};
use crate::error::OnUnique;
use crate::page::{Listing, Page, PageRequest};
use crate::regions::{self, RegionCode};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const SELECT: &str = "SELECT o.id, o.code, o.name, o.kind, o.joint_kind, o.industry, o.parent_id,
        p.code AS parent_code, p.name AS parent_name, o.path, o.depth, o.region_code, r.name AS region_name,
        o.founded_on, o.status, o.dissolved_on, o.contact_name, o.contact_phone,
        (SELECT COUNT(*) FROM org_units c WHERE c.parent_id = o.id) AS child_count, o.created_at, o.updated_at
    FROM org_units o
    LEFT JOIN org_units p ON p.id = o.parent_id
    LEFT JOIN regions r ON r.code = o.region_code";

/// The unit with this code, if it lies in the scope.
pub async fn get(tx: &mut Tx, scope: &Scope, code: &str) -> Result<OrgUnit> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE o.code = ")
        .arg(code.trim())
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, OrgUnit>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The units at the roots of the scope: where a cadre starts browsing.
pub async fn roots(tx: &mut Tx, scope: &Scope) -> Result<Vec<OrgUnit>> {
    let mut out: Vec<OrgUnit> = Vec::new();
    for root in scope.roots() {
        if out.iter().any(|o| root.path.starts_with(&o.path)) {
            continue;
        }
        let mut q = Sql::new(SELECT);
        if root.path == "/" {
            q.push(" WHERE o.parent_id IS NULL ORDER BY o.code");
        } else {
            q.push(" WHERE o.path = ").arg(root.path.as_str());
        }
        let rows = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, OrgUnit>(&q.sql), &q.args).fetch_all(c).await)?;
        out.extend(rows);
    }
    Ok(out)
}

/// The units above `unit` that lie in the scope, root first: the breadcrumbs.
pub async fn ancestors(tx: &mut Tx, scope: &Scope, unit: &OrgUnit) -> Result<Vec<OrgUnit>> {
    let mut out = Vec::new();
    for code in unit.ancestor_codes() {
        match get(tx, scope, code).await {
            Ok(u) => out.push(u),
            Err(Error::NotFound) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgSort {
    #[default]
    Path,
    Code,
    Name,
    Region,
    Founded,
    Updated,
}

impl OrgSort {
    fn column(self) -> &'static str {
        match self {
            OrgSort::Path => "o.path",
            OrgSort::Code => "o.code",
            OrgSort::Name => "o.name",
            OrgSort::Region => "o.region_code",
            OrgSort::Founded => "o.founded_on",
            OrgSort::Updated => "o.updated_at",
        }
    }
}

/// Filters of the org list. `under` limits to one unit's subtree (the unit included).
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub q: Option<String>,
    pub kind: Option<OrgKind>,
    pub status: Option<OrgStatus>,
    pub under: Option<String>,
    pub region: Option<RegionCode>,
    pub sort: OrgSort,
    pub desc: bool,
}

/// Units in scope matching the filter, one page, with the total count.
/// The scope narrowed to the subtree of the unit `org` names (a blank name: the whole scope),
/// so that a list's query is one index range. A unit outside the scope is not found.
pub async fn narrow(tx: &mut Tx, scope: &Scope, org: Option<&str>) -> Result<Scope> {
    match org.map(str::trim).filter(|o| !o.is_empty()) {
        Some(code) => {
            let unit = get(tx, scope, code).await?;
            scope.within(&unit.path).ok_or(Error::NotFound)
        }
        None => Ok(scope.clone()),
    }
}

pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    filter: &OrgFilter,
    page: PageRequest,
) -> Result<Page<OrgUnit>> {
    let narrowed = narrow(tx, scope, filter.under.as_deref()).await?;
    let mut w = Sql::new(" WHERE ");
    w.scope("o.path", &narrowed);
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase());
        w.push(" AND (LOWER(o.code) LIKE ")
            .arg(pattern.clone())
            .push(" OR LOWER(o.name) LIKE ")
            .arg(pattern)
            .push(")");
    }
    if let Some(k) = filter.kind {
        w.push(" AND o.kind = ").arg(k.as_str());
    }
    if let Some(s) = filter.status {
        w.push(" AND o.status = ").arg(s.as_str());
    }
    if let Some(r) = &filter.region {
        w.push(" AND o.region_code >= ")
            .arg(r.as_str())
            .push(" AND o.region_code < ")
            .arg(format!("{}:", r.as_str()));
    }
    let dir = if filter.desc { "DESC" } else { "ASC" };
    let order = format!("{} {dir}", filter.sort.column());
    units(w, &order).page(tx, page).await
}

/// The units a WHERE clause selects, in `order` (then by path).
fn units(filter: Sql, order: &str) -> Listing<'_> {
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM org_units o",
        filter,
        order,
        id: "o.path",
    }
}

/// The direct children of a unit in scope.
pub async fn children(
    tx: &mut Tx,
    scope: &Scope,
    code: &str,
    page: PageRequest,
) -> Result<Page<OrgUnit>> {
    let parent = get(tx, scope, code).await?;
    let mut w = Sql::new(" WHERE o.parent_id = ");
    w.arg(parent.id).push(" AND ").scope("o.path", scope);
    units(w, "o.kind, o.code").page(tx, page).await
}

/// Fails unless the caller holds at least `role` at `path`: outside the scope reads as not found.
fn require(scope: &Scope, path: &str, role: Role) -> Result<()> {
    match scope.role_at(path) {
        None => Err(Error::NotFound),
        Some(r) if r >= role => Ok(()),
        Some(_) => Err(Error::Forbidden),
    }
}

/// Creates a unit under its parent. Only the operator may create a root (a unit without parent).
pub async fn create(tx: &mut Tx, caller: &Caller, draft: &OrgDraft) -> Result<OrgUnit> {
    let region = regions::require(tx, &draft.region_code, "region_code").await?;
    let parent = match &draft.parent_code {
        Some(code) => Some(get(tx, &caller.scope, code).await.map_err(|e| match e {
            Error::NotFound => Error::invalid("parent_code", "orgs.unknown_parent"),
            e => e,
        })?),
        None => None,
    };
    let path = match &parent {
        Some(p) => {
            require(&caller.scope, &p.path, Role::Staff)?;
            format!("{}{}/", p.path, draft.code)
        }
        None => {
            if caller.scope.role_at("/") != Some(Role::Admin) {
                return Err(Error::invalid("parent_code", "orgs.parent_required"));
            }
            format!("/{}/", draft.code)
        }
    };
    check_placement(draft.kind, &draft.region_code, parent.as_ref())?;
    // Checked before the insert: on PostgreSQL a failed statement would abort the transaction,
    // and an import goes on with its other rows. The unique index still guards against races.
    const TAKEN: &str = "SELECT COUNT(*) FROM org_units WHERE code = $1";
    let taken: i64 =
        on_db!(tx.conn(), c => sqlx::query_scalar(TAKEN).bind(&draft.code).fetch_one(c).await)?;
    if taken > 0 {
        return Err(Error::conflict("code", "orgs.code_taken"));
    }
    let id = new_id();
    let depth = path.matches('/').count() as i32 - 2;
    const SQL: &str =
        "INSERT INTO org_units (id, code, name, kind, joint_kind, industry, parent_id, path, depth,
            region_code, founded_on, status, contact_name, contact_phone, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $13, $14, $14)";
    on_db!(tx.conn(), c => sqlx::query(SQL)
        .bind(id).bind(&draft.code).bind(&draft.name).bind(draft.kind.as_str())
        .bind(draft.joint_kind.map(|k| k.as_str())).bind(draft.industry.map(|i| i.as_str()))
        .bind(parent.as_ref().map(|p| p.id)).bind(&path).bind(depth).bind(&region.code)
        .bind(draft.founded_on).bind(&draft.contact_name).bind(&draft.contact_phone).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))
    .on_unique("code", "orgs.code_taken")?;
    let founded = draft.founded_on.unwrap_or(caller.today);
    counts::bump(
        tx,
        &path,
        &counts::unit_deltas(draft.kind.as_str(), founded, 1),
    )
    .await?;
    if draft.kind == OrgKind::Federation {
        crate::census::reattribute(tx, &region.code).await?;
    }
    add_history(
        tx,
        caller,
        id,
        "created",
        None,
        parent.as_ref().map(|p| p.id),
        None,
        Some(&path),
    )
    .await?;
    caller.audit(tx, "orgs.create",
        &draft.code,
        Some(&path),
        serde_json::json!({"name": draft.name, "type": draft.kind, "parent": draft.parent_code, "region": region.code}),
    )
    .await?;
    get(tx, &caller.scope, &draft.code).await
}

/// Changes name, type details, region, founding date and contact of a unit. The code and the
/// parent do not change here (see `move_subtree`).
pub async fn update(tx: &mut Tx, caller: &Caller, code: &str, draft: &OrgDraft) -> Result<OrgUnit> {
    let unit = get(tx, &caller.scope, code).await?;
    require(&caller.scope, &unit.path, Role::Staff)?;
    if draft.code != unit.code {
        return Err(Error::invalid("code", "orgs.code_immutable"));
    }
    if !unit.is_active() {
        return Err(Error::conflict("status", "orgs.dissolved_readonly"));
    }
    regions::require(tx, &draft.region_code, "region_code").await?;
    let parent = match &unit.parent_code {
        Some(p) => Some(get(tx, &Scope::operator(), p).await?),
        None => None,
    };
    check_placement(draft.kind, &draft.region_code, parent.as_ref())?;
    // Children must stay inside the unit's region.
    const OUTSIDE: &str = "SELECT COUNT(*) FROM org_units WHERE parent_id = $1 AND NOT (region_code >= $2 AND region_code < $3)";
    let r = draft.region_code.as_str();
    let outside: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(OUTSIDE).bind(unit.id).bind(r).bind(format!("{r}:"))
        .fetch_one(c).await)?;
    if outside > 0 {
        return Err(Error::invalid(
            "region_code",
            "orgs.children_outside_region",
        ));
    }
    if draft.kind != unit.kind && unit.child_count > 0 && draft.kind == OrgKind::EnterpriseUnion {
        return Err(Error::invalid("type", "orgs.type_change_with_children"));
    }
    const SQL: &str = "UPDATE org_units SET name = $2, kind = $3, joint_kind = $4, industry = $5, region_code = $6,
        founded_on = $7, contact_name = $8, contact_phone = $9, updated_at = $10 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(unit.id).bind(&draft.name).bind(draft.kind.as_str())
        .bind(draft.joint_kind.map(|k| k.as_str())).bind(draft.industry.map(|i| i.as_str()))
        .bind(draft.region_code.as_str()).bind(draft.founded_on).bind(&draft.contact_name)
        .bind(&draft.contact_phone).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    // The counters follow a change of type or founding date; a federation's new region changes
    // which enterprises it counts.
    let old_day = unit
        .founded_on
        .unwrap_or_else(|| crate::clock::beijing_date(unit.created_at));
    let new_day = draft
        .founded_on
        .unwrap_or_else(|| crate::clock::beijing_date(unit.created_at));
    let mut deltas = counts::unit_deltas(unit.kind.as_str(), old_day, -1);
    deltas.extend(counts::unit_deltas(draft.kind.as_str(), new_day, 1));
    counts::bump(tx, &unit.path, &deltas).await?;
    if unit.region_code != draft.region_code.as_str() || unit.kind != draft.kind {
        for (kind, region) in [
            (unit.kind, unit.region_code.as_str()),
            (draft.kind, draft.region_code.as_str()),
        ] {
            if kind == OrgKind::Federation {
                crate::census::reattribute(tx, region).await?;
            }
        }
    }
    add_history(tx, caller, unit.id, "updated", None, None, None, None).await?;
    let after = get(tx, &caller.scope, code).await?;
    caller
        .audit(
            tx,
            "orgs.update",
            code,
            Some(&unit.path),
            changes(&unit, &after),
        )
        .await?;
    Ok(after)
}

fn changes(before: &OrgUnit, after: &OrgUnit) -> serde_json::Value {
    let (b, a) = (
        serde_json::to_value(before).unwrap_or_default(),
        serde_json::to_value(after).unwrap_or_default(),
    );
    let mut out = serde_json::Map::new();
    if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
        for (k, v) in a {
            if b.get(k) != Some(v) && !matches!(k.as_str(), "updated_at" | "child_count") {
                out.insert(k.clone(), serde_json::json!({"from": b.get(k), "to": v}));
            }
        }
    }
    serde_json::Value::Object(out)
}

/// Moves a unit and its whole subtree under a new parent. The caller must be an admin at both
/// the unit and the new parent. History keeps the old place.
pub async fn move_subtree(
    tx: &mut Tx,
    caller: &Caller,
    code: &str,
    new_parent_code: &str,
) -> Result<OrgUnit> {
    let unit = get(tx, &caller.scope, code).await?;
    require(&caller.scope, &unit.path, Role::Admin)?;
    let parent = get(tx, &caller.scope, new_parent_code)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("parent_code", "orgs.unknown_parent"),
            e => e,
        })?;
    require(&caller.scope, &parent.path, Role::Admin)?;
    if parent.path.starts_with(&unit.path) {
        return Err(Error::invalid("parent_code", "orgs.move_into_own_subtree"));
    }
    if unit.parent_id == Some(parent.id) {
        return Err(Error::invalid("parent_code", "orgs.already_there"));
    }
    check_placement(
        unit.kind,
        &RegionCode::from_db(unit.region_code.clone()),
        Some(&parent),
    )?;
    let new_path = format!("{}{}/", parent.path, unit.code);
    let delta = new_path.matches('/').count() as i32 - unit.path.matches('/').count() as i32;
    let (lo, hi) = nuanxin_store::subtree_range(&unit.path);
    // Re-root every path of the subtree: new prefix plus what followed the old prefix.
    const PATHS: &str =
        "UPDATE org_units SET path = $1 || substr(path, $2), depth = depth + $3, updated_at = $6
        WHERE path >= $4 AND path < $5";
    on_db!(tx.conn(), c => sqlx::query(PATHS).bind(&new_path).bind(unit.path.len() as i32 + 1).bind(delta)
        .bind(&lo).bind(&hi).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    counts::move_subtree(tx, &unit.path, &new_path).await?;
    const PARENT: &str = "UPDATE org_units SET parent_id = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(PARENT).bind(unit.id).bind(parent.id).execute(c).await.map(|r| r.rows_affected()))?;
    add_history(
        tx,
        caller,
        unit.id,
        "moved",
        unit.parent_id,
        Some(parent.id),
        Some(&unit.path),
        Some(&new_path),
    )
    .await?;
    caller.audit(tx, "orgs.move",
        code,
        Some(&new_path),
        serde_json::json!({"from": unit.parent_code, "to": parent.code, "from_path": unit.path}),
    )
    .await?;
    get(tx, &caller.scope, code).await
}

/// Dissolves a unit: it stays in the tree, read-only, with its history. A unit with active
/// children cannot be dissolved (move or dissolve them first).
pub async fn dissolve(tx: &mut Tx, caller: &Caller, code: &str) -> Result<OrgUnit> {
    let unit = get(tx, &caller.scope, code).await?;
    require(&caller.scope, &unit.path, Role::Admin)?;
    if !unit.is_active() {
        return Err(Error::conflict("status", "orgs.already_dissolved"));
    }
    const ACTIVE_CHILDREN: &str =
        "SELECT COUNT(*) FROM org_units WHERE parent_id = $1 AND status = 'active'";
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(ACTIVE_CHILDREN).bind(unit.id).fetch_one(c).await)?;
    if n > 0 {
        return Err(Error::conflict("status", "orgs.has_active_children"));
    }
    const SQL: &str = "UPDATE org_units SET status = 'dissolved', dissolved_on = $2, updated_at = $3 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(unit.id).bind(caller.today).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    counts::bump(
        tx,
        &unit.path,
        &[Delta::new(metric::UNIONS, unit.kind.as_str(), -1)],
    )
    .await?;
    if unit.kind == OrgKind::Federation {
        crate::census::reattribute(tx, &unit.region_code).await?;
    }
    add_history(tx, caller, unit.id, "dissolved", None, None, None, None).await?;
    caller
        .audit(
            tx,
            "orgs.dissolve",
            code,
            Some(&unit.path),
            serde_json::json!({}),
        )
        .await?;
    get(tx, &caller.scope, code).await
}

/// A history entry of a unit that went to another (a merge): the other unit and its path.
pub(super) async fn history_entry(
    tx: &mut Tx,
    caller: &Caller,
    org: Uuid,
    event: &str,
    other: Option<Uuid>,
    other_path: Option<&str>,
) -> Result<()> {
    add_history(tx, caller, org, event, None, other, None, other_path).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "every column of the row it writes, each named"
)]
async fn add_history(
    tx: &mut Tx,
    caller: &Caller,
    org: Uuid,
    event: &str,
    from_parent: Option<Uuid>,
    to_parent: Option<Uuid>,
    from_path: Option<&str>,
    to_path: Option<&str>,
) -> Result<()> {
    const SQL: &str = "INSERT INTO org_history (id, org_id, at, event, from_parent_id, to_parent_id, from_path, to_path, actor_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(org).bind(caller.at).bind(event)
        .bind(from_parent).bind(to_parent).bind(from_path).bind(to_path).bind(caller.actor.account_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One event in a unit's life.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: i64,
    pub event: String,
    pub from_parent_code: Option<String>,
    pub to_parent_code: Option<String>,
    pub actor: Option<String>,
}

pub async fn history(tx: &mut Tx, scope: &Scope, code: &str) -> Result<Vec<HistoryEntry>> {
    let unit = get(tx, scope, code).await?;
    const SQL: &str = "SELECT h.at, h.event, f.code AS from_parent_code, t.code AS to_parent_code, a.username AS actor
        FROM org_history h
        LEFT JOIN org_units f ON f.id = h.from_parent_id
        LEFT JOIN org_units t ON t.id = h.to_parent_id
        LEFT JOIN accounts a ON a.id = h.actor_id
        WHERE h.org_id = $1 ORDER BY h.at DESC, h.id DESC";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, HistoryEntry>(SQL).bind(unit.id).fetch_all(c).await)?,
    )
}

/// Parses and validates an input, mapping all field problems to the first one as an error.
pub fn draft(input: &super::OrgInput, today: chrono::NaiveDate) -> Result<OrgDraft> {
    OrgDraft::parse(input, today).map_err(Error::from)
}

/// Creates a unit from a form or an API body, as the use case of both: checks every field (all
/// problems at once), creates it under its parent and commits.
pub async fn submit_new(
    store: &crate::Store,
    caller: &Caller,
    input: &super::OrgInput,
) -> Result<OrgUnit> {
    let draft = OrgDraft::parse(input, caller.today)?;
    let mut tx = store.write().await?;
    let unit = create(&mut tx, caller, &draft).await?;
    tx.commit().await?;
    Ok(unit)
}

/// Changes a unit from a form or an API body: `edit` gives the new values from the unit as it is
/// (its code and parent stay, whatever `edit` says); every field is checked, then it commits.
pub async fn submit_changes(
    store: &crate::Store,
    caller: &Caller,
    code: &str,
    edit: impl FnOnce(&OrgUnit) -> super::OrgInput,
) -> Result<OrgUnit> {
    let mut tx = store.write().await?;
    let unit = get(&mut tx, &caller.scope, code).await?;
    let input = super::OrgInput {
        code: unit.code.clone(),
        parent_code: unit.parent_code.clone(),
        ..edit(&unit)
    };
    let draft = OrgDraft::parse(&input, caller.today)?;
    let unit = update(&mut tx, caller, code, &draft).await?;
    tx.commit().await?;
    Ok(unit)
}

/// What a unit's page shows: the unit, the way down to it, a page of its children and its
/// history, read together.
pub struct Overview {
    pub unit: OrgUnit,
    pub trail: Vec<OrgUnit>,
    pub children: Page<OrgUnit>,
    pub history: Vec<HistoryEntry>,
    /// Days the union may object to a member leaving by transfer.
    pub transfer_window: i64,
}

/// The overview of a unit in scope.
pub async fn overview(
    store: &crate::Store,
    scope: &Scope,
    code: &str,
    children_page: PageRequest,
) -> Result<Overview> {
    crate::in_read(store, async |tx| {
        let unit = get(tx, scope, code).await?;
        let trail = ancestors(tx, scope, &unit).await?;
        let children = children(tx, scope, code, children_page).await?;
        let history = history(tx, scope, code).await?;
        let transfer_window = crate::members::transfers::window(tx, scope, code).await?;
        Ok(Overview {
            unit,
            trail,
            children,
            history,
            transfer_window,
        })
    })
    .await
}

/// One unit in scope, read on its own.
pub async fn find(store: &crate::Store, scope: &Scope, code: &str) -> Result<OrgUnit> {
    crate::in_read(store, async |tx| get(tx, scope, code).await).await
}

/// A unit in scope and the active units in scope its subtree may move under (not inside
/// itself, not an enterprise union, not its present parent), at most 200.
pub async fn move_targets(
    store: &crate::Store,
    scope: &Scope,
    code: &str,
) -> Result<(OrgUnit, Vec<OrgUnit>)> {
    crate::in_read(store, async |tx| {
        let unit = get(tx, scope, code).await?;
        let filter = OrgFilter {
            status: Some(OrgStatus::Active),
            ..OrgFilter::default()
        };
        let first = PageRequest {
            page: 1,
            per_page: 200,
        };
        let candidates = list(tx, scope, &filter, first).await?.items;
        let candidates = candidates
            .into_iter()
            .filter(|c| {
                !c.path.starts_with(&unit.path)
                    && c.kind != OrgKind::EnterpriseUnion
                    && unit.parent_code.as_deref() != Some(c.code.as_str())
            })
            .collect();
        Ok((unit, candidates))
    })
    .await
}
