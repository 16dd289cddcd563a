//! A Markdown file of the content tree: YAML front matter between two `---` lines, then a body.
//!
//! Upstream writes the same field in several shapes (a date as text or as a number, a list or
//! a single value), so the front matter is read as loose [`Value`]s and each field is
//! interpreted, and reported on, by [`super::mapping`].

use serde_norway::{Mapping, Value};

/// A file split into its fields and its Markdown body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub fields: Mapping,
    pub body: String,
}

/// Why a file has no usable front matter; the file is then rejected as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("the file does not begin with a `---` line opening its front matter")]
    Missing,
    #[error("the front matter opened by `---` is never closed by another `---` line")]
    Unclosed,
    #[error("the front matter is not valid YAML: {0}")]
    Yaml(String),
    #[error("the front matter is not a mapping of fields")]
    NotMapping,
}

/// Splits `text` into its front matter (the YAML between the fences) and its body.
pub fn split(text: &str) -> Result<(&str, &str), FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let after_open = first_line_is_fence(text).ok_or(FrontMatterError::Missing)?;
    let rest = &text[after_open..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if is_fence(line) {
            return Ok((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(FrontMatterError::Unclosed)
}

/// Where the line after an opening fence starts, when `text` opens with one.
fn first_line_is_fence(text: &str) -> Option<usize> {
    let line = text.split_inclusive('\n').next()?;
    is_fence(line).then_some(line.len())
}

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Reads a whole file: its front matter as a mapping (an empty one when the fences hold
/// nothing) and its body.
pub fn parse(text: &str) -> Result<Document, FrontMatterError> {
    let (yaml, body) = split(text)?;
    let fields = match serde_norway::from_str::<Value>(yaml) {
        Ok(Value::Mapping(fields)) => fields,
        Ok(Value::Null) => Mapping::new(),
        Ok(_) => return Err(FrontMatterError::NotMapping),
        Err(e) => return Err(FrontMatterError::Yaml(e.to_string())),
    };
    Ok(Document {
        fields,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_from_body() {
        let (yaml, body) = split("---\ntitle: A\n---\n# Body\ntext\n").expect("split");
        assert_eq!(yaml, "title: A\n");
        assert_eq!(body, "# Body\ntext\n");
    }

    #[test]
    fn accepts_crlf_a_byte_order_mark_and_an_empty_body() {
        let (yaml, body) = split("\u{feff}---\r\ntitle: A\r\n---\r\n").expect("split");
        assert_eq!(yaml, "title: A\r\n");
        assert_eq!(body, "");
        let (yaml, body) = split("---\ntitle: A\n---").expect("closing fence at the very end");
        assert_eq!((yaml, body), ("title: A\n", ""));
    }

    #[test]
    fn a_horizontal_rule_in_the_body_is_not_a_fence() {
        let doc = parse("---\ntitle: A\n---\nbefore\n---\nafter\n").expect("parse");
        assert_eq!(doc.body, "before\n---\nafter\n");
        assert_eq!(doc.fields.len(), 1);
    }

    #[test]
    fn rejects_files_without_usable_front_matter() {
        assert_eq!(split("title: A\n"), Err(FrontMatterError::Missing));
        assert_eq!(split(""), Err(FrontMatterError::Missing));
        assert_eq!(split("---\ntitle: A\n"), Err(FrontMatterError::Unclosed));
        assert_eq!(
            parse("---\n- a\n- b\n---\n"),
            Err(FrontMatterError::NotMapping)
        );
        assert!(matches!(
            parse("---\ntitle: [unclosed\n---\n"),
            Err(FrontMatterError::Yaml(_))
        ));
        let empty = parse("---\n---\nbody\n").expect("empty front matter");
        assert!(empty.fields.is_empty());
    }
}
