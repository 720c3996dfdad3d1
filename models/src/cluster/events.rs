//! The cluster's event log: every placement failure, preemption, eviction, quota refusal and
//! lifecycle step that a user would look for in `kubectl get events`, with its reason.
//!
//! Bounded (TigerStyle: a limit on everything): past [`MAX_EVENTS`] the log keeps counting
//! but stops storing, and the summary says how many were left out.

use serde::{Deserialize, Serialize};

use crate::api::Reason;

/// Events stored per run; a 2.3-million-pod day logs far fewer decisions than this.
pub const MAX_EVENTS: usize = 2_000_000;

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub time_ns: u64,
    pub reason: Reason,
    /// `kind/name`, e.g. `pod/api-us-east1-17` or `node/general-us-3`.
    pub object: String,
    pub message: String,
    /// How many times it happened at this instant: deleting 5 000 pods in one scale-down is one
    /// `Killing` event of count 5 000 on the deployment, as Kubernetes' event correlator folds
    /// repeats into one event with a count (`Event.count`) — a 2.3-million-pod day would
    /// otherwise log millions of identical lines.
    pub count: u32,
}

/// The bounded log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventLog {
    events: Vec<Event>,
    dropped: u64,
}

impl EventLog {
    /// Records an event that happened once; the strings are built only when there is room to
    /// keep them.
    pub fn push(
        &mut self,
        time_ns: u64,
        reason: Reason,
        object: impl FnOnce() -> String,
        message: impl FnOnce() -> String,
    ) {
        self.push_counted(time_ns, reason, 1, object, message);
    }

    /// Records an event that happened `count` times at this instant.
    pub fn push_counted(
        &mut self,
        time_ns: u64,
        reason: Reason,
        count: u32,
        object: impl FnOnce() -> String,
        message: impl FnOnce() -> String,
    ) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(Event {
                time_ns,
                reason,
                object: object(),
                message: message(),
                count,
            });
        } else {
            self.dropped += 1;
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Events counted but not stored.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
