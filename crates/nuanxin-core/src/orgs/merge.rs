//! Merging units (合并): a unit's members (active, retained and asking), join codes, stations,
//! the enterprises whose union it is, its prospects and its open transfers move to the surviving
//! unit, and the merged unit is dissolved, its history kept. Active members get dated events
//! (`merged_out` there, `merged_in` here) and move between the counters at once; their earlier
//! joins stay where they happened, so period figures stay right. Its targets move too: a count
//! target adds into the surviving unit's target of the same metric and period (a rate target
//! keeps the surviving unit's), and the shares handed down from it hang from the target that
//! took it.

use super::{queries, OrgKind, OrgUnit};
use crate::accounts::Caller;
use crate::coverage::counts::{self, metric, Delta};
use crate::{in_write, on_db, Error, Result, Role, Store, Tx};
use nuanxin_store::new_id;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The body of `POST /orgs/{code}/merge`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MergeInput {
    /// The code of the unit that survives.
    pub into: String,
}

/// What moved.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Merged {
    pub into: String,
    /// Memberships moved (active, retained, and requests).
    pub members: u64,
    pub stations: u64,
    pub join_codes: u64,
    pub enterprises: u64,
    pub prospects: u64,
    /// Targets moved or added into the surviving unit's.
    pub targets: u64,
}

/// The counters a unit's own records add to (not its joins and departures, which stay where
/// they happened; not the unit itself).
async fn own_deltas(tx: &mut Tx, org: Uuid) -> Result<Vec<Delta>> {
    let mut out = Vec::new();
    const MEMBERS: &str = "SELECT worker_group, channel, work_region, COUNT(*) FROM memberships
        WHERE org_id = $1 AND status = 'active' GROUP BY worker_group, channel, work_region";
    let rows: Vec<(String, String, Option<String>, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(MEMBERS).bind(org).fetch_all(c).await)?;
    for (group, channel, region, n) in rows {
        out.extend(counts::membership_deltas(
            &group,
            &channel,
            region.as_deref(),
            n,
        ));
    }
    const STATIONS: &str =
        "SELECT kind, COUNT(*) FROM stations WHERE org_id = $1 AND status = 'open' GROUP BY kind";
    let rows: Vec<(String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(STATIONS).bind(org).fetch_all(c).await)?;
    out.extend(
        rows.into_iter()
            .map(|(k, n)| Delta::new(metric::STATIONS, k, n)),
    );
    const SERVED: &str =
        "SELECT v.visited_on, CAST(SUM(v.headcount) AS BIGINT) FROM station_visits v
        JOIN stations s ON s.id = v.station_id WHERE s.org_id = $1 GROUP BY v.visited_on";
    let rows: Vec<(chrono::NaiveDate, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SERVED).bind(org).fetch_all(c).await)?;
    out.extend(
        rows.into_iter()
            .map(|(d, n)| Delta::new(metric::SERVICES, d.to_string(), n)),
    );
    const ENTERPRISES: &str = "SELECT o.path AS owner_path, e.operating, e.union_status, e.staff, e.new_form_workers, e.unionised_on
        FROM enterprises e JOIN org_units o ON o.id = e.owner_org_id WHERE e.owner_org_id = $1 AND e.union_org_id = $1";
    let rows: Vec<crate::census::FactsRow> =
        on_db!(tx.conn(), c => sqlx::query_as(ENTERPRISES).bind(org).fetch_all(c).await)?;
    for f in rows {
        out.extend(f.deltas(1));
    }
    const PROSPECTS: &str = "SELECT enterprise_id IS NOT NULL, COUNT(*) FROM prospects WHERE org_id = $1 GROUP BY enterprise_id IS NOT NULL";
    let rows: Vec<(bool, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(PROSPECTS).bind(org).fetch_all(c).await)?;
    for (attached, n) in rows {
        out.extend(counts::prospect_deltas(attached, n));
    }
    Ok(out)
}

fn negated(deltas: &[Delta]) -> Vec<Delta> {
    deltas
        .iter()
        .map(|d| Delta::new(d.metric, d.key.clone(), -d.n))
        .collect()
}

async fn moved(tx: &mut Tx, sql: &str, from: Uuid, to: Uuid) -> Result<u64> {
    Ok(
        on_db!(tx.conn(), c => sqlx::query(sql).bind(from).bind(to).execute(c).await.map(|r| r.rows_affected()))?,
    )
}

/// Moves the targets of `a` to `b` (see the module's notes). Returns how many.
async fn move_targets(tx: &mut Tx, a: &OrgUnit, b: &OrgUnit, at: i64) -> Result<u64> {
    type Target = (Uuid, String, chrono::NaiveDate, chrono::NaiveDate, f64);
    const OWN: &str =
        "SELECT id, metric, period_start, period_end, value FROM targets WHERE org_id = $1";
    const SAME: &str = "SELECT id FROM targets WHERE org_id = $1 AND metric = $2 AND period_start = $3 AND period_end = $4";
    let targets: Vec<Target> =
        on_db!(tx.conn(), c => sqlx::query_as(OWN).bind(a.id).fetch_all(c).await)?;
    for (id, metric, start, end, value) in &targets {
        let theirs: Option<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(SAME).bind(b.id).bind(metric)
            .bind(start).bind(end).fetch_optional(c).await)?;
        match theirs {
            Some(into) => {
                let rate = crate::targets::TargetMetric::parse(metric).is_none_or(|m| m.is_rate());
                if !rate {
                    const ADD: &str =
                        "UPDATE targets SET value = value + $2, updated_at = $3 WHERE id = $1";
                    on_db!(tx.conn(), c => sqlx::query(ADD).bind(into).bind(value).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
                }
                const SHARES: &str =
                    "UPDATE targets SET parent_id = $2, updated_at = $3 WHERE parent_id = $1";
                on_db!(tx.conn(), c => sqlx::query(SHARES).bind(id).bind(into).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
                const DROP: &str = "DELETE FROM targets WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(DROP).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
            }
            None => {
                // It hangs from the surviving unit's parent's target of the metric and period.
                let parent: Option<Uuid> = match b.parent_id {
                    Some(p) => on_db!(tx.conn(), c => sqlx::query_scalar(SAME).bind(p).bind(metric)
                        .bind(start).bind(end).fetch_optional(c).await)?,
                    None => None,
                };
                const MOVE: &str =
                    "UPDATE targets SET org_id = $2, parent_id = $3, updated_at = $4 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(MOVE).bind(id).bind(b.id).bind(parent).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
            }
        }
    }
    Ok(targets.len() as u64)
}

/// Moves the memberships that are not over (active, retained, requested) from one union to
/// another; `updated_at` tells partners' webhooks the membership changed.
async fn move_memberships(tx: &mut Tx, from: Uuid, to: Uuid, at: i64) -> Result<u64> {
    const SQL: &str = "UPDATE memberships SET org_id = $2, updated_at = $3
        WHERE org_id = $1 AND status IN ('active', 'retained', 'pending', 'review')";
    Ok(
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(from).bind(to).bind(at).execute(c).await.map(|r| r.rows_affected()))?,
    )
}

/// Merges the unit `code` into `input.into`: admins of the merged unit, staff (or above) of the
/// surviving one. The merged unit must have no active units below it.
pub async fn merge(
    store: &Store,
    caller: &Caller,
    code: &str,
    input: &MergeInput,
) -> Result<Merged> {
    in_write(store, async |tx| {
        let a = queries::get(tx, &caller.scope, code).await?;
        if !caller.may_restructure(&a.path) {
            return Err(Error::Forbidden);
        }
        let b: OrgUnit = queries::get(tx, &caller.scope, &input.into)
            .await
            .map_err(|_| Error::invalid("into", "orgs.merge_unknown"))?;
        if caller.role_at(&b.path) < Some(Role::Staff) {
            return Err(Error::invalid("into", "orgs.merge_unknown"));
        }
        if a.id == b.id || b.path.starts_with(&a.path) {
            return Err(Error::invalid("into", "orgs.merge_into_itself"));
        }
        if !a.is_active() || !b.is_active() {
            return Err(Error::conflict("status", "orgs.dissolved_readonly"));
        }
        const CHILDREN: &str = "SELECT COUNT(*) FROM org_units WHERE parent_id = $1 AND status = 'active'";
        let children: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(CHILDREN).bind(a.id).fetch_one(c).await)?;
        if children > 0 {
            return Err(Error::conflict("status", "orgs.has_active_children"));
        }
        // Out of the merged unit's counters: everything it holds now. A person known as a
        // prospect at both keeps the surviving union's record; the rest is what moves, into the
        // surviving unit's counters.
        let before = own_deltas(tx, a.id).await?;
        counts::bump(tx, &a.path, &negated(&before)).await?;
        const DUP_PROSPECTS: &str = "DELETE FROM prospects WHERE org_id = $1 AND id_hash IS NOT NULL
            AND id_hash IN (SELECT id_hash FROM prospects WHERE org_id = $2 AND id_hash IS NOT NULL)";
        moved(tx, DUP_PROSPECTS, a.id, b.id).await?;
        let moving = own_deltas(tx, a.id).await?;
        counts::bump(tx, &b.path, &moving).await?;
        // Dated events for the active members, before their rows move.
        const ACTIVE: &str = "SELECT id FROM memberships WHERE org_id = $1 AND status = 'active'";
        let active: Vec<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(ACTIVE).bind(a.id).fetch_all(c).await)?;
        const EVENT: &str = "INSERT INTO membership_events (id, membership_id, org_id, event, at, on_date, actor, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        for m in &active {
            for (org, event) in [(a.id, "merged_out"), (b.id, "merged_in")] {
                on_db!(tx.conn(), c => sqlx::query(EVENT).bind(new_id()).bind(*m).bind(org).bind(event).bind(caller.at)
                    .bind(caller.today).bind(&caller.actor.name).bind(&b.name).execute(c).await.map(|r| r.rows_affected()))?;
            }
        }
        let mut done = Merged { into: b.code.clone(), ..Merged::default() };
        done.members = move_memberships(tx, a.id, b.id, caller.at).await?;
        done.join_codes = moved(tx, "UPDATE join_codes SET org_id = $2 WHERE org_id = $1 AND revoked_at IS NULL", a.id, b.id).await?;
        done.stations = moved(tx, "UPDATE stations SET org_id = $2 WHERE org_id = $1", a.id, b.id).await?;
        done.enterprises = moved(tx, "UPDATE enterprises SET owner_org_id = $2, union_org_id = $2 WHERE union_org_id = $1 AND owner_org_id = $1", a.id, b.id).await?;
        moved(tx, "UPDATE enterprises SET union_org_id = $2 WHERE union_org_id = $1", a.id, b.id).await?;
        done.prospects = moved(tx, "UPDATE prospects SET org_id = $2 WHERE org_id = $1", a.id, b.id).await?;
        done.targets = move_targets(tx, &a, &b, caller.at).await?;
        moved(tx, "UPDATE transfers SET from_org_id = $2 WHERE from_org_id = $1 AND status IN ('requested', 'accepted', 'objected')", a.id, b.id).await?;
        moved(tx, "UPDATE transfers SET to_org_id = $2 WHERE to_org_id = $1 AND status IN ('requested', 'accepted', 'objected')", a.id, b.id).await?;
        const CHANGED: &str = "INSERT INTO station_changes (station_id) SELECT id FROM stations WHERE org_id = $1";
        on_db!(tx.conn(), c => sqlx::query(CHANGED).bind(b.id).execute(c).await.map(|r| r.rows_affected()))?;
        // The merged unit is dissolved, as a merge in its history.
        const DISSOLVE: &str = "UPDATE org_units SET status = 'dissolved', dissolved_on = $2, updated_at = $3 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(DISSOLVE).bind(a.id).bind(caller.today).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
        counts::bump(tx, &a.path, &[Delta::new(metric::UNIONS, a.kind.as_str(), -1)]).await?;
        if a.kind == OrgKind::Federation {
            crate::census::reattribute(tx, &a.region_code).await?;
        }
        queries::history_entry(tx, caller, a.id, "merged", Some(b.id), Some(&b.path)).await?;
        let detail = serde_json::json!({"into": b.code, "members": done.members, "stations": done.stations,
            "join_codes": done.join_codes, "enterprises": done.enterprises, "prospects": done.prospects, "targets": done.targets});
        caller.audit(tx, "orgs.merge", code, Some(&a.path), detail.clone()).await?;
        caller.audit(tx, "orgs.merge", &b.code, Some(&b.path), detail).await?;
        Ok(done)
    })
    .await
}

/// Moves the members of unit `a` (active, retained and requests) to unit `b` with dated events
/// (`out_event` there, `in_event` here) for the active ones, their counters with them, and the
/// open transfers of `a`. Returns how many memberships moved.
async fn move_members(
    tx: &mut Tx,
    caller: &Caller,
    a: &OrgUnit,
    b: &OrgUnit,
    events: (&str, &str),
) -> Result<u64> {
    const MEMBERS: &str = "SELECT worker_group, channel, work_region, COUNT(*) FROM memberships
        WHERE org_id = $1 AND status = 'active' GROUP BY worker_group, channel, work_region";
    let rows: Vec<(String, String, Option<String>, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(MEMBERS).bind(a.id).fetch_all(c).await)?;
    let mut deltas = Vec::new();
    for (group, channel, region, n) in rows {
        deltas.extend(counts::membership_deltas(
            &group,
            &channel,
            region.as_deref(),
            n,
        ));
    }
    counts::bump(tx, &a.path, &negated(&deltas)).await?;
    counts::bump(tx, &b.path, &deltas).await?;
    const ACTIVE: &str = "SELECT id FROM memberships WHERE org_id = $1 AND status = 'active'";
    let active: Vec<Uuid> =
        on_db!(tx.conn(), c => sqlx::query_scalar(ACTIVE).bind(a.id).fetch_all(c).await)?;
    const EVENT: &str = "INSERT INTO membership_events (id, membership_id, org_id, event, at, on_date, actor, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    for m in &active {
        for (org, event) in [(a.id, events.0), (b.id, events.1)] {
            on_db!(tx.conn(), c => sqlx::query(EVENT).bind(new_id()).bind(*m).bind(org).bind(event).bind(caller.at)
                .bind(caller.today).bind(&caller.actor.name).bind(&b.name).execute(c).await.map(|r| r.rows_affected()))?;
        }
    }
    let n = move_memberships(tx, a.id, b.id, caller.at).await?;
    moved(tx, "UPDATE transfers SET from_org_id = $2 WHERE from_org_id = $1 AND status IN ('requested', 'accepted', 'objected')", a.id, b.id).await?;
    moved(tx, "UPDATE transfers SET to_org_id = $2 WHERE to_org_id = $1 AND status IN ('requested', 'accepted', 'objected')", a.id, b.id).await?;
    Ok(n)
}

/// Memberships a unit still holds (active, retained and requests).
pub async fn members_left(tx: &mut Tx, org: Uuid) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND status IN ('active', 'retained', 'pending', 'review')";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(org).fetch_one(c).await)?)
}

/// Where the members of a dissolved unit go when nobody says: the nearest holding pool (周转库)
/// among the children of its ancestors, nearest first.
pub async fn default_members_to(tx: &mut Tx, unit: &OrgUnit) -> Result<Option<String>> {
    // The unit's own ancestors, whoever asks: a township's cadre sends members to the county's
    // holding pool though it lies outside their subtree.
    let trail = queries::ancestors(tx, &crate::Scope::operator(), unit).await?;
    for parent in trail.iter().rev() {
        const POOL: &str =
            "SELECT code FROM org_units WHERE parent_id = $1 AND joint_kind = 'holding_pool'
            AND status = 'active' AND id <> $2 ORDER BY code LIMIT 1";
        let found: Option<String> = on_db!(tx.conn(), c => sqlx::query_scalar(POOL).bind(parent.id).bind(unit.id).fetch_optional(c).await)?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Dissolves a unit; its members go to `members_to` (by default the nearest holding pool) with
/// dated events, their counters with them. Admins of the unit, staff of where they go.
pub async fn dissolve_with_members(
    store: &Store,
    caller: &Caller,
    code: &str,
    members_to: Option<&str>,
) -> Result<OrgUnit> {
    in_write(store, async |tx| {
        let a = queries::get(tx, &caller.scope, code).await?;
        if !caller.may_restructure(&a.path) {
            return Err(Error::Forbidden);
        }
        if a.is_active() && members_left(tx, a.id).await? > 0 {
            let default = default_members_to(tx, &a).await?;
            let to = match members_to.map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => t.to_string(),
                None => default
                    .clone()
                    .ok_or(Error::invalid("members_to", "orgs.members_to_required"))?,
            };
            // Any union the caller is staff of, or the unit's own holding pool.
            let is_default = default.as_deref() == Some(to.as_str());
            let within = if is_default {
                crate::Scope::operator()
            } else {
                caller.scope.clone()
            };
            let b = queries::get(tx, &within, &to)
                .await
                .map_err(|_| Error::invalid("members_to", "orgs.merge_unknown"))?;
            if (!is_default && caller.role_at(&b.path) < Some(Role::Staff)) || !b.is_active() {
                return Err(Error::invalid("members_to", "orgs.merge_unknown"));
            }
            if b.id == a.id || b.path.starts_with(&a.path) {
                return Err(Error::invalid("members_to", "orgs.merge_into_itself"));
            }
            let n = move_members(tx, caller, &a, &b, ("dissolved_out", "dissolved_in")).await?;
            let detail = serde_json::json!({"members_to": b.code, "members": n});
            caller
                .audit(tx, "orgs.dissolve_members", code, Some(&a.path), detail)
                .await?;
        }
        queries::dissolve(tx, caller, code).await
    })
    .await
}
