//! RON text → any file type of clustersim (experiment, sweep): the one place that knows the
//! input is RON. Errors of the parser itself come with the `ron` crate's position; a value
//! that parsed but was refused is pointed at through [`crate::locate`], and the `ron` crate's
//! terse messages are said in words a user can act on (`explain`).

use std::path::Path;

use ron::extensions::Extensions;

use crate::error::{InputError, Position};
use crate::locate;

/// Levels of nesting the parser follows, at most: the `ron` crate's default, said here so the
/// error can say it (a bundled experiment nests about 8 deep; the limit keeps a hostile file
/// from overflowing the stack).
const RECURSION_LIMIT: usize = 128;

/// RON text → `T`, with `implicit_some` on, so an optional value is written plainly; the first
/// error with its position and field path.
pub fn parse_ron<T: serde::de::DeserializeOwned>(file: &Path, src: &str) -> Result<T, InputError> {
    parse_ron_missing(file, src).map_err(|(e, _)| e)
}

/// [`parse_ron`], the error with the name of the missing field when that is what it is (for
/// `manifests::partial`, which says where such a field could come from).
pub fn parse_ron_missing<T: serde::de::DeserializeOwned>(
    file: &Path,
    src: &str,
) -> Result<T, (InputError, Option<&'static str>)> {
    let options = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .with_recursion_limit(RECURSION_LIMIT);
    let mut de = ron::Deserializer::from_str_with_options(src, &options)
        .map_err(|e| (spanned(file, src, String::new(), &e), None))?;
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        let code = e.into_inner();
        // For a value that parsed but was refused (a bad unit, a negative count) `ron` reports
        // where its cursor stopped, past the value's start: point at the value itself. A
        // missing field is pointed at the struct that lacks it, not at its closing parenthesis.
        let refused_value = matches!(
            code,
            ron::Error::Message(_)
                | ron::Error::IntegerOutOfBounds
                | ron::Error::InvalidValueForType { .. }
                | ron::Error::MissingStructField { .. }
        );
        let mut located = spanned(file, src, field, &de.span_error(code.clone()));
        if refused_value
            && let Some(start) = locate::locate_exact(src, &locate::parse_path(&located.field))
        {
            located.position = Some(start);
        }
        explain(&mut located, &code, src);
        let missing = match code {
            ron::Error::MissingStructField { field, .. } => Some(field),
            _ => None,
        };
        (located, missing)
    })?;
    de.end()
        .map_err(|e| (spanned(file, src, String::new(), &de.span_error(e)), None))?;
    Ok(value)
}

/// The parser's error at its position, moved past the whitespace it stopped in (`ron` stops
/// before the blank that precedes a value of the wrong type, or after the root value when
/// text trails it), so the position is that of the offending text.
fn spanned(file: &Path, src: &str, field: String, e: &ron::error::SpannedError) -> InputError {
    let at = Position {
        line: e.span.start.line,
        col: e.span.start.col,
    };
    InputError {
        file: file.to_owned(),
        position: Some(past_whitespace(src, at)),
        field,
        message: e.code.to_string(),
    }
}

/// The first non-whitespace character at or after `p`; `p` itself when only whitespace
/// follows (an error at the end of the text).
fn past_whitespace(src: &str, p: Position) -> Position {
    for (i, line) in src.split('\n').enumerate().skip(p.line.saturating_sub(1)) {
        let skip = if i + 1 == p.line {
            p.col.saturating_sub(1)
        } else {
            0
        };
        if let Some(k) = line.chars().skip(skip).position(|c| !c.is_whitespace()) {
            return Position {
                line: i + 1,
                col: skip + k + 1,
            };
        }
    }
    p
}

/// The `ron` crate's message made actionable where it is terse: a misspelt field or variant
/// gets "did you mean", an integer out of range says the bound in words, and an unquoted
/// quantity or duration (`cpu: 500m`, read as the number 500 and a stray `m`) is explained.
fn explain(e: &mut InputError, code: &ron::Error, src: &str) {
    match code {
        ron::Error::NoSuchStructField {
            expected, found, ..
        }
        | ron::Error::NoSuchEnumVariant {
            expected, found, ..
        } => {
            if let Some(best) = closest(found, expected) {
                e.message = format!("{}; did you mean `{best}`?", e.message);
            }
        }
        ron::Error::ExceededRecursionLimit => {
            e.message = format!(
                "values nested more than {RECURSION_LIMIT} levels deep: expected a flatter file \
                 (a `Sum` or `Product` of a list of shapes instead of shapes nested one in another)"
            );
        }
        ron::Error::IntegerOutOfBounds => {
            let name = last_field(&e.field);
            let literal = e.position.map(|p| literal_at(src, p)).unwrap_or_default();
            e.message = if literal.starts_with('-') {
                format!("`{name}` must be ≥ 0, found {literal}: expected a whole number ≥ 0")
            } else {
                format!("{literal} is too large for `{name}`: expected a smaller whole number")
            };
        }
        _ => {
            if let Some(p) = e.position
                && let Some(quantity) = unquoted_quantity(src, p).or_else(|| unquoted_from(src, p))
            {
                if let Some(key) = &quantity.key
                    && let Some(parent) = e.field.strip_suffix(".?")
                {
                    e.field = format!("{parent}.{key}");
                }
                e.position = Some(quantity.start);
                e.message = format!(
                    "write quantities and durations in quotes: \"{}\" (unquoted, `{}` reads as \
                     a number followed by a stray `{}`)",
                    quantity.text, quantity.text, quantity.suffix
                );
            }
        }
    }
}

/// The last named segment of a field path: `replicas` of `services[0].replicas`.
fn last_field(field: &str) -> String {
    locate::parse_path(field)
        .into_iter()
        .rev()
        .find_map(|s| match s {
            locate::Segment::Field(f) => Some(f),
            locate::Segment::Index(_) => None,
        })
        .unwrap_or_else(|| "the value".to_owned())
}

/// The chars of line `p.line`, and the index of column `p.col` in them.
fn line_at(src: &str, p: Position) -> Option<(Vec<char>, usize)> {
    let line: Vec<char> = src.lines().nth(p.line.checked_sub(1)?)?.chars().collect();
    Some((line, p.col.checked_sub(1)?))
}

/// The number literal starting at `p` (`-1`, `4294967296`).
fn literal_at(src: &str, p: Position) -> String {
    line_at(src, p).map_or_else(String::new, |(line, at)| {
        line.iter()
            .skip(at)
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '_' | '.'))
            .collect()
    })
}

/// A quantity or duration written without quotes, found around an error position.
struct Unquoted {
    /// `500m`.
    text: String,
    /// `m`.
    suffix: String,
    /// Where the number starts.
    start: Position,
    /// The field it is the value of, when written just before it (`cpu`).
    key: Option<String>,
}

/// `500m` when the error at `p` is at the letters right after a number (`cpu: 500m`), as the
/// `ron` parser stops there expecting a comma.
fn unquoted_quantity(src: &str, p: Position) -> Option<Unquoted> {
    let (line, at) = line_at(src, p)?;
    let is_number = |c: &char| c.is_ascii_digit() || *c == '.';
    let digits = line[..at.min(line.len())]
        .iter()
        .rev()
        .take_while(|c| is_number(c))
        .count();
    let suffix: String = line
        .iter()
        .skip(at)
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if digits == 0 || suffix.is_empty() {
        return None;
    }
    let begin = at - digits;
    let text: String = line[begin..at]
        .iter()
        .chain(suffix.chars().collect::<Vec<_>>().iter())
        .collect();
    // `key: 500m`: the identifier before the colon.
    let mut k = begin;
    while k > 0 && line[k - 1].is_whitespace() {
        k -= 1;
    }
    let key = (k > 0 && line[k - 1] == ':').then(|| {
        let mut end = k - 1;
        while end > 0 && line[end - 1].is_whitespace() {
            end -= 1;
        }
        let start = line[..end]
            .iter()
            .rposition(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(0, |i| i + 1);
        line[start..end].iter().collect::<String>()
    });
    Some(Unquoted {
        text,
        suffix,
        start: Position {
            line: p.line,
            col: begin + 1,
        },
        key: key.filter(|k| !k.is_empty()),
    })
}

/// `1h` when the error at `p` is at the start of a number followed by letters (`duration: 1h`,
/// where `ron` stops expecting a string).
fn unquoted_from(src: &str, p: Position) -> Option<Unquoted> {
    let (line, at) = line_at(src, p)?;
    let rest = line.get(at..)?;
    let digits = rest
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == '.')
        .count();
    let suffix: String = rest[digits..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if digits == 0 || suffix.is_empty() {
        return None;
    }
    Some(Unquoted {
        text: rest[..digits + suffix.len()].iter().collect(),
        suffix,
        start: p,
        key: None,
    })
}

/// The expected name closest to `found` by edit distance, if close enough to be a misspelling:
/// at most a third of its length in edits (at least one).
fn closest<'a>(found: &str, expected: &[&'a str]) -> Option<&'a str> {
    let limit = (found.chars().count() / 3).max(1);
    expected
        .iter()
        .map(|e| (edit_distance(found, e), *e))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, e)| e)
}

/// Levenshtein distance over chars, case-insensitive (`Nodes` for `nodes` is one edit less
/// surprising than it looks).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_move_past_whitespace_to_the_offending_text() {
        let src = "(\n    a:  5,\n)\n\n  x";
        let p = |line, col| Position { line, col };
        assert_eq!(past_whitespace(src, p(2, 7)), p(2, 9));
        assert_eq!(past_whitespace(src, p(3, 2)), p(5, 3));
        assert_eq!(past_whitespace(src, p(5, 4)), p(5, 4));
    }

    #[test]
    fn edit_distances_by_hand() {
        assert_eq!(edit_distance("replicaz", "replicas"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("nodez", &["name", "nodes", "zones"]), Some("nodes"));
        // Three edits from a five-letter word is not a misspelling.
        assert_eq!(closest("abcde", &["vwxde"]), None);
    }
}
