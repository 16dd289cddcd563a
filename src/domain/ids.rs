//! Record ids as the source names them: a file name of beta.gouv.fr's content tree, with its
//! capitals, accents and length (`FabNum-MI`, `e-inspé`, `auxAJ`), stored in Unicode NFC and
//! percent-encoded in URLs.
//!
//! Two ids that differ only by case or by Unicode form name the same thing to a person (and to
//! a case-insensitive file system): their [`id_key`]s are equal, and only one may exist. An id
//! that cannot stand as one URL path segment or one file name is refused: empty, `.` or `..`,
//! beginning with `.`, holding `/`, `\`, `?`, `#`, `%` or a control character, or beginning or
//! ending with a space.

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

/// The longest id, in bytes: what a file name may hold on common file systems.
pub const MAX_ID: usize = 255;

/// Characters an id may not hold: they end or alter a URL path segment, or a file path.
const FORBIDDEN: [char; 5] = ['/', '\\', '?', '#', '%'];

/// What is wrong with an id, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id must not be empty")]
    Empty,
    #[error("`{0}` is {1} bytes long; an id holds at most {MAX_ID}")]
    TooLong(String, usize),
    #[error("`{0}` begins with `.`, which a URL path or a file name reads as a special name")]
    Dot(String),
    #[error(
        "`{0}` holds {1}, which cannot stand in one URL path segment (`/`, `\\`, `?`, `#`, `%` and control characters are refused)"
    )]
    Forbidden(String, String),
    #[error("`{0}` begins or ends with a space")]
    Space(String),
}

/// The id as stored: `id` in NFC, or why it cannot be one.
pub fn check_id(id: &str) -> Result<String, IdError> {
    let id: String = id.nfc().collect();
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID {
        let len = id.len();
        return Err(IdError::TooLong(id, len));
    }
    if id.starts_with('.') {
        return Err(IdError::Dot(id));
    }
    if let Some(c) = id.chars().find(|c| FORBIDDEN.contains(c) || c.is_control()) {
        let shown = if c.is_control() {
            format!("the control character U+{:04X}", u32::from(c))
        } else {
            format!("`{c}`")
        };
        return Err(IdError::Forbidden(id, shown));
    }
    if id.starts_with(char::is_whitespace) || id.ends_with(char::is_whitespace) {
        return Err(IdError::Space(id));
    }
    Ok(id)
}

/// What two ids that name the same thing share: NFKC, then Unicode case folding, then NFKC
/// again (the compatibility caseless match of Unicode's definition D146, recomposed).
pub fn id_key(id: &str) -> String {
    id.nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ids_are_accepted_as_they_are() {
        for id in [
            "medle",
            "FabNum-MI",
            "MEN",
            "auxAJ",
            "e-inspé",
            "données-et-territoires",
            "Préfecture",
            "latelier.numerique.du.ministere.de.leurope.et.des.affaires.etrangeres",
            "sous-direction-de-l-organisation-judiciaire-et-de-l-innovation-oji-4-direction-des-services-judiciaires",
            "a b",
        ] {
            assert_eq!(check_id(id).as_deref(), Ok(id), "{id}");
        }
    }

    #[test]
    fn ids_are_stored_in_nfc() {
        let decomposed = "e-inspe\u{301}";
        assert_eq!(check_id(decomposed).as_deref(), Ok("e-inspé"));
    }

    #[test]
    fn ids_that_break_a_path_are_refused() {
        for bad in [
            "", ".", "..", ".hidden", "a/b", "a\\b", "a?b", "a#b", "a%2Fb", "a\u{0}b", "a\nb",
            "a\u{7f}", " a", "a ",
        ] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_id(&"x".repeat(MAX_ID)).is_ok());
        assert!(matches!(
            check_id(&"x".repeat(MAX_ID + 1)),
            Err(IdError::TooLong(_, 256))
        ));
        assert_eq!(
            check_id("a/b").map_err(|e| e.to_string()),
            Err("`a/b` holds `/`, which cannot stand in one URL path segment (`/`, `\\`, `?`, `#`, `%` and control characters are refused)".to_owned())
        );
    }

    #[test]
    fn keys_equate_case_and_unicode_forms() {
        assert_eq!(id_key("FabNum-MI"), id_key("fabnum-mi"));
        assert_eq!(id_key("e-inspé"), id_key("E-INSPE\u{301}"));
        assert_eq!(id_key("straße"), id_key("STRASSE"));
        // Compatibility forms: the ligature and the full-width letters.
        assert_eq!(id_key("ﬁche"), id_key("fiche"));
        assert_eq!(id_key("ＭＥＮ"), id_key("men"));
        assert_ne!(id_key("e-inspé"), id_key("e-inspe"));
        assert_ne!(id_key("a-b"), id_key("a_b"));
    }
}
