//! `clustersim import` (issue 23, first slice): Kubernetes manifests in, an experiment out.
//! The example in `experiments/manifests/shop/` is imported, checked value by value, refused by
//! `validate` while its TODOs stand, and run once they are filled; bad manifests exit 2 with
//! their place and nothing written.

mod common;

use std::fs;

use common::{clustersim, text};

const SHOP: &str = "experiments/manifests/shop";

/// Imports `args` and returns (exit code, stdout, stderr).
fn import(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["import"];
    all.extend(args);
    let r = clustersim(&all);
    (
        r.status.code().unwrap_or(-1),
        text(&r.stdout),
        text(&r.stderr),
    )
}

/// Writes manifests into a fresh folder and imports that folder.
/// Imports `yaml` and checks it is refused (exit 2) with `expected` in the error.
fn refused(yaml: &str, expected: &str) {
    let (code, _, err, _dir) = import_text(yaml);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(expected), "{err}");
}

fn import_text(yaml: &str) -> (i32, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("m.yaml"), yaml).unwrap();
    let (code, out, err) = import(&[dir.path().to_str().unwrap()]);
    (code, out, err, dir)
}

#[test]
fn the_shop_example_maps_every_value() {
    let (code, out, err) = import(&[SHOP]);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "name: \"shop\",",
        // The Namespace and its ResourceQuota (`pods: \"60\"` read as a count).
        "(name: \"shop\", quota: (cpu: \"24\", memory: \"48Gi\", pods: 60)),",
        "(name: \"shop-critical\", value: 100000),",
        // api: replicas, requests and limits, readiness delay, PDB, HPA with behavior.
        "name: \"api\",\n            namespace: \"shop\",\n            replicas: 3,\n            \
         requests: (cpu: \"500m\", memory: \"512Mi\"),\n            limits: (cpu: \"1\", memory: \"1Gi\"),",
        "readiness: \"10s\",",
        "disruption_budget: (min_available: 2),",
        "min_replicas: 3,",
        "max_replicas: 12,",
        "metrics: [Resource(name: cpu, target: Utilization(70))],",
        "behavior: (scale_down: (stabilization_window: \"300s\", policies: [Pods(value: 2, period: \"60s\")])),",
        // web: no cpu limit, so only the memory one; its grace period.
        "replicas: 4,\n            requests: (cpu: \"250m\", memory: \"256Mi\"),\n            limits: (memory: \"512Mi\"),",
        "termination_grace: \"20s\",",
        "priority_class: \"shop-critical\",",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    // One PDB, on api only.
    assert_eq!(out.matches("disruption_budget").count(), 1, "{out}");
    // The Service is the unknown kind: one warning, with its file and line.
    assert_eq!(
        err.matches("kind Service is not imported").count(),
        1,
        "{err}"
    );
    assert!(err.contains("shop/web.yaml:39: kind Service"), "{err}");
    // Ignored fields are listed once per path, with their place.
    assert_eq!(
        err.matches("containers[].image: ignored").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("shop/api.yaml:20:18: Deployment spec.template.spec.containers[].image"),
        "{err}"
    );
}

#[test]
fn validate_refuses_the_raw_import_at_a_todo_then_runs_it_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.ron");
    let f = file.to_str().unwrap();
    let (code, out, err) = import(&[SHOP, "--out", f]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "with --out nothing goes to stdout: {out}");
    let raw = fs::read_to_string(&file).unwrap();

    // Each TODO is refused, at its own line, until filled in.
    let refused_at = |src: &str| -> String {
        fs::write(&file, src).unwrap();
        let r = clustersim(&["validate", f]);
        assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
        let err = text(&r.stderr);
        let line: usize = err
            .split(&format!("{f}:"))
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no line in {err}"));
        let lines: Vec<&str> = src.lines().collect();
        assert!(
            lines[line - 2].contains("TODO"),
            "line {line} follows no TODO: {err}"
        );
        lines[line - 1].trim().to_owned()
    };
    assert!(refused_at(&raw).starts_with("node_pools: [(name: \"TODO\""));
    let cluster = raw
        .replace(
            "regions: [(name: \"TODO\", zones: [\"TODO-a\"])]",
            "regions: [(name: \"us-east1\", zones: [\"us-east1-b\", \"us-east1-c\"])]",
        )
        .replace(
            "node_pools: [(name: \"TODO\", region: \"TODO\", instance_type: \"TODO\", nodes: 0)]",
            "node_pools: [(name: \"general\", region: \"us-east1\", instance_type: \"n2-standard-8\", nodes: 3)]",
        )
        .replace("duration: \"24h\"", "duration: \"1h\"");
    assert_eq!(refused_at(&cluster), "capacity_rps: 0,");
    let capacity = cluster.replace("capacity_rps: 0,", "capacity_rps: 100,");
    assert_eq!(refused_at(&capacity), "traffic: Constant(rps: -1),");
    let filled = capacity.replace("Constant(rps: -1)", "Constant(rps: 120)");
    assert!(
        !filled.contains("TODO\""),
        "a placeholder is left:\n{filled}"
    );

    // Filled in, it runs and passes: 120 requests/s on 3 api pods of 100 requests/s (ρ = 0.4,
    // below the HPA's 70 %) and on 4 web pods, 6 cores of 24 requested at most (within the
    // quota), no targets set, so only the health checks judge it and none can fail.
    fs::write(&file, &filled).unwrap();
    let out_dir = dir.path().join("out");
    let r = clustersim(&["run", f, "--out", out_dir.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(out_dir.join("summary.json").is_file());
}

#[test]
fn malformed_yaml_exits_2_with_its_place_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("bad.yaml");
    fs::write(&m, "apiVersion: v1\nkind: Namespace\nmetadata: [name: x\n").unwrap();
    let out = dir.path().join("x.ron");
    let (code, stdout, err) = import(&[m.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{}:", m.display())), "{err}");
    assert!(err.contains("malformed YAML"), "{err}");
    // file:line:col
    let place = err
        .split(&format!("{}:", m.display()))
        .nth(1)
        .unwrap_or_default();
    let mut parts = place.split(':');
    assert!(
        parts.next().is_some_and(|l| l.parse::<u32>().is_ok()),
        "{err}"
    );
    assert!(
        parts.next().is_some_and(|c| c.parse::<u32>().is_ok()),
        "{err}"
    );
    assert!(stdout.is_empty() && !out.exists(), "nothing is written");
}

/// A Deployment of one container whose requests are `requests`.
fn deployment(requests: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          resources:
            requests:
{requests}
"
    )
}

#[test]
fn a_quantity_typo_names_its_field_path_and_place() {
    let (code, out, err, dir) = import_text(&deployment(
        "              cpu: 500mm\n              memory: 1Gi",
    ));
    assert_eq!(code, 2, "{err}");
    let expected = format!(
        "{}:12:20: spec.template.spec.containers[0].resources.requests.cpu: ",
        dir.path().join("m.yaml").display()
    );
    assert!(err.contains(&expected), "expected {expected:?} in {err}");
    assert!(out.is_empty());

    let (code, _, err, _dir) = import_text(&deployment(
        "              cpu: 1\n              memory: 1Gb",
    ));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(":13:23: spec.template.spec.containers[0].resources.requests.memory: "),
        "{err}"
    );
}

#[test]
fn a_list_and_a_statefulset_of_two_containers_are_mapped() {
    let yaml = "\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata:
      name: db
      namespace: data
    spec:
      replicas: 2
      template:
        spec:
          nodeSelector:
            pool: db
          tolerations:
            - key: dedicated
              operator: Equal
              value: db
              effect: NoSchedule
          topologySpreadConstraints:
            - maxSkew: 1
              topologyKey: topology.kubernetes.io/zone
              whenUnsatisfiable: DoNotSchedule
          containers:
            - name: db
              resources:
                requests: {cpu: '2', memory: 4Gi}
                limits: {cpu: '2', memory: 4Gi}
            - name: exporter
              resources:
                limits: {cpu: 100m, memory: 128Mi}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d9c7
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: x}]
spec:
  replicas: 9
  template:
    spec:
      containers: [{name: web}]
---
{kind: ConfigMap, metadata: {name: a}}
---
{kind: ConfigMap, metadata: {name: b}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: w
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    for expected in [
        // Requests default to the limits; the two containers summed.
        "// StatefulSet data/db at ",
        "replicas: 2,\n            requests: (cpu: \"2100m\", memory: \"4224Mi\"),\n            \
         limits: (cpu: \"2100m\", memory: \"4224Mi\"),",
        "node_selector: {\"pool\": \"db\"},",
        "tolerations: [(key: \"dedicated\", operator: Equal, value: \"db\", effect: NoSchedule)],",
        "topology_spread: [(max_skew: 1, topology_key: \"topology.kubernetes.io/zone\")],",
        "(name: \"data\"),",
        // A ReplicaSet without replicas or resources: the API defaults, 1 and nothing.
        "name: \"worker\",\n            replicas: 1,\n            requests: (cpu: \"0\", memory: \"0\"),",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(err.contains("2 containers summed into one"), "{err}");
    // Two ConfigMaps, one warning, at the first.
    assert_eq!(
        err.matches("kind ConfigMap is not imported").count(),
        1,
        "{err}"
    );
    assert!(err.contains("m.yaml:44: kind ConfigMap"), "{err}");
    // A Deployment's ReplicaSet (as `kubectl get all` lists it) is not a second service.
    assert!(
        !out.contains("web-5d9c7") && !out.contains("replicas: 9"),
        "{out}"
    );
    assert!(
        err.contains("ReplicaSet default/web-5d9c7 has an owner: skipped"),
        "{err}"
    );
}

#[test]
fn behaviour_the_import_cannot_keep_is_refused_with_the_reason() {
    for (yaml, expected) in [
        (
            deployment("              cpu: 1").replace(
                "      containers:",
                "      affinity:\n        podAntiAffinity: {}\n      containers:",
            ),
            // Node affinity is imported now; pod anti-affinity is not.
            ":9:26: spec.template.spec.affinity.podAntiAffinity: podAntiAffinity is not modelled",
        ),
        (
            "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: x}
spec:
  scaleTargetRef: {kind: Deployment, name: missing}
  maxReplicas: 3
"
            .to_owned(),
            ":5:19: spec.scaleTargetRef: names Deployment default/missing, which is not among the manifests",
        ),
        (
            "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: x}
spec:
  minAvailable: 50%
  selector: {matchLabels: {app: x}}
"
            .to_owned(),
            ":5:17: spec.minAvailable: expected a whole number of pods",
        ),
        (
            "apiVersion: v1
kind: ResourceQuota
metadata: {name: q}
spec:
  hard: {limits.cpu: '4'}
"
            .to_owned(),
            ":5:22: spec.hard.limits.cpu: a quota on `limits.cpu` is not modelled",
        ),
    ] {
        let (code, out, err, _dir) = import_text(&yaml);
        assert_eq!(code, 2, "{yaml}\n{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(out.is_empty());
    }
}

#[test]
fn a_missing_path_exits_2() {
    let (code, _, err) = import(&["no/such/manifests"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no/such/manifests: no such file or directory"),
        "{err}"
    );
}

#[test]
fn an_hpa_on_memory_by_average_value_asks_for_memory_usage_and_v1_is_refused() {
    let hpa = "
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: memory, target: {type: AverageValue, averageValue: 400Mi}}
  behavior:
    scaleUp:
      selectPolicy: Max
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
";
    let yaml = deployment("              cpu: 1") + hpa;
    let (code, out, err, _dir) = import_text(&yaml);
    assert_eq!(code, 0, "{err}");
    for expected in [
        // minReplicas left out: the API's 1.
        "min_replicas: 1,",
        "max_replicas: 5,",
        "metrics: [Resource(name: memory, target: AverageValue(\"400Mi\"))],",
        "behavior: (scale_up: (select_policy: Max, policies: [Percent(value: 100, period: \"15s\")])),",
        "// TODO: a memory metric needs the pods' memory use",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    let v1 = yaml.replace("autoscaling/v2", "autoscaling/v1");
    let (code, _, err, _dir) = import_text(&v1);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(":15:13: apiVersion: expected autoscaling/v2, found `autoscaling/v1`"),
        "{err}"
    );
}

// ---- `manifests:` inside an experiment ----

const MANIFESTS_SHOP: &str = "experiments/manifests-shop.ron";
const PLATFORM: &str = "experiments/manifests/shop-platform";

/// Parses an experiment text written at `dir/x.ron` (so its manifests resolve from `dir`),
/// as every command does.
fn parse_in(dir: &std::path::Path, src: &str) -> Result<clustersim::input::Experiment, String> {
    let file = dir.join("x.ron");
    fs::write(&file, src).unwrap();
    clustersim::input::parse(&file, src).map_err(|e| e.to_string())
}

/// A folder with `k8s/m.yaml` holding `yaml`.
fn with_manifest(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("k8s")).unwrap();
    fs::write(dir.path().join("k8s/m.yaml"), yaml).unwrap();
    dir
}

#[test]
fn an_experiment_from_manifests_runs_as_its_import_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    // The import, filled in with exactly what manifests-shop.ron writes.
    let imported = dir.path().join("imported.ron");
    let (code, _, err) = import(&[
        SHOP,
        PLATFORM,
        "--name",
        "manifests-shop",
        "--out",
        imported.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let raw = fs::read_to_string(&imported).unwrap();
    let filled = raw
        .replace("duration: \"24h\",", "seed: 7,\n    duration: \"2h\",")
        .replace(
            "regions: [(name: \"TODO\", zones: [\"TODO-a\"])]",
            "regions: [(name: \"us-east1\", zones: [\"us-east1-b\", \"us-east1-c\"])]",
        )
        .replace(
            "node_pools: [(name: \"TODO\", region: \"TODO\", instance_type: \"TODO\", nodes: 0)]",
            "node_pools: [(name: \"general\", region: \"us-east1\", instance_type: \"n2-standard-8\", nodes: 3)]",
        )
        .replace("node_autoscaling: [(region: \"TODO\"", "node_autoscaling: [(region: \"us-east1\"")
        // The experiment models the nightly report's Jobs as Poisson arrivals instead of its
        // schedule (a written `arrivals` replaces the CronJob's whole).
        .replace(
            "arrivals: Schedule(cron: \"0 2 * * *\", time_zone: \"UTC\", duration: \
             Exponential(mean: \"0s\")),",
            "arrivals: Poisson(rate: Constant(rps: 0.000556), duration: Constant(run: \"10m\")),",
        )
        .replace(
            "termination_grace: \"20s\",",
            "termination_grace: \"20s\",\n            memory_usage: (base: \"180Mi\", per_rps: \"1Mi\"),",
        )
        // api, web, worker (the manifests' sorted order).
        .replacen("capacity_rps: 0,", "capacity_rps: 100,", 1)
        .replacen("capacity_rps: 0,", "capacity_rps: 80,", 1)
        .replacen("capacity_rps: 0,", "capacity_rps: 20,", 1)
        .replacen("Constant(rps: -1)", "Constant(rps: 120)", 1)
        .replacen("Constant(rps: -1)", "Constant(rps: 200)", 1)
        .replacen("Constant(rps: -1)", "Constant(rps: 30)", 1);
    assert!(
        !filled.contains("TODO\""),
        "a placeholder is left:\n{filled}"
    );
    fs::write(&imported, &filled).unwrap();

    let summary = |file: &str, out: &str| -> serde_json::Value {
        let out = dir.path().join(out);
        let r = clustersim(&["run", file, "--out", out.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
    };
    // Every figure the same; only the files' opening comments (each summary's `description`)
    // differ, as the two files do.
    let without_description = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("description");
        v
    };
    let direct = without_description(summary(MANIFESTS_SHOP, "direct"));
    let via_import = without_description(summary(imported.to_str().unwrap(), "imported"));
    assert_eq!(direct, via_import);
    // And the manifests' HPA and PDB are in the plan: api has both, web neither.
    let parsed = clustersim::input::parse(
        std::path::Path::new(MANIFESTS_SHOP),
        &fs::read_to_string(MANIFESTS_SHOP).unwrap(),
    )
    .unwrap();
    let api = &parsed.services[0];
    assert_eq!(api.name, "api");
    assert_eq!(api.namespace, "shop");
    assert_eq!(api.hpa.as_ref().map(|h| h.max_replicas), Some(12));
    assert_eq!(api.disruption_budget.map(|b| b.min_available), Some(2));
    assert!(parsed.services[1].hpa.is_none());
    assert!(parsed.services[1].vpa.is_some());
    assert_eq!(parsed.policies.event_driven[0].service, "worker");
    assert!(parsed.node_autoscaling[0].karpenter.is_some());
    assert_eq!(parsed.batch[0].completions, Some(4));
    assert_eq!(parsed.namespaces[0].name, "shop");
    assert_eq!(parsed.priority_classes[0].value, 100_000);
}

#[test]
fn a_service_overrides_only_the_fields_it_writes() {
    // Parsed as if it were manifests-shop.ron itself, so its manifests resolve.
    let src = fs::read_to_string(MANIFESTS_SHOP).unwrap().replace(
        "traffic: Constant(rps: 120),",
        "traffic: Constant(rps: 120),\n            termination_grace: \"45s\",\n            \
         hpa: (min_replicas: 2, max_replicas: 5),\n            namespace: \"default\",",
    );
    let x = clustersim::input::parse(std::path::Path::new(MANIFESTS_SHOP), &src).unwrap();
    let api = &x.services[0];
    // Written here: these win.
    assert_eq!(api.termination_grace.to_string(), "45s");
    assert_eq!(api.namespace, "default");
    let hpa = api.hpa.as_ref().unwrap();
    assert_eq!((hpa.min_replicas, hpa.max_replicas), (2, 5));
    assert!(hpa.behavior.is_none(), "the HPA is replaced whole");
    // Not written: the manifest's (api.yaml: readiness 10 s, limits 1 CPU / 1Gi, PDB 2).
    assert_eq!(api.readiness.to_string(), "10s");
    let limits = api.limits.unwrap();
    assert_eq!(limits.cpu.map(|c| c.0), Some(1000));
    assert_eq!(limits.memory.map(|m| m.0), Some(1 << 30));
    assert_eq!(api.disruption_budget.map(|b| b.min_available), Some(2));
    assert_eq!(api.priority_class.as_deref(), Some("shop-critical"));
}

#[test]
fn a_yaml_error_in_a_named_manifest_is_located_in_the_yaml_and_exits_2() {
    let dir = with_manifest(&deployment(
        "              cpu: 500mm\n              memory: 1Gi",
    ));
    let file = dir.path().join("x.ron");
    let src = common::GOOD.replace(
        "duration: \"1h\",",
        "duration: \"1h\",\n    manifests: [\"k8s\"],",
    );
    fs::write(&file, &src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    // deployment(): line 12, column 20 is the value of `cpu:`.
    let expected = format!(
        "{}:12:20: spec.template.spec.containers[0].resources.requests.cpu: ",
        dir.path().join("k8s").join("m.yaml").display()
    );
    assert!(err.contains(&expected), "expected {expected:?} in {err}");

    // Malformed YAML: its own file:line:col.
    fs::write(
        dir.path().join("k8s/m.yaml"),
        "kind: Namespace\nmetadata: [name: x\n",
    )
    .unwrap();
    let r = clustersim(&["run", file.to_str().unwrap(), "--out", "/nonexistent/never"]);
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    assert!(
        err.contains(&format!(
            "{}:",
            dir.path().join("k8s").join("m.yaml").display()
        )) && err.contains("malformed YAML"),
        "{err}"
    );
}

#[test]
fn a_missing_manifest_path_or_an_unnamed_workload_is_refused_at_its_field() {
    let dir = with_manifest(&deployment("              cpu: 500m"));
    // GOOD's line 3 is `duration`; the list is written on line 4, its first item at col 17.
    let src = common::GOOD.replace(
        "duration: \"1h\",",
        "duration: \"1h\",\n    manifests: [\"nowhere/\"],",
    );
    let err = parse_in(dir.path(), &src).unwrap_err();
    assert!(err.contains("x.ron:4:17: manifests[0]: "), "{err}");
    assert!(err.contains("does not exist"), "{err}");

    // The Deployment is `api`, which GOOD names: fine. Renamed, it has no traffic.
    let src = src.replace("nowhere/", "k8s");
    let x = parse_in(dir.path(), &src).unwrap();
    assert_eq!(x.services.len(), 1);
    let renamed = src.replace("name: \"api\"", "name: \"other\"");
    let err = parse_in(dir.path(), &renamed).unwrap_err();
    assert!(
        err.contains(": services: the manifests' Deployment default/api at "),
        "{err}"
    );
    assert!(
        err.contains("has no entry here: expected one named `api` with at least its `traffic`"),
        "{err}"
    );
}

// ---- the remaining kinds, each from a hand-written manifest ----

#[test]
fn required_node_affinity_and_a_vpa_are_mapped() {
    let yaml = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - key: cloud.google.com/gke-spot
                    operator: DoesNotExist
                  - key: node.kubernetes.io/instance-type
                    operator: In
                    values: [n2-standard-8, n2-standard-16]
          preferredDuringSchedulingIgnoredDuringExecution: []
      containers:
        - name: api
          resources:
            requests: {cpu: 500m, memory: 512Mi}
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: api
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  updatePolicy: {updateMode: InPlaceOrRecreate, minReplicas: 1}
  resourcePolicy:
    containerPolicies:
      - containerName: \"*\"
        minAllowed: {cpu: 100m, memory: 128Mi}
        maxAllowed: {cpu: \"2\", memory: 4Gi}
        controlledResources: [cpu]
        controlledValues: RequestsOnly
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "node_affinity: [(match_expressions: [(key: \"cloud.google.com/gke-spot\", operator: \
         DoesNotExist, values: []), (key: \"node.kubernetes.io/instance-type\", operator: In, \
         values: [\"n2-standard-8\", \"n2-standard-16\"])])],",
        "vpa: (update_mode: InPlaceOrRecreate, min_replicas: 1, min_allowed: (cpu: \"100m\", \
         memory: \"128Mi\"), max_allowed: (cpu: \"2\", memory: \"4Gi\"), controlled_resources: \
         [cpu], controlled_values: RequestsOnly),",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    // The preferred terms only weigh the scoring: ignored, with their place (line 19).
    assert!(
        err.contains(
            ":19:60: Deployment spec.template.spec.affinity.nodeAffinity.\
                      preferredDuringSchedulingIgnoredDuringExecution: ignored"
        ),
        "{err}"
    );

    // Pod anti-affinity changes placement and is refused; so is an unknown operator.
    let anti = yaml.replace(
        "        nodeAffinity:",
        "        podAntiAffinity: {}\n        nodeAffinity:",
    );
    refused(
        &anti,
        ":10:26: spec.template.spec.affinity.podAntiAffinity: ",
    );
    let bad = yaml.replace("operator: In", "operator: Within");
    refused(
        &bad,
        ":17:31: spec.template.spec.affinity.nodeAffinity.\
                      requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].\
                      matchExpressions[1].operator: unknown variant `Within`",
    );
}

#[test]
fn a_karpenter_node_pool_and_its_node_class_are_mapped() {
    let yaml = "\
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: general
spec:
  weight: 10
  limits:
    cpu: \"200\"
    memory: 800Gi
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 5m
    budgets:
      - nodes: \"20%\"
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      expireAfter: Never
      requirements:
        - key: karpenter.k8s.aws/instance-family
          operator: In
          values: [m5, c5]
        - key: karpenter.sh/capacity-type
          operator: In
          values: [spot, on-demand]
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: KarpenterNodeRole
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    let expected = "node_autoscaling: [(region: \"TODO\", karpenter: (node_pools: [(name: \
                    \"general\", weight: 10, requirements: (instance_families: [\"m5\", \"c5\"], \
                    instance_types: None, capacity_types: [Spot, OnDemand], zones: None), \
                    limits: (cpu: \"200\", memory: \"800Gi\"), disruption: \
                    (consolidation_policy: WhenEmpty, consolidate_after: \"5m0s\", budgets: \
                    [(nodes: \"20%\")]), expire_after: \"Never\")]))],";
    assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    assert!(
        err.contains(":32:9: EC2NodeClass spec.role: ignored"),
        "{err}"
    );

    // A requirement the catalog cannot follow, and kubelet reservations, are refused.
    let cpu = yaml.replace(
        "karpenter.k8s.aws/instance-family",
        "karpenter.k8s.aws/instance-cpu",
    );
    refused(
        &cpu,
        ":20:16: spec.template.spec.requirements[0].key: a requirement on \
                      `karpenter.k8s.aws/instance-cpu` is not modelled",
    );
    let kubelet = yaml.replace("  role: KarpenterNodeRole", "  kubelet: {maxPods: 110}");
    refused(&kubelet, ":32:12: spec.kubelet: kubelet settings");
}

#[test]
fn cluster_autoscaler_flags_and_priorities_are_mapped() {
    let yaml = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cluster-autoscaler
  namespace: kube-system
spec:
  template:
    spec:
      containers:
        - name: cluster-autoscaler
          image: registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.1
          command:
            - ./cluster-autoscaler
            - --cloud-provider=aws
            - --expander=priority,least-waste
            - --scale-down-delay-after-add=5m
            - --scale-down-unneeded-time
            - 3m
            - --scale-down-utilization-threshold=0.6
            - --max-node-provision-time=10m
            - --max-nodes-total=100
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-autoscaler-priority-expander
  namespace: kube-system
data:
  priorities: |-
    10:
      - .*-ondemand
    50:
      - .*-spot
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    // The flags written, the rest at upstream's defaults (scan 10s, delete 0s, failure 3m, …).
    let expected = "cluster_autoscaler: (scan_interval: \"10s\", expanders: [Priority, \
                    LeastWaste], priorities: [(priority: 10, patterns: [\".*-ondemand\"]), \
                    (priority: 50, patterns: [\".*-spot\"])], max_node_provision_time: \
                    \"10m0s\", max_nodes_total: 100, max_nodes_per_scale_up: 1000, \
                    scale_down_enabled: true, scale_down_utilization_threshold: 0.6, \
                    scale_down_unneeded_time: \"3m0s\", scale_down_delay_after_add: \"5m0s\", \
                    scale_down_delay_after_delete: \"0s\", scale_down_delay_after_failure: \
                    \"3m0s\",";
    assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    // Not a service; the unmodelled flag is named once, with its line.
    assert!(!out.contains("name: \"cluster-autoscaler\""), "{out}");
    assert!(
        err.contains(":14: cluster-autoscaler flag --cloud-provider: ignored"),
        "{err}"
    );
    let bad = yaml.replace("priority,least-waste", "least-nodes");
    refused(
        &bad,
        ":15:15: spec.template.spec.containers[0].command[2]: expander \
                      `least-nodes` is not modelled",
    );
}

#[test]
fn a_keda_scaled_object_is_mapped_and_other_triggers_refused() {
    let yaml = "\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker-queue
spec:
  scaleTargetRef:
    name: worker
  pollingInterval: 15
  maxReplicaCount: 20
  triggers:
    - type: rabbitmq
      metadata:
        queueName: orders
        mode: QueueLength
        value: \"25\"
        activationValue: \"2\"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 0
  template:
    spec:
      containers:
        - name: worker
          resources:
            requests: {cpu: 250m, memory: 256Mi}
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    // Written: polling 15 s, max 20, target 25, activation 2; KEDA's defaults for the rest
    // (minReplicaCount 0, cooldownPeriod 300 s).
    let expected = "policies: (event_driven: [(name: \"worker-queue\", set: None, service: \
                    \"worker\", regions: None, metric: queue_length, target: 25.0, \
                    activation_threshold: 2.0, min_replicas: 0, max_replicas: 20, \
                    polling_interval: \"15s\", cooldown: \"5m0s\")]),";
    assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    assert!(
        err.contains(":13:20: ScaledObject spec.triggers[].metadata.queueName: ignored"),
        "{err}"
    );
    let prometheus = yaml.replace("type: rabbitmq", "type: prometheus");
    refused(
        &prometheus,
        ":11:13: spec.triggers[0].type: trigger `prometheus` is not modelled",
    );
}

#[test]
fn a_cronjob_becomes_a_batch_workload_and_an_experiment_gives_its_arrivals() {
    let yaml = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
  namespace: analytics
spec:
  schedule: \"0 2 * * *\"
  jobTemplate:
    metadata:
      labels:
        kueue.x-k8s.io/queue-name: reports
    spec:
      parallelism: 2
      completions: 4
      backoffLimit: 3
      activeDeadlineSeconds: 3600
      template:
        spec:
          containers:
            - name: report
              resources:
                requests: {cpu: \"1\", memory: 2Gi}
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "name: \"nightly-report\",\n            namespace: \"analytics\",",
        "// A Job arrives at each time the CronJob's schedule fires.\n            \
         // The CronJob sets no timeZone: the kube-controller-manager's own zone, UTC on \
         managed control planes; change time_zone if yours is not.\n            \
         // TODO: how long each Job's pods run, e.g. Constant(run: \"10m\") or \
         LogNormal(median: \"10m\", sigma: 0.5).\n            \
         arrivals: Schedule(cron: \"0 2 * * *\", time_zone: \"UTC\", duration: \
         Exponential(mean: \"0s\")),",
        "requests: (cpu: \"1\", memory: \"2Gi\"),\n            parallelism: 2,\n            \
         completions: 4,\n            backoff_limit: 3,\n            active_deadline: \
         \"3600s\",\n            queue: \"reports\",",
        "(name: \"analytics\"),",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    // From an experiment: its `batch` entry of that name gives the arrivals; the rest is the
    // manifest's. (The queue is dropped here: the experiment has no Kueue section.)
    let dir = with_manifest(&yaml.replace(
        "        kueue.x-k8s.io/queue-name: reports\n",
        "        team: reports\n",
    ));
    let src = common::GOOD.replace(
        "duration: \"1h\",",
        "duration: \"1h\",\n    manifests: [\"k8s\"],\n    batch: [(name: \"nightly-report\", \
         arrivals: Poisson(rate: Constant(rps: 0.001), duration: Constant(run: \"10m\")))],",
    );
    let x = parse_in(dir.path(), &src).unwrap();
    let b = &x.batch[0];
    assert_eq!(b.namespace, "analytics");
    assert_eq!((b.parallelism, b.completions), (Some(2), Some(4)));
    assert_eq!(b.backoff_limit, 3);
    assert_eq!(
        b.active_deadline.map(|d| d.to_string()).as_deref(),
        Some("1h0m0s")
    );
    assert_eq!(b.requests.map(|r| r.cpu.0), Some(1000));
    // Without that entry, the CronJob's Jobs have no run time: refused, naming it and what
    // the entry must give.
    let without = common::GOOD.replace(
        "duration: \"1h\",",
        "duration: \"1h\",\n    manifests: [\"k8s\"],",
    );
    let err = parse_in(dir.path(), &without).unwrap_err();
    assert!(
        err.contains("batch: the manifests' CronJob analytics/nightly-report at ")
            && err.contains(
                "expected one named `nightly-report` with at least its `arrivals: \
                 Schedule(duration: …)`: how long each Job runs, the schedule being the CronJob's"
            ),
        "{err}"
    );
}

#[test]
fn kueue_flavors_queues_and_local_queues_are_mapped() {
    let yaml = "\
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata:
  name: spot
spec:
  nodeLabels:
    karpenter.sh/capacity-type: spot
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata:
  name: team-a
spec:
  cohort: research
  queueingStrategy: StrictFIFO
  resourceGroups:
    - coveredResources: [cpu, memory]
      flavors:
        - name: spot
          resources:
            - name: cpu
              nominalQuota: 9
              borrowingLimit: 1
            - name: memory
              nominalQuota: 36Gi
  preemption:
    withinClusterQueue: LowerPriority
    reclaimWithinCohort: Any
    borrowWithinCohort:
      policy: LowerPriority
      maxPriorityThreshold: 100
  fairSharing:
    weight: 2
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata:
  name: team-a
  namespace: team-a
spec:
  clusterQueue: team-a
";
    let (code, out, err, _dir) = import_text(yaml);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "kueue: (resource_flavors: [(name: \"spot\", node_labels: {\"karpenter.sh/capacity-type\": \
         \"spot\"})], cluster_queues: [(name: \"team-a\", cohort: \"research\", \
         queueing_strategy: StrictFIFO, flavors: [(name: \"spot\", nominal: (cpu: \"9\", memory: \
         \"36Gi\", gpu: None, pods: None), borrowing_limit: (cpu: \"1\", memory: None, gpu: None, \
         pods: None), lending_limit: None)], preemption: (within_cluster_queue: LowerPriority, \
         reclaim_within_cohort: Any, borrow_within_cohort: (max_priority_threshold: 100), \
         after_waiting: \"0s\"), fair_sharing_weight: 2.0, max_admitted_per_user: None)], \
         local_queues: [(name: \"team-a\", namespace: \"team-a\", cluster_queue: \"team-a\")], \
         fair_sharing: false),",
        // The LocalQueue's namespace is declared.
        "(name: \"team-a\"),",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    let gpu_typo = yaml.replace("- name: memory", "- name: nvidia.com/gpus");
    refused(
        &gpu_typo,
        ":24:21: spec.resourceGroups[0].flavors[0].resources[1].name: a quota of \
                      `nvidia.com/gpus` is not modelled",
    );
}

#[test]
fn the_region_flag_names_the_cluster_region() {
    let r = common::clustersim(&[
        "import",
        "experiments/manifests/shop/",
        "--region",
        "europe-west1",
    ]);
    assert!(r.status.success(), "{}", common::text(&r.stderr));
    let out = common::text(&r.stdout);
    assert!(out.contains(r#"regions: [(name: "europe-west1""#), "{out}");
}

#[test]
fn the_cronjob_example_runs_as_its_import_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let imported = dir.path().join("imported.ron");
    let (code, _, err) = import(&[
        "experiments/manifests/cronjob",
        "--name",
        "manifests-cronjob",
        "--out",
        imported.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let raw = fs::read_to_string(&imported).unwrap();
    // The CronJob's schedule and zone are the import's own; only the run time is filled in,
    // with what experiments/manifests-cronjob.ron writes.
    let schedule = "arrivals: Schedule(cron: \"0 9-17 * * 1-5\", time_zone: \"America/New_York\", \
                    duration: ";
    assert!(
        raw.contains(&format!("{schedule}Exponential(mean: \"0s\")),")),
        "{raw}"
    );
    let filled = raw
        .replace(
            "duration: \"24h\",",
            "seed: 11,\n    start: \"2026-06-01T00:00:00Z\",\n    duration: \"24h\",",
        )
        .replace(
            "regions: [(name: \"TODO\", zones: [\"TODO-a\"])]",
            "regions: [(name: \"us-east1\", zones: [\"us-east1-b\"])]",
        )
        .replace(
            "node_pools: [(name: \"TODO\", region: \"TODO\", instance_type: \"TODO\", nodes: 0)]",
            "node_pools: [(name: \"general\", region: \"us-east1\", instance_type: \
             \"n2-standard-8\", nodes: 2)]",
        )
        .replace(
            &format!("{schedule}Exponential(mean: \"0s\")),"),
            &format!("{schedule}LogNormal(median: \"20m\", sigma: 0.5)),"),
        )
        .replace("capacity_rps: 0,", "capacity_rps: 100,")
        .replace("Constant(rps: -1)", "Constant(rps: 200)");
    assert!(!filled.contains("TODO\""), "{filled}");
    fs::write(&imported, &filled).unwrap();
    let summary = |file: &str, out: &str| -> serde_json::Value {
        let out = dir.path().join(out);
        let r = clustersim(&["run", file, "--out", out.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        let mut v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("description");
        v
    };
    let direct = summary("experiments/manifests-cronjob.ron", "direct");
    assert_eq!(direct, summary(imported.to_str().unwrap(), "imported"));
    // 09:00 to 17:00 in New York on a June Monday: 9 Jobs.
    assert_eq!(direct["batch"]["jobs"], 9);
}
