//! Kubernetes Job semantics for batch work (issue 5).
