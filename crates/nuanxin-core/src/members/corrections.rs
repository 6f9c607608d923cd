//! Correcting a member's record (会员实名制管理): a cadre of the member's union (staff or admin)
//! corrects the name, mobile number, worker group, employer, work and home regions. The name,
//! mobile number and home region are the person's (every membership of the person shows them);
//! the group, employer and work region are the membership's. Every correction is audited with
//! what changed, before and after, mobile numbers masked. The ID number is not corrected here.

use super::identity::{PersonName, Phone};
use super::{MemberRow, WorkerGroup};
use crate::accounts::Caller;
use crate::coverage::counts;
use crate::error::FieldErrors;
use crate::regions::{self, RegionCode};
use crate::{in_write, on_db, Error, Result, Role, Store, Tx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A correction as the form or the API body gives it; a field not given is blank. A blank mobile
/// number keeps the one on record (the form never shows it whole); a blank region is unknown.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CorrectionInput {
    pub name: String,
    pub phone: String,
    /// Worker group code or Chinese name.
    pub group: String,
    pub employer: Option<String>,
    /// Where the member works (township or village code).
    pub work_region: Option<String>,
    /// The member's household registration (region code).
    pub home_region: Option<String>,
}

/// The record as stored: the row the cadre sees, and the person, whole mobile number and unit
/// path the correction needs.
struct Stored {
    row: MemberRow,
    person: Uuid,
    phone: String,
    org_path: String,
}

/// A validated correction.
struct Correction {
    name: PersonName,
    phone: Option<Phone>,
    group: WorkerGroup,
    employer: Option<String>,
    work_region: Option<RegionCode>,
    home_region: Option<RegionCode>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Correction {
    /// Checks every field, all problems at once.
    fn parse(input: &CorrectionInput) -> std::result::Result<Correction, FieldErrors> {
        let mut errs = FieldErrors::new();
        let mut take = |e: Error| {
            if let Some(f) = e.field() {
                errs.push(f, e.code());
            }
        };
        let name = PersonName::parse(&input.name).map_err(&mut take).ok();
        let phone = match input.phone.trim() {
            "" => None,
            p => Phone::parse(p).map_err(&mut take).ok(),
        };
        let group = WorkerGroup::parse(&input.group);
        if group.is_none() {
            errs.push("group", "members.bad_group");
        }
        let mut region = |s: &Option<String>, field: &'static str| match blank(s) {
            None => None,
            Some(r) => RegionCode::parse(r)
                .map_err(|_| errs.push(field, "regions.bad_code"))
                .ok(),
        };
        let work_region = region(&input.work_region, "work_region");
        let home_region = region(&input.home_region, "home_region");
        let employer = blank(&input.employer).map(|e| e.chars().take(100).collect());
        match (name, group) {
            (Some(name), Some(group)) if errs.is_empty() => Ok(Correction {
                name,
                phone,
                group,
                employer,
                work_region,
                home_region,
            }),
            _ => Err(errs),
        }
    }
}

async fn stored(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Stored> {
    let row = super::get(tx, &caller.scope, id).await?;
    const SQL: &str = "SELECT p.id, p.phone, o.path FROM memberships m
        JOIN people p ON p.id = m.person_id JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    let (person, phone, org_path): (Uuid, String, String) =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id).fetch_one(c).await)?;
    Ok(Stored {
        row,
        person,
        phone,
        org_path,
    })
}

/// Corrects a member's record: staff of the member's union (or above) only; the regions named
/// must exist; a request kept for review is corrected by deciding it, not here. Active members
/// move between the coverage counters of their group and work township. Returns the record as
/// corrected; a correction that changes nothing writes nothing.
pub async fn correct(
    store: &Store,
    caller: &Caller,
    id: Uuid,
    input: &CorrectionInput,
) -> Result<MemberRow> {
    let c = Correction::parse(input)?;
    in_write(store, async |tx| {
        let before = stored(tx, caller, id).await?;
        if caller.scope.role_at(&before.org_path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        if before.row.status == super::join::REVIEW {
            return Err(Error::conflict("status", "members.correct_review"));
        }
        let mut errs = FieldErrors::new();
        for (field, code) in [("work_region", &c.work_region), ("home_region", &c.home_region)] {
            if let Some(code) = code {
                if regions::get(tx, code).await?.is_none() {
                    errs.push(field, "regions.unknown");
                }
            }
        }
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let old = &before.row;
        let phone = c.phone.as_ref().map_or(before.phone.as_str(), |p| p.as_str());
        let work = c.work_region.as_ref().map(|r| r.as_str().to_string());
        let home = c.home_region.as_ref().map(|r| r.as_str().to_string());
        let mut changed = serde_json::Map::new();
        let mut note = |field: &str, was: Option<&str>, now: Option<&str>| {
            if was != now {
                changed.insert(field.into(), serde_json::json!({"before": was, "after": now}));
            }
        };
        note("name", Some(&old.name), Some(c.name.as_str()));
        let masked_now = c.phone.as_ref().map(|p| p.mask());
        if c.phone.is_some() && phone != before.phone {
            note("phone", Some(&old.phone), masked_now.as_deref());
        }
        note("group", Some(&old.group), Some(c.group.as_str()));
        note("employer", old.employer.as_deref(), c.employer.as_deref());
        note("work_region", old.work_region.as_deref(), work.as_deref());
        note("home_region", old.home_region.as_deref(), home.as_deref());
        if changed.is_empty() {
            return Ok(before.row);
        }
        const PERSON: &str =
            "UPDATE people SET name = $2, phone = $3, home_region = $4, updated_at = $5 WHERE id = $1";
        on_db!(tx.conn(), c2 => sqlx::query(PERSON).bind(before.person).bind(c.name.as_str()).bind(phone)
            .bind(home.as_deref()).bind(caller.at).execute(c2).await.map(|r| r.rows_affected()))?;
        const MEMBERSHIP: &str = "UPDATE memberships SET worker_group = $2, employer = $3, work_region = $4, updated_at = $5 WHERE id = $1";
        on_db!(tx.conn(), c2 => sqlx::query(MEMBERSHIP).bind(id).bind(c.group.as_str()).bind(c.employer.as_deref())
            .bind(work.as_deref()).bind(caller.at).execute(c2).await.map(|r| r.rows_affected()))?;
        if old.status == "active" {
            let mut deltas =
                counts::membership_deltas(&old.group, &old.channel, old.work_region.as_deref(), -1);
            deltas.extend(counts::membership_deltas(c.group.as_str(), &old.channel, work.as_deref(), 1));
            counts::add_rows(tx, counts::rows(&before.org_path, &deltas)).await?;
        }
        let detail = serde_json::Value::Object(changed);
        caller
            .audit(tx, "members.correct", &id.to_string(), Some(&before.org_path), detail)
            .await?;
        super::get(tx, &caller.scope, id).await
    })
    .await
}

/// An admin's change of a member's ID number, with the reason (a typing error at joining, a
/// number reissued): the body of `POST /members/{id}/id-number`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IdChange {
    pub id_number: String,
    pub reason: String,
}

/// Changes the ID number of the person a membership belongs to: admins of the member's union only
/// (those who may see ID numbers whole), with a reason. A number another person already has is
/// refused (`members.id_taken`): two records of one person are merged by a transfer, not here.
/// The number is sealed and hashed like at joining; the audit entry holds both numbers masked and
/// the reason.
pub async fn change_id_number(
    store: &Store,
    vault: &super::id_vault::IdVault,
    caller: &Caller,
    id: Uuid,
    change: &IdChange,
) -> Result<MemberRow> {
    let mut errs = FieldErrors::new();
    let number = super::identity::ResidentId::parse(&change.id_number, caller.today)
        .map_err(|e| errs.push("id_number", e.code()))
        .ok();
    let reason: String = change.reason.trim().chars().take(200).collect();
    if reason.is_empty() {
        errs.push("reason", "members.id_reason_required");
    }
    let Some(number) = number.filter(|_| errs.is_empty()) else {
        return Err(errs.into());
    };
    in_write(store, async |tx| {
        let before = stored(tx, caller, id).await?;
        if !caller.may_reveal_ids(&before.org_path) {
            return Err(Error::Forbidden);
        }
        let hash = vault.lookup_hash(&number);
        const OWNER: &str = "SELECT id FROM people WHERE id_hash = $1";
        let owner: Option<Uuid> =
            on_db!(tx.conn(), c => sqlx::query_scalar(OWNER).bind(&hash).fetch_optional(c).await)?;
        match owner {
            Some(p) if p == before.person => return Ok(before.row),
            Some(_) => return Err(Error::conflict("id_number", "members.id_taken")),
            None => {}
        }
        const SQL: &str =
            "UPDATE people SET id_hash = $2, id_sealed = $3, id_mask = $4, updated_at = $5 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(before.person).bind(&hash).bind(vault.seal(&number))
            .bind(number.mask()).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
        let detail = serde_json::json!({
            "id_number": {"before": before.row.id_number, "after": number.mask()},
            "reason": crate::audit::mask_digit_runs(&reason),
        });
        let subject = id.to_string();
        caller
            .audit(tx, "members.change_id", &subject, Some(&before.org_path), detail)
            .await?;
        super::get(tx, &caller.scope, id).await
    })
    .await
}
