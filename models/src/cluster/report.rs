//! What the cluster reports: the time-series rows of a sample instant (services, pools,
//! namespaces' costs) and the whole-run figures at the end.

use sim::time::{SimDuration, SimTime};

use super::events;
use super::nodes::Node;
use super::qos;
use super::{Cluster, NS_PER_S};
use crate::api::{
    NamespaceSample, PoolBill, PoolSample, Sample, ServiceSample, SurgeClock, UNREQUESTED,
};
use crate::latency::{Counts, Histogram};

/// Whole-run figures of one service in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReport {
    pub service: String,
    pub region: String,
    pub qos: qos::QosClass,
    pub total: Counts,
    pub histogram: Histogram,
}

/// Whole-run figures of a namespace (the last one is [`UNREQUESTED`]). Costs are charged at
/// sample instants, so they are complete when the report is taken at the run's last sample.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceReport {
    pub namespace: String,
    pub cost_usd: f64,
    pub pods_refused_by_quota: u64,
}

/// Whole-run figures of the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterReport {
    pub services: Vec<ServiceReport>,
    pub pools: Vec<PoolBill>,
    pub namespaces: Vec<NamespaceReport>,
    pub events: Vec<events::Event>,
    pub events_dropped: u64,
    /// Σ over pods of the time they spent Pending.
    pub pending_pod_seconds: f64,
    /// The Jobs' figures, when the run has batch workloads.
    pub batch: Option<crate::jobs::BatchReport>,
    /// Every interval with at least one pod pending (time to capacity).
    pub surges: SurgeClock,
    /// Messages, queries and timers the cluster handled over the run.
    pub events_handled: u64,
}

impl Cluster {
    pub(super) fn sample_now(&mut self, now_ns: u64) -> Sample {
        self.advance_queues(SimTime::from_nanos(now_ns));
        let end = self.services_end();
        let services = self.deployments[..end]
            .iter_mut()
            .map(|d| {
                let interval = d.queue.take_interval();
                ServiceSample {
                    service: d.name.clone(),
                    region: d.region.clone(),
                    desired_pods: d.desired,
                    ready_pods: d.ready,
                    pending_pods: d.pending,
                    now: d.queue.snapshot(),
                    cpu_utilization: d.take_cpu_utilization(now_ns, interval.served),
                    interval,
                }
            })
            .collect();
        let pools = self.pool_figures(now_ns);
        self.costs.charge(&pools);
        let namespaces = self
            .namespaces
            .iter()
            .map(|n| n.name.clone())
            .chain(std::iter::once(UNREQUESTED.to_owned()))
            .zip(self.costs.namespace_costs_usd())
            .map(|(namespace, &cost_usd)| NamespaceSample {
                namespace,
                cost_usd,
            })
            .collect();
        let queues = self
            .batch
            .as_ref()
            .and_then(|b| b.queueing.as_ref())
            .map(|q| q.sample())
            .unwrap_or_default();
        Sample {
            services,
            pools,
            namespaces,
            queues,
        }
    }

    fn pool_figures(&self, now_ns: u64) -> Vec<PoolSample> {
        let mut figures: Vec<PoolSample> = self
            .pools
            .iter()
            .map(|p| PoolSample {
                pool: p.name.clone(),
                region: p.region.clone(),
                capacity_type: p.capacity_type,
                nodes: 0,
                cpu_requested_fraction: 0.0,
                allocatable_cpu_millis: 0,
                cost_usd: 0.0,
            })
            .collect();
        let mut requested = vec![(0u64, 0u64); self.pools.len()];
        for node in self.nodes.all() {
            let p = self.placement.pool_of_group(node.group) as usize;
            let end = node.removed_ns.unwrap_or(now_ns);
            let lifetime = SimDuration::from_nanos(end.saturating_sub(node.created_ns));
            figures[p].cost_usd += self
                .costs
                .node_cost_usd(lifetime, self.pools[p].price_usd_per_hour);
            if node.removed_ns.is_none() {
                figures[p].nodes += 1;
                requested[p].0 += node.requested_cpu_millis;
                requested[p].1 += node.allocatable_cpu_millis;
            }
        }
        for (f, (req, alloc)) in figures.iter_mut().zip(requested) {
            f.allocatable_cpu_millis = alloc;
            f.cpu_requested_fraction = if alloc > 0 {
                req as f64 / alloc as f64
            } else {
                0.0
            };
        }
        figures
    }

    /// Whole-run figures up to `now_ns`.
    pub(super) fn report_at(&mut self, now_ns: u64) -> ClusterReport {
        self.advance_queues(SimTime::from_nanos(now_ns));
        self.pending.account(now_ns);
        let pools = self
            .pool_figures(now_ns)
            .into_iter()
            .zip(&self.pools)
            .enumerate()
            .map(|(p, (f, state))| {
                let nodes: Vec<&Node> = self
                    .nodes
                    .all()
                    .iter()
                    .filter(|n| self.placement.pool_of_group(n.group) as usize == p)
                    .collect();
                let node_hours = nodes
                    .iter()
                    .map(|n| n.removed_ns.unwrap_or(now_ns).saturating_sub(n.created_ns) as f64)
                    .sum::<f64>()
                    / NS_PER_S
                    / 3600.0;
                PoolBill {
                    pool: state.name.clone(),
                    region: state.region.clone(),
                    instance_type: state.instance_type.clone(),
                    capacity_type: state.capacity_type,
                    nodes: nodes.len() as u32,
                    node_hours,
                    cost_usd: f.cost_usd,
                }
            })
            .collect();
        ClusterReport {
            services: self.deployments[..self.services_end()]
                .iter()
                .map(|d| ServiceReport {
                    service: d.name.clone(),
                    region: d.region.clone(),
                    qos: d.template().qos,
                    total: d.queue.total(),
                    histogram: d.queue.histogram().clone(),
                })
                .collect(),
            pools,
            namespaces: self
                .namespaces
                .iter()
                .map(|n| (n.name.clone(), n.refused))
                .chain(std::iter::once((UNREQUESTED.to_owned(), 0)))
                .zip(self.costs.namespace_costs_usd())
                .map(|((namespace, refused), &cost_usd)| NamespaceReport {
                    namespace,
                    cost_usd,
                    pods_refused_by_quota: refused,
                })
                .collect(),
            events: self.events.events().to_vec(),
            events_dropped: self.events.dropped(),
            pending_pod_seconds: self.pending.pod_seconds(),
            batch: self.batch_report(),
            surges: self.pending.surges().clone(),
            events_handled: self.events_handled,
        }
    }
}
