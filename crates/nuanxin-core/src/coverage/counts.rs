//! Maintained aggregates: every change to members, units, enterprises or prospects adds its
//! difference to the counters of the unit it happens at and of every ancestor, inside the same
//! transaction. A subtree's figure is then one lookup (`coverage_counts` where `scope_path` is the
//! subtree's path), whatever its size. `recount` recomputes everything from the base tables.
//!
//! Counters are keyed by path prefix: `/3715/371502/371502003/` counts under itself,
//! `/3715/371502/` and `/3715/`. Moving a subtree moves its rows and shifts its totals from the
//! old ancestors to the new ones.

use crate::{on_db, Backend, Result, Tx};
use chrono::NaiveDate;
use rand::Rng;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Metric names: what a counter row counts. Keys are given with each.
pub mod metric {
    /// Active members by worker group code.
    pub const MEMBERS: &str = "members";
    /// Active members by join channel code.
    pub const CHANNEL: &str = "channel";
    /// Active members by work region (township prefix, 9 digits, or shorter; "" when unknown).
    pub const REGION: &str = "region";
    /// Members who joined, by day (YYYY-MM-DD): `joined` events.
    pub const JOINED: &str = "joined";
    /// Active memberships that ended, by day and how (`2026-03-01:left`): the kinds are
    /// [`super::ENDINGS`].
    pub const LEFT: &str = "left";
    /// Active units by type code.
    pub const UNIONS: &str = "unions";
    /// Units founded, by day (founding date, else the day they were recorded).
    pub const UNIONS_FOUNDED: &str = "unions_founded";
    /// Census enterprises: `surveyed`, `operating`, `unionised`, `workers` (new-form workers of
    /// operating enterprises), `none_ge100`, `none_50_99`, `none_25_49`, `none_lt25`.
    pub const ENT: &str = "ent";
    /// Enterprises marked unionised, by day.
    pub const ENT_UNIONISED: &str = "ent_unionised";
    /// Prospects: `unattached` (not linked to a census enterprise), `all`.
    pub const PROSPECTS: &str = "prospects";
    /// Open stations by station type code.
    pub const STATIONS: &str = "stations";
    /// People served at stations (visit head counts), by day.
    pub const SERVICES: &str = "services";
    /// Rights cases opened, by day and kind (`2026-03-01:wages`).
    pub const CASES_OPENED: &str = "cases_opened";
    /// Fen claimed by the rights cases opened, by day.
    pub const CASES_CLAIMED: &str = "cases_claimed";
    /// Rights cases closed, by day.
    pub const CASES_CLOSED: &str = "cases_closed";
    /// Fen recovered by the rights cases closed, by day.
    pub const CASES_RECOVERED: &str = "cases_recovered";
    /// People helped (a case closed with money recovered), each counted once per year on the
    /// first day of that year they were helped in the subtree: the sum from 1 January to a day
    /// is the number of distinct people helped in that time.
    pub const CASES_HELPED_FIRST: &str = "cases_helped_first";
    /// Labour-law checks (法治体检) run, by day.
    pub const CHECKS: &str = "checks";
    /// Problems the labour-law checks found, by the day of the check.
    pub const CHECK_FINDINGS: &str = "check_findings";
    /// Problems found and rectified since, by the day of the check.
    pub const CHECK_RECTIFIED: &str = "check_rectified";
    /// Mutual-aid enrolments, by the day coverage starts.
    pub const AID_ENROLLED: &str = "aid_enrolled";
    /// Premium of the mutual-aid enrolments in fen, by the day coverage starts.
    pub const AID_PREMIUM: &str = "aid_premium";
    /// Mutual-aid claims filed, by day.
    pub const AID_CLAIMS: &str = "aid_claims";
    /// Fen approved by mutual-aid claims, by the day of the decision.
    pub const AID_APPROVED: &str = "aid_approved";
    /// Fen paid by mutual-aid claims, by the day paid.
    pub const AID_PAID: &str = "aid_paid";
}

/// The daily metrics as an SQL list (`'joined', 'left', …`): loads read only the period's days
/// of them.
static DAILY_IN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    DAILY
        .iter()
        .map(|m| format!("'{m}'"))
        .collect::<Vec<_>>()
        .join(", ")
});

/// Metrics whose keys are days (or start with one).
pub const DAILY: [&str; 18] = [
    metric::JOINED,
    metric::LEFT,
    metric::UNIONS_FOUNDED,
    metric::ENT_UNIONISED,
    metric::SERVICES,
    metric::CASES_OPENED,
    metric::CASES_CLAIMED,
    metric::CASES_CLOSED,
    metric::CASES_RECOVERED,
    metric::CASES_HELPED_FIRST,
    metric::CHECKS,
    metric::CHECK_FINDINGS,
    metric::CHECK_RECTIFIED,
    metric::AID_ENROLLED,
    metric::AID_PREMIUM,
    metric::AID_CLAIMS,
    metric::AID_APPROVED,
    metric::AID_PAID,
];

/// How an active membership ends, as the departures counter keys it after the day: the member
/// left (退会), kept their membership without a job (保留会籍), a cadre lapsed it, or it moved to
/// another union.
pub const ENDINGS: [&str; 4] = ["left", "retained", "lapsed", "transferred_out"];

/// The departures counter's key of one ending: its day, then how.
pub fn left_key(day: NaiveDate, ending: &str) -> String {
    format!("{}:{ending}", day.format("%Y-%m-%d"))
}

/// One difference to a counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub metric: &'static str,
    pub key: String,
    pub n: i64,
}

impl Delta {
    pub fn new(metric: &'static str, key: impl Into<String>, n: i64) -> Delta {
        Delta {
            metric,
            key: key.into(),
            n,
        }
    }
}

/// The paths a change at `path` counts under: the unit and each ancestor, root first.
pub fn prefixes(path: &str) -> Vec<&str> {
    path.char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0)
        .map(|(i, _)| &path[..=i])
        .collect()
}

/// Rows per statement: keeps bind parameters well under SQLite's and PostgreSQL's limits.
const CHUNK: usize = 150;

/// Adds `deltas` to the counters of `path` and all its ancestors.
pub async fn bump(tx: &mut Tx, path: &str, deltas: &[Delta]) -> Result<()> {
    add_rows(tx, rows(path, deltas)).await
}

/// The counter rows (path, metric, key, n) that `deltas` at `path` add to: the unit's and each
/// ancestor's, for [`add_rows`] (which merges the rows of many changes into one statement).
pub fn rows(path: &str, deltas: &[Delta]) -> Vec<(String, &'static str, String, i64)> {
    prefixes(path)
        .into_iter()
        .flat_map(|p| {
            deltas
                .iter()
                .filter(|d| d.n != 0)
                .map(move |d| (p.to_string(), d.metric, d.key.clone(), d.n))
        })
        .collect()
}

/// Adds counter rows (path, metric, key, n), merging repeats. Rows are written in a fixed order so
/// that concurrent writers take row locks in the same order (no deadlocks on PostgreSQL).
pub async fn add_rows(tx: &mut Tx, rows: Vec<(String, &'static str, String, i64)>) -> Result<()> {
    let mut merged: BTreeMap<(String, &'static str, String), i64> = BTreeMap::new();
    for (p, m, k, n) in rows {
        *merged.entry((p, m, k)).or_default() += n;
    }
    merged.retain(|_, n| *n != 0);
    if merged.is_empty() {
        return Ok(());
    }
    // Concurrent joins all touch the root's rows: on PostgreSQL each transaction picks one of
    // eight shards so that they do not queue on one row lock. SQLite has one writer anyway.
    let shard: i16 = match tx.backend() {
        Backend::Sqlite => 0,
        Backend::Postgres => rand::thread_rng().gen_range(0..8),
    };
    let rows: Vec<_> = merged.into_iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let values = nuanxin_store::values_placeholders(tx.backend(), chunk.len(), 5, 1);
        let sql = format!(
            "INSERT INTO coverage_counts (scope_path, metric, key, shard, n) VALUES {values}
            ON CONFLICT (scope_path, metric, key, shard) DO UPDATE SET n = coverage_counts.n + excluded.n"
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for ((p, m, k), n) in chunk {
                q = q.bind(p.as_str()).bind(*m).bind(k.as_str()).bind(shard).bind(*n);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Counters of one subtree, summed over shards. Daily metrics only for days in `days` (inclusive),
/// when given.
pub async fn load(tx: &mut Tx, path: &str, days: Option<(NaiveDate, NaiveDate)>) -> Result<Counts> {
    let (from, to) = day_bounds(days);
    let sql = format!(
        "SELECT metric, key, CAST(SUM(n) AS BIGINT) FROM coverage_counts WHERE scope_path = $1
        AND (metric NOT IN ({}) OR (key >= $2 AND key <= $3))
        GROUP BY metric, key",
        *DAILY_IN
    );
    let rows: Vec<(String, String, i64)> = on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(path).bind(&from).bind(&to).fetch_all(c).await)?;
    Ok(Counts::from_rows(rows))
}

/// Totals of some daily metrics of one subtree over the days, summed by the database: one row
/// per metric, keyed by what follows the day in its keys (`wages` of `2026-03-01:wages`, or
/// empty). A report that needs a few metrics' sums reads a handful of rows, not a row per day.
pub async fn totals(
    tx: &mut Tx,
    path: &str,
    days: (NaiveDate, NaiveDate),
    metrics: &[&str],
) -> Result<Counts> {
    let (from, to) = day_bounds(Some(days));
    let marks: Vec<String> = (0..metrics.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "SELECT metric, substr(key, 12), CAST(SUM(n) AS BIGINT) FROM coverage_counts
        WHERE scope_path = $1 AND metric IN ({}) AND key >= $2 AND key <= $3
        GROUP BY metric, substr(key, 12)",
        marks.join(", ")
    );
    let rows: Vec<(String, String, i64)> = on_db!(tx.conn(), c => {
        let mut q = sqlx::query_as(&sql).bind(path).bind(&from).bind(&to);
        for m in metrics {
            q = q.bind(*m);
        }
        q.fetch_all(c).await
    })?;
    Ok(Counts::from_rows(rows))
}

/// Counters of each child of the unit `parent`, by child path.
pub async fn load_children(
    tx: &mut Tx,
    parent: Uuid,
    days: Option<(NaiveDate, NaiveDate)>,
) -> Result<HashMap<String, Counts>> {
    let (from, to) = day_bounds(days);
    let sql = format!(
        "SELECT o.path, c.metric, c.key, CAST(SUM(c.n) AS BIGINT) FROM org_units o
        JOIN coverage_counts c ON c.scope_path = o.path
        WHERE o.parent_id = $1 AND (c.metric NOT IN ({}) OR (c.key >= $2 AND c.key <= $3))
        GROUP BY o.path, c.metric, c.key",
        *DAILY_IN
    );
    let rows: Vec<(String, String, String, i64)> = on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(parent).bind(&from).bind(&to).fetch_all(c).await)?;
    let mut out: HashMap<String, Vec<(String, String, i64)>> = HashMap::new();
    for (p, m, k, n) in rows {
        out.entry(p).or_default().push((m, k, n));
    }
    Ok(out
        .into_iter()
        .map(|(p, rows)| (p, Counts::from_rows(rows)))
        .collect())
}

/// Sums of daily metrics by month (YYYY-MM) from `since` on.
pub async fn monthly(
    tx: &mut Tx,
    path: &str,
    since: NaiveDate,
) -> Result<Vec<(String, String, i64)>> {
    const SQL: &str =
        "SELECT metric, substr(key, 1, 7), CAST(SUM(n) AS BIGINT) FROM coverage_counts
        WHERE scope_path = $1 AND metric IN ('joined', 'left', 'unions_founded') AND key >= $2
        GROUP BY metric, substr(key, 1, 7)";
    let since = since.format("%Y-%m-%d").to_string();
    Ok(on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(path).bind(&since).fetch_all(c).await)?)
}

fn day_bounds(days: Option<(NaiveDate, NaiveDate)>) -> (String, String) {
    match days {
        // Departures' keys carry their kind after the day ('2026-03-01:left'): '~' sorts after
        // ':', so the last day's are in.
        Some((a, b)) => (
            a.format("%Y-%m-%d").to_string(),
            format!("{}~", b.format("%Y-%m-%d")),
        ),
        None => ("0000-00-00".into(), "9999-99-99".into()),
    }
}

/// Counter values of one subtree: (metric, key) → n.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub HashMap<(String, String), i64>);

impl Counts {
    fn from_rows(rows: Vec<(String, String, i64)>) -> Counts {
        Counts(rows.into_iter().map(|(m, k, n)| ((m, k), n)).collect())
    }

    pub fn get(&self, metric: &str, key: &str) -> i64 {
        self.0
            .get(&(metric.to_string(), key.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Every key of a metric with its value.
    pub fn of(&self, metric: &str) -> BTreeMap<String, i64> {
        self.0
            .iter()
            .filter(|((m, _), n)| m == metric && **n != 0)
            .map(|((_, k), n)| (k.clone(), *n))
            .collect()
    }

    /// Departures by how they ended ([`ENDINGS`], zeros included), summed over days.
    pub fn endings(&self) -> BTreeMap<String, i64> {
        let mut by: BTreeMap<String, i64> = ENDINGS.iter().map(|e| (e.to_string(), 0)).collect();
        for ((m, k), n) in &self.0 {
            if m == metric::LEFT {
                let ending = k.split_once(':').map_or("transferred_out", |(_, e)| e);
                *by.entry(ending.to_string()).or_default() += n;
            }
        }
        by
    }

    /// The sum over all keys of a metric.
    pub fn total(&self, metric: &str) -> i64 {
        self.0
            .iter()
            .filter(|((m, _), _)| m == metric)
            .map(|(_, n)| *n)
            .sum()
    }
}

/// Moves the counters of the subtree at `old_path` to `new_path`: the subtree's own rows are
/// re-rooted, and its totals leave the old ancestors and arrive at the new ones.
pub async fn move_subtree(tx: &mut Tx, old_path: &str, new_path: &str) -> Result<()> {
    let totals = load(tx, old_path, None).await?;
    let old_anc: Vec<&str> = prefixes(old_path)
        .into_iter()
        .filter(|p| *p != old_path)
        .collect();
    let new_anc: Vec<&str> = prefixes(new_path)
        .into_iter()
        .filter(|p| *p != new_path)
        .collect();
    let mut rows = Vec::new();
    for ((m, k), n) in &totals.0 {
        let Some(m) = static_metric(m) else { continue };
        for p in old_anc.iter().filter(|p| !new_anc.contains(p)) {
            rows.push((p.to_string(), m, k.clone(), -n));
        }
        for p in new_anc.iter().filter(|p| !old_anc.contains(p)) {
            rows.push((p.to_string(), m, k.clone(), *n));
        }
    }
    add_rows(tx, rows).await?;
    let (lo, hi) = nuanxin_store::subtree_range(old_path);
    const PATHS: &str = "UPDATE coverage_counts SET scope_path = $1 || substr(scope_path, $2)
        WHERE scope_path >= $3 AND scope_path < $4";
    on_db!(tx.conn(), c => sqlx::query(PATHS).bind(new_path).bind(old_path.len() as i32 + 1).bind(&lo).bind(&hi)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The static name of a metric read back from the database.
pub fn static_metric(m: &str) -> Option<&'static str> {
    use metric::*;
    [
        MEMBERS,
        CHANNEL,
        REGION,
        JOINED,
        LEFT,
        UNIONS,
        UNIONS_FOUNDED,
        ENT,
        ENT_UNIONISED,
        PROSPECTS,
        STATIONS,
        SERVICES,
        CASES_OPENED,
        CASES_CLAIMED,
        CASES_CLOSED,
        CASES_RECOVERED,
        CASES_HELPED_FIRST,
        CHECKS,
        CHECK_FINDINGS,
        CHECK_RECTIFIED,
        AID_ENROLLED,
        AID_PREMIUM,
        AID_CLAIMS,
        AID_APPROVED,
        AID_PAID,
    ]
    .into_iter()
    .find(|s| *s == m)
}

/// The counter differences of one membership becoming active on `day`, read from its row.
pub async fn joined(tx: &mut Tx, membership: Uuid, day: NaiveDate) -> Result<()> {
    let (path, mut deltas) = membership_row(tx, membership, 1).await?;
    deltas.push(Delta::new(
        metric::JOINED,
        day.format("%Y-%m-%d").to_string(),
        1,
    ));
    bump(tx, &path, &deltas).await
}

/// The counter differences of one active membership ending on `day` the way `ending` says
/// (one of [`ENDINGS`]), read from its row.
pub async fn ended(tx: &mut Tx, membership: Uuid, day: NaiveDate, ending: &str) -> Result<()> {
    let (path, mut deltas) = membership_row(tx, membership, -1).await?;
    deltas.push(Delta::new(metric::LEFT, left_key(day, ending), 1));
    bump(tx, &path, &deltas).await
}

async fn membership_row(tx: &mut Tx, membership: Uuid, sign: i64) -> Result<(String, Vec<Delta>)> {
    const SQL: &str = "SELECT o.path, m.worker_group, m.channel, m.work_region FROM memberships m
        JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    let (path, group, channel, region): (String, String, String, Option<String>) =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(membership).fetch_one(c).await)?;
    Ok((
        path,
        membership_deltas(&group, &channel, region.as_deref(), sign),
    ))
}

/// The counters an active membership adds to (`sign` 1) or takes from (`sign` -1).
pub fn membership_deltas(
    group: &str,
    channel: &str,
    work_region: Option<&str>,
    sign: i64,
) -> Vec<Delta> {
    vec![
        Delta::new(metric::MEMBERS, group, sign),
        Delta::new(metric::CHANNEL, channel, sign),
        Delta::new(metric::REGION, region_key(work_region), sign),
    ]
}

/// Members by region are counted per township (the first 9 digits of the work region).
pub fn region_key(region: Option<&str>) -> String {
    region
        .map(|r| r.chars().take(9).collect())
        .unwrap_or_default()
}

/// The counters a prospect adds to; `attached` when linked to a census enterprise (whose workers
/// are already counted there).
pub fn prospect_deltas(attached: bool, sign: i64) -> Vec<Delta> {
    let mut d = vec![Delta::new(metric::PROSPECTS, "all", sign)];
    if !attached {
        d.push(Delta::new(metric::PROSPECTS, "unattached", sign));
    }
    d
}

/// The counters an active unit adds to: one of its type, and one founded on its founding day.
pub fn unit_deltas(kind: &str, founded: NaiveDate, sign: i64) -> Vec<Delta> {
    vec![
        Delta::new(metric::UNIONS, kind, sign),
        Delta::new(
            metric::UNIONS_FOUNDED,
            founded.format("%Y-%m-%d").to_string(),
            sign,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_run_from_the_root_to_the_unit() {
        assert_eq!(
            prefixes("/3715/371502/371502003/"),
            vec!["/3715/", "/3715/371502/", "/3715/371502/371502003/"]
        );
        assert_eq!(prefixes("/3715/"), vec!["/3715/"]);
        assert!(prefixes("/").is_empty());
    }

    #[test]
    fn counts_sum_and_filter_by_metric() {
        let c = Counts::from_rows(vec![
            ("members".into(), "courier".into(), 3),
            ("members".into(), "delivery_rider".into(), 4),
            ("members".into(), "other".into(), 0),
            ("unions".into(), "joint_union".into(), 2),
        ]);
        assert_eq!(c.total("members"), 7);
        assert_eq!(c.get("members", "courier"), 3);
        assert_eq!(c.get("members", "truck_driver"), 0);
        assert_eq!(c.of("members").len(), 2, "zero rows are left out");
    }
}
