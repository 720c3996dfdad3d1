//! `manifests:` inside an experiment (issue 23): entries that write only what no manifest can
//! tell, each against the same experiment written out in full by hand; and the errors when a
//! field is still missing once the manifests are in (exit 2, at the entry, nothing written).

mod common;

use std::fs;
use std::path::Path;

use common::{clustersim, text};

/// A Deployment `api` in namespace `shop`: 3 replicas of 250m / 256Mi, limits 500m / 512Mi,
/// readiness 15 s, grace 20 s, and a PDB of min 2.
const API: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      terminationGracePeriodSeconds: 20
      containers:
        - name: api
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              cpu: 500m
              memory: 512Mi
          readinessProbe:
            initialDelaySeconds: 15
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: api
";

/// The experiment around `services` (and `extra` top-level fields), reading `k8s/` when
/// `manifests` is set.
fn experiment(manifests: bool, services: &str, extra: &str) -> String {
    let manifests = if manifests {
        "    manifests: [\"k8s\"],\n"
    } else {
        ""
    };
    format!(
        "// t\nExperiment(
    name: \"t\",
    duration: \"1h\",
{manifests}    regions: [(name: \"us-east1\", zones: [\"us-east1-b\"])],
    node_pools: [(name: \"p\", region: \"us-east1\", instance_type: \"e2-standard-4\", nodes: 2)],
    services: [{services}],
{extra})
"
    )
}

/// A folder with `k8s/m.yaml` holding `yaml`.
fn with_manifest(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("k8s")).unwrap();
    fs::write(dir.path().join("k8s/m.yaml"), yaml).unwrap();
    dir
}

/// Runs `src` written as `dir/<name>.ron`: its summary without the `description` (the file's
/// opening comment).
fn summary(dir: &Path, name: &str, src: &str) -> serde_json::Value {
    let file = dir.join(format!("{name}.ron"));
    fs::write(&file, src).unwrap();
    let out = dir.join(format!("out-{name}"));
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("description");
    v
}

/// `validate` of `src` written as `dir/x.ron`: it must exit 2; its stderr.
fn refused(dir: &Path, src: &str) -> String {
    let file = dir.join("x.ron");
    fs::write(&file, src).unwrap();
    let out = dir.join("never");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(!out.exists(), "nothing is written");
    err
}

#[test]
fn an_entry_with_only_traffic_and_capacity_runs_as_the_entry_written_in_full() {
    let dir = with_manifest(API);
    let partial = experiment(
        true,
        "(name: \"api\", capacity_rps: 100, traffic: Constant(rps: 150))",
        "",
    );
    // Every value of API.yaml, by hand, and no manifests.
    let full = experiment(
        false,
        "(
        name: \"api\",
        namespace: \"shop\",
        replicas: 3,
        requests: (cpu: \"250m\", memory: \"256Mi\"),
        limits: (cpu: \"500m\", memory: \"512Mi\"),
        readiness: \"15s\",
        termination_grace: \"20s\",
        disruption_budget: (min_available: 2),
        capacity_rps: 100,
        traffic: Constant(rps: 150),
    )",
        "    namespaces: [(name: \"shop\")],\n",
    );
    let from_manifests = summary(dir.path(), "partial", &partial);
    assert_eq!(from_manifests, summary(dir.path(), "full", &full));
    // And the manifest's values are really in (not the schema's defaults): 3 pods of 250m.
    let x = clustersim::input::parse(&dir.path().join("partial.ron"), &partial).unwrap();
    let api = &x.services[0];
    assert_eq!((api.replicas, api.requests.cpu.0), (3, 250));
    assert_eq!(api.readiness.to_string(), "15s");
    assert_eq!(api.disruption_budget.map(|b| b.min_available), Some(2));
}

#[test]
fn a_field_the_entry_writes_still_wins_over_the_manifest() {
    let dir = with_manifest(API);
    // Written with its struct's name, as RON allows.
    let src = experiment(
        true,
        "ServiceConfig(name: \"api\", replicas: 5, capacity_rps: 100, traffic: Constant(rps: 150))",
        "",
    );
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    assert_eq!(x.services[0].replicas, 5);
    assert_eq!(x.services[0].requests.memory.0, 256 << 20);
}

#[test]
fn a_field_missing_after_the_merge_is_refused_at_the_entry_with_where_it_could_come_from() {
    let dir = with_manifest(API);
    // `services: [` is line 8 of `experiment` (7 without manifests); the entry's `(` is column 16.
    let src = experiment(true, "(name: \"api\", capacity_rps: 100)", "");
    let err = refused(dir.path(), &src);
    assert!(
        err.contains("x.ron:8:16: services[0]: missing field `traffic`: no manifest can tell it"),
        "{err}"
    );
    assert!(
        err.contains("Deployment shop/api at "),
        "names the manifest: {err}"
    );

    // A name no manifest has: the manifest's workload would have given `replicas`.
    let src = experiment(
        true,
        "(name: \"api\", capacity_rps: 100, traffic: Constant(rps: 1)), \
         (name: \"cart\", capacity_rps: 100, traffic: Constant(rps: 1))",
        "",
    );
    let err = refused(dir.path(), &src);
    assert!(
        err.contains(
            "x.ron:8:77: services[1]: missing field `replicas`: no manifest names a workload \
             `cart` (the manifests' workloads: `api`), so this entry must write it"
        ),
        "{err}"
    );

    // A syntax error after an entry that lacks fields: the syntax error, not the fields.
    let src = experiment(
        true,
        "(name: \"api\", capacity_rps: 100, traffic: Constant(rps: 1)) x",
        "",
    );
    let err = refused(dir.path(), &src);
    assert!(err.contains("x.ron:8:76: "), "{err}");

    // A misspelt field on the line of a completed entry, after it: the column is the file's
    // own, not the completed text's.
    let src = experiment(
        true,
        "(name: \"api\", capacity_rps: 100, traffic: Constant(rps: 1)), (name: \"b\", \
         replicas: 1, requests: (cpu: \"1\", memory: \"1Gi\"), capacity_rps: 1, \
         traffic: Constant(rps: 1), replicaz: 2)",
        "",
    );
    let err = refused(dir.path(), &src);
    // The second entry starts at column 77; `replicaz` at 183, as the file has them.
    assert!(
        err.contains("x.ron:8:183: services[1].replicaz: Unexpected field named `replicaz`"),
        "{err}"
    );
}

#[test]
fn without_manifests_a_missing_field_is_the_parsers_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = experiment(
        false,
        "(name: \"api\", capacity_rps: 100, traffic: Constant(rps: 1))",
        "",
    );
    let err = refused(dir.path(), &src);
    assert!(
        err.contains("x.ron:7:16: services[0]: Unexpected missing field named `replicas`"),
        "{err}"
    );
}

// ---- KEDA triggers other than queues ----

/// A ScaledObject on Deployment `api` (no HPA) with `triggers`, and `api` itself (2 replicas
/// of 500m / 512Mi).
fn scaled_api(spec: &str, triggers: &str) -> String {
    format!(
        "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: api-scaler
spec:
  scaleTargetRef:
    name: api
{spec}  triggers:
{triggers}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          resources:
            requests: {{cpu: 500m, memory: 512Mi}}
"
    )
}

/// `api` with only its traffic and capacity, over `yaml`; `extra` top-level fields.
fn api_over(yaml: &str, extra: &str) -> (tempfile::TempDir, String) {
    let dir = with_manifest(yaml);
    let src = experiment(
        true,
        "(name: \"api\", capacity_rps: 100, traffic: Constant(rps: 50))",
        extra,
    );
    (dir, src)
}

#[test]
fn a_keda_cron_trigger_becomes_its_window_as_two_scheduled_actions() {
    // KEDA's documented example window (keda.sh/docs/2.15/scalers/cron), in Paris.
    let yaml = scaled_api(
        "  minReplicaCount: 1\n  maxReplicaCount: 8\n",
        "    - type: cron
      metadata:
        timezone: Europe/Paris
        start: 0 6 * * *
        end: 0 20 * * *
        desiredReplicas: \"10\"
",
    );
    let (dir, src) = api_over(&yaml, "");
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    let [start, end] = &x.policies.scheduled[..] else {
        panic!("{:?}", x.policies.scheduled)
    };
    assert_eq!(
        (start.name.as_str(), start.cron.as_str()),
        ("api-scaler-start", "0 6 * * *")
    );
    assert_eq!(start.time_zone.name(), "Europe/Paris");
    assert_eq!(start.service.as_deref(), Some("api"));
    // desiredReplicas 10 within KEDA's HPA bounds [1, 8]; after `end`, minReplicaCount.
    assert_eq!(start.replicas, Some(8));
    assert_eq!((end.cron.as_str(), end.replicas), ("0 20 * * *", Some(1)));
    assert!(x.services[0].hpa.is_none());

    // Run over 24 h from midnight UTC (winter: Paris is UTC+1): 8 pods from 05:00 UTC to
    // 19:00 UTC, 2 (the Deployment's) before, 1 after.
    let src = src.replace("duration: \"1h\"", "duration: \"24h\"");
    let file = dir.path().join("day.ron");
    fs::write(&file, &src).unwrap();
    let out = dir.path().join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let csv = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, desired) = (col("time_s"), col("desired_pods"));
    let at = |s: u64| -> String {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|r| r[t] == s.to_string())
            .map(|r| r[desired].to_owned())
            .unwrap()
    };
    assert_eq!(at(4 * 3600), "2");
    assert_eq!(at(5 * 3600 + 60), "8");
    assert_eq!(at(18 * 3600 + 3540), "8");
    assert_eq!(at(19 * 3600 + 60), "1");
}

#[test]
fn keda_cpu_and_memory_triggers_become_the_hpa_keda_creates() {
    let yaml = scaled_api(
        "  maxReplicaCount: 12\n",
        "    - type: cpu
      metricType: Utilization
      metadata:
        value: \"60\"
    - type: memory
      metadata:
        type: AverageValue
        value: 400Mi
",
    );
    let (dir, src) = api_over(&yaml, "");
    // A memory metric needs the pods' memory use: written in the entry.
    let src = src.replace(
        "traffic: Constant(rps: 50))",
        "traffic: Constant(rps: 50), memory_usage: (base: \"200Mi\", per_rps: \"1Mi\"))",
    );
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    let hpa = x.services[0].hpa.as_ref().expect("KEDA's HPA");
    // minReplicaCount 0 (the default) → 1: cpu and memory never scale to zero.
    assert_eq!((hpa.min_replicas, hpa.max_replicas), (1, 12));
    // 60 % of the CPU request; 400Mi = 400 × 2^20 bytes, in thousandths.
    assert_eq!(
        format!("{:?}", hpa.metrics),
        "[Resource { name: Cpu, target: Utilization(60) }, Resource { name: Memory, target: \
         AverageValue(MilliQuantity(419430400000)) }]"
    );
    assert!(x.policies.event_driven.is_empty() && x.policies.scheduled.is_empty());
}

#[test]
fn keda_triggers_that_cannot_be_kept_are_refused_at_their_place() {
    let cases = [
        // (spec, triggers, expected)
        (
            "",
            "    - type: cpu\n      metadata:\n        value: \"60\"\n",
            ":9:7: spec.triggers[0]: expected `metricType`",
        ),
        (
            "",
            "    - type: cpu\n      metricType: Utilization\n      metadata:\n        value: \"60\"\n        containerName: app\n",
            ":13:24: spec.triggers[0].metadata.containerName: containerName is not modelled",
        ),
        (
            "",
            "    - type: cron\n      metadata:\n        timezone: Mars/Olympus\n        start: 0 6 * * *\n        end: 0 20 * * *\n        desiredReplicas: \"3\"\n",
            ":11:19: spec.triggers[0].metadata.timezone: unknown time zone",
        ),
        (
            "",
            "    - type: cron\n      metadata:\n        timezone: UTC\n        start: 0 6 * * *\n        end: 0 6 * * *\n        desiredReplicas: \"3\"\n",
            ":13:14: spec.triggers[0].metadata.end: start and end are the same",
        ),
        (
            "",
            "    - type: cron\n      metadata:\n        timezone: UTC\n        start: 0 61 * * *\n        end: 0 6 * * *\n        desiredReplicas: \"3\"\n",
            ":12:16: spec.triggers[0].metadata.start: Component error",
        ),
        (
            "  minReplicaCount: 5\n  maxReplicaCount: 3\n",
            "    - type: cron\n      metadata:\n        timezone: UTC\n        start: 0 6 * * *\n        end: 0 7 * * *\n        desiredReplicas: \"3\"\n",
            ":9:20: spec.maxReplicaCount: maxReplicaCount 3 is below minReplicaCount 5",
        ),
        (
            "",
            "    - type: cpu\n      metricType: Utilization\n      metadata:\n        value: \"60\"\n    - type: rabbitmq\n      metadata:\n        value: \"5\"\n",
            ":9:5: spec.triggers: expected one trigger, or only cpu and memory triggers",
        ),
    ];
    for (spec, triggers, expected) in cases {
        let (dir, src) = api_over(&scaled_api(spec, triggers), "");
        let err = refused(dir.path(), &src);
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(err.contains("m.yaml"), "located in the manifest: {err}");
    }
}

// ---- CronJobs ----

/// A CronJob `report` of one pod of 250m / 256Mi, with `spec` lines after its schedule.
fn cronjob(schedule: &str, spec: &str) -> String {
    format!(
        "apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: \"{schedule}\"
{spec}  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              resources:
                requests: {{cpu: 250m, memory: 256Mi}}
"
    )
}

/// The experiment with `api` written in full and `batch` as given, over `yaml` in `k8s/`.
fn with_batch(yaml: &str, batch: &str) -> (tempfile::TempDir, String) {
    let dir = with_manifest(yaml);
    let src = experiment(
        true,
        "(name: \"api\", replicas: 1, requests: (cpu: \"250m\", memory: \"256Mi\"), \
         capacity_rps: 100, traffic: Constant(rps: 50))",
        batch,
    );
    (dir, src)
}

#[test]
fn a_suspended_cronjob_needs_no_entry_and_no_job_arrives() {
    let yaml = cronjob(
        "*/30 * * * *",
        "  suspend: true\n  timeZone: Europe/Paris\n",
    );
    // No `batch` entry at all: the CronJob is kept, with a rate of 0.
    let (dir, src) = with_batch(&yaml, "");
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    assert_eq!(x.batch.len(), 1);
    assert_eq!(
        format!("{:?}", x.batch[0].arrivals),
        "Poisson { rate: Constant { rps: 0.0 }, duration: Constant { run: SimDuration { nanos: 1000000000 } } }"
    );
    let summary = summary(dir.path(), "x", &src);
    assert_eq!(summary["batch"]["jobs"], 0, "{summary}");

    // An entry naming it may still give arrivals of its own, which win.
    let (dir, src) = with_batch(
        &yaml,
        "    batch: [(name: \"report\", arrivals: Poisson(rate: Constant(rps: 0.01), \
         duration: Constant(run: \"1m\")))],\n",
    );
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    assert!(format!("{:?}", x.batch[0].arrivals).contains("rps: 0.01"));
}

#[test]
fn a_running_cronjob_needs_its_run_time_and_the_import_writes_its_schedule() {
    let yaml = cronjob("*/30 * * * *", "  timeZone: Europe/Paris\n");
    // Only the name: the arrivals are still missing; the CronJob tells when, not for how long.
    let (dir, src) = with_batch(&yaml, "    batch: [(name: \"report\")],\n");
    let err = refused(dir.path(), &src);
    assert!(
        err.contains(
            "x.ron:9:13: batch[0]: missing field `arrivals`: the manifests' CronJob \
             default/report at "
        ) && err.contains(
            "gives its schedule but not how long each Job runs: expected `arrivals: \
             Schedule(duration: …)` here"
        ),
        "{err}"
    );
    // The import writes the schedule and its zone, the run time a TODO.
    let file = dir.path().join("k8s/m.yaml");
    let r = clustersim(&["import", file.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    assert!(
        out.contains(
            "// TODO: how long each Job's pods run, e.g. Constant(run: \"10m\") or \
             LogNormal(median: \"10m\", sigma: 0.5).\n            arrivals: Schedule(cron: \
             \"*/30 * * * *\", time_zone: \"Europe/Paris\", duration: Exponential(mean: \
             \"0s\")),"
        ),
        "{out}"
    );
    // Its placeholder is refused where it stands, once the other TODOs are filled.
    let filled = out
        .replace(
            "(name: \"TODO\", zones: [\"TODO-a\"])",
            "(name: \"us-east1\", zones: [\"us-east1-b\"])",
        )
        .replace(
            "(name: \"TODO\", region: \"TODO\", instance_type: \"TODO\", nodes: 0)",
            "(name: \"p\", region: \"us-east1\", instance_type: \"e2-standard-4\", nodes: 1)",
        );
    let err = refused(dir.path(), &filled);
    let (line, col) = filled
        .lines()
        .enumerate()
        .find_map(|(i, l)| Some((i + 1, l.find("\"0s\"")? + 1)))
        .unwrap();
    assert!(
        err.contains(&format!(
            "x.ron:{line}:{col}: batch[0].arrivals.Schedule.duration.Exponential.mean: expected a \
             positive duration"
        )),
        "{err}\n{filled}"
    );
}

#[test]
fn a_cronjob_entry_writes_only_the_run_time_and_runs_as_written_in_full() {
    let yaml = cronjob("*/30 * * * *", "  timeZone: Europe/Paris\n");
    let (dir, partial) = with_batch(
        &yaml,
        "    batch: [(name: \"report\", arrivals: Schedule(duration: Constant(run: \"10m\")))],\n",
    );
    let full = experiment(
        false,
        "(name: \"api\", replicas: 1, requests: (cpu: \"250m\", memory: \"256Mi\"), \
         capacity_rps: 100, traffic: Constant(rps: 50))",
        "    batch: [(name: \"report\", arrivals: Schedule(cron: \"*/30 * * * *\", time_zone: \
         \"Europe/Paris\", duration: Constant(run: \"10m\")), requests: (cpu: \"250m\", \
         memory: \"256Mi\"))],\n",
    );
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &partial).unwrap();
    assert_eq!(
        format!("{:?}", x.batch[0].arrivals),
        "Schedule { cron: \"*/30 * * * *\", time_zone: TimeZone(Europe/Paris), duration: \
         Constant { run: SimDuration { nanos: 600000000000 } } }"
    );
    let from_manifests = summary(dir.path(), "partial", &partial);
    // A 1 h run: the pattern fires at 1 800 s and 3 600 s (the end included).
    assert_eq!(from_manifests["batch"]["jobs"], 2, "{from_manifests}");
    assert_eq!(from_manifests, summary(dir.path(), "full", &full));

    // A pattern written in the entry wins; the zone still comes from the manifest.
    let (dir, src) = with_batch(
        &yaml,
        "    batch: [(name: \"report\", arrivals: Schedule(cron: \"0 * * * *\", duration: \
         Constant(run: \"10m\")))],\n",
    );
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    assert!(
        format!("{:?}", x.batch[0].arrivals)
            .starts_with("Schedule { cron: \"0 * * * *\", time_zone: TimeZone(Europe/Paris)"),
        "{:?}",
        x.batch[0].arrivals
    );
    // A bad pattern written there is refused at its place in the experiment.
    let (dir, src) = with_batch(
        &yaml,
        "    batch: [(name: \"report\", arrivals: Schedule(cron: \"0 25 * * *\", duration: \
         Constant(run: \"10m\")))],\n",
    );
    let err = refused(dir.path(), &src);
    assert!(
        err.contains("x.ron:9:55: batch[0].arrivals.Schedule.cron: "),
        "{err}"
    );
}

#[test]
fn cronjob_fields_the_batch_model_cannot_keep_are_refused_at_their_place() {
    for (schedule, spec, expected) in [
        (
            "*/30 * * * *",
            "  timeZone: Mars/Olympus\n",
            ":7:13: spec.timeZone: unknown time zone",
        ),
        ("0 25 * * *", "", ":6:13: spec.schedule: "),
        // What croner reads but Kubernetes' API server refuses, and robfig's `@every`.
        (
            "*/10 * * * * *",
            "",
            ":6:13: spec.schedule: a CronJob's schedule has 5 fields (minute hour \
             day-of-month month day-of-week), as Kubernetes parses it (robfig/cron's \
             ParseStandard), not 6",
        ),
        (
            "CRON_TZ=Europe/Paris 0 8 * * *",
            "",
            ":6:13: spec.schedule: Kubernetes refuses TZ or CRON_TZ in a CronJob's schedule",
        ),
        (
            "@every 1h",
            "",
            ":6:13: spec.schedule: an `@every` interval is not modelled",
        ),
        (
            "*/30 * * * *",
            "  concurrencyPolicy: Forbid\n",
            ":7:22: spec.concurrencyPolicy: only concurrencyPolicy Allow is modelled",
        ),
    ] {
        let (dir, src) = with_batch(
            &cronjob(schedule, spec),
            "    batch: [(name: \"report\", arrivals: Poisson(rate: Constant(rps: 0.01), \
             duration: Constant(run: \"1m\")))],\n",
        );
        let err = refused(dir.path(), &src);
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(err.contains("m.yaml"), "{err}");
    }
}

// ---- Karpenter's controller settings ----

/// A NodePool `general` of n2 machines and Karpenter's controller Deployment with `container`
/// lines (env, args) after its image.
fn karpenter(container: &str) -> String {
    format!(
        "apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: general
spec:
  template:
    spec:
      requirements:
        - key: karpenter.k8s.gcp/instance-family
          operator: In
          values: [n2]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karpenter
  namespace: kube-system
spec:
  template:
    spec:
      containers:
        - name: controller
          image: public.ecr.aws/karpenter/controller:1.0.6
{container}"
    )
}

#[test]
fn karpenter_batching_and_spot_to_spot_come_from_its_deployment_flags_over_env() {
    let yaml = karpenter(
        "          env:
            - name: BATCH_IDLE_DURATION
              value: 3s
            - name: BATCH_MAX_DURATION
              value: 20s
            - name: CLUSTER_NAME
              value: shop
            - name: FEATURE_GATES
              value: SpotToSpotConsolidation=true,NodeRepair=false
          args: [\"--batch-max-duration=30s\"]
",
    );
    let dir = with_manifest(&yaml);
    let src = experiment(
        true,
        "(name: \"api\", replicas: 1, requests: (cpu: \"250m\", memory: \"256Mi\"), \
         capacity_rps: 100, traffic: Constant(rps: 50))",
        "",
    );
    let x = clustersim::input::parse(&dir.path().join("x.ron"), &src).unwrap();
    let k = x.node_autoscaling[0].karpenter.as_ref().unwrap();
    // The variable for the idle time; the flag over the variable for the longest window.
    assert_eq!(k.batch_idle_duration.to_string(), "3s");
    assert_eq!(k.batch_max_duration.to_string(), "30s");
    assert!(k.spot_to_spot_consolidation);
    // Karpenter's own default where nothing is written: a 10 s disruption poll.
    assert_eq!(k.disruption_poll_interval.to_string(), "10s");
    // The controller is no service: `api` alone needs an entry.
    assert_eq!(x.services.len(), 1);

    // The import says what it ignored, with the place.
    let file = dir.path().join("k8s/m.yaml");
    let r = clustersim(&["import", file.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let err = text(&r.stderr);
    assert!(
        err.contains("m.yaml:29: karpenter variable CLUSTER_NAME: ignored"),
        "{err}"
    );
    assert!(
        err.contains("karpenter feature gate NodeRepair: ignored"),
        "{err}"
    );
}

#[test]
fn karpenter_settings_that_cannot_be_read_are_refused_at_their_place() {
    for (container, expected) in [
        (
            "          env:\n            - name: BATCH_IDLE_DURATION\n              value: 3 seconds\n",
            ":26:22: spec.template.spec.containers[0].env[0].value: invalid duration",
        ),
        (
            "          args: [\"--batch-idle-duration=0s\"]\n",
            ":24:18: spec.template.spec.containers[0].args[0]: `batch-idle-duration` must be positive",
        ),
        (
            "          args: [\"--batch-idle-duration=20s\", \"--batch-max-duration=5s\"]\n",
            "batch-max-duration 5s is shorter than batch-idle-duration 20s",
        ),
        (
            "          args: [\"--feature-gates=SpotToSpotConsolidation=yes\"]\n",
            "expected true or false for SpotToSpotConsolidation, found `yes`",
        ),
    ] {
        let dir = with_manifest(&karpenter(container));
        let file = dir.path().join("k8s/m.yaml");
        let out = dir.path().join("never.ron");
        let r = clustersim(&[
            "import",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(!out.exists(), "nothing written");
    }
}
