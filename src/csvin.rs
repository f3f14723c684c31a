//! The CSV files the commands import (the yearly calendar, a reorganisation plan): a header
//! that must name the expected columns, and rows whose errors are named by their line (the
//! header is line 1).

use crate::error::{AppError, AppResult};

/// A reader over `text` whose header is `required`, then any of `optional` in that order.
pub fn reader<'a>(
    text: &'a str,
    required: &[&str],
    optional: &[&str],
) -> AppResult<csv::Reader<&'a [u8]>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::invalid("line 1", e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let fits = header.len() >= required.len()
        && header.len() <= required.len() + optional.len()
        && header
            .iter()
            .zip(required.iter().chain(optional))
            .all(|(h, e)| h == e);
    if !fits {
        let mut expected = required.join(",");
        if !optional.is_empty() {
            expected.push_str(&format!(" (then optionally {})", optional.join(",")));
        }
        return Err(AppError::invalid(
            "line 1",
            format!("the header must be `{expected}`"),
        ));
    }
    Ok(reader)
}

/// The name of row `i` (0-based, after the header) in error messages.
pub fn line(i: usize) -> String {
    format!("line {}", i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_must_match() {
        assert!(reader("a,b\n1,2\n", &["a", "b"], &[]).is_ok());
        assert!(reader("a,b,c\n", &["a", "b"], &["c"]).is_ok());
        assert!(reader("a\n", &["a", "b"], &[]).is_err());
        assert!(reader("a,b,d\n", &["a", "b"], &["c"]).is_err());
        assert!(reader("b,a\n", &["a", "b"], &[]).is_err());
    }
}
