//! Placement benchmark: place N pods on N/100 nodes over 47 regions, then scale every service
//! down by half, and report wall time, peak memory and bytes per object.
//!
//! Run: `cargo run --release -p clustersim-models --example placement_bench -- 2000000`
//! (several sizes: `… -- 10000 100000 1000000 2000000`). A benchmark, never a test: figures go
//! to BENCHMARKS.md with the command.

use std::time::Instant;

use clustersim_models::catalog::InstanceFacts;
use clustersim_models::cluster::nodes::Node;
use clustersim_models::cluster::pods::Pod;
use clustersim_models::config::{CapacityType, Resources};
use clustersim_models::plan::{ClusterPlan, NamespacePlan, PodTimings, PoolPlan, ServicePlan};
use clustersim_models::run::{DEFAULT_EVENT_BUDGET, Plan, run};
use clustersim_models::scheduler::resources::ScoringStrategy;
use sim::quantity::{Bytes, CpuMillis};
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::traffic::Shape;

const REGIONS: usize = 47;
const SERVICES_PER_REGION: usize = 10;
const PODS_PER_NODE: usize = 100;

fn plan(pods: usize) -> Plan {
    let nodes_per_region = (pods / PODS_PER_NODE).div_ceil(REGIONS).max(1) as u32;
    let replicas = (pods / REGIONS / SERVICES_PER_REGION).max(1) as u32;
    let mut pools = Vec::new();
    let mut services = Vec::new();
    for r in 0..REGIONS {
        let region = format!("region-{r:02}");
        pools.push(PoolPlan {
            name: format!("general-{r:02}"),
            region: region.clone(),
            zones: (0..3).map(|z| format!("{region}-{z}")).collect(),
            instance: InstanceFacts {
                instance_type: "n2-standard-32".into(),
                region: region.clone(),
                vcpu: 32,
                memory_bytes: 128 << 30,
                ondemand_usd_per_hour: 1.553888,
                spot_usd_per_hour: None,
                interruption_band: None,
            },
            capacity_type: CapacityType::OnDemand,
            nodes: nodes_per_region,
            min_nodes: 0,
            max_nodes: None,
            provisioning_delay: SimDuration::from_secs(60),
            labels: Default::default(),
            taints: Vec::new(),
            reservation: Default::default(),
        });
        for s in 0..SERVICES_PER_REGION {
            services.push(ServicePlan {
                name: format!("svc-{s}"),
                region: region.clone(),
                namespace: 0,
                priority: 0,
                replicas,
                replica_schedule: vec![(SimTime::from_secs(60), replicas / 2)],
                requests: Resources {
                    cpu: CpuMillis(250),
                    memory: Bytes(512 << 20),
                },
                limits: (None, None),
                capacity_rps: 50.0,
                timeout: SimDuration::from_secs(30),
                traffic: Shape::Constant { rps: 10.0 },
                timings: PodTimings {
                    startup: SimDuration::from_secs(5),
                    readiness: SimDuration::ZERO,
                    termination_grace: SimDuration::from_secs(30),
                },
                node_selector: Default::default(),
                node_affinity: Vec::new(),
                tolerations: Vec::new(),
                min_available: None,
                zone_max_skew: None,
                host_max_skew: None,
                warm_up: None,
                latency_target: None,
                memory_usage: None,
                gpus: 0,
                hold_at_zero: false,
            });
        }
    }
    Plan {
        seed: 0,
        fidelity: Default::default(),
        start: UtcInstant::from_unix_s(0),
        duration: SimDuration::from_secs(120),
        output_interval: SimDuration::from_secs(60),
        cluster: ClusterPlan {
            pools,
            services,
            namespaces: vec![NamespacePlan {
                name: "default".into(),
                quota_cpu_millis: None,
                quota_memory_bytes: None,
                quota_pods: None,
            }],
            latency_target: None,
            scoring: ScoringStrategy::LeastAllocated,
            minimum_billed: SimDuration::from_secs(60),
            control_plane: Default::default(),
        },
        hpas: Vec::new(),
        batch: None,
        hpa_controller: Default::default(),
        vpas: Vec::new(),
        policies: Default::default(),
        routes: Vec::new(),
        node_autoscalers: Vec::new(),
        faults: None,
        event_budget: DEFAULT_EVENT_BUDGET,
    }
}

/// Peak resident set size of this process, from `/proc/self/status` (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000]
    } else {
        sizes
    };
    println!(
        "bytes per pod record {}, per node record {}",
        size_of::<Pod>(),
        size_of::<Node>()
    );
    for pods in sizes {
        let plan = plan(pods);
        let nodes: u32 = plan.cluster.pools.iter().map(|p| p.nodes).sum();
        let started = Instant::now();
        let out = match run(&plan, |_| {}) {
            Ok(out) => out,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let wall = started.elapsed().as_secs_f64();
        let killed = out.events.column("reason").map(|v| v.len()).unwrap_or(0);
        println!(
            "pods {pods:>9} nodes {nodes:>6}: placed + scaled down (events {killed}) in {wall:.2} s, \
             {:.0} pods/s, peak RSS {:.0} MiB",
            pods as f64 / wall,
            peak_rss_mib().unwrap_or(f64::NAN)
        );
    }
}
