//! How the refresh sequence ([`crate::sequence`]) reaches the store and the network: [`Io`],
//! with the blocking driver's implementation, [`Blocking`]. The async driver's is in
//! `tokio_io.rs`.
//!
//! The sequence is written once, as `async` code over [`Io`]. The blocking driver runs it with
//! [`Blocking`], whose futures are ready when made (each call blocks, then returns), so one
//! poll finishes it ([`now_or_never`]); the async driver awaits the HTTP request and runs store
//! calls on tokio's blocking pool. Both therefore take the same decisions in the same order.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tapis_auth_core::{Clock, Error, Pending, StoreError, Transport};

/// A future of an [`Io`] call. Boxed rather than `impl Future`: the sequence's futures must be
/// `Send` for every lifetime, which rustc cannot yet prove through a trait's opaque return
/// types (rust-lang/rust#110338).
pub(crate) type IoFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The I/O the refresh sequence does: store calls and HTTP requests.
///
/// All store calls made through one `Io` run on **one thread**, in order, as in the blocking
/// driver: a store's lock is re-entrant for the thread that holds it (its own `save` takes it
/// again), and a refresh claim may be that lock (the default `Store::claim_refresh`), so what
/// one call takes, the next ones must find on their thread.
pub(crate) trait Io: Sync {
    /// Runs `f`, which calls the store (and may block on a file lock or `fsync`).
    fn store<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
    ) -> IoFuture<'static, Result<R, StoreError>>;

    /// Sends `pending`'s request and finishes it with the response.
    fn send<T: Send + 'static>(&self, pending: Pending<T>) -> IoFuture<'static, Result<T, Error>>;
}

/// The blocking driver's [`Io`]: every call runs on the calling thread, to completion.
pub(crate) struct Blocking<'a> {
    pub(crate) transport: &'a dyn Transport,
    pub(crate) clock: &'a dyn Clock,
}

impl Io for Blocking<'_> {
    fn store<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
    ) -> IoFuture<'static, Result<R, StoreError>> {
        Box::pin(std::future::ready(f()))
    }

    fn send<T: Send + 'static>(&self, pending: Pending<T>) -> IoFuture<'static, Result<T, Error>> {
        Box::pin(std::future::ready(pending.send(self.clock, self.transport)))
    }
}

/// Runs a future whose I/O is all [`Blocking`] to its end: it is ready at the first poll.
pub(crate) fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        // Every `Blocking` future is `Ready`; only a bug could get here.
        Poll::Pending => unreachable!("a blocking call returned a pending future"),
    }
}
