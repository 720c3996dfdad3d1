//! The regular-expression subset of the priority expander's patterns: literal characters, `.`,
//! `*` after an item, `^` at the start and `$` at the end, matched anywhere in the name as Go's
//! `regexp.FindStringIndex` does (`expander/priority/priority.go groupIDMatchesList`, tag
//! `cluster-autoscaler-1.36.1`). Enough for the usual `.*spot.*` and `^pool-a$` rules without a
//! regex dependency.

/// Why `pattern` is outside the subset, if it is.
pub fn check(pattern: &str) -> Result<(), String> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let body = body.strip_suffix('$').unwrap_or(body);
    let mut previous_was_item = false;
    for c in body.chars() {
        match c {
            '*' if !previous_was_item => {
                return Err(format!("`*` must follow a character or `.` in {pattern:?}"));
            }
            '*' => previous_was_item = false,
            '[' | ']' | '(' | ')' | '{' | '}' | '+' | '?' | '|' | '\\' | '^' | '$' => {
                return Err(format!(
                    "{c:?} is not supported in {pattern:?}: only literals, `.`, `*`, and `^`/`$` \
                     anchors"
                ));
            }
            _ => previous_was_item = true,
        }
    }
    Ok(())
}

/// Whether `pattern` (already [`check`]ed) matches somewhere in `name`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let anchored_start = pattern.starts_with('^');
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let anchored_end = body.ends_with('$');
    let body = body.strip_suffix('$').unwrap_or(body);
    let items: Vec<(char, bool)> = parse(body);
    let text: Vec<char> = name.chars().collect();
    let starts = if anchored_start {
        0..=0
    } else {
        0..=text.len()
    };
    starts
        .into_iter()
        .any(|s| match_here(&items, &text[s..], anchored_end))
}

/// (character or '.' for any, repeated by `*`).
fn parse(body: &str) -> Vec<(char, bool)> {
    let mut items: Vec<(char, bool)> = Vec::new();
    for c in body.chars() {
        if c == '*' {
            if let Some(last) = items.last_mut() {
                last.1 = true;
            }
        } else {
            items.push((c, false));
        }
    }
    items
}

fn match_here(items: &[(char, bool)], text: &[char], anchored_end: bool) -> bool {
    let Some(&(c, star)) = items.first() else {
        return !anchored_end || text.is_empty();
    };
    let one = |t: &char| c == '.' || *t == c;
    if star {
        // Try every repetition count, fewest first.
        let mut i = 0;
        loop {
            if match_here(&items[1..], &text[i..], anchored_end) {
                return true;
            }
            if i < text.len() && one(&text[i]) {
                i += 1;
            } else {
                return false;
            }
        }
    }
    match text.first() {
        Some(t) if one(t) => match_here(&items[1..], &text[1..], anchored_end),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_an_unanchored_regex() {
        assert!(matches("spot", "pool-spot-b"));
        assert!(matches(".*-spot", "pool-spot"));
        assert!(!matches("^spot", "pool-spot"));
        assert!(matches("^pool-a$", "pool-a"));
        assert!(!matches("^pool-a$", "pool-ab"));
        assert!(matches("pool-.*b$", "pool-xyzb"));
        assert!(matches("a*", ""));
        assert!(check("pool-(a|b)").is_err());
        assert!(check("*x").is_err());
        assert!(check("^p.*$").is_ok());
    }
}
