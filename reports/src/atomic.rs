//! Replacing a file all at once: write a temporary sibling, sync it, rename it over the final name.
//!
//! A rename within one directory is atomic on the file systems we run on, so a reader (or a
//! re-run after a crash) sees either the previous file or the complete new one under the final
//! name, never a truncated one. The temporary file lives in the same directory because a rename
//! across file systems is a copy, which is not atomic.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use crate::error::{Access, ReportError};

/// Writes `path` through `write`, atomically.
///
/// `write` fills a buffered writer on `.<name>.tmp-<pid>` in the directory of `path`; the data is
/// then flushed, `sync_all`ed (so the rename can never expose a name whose data is still only in
/// the page cache) and renamed over `path`. On any error the temporary file is removed, `path`
/// keeps whatever it held before (or stays absent), and the error names `path`.
///
/// The directory itself is not synced after the rename: a crash right then may lose the new name
/// (the previous file, or none, is what remains), which still never shows a half-written file.
/// The pid in the temporary name keeps two processes writing into one directory apart; one
/// process must not write the same `path` from two threads at once.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), ReportError> {
    let error = |source| ReportError::Io {
        access: Access::Write,
        path: path.to_owned(),
        source,
    };
    let temp = temp_path(path).map_err(error)?;
    let file = File::create(&temp).map_err(error)?;
    fill_and_rename(file, &temp, path, write).map_err(|source| {
        // Best effort: the error that matters is `source`; a temporary file that cannot be
        // removed either was never created or sits in a directory we cannot write anyway.
        let _ = fs::remove_file(&temp);
        error(source)
    })
}

/// Creates `dir` and its parents, an error naming it.
pub fn create_dir_all(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        access: Access::Write,
        path: dir.to_owned(),
        source,
    })
}

/// `dir/.name.tmp-<pid>` for `dir/name`: hidden, so directory listings and globs such as
/// `*.parquet` do not pick up a file that is still being written.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path does not end in a file name",
        )
    })?;
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(".tmp-{}", std::process::id()));
    Ok(path.with_file_name(temp))
}

/// Everything after the temporary file exists; any error here leaves it for the caller to
/// remove. The file is closed before returning, so removing it works on every platform.
fn fill_and_rename(
    file: File,
    temp: &Path,
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let mut writer = BufWriter::new(file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, path)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::test_dir::TestDir;

    #[test]
    fn a_successful_write_leaves_only_the_final_file() {
        let dir = TestDir::new("atomic_success");
        let path = dir.path().join("out.txt");
        write_atomically(&path, |w| w.write_all(b"hello\n")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hello\n");
        assert_eq!(dir.file_names(), ["out.txt"]);
    }

    #[test]
    fn a_failing_writer_leaves_neither_the_final_nor_the_temporary_file() {
        let dir = TestDir::new("atomic_failure");
        let path = dir.path().join("out.txt");
        let err = write_atomically(&path, |w| {
            // More than the BufWriter's capacity, so part of it really reached the temp file.
            w.write_all(&[b'x'; 64 * 1024])?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write {}: boom", path.display())
        );
        assert!(!path.exists());
        assert_eq!(dir.file_names(), Vec::<String>::new());
    }

    #[test]
    fn a_failing_writer_keeps_the_previous_file() {
        let dir = TestDir::new("atomic_keeps_previous");
        let path = dir.path().join("out.txt");
        fs::write(&path, b"previous").unwrap();
        write_atomically(&path, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert_eq!(fs::read(&path).unwrap(), b"previous");
        assert_eq!(dir.file_names(), ["out.txt"]);
    }

    #[test]
    fn a_failing_rename_removes_the_temporary_file() {
        let dir = TestDir::new("atomic_rename_fails");
        // A non-empty directory under the final name: creating and filling the temporary file
        // succeed, the rename over it does not.
        let path = dir.path().join("out");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep"), b"").unwrap();
        let err = write_atomically(&path, |w| w.write_all(b"data")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write {}: ", path.display())),
            "{err}"
        );
        assert_eq!(dir.file_names(), ["out"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_path() {
        let dir = TestDir::new("atomic_missing_dir");
        let path = dir.path().join("absent").join("out.txt");
        let err = write_atomically(&path, |w| w.write_all(b"data")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write {}: ", path.display())),
            "{err}"
        );
        assert!(!dir.path().join("absent").exists());
    }
}
