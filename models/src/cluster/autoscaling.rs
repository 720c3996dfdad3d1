//! What a node autoscaler reads of the cluster: one region's node groups, nodes and pending
//! pods as the compact snapshot of `crate::api`'s view types.
//!
//! The autoscaler names its node groups (Cluster Autoscaler node groups, or Karpenter
//! NodePools) as lists of cluster pools in a [`ViewRequest`]. Node group sizes come from
//! per-group state counts (`Nodes::count_in`, `Nodes::provisioning_in`) and pending pods from
//! the deployments, O(groups + deployments); only when nodes are listed does the answer walk
//! the region's live nodes (`Nodes::live_in`). A node's pod groups are counted as pods bind and
//! leave (`Cluster::node_groups`), so a scan never walks pods.
//!
//! How Kubernetes objects become the view's fields:
//! * a node group's template is its first pool's (allocatable from the pool, capacity and
//!   instance type from the request, which the autoscaler resolved from the catalog);
//! * target size = nodes launched and not cordoned (Provisioning, Ready, NotReady): a node
//!   being drained has already left its group, as after upstream's `DeleteNodes`;
//! * a pod group is one deployment's pods (they share requests, priority and placement);
//!   `fits` = the node groups holding a pool whose labels and taints the deployment admits
//!   (its `groups`, decided per pool and zone by `admitting_groups`);
//! * the PDB blocker: walking a node's pods, each takes one of its budget's allowed
//!   disruptions (ready pods − `minAvailable`), as `Cluster::preemption_residents` does; the
//!   node is blocked once a budget goes below zero. clustersim has no bare pods, kube-system
//!   pods or eviction annotations, so the other blockers are never set;
//! * terminating pods hold resources (`requested`) but are not listed: they do not move.
//! * a pod group's requests are its deployment's current pod template's: the node totals
//!   (`requested`) add each pod's own template, but the per-node counts are per deployment, so
//!   while a deployment has pods of two revisions the groups show them all at the current one
//!   (counting by revision is the step a VPA or a rolling update needs here).

use std::cell::OnceCell;

use sim::time::SimTime;

use super::Cluster;
use super::deployment_counts::DeploymentCounts;
use crate::api::{
    AutoscalingView, Bin, ClusterView, DrainPlan, GroupSet, NodeGroupView, NodeRoom, NodeState,
    NodeView, PodGroup, PoolTemplate, RemovalBlockers, Shape, ViewNames, ViewRequest, utilization,
};

/// The Cluster Autoscaler's utilization of a node: its GPUs' for a node with GPUs
/// (`crate::gpu::scale_down_utilization`, upstream's `Calculate`), else the larger of its cpu
/// and memory shares; the view lists the pods of nodes at or below the threshold by it.
fn scale_down_utilization(requested: Shape, allocatable: Shape) -> f64 {
    crate::gpu::scale_down_utilization(requested.gpus, allocatable.gpus)
        .unwrap_or_else(|| utilization(requested, allocatable))
}

impl Cluster {
    /// Builds the view `request` asks for, from the cluster as it is now.
    pub(super) fn autoscaling_view(&self, request: &ViewRequest) -> AutoscalingView {
        let groups = request.groups as usize;
        // Pool id → its template, for the pools of the request. Sized by the request, not by
        // the cluster: a view costs what its region holds, however many regions there are.
        // Built when first needed: a Karpenter region's view of pending pods, once a second,
        // needs none while the region has no pending pod.
        let template_of_pool = OnceCell::new();
        // Per deployment of the region: the node groups its pods may run on, worked out for
        // the deployments the view lists (pending pods, pods on listed nodes) when first
        // listed, not for every deployment at every view (a Karpenter region asks once a
        // second).
        let mut table = self.view_fits.borrow_mut();
        if table.len() < self.deployments.len() {
            table.resize(self.deployments.len(), None);
        }
        let mut fits = Fits {
            cluster: self,
            request,
            region: self.placement.region_index(&request.region),
            template_of_pool: &template_of_pool,
            of: &mut table,
            filled: Vec::new(),
        };
        if request.pending_only {
            return AutoscalingView {
                view: ClusterView {
                    pending: self.pending_groups(&mut fits),
                    ..ClusterView::default()
                },
                provisioning_nodes: Vec::new(),
                names: ViewNames::default(),
            };
        }
        let mut node_groups: Vec<Option<NodeGroupView>> = vec![None; groups];
        for t in &request.pools {
            let state = &self.pools[t.pool as usize];
            let Some(slot) = node_groups.get_mut(t.group as usize) else {
                continue;
            };
            let group = slot.get_or_insert_with(|| NodeGroupView {
                name: state.name.clone(),
                capacity: t.capacity,
                allocatable: Shape::new(
                    state.allocatable_cpu_millis,
                    state.allocatable_memory_bytes,
                )
                .with_gpus(state.gpus_per_node),
                price_usd_per_hour: state.price_usd_per_hour,
                capacity_type: state.capacity_type,
                min_size: 0,
                max_size: 0,
                target_size: 0,
                provisioning: Vec::new(),
            });
            group.min_size = group.min_size.saturating_add(state.min_nodes);
            group.max_size = group
                .max_size
                .saturating_add(state.max_nodes.unwrap_or(u32::MAX));
        }
        let mut view = ClusterView {
            node_groups: node_groups.into_iter().flatten().collect(),
            nodes: Vec::new(),
            pending: Vec::new(),
            rooms: Vec::new(),
        };
        debug_assert_eq!(
            view.node_groups.len(),
            groups,
            "a node group without a pool"
        );

        // The cluster groups (pool × zone) of the request's pools, with their template.
        let member_groups: Vec<(u32, &PoolTemplate)> = request
            .pools
            .iter()
            .flat_map(|t| {
                self.pools[t.pool as usize]
                    .groups
                    .iter()
                    .map(move |&g| (g, t))
            })
            .collect();
        // Sizes from the per-state counts; provisioning nodes oldest (lowest id) first.
        let mut provisioning: Vec<(u32, u32)> = Vec::new();
        for &(g, t) in &member_groups {
            let Some(group) = view.node_groups.get_mut(t.group as usize) else {
                continue;
            };
            group.target_size += [
                NodeState::Provisioning,
                NodeState::Ready,
                NodeState::NotReady,
            ]
            .into_iter()
            .map(|state| self.nodes.count_in(g, state))
            .sum::<u32>();
            provisioning.extend(
                self.nodes
                    .provisioning_in(g)
                    .iter()
                    .map(|&id| (id, t.group)),
            );
        }
        provisioning.sort_unstable();
        let mut provisioning_nodes = vec![Vec::new(); view.node_groups.len()];
        for (id, group) in provisioning {
            let created = SimTime::from_nanos(self.nodes.get(id).created_ns);
            view.node_groups[group as usize].provisioning.push(created);
            provisioning_nodes[group as usize].push(id);
        }

        let list_nodes = request
            .nodes_only_below
            .is_none_or(|threshold| self.any_at_or_below(threshold, &member_groups));
        if !list_nodes {
            view.pending = self.pending_groups(&mut fits);
            return AutoscalingView {
                view,
                provisioning_nodes,
                names: ViewNames::default(),
            };
        }
        // The region's live nodes; those of pools outside the request are skipped below.
        let live = fits.region.map_or(&[][..], |r| self.nodes.live_in(r));
        // The names the nodes refer to: instance types by the request's template index, zones
        // by cluster group (sorted for lookup), each once per view.
        let mut zone_names: Vec<(u32, std::sync::Arc<str>)> = member_groups
            .iter()
            .map(|&(g, _)| (g, self.placement.zone_name(g).into()))
            .collect();
        zone_names.sort_unstable_by_key(|&(g, _)| g);
        zone_names.dedup_by_key(|&mut (g, _)| g);
        let zone_index = |g: u32| {
            zone_names
                .binary_search_by_key(&g, |&(g, _)| g)
                .map_or(u32::MAX, |i| i as u32)
        };
        view.nodes.reserve(live.len());
        // With a drain plan (a Cluster Autoscaler scan's view, `ViewRequest::drains`), the
        // listed nodes at or below the threshold get their pods after the walk, once the
        // plan's first nodes are known, and those above it are listed as their room.
        let scan = request.drains.is_some();
        let mut drainable_nodes: Vec<usize> = Vec::new();
        let templates = template_of_pool.get_or_init(|| TemplateOfPool::new(request));
        let mut of_group = self.view_groups.borrow_mut();
        if of_group.len() < self.placement.group_count() {
            of_group.resize(self.placement.group_count(), None);
        }
        let mut of_group = OfGroup {
            table: &mut of_group,
            touched: Vec::new(),
        };
        let facts_of = |g: u32| {
            let pool = self.placement.pool_of_group(g);
            let (template, _) = templates.get_indexed(pool)?;
            let state = &self.pools[pool as usize];
            Some(GroupFacts {
                template,
                zone: zone_index(g),
                capacity_type: state.capacity_type,
                price_usd_per_hour: state.price_usd_per_hour,
            })
        };
        for &id in live {
            let node = self.nodes.get(id);
            let id = id as usize;
            let Some(facts) = of_group.get(node.group, &facts_of) else {
                continue;
            };
            let t = &request.pools[facts.template as usize];
            let listed = match node.state {
                NodeState::Provisioning => request.in_flight,
                NodeState::Ready | NodeState::NotReady | NodeState::Cordoned => true,
                NodeState::Gone => false,
            };
            // A scan passes over the nodes being deleted.
            if !listed || (scan && node.state == NodeState::Cordoned) {
                continue;
            }
            let counts = self.node_groups.get(id);
            let groups = || counts.into_iter().flat_map(DeploymentCounts::iter);
            let (gpus_allocatable, gpus_requested) = self.node_gpus[id];
            let requested = Shape::new(node.requested_cpu_millis, node.requested_memory_bytes)
                .with_gpus(gpus_requested);
            let allocatable =
                Shape::new(node.allocatable_cpu_millis, node.allocatable_memory_bytes)
                    .with_gpus(gpus_allocatable);
            let drainable = request.nodes_only_below.is_none_or(|threshold| {
                scale_down_utilization(requested, allocatable) <= threshold
            });
            let pod_count = counts.map_or(0, DeploymentCounts::total);
            if scan && !drainable {
                view.rooms.push(NodeRoom {
                    id: id as u32,
                    group: t.group,
                    room: Bin::room(allocatable, requested, pod_count),
                    ready: node.state == NodeState::Ready,
                });
                continue;
            }
            let (mut pods, mut blockers) = (Vec::new(), RemovalBlockers::default());
            if drainable {
                if scan {
                    drainable_nodes.push(view.nodes.len());
                } else if request
                    .pods_only_in
                    .as_ref()
                    .is_none_or(|groups| groups.contains(t.group))
                {
                    pods = self.pod_groups_on(id as u32, &mut fits);
                }
                for (d, count) in groups() {
                    let dep = &self.deployments[d as usize];
                    if let Some(min) = dep.min_available {
                        let allowed = i64::from(dep.ready) - i64::from(min);
                        blockers.pdb_violated |= i64::from(count) > allowed;
                    }
                }
            }
            view.nodes.push(NodeView {
                id: id as u32,
                group: t.group,
                instance_type: facts.template,
                capacity_type: facts.capacity_type,
                zone: facts.zone,
                price_usd_per_hour: facts.price_usd_per_hour,
                capacity: t.capacity,
                allocatable,
                requested,
                pod_count,
                pods,
                created: SimTime::from_nanos(node.created_ns),
                last_pod_change: SimTime::from_nanos(node.last_pod_change_ns),
                ready: node.state == NodeState::Ready,
                deleting: node.state == NodeState::Cordoned,
                blockers,
            });
        }

        if let Some(plan) = &request.drains {
            for i in drain_order(&view.nodes, &drainable_nodes, plan) {
                view.nodes[i].pods = self.pod_groups_on(view.nodes[i].id, &mut fits);
            }
        }
        view.pending = self.pending_groups(&mut fits);
        let names = ViewNames {
            instance_types: request
                .pools
                .iter()
                .map(|t| t.instance_type.clone())
                .collect(),
            zones: zone_names.into_iter().map(|(_, name)| name).collect(),
        };
        AutoscalingView {
            view,
            provisioning_nodes,
            names,
        }
    }

    /// The pods on node `id` as one group per deployment (DaemonSet pods excluded).
    fn pod_groups_on(&self, id: u32, fits: &mut Fits) -> Vec<PodGroup> {
        self.node_groups
            .get(id as usize)
            .into_iter()
            .flat_map(DeploymentCounts::iter)
            .map(|(d, count)| self.pod_group(d, count, fits.of(d).unwrap_or_default()))
            .collect()
    }

    /// `count` pods of deployment `d`, alike in its current template's requests and its
    /// priority, which may run on the node groups `fits`.
    fn pod_group(&self, d: u32, count: u32, fits: GroupSet) -> PodGroup {
        let dep = &self.deployments[d as usize];
        let template = dep.template();
        PodGroup {
            requests: Shape::new(template.cpu_millis, template.memory_bytes)
                .with_gpus(template.gpus),
            count,
            priority: dep.priority,
            fits,
        }
    }

    /// Whether a registered node (Ready or NotReady) of `groups` has a utilization at or below
    /// `threshold`. Ready nodes without GPUs are asked of the count `Nodes` keeps
    /// (`Nodes::any_at_or_below`); NotReady nodes, rare, and the nodes of GPU pools, whose
    /// utilization is their GPUs', are walked.
    fn any_at_or_below(&self, threshold: f64, groups: &[(u32, &PoolTemplate)]) -> bool {
        let has_gpus =
            |g: u32| self.pools[self.placement.pool_of_group(g) as usize].gpus_per_node > 0;
        let ready = groups
            .iter()
            .any(|&(g, _)| !has_gpus(g) && self.nodes.any_at_or_below(g, threshold));
        let gpu_idle = || {
            groups.iter().any(|&(g, _)| {
                has_gpus(g)
                    && self.nodes.live_in_group(g).any(|id| {
                        let (allocatable, requested) = self.node_gpus[id as usize];
                        matches!(
                            self.nodes.get(id).state,
                            NodeState::Ready | NodeState::NotReady
                        ) && crate::gpu::scale_down_utilization(requested, allocatable)
                            .is_some_and(|u| u <= threshold)
                    })
            })
        };
        ready
            || gpu_idle()
            || groups.iter().any(|&(g, _)| {
                self.nodes.count_in(g, NodeState::NotReady) > 0
                    && self.nodes.live_in_group(g).any(|id| {
                        let n = self.nodes.get(id);
                        n.state == NodeState::NotReady && n.utilization() <= threshold
                    })
            })
    }

    /// The pending pods of the deployments of the view's region, one group per deployment.
    fn pending_groups(&self, fits: &mut Fits) -> Vec<PodGroup> {
        // A region without a pool has no index: its deployments are among those of index
        // `u32::MAX` (`Fits::of` leaves out the other regions').
        let r = fits.region.unwrap_or(u32::MAX);
        self.with_pending
            .range((r, 0)..=(r, u32::MAX))
            .filter_map(|&(_, d)| {
                let fits = fits.of(d)?;
                Some(self.pod_group(d, self.deployments[d as usize].pending, fits))
            })
            .collect()
    }
}

/// The nodes of `drainable` (indices into `nodes`, in view order) a Cluster Autoscaler scan
/// drains in simulation, by [`DrainPlan`]'s rules.
fn drain_order(nodes: &[NodeView], drainable: &[usize], plan: &DrainPlan) -> Vec<usize> {
    let drained = |i: &usize| {
        let n = &nodes[*i];
        !n.deleting && !n.is_empty() && n.blockers.cluster_autoscaler_reason().is_none()
    };
    let was_unneeded = |i: &usize| {
        plan.previously_unneeded
            .binary_search(&nodes[*i].id)
            .is_ok()
    };
    let limit = if plan.limit == 0 {
        usize::MAX
    } else {
        plan.limit as usize
    };
    let first = drainable.iter().filter(|i| drained(i) && was_unneeded(i));
    let then = drainable.iter().filter(|i| drained(i) && !was_unneeded(i));
    first.chain(then).take(limit).copied().collect()
}

/// What the view of a node takes from its cluster group (pool × zone), worked out once per
/// group and view rather than once per node (two binary searches and the pool's record).
#[derive(Debug, Clone, Copy)]
pub(super) struct GroupFacts {
    /// The index of the group's template in the request (`NodeView::instance_type`).
    template: u32,
    /// The group's index among the view's zone names (`NodeView::zone`).
    zone: u32,
    capacity_type: crate::api::CapacityType,
    price_usd_per_hour: f64,
}

/// [`GroupFacts`] by cluster group id (`Cluster::view_groups`: `None` not yet asked,
/// `Some(None)` a group outside the request's pools), worked out for the groups whose nodes
/// a view lists when it first meets one (a Karpenter region has a hundred-odd groups, most
/// without a node), and emptied again when the view ends.
struct OfGroup<'a> {
    table: &'a mut [Option<Option<GroupFacts>>],
    /// The entries set so far.
    touched: Vec<u32>,
}

impl OfGroup<'_> {
    /// The facts of group `g`, from `facts_of` the first time.
    #[inline]
    fn get(&mut self, g: u32, facts_of: &impl Fn(u32) -> Option<GroupFacts>) -> Option<GroupFacts> {
        match self.table[g as usize] {
            Some(facts) => facts,
            None => self.first(g, facts_of),
        }
    }

    /// Works out group `g`'s facts, the first time a view meets it.
    #[inline(never)]
    fn first(
        &mut self,
        g: u32,
        facts_of: &impl Fn(u32) -> Option<GroupFacts>,
    ) -> Option<GroupFacts> {
        let facts = facts_of(g);
        self.table[g as usize] = Some(facts);
        self.touched.push(g);
        facts
    }
}

impl Drop for OfGroup<'_> {
    fn drop(&mut self) {
        for &g in &self.touched {
            self.table[g as usize] = None;
        }
    }
}

/// Pool id → its template and the template's index in the request, for the pools of a
/// request: the request's templates sorted by pool.
struct TemplateOfPool<'a>(Vec<(u32, &'a PoolTemplate)>);

impl<'a> TemplateOfPool<'a> {
    fn new(request: &'a ViewRequest) -> Self {
        // A request names each pool once; were one named twice, its last template would
        // count (reversed, then a stable sort: the last comes first and `dedup` keeps it).
        let mut templates: Vec<(u32, &PoolTemplate)> = request
            .pools
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| (i as u32, t))
            .collect();
        templates.sort_by_key(|(_, t)| t.pool);
        templates.dedup_by_key(|(_, t)| t.pool);
        TemplateOfPool(templates)
    }

    fn get(&self, pool: u32) -> Option<&'a PoolTemplate> {
        self.get_indexed(pool).map(|(_, t)| t)
    }

    fn get_indexed(&self, pool: u32) -> Option<(u32, &'a PoolTemplate)> {
        let i = self.0.binary_search_by_key(&pool, |(_, t)| t.pool).ok()?;
        Some(self.0[i])
    }
}

/// The node groups of a view each deployment's pods may run on, worked out once per view
/// and deployment, when the view first lists it.
struct Fits<'a> {
    cluster: &'a Cluster,
    request: &'a ViewRequest,
    /// The request's region's index (`Placement::region_index`), if it has a pool.
    region: Option<u32>,
    template_of_pool: &'a OnceCell<TemplateOfPool<'a>>,
    /// By deployment id (`Cluster::view_fits`): set for the deployments listed so far.
    of: &'a mut [Option<GroupSet>],
    /// The entries of `of` this view set, emptied again when it ends.
    filled: Vec<u32>,
}

impl Drop for Fits<'_> {
    fn drop(&mut self) {
        for &d in &self.filled {
            self.of[d as usize] = None;
        }
    }
}

impl Fits<'_> {
    /// The view's node groups holding a pool of deployment `d`'s groups, in order; `None`
    /// for a deployment of another region.
    fn of(&mut self, d: u32) -> Option<GroupSet> {
        let dep = &self.cluster.deployments[d as usize];
        // By index when the region has one (a view asks once per listed pod group).
        let other_region = match self.region {
            Some(r) => dep.region_index != r,
            None => dep.region != self.request.region,
        };
        if other_region {
            return None;
        }
        let slot = &mut self.of[d as usize];
        if slot.is_none() {
            let request = self.request;
            let templates = self
                .template_of_pool
                .get_or_init(|| TemplateOfPool::new(request));
            let fits: GroupSet = dep
                .groups
                .iter()
                .filter_map(|&g| templates.get(self.cluster.placement.pool_of_group(g)))
                .map(|t| t.group)
                .collect();
            *slot = Some(fits);
            self.filled.push(d);
        }
        slot.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, GIB};
    use super::*;

    const S: u64 = 1_000_000_000;

    /// The shared fixture in one zone, its pool bounded 1..5, and its six 1-CPU pods at
    /// priority 7 with `minAvailable` 2: three bound and Ready at time zero, three pending.
    fn cluster() -> Cluster {
        let mut plan = fixture::plan();
        let pool = &mut plan.pools[0];
        pool.zones = vec!["a".into()];
        pool.min_nodes = 1;
        pool.max_nodes = Some(5);
        let service = &mut plan.services[0];
        service.priority = 7;
        service.min_available = Some(2);
        fixture::build(&plan)
    }

    fn request(in_flight: bool) -> ViewRequest {
        ViewRequest {
            region: "r".into(),
            groups: 1,
            pools: vec![PoolTemplate {
                pool: 0,
                group: 0,
                instance_type: "t-4".into(),
                capacity: Shape::new(4000, 16 * GIB),
            }],
            in_flight,
            pending_only: false,
            nodes_only_below: None,
            drains: None,
            pods_only_in: None,
        }
    }

    #[test]
    fn the_view_groups_pods_counts_targets_and_marks_the_pdb() {
        let mut c = cluster();
        c.launch_nodes(0, None, 1, 10 * S);
        let AutoscalingView {
            view,
            provisioning_nodes,
            names,
        } = c.autoscaling_view(&request(false));
        let group = &view.node_groups[0];
        // One registered node and one provisioning since 10 s: target size 2.
        assert_eq!(
            (group.target_size, group.min_size, group.max_size),
            (2, 1, 5)
        );
        assert_eq!(group.provisioning, vec![SimTime::from_secs(10)]);
        assert_eq!(group.allocatable.cpu_millis, 3920);
        assert_eq!(provisioning_nodes, vec![vec![1]]);
        // Only the registered node; its three pods are one group. The PDB allows 3 ready − 2
        // = 1 eviction, and the node holds 3 pods of it: blocked.
        assert_eq!(view.nodes.len(), 1);
        let node = &view.nodes[0];
        assert_eq!(node.pods.len(), 1);
        assert_eq!((node.pods[0].count, node.pods[0].priority), (3, 7));
        assert_eq!(node.requested, Shape::new(3000, 3 * GIB));
        assert_eq!((names.instance_type(node), names.zone(node)), ("t-4", "a"));
        assert!(node.blockers.pdb_violated);
        assert_eq!(view.pending.len(), 1);
        assert_eq!(
            (view.pending[0].count, view.pending[0].fits.to_vec()),
            (3, vec![0])
        );
        // Karpenter's view lists the in-flight node, not ready.
        let karpenter = c.autoscaling_view(&request(true)).view;
        assert_eq!(karpenter.nodes.len(), 2);
        assert!(!karpenter.nodes[1].ready);
    }

    #[test]
    fn each_view_reports_fits_in_its_own_requests_groups() {
        // The cluster keeps the fits table between views: a second request that names the
        // same pool as its node group 1 must see the pending pods fit group 1, not the
        // group 0 the first view worked out, and a third view group 0 again.
        let c = cluster();
        let first = c.autoscaling_view(&request(false)).view;
        assert_eq!(first.pending[0].fits.to_vec(), [0]);
        // (A pending-only view: its node groups are not built, so group 0 may stay empty.)
        let mut second = request(false);
        second.pending_only = true;
        second.groups = 2;
        second.pools[0].group = 1;
        let view = c.autoscaling_view(&second).view;
        assert_eq!(view.pending[0].fits.to_vec(), [1]);
        assert_eq!(
            c.autoscaling_view(&request(false)).view.pending[0]
                .fits
                .to_vec(),
            [0]
        );
    }

    #[test]
    fn a_gpu_node_with_idle_gpus_is_listed_however_busy_its_cpu() {
        // The fixture's node as a g2-standard-4 (one GPU): its three 1-CPU pods use 3 of 3.92
        // CPUs (0.77) and no GPU, so the Cluster Autoscaler's utilization is 0 (GPUs only) and
        // the view lists the node and its pods under a 0.5 threshold.
        let mut plan = fixture::plan();
        plan.pools[0].zones = vec!["a".into()];
        plan.pools[0].instance.instance_type = "g2-standard-4".into();
        let c = fixture::build(&plan);
        let view = c
            .autoscaling_view(&ViewRequest {
                nodes_only_below: Some(0.5),
                ..request(false)
            })
            .view;
        assert_eq!(view.nodes.len(), 1);
        assert_eq!(view.nodes[0].allocatable.gpus, 1);
        assert_eq!(view.nodes[0].pods[0].count, 3);
    }

    #[test]
    fn packed_nodes_are_left_out_of_a_scale_down_view() {
        let c = cluster();
        // The one registered node holds 3 of its 3.92 CPUs: utilization 0.77.
        let below = |threshold: f64| ViewRequest {
            nodes_only_below: Some(threshold),
            ..request(false)
        };
        let packed = c.autoscaling_view(&below(0.5)).view;
        assert!(packed.nodes.is_empty());
        // Sizes and pending pods are still there.
        assert_eq!(packed.node_groups[0].target_size, 1);
        assert_eq!(packed.pending[0].count, 3);
        assert_eq!(c.autoscaling_view(&below(0.8)).view.nodes.len(), 1);
    }

    /// Two registered nodes in zone a and five 1-CPU pods: LeastAllocated alternates, so 3
    /// pods (utilization 3000/3920 = 0.77) and 2 pods (0.51).
    fn two_nodes_five_pods() -> Cluster {
        let mut plan = fixture::plan();
        plan.pools[0].zones = vec!["a".into()];
        plan.pools[0].nodes = 2;
        plan.services[0].replicas = 5;
        fixture::build(&plan)
    }

    #[test]
    fn a_scale_down_view_lists_pods_only_on_nodes_at_or_below_the_threshold() {
        let c = two_nodes_five_pods();
        let view = c
            .autoscaling_view(&ViewRequest {
                nodes_only_below: Some(0.6),
                ..request(false)
            })
            .view;
        let listed: Vec<(u32, usize)> = view
            .nodes
            .iter()
            .map(|n| (n.pod_count, n.pods.len()))
            .collect();
        assert_eq!(listed.len(), 2);
        assert!(listed.contains(&(3, 0)), "{listed:?}");
        assert!(listed.contains(&(2, 1)), "{listed:?}");
        // A full node still reports its pods for the destination's 110-pod limit.
        assert!(view.nodes.iter().all(|n| !n.is_empty()));
    }

    #[test]
    fn a_drain_plan_lists_pods_only_on_the_nodes_the_scan_drains() {
        // Both nodes (3 and 2 pods) are at or below 0.8. A plan of one drain takes the first
        // in view order, or the one unneeded at the previous scan.
        let c = two_nodes_five_pods();
        let listed = |drains: Option<DrainPlan>| -> Vec<(u32, usize)> {
            c.autoscaling_view(&ViewRequest {
                nodes_only_below: Some(0.8),
                drains,
                ..request(false)
            })
            .view
            .nodes
            .iter()
            .map(|n| (n.id, n.pods.len()))
            .collect()
        };
        let all = listed(None);
        assert_eq!(all.iter().map(|&(_, groups)| groups).sum::<usize>(), 2);
        let (first, second) = (all[0].0, all[1].0);
        let one = |previously_unneeded: Vec<u32>| {
            listed(Some(DrainPlan {
                previously_unneeded,
                limit: 1,
            }))
        };
        assert_eq!(one(Vec::new()), [(first, 1), (second, 0)]);
        assert_eq!(one(vec![second]), [(first, 0), (second, 1)]);
        // No cap: both, as without a plan.
        let uncapped = listed(Some(DrainPlan {
            previously_unneeded: Vec::new(),
            limit: 0,
        }));
        assert_eq!(uncapped, all);
    }

    #[test]
    fn a_scan_view_lists_the_nodes_above_the_threshold_as_their_room() {
        // 3 pods (3000/3920 = 0.77) and 2 pods (0.51) of 1 CPU. Under 0.6, with a drain
        // plan, the 2-pod node is a node view with its pods and the 3-pod node only its room:
        // 920 millicores, its allocatable memory less 3 GiB and 107 pod slots free.
        let mut c = two_nodes_five_pods();
        let scan_view = |c: &Cluster| {
            c.autoscaling_view(&ViewRequest {
                nodes_only_below: Some(0.6),
                drains: Some(DrainPlan::default()),
                ..request(false)
            })
            .view
        };
        let view = scan_view(&c);
        let listed: Vec<(u32, usize)> = view
            .nodes
            .iter()
            .map(|n| (n.pod_count, n.pods.len()))
            .collect();
        assert_eq!(listed, [(2, 1)]);
        let rooms: Vec<(Shape, u32, bool)> = view
            .rooms
            .iter()
            .map(|r| (r.room.free, r.room.free_pods, r.ready))
            .collect();
        let memory = c.pools[0].allocatable_memory_bytes - 3 * GIB;
        assert_eq!(rooms, [(Shape::new(920, memory), 107, true)]);
        // A node being deleted is neither: the scan passes over it.
        let busy = view.rooms[0].id;
        c.cordon_node(busy, 0);
        let view = scan_view(&c);
        assert_eq!((view.nodes.len(), view.rooms.len()), (1, 0));
    }

    #[test]
    fn pods_are_listed_only_on_the_node_groups_asked_for() {
        // Karpenter's view (every node listed) of the two nodes, 3 and 2 pods: with its one
        // NodePool among those whose pods it reads, each node lists its pod group; with none
        // (a WhenEmpty pool), no node lists pods, though each still counts them.
        let c = two_nodes_five_pods();
        let listed = |pods_only_in: Option<GroupSet>| -> Vec<(u32, usize)> {
            let mut counts: Vec<(u32, usize)> = c
                .autoscaling_view(&ViewRequest {
                    pods_only_in,
                    ..request(true)
                })
                .view
                .nodes
                .iter()
                .map(|n| (n.pod_count, n.pods.len()))
                .collect();
            counts.sort_unstable();
            counts
        };
        assert_eq!(listed(None), [(2, 1), (3, 1)]);
        assert_eq!(listed(Some([0].into_iter().collect())), [(2, 1), (3, 1)]);
        assert_eq!(listed(Some(GroupSet::default())), [(2, 0), (3, 0)]);
    }
}
