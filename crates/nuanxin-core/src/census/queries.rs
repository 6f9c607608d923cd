//! SQL for the census. An enterprise is visible to a caller when its owner unit is in scope;
//! recording one needs the staff role at its owner.

use super::attribution;
use super::{Enterprise, EnterpriseDraft, SizeBucket, UnionStatus};
use crate::accounts::Caller;
use crate::orgs::{self, OrgDraft, OrgKind};
use crate::page::{ListFilter, Listing, Page, PageRequest};
use crate::regions::{self, RegionCode};
use crate::{on_db, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const SELECT: &str = "SELECT e.id, e.uscc, e.name, e.industry, e.staff, e.new_form_workers, e.region_code, r.name AS region_name,
        e.address, e.has_party_org, e.union_status, u.code AS union_code, u.name AS union_name, e.unionised_on, e.operating,
        e.contact_name, e.contact_phone, e.source, o.code AS owner_code, o.name AS owner_name, e.disputed, e.updated_at
    FROM enterprises e
    JOIN org_units o ON o.id = e.owner_org_id
    LEFT JOIN org_units u ON u.id = e.union_org_id
    LEFT JOIN regions r ON r.code = e.region_code";

/// Filters and sort of the enterprise list: the page's query string and the API's parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct EnterpriseFilter {
    /// Only enterprises counted in this unit's subtree.
    pub org: Option<String>,
    /// Part of the name, or the USCC.
    pub q: Option<String>,
    /// `none`, `preparing`, `unionised`, or `not_unionised` (none and preparing).
    pub status: Option<String>,
    /// Staff size bucket: `ge100`, `50_99`, `25_49`, `lt25`.
    pub bucket: Option<String>,
    /// `true` (or `1`): only those whose sources disagree.
    #[serde(default, deserialize_with = "crate::sheets::flag")]
    #[param(value_type = Option<bool>)]
    pub disputed: Option<bool>,
    /// `name`, `staff` (largest first), `workers` (most new-form workers first), `updated`.
    pub sort: Option<String>,
}

fn in_scope(tx_scope: &Scope, owner_path: Option<&str>, role: Role) -> Result<()> {
    match owner_path.and_then(|p| tx_scope.role_at(p)) {
        None => Err(Error::NotFound),
        Some(r) if r >= role => Ok(()),
        Some(_) => Err(Error::Forbidden),
    }
}

/// The WHERE clause and ORDER BY of an enterprise filter within the caller's scope.
async fn filter_sql(
    tx: &mut Tx,
    scope: &Scope,
    filter: &EnterpriseFilter,
) -> Result<(Sql, &'static str)> {
    let narrowed = orgs::narrow(tx, scope, filter.org.as_deref()).await?;
    let mut w = Sql::new(" WHERE ");
    w.scope("o.path", &narrowed);
    match filter.status.as_deref().unwrap_or("") {
        "" | "all" => {}
        "not_unionised" => {
            w.push(" AND e.union_status <> 'unionised' AND e.operating = TRUE");
        }
        s => {
            let s = UnionStatus::parse(s)
                .ok_or(Error::invalid("status", "census.unknown_union_status"))?;
            w.push(" AND e.union_status = ").arg(s.as_str().to_string());
        }
    }
    if let Some(b) = filter.bucket.as_deref().filter(|b| !b.is_empty()) {
        let (lo, hi) = SizeBucket::parse(b)
            .ok_or(Error::invalid("bucket", "census.unknown_bucket"))?
            .bounds();
        w.push(" AND e.staff >= ")
            .arg(lo)
            .push(" AND e.staff < ")
            .arg(hi);
    }
    if filter.disputed == Some(true) {
        w.push(" AND e.disputed = TRUE");
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        match super::Uscc::parse(q) {
            Ok(u) => w.push(" AND e.uscc = ").arg(u.as_str().to_string()),
            Err(_) => w.push(" AND e.name LIKE ").arg(format!("%{q}%")),
        };
    }
    let order = match filter.sort.as_deref() {
        Some("staff") => "e.staff DESC, e.name",
        Some("workers") => "e.new_form_workers DESC, e.name",
        Some("updated") => "e.updated_at DESC",
        _ => "e.name, e.uscc",
    };
    Ok((w, order))
}

/// The query of the enterprises matching `filter` in the caller's scope, in list order.
impl ListFilter for EnterpriseFilter {
    type Row = Enterprise;

    async fn listing(&self, tx: &mut Tx, scope: &Scope) -> Result<Listing<'static>> {
        let (w, order) = filter_sql(tx, scope, self).await?;
        Ok(Listing {
            select: SELECT,
            count: "SELECT COUNT(*) FROM enterprises e JOIN org_units o ON o.id = e.owner_org_id",
            filter: w,
            order,
            id: "e.id",
        })
    }
}

pub use crate::page::{for_each, list};

/// One enterprise in scope, by USCC.
pub async fn get(tx: &mut Tx, scope: &Scope, uscc: &str) -> Result<Enterprise> {
    let uscc = super::Uscc::parse(uscc).map_err(|_| Error::NotFound)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE e.uscc = ")
        .arg(uscc.as_str().to_string())
        .push(" AND ")
        .scope("o.path", scope);
    on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Enterprise>(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// What recording a census row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recorded {
    /// A new enterprise.
    Created,
    /// The same source gave new values: they replace the old ones.
    Updated,
    /// Another source agrees with what is known.
    Confirmed,
    /// Another source disagrees: kept for the merge view, values unchanged.
    Disputed,
}

/// Where a draft puts an enterprise: its union, if it names one in scope, and the federation that
/// owns its record (id, path), where the caller must be staff. The region must exist.
async fn placement(
    tx: &mut Tx,
    caller: &Caller,
    d: &EnterpriseDraft,
) -> Result<(Option<orgs::OrgUnit>, (Uuid, String))> {
    let region = RegionCode::from_db(d.region_code.clone());
    regions::require(tx, &region, "region_code").await?;
    let union = match &d.union_code {
        Some(code) => Some(union_named(tx, caller, code).await?),
        None => None,
    };
    let owner = attribution::owner_for(tx, union.as_ref().map(|u| u.id), &d.region_code)
        .await?
        .ok_or(Error::invalid(
            "region_code",
            "census.no_federation_for_region",
        ))?;
    in_scope(&caller.scope, Some(&owner.1), Role::Staff).map_err(|e| match e {
        Error::NotFound => Error::invalid("region_code", "census.region_outside_scope"),
        e => e,
    })?;
    Ok((union, owner))
}

/// Records an enterprise as one source reports it. A new USCC creates the enterprise; a known one
/// from the same source updates it; from another source it is kept beside the others and, when
/// its facts differ, the enterprise is marked disputed for the merge view.
pub async fn record(tx: &mut Tx, caller: &Caller, d: &EnterpriseDraft) -> Result<Recorded> {
    let (union, owner) = placement(tx, caller, d).await?;
    const FIND: &str = "SELECT e.id, o.path FROM enterprises e LEFT JOIN org_units o ON o.id = e.owner_org_id WHERE e.uscc = $1";
    let existing: Option<(Uuid, Option<String>)> =
        on_db!(tx.conn(), c => sqlx::query_as(FIND).bind(&d.uscc).fetch_optional(c).await)?;
    let facts_json = d.facts().to_string();
    let unionised_on =
        (d.union_status == UnionStatus::Unionised && union.is_some()).then_some(caller.today);
    let outcome = match existing {
        None => {
            let id = new_id();
            const INSERT: &str = "INSERT INTO enterprises (id, uscc, name, industry, staff, new_form_workers, region_code, address,
                    has_party_org, union_status, union_org_id, unionised_on, operating, contact_name, contact_phone, source,
                    owner_org_id, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)";
            on_db!(tx.conn(), c => sqlx::query(INSERT).bind(id).bind(&d.uscc).bind(&d.name).bind(d.industry.as_str())
                .bind(d.staff).bind(d.new_form_workers).bind(&d.region_code).bind(&d.address).bind(d.has_party_org)
                .bind(d.union_status.as_str()).bind(union.as_ref().map(|u| u.id)).bind(unionised_on).bind(d.operating)
                .bind(&d.contact_name).bind(&d.contact_phone).bind(&d.source).bind(owner.0).bind(caller.at)
                .execute(c).await.map(|r| r.rows_affected()))?;
            let new = attribution::facts(tx, id).await?;
            attribution::shift(tx, None, new.as_ref()).await?;
            save_source(tx, id, &d.source, &facts_json, caller.at).await?;
            Recorded::Created
        }
        Some((id, old_owner_path)) => {
            in_scope(&caller.scope, old_owner_path.as_deref(), Role::Staff)?;
            const CURRENT: &str = "SELECT source FROM enterprises WHERE id = $1";
            let source: String =
                on_db!(tx.conn(), c => sqlx::query_scalar(CURRENT).bind(id).fetch_one(c).await)?;
            if source == d.source {
                write_values(tx, caller, id, d, union.as_ref().map(|u| u.id), owner.0).await?;
                save_source(tx, id, &d.source, &facts_json, caller.at).await?;
                Recorded::Updated
            } else {
                save_source(tx, id, &d.source, &facts_json, caller.at).await?;
                let agrees = current_facts(tx, id).await? == d.facts();
                if !agrees {
                    const MARK: &str =
                        "UPDATE enterprises SET disputed = TRUE, updated_at = $2 WHERE id = $1";
                    on_db!(tx.conn(), c => sqlx::query(MARK).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
                }
                if agrees {
                    Recorded::Confirmed
                } else {
                    Recorded::Disputed
                }
            }
        }
    };
    caller
        .audit(
            tx,
            "census.record",
            &d.uscc,
            Some(&owner.1),
            serde_json::json!({"outcome": outcome, "source": d.source, "name": d.name}),
        )
        .await?;
    Ok(outcome)
}

async fn current_facts(tx: &mut Tx, id: Uuid) -> Result<serde_json::Value> {
    const SQL: &str = "SELECT name, industry, staff, new_form_workers, region_code, union_status, operating FROM enterprises WHERE id = $1";
    let (name, industry, staff, workers, region, status, operating): (
        String,
        String,
        i64,
        i64,
        String,
        String,
        bool,
    ) = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id).fetch_one(c).await)?;
    Ok(serde_json::json!({
        "name": name, "industry": industry, "staff": staff, "new_form_workers": workers,
        "region_code": region, "union_status": status, "operating": operating,
    }))
}

async fn save_source(tx: &mut Tx, id: Uuid, source: &str, record: &str, at: i64) -> Result<()> {
    const SQL: &str = "INSERT INTO enterprise_sources (id, enterprise_id, source, record, recorded_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (enterprise_id, source) DO UPDATE SET record = excluded.record, recorded_at = excluded.recorded_at";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(id).bind(source).bind(record).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes new values over an enterprise and moves its counters.
async fn write_values(
    tx: &mut Tx,
    caller: &Caller,
    id: Uuid,
    d: &EnterpriseDraft,
    union: Option<Uuid>,
    owner: Uuid,
) -> Result<()> {
    let old = attribution::facts(tx, id).await?;
    const SQL: &str = "UPDATE enterprises SET name = $2, industry = $3, staff = $4, new_form_workers = $5, region_code = $6,
            address = $7, has_party_org = $8, union_status = $9, union_org_id = $10, operating = $11, contact_name = $12,
            contact_phone = $13, owner_org_id = $14, updated_at = $15,
            unionised_on = CASE WHEN $9 = 'unionised' THEN COALESCE(unionised_on, $16) ELSE NULL END
        WHERE id = $1";
    let day = union.map(|_| caller.today);
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(&d.name).bind(d.industry.as_str()).bind(d.staff)
        .bind(d.new_form_workers).bind(&d.region_code).bind(&d.address).bind(d.has_party_org).bind(d.union_status.as_str())
        .bind(union).bind(d.operating).bind(&d.contact_name).bind(&d.contact_phone).bind(owner).bind(caller.at).bind(day)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let new = attribution::facts(tx, id).await?;
    attribution::shift(tx, old.as_ref(), new.as_ref()).await
}

/// An enterprise the caller may change: changing a record takes staff rights where it is kept
/// now, not only where it goes.
async fn editable(tx: &mut Tx, caller: &Caller, uscc: &str) -> Result<Enterprise> {
    let e = get(tx, &caller.scope, uscc).await?;
    in_scope(
        &caller.scope,
        Some(&owner_path(tx, e.id).await?),
        Role::Staff,
    )?;
    Ok(e)
}

/// The union a form or row names (`union_code`), in the caller's scope.
async fn union_named(tx: &mut Tx, caller: &Caller, code: &str) -> Result<orgs::OrgUnit> {
    orgs::get(tx, &caller.scope, code)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("union_code", "census.unknown_union"),
            e => e,
        })
}

/// Edits an enterprise from the form: the values become those of the cadre's source.
pub async fn update(
    tx: &mut Tx,
    caller: &Caller,
    uscc: &str,
    d: &EnterpriseDraft,
) -> Result<Enterprise> {
    let e = editable(tx, caller, uscc).await?;
    if e.uscc != d.uscc {
        return Err(Error::invalid("uscc", "census.uscc_readonly"));
    }
    let (union, owner) = placement(tx, caller, d).await?;
    write_values(tx, caller, e.id, d, union.as_ref().map(|u| u.id), owner.0).await?;
    caller
        .audit(
            tx,
            "census.update",
            uscc,
            Some(&owner.1),
            serde_json::json!({"name": d.name, "union_status": d.union_status}),
        )
        .await?;
    get(tx, &caller.scope, uscc).await
}

/// How an enterprise gets its union.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum Unionise {
    /// Link to an existing union (its own, or a joint union that covers it).
    Existing { union_code: String },
    /// Set up a new enterprise union under `parent_code` with this code.
    New {
        code: String,
        name: String,
        parent_code: String,
    },
}

/// Marks an enterprise unionised, linked to an existing union or to a new enterprise union. Its
/// counters move to the union.
pub async fn mark_unionised(
    tx: &mut Tx,
    caller: &Caller,
    uscc: &str,
    how: &Unionise,
) -> Result<Enterprise> {
    let e = editable(tx, caller, uscc).await?;
    if e.union_status == "unionised" && e.union_code.is_some() {
        return Err(Error::conflict("union_status", "census.already_unionised"));
    }
    let union = match how {
        Unionise::Existing { union_code } => {
            let u = union_named(tx, caller, union_code).await?;
            if !matches!(u.kind, OrgKind::EnterpriseUnion | OrgKind::JointUnion) || !u.is_active() {
                return Err(Error::invalid("union_code", "census.not_a_union"));
            }
            u
        }
        Unionise::New {
            code,
            name,
            parent_code,
        } => {
            let input = orgs::OrgInput {
                code: code.clone(),
                name: name.clone(),
                kind: "enterprise_union".into(),
                joint_kind: None,
                industry: Some(e.industry.clone()),
                parent_code: Some(parent_code.clone()),
                region_code: e.region_code.clone(),
                founded_on: None,
                contact_name: e.contact_name.clone(),
                contact_phone: e.contact_phone.clone(),
            };
            let draft = OrgDraft::parse(&input, caller.today).map_err(Error::from)?;
            orgs::create(tx, caller, &draft).await?
        }
    };
    in_scope(&caller.scope, Some(&union.path), Role::Staff)?;
    let old = attribution::facts(tx, e.id).await?;
    const SQL: &str =
        "UPDATE enterprises SET union_status = 'unionised', union_org_id = $2, owner_org_id = $2,
        unionised_on = $3, updated_at = $4 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(e.id).bind(union.id).bind(caller.today).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let new = attribution::facts(tx, e.id).await?;
    attribution::shift(tx, old.as_ref(), new.as_ref()).await?;
    caller.audit(tx, "census.unionise",
        uscc,
        Some(&union.path),
        serde_json::json!({"union": union.code, "new_union": matches!(how, Unionise::New { .. })}),
    )
    .await?;
    get(tx, &caller.scope, uscc).await
}

/// One source's version of an enterprise.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceRecord {
    pub source: String,
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    pub recorded_at: i64,
    /// Whether this is the source whose values are shown.
    pub current: bool,
}

/// Every source's version of an enterprise, for the merge view.
pub async fn sources_of(tx: &mut Tx, scope: &Scope, uscc: &str) -> Result<Vec<SourceRecord>> {
    let e = get(tx, scope, uscc).await?;
    const SQL: &str = "SELECT source, record, recorded_at FROM enterprise_sources WHERE enterprise_id = $1 ORDER BY recorded_at, source";
    let rows: Vec<(String, String, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(e.id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(source, record, recorded_at)| SourceRecord {
            current: source == e.source,
            record: serde_json::from_str(&record).unwrap_or_default(),
            source,
            recorded_at,
        })
        .collect())
}

/// Disputed enterprises in scope.
pub async fn disputed(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Enterprise>> {
    let filter = EnterpriseFilter {
        disputed: Some(true),
        sort: Some("updated".into()),
        ..Default::default()
    };
    list(tx, scope, &filter, page).await
}

/// Settles a dispute: the values of `source` become the enterprise's.
pub async fn resolve(tx: &mut Tx, caller: &Caller, uscc: &str, source: &str) -> Result<Enterprise> {
    let e = editable(tx, caller, uscc).await?;
    let chosen = sources_of(tx, &caller.scope, uscc)
        .await?
        .into_iter()
        .find(|s| s.source == source)
        .ok_or(Error::invalid("source", "census.unknown_source"))?;
    let r = &chosen.record;
    let text = |k: &str| {
        r.get(k).map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
    };
    let input = super::EnterpriseInput {
        uscc: e.uscc.clone(),
        name: text("name").unwrap_or(e.name.clone()),
        industry: text("industry").unwrap_or(e.industry.clone()),
        staff: text("staff").unwrap_or_default(),
        new_form_workers: text("new_form_workers").unwrap_or_default(),
        region_code: text("region_code").unwrap_or(e.region_code.clone()),
        address: e.address.clone(),
        has_party_org: Some(e.has_party_org.to_string()),
        union_status: Some(if e.union_code.is_some() {
            "unionised".into()
        } else {
            text("union_status").unwrap_or_default()
        }),
        union_code: e.union_code.clone(),
        operating: text("operating"),
        contact_name: e.contact_name.clone(),
        contact_phone: e.contact_phone.clone(),
        source: Some(source.to_string()),
    };
    let d = EnterpriseDraft::parse(&input).map_err(Error::from)?;
    // The source chosen may place the enterprise elsewhere: only where the caller is staff.
    let (union, owner) = placement(tx, caller, &d).await?;
    write_values(tx, caller, e.id, &d, union.map(|u| u.id), owner.0).await?;
    const SQL: &str = "UPDATE enterprises SET source = $2, disputed = FALSE WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(e.id).bind(source).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "census.resolve",
            uscc,
            Some(&owner.1),
            serde_json::json!({"source": source}),
        )
        .await?;
    get(tx, &caller.scope, uscc).await
}

async fn owner_path(tx: &mut Tx, id: Uuid) -> Result<String> {
    const SQL: &str = "SELECT o.path FROM enterprises e JOIN org_units o ON o.id = e.owner_org_id WHERE e.id = $1";
    Ok(on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(id).fetch_one(c).await)?)
}

/// Names of census enterprises in a region (code prefix, e.g. a county's six digits) that contain
/// `q`, for the employer field of the join page: at most `limit`, alphabetical. The names of
/// enterprises are what the worker would type anyway; nothing else of the census is shown.
pub async fn employer_names(
    tx: &mut Tx,
    region_prefix: &str,
    q: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let q: String = q.trim().chars().take(30).collect();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let (lo, hi) = (region_prefix.to_string(), format!("{region_prefix}~"));
    const SQL: &str = "SELECT DISTINCT name FROM enterprises
        WHERE region_code >= $1 AND region_code < $2 AND name LIKE $3 ESCAPE '\\'
        ORDER BY name LIMIT $4";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(&lo).bind(&hi).bind(&pattern).bind(limit).fetch_all(c).await)?,
    )
}

/// The operating census enterprises of a region (code prefix), largest first, at most `limit`:
/// the employers a cadre's form offers to pick from.
pub async fn largest_employers(
    tx: &mut Tx,
    region_prefix: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let (lo, hi) = (region_prefix.to_string(), format!("{region_prefix}~"));
    const SQL: &str = "SELECT name FROM enterprises
        WHERE region_code >= $1 AND region_code < $2 AND operating = TRUE
        ORDER BY staff DESC, name LIMIT $3";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_scalar(SQL).bind(&lo).bind(&hi).bind(limit).fetch_all(c).await)?,
    )
}

/// Records an enterprise from a form or an API body, as the use case of both: checks every
/// field (all problems at once), records it for the caller and commits.
pub async fn submit(
    store: &crate::Store,
    caller: &Caller,
    input: &super::EnterpriseInput,
) -> Result<(Recorded, Enterprise)> {
    let draft = EnterpriseDraft::parse(input)?;
    let mut tx = store.write().await?;
    let outcome = record(&mut tx, caller, &draft).await?;
    let enterprise = get(&mut tx, &caller.scope, &draft.uscc).await?;
    tx.commit().await?;
    Ok((outcome, enterprise))
}

/// Changes an enterprise's record from a form: checks every field, updates and commits.
pub async fn revise(
    store: &crate::Store,
    caller: &Caller,
    uscc: &str,
    input: &super::EnterpriseInput,
) -> Result<Enterprise> {
    let draft = EnterpriseDraft::parse(input)?;
    let mut tx = store.write().await?;
    let e = update(&mut tx, caller, uscc, &draft).await?;
    tx.commit().await?;
    Ok(e)
}
