//! A sweep file, expanded: every run in a fixed order, with its parameter values, seed, stable
//! id and the experiment text it runs.
//!
//! Order: the grid is the product of the axes (a `Zip` is one dimension), the first axis
//! varying slowest, like nested loops written in the file's order; the seeds vary fastest.
//! The run id is `<index>-<8 hex digits>`, the hex digits the top of the FNV-1a hash of
//! `field=value` lines and the seed, so an id names both the place and the parameters: a run
//! folder left by another sweep file is never mistaken for this one's.

use std::path::{Path, PathBuf};

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::input::{self, Loaded};
use crate::locate::RonLocator;

use super::patch::{self, Target};
use super::spec::{Axis, Scalar, Sweep};

/// Most runs one sweep file may expand to.
pub const MAX_RUNS: usize = 100_000;

/// Most bytes of parameter values an expanded sweep may hold: each run keeps its values, so a
/// long text value times many runs would otherwise grow past any memory from a small file (a
/// 20 kB value with 50 000 replicates took 2 GB before this limit; a fuzzer found it).
pub const MAX_PARAMETER_BYTES: usize = 64 << 20;

/// A parameter value as the table holds it: one kind per parameter (see `column_kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Param {
    U64(u64),
    F64(f64),
    Text(String),
}

/// One run of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub index: u64,
    pub id: String,
    pub seed: u64,
    /// One per parameter, in parameter order.
    pub values: Vec<Param>,
}

/// The expanded sweep.
pub struct Plan {
    /// The sweep file's stem.
    pub name: String,
    /// The sweep file's opening comment (its question and answer), for `sweep.html`.
    pub description: Option<String>,
    pub base_path: PathBuf,
    pub base_src: String,
    /// The axes' fields as written: the parameter columns.
    pub parameters: Vec<String>,
    targets: Vec<Target>,
    pub runs: Vec<Run>,
    /// Per configuration, per parameter: the RON text written into the base (the runs of a
    /// configuration differ only in their seed).
    spelled: Vec<Vec<String>>,
    /// Runs per configuration (the seeds), consecutive in run order.
    seeds_per_configuration: usize,
}

impl Plan {
    /// The first run of each configuration. Checking these checks every run: the runs of one
    /// configuration differ only in the seed, which seeds random streams and is never refused.
    pub fn configuration_firsts(&self) -> impl Iterator<Item = usize> + use<'_> {
        (0..self.runs.len()).step_by(self.seeds_per_configuration)
    }

    /// The experiment text of run `i`.
    pub fn text(&self, i: usize) -> String {
        let edits: Vec<_> = self
            .targets
            .iter()
            .zip(self.spelling(i))
            .map(|(t, s)| (t.span.clone(), s.as_str()))
            .collect();
        patch::apply(&self.base_src, &edits)
    }

    /// Run `i` loaded and checked by the experiment loader, as `clustersim run` would.
    pub fn load(&self, i: usize) -> Result<Loaded, InputError> {
        let text = self.text(i);
        let run = &self.runs[i];
        let located = |e: InputError| InputError {
            message: format!("{} (in run {}: {})", e.message, run.id, self.describe(i)),
            ..e
        };
        let mut x = input::parse(&self.base_path, &text).map_err(located)?;
        x.seed = run.seed;
        let plan = input::resolve(&x, input::base_dir(&self.base_path))
            .map_err(|e| located(e.located(&self.base_path, &RonLocator::new(&text))))?;
        Ok(Loaded {
            experiment: x,
            plan,
        })
    }

    /// Run `i`'s parameter values as written into the base.
    fn spelling(&self, i: usize) -> &[String] {
        &self.spelled[i / self.seeds_per_configuration]
    }

    /// `field = value, …, seed = N` of run `i`.
    pub fn describe(&self, i: usize) -> String {
        let mut parts: Vec<String> = self
            .parameters
            .iter()
            .zip(self.spelling(i))
            .map(|(p, v)| format!("{p} = {v}"))
            .collect();
        parts.push(format!("seed = {}", self.runs[i].seed));
        parts.join(", ")
    }
}

/// One axis, flattened out of its `Zip`: where it sits in the sweep file, and its values.
struct Flat {
    at: String,
    /// The values are written in the file (`Values`), not generated.
    listed: bool,
    field: String,
    values: Vec<Scalar>,
}

/// Expands `sweep` (read from `file`, text `src`) against its base experiment.
pub fn expand(file: &Path, src: &str, sweep: &Sweep) -> Result<Plan, InputError> {
    // A `Zip`'s members are named `axes[i].Zip[j]`, as serde names them; the RON locator
    // finds them inside the variant's parentheses.
    let locator = RonLocator::new(src);
    let err = |at: &str, message: String| InputError::at_field(file, &locator, at, message);
    let base_path = file.parent().unwrap_or(Path::new("")).join(&sweep.base);
    let base_src = input::read_text(&base_path).map_err(|e| {
        err(
            "base",
            format!(
                "cannot read the base experiment {}: {}",
                base_path.display(),
                e.message
            ),
        )
    })?;
    // The base must load on its own: its errors are then reported against it, unpatched.
    let base = input::load(&base_path, None)?;

    let too_many_runs = || {
        err(
            "axes",
            format!("the sweep expands to more than {MAX_RUNS} runs: expected fewer values"),
        )
    };
    let mut groups: Vec<Vec<Flat>> = Vec::new();
    for (i, axis) in sweep.axes.iter().enumerate() {
        let at = format!("axes[{i}]");
        let group = match axis {
            Axis::Zip(members) => {
                if members.is_empty() {
                    return Err(err(&at, "expected at least one axis in the Zip".into()));
                }
                let mut group = Vec::new();
                for (j, m) in members.iter().enumerate() {
                    group.push(
                        flatten(m, &format!("{at}.Zip[{j}]"), sweep.sample_seed).map_err(
                            |(field, message)| err(&format!("{at}.Zip[{j}].{field}"), message),
                        )?,
                    );
                }
                let n = group[0].values.len();
                if let Some(j) = group.iter().position(|f| f.values.len() != n) {
                    return Err(err(
                        &format!("{at}.Zip[{j}]"),
                        format!(
                            "{} values where the Zip's first axis has {n}: zipped axes advance \
                             together, so they need as many values",
                            group[j].values.len()
                        ),
                    ));
                }
                group
            }
            other => vec![
                flatten(other, &at, sweep.sample_seed)
                    .map_err(|(field, message)| err(&format!("{at}.{field}"), message))?,
            ],
        };
        groups.push(group);
        // Checked as each axis is made, not once all are: every axis may hold up to
        // MAX_RUNS values, and 600 such axes in a 48 kB file took 1.7 GB before the check.
        if runs_in(&groups, 1).is_none() {
            return Err(too_many_runs());
        }
    }
    if groups.is_empty() {
        return Err(err("axes", "expected at least one axis".into()));
    }

    let seeds: Vec<u64> = match (&sweep.seeds, sweep.replicates) {
        (Some(_), Some(_)) => {
            return Err(err(
                "replicates",
                "set `seeds` or `replicates`, not both".into(),
            ));
        }
        (Some(s), None) if s.is_empty() => {
            return Err(err("seeds", "expected at least one seed".into()));
        }
        (Some(s), None) => s.clone(),
        (None, Some(0)) => return Err(err("replicates", "expected at least 1".into())),
        // Refused before the seeds are made: 2 000 000 000 of them would be 16 GB.
        (None, Some(n)) if n as usize > MAX_RUNS => {
            return Err(err(
                "replicates",
                format!("expected at most {MAX_RUNS} replicates (runs per configuration)"),
            ));
        }
        (None, Some(n)) => (0..u64::from(n))
            .map(|k| base.experiment.seed.wrapping_add(k))
            .collect(),
        (None, None) => vec![base.experiment.seed],
    };

    // Where each parameter goes in the base text, and how it is spelled there.
    let flats: Vec<&Flat> = groups.iter().flatten().collect();
    let mut targets: Vec<Target> = Vec::new();
    for f in &flats {
        let at = format!("{}.field", f.at);
        let target = patch::find(&base_src, &f.field).map_err(|m| err(&at, m))?;
        // The same value, however the two fields are written (a fuzzer found one with leading
        // whitespace, whose path text differs): patching it twice would splice overlapping
        // spans.
        let overlaps =
            |t: &Target| t.span.start < target.span.end && target.span.start < t.span.end;
        if let Some(k) = targets.iter().position(overlaps) {
            return Err(err(
                &at,
                format!(
                    "`{}` is already set by the axis `{}`: expected each field in one axis",
                    target.path, flats[k].field
                ),
            ));
        }
        targets.push(target);
    }
    // A listed value that does not suit the field is located at itself; a generated one
    // (`Range`, `Uniform`) at its axis's field.
    let spelled_values: Vec<Vec<String>> = flats
        .iter()
        .zip(&targets)
        .map(|(f, t)| {
            f.values
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    patch::spell(t.spelling, v).map_err(|m| {
                        let at = if f.listed {
                            format!("{}.values[{k}]", f.at)
                        } else {
                            format!("{}.field", f.at)
                        };
                        err(&at, format!("`{}`: {m}", f.field))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;

    let sizes: Vec<usize> = groups.iter().map(|g| g[0].values.len()).collect();
    let total = runs_in(&groups, seeds.len()).ok_or_else(too_many_runs)?;

    // Each run holds its values: bound what they add up to before making them.
    let bytes_per_run: usize = spelled_values
        .iter()
        .map(|values| values.iter().map(String::len).max().unwrap_or(0))
        .sum();
    let parameter_bytes = bytes_per_run.saturating_mul(total);
    if parameter_bytes > MAX_PARAMETER_BYTES {
        return Err(err(
            "axes",
            format!(
                "the sweep's runs would hold about {} MiB of parameter values ({total} runs × up \
                 to {bytes_per_run} bytes each), more than the {} MiB limit: expected shorter \
                 values or fewer runs",
                parameter_bytes >> 20,
                MAX_PARAMETER_BYTES >> 20
            ),
        ));
    }

    // Per parameter: its offset in `flats` is its column; its group gives its value index.
    let group_of: Vec<usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, members)| std::iter::repeat_n(g, members.len()))
        .collect();
    let kinds: Vec<Kind> = flats.iter().map(|f| column_kind(&f.values)).collect();
    let mut runs = Vec::with_capacity(total);
    let mut spelled = Vec::with_capacity(total / seeds.len());
    let mut digits = vec![0usize; groups.len()];
    for point in 0..total / seeds.len() {
        // Odometer: the last group varies fastest.
        let mut rest = point;
        for g in (0..groups.len()).rev() {
            digits[g] = rest % sizes[g];
            rest /= sizes[g];
        }
        let texts: Vec<String> = (0..flats.len())
            .map(|p| spelled_values[p][digits[group_of[p]]].clone())
            .collect();
        let values: Vec<Param> = (0..flats.len())
            .map(|p| param(kinds[p], &flats[p].values[digits[group_of[p]]]))
            .collect();
        for &seed in &seeds {
            let index = runs.len() as u64;
            let mut canonical = String::new();
            for (f, t) in flats.iter().zip(&texts) {
                canonical.push_str(&format!("{}={t}\n", f.field));
            }
            canonical.push_str(&format!("seed={seed}"));
            let hash = sim::rng::fnv1a64(canonical.as_bytes());
            runs.push(Run {
                index,
                id: format!("{index:05}-{:08x}", hash >> 32),
                seed,
                values: values.clone(),
            });
        }
        spelled.push(texts);
    }

    let name = file
        .file_stem()
        .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    Ok(Plan {
        description: input::header_comment(src),
        name,
        base_path,
        base_src,
        parameters: flats.iter().map(|f| f.field.clone()).collect(),
        targets,
        runs,
        spelled,
        seeds_per_configuration: seeds.len(),
    })
}

/// The runs of the grid of `groups` times `seeds` seeds, if at most [`MAX_RUNS`].
fn runs_in(groups: &[Vec<Flat>], seeds: usize) -> Option<usize> {
    groups
        .iter()
        .map(|g| g[0].values.len())
        .chain([seeds])
        .try_fold(1usize, |acc, n| acc.checked_mul(n))
        .filter(|&n| n <= MAX_RUNS)
}

/// The values of one (non-`Zip`) axis, or the field of the axis that is wrong and why.
fn flatten(axis: &Axis, at: &str, sample_seed: u64) -> Result<Flat, (&'static str, String)> {
    let (field, values) = match axis {
        Axis::Values { field, values } => {
            if values.is_empty() {
                return Err(("values", "expected at least one value".into()));
            }
            (field, values.clone())
        }
        Axis::Range {
            field,
            start,
            stop,
            step,
        } => (field, range(start, stop, step)?),
        Axis::Uniform {
            field,
            low,
            high,
            samples,
        } => (field, uniform(field, low, high, *samples, sample_seed)?),
        // The caller opens the outer `Zip`; one inside it is refused here.
        Axis::Zip(_) => {
            return Err((
                "field",
                "a Zip inside a Zip: list its axes in the outer one".into(),
            ));
        }
    };
    Ok(Flat {
        at: at.to_owned(),
        listed: matches!(axis, Axis::Values { .. }),
        field: field.clone(),
        values,
    })
}

fn number(name: &'static str, v: &Scalar) -> Result<f64, (&'static str, String)> {
    match v {
        Scalar::Int(i) => Ok(*i as f64),
        Scalar::Float(f) if f.is_finite() => Ok(*f),
        _ => Err((name, "expected a finite number".into())),
    }
}

fn range(
    start: &Scalar,
    stop: &Scalar,
    step: &Scalar,
) -> Result<Vec<Scalar>, (&'static str, String)> {
    let (a, b, s) = (
        number("start", start)?,
        number("stop", stop)?,
        number("step", step)?,
    );
    if s <= 0.0 {
        return Err(("step", "expected a step > 0".into()));
    }
    if b < a {
        return Err(("stop", "expected stop ≥ start".into()));
    }
    let too_many = || {
        Err((
            "step",
            format!("more than {MAX_RUNS} values: expected a larger step"),
        ))
    };
    if let (Scalar::Int(a), Scalar::Int(b), Scalar::Int(s)) = (start, stop, step) {
        // Whole numbers stay exact: the steps past the last one (even near 2^63, where
        // `start + k × step` would overflow on the way) are never computed.
        if (i128::from(*b) - i128::from(*a)) / i128::from(*s) >= MAX_RUNS as i128 {
            return too_many();
        }
        return Ok(
            std::iter::successors(Some(*a), |v| v.checked_add(*s).filter(|v| v <= b))
                .map(Scalar::Int)
                .collect(),
        );
    }
    // The tolerance lets 0.1-steps land on a stop such as 0.3 despite binary rounding.
    let n = ((b - a) / s + 1e-9).floor();
    if n >= MAX_RUNS as f64 {
        return too_many();
    }
    Ok((0..=n as i64)
        .map(|k| Scalar::Float(a + k as f64 * s))
        .collect())
}

fn uniform(
    field: &str,
    low: &Scalar,
    high: &Scalar,
    samples: u32,
    sample_seed: u64,
) -> Result<Vec<Scalar>, (&'static str, String)> {
    if samples == 0 || samples as usize > MAX_RUNS {
        return Err(("samples", format!("expected 1 to {MAX_RUNS} samples")));
    }
    let (lo, hi) = (number("low", low)?, number("high", high)?);
    if hi <= lo {
        return Err(("high", "expected high > low".into()));
    }
    // 1e308 − (−1e308) overflows to infinity: every draw would be ±inf or NaN.
    if !(hi - lo).is_finite() {
        return Err((
            "high",
            "expected high − low to be a finite number (the span overflows)".into(),
        ));
    }
    let mut rng = sim::rng::stream(sample_seed, &format!("sweep/{field}"));
    Ok((0..samples)
        .map(|_| match (low, high) {
            (Scalar::Int(l), Scalar::Int(h)) => Scalar::Int(rng.random_range(*l..=*h)),
            _ => Scalar::Float(lo + (hi - lo) * rng.random::<f64>()),
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    U64,
    F64,
    Text,
}

/// Whole non-negative numbers are `U64`, numbers `F64`, anything else text; decided from all
/// the axis's values, so every shard and every subset of runs agrees.
fn column_kind(values: &[Scalar]) -> Kind {
    if values
        .iter()
        .all(|v| matches!(v, Scalar::Int(i) if *i >= 0))
    {
        Kind::U64
    } else if values
        .iter()
        .all(|v| matches!(v, Scalar::Int(_) | Scalar::Float(_)))
    {
        Kind::F64
    } else {
        Kind::Text
    }
}

fn param(kind: Kind, v: &Scalar) -> Param {
    match (kind, v) {
        (Kind::U64, Scalar::Int(i)) => Param::U64(*i as u64),
        (Kind::F64, Scalar::Int(i)) => Param::F64(*i as f64),
        (Kind::F64, Scalar::Float(f)) => Param::F64(*f),
        (_, Scalar::Text(s)) => Param::Text(s.clone()),
        (_, Scalar::Bool(b)) => Param::Text(b.to_string()),
        (_, Scalar::Int(i)) => Param::Text(i.to_string()),
        (_, Scalar::Float(f)) => Param::Text(format!("{f:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_a_stop_they_land_on() {
        let int = |v: i64| Scalar::Int(v);
        assert_eq!(
            range(&int(2), &int(8), &int(2)).unwrap(),
            [int(2), int(4), int(6), int(8)]
        );
        assert_eq!(range(&int(2), &int(7), &int(2)).unwrap().len(), 3);
        let floats = range(
            &Scalar::Float(0.1),
            &Scalar::Float(0.3),
            &Scalar::Float(0.1),
        )
        .unwrap();
        assert_eq!(floats.len(), 3);
        assert!(range(&int(1), &int(2), &int(0)).is_err());
        assert!(range(&int(3), &int(2), &int(1)).is_err());
    }

    #[test]
    fn whole_number_ranges_near_the_limits_do_not_overflow() {
        // Found by tests/fuzz_sweep.rs: the third value's `2 × step` is 2^63, one past
        // i64::MAX, although the value itself, 4822138847576327424, fits.
        let int = |v: i64| Scalar::Int(v);
        let (a, s) = (-4_401_233_189_278_448_384, 4_611_686_018_427_387_904);
        assert_eq!(
            range(&int(a), &int(6_008_830_816_673_144_320), &int(s)).unwrap(),
            [
                int(a),
                int(210_452_829_148_939_520),
                int(4_822_138_847_576_327_424)
            ]
        );
        assert_eq!(
            range(&int(i64::MAX - 2), &int(i64::MAX), &int(2)).unwrap(),
            [int(i64::MAX - 2), int(i64::MAX)]
        );
        assert_eq!(
            range(&int(i64::MIN), &int(i64::MAX), &int(i64::MAX)).unwrap(),
            [int(i64::MIN), int(-1), int(i64::MAX - 1)]
        );
        assert!(range(&int(i64::MIN), &int(i64::MAX), &int(1)).is_err());
    }

    #[test]
    fn uniform_samples_are_seeded_by_the_field_and_within_bounds() {
        let draw = |field, seed| {
            uniform(field, &Scalar::Float(0.5), &Scalar::Float(0.8), 5, seed).unwrap()
        };
        let a = draw("services[0].traffic.amplitude", 0);
        assert_eq!(a, draw("services[0].traffic.amplitude", 0));
        assert_ne!(a, draw("services[0].traffic.amplitude", 1));
        assert_ne!(a, draw("services[1].traffic.amplitude", 0));
        for v in &a {
            let Scalar::Float(x) = v else { panic!("{v:?}") };
            assert!((0.5..0.8).contains(x), "{x}");
        }
        let ints = uniform("n", &Scalar::Int(1), &Scalar::Int(3), 50, 0).unwrap();
        assert!(ints.iter().all(|v| matches!(v, Scalar::Int(1..=3))));
    }

    #[test]
    fn a_uniform_span_past_the_largest_float_is_refused_at_high() {
        let err = uniform("x", &Scalar::Float(-1e308), &Scalar::Float(1e308), 2, 0).unwrap_err();
        assert_eq!(err.0, "high");
        // The widest whole-number span is finite as a float and draws whole numbers.
        let wide = uniform("n", &Scalar::Int(i64::MIN), &Scalar::Int(i64::MAX), 3, 0).unwrap();
        assert!(wide.iter().all(|v| matches!(v, Scalar::Int(_))));
    }

    #[test]
    fn column_kinds_follow_all_values() {
        assert_eq!(column_kind(&[Scalar::Int(1), Scalar::Int(2)]), Kind::U64);
        assert_eq!(column_kind(&[Scalar::Int(-1), Scalar::Int(2)]), Kind::F64);
        assert_eq!(
            column_kind(&[Scalar::Int(1), Scalar::Float(2.5)]),
            Kind::F64
        );
        assert_eq!(
            column_kind(&[Scalar::Text("Spot".into()), Scalar::Int(1)]),
            Kind::Text
        );
    }
}
