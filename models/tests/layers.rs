//! The crate's module layers (`models::api`'s doc): reads every source file's `crate::` paths
//! and checks that no top-level module imports one it must not, and that the top-level modules
//! import each other without a cycle. A grep would say the same; this keeps it true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its non-test code names through `crate::`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("models/src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).expect("under src");
            let first = relative.components().next().expect("a file name");
            let top = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            // Test-only code (`#[cfg(test)]` items and the test fixture) may reach anywhere.
            if relative.ends_with("fixture.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String = code
                .lines()
                .map(|line| line.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let targets = graph.entry(top.clone()).or_default();
            for module in crate_paths(&code) {
                if module != top {
                    targets.insert(module);
                }
            }
        }
    }
    graph
}

/// The first segment of every `crate::x` and of each item of `crate::{x::…, y::…}`.
fn crate_paths(code: &str) -> Vec<String> {
    let word = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        out.push(word(&group[k..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(word(rest));
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

#[test]
fn controllers_import_the_api_never_the_cluster_or_each_other() {
    let graph = imports();
    let controllers = ["hpa", "autoscaler", "faults", "jobs", "vpa", "policy"];
    for c in controllers {
        let names = &graph[c];
        for forbidden in ["cluster", "run", "traffic"]
            .into_iter()
            .chain(controllers.into_iter().filter(|&o| o != c))
        {
            assert!(
                !names.contains(forbidden),
                "`{c}` imports `crate::{forbidden}`; exchange types belong in `crate::api`"
            );
        }
    }
}

#[test]
fn the_api_and_the_plans_sit_below_every_model() {
    let graph = imports();
    let api: Vec<&String> = graph["api"].iter().filter(|m| *m != "latency").collect();
    assert!(
        api.is_empty(),
        "`api` imports {api:?}; it may only use the leaves"
    );
    for (module, forbidden) in [
        (
            "cluster",
            &["run", "traffic", "hpa", "autoscaler", "faults"][..],
        ),
        ("plan", &["cluster", "run", "traffic"][..]),
        ("config", &["cluster", "run", "traffic"][..]),
    ] {
        for f in forbidden {
            assert!(
                !graph[module].contains(*f),
                "`{module}` imports `crate::{f}`"
            );
        }
    }
}

#[test]
fn the_batch_leaves_import_nothing_of_the_crate() {
    // Kueue's quota and queue rules, GPU counts, wave packing and cron occurrences are pure:
    // the Job controller, the policies and the cluster use them, they use nothing.
    let graph = imports();
    for leaf in ["kueue", "gpu", "packing", "cron"] {
        assert!(
            graph[leaf].is_empty(),
            "`{leaf}` imports {:?}; it must stay a leaf",
            graph[leaf]
        );
    }
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = imports();
    // Depth-first search with colours: reaching a module still on the path is a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(k) = path.iter().position(|p| p == m) {
            panic!("import cycle: {} -> {m}", path[k..].join(" -> "));
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
    assert!(graph.len() >= 12, "read too few modules: {graph:?}");
}

#[test]
fn crate_paths_reads_plain_and_grouped_imports() {
    assert_eq!(
        crate_paths(
            "use crate::{api::Reason, plan::{PoolPlan, X}};\nfn f(_: crate::billing::X) {}"
        ),
        ["api", "plan", "billing"]
    );
}
