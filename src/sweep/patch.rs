//! Setting one value of the base experiment's RON text, found by its field path.
//!
//! Why the text and not a `ron::Value` tree: `ron::Value` drops struct and enum variant names
//! (`Diurnal(mean_rps: 800)` reads back as a bare map), so a tree written back out would no
//! longer load as an experiment. Replacing only the span of one scalar token keeps everything
//! else byte for byte (comments, layout, variant names) and keeps every line where it was, so
//! an error the experiment loader finds in a patched run still points at the base file's line.
//! The patched text then goes through the normal loader, so a run is validated exactly like
//! `clustersim run` validates a file.
//!
//! The base's token decides how a value is spelled: a number stays a number, a string a
//! string (`"200ms"`), `true`/`false` a bool, and an enum variant name (`Spot`) takes a
//! string's content as the new name. A path through `Some(…)` sets the value inside.
//!
//! Paths are those of error messages (`services[0].replicas`), and a list element may also be
//! picked by a field's value: `services[name=api].replicas`.

use std::ops::Range;

use crate::error::Position;
use crate::locate;

use super::spec::Scalar;

/// How the base spells the value at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    Number,
    Str,
    Bool,
    /// An enum variant name without fields (`Spot`).
    Variant,
}

/// The value at a resolved path of the base text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path with every `[key=value]` replaced by its index: `services[0].replicas`.
    pub path: String,
    /// Byte range of the value's token in the base text.
    pub span: Range<usize>,
    pub spelling: Spelling,
}

/// Most list elements a `[key=value]` selector looks through (TigerStyle: a limit on
/// everything; no experiment has this many services or pools).
const MAX_SELECT: usize = 100_000;

/// Finds the value `field` names in `src`.
pub fn find(src: &str, field: &str) -> Result<Target, String> {
    let path = resolve_selectors(src, field)?;
    let segments = locate::parse_path(&path);
    let Some(position) = locate::locate_exact(src, &segments) else {
        let near = locate::locate(src, &segments).map_or_else(String::new, |p| {
            format!(" (the nearest enclosing value is at {}:{})", p.line, p.col)
        });
        return Err(format!(
            "`{field}` is not set in the base experiment{near}: a sweep sets values the base \
             writes out, so write the field there first"
        ));
    };
    let start = offset(src, position);
    let (span, spelling) = scalar_at(src, start).map_err(|what| {
        format!(
            "`{field}` (line {}:{}) holds {what}: an axis sets one number, string, bool or \
             enum variant name",
            position.line, position.col
        )
    })?;
    Ok(Target {
        path,
        span,
        spelling,
    })
}

/// `field` with every `[key=value]` replaced by the index of the first element whose `key`
/// is the string `value`.
fn resolve_selectors(src: &str, field: &str) -> Result<String, String> {
    let mut resolved = String::new();
    let mut rest = field;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            return Err(format!("`{field}`: a `[` without its `]`"));
        };
        resolved.push_str(&rest[..open]);
        let inner = &rest[open + 1..close];
        match inner.split_once('=') {
            None => resolved.push_str(&rest[open..=close]),
            Some((key, value)) => {
                let (key, value) = (key.trim(), value.trim().trim_matches('"'));
                let index = (0..MAX_SELECT)
                    .map_while(|i| {
                        let element = format!("{resolved}[{i}]");
                        locate::locate_exact(src, &locate::parse_path(&element))?;
                        Some((i, element))
                    })
                    .find(|(_, element)| {
                        string_at(src, &format!("{element}.{key}")).as_deref() == Some(value)
                    })
                    .map(|(i, _)| i)
                    .ok_or_else(|| {
                        format!("`{field}`: no element of `{resolved}` has {key} `{value}`")
                    })?;
                resolved.push_str(&format!("[{index}]"));
            }
        }
        rest = &rest[close + 1..];
    }
    resolved.push_str(rest);
    Ok(resolved)
}

/// The string at `path`, if a string is there.
fn string_at(src: &str, path: &str) -> Option<String> {
    let position = locate::locate_exact(src, &locate::parse_path(path))?;
    let (span, spelling) = scalar_at(src, offset(src, position)).ok()?;
    (spelling == Spelling::Str)
        .then(|| ron::from_str::<String>(&src[span]).ok())
        .flatten()
}

/// Byte offset of a 1-based line and char column, counted as `locate` counts them (a line
/// ends at `\n`).
fn offset(src: &str, p: Position) -> usize {
    let mut line = 1;
    let mut col = 1;
    for (i, c) in src.char_indices() {
        if line == p.line && col == p.col {
            return i;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    src.len()
}

/// The span and spelling of the scalar token starting at byte `start`, or what is there
/// instead.
fn scalar_at(src: &str, start: usize) -> Result<(Range<usize>, Spelling), &'static str> {
    let rest = &src[start..];
    let first = rest.chars().next().ok_or("nothing")?;
    let end_of = |len: usize| start + len;
    match first {
        '"' => {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => return Ok((start..end_of(i + 1), Spelling::Str)),
                    _ => {}
                }
            }
            Err("an unterminated string")
        }
        'r' if rest[1..].starts_with(['"', '#']) => {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let closing = format!("\"{}", "#".repeat(hashes));
            let body = 1 + hashes + 1;
            rest.get(body..)
                .and_then(|b| b.find(&closing))
                .map(|at| (start..end_of(body + at + closing.len()), Spelling::Str))
                .ok_or("an unterminated raw string")
        }
        c if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => {
            let len = rest
                .char_indices()
                .find(|&(_, c)| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')))
                .map_or(rest.len(), |(i, _)| i);
            Ok((start..end_of(len), Spelling::Number))
        }
        c if c == '_' || c.is_alphabetic() => {
            let len = rest
                .char_indices()
                .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
                .map_or(rest.len(), |(i, _)| i);
            let word = &rest[..len];
            let after = rest[len..].trim_start();
            if let Some(inside) = after.strip_prefix('(') {
                if word == "Some" {
                    let inner = inside.trim_start();
                    return scalar_at(src, src.len() - inner.len());
                }
                return Err("a structure");
            }
            let spelling = match word {
                "true" | "false" => Spelling::Bool,
                _ => Spelling::Variant,
            };
            Ok((start..end_of(len), spelling))
        }
        '(' | '[' | '{' => Err("a structure"),
        _ => Err("no value"),
    }
}

/// The RON spelling of `value` where the base has `spelling`.
pub fn spell(spelling: Spelling, value: &Scalar) -> Result<String, String> {
    match (spelling, value) {
        (Spelling::Number, Scalar::Int(v)) => Ok(v.to_string()),
        (Spelling::Number, Scalar::Float(v)) if v.is_finite() => Ok(format!("{v:?}")),
        (Spelling::Number, _) => Err("expected a finite number, as the base has one".into()),
        (Spelling::Str, Scalar::Text(s)) => {
            ron::to_string(s).map_err(|e| format!("cannot write the string: {e}"))
        }
        (Spelling::Str, _) => Err("expected a string such as \"500m\", as the base has one".into()),
        (Spelling::Bool, Scalar::Bool(b)) => Ok(b.to_string()),
        (Spelling::Bool, _) => Err("expected true or false, as the base has a bool".into()),
        (Spelling::Variant, Scalar::Text(s))
            if s.chars()
                .next()
                .is_some_and(|c| c == '_' || c.is_alphabetic())
                && s.chars().all(|c| c == '_' || c.is_alphanumeric()) =>
        {
            Ok(s.clone())
        }
        (Spelling::Variant, _) => {
            Err("expected a variant name as a string, such as \"Spot\", as the base has one".into())
        }
    }
}

/// `src` with each span replaced by its text; spans must not overlap.
pub fn apply(src: &str, edits: &[(Range<usize>, &str)]) -> String {
    let mut sorted: Vec<&(Range<usize>, &str)> = edits.iter().collect();
    sorted.sort_by_key(|(span, _)| span.start);
    let mut out = String::with_capacity(src.len() + 64);
    let mut at = 0;
    for (span, text) in sorted {
        out.push_str(&src[at..span.start]);
        out.push_str(text);
        at = span.end;
    }
    out.push_str(&src[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"Experiment(
    name: "x", // a comment stays
    node_pools: [
        (name: "od", nodes: 3, capacity_type: OnDemand),
        (name: "spot", nodes: Some(2), capacity_type: Spot, on: true),
    ],
    services: [(name: "api", replicas: 16, traffic: Diurnal(mean_rps: 8.5e2, amplitude: 0.6))],
)"#;

    fn set(field: &str, value: Scalar) -> Result<String, String> {
        let t = find(BASE, field)?;
        let text = spell(t.spelling, &value)?;
        Ok(apply(BASE, &[(t.span, &text)]))
    }

    #[test]
    fn numbers_strings_bools_and_variants_are_set_in_place() {
        let out = set("services[0].replicas", Scalar::Int(24)).unwrap();
        assert_eq!(out, BASE.replace("replicas: 16", "replicas: 24"));
        let out = set("services[0].traffic.amplitude", Scalar::Float(0.75)).unwrap();
        assert_eq!(out, BASE.replace("amplitude: 0.6", "amplitude: 0.75"));
        let out = set("services[0].traffic.mean_rps", Scalar::Int(900)).unwrap();
        assert_eq!(out, BASE.replace("8.5e2", "900"));
        let out = set("name", Scalar::Text("y \"q\"".into())).unwrap();
        assert_eq!(out, BASE.replace("\"x\"", r#""y \"q\"""#));
        let out = set("node_pools[0].capacity_type", Scalar::Text("Spot".into())).unwrap();
        assert_eq!(out, BASE.replace("OnDemand", "Spot"));
        let out = set("node_pools[1].on", Scalar::Bool(false)).unwrap();
        assert_eq!(out, BASE.replace("on: true", "on: false"));
        // Inside `Some(…)`.
        let out = set("node_pools[1].nodes", Scalar::Int(5)).unwrap();
        assert_eq!(out, BASE.replace("Some(2)", "Some(5)"));
    }

    #[test]
    fn elements_are_picked_by_name() {
        let t = find(BASE, "node_pools[name=spot].nodes").unwrap();
        assert_eq!(t.path, "node_pools[1].nodes");
        let t = find(BASE, "services[name=\"api\"].replicas").unwrap();
        assert_eq!(t.path, "services[0].replicas");
        let e = find(BASE, "node_pools[name=gpu].nodes").unwrap_err();
        assert!(
            e.contains("no element of `node_pools` has name `gpu`"),
            "{e}"
        );
    }

    #[test]
    fn missing_paths_structures_and_wrong_kinds_are_refused() {
        let e = find(BASE, "services[0].replica").unwrap_err();
        assert!(
            e.contains("not set in the base") && e.contains("7:16"),
            "{e}"
        );
        let e = find(BASE, "services[0].traffic").unwrap_err();
        assert!(e.contains("a structure"), "{e}");
        assert!(set("services[0].replicas", Scalar::Text("many".into())).is_err());
        assert!(
            set(
                "node_pools[0].capacity_type",
                Scalar::Text("not a name".into())
            )
            .is_err()
        );
        assert!(set("name", Scalar::Int(1)).is_err());
        assert!(set("node_pools[1].on", Scalar::Int(1)).is_err());
    }
}
