//! The member register: lists limited to the caller's scope with ID numbers masked, search by
//! name, phone or ID number (by its keyed hash), and the audited reveal of a full ID number.

use super::id_vault::IdVault;
use super::identity::ResidentId;
use crate::accounts::Caller;
use crate::page::{Page, PageRequest};
use crate::{audit, on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, Sql};
use serde::Serialize;
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
    /// `pending`, `active`, `rejected`, `transferred`, `withdrawn`, `lapsed`.
    pub status: String,
    pub channel: String,
    pub joined_on: Option<chrono::NaiveDate>,
    pub requested_at: i64,
    /// For a transfer request: the union the member comes from.
    pub transfer_from: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Only this unit's subtree.
    pub org: Option<String>,
    /// Name (part of), phone (whole) or ID number (whole).
    pub q: Option<String>,
    pub status: Option<String>,
    /// Only joins made at this mass-join event.
    pub event: Option<Uuid>,
}

const SELECT: &str = "SELECT m.id, m.member_no, p.name, p.id_mask AS id_number, p.phone, m.worker_group AS \"group\", m.employer,
        o.code AS org_code, o.name AS org_name, m.status, m.channel, m.joined_on, m.requested_at, f.name AS transfer_from
    FROM memberships m
    JOIN people p ON p.id = m.person_id
    JOIN org_units o ON o.id = m.org_id
    LEFT JOIN memberships fm ON fm.id = m.transfer_from_id LEFT JOIN org_units f ON f.id = fm.org_id";

/// Memberships at units in scope, newest request first.
/// The WHERE clause of a member filter within the caller's scope.
async fn filter_sql(
    tx: &mut Tx,
    scope: &Scope,
    vault: &IdVault,
    filter: &MemberFilter,
) -> Result<Sql> {
    let narrowed = match filter.org.as_deref().filter(|o| !o.trim().is_empty()) {
        Some(code) => {
            let unit = orgs::get(tx, scope, code).await?;
            Some(scope.within(&unit.path).ok_or(Error::NotFound)?)
        }
        None => None,
    };
    let mut w = Sql::new(" WHERE ");
    if filter.status.as_deref() == Some("transfer_out") {
        // Requests to leave for another union: the old union (in scope) sees them pending.
        w.scope("f.path", narrowed.as_ref().unwrap_or(scope))
            .push(" AND m.status = 'pending' AND m.transfer_from_id IS NOT NULL");
    } else {
        w.scope("o.path", narrowed.as_ref().unwrap_or(scope));
    }
    if let Some(status) = filter
        .status
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "all" && *s != "transfer_out")
    {
        w.push(" AND m.status = ").arg(status);
    } else if filter.status.is_none() {
        w.push(" AND m.status IN ('active', 'pending')");
    }
    if let Some(event) = filter.event {
        w.push(" AND m.join_code_id = (SELECT join_code_id FROM join_events WHERE id = ")
            .arg(event)
            .push(")");
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // A search is not a registration: any birth date will do.
        if let Ok(id) = ResidentId::parse(q, chrono::NaiveDate::MAX) {
            w.push(" AND p.id_hash = ").arg(vault.lookup_hash(&id));
        } else if let Ok(phone) = super::identity::Phone::parse(q) {
            w.push(" AND p.phone = ").arg(phone.as_str().to_string());
        } else {
            w.push(" AND (p.name LIKE ")
                .arg(format!("%{q}%"))
                .push(" OR m.member_no = ")
                .arg(q.to_string())
                .push(")");
        }
    }
    Ok(w)
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
    use futures::TryStreamExt;
    let w = filter_sql(tx, scope, vault, filter).await?;
    let sql = format!("{SELECT}{} ORDER BY m.requested_at DESC, m.id", w.sql);
    let mut n = 0u64;
    on_db!(tx.conn(), c => {
        let mut rows = bind_args!(sqlx::query_as::<_, MemberRow>(&sql), &w.args).fetch(c);
        while let Some(r) = rows.try_next().await? {
            each(mask_phone(r))?;
            n += 1;
        }
        Ok::<(), Error>(())
    })?;
    Ok(n)
}

/// One page of the members matching `filter`, with the total.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    vault: &IdVault,
    filter: &MemberFilter,
    page: PageRequest,
) -> Result<Page<MemberRow>> {
    let w = filter_sql(tx, scope, vault, filter).await?;
    let count_sql = format!(
        "SELECT COUNT(*) FROM memberships m JOIN people p ON p.id = m.person_id JOIN org_units o ON o.id = m.org_id
         LEFT JOIN memberships fm ON fm.id = m.transfer_from_id LEFT JOIN org_units f ON f.id = fm.org_id{}",
        w.sql
    );
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count_sql), &w.args).fetch_one(c).await)?;
    let mut q = Sql {
        sql: format!(
            "{SELECT}{} ORDER BY m.requested_at DESC, m.id LIMIT ",
            w.sql
        ),
        args: w.args,
    };
    q.arg(page.limit()).push(" OFFSET ").arg(page.offset());
    let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, MemberRow>(&q.sql), &q.args).fetch_all(c).await)?;
    Ok(Page {
        items: items.into_iter().map(mask_phone).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    })
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
    if caller.scope.role_at(&path) != Some(Role::Admin) {
        return Err(Error::Forbidden);
    }
    const SQL: &str =
        "SELECT p.id_sealed FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.id = $1";
    let sealed: Vec<u8> =
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(membership).fetch_one(c).await)?;
    let id = vault.open(&sealed)?;
    audit::record(
        tx,
        &caller.actor,
        caller.at,
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
