//! The Cluster Autoscaler's loop (`core/static_autoscaler.go RunOnce`, `kubernetes/autoscaler`
//! tag `cluster-autoscaler-1.36.1`), one [`ClusterAutoscaler::scan`] per `--scan-interval`:
//!
//! 1. nodes asked for more than `--max-node-provision-time` ago and still not registered are
//!    given up ([`Action::CancelProvisioning`]) and their group backed off (5 min, doubling to
//!    30 min; reset after 3 h without failure: `--initial-node-group-backoff-duration`,
//!    `--max-node-group-backoff-duration`, `--node-group-backoff-reset-timeout`);
//! 2. pending pods that the remaining upcoming nodes will take are set aside; if any remain and
//!    the cluster is below `--max-nodes-total`, every valid group gets a binpacking estimate
//!    ([`scale_up`]), the expander chain picks one ([`expander`]), the count is capped by the
//!    group's max and `--max-nodes-total`, and the group grows ([`Action::ScaleUp`]);
//! 3. unneeded nodes are recomputed every scan, cool-down or not ([`scale_down`]); unless a
//!    scale-up happened within `--scale-down-delay-after-add`, a deletion within
//!    `--scale-down-delay-after-delete` or a failed deletion within
//!    `--scale-down-delay-after-failure` (`isScaleDownInCooldown`), nodes unneeded for longer
//!    than `--scale-down-unneeded-time` are deleted ([`Action::DeleteNodes`]).
//!
//! Simplifications: `--max-nodes-total` is compared with Σ target sizes (registered plus
//! provisioning nodes), so the cap holds even while nodes boot (upstream counts registered
//! nodes); `--new-pod-scale-up-delay` (0 s), cores/memory totals, balancing of similar groups,
//! unready-node handling and the soft taints are not modelled.

pub mod expander;
pub mod notes;
pub mod scale_down;
pub mod scale_up;

use std::collections::BTreeMap;

use sim::time::{SimDuration, SimTime};

use crate::api::{ClusterView, DrainPlan};
use crate::autoscaler::config::ClusterAutoscalerConfig;
use notes::{GroupNote, Rejection, ScaleDownNotes, ScaleUpNotes, ScanNotes, Unremovable};

/// What the Cluster Autoscaler asks the cluster to do; `reason` goes to the events table.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Grow node group `group` by `delta` nodes (`IncreaseSize`).
    ScaleUp {
        group: u32,
        delta: u32,
        reason: String,
    },
    /// Give up the `count` oldest provisioning nodes of `group` (`DeleteNodes` on unregistered
    /// nodes after `--max-node-provision-time`).
    CancelProvisioning {
        group: u32,
        count: u32,
        reason: String,
    },
    /// Drain (if needed) and delete these nodes (ids of the view).
    DeleteNodes { nodes: Vec<u32>, reason: String },
}

/// `--node-group-backoff-reset-timeout`: a failure this long after the previous one starts
/// again from the initial backoff.
const BACKOFF_RESET: SimDuration = SimDuration::from_secs(3 * 3600);

#[derive(Debug, Clone, Copy, PartialEq)]
struct Backoff {
    until: SimTime,
    duration: SimDuration,
    last_failure: SimTime,
}

/// The Cluster Autoscaler's state across scans.
#[derive(Debug, Clone)]
pub struct ClusterAutoscaler {
    config: ClusterAutoscalerConfig,
    /// (node id, start of its current unneeded spell), ascending id: rebuilt at every scan
    /// from hundreds of unneeded nodes in a busy region, which a sort does faster than a
    /// B-tree's inserts one by one.
    unneeded_since: Vec<(u32, SimTime)>,
    last_scale_up: Option<SimTime>,
    last_scale_down_delete: Option<SimTime>,
    last_scale_down_failure: Option<SimTime>,
    backoff: BTreeMap<u32, Backoff>,
    /// What the last scan considered (the decisions table's rows); boxed, as it is large.
    notes: Box<ScanNotes>,
}

impl ClusterAutoscaler {
    /// `config` must have passed [`ClusterAutoscalerConfig::validate`].
    pub fn new(config: ClusterAutoscalerConfig) -> Self {
        ClusterAutoscaler {
            config,
            unneeded_since: Vec::new(),
            last_scale_up: None,
            last_scale_down_delete: None,
            last_scale_down_failure: None,
            backoff: BTreeMap::new(),
            notes: Box::default(),
        }
    }

    pub fn config(&self) -> &ClusterAutoscalerConfig {
        &self.config
    }

    /// What the last [`ClusterAutoscaler::scan`] considered and why it did or did not act.
    pub fn notes(&self) -> &ScanNotes {
        &self.notes
    }

    /// Which nodes the next scan drains in simulation, for the view to list their pods only
    /// (`ViewRequest::drains`): the scale-down's order and cap, from the nodes unneeded now.
    pub fn drain_plan(&self) -> DrainPlan {
        DrainPlan {
            previously_unneeded: self.unneeded_since.iter().map(|&(id, _)| id).collect(),
            limit: self.config.scale_down_non_empty_candidates_count,
        }
    }

    /// Since when node `id` has been unneeded, if it is.
    pub fn unneeded_since(&self, id: u32) -> Option<SimTime> {
        since_of(&self.unneeded_since, id)
    }

    /// The cluster reports that a deletion this autoscaler started failed (`lastScaleDownFailTime`).
    pub fn record_scale_down_failure(&mut self, now: SimTime) {
        self.last_scale_down_failure = Some(now);
    }

    /// One loop. `draw_u64` draws from the autoscaler's named stream (random expander, ties).
    pub fn scan(
        &mut self,
        now: SimTime,
        view: &ClusterView,
        draw_u64: &mut dyn FnMut() -> u64,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        *self.notes = ScanNotes::default();
        let upcoming = self.provisioning_timeouts(now, view, &mut actions);
        if let Some(up) = self.scale_up(now, view, &upcoming, draw_u64) {
            self.last_scale_up = Some(now);
            actions.push(up);
        }
        if self.config.scale_down_enabled {
            self.scale_down(now, view, &mut actions);
        }
        actions
    }

    /// Cancels nodes provisioning for too long and backs their groups off; returns the upcoming
    /// nodes left per group.
    fn provisioning_timeouts(
        &mut self,
        now: SimTime,
        view: &ClusterView,
        actions: &mut Vec<Action>,
    ) -> Vec<u32> {
        let limit = self.config.max_node_provision_time;
        let mut upcoming = Vec::with_capacity(view.node_groups.len());
        for (g, group) in view.node_groups.iter().enumerate() {
            let late = group
                .provisioning
                .iter()
                .filter(|&&asked| now.saturating_duration_since(asked) > limit)
                .count() as u32;
            upcoming.push(group.provisioning.len() as u32 - late);
            if late == 0 {
                continue;
            }
            let duration = match self.backoff.get(&(g as u32)) {
                Some(b) if now.saturating_duration_since(b.last_failure) < BACKOFF_RESET => {
                    (b.duration * 2).min(self.config.max_node_group_backoff)
                }
                _ => self.config.initial_node_group_backoff,
            };
            self.backoff.insert(
                g as u32,
                Backoff {
                    until: now + duration,
                    duration,
                    last_failure: now,
                },
            );
            actions.push(Action::CancelProvisioning {
                group: g as u32,
                count: late,
                reason: format!(
                    "scale-up timed out {}: {late} node(s) not registered within {limit}; \
                     group backed off for {duration}",
                    group.name
                ),
            });
        }
        upcoming
    }

    fn scale_up(
        &mut self,
        now: SimTime,
        view: &ClusterView,
        upcoming: &[u32],
        draw_u64: &mut dyn FnMut() -> u64,
    ) -> Option<Action> {
        let pending = scale_up::filter_upcoming(view, upcoming);
        if pending.is_empty() {
            return None;
        }
        let cluster_nodes: u32 = view.node_groups.iter().map(|g| g.target_size).sum();
        let max_total = self.config.max_nodes_total;
        let cluster_room = if max_total == 0 {
            u32::MAX
        } else {
            max_total.saturating_sub(cluster_nodes)
        };
        let notes = self.notes.scale_up.insert(ScaleUpNotes {
            pending: pending.clone(),
            scheduled: vec![0; pending.len()],
            ..ScaleUpNotes::default()
        });
        if cluster_room == 0 {
            notes.max_total_reached = Some((cluster_nodes, max_total));
            return None;
        }
        let mut options = Vec::new();
        for (g, group) in view.node_groups.iter().enumerate() {
            let backed_off = self.backoff.get(&(g as u32)).is_some_and(|b| now < b.until);
            let group_room = group.max_size.saturating_sub(group.target_size);
            if backed_off || group_room == 0 {
                notes.groups.push(GroupNote::Rejected(if backed_off {
                    Rejection::Backoff
                } else {
                    Rejection::MaxSizeReached
                }));
                continue;
            }
            let limit = self
                .config
                .max_nodes_per_scale_up
                .min(group_room)
                .min(cluster_room);
            match scale_up::option_for(g as u32, group, &pending, limit) {
                Some(option) => {
                    notes.groups.push(GroupNote::Option {
                        node_count: option.node_count,
                        pods: option.pod_count(),
                    });
                    options.push(option);
                }
                None => {
                    let may_run: Vec<&crate::api::PodGroup> =
                        pending.iter().filter(|p| p.may_run_on(g as u32)).collect();
                    let rejection = if may_run.is_empty() {
                        Rejection::NoMatchingPod
                    } else {
                        may_run
                            .iter()
                            .find_map(|p| Rejection::of_fit(p, group.allocatable))
                            .unwrap_or(Rejection::Insufficient {
                                cpu: true,
                                memory: false,
                            })
                    };
                    notes.groups.push(GroupNote::Rejected(rejection));
                }
            }
        }
        if options.is_empty() {
            return None;
        }
        let cx = expander::Context {
            groups: &view.node_groups,
            pending: &pending,
            priorities: &self.config.priorities,
            // The view may leave packed nodes out (`ViewRequest::nodes_only_below`): count the
            // node groups' nodes instead.
            cluster_nodes: view
                .node_groups
                .iter()
                .map(|g| g.target_size as usize)
                .sum(),
        };
        let (chosen, account) = expander::choose(&self.config.expanders, &options, &cx, draw_u64);
        let option = &options[chosen];
        let group = &view.node_groups[option.group as usize];
        let delta = option
            .node_count
            .min(group.max_size.saturating_sub(group.target_size))
            .min(cluster_room);
        let unschedulable: u32 = pending.iter().map(|p| p.count).sum();
        let chain: Vec<&str> = self.config.expanders.iter().map(|e| e.as_str()).collect();
        for &(i, n) in &option.pods {
            notes.scheduled[i] = n;
        }
        notes.chosen = Some((
            option.group,
            group.target_size + delta,
            if account.is_empty() {
                format!("expander {}", chain.join(","))
            } else {
                format!("expander {}: {account}", chain.join(","))
            },
        ));
        Some(Action::ScaleUp {
            group: option.group,
            delta,
            reason: format!(
                "scale-up {} +{delta}: {unschedulable} pods unschedulable, {} fit the new \
                 nodes; expander {}{}",
                group.name,
                option.pod_count(),
                chain.join(","),
                // The expanders' account, when they kept one (none for a single option).
                if account.is_empty() {
                    String::new()
                } else {
                    format!(" ({account})")
                }
            ),
        })
    }

    /// `isScaleDownInCooldown`: the flag of the delay that holds scale-down now, if one does.
    fn cooldown(&self, now: SimTime) -> Option<&'static str> {
        let within =
            |last: Option<SimTime>, delay: SimDuration| last.is_some_and(|t| now < t + delay);
        if within(self.last_scale_up, self.config.scale_down_delay_after_add) {
            Some("--scale-down-delay-after-add")
        } else if within(
            self.last_scale_down_failure,
            self.config.scale_down_delay_after_failure,
        ) {
            Some("--scale-down-delay-after-failure")
        } else if within(
            self.last_scale_down_delete,
            self.config.scale_down_delay_after_delete,
        ) {
            Some("--scale-down-delay-after-delete")
        } else {
            None
        }
    }

    fn scale_down(&mut self, now: SimTime, view: &ClusterView, actions: &mut Vec<Action>) {
        let threshold = self.config.scale_down_utilization_threshold;
        let cooldown = self.cooldown(now);
        let notes = self.notes.scale_down.insert(ScaleDownNotes::default());
        let unneeded = scale_down::find_unneeded(
            view,
            threshold,
            &self.unneeded_since,
            self.config.scale_down_non_empty_candidates_count,
            notes,
        );
        notes.unneeded = unneeded.len() as u32;
        let mut since: Vec<(u32, SimTime)> = unneeded
            .iter()
            .map(|u| {
                let id = view.nodes[u.index].id;
                (id, since_of(&self.unneeded_since, id).unwrap_or(now))
            })
            .collect();
        since.sort_unstable_by_key(|&(id, _)| id);
        self.unneeded_since = since;
        if let Some(delay) = cooldown {
            notes.cooldown = Some(delay);
            return;
        }
        let mut group_size: Vec<u32> = view.node_groups.iter().map(|g| g.target_size).collect();
        let parallelism = self.config.max_scale_down_parallelism as usize;
        let unneeded_time = self.config.scale_down_unneeded_time;
        let mut empty: Vec<u32> = Vec::new();
        let mut drain: Vec<(u32, f64)> = Vec::new();
        // Empty nodes first (`RemovableAt` splits them), each group kept above its min size.
        for want_empty in [true, false] {
            for u in unneeded.iter().filter(|u| u.empty == want_empty) {
                let node = &view.nodes[u.index];
                let long_enough = since_of(&self.unneeded_since, node.id)
                    .is_some_and(|since| since + unneeded_time < now);
                let g = node.group as usize;
                let Some(group) = view.node_groups.get(g) else {
                    continue;
                };
                let room = if want_empty {
                    empty.len() < parallelism
                } else {
                    drain.len()
                        < (self.config.max_drain_parallelism as usize)
                            .min(parallelism - empty.len())
                };
                if !long_enough || !room || group_size[g] <= group.min_size {
                    let why = if !long_enough {
                        Some(Unremovable::NotUnneededLongEnough)
                    } else if group_size[g] <= group.min_size {
                        Some(Unremovable::NodeGroupMinSizeReached)
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        notes.kept.push((node.id, node.group, u.utilization, why));
                    }
                    continue;
                }
                notes.removed.push((node.id, node.group, u.utilization));
                group_size[g] -= 1;
                if want_empty {
                    empty.push(node.id);
                } else {
                    drain.push((node.id, u.utilization));
                }
            }
        }
        if !empty.is_empty() {
            actions.push(Action::DeleteNodes {
                reason: format!(
                    "scale-down: {} empty node(s) unneeded for more than {unneeded_time}",
                    empty.len()
                ),
                nodes: empty,
            });
            self.last_scale_down_delete = Some(now);
        }
        for (id, utilization) in drain {
            actions.push(Action::DeleteNodes {
                nodes: vec![id],
                reason: format!(
                    "scale-down: node {id} at utilization {utilization:.2} <= {threshold} for \
                     more than {unneeded_time}; its pods fit elsewhere"
                ),
            });
            self.last_scale_down_delete = Some(now);
        }
    }
}

/// When node `id` became unneeded, from `(id, since)` pairs in ascending id.
fn since_of(unneeded_since: &[(u32, SimTime)], id: u32) -> Option<SimTime> {
    let at = unneeded_since
        .binary_search_by_key(&id, |&(id, _)| id)
        .ok()?;
    Some(unneeded_since[at].1)
}
