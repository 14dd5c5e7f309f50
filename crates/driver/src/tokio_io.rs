//! The async driver's [`Io`]: HTTP awaited through an [`AsyncTransport`]; store calls (file
//! locks, `fsync`, watching another process's claim) on tokio's blocking pool, never on the
//! async workers.
//!
//! One [`TokioIo`] serves one call of the manager (one slow path). Its store calls all run, in
//! order, on one blocking-pool thread, started by the first of them and ended when the
//! `TokioIo` is dropped: a store's lock, and a refresh claim made of it, belong to the thread
//! that took them (see [`Io`]). Between store calls, while the request is in flight, that
//! thread waits for the next call; single flight means one such thread per manager at most.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, OnceLock};

use tapis_auth_core::{AsyncTransport, Clock, Error, Pending, StoreError};
use tokio::sync::oneshot;

use crate::io::{Io, IoFuture};

/// A store call for the store thread.
type Job = Box<dyn FnOnce() + Send>;

/// What a store call on the store thread ends in: its result, or the panic to resume in the
/// caller.
type Outcome<R> = Result<R, Box<dyn Any + Send>>;

/// [`Io`] on tokio, for one call of the manager.
pub(crate) struct TokioIo {
    transport: Arc<dyn AsyncTransport>,
    clock: Arc<dyn Clock>,
    /// The queue of the thread running this call's store calls, once the first one came.
    thread: OnceLock<mpsc::Sender<Job>>,
}

impl TokioIo {
    /// The I/O of one call, sending through `transport`.
    pub(crate) fn new(transport: Arc<dyn AsyncTransport>, clock: Arc<dyn Clock>) -> Self {
        Self {
            transport,
            clock,
            thread: OnceLock::new(),
        }
    }

    /// The store thread's queue, starting the thread on first use. It runs jobs until every
    /// sender is gone (this value dropped).
    fn jobs(&self) -> &mpsc::Sender<Job> {
        self.thread.get_or_init(|| {
            let (jobs, queue) = mpsc::channel::<Job>();
            tokio::task::spawn_blocking(move || queue.into_iter().for_each(|job| job()));
            jobs
        })
    }
}

/// The error when a store call cannot run: the runtime is shutting down.
fn shut_down() -> StoreError {
    StoreError::Unavailable("the async runtime shut down before a store call finished".into())
}

impl Io for TokioIo {
    fn store<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
    ) -> IoFuture<'static, Result<R, StoreError>> {
        let (tx, rx) = oneshot::channel::<Outcome<Result<R, StoreError>>>();
        let queued = self.jobs().send(Box::new(move || {
            drop(tx.send(catch_unwind(AssertUnwindSafe(f))));
        }));
        Box::pin(async move {
            queued.map_err(|_| shut_down())?;
            match rx.await.map_err(|_| shut_down())? {
                Ok(result) => result,
                Err(panic) => resume_unwind(panic),
            }
        })
    }

    fn send<T: Send + 'static>(&self, pending: Pending<T>) -> IoFuture<'static, Result<T, Error>> {
        let (clock, transport) = (self.clock.clone(), self.transport.clone());
        Box::pin(async move { pending.send_async(&*clock, &*transport).await })
    }
}
