//! The join queue: group commit for joins from the public page and the API.

use super::codes::JoinTarget;
use super::id_vault::IdVault;
use super::join::*;
use crate::error::FieldErrors;
use crate::regions::RegionCode;
use crate::{Result, Store};

/// Group commit for joins: a writer takes the joins waiting in the queue (at most 64), writes
/// them in one transaction with a few multi-row statements for all of them (see [`join_many`]),
/// commits once, and only then answers each. An acknowledged join is as durable as with `join`,
/// with one commit (one fsync on SQLite) per batch instead of per join. SQLite has one writer,
/// on a thread of its own; PostgreSQL has several on the server's runtime, each with its own
/// connection, so that one batch is written while the next is gathered.
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
    sign_in: bool,
    reply: tokio::sync::oneshot::Sender<Result<JoinReceipt>>,
}

/// Joins written per transaction at most.
pub(super) const BATCH: usize = 64;

/// Writers of the queue on PostgreSQL.
const POSTGRES_WRITERS: usize = 4;

type Jobs = std::sync::Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<JoinJob>>>;

impl JoinQueue {
    /// Starts the writers on a thread of their own (they end when the last handle is dropped).
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn start(store: Store, vault: IdVault) -> JoinQueue {
        let (jobs, rx) = tokio::sync::mpsc::channel::<JoinJob>(4 * BATCH);
        let rx: Jobs = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        let writers = match store.backend() {
            crate::Backend::Sqlite => 1,
            crate::Backend::Postgres => POSTGRES_WRITERS,
        };
        let (writer_store, writer_vault) = (store.clone(), vault.clone());
        // The writers have a thread of their own: each awaits its statements in turn, and on
        // the server's runtime every await queued it again behind hundreds of requests.
        std::thread::Builder::new()
            .name("join-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the join writers");
                runtime.block_on(async move {
                    let store = match writer_store.with_own_connections(writers as u32).await {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::error!(error = %e, "the join writers cannot connect");
                            return;
                        }
                    };
                    let tasks: Vec<_> = (0..writers)
                        .map(|_| {
                            let (s, v) = (store.clone(), writer_vault.clone());
                            tokio::spawn(write_queue(s, v, rx.clone()))
                        })
                        .collect();
                    for t in tasks {
                        let _ = t.await;
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
    /// Joins waiting in the queue now.
    pub fn depth(&self) -> usize {
        self.jobs
            .as_ref()
            .map_or(0, |tx| tx.max_capacity() - tx.capacity())
    }

    pub async fn join(
        &self,
        target: &JoinTarget,
        draft: &JoinDraft,
        ctx: &JoinContext,
    ) -> Result<JoinReceipt> {
        self.enqueue(target, draft, ctx, false).await
    }

    async fn enqueue(
        &self,
        target: &JoinTarget,
        draft: &JoinDraft,
        ctx: &JoinContext,
        sign_in: bool,
    ) -> Result<JoinReceipt> {
        // A routing event's code: the joiner goes to the union the event routes them to.
        let routed = if target.routes {
            let mut tx = self.store.read().await?;
            super::events::route_joiner(&mut tx, target, draft).await?
        } else {
            None
        };
        let target = routed.as_ref().unwrap_or(target);
        let Some(jobs) = &self.jobs else {
            let one = [JoinRef {
                target,
                draft,
                ctx,
                sign_in,
            }];
            let mut answers = write_joins(&self.store, &self.vault, &one).await;
            return answers
                .pop()
                .unwrap_or_else(|| Err(anyhow::anyhow!("a join without an answer").into()));
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = JoinJob {
            target: target.clone(),
            draft: draft.clone(),
            ctx: ctx.clone(),
            sign_in,
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

/// A writer of the queue: takes what waits (up to a batch), writes it, and again.
/// Batches the join queues of this process have written, and the joins in them: their ratio is
/// the mean batch size (`/metrics`).
static JOIN_BATCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static JOINS_BATCHED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// (batches written, joins written in them) by the join queues of this process.
pub fn join_batches() -> (u64, u64) {
    (
        JOIN_BATCHES.load(std::sync::atomic::Ordering::Relaxed),
        JOINS_BATCHED.load(std::sync::atomic::Ordering::Relaxed),
    )
}

async fn write_queue(store: Store, vault: IdVault, jobs: Jobs) {
    loop {
        let batch = {
            let mut rx = jobs.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        JOIN_BATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        JOINS_BATCHED.fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
        write_batch(&store, &vault, batch).await;
    }
}

async fn write_batch(store: &Store, vault: &IdVault, batch: Vec<JoinJob>) {
    let joins: Vec<JoinRef<'_>> = batch
        .iter()
        .map(|j| JoinRef {
            target: &j.target,
            draft: &j.draft,
            ctx: &j.ctx,
            sign_in: j.sign_in,
        })
        .collect();
    let answers = write_joins(store, vault, &joins).await;
    drop(joins);
    for (job, answer) in batch.into_iter().zip(answers) {
        let _ = job.reply.send(answer);
    }
}

impl JoinQueue {
    /// The public join of a worker, as the join page and the API both submit it: every field is
    /// checked and the regions named must exist, all problems at once (`Error::Fields`), before
    /// the join is queued. The same bad input gets the same answer on the page and in JSON.
    pub async fn join_by_worker(
        &self,
        target: &JoinTarget,
        input: &JoinInput,
        ctx: &JoinContext,
    ) -> Result<JoinReceipt> {
        self.checked_join(target, input, ctx, false).await
    }

    /// The join page's join: as [`JoinQueue::join_by_worker`], and a worker who proves to be the
    /// person is signed in by the join's own transaction (`receipt.session`).
    pub async fn join_and_sign_in(
        &self,
        target: &JoinTarget,
        input: &JoinInput,
        ctx: &JoinContext,
    ) -> Result<JoinReceipt> {
        self.checked_join(target, input, ctx, true).await
    }

    async fn checked_join(
        &self,
        target: &JoinTarget,
        input: &JoinInput,
        ctx: &JoinContext,
        sign_in: bool,
    ) -> Result<JoinReceipt> {
        let (draft, mut errs) = match JoinDraft::parse(input, ctx.today) {
            Ok(d) => (Some(d), FieldErrors::new()),
            Err(errs) => (None, errs),
        };
        // Regions named (and well formed) must exist; most joins name none and cost no read.
        let named: Vec<(&'static str, RegionCode)> = [
            ("work_region", &input.work_region),
            ("home_region", &input.home_region),
        ]
        .into_iter()
        .filter(|(field, _)| errs.get(field).is_none())
        .filter_map(|(field, typed)| {
            let code = RegionCode::parse(typed.as_deref()?.trim()).ok()?;
            Some((field, code))
        })
        .collect();
        if !named.is_empty() {
            let mut tx = self.store.read().await?;
            for (field, code) in named {
                if crate::regions::get(&mut tx, &code).await?.is_none() {
                    errs.push(field, "regions.unknown");
                }
            }
        }
        match draft {
            Some(draft) if errs.is_empty() => self.enqueue(target, &draft, ctx, sign_in).await,
            _ => Err(errs.into()),
        }
    }
}
