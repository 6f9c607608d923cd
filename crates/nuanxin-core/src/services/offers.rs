//! Benefit offers (惠工卡 partner merchants): a union lists offers for its members at partner
//! merchants (name, address, the township or county they are in, the discount, the validity). A
//! member's e-card carries their card number (the membership number) and `/me` lists the live
//! offers of their union and the unions above it, those near their work township first. Each
//! offer has a verification page for the merchant, reached by a secret link the union hands over
//! (`/verify/{token}`): the merchant scans the e-card and learns only whether it is a member's of
//! the offering union in good standing, nothing else about them.

use crate::accounts::Caller;
use crate::audit::Actor;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An offer as cadres see it (with the merchant's verification token).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Offer {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub merchant: String,
    pub address: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub discount: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// The secret of the merchant's verification page `/verify/{token}`.
    pub verify_token: String,
    /// E-cards checked at the merchant.
    pub verified: i64,
    pub withdrawn: bool,
}

impl Offer {
    /// Shown to members on `day`.
    pub fn is_live(&self, day: NaiveDate) -> bool {
        !self.withdrawn && self.valid_from <= day && self.valid_to.is_none_or(|t| t >= day)
    }
}

/// A new offer (`POST /api/v1/offers`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OfferInput {
    pub org_code: String,
    pub merchant: String,
    pub address: String,
    /// The township or county code the merchant is in (optional).
    pub region_code: String,
    pub discount: String,
    /// Default today.
    pub valid_from: String,
    pub valid_to: String,
}

const SELECT: &str = "SELECT f.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, f.merchant, f.address,
        f.region_code, r.name AS region_name, f.discount, f.valid_from, f.valid_to, f.verify_token, f.verified,
        (f.withdrawn_at IS NOT NULL) AS withdrawn
    FROM benefit_offers f JOIN org_units o ON o.id = f.org_id LEFT JOIN regions r ON r.code = f.region_code";

/// A verification token: 24 characters without look-alikes.
fn token() -> String {
    super::code_tail(24)
}

/// Lists an offer for the union's members (staff of the union or above). All problems at once.
pub async fn create(tx: &mut Tx, caller: &Caller, input: &OfferInput) -> Result<Offer> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let merchant: String = input.merchant.trim().chars().take(100).collect();
    if merchant.is_empty() {
        errs.push("merchant", "offers.merchant_required");
    }
    let discount: String = input.discount.trim().chars().take(200).collect();
    if discount.is_empty() {
        errs.push("discount", "offers.discount_required");
    }
    let region = match input.region_code.trim() {
        "" => None,
        typed => {
            let found = match crate::regions::RegionCode::parse(typed) {
                Ok(code) => crate::regions::get(tx, &code).await?,
                Err(_) => None,
            };
            if found.is_none() {
                errs.push("region_code", "regions.unknown");
            }
            found.map(|r| r.code)
        }
    };
    let mut day = |field: &'static str, typed: &str, default: Option<NaiveDate>| match typed.trim()
    {
        "" => default,
        t => {
            let d = crate::sheets::parse_date(t);
            if d.is_none() {
                errs.push(field, "errors.bad_date");
            }
            d
        }
    };
    let valid_from = day("valid_from", &input.valid_from, Some(caller.today));
    let valid_to = day("valid_to", &input.valid_to, None);
    if let (Some(f), Some(t)) = (valid_from, valid_to) {
        if t < f {
            errs.push("valid_to", "offers.bad_valid_to");
        }
    }
    let (Some(org), Some(valid_from), true) = (org, valid_from, errs.is_empty()) else {
        return Err(errs.into());
    };
    let id = new_id();
    const SQL: &str = "INSERT INTO benefit_offers (id, org_id, merchant, address, region_code, discount, valid_from, valid_to,
            verify_token, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)";
    let address: String = input.address.trim().chars().take(200).collect();
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&merchant).bind(&address).bind(&region)
        .bind(&discount).bind(valid_from).bind(valid_to).bind(token()).bind(&caller.actor.name).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "offers.create",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"merchant": merchant, "discount": discount, "region_code": region}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// An offer of the scope's unions.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Offer> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE f.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Offer>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The offers of the scope's unions, latest first.
pub async fn list(tx: &mut Tx, scope: &Scope, page: PageRequest) -> Result<Page<Offer>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM benefit_offers f JOIN org_units o ON o.id = f.org_id",
        filter,
        order: "f.created_at DESC",
        id: "f.id",
    }
    .page(tx, page)
    .await
}

/// Withdraws an offer (staff of its union or above): members no longer see it and its
/// verification page answers nothing.
pub async fn withdraw(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Offer> {
    let offer = get(tx, &caller.scope, id).await?;
    if caller.role_at(&offer.org_path) < Some(crate::Role::Staff) {
        return Err(Error::Forbidden);
    }
    const SQL: &str = "UPDATE benefit_offers SET withdrawn_at = $2, updated_at = $2 WHERE id = $1 AND withdrawn_at IS NULL";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "offers.withdraw",
            &id.to_string(),
            Some(&offer.org_path),
            serde_json::json!({"merchant": offer.merchant}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// The live offers a member sees on `day`: of their union and every union above it, those in
/// their work township first, then their county, then the rest.
pub async fn for_member(tx: &mut Tx, person: Uuid, day: NaiveDate) -> Result<Vec<Offer>> {
    let Some(paths) = super::notices::audience_paths(tx, person).await? else {
        return Ok(Vec::new());
    };
    const WORK: &str = "SELECT COALESCE(work_region, '') FROM memberships WHERE person_id = $1 AND status = 'active'
        ORDER BY requested_at DESC LIMIT 1";
    let work: String =
        on_db!(tx.conn(), c => sqlx::query_scalar(WORK).bind(person).fetch_optional(c).await)?
            .unwrap_or_default();
    let mut q = Sql::new(SELECT);
    q.push(" WHERE f.withdrawn_at IS NULL AND f.valid_from <= ")
        .arg(day)
        .push(" AND (f.valid_to IS NULL OR f.valid_to >= ")
        .arg(day)
        .push(") AND ");
    super::notices::of_unions(&mut q, paths);
    q.push(" ORDER BY f.created_at DESC LIMIT 50");
    let mut offers = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Offer>(&q.sql), &q.args).fetch_all(c).await)?;
    // Nearness: the same township, else the same county (its code's first six digits).
    let county: String = work.chars().take(6).collect();
    offers.sort_by_key(|o| match o.region_code.as_deref() {
        Some(r) if !work.is_empty() && r == work => 0,
        Some(r) if county.len() == 6 && r.starts_with(&county) => 1,
        None => 2,
        Some(_) => 3,
    });
    offers.truncate(20);
    Ok(offers)
}

/// The offer a verification link names, live on `day` (else not found).
pub async fn by_token(tx: &mut Tx, token: &str, day: NaiveDate) -> Result<Offer> {
    let sql = format!("{SELECT} WHERE f.verify_token = $1");
    let offer: Offer = on_db!(tx.conn(), c => sqlx::query_as::<_, Offer>(&sql).bind(token.trim()).fetch_optional(c).await)?
        .ok_or(Error::NotFound)?;
    if !offer.is_live(day) {
        return Err(Error::NotFound);
    }
    Ok(offer)
}

/// A merchant checks an e-card at an offer's verification page: whether it is an active
/// member's of the offering union's subtree. Nothing else is told; each check is counted and
/// audited (the number checked, not who).
pub async fn verify(
    tx: &mut Tx,
    token: &str,
    scanned: &str,
    day: NaiveDate,
    at: i64,
    ip: Option<String>,
) -> Result<bool> {
    let offer = by_token(tx, token, day).await?;
    let typed = scanned.trim();
    let no = typed
        .strip_prefix(crate::members::ECARD_PREFIX)
        .unwrap_or(typed)
        .trim();
    if no.is_empty() {
        return Err(Error::invalid("qr", "offers.qr_required"));
    }
    let member = super::care::member_by_no(tx, &offer.org_path, no)
        .await?
        .is_some();
    const COUNT: &str = "UPDATE benefit_offers SET verified = verified + 1 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(COUNT).bind(offer.id).execute(c).await.map(|r| r.rows_affected()))?;
    let actor = Actor {
        account_id: None,
        name: format!("merchant:{}", offer.merchant),
        ip,
    };
    crate::audit::record(
        tx,
        &actor,
        at,
        "offers.verify",
        &offer.id.to_string(),
        Some(&offer.org_path),
        serde_json::json!({"member": member}),
    )
    .await?;
    Ok(member)
}
