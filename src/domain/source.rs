//! What an imported record's file held: its front matter, as JSON, and its Markdown body, kept
//! beside the rows so that nothing of the source is lost. The fields the model does not hold
//! live only here, and beta.gouv.fr's own files print the rest as the source wrote it (a link
//! with a trailing space, a phase under its older name).
//!
//! A write through the API changes some of the model's fields: it [`forgets`](SourceDoc::forget)
//! them here, and readers take them from the rows from then on.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kinds of record a content tree holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    Organisation,
    Incubator,
    Startup,
}

impl RecordKind {
    /// In the order references need them.
    pub const ALL: [Self; 3] = [Self::Organisation, Self::Incubator, Self::Startup];

    /// The folder of a content tree holding this kind.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Organisation => "_organisations",
            Self::Incubator => "_incubators",
            Self::Startup => "_startups",
        }
    }

    /// The resource name of the change feed.
    pub fn resource(self) -> &'static str {
        match self {
            Self::Organisation => "organisation",
            Self::Incubator => "incubator",
            Self::Startup => "startup",
        }
    }
}

/// One file of a content tree, as read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceDoc {
    /// The front matter, key by key in the file's order; dates as `YYYY-MM-DD` text.
    pub front_matter: Map<String, Value>,
    /// The Markdown after the front matter, byte for byte; `None` once a write replaced the
    /// description.
    pub content: Option<String>,
}

impl SourceDoc {
    /// Drops what a write through the API replaced: the front-matter fields `fields`, and the
    /// body when `content` (the description changed).
    pub fn forget(&mut self, fields: &[String], content: bool) {
        self.front_matter.retain(|key, _| !fields.contains(key));
        if content {
            self.content = None;
        }
    }

    /// The document as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored document; `None` for text that is not one (never written by us).
    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// A field of the front matter, absent when null.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.front_matter.get(key).filter(|v| !v.is_null())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_forgets_what_it_changed_and_keeps_the_rest() {
        let mut doc = SourceDoc {
            front_matter: serde_json::from_str(
                r#"{"title": "A", "link": "https://a.fr ", "budget_url": "https://b.fr"}"#,
            )
            .expect("JSON"),
            content: Some("Body\n".into()),
        };
        let stored = SourceDoc::from_json(&doc.to_json()).expect("round trip");
        assert_eq!(stored, doc);
        doc.forget(&["title".to_owned()], false);
        let keys: Vec<&str> = doc.front_matter.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["link", "budget_url"], "in the file's order");
        assert_eq!(doc.content.as_deref(), Some("Body\n"));
        doc.forget(&[], true);
        assert_eq!(doc.content, None);
    }
}
