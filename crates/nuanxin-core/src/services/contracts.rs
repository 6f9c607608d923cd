//! Collective contracts (集体合同, SPEC 3.9): by industry, by region or by enterprise, signed by a
//! union for the worker groups it covers, with their key terms (minimum piece rate, maximum
//! hours, rest days, insurance, heat allowance) and the signed scan (a PDF or a photo, kept in
//! the uploads folder). Valid from signing to expiry; the list reminds of those expiring within
//! [`REMIND_DAYS`]. Coverage: the active members of each group in a subtree, and how many of them
//! a valid contract of their union (or a union above) covers.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::services::photos::Uploads;
use crate::{on_db, Error, Result, Scope, Tx};
use chrono::NaiveDate;
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Days before expiry a contract is listed as expiring.
pub const REMIND_DAYS: u64 = 90;

/// The kinds of contract.
pub const KINDS: [&str; 3] = ["industry", "regional", "enterprise"];

/// A contract as cadres and the API see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Contract {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// `industry`, `regional` or `enterprise`.
    pub kind: String,
    pub title: String,
    /// The other party: an employers' association, a platform, an enterprise.
    pub employer: String,
    pub region_code: Option<String>,
    pub signed_on: NaiveDate,
    pub expires_on: NaiveDate,
    /// Worker groups covered, comma-separated codes (`delivery_rider,courier`).
    pub groups: String,
    pub head_count: i64,
    pub min_piece_fen: Option<i64>,
    pub max_hours: Option<i32>,
    pub rest_days: Option<i32>,
    pub insurance: String,
    pub heat_fen: Option<i64>,
    /// `application/pdf` or `image/jpeg` when the signed scan is kept.
    pub scan_type: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

impl Contract {
    /// Valid on `day`: signed and not yet expired.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.signed_on <= day && day <= self.expires_on
    }

    /// Expired before `day`.
    pub fn expired(&self, day: NaiveDate) -> bool {
        self.expires_on < day
    }

    /// Valid on `day` and expiring within [`REMIND_DAYS`].
    pub fn expiring(&self, day: NaiveDate) -> bool {
        self.valid_on(day) && self.expires_on <= day + chrono::Days::new(REMIND_DAYS)
    }

    pub fn group_list(&self) -> Vec<&str> {
        self.groups.split(',').filter(|g| !g.is_empty()).collect()
    }
}

/// A new contract (`POST /api/v1/contracts`, the form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContractInput {
    pub org_code: String,
    pub kind: String,
    pub title: String,
    pub employer: String,
    /// Optional: the region it applies to (a county's or township's code).
    pub region_code: String,
    pub signed_on: String,
    pub expires_on: String,
    /// Worker groups, codes or Chinese names, separated by commas (or several fields).
    pub groups: String,
    pub head_count: String,
    /// Yuan per order, e.g. `4.5`.
    pub min_piece_rate: String,
    pub max_hours: String,
    pub rest_days: String,
    pub insurance: String,
    /// Yuan a month.
    pub heat_allowance: String,
}

const SELECT: &str = "SELECT k.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, k.kind, k.title, k.employer,
        k.region_code, k.signed_on, k.expires_on, k.groups, k.head_count, k.min_piece_fen, k.max_hours, k.rest_days,
        k.insurance, k.heat_fen, k.scan_type, k.created_by, k.created_at
    FROM collective_contracts k JOIN org_units o ON o.id = k.org_id";

/// What a scan is, by its first bytes: a PDF or a photo (re-encoded as JPEG by the caller).
pub fn scan_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        Some("image/jpeg")
    } else {
        None
    }
}

fn opt_number<T: std::str::FromStr + PartialOrd>(
    text: &str,
    field: &'static str,
    range: std::ops::RangeInclusive<T>,
    errs: &mut FieldErrors,
) -> Option<T> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<T>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            errs.push(field, "contracts.bad_number");
            None
        }
    }
}

fn opt_fen(text: &str, field: &'static str, errs: &mut FieldErrors) -> Option<i64> {
    match text.trim() {
        "" => None,
        t => match super::money::parse_yuan(t) {
            Ok(f) => Some(f),
            Err(code) => {
                errs.push(field, code);
                None
            }
        },
    }
}

/// Records a contract (staff of the signing union or above), with its scan when given (`scan`:
/// the bytes to keep, a PDF or a JPEG already re-encoded). All problems at once.
pub async fn create(
    tx: &mut Tx,
    caller: &Caller,
    uploads: &Uploads,
    input: &ContractInput,
    scan: Option<&[u8]>,
) -> Result<Contract> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let kind = input.kind.trim();
    if !KINDS.contains(&kind) {
        errs.push("kind", "contracts.bad_kind");
    }
    let title: String = input.title.trim().chars().take(200).collect();
    if title.is_empty() {
        errs.push("title", "contracts.title_required");
    }
    let employer: String = input.employer.trim().chars().take(200).collect();
    if employer.is_empty() {
        errs.push("employer", "contracts.employer_required");
    }
    let region = super::typed_region(tx, &input.region_code, &mut errs).await?;
    let mut day = |typed: &str, field: &'static str| {
        let d = crate::sheets::parse_date(typed.trim());
        if d.is_none() {
            errs.push(field, "errors.bad_date");
        }
        d
    };
    let signed_on = day(&input.signed_on, "signed_on");
    let expires_on = day(&input.expires_on, "expires_on");
    if let (Some(s), Some(e)) = (signed_on, expires_on) {
        if e <= s {
            errs.push("expires_on", "contracts.expires_before_signed");
        }
    }
    let groups = super::worker_groups(&input.groups, &mut errs);
    let head_count = opt_number::<i64>(&input.head_count, "head_count", 1..=10_000_000, &mut errs);
    if head_count.is_none() && errs.get("head_count").is_none() {
        errs.push("head_count", "contracts.head_count_required");
    }
    let min_piece = opt_fen(&input.min_piece_rate, "min_piece_rate", &mut errs);
    let max_hours = opt_number::<i32>(&input.max_hours, "max_hours", 1..=24, &mut errs);
    let rest_days = opt_number::<i32>(&input.rest_days, "rest_days", 0..=31, &mut errs);
    let heat = opt_fen(&input.heat_allowance, "heat_allowance", &mut errs);
    let scan_kind = match scan {
        Some(b) => match scan_type(b) {
            Some(t) => Some(t),
            None => {
                errs.push("scan", "contracts.bad_scan");
                None
            }
        },
        None => None,
    };
    let (Some(org), Some(signed_on), Some(expires_on), Some(head_count), true) =
        (org, signed_on, expires_on, head_count, errs.is_empty())
    else {
        return Err(errs.into());
    };
    let id = new_id();
    if let (Some(bytes), Some(t)) = (scan, scan_kind) {
        let (files, owned) = (uploads.clone(), bytes.to_vec());
        let ext = if t == "application/pdf" { "pdf" } else { "jpg" };
        tokio::task::spawn_blocking(move || files.store("contracts", id, ext, &owned))
            .await
            .map_err(|e| Error::Internal(e.into()))??;
    }
    const SQL: &str = "INSERT INTO collective_contracts (id, org_id, kind, title, employer, region_code, signed_on, expires_on,
            groups, head_count, min_piece_fen, max_hours, rest_days, insurance, heat_fen, scan_type, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)";
    let insurance: String = input.insurance.trim().chars().take(500).collect();
    let groups = groups.join(",");
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(kind).bind(&title).bind(&employer).bind(&region)
        .bind(signed_on).bind(expires_on).bind(&groups).bind(head_count).bind(min_piece).bind(max_hours).bind(rest_days)
        .bind(&insurance).bind(heat).bind(scan_kind).bind(&caller.actor.name).bind(caller.at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(tx, "contracts.create", &id.to_string(), Some(&org.path),
            serde_json::json!({"title": title, "kind": kind, "signed_on": signed_on, "expires_on": expires_on,
                "groups": groups, "head_count": head_count, "scan": scan_kind}))
        .await?;
    get(tx, &caller.scope, id).await
}

/// A contract of the scope's unions.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Contract> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE k.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Contract>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

/// The signed scan of a contract, with its type.
pub async fn scan(uploads: &Uploads, c: &Contract) -> Result<(Vec<u8>, &'static str)> {
    let (t, ext) = match c.scan_type.as_deref() {
        Some("application/pdf") => ("application/pdf", "pdf"),
        Some(_) => ("image/jpeg", "jpg"),
        None => return Err(Error::NotFound),
    };
    let (files, id) = (uploads.clone(), c.id);
    let bytes = tokio::task::spawn_blocking(move || files.load("contracts", id, ext))
        .await
        .map_err(|e| Error::Internal(e.into()))??;
    Ok((bytes, t))
}

/// The list's filter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ContractFilter {
    /// `valid`, `expiring` (valid, expiring within 90 days) or `expired`.
    pub state: String,
    /// Words of the title or the other party.
    pub q: String,
}

/// The contracts of the scope's unions, by expiry (the soonest first).
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    f: &ContractFilter,
    today: NaiveDate,
    page: PageRequest,
) -> Result<Page<Contract>> {
    listing(scope, f, today)?.page(tx, page).await
}

/// Every contract of the list's filter, in its order, handed to `each` (the export). Returns
/// how many there were.
pub async fn for_each(
    tx: &mut Tx,
    scope: &Scope,
    f: &ContractFilter,
    today: NaiveDate,
    each: impl FnMut(Contract) -> Result<()>,
) -> Result<u64> {
    listing(scope, f, today)?.for_each(tx, each).await
}

/// The columns of the contracts' sheet (`/contracts/export.xlsx`).
pub const EXPORT_COLUMNS: [crate::sheets::Column; 16] = {
    use crate::sheets::Column;
    [
        Column::new("title", "合同名称", true),
        Column::new("kind", "类别", true),
        Column::new("org_code", "签约工会（代码）", true),
        Column::new("org_name", "签约工会", true),
        Column::new("employer", "签约方（企业方）", true),
        Column::new("region_code", "适用地区代码", false),
        Column::new("signed_on", "签订日期", true),
        Column::new("expires_on", "到期日期", true),
        Column::new("state", "状态", true),
        Column::new("groups", "覆盖群体", true),
        Column::new("head_count", "覆盖人数", true),
        Column::new("min_piece_yuan", "最低单价（元/单）", false),
        Column::new("max_hours", "每日最长工时", false),
        Column::new("rest_days", "每月休息天数", false),
        Column::new("insurance", "保险约定", false),
        Column::new("heat_yuan", "高温津贴（元/月）", false),
    ]
};

fn listing(scope: &Scope, f: &ContractFilter, today: NaiveDate) -> Result<Listing<'static>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    match f.state.trim() {
        "valid" => {
            filter
                .push(" AND k.signed_on <= ")
                .arg(today)
                .push(" AND k.expires_on >= ")
                .arg(today);
        }
        "expiring" => {
            filter
                .push(" AND k.signed_on <= ")
                .arg(today)
                .push(" AND k.expires_on >= ")
                .arg(today)
                .push(" AND k.expires_on <= ")
                .arg(today + chrono::Days::new(REMIND_DAYS));
        }
        "expired" => {
            filter.push(" AND k.expires_on < ").arg(today);
        }
        _ => {}
    }
    let words = f.q.trim();
    if !words.is_empty() {
        let like = format!("%{}%", words.replace(['%', '_'], ""));
        filter
            .push(" AND (k.title LIKE ")
            .arg(like.clone())
            .push(" OR k.employer LIKE ")
            .arg(like)
            .push(")");
    }
    Ok(Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM collective_contracts k JOIN org_units o ON o.id = k.org_id",
        filter,
        order: "k.expires_on",
        id: "k.id",
    })
}

/// How many contracts of the scope expire within [`REMIND_DAYS`] of `today` (the reminder).
pub async fn expiring_count(tx: &mut Tx, scope: &Scope, today: NaiveDate) -> Result<i64> {
    if scope.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new(
        "SELECT COUNT(*) FROM collective_contracts k JOIN org_units o ON o.id = k.org_id WHERE ",
    );
    q.scope("o.path", scope)
        .push(" AND k.signed_on <= ")
        .arg(today)
        .push(" AND k.expires_on >= ")
        .arg(today)
        .push(" AND k.expires_on <= ")
        .arg(today + chrono::Days::new(REMIND_DAYS));
    Ok(on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&q.sql), &q.args).fetch_one(c).await)?)
}

/// Contracts of a subtree (the services report's `contracts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContractFigures {
    /// Contracts of the subtree's unions valid on the period's last day.
    pub valid: i64,
    /// The workers those contracts cover, as they state.
    pub covered_workers: i64,
}

pub async fn figures(tx: &mut Tx, path: &str, day: NaiveDate) -> Result<ContractFigures> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(k.head_count), 0) AS BIGINT) FROM collective_contracts k
        JOIN org_units o ON o.id = k.org_id
        WHERE o.path >= $1 AND o.path < $2 AND k.signed_on <= $3 AND k.expires_on >= $3";
    let (valid, covered_workers): (i64, i64) = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(&lo).bind(&hi).bind(day).fetch_one(c).await)?;
    Ok(ContractFigures {
        valid,
        covered_workers,
    })
}

/// Members of one worker group of a subtree and how many a valid contract covers.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GroupCoverage {
    pub group: String,
    pub members: i64,
    pub covered: i64,
}

/// The coverage of the subtree at `path` on `day`: for each worker group, its active members,
/// and those whose union (or a union above it) holds a contract valid that day for the group.
pub async fn coverage(tx: &mut Tx, path: &str, day: NaiveDate) -> Result<Vec<GroupCoverage>> {
    let (lo, hi) = nuanxin_store::subtree_range(path);
    const SQL: &str = "SELECT m.worker_group AS \"group\", COUNT(*) AS members,
            CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM collective_contracts k JOIN org_units ko ON ko.id = k.org_id
                WHERE k.signed_on <= $3 AND k.expires_on >= $3 AND substr(o.path, 1, length(ko.path)) = ko.path
                  AND (',' || k.groups || ',') LIKE ('%,' || m.worker_group || ',%')) THEN 1 ELSE 0 END) AS BIGINT) AS covered
        FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE o.path >= $1 AND o.path < $2 AND m.status = 'active'
        GROUP BY m.worker_group ORDER BY m.worker_group";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, GroupCoverage>(SQL).bind(&lo).bind(&hi).bind(day).fetch_all(c).await)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_is_a_pdf_or_a_jpeg_by_its_first_bytes() {
        assert_eq!(scan_type(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(scan_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(scan_type(b"PK\x03\x04"), None);
    }
}
