//! The store's own blocking threads: where a port method that answers a [`Pending`]
//! does its blocking work (syncstorage-rs's `DbFuture` over its blocking pool is the
//! model). Diesel is synchronous; a use case on an async executor awaits the answer
//! and never holds a thread, and a synchronous use case `wait`s for it.
//!
//! Group-committed writes do not come here: they go to the writer threads of
//! `group_commit`. This carries the reads of the follow path, provisioning, and the
//! writes of a store that commits each change alone.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use rookery_domain::pending::{Pending, pending};
use rookery_domain::ports::StoreError;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads taking jobs from one queue. Dropping it lets them finish
/// what is queued and waits for them to exit (a thread still inside libpq while the
/// process exits raced its teardown).
pub(crate) struct Offload {
    jobs: Option<Sender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Offload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offload").field("threads", &self.threads.len()).finish()
    }
}

impl Offload {
    /// Starts `threads` threads (at least one). Size it like the connection pool: each
    /// job holds a connection while it runs, so more threads would only wait for one.
    pub(crate) fn start(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = (0..threads.max(1))
            .map(|n| {
                let queue = Arc::clone(&queue);
                std::thread::Builder::new().name(format!("rookery-db-{n}")).spawn(move || work(&queue))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self { jobs: Some(jobs), threads })
    }

    /// Runs `work` on one of the threads; its answer arrives through the [`Pending`].
    /// Jobs must not wait for other jobs (they could all be waiting).
    pub(crate) fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        let (reply, pending) = pending();
        let job: Job = Box::new(move || reply.send(work()));
        // Sending fails only once the store is being dropped: the job, and with it the
        // reply, is dropped, which its caller reads as "unavailable".
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
        pending
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        // One idle thread waits on the queue, the others on the lock; the lock is
        // released before the job runs.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl Drop for Offload {
    fn drop(&mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            // A thread that panicked has nothing left to finish.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_answer_through_their_pending_and_run_side_by_side() {
        let offload = Offload::start(2).unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        // The first job waits for the second: with two threads both run.
        let first = offload.run(move || rx.recv().map_err(|e| StoreError::Failure(e.to_string())));
        let second = offload.run(move || tx.send(()).map_err(|e| StoreError::Failure(e.to_string())));
        assert_eq!(second.wait(), Ok(()));
        assert_eq!(first.wait(), Ok(()));
        assert_eq!(offload.run(|| Ok(41 + 1)).wait(), Ok(42));
    }
}
