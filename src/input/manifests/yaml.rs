//! A YAML document as a tree whose every node knows its line and column, read by
//! `serde-saphyr` (no hand-written parsing). The manifests' kinds are mapped from this tree
//! rather than from typed structs so that every field can be accounted for: read, warned about
//! as ignored, or refused, each with the place it was written.

use std::fmt;
use std::path::Path;

use crate::error::{InputError, Position};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One YAML node and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub at: Position,
}

/// A node's value. Mapping keys are kept as text, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Value {
    /// What the value is, for messages ("expected a mapping, found a string").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Every document of a YAML stream (`---`-separated; empty documents skipped), or the parser's
/// error located in `file`.
pub fn documents(file: &Path, text: &str) -> Result<Vec<Node>, InputError> {
    serde_saphyr::from_multiple::<Node>(text).map_err(|e| {
        let position = e.location().filter(|l| l.line() > 0).map(|l| Position {
            line: l.line() as usize,
            col: l.column() as usize,
        });
        InputError {
            file: file.to_owned(),
            position,
            field: String::new(),
            message: format!("malformed YAML: {}", first_line(&e.to_string())),
        }
    })
}

/// The parser's message without the source snippet it appends.
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim()
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            at: Position {
                line: spanned.referenced.line() as usize,
                col: spanned.referenced.column() as usize,
            },
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            entries.push((key.0, map.next_value::<Node>()?));
        }
        Ok(Value::Map(entries))
    }
}

/// A mapping key: any scalar, as text (`80: http` has the key "80").
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = match Value::deserialize(deserializer)? {
            Value::Str(s) => s,
            Value::Int(i) => i.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            other => {
                return Err(de::Error::custom(format!(
                    "expected a scalar mapping key, found {}",
                    other.kind()
                )));
            }
        };
        Ok(Key(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_their_line_and_column() {
        let docs = documents(
            Path::new("x.yaml"),
            "a: 1\n---\nkind: X\nspec:\n  n: [1, two]\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let Value::Map(m) = &docs[1].value else {
            panic!("a map")
        };
        assert_eq!(m[0].0, "kind");
        assert_eq!(m[0].1.value, Value::Str("X".into()));
        assert_eq!(m[0].1.at, Position { line: 3, col: 7 });
        let Value::Map(spec) = &m[1].1.value else {
            panic!("a map")
        };
        let Value::Seq(items) = &spec[0].1.value else {
            panic!("a list")
        };
        assert_eq!(items[1].value, Value::Str("two".into()));
        assert_eq!(items[1].at, Position { line: 5, col: 10 });
    }

    #[test]
    fn malformed_yaml_is_located() {
        let e = documents(Path::new("x.yaml"), "a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.position.is_some(), "{e}");
        assert!(e.message.starts_with("malformed YAML"), "{e}");
    }
}
