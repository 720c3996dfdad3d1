//! Finding and reading the manifests: files named on the command line and, in directories,
//! every `.yaml`/`.yml` file below them in sorted order (so the experiment written is the same
//! on every machine); each file a multi-document stream; a `kind: List` (what `kubectl get -o
//! yaml` prints) stands for its `items`.

use std::path::{Path, PathBuf};

use crate::error::InputError;

use super::walk::At;
use super::yaml::{self, Node, Value};

/// One file's documents.
pub struct Manifest {
    pub file: PathBuf,
    pub documents: Vec<Node>,
}

impl Manifest {
    /// Every object of the file: its documents, a `List`'s items in its place.
    pub fn objects(&self) -> Result<Vec<At<'_>>, InputError> {
        let mut out = Vec::new();
        for doc in &self.documents {
            let root = At::root(&self.file, doc, String::new());
            let is_list = matches!(&doc.value, Value::Map(m)
                if m.iter().any(|(k, v)| k == "kind" && v.value == Value::Str("List".into())));
            if is_list {
                out.extend(root.need("items")?.items()?);
            } else {
                out.push(root);
            }
        }
        Ok(out)
    }
}

/// The manifests under `paths`, read and parsed, in the order given (a directory's files
/// sorted by path). Refuses a path that does not exist and a directory without manifests.
pub fn read(paths: &[PathBuf]) -> Result<Vec<Manifest>, InputError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = files.len();
            collect(p, &mut files)?;
            files[before..].sort();
            if files.len() == before {
                return Err(InputError::whole_file(
                    p,
                    "no .yaml or .yml file in this directory",
                ));
            }
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(InputError::whole_file(p, "no such file or directory"));
        }
    }
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| InputError::whole_file(&file, format!("cannot read: {e}")))?;
            let documents = yaml::documents(&file, &text)?;
            Ok(Manifest { file, documents })
        })
        .collect()
}

/// Every `.yaml`/`.yml` file below `dir`.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::whole_file(dir, format!("cannot read: {e}")))?;
    for entry in entries {
        let path = entry
            .map_err(|e| InputError::whole_file(dir, format!("cannot read: {e}")))?
            .path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}
