//! The documents beta.gouv.fr's templates read, rebuilt from our rows, and the few rules of
//! Liquid and Ruby that turn them into the v2.7 files.
//!
//! A record imported from a content tree keeps its file's front matter and body
//! ([`SourceDoc`]): its document is that, so that the files print what the source wrote (a link
//! with its trailing space, a phase under its older name, fields the model does not hold). A
//! field a write through the API changed was forgotten there at the write, and comes from the
//! row, as does every field of a record created through the API.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::db::incubators::Incubator;
use crate::db::organisations::Organisation;
use crate::db::startups::{Relations, Startup};
use crate::domain::source::SourceDoc;

/// Where an organisation's page lives in the tree: how references to it are written.
const ORGANISATION_PREFIX: &str = "/organisations/";

/// A record's id and its document.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub data: Map<String, Value>,
    pub content: String,
}

impl Document {
    /// `data[key]`, absent when null.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.data.get(key).filter(|v| !v.is_null())
    }

    /// `{{ data.key }}`.
    pub fn print(&self, key: &str) -> String {
        liquid(self.get(key))
    }

    /// `{% if data.key %}`.
    pub fn truthy(&self, key: &str) -> bool {
        truthy(self.get(key))
    }

    /// `data[key]` as Ruby's `JSON.pretty_generate` writes it: the value, or `null`.
    pub fn raw(&self, key: &str) -> Value {
        self.get(key).cloned().unwrap_or(Value::Null)
    }

    /// `{% for item in data.key %}`: a list's items, a text alone, nothing for anything else.
    pub fn each(&self, key: &str) -> Vec<&Value> {
        match self.get(key) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(text @ Value::String(s)) if !s.is_empty() => vec![text],
            Some(other @ (Value::Object(_) | Value::Number(_) | Value::Bool(_))) => vec![other],
            _ => Vec::new(),
        }
    }

    /// The ids of the incubators of a startup, as upstream's model reads them: `incubators`
    /// when the file lists some, else `incubator`.
    pub fn incubator_ids(&self) -> Vec<String> {
        let listed: Vec<String> = match self.get("incubators") {
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| liquid(Some(v)))
                .collect(),
            Some(other) => vec![liquid(Some(other))],
            None => Vec::new(),
        };
        if listed.is_empty() {
            self.get("incubator")
                .map(|v| liquid(Some(v)))
                .into_iter()
                .collect()
        } else {
            listed
        }
    }
}

/// A value as `{{ value }}` prints it: text as it is, `nil` as nothing, a list as its items
/// one after the other.
pub fn liquid(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) => items.iter().map(|v| liquid(Some(v))).collect(),
        Some(object @ Value::Object(_)) => object.to_string(),
    }
}

/// Liquid's truth: everything but `nil` and `false`, the empty text included.
pub fn truthy(value: Option<&Value>) -> bool {
    !matches!(value, None | Some(Value::Null | Value::Bool(false)))
}

/// Liquid's `escape` filter (Ruby's `CGI.escapeHTML`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// What a reader of a template's JSON gets for text printed between quotes: the template does
/// not escape it, so a backslash sequence in the source is read as a JSON escape.
pub fn as_read(printed: String) -> String {
    if printed.contains('\\') {
        serde_json::from_str(&format!("\"{printed}\"")).unwrap_or(printed)
    } else {
        printed
    }
}

/// Puts `value` under `key` unless it is absent or empty: the rows' side of a document only
/// says what the record holds.
fn put(data: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    if !empty {
        data.insert(key.to_owned(), value);
    }
}

/// The document of a record: its source's front matter, then what the rows hold that the
/// source does not (all of it for a record never imported or whose fields a write changed).
fn document(
    id: &str,
    rows: Map<String, Value>,
    description: Option<&str>,
    source: Option<SourceDoc>,
) -> Document {
    let (mut data, content) = match source {
        Some(source) => (source.front_matter, source.content),
        None => (Map::new(), None),
    };
    for (key, value) in rows {
        data.entry(key).or_insert(value);
    }
    Document {
        id: id.to_owned(),
        data,
        content: content.unwrap_or_else(|| description.unwrap_or_default().to_owned()),
    }
}

/// A startup's document.
pub fn startup(startup: &Startup, relations: &Relations, source: Option<SourceDoc>) -> Document {
    let rows = startup_fields(startup, relations);
    document(&startup.id, rows, startup.description.as_deref(), source)
}

/// What a startup's rows say of its front matter.
pub fn startup_fields(startup: &Startup, relations: &Relations) -> Map<String, Value> {
    let mut rows = Map::new();
    put(&mut rows, "title", json!(startup.name));
    put(&mut rows, "mission", json!(startup.pitch));
    put(&mut rows, "incubator", json!(startup.incubator_id));
    if !relations.co_incubators.is_empty() {
        let all: Vec<&String> = (startup.incubator_id.iter())
            .chain(&relations.co_incubators)
            .collect();
        put(&mut rows, "incubators", json!(all));
    }
    let sponsors: Vec<String> = (relations.sponsors.iter())
        .map(|s| format!("{ORGANISATION_PREFIX}{s}"))
        .collect();
    put(&mut rows, "sponsors", json!(sponsors));
    let phases: Vec<Value> = (relations.phases.iter())
        .map(|p| {
            let mut phase = Map::new();
            phase.insert("name".into(), json!(p.phase_id));
            phase.insert("start".into(), json!(p.start_date.to_string()));
            put(&mut phase, "end", json!(p.end_date.map(|d| d.to_string())));
            Value::Object(phase)
        })
        .collect();
    put(&mut rows, "phases", Value::Array(phases));
    let events: Vec<Value> = (relations.events.iter())
        .map(|e| {
            let mut event = Map::new();
            event.insert("name".into(), json!(e.name));
            event.insert("date".into(), json!(e.date.to_string()));
            put(&mut event, "comment", json!(e.comment));
            Value::Object(event)
        })
        .collect();
    put(&mut rows, "events", Value::Array(events));
    put(&mut rows, "contact", json!(startup.contact));
    put(&mut rows, "link", json!(startup.link));
    put(&mut rows, "repository", json!(startup.repository));
    put(&mut rows, "usertypes", json!(relations.usertypes));
    put(&mut rows, "thematiques", json!(relations.thematiques));
    put(&mut rows, "techno", json!(relations.techno));
    put(&mut rows, "stats_url", json!(startup.stats_url));
    put(
        &mut rows,
        "accessibility_status",
        json!(startup.accessibility_status),
    );
    rows
}

/// An incubator's document.
pub fn incubator(incubator: &Incubator, source: Option<SourceDoc>) -> Document {
    let rows = incubator_fields(incubator);
    document(
        &incubator.id,
        rows,
        incubator.description.as_deref(),
        source,
    )
}

/// What an incubator's row says of its front matter.
pub fn incubator_fields(incubator: &Incubator) -> Map<String, Value> {
    let mut rows = Map::new();
    put(&mut rows, "title", json!(incubator.title));
    let owner = (incubator.owner_id.as_ref()).map(|o| format!("{ORGANISATION_PREFIX}{o}"));
    put(&mut rows, "owner", json!(owner));
    put(&mut rows, "website", json!(incubator.website));
    put(&mut rows, "contact", json!(incubator.contact));
    put(&mut rows, "address", json!(incubator.address));
    rows
}

/// An organisation's document.
pub fn organisation(organisation: &Organisation, source: Option<SourceDoc>) -> Document {
    document(
        &organisation.id,
        organisation_fields(organisation),
        None,
        source,
    )
}

/// What an organisation's row says of its front matter.
pub fn organisation_fields(organisation: &Organisation) -> Map<String, Value> {
    let mut rows = Map::new();
    put(&mut rows, "name", json!(organisation.name));
    put(&mut rows, "acronym", json!(organisation.acronym));
    put(&mut rows, "type", json!(organisation.kind));
    rows
}

/// The front-matter fields whose value a write changed, from the rows' fields before and after.
pub fn changed_fields(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A sponsor reference without its `/organisations/` prefix, as the templates' `remove` does.
pub fn without_organisation_prefix(reference: &str) -> String {
    reference.replace(ORGANISATION_PREFIX, "")
}

/// JSON whose objects keep the order their members were written in, as the templates and
/// Ruby's hashes do.
#[derive(Debug, Clone)]
pub enum Out {
    Value(Value),
    Object(Vec<(&'static str, Out)>),
    Array(Vec<Out>),
}

impl From<Value> for Out {
    fn from(value: Value) -> Self {
        Self::Value(value)
    }
}

impl From<String> for Out {
    fn from(text: String) -> Self {
        Self::Value(Value::String(text))
    }
}

impl Serialize for Out {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Self::Value(value) => value.serialize(serializer),
            Self::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liquid_prints_and_tests_values_as_jekyll_does() {
        assert_eq!(liquid(None), "");
        assert_eq!(liquid(Some(&json!(2020))), "2020");
        assert_eq!(liquid(Some(&json!(["a", "b"]))), "ab");
        assert!(truthy(Some(&json!(""))));
        assert!(!truthy(Some(&json!(false))) && !truthy(Some(&Value::Null)));
        assert_eq!(escape("L'État & <co>"), "L&#39;État &amp; &lt;co&gt;");
        assert_eq!(as_read(r"a\u00e9".to_owned()), "aé");
        assert_eq!(as_read(r"a\q".to_owned()), r"a\q");
    }

    #[test]
    fn the_source_wins_and_the_rows_fill_in() {
        let source = SourceDoc {
            front_matter: serde_json::from_str(r#"{"title": "Titre", "link": "https://a.fr "}"#)
                .expect("JSON"),
            content: Some("Corps\n".into()),
        };
        let organisation_row = Organisation {
            id: "o".into(),
            name: "Nom".into(),
            acronym: Some("N".into()),
            kind: "autre".into(),
        };
        let doc = organisation(&organisation_row, Some(source));
        assert_eq!(doc.print("title"), "Titre");
        assert_eq!(doc.print("link"), "https://a.fr ");
        assert_eq!(doc.print("name"), "Nom");
        assert_eq!(doc.content, "Corps\n");
        let doc = document("s", Map::new(), Some("Description"), None);
        assert_eq!(doc.content, "Description");
        assert_eq!(doc.incubator_ids(), Vec::<String>::new());
    }

    #[test]
    fn a_write_changes_the_fields_it_touches_only() {
        let before = organisation_fields(&Organisation {
            id: "o".into(),
            name: "Nom".into(),
            acronym: Some("N".into()),
            kind: "autre".into(),
        });
        let mut after = before.clone();
        after.insert("name".into(), json!("Autre nom"));
        after.remove("acronym");
        assert_eq!(changed_fields(&before, &after), vec!["acronym", "name"]);
        assert!(changed_fields(&before, &before).is_empty());
    }
}
