//! The one error a user sees for bad input: where it is (file, line, column, field path) and
//! what was expected. Every such error exits with code 2 before anything is written.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::locate::{self, Position};

/// Bad input, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    pub position: Option<Position>,
    /// Field path such as `services[1].traffic.amplitude`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl InputError {
    /// An error about the value at `field`, located in `src` by its path.
    pub fn at_field(file: &Path, src: &str, field: &str, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_owned(),
            position: locate::locate(src, &locate::parse_path(field)),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// An error about the file as a whole (it cannot be read, say).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_owned(),
            position: None,
            field: String::new(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.col)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}
