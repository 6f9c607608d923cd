//! The member register: lists limited to the caller's scope with ID numbers masked, search by
//! name, phone or ID number (by its keyed hash), and the audited reveal of a full ID number.

use super::id_vault::IdVault;
use super::identity::ResidentId;
use crate::accounts::Caller;
use crate::page::{Listing, Page, PageRequest};
use crate::{audit, on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberRow {
    pub id: Uuid,
    pub member_no: Option<String>,
    pub name: String,
    /// Always masked: `3415**********123X`.
    pub id_number: String,
    pub phone: String,
    pub group: String,
    pub employer: Option<String>,
    pub org_code: String,
    pub org_name: String,
    /// `pending`, `review`, `active`, `retained` (保留会籍), `left` (退会), `lapsed`,
    /// `rejected`, `transferred`, `withdrawn`.
    pub status: String,
    pub channel: String,
    pub joined_on: Option<chrono::NaiveDate>,
    pub requested_at: i64,
    /// For a transfer request: the union the member comes from.
    pub transfer_from: Option<String>,
    /// A request kept for review (status `review`): why (`phone_differs`, `member_elsewhere`).
    /// Its name and phone are those submitted, not the person's on record.
    pub review: Option<String>,
    /// Region code where the member works, when known.
    pub work_region: Option<String>,
    /// Region code of the member's household registration, when known.
    pub home_region: Option<String>,
    /// The day the membership ended (left, retained, lapsed, transferred), when it has.
    pub ended_on: Option<chrono::NaiveDate>,
    /// Why a request was rejected, or why the membership ended.
    pub reason: Option<String>,
}

/// Filters of the member list: the page's query string and the API's parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct MemberFilter {
    /// Only this unit's subtree (org code).
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub org: Option<String>,
    /// Name (part of), mobile number or ID number (whole), or membership number.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub q: Option<String>,
    /// `active`, `pending`, `retained`, `left`, `lapsed`, `rejected`, `transferred`, `withdrawn`, `transfer_out` (members of the caller's unions asking to move elsewhere) or `all`; default active and pending.
    #[serde(default, deserialize_with = "crate::sheets::text")]
    pub status: Option<String>,
    /// Only joins made at this mass-join event (set by the event's page, not by a query).
    #[serde(skip)]
    #[param(ignore)]
    pub event: Option<Uuid>,
}

const SELECT: &str = "SELECT m.id, m.member_no, COALESCE(m.claimed_name, p.name) AS name, p.id_mask AS id_number,
        COALESCE(m.claimed_phone, p.phone) AS phone, m.worker_group AS \"group\", m.employer,
        o.code AS org_code, o.name AS org_name, m.status, m.channel, m.joined_on, m.requested_at, f.name AS transfer_from,
        m.review_reason AS review, m.work_region, p.home_region, m.ended_on, m.reason
    FROM memberships m
    JOIN people p ON p.id = m.person_id
    JOIN org_units o ON o.id = m.org_id
    LEFT JOIN memberships fm ON fm.id = m.transfer_from_id LEFT JOIN org_units f ON f.id = fm.org_id";

/// Searches by a whole ID number or phone an account may make per hour (each is audited).
pub const EXACT_SEARCHES_PER_HOUR: i64 = 60;

/// What a search text names: one person exactly (a whole ID number or phone), or not.
enum SearchText {
    Id(ResidentId),
    Phone(super::identity::Phone),
    Other(String),
}

impl SearchText {
    fn of(filter: &MemberFilter) -> Option<SearchText> {
        let q = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())?;
        // A search is not a registration: any birth date will do.
        Some(
            if let Ok(id) = ResidentId::parse(q, chrono::NaiveDate::MAX) {
                SearchText::Id(id)
            } else if let Ok(phone) = super::identity::Phone::parse(q) {
                SearchText::Phone(phone)
            } else {
                SearchText::Other(q.to_string())
            },
        )
    }

    fn is_exact(&self) -> bool {
        !matches!(self, SearchText::Other(_))
    }

    /// The text as the audit log may keep it: never a whole ID number or phone, nor any long
    /// run of digits that could be one.
    fn for_audit(&self) -> String {
        match self {
            SearchText::Id(id) => id.mask(),
            SearchText::Phone(p) => p.mask(),
            SearchText::Other(q) => audit::mask_digit_runs(q),
        }
    }
}

/// A search by a whole ID number or phone needs the right to reveal one (admin of the unit):
/// otherwise a viewer could recover a masked number in 10^4 to 10^5 tries. It covers only the
/// subtrees where the caller is admin; an account that is admin nowhere in the scope gets an
/// error on the search field.
fn exact_search_scope(scope: &Scope) -> Result<Scope> {
    let admin: Vec<_> = scope
        .roots()
        .iter()
        .filter(|r| r.role == Role::Admin)
        .cloned()
        .collect();
    if admin.is_empty() {
        return Err(Error::invalid("q", "members.search_needs_reveal"));
    }
    Ok(Scope::of_roots(admin))
}

/// Counts a search by a whole ID number or phone against the caller's hourly limit and audits
/// it (masked), in `tx`; nothing for other searches.
pub(super) async fn note_exact_search(
    tx: &mut Tx,
    caller: &Caller,
    filter: &MemberFilter,
) -> Result<()> {
    let Some(text) = SearchText::of(filter).filter(SearchText::is_exact) else {
        return Ok(());
    };
    exact_search_scope(&caller.scope)?;
    let who = match caller.actor.account_id {
        Some(id) => id.to_string(),
        None => caller.actor.name.clone(),
    };
    let key = format!("member-search:{who}");
    let hour = 3_600_000;
    if !crate::accounts::rate_limit_in(tx, &key, EXACT_SEARCHES_PER_HOUR, hour, caller.at).await? {
        return Err(Error::RateLimited);
    }
    caller
        .audit(
            tx,
            "members.search_exact",
            &text.for_audit(),
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"org": filter.org}),
        )
        .await
}

/// The filter as the audit log may keep it (search text masked).
pub(super) fn filter_for_audit(filter: &MemberFilter) -> serde_json::Value {
    serde_json::json!({
        "org": filter.org,
        "q": SearchText::of(filter).map(|t| t.for_audit()),
        "status": filter.status,
    })
}

/// A page of the members the caller searches for: the one entry for a search typed by a user.
/// A search by a whole ID number or phone is limited and audited first (its own transaction,
/// so that a refused or failed list still counts), then listed.
pub async fn search(
    store: &crate::Store,
    caller: &Caller,
    vault: &IdVault,
    filter: &MemberFilter,
    page: PageRequest,
) -> Result<Page<MemberRow>> {
    if SearchText::of(filter).is_some_and(|t| t.is_exact()) {
        let mut tx = store.write().await?;
        note_exact_search(&mut tx, caller, filter).await?;
        tx.commit().await?;
    }
    let mut tx = store.read().await?;
    list(&mut tx, &caller.scope, vault, filter, page).await
}

/// The WHERE clause of a member filter within the caller's scope.
async fn filter_sql(
    tx: &mut Tx,
    scope: &Scope,
    vault: &IdVault,
    filter: &MemberFilter,
) -> Result<Sql> {
    // An account without a subtree (a station's keeper) has no member register at all.
    if scope.roots().is_empty() {
        return Err(Error::NotFound);
    }
    let text = SearchText::of(filter);
    let exact_scope;
    let scope = match &text {
        Some(t) if t.is_exact() => {
            exact_scope = exact_search_scope(scope)?;
            &exact_scope
        }
        _ => scope,
    };
    let narrowed = orgs::narrow(tx, scope, filter.org.as_deref()).await?;
    let mut w = Sql::new(" WHERE ");
    if filter.status.as_deref() == Some("transfer_out") {
        // Requests to leave for another union: the old union (in scope) sees them pending.
        w.scope("f.path", &narrowed)
            .push(" AND m.status = 'pending' AND m.transfer_from_id IS NOT NULL");
    } else {
        w.scope("o.path", &narrowed);
    }
    if let Some(status) = filter
        .status
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "all" && *s != "transfer_out")
    {
        if status == "pending" {
            // Requests kept for review wait for a decision too.
            w.push(" AND m.status IN ('pending', 'review')");
        } else {
            w.push(" AND m.status = ").arg(status);
        }
    } else if filter.status.is_none() {
        w.push(" AND m.status IN ('active', 'pending', 'review')");
    }
    if let Some(event) = filter.event {
        w.push(" AND m.join_code_id = (SELECT join_code_id FROM join_events WHERE id = ")
            .arg(event)
            .push(")");
    }
    match text {
        Some(SearchText::Id(id)) => {
            w.push(" AND p.id_hash = ").arg(vault.lookup_hash(&id));
        }
        Some(SearchText::Phone(phone)) => {
            w.push(" AND p.phone = ").arg(phone.as_str().to_string());
        }
        Some(SearchText::Other(q)) => {
            w.push(" AND (p.name LIKE ")
                .arg(format!("%{q}%"))
                .push(" OR m.member_no = ")
                .arg(q)
                .push(")");
        }
        None => {}
    }
    Ok(w)
}

/// The query of the members matching `filter` in the caller's scope, newest request first.
async fn listing<'a>(
    tx: &mut Tx,
    scope: &Scope,
    vault: &IdVault,
    filter: &MemberFilter,
) -> Result<Listing<'a>> {
    Ok(Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM memberships m JOIN people p ON p.id = m.person_id JOIN org_units o ON o.id = m.org_id
         LEFT JOIN memberships fm ON fm.id = m.transfer_from_id LEFT JOIN org_units f ON f.id = fm.org_id",
        filter: filter_sql(tx, scope, vault, filter).await?,
        order: "m.requested_at DESC",
        id: "m.id",
    })
}

/// Every member matching `filter`, in list order, handed to `each` one by one as the database
/// streams them: an export of a million rows never holds them all (no OFFSET, no count).
pub async fn for_each(
    tx: &mut Tx,
    scope: &Scope,
    vault: &IdVault,
    filter: &MemberFilter,
    mut each: impl FnMut(MemberRow) -> Result<()>,
) -> Result<u64> {
    listing(tx, scope, vault, filter)
        .await?
        .for_each(tx, |r| each(mask_phone(r)))
        .await
}

/// One page of the members matching `filter`, with the total.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    vault: &IdVault,
    filter: &MemberFilter,
    page: PageRequest,
) -> Result<Page<MemberRow>> {
    let mut page: Page<MemberRow> = listing(tx, scope, vault, filter)
        .await?
        .page(tx, page)
        .await?;
    page.items = page.items.into_iter().map(mask_phone).collect();
    Ok(page)
}

fn mask_phone(mut r: MemberRow) -> MemberRow {
    if let Ok(p) = super::identity::Phone::parse(&r.phone) {
        r.phone = p.mask();
    }
    r
}

/// One membership in scope.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<MemberRow> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE m.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, MemberRow>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.map(mask_phone).ok_or(Error::NotFound)
}

/// The full ID number of a member, for an admin of the member's union; every reveal is audited.
pub async fn reveal_id(
    tx: &mut Tx,
    caller: &Caller,
    vault: &IdVault,
    membership: Uuid,
) -> Result<String> {
    let row = get(tx, &caller.scope, membership).await?;
    let path = orgs::get(tx, &caller.scope, &row.org_code).await?.path;
    if !caller.may_reveal_ids(&path) {
        return Err(Error::Forbidden);
    }
    const SQL: &str =
        "SELECT p.id_sealed FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.id = $1";
    let sealed: Vec<u8> =
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(membership).fetch_one(c).await)?;
    let id = vault.open(&sealed)?;
    caller
        .audit(
            tx,
            "members.reveal_id",
            &row.org_code,
            Some(&path),
            serde_json::json!({"membership": membership, "member": row.id_number}),
        )
        .await?;
    Ok(id.as_str().to_string())
}

/// Re-seals every stored ID number that an older key sealed (key rotation, see `id_vault`).
/// Returns how many were re-sealed; safe to run again and while the server runs.
pub async fn reseal_all(store: &crate::Store, vault: &IdVault) -> Result<usize> {
    let mut done = 0;
    for table in ["people", "prospects"] {
        let mut tx = store.write().await?;
        let select = format!("SELECT id, id_sealed FROM {table} WHERE id_sealed IS NOT NULL");
        let rows: Vec<(Uuid, Vec<u8>)> =
            on_db!(tx.conn(), c => sqlx::query_as(&select).fetch_all(c).await)?;
        let update = format!("UPDATE {table} SET id_sealed = $2 WHERE id = $1");
        for (id, sealed) in rows.into_iter().filter(|(_, s)| vault.needs_reseal(s)) {
            let fresh = vault.seal(&vault.open(&sealed)?);
            on_db!(tx.conn(), c => sqlx::query(&update).bind(id).bind(&fresh).execute(c).await.map(|r| r.rows_affected()))?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}
