//! Reading an input file's text with limits that hold *while* reading, and quoting it safely.
//!
//! A trace path may name anything: a device (`/dev/zero` never ends, `/dev/urandom` is not
//! text), a huge unrelated file, a system file. Checking the size from the file's metadata
//! first is not enough (a device reports 0 bytes), so [`read_text`] reads through a bounded
//! reader and stops at the first line that is too long or not UTF-8, or once the file passes
//! its size limit: a device fails after at most one line's bytes, never after gigabytes.
//! [`excerpt`] is how an error quotes what it read: a few escaped characters, never a whole
//! line of a file that may hold anything.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{MAX_TRACE_BYTES, TraceError};

/// Bytes of one line of a trace, at most: a CSV row is a few dozen bytes, so a longer line
/// means the file is not a trace, and reading stops there.
pub const MAX_TRACE_LINE_BYTES: usize = 64 * 1024;

/// Characters an error quotes of a field or header it could not use, at most.
pub const MAX_EXCERPT_CHARS: usize = 40;

/// The text of the trace file at `path`, at most [`MAX_TRACE_BYTES`] bytes and lines of at
/// most [`MAX_TRACE_LINE_BYTES`] bytes, UTF-8: the first violation, with its row.
pub fn read_text(path: &Path) -> Result<String, TraceError> {
    let file = std::fs::File::open(path)
        .map_err(|e| TraceError::whole(format!("cannot read the file: {e}")))?;
    read_bounded(file, MAX_TRACE_BYTES, MAX_TRACE_LINE_BYTES)
}

/// `reader`'s text, line by line, refused as soon as it passes `max_bytes` in all, a line
/// passes `max_line_bytes`, or a line is not UTF-8; rows are counted from 1.
pub fn read_bounded(
    reader: impl Read,
    max_bytes: u64,
    max_line_bytes: usize,
) -> Result<String, TraceError> {
    let mut reader = BufReader::new(reader.take(max_bytes.saturating_add(1)));
    let mut text = String::new();
    let mut line = Vec::new();
    let mut total: u64 = 0;
    for row in 1.. {
        line.clear();
        let n = (&mut reader)
            .take(max_line_bytes as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| TraceError::whole(format!("cannot read the file: {e}")))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        let at_row = |message: String| TraceError {
            row: Some(row),
            column: None,
            message,
        };
        if total > max_bytes {
            return Err(TraceError::whole(format!(
                "the file is larger than the limit of {max_bytes} bytes: expected a shorter trace"
            )));
        }
        if line.last() != Some(&b'\n') && line.len() > max_line_bytes {
            return Err(at_row(format!(
                "a line longer than {max_line_bytes} bytes: expected a CSV trace"
            )));
        }
        match std::str::from_utf8(&line) {
            Ok(s) => text.push_str(s),
            Err(e) => {
                return Err(at_row(format!(
                    "byte {} of the line is not UTF-8 text: expected a CSV trace",
                    e.valid_up_to() + 1
                )));
            }
        }
    }
    Ok(text)
}

/// `text` as an error may quote it: control characters, quotes and backslashes escaped, cut
/// to at most [`MAX_EXCERPT_CHARS`] characters with `…` where it was cut.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for c in text.chars() {
        let piece: String = if c.is_control() || c == '"' || c == '\\' {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        let len = piece.chars().count();
        if chars + len > MAX_EXCERPT_CHARS - 1 {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        chars += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(reader: impl Read, max_bytes: u64, max_line: usize) -> String {
        read_bounded(reader, max_bytes, max_line)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn text_within_the_limits_is_read_as_it_is() {
        let text = "a,b\r\n1,2\n\n3,4";
        assert_eq!(read_bounded(text.as_bytes(), 14, 5).unwrap(), text);
    }

    #[test]
    fn an_endless_stream_of_zeros_stops_at_the_first_long_line() {
        // `/dev/zero` as a reader that never ends: refused after 9 bytes of an 8-byte line.
        assert_eq!(
            refused(std::io::repeat(0), 1 << 30, 8),
            "row 1: a line longer than 8 bytes: expected a CSV trace"
        );
    }

    #[test]
    fn the_size_limit_holds_while_reading() {
        // Lines of 4 bytes ("ab,\n"): the 16-byte limit is passed by the fifth line.
        let bytes = b"ab,\n".repeat(100);
        assert_eq!(
            refused(&bytes[..], 16, 8),
            "the file is larger than the limit of 16 bytes: expected a shorter trace"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_name_their_row_and_byte() {
        assert_eq!(
            refused(&b"t,v\n0,\xff1\n"[..], 100, 100),
            "row 2: byte 3 of the line is not UTF-8 text: expected a CSV trace"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_fail_fast() {
        for device in ["/dev/zero", "/dev/urandom"] {
            let e = read_text(Path::new(device)).unwrap_err();
            assert_eq!(e.row, Some(1), "{device}: {e}");
        }
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("zero"), "zero");
        assert_eq!(excerpt("a\tb\"c\u{1b}"), "a\\tb\\\"c\\u{1b}");
        let long = "x".repeat(100);
        assert_eq!(excerpt(&long), format!("{}…", "x".repeat(39)));
        assert_eq!(excerpt(&long).chars().count(), MAX_EXCERPT_CHARS);
        // An escape is never cut in half.
        let e = excerpt(&format!("{}\n", "y".repeat(38)));
        assert_eq!(e, format!("{}…", "y".repeat(38)));
    }
}
