//! The simulation kernel of clustersim: simulated time and durations, resource quantities, named
//! random streams, the columnar recorder and error types.
//!
//! `sim` knows nothing of Kubernetes: it gives the models a vocabulary (a `SimDuration`, a
//! `CpuMillis`, a random stream named by a component path) and a place to put what they
//! observe (`recorder::Table`). It is not a simulator on its own: the models in `models` run on
//! nexosim, and this crate only holds what every model shares.

pub mod quantity;
pub mod recorder;
pub mod rng;
pub mod time;
