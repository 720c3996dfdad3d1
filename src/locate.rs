//! The RON locator: finds where a value starts in RON source text, given its field path.
//!
//! (Over 800 lines: 830 of code, the rest the lexer's and walker's tests, kept beside the
//! code they pin; the lexer and the walker share token types and are one job.)
//!
//! Syntax and serde errors come with a line and column from the `ron` crate, but semantic
//! validation runs on the deserialized experiment and only knows a field path such as
//! `services[1].traffic.amplitude`. [`locate`] maps that path back to `line:col` in the text;
//! [`RonLocator`] is the `crate::error::Locator` of RON files built on it.
//!
//! It is a small lexer plus a walker that follows the path one segment at a time. The walker
//! does not recurse (skipping a nested value uses an explicit stack), so no input can overflow
//! the stack, and it never panics: malformed text yields the deepest position found so far,
//! or `None` when the text does not even lex.
//!
//! Walking rules, beyond the obvious ones for structs, lists and maps:
//! - `Some(v)` is transparent: a path through it continues inside `v`.
//! - A one-element tuple struct or tuple variant (`Wrapper([1, 2])`) is transparent for a
//!   segment it cannot answer itself, as serde's newtypes are.
//! - A `Field` naming the enum variant at hand (`traffic.Diurnal.amplitude`, as
//!   `serde_path_to_error` writes it) stays on that variant.
//! - Positional entries of tuples, tuple structs and tuple variants are `Index(i)`; map
//!   entries are `Field(key)` for a string, identifier, char, bool or number key.

use crate::error::{Locator, Position};

/// One step of a path into a RON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
}

/// The RON [`Locator`]: field paths as serde writes them, found in the RON text they were
/// read from.
pub struct RonLocator<'a> {
    src: &'a str,
}

impl<'a> RonLocator<'a> {
    pub fn new(src: &'a str) -> Self {
        RonLocator { src }
    }
}

impl Locator for RonLocator<'_> {
    fn locate(&self, field: &str) -> Option<Position> {
        locate(self.src, &ron_path(field))
    }
}

/// `field` as a walk through RON text. serde names element `i` of a newtype variant's list
/// `Sum[i]` (`traffic.Sum[1].Constant.rps`, `axes[0].Zip[1]`), but RON writes that list inside
/// the variant's parentheses, `Sum([a, b])`: the walk goes through the variant's one
/// positional entry, `[0][i]`. A variant is a capitalised field followed by an index (the
/// schema's own fields are snake_case).
fn ron_path(field: &str) -> Vec<Segment> {
    let mut path = Vec::new();
    for segment in parse_path(field) {
        if matches!(segment, Segment::Index(_))
            && matches!(path.last(), Some(Segment::Field(f)) if f.starts_with(|c: char| c.is_ascii_uppercase()))
        {
            path.pop();
            path.push(Segment::Index(0));
        }
        path.push(segment);
    }
    path
}

/// Where the value at `path` starts in `src`, or the closest enclosing value that exists
/// (so an error about a missing field points at the struct that lacks it), or None if the text doesn't lex.
///
/// The position of a value is that of its first token: the `N` of `Name(…)`, the `(` of an
/// anonymous struct or tuple, the opening quote of a string. When the path goes through
/// `Some(…)` and then misses, the position is that of the struct inside the `Some`.
pub fn locate(src: &str, path: &[Segment]) -> Option<Position> {
    walk(src, path).map(|(position, _)| position)
}

/// Where the value at `path` starts, only when the whole path exists in `src`.
pub fn locate_exact(src: &str, path: &[Segment]) -> Option<Position> {
    walk(src, path).and_then(|(position, whole)| whole.then_some(position))
}

/// The deepest position reached along `path`, and whether it is the whole path's value.
fn walk(src: &str, path: &[Segment]) -> Option<(Position, bool)> {
    let tokens = lex(src)?;
    let walker = Walker { src, tokens };
    let mut at = walker.root()?;
    let mut best = walker.tokens[at].pos;
    let mut seg = 0;
    let mut unwraps = 0;
    while let Some(segment) = path.get(seg) {
        match walker.step(at, segment) {
            // Malformed text such as `(a: )` or a trailing `Some(`: no value there.
            Step::Into(next) | Step::Unwrap(next) if !walker.starts_value(next) => break,
            Step::Into(next) => {
                at = next;
                best = walker.tokens[at].pos;
                seg += 1;
            }
            Step::Unwrap(next) => {
                // `next` is strictly after `at`, so this terminates; the cap keeps a long
                // chain of `Some(Some(…))` from costing quadratic time.
                unwraps += 1;
                if unwraps > MAX_UNWRAPS {
                    break;
                }
                at = next;
                if walker.is_container(at) {
                    best = walker.tokens[at].pos;
                }
            }
            Step::Stay => seg += 1,
            Step::Missing => break,
        }
    }
    Some((best, seg == path.len()))
}

/// How many `Some(…)` or newtype wrappers a walk looks through, in all (the `ron` crate's
/// default recursion limit; deeper documents do not deserialize anyway).
const MAX_UNWRAPS: usize = 128;

/// Parses a path written as `services[1].traffic.peak_rps` into segments (helper for callers and tests).
///
/// `name` and `.name` are fields, `[3]` an index; `["app.kubernetes.io/name"]` (or with single
/// quotes) is a field whose name may contain `.`, `[` or `]`, and `[key]` with a non-numeric
/// key is a field too. An empty path, or `.` alone (as `serde_path_to_error` writes the root),
/// is the root.
pub fn parse_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut field = String::new();
    let mut chars = path.trim().chars().peekable();
    let flush = |field: &mut String, segments: &mut Vec<Segment>| {
        if !field.is_empty() {
            segments.push(Segment::Field(std::mem::take(field)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut field, &mut segments),
            '[' => {
                flush(&mut field, &mut segments);
                match chars.peek().copied() {
                    Some(quote @ ('"' | '\'')) => {
                        chars.next();
                        let mut key = String::new();
                        while let Some(c) = chars.next() {
                            match c {
                                '\\' => key.extend(chars.next()),
                                c if c == quote => break,
                                c => key.push(c),
                            }
                        }
                        // Anything up to the closing bracket is ignored.
                        for c in chars.by_ref() {
                            if c == ']' {
                                break;
                            }
                        }
                        segments.push(Segment::Field(key));
                    }
                    _ => {
                        let mut key = String::new();
                        for c in chars.by_ref() {
                            if c == ']' {
                                break;
                            }
                            key.push(c);
                        }
                        let key = key.trim();
                        match key.parse::<usize>() {
                            Ok(i) => segments.push(Segment::Index(i)),
                            Err(_) if !key.is_empty() => {
                                segments.push(Segment::Field(key.to_owned()));
                            }
                            Err(_) => {}
                        }
                    }
                }
            }
            c => field.push(c),
        }
    }
    flush(&mut field, &mut segments);
    segments
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    /// Standard, raw or byte string.
    Str,
    /// Char or byte literal.
    Char,
    Num,
    /// `..` or `..=`.
    Range,
    Punct(char),
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    /// Byte range in the source.
    start: usize,
    end: usize,
    pos: Position,
}

struct Lexer<'a> {
    src: &'a str,
    at: usize,
    line: usize,
    col: usize,
}

/// Whitespace as the `ron` crate defines it.
fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\r'
            | '\x0B'
            | '\x0C'
            | '\u{85}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn is_ident_first(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_rest(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn is_raw_ident_char(c: char) -> bool {
    is_ident_rest(c) || matches!(c, '.' | '+' | '-')
}

/// Source text → tokens, or `None` if it does not lex.
fn lex(src: &str) -> Option<Vec<Token>> {
    let mut lexer = Lexer {
        src,
        at: 0,
        line: 1,
        col: 1,
    };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_trivia()?;
        let Some(c) = lexer.peek() else {
            return Some(tokens);
        };
        let start = lexer.at;
        let pos = Position {
            line: lexer.line,
            col: lexer.col,
        };
        let kind = lexer.token(c)?;
        tokens.push(Token {
            kind,
            start,
            end: lexer.at,
            pos,
        });
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.at..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.at..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) -> usize {
        let mut n = 0;
        while self.peek().is_some_and(&f) {
            self.bump();
            n += 1;
        }
        n
    }

    /// Whitespace and comments (`// …` and nested `/* … */`).
    fn skip_trivia(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(c) if is_ws(c) => {
                    self.bump();
                }
                Some('/') => match self.peek_at(1) {
                    Some('/') => {
                        self.eat_while(|c| c != '\n');
                    }
                    Some('*') => {
                        self.bump();
                        self.bump();
                        let mut depth = 1usize;
                        while depth > 0 {
                            match self.bump()? {
                                '/' if self.eat('*') => depth += 1,
                                '*' if self.eat('/') => depth -= 1,
                                _ => {}
                            }
                        }
                    }
                    _ => return None,
                },
                _ => return Some(()),
            }
        }
    }

    /// Lexes the token starting with `c` (not yet consumed).
    fn token(&mut self, c: char) -> Option<Kind> {
        match c {
            '(' | ')' | '[' | ']' | '{' | '}' | ',' | ':' | '#' | '!' | '=' => {
                self.bump();
                Some(Kind::Punct(c))
            }
            '"' => {
                self.string()?;
                Some(Kind::Str)
            }
            '\'' => {
                self.char_literal()?;
                Some(Kind::Char)
            }
            '.' if self.peek_at(1) == Some('.') => {
                self.bump();
                self.bump();
                self.eat('=');
                Some(Kind::Range)
            }
            '.' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.number();
                Some(Kind::Num)
            }
            '+' | '-' => {
                self.bump();
                match self.peek() {
                    Some(c) if c.is_ascii_digit() => self.number(),
                    Some('.') if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                        self.number();
                    }
                    Some('i' | 'N') => {
                        // `-inf`, `+NaN`, maybe with a suffix.
                        let start = self.at;
                        self.eat_while(is_ident_rest);
                        let word = &self.src[start..self.at];
                        if !["inf", "NaN"].iter().any(|w| {
                            word.strip_prefix(w)
                                .is_some_and(|s| s.is_empty() || s == "f32" || s == "f64")
                        }) {
                            return None;
                        }
                    }
                    _ => return None,
                }
                Some(Kind::Num)
            }
            c if c.is_ascii_digit() => {
                self.number();
                Some(Kind::Num)
            }
            'r' if self.peek_at(1) == Some('"') => {
                self.bump();
                self.raw_string()?;
                Some(Kind::Str)
            }
            'r' if self.peek_at(1) == Some('#') => {
                let hashes = self.src[self.at + 1..]
                    .chars()
                    .take_while(|&c| c == '#')
                    .count();
                if self.peek_at(1 + hashes) == Some('"') {
                    self.bump();
                    self.raw_string()?;
                    Some(Kind::Str)
                } else if hashes == 1 && self.peek_at(2).is_some_and(is_raw_ident_char) {
                    self.bump();
                    self.bump();
                    self.eat_while(is_raw_ident_char);
                    Some(Kind::Ident)
                } else {
                    None
                }
            }
            'b' if self.peek_at(1) == Some('"') => {
                self.bump();
                self.string()?;
                Some(Kind::Str)
            }
            'b' if self.peek_at(1) == Some('\'') => {
                self.bump();
                self.char_literal()?;
                Some(Kind::Char)
            }
            'b' if self.peek_at(1) == Some('r') && matches!(self.peek_at(2), Some('"' | '#')) => {
                self.bump();
                self.bump();
                self.raw_string()?;
                Some(Kind::Str)
            }
            c if is_ident_first(c) => {
                self.eat_while(is_ident_rest);
                Some(Kind::Ident)
            }
            _ => None,
        }
    }

    /// A number from its first digit (or `.`): decimal, hex, octal or binary, with `_`
    /// separators, fraction, exponent and type suffix. Never consumes the `..` of a range.
    fn number(&mut self) {
        let radix_prefix =
            self.peek() == Some('0') && matches!(self.peek_at(1), Some('x' | 'X' | 'b' | 'o'));
        let mut prev = '\0';
        while let Some(c) = self.peek() {
            let take = c.is_ascii_alphanumeric()
                || c == '_'
                || (c == '.' && !radix_prefix && self.peek_at(1) != Some('.'))
                || (matches!(c, '+' | '-') && !radix_prefix && matches!(prev, 'e' | 'E'));
            if !take {
                break;
            }
            self.bump();
            prev = c;
        }
    }

    /// A standard string from its opening quote.
    fn string(&mut self) -> Option<()> {
        self.bump();
        loop {
            match self.bump()? {
                '"' => return Some(()),
                '\\' => {
                    self.bump()?;
                }
                _ => {}
            }
        }
    }

    /// A raw string from the first `#` or quote after the `r`.
    fn raw_string(&mut self) -> Option<()> {
        let hashes = self.eat_while(|c| c == '#');
        if !self.eat('"') {
            return None;
        }
        loop {
            if self.bump()? == '"' {
                let rest = &self.src[self.at..];
                if rest.chars().take(hashes).filter(|&c| c == '#').count() == hashes {
                    for _ in 0..hashes {
                        self.bump();
                    }
                    return Some(());
                }
            }
        }
    }

    /// A char literal from its opening quote.
    fn char_literal(&mut self) -> Option<()> {
        self.bump();
        match self.bump()? {
            '\'' | '\n' => return None,
            '\\' => {
                // `\n`, `\'`, `\x7F`, `\u{10FFFF}`: at most 8 more chars before the quote.
                self.bump()?;
                for _ in 0..9 {
                    match self.peek()? {
                        '\'' => break,
                        '\n' => return None,
                        _ => {
                            self.bump();
                        }
                    }
                }
            }
            _ => {}
        }
        self.eat('\'').then_some(())
    }
}

// ---------------------------------------------------------------------------------------------
// Walker

enum Step {
    /// The segment names the value starting at this token.
    Into(usize),
    /// Look for the same segment inside the value starting at this token (`Some`, newtypes).
    Unwrap(usize),
    /// The segment names the enum variant at hand: consume it and stay.
    Stay,
    /// The segment is not there.
    Missing,
}

struct Walker<'a> {
    src: &'a str,
    tokens: Vec<Token>,
}

fn closer(open: char) -> Option<char> {
    match open {
        '(' => Some(')'),
        '[' => Some(']'),
        '{' => Some('}'),
        _ => None,
    }
}

impl Walker<'_> {
    fn kind(&self, i: usize) -> Option<Kind> {
        self.tokens.get(i).map(|t| t.kind)
    }

    fn is_punct(&self, i: usize, c: char) -> bool {
        self.kind(i) == Some(Kind::Punct(c))
    }

    fn text(&self, i: usize) -> &str {
        self.tokens
            .get(i)
            .and_then(|t| self.src.get(t.start..t.end))
            .unwrap_or("")
    }

    /// Identifier text without the `r#` of a raw identifier.
    fn ident(&self, i: usize) -> Option<&str> {
        (self.kind(i) == Some(Kind::Ident)).then(|| {
            let text = self.text(i);
            text.strip_prefix("r#").unwrap_or(text)
        })
    }

    /// Index of the root value's first token, after any `#![…]` attributes.
    fn root(&self) -> Option<usize> {
        let mut i = 0;
        while self.is_punct(i, '#') {
            if !self.is_punct(i + 1, '!') || !self.is_punct(i + 2, '[') {
                return None;
            }
            i = self.skip_group(i + 2)?;
        }
        self.starts_value(i).then_some(i)
    }

    /// Whether a value can start at token `i`.
    fn starts_value(&self, i: usize) -> bool {
        match self.kind(i) {
            Some(Kind::Punct(c)) => matches!(c, '(' | '[' | '{'),
            Some(_) => true,
            None => false,
        }
    }

    /// Whether the value at `i` can hold fields or elements.
    fn is_container(&self, i: usize) -> bool {
        match self.kind(i) {
            Some(Kind::Punct('(' | '[' | '{')) => true,
            Some(Kind::Ident) => self.is_punct(i + 1, '('),
            _ => false,
        }
    }

    /// Index just past the bracketed group opening at `i`, or `None` if it is unbalanced.
    fn skip_group(&self, i: usize) -> Option<usize> {
        let Some(Kind::Punct(open)) = self.kind(i) else {
            return None;
        };
        let mut expected = vec![closer(open)?];
        let mut j = i + 1;
        while let Some(&want) = expected.last() {
            match self.kind(j)? {
                Kind::Punct(c @ ('(' | '[' | '{')) => expected.extend(closer(c)),
                Kind::Punct(c @ (')' | ']' | '}')) => {
                    if c != want {
                        return None;
                    }
                    expected.pop();
                }
                _ => {}
            }
            j += 1;
        }
        Some(j)
    }

    /// Index just past the value starting at `i`, or `None` if there is no value there.
    fn skip_value(&self, i: usize) -> Option<usize> {
        let mut j = match self.kind(i)? {
            Kind::Range => return Some(self.skip_range_end(i + 1)),
            Kind::Punct('(' | '[' | '{') => self.skip_group(i)?,
            Kind::Ident if self.is_punct(i + 1, '(') => self.skip_group(i + 1)?,
            Kind::Ident | Kind::Str | Kind::Char | Kind::Num => i + 1,
            Kind::Punct(_) => return None,
        };
        if self.kind(j) == Some(Kind::Range) {
            j = self.skip_range_end(j + 1);
        }
        Some(j)
    }

    /// Past the optional end bound of a range whose `..` is just before `i`.
    fn skip_range_end(&self, i: usize) -> usize {
        match self.kind(i) {
            Some(Kind::Num | Kind::Ident) => i + 1,
            _ => i,
        }
    }

    /// Start indices of the comma-separated values in the group opening at `open`, or `None`
    /// if the group is malformed. Stops early once element `stop_after` is found.
    fn elements(&self, open: usize, stop_after: Option<usize>) -> Option<Vec<usize>> {
        let Some(Kind::Punct(c)) = self.kind(open) else {
            return None;
        };
        let close = closer(c)?;
        let mut items = Vec::new();
        let mut j = open + 1;
        while !self.is_punct(j, close) {
            items.push(j);
            if stop_after.is_some_and(|k| items.len() > k) {
                break;
            }
            j = self.skip_value(j)?;
            if self.is_punct(j, ',') {
                j += 1;
            } else if !self.is_punct(j, close) {
                return None;
            }
        }
        Some(items)
    }

    /// Whether the `(` at `open` starts a struct with named fields.
    fn has_named_fields(&self, open: usize) -> bool {
        self.kind(open + 1) == Some(Kind::Ident) && self.is_punct(open + 2, ':')
    }

    /// The value of field `name` in the named-field struct whose `(` is at `open`.
    fn field(&self, open: usize, name: &str) -> Option<usize> {
        let mut j = open + 1;
        loop {
            if self.is_punct(j, ')') || !self.is_punct(j + 1, ':') {
                return None;
            }
            if self.ident(j)? == name {
                return Some(j + 2);
            }
            j = self.skip_value(j + 2)?;
            if !self.is_punct(j, ',') {
                return None;
            }
            j += 1;
        }
    }

    /// The value of the entry with key `key` in the map whose `{` is at `open`.
    fn map_entry(&self, open: usize, key: &Segment) -> Option<usize> {
        let mut j = open + 1;
        loop {
            if self.is_punct(j, '}') {
                return None;
            }
            let key_end = self.skip_value(j)?;
            if !self.is_punct(key_end, ':') {
                return None;
            }
            if key_end == j + 1 && self.key_matches(j, key) {
                return Some(key_end + 1);
            }
            j = self.skip_value(key_end + 1)?;
            if !self.is_punct(j, ',') {
                return None;
            }
            j += 1;
        }
    }

    fn key_matches(&self, i: usize, key: &Segment) -> bool {
        match (self.kind(i), key) {
            (Some(Kind::Str), Segment::Field(f)) => self.decoded(i).is_some_and(|s| s == *f),
            (Some(Kind::Char), Segment::Field(f)) => self.decoded(i).is_some_and(|s| s == *f),
            (Some(Kind::Ident), Segment::Field(f)) => self.ident(i) == Some(f.as_str()),
            (Some(Kind::Num), Segment::Field(f)) => self.text(i) == f,
            (Some(Kind::Num), Segment::Index(k)) => self.text(i) == k.to_string(),
            _ => false,
        }
    }

    /// The contents of the string or char literal at `i`, escapes resolved.
    fn decoded(&self, i: usize) -> Option<String> {
        let text = self.text(i);
        let text = text.strip_prefix('b').unwrap_or(text);
        if let Some(raw) = text.strip_prefix('r') {
            let hashes = raw.len() - raw.trim_start_matches('#').len();
            let inner = raw.get(hashes + 1..raw.len().checked_sub(hashes + 1)?)?;
            return Some(inner.to_owned());
        }
        let inner = text.get(1..text.len().checked_sub(1)?)?;
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                'x' => {
                    let hex: String = chars.by_ref().take(2).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                'u' => {
                    if chars.next()? != '{' {
                        return None;
                    }
                    let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                '\n' => {
                    while chars
                        .next_if(|&c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                        .is_some()
                    {}
                }
                '\r' if chars.next_if_eq(&'\n').is_some() => {
                    while chars
                        .next_if(|&c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                        .is_some()
                    {}
                }
                c => out.push(c),
            }
        }
        Some(out)
    }

    /// One segment down from the value starting at token `at`.
    fn step(&self, at: usize, segment: &Segment) -> Step {
        let (name, open) = match self.kind(at) {
            Some(Kind::Ident) if self.is_punct(at + 1, '(') => (self.ident(at), Some(at + 1)),
            Some(Kind::Ident) => (self.ident(at), None),
            Some(Kind::Punct('(' | '[' | '{')) => (None, Some(at)),
            _ => (None, None),
        };
        if let (Some("Some"), Some(open)) = (name, open) {
            return if self.is_punct(open + 1, ')') {
                Step::Missing
            } else {
                Step::Unwrap(open + 1)
            };
        }
        let found = open.map_or(Step::Missing, |open| self.step_into_group(open, segment));
        match (found, segment) {
            (Step::Missing, Segment::Field(f)) if name == Some(f.as_str()) => Step::Stay,
            (found, _) => found,
        }
    }

    fn step_into_group(&self, open: usize, segment: &Segment) -> Step {
        let found = match (self.kind(open), segment) {
            (Some(Kind::Punct('{')), _) => self.map_entry(open, segment),
            (Some(Kind::Punct('(')), Segment::Field(f)) if self.has_named_fields(open) => {
                self.field(open, f)
            }
            (Some(Kind::Punct('(')), _) if self.has_named_fields(open) => None,
            (_, segment) => {
                let stop = match segment {
                    Segment::Index(k) => Some(*k),
                    Segment::Field(_) => None,
                };
                let items = self.elements(open, stop);
                let direct = match segment {
                    Segment::Index(k) => items.as_ref().and_then(|items| items.get(*k).copied()),
                    Segment::Field(_) => None,
                };
                if direct.is_none() && self.is_punct(open, '(') {
                    // A newtype: look inside it, as serde's path does.
                    if let Some([only]) = items.as_deref() {
                        return Step::Unwrap(*only);
                    }
                }
                direct
            }
        };
        found.map_or(Step::Missing, Step::Into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"// quickstart
Experiment(
    name: "quickstart",
    seed: 42,
    regions: [
        (name: "us-east1", zones: ["us-east1-b", "us-east1-c"]),
        (name: "europe-west1", zones: ["europe-west1-b"]),
    ],
    services: [
        Service(name: "api", region: "us-east1", traffic: Diurnal(mean_rps: 400, amplitude: 0.6)),
    ],
    targets: Some((p99_latency: "100ms")),
    labels: { "team": "core", "tier": "1" },
)
"#;

    fn at(src: &str, path: &str) -> Option<(usize, usize)> {
        locate(src, &parse_path(path)).map(|p| (p.line, p.col))
    }

    #[test]
    fn the_ron_locator_finds_a_newtype_variants_list_elements() {
        let src = "(t: Sum([Constant(rps: 1), Product([Constant(rps: 2), Noise(cv: 0.1)])]))";
        let ron = RonLocator::new(src);
        let at = |field: &str| ron.locate(field).map(|p| (p.line, p.col));
        // serde's `Sum[0]` is the list's first element (column 10), not the list (its `[` at 9).
        assert_eq!(at("t.Sum[0]"), Some((1, 10)));
        assert_eq!(at("t.Sum[1].Product[1].Noise.cv"), Some((1, 65)));
        // Without the rule the walk stops at the `Sum` list.
        assert_eq!(
            locate(src, &parse_path("t.Sum[1].Product[1].Noise.cv")),
            Some(Position { line: 1, col: 9 })
        );
    }

    #[test]
    fn exact_lookups_refuse_a_partial_path() {
        let src = "(a: (b: 1),\n c: [2, 3])";
        let exact = |path: &str| locate_exact(src, &parse_path(path)).map(|p| (p.line, p.col));
        assert_eq!(exact("a.b"), Some((1, 9)));
        assert_eq!(exact("c[1]"), Some((2, 9)));
        assert_eq!(exact("a.missing"), None);
        assert_eq!(exact("c[2]"), None);
        assert_eq!(at(src, "a.missing"), Some((1, 5)));
    }

    #[test]
    fn root_is_the_struct_name() {
        assert_eq!(at(SAMPLE, ""), Some((2, 1)));
        assert_eq!(at(SAMPLE, "."), Some((2, 1)));
        assert_eq!(locate(SAMPLE, &[]), Some(Position { line: 2, col: 1 }));
    }

    #[test]
    fn top_level_fields() {
        assert_eq!(at(SAMPLE, "name"), Some((3, 11)));
        assert_eq!(at(SAMPLE, "seed"), Some((4, 11)));
        assert_eq!(at(SAMPLE, "regions"), Some((5, 14)));
        assert_eq!(at(SAMPLE, "labels"), Some((13, 13)));
    }

    #[test]
    fn nested_lists_and_structs() {
        assert_eq!(at(SAMPLE, "regions[0]"), Some((6, 9)));
        assert_eq!(at(SAMPLE, "regions[1]"), Some((7, 9)));
        assert_eq!(at(SAMPLE, "regions[1].name"), Some((7, 16)));
        assert_eq!(at(SAMPLE, "regions[1].zones"), Some((7, 39)));
        assert_eq!(at(SAMPLE, "regions[1].zones[0]"), Some((7, 40)));
        assert_eq!(at(SAMPLE, "regions[0].zones[1]"), Some((6, 50)));
        assert_eq!(at(SAMPLE, "services[0]"), Some((10, 9)));
        assert_eq!(at(SAMPLE, "services[0].region"), Some((10, 38)));
        assert_eq!(at(SAMPLE, "services[0].traffic"), Some((10, 59)));
        assert_eq!(at(SAMPLE, "services[0].traffic.mean_rps"), Some((10, 77)));
        assert_eq!(at(SAMPLE, "services[0].traffic.amplitude"), Some((10, 93)));
    }

    #[test]
    fn option_some_is_transparent() {
        assert_eq!(at(SAMPLE, "targets"), Some((12, 14)));
        assert_eq!(at(SAMPLE, "targets.p99_latency"), Some((12, 33)));
        // A field missing inside the `Some` points at the struct that lacks it.
        assert_eq!(at(SAMPLE, "targets.p50_latency"), Some((12, 19)));
        let src = "(a: Some(Some([1, 2])), b: None, c: Some(5))";
        assert_eq!(at(src, "a[1]"), Some((1, 19)));
        assert_eq!(at(src, "b.x"), Some((1, 28)));
        assert_eq!(at(src, "c.x"), Some((1, 37)));
        assert_eq!(at("(a: Some())", "a.x"), Some((1, 5)));
        // An index goes through `Some` too, into the tuple it holds.
        assert_eq!(at("(p: Some((10, 20)))", "p[0]"), Some((1, 11)));
        assert_eq!(at("(p: Some((10, 20)))", "p[1]"), Some((1, 15)));
    }

    #[test]
    fn map_entries() {
        assert_eq!(at(SAMPLE, "labels.tier"), Some((13, 39)));
        assert_eq!(at(SAMPLE, "labels.team"), Some((13, 23)));
        assert_eq!(at(SAMPLE, r#"labels["tier"]"#), Some((13, 39)));
        assert_eq!(at(SAMPLE, "labels.owner"), Some((13, 13)));
        let src = r##"{ plain: 1, "a.b": 2, 'c': 3, 7: 4, "q\"\u{e9}": 5, r#"raw"#: 6, (1, 2): 7, true: 8 }"##;
        assert_eq!(at(src, "plain"), Some((1, 10)));
        assert_eq!(at(src, r#"["a.b"]"#), Some((1, 20)));
        assert_eq!(at(src, "c"), Some((1, 28)));
        assert_eq!(at(src, "7"), Some((1, 34)));
        assert_eq!(at(src, "[7]"), Some((1, 34)));
        assert_eq!(at(src, "[\"q\\\"é\"]"), Some((1, 50)));
        assert_eq!(at(src, "raw"), Some((1, 63)));
        assert_eq!(at(src, "true"), Some((1, 83)));
        assert_eq!(at(src, "missing"), Some((1, 1)));
    }

    #[test]
    fn missing_field_points_at_enclosing_struct() {
        assert_eq!(at(SAMPLE, "services[0].replicas"), Some((10, 9)));
        assert_eq!(at(SAMPLE, "services[0].traffic.period"), Some((10, 59)));
        assert_eq!(at(SAMPLE, "nope"), Some((2, 1)));
        assert_eq!(at(SAMPLE, "nope.deeper[3]"), Some((2, 1)));
        // A path going on past a scalar stops at the scalar.
        assert_eq!(at(SAMPLE, "seed.x"), Some((4, 11)));
    }

    #[test]
    fn index_out_of_range_points_at_the_list() {
        assert_eq!(at(SAMPLE, "regions[2]"), Some((5, 14)));
        assert_eq!(at(SAMPLE, "regions[1].zones[1]"), Some((7, 39)));
        assert_eq!(at(SAMPLE, "services[7].name"), Some((9, 15)));
        assert_eq!(at("(xs: [])", "xs[0]"), Some((1, 6)));
        // An index into a struct with named fields, or a field of a list: not there.
        assert_eq!(at(SAMPLE, "regions[0][0]"), Some((6, 9)));
        assert_eq!(at(SAMPLE, "regions.name"), Some((5, 14)));
    }

    #[test]
    fn positional_fields_are_indices() {
        let src = "(\n  traffic: Diurnal(400, 0.6),\n  pair: (1, \"two\",),\n  unit: OnDemand,\n)";
        assert_eq!(at(src, "traffic"), Some((2, 12)));
        assert_eq!(at(src, "traffic[0]"), Some((2, 20)));
        assert_eq!(at(src, "traffic[1]"), Some((2, 25)));
        assert_eq!(at(src, "traffic[2]"), Some((2, 12)));
        assert_eq!(at(src, "traffic.amplitude"), Some((2, 12)));
        assert_eq!(at(src, "pair[1]"), Some((3, 13)));
        assert_eq!(at(src, "unit"), Some((4, 9)));
        assert_eq!(at(src, "unit.x"), Some((4, 9)));
    }

    #[test]
    fn variant_name_segments_and_newtypes() {
        // `serde_path_to_error` writes the variant: `services[0].traffic.Diurnal.amplitude`.
        assert_eq!(
            at(SAMPLE, "services[0].traffic.Diurnal.amplitude"),
            Some((10, 93))
        );
        assert_eq!(at("(c: Spot)", "c.Spot"), Some((1, 5)));
        // Newtype structs and variants are transparent for what they cannot answer.
        let src = "(w: Wrapper([10, 20, 30]), s: Inner((x: 1)), t: Tag(\"v\"))";
        assert_eq!(at(src, "w[2]"), Some((1, 22)));
        assert_eq!(at(src, "w[0]"), Some((1, 13)));
        assert_eq!(at(src, "s.x"), Some((1, 41)));
        assert_eq!(at(src, "s.y"), Some((1, 37)));
        assert_eq!(at(src, "t.x"), Some((1, 49)));
    }

    #[test]
    fn comments_between_tokens() {
        let src = "// head ( [ \"\n\
                   Experiment( /* a /* nested */ comment */ name /* x */ : // trailing ) ]\n\
                   \x20 /* multi\n line */ \"n\", /**/ xs: [ 1, /* ( */ 2 ], s: \"// not a comment\", t: 9\n\
                   )";
        assert_eq!(at(src, ""), Some((2, 1)));
        assert_eq!(at(src, "name"), Some((4, 10)));
        assert_eq!(at(src, "xs[1]"), Some((4, 37)));
        assert_eq!(at(src, "s"), Some((4, 45)));
        assert_eq!(at(src, "t"), Some((4, 68)));
    }

    #[test]
    fn columns_count_chars_not_bytes() {
        let src = "(note: \"héllo wörld 🦀\", target: 1,\n ünïcode: 'é', next: 2)";
        assert_eq!(at(src, "note"), Some((1, 8)));
        assert_eq!(at(src, "target"), Some((1, 33)));
        assert_eq!(at(src, "ünïcode"), Some((2, 11)));
        assert_eq!(at(src, "next"), Some((2, 22)));
    }

    #[test]
    fn literals_that_look_like_structure() {
        let src = concat!(
            r##"(a: r#"x")" (y"#, b: "q\"(\\", c: '\'', d: '(', e: 0x1F, f: -1.5e-3, g: 1_000u32, "##,
            r##"r#type: "t", h: b"by(", i: br#"]"#, j: b'\\', k: 1..=5, l: -inf, m: '\u{1F980}', z: 7)"##
        );
        assert_eq!(at(src, "a"), Some((1, 5)));
        assert_eq!(at(src, "b"), Some((1, 22)));
        assert_eq!(at(src, "c"), Some((1, 35)));
        assert_eq!(at(src, "d"), Some((1, 44)));
        assert_eq!(at(src, "e"), Some((1, 52)));
        assert_eq!(at(src, "f"), Some((1, 61)));
        assert_eq!(at(src, "g"), Some((1, 73)));
        assert_eq!(at(src, "type"), Some((1, 91)));
        assert_eq!(at(src, "h"), Some((1, 99)));
        assert_eq!(at(src, "i"), Some((1, 110)));
        assert_eq!(at(src, "j"), Some((1, 122)));
        assert_eq!(at(src, "k"), Some((1, 132)));
        assert_eq!(at(src, "l"), Some((1, 142)));
        assert_eq!(at(src, "m"), Some((1, 151)));
        assert_eq!(at(src, "z"), Some((1, 167)));
    }

    #[test]
    fn attributes_and_line_endings() {
        let src = "#![enable(implicit_some)]\n#![type = \"x\"]\r\n(\r\n  a: [1,\r\n  2],\r\n)\r\n";
        assert_eq!(at(src, ""), Some((3, 1)));
        assert_eq!(at(src, "a[1]"), Some((5, 3)));
        let src = "#![enable(implicit_some)]\n(target: (p99_latency: \"1s\"))";
        assert_eq!(at(src, "target.p99_latency"), Some((2, 24)));
    }

    #[test]
    fn text_that_does_not_lex_gives_none() {
        for src in [
            "",
            "  // only a comment",
            "(a: \"unclosed)",
            "(a: 1) /* open",
            "(a: @)",
            "(a: 'ab')",
            "/x",
        ] {
            assert_eq!(locate(src, &parse_path("a")), None, "{src:?}");
        }
        // Lexes but is malformed: the deepest position found so far.
        assert_eq!(at("(a: [1, 2", "a[1]"), Some((1, 9)));
        assert_eq!(at("(a: [1, 2", "a[2]"), Some((1, 5)));
        assert_eq!(at("(a: 1 b: 2)", "b"), Some((1, 1)));
        assert_eq!(at("(a: (1]))", "a[1]"), Some((1, 5)));
    }

    #[test]
    fn parse_path_forms() {
        use Segment::{Field, Index};
        let f = |s: &str| Field(s.to_owned());
        assert_eq!(parse_path(""), vec![]);
        assert_eq!(parse_path("."), vec![]);
        assert_eq!(
            parse_path("services[1].traffic.peak_rps"),
            vec![f("services"), Index(1), f("traffic"), f("peak_rps")]
        );
        assert_eq!(parse_path("[0][2].a"), vec![Index(0), Index(2), f("a")]);
        assert_eq!(
            parse_path(r#"labels["app.kubernetes.io/na]me"].x"#),
            vec![f("labels"), f("app.kubernetes.io/na]me"), f("x")]
        );
        assert_eq!(parse_path(r#"m['it\'s']"#), vec![f("m"), f("it's")]);
        assert_eq!(parse_path("m[key]"), vec![f("m"), f("key")]);
        assert_eq!(parse_path("a.?.b"), vec![f("a"), f("?"), f("b")]);
        assert_eq!(
            parse_path("a[99999999999999999999999]"),
            vec![f("a"), f("99999999999999999999999")]
        );
        assert_eq!(
            parse_path("a[\"unterminated"),
            vec![f("a"), f("unterminated")]
        );
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        let paths: Vec<Vec<Segment>> = [
            "",
            "regions[1].zones[0]",
            "services[0].traffic.amplitude",
            "services[0].traffic.Diurnal[1]",
            "targets.p99_latency",
            "labels.tier",
            "labels[3]",
            "[0][0][0]",
        ]
        .iter()
        .map(|p| parse_path(p))
        .collect();
        let extra = "r#\"raw\"# b'x' br##\"y\"## 'é' \"\\u{e9}\" 0x_ff 1e-5 ..= r#ident -NaN #![";
        let doc = format!("{SAMPLE}{extra}");
        for (end, _) in doc.char_indices().chain([(doc.len(), ' ')]) {
            for path in &paths {
                let _ = locate(&doc[..end], path);
                let _ = locate(&doc[end..], path);
            }
        }
        let garbage = [
            "((((",
            "))))",
            "[}",
            "{:}",
            "{a}",
            "(a:)",
            "(a:,)",
            ",,,",
            ":",
            "#",
            "#!",
            "#![",
            "#![]",
            "#![enable(x)",
            "r#",
            "r##",
            "r#\"",
            "br",
            "b'",
            "'",
            "'\\",
            "'\\u{",
            "\"\\",
            "-",
            "+i",
            "..",
            "...",
            "..=..=",
            "1..",
            "/*/",
            "/**/",
            "Some(",
            "Some()",
            "Some(1, 2)",
            "(a: Some(Some(Some(",
            "\u{200E}(\u{2029}a\u{85}:\u{0B}1)",
            "r#a.b-c",
            "0x",
            "1.2.3",
            "é",
            "\0",
            "\u{feff}()",
        ];
        for g in garbage {
            for path in &paths {
                let _ = locate(g, path);
            }
            let _ = parse_path(g);
        }
    }

    #[test]
    fn never_panics_on_mutations() {
        // Deterministic xorshift: insert, delete or replace chars of the sample many times.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let alphabet: Vec<char> = "()[]{},:#!=\"'\\/*rbx0.-+_ \né🦀".chars().collect();
        let paths: Vec<Vec<Segment>> = [
            "regions[1].zones[0]",
            "services[0].traffic.amplitude",
            "targets.p99_latency",
            "labels.tier",
        ]
        .iter()
        .map(|p| parse_path(p))
        .collect();
        for _ in 0..3000 {
            let mut chars: Vec<char> = SAMPLE.chars().collect();
            for _ in 0..1 + next(4) {
                let i = next(chars.len() + 1);
                let c = alphabet[next(alphabet.len())];
                match next(3) {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => {}
                }
            }
            let doc: String = chars.into_iter().collect();
            for path in &paths {
                let _ = locate(&doc, path);
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 200_000;
        let src = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let path = vec![Segment::Index(0); depth + 5];
        assert_eq!(
            locate(&src, &path),
            Some(Position {
                line: 1,
                col: depth
            })
        );
        // Past the cap on `Some(…)` unwrapping, the walk stops inside the chain.
        let src = format!("(a: {}1{})", "Some(".repeat(depth), ")".repeat(depth));
        assert_eq!(at(&src, "a.b"), Some((1, 5 + 5 * MAX_UNWRAPS)));
    }
}
