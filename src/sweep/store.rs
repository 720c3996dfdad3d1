//! A sweep's output folder on disk:
//!
//! ```text
//! DIR/sweep-manifest.ron        every run of the sweep: index, id, seed, parameter values
//! DIR/.clustersim.lock (.clustersim-shard-<I>-of-<N>.lock)   held while a (shard's) attempt runs
//! DIR/runs/<run id>/summary.json   one finished run (+ its tables with --keep-outputs)
//! DIR/runs/.<run id>.tmp-<pid>/    a run being written; never read
//! DIR/sweep.parquet, sweep.csv, sweep.html, charts/pareto.svg   the whole sweep
//! DIR/sweep-shard-<I>-of-<N>.parquet/.csv                        one shard's rows
//! ```
//!
//! A run folder appears only by renaming its finished temporary folder, so a folder under its
//! final name holds a complete run: that is the completion marker resume relies on, and a run
//! killed half-way leaves only a hidden temporary folder, which the next attempt removes.
//! The manifest depends on the sweep file alone, so every shard writes the same bytes, and
//! `sweep-merge` knows from it which runs make the whole sweep.

use std::fs;
use std::path::{Path, PathBuf};

use reports::sweep::{Sweep, SweepRun, Value};
use serde::{Deserialize, Serialize};

use clustersim::sweep::plan::{Param, Plan, Run};

/// Bumped when the manifest's layout changes.
const MANIFEST_VERSION: u32 = 1;
pub const MANIFEST: &str = "sweep-manifest.ron";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub name: String,
    /// The sweep file's opening comment; absent in manifests written before it was kept.
    #[serde(default)]
    pub description: Option<String>,
    pub parameters: Vec<String>,
    pub runs: Vec<Run>,
}

impl Manifest {
    pub fn of(plan: &Plan) -> Manifest {
        Manifest {
            schema_version: MANIFEST_VERSION,
            name: plan.name.clone(),
            description: plan.description.clone(),
            parameters: plan.parameters.clone(),
            runs: plan.runs.clone(),
        }
    }

    fn text(&self) -> Result<String, String> {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
            .map_err(|e| format!("cannot write the sweep manifest: {e}"))
    }
}

/// Reads `dir`'s manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, String> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e}; is it a sweep's output folder?",
            path.display()
        )
    })?;
    let m: Manifest =
        ron::from_str(&text).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if m.schema_version != MANIFEST_VERSION {
        return Err(format!(
            "cannot read {}: schema_version {}, expected {MANIFEST_VERSION}; re-run the sweep",
            path.display(),
            m.schema_version
        ));
    }
    Ok(m)
}

/// Writes the manifest into `dir`, or checks that the one there is the same sweep's: a folder
/// holding another sweep's runs would otherwise be resumed as if they were this one's.
pub fn claim(dir: &Path, manifest: &Manifest) -> Result<(), String> {
    if check_claim(dir, manifest)? {
        return Ok(());
    }
    let text = manifest.text()?;
    reports::write_atomically(&dir.join(MANIFEST), |w| {
        std::io::Write::write_all(w, text.as_bytes())
    })
    .map_err(|e| e.to_string())
}

/// Whether `dir` already holds `manifest` (`true`), holds no manifest (`false`), or holds
/// another sweep's (an error): what [`claim`] checks before it writes, for a caller that must
/// check everything before writing anything.
pub fn check_claim(dir: &Path, manifest: &Manifest) -> Result<bool, String> {
    if !dir.join(MANIFEST).exists() {
        return Ok(false);
    }
    if read_manifest(dir)? != *manifest {
        return Err(format!(
            "{} holds the runs of another sweep (or of this sweep file before an edit): \
             expected an empty folder or the same sweep; pass another --out",
            dir.display()
        ));
    }
    Ok(true)
}

/// The lock of one shard's attempts in `dir`: `.clustersim.lock` for the whole sweep,
/// `.clustersim-shard-I-of-N.lock` for a shard.
pub fn lock_path(dir: &Path, shard: super::Shard) -> PathBuf {
    if shard == super::Shard::WHOLE {
        dir.join(".clustersim.lock")
    } else {
        dir.join(format!(
            ".clustersim-shard-{}-of-{}.lock",
            shard.index, shard.count
        ))
    }
}

/// Refuses an attempt that would run some of the same runs as a live attempt in `dir` under
/// another lock: the whole sweep while a shard runs, a shard while the whole sweep runs, or a
/// shard of another shard count (whose runs overlap). Checked right after taking this
/// attempt's own lock, so of two attempts started together at least one sees the other.
pub fn check_no_overlap(dir: &Path, shard: super::Shard) -> Result<(), String> {
    let mine = lock_path(dir, shard);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut others: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".clustersim") && n.ends_with(".lock"))
        })
        .filter(|p| *p != mine)
        .collect();
    others.sort();
    let shard_of = |p: &Path| -> Option<(u64, u64)> {
        let name = p.file_name()?.to_str()?;
        let (i, n) = name
            .strip_prefix(".clustersim-shard-")?
            .strip_suffix(".lock")?
            .split_once("-of-")?;
        Some((i.parse().ok()?, n.parse().ok()?))
    };
    for other in others {
        let overlaps = match shard_of(&other) {
            // Shards of one count run disjoint runs; of another count they overlap.
            Some((_, count)) => shard == super::Shard::WHOLE || count != shard.count,
            // The whole sweep's lock.
            None => true,
        };
        if overlaps && let Some(holder) = crate::out_dir::live_holder(&other) {
            return Err(format!(
                "{} is held by another clustersim ({holder}) running some of the same runs: \
                 wait for it to finish, or run the same shards (--shard I/N with the same N)",
                other.display()
            ));
        }
    }
    Ok(())
}

pub fn runs_dir(dir: &Path) -> PathBuf {
    dir.join("runs")
}

/// The summary of a finished run, which exists only once the run's folder was renamed in.
pub fn summary_path(dir: &Path, id: &str) -> PathBuf {
    runs_dir(dir).join(id).join("summary.json")
}

pub fn is_done(dir: &Path, id: &str) -> bool {
    summary_path(dir, id).is_file()
}

/// `runs/.<id>.tmp-<pid>`: hidden, and named after the process so two processes never share
/// one.
pub fn temp_dir(dir: &Path, id: &str) -> PathBuf {
    runs_dir(dir).join(format!(".{id}.tmp-{}", std::process::id()))
}

/// Removes the temporary folders left by killed attempts at the runs `ids` (only those: a
/// folder shared by several shards holds other shards' live temporary folders too).
pub fn remove_stale(dir: &Path, ids: &[&str]) -> Result<(), String> {
    let runs = runs_dir(dir);
    let Ok(entries) = fs::read_dir(&runs) else {
        return Ok(());
    };
    let mut stale = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = name
            .strip_prefix('.')
            .and_then(|rest| rest.split_once(".tmp-"))
            .map(|(id, _)| id)
            && ids.binary_search(&id).is_ok()
        {
            stale.push(entry.path());
        }
    }
    for path in stale {
        fs::remove_dir_all(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

fn value(p: &Param) -> Value {
    match p {
        Param::U64(v) => Value::U64(*v),
        Param::F64(v) => Value::F64(*v),
        Param::Text(v) => Value::Text(v.clone()),
    }
}

/// The finished runs among those `take` accepts, read from the first of `dirs` holding each,
/// and the ids of those finished nowhere.
pub fn collect(
    manifest: &Manifest,
    dirs: &[PathBuf],
    take: impl Fn(&Run) -> bool,
) -> Result<(Sweep, Vec<String>), String> {
    let mut runs = Vec::new();
    let mut missing = Vec::new();
    for run in manifest.runs.iter().filter(|r| take(r)) {
        match dirs.iter().find(|d| is_done(d, &run.id)) {
            Some(d) => {
                let summary =
                    reports::read_summary(&summary_path(d, &run.id)).map_err(|e| e.to_string())?;
                runs.push(SweepRun {
                    index: run.index,
                    id: run.id.clone(),
                    parameters: run.values.iter().map(value).collect(),
                    seed: run.seed,
                    summary,
                });
            }
            None => missing.push(run.id.clone()),
        }
    }
    Ok((
        Sweep {
            name: manifest.name.clone(),
            description: manifest.description.clone(),
            parameters: manifest.parameters.clone(),
            runs,
        },
        missing,
    ))
}
