//! A small delimiter-separated-values reader and writer (RFC 4180 quoting).

use crate::{Error, Result};

/// One parsed record with the one-based line number it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// Parses `text` into records. Empty lines are skipped. Fields may be quoted with `"`; a quote
/// inside a quoted field is written twice. Line endings are `\n` or `\r\n`.
pub(crate) fn parse(text: &str, delimiter: char) -> Result<Vec<Record>> {
    if delimiter == '"' || delimiter == '\n' || delimiter == '\r' {
        return Err(Error::invalid_argument(
            "delimiter must not be a quote or line break",
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut in_quotes = false;
    let mut quoted_field = false;
    let mut after_quote = false;
    let mut record_has_content = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        in_quotes = false;
                        after_quote = true;
                    }
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        if c == delimiter {
            fields.push(core::mem::take(&mut field));
            quoted_field = false;
            after_quote = false;
            record_has_content = true;
            continue;
        }
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if record_has_content || !field.is_empty() || quoted_field {
                    fields.push(core::mem::take(&mut field));
                    records.push(Record {
                        line: start_line,
                        fields: core::mem::take(&mut fields),
                    });
                }
                quoted_field = false;
                after_quote = false;
                record_has_content = false;
                line += 1;
                start_line = line;
            }
            '"' if field.is_empty() && !quoted_field => {
                in_quotes = true;
                quoted_field = true;
                record_has_content = true;
            }
            _ => {
                if after_quote {
                    return Err(Error::Parse {
                        line,
                        message: "unexpected character after a closing quote".into(),
                    });
                }
                if c == '"' {
                    return Err(Error::Parse {
                        line,
                        message: "quote inside an unquoted field".into(),
                    });
                }
                field.push(c);
                record_has_content = true;
            }
        }
    }
    if in_quotes {
        return Err(Error::Parse {
            line: start_line,
            message: "unterminated quoted field".into(),
        });
    }
    if record_has_content || !field.is_empty() || quoted_field {
        fields.push(field);
        records.push(Record {
            line: start_line,
            fields,
        });
    }
    Ok(records)
}

/// Appends one field to `out`, quoting it when needed (`alone`: the record's only field, which
/// is quoted when empty so that the record is not read back as an empty line).
pub(crate) fn write_field(out: &mut String, value: &str, delimiter: char, alone: bool) {
    let needs_quotes = value.contains(delimiter)
        || value.contains('"')
        || value.contains('\n')
        || value.contains('\r')
        || value.starts_with('\u{feff}')
        || (alone && value.is_empty());
    if needs_quotes {
        out.push('"');
        for c in value.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends one record (fields joined by `delimiter`, then `\n`).
pub(crate) fn write_record<'a>(
    out: &mut String,
    fields: impl ExactSizeIterator<Item = &'a str>,
    delimiter: char,
) {
    let alone = fields.len() == 1;
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        write_field(out, f, delimiter, alone);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_quotes_and_blank_lines() {
        let r = parse("a;b\n\n\"x;y\";\"q\"\"q\"\r\nlast;", ';').unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].fields, vec!["x;y".to_string(), "q\"q".to_string()]);
        assert_eq!(r[1].line, 3);
        assert_eq!(r[2].fields, vec!["last".to_string(), String::new()]);
    }

    #[test]
    fn fail_unterminated_quote_names_line() {
        let err = parse("a\n\"b", ';').unwrap_err();
        assert!(matches!(err, Error::Parse { line: 2, .. }));
    }

    #[test]
    fn write_then_parse_round_trips() {
        let mut s = String::new();
        write_record(&mut s, ["a;b", "c\"d", "e"].into_iter(), ';');
        write_record(&mut s, [""].into_iter(), ';');
        write_record(&mut s, ["\u{feff}x"].into_iter(), ';');
        let r = parse(&s, ';').unwrap();
        assert_eq!(r[0].fields, vec!["a;b", "c\"d", "e"]);
        assert_eq!(r[1].fields, vec![""]);
        assert_eq!(r[2].fields, vec!["\u{feff}x"]);
    }
}
