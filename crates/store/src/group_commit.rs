//! Group commit: concurrent callers of [`GraphStore::apply`] share one write
//! transaction, and so one commit (SPEC section 3, "write path"). The queue is its own
//! type, in front of writer threads that apply batches through [`Connections`].
//!
//! A commit is the expensive part of a change: a WAL flush on PostgreSQL (milliseconds
//! here), the write lock on SQLite (which only one connection can hold, and which
//! concurrent writers otherwise poll for with sleeps). So callers do not each open a
//! transaction: they hand their transitions to a writer thread and await the answer
//! (a `PendingApply`). A writer takes every job queued at that moment (up to
//! [`MAX_BATCH`] transitions), applies them in order in one transaction, commits, and
//! only then answers each job with its own outcomes. Nothing is answered before its commit; nothing waits on a timer: a lone
//! caller is committed at once, and a batch grows only while the previous one commits.
//!
//! With several writers, each has its own queue, and a job goes to the writer its
//! second account hashes to (the followee of a follow, the target of a request, the
//! blocked account of a block; see [`writer_of`]). A batch locks the rows of the
//! accounts it touches until it commits, so two writers whose batches both touched a
//! much-followed account took turns on its row, each waiting through the other's
//! commit: on PostgreSQL, 64 callers following one account got 44-84% of the
//! throughput of follows spread over many. Routed by followee, the follows of one
//! account gather in one writer's batches, which that writer commits back to back,
//! while follows spread over many accounts still spread over every writer.
//!
//! The jobs of one batch are independent decisions, each guarded by its own
//! transition's guard, so putting them in one transaction changes no outcome: a racing
//! twin later in the batch sees the earlier one's rows and becomes a no-op, exactly as
//! it would after the earlier one's commit. When a batch fails as a whole (a failure
//! that is no serialization failure or deadlock, which are retried), each job runs
//! again alone, so one bad job fails only itself.
//!
//! [`GraphStore::apply`]: rookery_domain::ports::GraphStore::apply

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::mpsc::{self, Receiver, Sender};

use rookery_domain::pending::{ApplyReply, PendingApply, pending_apply};
use rookery_domain::ports::StoreError;
use rookery_domain::relationship::Transition;

use crate::pool::Connections;

/// Most transitions in one transaction: enough to absorb any burst the HTTP workers
/// can produce, small enough that one transaction never holds the lock for long.
const MAX_BATCH: usize = 512;

/// One caller's transitions and where its answer goes.
struct Job {
    transitions: Vec<Transition>,
    reply: ApplyReply,
}

/// The queues in front of the writer threads, one each. Dropping it (with the last
/// `Database` clone that holds it) lets the writers finish what is queued, and waits
/// for them to exit: a writer still closing its PostgreSQL connection while the
/// process exits raced libpq's TLS teardown (a test process died with SIGSEGV after
/// passing).
pub(crate) struct CommitQueue {
    queues: Vec<Sender<Job>>,
    writers: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for CommitQueue {
    fn drop(&mut self) {
        self.queues.clear();
        for writer in self.writers.drain(..) {
            // A writer that panicked has nothing left to finish.
            let _ = writer.join();
        }
    }
}

impl std::fmt::Debug for CommitQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitQueue")
    }
}

impl CommitQueue {
    /// Starts `writers` threads that apply batches through `conns`.
    pub(crate) fn start(conns: &Connections, writers: usize) -> std::io::Result<Self> {
        let mut queues = Vec::with_capacity(writers.max(1));
        let mut handles = Vec::with_capacity(writers.max(1));
        for n in 0..writers.max(1) {
            let (jobs, queue) = mpsc::channel::<Job>();
            let conns = conns.clone();
            handles.push(
                std::thread::Builder::new()
                    .name(format!("rookery-writer-{n}"))
                    .spawn(move || write_batches(&conns, &queue))?,
            );
            queues.push(jobs);
        }
        Ok(Self { queues, writers: handles })
    }

    fn send(&self, job: Job) -> Result<(), mpsc::SendError<Job>> {
        match self.queues.get(writer_of(&job.transitions, self.queues.len())) {
            Some(queue) => queue.send(job),
            None => Err(mpsc::SendError(job)),
        }
    }

    /// Queues `transitions` and returns at once; the answer arrives through the
    /// [`PendingApply`] after the batch holding them committed (or failed).
    pub(crate) fn submit(&self, transitions: Vec<Transition>) -> PendingApply {
        let (reply, pending) = pending_apply();
        if let Err(mpsc::SendError(job)) = self.send(Job { transitions, reply }) {
            job.reply.send(Err(writers_gone()));
        }
        pending
    }
}

fn writers_gone() -> StoreError {
    StoreError::Unavailable("the database writer has stopped".into())
}

/// Which of `writers` queues a job goes to: the one its first transition's second
/// account hashes to, so that the jobs touching one account as followee (or target, or
/// blocked) share a writer and never wait on each other's row locks across writers.
/// Any job may go to any writer, so this is a choice of speed, not of correctness.
fn writer_of(transitions: &[Transition], writers: usize) -> usize {
    let Some([_, second]) = transitions.first().map(Transition::accounts) else { return 0 };
    let mut hasher = DefaultHasher::new();
    second.hash(&mut hasher);
    usize::try_from(hasher.finish() % u64::try_from(writers.max(1)).unwrap_or(1)).unwrap_or(0)
}

/// A writer's loop: take what is queued, commit it, answer; until the queue is gone.
fn write_batches(conns: &Connections, queue: &Receiver<Job>) {
    while let Some(batch) = next_batch(queue) {
        commit(conns, batch);
    }
}

/// Blocks for the first job, then takes whatever else is already waiting.
fn next_batch(queue: &Receiver<Job>) -> Option<Vec<Job>> {
    let first = queue.recv().ok()?;
    let mut size = first.transitions.len();
    let mut batch = vec![first];
    while size < MAX_BATCH {
        let Ok(job) = queue.try_recv() else { break };
        size += job.transitions.len();
        batch.push(job);
    }
    Some(batch)
}

fn commit(conns: &Connections, batch: Vec<Job>) {
    tracing::trace!(jobs = batch.len(), "group commit");
    let slices: Vec<&[Transition]> = batch.iter().map(|job| job.transitions.as_slice()).collect();
    match conns.apply_jobs(&slices) {
        Ok(outcomes) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                job.reply.send(Ok(outcome));
            }
        }
        // One job, or the database is unreachable or lost the connection (possibly
        // after COMMIT was sent): applying the jobs one by one cannot help, would
        // wait out the pool's timeout once per job, and could run a committed batch
        // twice. Every caller gets the 503.
        Err(error) if batch.len() == 1 || matches!(error, StoreError::Unavailable(_)) => {
            for job in batch {
                job.reply.send(Err(error.clone()));
            }
        }
        Err(error) => {
            tracing::warn!(%error, jobs = batch.len(), "a group commit failed; applying its jobs one by one");
            for job in batch {
                let outcome = conns.apply_jobs(&[job.transitions.as_slice()]).map(|mut o| o.pop().unwrap_or_default());
                job.reply.send(outcome);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rookery_domain::AccountId;

    use super::*;

    fn account() -> AccountId {
        AccountId::from_uuid(uuid::Uuid::new_v4())
    }

    fn unblock(blocker: AccountId, blocked: AccountId) -> Vec<Transition> {
        vec![Transition::Unblock { blocker, blocked }]
    }

    #[test]
    fn one_accounts_jobs_share_a_writer_and_many_accounts_use_every_writer() {
        let hot = account();
        let writers: HashSet<usize> = (0..100).map(|_| writer_of(&unblock(account(), hot), 2)).collect();
        assert_eq!(writers.len(), 1, "every job on one account goes to one writer");
        let writers: HashSet<usize> = (0..100).map(|_| writer_of(&unblock(hot, account()), 2)).collect();
        assert_eq!(writers, HashSet::from([0, 1]), "jobs on many accounts spread over both writers");
    }

    #[test]
    fn a_job_always_has_a_writer() {
        assert_eq!(writer_of(&[], 2), 0);
        assert_eq!(writer_of(&unblock(account(), account()), 1), 0);
        assert_eq!(writer_of(&unblock(account(), account()), 0), 0);
    }
}
