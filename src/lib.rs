//! The input side of clustersim, as a library: the experiment schema, reading it, checking it
//! section by section and resolving it into a `models::run::Plan` ([`input`]), and errors that
//! carry a field path and what was expected ([`error`]), located in RON text by [`locate`];
//! sweep files read and expanded into their runs ([`sweep`]).
//!
//! The `clustersim` binary (`main.rs`) is argument parsing and wiring around it; tests call
//! the checks here directly, without spawning the binary.

pub mod error;
pub mod health;
pub mod input;
pub mod locate;
pub mod service_targets;
pub mod sweep;
