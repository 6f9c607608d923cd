//! The join (入会): one transaction that finds or registers the person by the keyed hash of
//! the ID number, keeps one active membership per person (a join at another union becomes a
//! transfer request), answers a retried submission with its first answer, and records the
//! membership events that period statistics count. Approvals live here too.

use super::codes::JoinTarget;
use super::id_vault::IdVault;
use super::identity::{PersonName, Phone, ResidentId};
use super::{Channel, WorkerGroup};
use crate::accounts::Caller;
use crate::orgs::FieldError;
use crate::regions::RegionCode;
use crate::{audit, on_db, Error, Result, Role, Store, Timestamp, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A join as typed on the join page or sent by a partner.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct JoinInput {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    /// Worker group code or Chinese name (SPEC section 2).
    pub group: String,
    #[serde(default)]
    pub employer: Option<String>,
    #[serde(default)]
    pub work_region: Option<String>,
    #[serde(default)]
    pub home_region: Option<String>,
    /// The worker agreed to the privacy notice.
    #[serde(default)]
    pub consent: bool,
    /// A key the client makes once per submission: a retry with the same key gets the same answer.
    #[serde(default)]
    pub request_key: Option<String>,
}

/// A validated join.
#[derive(Debug, Clone)]
pub struct JoinDraft {
    pub name: PersonName,
    pub id: ResidentId,
    pub phone: Phone,
    pub group: WorkerGroup,
    pub employer: Option<String>,
    pub work_region: Option<RegionCode>,
    pub home_region: Option<RegionCode>,
    pub request_key: Option<String>,
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl JoinDraft {
    /// Validates every field and reports all problems at once.
    pub fn parse(
        input: &JoinInput,
        today: NaiveDate,
    ) -> std::result::Result<JoinDraft, Vec<FieldError>> {
        let mut errs: Vec<FieldError> = Vec::new();
        let mut take = |e: Error| {
            if let Some(f) = e.field() {
                errs.push((f, e.code()));
            }
        };
        let name = PersonName::parse(&input.name).map_err(&mut take).ok();
        let id = ResidentId::parse(&input.id_number, today)
            .map_err(&mut take)
            .ok();
        let phone = Phone::parse(&input.phone).map_err(&mut take).ok();
        let group = WorkerGroup::parse(&input.group);
        if group.is_none() {
            errs.push(("group", "members.bad_group"));
        }
        let employer = opt(&input.employer).map(|e| e.chars().take(100).collect::<String>());
        let region =
            |s: &Option<String>, field: &'static str, errs: &mut Vec<FieldError>| match opt(s) {
                None => None,
                Some(r) => match RegionCode::parse(r) {
                    Ok(c) => Some(c),
                    Err(_) => {
                        errs.push((field, "regions.bad_code"));
                        None
                    }
                },
            };
        let work_region = region(&input.work_region, "work_region", &mut errs);
        let home_region = region(&input.home_region, "home_region", &mut errs);
        if !input.consent {
            errs.push(("consent", "members.consent_required"));
        }
        let request_key = opt(&input.request_key).map(|k| k.chars().take(64).collect::<String>());
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(JoinDraft {
            name: name.expect("checked"),
            id: id.expect("checked"),
            phone: phone.expect("checked"),
            group: group.expect("checked"),
            employer,
            work_region,
            home_region,
            request_key,
        })
    }
}

/// Who recorded the worker's consent, when and how (两个同步 needs the evidence).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    pub at: Timestamp,
    pub by: String,
    pub method: String,
}

/// What the worker (or partner) is told after a join.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow, utoipa::ToSchema)]
pub struct JoinReceipt {
    pub membership_id: Uuid,
    pub person_id: Uuid,
    /// `pending`, `active`, `rejected`, `transferred`, `withdrawn`.
    pub status: String,
    pub member_no: Option<String>,
    pub org_code: String,
    pub org_name: String,
    /// For a transfer request: the union the member comes from.
    pub transfer_from: Option<String>,
}

/// The answer already given to a submission with this request key, if any: a client that lost
/// the answer (network, crash) asks again and gets it without a second SMS code.
pub async fn receipt_for_key(tx: &mut Tx, key: &str) -> Result<Option<JoinReceipt>> {
    const BY_KEY: &str = "SELECT id FROM memberships WHERE request_key = $1";
    let found: Option<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(BY_KEY).bind(key.trim()).fetch_optional(c).await)?;
    match found {
        Some(id) => Ok(Some(receipt(tx, id).await?)),
        None => Ok(None),
    }
}

async fn receipt(tx: &mut Tx, membership: Uuid) -> Result<JoinReceipt> {
    const SQL: &str = "SELECT m.id AS membership_id, m.person_id, m.status, m.member_no, o.code AS org_code, o.name AS org_name,
            f.name AS transfer_from
        FROM memberships m JOIN org_units o ON o.id = m.org_id
        LEFT JOIN memberships fm ON fm.id = m.transfer_from_id LEFT JOIN org_units f ON f.id = fm.org_id
        WHERE m.id = $1";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, JoinReceipt>(SQL).bind(membership).fetch_one(c).await)?,
    )
}

/// Joins the union of `target`. Safe to retry: the same request key, or a second submission of
/// the same person to the same union, returns the first answer; concurrent duplicates end in
/// one membership (the loser of a unique-index race retries and finds the winner's row).
/// How a join came in: the channel, the consent evidence, and when.
#[derive(Debug, Clone)]
pub struct JoinContext {
    pub channel: Channel,
    pub consent: Consent,
    pub now: Timestamp,
    pub today: NaiveDate,
    /// The SMS code the worker typed: checked against the draft's phone and used up in the
    /// join's own transaction (so a join that fails leaves the code usable). `None` where no
    /// code is asked for (partner pushes, imports, the demo).
    pub sms_code: Option<String>,
}

impl JoinContext {
    /// A worker joining on their own through a join code, `via` the join page or the API: the
    /// channel is the code's, the worker consents themself, and the SMS code they typed is used
    /// up by the join.
    pub fn by_worker(
        target: &JoinTarget,
        via: &str,
        now: Timestamp,
        today: NaiveDate,
        sms_code: &str,
    ) -> JoinContext {
        JoinContext {
            channel: Channel::parse(&target.channel).unwrap_or(Channel::Qr),
            consent: Consent {
                at: now,
                by: "self".into(),
                method: format!("{via}:{}", target.code),
            },
            now,
            today,
            sms_code: Some(sms_code.to_string()),
        }
    }
}

pub async fn join(
    store: &Store,
    vault: &IdVault,
    target: &JoinTarget,
    draft: &JoinDraft,
    ctx: &JoinContext,
) -> Result<JoinReceipt> {
    let mut last = None;
    for _ in 0..3 {
        let mut tx = store.write().await?;
        match join_in(&mut tx, vault, target, draft, ctx).await {
            Ok(r) => {
                tx.commit().await?;
                return Ok(r);
            }
            Err(Error::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                tx.rollback().await.ok();
                last = Some(Error::Db(sqlx::Error::Database(e)));
            }
            Err(e) => {
                tx.rollback().await?;
                if super::sms::is_wrong_code(&e) {
                    let mut tx = store.write().await?;
                    super::sms::count_miss(&mut tx, &draft.phone, ctx.now).await?;
                    tx.commit().await?;
                }
                return Err(e);
            }
        }
    }
    Err(last.expect("a retry happened"))
}

async fn join_in(
    tx: &mut Tx,
    vault: &IdVault,
    target: &JoinTarget,
    draft: &JoinDraft,
    ctx: &JoinContext,
) -> Result<JoinReceipt> {
    let (channel, consent, now, today) = (ctx.channel, &ctx.consent, ctx.now, ctx.today);
    if let Some(key) = &draft.request_key {
        if let Some(first) = receipt_for_key(tx, key).await? {
            return Ok(first);
        }
    }
    if let Some(code) = &ctx.sms_code {
        super::sms::use_code(tx, &draft.phone, code, now).await?;
    }
    for (field, region) in [
        ("work_region", &draft.work_region),
        ("home_region", &draft.home_region),
    ] {
        if let Some(region) = region {
            crate::regions::require(tx, region, field).await?;
        }
    }
    let person = register_person(tx, vault, draft, now).await?;
    const CURRENT: &str = "SELECT id, org_id, status FROM memberships WHERE person_id = $1 AND status IN ('active', 'pending')";
    let current: Vec<(Uuid, Uuid, String)> =
        on_db!(tx.conn(), c => sqlx::query_as(CURRENT).bind(person).fetch_all(c).await)?;
    let active = current.iter().find(|m| m.2 == "active");
    let pending = current.iter().find(|m| m.2 == "pending");
    if let Some((id, org, _)) = active {
        if *org == target.org_id {
            return receipt(tx, *id).await;
        }
    }
    if let Some((id, org, _)) = pending {
        if *org == target.org_id {
            return receipt(tx, *id).await;
        }
        // A request at another union is replaced by this one.
        const WITHDRAW: &str =
            "UPDATE memberships SET status = 'withdrawn', updated_at = $2 WHERE id = $1";
        on_db!(tx.conn(), c => sqlx::query(WITHDRAW).bind(*id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    }
    let id = new_id();
    // A join the union approves automatically is written active at once: one insert, both events.
    let member_no = match (target.auto_approve, active) {
        // Not looked up first: the unique index refuses a number already given (about one
        // draw in 10^8 per member of the county that year), and the join is retried whole.
        (true, None) => Some(member_no_candidate(&target.org_region, today)),
        _ => None,
    };
    const INSERT: &str = "INSERT INTO memberships (id, person_id, org_id, status, member_no, joined_on, decided_at, worker_group,
            employer, work_region, channel, join_code_id, transfer_from_id, request_key, consent_at, consent_by, consent_method,
            requested_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)";
    let status = if member_no.is_some() {
        "active"
    } else {
        "pending"
    };
    on_db!(tx.conn(), c => sqlx::query(INSERT).bind(id).bind(person).bind(target.org_id).bind(status).bind(&member_no)
        .bind(member_no.as_ref().map(|_| today)).bind(member_no.as_ref().map(|_| now)).bind(draft.group.as_str())
        .bind(&draft.employer).bind(draft.work_region.as_ref().map(|r| r.as_str())).bind(channel.as_str())
        .bind(Some(target.code_id).filter(|c| !c.is_nil())).bind(active.map(|a| a.0)).bind(&draft.request_key)
        .bind(consent.at).bind(&consent.by).bind(&consent.method).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    const EVENTS: &str =
        "INSERT INTO membership_events (id, membership_id, org_id, event, at, on_date, actor)
        VALUES ($1, $2, $3, 'requested', $4, $5, $6), ($7, $2, $3, 'joined', $4, $5, $6)";
    if member_no.is_some() {
        on_db!(tx.conn(), c => sqlx::query(EVENTS).bind(new_id()).bind(id).bind(target.org_id).bind(now).bind(today)
            .bind(&consent.by).bind(new_id()).execute(c).await.map(|r| r.rows_affected()))?;
        let region = draft.work_region.as_ref().map(|r| r.as_str());
        let mut deltas = crate::coverage::counts::membership_deltas(
            draft.group.as_str(),
            channel.as_str(),
            region,
            1,
        );
        deltas.push(crate::coverage::counts::Delta::new(
            crate::coverage::counts::metric::JOINED,
            today.format("%Y-%m-%d").to_string(),
            1,
        ));
        crate::coverage::counts::bump(tx, &target.org_path, &deltas).await?;
    } else {
        add_event(tx, id, target.org_id, "requested", now, today, &consent.by).await?;
    }
    if active.is_some() {
        return receipt(tx, id).await; // a transfer request: the answer names the old union
    }
    Ok(JoinReceipt {
        membership_id: id,
        person_id: person,
        status: if member_no.is_some() {
            "active"
        } else {
            "pending"
        }
        .into(),
        member_no,
        org_code: target.org_code.clone(),
        org_name: target.org_name.clone(),
        transfer_from: None,
    })
}

/// Finds the person by the keyed hash of the ID number, or registers them; name, phone and
/// home region are updated to the latest submission.
pub(super) async fn register_person(
    tx: &mut Tx,
    vault: &IdVault,
    draft: &JoinDraft,
    now: Timestamp,
) -> Result<Uuid> {
    let hash = vault.lookup_hash(&draft.id);
    let home = draft.home_region.as_ref().map(|r| r.as_str());
    // One statement whether the person is new or known; no race between finding and inserting.
    const UPSERT: &str = "INSERT INTO people (id, id_hash, id_sealed, id_mask, name, phone, home_region, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
        ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone,
            home_region = COALESCE(excluded.home_region, people.home_region), updated_at = excluded.updated_at
        RETURNING id";
    let id: Uuid = on_db!(tx.conn(), c => sqlx::query_scalar(UPSERT).bind(new_id()).bind(&hash).bind(vault.seal(&draft.id))
        .bind(draft.id.mask()).bind(draft.name.as_str()).bind(draft.phone.as_str()).bind(home).bind(now)
        .fetch_one(c).await)?;
    Ok(id)
}

async fn add_event(
    tx: &mut Tx,
    membership: Uuid,
    org: Uuid,
    event: &str,
    now: Timestamp,
    today: NaiveDate,
    actor: &str,
) -> Result<()> {
    const SQL: &str = "INSERT INTO membership_events (id, membership_id, org_id, event, at, on_date, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(new_id()).bind(membership).bind(org).bind(event).bind(now).bind(today).bind(actor)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Makes a pending membership active with a new membership number (returned); a transfer ends
/// the old one.
pub(super) async fn activate(
    tx: &mut Tx,
    membership: Uuid,
    now: Timestamp,
    today: NaiveDate,
    actor: &str,
) -> Result<String> {
    const ROW: &str = "SELECT m.org_id, m.transfer_from_id, o.region_code FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    let (org, from, region): (Uuid, Option<Uuid>, String) =
        on_db!(tx.conn(), c => sqlx::query_as(ROW).bind(membership).fetch_one(c).await)?;
    if let Some(old) = from {
        const END: &str = "UPDATE memberships SET status = 'transferred', updated_at = $2 WHERE id = $1 AND status = 'active'
            RETURNING org_id";
        let old_org: Option<Uuid> = on_db!(tx.conn(), c => sqlx::query_scalar(END).bind(old).bind(now).fetch_optional(c).await)?;
        if let Some(old_org) = old_org {
            add_event(tx, old, old_org, "transferred_out", now, today, actor).await?;
            crate::coverage::counts::membership(tx, old, -1, today).await?;
        }
    }
    let member_no = new_member_no(tx, &region, today).await?;
    const SQL: &str = "UPDATE memberships SET status = 'active', member_no = $2, joined_on = $3, decided_at = $4, updated_at = $4 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(membership).bind(&member_no).bind(today).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    add_event(tx, membership, org, "joined", now, today, actor).await?;
    crate::coverage::counts::membership(tx, membership, 1, today).await?;
    Ok(member_no)
}

/// A membership number nobody has: six digits of the union's county, the year, eight random
/// digits.
async fn new_member_no(tx: &mut Tx, region: &str, today: NaiveDate) -> Result<String> {
    loop {
        let no = member_no_candidate(region, today);
        const TAKEN: &str = "SELECT COUNT(*) FROM memberships WHERE member_no = $1";
        let n: i64 =
            on_db!(tx.conn(), c => sqlx::query_scalar(TAKEN).bind(&no).fetch_one(c).await)?;
        if n == 0 {
            return Ok(no);
        }
    }
}

/// A random membership number for a union in `region` joined on `day` (not yet checked for
/// uniqueness).
pub(super) fn member_no_candidate(region: &str, day: NaiveDate) -> String {
    let county: String = format!("{region:0<6}").chars().take(6).collect();
    format!(
        "{county}{}{:08}",
        day.format("%y"),
        rand::thread_rng().gen_range(0..100_000_000)
    )
}

/// A cadre's answer to pending joins and transfer requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

/// Approves or rejects pending requests in bulk. Each must be pending at a unit where the caller
/// is staff or admin; requests outside the scope are not found, and then nothing is changed.
pub async fn decide(
    tx: &mut Tx,
    caller: &Caller,
    ids: &[Uuid],
    decision: &Decision,
) -> Result<usize> {
    if let Decision::Reject { reason } = decision {
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "members.reason_required"));
        }
    }
    if ids.is_empty() {
        return Err(Error::invalid("ids", "members.nothing_selected"));
    }
    const ROW: &str = "SELECT m.status, o.path, o.code FROM memberships m JOIN org_units o ON o.id = m.org_id WHERE m.id = $1";
    for id in ids {
        let row: Option<(String, String, String)> =
            on_db!(tx.conn(), c => sqlx::query_as(ROW).bind(*id).fetch_optional(c).await)?;
        let Some((status, path, code)) = row else {
            return Err(Error::NotFound);
        };
        match caller.scope.role_at(&path) {
            None => return Err(Error::NotFound),
            Some(r) if r < Role::Staff => return Err(Error::Forbidden),
            _ => {}
        }
        if status != "pending" {
            return Err(Error::conflict("status", "members.not_pending"));
        }
        match decision {
            Decision::Approve => {
                activate(tx, *id, caller.at, caller.today, &caller.actor.name).await?;
            }
            Decision::Reject { reason } => {
                const SQL: &str = "UPDATE memberships SET status = 'rejected', reason = $2, decided_at = $3, decided_by = $4, updated_at = $3 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(SQL).bind(*id).bind(reason.trim()).bind(caller.at).bind(caller.actor.account_id)
                    .execute(c).await.map(|r| r.rows_affected()))?;
                const ORG: &str = "SELECT org_id FROM memberships WHERE id = $1";
                let org: Uuid =
                    on_db!(tx.conn(), c => sqlx::query_scalar(ORG).bind(*id).fetch_one(c).await)?;
                add_event(
                    tx,
                    *id,
                    org,
                    "rejected",
                    caller.at,
                    caller.today,
                    &caller.actor.name,
                )
                .await?;
            }
        }
        let action = if *decision == Decision::Approve {
            "members.approve"
        } else {
            "members.reject"
        };
        audit::record(
            tx,
            &caller.actor,
            caller.at,
            action,
            &code,
            Some(&path),
            serde_json::json!({"membership": id}),
        )
        .await?;
    }
    Ok(ids.len())
}

/// Group commit for joins: one writer task takes the joins waiting in its queue, writes them in
/// one transaction (each inside its own savepoint, so that one bad join spoils nothing else),
/// commits once, and only then answers each. An acknowledged join is as durable as with `join`,
/// with one commit (one fsync on SQLite) per batch instead of per join. On PostgreSQL, where
/// parallel connections beat one writer (see BENCHMARKS.md), joins go straight to [`join`].
#[derive(Clone)]
pub struct JoinQueue {
    jobs: Option<tokio::sync::mpsc::Sender<JoinJob>>,
    store: Store,
    vault: IdVault,
}

struct JoinJob {
    target: JoinTarget,
    draft: JoinDraft,
    ctx: JoinContext,
    reply: tokio::sync::oneshot::Sender<Result<JoinReceipt>>,
}

/// Joins written per transaction at most.
const BATCH: usize = 64;

impl JoinQueue {
    /// Starts the writer (a thread with its own runtime; it ends when the last handle is dropped).
    pub fn start(store: Store, vault: IdVault) -> JoinQueue {
        if store.backend() == crate::Backend::Postgres {
            return JoinQueue {
                jobs: None,
                store,
                vault,
            };
        }
        let (jobs, mut rx) = tokio::sync::mpsc::channel::<JoinJob>(4 * BATCH);
        let (writer_store, writer_vault) = (store.clone(), vault.clone());
        // The writer has a thread of its own: it awaits each of its statements in turn, and on
        // the server's runtime every await queued it again behind hundreds of requests.
        std::thread::Builder::new()
            .name("join-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the join writer");
                runtime.block_on(async move {
                    let (store, vault) = (writer_store, writer_vault);
                    while let Some(first) = rx.recv().await {
                        let mut batch = vec![first];
                        while batch.len() < BATCH {
                            match rx.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                        write_batch(&store, &vault, batch).await;
                    }
                });
            })
            .expect("the join writer thread starts");
        JoinQueue {
            jobs: Some(jobs),
            store,
            vault,
        }
    }

    /// Joins through the queue; same contract as [`join`].
    pub async fn join(
        &self,
        target: &JoinTarget,
        draft: &JoinDraft,
        ctx: &JoinContext,
    ) -> Result<JoinReceipt> {
        let Some(jobs) = &self.jobs else {
            return join(&self.store, &self.vault, target, draft, ctx).await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = JoinJob {
            target: target.clone(),
            draft: draft.clone(),
            ctx: ctx.clone(),
            reply,
        };
        jobs.send(job)
            .await
            .map_err(|_| anyhow::anyhow!("the join writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the join writer dropped a join"))?
    }
}

async fn savepoint(tx: &mut Tx, sql: &str) -> Result<()> {
    on_db!(tx.conn(), c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

async fn write_batch(store: &Store, vault: &IdVault, batch: Vec<JoinJob>) {
    let mut tx = match store.write().await {
        Ok(tx) => tx,
        Err(e) => {
            for job in batch {
                let _ = job.reply.send(Err(Error::Internal(anyhow::anyhow!(
                    "cannot start a write: {e}"
                ))));
            }
            return;
        }
    };
    let mut done: Vec<(JoinJob, Result<JoinReceipt>)> = Vec::with_capacity(batch.len());
    for job in batch {
        let result = async {
            savepoint(&mut tx, "SAVEPOINT one_join").await?;
            match join_in(&mut tx, vault, &job.target, &job.draft, &job.ctx).await {
                Ok(r) => {
                    savepoint(&mut tx, "RELEASE SAVEPOINT one_join").await?;
                    Ok(r)
                }
                Err(e) => {
                    savepoint(&mut tx, "ROLLBACK TO SAVEPOINT one_join").await?;
                    savepoint(&mut tx, "RELEASE SAVEPOINT one_join").await?;
                    if super::sms::is_wrong_code(&e) {
                        super::sms::count_miss(&mut tx, &job.draft.phone, job.ctx.now).await?;
                    }
                    Err(e)
                }
            }
        }
        .await;
        done.push((job, result));
    }
    if let Err(e) = tx.commit().await {
        for (job, _) in done {
            let _ = job
                .reply
                .send(Err(Error::Internal(anyhow::anyhow!("commit failed: {e}"))));
        }
        return;
    }
    for (job, result) in done {
        // A unique-index race with another process: the plain path retries and finds the winner.
        let result = match result {
            Err(Error::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                join(store, vault, &job.target, &job.draft, &job.ctx).await
            }
            other => other,
        };
        let _ = job.reply.send(result);
    }
}
