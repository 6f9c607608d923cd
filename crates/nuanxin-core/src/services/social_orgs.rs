//! Social organisations (社会组织, SPEC 3.9): the registry of the social organisations of a
//! union's area (their USCC starts with 5: registered with civil affairs), key contacts flagged,
//! their union status and the union they belong to; and the monthly allowance of the chairs of
//! their unions with [`ALLOWANCE_FROM`] or more members, by size bands a union sets for its
//! subtree (the nearest union above with bands wins; [`DEFAULT_BANDS`] otherwise).

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Scope, Tx};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The smallest union whose chair is paid an allowance.
pub const ALLOWANCE_FROM: i64 = 50;

/// The bands used when no union above has set its own: (from members, yuan a month in fen).
pub const DEFAULT_BANDS: [(i64, i64); 3] = [(50, 20_000), (100, 30_000), (200, 50_000)];

/// Union status of an organisation.
pub const UNION_STATUSES: [&str; 3] = ["unionised", "in_progress", "none"];

/// A registered social organisation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SocialOrg {
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    /// `social_group` (社会团体), `private_non_enterprise` (民办非企业单位), `foundation` (基金会) or
    /// `other`, read from the USCC.
    pub kind: String,
    pub region_code: Option<String>,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// `unionised`, `in_progress` or `none`.
    pub union_status: String,
    /// Members of the organisation's own union.
    pub union_members: i64,
    /// A key organisation the union keeps in regular contact with (重点联系).
    pub key_contact: bool,
    pub contact_name: String,
    pub contact_phone: String,
}

/// A new organisation or an update of one (by its USCC).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SocialOrgInput {
    pub uscc: String,
    pub name: String,
    /// The union it belongs to.
    pub org_code: String,
    pub region_code: String,
    pub union_status: String,
    pub union_members: String,
    /// `1`/`true`: a key contact.
    pub key_contact: String,
    pub contact_name: String,
    pub contact_phone: String,
}

/// The kind of a civil-affairs USCC by its second character.
pub fn kind_of(uscc: &str) -> &'static str {
    match uscc.as_bytes().get(1) {
        Some(b'1') => "social_group",
        Some(b'2') => "private_non_enterprise",
        Some(b'3') => "foundation",
        _ => "other",
    }
}

const SELECT: &str = "SELECT s.id, s.uscc, s.name, s.kind, s.region_code, o.code AS org_code, o.name AS org_name,
        o.path AS org_path, s.union_status, s.union_members, s.key_contact, s.contact_name, s.contact_phone
    FROM social_orgs s JOIN org_units o ON o.id = s.org_id";

fn yes(text: &str) -> bool {
    matches!(text.trim(), "1" | "true" | "on" | "yes" | "是")
}

/// Registers an organisation, or updates the one of the same USCC (staff of its union or
/// above, and of the union it was registered with). All problems at once.
pub async fn put(tx: &mut Tx, caller: &Caller, input: &SocialOrgInput) -> Result<SocialOrg> {
    let mut errs = FieldErrors::new();
    let uscc = match crate::census::Uscc::parse(&input.uscc) {
        Ok(u) if u.as_str().starts_with('5') => Some(u),
        Ok(_) => {
            errs.push("uscc", "social.not_civil_affairs");
            None
        }
        Err(e) => {
            errs.push("uscc", e.code());
            None
        }
    };
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let name: String = input.name.trim().chars().take(200).collect();
    if name.is_empty() {
        errs.push("name", "social.name_required");
    }
    let status = input.union_status.trim();
    if !UNION_STATUSES.contains(&status) {
        errs.push("union_status", "social.bad_union_status");
    }
    let members = match input.union_members.trim() {
        "" => Some(0),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=1_000_000).contains(n)),
    };
    if members.is_none() {
        errs.push("union_members", "social.bad_members");
    }
    let region = super::typed_region(tx, &input.region_code, &mut errs).await?;
    let (Some(uscc), Some(org), Some(members), true) = (uscc, org, members, errs.is_empty()) else {
        return Err(errs.into());
    };
    // An organisation already registered elsewhere is not the caller's to change.
    const HELD: &str =
        "SELECT o.path FROM social_orgs s JOIN org_units o ON o.id = s.org_id WHERE s.uscc = $1";
    let held: Option<String> = on_db!(tx.conn(), c => sqlx::query_scalar(HELD).bind(uscc.as_str()).fetch_optional(c).await)?;
    if let Some(path) = held {
        if caller.role_at(&path) < Some(crate::Role::Staff) {
            return Err(Error::conflict("uscc", "social.registered_elsewhere"));
        }
    }
    const SQL: &str = "INSERT INTO social_orgs (id, uscc, name, kind, region_code, org_id, union_status, union_members,
            key_contact, contact_name, contact_phone, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
        ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, region_code = excluded.region_code, org_id = excluded.org_id,
            union_status = excluded.union_status, union_members = excluded.union_members, key_contact = excluded.key_contact,
            contact_name = excluded.contact_name, contact_phone = excluded.contact_phone, updated_at = excluded.updated_at";
    let (contact, phone): (String, String) = (
        input.contact_name.trim().chars().take(50).collect(),
        input.contact_phone.trim().chars().take(30).collect(),
    );
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(uscc.as_str()).bind(&name).bind(kind_of(uscc.as_str()))
        .bind(&region).bind(org.id).bind(status).bind(members).bind(yes(&input.key_contact)).bind(&contact).bind(&phone)
        .bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(tx, "social.put", uscc.as_str(), Some(&org.path),
            serde_json::json!({"name": name, "union_status": status, "union_members": members, "key_contact": yes(&input.key_contact)}))
        .await?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE s.uscc = ").arg(uscc.as_str());
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, SocialOrg>(&q.sql), &q.args).fetch_one(c).await)?;
    Ok(row)
}

/// The list's filter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct SocialOrgFilter {
    /// Words of the name, or the USCC.
    pub q: String,
    /// `1`: key contacts only.
    pub key: String,
    /// A union status.
    pub union_status: String,
}

/// The organisations of the scope's unions, key contacts first, by name.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    f: &SocialOrgFilter,
    page: PageRequest,
) -> Result<Page<SocialOrg>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    if f.key == "1" {
        filter.push(" AND s.key_contact = TRUE");
    }
    if UNION_STATUSES.contains(&f.union_status.trim()) {
        filter
            .push(" AND s.union_status = ")
            .arg(f.union_status.trim());
    }
    let words = f.q.trim();
    if !words.is_empty() {
        let like = format!("%{}%", words.replace(['%', '_'], ""));
        filter
            .push(" AND (s.name LIKE ")
            .arg(like.clone())
            .push(" OR s.uscc LIKE ")
            .arg(like)
            .push(")");
    }
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM social_orgs s JOIN org_units o ON o.id = s.org_id",
        filter,
        order: "s.key_contact DESC, s.name",
        id: "s.id",
    }
    .page(tx, page)
    .await
}

/// An organisation of the scope's unions, by its USCC.
pub async fn by_uscc(tx: &mut Tx, scope: &Scope, uscc: &str) -> Result<SocialOrg> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE s.uscc = ")
        .arg(uscc.trim().to_ascii_uppercase())
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, SocialOrg>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// Sets the allowance bands of a union's subtree (staff of it): `(from members, fen a month)`,
/// each from at least [`ALLOWANCE_FROM`], the amounts growing with size.
pub async fn set_bands(
    tx: &mut Tx,
    caller: &Caller,
    org_code: &str,
    bands: &[(i64, i64)],
) -> Result<()> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, org_code, &mut errs).await?;
    let mut sorted = bands.to_vec();
    sorted.sort_unstable();
    let growing = sorted
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
    if sorted.is_empty() || !growing || sorted.iter().any(|(m, f)| *m < ALLOWANCE_FROM || *f <= 0) {
        errs.push("bands", "social.bad_bands");
    }
    let (Some(org), true) = (org, errs.is_empty()) else {
        return Err(errs.into());
    };
    const CLEAR: &str = "DELETE FROM chair_allowance_bands WHERE org_id = $1";
    on_db!(tx.conn(), c => sqlx::query(CLEAR).bind(org.id).execute(c).await.map(|r| r.rows_affected()))?;
    for (m, f) in &sorted {
        const SQL: &str = "INSERT INTO chair_allowance_bands (org_id, min_members, monthly_fen) VALUES ($1, $2, $3)";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(org.id).bind(m).bind(f).execute(c).await.map(|r| r.rows_affected()))?;
    }
    caller
        .audit(
            tx,
            "social.bands",
            &org.code,
            Some(&org.path),
            serde_json::json!({"bands": sorted}),
        )
        .await?;
    Ok(())
}

/// Reads bands as typed: `50:200, 100:300` (members from, yuan a month).
pub fn parse_bands(text: &str) -> Result<Vec<(i64, i64)>> {
    text.split([',', '，', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|band| {
            let (m, y) = band
                .split_once([':', '：'])
                .ok_or(Error::invalid("bands", "social.bad_bands"))?;
            let members = m
                .trim()
                .parse::<i64>()
                .map_err(|_| Error::invalid("bands", "social.bad_bands"))?;
            let fen = super::money::parse_yuan(y)
                .map_err(|_| Error::invalid("bands", "social.bad_bands"))?;
            Ok((members, fen))
        })
        .collect()
}

/// The bands that apply at the unit of `path`: those of the nearest union at or above it that
/// has set some, else the defaults.
pub async fn bands_at(tx: &mut Tx, path: &str) -> Result<Vec<(i64, i64)>> {
    const SQL: &str = "SELECT o.path, b.min_members, b.monthly_fen FROM chair_allowance_bands b JOIN org_units o ON o.id = b.org_id
        WHERE substr($1, 1, length(o.path)) = o.path ORDER BY length(o.path) DESC, b.min_members";
    let rows: Vec<(String, i64, i64)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(path).fetch_all(c).await)?;
    let Some(nearest) = rows.first().map(|r| r.0.clone()) else {
        return Ok(DEFAULT_BANDS.to_vec());
    };
    Ok(rows
        .into_iter()
        .filter(|r| r.0 == nearest)
        .map(|(_, m, f)| (m, f))
        .collect())
}

/// The monthly allowance of a union of `members` members under `bands` (0 below the first).
pub fn allowance(bands: &[(i64, i64)], members: i64) -> i64 {
    bands
        .iter()
        .filter(|(from, _)| members >= *from)
        .map(|(_, fen)| *fen)
        .max()
        .unwrap_or(0)
}

/// One chair's allowance.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Allowance {
    pub uscc: String,
    pub name: String,
    pub org_code: String,
    pub union_members: i64,
    pub monthly_fen: i64,
}

/// The allowances of the chairs of the unionised organisations with 50 or more members in the
/// subtree of `org_code`, largest union first.
pub async fn allowances(tx: &mut Tx, scope: &Scope, org_code: &str) -> Result<Vec<Allowance>> {
    let unit = crate::orgs::get(tx, scope, org_code).await?;
    let (lo, hi) = nuanxin_store::subtree_range(&unit.path);
    let mut q = Sql::new(SELECT);
    q.push(" WHERE o.path >= ")
        .arg(lo)
        .push(" AND o.path < ")
        .arg(hi)
        .push(" AND s.union_status = 'unionised' AND s.union_members >= ")
        .arg(ALLOWANCE_FROM)
        .push(" ORDER BY s.union_members DESC, s.name");
    let rows = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, SocialOrg>(&q.sql), &q.args).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let bands = bands_at(tx, &s.org_path).await?;
        out.push(Allowance {
            monthly_fen: allowance(&bands, s.union_members),
            uscc: s.uscc,
            name: s.name,
            org_code: s.org_code,
            union_members: s.union_members,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_follows_the_band_a_union_reaches() {
        let bands = DEFAULT_BANDS;
        assert_eq!(allowance(&bands, 49), 0);
        assert_eq!(allowance(&bands, 50), 20_000);
        assert_eq!(allowance(&bands, 199), 30_000);
        assert_eq!(allowance(&bands, 5_000), 50_000);
        assert_eq!(
            parse_bands("50:150, 120：260").unwrap(),
            vec![(50, 15_000), (120, 26_000)]
        );
        assert!(parse_bands("50-150").is_err());
        assert_eq!(kind_of("51371500MJD000000X"), "social_group");
        assert_eq!(kind_of("52371500MJD000000X"), "private_non_enterprise");
    }
}
