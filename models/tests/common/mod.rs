//! What the upstream test tables share (`hpa_cases.rs`, `vpa_cases.rs`): one case of a
//! `tests/data/*-cases.json` file, and the loop that runs every case and lists each failure.

use serde::Deserialize;
use serde_json::Value;

/// One row of a shared case file.
#[derive(Deserialize)]
pub struct Case {
    pub id: String,
    pub upstream_test: String,
    pub kind: String,
    pub inputs: Value,
    pub expected: Value,
}

/// Parses `json` (the file `name`), checks it holds `count` cases, and runs each through
/// `compute`; fails listing every case whose result is not `same` as expected.
pub fn check_all(
    json: &str,
    name: &str,
    count: usize,
    compute: impl Fn(&Case) -> Result<Value, String>,
    same: impl Fn(&Value, &Value) -> bool,
) {
    let cases: Vec<Case> = match serde_json::from_str(json) {
        Ok(c) => c,
        Err(e) => panic!("{name} does not parse: {e}"),
    };
    assert_eq!(cases.len(), count, "the shared file holds {count} cases");
    let mut failures = Vec::new();
    for case in &cases {
        match compute(case) {
            Ok(got) if same(&case.expected, &got) => {}
            Ok(got) => failures.push(format!(
                "{} ({}): expected {}, got {got}",
                case.id, case.upstream_test, case.expected
            )),
            Err(e) => failures.push(format!(
                "{} ({}): expected {}, got error {e}",
                case.id, case.upstream_test, case.expected
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
