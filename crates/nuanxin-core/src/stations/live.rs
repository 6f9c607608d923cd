//! The nearest-station index of a server process, kept in step with the database.
//!
//! Every change to a station's place or status writes a row to `station_changes` in the same
//! transaction, numbered by the database (`seq`). Each process loads the open stations at start,
//! then follows the change log every [`FOLLOW_EVERY`]: a change made by another process or by a
//! CLI import is in the answers within a second. Applying a change re-reads the station's row, so
//! applying one twice is harmless.
//!
//! On SQLite numbers commit in order. On PostgreSQL a transaction that took a lower number may
//! commit after one with a higher number: the follower remembers the numbers it skipped ("gaps")
//! and looks for them again on every round, for [`GAP_PATIENCE`] (a rolled-back transaction
//! leaves its number unused forever).

use super::index::StationIndex;
use super::{Amenity, LatLng, OpeningHours, Station, StationType};
use crate::{on_db, Result, Store};
use futures::TryStreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How often the change log is read.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(400);
/// How long a skipped change number is looked for before it is taken as rolled back.
pub const GAP_PATIENCE: Duration = Duration::from_secs(600);
/// Rows read per round of the change log.
const BATCH: i64 = 20_000;
/// Gaps looked up per round (the oldest first).
const MAX_GAPS_PER_ROUND: usize = 64;

/// What the worker's "nearby stations" answer needs of a station, kept in memory.
#[derive(Debug, Clone)]
pub struct StationCard {
    pub id: Uuid,
    pub name: String,
    pub kind: StationType,
    pub at: LatLng,
    pub address: String,
    pub hours: OpeningHours,
    pub amenities: Vec<Amenity>,
    pub phone: Option<String>,
    pub keeper: Option<String>,
    /// The path of the unit that runs it, for scoped analyses.
    pub org_path: String,
}

impl StationCard {
    /// The card of a station row; `None` for a row whose type or point no longer parses.
    pub fn of(s: &Station) -> Option<StationCard> {
        Some(StationCard {
            id: s.id,
            name: s.name.clone(),
            kind: StationType::from_code(&s.kind).or_else(|| StationType::parse(&s.kind).ok())?,
            at: LatLng::parse(s.lat, s.lng).ok()?,
            address: s.address.clone(),
            hours: s.opening(),
            amenities: s.amenity_list(),
            phone: s.phone.clone(),
            keeper: s.keeper.clone(),
            org_path: s.org_path.clone(),
        })
    }
}

#[derive(Debug, Default)]
struct Stations {
    index: StationIndex,
    cards: HashMap<Uuid, Arc<StationCard>>,
}

#[derive(Debug, Clone, Copy)]
struct Gap {
    lo: i64,
    hi: i64,
    since: Instant,
}

#[derive(Debug, Default)]
struct Follower {
    max_seen: i64,
    gaps: Vec<Gap>,
}

/// The open stations of the database, in memory, with the change log followed.
#[derive(Debug)]
pub struct LiveIndex {
    stations: RwLock<Stations>,
    follower: tokio::sync::Mutex<Follower>,
    ready: tokio::sync::watch::Sender<bool>,
}

impl Default for LiveIndex {
    fn default() -> Self {
        LiveIndex {
            stations: RwLock::default(),
            follower: tokio::sync::Mutex::default(),
            ready: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl LiveIndex {
    /// An empty index, not yet loaded: [`LiveIndex::load`] or [`LiveIndex::start`] fills it.
    pub fn new() -> LiveIndex {
        LiveIndex::default()
    }

    /// Loads the open stations and starts following the change log in the background. Answers
    /// wait for the first load ([`LiveIndex::ready`]).
    pub fn start(store: Store) -> Arc<LiveIndex> {
        let live = Arc::new(LiveIndex::new());
        let this = live.clone();
        tokio::spawn(async move {
            loop {
                match this.load(&store).await {
                    Ok(n) => {
                        tracing::info!(stations = n, "station index loaded");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "station index: load failed, retrying");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
            let mut tick = tokio::time::interval(FOLLOW_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = this.follow(&store).await {
                    tracing::warn!(error = %e, "station index: following the change log failed");
                }
            }
        });
        live
    }

    /// Waits until the first load is done.
    pub async fn ready(&self) {
        let mut rx = self.ready.subscribe();
        let _ = rx.wait_for(|r| *r).await;
    }

    /// Reads every open station and the state of the change log; returns how many stations.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub async fn load(&self, store: &Store) -> Result<usize> {
        let mut follower = self.follower.lock().await;
        let mut tx = store.read().await?;
        // The change log first: changes committed after this point are replayed by `follow`.
        let max_seen: i64 = on_db!(tx.conn(), c => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM station_changes").fetch_one(c).await)?.unwrap_or(0);
        // Numbers below the maximum that are not there yet may belong to transactions still open.
        const RECENT: &str = "SELECT seq FROM station_changes WHERE seq > $1 ORDER BY seq";
        let recent: Vec<i64> = on_db!(tx.conn(), c => sqlx::query_scalar(RECENT).bind(max_seen - 10_000).fetch_all(c).await)?;
        let now = Instant::now();
        let mut gaps = Vec::new();
        let mut expect = (max_seen - 10_000).max(0) + 1;
        for seq in recent {
            if seq > expect {
                gaps.push(Gap {
                    lo: expect,
                    hi: seq - 1,
                    since: now,
                });
            }
            expect = seq + 1;
        }
        // One pass over the table (no ORDER BY: a sort per page made this quadratic).
        let mut fresh = Stations::default();
        let mut points = Vec::new();
        let sql = format!("{} ", super::queries::SELECT);
        on_db!(tx.conn(), c => {
            let mut rows = sqlx::query_as::<_, Station>(&sql).fetch(c);
            while let Some(s) = rows.try_next().await? {
                if !s.is_open() {
                    continue;
                }
                if let Some(card) = StationCard::of(&s) {
                    points.push((card.id, card.at));
                    fresh.cards.insert(card.id, Arc::new(card));
                }
            }
            Ok::<(), sqlx::Error>(())
        })?;
        tx.rollback().await?;
        fresh.index = StationIndex::build(points);
        let n = fresh.cards.len();
        *self.stations.write().expect("station index lock") = fresh;
        *follower = Follower { max_seen, gaps };
        self.ready.send_replace(true);
        Ok(n)
    }

    /// Applies the changes committed since the last round; returns how many stations it re-read.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub async fn follow(&self, store: &Store) -> Result<usize> {
        let mut f = self.follower.lock().await;
        let mut tx = store.read().await?;
        let now = Instant::now();
        let mut touched: HashSet<Uuid> = HashSet::new();
        loop {
            const NEW: &str =
                "SELECT seq, station_id FROM station_changes WHERE seq > $1 ORDER BY seq LIMIT $2";
            let rows: Vec<(i64, Uuid)> = on_db!(tx.conn(), c => sqlx::query_as(NEW).bind(f.max_seen).bind(BATCH).fetch_all(c).await)?;
            let n = rows.len() as i64;
            for (seq, id) in rows {
                if seq > f.max_seen + 1 {
                    let lo = f.max_seen + 1;
                    f.gaps.push(Gap {
                        lo,
                        hi: seq - 1,
                        since: now,
                    });
                }
                f.max_seen = seq;
                touched.insert(id);
            }
            if n < BATCH {
                break;
            }
        }
        f.gaps
            .retain(|g| now.duration_since(g.since) < GAP_PATIENCE);
        let mut kept = Vec::with_capacity(f.gaps.len());
        for (i, g) in f.gaps.clone().into_iter().enumerate() {
            if i >= MAX_GAPS_PER_ROUND {
                kept.push(g);
                continue;
            }
            const LATE: &str = "SELECT seq, station_id FROM station_changes WHERE seq >= $1 AND seq <= $2 ORDER BY seq";
            let rows: Vec<(i64, Uuid)> = on_db!(tx.conn(), c => sqlx::query_as(LATE).bind(g.lo).bind(g.hi).fetch_all(c).await)?;
            let mut expect = g.lo;
            for (seq, id) in rows {
                if seq > expect {
                    kept.push(Gap {
                        lo: expect,
                        hi: seq - 1,
                        since: g.since,
                    });
                }
                expect = seq + 1;
                touched.insert(id);
            }
            if expect <= g.hi {
                kept.push(Gap {
                    lo: expect,
                    hi: g.hi,
                    since: g.since,
                });
            }
        }
        f.gaps = kept;
        let ids: Vec<Uuid> = touched.into_iter().collect();
        let rows = super::queries::by_ids(&mut tx, &ids).await?;
        tx.rollback().await?;
        let mut st = self.stations.write().expect("station index lock");
        let mut found: HashSet<Uuid> = HashSet::with_capacity(rows.len());
        for s in &rows {
            found.insert(s.id);
            match StationCard::of(s).filter(|_| s.is_open()) {
                Some(card) => {
                    st.index.insert(card.id, card.at);
                    st.cards.insert(card.id, Arc::new(card));
                }
                None => {
                    st.index.remove(s.id);
                    st.cards.remove(&s.id);
                }
            }
        }
        for id in ids.iter().filter(|id| !found.contains(id)) {
            st.index.remove(*id);
            st.cards.remove(id);
        }
        Ok(ids.len())
    }

    /// Open stations in memory.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn len(&self) -> usize {
        self.stations
            .read()
            .expect("station index lock")
            .cards
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `limit` open stations nearest to `at`, nearest first, with distances in metres.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn nearest(&self, at: LatLng, limit: usize) -> Vec<(Arc<StationCard>, f64)> {
        let st = self.stations.read().expect("station index lock");
        st.index
            .nearest(at, limit)
            .into_iter()
            .filter_map(|(id, d)| st.cards.get(&id).map(|c| (c.clone(), d)))
            .collect()
    }

    /// Up to `limit` open stations run by units under `path`, for a map.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn cards_under(&self, path: &str, limit: usize) -> Vec<Arc<StationCard>> {
        let st = self.stations.read().expect("station index lock");
        st.cards
            .values()
            .filter(|c| c.org_path.starts_with(path))
            .take(limit)
            .cloned()
            .collect()
    }

    /// The open stations run by units under `path` (a scope's subtree), as an index of their own.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn subtree(&self, paths: &[String]) -> StationIndex {
        let st = self.stations.read().expect("station index lock");
        StationIndex::build(
            st.cards
                .values()
                .filter(|c| paths.iter().any(|p| c.org_path.starts_with(p.as_str())))
                .map(|c| (c.id, c.at)),
        )
    }
}
