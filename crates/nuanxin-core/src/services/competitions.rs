//! Skills competitions (劳动竞赛 / 技能比武 for riders and couriers): a union holds a competition on a
//! day with its events; staff enter members in an event with a score (a second entry of the same
//! member in the same event replaces the score); ranks follow the scores within each event,
//! higher first, equal scores sharing a rank (1, 2, 2, 4). Each entry has a certificate (PDF, drawn
//! by the web layer). Seen by the organiser's cadres and those above.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A competition.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Competition {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub held_on: NaiveDate,
    pub place: String,
    /// The events' names, one per line.
    pub events: String,
    /// Members entered, over all events.
    pub entries: i64,
}

impl Competition {
    pub fn event_names(&self) -> Vec<&str> {
        self.events
            .lines()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect()
    }
}

/// An entry with its rank in its event.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: Uuid,
    pub competition_id: Uuid,
    pub event: String,
    pub member_no: String,
    pub name: String,
    pub worker_group: String,
    pub union_name: String,
    /// The score in hundredths.
    pub score_centi: i64,
    /// 1 for the highest score of the event; equal scores share a rank.
    #[sqlx(skip)]
    pub rank: i64,
}

impl Entry {
    /// The score as typed: `98.5`, `100`.
    pub fn score(&self) -> String {
        let (whole, part) = (self.score_centi / 100, self.score_centi % 100);
        match part {
            0 => whole.to_string(),
            p if p % 10 == 0 => format!("{whole}.{}", p / 10),
            p => format!("{whole}.{p:02}"),
        }
    }
}

/// A new competition (`POST /api/v1/competitions`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CompetitionInput {
    pub name: String,
    pub org_code: String,
    pub held_on: String,
    pub place: String,
    /// The events' names, one per line (or separated by 、 ，).
    pub events: String,
}

/// An entry (`POST /api/v1/competitions/{id}/entries`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EntryInput {
    pub member_no: String,
    /// One of the competition's events.
    pub event: String,
    /// 0 to 1000, at most two decimals.
    pub score: String,
}

const SELECT: &str = "SELECT c.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, c.name, c.held_on, c.place,
        c.events, (SELECT COUNT(*) FROM competition_entries e WHERE e.competition_id = c.id) AS entries
    FROM competitions c JOIN org_units o ON o.id = c.org_id";

/// A score typed as `98.5`: hundredths, 0 to 1000.
fn parse_score(typed: &str) -> Option<i64> {
    let t = typed.trim();
    let (whole, part) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || part.len() > 2 || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !part.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let part: i64 = format!("{part:0<2}").parse().ok()?;
    Some(whole * 100 + part).filter(|s| *s <= 100_000)
}

/// Holds a competition (staff of the organiser or above). All problems at once.
pub async fn create(tx: &mut Tx, caller: &Caller, input: &CompetitionInput) -> Result<Competition> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let name: String = input.name.trim().chars().take(100).collect();
    if name.is_empty() {
        errs.push("name", "competitions.name_required");
    }
    let held_on = crate::sheets::parse_date(input.held_on.trim());
    if held_on.is_none() {
        errs.push("held_on", "errors.bad_date");
    }
    let mut events: Vec<String> = Vec::new();
    for e in input.events.split(['\n', '、', '，', ',']) {
        let e: String = e.trim().chars().take(50).collect();
        if !e.is_empty() && !events.contains(&e) {
            events.push(e);
        }
    }
    if events.is_empty() || events.len() > 30 {
        errs.push("events", "competitions.events_required");
    }
    let (Some(org), Some(held_on), true) = (org, held_on, errs.is_empty()) else {
        return Err(errs.into());
    };
    let id = new_id();
    const SQL: &str = "INSERT INTO competitions (id, org_id, name, held_on, place, events, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
    let place: String = input.place.trim().chars().take(100).collect();
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&name).bind(held_on).bind(&place)
        .bind(events.join("\n")).bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "competitions.create",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"name": name, "held_on": held_on, "events": events}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// A competition of the scope.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Competition> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE c.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Competition>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The competitions of the scope, latest first.
pub async fn list(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Competition>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM competitions c JOIN org_units o ON o.id = c.org_id",
        filter,
        order: "c.held_on DESC",
        id: "c.id",
    }
    .page(tx, page)
    .await
}

const ENTRY: &str = "SELECT e.id, e.competition_id, e.event, m.member_no, p.name, m.worker_group, o.name AS union_name,
        e.score_centi
    FROM competition_entries e JOIN memberships m ON m.id = e.membership_id JOIN people p ON p.id = e.person_id
    JOIN org_units o ON o.id = m.org_id";

/// Ranks entries sorted by event, then score from the highest: 1, 2, 2, 4 within each event.
fn rank(entries: &mut [Entry]) {
    let mut i = 0;
    while i < entries.len() {
        let event = entries[i].event.clone();
        let mut j = i;
        while j < entries.len() && entries[j].event == event {
            entries[j].rank = if j > i && entries[j].score_centi == entries[j - 1].score_centi {
                entries[j - 1].rank
            } else {
                (j - i + 1) as i64
            };
            j += 1;
        }
        i = j;
    }
}

/// The entries of a competition of the scope, by event (in the competition's order) and rank.
pub async fn entries(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Vec<Entry>> {
    let c = get(tx, scope, id).await?;
    let sql =
        format!("{ENTRY} WHERE e.competition_id = $1 ORDER BY e.event, e.score_centi DESC, p.name");
    let mut found =
        on_db!(tx.conn(), c => sqlx::query_as::<_, Entry>(&sql).bind(id).fetch_all(c).await)?;
    rank(&mut found);
    let order = c.event_names();
    found.sort_by_key(|e| {
        (
            order
                .iter()
                .position(|n| *n == e.event)
                .unwrap_or(usize::MAX),
            e.rank,
        )
    });
    Ok(found)
}

/// One entry of a competition of the scope, with its rank.
pub async fn entry(tx: &mut Tx, scope: &Scope, entry_id: Uuid) -> Result<(Competition, Entry)> {
    const OF: &str = "SELECT competition_id FROM competition_entries WHERE id = $1";
    let competition: Uuid =
        on_db!(tx.conn(), c => sqlx::query_scalar(OF).bind(entry_id).fetch_optional(c).await)?
            .ok_or(Error::NotFound)?;
    let c = get(tx, scope, competition).await?;
    let e = entries(tx, scope, competition)
        .await?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or(Error::NotFound)?;
    Ok((c, e))
}

/// Enters a member of the organiser's subtree in an event with a score (staff of the organiser
/// or above); the same member in the same event again replaces the score.
pub async fn enter(tx: &mut Tx, caller: &Caller, id: Uuid, input: &EntryInput) -> Result<Entry> {
    let c = get(tx, &caller.scope, id).await?;
    if caller.role_at(&c.org_path) < Some(crate::Role::Staff) {
        return Err(Error::Forbidden);
    }
    let mut errs = FieldErrors::new();
    let no = input.member_no.trim();
    let no = no.strip_prefix(crate::members::ECARD_PREFIX).unwrap_or(no);
    let member = super::care::member_by_no(tx, &c.org_path, no).await?;
    if member.is_none() {
        errs.push("member_no", "care.unknown_member");
    }
    let event = c
        .event_names()
        .into_iter()
        .find(|e| *e == input.event.trim())
        .map(str::to_string);
    if event.is_none() {
        errs.push("event", "competitions.bad_event");
    }
    let score = parse_score(&input.score);
    if score.is_none() {
        errs.push("score", "competitions.bad_score");
    }
    let (Some(member), Some(event), Some(score), true) = (member, event, score, errs.is_empty())
    else {
        return Err(errs.into());
    };
    const UPSERT: &str = "INSERT INTO competition_entries (id, competition_id, event, person_id, membership_id, score_centi,
            recorded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (competition_id, event, person_id) DO UPDATE SET score_centi = excluded.score_centi,
            recorded_by = excluded.recorded_by, at = excluded.at";
    on_db!(tx.conn(), c => sqlx::query(UPSERT).bind(new_id()).bind(id).bind(&event).bind(member.person).bind(member.membership)
        .bind(score).bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "competitions.enter",
            &id.to_string(),
            Some(&c.org_path),
            serde_json::json!({"member_no": member.member_no, "event": event, "score_centi": score}),
        )
        .await?;
    entries(tx, &caller.scope, id)
        .await?
        .into_iter()
        .find(|e| e.member_no == member.member_no && e.event == event)
        .ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_with_at_most_two_decimals() {
        assert_eq!(parse_score("98.5"), Some(9850));
        assert_eq!(parse_score(" 100 "), Some(10_000));
        assert_eq!(parse_score("0.05"), Some(5));
        for bad in ["", "-1", "98.555", "1e3", "1001", "９８"] {
            assert_eq!(parse_score(bad), None, "{bad}");
        }
    }

    #[test]
    fn equal_scores_share_a_rank_within_an_event() {
        let e = |event: &str, score: i64| Entry {
            id: new_id(),
            competition_id: Uuid::nil(),
            event: event.into(),
            member_no: String::new(),
            name: String::new(),
            worker_group: String::new(),
            union_name: String::new(),
            score_centi: score,
            rank: 0,
        };
        let mut list = vec![e("a", 90), e("a", 80), e("a", 80), e("a", 70), e("b", 50)];
        rank(&mut list);
        let ranks: Vec<i64> = list.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, vec![1, 2, 2, 4, 1]);
        assert_eq!(
            Entry {
                score_centi: 9850,
                ..list[0].clone()
            }
            .score(),
            "98.5"
        );
        assert_eq!(
            Entry {
                score_centi: 9805,
                ..list[0].clone()
            }
            .score(),
            "98.05"
        );
    }
}
