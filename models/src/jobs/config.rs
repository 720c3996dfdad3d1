//! A `batch` workload of an experiment, as written: where its Jobs come from and what each Job
//! is, e.g.
//!
//! ```ron
//! (name: "train", namespace: "batch", priority_class: "batch-low",
//!  arrivals: Poisson(rate: Constant(rps: 0.01), duration: LogNormal(median: "10m", sigma: 1)),
//!  requests: (cpu: "2", memory: "4Gi"), parallelism: 2, completions: 5,
//!  active_deadline: "2h", failure_probability: 0.05)
//! (name: "report", requests: (cpu: "1", memory: "2Gi"),
//!  arrivals: Schedule(cron: "0 2 * * *", time_zone: "Europe/Paris",
//!                     duration: Constant(run: "10m")))
//! ```
//!
//! Defaults, with their source:
//! - `parallelism` 1, `completions` 1, `backoff_limit` 6: `SetDefaults_Job`
//!   (`kubernetes/kubernetes`, `pkg/apis/batch/v1/defaults.go` at
//!   045bbb192caa3d04b3aaa5b20fd9989ce11996fa). Upstream leaves `completions` unset when only
//!   `parallelism` is given (a work-queue Job, done when any pod succeeds); clustersim models
//!   NonIndexed Jobs with a completion count only, so it defaults to 1 either way.
//! - `active_deadline`: none (`activeDeadlineSeconds` has no default).
//! - `namespace` "default", `priority_class` none (the experiment's global default, else 0), as
//!   for services.
//! - `failure_probability` 0: not a Kubernetes setting; the chance that a pod fails
//!   ([`workloads::jobs::failures`]).
//!
//! `Schedule` arrivals are a CronJob's: one Job at each time the `cron` pattern fires
//! ([`super::schedule`] has the semantics and their upstream source).
//!
//! With `Trace` arrivals each row gives the Job's requests (`cpu_millis`, `memory_mib`) and its
//! pod count (`count`), which is both its `completions` and its `parallelism` (the trace's
//! tasks ran together): `requests`, `gpus`, `completions` and `parallelism` are then refused.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::jobs::{
    DurationDist, FieldError, JobArrival, PoissonArrivals, TaskFailures, TaskRequests,
    load_job_trace,
};
use workloads::traffic::{ShapeSpec, TimeZone};

use super::job::JobSpec;
use super::schedule::schedule_arrivals;
use crate::config::Resources;
use crate::cron::CronPattern;

/// `completions` and `parallelism`, at most (a limit of clustersim).
pub const MAX_PODS_PER_JOB: u32 = 100_000;
/// `backoff_limit`, at most (a limit of clustersim: pod attempts of a Job stay below 2³²).
pub const MAX_BACKOFF_LIMIT: u32 = 1_000_000;
/// Jobs one workload submits in a run, at most.
pub const MAX_JOBS_PER_WORKLOAD: usize = 1_000_000;

/// One `batch` workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Lowercase letters, digits and `-` (an RFC 1123 label, as Job names); names its Jobs
    /// (`<name>-<index>`) and its random streams (`jobs/<name>`).
    pub name: String,
    /// Region whose node pools run its pods (those without taints). Default: the first region
    /// of the experiment.
    #[serde(default)]
    pub region: Option<String>,
    /// Default "default".
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Name of a PriorityClass of the experiment, for its Jobs' queue order and its pods.
    #[serde(default)]
    pub priority_class: Option<String>,
    pub arrivals: Arrivals,
    /// Requests of each pod; required with `Poisson` and `Schedule` arrivals.
    #[serde(default)]
    pub requests: Option<Resources>,
    /// Whole GPUs (`nvidia.com/gpu`) each pod requests, with `Poisson` or `Schedule` arrivals
    /// (a trace's rows bring their own). Default 0.
    #[serde(default)]
    pub gpus: Option<u32>,
    /// Pods running at once, at most. Default 1.
    #[serde(default)]
    pub parallelism: Option<u32>,
    /// Pods that must succeed. Default 1.
    #[serde(default)]
    pub completions: Option<u32>,
    /// Pod failures tolerated; the next one fails the Job. Default 6.
    #[serde(default = "default_backoff_limit")]
    pub backoff_limit: u32,
    /// `activeDeadlineSeconds`: time from submission after which the Job fails. Default none.
    #[serde(default)]
    pub active_deadline: Option<SimDuration>,
    /// Chance that a pod fails, in [0, 1]. Default 0.
    #[serde(default)]
    pub failure_probability: f64,
    /// A Kueue LocalQueue of its namespace (`kueue.local_queues`; Kueue's
    /// `kueue.x-k8s.io/queue-name` label): its Jobs wait suspended until their ClusterQueue
    /// admits them whole. Default none: Jobs start at once.
    #[serde(default)]
    pub queue: Option<String>,
    /// Users its Jobs are submitted by, in turn (Job `i` by user `i mod users`), for a
    /// ClusterQueue's `max_admitted_per_user`. Default 1.
    #[serde(default)]
    pub users: Option<u32>,
}

/// Where a workload's Jobs come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Arrivals {
    /// A Poisson process with `rate` in Jobs per second (any traffic shape), each Job's pods
    /// running a `duration` drawn per Job.
    Poisson {
        rate: ShapeSpec,
        duration: DurationDist,
    },
    /// Submissions read from a CSV job trace (`workloads::jobs::csv`), relative to the
    /// experiment file's directory; rows submitted before `start_offset` are skipped and the
    /// rest shifted by it. Default offset 0.
    Trace {
        file: String,
        #[serde(default)]
        start_offset: SimDuration,
    },
    /// A CronJob's: one Job at each time `cron` fires in `time_zone` (an IANA name, default
    /// "UTC") after the run's start up to its end, each Job's pods running a `duration` drawn
    /// per Job.
    Schedule {
        cron: String,
        #[serde(default = "utc")]
        time_zone: TimeZone,
        duration: DurationDist,
    },
}

fn utc() -> TimeZone {
    TimeZone::UTC
}

fn default_namespace() -> String {
    "default".to_owned()
}

fn default_backoff_limit() -> u32 {
    6
}

fn fail<T>(path: &str, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        path: path.to_owned(),
        message: message.into(),
    })
}

fn is_label(name: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| ok(c) || c == '-')
        && name.starts_with(ok)
        && name.ends_with(ok)
}

impl BatchConfig {
    /// Checks what the deserializer cannot; error paths are relative to the workload entry
    /// (`arrivals.Poisson.rate.Sum[1].Constant.rps`, `parallelism`).
    pub fn validate(&self) -> Result<(), FieldError> {
        if !is_label(&self.name) {
            return fail(
                "name",
                "expected lowercase letters, digits and `-`, starting and ending with a letter \
                 or digit, at most 63 characters, such as \"train\"",
            );
        }
        if self.namespace.trim().is_empty() {
            return fail("namespace", "expected a namespace name");
        }
        match &self.arrivals {
            Arrivals::Poisson { rate, duration } => {
                rate.validate().map_err(|e| FieldError {
                    path: join("arrivals.Poisson.rate", &e.path),
                    message: e.message,
                })?;
                duration.validate().map_err(|e| FieldError {
                    path: join("arrivals.Poisson.duration", &e.path),
                    message: e.message,
                })?;
            }
            Arrivals::Schedule { cron, duration, .. } => {
                CronPattern::parse(cron).map_err(|message| FieldError {
                    path: "arrivals.Schedule.cron".to_owned(),
                    message,
                })?;
                duration.validate().map_err(|e| FieldError {
                    path: join("arrivals.Schedule.duration", &e.path),
                    message: e.message,
                })?;
            }
            Arrivals::Trace { file, .. } => {
                if file.trim().is_empty() {
                    return fail(
                        "arrivals.Trace.file",
                        "expected the path of a CSV job trace",
                    );
                }
                let from_rows = [
                    (
                        "requests",
                        self.requests.is_some(),
                        "`cpu_millis` and `memory_mib`",
                    ),
                    ("gpus", self.gpus.is_some(), "`gpus`"),
                    ("completions", self.completions.is_some(), "`count`"),
                    ("parallelism", self.parallelism.is_some(), "`count`"),
                ];
                if let Some((field, _, columns)) = from_rows.iter().find(|f| f.1) {
                    return fail(
                        field,
                        format!("set by each trace row ({columns}): expected no `{field}` here"),
                    );
                }
            }
        }
        if !matches!(self.arrivals, Arrivals::Trace { .. }) && self.requests.is_none() {
            return fail(
                "requests",
                "expected the requests of each pod, such as (cpu: \"1\", memory: \"2Gi\")",
            );
        }
        for (field, value) in [
            ("parallelism", self.parallelism),
            ("completions", self.completions),
        ] {
            if let Some(v) = value
                && !(1..=MAX_PODS_PER_JOB).contains(&v)
            {
                return fail(
                    field,
                    format!("expected a whole number from 1 to {MAX_PODS_PER_JOB}"),
                );
            }
        }
        if self.backoff_limit > MAX_BACKOFF_LIMIT {
            return fail(
                "backoff_limit",
                format!("expected at most {MAX_BACKOFF_LIMIT}"),
            );
        }
        if self.active_deadline.is_some_and(SimDuration::is_zero) {
            return fail(
                "active_deadline",
                "expected a positive duration such as \"2h\"",
            );
        }
        if !(0.0..=1.0).contains(&self.failure_probability) {
            return fail(
                "failure_probability",
                "expected a probability between 0 and 1, such as 0.05",
            );
        }
        Ok(())
    }

    /// The workload's Jobs submitted in `[0, duration)` (a `Schedule`'s in `(0, duration]`):
    /// drawn from the stream `sim::rng::stream(seed, "jobs/<name>")` (noise in the rate from
    /// `"jobs/<name>/rate"`), at the schedule's firings, or read from the trace, whose path is
    /// relative to `base_dir`. Validates first.
    pub fn arrivals(
        &self,
        base_dir: &Path,
        start: UtcInstant,
        duration: SimDuration,
        seed: u64,
    ) -> Result<Vec<JobArrival>, FieldError> {
        self.validate()?;
        let end = SimTime::ZERO + duration;
        let jobs: Vec<JobArrival> = match &self.arrivals {
            Arrivals::Poisson { rate, duration: d } => {
                let rate = rate
                    .resolve(base_dir, duration)
                    .map_err(|e| FieldError {
                        path: join("arrivals.Poisson.rate", &e.path),
                        message: e.message,
                    })?
                    .seeded(seed, &format!("jobs/{}/rate", self.name));
                let rng = sim::rng::stream(seed, &format!("jobs/{}", self.name));
                PoissonArrivals::new(rate, start, end, d.clone(), rng)
                    .take(MAX_JOBS_PER_WORKLOAD + 1)
                    .collect()
            }
            Arrivals::Schedule {
                cron,
                time_zone,
                duration: d,
            } => {
                let rng = sim::rng::stream(seed, &format!("jobs/{}", self.name));
                schedule_arrivals(cron, *time_zone, d, start, duration, rng).map_err(|message| {
                    FieldError {
                        path: "arrivals.Schedule.cron".to_owned(),
                        message,
                    }
                })?
            }
            Arrivals::Trace { file, start_offset } => {
                let rows = load_job_trace(&base_dir.join(file)).map_err(|e| FieldError {
                    path: "arrivals.Trace.file".to_owned(),
                    message: e.to_string(),
                })?;
                let offset = start_offset.as_nanos();
                rows.into_iter()
                    .filter(|j| j.submit.as_nanos() >= offset)
                    .map(|j| JobArrival {
                        submit: SimTime::from_nanos(j.submit.as_nanos() - offset),
                        ..j
                    })
                    .take_while(|j| j.submit < end)
                    .collect()
            }
        };
        if jobs.len() > MAX_JOBS_PER_WORKLOAD {
            return fail(
                "arrivals",
                format!(
                    "more than {MAX_JOBS_PER_WORKLOAD} jobs in the run: expected a lower rate \
                     or a shorter run"
                ),
            );
        }
        Ok(jobs)
    }

    /// The failure draws of the workload's pods: stream `"jobs/<name>/failures"`.
    pub fn failures(&self, seed: u64) -> TaskFailures {
        TaskFailures::new(
            seed,
            &format!("jobs/{}/failures", self.name),
            self.failure_probability,
        )
    }

    /// Job `index` of this workload (its `index`-th arrival), workload number `workload`, in the
    /// cluster's namespace `namespace`, with its PriorityClass's value `priority`.
    pub fn spec(
        &self,
        workload: u32,
        namespace: u32,
        priority: i32,
        index: u32,
        arrival: &JobArrival,
    ) -> JobSpec {
        let requests = arrival.task.unwrap_or(TaskRequests {
            cpu_millis: self.requests.map_or(0, |r| r.cpu.0),
            memory_bytes: self.requests.map_or(0, |r| r.memory.0),
            gpus: self.gpus.unwrap_or(0),
        });
        let (completions, parallelism) = match arrival.tasks {
            Some(n) => (n, n),
            None => (self.completions.unwrap_or(1), self.parallelism.unwrap_or(1)),
        };
        JobSpec {
            name: format!("{}-{index}", self.name),
            workload,
            index,
            namespace,
            priority,
            submit: arrival.submit,
            run: arrival.run,
            requests,
            completions,
            parallelism,
            backoff_limit: self.backoff_limit,
            active_deadline: self.active_deadline,
        }
    }
}

/// `base.path`, or `base` for an empty path.
fn join(base: &str, path: &str) -> String {
    if path.is_empty() {
        base.to_owned()
    } else {
        format!("{base}.{path}")
    }
}
