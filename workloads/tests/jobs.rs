//! Job arrivals: Poisson submissions against ∫rate, run-time distributions, failure draws, and
//! the CSV job trace on committed files with sums computed by hand (and, for the Alibaba day,
//! by `data/jobs/alibaba_gpu_v2023/convert.py`'s Python).

use std::path::{Path, PathBuf};

use clustersim_workloads::jobs::{
    DurationDist, JobArrival, PoissonArrivals, TaskFailures, TaskRequests, load_job_trace,
    read_job_trace,
};
use clustersim_workloads::traffic::{Shape, ShapeSpec};
use sim::time::{SimDuration, SimTime, UtcInstant};

fn start() -> UtcInstant {
    UtcInstant::parse("2026-11-27T00:00:00Z").unwrap()
}

fn hours(h: u64) -> SimTime {
    SimTime::from_secs(h * 3600)
}

fn shape(text: &str) -> Shape {
    let written: ShapeSpec = ron::from_str(text).unwrap();
    written.validate().unwrap();
    ron::from_str(text).unwrap()
}

fn constant(run_s: u64) -> DurationDist {
    DurationDist::Constant {
        run: SimDuration::from_secs(run_s),
    }
}

fn arrivals(rate: &Shape, end: SimTime, seed: u64) -> Vec<JobArrival> {
    let rng = sim::rng::stream(seed, "jobs/train");
    PoissonArrivals::new(rate.clone(), start(), end, constant(60), rng).collect()
}

/// ∫ rate over [0, end), walking the shape's segments as the traffic model does.
fn integral(rate: &Shape, end: SimTime) -> f64 {
    let (mut t, mut total) = (0u64, 0.0);
    while t < end.as_nanos() {
        let seg = rate.segment(start(), SimTime::from_nanos(t));
        let next = seg
            .until
            .map_or(end.as_nanos(), |u| u.as_nanos().min(end.as_nanos()));
        total += seg.rps * (next - t) as f64 / 1e9;
        t = next;
    }
    total
}

#[test]
fn poisson_arrivals_are_the_same_for_a_seed_and_differ_for_another() {
    let rate = shape(r#"Diurnal(mean_rps: 0.01, amplitude: 0.8, peak_hour: 14)"#);
    let a = arrivals(&rate, hours(48), 7);
    assert!(a.len() > 1000, "{}", a.len());
    assert_eq!(a, arrivals(&rate, hours(48), 7));
    assert_ne!(a, arrivals(&rate, hours(48), 8));
    assert!(a.windows(2).all(|w| w[0].submit <= w[1].submit));
    assert!(a.iter().all(|j| j.submit < hours(48) && j.task.is_none()));
}

#[test]
fn poisson_counts_match_the_integral_of_the_rate() {
    // A count N of a Poisson process has mean and variance Λ = ∫rate; the test allows
    // |N − Λ| < 4√Λ, which a correct sampler misses with probability 6·10⁻⁵ per check.
    let rate = shape(
        r#"Sum([Constant(rps: 0.02),
                Ramp(from: 0, to: 0.1, start: "6h", duration: "12h", step: "10m"),
                Diurnal(mean_rps: 0.03, amplitude: 1, peak_hour: 3, step: "5m")])"#,
    );
    for seed in [1, 2, 3] {
        let end = hours(72);
        let expected = integral(&rate, end);
        // 0.02·259 200 + ramp 0.05·43 200 + 0.1·(259 200 − 64 800) + 0.03·259 200 = 34 560.
        assert!((expected - 34_560.0).abs() < 1e-6, "{expected}");
        let n = arrivals(&rate, end, seed).len() as f64;
        assert!(
            (n - expected).abs() < 4.0 * expected.sqrt(),
            "seed {seed}: {n} arrivals, ∫rate = {expected}"
        );
        // The same bound over the first 6 hours alone (the ramp not started yet).
        let early = integral(&rate, hours(6));
        let m = arrivals(&rate, hours(6), seed).len() as f64;
        assert!((m - early).abs() < 4.0 * early.sqrt(), "{m} vs {early}");
    }
}

#[test]
fn no_job_arrives_while_the_rate_is_zero() {
    // 0 for an hour, then 1 job/s: Λ over two hours is 3 600.
    let rate = shape(r#"Ramp(from: 0, to: 1, start: "1h", duration: "0s")"#);
    let a = arrivals(&rate, hours(2), 11);
    assert!(a.iter().all(|j| j.submit >= hours(1)));
    let n = a.len() as f64;
    assert!((n - 3600.0).abs() < 4.0 * 60.0, "{n}");
    assert!(arrivals(&shape("Constant(rps: 0)"), hours(10), 1).is_empty());
}

fn samples(d: &DurationDist, n: usize) -> Vec<f64> {
    let mut rng = sim::rng::stream(3, "jobs/train");
    (0..n).map(|_| d.sample(&mut rng).as_secs_f64()).collect()
}

#[test]
fn run_times_follow_their_distribution() {
    assert_eq!(samples(&constant(90), 3), vec![90.0; 3]);
    // Exponential, mean 600 s: the sample mean has standard error 600/√n = 3 s for n = 40 000.
    let d = DurationDist::Exponential {
        mean: SimDuration::from_secs(600),
    };
    let x = samples(&d, 40_000);
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    assert!((mean - 600.0).abs() < 12.0, "{mean}");
    assert_eq!(d.mean_s(), 600.0);
    // Log-normal, median 300 s, σ = 1: half the draws below the median (standard error of a
    // proportion: 0.5/√n = 0.0025), and P(X < median·e) = Φ(1) = 0.8413.
    let d = DurationDist::LogNormal {
        median: SimDuration::from_secs(300),
        sigma: 1.0,
    };
    let x = samples(&d, 40_000);
    let below = |v: f64| x.iter().filter(|&&s| s < v).count() as f64 / x.len() as f64;
    assert!((below(300.0) - 0.5).abs() < 0.01, "{}", below(300.0));
    assert!(
        (below(300.0 * std::f64::consts::E) - 0.8413).abs() < 0.01,
        "{}",
        below(300.0 * std::f64::consts::E)
    );
    // Mean median·e^(σ²/2).
    assert!((d.mean_s() - 300.0 * 0.5f64.exp()).abs() < 1e-9);
}

#[test]
fn distributions_refuse_unusable_parameters() {
    let path = |d: DurationDist| d.validate().unwrap_err().path;
    assert_eq!(
        path(DurationDist::LogNormal {
            median: SimDuration::from_secs(1),
            sigma: 5.0
        }),
        "LogNormal.sigma"
    );
    assert_eq!(
        path(DurationDist::Exponential {
            mean: SimDuration::ZERO
        }),
        "Exponential.mean"
    );
    assert_eq!(path(constant(31 * 86_400)), "Constant.run");
    assert!(constant(0).validate().is_ok());
    let parsed: DurationDist = ron::from_str(r#"LogNormal(median: "5m", sigma: 1.2)"#).unwrap();
    assert_eq!(
        parsed,
        DurationDist::LogNormal {
            median: SimDuration::from_secs(300),
            sigma: 1.2
        }
    );
    assert!(ron::from_str::<DurationDist>(r#"Exponential(mean: "1m", cv: 1)"#).is_err());
}

#[test]
fn task_failures_are_drawn_per_job_and_attempt() {
    let run = SimDuration::from_secs(100);
    let f = TaskFailures::new(5, "jobs/train/failures", 0.3);
    let fates: Vec<_> = (0..200u32)
        .flat_map(|j| (0..50u32).map(move |a| (j, a)))
        .map(|(j, a)| f.task(j, a, run))
        .collect();
    // The fraction failing: 0.3 ± 4·√(0.3·0.7/10 000) = 0.3 ± 0.018.
    let failing = fates.iter().filter(|t| t.fails).count() as f64 / fates.len() as f64;
    assert!((failing - 0.3).abs() < 0.018, "{failing}");
    // A failure happens during the run; a success runs it all.
    assert!(
        fates
            .iter()
            .all(|t| t.run <= run && (t.fails || t.run == run))
    );
    // Crashes are uniform over the run: mean fraction 0.5, standard error 0.289/√3 000 ≈ 0.005.
    let crashes: Vec<f64> = fates
        .iter()
        .filter(|t| t.fails)
        .map(|t| t.run.as_secs_f64() / 100.0)
        .collect();
    let mean = crashes.iter().sum::<f64>() / crashes.len() as f64;
    assert!((mean - 0.5).abs() < 0.021, "{mean}");
    // Counter-based: asking in another order gives the same fate.
    assert_eq!(f.task(150, 7, run), fates[150 * 50 + 7]);
    assert_ne!(
        (0..50).map(|a| f.task(0, a, run)).collect::<Vec<_>>(),
        (0..50).map(|a| f.task(1, a, run)).collect::<Vec<_>>()
    );
    assert!(!TaskFailures::never().task(3, 3, run).fails);
    assert!(
        (0..100).all(|a| TaskFailures::new(1, "x", 1.0).task(0, a, run).fails),
        "probability 1 fails every attempt"
    );
}

fn small() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jobs/small_jobs.csv")
}

#[test]
fn the_small_job_trace_reads_with_known_sums() {
    // tests/jobs/small_jobs.csv: 4 jobs (a blank line between rows 3 and 5), run times
    // 60 + 120 + 30 + 0.5 = 210.5 s, cpu 500 + 1000 + 250 + 4000 = 5 750 m, memory
    // 512 + 1024 + 256 + 0.5 = 1 792.5 MiB, gpus 0 + 1 + (empty) 0 + 8 = 9, tasks
    // 1 + 2 + 3 + (empty) 1 = 7; task-seconds 60·1 + 120·2 + 30·3 + 0.5·1 = 390.5.
    let jobs = load_job_trace(&small()).unwrap();
    assert_eq!(jobs.len(), 4);
    let sum = |f: &dyn Fn(&JobArrival) -> f64| jobs.iter().map(f).sum::<f64>();
    assert_eq!(sum(&|j| j.run.as_secs_f64()), 210.5);
    let task = |j: &JobArrival| j.task.unwrap();
    assert_eq!(sum(&|j| task(j).cpu_millis as f64), 5750.0);
    assert_eq!(sum(&|j| task(j).memory_bytes as f64), 1792.5 * 1_048_576.0);
    assert_eq!(sum(&|j| task(j).gpus as f64), 9.0);
    assert_eq!(sum(&|j| j.tasks.unwrap() as f64), 7.0);
    assert_eq!(
        sum(&|j| j.run.as_secs_f64() * j.tasks.unwrap() as f64),
        390.5
    );
    assert_eq!(
        jobs[1],
        JobArrival {
            submit: SimTime::from_nanos(10_500_000_000),
            run: SimDuration::from_secs(120),
            task: Some(TaskRequests {
                cpu_millis: 1000,
                memory_bytes: 1024 * 1_048_576,
                gpus: 1
            }),
            tasks: Some(2),
        }
    );
    assert_eq!(jobs[3].submit, hours(1));
}

#[test]
fn the_bundled_alibaba_day_reads_with_the_sums_of_its_conversion() {
    // Computed from openb_jobs_day130.csv with Python's csv module: 341 jobs (of the day's 350
    // pods, the 9 never scheduled are dropped), Σ duration_s = 982 860, Σ cpu_millis =
    // 3 233 532, Σ memory_mib = 10 725 217, Σ gpus = 341 (299 × 1 + 5 × 8 + 1 × 2), last
    // submission 86 199 s, longest run 67 722 s.
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/jobs/alibaba_gpu_v2023/openb_jobs_day130.csv");
    let jobs = load_job_trace(&file).unwrap();
    assert_eq!(jobs.len(), 341);
    let total = |f: &dyn Fn(&JobArrival) -> u64| jobs.iter().map(f).sum::<u64>();
    assert_eq!(total(&|j| j.run.as_nanos() / 1_000_000_000), 982_860);
    assert_eq!(total(&|j| j.task.unwrap().cpu_millis), 3_233_532);
    assert_eq!(
        total(&|j| j.task.unwrap().memory_bytes),
        10_725_217 * 1_048_576
    );
    assert_eq!(total(&|j| u64::from(j.task.unwrap().gpus)), 341);
    assert_eq!(jobs[340].submit, SimTime::from_secs(86_199));
    assert_eq!(
        jobs.iter().map(|j| j.run).max(),
        Some(SimDuration::from_secs(67_722))
    );
}

#[test]
fn a_bad_row_names_the_file_row_and_column() {
    let dir = std::env::temp_dir().join(format!("clustersim-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(small()).unwrap();
    let bad = dir.join("bad_jobs.csv");
    std::fs::write(&bad, good.replace("10.5,30,250", "10.5,thirty,250")).unwrap();
    let e = load_job_trace(&bad).unwrap_err();
    // Line 5: the header, two rows and a blank line come before it.
    assert_eq!(
        e.to_string(),
        format!(
            "in job trace `{}`, row 5, column 2 (`duration_s`): expected a number, found \"thirty\"",
            bad.display()
        )
    );
    assert_eq!(e.error.row, Some(5));
    let missing = load_job_trace(&dir.join("missing.csv")).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();

    let err = |text: &str| read_job_trace(text).unwrap_err().to_string();
    let h = "submit_s,duration_s,cpu_millis,memory_mib,count\n";
    assert_eq!(
        err(&format!("{h}5,1,1,1,1\n4,1,1,1,1\n")),
        "row 3, column 1 (`submit_s`): expected a time at or after the previous row's 5, found \"4\""
    );
    assert_eq!(
        err(&format!("{h}0,1,1.5,1,1\n")),
        "row 2, column 3 (`cpu_millis`): expected a whole number >= 0, found \"1.5\""
    );
    assert_eq!(
        err(&format!("{h}0,1,1,-1,1\n")),
        "row 2, column 4 (`memory_mib`): expected a finite number >= 0, found \"-1\""
    );
    assert_eq!(
        err(&format!("{h}0,1,1,1,0\n")),
        "row 2, column 5 (`count`): expected at least 1 task, found \"0\""
    );
    assert_eq!(
        err(&format!("{h}0,1,1,1\n")),
        "row 2: expected 5 fields as in the header, found 4"
    );
    assert_eq!(
        err(&format!("{h}0,3000000,1,1,1\n")),
        "row 2, column 2 (`duration_s`): expected at most 30 days (2592000 s), found \"3000000\""
    );
    assert!(err(&format!("{h}0,1,1,\"1\",1\n")).starts_with("row 2: expected plain fields"));
    assert!(err("submit_s,duration_s,cpu_millis\n").starts_with("row 1: no column `memory_mib`"));
}
