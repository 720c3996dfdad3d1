//! RON text → any file type of clustersim (experiment, sweep): the one place that knows the
//! input is RON. Errors of the parser itself come with the `ron` crate's position; a value
//! that parsed but was refused is pointed at through [`crate::locate`].

use std::path::Path;

use ron::extensions::Extensions;

use crate::error::{InputError, Position};
use crate::locate;

/// RON text → `T`, with `implicit_some` on, so an optional value is written plainly; the first
/// error with its position and field path.
pub fn parse_ron<T: serde::de::DeserializeOwned>(file: &Path, src: &str) -> Result<T, InputError> {
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let mut de = ron::Deserializer::from_str_with_options(src, &options)
        .map_err(|e| spanned(file, String::new(), &e))?;
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        let code = e.into_inner();
        // For a value that parsed but was refused (a bad unit, a negative count) `ron` reports
        // where its cursor stopped, past the value's start: point at the value itself.
        let refused_value = matches!(
            code,
            ron::Error::Message(_)
                | ron::Error::IntegerOutOfBounds
                | ron::Error::InvalidValueForType { .. }
        );
        let mut located = spanned(file, field, &de.span_error(code));
        if refused_value
            && let Some(start) = locate::locate_exact(src, &locate::parse_path(&located.field))
        {
            located.position = Some(start);
        }
        located
    })?;
    de.end()
        .map_err(|e| spanned(file, String::new(), &de.span_error(e)))?;
    Ok(value)
}

fn spanned(file: &Path, field: String, e: &ron::error::SpannedError) -> InputError {
    InputError {
        file: file.to_owned(),
        position: Some(Position {
            line: e.span.start.line,
            col: e.span.start.col,
        }),
        field,
        message: e.code.to_string(),
    }
}
