//! Small JSON outputs (the run summary).

use std::io::Write;
use std::path::Path;

use crate::atomic::write_atomically;
use crate::error::{Access, ReportError};

/// Writes `value` as pretty-printed JSON (two-space indent, as `serde_json` does) followed by a
/// newline, atomically.
///
/// The value is serialized into memory first, so a `Serialize` failure is reported as
/// [`ReportError::Json`] and never reaches the disk; summaries are small. Floats come out in
/// `serde_json`'s shortest round-trip form, and fields in declaration order, so the same value
/// gives the same bytes. Non-finite floats become `null` (JSON has no NaN).
pub fn write_json<T: serde::Serialize>(value: &T, path: &Path) -> Result<(), ReportError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| ReportError::Json {
        access: Access::Write,
        path: path.to_owned(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomically(path, |w| w.write_all(&bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fs;

    use super::*;
    use crate::test_dir::TestDir;

    #[derive(serde::Serialize)]
    struct Summary {
        runs: u64,
        cost_usd: f64,
        policy: &'static str,
    }

    #[test]
    fn json_is_pretty_with_a_trailing_newline() {
        let dir = TestDir::new("json_pretty");
        let path = dir.path().join("summary.json");
        let summary = Summary {
            runs: 2,
            cost_usd: 0.1,
            policy: "hpa",
        };
        write_json(&summary, &path).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{\n  \"runs\": 2,\n  \"cost_usd\": 0.1,\n  \"policy\": \"hpa\"\n}\n"
        );
        assert_eq!(dir.file_names(), ["summary.json"]);
    }

    #[test]
    fn an_unserializable_value_writes_nothing() {
        let dir = TestDir::new("json_unserializable");
        let path = dir.path().join("summary.json");
        // JSON object keys must be strings.
        let value = BTreeMap::from([((1, 2), "pair key")]);
        let err = write_json(&value, &path).unwrap_err();
        assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write {}: ", path.display())),
            "{err}"
        );
        assert_eq!(dir.file_names(), Vec::<String>::new());
    }
}
