//! The experiment file as text: RON in the layout of `experiments/*.ron`, with a comment
//! saying where each section came from and a `TODO` on every value the manifests cannot tell.
//! Each TODO carries a placeholder the experiment checks refuse (a region and an instance type
//! named "TODO", no nodes, `capacity_rps: 0`, and traffic of −1 requests/s, since 0 would be a
//! valid idle service), so `validate` points at the first one left, with its line.

use std::fmt::Write as _;
use std::path::PathBuf;

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::Serialize;

use super::model::{Hpa, Imported, Job, Rules, Service, Target};

/// The placeholder of every unknown name.
const TODO: &str = "TODO";

/// The fields of a `services` entry no manifest can tell, written as placeholders.
pub const SERVICE_TODO_FIELDS: [&str; 2] = ["capacity_rps", "traffic"];

/// The fields of a `batch` entry no manifest can tell, written as a placeholder (except for a
/// suspended CronJob, whose Jobs never arrive). Of a running CronJob's `arrivals` only the
/// `duration` is unknown: `Schedule(cron, time_zone)` are its own.
pub const JOB_TODO_FIELDS: [&str; 1] = ["arrivals"];

/// The arrivals of a suspended CronJob: none.
const NO_ARRIVALS: &str = "Poisson(rate: Constant(rps: 0), duration: Constant(run: \"1s\"))";

/// The placeholder of a CronJob's Jobs' run time: an exponential of mean 0, which the checks
/// refuse (`Constant(run: "0s")` would be a valid instant Job).
const TODO_DURATION: &str = "Exponential(mean: \"0s\")";

/// The whole file; `region` names the cluster's region, else it is a TODO.
pub fn experiment(x: &Imported, name: &str, paths: &[PathBuf], region: Option<&str>) -> String {
    let mut o = String::new();
    let from: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let _ = writeln!(
        o,
        "// Imported by `clustersim import` from {}.",
        from.join(", ")
    );
    o.push_str(
        "// Every value the manifests cannot tell is marked TODO, with a placeholder that\n\
         // `clustersim validate` refuses: fill them in, then `clustersim run` this file.\n",
    );
    o.push_str("Experiment(\n");
    let _ = writeln!(o, "    name: {},", quote(name));
    o.push_str("    duration: \"24h\",\n");
    let region = region.unwrap_or(TODO);
    let _ = writeln!(
        o,
        "    // TODO: the cluster's region and zones, e.g. (name: \"us-east1\", zones: \
         [\"us-east1-b\", \"us-east1-c\"]).\n    regions: [(name: {}, zones: [\"{TODO}-a\"])],",
        quote(region)
    );
    let _ = writeln!(
        o,
        "    // TODO: the node pools, e.g. (name: \"general\", region: \"us-east1\", \
         instance_type: \"n2-standard-8\", nodes: 3).\n    node_pools: [(name: \"{TODO}\", \
         region: {}, instance_type: \"{TODO}\", nodes: 0)],",
        quote(region)
    );
    if !x.namespaces.is_empty() {
        o.push_str("    namespaces: [\n");
        for n in &x.namespaces {
            let _ = writeln!(o, "        // Namespace {} at {}", n.name, n.source);
            match &n.quota {
                None => {
                    let _ = writeln!(o, "        (name: {}),", quote(&n.name));
                }
                Some(q) => {
                    let _ = writeln!(o, "        // quota: {}", q.source);
                    let mut parts = Vec::new();
                    if let Some(c) = q.cpu {
                        parts.push(format!("cpu: \"{c}\""));
                    }
                    if let Some(m) = q.memory {
                        parts.push(format!("memory: \"{m}\""));
                    }
                    if let Some(p) = q.pods {
                        parts.push(format!("pods: {p}"));
                    }
                    let _ = writeln!(
                        o,
                        "        (name: {}, quota: ({})),",
                        quote(&n.name),
                        parts.join(", ")
                    );
                }
            }
        }
        o.push_str("    ],\n");
    }
    if !x.priority_classes.is_empty() {
        o.push_str("    priority_classes: [\n");
        for c in &x.priority_classes {
            let _ = writeln!(o, "        // {}", c.source);
            let default = if c.global_default {
                ", global_default: true"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "        (name: {}, value: {}{default}),",
                quote(&c.name),
                c.value
            );
        }
        o.push_str("    ],\n");
    }
    node_autoscaling(&mut o, x, region);
    let mut policies = Vec::new();
    for (list, entries) in [
        ("scheduled", ron_each(&x.scheduled)),
        ("event_driven", ron_each(&x.event_driven)),
    ] {
        if !entries.is_empty() {
            let (sources, values): (Vec<&str>, Vec<String>) = entries.into_iter().unzip();
            for source in sources {
                let _ = writeln!(o, "    // {source}");
            }
            policies.push(format!("{list}: [{}]", values.join(", ")));
        }
    }
    if !policies.is_empty() {
        let _ = writeln!(o, "    policies: ({}),", policies.join(", "));
    }
    if let Some(k) = &x.kueue {
        o.push_str(
            "    // Kueue's ResourceFlavors, ClusterQueues and LocalQueues of the manifests.\n",
        );
        let _ = writeln!(o, "    kueue: {},", ron(k));
    }
    if !x.jobs.is_empty() {
        o.push_str("    batch: [\n");
        for j in &x.jobs {
            job(&mut o, j);
        }
        o.push_str("    ],\n");
    }
    o.push_str("    services: [\n");
    for s in &x.services {
        service(&mut o, s);
    }
    o.push_str("    ],\n)\n");
    o
}

/// The region's node autoscaler: the Cluster Autoscaler's flags or Karpenter's NodePools
/// with the settings its controller Deployment gives (the others at their defaults).
fn node_autoscaling(o: &mut String, x: &Imported, region: &str) {
    let autoscaler = if let Some((flags, source)) = &x.cluster_autoscaler {
        let _ = writeln!(o, "    // {source}");
        format!("cluster_autoscaler: {}", ron(flags))
    } else if !x.karpenter.is_empty() {
        let mut settings = Vec::new();
        if let Some((s, source)) = &x.karpenter_controller {
            let _ = writeln!(o, "    // {source}");
            let written = [
                (
                    "batch_idle_duration",
                    s.batch_idle_duration.map(|d| ron(&d)),
                ),
                ("batch_max_duration", s.batch_max_duration.map(|d| ron(&d))),
                (
                    "spot_to_spot_consolidation",
                    s.spot_to_spot_consolidation.map(|b| b.to_string()),
                ),
            ];
            for (key, value) in written {
                if let Some(v) = value {
                    settings.push(format!("{key}: {v}, "));
                }
            }
        }
        let mut pools = Vec::new();
        for (pool, source) in &x.karpenter {
            let _ = writeln!(o, "    // {source}");
            pools.push(ron(pool));
        }
        format!(
            "karpenter: ({}node_pools: [{}])",
            settings.concat(),
            pools.join(", ")
        )
    } else {
        return;
    };
    let _ = writeln!(
        o,
        "    node_autoscaling: [(region: {}, {autoscaler})],",
        quote(region)
    );
}

/// One `batch` entry: its arrivals a TODO whose placeholder (a rate of −1 Jobs/s) the checks
/// refuse; a CronJob's its schedule, with a TODO for how long each Job runs.
fn job(o: &mut String, j: &Job) {
    let _ = writeln!(o, "        (\n            // {}", j.source);
    let mut line = |text: String| {
        let _ = writeln!(o, "            {text}");
    };
    line(format!("name: {},", quote(&j.name)));
    if j.namespace != "default" {
        line(format!("namespace: {},", quote(&j.namespace)));
    }
    match &j.schedule {
        _ if j.suspended => {
            line("// The CronJob is suspended: no Jobs arrive.".to_owned());
            line(format!("arrivals: {NO_ARRIVALS},"));
        }
        Some((cron, zone)) => {
            line("// A Job arrives at each time the CronJob's schedule fires.".to_owned());
            if zone.is_none() {
                line(
                    "// The CronJob sets no timeZone: the kube-controller-manager's own zone, \
                     UTC on managed control planes; change time_zone if yours is not."
                        .to_owned(),
                );
            }
            line(
                "// TODO: how long each Job's pods run, e.g. Constant(run: \"10m\") or \
                 LogNormal(median: \"10m\", sigma: 0.5)."
                    .to_owned(),
            );
            line(format!(
                "arrivals: Schedule(cron: {}, time_zone: {}, duration: {TODO_DURATION}),",
                quote(cron),
                quote(zone.as_deref().unwrap_or("UTC"))
            ));
        }
        None => {
            line(
                "// TODO: how often its Jobs arrive and how long their pods run, e.g. \
                 Poisson(rate: Constant(rps: 0.001), duration: LogNormal(median: \"10m\", \
                 sigma: 0.5))."
                    .to_owned(),
            );
            line(
                "arrivals: Poisson(rate: Constant(rps: -1), duration: Constant(run: \"1s\")),"
                    .to_owned(),
            );
        }
    }
    line(format!(
        "requests: (cpu: \"{}\", memory: \"{}\"),",
        j.cpu, j.memory
    ));
    if let Some(p) = &j.priority_class {
        line(format!("priority_class: {},", quote(p)));
    }
    for (key, value) in [
        ("parallelism", j.parallelism),
        ("completions", j.completions),
        ("backoff_limit", j.backoff_limit),
    ] {
        if let Some(v) = value {
            line(format!("{key}: {v},"));
        }
    }
    if let Some(d) = j.active_deadline_s {
        line(format!("active_deadline: \"{d}s\","));
    }
    if let Some(q) = &j.queue {
        line(format!("queue: {},", quote(q)));
    }
    let _ = writeln!(o, "        ),");
}

/// One `services` entry.
fn service(o: &mut String, s: &Service) {
    let _ = writeln!(o, "        (\n            // {}", s.source);
    let mut line = |text: String| {
        let _ = writeln!(o, "            {text}");
    };
    line(format!("name: {},", quote(&s.name)));
    if s.namespace != "default" {
        line(format!("namespace: {},", quote(&s.namespace)));
    }
    line(format!("replicas: {},", s.replicas));
    line(format!(
        "requests: (cpu: \"{}\", memory: \"{}\"),",
        s.cpu, s.memory
    ));
    if s.limit_cpu.is_some() || s.limit_memory.is_some() || s.gpus > 0 {
        let mut parts = Vec::new();
        if let Some(c) = s.limit_cpu {
            parts.push(format!("cpu: \"{c}\""));
        }
        if let Some(m) = s.limit_memory {
            parts.push(format!("memory: \"{m}\""));
        }
        // `nvidia.com/gpu`: the limit alone, which is also the request.
        if s.gpus > 0 {
            parts.push(format!("gpus: {}", s.gpus));
        }
        line(format!("limits: ({}),", parts.join(", ")));
    }
    line("// TODO: requests/s one pod serves when its CPU request is fully busy.".to_owned());
    line("capacity_rps: 0,".to_owned());
    line(
        "// TODO: the requests/s arriving, e.g. Constant(rps: 200) or Diurnal(mean_rps: 200, \
         amplitude: 0.5, peak_hour: 14)."
            .to_owned(),
    );
    line("traffic: Constant(rps: -1),".to_owned());
    if let Some(p) = &s.priority_class {
        line(format!("priority_class: {},", quote(p)));
    }
    if let Some(t) = s.termination_grace_s {
        line(format!("termination_grace: \"{t}s\","));
    }
    if let Some(r) = s.readiness_s {
        line(format!("readiness: \"{r}s\","));
    }
    if !s.node_selector.is_empty() {
        let pairs: Vec<String> = s
            .node_selector
            .iter()
            .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
            .collect();
        line(format!("node_selector: {{{}}},", pairs.join(", ")));
    }
    if !s.tolerations.is_empty() {
        let items: Vec<String> = s
            .tolerations
            .iter()
            .map(|t| {
                let effect = t
                    .effect
                    .map(|e| format!(", effect: {e}"))
                    .unwrap_or_default();
                format!(
                    "(key: {}, operator: {}, value: {}{effect})",
                    quote(&t.key),
                    t.operator,
                    quote(&t.value)
                )
            })
            .collect();
        line(format!("tolerations: [{}],", items.join(", ")));
    }
    if !s.topology_spread.is_empty() {
        let items: Vec<String> = s
            .topology_spread
            .iter()
            .map(|(skew, key)| format!("(max_skew: {skew}, topology_key: {})", quote(key)))
            .collect();
        line(format!("topology_spread: [{}],", items.join(", ")));
    }
    if !s.node_affinity.is_empty() {
        line(format!("node_affinity: {},", ron(&s.node_affinity)));
    }
    if let Some(m) = s.min_available {
        line(format!("disruption_budget: (min_available: {m}),"));
    }
    if let Some(h) = &s.hpa {
        hpa(&mut line, h);
    }
    if let Some((vpa, source)) = &s.vpa {
        line(format!("// {source}"));
        line(format!("vpa: {},", ron(vpa)));
    }
    let _ = writeln!(o, "        ),");
}

fn hpa(line: &mut impl FnMut(String), h: &Hpa) {
    line(format!("// {}", h.source));
    if h.metrics.iter().any(|m| m.resource == "memory") {
        line(
            "// TODO: a memory metric needs the pods' memory use, e.g. memory_usage: \
             (base: \"300Mi\", per_rps: \"1Mi\")."
                .to_owned(),
        );
    }
    line("hpa: (".to_owned());
    line(format!("    min_replicas: {},", h.min_replicas));
    line(format!("    max_replicas: {},", h.max_replicas));
    let metrics: Vec<String> = h
        .metrics
        .iter()
        .map(|m| {
            let target = match &m.target {
                Target::Utilization(p) => format!("Utilization({p})"),
                Target::AverageValue(v) => format!("AverageValue({})", quote(v)),
            };
            format!("Resource(name: {}, target: {target})", m.resource)
        })
        .collect();
    line(format!("    metrics: [{}],", metrics.join(", ")));
    if h.scale_up.is_some() || h.scale_down.is_some() {
        let mut parts = Vec::new();
        if let Some(r) = &h.scale_up {
            parts.push(format!("scale_up: {}", rules(r)));
        }
        if let Some(r) = &h.scale_down {
            parts.push(format!("scale_down: {}", rules(r)));
        }
        line(format!("    behavior: ({}),", parts.join(", ")));
    }
    line("),".to_owned());
}

/// One direction of `behavior` on one line.
fn rules(r: &Rules) -> String {
    let mut parts = Vec::new();
    if let Some(w) = r.stabilization_window_s {
        parts.push(format!("stabilization_window: \"{w}s\""));
    }
    if let Some(p) = r.select_policy {
        parts.push(format!("select_policy: {p}"));
    }
    if !r.policies.is_empty() {
        let policies: Vec<String> = r
            .policies
            .iter()
            .map(|(ty, value, period)| format!("{ty}(value: {value}, period: \"{period}s\")"))
            .collect();
        parts.push(format!("policies: [{}]", policies.join(", ")));
    }
    format!("({})", parts.join(", "))
}

/// A config in RON, on one line, optional values written plainly as the experiment reads
/// them. A config that cannot be written (none can: every field is a plain value) is left as
/// a comment, so the file fails to parse at that place rather than silently.
fn ron<T: Serialize>(value: &T) -> String {
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let one_line = PrettyConfig::new()
        .compact_structs(true)
        .compact_arrays(true)
        .compact_maps(true);
    options
        .to_string_pretty(value, one_line)
        .unwrap_or_else(|e| format!("/* cannot be written: {e} */"))
}

/// Each config in RON, with its source.
fn ron_each<T: Serialize>(entries: &[(T, String)]) -> Vec<(&str, String)> {
    entries
        .iter()
        .map(|(value, source)| (source.as_str(), ron(value)))
        .collect()
}

/// A RON string literal (Rust's escapes, which RON shares).
fn quote(s: &str) -> String {
    format!("{s:?}")
}
