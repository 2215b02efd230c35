//! The request pipeline between HTTP and the decision, with the seams other features plug into.
//!
//! Every API request goes through [`Pipeline::handle`] in this order:
//!
//! 1. **Before the decision** — [`Hook::before_decision`] of every hook, in order. A hook can let the
//!    request through, add latency ([`Before::Delay`]), answer in place of the service without
//!    touching the store ([`Before::Respond`]: throttling, injected 5xx) or close the connection
//!    without an answer ([`Before::Reset`]). Nothing has been stored at this point.
//! 2. **The decision** — [`State::decide`], a plain function of (state, request, now), with `now`
//!    read once from the [`Clock`]. It gives the answer together with its own account of what it
//!    stored ([`Decision`]), so that nothing after it has to read the answer back.
//! 3. **After the decision** — [`Hook::after_decision`]. The store has already changed; a hook can
//!    delay the answer ([`After::Delay`], a slow response) or drop it ([`After::Drop`], a response
//!    lost after commit: the client cannot tell whether its put was stored).
//! 4. **Answered** — [`Hook::answered`] sees every answer that is sent, whichever step produced it,
//!    including envelope errors (unknown operation, body too large) built by the server. This is
//!    the one place per-operation statistics are counted.
//!
//! Delays are awaited here, outside every lock: the store's locks are only held inside `decide`.
//! Paths under `/_mock/` never reach this pipeline; the server routes them to the admin API. The
//! pipeline knows hooks only by this trait: which hooks a server runs (throttling, faults, stats)
//! is the server's choice, made where it wires the layers together.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::protocol::envelope::{ApiRequest, ApiResponse};
use crate::service::{Decision, State};

/// What a hook decides before the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Before {
    /// Go on to the next hook and the decision.
    Continue,
    /// Wait this long, then go on.
    Delay(Duration),
    /// Answer with `response` after `delay`, without deciding (nothing is stored).
    Respond {
        /// Time to wait before answering.
        delay: Duration,
        /// The answer.
        response: ApiResponse,
    },
    /// Close the connection without an answer after `delay` (nothing is stored).
    Reset {
        /// Time to wait before closing.
        delay: Duration,
    },
}

/// What a hook decides after the decision has been committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Send the answer.
    Deliver,
    /// Send the answer after this long.
    Delay(Duration),
    /// Close the connection without sending the answer.
    Drop,
}

/// A plug-in of the request pipeline. Every method has a pass-through default.
pub trait Hook: Send + Sync + 'static {
    /// Step 1: called before the decision, with the time the decision will use.
    fn before_decision(&self, request: &ApiRequest, now_ms: i64) -> Before {
        let _ = (request, now_ms);
        Before::Continue
    }

    /// Step 3: called after the decision, which has already changed the store as `decision` says.
    fn after_decision(&self, request: &ApiRequest, decision: &Decision) -> After {
        let _ = (request, decision);
        After::Deliver
    }

    /// Step 4: called for every answer that is sent (not for dropped or reset ones).
    fn answered(&self, request: &ApiRequest, response: &ApiResponse) {
        let _ = (request, response);
    }

    /// Called when the pipeline closes a connection instead of answering (`Reset` or `Drop`).
    fn unanswered(&self, request: &ApiRequest) {
        let _ = request;
    }
}

/// The hooks of one server, run in the order they were added.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    hooks: Vec<Arc<dyn Hook>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("count", &self.hooks.len())
            .finish()
    }
}

impl Hooks {
    /// No hooks.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a hook after the existing ones.
    pub(crate) fn push(&mut self, hook: Arc<dyn Hook>) {
        self.hooks.push(hook);
    }
}

/// How the pipeline ends for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Send this answer.
    Answer(ApiResponse),
    /// Close the connection without an answer.
    Close,
}

/// The state, the clock and the hooks of one server: everything a request needs.
pub(crate) struct Pipeline {
    /// The store and configuration the decision works on.
    pub state: Arc<State>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The plug-ins.
    pub hooks: Hooks,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Runs one API request through steps 1–4.
    pub(crate) async fn handle(&self, request: &ApiRequest) -> Outcome {
        let now = self.clock.now_ms();
        for hook in &self.hooks.hooks {
            match hook.before_decision(request, now) {
                Before::Continue => {}
                Before::Delay(d) => tokio::time::sleep(d).await,
                Before::Respond { delay, response } => {
                    tokio::time::sleep(delay).await;
                    return self.answer(request, response);
                }
                Before::Reset { delay } => {
                    tokio::time::sleep(delay).await;
                    self.unanswered(request);
                    return Outcome::Close;
                }
            }
        }
        let decision = self.state.decision(request, now);
        for hook in &self.hooks.hooks {
            match hook.after_decision(request, &decision) {
                After::Deliver => {}
                After::Delay(d) => tokio::time::sleep(d).await,
                After::Drop => {
                    self.unanswered(request);
                    return Outcome::Close;
                }
            }
        }
        self.answer(request, decision.response)
    }

    /// Step 4 for an answer produced anywhere (also used by the server for envelope errors).
    pub(crate) fn answer(&self, request: &ApiRequest, response: ApiResponse) -> Outcome {
        for hook in &self.hooks.hooks {
            hook.answered(request, &response);
        }
        Outcome::Answer(response)
    }

    fn unanswered(&self, request: &ApiRequest) {
        for hook in &self.hooks.hooks {
            hook.unanswered(request);
        }
    }
}
