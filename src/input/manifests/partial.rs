//! Partial entries: a `services` or `batch` entry of an experiment with `manifests` writes only
//! what the manifests cannot tell (a service's `traffic` and `capacity_rps`, a Job's
//! `arrivals`) and whatever it overrides; the manifest workload of its name gives the rest.
//!
//! The experiment schema (`models::config::ServiceConfig`, `models::jobs::BatchConfig`) needs
//! `replicas`, `requests`, … in every entry, and the RON parser checks that before anything
//! else runs. So the manifest's values are put in first: each field the manifest workload has
//! and the entry does not write is spliced into the entry's text, right after its opening
//! parenthesis and on the same line, as the `ron` crate writes it; then the text is parsed as
//! any experiment. Only then is a field still missing refused, at the entry, with where it
//! could have come from. The splice never adds a line, so a position in the spliced text maps
//! back to the experiment's own text by its column alone ([`Spliced::original`]); a position
//! inside spliced text is the entry's.
//!
//! A CronJob's `arrivals` are known but for how long each Job runs: an entry for it writes
//! `arrivals: Schedule(duration: …)`, and the CronJob's `cron` and `time_zone` it does not
//! write are spliced into that `Schedule(` the same way (one written there wins). `arrivals`
//! stays one field for `overlay`: the entry's, schedule spliced in, replaces the manifest's
//! whole, so an entry may also give a CronJob `Poisson` arrivals instead.
//!
//! `overlay` still merges field by field afterwards (the spliced values are the manifests'
//! own, so it finds the same fields written): this module only gets the entry past the parser.

use std::path::Path;

use ron::value::RawValue;
use serde::de::{Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use models::jobs::Arrivals;

use super::model::Imported;
use super::write;
use crate::error::{InputError, Position};
use crate::input::{Experiment, ron_text};
use crate::locate::{Segment, locate_exact};

/// What must be read of an experiment before its manifests: its name, first region, manifests
/// and the names of its entries. Parsed leniently (every other field skipped), so an entry
/// that lacks fields the manifests will give still parses here.
#[derive(Deserialize)]
#[serde(rename = "Experiment")]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub regions: Vec<Named>,
    pub manifests: Vec<String>,
    #[serde(default)]
    services: Vec<Named>,
    #[serde(default)]
    batch: Vec<Named>,
}

/// An entry's `name`, whatever else it has and however its struct is named
/// (`ServiceConfig(name: …)` as well as `(name: …)`).
pub struct Named {
    pub name: String,
}

impl<'de> Deserialize<'de> for Named {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl<'de> Visitor<'de> for Name {
            type Value = Named;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a struct with a `name`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Named, A::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "name" {
                        name = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let name = name.ok_or_else(|| A::Error::missing_field("name"))?;
                Ok(Named { name })
            }
        }
        d.deserialize_any(Name)
    }
}

/// The header of `src` when it writes `manifests`, `None` when it does not. When even the
/// lenient header does not parse, the full parse's error, unless that is a field missing from
/// an entry (which the manifests might have given): then the header's, which is the real one
/// (a syntax error further on, say).
pub fn header(file: &Path, src: &str) -> Result<Option<Header>, InputError> {
    if locate_exact(src, &[Segment::Field("manifests".into())]).is_none() {
        return Ok(None);
    }
    let header_error = match ron_text::parse_ron(file, src) {
        Ok(header) => return Ok(Some(header)),
        Err(e) => e,
    };
    Err(match ron_text::parse_ron_missing::<Experiment>(file, src) {
        Err((e, None)) => e,
        Err((e, Some(_))) if !matches!(entry_of(&e.field), Some(("services" | "batch", _))) => e,
        _ => header_error,
    })
}

/// `src` parsed as an experiment, each entry that names a manifest workload completed with
/// the fields it does not write (of `imported`, the manifests as `clustersim import` writes
/// them; `x` the same with each object's source). A field missing after that is refused at the
/// entry, saying whether a manifest could have given it.
pub fn parse(
    file: &Path,
    src: &str,
    header: &Header,
    imported: &Experiment,
    x: &Imported,
) -> Result<Experiment, InputError> {
    let mut spliced = Spliced::default();
    let services = Entries {
        list: "services",
        names: &header.services,
        theirs: &imported.services,
        their_name: |s| &s.name,
        unknowable: &write::SERVICE_TODO_FIELDS,
        complete: &|_| false,
    };
    let batch = Entries {
        list: "batch",
        names: &header.batch,
        theirs: &imported.batch,
        their_name: |b| &b.name,
        unknowable: &write::JOB_TODO_FIELDS,
        complete: &|k| x.jobs[k].suspended,
    };
    let service_sources = services.splice(src, &mut spliced, |k| x.services[k].source.clone());
    let job_sources = batch.splice(src, &mut spliced, |k| x.jobs[k].source.clone());
    for (i, k) in job_sources.iter().enumerate() {
        if let Some((k, _)) = k {
            splice_schedule(src, &mut spliced, i, &imported.batch[*k].arrivals);
        }
    }
    let text = spliced.apply(src);
    ron_text::parse_ron_missing(file, &text).map_err(|(mut e, missing)| {
        e.position = e.position.map(|p| spliced.original(p));
        let message = match (missing, entry_of(&e.field)) {
            (Some(field), Some(("services", i))) => {
                let names: Vec<&str> = x.services.iter().map(|s| s.name.as_str()).collect();
                Some(services.missing(i, field, service_sources.get(i), &names))
            }
            (Some("arrivals"), Some(("batch", i))) if cronjob(&job_sources, i, x).is_some() => {
                cronjob(&job_sources, i, x).map(|source| {
                    format!(
                        "missing field `arrivals`: the manifests' {source} gives its schedule \
                         but not how long each Job runs: expected `arrivals: \
                         Schedule(duration: …)` here, such as Schedule(duration: \
                         Constant(run: \"10m\"))"
                    )
                })
            }
            (Some(field), Some(("batch", i))) => {
                let names: Vec<&str> = x.jobs.iter().map(|j| j.name.as_str()).collect();
                Some(batch.missing(i, field, job_sources.get(i), &names))
            }
            _ => None,
        };
        if let Some(message) = message {
            e.message = message;
        }
        e
    })
}

/// The source of the running CronJob that completes the experiment's `batch[i]`, if any.
fn cronjob<'a>(taken: &'a [Option<(usize, String)>], i: usize, x: &Imported) -> Option<&'a str> {
    let (k, source) = taken.get(i)?.as_ref()?;
    let job = &x.jobs[*k];
    (job.schedule.is_some() && !job.suspended).then_some(source.as_str())
}

/// Into the experiment's `batch[i]` whose `arrivals` is written `Schedule(…)`, the manifest
/// CronJob's `cron` and `time_zone` it does not write: the entry then need only give the
/// `duration`, which no manifest tells.
fn splice_schedule(src: &str, spliced: &mut Spliced, i: usize, theirs: &Arrivals) {
    let Arrivals::Schedule {
        cron, time_zone, ..
    } = theirs
    else {
        return;
    };
    let path = [
        Segment::Field("batch".into()),
        Segment::Index(i),
        Segment::Field("arrivals".into()),
        Segment::Field("Schedule".into()),
    ];
    let Some(at) = locate_exact(src, &path) else {
        return;
    };
    let mut text = String::new();
    for (key, value) in [
        ("cron", ron::to_string(cron)),
        ("time_zone", ron::to_string(time_zone)),
    ] {
        let mut field = path.to_vec();
        field.push(Segment::Field(key.to_owned()));
        if let (Ok(value), None) = (value, locate_exact(src, &field)) {
            text.push_str(&format!("{key}:{value},"));
        }
    }
    spliced.add(src, at, text);
}

/// `services[3]` → ("services", 3): an error about the entry itself (a missing field).
fn entry_of(field: &str) -> Option<(&str, usize)> {
    let (list, rest) = field.split_once('[')?;
    let i = rest.strip_suffix(']')?.parse().ok()?;
    Some((list, i))
}

/// One of the experiment's named lists, beside the manifests' entries of it.
struct Entries<'a, T> {
    list: &'static str,
    /// The experiment's entries' names, in order.
    names: &'a [Named],
    /// The manifests' entries, as imported.
    theirs: &'a [T],
    their_name: fn(&T) -> &String,
    /// Fields the manifests never give (the import writes a `TODO` placeholder there).
    unknowable: &'a [&'a str],
    /// Whether the manifests' entry `k` is complete, its unknowable fields known after all (a
    /// suspended CronJob's arrivals: none).
    complete: &'a dyn Fn(usize) -> bool,
}

impl<T: Serialize> Entries<'_, T> {
    /// Splices into each entry of the experiment the fields of the manifests' entry of its
    /// name that it does not write. Each manifests' entry serves one experiment entry, the
    /// first of its name (as `overlay` merges them). Per experiment entry: the manifest entry
    /// it took (its index and source), if any.
    fn splice(
        &self,
        src: &str,
        spliced: &mut Spliced,
        source: impl Fn(usize) -> String,
    ) -> Vec<Option<(usize, String)>> {
        let mut taken = vec![false; self.theirs.len()];
        let mut sources = Vec::with_capacity(self.names.len());
        for (i, entry) in self.names.iter().enumerate() {
            let Some(k) = (0..self.theirs.len())
                .find(|&k| !taken[k] && (self.their_name)(&self.theirs[k]) == &entry.name)
            else {
                sources.push(None);
                continue;
            };
            taken[k] = true;
            sources.push(Some((k, source(k))));
            let path = [Segment::Field(self.list.into()), Segment::Index(i)];
            let Some(at) = locate_exact(src, &path) else {
                continue;
            };
            let mut text = String::new();
            for (key, value) in fields(&self.theirs[k]) {
                let mut field = path.to_vec();
                field.push(Segment::Field(key.clone()));
                let unknowable = self.unknowable.contains(&key.as_str()) && !(self.complete)(k);
                if !unknowable && locate_exact(src, &field).is_none() {
                    text.push_str(&format!("{key}:{value},"));
                }
            }
            spliced.add(src, at, text);
        }
        sources
    }

    /// The message for `field`, missing from entry `i` once the manifests are in.
    fn missing(
        &self,
        i: usize,
        field: &str,
        source: Option<&Option<(usize, String)>>,
        names: &[&str],
    ) -> String {
        let name = self.names.get(i).map_or("", |n| n.name.as_str());
        let unknowable = self.unknowable.contains(&field);
        match source.and_then(Option::as_ref).map(|(_, s)| s.as_str()) {
            Some(source) if unknowable => format!(
                "missing field `{field}`: no manifest can tell it (the manifests' {source} \
                 gives the rest of this entry): expected it written here"
            ),
            Some(source) => format!(
                "missing field `{field}`: the manifests' {source} does not give it: expected \
                 it written here"
            ),
            None if unknowable => format!(
                "missing field `{field}`: expected it written here (no manifest can tell it)"
            ),
            None if names.contains(&name) => {
                let first = self.names.iter().position(|n| n.name == name).unwrap_or(0);
                format!(
                    "missing field `{field}`: the manifests' `{name}` completes only the first \
                     entry of its name ({}[{first}]), so this one must write it",
                    self.list
                )
            }
            None => {
                let have = if names.is_empty() {
                    "none".to_owned()
                } else {
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "missing field `{field}`: no manifest names a {what} `{name}` (the \
                     manifests' {what}s: {have}), so this entry must write it; a manifest \
                     {what} of this name would give it",
                    what = if self.list == "services" {
                        "workload"
                    } else {
                        "Job"
                    }
                )
            }
        }
    }
}

/// The top-level fields of `value` as RON text each, in its serde order: written by the `ron`
/// crate and read back by it (as raw values), so no RON is composed or split here.
fn fields<T: Serialize>(value: &T) -> Vec<(String, String)> {
    let Ok(raw) = RawValue::from_rust(value) else {
        return Vec::new();
    };
    raw.into_rust::<Fields>().map(|f| f.0).unwrap_or_default()
}

/// A struct's fields as (name, raw RON text).
struct Fields(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Each;
        impl<'de> Visitor<'de> for Each {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a struct")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut out = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push((key, value.get_ron().to_owned()));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_struct("", &[], Each)
    }
}

/// Texts spliced into an experiment after the opening parenthesis of some of its entries.
#[derive(Default)]
struct Spliced {
    /// In the order of the text.
    splices: Vec<Splice>,
}

struct Splice {
    /// Byte offset in the experiment's text where `text` goes.
    at: usize,
    /// Line and column (in chars) of that place; the text's first char takes that column.
    line: usize,
    col: usize,
    /// Length of `text` in chars.
    chars: usize,
    text: String,
    /// The entry's own position, which a position inside `text` maps to.
    entry: Position,
}

impl Spliced {
    /// `text` after the opening parenthesis of the entry starting at `entry` (`(` or the name
    /// of `Name(`); nothing when the entry is not a struct (the parser then says what it is).
    fn add(&mut self, src: &str, entry: Position, text: String) {
        if text.is_empty() || text.contains('\n') {
            return;
        }
        let Some(line_start) = line_start(src, entry.line) else {
            return;
        };
        let line = &src[line_start..];
        let Some((start, _)) = line.char_indices().nth(entry.col.saturating_sub(1)) else {
            return;
        };
        let rest = &line[start..];
        let name = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after_name = rest[name..].trim_start_matches([' ', '\t']);
        if !after_name.starts_with('(') {
            return;
        }
        let at = line_start + start + (rest.len() - after_name.len()) + 1;
        self.splices.push(Splice {
            at,
            line: entry.line,
            col: src[line_start..at].chars().count() + 1,
            chars: text.chars().count(),
            text,
            entry,
        });
        self.splices.sort_by_key(|s| s.at);
    }

    /// The experiment's text with every splice in.
    fn apply(&self, src: &str) -> String {
        let mut out = String::with_capacity(src.len());
        let mut from = 0;
        for s in &self.splices {
            out.push_str(&src[from..s.at]);
            out.push_str(&s.text);
            from = s.at;
        }
        out.push_str(&src[from..]);
        out
    }

    /// The position in the experiment's text of `p`, a position in the spliced text.
    fn original(&self, p: Position) -> Position {
        let mut shift = 0;
        for s in self.splices.iter().filter(|s| s.line == p.line) {
            let start = s.col + shift;
            if p.col < start {
                break;
            }
            if p.col < start + s.chars {
                return s.entry;
            }
            shift += s.chars;
        }
        Position {
            line: p.line,
            col: p.col - shift,
        }
    }
}

/// Byte offset where line `line` (1-based) of `src` starts.
fn line_start(src: &str, line: usize) -> Option<usize> {
    match line {
        0 => None,
        1 => Some(0),
        _ => src.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: usize, col: usize) -> Position {
        Position { line, col }
    }

    #[test]
    fn a_splice_goes_after_the_parenthesis_and_positions_map_back() {
        let src = "[\n  (a: 1), Name (b: 2),\n]";
        let mut s = Spliced::default();
        s.add(src, p(2, 11), "y:2,".into());
        s.add(src, p(2, 3), "x:1,".into());
        let text = s.apply(src);
        assert_eq!(text, "[\n  (x:1,a: 1), Name (y:2,b: 2),\n]");
        // Before the first splice, inside it, between them, inside the second, after both.
        assert_eq!(s.original(p(2, 3)), p(2, 3));
        assert_eq!(s.original(p(2, 5)), p(2, 3));
        assert_eq!(s.original(p(2, 8)), p(2, 4));
        assert_eq!(s.original(p(2, 22)), p(2, 11));
        assert_eq!(s.original(p(2, 25)), p(2, 17));
        assert_eq!(s.original(p(3, 1)), p(3, 1));
    }

    #[test]
    fn fields_are_read_back_as_the_ron_crate_writes_them() {
        #[derive(Serialize)]
        struct S {
            a: u32,
            b: Option<String>,
            c: Vec<(u8, u8)>,
        }
        let f = fields(&S {
            a: 3,
            b: Some("x, y".into()),
            c: vec![(1, 2)],
        });
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(f, [("a", "3"), ("b", "Some(\"x, y\")"), ("c", "[(1,2)]")]);
    }
}
