//! The columns of a CSV export, described once: the header row, and the fields of the
//! TableSchema descriptor (frictionless, as schema.data.gouv.fr publishes them) that reusers
//! validate the file against.
//!
//! Each exported type lists its [`Column`]s next to the code that writes its records, so the
//! header, the cells and the descriptor cannot drift apart.

use serde_json::{Value, json};

/// A TableSchema field type, limited to those the exports use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 in UTC: `YYYY-MM-DDThh:mm:ssZ`.
    Datetime,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
        }
    }

    /// Whether `cell`, not empty, is a value of this type as a TableSchema validator reads it.
    pub fn admits(self, cell: &str) -> bool {
        match self {
            FieldType::String => true,
            FieldType::Integer => cell.parse::<i64>().is_ok(),
            FieldType::Number => cell.parse::<f64>().is_ok_and(f64::is_finite),
            FieldType::Date => chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d").is_ok(),
            FieldType::Datetime => chrono::DateTime::parse_from_rfc3339(cell).is_ok(),
        }
    }
}

/// One CSV column: its name, its type and the constraints on its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub field_type: FieldType,
    /// What the column holds, in English, the language of the API.
    pub description: &'static str,
    /// The same in French, the language of its public; the descriptor puts it first.
    pub description_fr: &'static str,
    /// A short label, in French: the `title` of the field.
    pub title: &'static str,
    /// A value the column may hold, as a cell writes it.
    pub example: &'static str,
    /// Whether every row has a value (an empty cell is a missing value).
    pub required: bool,
    /// Whether no two rows share a value.
    pub unique: bool,
    /// The only values allowed; empty when any value of the type is.
    pub values: &'static [&'static str],
    /// A TableSchema string format: `uri` or `email`.
    pub format: Option<&'static str>,
}

impl Column {
    pub const fn new(name: &'static str, field_type: FieldType, description: &'static str) -> Self {
        Self {
            name,
            field_type,
            description,
            description_fr: "",
            title: "",
            example: "",
            required: false,
            unique: false,
            values: &[],
            format: None,
        }
    }

    pub const fn text(name: &'static str, description: &'static str) -> Self {
        Self::new(name, FieldType::String, description)
    }

    pub const fn date(name: &'static str, description: &'static str) -> Self {
        Self::new(name, FieldType::Date, description)
    }

    /// Its French title and description.
    pub const fn fr(self, title: &'static str, description_fr: &'static str) -> Self {
        Self {
            title,
            description_fr,
            ..self
        }
    }

    pub const fn example(self, example: &'static str) -> Self {
        Self { example, ..self }
    }

    pub const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    /// Required and unique: the column identifies a row.
    pub const fn key(self) -> Self {
        Self {
            required: true,
            unique: true,
            ..self
        }
    }

    pub const fn one_of(self, values: &'static [&'static str]) -> Self {
        Self { values, ..self }
    }

    pub const fn uri(self) -> Self {
        Self {
            format: Some("uri"),
            ..self
        }
    }

    /// The TableSchema field descriptor: TableSchema has no language tags, so the French comes
    /// first, then ` — ` and the English.
    pub fn descriptor(&self) -> Value {
        let description = if self.description_fr.is_empty() {
            self.description.to_owned()
        } else {
            format!("{} — {}", self.description_fr, self.description)
        };
        let mut field = json!({
            "name": self.name,
            "type": self.field_type.name(),
        });
        if !self.title.is_empty() {
            field["title"] = self.title.into();
        }
        field["description"] = description.into();
        if !self.example.is_empty() {
            field["example"] = self.example.into();
        }
        if let Some(format) = self.format {
            field["format"] = format.into();
        }
        let mut constraints = serde_json::Map::new();
        if self.required {
            constraints.insert("required".into(), true.into());
        }
        if self.unique {
            constraints.insert("unique".into(), true.into());
        }
        if !self.values.is_empty() {
            constraints.insert("enum".into(), self.values.into());
        }
        if !constraints.is_empty() {
            field["constraints"] = constraints.into();
        }
        field
    }

    /// Why `cell` does not fit this column, if it does not: the same checks a TableSchema
    /// validator makes, for the types the exports use.
    pub fn check(&self, cell: &str) -> Result<(), String> {
        if cell.is_empty() {
            return if self.required {
                Err("a value is required".into())
            } else {
                Ok(())
            };
        }
        if !self.field_type.admits(cell) {
            return Err(format!("`{cell}` is not a {}", self.field_type.name()));
        }
        if !self.values.is_empty() && !self.values.contains(&cell) {
            return Err(format!("`{cell}` is not one of {}", self.values.join(", ")));
        }
        Ok(())
    }
}

/// The names of `columns`, in order: a CSV header row.
pub fn header(columns: &[Column]) -> Vec<String> {
    columns.iter().map(|c| c.name.to_owned()).collect()
}

/// How a UTC time is written in CSV cells.
pub const DATETIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_column_has_no_constraints() {
        let field = Column::text("pitch", "What it does").descriptor();
        assert_eq!(
            field,
            json!({"name": "pitch", "type": "string", "description": "What it does"})
        );
    }

    #[test]
    fn titles_french_descriptions_and_examples_are_described() {
        let field = Column::text("pitch", "What it does")
            .fr("Pitch", "Ce qu'elle fait")
            .example("Un pitch")
            .descriptor();
        assert_eq!(
            field,
            json!({
                "name": "pitch",
                "type": "string",
                "title": "Pitch",
                "description": "Ce qu'elle fait — What it does",
                "example": "Un pitch",
            })
        );
    }

    #[test]
    fn constraints_and_formats_are_described() {
        let field = Column::text("phase", "The phase")
            .key()
            .one_of(&["a", "b"])
            .uri()
            .descriptor();
        assert_eq!(field["format"], "uri");
        assert_eq!(
            field["constraints"],
            json!({"required": true, "unique": true, "enum": ["a", "b"]})
        );
    }

    #[test]
    fn cells_are_checked_against_type_and_constraints() {
        let date = Column::date("start", "").required();
        assert!(date.check("2019-02-28").is_ok());
        assert!(date.check("2019-02-30").is_err());
        assert!(date.check("").is_err());
        assert!(Column::date("end", "").check("").is_ok());
        let number = Column::new("value", FieldType::Number, "");
        assert!(number.check("12000").is_ok() && number.check("0.5").is_ok());
        assert!(number.check("NaN").is_err());
        let time = Column::new("updated", FieldType::Datetime, "");
        assert!(time.check("2026-11-24T10:00:00Z").is_ok());
        assert!(time.check("2026-11-24 10:00").is_err());
        let phase = Column::text("phase", "").one_of(&["construction"]);
        assert!(phase.check("construction").is_ok());
        assert!(phase.check("success").is_err());
    }
}
