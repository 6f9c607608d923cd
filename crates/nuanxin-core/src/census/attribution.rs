//! Which unit an enterprise counts under (its owner), and the counters it contributes there.
//!
//! The owner is the enterprise's union when it has one (its own union, or the joint union that
//! covers it); otherwise the deepest active federation whose region contains the enterprise's
//! region: the street or township federation where there is one, else the county's, and so on.
//! When a federation is created or dissolved, the enterprises of its region without a union are
//! attributed again (`reattribute`), in the same transaction.

use crate::coverage::counts::{self, metric, Delta};
use crate::{on_db, Result, Tx};
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

/// The facts of one enterprise that the counters depend on.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Facts {
    pub owner_path: Option<String>,
    pub operating: bool,
    pub union_status: String,
    pub staff: i64,
    pub new_form_workers: i64,
    pub unionised_on: Option<NaiveDate>,
}

impl Facts {
    /// The counters this enterprise adds to (`sign` 1) or takes from (`sign` -1).
    pub fn deltas(&self, sign: i64) -> Vec<Delta> {
        let mut d = vec![Delta::new(metric::ENT, "surveyed", sign)];
        if self.operating {
            d.push(Delta::new(metric::ENT, "operating", sign));
            d.push(Delta::new(
                metric::ENT,
                "workers",
                sign * self.new_form_workers,
            ));
            if self.union_status == "unionised" {
                d.push(Delta::new(metric::ENT, "unionised", sign));
            } else {
                let bucket = super::SizeBucket::of(self.staff).as_str();
                d.push(Delta::new(metric::ENT, format!("none_{bucket}"), sign));
            }
        }
        if let (Some(day), "unionised") = (self.unionised_on, self.union_status.as_str()) {
            d.push(Delta::new(
                metric::ENT_UNIONISED,
                day.format("%Y-%m-%d").to_string(),
                sign,
            ));
        }
        d
    }
}

pub(crate) const FACTS: &str = "SELECT o.path AS owner_path, e.operating, e.union_status, e.staff, e.new_form_workers, e.unionised_on
    FROM enterprises e LEFT JOIN org_units o ON o.id = e.owner_org_id WHERE e.id = $1";

/// Reads the counter facts of an enterprise.
pub(crate) async fn facts(tx: &mut Tx, id: Uuid) -> Result<Option<Facts>> {
    Ok(on_db!(tx.conn(), c => sqlx::query_as::<_, Facts>(FACTS).bind(id).fetch_optional(c).await)?)
}

/// Moves an enterprise's contribution from its old facts to its new ones.
pub(crate) async fn shift(tx: &mut Tx, old: Option<&Facts>, new: Option<&Facts>) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let mut rows = Vec::new();
    for (facts, sign) in [(old, -1), (new, 1)] {
        let Some(f) = facts else { continue };
        let Some(path) = &f.owner_path else { continue };
        for p in counts::prefixes(path) {
            for d in f.deltas(sign) {
                rows.push((p.to_string(), d.metric, d.key, d.n));
            }
        }
    }
    counts::add_rows(tx, rows).await
}

/// The owner of an enterprise with union `union_org` (if any) in `region`: (id, path).
pub async fn owner_for(
    tx: &mut Tx,
    union_org: Option<Uuid>,
    region: &str,
) -> Result<Option<(Uuid, String)>> {
    if let Some(u) = union_org {
        const SQL: &str = "SELECT id, path FROM org_units WHERE id = $1";
        return Ok(on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(u).fetch_optional(c).await)?);
    }
    // Region prefixes from the longest: village, township, county, city, province.
    let mut best: Option<(Uuid, String, usize)> = None;
    for len in [12, 9, 6, 4, 2] {
        if region.len() < len {
            continue;
        }
        const SQL: &str = "SELECT id, path FROM org_units WHERE kind = 'federation' AND status = 'active' AND region_code = $1
            ORDER BY path LIMIT 1";
        let row: Option<(Uuid, String)> = on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(&region[..len]).fetch_optional(c).await)?;
        if let Some((id, path)) = row {
            best = Some((id, path, len));
            break;
        }
    }
    Ok(best.map(|(id, path, _)| (id, path)))
}

/// Attributes again the enterprises without a union in `region` (and below) after a federation
/// there was created or dissolved, moving their counters to the new owners.
pub async fn reattribute(tx: &mut Tx, region: &str) -> Result<()> {
    let hi = format!("{region}~"); // '~' sorts after every digit
    const GROUPS: &str = "SELECT DISTINCT region_code, owner_org_id FROM enterprises
        WHERE union_org_id IS NULL AND region_code >= $1 AND region_code < $2";
    let groups: Vec<(String, Option<Uuid>)> =
        on_db!(tx.conn(), c => sqlx::query_as(GROUPS).bind(region).bind(&hi).fetch_all(c).await)?;
    let mut owners: HashMap<String, Option<(Uuid, String)>> = HashMap::new();
    for (code, old_owner) in groups {
        if !owners.contains_key(&code) {
            let o = owner_for(tx, None, &code).await?;
            owners.insert(code.clone(), o);
        }
        let new_owner = owners[&code].clone();
        if new_owner.as_ref().map(|o| o.0) == old_owner {
            continue;
        }
        const MEMBERS: &str =
            "SELECT e.id FROM enterprises e WHERE e.union_org_id IS NULL AND e.region_code = $1
            AND (e.owner_org_id = $2 OR ($2 IS NULL AND e.owner_org_id IS NULL))";
        let ids: Vec<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(MEMBERS).bind(&code).bind(old_owner).fetch_all(c).await)?;
        for id in ids {
            let old = facts(tx, id).await?;
            const SET: &str = "UPDATE enterprises SET owner_org_id = $2 WHERE id = $1";
            on_db!(tx.conn(), c => sqlx::query(SET).bind(id).bind(new_owner.as_ref().map(|o| o.0))
                .execute(c).await.map(|r| r.rows_affected()))?;
            let mut new = old.clone();
            if let Some(n) = new.as_mut() {
                n.owner_path = new_owner.as_ref().map(|o| o.1.clone());
            }
            shift(tx, old.as_ref(), new.as_ref()).await?;
        }
    }
    Ok(())
}
