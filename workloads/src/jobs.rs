//! Batch job arrivals: Poisson with a rate shape, or a trace of submissions.
