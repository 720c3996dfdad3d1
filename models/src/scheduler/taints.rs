//! TaintToleration: the filter on `NoSchedule`/`NoExecute` taints and the `PreferNoSchedule`
//! score, with upstream's toleration-matching rules.
//!
//! Upstream (`kubernetes/kubernetes`):
//! - `pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`
//!   (`0f7becbc443966e5cf4ac37aa20a1a509fab73eb`): `Filter`, `Score`
//!   (`countIntolerableTaintsPreferNoSchedule`) and `NormalizeScore`
//!   (`DefaultNormalizeScore(MaxNodeScore, reverse = true)`);
//! - `pkg/scheduler/framework/plugins/helper/taint.go` (`e63752e0f2710cbb0ae36a012878fa1812b14e5a`):
//!   the filter looks only at `NoSchedule` and `NoExecute` taints;
//! - `staging/src/k8s.io/api/core/v1/toleration.go` (`37d8bd8fad077fba807f0753f16073413af91901`):
//!   `ToleratesTaint`;
//! - `FindMatchingUntoleratedTaint` / `TolerationsTolerateTaint` in
//!   `staging/src/k8s.io/component-helpers/scheduling/corev1/helpers.go` (read from several
//!   copies; the first untolerated taint in node order is the one reported).
//!
//! Not modelled: the alpha `Gt`/`Lt` toleration operators and CEL toleration expressions of the
//! newest releases (behind feature gates, off by default), and `tolerationSeconds`, which only
//! matters to the taint-eviction controller, not to the scheduler.

use super::normalize::default_normalize_scores;

/// A taint's effect (`NoSchedule`, `PreferNoSchedule`, `NoExecute`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

/// A node taint, written in an experiment as `(key: "dedicated", value: "batch", effect:
/// NoSchedule)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: TaintEffect,
}

/// A toleration's operator. Upstream treats an empty operator as `Equal`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

/// A pod toleration. `effect: None` is upstream's empty effect, which matches every effect; an
/// empty `key` matches every key (API validation only allows it with `Exists`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub operator: TolerationOperator,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// `ToleratesTaint`: the effect must match unless the toleration's is empty, the key must
    /// match unless the toleration's is empty, then `Exists` matches any value and `Equal` needs
    /// equal values. So `{key: "", Exists, effect: None}` tolerates every taint.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|effect| effect != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Equal => self.value == taint.value,
            TolerationOperator::Exists => true,
        }
    }
}

/// `TolerationsTolerateTaint`: whether any of the tolerations tolerates the taint.
pub fn tolerations_tolerate(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// The TaintToleration filter: the first `NoSchedule` or `NoExecute` taint (in node order) that
/// no toleration tolerates, or `None` when the pod passes. Upstream reports a failure as
/// `UnschedulableAndUnresolvable` ("node(s) had untolerated taint {key: value}"): preempting pods
/// cannot help, so such a node is never a preemption candidate.
pub fn first_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
) -> Option<&'a Taint> {
    taints.iter().find(|taint| {
        matches!(
            taint.effect,
            TaintEffect::NoSchedule | TaintEffect::NoExecute
        ) && !tolerations_tolerate(tolerations, taint)
    })
}

/// The TaintToleration raw score: the number of the node's `PreferNoSchedule` taints that no
/// toleration tolerates (fewer is better, see [`normalize_taint_scores`]). Upstream first keeps
/// only tolerations whose effect is empty or `PreferNoSchedule`; the effect check in
/// [`Toleration::tolerates`] already rejects the others against a `PreferNoSchedule` taint, so
/// no filtered copy is needed.
pub fn count_intolerable_prefer_no_schedule(taints: &[Taint], tolerations: &[Toleration]) -> i64 {
    let count = taints
        .iter()
        .filter(|taint| {
            taint.effect == TaintEffect::PreferNoSchedule
                && !tolerations_tolerate(tolerations, taint)
        })
        .count();
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// TaintToleration's `NormalizeScore`: `DefaultNormalizeScore` reversed, so the node with the
/// most intolerable `PreferNoSchedule` taints scores 0 and nodes with none score 100
/// (`100 - 100 * raw / max_raw`; all 100 when no node has any).
pub fn normalize_taint_scores(raw_scores: &mut [i64]) {
    default_normalize_scores(raw_scores, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect,
        }
    }

    fn toleration(
        key: &str,
        operator: TolerationOperator,
        value: &str,
        effect: Option<TaintEffect>,
    ) -> Toleration {
        Toleration {
            key: key.into(),
            operator,
            value: value.into(),
            effect,
        }
    }

    use TaintEffect::*;
    use TolerationOperator::*;

    #[test]
    fn equal_needs_same_key_value_and_effect() {
        let t = taint("dedicated", "gpu", NoSchedule);
        assert!(toleration("dedicated", Equal, "gpu", Some(NoSchedule)).tolerates(&t));
        assert!(!toleration("dedicated", Equal, "cpu", Some(NoSchedule)).tolerates(&t));
        assert!(!toleration("other", Equal, "gpu", Some(NoSchedule)).tolerates(&t));
        assert!(!toleration("dedicated", Equal, "gpu", Some(NoExecute)).tolerates(&t));
    }

    #[test]
    fn empty_effect_matches_every_effect() {
        let tol = toleration("dedicated", Equal, "gpu", None);
        for effect in [NoSchedule, PreferNoSchedule, NoExecute] {
            assert!(tol.tolerates(&taint("dedicated", "gpu", effect)));
        }
    }

    #[test]
    fn exists_ignores_the_value_and_an_empty_key_matches_every_key() {
        let t = taint("spot", "true", NoSchedule);
        assert!(toleration("spot", Exists, "", Some(NoSchedule)).tolerates(&t));
        assert!(toleration("", Exists, "", None).tolerates(&t));
        assert!(!toleration("", Exists, "", Some(NoExecute)).tolerates(&t));
        // Equal with an empty key still compares values (upstream's rule, though API validation
        // rejects the combination).
        assert!(!toleration("", Equal, "false", None).tolerates(&t));
    }

    #[test]
    fn filter_reports_the_first_untolerated_hard_taint_and_ignores_prefer_no_schedule() {
        let taints = [
            taint("soft", "x", PreferNoSchedule),
            taint("spot", "true", NoSchedule),
            taint("maintenance", "", NoExecute),
        ];
        assert_eq!(
            first_untolerated_taint(&taints, &[]).map(|t| t.key.as_str()),
            Some("spot")
        );
        let tolerate_spot = [toleration("spot", Equal, "true", None)];
        assert_eq!(
            first_untolerated_taint(&taints, &tolerate_spot).map(|t| t.key.as_str()),
            Some("maintenance")
        );
        let tolerate_all = [toleration("", Exists, "", None)];
        assert_eq!(first_untolerated_taint(&taints, &tolerate_all), None);
    }

    #[test]
    fn score_counts_only_intolerable_prefer_no_schedule_taints() {
        let taints = [
            taint("a", "1", PreferNoSchedule),
            taint("b", "1", PreferNoSchedule),
            taint("c", "1", NoSchedule),
        ];
        assert_eq!(count_intolerable_prefer_no_schedule(&taints, &[]), 2);
        let tols = [
            toleration("a", Exists, "", Some(PreferNoSchedule)),
            // Wrong effect: does not tolerate the PreferNoSchedule taint "b".
            toleration("b", Exists, "", Some(NoSchedule)),
        ];
        assert_eq!(count_intolerable_prefer_no_schedule(&taints, &tols), 1);
    }

    #[test]
    fn normalization_is_reversed() {
        let mut raw = [0, 1, 2];
        normalize_taint_scores(&mut raw);
        assert_eq!(raw, [100, 50, 0]);
    }
}
