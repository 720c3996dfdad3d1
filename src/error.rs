//! The one error a user sees for bad input: where it is (file, line, column, field path) and
//! what was expected. Every such error exits with code 2 before anything is written.
//!
//! Checks run on the deserialized experiment and know only a field path such as
//! `services[1].traffic`: they return a [`FieldError`]. Turning the path into `line:col` is the
//! job of a [`Locator`] for the format the file was written in (RON today:
//! `crate::locate::RonLocator`), so a second input format plugs in beside it without touching
//! the checks.

use std::fmt;
use std::path::{Path, PathBuf};

/// 1-based line and column (column counted in chars, like the `ron` crate's `Position`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

/// Where a field path sits in the text of one input file, for one input format.
pub trait Locator {
    /// Where the value at `field` (such as `services[1].traffic.amplitude`) starts, or the
    /// closest enclosing value that exists (so an error about a missing field points at the
    /// struct that lacks it); `None` when the text cannot tell.
    fn locate(&self, field: &str) -> Option<Position>;
}

/// A check that failed: the field path (serde's spelling, `services[1].traffic.Sum[0].rps`)
/// and what was expected. Not yet tied to a file or a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Empty for the experiment as a whole.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error with `prefix.` before its field (`prefix` alone for an empty field).
    pub fn within(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        FieldError { field, ..self }
    }

    /// The error located in `file` by `locator`.
    pub fn located(self, file: &Path, locator: &dyn Locator) -> InputError {
        InputError::at_field(file, locator, &self.field, self.message)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

/// `Err` of a [`FieldError`] at `field`: the checks' one-line way to refuse a value.
pub fn fail<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError::new(field, message))
}

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
    /// An error about the value at `field`, located by `locator`; an empty field is the whole
    /// file, with no position.
    pub fn at_field(
        file: &Path,
        locator: &dyn Locator,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            file: file.to_owned(),
            position: if field.is_empty() {
                None
            } else {
                locator.locate(field)
            },
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
