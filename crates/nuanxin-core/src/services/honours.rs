//! Honours (荣誉): 五一劳动奖章, 劳动模范, 工匠, 最美骑手 and competition prizes on a member's
//! record, by level (national, provincial, city, county) and year, with a citation. Staff of the
//! member's union (or above) record them; the member sees theirs on `/me` and may choose to show
//! each on the union's public showcase page (`/showcase/{org_code}`), which lists only what the
//! members opted in to, and nothing but name, worker group, honour and citation. The services
//! report's `honours` member counts those awarded in the period's years.

use crate::accounts::Caller;
use crate::audit::Actor;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Scope, Tx};
use chrono::{Datelike, NaiveDate};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Kinds of honour (code or Chinese name).
pub const KINDS: [(&str, &str); 6] = [
    ("may_day_medal", "五一劳动奖章"),
    ("model_worker", "劳动模范"),
    ("craftsman", "工匠"),
    ("exemplary", "最美劳动者"),
    ("competition", "竞赛获奖"),
    ("other", "其他"),
];

/// Levels of the awarding body.
pub const LEVELS: [(&str, &str); 4] = [
    ("national", "全国"),
    ("provincial", "省级"),
    ("city", "市级"),
    ("county", "县级"),
];

/// An honour on a member's record.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Honour {
    pub id: Uuid,
    pub member_no: String,
    pub name: String,
    pub worker_group: String,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub kind: String,
    pub level: String,
    pub year: i64,
    /// The honour as awarded (2026年度聊城市最美骑手).
    pub title: String,
    pub citation: String,
    /// The member shows it on the union's showcase.
    pub public: bool,
}

/// A new honour (`POST /api/v1/honours`, the member's page).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HonourInput {
    pub member_no: String,
    /// Code or Chinese name of [`KINDS`].
    pub kind: String,
    /// Code or Chinese name of [`LEVELS`].
    pub level: String,
    pub year: String,
    pub title: String,
    pub citation: String,
}

/// What the public showcase shows of an honour: no number, no union below the page's.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Shown {
    /// The honour's photo, served at `/showcase/photos/{id}`.
    pub photo_id: Option<Uuid>,
    pub name: String,
    pub worker_group: String,
    pub org_name: String,
    pub kind: String,
    pub level: String,
    pub year: i64,
    pub title: String,
    pub citation: String,
}

const SELECT: &str =
    "SELECT h.id, m.member_no, p.name, m.worker_group, o.code AS org_code, o.name AS org_name,
        o.path AS org_path, h.kind, h.level, h.year, h.title, h.citation, h.public
    FROM honours h JOIN memberships m ON m.id = h.membership_id JOIN people p ON p.id = h.person_id
    JOIN org_units o ON o.id = h.org_id";

fn text(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// Records an honour for an active member of the caller's staff subtrees. All problems at once.
pub async fn award(tx: &mut Tx, caller: &Caller, input: &HonourInput) -> Result<Honour> {
    let staff = super::hardship::staff_scope(&caller.scope);
    if staff.is_empty() {
        return Err(Error::Forbidden);
    }
    let mut errs = FieldErrors::new();
    let no = input.member_no.trim();
    let mut q = Sql::new(
        "SELECT m.id, m.person_id, m.org_id FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND m.member_no = ",
    );
    q.arg(no.to_string()).push(" AND ").scope("o.path", &staff);
    let member: Option<(Uuid, Uuid, Uuid)> = if no.is_empty() {
        None
    } else {
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_optional(c).await)?
    };
    if member.is_none() {
        errs.push("member_no", "hardship.unknown_member");
    }
    let kind = super::cases::code_of(&KINDS, &input.kind);
    if kind.is_none() {
        errs.push("kind", "honours.bad_kind");
    }
    let level = super::cases::code_of(&LEVELS, &input.level);
    if level.is_none() {
        errs.push("level", "honours.bad_level");
    }
    let year = input
        .year
        .trim()
        .trim_end_matches('年')
        .parse::<i64>()
        .ok()
        .filter(|y| (1950..=i64::from(caller.today.year())).contains(y));
    if year.is_none() {
        errs.push("year", "honours.bad_year");
    }
    let title = text(&input.title, 100);
    if title.is_empty() {
        errs.push("title", "honours.title_required");
    }
    let (Some((membership, person, org)), Some(kind), Some(level), Some(year), true) =
        (member, kind, level, year, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let id = new_id();
    const SQL: &str = "INSERT INTO honours (id, person_id, membership_id, org_id, kind, level, year, title, citation,
            created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(person).bind(membership).bind(org).bind(kind).bind(level)
        .bind(year).bind(&title).bind(text(&input.citation, 500)).bind(&caller.actor.name).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let h = get(tx, &caller.scope, id).await?;
    caller
        .audit(
            tx,
            "honours.award",
            &id.to_string(),
            Some(&h.org_path),
            serde_json::json!({"member_no": h.member_no, "kind": kind, "level": level, "year": year, "title": title}),
        )
        .await?;
    Ok(h)
}

/// An honour of the scope.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Honour> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE h.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Honour>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The honours of the scope, latest year first.
pub async fn list(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Honour>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM honours h JOIN org_units o ON o.id = h.org_id",
        filter,
        order: "h.year DESC, h.created_at DESC",
        id: "h.id",
    }
    .page(tx, page)
    .await
}

/// A person's honours, latest first (their `/me`).
pub async fn of_person(tx: &mut Tx, person: Uuid) -> Result<Vec<Honour>> {
    let sql = format!("{SELECT} WHERE h.person_id = $1 ORDER BY h.year DESC, h.created_at DESC");
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Honour>(&sql).bind(person).fetch_all(c).await)?)
}

/// The honours of the person a membership is of (the caller has the membership in sight): the
/// member's record in the console.
pub async fn of_membership(tx: &mut Tx, membership: Uuid) -> Result<Vec<Honour>> {
    let sql = format!(
        "{SELECT} WHERE h.person_id = (SELECT person_id FROM memberships WHERE id = $1) ORDER BY h.year DESC, h.created_at DESC"
    );
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Honour>(&sql).bind(membership).fetch_all(c).await)?,
    )
}

/// The member shows (or hides) one of their own honours on the showcase; someone else's honour
/// is not found.
pub async fn set_public(
    tx: &mut Tx,
    person: Uuid,
    id: Uuid,
    public: bool,
    actor: &Actor,
    at: i64,
) -> Result<()> {
    let sql = format!("{SELECT} WHERE h.id = $1 AND h.person_id = $2");
    let h: Honour = on_db!(tx.conn(), c => sqlx::query_as::<_, Honour>(&sql).bind(id).bind(person).fetch_optional(c).await)?
        .ok_or(Error::NotFound)?;
    const SQL: &str = "UPDATE honours SET public = $2, updated_at = $3 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(public).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    crate::audit::record(
        tx,
        actor,
        at,
        "honours.showcase",
        &id.to_string(),
        Some(&h.org_path),
        serde_json::json!({"public": public}),
    )
    .await
}

/// The public showcase of a union: the honours its subtree's members chose to show, latest year
/// first; `None` for a code that names no active union.
pub async fn showcase(tx: &mut Tx, org_code: &str) -> Result<Option<(String, Vec<Shown>)>> {
    const ORG: &str = "SELECT name, path FROM org_units WHERE code = $1 AND status = 'active'";
    let org: Option<(String, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(ORG).bind(org_code.trim()).fetch_optional(c).await)?;
    let Some((name, path)) = org else {
        return Ok(None);
    };
    let (lo, hi) = nuanxin_store::subtree_range(&path);
    const SQL: &str = "SELECT (SELECT a.id FROM attachments a WHERE a.owner_kind = 'honour' AND a.owner_id = h.id
            ORDER BY a.uploaded_at, a.id LIMIT 1) AS photo_id, p.name, m.worker_group, o.name AS org_name, h.kind, h.level,
            h.year, h.title, h.citation
        FROM honours h JOIN memberships m ON m.id = h.membership_id JOIN people p ON p.id = h.person_id
        JOIN org_units o ON o.id = h.org_id
        WHERE h.public = TRUE AND m.status = 'active' AND o.path >= $1 AND o.path < $2
        ORDER BY h.year DESC, h.created_at DESC LIMIT 100";
    let shown = on_db!(tx.conn(), c => sqlx::query_as::<_, Shown>(SQL).bind(&lo).bind(&hi).fetch_all(c).await)?;
    Ok(Some((name, shown)))
}

/// Whether a photo is that of an honour its holder shows on the showcase (else not found): the
/// only photos served to anyone without signing in.
pub async fn public_photo(tx: &mut Tx, photo: Uuid) -> Result<()> {
    let super::photos::Owner::Honour(h) = super::photos::owner_of(tx, photo).await? else {
        return Err(Error::NotFound);
    };
    const SQL: &str = "SELECT COUNT(*) FROM honours h JOIN memberships m ON m.id = h.membership_id
        WHERE h.id = $1 AND h.public = TRUE AND m.status = 'active'";
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(h).fetch_one(c).await)?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The services report's `honours` member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HonourFigures {
    /// Honours recorded for the subtree's members with an award year within the period's years.
    pub awarded: i64,
}

/// The honours figures of the subtree at `path` for the period from `from` to `to`.
pub async fn figures(
    tx: &mut Tx,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HonourFigures> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT COUNT(*) FROM honours h JOIN org_units o ON o.id = h.org_id
        WHERE o.path >= $1 AND o.path < $2 AND h.year >= $3 AND h.year <= $4";
    let awarded: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(&lo).bind(&hi)
        .bind(i64::from(from.year())).bind(i64::from(to.year())).fetch_one(c).await)?;
    Ok(HonourFigures { awarded })
}
