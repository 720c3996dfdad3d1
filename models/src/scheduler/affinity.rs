//! NodeAffinity: `nodeSelector` and required node affinity (the filter), preferred node affinity
//! (the score), all matched on node labels.
//!
//! Upstream (`kubernetes/kubernetes`):
//! - `staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`
//!   (`d572249d3056b06877dff30c8ddbe30e75d3d353`, plus `GetRequiredNodeAffinity` /
//!   `RequiredNodeAffinity.Match` from a current copy): terms are ORed, an empty term matches
//!   nothing, a term whose requirements fail to parse matches nothing, preferred terms with weight
//!   0 are skipped and the score is the sum of the weights of matching terms;
//! - `staging/src/k8s.io/apimachinery/pkg/labels/selector.go`
//!   (`ac8a1b5d43ff2ffe1d666b7518beadb2b2b1d41e`): `NewRequirement` (value-count and integer
//!   rules) and `Requirement.Matches`;
//! - `pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go` (several copies):
//!   `NormalizeScore` is `DefaultNormalizeScore(MaxNodeScore, reverse = false)`.
//!
//! `matchFields` (`metadata.name`) and label key/value syntax validation are not modelled: the
//! simulator's nodes are addressed by labels only, and the experiment loader checks syntax.
//! Upstream rejects a whole pod whose *preferred* terms fail to parse; here such a term simply
//! never matches.

use std::collections::BTreeMap;

use super::normalize::default_normalize_scores;

/// Read access to a node's labels, so callers can keep labels however suits them (a sorted
/// slice of pairs, a `BTreeMap`) without copying them per pod.
pub trait Labels {
    /// The value of `key`, if the label is present (an empty value is present).
    fn label(&self, key: &str) -> Option<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> Labels for [(K, V)] {
    fn label(&self, key: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v.as_ref())
    }
}

impl Labels for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A node selector requirement's operator (`NodeSelectorOperator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NodeSelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// One `matchExpressions` entry of a node selector term.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: NodeSelectorOperator,
    #[serde(default)]
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    /// Whether the requirement is well formed (`NewRequirement`): `In`/`NotIn` need at least one
    /// value, `Exists`/`DoesNotExist` none, `Gt`/`Lt` exactly one that parses as an `i64`.
    pub fn is_valid(&self) -> bool {
        use NodeSelectorOperator::*;
        match self.operator {
            In | NotIn => !self.values.is_empty(),
            Exists | DoesNotExist => self.values.is_empty(),
            Gt | Lt => self.values.len() == 1 && self.values[0].parse::<i64>().is_ok(),
        }
    }

    /// `Requirement.Matches`: `In` needs the label with one of the values; `NotIn` matches when
    /// the label is absent or has none of them; `Gt`/`Lt` need the label present and parsing as
    /// an `i64` that compares strictly. A requirement that is not [valid](Self::is_valid) matches
    /// nothing (upstream fails to parse the whole term), without a separate validation pass on
    /// this per-node path.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        use NodeSelectorOperator::*;
        let value = labels.label(&self.key);
        let listed = |v: &str| self.values.iter().any(|listed| listed == v);
        match self.operator {
            // With no values `In` cannot match anyway.
            In => value.is_some_and(listed),
            NotIn => !self.values.is_empty() && !value.is_some_and(listed),
            Exists => self.values.is_empty() && value.is_some(),
            DoesNotExist => self.values.is_empty() && value.is_none(),
            Gt | Lt => {
                let [bound] = self.values.as_slice() else {
                    return false;
                };
                let (Some(Ok(node_value)), Ok(bound)) =
                    (value.map(str::parse::<i64>), bound.parse::<i64>())
                else {
                    return false;
                };
                if self.operator == Gt {
                    node_value > bound
                } else {
                    node_value < bound
                }
            }
        }
    }
}

/// One node selector term: its requirements are ANDed. A term without requirements matches no
/// node ("nil or empty term matches no objects").
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<NodeSelectorRequirement>,
}

impl NodeSelectorTerm {
    /// Whether every requirement matches, and there is at least one.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        !self.match_expressions.is_empty()
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

/// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`: the terms are ORed, so no
/// terms (or only empty ones) match no node.
pub fn node_selector_terms_match<L: Labels + ?Sized>(
    terms: &[NodeSelectorTerm],
    labels: &L,
) -> bool {
    terms.iter().any(|t| t.matches(labels))
}

/// `spec.nodeSelector`: every pair must be a label of the node with exactly that value (an
/// empty selector matches every node).
pub fn node_selector_matches<L, K, V>(node_selector: &[(K, V)], labels: &L) -> bool
where
    L: Labels + ?Sized,
    K: AsRef<str>,
    V: AsRef<str>,
{
    node_selector
        .iter()
        .all(|(k, v)| labels.label(k.as_ref()) == Some(v.as_ref()))
}

/// The NodeAffinity filter (`RequiredNodeAffinity.Match`): the `nodeSelector` must match, and,
/// when the pod has required node affinity (`Some`, even with no terms), its terms must too.
pub fn required_node_affinity_matches<L, K, V>(
    node_selector: &[(K, V)],
    required_terms: Option<&[NodeSelectorTerm]>,
    labels: &L,
) -> bool
where
    L: Labels + ?Sized,
    K: AsRef<str>,
    V: AsRef<str>,
{
    node_selector_matches(node_selector, labels)
        && required_terms.is_none_or(|terms| node_selector_terms_match(terms, labels))
}

/// One `preferredDuringSchedulingIgnoredDuringExecution` entry (weight `1..=100` after API
/// validation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreferredSchedulingTerm {
    pub weight: i32,
    pub preference: NodeSelectorTerm,
}

/// The NodeAffinity raw score: the sum of the weights of the preferred terms the node matches
/// (terms with weight 0 or no requirements never count).
pub fn preferred_node_affinity_score<L: Labels + ?Sized>(
    terms: &[PreferredSchedulingTerm],
    labels: &L,
) -> i64 {
    terms
        .iter()
        .filter(|t| t.weight != 0 && t.preference.matches(labels))
        .map(|t| i64::from(t.weight))
        .sum()
}

/// NodeAffinity's `NormalizeScore`: `DefaultNormalizeScore` not reversed, so the best-matching
/// node scores 100 (all 0 when no node matches any preferred term).
pub fn normalize_node_affinity_scores(raw_scores: &mut [i64]) {
    default_normalize_scores(raw_scores, false);
}

#[cfg(test)]
mod tests {
    use super::NodeSelectorOperator::*;
    use super::*;

    fn req(key: &str, operator: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    const NODE: [(&str, &str); 3] = [
        ("topology.kubernetes.io/zone", "eu-west-1a"),
        ("cores", "16"),
        ("spot", ""),
    ];

    #[test]
    fn in_and_not_in() {
        let zone = "topology.kubernetes.io/zone";
        assert!(req(zone, In, &["eu-west-1b", "eu-west-1a"]).matches(&NODE[..]));
        assert!(!req(zone, In, &["eu-west-1b"]).matches(&NODE[..]));
        assert!(!req("missing", In, &["x"]).matches(&NODE[..]));
        assert!(!req(zone, NotIn, &["eu-west-1a"]).matches(&NODE[..]));
        assert!(req(zone, NotIn, &["eu-west-1b"]).matches(&NODE[..]));
        // NotIn matches a node without the label.
        assert!(req("missing", NotIn, &["x"]).matches(&NODE[..]));
    }

    #[test]
    fn exists_and_does_not_exist_see_empty_values_as_present() {
        assert!(req("spot", Exists, &[]).matches(&NODE[..]));
        assert!(!req("spot", DoesNotExist, &[]).matches(&NODE[..]));
        assert!(req("missing", DoesNotExist, &[]).matches(&NODE[..]));
    }

    #[test]
    fn gt_and_lt_compare_integers_strictly() {
        assert!(req("cores", Gt, &["15"]).matches(&NODE[..]));
        assert!(!req("cores", Gt, &["16"]).matches(&NODE[..]));
        assert!(req("cores", Lt, &["+17"]).matches(&NODE[..]));
        assert!(!req("cores", Lt, &["16"]).matches(&NODE[..]));
        // A label that is not an integer, or an absent label, never matches.
        assert!(!req("topology.kubernetes.io/zone", Gt, &["0"]).matches(&NODE[..]));
        assert!(!req("missing", Lt, &["100"]).matches(&NODE[..]));
    }

    #[test]
    fn ill_formed_requirements_match_nothing() {
        // NotIn without values would otherwise match everything.
        assert!(!req("missing", NotIn, &[]).matches(&NODE[..]));
        assert!(!req("spot", Exists, &["x"]).matches(&NODE[..]));
        assert!(!req("cores", Gt, &["1", "2"]).matches(&NODE[..]));
        assert!(!req("cores", Gt, &["one"]).matches(&NODE[..]));
        for bad in [
            req("missing", NotIn, &[]),
            req("spot", Exists, &["x"]),
            req("cores", Gt, &["1", "2"]),
            req("cores", Lt, &["one"]),
        ] {
            assert!(!bad.is_valid(), "{bad:?}");
        }
        assert!(req("cores", Lt, &["-3"]).is_valid());
        assert!(req("spot", DoesNotExist, &[]).is_valid());
    }

    #[test]
    fn terms_are_ored_and_requirements_anded() {
        let both = NodeSelectorTerm {
            match_expressions: vec![req("spot", Exists, &[]), req("cores", Gt, &["32"])],
        };
        let zone = NodeSelectorTerm {
            match_expressions: vec![req("topology.kubernetes.io/zone", In, &["eu-west-1a"])],
        };
        assert!(!both.matches(&NODE[..]));
        assert!(node_selector_terms_match(&[both.clone(), zone], &NODE[..]));
        assert!(!node_selector_terms_match(&[both], &NODE[..]));
        // No terms, or an empty term, match nothing.
        assert!(!node_selector_terms_match(&[], &NODE[..]));
        assert!(!node_selector_terms_match(
            &[NodeSelectorTerm::default()],
            &NODE[..]
        ));
    }

    #[test]
    fn required_affinity_combines_node_selector_and_terms() {
        let selector = [("spot", "")];
        assert!(required_node_affinity_matches(&selector, None, &NODE[..]));
        assert!(!required_node_affinity_matches(
            &[("spot", "true")],
            None,
            &NODE[..]
        ));
        // Required affinity present with no terms matches no node.
        assert!(!required_node_affinity_matches(
            &selector,
            Some(&[]),
            &NODE[..]
        ));
        let no_selector: [(&str, &str); 0] = [];
        assert!(required_node_affinity_matches(
            &no_selector,
            None,
            &NODE[..]
        ));
    }

    #[test]
    fn labels_from_a_btree_map() {
        let labels: BTreeMap<String, String> = NODE
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(req("cores", In, &["16"]).matches(&labels));
        assert!(!req("cores", In, &["8"]).matches(&labels));
    }

    #[test]
    fn preferred_score_sums_matching_weights() {
        let term = |weight, key: &str| PreferredSchedulingTerm {
            weight,
            preference: NodeSelectorTerm {
                match_expressions: vec![req(key, Exists, &[])],
            },
        };
        let terms = [
            term(5, "spot"),
            term(7, "cores"),
            term(3, "missing"),
            term(0, "spot"),
        ];
        assert_eq!(preferred_node_affinity_score(&terms, &NODE[..]), 12);
        let mut raw = [12, 6, 0];
        normalize_node_affinity_scores(&mut raw);
        assert_eq!(raw, [100, 50, 0]);
    }
}
