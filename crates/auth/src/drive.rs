//! Driving a core flow over the HTTP transport: the thin loop around `poll`, `Send`, `Prompt`
//! and `WaitUntil`, with cancellation and a deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tapis_auth_core::{Action, Clock, DevicePrompt, Error, Flow, Transport, UnixTime};

/// Runs `flow` to completion: sends its requests, shows its prompt through `on_prompt`,
/// sleeps when it asks to wait (waking every 100 ms to check `cancel`), and stops with
/// [`Error::Cancelled`] when `cancel` is set or `deadline` passes.
pub fn run<F: Flow>(
    flow: &mut F,
    clock: &dyn Clock,
    transport: &dyn Transport,
    on_prompt: &mut dyn FnMut(&DevicePrompt),
    cancel: Option<&AtomicBool>,
    deadline: Option<UnixTime>,
) -> Result<F::Output, Error> {
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    loop {
        if cancelled() {
            return Err(Error::Cancelled);
        }
        let now = clock.now();
        if deadline.is_some_and(|d| now >= d) {
            return Err(Error::DeviceCodeExpired);
        }
        match flow.poll(now)? {
            Action::Send(req) => {
                let resp = transport.send(&req)?;
                flow.handle_response(clock.now(), resp)?;
            }
            Action::Prompt(p) => on_prompt(&p),
            Action::WaitUntil(t) => {
                while clock.now() < t {
                    if cancelled() {
                        return Err(Error::Cancelled);
                    }
                    if deadline.is_some_and(|d| clock.now() >= d) {
                        return Err(Error::DeviceCodeExpired);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            Action::Done(out) => return Ok(out),
        }
    }
}
