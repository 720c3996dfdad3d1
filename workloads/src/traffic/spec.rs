//! The traffic input schema: [`ShapeSpec`], a service's `traffic` as written (serde), checked
//! by [`ShapeSpec::validate`] and made runnable by [`ShapeSpec::resolve`], which reads each
//! `Trace` file into a [`Replay`]. The runnable [`Shape`] has no `Trace`: a trace that was never
//! read cannot reach a run.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sim::time::SimDuration;

use super::{Interpolation, Replay, ReplayOptions, Shape, TimeUnit, TimeZone, ValueKind};

/// Shapes in one service's `traffic`, at most, counting every nested one.
pub const MAX_SHAPE_NODES: usize = 1_000;

/// A service's `traffic` as written: the input schema of a shape. See the module documentation
/// of [`crate::traffic`] for the shapes; [`ShapeSpec::resolve`] makes it a runnable [`Shape`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename = "Shape")]
pub enum ShapeSpec {
    /// The same rate for the whole run.
    Constant { rps: f64 },
    /// A daily cycle: `mean_rps × (1 + amplitude × cos(2π (h − peak_hour) / 24))`, with `h` the
    /// local hour of day (fractional) in `time_zone` (default UTC), held constant over each
    /// `step` (default 1 minute). `amplitude` 0 is flat, 1 drops to zero at the trough; the
    /// mean over a day is `mean_rps`.
    Diurnal {
        mean_rps: f64,
        amplitude: f64,
        peak_hour: f64,
        #[serde(default)]
        time_zone: Option<TimeZone>,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
    /// A factor per local day of the week: `multipliers` are Monday first (ISO 8601 order), 7 of
    /// them; the factor changes at local midnight in `time_zone` (default UTC).
    Weekly {
        multipliers: Vec<f64>,
        #[serde(default)]
        time_zone: Option<TimeZone>,
    },
    /// `from` until `start`, linear to `to` over `duration`, then `to`.
    Ramp {
        from: f64,
        to: f64,
        start: SimDuration,
        duration: SimDuration,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
    /// A factor: 1, then a linear rise to `peak_multiplier` over `rise` from `onset`, then an
    /// exponential decay back to 1 with time constant `decay` ([`curves::flash_crowd`]).
    FlashCrowd {
        onset: SimDuration,
        rise: SimDuration,
        peak_multiplier: f64,
        decay: SimDuration,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
    /// The day of a US-centred storefront on Black Friday, repeated every local day: knots at
    /// the night trough, the midday peak, an afternoon dip and the evening wave, joined by half
    /// cosines ([`curves::black_friday`]); the rate is `peak_rps ×` the level.
    ///
    /// Defaults and where they come from (`../shared/data/facts/bfcm_peak_traffic_facts.md`):
    /// - `time_zone` "America/New_York" and `peak_hour` 12: Shopify's Black-Friday peak minute
    ///   was 12:01 p.m. EST in 2023 and in 2024 (FashionUnited 2023-11-27; Shopify's
    ///   announcement as reported 2024-12-03).
    /// - The levels give a peak/mean of 1.50 (the day's mean is 0.669 × `peak_rps`, a sum
    ///   computed in the tests): within the 1.4–1.7 derived from Shopify's 2024 edge figures
    ///   (peak 284 M requests/min; 1.19 trillion requests over the weekend).
    /// - Not sourced, modelling choices: the trough at 04:00 at 0.25 of the peak (nights are
    ///   quiet; no published per-minute curve exists), the afternoon dip at 16:30 (0.7) and the
    ///   evening wave at 20:30 (0.85), the "after dinner" wave that the Cyber-Monday figures
    ///   show in the US evening (7–11 p.m. PT carried 25–30 % of Cyber Monday's sales, Adobe
    ///   2019/2020) placed at an East-Coast evening here.
    ///
    /// Flash sales are not part of the day: multiply by `FlashCrowd` factors for them.
    BlackFriday {
        peak_rps: f64,
        #[serde(default = "new_york")]
        time_zone: TimeZone,
        #[serde(default = "default_trough_hour")]
        trough_hour: f64,
        #[serde(default = "default_night_level")]
        night_level: f64,
        #[serde(default = "default_bf_peak_hour")]
        peak_hour: f64,
        #[serde(default = "default_afternoon_hour")]
        afternoon_hour: f64,
        #[serde(default = "default_afternoon_level")]
        afternoon_level: f64,
        #[serde(default = "default_evening_hour")]
        evening_hour: f64,
        #[serde(default = "default_evening_level")]
        evening_level: f64,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
    /// A random factor per `step`, log-normal with mean 1 and coefficient of variation `cv`;
    /// its random stream is given when the shape runs ([`Shape::seeded`]).
    Noise {
        cv: f64,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
    /// The sum of the parts.
    Sum(Vec<ShapeSpec>),
    /// The product of the parts.
    Product(Vec<ShapeSpec>),
    /// `factor ×` the shape.
    Scale { factor: f64, shape: Box<ShapeSpec> },
    /// A trace replayed from a CSV file, read by [`ShapeSpec::resolve`]: see [`crate::trace`].
    Trace {
        /// Relative to the directory of the experiment file.
        file: String,
        time_column: String,
        #[serde(default = "default_time_unit")]
        time_unit: TimeUnit,
        value_column: String,
        value_kind: ValueKind,
        #[serde(default)]
        interpolation: Interpolation,
        #[serde(default)]
        scale_to_peak_rps: Option<f64>,
        #[serde(default, rename = "loop")]
        looped: bool,
        #[serde(default)]
        start_offset: SimDuration,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
}

/// The default step of continuous shapes: one minute, the resolution of the real request traces
/// bundled with clustersim (requests per minute).
pub fn default_step() -> SimDuration {
    SimDuration::from_secs(60)
}

fn default_time_unit() -> TimeUnit {
    TimeUnit::Seconds
}

fn new_york() -> TimeZone {
    // A name of the bundled tz database: cannot fail.
    TimeZone::parse("America/New_York").unwrap_or(TimeZone::UTC)
}

fn default_trough_hour() -> f64 {
    4.0
}
fn default_night_level() -> f64 {
    0.25
}
fn default_bf_peak_hour() -> f64 {
    12.0
}
fn default_afternoon_hour() -> f64 {
    16.5
}
fn default_afternoon_level() -> f64 {
    0.7
}
fn default_evening_hour() -> f64 {
    20.5
}
fn default_evening_level() -> f64 {
    0.85
}

/// A shape that cannot run: the path of the failing field relative to `traffic` (see the
/// module documentation) and a message saying what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ShapeError {}

/// `path.field`, or `field` at the top.
pub(super) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Where the list of a `Sum` or `Product` at `path` is named: `Sum` at the top.
pub(super) fn list_base(path: &str, variant: &str) -> String {
    if path.is_empty() {
        variant.to_owned()
    } else {
        path.to_owned()
    }
}

fn fail<T>(path: &str, field: &str, message: impl Into<String>) -> Result<T, ShapeError> {
    Err(ShapeError {
        path: join(path, field),
        message: message.into(),
    })
}

fn rate_ok(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

impl ShapeSpec {
    /// The variant's name, as written in files.
    pub fn variant_name(&self) -> &'static str {
        match self {
            ShapeSpec::Constant { .. } => "Constant",
            ShapeSpec::Diurnal { .. } => "Diurnal",
            ShapeSpec::Weekly { .. } => "Weekly",
            ShapeSpec::Ramp { .. } => "Ramp",
            ShapeSpec::FlashCrowd { .. } => "FlashCrowd",
            ShapeSpec::BlackFriday { .. } => "BlackFriday",
            ShapeSpec::Noise { .. } => "Noise",
            ShapeSpec::Sum(_) => "Sum",
            ShapeSpec::Product(_) => "Product",
            ShapeSpec::Scale { .. } => "Scale",
            ShapeSpec::Trace { .. } => "Trace",
        }
    }

    /// Checks the parameters a deserializer cannot: ranges, finiteness, list lengths.
    pub fn validate(&self) -> Result<(), ShapeError> {
        let mut nodes = 0;
        self.check("", &mut nodes)
    }

    fn check(&self, path: &str, nodes: &mut usize) -> Result<(), ShapeError> {
        *nodes += 1;
        if *nodes > MAX_SHAPE_NODES {
            return Err(ShapeError {
                path: path.to_owned(),
                message: format!("expected at most {MAX_SHAPE_NODES} shapes in one `traffic`"),
            });
        }
        let positive_step = |step: SimDuration| {
            if step.is_zero() {
                fail(path, "step", "expected a positive duration such as \"1m\"")
            } else {
                Ok(())
            }
        };
        match self {
            ShapeSpec::Constant { rps } => {
                if !rate_ok(*rps) {
                    return fail(path, "rps", "expected a finite rate >= 0");
                }
            }
            ShapeSpec::Diurnal {
                mean_rps,
                amplitude,
                peak_hour,
                step,
                ..
            } => {
                if !rate_ok(*mean_rps) {
                    return fail(path, "mean_rps", "expected a finite rate >= 0");
                }
                if !(0.0..=1.0).contains(amplitude) {
                    return fail(path, "amplitude", "expected a number between 0 and 1");
                }
                if !(0.0..24.0).contains(peak_hour) {
                    return fail(path, "peak_hour", "expected an hour of day in [0, 24)");
                }
                positive_step(*step)?;
            }
            ShapeSpec::Weekly { multipliers, .. } => {
                if multipliers.len() != 7 {
                    return fail(
                        path,
                        "multipliers",
                        format!(
                            "expected 7 multipliers, Monday first, found {}",
                            multipliers.len()
                        ),
                    );
                }
                if let Some(i) = multipliers.iter().position(|m| !rate_ok(*m)) {
                    return fail(
                        path,
                        &format!("multipliers[{i}]"),
                        "expected a finite number >= 0",
                    );
                }
            }
            ShapeSpec::Ramp { from, to, step, .. } => {
                if !rate_ok(*from) {
                    return fail(path, "from", "expected a finite number >= 0");
                }
                if !rate_ok(*to) {
                    return fail(path, "to", "expected a finite number >= 0");
                }
                positive_step(*step)?;
            }
            ShapeSpec::FlashCrowd {
                peak_multiplier,
                decay,
                step,
                ..
            } => {
                if !rate_ok(*peak_multiplier) {
                    return fail(
                        path,
                        "peak_multiplier",
                        "expected a finite factor >= 0, such as 3 for three times the traffic",
                    );
                }
                if decay.is_zero() {
                    return fail(
                        path,
                        "decay",
                        "expected a positive duration such as \"10m\"",
                    );
                }
                positive_step(*step)?;
            }
            ShapeSpec::BlackFriday {
                peak_rps,
                trough_hour,
                night_level,
                peak_hour,
                afternoon_hour,
                afternoon_level,
                evening_hour,
                evening_level,
                step,
                ..
            } => {
                if !rate_ok(*peak_rps) {
                    return fail(path, "peak_rps", "expected a finite rate >= 0");
                }
                let hours = [
                    ("trough_hour", *trough_hour),
                    ("peak_hour", *peak_hour),
                    ("afternoon_hour", *afternoon_hour),
                    ("evening_hour", *evening_hour),
                ];
                for (i, &(name, h)) in hours.iter().enumerate() {
                    if !(0.0..24.0).contains(&h) {
                        return fail(path, name, "expected an hour of day in [0, 24)");
                    }
                    if i > 0 && h <= hours[i - 1].1 {
                        return fail(
                            path,
                            name,
                            format!(
                                "expected an hour after `{}` ({}): trough < peak < afternoon < \
                                 evening within the day",
                                hours[i - 1].0,
                                hours[i - 1].1
                            ),
                        );
                    }
                }
                for (name, v) in [
                    ("night_level", *night_level),
                    ("afternoon_level", *afternoon_level),
                    ("evening_level", *evening_level),
                ] {
                    if !rate_ok(v) {
                        return fail(
                            path,
                            name,
                            "expected a finite share of `peak_rps` >= 0, such as 0.7",
                        );
                    }
                }
                positive_step(*step)?;
            }
            ShapeSpec::Noise { cv, step, .. } => {
                if !rate_ok(*cv) {
                    return fail(
                        path,
                        "cv",
                        "expected a coefficient of variation >= 0, such as 0.1",
                    );
                }
                positive_step(*step)?;
            }
            ShapeSpec::Sum(parts) | ShapeSpec::Product(parts) => {
                let base = list_base(path, self.variant_name());
                if parts.is_empty() {
                    return Err(ShapeError {
                        path: base,
                        message: "expected at least one shape in the list".into(),
                    });
                }
                for (i, part) in parts.iter().enumerate() {
                    part.check(&format!("{base}[{i}].{}", part.variant_name()), nodes)?;
                }
            }
            ShapeSpec::Scale { factor, shape } => {
                if !rate_ok(*factor) {
                    return fail(path, "factor", "expected a finite factor >= 0");
                }
                shape.check(
                    &format!("{}.{}", join(path, "shape"), shape.variant_name()),
                    nodes,
                )?;
            }
            ShapeSpec::Trace {
                file,
                time_column,
                value_column,
                scale_to_peak_rps,
                step,
                ..
            } => {
                if file.trim().is_empty() {
                    return fail(path, "file", "expected the path of a CSV file");
                }
                if time_column.trim().is_empty() {
                    return fail(path, "time_column", "expected a column name of the header");
                }
                if value_column.trim().is_empty() {
                    return fail(path, "value_column", "expected a column name of the header");
                }
                if let Some(p) = scale_to_peak_rps
                    && !(p.is_finite() && *p > 0.0)
                {
                    return fail(path, "scale_to_peak_rps", "expected a finite rate > 0");
                }
                positive_step(*step)?;
            }
        }
        Ok(())
    }

    /// Checks the shape and reads its trace files (paths relative to `base_dir`) into
    /// [`Replay`]s; a trace that does not cover a run of `duration` is refused unless it loops.
    pub fn resolve(&self, base_dir: &Path, duration: SimDuration) -> Result<Shape, ShapeError> {
        self.resolve_with(base_dir, duration, None)
    }

    /// [`Self::resolve`], reading `.parquet` traces with `parquet` (without it they are refused).
    pub fn resolve_with(
        &self,
        base_dir: &Path,
        duration: SimDuration,
        parquet: Option<crate::trace::ReadColumns>,
    ) -> Result<Shape, ShapeError> {
        self.validate()?;
        self.build(
            "",
            Some(&TraceReader {
                base_dir,
                duration,
                parquet,
            }),
        )
    }

    /// The runnable shape; each `Trace` read by `reader`, or refused without one.
    pub(super) fn build(
        &self,
        path: &str,
        reader: Option<&TraceReader>,
    ) -> Result<Shape, ShapeError> {
        let parts = |parts: &[ShapeSpec]| {
            let base = list_base(path, self.variant_name());
            parts
                .iter()
                .enumerate()
                .map(|(i, p)| p.build(&format!("{base}[{i}].{}", p.variant_name()), reader))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(match self.clone() {
            ShapeSpec::Constant { rps } => Shape::Constant { rps },
            ShapeSpec::Diurnal {
                mean_rps,
                amplitude,
                peak_hour,
                time_zone,
                step,
            } => Shape::Diurnal {
                mean_rps,
                amplitude,
                peak_hour,
                time_zone,
                step,
            },
            ShapeSpec::Weekly {
                multipliers,
                time_zone,
            } => Shape::Weekly {
                multipliers,
                time_zone,
            },
            ShapeSpec::Ramp {
                from,
                to,
                start,
                duration,
                step,
            } => Shape::Ramp {
                from,
                to,
                start,
                duration,
                step,
            },
            ShapeSpec::FlashCrowd {
                onset,
                rise,
                peak_multiplier,
                decay,
                step,
            } => Shape::FlashCrowd {
                onset,
                rise,
                peak_multiplier,
                decay,
                step,
            },
            ShapeSpec::BlackFriday {
                peak_rps,
                time_zone,
                trough_hour,
                night_level,
                peak_hour,
                afternoon_hour,
                afternoon_level,
                evening_hour,
                evening_level,
                step,
            } => Shape::BlackFriday {
                peak_rps,
                time_zone,
                trough_hour,
                night_level,
                peak_hour,
                afternoon_hour,
                afternoon_level,
                evening_hour,
                evening_level,
                step,
            },
            // Not seeded yet: `Shape::seeded` gives each noise its stream.
            ShapeSpec::Noise { cv, step } => Shape::Noise {
                cv,
                step,
                seed: 0,
                stream: String::new(),
            },
            ShapeSpec::Sum(ps) => Shape::Sum(parts(&ps)?),
            ShapeSpec::Product(ps) => Shape::Product(parts(&ps)?),
            ShapeSpec::Scale { factor, shape } => Shape::Scale {
                factor,
                shape: Box::new(shape.build(
                    &format!("{}.{}", join(path, "shape"), shape.variant_name()),
                    reader,
                )?),
            },
            ShapeSpec::Trace {
                file,
                time_column,
                time_unit,
                value_column,
                value_kind,
                interpolation,
                scale_to_peak_rps,
                looped,
                start_offset,
                step,
            } => {
                let Some(reader) = reader else {
                    return fail(
                        path,
                        "file",
                        "a trace is read when an experiment's `traffic` is loaded, not here: \
                         expected a shape without `Trace`",
                    );
                };
                let options = ReplayOptions {
                    time_column: &time_column,
                    time_unit,
                    value_column: &value_column,
                    value_kind,
                    interpolation,
                    scale_to_peak_rps,
                    looped,
                    start_offset,
                    step,
                };
                reader.load(path, &file, &options)?
            }
        })
    }
}

/// Where trace files are read from, and the run they must cover.
pub(super) struct TraceReader<'a> {
    base_dir: &'a Path,
    duration: SimDuration,
    parquet: Option<crate::trace::ReadColumns>,
}

impl TraceReader<'_> {
    /// The trace at `file` (the `Trace` at `path`) read into a `Replay`.
    fn load(
        &self,
        path: &str,
        file: &str,
        options: &ReplayOptions<'_>,
    ) -> Result<Shape, ShapeError> {
        let (base_dir, duration, parquet) = (self.base_dir, self.duration, self.parquet);
        let (time_column, value_column, start_offset) = (
            options.time_column,
            options.value_column,
            options.start_offset,
        );
        let full = base_dir.join(file);
        let shown = full.display();
        if let Ok(m) = std::fs::metadata(&full)
            && m.len() > crate::trace::MAX_TRACE_BYTES
        {
            return fail(
                path,
                "file",
                format!(
                    "trace `{shown}` has {} bytes, more than the limit of {}",
                    m.len(),
                    crate::trace::MAX_TRACE_BYTES
                ),
            );
        }
        let is_parquet = full
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        let replay = if is_parquet {
            let Some(read) = parquet else {
                return fail(
                    path,
                    "file",
                    format!("cannot read Parquet trace `{shown}` here: expected a CSV file"),
                );
            };
            read(&full, time_column, value_column)
                .and_then(|columns| Replay::from_columns(columns, options))
        } else {
            let text = crate::trace::read_text(&full)
                .or_else(|e| fail(path, "file", format!("cannot read trace `{shown}`: {e}")))?;
            Replay::from_csv(&text, options)
        }
        .or_else(|e| fail(path, "file", format!("in trace `{shown}`, {e}")))?;
        if !replay.covered(duration) {
            let field = if start_offset.is_zero() {
                "file"
            } else {
                "start_offset"
            };
            return fail(
                path,
                field,
                format!(
                    "trace `{shown}` lasts {}; from `start_offset` {start_offset} it is shorter \
                     than the run's {duration}: expected `loop: true`, an earlier \
                     `start_offset` or a shorter run",
                    replay.span()
                ),
            );
        }
        Ok(Shape::Replay(Box::new(replay)))
    }
}
