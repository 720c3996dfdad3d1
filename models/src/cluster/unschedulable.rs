//! The `FailedScheduling` event a deployment's pods get when the scheduler's cycle places none
//! of them: one event per deployment and cycle, in the words a user would search for.

use sim::quantity::{Bytes, CpuMillis};

use super::Cluster;
use crate::api::Reason;

impl Cluster {
    pub(super) fn log_unschedulable(&mut self, d: u32, now_ns: u64) {
        let dep = &self.deployments[d as usize];
        let total: usize = dep
            .groups
            .iter()
            .map(|&g| self.nodes.schedulable_in(g))
            .sum();
        let (name, region, cpu, memory) = (
            dep.name.clone(),
            dep.region.clone(),
            dep.template().cpu_millis,
            dep.template().memory_bytes,
        );
        let pending = dep.pending;
        let no_pool = dep.groups.is_empty();
        self.events.push(
            now_ns,
            Reason::FailedScheduling,
            || format!("deployment/{name}-{region}"),
            || {
                if no_pool {
                    format!(
                        "{pending} pod(s) pending: no node pool in {region} matches the node selector and tolerates its taints"
                    )
                } else {
                    format!(
                        "{pending} pod(s) pending: 0/{total} nodes are available: insufficient cpu or memory for requests cpu={} memory={}",
                        CpuMillis(cpu),
                        Bytes(memory)
                    )
                }
            },
        );
    }
}
