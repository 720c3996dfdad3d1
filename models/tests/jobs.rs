//! Kubernetes Job semantics through `JobController`, with expected timelines computed by hand
//! from upstream's rules (`pkg/controller/job/`: waves of `min(completions − succeeded,
//! parallelism)`, back-off 10 s · 2^(n−1), `failed > backoffLimit`, `activeDeadlineSeconds` from
//! the Job's start, syncs batched 1 s after pod updates), the priority order of the queue, the
//! batch report, and the workload configuration.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::Path;

use clustersim_models::jobs::backoff::{Backoff, backoff_delay};
use clustersim_models::jobs::{
    ActionKind, BatchConfig, BatchReport, FailReason, JobAction, JobController, JobOutcome,
    JobRecord, JobSpec,
};
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::jobs::{TaskFailures, TaskRequests};

fn s(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn spec(name: &str, priority: i32, submit_s: u64) -> JobSpec {
    JobSpec {
        name: name.to_owned(),
        workload: 0,
        index: 0,
        namespace: 0,
        priority,
        submit: s(submit_s),
        run: SimDuration::from_secs(100),
        requests: TaskRequests {
            cpu_millis: 1000,
            memory_bytes: 1 << 30,
            gpus: 0,
        },
        completions: 1,
        parallelism: 1,
        backoff_limit: 6,
        active_deadline: None,
    }
}

/// A stand-in for the `Cluster` model: pods start running the instant they are created (no
/// scheduling, no start-up), end after their `run`, and are gone at once (no grace period).
/// `quota` limits the pods alive per namespace, as a ResourceQuota `pods: n` would.
struct Cluster {
    jc: JobController,
    quota: Option<u32>,
    used: BTreeMap<u32, u32>,
    /// Pod ends: (instant, sequence, job, succeeded).
    ends: BinaryHeap<Reverse<(SimTime, u64, u32, bool)>>,
    seq: u64,
    log: Vec<(SimTime, JobAction)>,
    /// Pod creations: (instant, job).
    created: Vec<(SimTime, u32)>,
}

impl Cluster {
    fn new(jc: JobController, quota: Option<u32>) -> Self {
        Cluster {
            jc,
            quota,
            used: BTreeMap::new(),
            ends: BinaryHeap::new(),
            seq: 0,
            log: Vec::new(),
            created: Vec::new(),
        }
    }

    /// Submits the specs at their instants and runs until nothing is left to do.
    fn run(&mut self, mut specs: Vec<JobSpec>) {
        specs.sort_by_key(|j| j.submit);
        let mut specs = specs.into_iter().peekable();
        loop {
            let next_end = self.ends.peek().map(|Reverse(e)| e.0);
            let next_submit = specs.peek().map(|j| j.submit);
            let Some(t) = [next_end, next_submit, self.jc.next_wake()]
                .into_iter()
                .flatten()
                .min()
            else {
                return;
            };
            while specs.peek().is_some_and(|j| j.submit == t) {
                let spec = specs.next().unwrap();
                self.jc.submit(spec, t);
            }
            let mut freed = Vec::new();
            while let Some(&Reverse((at, _, job, ok))) = self.ends.peek() {
                if at != t {
                    break;
                }
                self.ends.pop();
                self.jc.pod_finished(job, ok, t);
                freed.push(self.release(job, 1));
            }
            for ns in freed {
                self.jc.room_freed(ns, t);
            }
            while self.jc.next_wake() == Some(t) {
                for action in self.jc.poll(t) {
                    self.apply(&action, t);
                    self.log.push((t, action));
                }
            }
        }
    }

    fn release(&mut self, job: u32, n: u32) -> u32 {
        let ns = self.jc.job(job).spec.namespace;
        *self.used.entry(ns).or_default() -= n;
        ns
    }

    fn apply(&mut self, action: &JobAction, t: SimTime) {
        let job = action.job;
        let ns = self.jc.job(job).spec.namespace;
        match &action.kind {
            ActionKind::CreatePods(pods) => {
                let mut refused = 0;
                for pod in pods {
                    let used = self.used.entry(ns).or_default();
                    if self.quota.is_some_and(|q| *used >= q) {
                        refused += 1;
                        continue;
                    }
                    *used += 1;
                    self.created.push((t, job));
                    self.jc.pod_running(job, t);
                    self.seq += 1;
                    self.ends
                        .push(Reverse((t + pod.run, self.seq, job, !pod.fails)));
                }
                if refused > 0 {
                    self.jc.pods_refused(job, refused);
                }
            }
            ActionKind::DeleteActivePods(n) => {
                let before = self.ends.len();
                self.ends.retain(|Reverse(e)| e.2 != job);
                assert_eq!(before - self.ends.len(), *n as usize);
                self.release(job, *n);
                self.jc.room_freed(ns, t);
            }
            ActionKind::Finished(_) => {}
        }
    }

    /// (instant, pods) of each `CreatePods`.
    fn waves(&self) -> Vec<(SimTime, usize)> {
        self.log
            .iter()
            .filter_map(|(t, a)| match &a.kind {
                ActionKind::CreatePods(p) => Some((*t, p.len())),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn completions_5_parallelism_2_run_in_waves_of_2_2_1() {
    // wantActive = min(completions − succeeded, parallelism): min(5, 2) = 2 at 0 s; both pods
    // succeed at 100 s, the batched sync at 101 s sees succeeded 2: min(3, 2) = 2; they end at
    // 201 s, sync at 202 s: min(1, 2) = 1; it ends at 302 s, and the sync at 303 s completes.
    let mut job = spec("train-0", 0, 0);
    job.completions = 5;
    job.parallelism = 2;
    let mut c = Cluster::new(JobController::new(vec![TaskFailures::never()]), None);
    c.run(vec![job]);
    assert_eq!(c.waves(), vec![(s(0), 2), (s(101), 2), (s(202), 1)]);
    let (t, last) = c.log.last().unwrap();
    assert_eq!(
        (*t, &last.kind, last.reason),
        (
            s(303),
            &ActionKind::Finished(JobOutcome::Complete),
            "Completed"
        )
    );
    let r = &c.jc.records()[0];
    assert_eq!((r.succeeded, r.failed, r.first_running), (5, 0, Some(s(0))));
    assert_eq!(r.finished, Some(s(303)));
}

#[test]
fn a_pod_failing_7_times_fails_the_job_at_the_7th_failure_after_backoffs_10_to_320_s() {
    // Every attempt fails (probability 1), each at a random point of its 100 s run. With
    // backoffLimit 6, failures 1…6 leave failed ≤ 6 and the replacement waits 10·2^(n−1) s
    // after the n-th failure; the 7th makes failed = 7 > 6 and the sync 1 s later fails the Job.
    let failing = TaskFailures::new(42, "jobs/flaky/failures", 1.0);
    let mut c = Cluster::new(JobController::new(vec![failing]), None);
    c.run(vec![spec("flaky-0", 0, 0)]);
    assert_eq!(c.created.len(), 7);
    let failures: Vec<SimTime> = c
        .log
        .iter()
        .filter(|(_, a)| matches!(a.kind, ActionKind::CreatePods(_)))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(failures.len(), 7);
    let ends: Vec<SimTime> = {
        // Replay the draws: attempt k runs 100 s · U_k from its creation.
        let f = TaskFailures::new(42, "jobs/flaky/failures", 1.0);
        failures
            .iter()
            .enumerate()
            .map(|(k, &t)| t + f.task(0, k as u32, SimDuration::from_secs(100)).run)
            .collect()
    };
    let gaps: Vec<f64> = (1..7)
        .map(|k| {
            failures[k]
                .saturating_duration_since(ends[k - 1])
                .as_secs_f64()
        })
        .collect();
    assert_eq!(gaps, vec![10.0, 20.0, 40.0, 80.0, 160.0, 320.0]);
    let (t, last) = c.log.last().unwrap();
    assert_eq!(*t, ends[6] + SimDuration::from_secs(1));
    assert_eq!(
        (&last.kind, last.reason),
        (
            &ActionKind::Finished(JobOutcome::Failed(FailReason::BackoffLimitExceeded)),
            "BackoffLimitExceeded"
        )
    );
    let r = &c.jc.records()[0];
    assert_eq!((r.succeeded, r.failed), (0, 7));
}

#[test]
fn backoff_doubles_from_10_s_to_a_10_minute_cap_and_resets_on_success() {
    let delays: Vec<u64> = (0..=8)
        .map(|n| backoff_delay(n).as_nanos() / 1_000_000_000)
        .collect();
    // 10·2^(n−1): 10, 20, 40, 80, 160, 320, then 640 is over MaxJobPodFailureBackOff (600 s).
    assert_eq!(delays, vec![0, 10, 20, 40, 80, 160, 320, 600, 600]);
    let mut b = Backoff::default();
    b.pod_failed(s(0));
    assert_eq!(b.remaining(s(4)), SimDuration::from_secs(6));
    b.pod_failed(s(10));
    assert_eq!(b.remaining(s(10)), SimDuration::from_secs(20));
    assert_eq!(b.remaining(s(31)), SimDuration::ZERO);
    b.pod_succeeded(s(40));
    assert_eq!(b.remaining(s(40)), SimDuration::ZERO);
    // A failure at the instant of the success does not count (`!failedTime.After(...)`).
    b.pod_failed(s(40));
    assert_eq!(b.remaining(s(40)), SimDuration::ZERO);
    b.pod_failed(s(50));
    assert_eq!(b.remaining(s(50)), SimDuration::from_secs(10));
}

#[test]
fn active_deadline_fails_the_job_and_deletes_its_running_pods() {
    // Two 100 s pods (parallelism 2, completions 4) start at 10 s and end at 110 s; the sync at
    // 111 s starts two more; the deadline, 150 s after the submission at 10 s, is 160 s: both
    // are deleted then and the Job fails with DeadlineExceeded.
    let mut job = spec("late-0", 0, 10);
    job.completions = 4;
    job.parallelism = 2;
    job.active_deadline = Some(SimDuration::from_secs(150));
    let mut c = Cluster::new(JobController::new(vec![TaskFailures::never()]), None);
    c.run(vec![job]);
    assert_eq!(c.waves(), vec![(s(10), 2), (s(111), 2)]);
    let tail: Vec<(SimTime, &ActionKind, &str)> = c.log[2..]
        .iter()
        .map(|(t, a)| (*t, &a.kind, a.reason))
        .collect();
    assert_eq!(
        tail,
        vec![
            (s(160), &ActionKind::DeleteActivePods(2), "SuccessfulDelete"),
            (
                s(160),
                &ActionKind::Finished(JobOutcome::Failed(FailReason::DeadlineExceeded)),
                "DeadlineExceeded"
            ),
        ]
    );
    let r = &c.jc.records()[0];
    // The deleted pods count as failed.
    assert_eq!((r.succeeded, r.failed, r.finished), (2, 2, Some(s(160))));
    assert!(c.ends.is_empty());
}

#[test]
fn jobs_behind_a_full_quota_start_in_priority_then_submission_order() {
    // Quota: one pod in the namespace. `first` takes it at 0 s and holds it until 100 s. The
    // others are refused and queue: by priority (high 10 before low 0), then submission.
    // Expected starts: first 0 s; then one per 100 s, each right at the previous end:
    // high-b (prio 10, submitted 2 s) 100 s, high-a (10, 3 s) 200 s, low-a (0, 1 s) 300 s,
    // low-b (0, 4 s) 400 s.
    let mut specs = vec![
        spec("first", 0, 0),
        spec("low-a", 0, 1),
        spec("high-b", 10, 2),
        spec("high-a", 10, 3),
        spec("low-b", 0, 4),
    ];
    for (i, j) in specs.iter_mut().enumerate() {
        j.index = i as u32;
    }
    let mut c = Cluster::new(JobController::new(vec![TaskFailures::never()]), Some(1));
    c.run(specs);
    let starts: Vec<(SimTime, String)> = c
        .created
        .iter()
        .map(|&(t, j)| (t, c.jc.job(j).spec.name.clone()))
        .collect();
    let expected: Vec<(SimTime, String)> = [
        (0, "first"),
        (100, "high-b"),
        (200, "high-a"),
        (300, "low-a"),
        (400, "low-b"),
    ]
    .iter()
    .map(|&(t, n)| (s(t), n.to_owned()))
    .collect();
    assert_eq!(starts, expected);
    let report = BatchReport::from_records(&c.jc.records());
    // Waits 0, 98, 197, 299, 396 s: mean 198, nearest-rank p50 = 3rd = 197, p95 = 5th = 396.
    assert_eq!(report.wait_mean_s, Some(198.0));
    assert_eq!(report.wait_p50_s, Some(197.0));
    assert_eq!(report.wait_p95_s, Some(396.0));
    // Each completes 1 s after its pod: the last at 501 s, submitted from 0 s.
    assert_eq!(report.makespan_s, Some(501.0));
    assert_eq!(report.completed, 5);
}

#[test]
fn a_deadline_counts_the_time_spent_waiting_for_quota() {
    // `hog` holds the only pod slot for 100 s; `waiter` (deadline 50 s after submission at 1 s)
    // never starts: it fails at 51 s with DeadlineExceeded, with no pod to delete.
    let hog = spec("hog", 0, 0);
    let mut waiter = spec("waiter", 0, 1);
    waiter.active_deadline = Some(SimDuration::from_secs(50));
    let mut c = Cluster::new(JobController::new(vec![TaskFailures::never()]), Some(1));
    c.run(vec![hog, waiter]);
    let records = c.jc.records();
    assert_eq!(records[1].first_running, None);
    assert_eq!(records[1].finished, Some(s(51)));
    let report = BatchReport::from_records(&records);
    assert_eq!(
        (
            report.deadline_misses,
            report.never_started,
            report.completed
        ),
        (1, 1, 1)
    );
    assert_eq!(report.wait_mean_s, Some(0.0));
}

#[test]
fn the_report_follows_its_records() {
    let record = |submit: u64, running: Option<u64>, end: Option<u64>, outcome| JobRecord {
        name: "x".into(),
        workload: 0,
        submit: s(submit),
        first_running: running.map(s),
        finished: end.map(s),
        outcome,
        succeeded: 0,
        failed: 0,
    };
    let done = Some(JobOutcome::Complete);
    let mut records = vec![
        record(0, Some(0), Some(50), done),
        record(5, Some(15), Some(40), done),
        record(10, Some(30), Some(300), done),
        record(20, Some(120), Some(130), done),
    ];
    // Waits 0, 10, 20, 100: mean 32.5, p50 = ⌈0.5·4⌉ = 2nd = 10, p95 = ⌈3.8⌉ = 4th = 100.
    // Runs 50, 25, 270, 10: mean 88.75. Makespan 300 − 0.
    let r = BatchReport::from_records(&records);
    assert_eq!(
        (r.wait_mean_s, r.wait_p50_s, r.wait_p95_s),
        (Some(32.5), Some(10.0), Some(100.0))
    );
    assert_eq!((r.run_mean_s, r.makespan_s), (Some(88.75), Some(300.0)));
    records.push(record(400, None, None, None));
    let r = BatchReport::from_records(&records);
    assert_eq!((r.unfinished, r.never_started, r.makespan_s), (1, 1, None));
    assert_eq!(BatchReport::from_records(&[]).wait_p50_s, None);
}

fn config(json: &str) -> BatchConfig {
    serde_json::from_str(json).unwrap()
}

#[test]
fn a_batch_workload_defaults_like_kubernetes_and_checks_its_fields() {
    let c = config(
        r#"{"name": "train",
            "arrivals": {"Poisson": {"rate": {"Constant": {"rps": 0.01}},
                                     "duration": {"Constant": {"run": "10m"}}}},
            "requests": {"cpu": "500m", "memory": "1Gi"}}"#,
    );
    c.validate().unwrap();
    // SetDefaults_Job: backoffLimit 6; parallelism and completions 1 (in `spec`).
    assert_eq!(
        (c.backoff_limit, c.namespace.as_str(), c.active_deadline),
        (6, "default", None)
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let start = UtcInstant::parse("2026-11-27T00:00:00Z").unwrap();
    let day = SimDuration::from_secs(86_400);
    let a = c.arrivals(base, start, day, 7).unwrap();
    assert_eq!(a, c.arrivals(base, start, day, 7).unwrap());
    // 864 jobs expected in a day; 4σ ≈ 118.
    assert!((a.len() as f64 - 864.0).abs() < 118.0, "{}", a.len());
    let j = c.spec(2, 3, 100, 17, &a[17]);
    assert_eq!(
        (
            j.name.as_str(),
            j.workload,
            j.namespace,
            j.priority,
            j.index
        ),
        ("train-17", 2, 3, 100, 17)
    );
    assert_eq!((j.completions, j.parallelism, j.backoff_limit), (1, 1, 6));
    assert_eq!(j.run, SimDuration::from_secs(600));
    assert_eq!(j.requests.cpu_millis, 500);

    let path = |json: &str| config(json).validate().unwrap_err().path;
    let poisson = r#""arrivals": {"Poisson": {"rate": {"Sum": [{"Constant": {"rps": 1}}, {"Constant": {"rps": -1}}]},
                                              "duration": {"Constant": {"run": "1m"}}}}"#;
    assert_eq!(
        path(&format!(
            r#"{{"name": "a", {poisson}, "requests": {{"cpu": "1", "memory": "1Gi"}}}}"#
        )),
        "arrivals.Poisson.rate.Sum[1].Constant.rps"
    );
    let ok_rate = r#""arrivals": {"Poisson": {"rate": {"Constant": {"rps": 1}},
                                  "duration": {"LogNormal": {"median": "1m", "sigma": 9}}}}"#;
    assert_eq!(
        path(&format!(r#"{{"name": "a", {ok_rate}}}"#)),
        "arrivals.Poisson.duration.LogNormal.sigma"
    );
    let trace = r#""arrivals": {"Trace": {"file": "jobs.csv"}}"#;
    assert_eq!(
        path(&format!(r#"{{"name": "a", {trace}, "completions": 3}}"#)),
        "completions"
    );
    assert_eq!(
        path(&format!(
            r#"{{"name": "a", {trace}, "failure_probability": 1.5}}"#
        )),
        "failure_probability"
    );
    assert_eq!(
        path(&format!(r#"{{"name": "a", {trace}, "parallelism": 0}}"#)),
        "parallelism"
    );
    assert_eq!(path(&format!(r#"{{"name": "Train", {trace}}}"#)), "name");
    assert_eq!(
        path(&format!(
            r#"{{"name": "a", {trace}, "active_deadline": "0s"}}"#
        )),
        "active_deadline"
    );
    let unknown = serde_json::from_str::<BatchConfig>(&format!(
        r#"{{"name": "a", {trace}, "backofflimit": 3}}"#
    ));
    assert!(unknown.unwrap_err().to_string().contains("backofflimit"));
}

#[test]
fn trace_arrivals_give_each_job_its_row() {
    // workloads/tests/jobs/small_jobs.csv: submissions at 0, 10.5, 10.5 and 3 600 s. From
    // `start_offset` 10 s the first is skipped and the others move 10 s earlier, to 0.5, 0.5 and
    // 3 590 s; a run of 3 590 s keeps those before its end: the two at 0.5 s.
    let c = config(
        r#"{"name": "replay", "namespace": "batch",
            "arrivals": {"Trace": {"file": "../workloads/tests/jobs/small_jobs.csv", "start_offset": "10s"}}}"#,
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let start = UtcInstant::parse("2026-11-27T00:00:00Z").unwrap();
    let a = c
        .arrivals(base, start, SimDuration::from_secs(3590), 1)
        .unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].submit, SimTime::from_nanos(500_000_000));
    let j = c.spec(0, 0, 0, 1, &a[1]);
    // The third row: 3 pods of 30 s, 250 m and 256 MiB, all at once.
    assert_eq!((j.completions, j.parallelism), (3, 3));
    assert_eq!(
        (j.run, j.requests.cpu_millis, j.requests.memory_bytes),
        (SimDuration::from_secs(30), 250, 256 << 20)
    );
    let bad = config(r#"{"name": "replay", "arrivals": {"Trace": {"file": "nope.csv"}}}"#);
    let e = bad
        .arrivals(base, start, SimDuration::from_secs(60), 1)
        .unwrap_err();
    assert_eq!(e.path, "arrivals.Trace.file");
    assert!(e.message.starts_with("in job trace"), "{}", e.message);
}

#[test]
fn the_alibaba_day_runs_through_an_unlimited_cluster_in_closed_form() {
    // With room for every pod, Job i runs at once and completes 1 s (the batched sync) after
    // its single pod: waits are all 0 and the makespan is max(submit + run) + 1 s − first submit.
    let c = config(
        r#"{"name": "openb", "arrivals": {"Trace": {"file": "../data/jobs/alibaba_gpu_v2023/openb_jobs_day130.csv"}}}"#,
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let start = UtcInstant::parse("2026-11-27T00:00:00Z").unwrap();
    let arrivals = c
        .arrivals(base, start, SimDuration::from_secs(86_400), 1)
        .unwrap();
    assert_eq!(arrivals.len(), 341);
    let specs: Vec<JobSpec> = arrivals
        .iter()
        .enumerate()
        .map(|(i, a)| c.spec(0, 0, 0, i as u32, a))
        .collect();
    let mut cluster = Cluster::new(JobController::new(vec![c.failures(1)]), None);
    cluster.run(specs);
    let report = BatchReport::from_records(&cluster.jc.records());
    assert_eq!((report.completed, report.wait_p95_s), (341, Some(0.0)));
    let last_end = arrivals.iter().map(|a| a.submit + a.run).max().unwrap();
    let expected = (last_end + SimDuration::from_secs(1))
        .saturating_duration_since(arrivals[0].submit)
        .as_secs_f64();
    assert_eq!(report.makespan_s, Some(expected));
    // Mean run = mean duration + 1 s = 982 860 / 341 + 1.
    let run_mean = report.run_mean_s.unwrap();
    assert!(
        (run_mean - (982_860.0 / 341.0 + 1.0)).abs() < 1e-9,
        "{run_mean}"
    );
}
