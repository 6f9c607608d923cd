//! Notices (通知公告): a union publishes a notice to the members of its subtree, or to one worker
//! group of them, from a day until an expiry. Members read the notices meant for them on `/me`
//! (those of their union and of every union above it); the first read of each member is kept, so
//! the cadre sees how many have read it. Staff of the publishing union (or above) publish and
//! withdraw; its cadres and those above see it.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A notice as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notice {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub body: String,
    /// The worker group it is meant for (`delivery_rider` …), or `""` for all members.
    pub worker_group: String,
    pub publish_on: NaiveDate,
    pub expire_on: Option<NaiveDate>,
    /// Withdrawn by a cadre: members no longer see it.
    pub withdrawn: bool,
    pub created_by: String,
    /// Members who have opened it.
    pub reads: i64,
}

impl Notice {
    /// Shown to members on `day`: published, not expired, not withdrawn.
    pub fn is_live(&self, day: NaiveDate) -> bool {
        !self.withdrawn && self.publish_on <= day && self.expire_on.is_none_or(|e| e >= day)
    }
}

/// A notice as a member's list shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MemberNotice {
    pub id: Uuid,
    pub title: String,
    pub org_name: String,
    pub publish_on: NaiveDate,
    /// The member has opened it.
    pub read: bool,
}

/// A new notice (`POST /api/v1/notices`, the new-notice form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NoticeInput {
    pub title: String,
    pub body: String,
    /// The publishing union: its members (and those of every union below it) see the notice.
    pub org_code: String,
    /// A worker group's code or Chinese name, or empty for all members.
    pub group: String,
    /// Default today.
    pub publish_on: String,
    /// Optional; on or after `publish_on`.
    pub expire_on: String,
}

const SELECT: &str = "SELECT n.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, n.title, n.body,
        n.worker_group, n.publish_on, n.expire_on, (n.withdrawn_at IS NOT NULL) AS withdrawn, n.created_by,
        (SELECT COUNT(*) FROM notice_reads r WHERE r.notice_id = n.id) AS reads
    FROM notices n JOIN org_units o ON o.id = n.org_id";

fn text(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// Publishes a notice (staff of the union or above). All problems at once.
pub async fn publish(tx: &mut Tx, caller: &Caller, input: &NoticeInput) -> Result<Notice> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let title = text(&input.title, 100);
    if title.is_empty() {
        errs.push("title", "notices.title_required");
    }
    let body = input.body.trim().chars().take(10_000).collect::<String>();
    if body.is_empty() {
        errs.push("body", "notices.body_required");
    }
    let group = match input.group.trim() {
        "" => Some(String::new()),
        g => crate::members::WorkerGroup::parse(g).map(|g| g.as_str().to_string()),
    };
    if group.is_none() {
        errs.push("group", "notices.bad_group");
    }
    let day = |typed: &str, field: &'static str, errs: &mut FieldErrors| {
        let d = crate::sheets::parse_date(typed.trim());
        if d.is_none() {
            errs.push(field, "errors.bad_date");
        }
        d
    };
    let publish_on = match input.publish_on.trim() {
        "" => Some(caller.today),
        t => day(t, "publish_on", &mut errs),
    };
    let expire_on = match input.expire_on.trim() {
        "" => None,
        t => day(t, "expire_on", &mut errs),
    };
    if let (Some(p), Some(e)) = (publish_on, expire_on) {
        if e < p || e < caller.today {
            errs.push("expire_on", "notices.bad_expire_on");
        }
    }
    let (Some(org), Some(group), Some(publish_on), true) =
        (org, group, publish_on, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let id = new_id();
    const SQL: &str = "INSERT INTO notices (id, org_id, title, body, worker_group, publish_on, expire_on, created_by,
            created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&title).bind(&body).bind(&group).bind(publish_on)
        .bind(expire_on).bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "notices.publish",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"title": title, "group": group, "publish_on": publish_on, "expire_on": expire_on}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// A notice of the scope's unions.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Notice> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE n.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Notice>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The notices of the scope's unions, latest first.
pub async fn list(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Notice>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM notices n JOIN org_units o ON o.id = n.org_id",
        filter,
        order: "n.publish_on DESC, n.created_at DESC",
        id: "n.id",
    }
    .page(tx, page)
    .await
}

/// Withdraws a notice (staff of its union or above): members no longer see it.
pub async fn withdraw(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Notice> {
    let n = get(tx, &caller.scope, id).await?;
    if caller.role_at(&n.org_path) < Some(crate::Role::Staff) {
        return Err(Error::Forbidden);
    }
    if n.withdrawn {
        return Err(Error::invalid("status", "notices.withdrawn"));
    }
    const SQL: &str = "UPDATE notices SET withdrawn_at = $2, updated_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "notices.withdraw",
            &id.to_string(),
            Some(&n.org_path),
            serde_json::json!({"title": n.title}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// The paths of a unit and every unit above it: `/3715/`, `/3715/371502/` … for a path.
fn ancestors(path: &str) -> Vec<String> {
    path.char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0)
        .map(|(i, _)| path[..=i].to_string())
        .collect()
}

/// Limits `q` to records of the unions at `paths` (`o.path IN (…)`): a member's audience.
pub(crate) fn of_unions(q: &mut Sql, paths: Vec<String>) {
    q.push("o.path IN (");
    for (i, p) in paths.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.arg(p);
    }
    q.push(")");
}

/// Where a person belongs as a notice's audience: their active membership's union path and
/// worker group, if any.
async fn audience_of(tx: &mut Tx, person: Uuid) -> Result<Option<(String, String)>> {
    const SQL: &str =
        "SELECT o.path, m.worker_group FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.person_id = $1 AND m.status = 'active' ORDER BY m.requested_at DESC LIMIT 1";
    Ok(on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(person).fetch_optional(c).await)?)
}

/// The unions whose notices and library shelf reach a person: their active membership's union
/// and every union above it (`None` without an active membership).
pub async fn audience_paths(tx: &mut Tx, person: Uuid) -> Result<Option<Vec<String>>> {
    Ok(audience_of(tx, person)
        .await?
        .map(|(path, _)| ancestors(&path)))
}

/// The live notices meant for a person on `day` (of their union and every union above it, for
/// all members or their group), latest first; `id` picks one of them.
async fn for_person(
    tx: &mut Tx,
    person: Uuid,
    day: NaiveDate,
    id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notice>> {
    let Some((path, group)) = audience_of(tx, person).await? else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(SELECT);
    q.push(" WHERE n.withdrawn_at IS NULL AND n.publish_on <= ")
        .arg(day)
        .push(" AND (n.expire_on IS NULL OR n.expire_on >= ")
        .arg(day)
        .push(") AND (n.worker_group = '' OR n.worker_group = ")
        .arg(group)
        .push(") AND ");
    of_unions(&mut q, ancestors(&path));
    if let Some(id) = id {
        q.push(" AND n.id = ").arg(id);
    }
    q.push(" ORDER BY n.publish_on DESC, n.created_at DESC LIMIT ")
        .arg(limit);
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Notice>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

/// The notices a member sees on `/me` on `day`, with whether they have read each.
pub async fn of_member(tx: &mut Tx, person: Uuid, day: NaiveDate) -> Result<Vec<MemberNotice>> {
    let found = for_person(tx, person, day, None, 20).await?;
    const READ: &str = "SELECT notice_id FROM notice_reads WHERE person_id = $1";
    let read: Vec<Uuid> =
        on_db!(tx.conn(), c => sqlx::query_scalar(READ).bind(person).fetch_all(c).await)?;
    Ok(found
        .into_iter()
        .map(|n| MemberNotice {
            read: read.contains(&n.id),
            id: n.id,
            title: n.title,
            org_name: n.org_name,
            publish_on: n.publish_on,
        })
        .collect())
}

/// Whether a photo is an image of a notice meant for the person on `day` (else not found).
pub async fn photo_for_member(
    tx: &mut Tx,
    person: Uuid,
    photo: Uuid,
    day: NaiveDate,
) -> Result<()> {
    match super::photos::owner_of(tx, photo).await? {
        super::photos::Owner::Notice(n)
            if !for_person(tx, person, day, Some(n), 1).await?.is_empty() =>
        {
            Ok(())
        }
        _ => Err(Error::NotFound),
    }
}

/// A member opens a notice meant for them (else not found): their first read is kept.
pub async fn read(tx: &mut Tx, person: Uuid, id: Uuid, day: NaiveDate, at: i64) -> Result<Notice> {
    let n = for_person(tx, person, day, Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound)?;
    const SQL: &str = "INSERT INTO notice_reads (notice_id, person_id, read_at) VALUES ($1, $2, $3)
        ON CONFLICT (notice_id, person_id) DO NOTHING";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(person).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audience_of_a_unit_is_it_and_every_unit_above() {
        assert_eq!(
            ancestors("/3715/371502/JU1/"),
            vec!["/3715/", "/3715/371502/", "/3715/371502/JU1/"]
        );
        assert_eq!(ancestors("/"), Vec::<String>::new());
    }
}
