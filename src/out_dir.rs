//! Output folders used safely: one writer at a time ([`Lock`]), and a run's files appearing all
//! together or not at all ([`publish`]).
//!
//! Two attempts at one output (a retried batch pod while the first still runs, two `run`s into
//! one `--out` with different seeds) must not interleave their files or delete each other's
//! temporary folders: each takes an advisory lock first, a file created with `create_new`
//! holding the holder's pid and host. A lock whose holder is gone (same host, no
//! `/proc/<pid>`) is stale, left by a killed process, and is taken over; any other is an error
//! naming the holder. std only: no `flock`, which network file systems do not all honour
//! either.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A held lock; released (its file removed) when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock file at `path`, taking over a stale one; an error names the holder.
    pub fn acquire(path: &Path) -> Result<Lock, String> {
        let me = holder_text(std::process::id());
        // Twice at most: once, and once more after removing a stale lock.
        for _ in 0..2 {
            match create(path, &me) {
                Ok(()) => {
                    return Ok(Lock {
                        path: path.to_owned(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let held = fs::read_to_string(path).unwrap_or_default();
                    if !is_stale(&held) {
                        return Err(format!(
                            "{} is held by another clustersim ({}): wait for it to finish or \
                             pass another --out (remove the lock file if no clustersim is \
                             running)",
                            path.display(),
                            describe(&held)
                        ));
                    }
                    fs::remove_file(path)
                        .map_err(|e| format!("cannot remove stale {}: {e}", path.display()))?;
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
        Err(format!(
            "cannot take {}: another clustersim took it at the same time",
            path.display()
        ))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Best effort: a lock file left behind is stale and taken over by the next attempt.
        let _ = fs::remove_file(&self.path);
    }
}

/// The holder of the lock at `path` when another live clustersim holds it (its description);
/// `None` when there is no lock file or its holder is gone. For locks that exclude each other
/// without sharing a file (a whole sweep and its shards).
pub fn live_holder(path: &Path) -> Option<String> {
    let held = fs::read_to_string(path).ok()?;
    (!is_stale(&held)).then(|| describe(&held))
}

/// The lock of the output folder `out` of `run`: beside it, as the folder itself is replaced
/// as a whole when the run's files are published (`.NAME.clustersim.lock`).
pub fn run_lock_path(out: &Path) -> PathBuf {
    sibling(out, "clustersim.lock")
}

/// `.NAME.SUFFIX` beside `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// Creates `path` holding `text`, failing with `AlreadyExists` when it exists. The text is
/// written to a private file first and hard-linked into place, so a reader never sees the
/// lock without its holder.
fn create(path: &Path, text: &str) -> io::Result<()> {
    let private = sibling(path, &format!("tmp-{}", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&private)?;
    let linked = file
        .write_all(text.as_bytes())
        .and_then(|()| fs::hard_link(&private, path));
    let _ = fs::remove_file(&private);
    linked
}

/// `pid host`: what a lock file holds.
fn holder_text(pid: u32) -> String {
    format!("{pid} {}\n", host())
}

/// This machine's name, to tell a lock of a process here from one on another machine sharing
/// the folder (whose pid means nothing here).
fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// Whether a lock holding `text` was left by a process of this host that is gone.
fn is_stale(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let (Some(pid), host_name) = (
        words.next().and_then(|p| p.parse::<u32>().ok()),
        words.next(),
    ) else {
        return false;
    };
    host_name.unwrap_or("") == host() && !alive(pid)
}

/// Whether process `pid` of this host runs; where `/proc` cannot tell, assumed to.
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

fn describe(text: &str) -> String {
    let mut words = text.split_whitespace();
    match (words.next(), words.next()) {
        (Some(pid), Some(host)) => format!("pid {pid} on {host}"),
        (Some(pid), None) => format!("pid {pid}"),
        _ => "no pid written".to_owned(),
    }
}

/// The temporary folder a run's files are written into before [`publish`]: beside `out`,
/// hidden, named after this process.
pub fn temp_beside(out: &Path) -> PathBuf {
    sibling(out, &format!("tmp-run-{}", std::process::id()))
}

/// Moves the complete folder `temp` to `out`: one rename when `out` does not exist, else each
/// file renamed into `out` (its other files kept), `temp` removed after. Renames need no
/// space, so a full disk fails while `temp` is written, leaving `out` untouched.
pub fn publish(temp: &Path, out: &Path) -> Result<(), String> {
    if !out.exists() {
        return fs::rename(temp, out)
            .map_err(|e| format!("cannot rename {} to {}: {e}", temp.display(), out.display()));
    }
    move_files(temp, out)?;
    fs::remove_dir_all(temp).map_err(|e| format!("cannot remove {}: {e}", temp.display()))
}

/// Renames every file under `from` to the same place under `to`, creating folders.
fn move_files(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let mut entries: Vec<_> = fs::read_dir(from)
        .and_then(|d| d.collect::<io::Result<Vec<_>>>())
        .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            move_files(&entry.path(), &target)?;
        } else {
            fs::rename(entry.path(), &target).map_err(|e| {
                format!(
                    "cannot rename {} to {}: {e}",
                    entry.path().display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_naming_its_holder_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".clustersim.lock");
        let lock = Lock::acquire(&path).unwrap();
        let me = std::process::id();
        assert_eq!(fs::read_to_string(&path).unwrap(), holder_text(me));
        let e = Lock::acquire(&path).unwrap_err();
        assert!(e.contains(&format!("(pid {me} on ")), "{e}");
        drop(lock);
        assert!(!path.exists());
        // Only the lock was ever created there.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_stale_lock_of_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".clustersim.lock");
        // Above the kernel's largest pid (2^22), so no process has it.
        fs::write(&path, format!("4194305 {}\n", host())).unwrap();
        let _lock = Lock::acquire(&path).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            holder_text(std::process::id())
        );
        // Of another host: never stale.
        assert!(!is_stale("4194305 elsewhere"));
        assert!(!is_stale("garbage"));
    }

    #[test]
    fn publishing_into_an_existing_folder_keeps_its_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, out) = (dir.path().join("t"), dir.path().join("out"));
        fs::create_dir_all(temp.join("charts")).unwrap();
        fs::write(temp.join("summary.json"), "new").unwrap();
        fs::write(temp.join("charts/a.svg"), "new").unwrap();
        fs::create_dir_all(out.join("charts")).unwrap();
        fs::write(out.join("summary.json"), "old").unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        publish(&temp, &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "new");
        assert_eq!(fs::read_to_string(out.join("charts/a.svg")).unwrap(), "new");
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert!(!temp.exists());
        // Into a folder that does not exist: one rename.
        let fresh = dir.path().join("fresh");
        fs::create_dir_all(&temp).unwrap();
        fs::write(temp.join("x"), "1").unwrap();
        publish(&temp, &fresh).unwrap();
        assert_eq!(fs::read_to_string(fresh.join("x")).unwrap(), "1");
    }
}
