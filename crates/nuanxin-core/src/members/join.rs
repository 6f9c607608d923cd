//! The join (入会): one transaction that finds or registers the person by the keyed hash of
//! the ID number, keeps one active membership per person (a join at another union becomes a
//! transfer request), answers a retried submission with its first answer, and records the
//! membership events that period statistics count. Approvals are in `approvals`, the group commit
//! of the public join in `join_queue`.

use super::codes::JoinTarget;
use super::id_vault::IdVault;
use super::identity::{PersonName, Phone, ResidentId};
use super::join_queue::BATCH;
use super::{Channel, WorkerGroup};
use crate::error::FieldErrors;
use crate::regions::RegionCode;
use crate::{on_db, Error, Result, Scope, Store, Timestamp, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
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
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn parse(
        input: &JoinInput,
        today: NaiveDate,
    ) -> std::result::Result<JoinDraft, FieldErrors> {
        let mut errs = FieldErrors::new();
        let mut take = |e: Error| {
            if let Some(f) = e.field() {
                errs.push(f, e.code());
            }
        };
        let name = PersonName::parse(&input.name).map_err(&mut take).ok();
        let id = ResidentId::parse(&input.id_number, today)
            .map_err(&mut take)
            .ok();
        let phone = Phone::parse(&input.phone).map_err(&mut take).ok();
        let group = WorkerGroup::parse(&input.group);
        if group.is_none() {
            errs.push("group", "members.bad_group");
        }
        let employer = opt(&input.employer).map(|e| e.chars().take(100).collect::<String>());
        let region = |s: &Option<String>, field: &'static str, errs: &mut FieldErrors| match opt(s)
        {
            None => None,
            Some(r) => match RegionCode::parse(r) {
                Ok(c) => Some(c),
                Err(_) => {
                    errs.push(field, "regions.bad_code");
                    None
                }
            },
        };
        let work_region = region(&input.work_region, "work_region", &mut errs);
        let home_region = region(&input.home_region, "home_region", &mut errs);
        if !input.consent {
            errs.push("consent", "members.consent_required");
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

/// What the worker (or partner) is told after a join. It names the union joined and nothing of
/// any other membership the person may have: a join that could not prove to be the person on
/// record reads as an ordinary pending request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct JoinReceipt {
    pub membership_id: Uuid,
    /// The person joined; not part of the answer (an attacker who names someone else's ID number
    /// must not learn which person it is).
    #[serde(skip)]
    pub person_id: Uuid,
    /// `pending`, `active`, `rejected`, `transferred`, `withdrawn`.
    pub status: String,
    pub member_no: Option<String>,
    pub org_code: String,
    pub org_name: String,
    /// For a transfer request: the union the member comes from.
    pub transfer_from: Option<String>,
    /// The submitter proved to be the person on record (or nobody was on record): only then may
    /// the join page sign them in as that person. A request kept for review is not proven.
    #[serde(skip)]
    pub proven: bool,
    /// The token of the worker's new session, when the join was asked to sign them in (the join
    /// page) and they proved to be the person: started in the join's transaction.
    #[serde(skip)]
    pub session: Option<String>,
}

async fn receipt(tx: &mut Tx, membership: Uuid) -> Result<JoinReceipt> {
    const SQL: &str = "SELECT m.id, m.person_id, m.status, m.member_no, o.code, o.name, f.name
        FROM memberships m JOIN org_units o ON o.id = m.org_id
        LEFT JOIN memberships fm ON fm.id = m.transfer_from_id LEFT JOIN org_units f ON f.id = fm.org_id
        WHERE m.id = $1";
    type Row = (
        Uuid,
        Uuid,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
    );
    let (membership_id, person_id, status, member_no, org_code, org_name, transfer_from): Row =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(membership).fetch_one(c).await)?;
    if status == REVIEW {
        return Ok(JoinReceipt {
            membership_id,
            person_id,
            status: "pending".into(),
            member_no: None,
            org_code,
            org_name,
            transfer_from: None,
            proven: false,
            session: None,
        });
    }
    Ok(JoinReceipt {
        membership_id,
        person_id,
        status,
        member_no,
        org_code,
        org_name,
        transfer_from,
        proven: true,
        session: None,
    })
}

/// The status of a join kept for a cadre to review: it named a known person without proving to
/// be them. It changed nothing of that person; only an approval applies its name and phone.
pub const REVIEW: &str = "review";

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
    /// For a partner's push: the caller's scope. A known person with a membership (active or
    /// pending) outside it is not changed by the join, which is kept for review instead. `None`
    /// for the worker's own join (the SMS code decides) and for the operator.
    pub within: Option<Scope>,
}

impl JoinContext {
    /// A join the worker consented to themself (`method` says how: a form, the demo, a test),
    /// with no SMS code asked for and no partner's scope.
    pub fn consented(
        channel: Channel,
        method: &str,
        now: Timestamp,
        today: NaiveDate,
    ) -> JoinContext {
        JoinContext {
            channel,
            consent: Consent {
                at: now,
                by: "self".into(),
                method: method.into(),
            },
            now,
            today,
            sms_code: None,
            within: None,
        }
    }

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
            within: None,
        }
    }
}

/// Joins the union of `target`. Safe to retry: the same request key, or a second submission of
/// the same person to the same union, returns the first answer; concurrent duplicates end in
/// one membership (the loser of a unique-index race retries and finds the winner's row).
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn join(
    store: &Store,
    vault: &IdVault,
    target: &JoinTarget,
    draft: &JoinDraft,
    ctx: &JoinContext,
) -> Result<JoinReceipt> {
    let one = [JoinRef {
        target,
        draft,
        ctx,
        sign_in: false,
    }];
    let mut answers = write_joins(store, vault, &one).await;
    answers.pop().expect("one answer per join")
}

/// Joins several workers in one transaction (one commit) and answers each, in order, exactly
/// as [`join`] would have answered them one after the other: a repeat in the batch gets the
/// first's answer, a bad join fails alone. The join queue writes its batches with this.
pub async fn join_many(
    store: &Store,
    vault: &IdVault,
    joins: &[(&JoinTarget, &JoinDraft, &JoinContext)],
) -> Vec<Result<JoinReceipt>> {
    let joins: Vec<JoinRef<'_>> = joins
        .iter()
        .map(|&(target, draft, ctx)| JoinRef {
            target,
            draft,
            ctx,
            sign_in: false,
        })
        .collect();
    let mut answers = Vec::with_capacity(joins.len());
    for chunk in joins.chunks(BATCH) {
        answers.extend(write_joins(store, vault, chunk).await);
    }
    answers
}

/// One join of a batch, as its caller holds it.
#[derive(Clone, Copy)]
pub(super) struct JoinRef<'a> {
    pub(super) target: &'a JoinTarget,
    pub(super) draft: &'a JoinDraft,
    pub(super) ctx: &'a JoinContext,
    /// Start the worker's session in the join's transaction when they prove to be the person.
    pub(super) sign_in: bool,
}

impl<'a> JoinRef<'a> {
    fn parts(self) -> (&'a JoinTarget, &'a JoinDraft, &'a JoinContext) {
        (self.target, self.draft, self.ctx)
    }
}

/// Writes `joins` in one transaction and answers each, in order. When the transaction as a
/// whole fails, each join is written again alone, so that one bad join spoils nothing else.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub(super) async fn write_joins(
    store: &Store,
    vault: &IdVault,
    joins: &[JoinRef<'_>],
) -> Vec<Result<JoinReceipt>> {
    match try_joins(store, vault, joins).await {
        Ok(answers) => answers,
        Err(e) if joins.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(joins = joins.len(), error = %e, "a batch of joins failed; writing each alone");
            let mut answers = Vec::with_capacity(joins.len());
            for j in joins {
                let alone = try_joins(store, vault, std::slice::from_ref(j)).await;
                answers.push(alone.and_then(|mut a| a.pop().expect("one answer per join")));
            }
            answers
        }
    }
}

/// One transaction for `joins`, tried again (three times in all) when a unique index refuses a
/// row: a membership number drawn twice, or the same person or request key committed meanwhile
/// by another transaction, which the next try finds.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
async fn try_joins(
    store: &Store,
    vault: &IdVault,
    joins: &[JoinRef<'_>],
) -> Result<Vec<Result<JoinReceipt>>> {
    let mut last = None;
    for _ in 0..3 {
        let mut tx = store.write().await?;
        match join_all(&mut tx, vault, joins).await {
            Ok(answers) => {
                tx.commit().await?;
                return Ok(answers);
            }
            Err(Error::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                tx.rollback().await.ok();
                last = Some(Error::Db(sqlx::Error::Database(e)));
            }
            Err(e) => {
                tx.rollback().await.ok();
                return Err(e);
            }
        }
    }
    Err(last.expect("a retry happened"))
}

/// Writes `joins` in `tx` with a few statements for all of them (a round trip per statement,
/// not per statement and join). A round takes each person, phone and request key once; a repeat
/// (a double tap) waits for the next round, which sees what the first wrote. Errors of one join
/// (a wrong SMS code, an unknown region) are its answer and change nothing of it, but the wrong
/// try it counts; an `Err` of the whole means that `tx` must be rolled back.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
async fn join_all(
    tx: &mut Tx,
    vault: &IdVault,
    joins: &[JoinRef<'_>],
) -> Result<Vec<Result<JoinReceipt>>> {
    let hashes: Vec<String> = joins
        .iter()
        .map(|j| vault.lookup_hash(&j.draft.id))
        .collect();
    let mut answers: Vec<Option<Result<JoinReceipt>>> = joins.iter().map(|_| None).collect();
    let mut todo: Vec<usize> = (0..joins.len()).collect();
    while !todo.is_empty() {
        let mut taken: HashSet<String> = HashSet::new();
        let (round, later): (Vec<usize>, Vec<usize>) = todo.into_iter().partition(|&i| {
            let d = joins[i].draft;
            let keys = [
                Some(format!("id:{}", hashes[i])),
                Some(format!("phone:{}", d.phone.as_str())),
                d.request_key.as_ref().map(|k| format!("key:{k}")),
            ];
            let fresh = keys.iter().flatten().all(|k| !taken.contains(k));
            if fresh {
                taken.extend(keys.into_iter().flatten());
            }
            fresh
        });
        join_round(tx, vault, joins, &hashes, &round, &mut answers).await?;
        todo = later;
    }
    // The worker who proved to be the person joined is signed in by the join itself: the
    // session commits with the membership or not at all.
    for (j, answer) in joins.iter().zip(answers.iter_mut()) {
        if let Some(Ok(receipt)) = answer {
            if j.sign_in && receipt.proven {
                receipt.session =
                    Some(super::sessions::start_in(tx, receipt.person_id, j.ctx.now).await?);
            }
        }
    }
    Ok(answers
        .into_iter()
        .map(|a| a.expect("every join answered"))
        .collect())
}

/// A membership a round writes.
struct NewMembership {
    join: usize,
    id: Uuid,
    person: Uuid,
    member_no: Option<String>,
    transfer_from: Option<Uuid>,
    /// Kept for review, and why (`phone_differs`, `member_elsewhere`).
    review: Option<&'static str>,
}

/// A current membership (or request kept for review) of a person a round names.
#[derive(sqlx::FromRow)]
struct Current {
    person: Uuid,
    id: Uuid,
    org: Uuid,
    status: String,
    path: String,
    claimed_phone: Option<String>,
}

async fn join_round(
    tx: &mut Tx,
    vault: &IdVault,
    joins: &[JoinRef<'_>],
    hashes: &[String],
    round: &[usize],
    answers: &mut [Option<Result<JoinReceipt>>],
) -> Result<()> {
    let backend = tx.backend();
    let list = |n: usize, first: usize| nuanxin_store::list_placeholders(backend, n, first);
    // 1. A request key answered before gets its first answer again (its SMS code is used up),
    // but only to the same person with the same phone: a key is no way to read someone else's
    // answer.
    let keys: Vec<&str> = round
        .iter()
        .filter_map(|&i| joins[i].draft.request_key.as_deref())
        .collect();
    if !keys.is_empty() {
        let sql = format!(
            "SELECT m.request_key, m.id, p.id_hash, COALESCE(m.claimed_phone, p.phone) FROM memberships m
            JOIN people p ON p.id = m.person_id WHERE m.request_key IN ({})",
            list(keys.len(), 1)
        );
        let found: Vec<(String, Uuid, String, String)> = on_db!(tx.conn(), c => {
            let mut q = sqlx::query_as(&sql);
            for k in &keys {
                q = q.bind(*k);
            }
            q.fetch_all(c).await
        })?;
        for (key, id, hash, phone) in found {
            for &i in round {
                let d = joins[i].draft;
                if d.request_key.as_deref() != Some(key.as_str()) {
                    continue;
                }
                answers[i] = Some(if hashes[i] == hash && d.phone.as_str() == phone {
                    Ok(receipt(tx, id).await?)
                } else {
                    Err(Error::conflict("request_key", "members.request_key_taken"))
                });
            }
        }
    }
    // 2. The SMS codes typed: checked here, used up below only by the joins that go on.
    let phones: Vec<&str> = round
        .iter()
        .filter(|&&i| answers[i].is_none() && joins[i].ctx.sms_code.is_some())
        .map(|&i| joins[i].draft.phone.as_str())
        .collect();
    let earliest = round.iter().map(|&i| joins[i].ctx.now).min().unwrap_or(0);
    let latest = round.iter().map(|&i| joins[i].ctx.now).max().unwrap_or(0);
    let live = super::sms::live_codes(tx, &phones, earliest).await?;
    let mut missed = Vec::new();
    let mut code_of: HashMap<usize, Uuid> = HashMap::new();
    for &i in round {
        let j = joins[i];
        if let (None, Some(code)) = (&answers[i], &j.ctx.sms_code) {
            match super::sms::check(&live, vault, &j.draft.phone, code, j.ctx.now) {
                Ok(id) => {
                    code_of.insert(i, id);
                }
                Err((e, miss)) => {
                    missed.extend(miss);
                    answers[i] = Some(Err(e));
                }
            }
        }
    }
    // 3. The regions named must exist.
    let regions: BTreeSet<&str> = round
        .iter()
        .filter(|&&i| answers[i].is_none())
        .flat_map(|&i| [&joins[i].draft.work_region, &joins[i].draft.home_region])
        .flatten()
        .map(|r| r.as_str())
        .collect();
    let mut known: HashSet<String> = HashSet::new();
    if !regions.is_empty() {
        let sql = format!(
            "SELECT code FROM regions WHERE code IN ({})",
            list(regions.len(), 1)
        );
        let found: Vec<String> = on_db!(tx.conn(), c => {
            let mut q = sqlx::query_scalar(&sql);
            for r in &regions {
                q = q.bind(*r);
            }
            q.fetch_all(c).await
        })?;
        known.extend(found);
    }
    for &i in round {
        let d = joins[i].draft;
        if answers[i].is_some() {
            continue;
        }
        for (field, region) in [
            ("work_region", &d.work_region),
            ("home_region", &d.home_region),
        ] {
            if region.as_ref().is_some_and(|r| !known.contains(r.as_str())) {
                answers[i] = Some(Err(Error::invalid(field, "regions.unknown")));
                break;
            }
        }
    }
    // In the order of the people's hashes: concurrent batches (PostgreSQL) lock rows in one
    // order and do not deadlock.
    let mut going: Vec<usize> = round
        .iter()
        .copied()
        .filter(|&i| answers[i].is_none())
        .collect();
    going.sort_by(|&a, &b| hashes[a].cmp(&hashes[b]));
    let used: Vec<Uuid> = going
        .iter()
        .filter_map(|i| code_of.get(i))
        .copied()
        .collect();
    super::sms::settle(tx, &used, &missed, latest).await?;
    if going.is_empty() {
        return Ok(());
    }
    // 4. The people already known by the keyed hash of their ID number, and their current
    // memberships (one active and one pending at most) and requests kept for review.
    let sql = format!(
        "SELECT id_hash, id, phone FROM people WHERE id_hash IN ({})",
        list(going.len(), 1)
    );
    let known: Vec<(String, Uuid, String)> = on_db!(tx.conn(), c => {
        let mut q = sqlx::query_as(&sql);
        for &i in &going {
            q = q.bind(hashes[i].as_str());
        }
        q.fetch_all(c).await
    })?;
    let known: HashMap<String, (Uuid, String)> = known
        .into_iter()
        .map(|(hash, id, phone)| (hash, (id, phone)))
        .collect();
    let mut current: Vec<Current> = Vec::new();
    if !known.is_empty() {
        let sql = format!(
            "SELECT m.person_id AS person, m.id, m.org_id AS org, m.status, o.path, m.claimed_phone FROM memberships m
            JOIN org_units o ON o.id = m.org_id
            WHERE m.status IN ('active', 'retained', 'pending', 'review') AND m.person_id IN ({})",
            list(known.len(), 1)
        );
        current = on_db!(tx.conn(), c => {
            let mut q = sqlx::query_as(&sql);
            for (id, _) in known.values() {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
    }
    // A join that names a known person without proving to be them changes nothing of that
    // person: the SMS code proves only the phone typed, and a partner or import is trusted only
    // with the people of its own scope.
    let review: HashMap<usize, &'static str> = going
        .iter()
        .filter_map(|&i| {
            let (person, phone) = known.get(&hashes[i])?;
            let ctx = joins[i].ctx;
            if ctx.sms_code.is_some() && phone != joins[i].draft.phone.as_str() {
                return Some((i, "phone_differs"));
            }
            let outside = ctx.within.as_ref().is_some_and(|scope| {
                current.iter().any(|m| {
                    m.person == *person
                        && matches!(m.status.as_str(), "active" | "retained" | "pending")
                        && scope.role_at(&m.path).is_none()
                })
            });
            outside.then_some((i, "member_elsewhere"))
        })
        .collect();
    // 5. The others are registered, or found; name, phone and home region follow the latest
    // submission.
    let proven: Vec<usize> = going
        .iter()
        .copied()
        .filter(|i| !review.contains_key(i))
        .collect();
    let mut person: HashMap<String, Uuid> = known
        .iter()
        .map(|(hash, (id, _))| (hash.clone(), *id))
        .collect();
    if !proven.is_empty() {
        let sql = format!(
            "INSERT INTO people (id, id_hash, id_sealed, id_mask, name, phone, home_region, created_at, updated_at)
            VALUES {}
            ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone,
                home_region = COALESCE(excluded.home_region, people.home_region), updated_at = excluded.updated_at
            RETURNING id, id_hash",
            nuanxin_store::values_placeholders(backend, proven.len(), 9, 1)
        );
        let people: Vec<(Uuid, String)> = on_db!(tx.conn(), c => {
            let mut q = sqlx::query_as(&sql);
            for &i in &proven {
                let (d, now) = (joins[i].draft, joins[i].ctx.now);
                q = q.bind(new_id()).bind(hashes[i].as_str()).bind(vault.seal(&d.id)).bind(d.id.mask()).bind(d.name.as_str())
                    .bind(d.phone.as_str()).bind(d.home_region.as_ref().map(|r| r.as_str())).bind(now).bind(now);
            }
            q.fetch_all(c).await
        })?;
        person.extend(people.into_iter().map(|(id, h)| (h, id)));
    }
    let mut withdrawn: Vec<Uuid> = Vec::new();
    let mut written: Vec<NewMembership> = Vec::new();
    let mut look_up: Vec<(usize, Uuid)> = Vec::new();
    for &i in &going {
        let (target, person) = (joins[i].target, person[&hashes[i]]);
        if let Some(&reason) = review.get(&i) {
            let phone = joins[i].draft.phone.as_str();
            let asked = current.iter().find(|m| {
                m.person == person
                    && m.status == REVIEW
                    && m.org == target.org_id
                    && m.claimed_phone.as_deref() == Some(phone)
            });
            match asked {
                Some(m) => look_up.push((i, m.id)), // kept for review already
                None => written.push(NewMembership {
                    join: i,
                    id: new_id(),
                    person,
                    member_no: None,
                    transfer_from: None,
                    review: Some(reason),
                }),
            }
            continue;
        }
        let of = |status: &str| {
            current
                .iter()
                .find(|m| m.person == person && m.status == status)
        };
        let (active, pending) = (of("active"), of("pending"));
        // A member who kept their membership without a job (保留会籍) and joins again, here or
        // elsewhere, moves from that membership like a transfer.
        let moves_from = active.or(of("retained"));
        if let Some(a) = active.filter(|a| a.org == target.org_id) {
            look_up.push((i, a.id)); // a member already: the membership as it is
            continue;
        }
        if let Some(p) = pending {
            if p.org == target.org_id {
                look_up.push((i, p.id)); // asked already: the request as it is
                continue;
            }
            withdrawn.push(p.id); // a request at another union is replaced by this one
        }
        // A join the union approves automatically is written active at once, with both events.
        // Its number is not looked up first: the unique index refuses a number already given
        // (about one draw in 10^8 per member of the county that year), and the join is retried.
        let member_no = match (target.auto_approve, moves_from) {
            (true, None) => Some(member_no_candidate(&target.org_region, joins[i].ctx.today)),
            _ => None,
        };
        written.push(NewMembership {
            join: i,
            id: new_id(),
            person,
            member_no,
            transfer_from: moves_from.map(|a| a.id),
            review: None,
        });
    }
    // 6. The writes.
    if !withdrawn.is_empty() {
        let sql = format!(
            "UPDATE memberships SET status = 'withdrawn', updated_at = {} WHERE id IN ({})",
            list(1, 1),
            list(withdrawn.len(), 2)
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql).bind(latest);
            for id in &withdrawn {
                q = q.bind(*id);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        super::transfers::withdraw(tx, &withdrawn, latest).await?;
    }
    if !written.is_empty() {
        write_memberships(tx, joins, &written).await?;
    }
    // A join of a member of another union is a transfer both unions see.
    for m in written.iter().filter(|m| m.review.is_none()) {
        if let Some(from) = m.transfer_from {
            let ctx = joins[m.join].ctx;
            let asking = super::transfers::Asking {
                side: "worker",
                actor: ctx.consent.by.as_str(),
                reason: None,
                now: ctx.now,
                today: ctx.today,
            };
            super::transfers::open(tx, from, m.id, &asking).await?;
        }
    }
    for m in &written {
        let j = joins[m.join];
        if m.transfer_from.is_some() || m.review.is_some() {
            look_up.push((m.join, m.id)); // the answer as the stored request reads
            continue;
        }
        answers[m.join] = Some(Ok(JoinReceipt {
            membership_id: m.id,
            person_id: m.person,
            status: if m.member_no.is_some() {
                "active"
            } else {
                "pending"
            }
            .into(),
            member_no: m.member_no.clone(),
            org_code: j.target.org_code.clone(),
            org_name: j.target.org_name.clone(),
            transfer_from: None,
            proven: true,
            session: None,
        }));
    }
    for (i, id) in look_up {
        answers[i] = Some(Ok(receipt(tx, id).await?));
    }
    Ok(())
}

/// Inserts the memberships of a round with their events, and adds the active ones to the
/// coverage counters of their union and its ancestors.
async fn write_memberships(
    tx: &mut Tx,
    joins: &[JoinRef<'_>],
    written: &[NewMembership],
) -> Result<()> {
    let backend = tx.backend();
    let sql = format!(
        "INSERT INTO memberships (id, person_id, org_id, status, member_no, joined_on, decided_at, worker_group,
            employer, work_region, channel, join_code_id, transfer_from_id, request_key, consent_at, consent_by, consent_method,
            requested_at, updated_at, claimed_name, claimed_phone, review_reason)
        VALUES {}",
        nuanxin_store::values_placeholders(backend, written.len(), 22, 1)
    );
    on_db!(tx.conn(), c => {
        let mut q = sqlx::query(&sql);
        for m in written {
            let (target, d, ctx) = joins[m.join].parts();
            let active = m.member_no.is_some();
            let status = match (active, m.review) {
                (true, _) => "active",
                (false, Some(_)) => REVIEW,
                (false, None) => "pending",
            };
            q = q.bind(m.id).bind(m.person).bind(target.org_id).bind(status)
                .bind(m.member_no.as_deref()).bind(active.then_some(ctx.today)).bind(active.then_some(ctx.now))
                .bind(d.group.as_str()).bind(d.employer.as_deref()).bind(d.work_region.as_ref().map(|r| r.as_str()))
                .bind(ctx.channel.as_str()).bind(Some(target.code_id).filter(|c| !c.is_nil())).bind(m.transfer_from)
                .bind(d.request_key.as_deref()).bind(ctx.consent.at).bind(ctx.consent.by.as_str())
                .bind(ctx.consent.method.as_str()).bind(ctx.now).bind(ctx.now)
                .bind(m.review.map(|_| d.name.as_str())).bind(m.review.map(|_| d.phone.as_str())).bind(m.review);
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    let mut events: Vec<(Uuid, usize, &'static str)> = Vec::new();
    let mut counts = Vec::new();
    for m in written {
        let (target, d, ctx) = joins[m.join].parts();
        events.push((m.id, m.join, "requested"));
        if m.member_no.is_some() {
            events.push((m.id, m.join, "joined"));
            let region = d.work_region.as_ref().map(|r| r.as_str());
            let mut deltas = crate::coverage::counts::membership_deltas(
                d.group.as_str(),
                ctx.channel.as_str(),
                region,
                1,
            );
            deltas.push(crate::coverage::counts::Delta::new(
                crate::coverage::counts::metric::JOINED,
                ctx.today.format("%Y-%m-%d").to_string(),
                1,
            ));
            counts.extend(crate::coverage::counts::rows(&target.org_path, &deltas));
        }
    }
    let sql = format!(
        "INSERT INTO membership_events (id, membership_id, org_id, event, at, on_date, actor) VALUES {}",
        nuanxin_store::values_placeholders(backend, events.len(), 7, 1)
    );
    on_db!(tx.conn(), c => {
        let mut q = sqlx::query(&sql);
        for (membership, i, event) in &events {
            let JoinRef { target, ctx, .. } = joins[*i];
            q = q.bind(new_id()).bind(*membership).bind(target.org_id).bind(*event).bind(ctx.now).bind(ctx.today)
                .bind(ctx.consent.by.as_str());
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    crate::coverage::counts::add_rows(tx, counts).await
}

pub(super) async fn add_event(
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
        // The membership it moves from: active, or kept without a job (保留会籍), which left the
        // active count on the day it was retained.
        const OLD: &str =
            "SELECT org_id, status FROM memberships WHERE id = $1 AND status IN ('active', 'retained')";
        let found: Option<(Uuid, String)> =
            on_db!(tx.conn(), c => sqlx::query_as(OLD).bind(old).fetch_optional(c).await)?;
        if let Some((old_org, status)) = found {
            // Only if still as read: a leave of the old membership committed meanwhile (on
            // PostgreSQL this waits for it) has ended and counted it already.
            const END: &str =
                "UPDATE memberships SET status = 'transferred', ended_on = $3, updated_at = $2
                WHERE id = $1 AND status = $4";
            let ended = on_db!(tx.conn(), c => sqlx::query(END).bind(old).bind(now).bind(today).bind(&status)
                .execute(c).await.map(|r| r.rows_affected()))?;
            if ended == 1 {
                add_event(tx, old, old_org, "transferred_out", now, today, actor).await?;
                if status == "active" {
                    crate::coverage::counts::ended(tx, old, today, "transferred_out").await?;
                }
            }
        }
    }
    let member_no = new_member_no(tx, &region, today).await?;
    const SQL: &str = "UPDATE memberships SET status = 'active', member_no = $2, joined_on = $3, decided_at = $4, updated_at = $4 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(membership).bind(&member_no).bind(today).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    add_event(tx, membership, org, "joined", now, today, actor).await?;
    crate::coverage::counts::joined(tx, membership, today).await?;
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
