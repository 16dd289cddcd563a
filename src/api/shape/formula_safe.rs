//! Formula-safe CSV cells, as OWASP advises against CSV injection
//! (<https://owasp.org/www-community/attacks/CSV_Injection>).
//!
//! A spreadsheet that opens a CSV reads a cell beginning with `=`, `+`, `-` or `@` as a formula,
//! and some skip a leading tab or carriage return before reading one: text that a holder of a
//! write token planted there (`=HYPERLINK(…)`) would act for whoever opens a published file.
//! Such a text cell is written with a `'` before it, which spreadsheets take as "this is text"
//! and do not show.
//!
//! The column's type decides, not the cell alone: a number, a date or a time that the type of
//! its column admits (`-3.5`) runs nothing and stays as it is, so that it is still a number to
//! those who read the file. A cell its type does not admit is text after all, and is treated as
//! text: the rule holds whatever a column declares.
//!
//! The rule is one-to-one, so that it can be undone and a unique column stays unique: a text
//! that already begins with quotes and then one of those characters (`'=x`) gets one more
//! (`''=x`). To get the text back, remove the first `'` of every cell that begins with quotes and
//! then one of those characters ([`restore`]).

use std::borrow::Cow;

use crate::api::shape::columns::FieldType;

/// The characters a spreadsheet may read as the start of a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// What is written before a cell that could start a formula.
pub const QUOTE: char = '\'';

/// The rule, as the published descriptions state it (TableSchema, OpenAPI).
pub const RULE: &str = "A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage \
    return, after any `'`, is written with one more `'` before it, so that no spreadsheet runs it \
    as a formula (OWASP's advice on CSV injection); numbers, dates and times are written as they \
    are. To get a text back, remove the first `'` of a cell that begins with `'` and then, after \
    any other `'`, one of those characters.";

/// The rule in French, for the French half of the TableSchema descriptions.
pub const RULE_FR: &str = "Une cellule de texte qui commence par `=`, `+`, `-`, `@`, une \
    tabulation ou un retour chariot, après d'éventuels `'`, est écrite précédée d'un `'` de plus, \
    pour qu'aucun tableur ne l'exécute comme une formule (conseil de l'OWASP contre l'injection \
    CSV) ; nombres, dates et heures sont écrits tels quels. Pour retrouver le texte, retirer le \
    premier `'` d'une cellule qui commence par `'` puis, après d'éventuels autres `'`, par l'un \
    de ces caractères.";

/// `cell` as it is written in a CSV column of `field_type`: with a [`QUOTE`] before it when a
/// spreadsheet could read it as a formula and it is not a value of a typed column.
pub fn neutralise(cell: &str, field_type: FieldType) -> Cow<'_, str> {
    // Whether a typed cell is a value is asked only of a cell that starts like a formula: a
    // date's parser costs a tenth of a whole export's time when asked of every date.
    let typed_value = || field_type != FieldType::String && field_type.admits(cell);
    if starts_formula(cell) && !typed_value() {
        Cow::Owned(format!("{QUOTE}{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The text a written cell stands for: [`neutralise`] undone.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix(QUOTE) {
        Some(text) if starts_formula(text) => text,
        _ => cell,
    }
}

/// Whether `text` begins with one of [`FORMULA_STARTS`], after any quotes: the quotes must be
/// counted too, or `'=x` and `=x` would be written alike.
fn starts_formula(text: &str) -> bool {
    text.trim_start_matches(QUOTE)
        .starts_with(&FORMULA_STARTS[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPED: [FieldType; 4] = [
        FieldType::Integer,
        FieldType::Number,
        FieldType::Date,
        FieldType::Datetime,
    ];

    #[test]
    fn text_that_starts_a_formula_gets_a_quote() {
        for start in FORMULA_STARTS {
            let text = format!("{start}HYPERLINK(\"https://example.org\", \"x\")");
            assert_eq!(
                neutralise(&text, FieldType::String),
                format!("'{text}"),
                "{start:?}"
            );
        }
        assert_eq!(neutralise("-", FieldType::String), "'-");
        assert_eq!(neutralise("@ops", FieldType::String), "'@ops");
    }

    #[test]
    fn other_text_is_left_as_it_is() {
        for text in [
            "",
            "Medlé",
            " =1+1",
            "a=1",
            "'quoted'",
            "'",
            "\n=1",
            "https://x.fr",
        ] {
            assert!(
                matches!(neutralise(text, FieldType::String), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn values_of_typed_columns_are_left_as_they_are() {
        assert_eq!(neutralise("-3.5", FieldType::Number), "-3.5");
        assert_eq!(neutralise("+2", FieldType::Number), "+2");
        assert_eq!(neutralise("-12", FieldType::Integer), "-12");
        assert_eq!(neutralise("2019-02-28", FieldType::Date), "2019-02-28");
        assert_eq!(
            neutralise("2026-11-24T10:00:00Z", FieldType::Datetime),
            "2026-11-24T10:00:00Z"
        );
        // As text, a number that starts like a formula is quoted all the same.
        assert_eq!(neutralise("-3.5", FieldType::String), "'-3.5");
    }

    #[test]
    fn what_a_typed_column_does_not_admit_is_text() {
        for field_type in TYPED {
            assert_eq!(
                neutralise("-2+3+cmd|' /C calc'!A0", field_type),
                "'-2+3+cmd|' /C calc'!A0",
                "{field_type:?}"
            );
            assert_eq!(neutralise("=1+1", field_type), "'=1+1", "{field_type:?}");
        }
    }

    #[test]
    fn quotes_before_a_formula_are_counted() {
        assert_eq!(neutralise("'=x", FieldType::String), "''=x");
        assert_eq!(neutralise("''-x", FieldType::String), "'''-x");
        assert_eq!(neutralise("'x", FieldType::String), "'x");
    }

    #[test]
    fn restoring_gives_back_every_text() {
        let texts = [
            "",
            "x",
            "'",
            "''",
            "'x",
            "=1+1",
            "'=1+1",
            "''=1+1",
            "-",
            "'-",
            "\t",
            "'\r",
            "@a",
            "-3.5",
            "2019-02-28",
            "' =x",
        ];
        for field_type in TYPED.into_iter().chain([FieldType::String]) {
            let mut written = std::collections::HashSet::new();
            for text in texts {
                let cell = neutralise(text, field_type);
                assert_eq!(restore(&cell), text, "{field_type:?}: {text:?}");
                assert!(
                    written.insert(cell.into_owned()),
                    "{field_type:?}: {text:?}"
                );
            }
        }
    }

    #[test]
    fn no_written_text_cell_starts_a_formula() {
        for start in FORMULA_STARTS.into_iter().chain([QUOTE]) {
            for text in [
                format!("{start}"),
                format!("{start}{start}x"),
                format!("'{start}"),
            ] {
                let cell = neutralise(&text, FieldType::String);
                assert!(!cell.starts_with(&FORMULA_STARTS[..]), "{text:?}: {cell:?}");
            }
        }
    }
}
