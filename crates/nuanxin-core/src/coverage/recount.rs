//! The full recount: every counter recomputed from the base tables (memberships, membership
//! events, units, enterprises, prospects) and compared with the maintained one; with `repair`,
//! differences are overwritten. `nuanxin admin recount` runs it; tests use it to prove that the
//! incremental maintenance is exact.

use super::counts::{self, metric, prefixes};
use crate::{on_db, Result, Store, Tx};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

type Key = (String, &'static str, String);

/// One counter whose stored value differs from the recount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub scope_path: String,
    pub metric: String,
    pub key: String,
    pub stored: i64,
    pub counted: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecountReport {
    /// Counters compared (non-zero in either).
    pub counters: usize,
    pub differences: Vec<Difference>,
    pub repaired: bool,
}

fn add(map: &mut HashMap<Key, i64>, path: &str, m: &'static str, key: String, n: i64) {
    if n == 0 {
        return;
    }
    for p in prefixes(path) {
        *map.entry((p.to_string(), m, key.clone())).or_default() += n;
    }
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// What every counter should be, from the base tables.
async fn expected(tx: &mut Tx) -> Result<HashMap<Key, i64>> {
    let mut map = HashMap::new();
    const MEMBERS: &str = "SELECT o.path, m.worker_group, m.channel, m.work_region, COUNT(*) FROM memberships m
        JOIN org_units o ON o.id = m.org_id WHERE m.status = 'active' GROUP BY o.path, m.worker_group, m.channel, m.work_region";
    let rows: Vec<(String, String, String, Option<String>, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(MEMBERS).fetch_all(c).await)?;
    for (path, group, channel, region, n) in rows {
        for d in counts::membership_deltas(&group, &channel, region.as_deref(), n) {
            add(&mut map, &path, d.metric, d.key, d.n);
        }
    }
    // Joins, and the endings of active memberships: an ending after a retention (保留会籍) ends
    // a membership that had left the active count already on the day it was retained.
    const EVENTS: &str = "SELECT o.path, e.event, e.on_date, COUNT(*) FROM membership_events e
        JOIN org_units o ON o.id = e.org_id
        WHERE e.event = 'joined' OR (e.event IN ('left', 'retained', 'lapsed', 'transferred_out')
            AND NOT EXISTS (SELECT 1 FROM membership_events r
                WHERE r.membership_id = e.membership_id AND r.event = 'retained' AND r.id <> e.id))
        GROUP BY o.path, e.event, e.on_date";
    let rows: Vec<(String, String, NaiveDate, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(EVENTS).fetch_all(c).await)?;
    for (path, event, on, n) in rows {
        if event == "joined" {
            add(&mut map, &path, metric::JOINED, day(on), n);
        } else {
            add(
                &mut map,
                &path,
                metric::LEFT,
                counts::left_key(on, &event),
                n,
            );
        }
    }
    const STATIONS: &str =
        "SELECT o.path, s.kind, COUNT(*) FROM stations s JOIN org_units o ON o.id = s.org_id
        WHERE s.status = 'open' GROUP BY o.path, s.kind";
    let rows: Vec<(String, String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(STATIONS).fetch_all(c).await)?;
    for (path, kind, n) in rows {
        add(&mut map, &path, metric::STATIONS, kind, n);
    }
    const SERVICES: &str = "SELECT o.path, v.visited_on, CAST(SUM(v.headcount) AS BIGINT) FROM station_visits v
        JOIN stations s ON s.id = v.station_id JOIN org_units o ON o.id = s.org_id GROUP BY o.path, v.visited_on";
    let rows: Vec<(String, NaiveDate, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SERVICES).fetch_all(c).await)?;
    for (path, on, n) in rows {
        add(&mut map, &path, metric::SERVICES, day(on), n);
    }
    const UNITS: &str = "SELECT path, kind, status, founded_on, created_at FROM org_units";
    let rows: Vec<(String, String, String, Option<NaiveDate>, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(UNITS).fetch_all(c).await)?;
    for (path, kind, status, founded, created_at) in rows {
        if status == "active" {
            add(&mut map, &path, metric::UNIONS, kind, 1);
        }
        let founded = founded.unwrap_or_else(|| crate::clock::beijing_date(created_at));
        add(&mut map, &path, metric::UNIONS_FOUNDED, day(founded), 1);
    }
    const ENTERPRISES: &str = "SELECT o.path AS owner_path, e.operating, e.union_status, e.staff, e.new_form_workers, e.unionised_on
        FROM enterprises e JOIN org_units o ON o.id = e.owner_org_id";
    let rows: Vec<super::super::census::FactsRow> =
        on_db!(tx.conn(), c => sqlx::query_as(ENTERPRISES).fetch_all(c).await)?;
    for f in rows {
        let path = f.owner_path.clone().unwrap_or_default();
        for d in f.deltas(1) {
            add(&mut map, &path, d.metric, d.key, d.n);
        }
    }
    const PROSPECTS: &str = "SELECT o.path, p.enterprise_id IS NOT NULL, COUNT(*) FROM prospects p
        JOIN org_units o ON o.id = p.org_id GROUP BY o.path, p.enterprise_id IS NOT NULL";
    let rows: Vec<(String, bool, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(PROSPECTS).fetch_all(c).await)?;
    for (path, attached, n) in rows {
        for d in counts::prospect_deltas(attached, n) {
            add(&mut map, &path, d.metric, d.key, d.n);
        }
    }
    let services = [
        crate::services::cases::expected(tx).await?,
        crate::services::labour_checks::expected(tx).await?,
        crate::services::aid::expected(tx).await?,
    ];
    for (path, d) in services.into_iter().flatten() {
        add(&mut map, &path, d.metric, d.key, d.n);
    }
    for (path, d) in crate::services::cases::expected_helped(tx).await? {
        *map.entry((path, d.metric, d.key)).or_default() += d.n;
    }
    Ok(map)
}

/// Recounts everything; with `repair`, makes the stored counters equal to the recount.
pub async fn recount(store: &Store, repair: bool) -> Result<RecountReport> {
    let mut tx = if repair {
        store.write().await?
    } else {
        store.read().await?
    };
    let want = expected(&mut tx).await?;
    const STORED: &str = "SELECT scope_path, metric, key, CAST(SUM(n) AS BIGINT) FROM coverage_counts GROUP BY scope_path, metric, key";
    let rows: Vec<(String, String, String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(STORED).fetch_all(c).await)?;
    let mut have: HashMap<Key, i64> = HashMap::new();
    let mut unknown = Vec::new();
    for (p, m, k, n) in rows {
        match counts::static_metric(&m) {
            Some(m) if n != 0 => {
                have.insert((p, m, k), n);
            }
            Some(_) => {}
            None => unknown.push(Difference {
                scope_path: p,
                metric: m,
                key: k,
                stored: n,
                counted: 0,
            }),
        }
    }
    let mut differences = unknown;
    let mut keys: Vec<&Key> = want.keys().chain(have.keys()).collect();
    keys.sort();
    keys.dedup();
    let counters = keys.len();
    for k in keys {
        let (s, c) = (
            have.get(k).copied().unwrap_or(0),
            want.get(k).copied().unwrap_or(0),
        );
        if s != c {
            differences.push(Difference {
                scope_path: k.0.clone(),
                metric: k.1.to_string(),
                key: k.2.clone(),
                stored: s,
                counted: c,
            });
        }
    }
    if repair && !differences.is_empty() {
        let mut fixes = Vec::new();
        for d in &differences {
            const CLEAR: &str =
                "DELETE FROM coverage_counts WHERE scope_path = $1 AND metric = $2 AND key = $3";
            on_db!(tx.conn(), c => sqlx::query(CLEAR).bind(&d.scope_path).bind(&d.metric).bind(&d.key)
                .execute(c).await.map(|r| r.rows_affected()))?;
            if let Some(m) = counts::static_metric(&d.metric) {
                fixes.push((d.scope_path.clone(), m, d.key.clone(), d.counted));
            }
        }
        // Written at shard 0 whatever the backend: fixes must not scatter.
        for (p, m, k, n) in fixes.into_iter().filter(|f| f.3 != 0) {
            const SET: &str =
                "INSERT INTO coverage_counts (scope_path, metric, key, shard, n) VALUES ($1, $2, $3, 0, $4)";
            on_db!(tx.conn(), c => sqlx::query(SET).bind(&p).bind(m).bind(&k).bind(n)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
    }
    Ok(RecountReport {
        counters,
        repaired: repair && !differences.is_empty(),
        differences,
    })
}
