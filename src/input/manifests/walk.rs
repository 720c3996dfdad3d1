//! Reading one manifest's fields: each read knows its file, its YAML field path
//! (`spec.template.spec.containers[0].resources.requests.cpu`) and its line and column, so a
//! refused value is located as precisely as the parser located a syntax error. Mappers name
//! the fields they read ([`At::fields`]); every other field is a warning, never dropped silently.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::InputError;
use serde::de::DeserializeOwned;
use serde::de::value::StrDeserializer;
use sim::quantity::{Bytes, CpuMillis};

use super::yaml::{Node, Value};

/// A node of a manifest and the path that leads to it.
#[derive(Clone)]
pub struct At<'a> {
    pub file: &'a Path,
    pub node: &'a Node,
    pub path: String,
}

impl<'a> At<'a> {
    /// The root of a document (or of a `kind: List` item, whose path is `items[i]`).
    pub fn root(file: &'a Path, node: &'a Node, path: String) -> Self {
        At { file, node, path }
    }

    /// A bad value here: file:line:col, the field path, the message.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.to_owned(),
            position: Some(self.node.at),
            field: self.path.clone(),
            message: message.into(),
        }
    }

    /// `file:line` of this node, for warnings and comments.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.node.at.line)
    }

    fn child(&self, key: &str, node: &'a Node) -> At<'a> {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        At {
            file: self.file,
            node,
            path,
        }
    }

    fn entries(&self) -> Result<&'a [(String, Node)], InputError> {
        match &self.node.value {
            Value::Map(m) => Ok(m),
            // `resources: {}` written as `resources:` is null: an empty mapping.
            Value::Null => Ok(&[]),
            other => Err(self.error(format!("expected a mapping, found {}", other.kind()))),
        }
    }

    /// Checks that this is a mapping and warns (once per kind and path) about every key not
    /// in `read`, the fields the caller maps. `quiet` keys are read by nobody and warned about
    /// by nobody: they describe the object, not its behaviour (labels, status, …).
    pub fn fields(
        &self,
        kind: &str,
        read: &[&str],
        quiet: &[&str],
        warnings: &mut Warnings,
    ) -> Result<(), InputError> {
        for (key, node) in self.entries()? {
            if !read.contains(&key.as_str()) && !quiet.contains(&key.as_str()) {
                warnings.ignored(kind, &self.child(key, node));
            }
        }
        Ok(())
    }

    /// The value at `key` of this mapping, if written and not null.
    pub fn get(&self, key: &str) -> Result<Option<At<'a>>, InputError> {
        Ok(self
            .entries()?
            .iter()
            .find(|(k, n)| k == key && n.value != Value::Null)
            .map(|(k, n)| self.child(k, n)))
    }

    /// The value at `key`, which must be written.
    pub fn need(&self, key: &str) -> Result<At<'a>, InputError> {
        self.get(key)?
            .ok_or_else(|| self.error(format!("expected a field `{key}`")))
    }

    /// The mapping's entries as (key, node).
    pub fn pairs(&self) -> Result<Vec<(&'a str, At<'a>)>, InputError> {
        Ok(self
            .entries()?
            .iter()
            .map(|(k, n)| (k.as_str(), self.child(k, n)))
            .collect())
    }

    /// The containers of a workload's pod template (`spec.template.spec.containers`); empty
    /// when it has none.
    pub fn pod_containers(&self) -> Result<Vec<At<'a>>, InputError> {
        let Some(pod) = self
            .get("spec")?
            .map(|s| s.get("template"))
            .transpose()?
            .flatten()
            .map(|t| t.get("spec"))
            .transpose()?
            .flatten()
        else {
            return Ok(Vec::new());
        };
        match pod.get("containers")? {
            Some(list) => list.items(),
            None => Ok(Vec::new()),
        }
    }

    /// The items of this list, each at `path[i]`.
    pub fn items(&self) -> Result<Vec<At<'a>>, InputError> {
        match &self.node.value {
            Value::Seq(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, node)| At {
                    file: self.file,
                    node,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            Value::Null => Ok(Vec::new()),
            other => Err(self.error(format!("expected a list, found {}", other.kind()))),
        }
    }

    pub fn str(&self) -> Result<&'a str, InputError> {
        match &self.node.value {
            Value::Str(s) => Ok(s),
            other => Err(self.error(format!("expected a string, found {}", other.kind()))),
        }
    }

    /// A scalar as text, as Kubernetes reads label values and quantities (`cpu: 2` is "2").
    pub fn scalar(&self) -> Result<String, InputError> {
        match &self.node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Float(x) => Ok(x.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(self.error(format!("expected a scalar, found {}", other.kind()))),
        }
    }

    pub fn bool(&self) -> Result<bool, InputError> {
        match &self.node.value {
            Value::Bool(b) => Ok(*b),
            other => Err(self.error(format!("expected true or false, found {}", other.kind()))),
        }
    }

    /// A whole number in `T`'s range (replicas, seconds, priorities).
    pub fn int<T: TryFrom<i64>>(&self) -> Result<T, InputError> {
        let Value::Int(i) = self.node.value else {
            return Err(self.error(format!(
                "expected a whole number, found {}",
                self.node.value.kind()
            )));
        };
        T::try_from(i).map_err(|_| self.error(format!("{i} is out of range")))
    }

    /// A count written as a number or a quantity string (`pods: "60"` in a ResourceQuota).
    pub fn count(&self) -> Result<u64, InputError> {
        let text = self.scalar()?;
        text.parse()
            .map_err(|_| self.error(format!("expected a whole number, found `{text}`")))
    }

    /// A string naming a variant of `T` as the experiment spells it (`In`, `Auto`, `WhenEmpty`):
    /// the experiment's enums keep the Kubernetes names, so serde reads them and says which
    /// names it expected.
    pub fn variant<T: DeserializeOwned>(&self) -> Result<T, InputError> {
        let text = self.str()?;
        T::deserialize(StrDeserializer::<serde::de::value::Error>::new(text))
            .map_err(|e| self.error(e.to_string()))
    }

    /// A CPU quantity ("500m", "2", 0.5).
    pub fn cpu(&self) -> Result<CpuMillis, InputError> {
        CpuMillis::parse(&self.scalar()?).map_err(|e| self.error(e.message))
    }

    /// A memory quantity ("512Mi", "1G").
    pub fn bytes(&self) -> Result<Bytes, InputError> {
        Bytes::parse(&self.scalar()?).map_err(|e| self.error(e.message))
    }
}

/// The import's warnings, each said once: one per unknown kind, one per ignored field path
/// of a kind (list indices dropped, so `containers[1].image` repeats `containers[0].image`).
#[derive(Default)]
pub struct Warnings {
    seen: BTreeSet<String>,
    pub lines: Vec<String>,
}

impl Warnings {
    /// A field the simulator does not model.
    pub fn ignored(&mut self, kind: &str, at: &At) {
        let general = strip_indices(&at.path);
        if self.seen.insert(format!("{kind} {general}")) {
            self.lines.push(format!(
                "{}:{}:{}: {kind} {general}: ignored (the simulator does not model it)",
                at.file.display(),
                at.node.at.line,
                at.node.at.col
            ));
        }
    }

    /// A kind the import does not map.
    pub fn unknown_kind(&mut self, kind: &str, at: &At) {
        if self.seen.insert(format!("kind {kind}")) {
            self.lines.push(format!(
                "{}: kind {kind} is not imported: its objects are skipped",
                at.place()
            ));
        }
    }

    /// Anything else worth saying once, such as a simplification the mapping made.
    pub fn note(&mut self, at: &At, message: impl Into<String>) {
        let message = message.into();
        if self.seen.insert(message.clone()) {
            self.lines.push(format!("{}: {message}", at.place()));
        }
    }
}

/// `a[0].b[12].c` → `a[].b[].c`.
fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_dropped_from_warned_paths() {
        assert_eq!(strip_indices("a[0].b[12].c"), "a[].b[].c");
        assert_eq!(strip_indices("spec"), "spec");
    }

    #[test]
    fn a_bad_quantity_names_its_path_and_place() {
        let docs = super::super::yaml::documents(
            Path::new("m.yaml"),
            "spec:\n  requests:\n    cpu: 500mm\n",
        )
        .unwrap();
        let root = At::root(Path::new("m.yaml"), &docs[0], String::new());
        let cpu = root
            .need("spec")
            .unwrap()
            .need("requests")
            .unwrap()
            .need("cpu")
            .unwrap();
        let e = cpu.cpu().unwrap_err().to_string();
        assert!(e.starts_with("m.yaml:3:10: spec.requests.cpu: "), "{e}");
    }
}
