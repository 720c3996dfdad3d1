//! A scratch directory for tests, removed when dropped (std only: the crate takes no
//! `tempfile` dependency for this).

use std::fs;
use std::path::{Path, PathBuf};

/// `<system temp dir>/clustersim-reports-<name>-<pid>`: the name keeps the tests of one run
/// apart (they run in parallel threads), the pid keeps concurrent runs apart.
pub struct TestDir(PathBuf);

impl TestDir {
    /// A fresh, empty directory; `name` must be unique among the crate's tests.
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("clustersim-reports-{name}-{}", std::process::id()));
        // Left over only if an earlier process with the same pid crashed mid-test.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TestDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The names of the entries of the directory, hidden ones included, sorted.
    pub fn file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
