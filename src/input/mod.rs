//! The experiment file (schema v1): reading, checking and resolution into a run plan.
//!
//! [`schema`] is the file as written; each section has its module that checks it and resolves
//! it (`cluster`: regions and node pools, `namespaces`, `services` with their `traffic` and
//! `hpa`, `targets`, `batch`, `autoscaling`, `faults`, `policies`), each with the limits that
//! protect it.
//! Checks return a [`FieldError`] (a field path and what was expected); only [`load`] knows the
//! file is RON and turns the path into `file:line:col` through [`RonLocator`].

mod autoscaling;
mod batch;
pub mod budget;
mod capacity;
mod cluster;
mod control_plane;
mod faults;
mod hpa;
mod kueue;
pub mod manifests;
mod namespaces;
mod policies;
mod ron_text;
pub mod schema;
mod services;
mod targets;
mod traffic;
mod vpa;

use std::path::Path;

use models::plan::ClusterPlan;
use models::run::Plan;
use sim::time::SimDuration;

pub use ron_text::parse_ron;
pub use schema::{Experiment, NodeAutoscalingConfig, Targets};

use crate::error::{FieldError, InputError, Position, fail};
use crate::locate::RonLocator;

/// Most rows a run's time series may have (`duration / output_interval`), so a typo cannot
/// fill the disk.
pub const MAX_SAMPLES: u64 = 10_000_000;

/// Size of an experiment or sweep file, at most: 4 MiB, some 50 times the largest bundled
/// experiment (`black-friday.ron`, 77 KiB). Checked while reading, so a path to a device or a
/// huge unrelated file fails after 4 MiB.
pub const MAX_EXPERIMENT_BYTES: u64 = 4 << 20;

/// A loaded, checked experiment and its plan.
pub struct Loaded {
    pub experiment: Experiment,
    pub plan: Plan,
}

/// Reads, parses, validates and resolves an experiment file; `seed` (from `--seed`) replaces
/// the file's seed before anything random is derived from it.
pub fn load(file: &Path, seed: Option<u64>) -> Result<Loaded, InputError> {
    let src = read_text(file)?;
    let mut experiment = parse(file, &src)?;
    if let Some(seed) = seed {
        experiment.seed = seed;
    }
    let plan = resolve(&experiment, base_dir(file))
        .map_err(|e| e.located(file, &RonLocator::new(&src)))?;
    Ok(Loaded { experiment, plan })
}

/// The text of an experiment or sweep file: at most [`MAX_EXPERIMENT_BYTES`] bytes, UTF-8
/// (else the line and column of the first byte that is not), a byte order mark at its start
/// skipped (editors on Windows write one; it is not part of the first line's columns).
pub fn read_text(file: &Path) -> Result<String, InputError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_EXPERIMENT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| InputError::whole_file(file, format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > MAX_EXPERIMENT_BYTES {
        return Err(InputError::whole_file(
            file,
            format!(
                "the file is larger than the limit of {MAX_EXPERIMENT_BYTES} bytes (4 MiB): \
                 expected an experiment or sweep file"
            ),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let bad = e.utf8_error().valid_up_to();
        InputError {
            file: file.to_owned(),
            position: Some(utf8_position(bytes, bad)),
            field: String::new(),
            message: format!(
                "byte 0x{:02x} is not UTF-8 text: expected a UTF-8 file",
                bytes[bad]
            ),
        }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Line and column (in chars, as the parser counts them) of byte `at` of `bytes`, whose
/// bytes before `at` are valid UTF-8; a leading byte order mark is not a column.
fn utf8_position(bytes: &[u8], at: usize) -> Position {
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let before = before.strip_prefix('\u{feff}').unwrap_or(before);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        col: before[line_start..].chars().count() + 1,
    }
}

/// RON text → experiment, with the position and field path of the first error.
/// The experiment's `manifests` are read and merged in here, so every path that parses an
/// experiment (run, validate, sweeps) sees the same file.
pub fn parse(file: &Path, src: &str) -> Result<Experiment, InputError> {
    let mut experiment = manifests::merge(file, src)?;
    experiment.description = header_comment(src);
    Ok(experiment)
}

/// The opening comment of an experiment or sweep file: its `//` lines before the first other
/// line (blank lines inside it kept as empty lines), without the `//` and one space; `None`
/// when the file opens with no comment.
pub fn header_comment(src: &str) -> Option<String> {
    let lines: Vec<&str> = src
        .lines()
        .map(str::trim_start)
        .take_while(|l| l.starts_with("//"))
        .map(|l| {
            let text = &l[2..];
            text.strip_prefix(' ').unwrap_or(text)
        })
        .collect();
    let text = lines.join("\n");
    let text = text.trim_end();
    (!text.trim().is_empty()).then(|| text.to_owned())
}

/// The directory trace files are relative to: the experiment file's.
pub fn base_dir(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("."))
}

/// Checks every section, in the file's order of dependence, and builds the run plan; trace
/// files are read relative to `base_dir`. The first error, with its field path.
pub fn resolve(x: &Experiment, base_dir: &Path) -> Result<Plan, FieldError> {
    if x.name.trim().is_empty() {
        return fail(
            "name",
            "expected a name for the run, such as \"quickstart\" (it names the outputs and the report)",
        );
    }
    check_span(x.duration, x.output_interval)?;
    cluster::check_regions(x)?;
    let mut pools = cluster::resolve_pools(x)?;
    let (namespaces, default_priority) = namespaces::resolve(x)?;
    let services::Services {
        mut services,
        entry,
        routes,
        mut hpas,
        vpas,
    } = services::resolve(
        x,
        &services::Context {
            base_dir,
            namespaces: &namespaces,
            default_priority,
        },
    )?;
    targets::check_scheduler(&x.scheduler)?;
    targets::check(&x.targets)?;
    targets::check_services(x)?;
    targets::check_health(x)?;
    targets::check_batch(x)?;
    let mut batch = batch::resolve(x, base_dir, &namespaces, default_priority)?;
    let mut node_autoscalers = autoscaling::resolve(x, &mut pools)?;
    let queueing = kueue::resolve(x, &pools, &namespaces)?;
    if let Some(b) = batch.as_mut() {
        b.queueing = queueing;
    }
    let faults = faults::resolve(x, &pools, &mut services, &mut hpas)?;
    let policies = policies::resolve(
        x,
        base_dir,
        &services,
        &mut hpas,
        &pools,
        &mut node_autoscalers,
    )?;
    // Services a min-0 KEDA scaler drives hold what arrives at zero pods (issue 20).
    policies.hold_at_zero(&mut services);
    let control_plane = control_plane::resolve(x)?;
    capacity::check_fits(&pools, &services, &entry)?;
    capacity::check_batch_fits(x, &pools)?;
    let plan = Plan {
        seed: x.seed,
        fidelity: x.fidelity,
        start: x.start,
        duration: x.duration,
        output_interval: x.output_interval,
        cluster: ClusterPlan {
            pools,
            services,
            namespaces,
            latency_target: x.targets.p99_latency,
            scoring: x.scheduler.scoring.clone(),
            minimum_billed: x.billing.minimum_billed,
            control_plane,
        },
        hpas,
        hpa_controller: x.hpa_controller.clone(),
        vpas,
        policies,
        batch,
        routes,
        node_autoscalers,
        faults,
        event_budget: models::run::DEFAULT_EVENT_BUDGET,
    };
    budget::check(&plan)?;
    Ok(plan)
}

/// What may go wrong in a checked plan, with the figures: services whose peak replicas cannot
/// all fit on the nodes they may use (`capacity`), and VPAs that fight an HPA. For `validate`
/// and `run` to print; not part of a run's outputs.
pub fn warnings(plan: &Plan) -> Vec<String> {
    let karpenter: Vec<&str> = plan
        .node_autoscalers
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                models::autoscaler::model::AutoscalerKind::Karpenter { .. }
            )
        })
        .map(|a| a.region.as_str())
        .collect();
    let mut found = capacity::warnings(
        &plan.cluster.pools,
        &plan.cluster.services,
        &plan.hpas,
        &plan.policies,
        &karpenter,
    );
    found.extend(vpa::hpa_conflicts(&plan.hpas, &plan.vpas));
    found
}

/// `duration` and `output_interval` positive, and at most [`MAX_SAMPLES`] rows.
fn check_span(duration: SimDuration, interval: SimDuration) -> Result<(), FieldError> {
    if duration.is_zero() {
        return fail("duration", "expected a positive duration such as \"24h\"");
    }
    if interval.is_zero() {
        return fail(
            "output_interval",
            "expected a positive duration such as \"1m\"",
        );
    }
    let samples = duration.as_nanos() / interval.as_nanos();
    if samples > MAX_SAMPLES {
        return fail(
            "output_interval",
            format!(
                "{samples} samples over {duration} is more than the limit of {MAX_SAMPLES}: expected a longer interval"
            ),
        );
    }
    Ok(())
}
