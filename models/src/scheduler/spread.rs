//! PodTopologySpread: the `DoNotSchedule` filter, the `ScheduleAnyway` score and its
//! normalization, and the system default constraints a pod without its own gets.
//!
//! Upstream (`kubernetes/kubernetes`, `pkg/scheduler/framework/plugins/podtopologyspread/`):
//! - `plugin.go` (`d256468a0943642f95b865d14849926956c819f5`): `systemDefaultConstraints`;
//! - `filtering.go` (`083e3f3e0db4c37bf3fb4e6715a9d8d035cab428`): `Filter` and `minMatchNum`;
//! - `scoring.go` (`7d6a59c19f3147cff6e089b6250b5ca045417cae`): `initPreScoreState`, `Score`,
//!   `NormalizeScore`, `topologyNormalizingWeight`, `scoreForCount`.
//!
//! The counting itself (which pods match a constraint's selector in the pod's namespace, which
//! nodes are eligible) stays with the caller, which keeps per-domain counts incrementally; these
//! functions take the counts. Eligibility as upstream defines it: a node counts towards a domain
//! only if it passes the pod's `nodeSelector`/required node affinity (the default
//! `nodeAffinityPolicy: Honor`; `nodeTaintsPolicy` defaults to `Ignore`) and, for the filter and
//! for constraints the pod wrote itself, carries every constraint's topology key. With the system
//! defaults a node without a zone label is still scored (hostname spreading only).

/// The well-known hostname label (`v1.LabelHostname`).
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";

/// The well-known zone label (`v1.LabelTopologyZone`).
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

/// A `ScheduleAnyway` constraint of the system defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultSpreadConstraint {
    pub topology_key: &'static str,
    pub max_skew: u32,
}

/// `systemDefaultConstraints`, used (with `defaultingType: System`, the default) for a pod
/// without `topologySpreadConstraints`, selecting pods of the same Service, ReplicaSet,
/// ReplicationController or StatefulSet. Both are `ScheduleAnyway`: they score, never filter.
pub const SYSTEM_DEFAULT_CONSTRAINTS: [DefaultSpreadConstraint; 2] = [
    DefaultSpreadConstraint {
        topology_key: LABEL_HOSTNAME,
        max_skew: 3,
    },
    DefaultSpreadConstraint {
        topology_key: LABEL_TOPOLOGY_ZONE,
        max_skew: 5,
    },
];

/// The global minimum a `DoNotSchedule` constraint compares against (`minMatchNum`): the
/// smallest matching-pod count over the eligible domains, or 0 when there are fewer eligible
/// domains than `minDomains` (unset `minDomains` means 1).
pub fn global_min_match_num(min_match_num: u32, domain_count: u32, min_domains: u32) -> u32 {
    if domain_count < min_domains {
        0
    } else {
        min_match_num
    }
}

/// The PodTopologySpread filter for one `DoNotSchedule` constraint on a node that carries the
/// topology key: `match_num + self_match - global_min <= max_skew`, where `match_num` counts the
/// matching pods already in the node's domain and `self_match` is whether the incoming pod
/// matches the constraint's own selector. A node *without* the topology key fails outright
/// (upstream: UnschedulableAndUnresolvable, "missing required label"); a node failing this check
/// is plain Unschedulable (removing pods could fix it).
pub fn within_max_skew(match_num: u32, self_match: bool, global_min: u32, max_skew: u32) -> bool {
    let skew = i64::from(match_num) + i64::from(self_match) - i64::from(global_min);
    skew <= i64::from(max_skew)
}

/// `topologyNormalizingWeight`: `ln(domain_count + 2)`, so that counts in a topology with few
/// domains (zones) are not watered down by one with many (hosts). `domain_count` is, for the
/// hostname key, the number of nodes being scored (feasible and not ignored); for any other key,
/// the number of distinct values of that key among the nodes being scored.
pub fn topology_normalizing_weight(domain_count: usize) -> f64 {
    (domain_count as f64 + 2.0).ln()
}

/// One constraint's contribution to a node's raw score (`scoreForCount`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpreadTerm {
    /// Matching pods in the node's domain for this constraint (the node itself for hostname).
    pub matching_pods: u64,
    pub max_skew: u32,
    /// [`topology_normalizing_weight`] of the constraint's topology.
    pub weight: f64,
}

/// The PodTopologySpread raw score of one node: `round(Σ matching_pods * weight + max_skew - 1)`
/// over the constraints whose topology key the node has, summed in constraint order from 0.0 as
/// upstream does (float addition is not associative), rounded half away from zero like Go's
/// `math.Round`. Lower is better; see [`normalize_spread_scores`]. Bit-identical to Go builds
/// that do not fuse the multiply-add (amd64's default; Go may fuse it on arm64).
pub fn raw_spread_score(terms: &[SpreadTerm]) -> i64 {
    let mut score = 0.0_f64;
    for term in terms {
        // `float64(cnt)*tpWeight + float64(maxSkew-1)`: one addition of an exact integer.
        score += term.matching_pods as f64 * term.weight + (f64::from(term.max_skew) - 1.0);
    }
    score.round() as i64
}

/// PodTopologySpread's `NormalizeScore`. `raw[i]` is `None` for a node upstream ignores (one
/// missing a topology key of the pod's own constraints), which scores 0. The others score
/// `100 * (max + min - s) / max` with integer division, min and max taken over them; all 100 when
/// max is 0. `normalized` must have the same length as `raw`.
pub fn normalize_spread_scores(raw: &[Option<i64>], normalized: &mut [i64]) {
    assert_eq!(raw.len(), normalized.len(), "one output per node");
    let scored = raw.iter().flatten().copied();
    let min_score = scored.clone().min().unwrap_or(i64::MAX);
    let max_score = scored.fold(0, i64::max);
    for (out, score) in normalized.iter_mut().zip(raw) {
        *out = match *score {
            None => 0,
            Some(_) if max_score == 0 => super::MAX_NODE_SCORE,
            Some(s) => super::MAX_NODE_SCORE * (max_score + min_score - s) / max_score,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_defaults_are_hostname_3_and_zone_5() {
        assert_eq!(
            SYSTEM_DEFAULT_CONSTRAINTS.map(|c| (c.topology_key, c.max_skew)),
            [
                ("kubernetes.io/hostname", 3),
                ("topology.kubernetes.io/zone", 5)
            ]
        );
    }

    #[test]
    fn filter_allows_skew_up_to_max_skew() {
        // Zones with 3, 2, 1 matching pods, maxSkew 1, the pod matches its own selector.
        assert!(within_max_skew(1, true, 1, 1)); // 1 + 1 - 1 = 1
        assert!(!within_max_skew(2, true, 1, 1)); // 2 + 1 - 1 = 2
        // A pod that does not match its own selector adds nothing.
        assert!(within_max_skew(2, false, 1, 1));
        // No eligible domain leaves upstream's minimum at MaxInt32: the skew is negative.
        assert!(within_max_skew(0, true, i32::MAX as u32, 1));
    }

    #[test]
    fn too_few_domains_make_the_global_minimum_zero() {
        assert_eq!(global_min_match_num(4, 2, 3), 0);
        assert_eq!(global_min_match_num(4, 3, 3), 4);
        assert_eq!(global_min_match_num(4, 1, 1), 4);
        // With min 0, a domain already at maxSkew rejects the pod.
        assert!(!within_max_skew(2, true, global_min_match_num(4, 2, 3), 2));
    }

    #[test]
    fn raw_score_matches_hand_computation() {
        // Two nodes, each its own hostname domain, one zone: weights ln(4) and ln(3).
        let hostname = topology_normalizing_weight(2);
        let zone = topology_normalizing_weight(1);
        assert_eq!(hostname, 4.0_f64.ln());
        // Node with 2 matching pods in a zone holding 5:
        // 2*ln4 + 2 + 5*ln3 + 4 = 2.7726 + 2 + 5.4931 + 4 = 14.27 → 14.
        let terms = [
            SpreadTerm {
                matching_pods: 2,
                max_skew: 3,
                weight: hostname,
            },
            SpreadTerm {
                matching_pods: 5,
                max_skew: 5,
                weight: zone,
            },
        ];
        assert_eq!(raw_spread_score(&terms), 14);
        assert_eq!(raw_spread_score(&[]), 0);
    }

    #[test]
    fn raw_score_rounds_half_away_from_zero() {
        // 1 * 2.5 + 1 - 1 = 2.5 → 3.
        let term = SpreadTerm {
            matching_pods: 1,
            max_skew: 1,
            weight: 2.5,
        };
        assert_eq!(raw_spread_score(&[term]), 3);
    }

    #[test]
    fn normalization_favours_fewer_matching_pods_and_zeroes_ignored_nodes() {
        let raw = [Some(2), Some(5), None, Some(8)];
        let mut out = [0; 4];
        normalize_spread_scores(&raw, &mut out);
        // 100 * (8 + 2 - s) / 8: s=2 → 100, s=5 → 62, s=8 → 25.
        assert_eq!(out, [100, 62, 0, 25]);
    }

    #[test]
    fn normalization_with_all_zero_or_all_ignored() {
        let mut out = [7; 2];
        normalize_spread_scores(&[Some(0), Some(0)], &mut out);
        assert_eq!(out, [100, 100]);
        normalize_spread_scores(&[None, None], &mut out);
        assert_eq!(out, [0, 0]);
    }
}
