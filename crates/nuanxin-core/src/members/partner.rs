//! Partner pushes (两个同步): a transport-bureau window or a platform company sends worker
//! records with its API token. A record with consent evidence (who recorded the consent, when,
//! how) becomes a member of the right union at once; without consent it is only a prospect, never
//! a member. Routing: the employer's own union when the census knows the employer (by USCC, else
//! by its exact name) as unionised; else the flexible-employment joint union of the work
//! township, else a joint union of the county (its holding pool first); always within the
//! partner's scope.

use super::id_vault::IdVault;
use super::join::{join, Consent, JoinContext, JoinDraft, JoinInput, JoinReceipt};
use super::{Channel, JoinTarget};
use crate::accounts::Caller;
use crate::error::{FieldError, FieldErrors};
use crate::regions::RegionCode;
use crate::{audit, on_db, Error, Result, Role, Scope, Store, Tx};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One worker record from a partner.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PushRecord {
    /// The partner's own id of the record: pushing it again answers the same.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(flatten)]
    pub person: JoinInput,
    /// The employer's or platform's USCC, when the partner knows it: a unionised employer's own
    /// union takes the member.
    #[serde(default)]
    pub employer_uscc: Option<String>,
    /// Evidence of the worker's consent; without it the record is kept as a prospect only.
    pub consent: Option<ConsentEvidence>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ConsentEvidence {
    /// When the worker consented (Unix milliseconds).
    pub at: i64,
    /// Who recorded it, e.g. "聊城市交通运输局东昌府区窗口 王五".
    pub by: String,
    /// How, e.g. "paper_form", "window_tablet_signature".
    pub method: String,
}

/// What became of one record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PushResult {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `member`, `transfer_pending`, `pending`, `prospect` or `rejected`.
    pub outcome: String,
    pub org_code: Option<String>,
    pub member_no: Option<String>,
    /// For rejected records: `{field, code}` of each problem.
    pub errors: Vec<FieldError>,
}

fn rejected(reference: &str, errors: FieldErrors) -> PushResult {
    PushResult {
        reference: reference.to_string(),
        outcome: "rejected".into(),
        org_code: None,
        member_no: None,
        errors: errors.into_iter().collect(),
    }
}

/// The union of a unionised census employer, found by USCC or else by its exact name, when the
/// caller is staff there.
pub(super) async fn employer_union(
    tx: &mut Tx,
    scope: &Scope,
    uscc: Option<&str>,
    name: Option<&str>,
) -> Result<Option<JoinTarget>> {
    const SELECT: &str = "SELECT o.id, o.code, o.name, o.path, o.region_code FROM enterprises e
        JOIN org_units o ON o.id = e.union_org_id
        WHERE e.union_status = 'unionised' AND e.operating = TRUE AND o.status = 'active' AND ";
    let uscc = uscc.and_then(|u| crate::census::Uscc::parse(u).ok());
    let rows: Vec<UnionRow> = match (uscc, name) {
        (Some(u), _) => {
            let sql = format!("{SELECT} e.uscc = $1");
            on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(u.as_str()).fetch_all(c).await)?
        }
        (None, Some(n)) if !n.trim().is_empty() => {
            let sql = format!("{SELECT} e.name = $1 ORDER BY e.uscc");
            on_db!(tx.conn(), c => sqlx::query_as(&sql).bind(n.trim()).fetch_all(c).await)?
        }
        _ => Vec::new(),
    };
    Ok(first_where_staff(rows, scope))
}

/// A union found for a partner's record: (id, code, name, path, region).
type UnionRow = (Uuid, String, String, String, String);

/// The first of the unions found where the caller is staff, as the target of a partner's push.
fn first_where_staff(rows: Vec<UnionRow>, scope: &Scope) -> Option<JoinTarget> {
    let (org_id, org_code, org_name, org_path, org_region) = rows
        .into_iter()
        .find(|r| scope.role_at(&r.3).is_some_and(|role| role >= Role::Staff))?;
    Some(JoinTarget {
        code_id: Uuid::nil(),
        code: String::new(),
        channel: "partner".into(),
        auto_approve: true,
        org_id,
        org_code,
        org_name,
        org_path,
        org_region,
        routes: false,
    })
}

/// The union a worker belongs to, inside the caller's scope where they are staff or admin: the
/// employer's own union when the census knows it as unionised, else by `work_region`.
pub async fn route(
    tx: &mut Tx,
    scope: &Scope,
    work_region: &RegionCode,
    employer_uscc: Option<&str>,
    employer: Option<&str>,
) -> Result<Option<JoinTarget>> {
    if let Some(t) = employer_union(tx, scope, employer_uscc, employer).await? {
        return Ok(Some(t));
    }
    let mut places: Vec<String> = Vec::new();
    if work_region.as_str().len() >= 9 {
        places.push(work_region.as_str()[..9].to_string());
    }
    if work_region.as_str().len() >= 6 {
        places.push(work_region.as_str()[..6].to_string());
    }
    for region in places {
        let mut q = Sql::new(
            "SELECT o.id AS org_id, o.code AS org_code, o.name AS org_name, o.path AS org_path, o.region_code FROM org_units o
             WHERE o.kind = 'joint_union' AND o.status = 'active' AND o.region_code = ",
        );
        q.arg(region).push(" AND ").scope("o.path", scope);
        // Flexible-employment joint unions first, then the holding pool, then any other.
        q.push(
            " ORDER BY CASE o.joint_kind WHEN 'flexible' THEN 0 WHEN 'holding_pool' THEN 1 ELSE 2 END, o.code",
        );
        let rows: Vec<UnionRow> =
            on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_all(c).await)?;
        if let Some(target) = first_where_staff(rows, scope) {
            return Ok(Some(target));
        }
    }
    Ok(None)
}

/// Takes a batch of records; each gets its own result and its own transaction, so one bad record
/// never holds back the others. Idempotent per record reference.
pub async fn push(
    store: &Store,
    vault: &IdVault,
    caller: &Caller,
    channel: Channel,
    records: &[PushRecord],
) -> Result<Vec<PushResult>> {
    // A partner account routes within the subtrees it pushes into; a cadre within their scope.
    let scope = caller.scope.for_pushing();
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let reference = r.reference.trim();
        if reference.is_empty() || reference.len() > 64 {
            out.push(rejected(
                &r.reference,
                FieldErrors::one("ref", "members.bad_ref"),
            ));
            continue;
        }
        let mut input = r.person.clone();
        input.consent = true; // consent is judged from the evidence below
        input.request_key = Some(format!(
            "partner:{}:{reference}",
            caller.actor.account_id.unwrap_or_default()
        ));
        let draft = match JoinDraft::parse(&input, caller.today) {
            Ok(d) => d,
            Err(errs) => {
                out.push(rejected(reference, errs));
                continue;
            }
        };
        // A USCC given is checked like every other the product accepts (GB 32100).
        let employer_uscc = r
            .employer_uscc
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if let Some(Err(e)) = employer_uscc.map(crate::census::Uscc::parse) {
            out.push(rejected(
                reference,
                FieldErrors::one("employer_uscc", e.code()),
            ));
            continue;
        }
        let Some(region) = &draft.work_region else {
            out.push(rejected(
                reference,
                FieldErrors::one("work_region", "members.work_region_required"),
            ));
            continue;
        };
        let mut tx = store.read().await?;
        let target = route(
            &mut tx,
            &scope,
            region,
            r.employer_uscc.as_deref(),
            draft.employer.as_deref(),
        )
        .await?;
        drop(tx);
        let Some(target) = target else {
            out.push(rejected(
                reference,
                FieldErrors::one("work_region", "members.no_union_for_region"),
            ));
            continue;
        };
        match &r.consent {
            Some(ev)
                if !ev.by.trim().is_empty()
                    && !ev.method.trim().is_empty()
                    && ev.at > 0
                    && ev.at <= caller.at =>
            {
                let ctx = JoinContext {
                    channel,
                    consent: Consent {
                        at: ev.at,
                        by: ev.by.trim().to_string(),
                        method: ev.method.trim().to_string(),
                    },
                    now: caller.at,
                    today: caller.today,
                    sms_code: None,
                    within: Some(scope.clone()),
                };
                let receipt: JoinReceipt = join(store, vault, &target, &draft, &ctx).await?;
                let outcome =
                    super::webhooks::outcome_of(&receipt.status, receipt.transfer_from.is_some());
                // What this answer tells the partner: later changes are told by webhook.
                if let Some(key) = &input.request_key {
                    let mut tx = store.write().await?;
                    super::webhooks::told(
                        &mut tx,
                        key,
                        outcome,
                        Some(&receipt.org_code),
                        receipt.member_no.as_deref(),
                        caller.at,
                    )
                    .await?;
                    tx.commit().await?;
                }
                out.push(PushResult {
                    reference: reference.to_string(),
                    outcome: outcome.to_string(),
                    org_code: Some(receipt.org_code),
                    member_no: receipt.member_no,
                    errors: Vec::new(),
                });
            }
            Some(_) => out.push(rejected(
                reference,
                FieldErrors::one("consent", "members.bad_consent_evidence"),
            )),
            None => {
                let mut tx = store.write().await?;
                add_prospect(
                    &mut tx,
                    vault,
                    &target,
                    &draft,
                    &caller.actor.name,
                    caller.at,
                )
                .await?;
                tx.commit().await?;
                out.push(PushResult {
                    reference: reference.to_string(),
                    outcome: "prospect".into(),
                    org_code: Some(target.org_code.clone()),
                    member_no: None,
                    errors: Vec::new(),
                });
            }
        }
    }
    let mut tx = store.write().await?;
    let taken = out.iter().filter(|r| r.outcome != "rejected").count();
    audit::record(
        &mut tx,
        &caller.actor,
        caller.at,
        "members.push",
        &format!("{} records", records.len()),
        scope.roots().first().map(|r| r.path.as_str()),
        serde_json::json!({"taken": taken, "rejected": records.len() - taken}),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Keeps a known worker who has not consented: one row per person and union.
async fn add_prospect(
    tx: &mut Tx,
    vault: &IdVault,
    target: &JoinTarget,
    d: &JoinDraft,
    source: &str,
    now: i64,
) -> Result<()> {
    const KNOWN: &str = "SELECT COUNT(*) FROM prospects WHERE id_hash = $1 AND org_id = $2";
    let hash = vault.lookup_hash(&d.id);
    let known: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(KNOWN).bind(&hash).bind(target.org_id).fetch_one(c).await)?;
    const SQL: &str = "INSERT INTO prospects (id, org_id, id_hash, id_sealed, name, phone, worker_group, employer, work_region, source, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (id_hash, org_id) DO UPDATE SET name = excluded.name, phone = excluded.phone,
            worker_group = excluded.worker_group, employer = excluded.employer, source = excluded.source";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(target.org_id).bind(&hash).bind(vault.seal(&d.id))
        .bind(d.name.as_str()).bind(d.phone.as_str()).bind(d.group.as_str()).bind(&d.employer)
        .bind(d.work_region.as_ref().map(|r| r.as_str())).bind(source).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if known == 0 {
        crate::coverage::counts::bump(
            tx,
            &target.org_path,
            &crate::coverage::counts::prospect_deltas(false, 1),
        )
        .await?;
    }
    Ok(())
}

/// Fails unless the caller may push at all (staff somewhere).
pub fn can_push(scope: &Scope) -> Result<()> {
    if scope
        .for_pushing()
        .roots()
        .iter()
        .any(|r| r.role >= Role::Staff)
    {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// What became of one of the caller's own pushes, by its reference: the membership as it is now
/// (`member`, `pending`, `transfer_pending`, `rejected`, `transferred`, `left`, `retained`,
/// `lapsed`). A push of another account, or a record kept as a prospect, is not found.
pub async fn outcome(store: &Store, caller: &Caller, reference: &str) -> Result<PushResult> {
    let key = format!(
        "partner:{}:{}",
        caller.actor.account_id.unwrap_or_default(),
        reference.trim()
    );
    crate::in_read(store, async |tx| {
        const SQL: &str = "SELECT m.status, o.code, m.member_no, m.transfer_from_id IS NOT NULL FROM memberships m
            JOIN org_units o ON o.id = m.org_id WHERE m.request_key = $1";
        let row: Option<(String, String, Option<String>, bool)> =
            on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(&key).fetch_optional(c).await)?;
        let (status, org, member_no, transfer) = row.ok_or(Error::NotFound)?;
        let outcome = super::webhooks::outcome_of(&status, transfer);
        Ok(PushResult {
            reference: reference.trim().to_string(),
            outcome: outcome.to_string(),
            org_code: Some(org),
            member_no,
            errors: Vec::new(),
        })
    })
    .await
}
