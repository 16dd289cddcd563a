//! A Markdown file of the content tree: YAML front matter between two `---` lines, then a body.
//!
//! Upstream writes the same field in several shapes (a date as text or as a number, a list or
//! a single value), so the front matter is read as loose [`Value`]s and each field is
//! interpreted, and reported on, by [`super::mapping`].

use serde_norway::{Mapping, Value};

use crate::domain::source::SourceDoc;

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

/// The document as kept beside the record: the front matter as JSON, the body as it is.
pub fn source_doc(doc: &Document) -> SourceDoc {
    let front_matter = doc
        .fields
        .iter()
        .filter_map(|(key, value)| Some((scalar_key(key)?, json_value(value))))
        .collect();
    SourceDoc {
        front_matter,
        content: Some(jekyll_content(&doc.body).to_owned()),
    }
}

/// The body as Jekyll's content: its pattern for the closing fence (`^---\s*$\n?`) also takes
/// the blank lines after it, up to the last line end of the whitespace that follows.
fn jekyll_content(body: &str) -> &str {
    // `body` follows the fence line's own line end, which the pattern may take too.
    let blank = body.len() - body.trim_start().len();
    match body[..blank].rfind('\n') {
        Some(end) => &body[end + 1..],
        None if blank == body.len() => "",
        None => body,
    }
}

/// A mapping key as text; `None` for a list or a mapping used as a key.
fn scalar_key(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Tagged(tagged) => scalar_key(&tagged.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// A YAML value as JSON: a date stays the `YYYY-MM-DD` text it is written as, a tag is dropped.
fn json_value(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => items.iter().map(json_value).collect(),
        Value::Mapping(fields) => serde_json::Value::Object(
            fields
                .iter()
                .filter_map(|(key, value)| Some((scalar_key(key)?, json_value(value))))
                .collect(),
        ),
        Value::Tagged(tagged) => json_value(&tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_jekyll_s() {
        assert_eq!(jekyll_content("\n## Contexte\n"), "## Contexte\n");
        assert_eq!(jekyll_content(" \n\n  texte\n"), "  texte\n");
        assert_eq!(jekyll_content("texte"), "texte");
        assert_eq!(jekyll_content("\n\n"), "");
        assert_eq!(jekyll_content(""), "");
    }

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
