//! kube-scheduler's own test tables (`tests/data/scheduler-cases.json`, see its README) against
//! `clustersim_models::scheduler`: every case is read and must pass.

use std::collections::BTreeMap;

use clustersim_models::scheduler::resources::{
    CpuMemory, NodeAllocation, ResourceWeights, balanced_allocation_score, least_allocated_score,
};
use clustersim_models::scheduler::sampling::num_feasible_nodes_to_find;
use serde::Deserialize;

const CASES: &str = include_str!("data/scheduler-cases.json");

#[derive(Deserialize)]
struct Case {
    id: String,
    upstream_test: String,
    kind: String,
    inputs: serde_json::Value,
    expected: serde_json::Value,
}

#[derive(Deserialize)]
struct PodRequest {
    cpu_milli: u64,
    memory: u64,
}

#[derive(Deserialize)]
struct Node {
    name: String,
    allocatable_cpu_milli: u64,
    allocatable_memory: u64,
    requested_cpu_milli: u64,
    requested_memory: u64,
}

impl Node {
    /// The node as the scheduler sees it. The upstream pods in these cases set every request, so
    /// their non-zero sums equal their real sums.
    fn allocation(&self) -> NodeAllocation {
        let requested = CpuMemory {
            cpu_millis: self.requested_cpu_milli,
            memory_bytes: self.requested_memory,
        };
        NodeAllocation {
            allocatable: CpuMemory {
                cpu_millis: self.allocatable_cpu_milli,
                memory_bytes: self.allocatable_memory,
            },
            allocatable_pods: 110,
            requested,
            requested_non_zero: requested,
            pod_count: 0,
        }
    }
}

#[derive(Deserialize)]
struct Weights {
    cpu: i64,
    memory: i64,
}

#[derive(Deserialize)]
struct ScoreInputs {
    pod_request: PodRequest,
    nodes: Vec<Node>,
    resource_weights: Option<Weights>,
    resources: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ExpectedScores {
    scores: BTreeMap<String, i64>,
}

#[derive(Deserialize)]
struct FeasibleInputs {
    percentage_of_nodes_to_score: u32,
    num_all_nodes: u32,
}

#[derive(Deserialize)]
struct ExpectedFeasible {
    num_nodes: u32,
}

fn parse<T: serde::de::DeserializeOwned>(value: &serde_json::Value, what: &str, id: &str) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{id}: bad {what}: {e}"))
}

/// Scores every node of a score case with `score`, as a name → score map.
fn scores_of(
    inputs: &ScoreInputs,
    score: impl Fn(&NodeAllocation, CpuMemory) -> i64,
) -> BTreeMap<String, i64> {
    let pod = CpuMemory {
        cpu_millis: inputs.pod_request.cpu_milli,
        memory_bytes: inputs.pod_request.memory,
    };
    inputs
        .nodes
        .iter()
        .map(|n| (n.name.clone(), score(&n.allocation(), pod)))
        .collect()
}

/// Runs one case; `Err` describes a mismatch.
fn check(case: &Case) -> Result<(), String> {
    let id = case.id.as_str();
    match case.kind.as_str() {
        "least_allocated" => {
            let inputs: ScoreInputs = parse(&case.inputs, "inputs", id);
            let expected: ExpectedScores = parse(&case.expected, "expected", id);
            let w = inputs
                .resource_weights
                .as_ref()
                .ok_or("least_allocated case without resource_weights")?;
            let weights = ResourceWeights {
                cpu: w.cpu,
                memory: w.memory,
            };
            let got = scores_of(&inputs, |n, pod| least_allocated_score(n, pod, weights));
            compare(&got, &expected.scores)
        }
        "balanced_allocation" => {
            let inputs: ScoreInputs = parse(&case.inputs, "inputs", id);
            let expected: ExpectedScores = parse(&case.expected, "expected", id);
            // The simulator models exactly cpu and memory.
            if inputs.resources.as_deref() != Some(&["cpu".to_string(), "memory".to_string()]) {
                return Err(format!("unsupported resources {:?}", inputs.resources));
            }
            let got = scores_of(&inputs, |n, pod| {
                balanced_allocation_score(n, pod).unwrap_or(-1)
            });
            compare(&got, &expected.scores)
        }
        "num_feasible_nodes" => {
            let inputs: FeasibleInputs = parse(&case.inputs, "inputs", id);
            let expected: ExpectedFeasible = parse(&case.expected, "expected", id);
            let got = num_feasible_nodes_to_find(
                inputs.percentage_of_nodes_to_score,
                inputs.num_all_nodes,
            );
            if got == expected.num_nodes {
                Ok(())
            } else {
                Err(format!("got {got}, expected {}", expected.num_nodes))
            }
        }
        other => Err(format!("unknown kind {other:?}")),
    }
}

fn compare(got: &BTreeMap<String, i64>, expected: &BTreeMap<String, i64>) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {expected:?}"))
    }
}

#[test]
fn every_upstream_scheduler_case_passes() {
    let cases: Vec<Case> = serde_json::from_str(CASES).expect("scheduler-cases.json parses");
    assert_eq!(cases.len(), 11, "the shared file holds 11 cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("{} ({}): {why}", case.id, case.upstream_test))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}
