//! Seeded faults the simulation applies between a writer and the mock's decision.
//!
//! The mock's own fault injector acts inside its HTTP pipeline, on wall-clock delays; here the
//! simulation owns virtual time, so it decides each request's fate itself and schedules what the
//! writer sees. Request-level faults are drawn per request from a [`FaultPlan`]; the faults that
//! are about other parties are properties of the scenario: a background writer (of a stream), a
//! race (lockstep arrivals, of the network) and the strict mock's legacy race window, which lets
//! two racing puts with the same token both win (of the mock).

use super::rng::SimRng;
use mock_server::ApiError;
use mock_server::ApiResponse;
use std::fmt;

/// What can happen to one request on its way to the decision and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answered `ThrottlingException` without deciding.
    Throttle,
    /// Answered 503 `ServiceUnavailableException` without deciding.
    Unavailable,
    /// Answered 500 `InternalServerException` without deciding.
    Internal,
    /// The connection breaks before the request is committed: the writer sees an unknown outcome
    /// and nothing is stored.
    ResetBeforeCommit,
    /// Decided and committed, then the connection breaks: the writer sees an unknown outcome.
    LostResponse,
    /// The request arrives only after the writer's request timeout: the writer sees the timeout as
    /// an unknown outcome, and the request still commits at its late arrival, before or after the
    /// writer's retry.
    SlowResponse,
}

impl FaultKind {
    /// Every kind, for strategies.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Throttle,
        FaultKind::Unavailable,
        FaultKind::Internal,
        FaultKind::ResetBeforeCommit,
        FaultKind::LostResponse,
        FaultKind::SlowResponse,
    ];

    /// The error answer of a fault that answers without deciding, exactly as the mock sends it.
    pub fn error_answer(self) -> Option<ApiResponse> {
        let error = match self {
            FaultKind::Throttle => ApiError::client("ThrottlingException", "Rate exceeded"),
            FaultKind::Unavailable => {
                ApiError::service_unavailable("The service is unavailable (injected fault)")
            }
            FaultKind::Internal => ApiError {
                status: 500,
                ..ApiError::client(
                    "InternalServerException",
                    "Internal failure (injected fault)",
                )
            },
            FaultKind::ResetBeforeCommit | FaultKind::LostResponse | FaultKind::SlowResponse => {
                return None
            }
        };
        Some(error.into_response())
    }

    fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::Unavailable => "unavailable_503",
            FaultKind::Internal => "internal_500",
            FaultKind::ResetBeforeCommit => "reset_before_commit",
            FaultKind::LostResponse => "lost_response",
            FaultKind::SlowResponse => "slow_response",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One rule: this fault, with this chance per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRule {
    /// What happens when the rule fires.
    pub kind: FaultKind,
    /// Chance per request, in thousandths.
    pub permille: u16,
}

/// The request-level faults of a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultPlan {
    /// Tried in order for every request (every operation); the first that fires wins.
    pub rules: Vec<FaultRule>,
    /// When set, every request gets this fault: a fully failing service.
    pub outage: Option<FaultKind>,
}

impl FaultPlan {
    /// The fault for the next request, if any. Draws once per rule, so the draws a plan makes do
    /// not depend on which rule fired.
    pub fn pick(&self, rng: &mut SimRng) -> Option<FaultKind> {
        let mut fired = None;
        for rule in &self.rules {
            if rng.chance(rule.permille) && fired.is_none() {
                fired = Some(rule.kind);
            }
        }
        self.outage.or(fired)
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(kind) = self.outage {
            return write!(f, "OUTAGE: every call gets {kind}");
        }
        if self.rules.is_empty() {
            return f.write_str("none");
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(
                f,
                "{sep}{} p={:.3}",
                rule.kind,
                f64::from(rule.permille) / 1000.0
            )?;
        }
        Ok(())
    }
}
