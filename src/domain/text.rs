//! Repair of text that was decoded twice.
//!
//! Some records were saved as UTF-8, then read back as if they were in a
//! single-byte Windows code page, then saved again as UTF-8: "réalisées"
//! became "rÃ©alisÃ©es", a non-breaking space became "Â\u{a0}", and the
//! emoji 📈 became "ğŸ“ˆ" (the `ğ` shows that the Turkish code page,
//! Windows-1254, was used for that text; most of it went through
//! Windows-1252). Encoding such text back to the code page recovers the
//! original UTF-8 bytes exactly.

use encoding_rs::{Encoding, WINDOWS_1252, WINDOWS_1254};

/// The code pages that double-decoded text is known to have gone through,
/// most common first.
const SUSPECTED_CODE_PAGES: [&Encoding; 2] = [WINDOWS_1252, WINDOWS_1254];

/// Undoes a second decoding of UTF-8 text as Windows-1252 or Windows-1254,
/// returning the repaired text, or `None` when `text` needs no repair or
/// cannot be repaired with certainty.
///
/// `text` is encoded back to each code page in turn; the first one that
/// represents every character and yields bytes that are valid UTF-8 and
/// different from `text` gives the repair. Correct text fails this test on
/// its own: any accented letter or other non-ASCII character in correct text
/// encodes to a byte sequence that is not valid UTF-8 (or to none at all),
/// and ASCII text encodes to itself. A text that mixes correct and
/// double-decoded parts fails it too, and is left alone rather than half
/// repaired: this never guesses.
pub fn repair_double_decoded(text: &str) -> Option<String> {
    SUSPECTED_CODE_PAGES
        .iter()
        .find_map(|code_page| undo_decoding(text, code_page))
}

/// Encodes `text` to `code_page` and reads the bytes as UTF-8, or `None`
/// if a character has no place in the code page, the bytes are not valid
/// UTF-8, or nothing changed.
fn undo_decoding(text: &str, code_page: &'static Encoding) -> Option<String> {
    let (bytes, _, had_unmappable) = code_page.encode(text);
    if had_unmappable || bytes.as_ref() == text.as_bytes() {
        return None;
    }
    String::from_utf8(bytes.into_owned()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_french_accents_via_windows_1252() {
        let cases = [
            ("L'Ã©quipe", "L'équipe"),
            ("rÃ©alisÃ©es", "réalisées"),
            ("Ã€ quoi sert", "À quoi sert"),
            ("Ã‰tat", "État"),
            ("faÃ§on itÃ©rative", "façon itérative"),
            ("parallÃ¨le", "parallèle"),
            ("chaÃ®ne", "chaîne"),
            ("dÃ©pÃ´t", "dépôt"),
            ("l\u{e2}\u{20ac}\u{2122}Ã©quipe", "l’équipe"),
        ];
        for (mojibake, expected) in cases {
            assert_eq!(
                repair_double_decoded(mojibake).as_deref(),
                Some(expected),
                "{mojibake}"
            );
        }
    }

    #[test]
    fn repairs_non_breaking_spaces() {
        assert_eq!(
            repair_double_decoded("Ã\u{a0} initiative Â«Â\u{a0}ITN2Â\u{a0}Â»").as_deref(),
            Some("à initiative «\u{a0}ITN2\u{a0}»")
        );
    }

    #[test]
    fn repairs_an_emoji_via_windows_1254() {
        assert_eq!(repair_double_decoded("ğŸ“ˆ").as_deref(), Some("📈"));
        assert_eq!(
            repair_double_decoded(
                "Le simulateur d'aides pour les jeunes soutenu par France RelanceÂ\u{a0}! ğŸ“ˆ"
            )
            .as_deref(),
            Some("Le simulateur d'aides pour les jeunes soutenu par France Relance\u{a0}! 📈")
        );
    }

    #[test]
    fn repairs_bytes_that_windows_1252_leaves_undefined() {
        // "Á" is C3 81; 0x81 has no Windows-1252 character and decodes to
        // the control character U+0081, which encodes back to 0x81.
        assert_eq!(repair_double_decoded("Ã\u{81}").as_deref(), Some("Á"));
    }

    #[test]
    fn leaves_ascii_alone() {
        for text in ["", "Medle", "beta.gouv.fr existe depuis 2014.", "a\tb\n"] {
            assert_eq!(repair_double_decoded(text), None, "{text:?}");
        }
    }

    #[test]
    fn leaves_correct_text_alone() {
        for text in [
            "Medlé",
            "Égalité",
            "l’équipe",
            "📈",
            "À quoi sert ce financement\u{a0}?",
            "«\u{a0}Dites-le nous une fois\u{a0}»",
            "agent·e·s",
            "Ğ",
            "€",
        ] {
            assert_eq!(repair_double_decoded(text), None, "{text:?}");
        }
    }

    #[test]
    fn never_guesses_when_mojibake_does_not_decode_cleanly() {
        for text in [
            // A lead byte with no continuation: the non-breaking space after
            // "Ã" was lost.
            "appel Ã initiative",
            // Mojibake next to a correct accent.
            "L'Ã©quipe a été",
            // A truncated emoji.
            "ğŸ“",
            // Mojibake next to a character neither code page has.
            "L'Ã©quipe 📈",
        ] {
            assert_eq!(repair_double_decoded(text), None, "{text:?}");
        }
    }

    #[test]
    fn repairing_twice_changes_nothing_more() {
        let repaired = repair_double_decoded("L'Ã©quipe Ã‰tat ğŸ“ˆ");
        assert_eq!(repaired.as_deref(), Some("L'équipe État 📈"));
        assert_eq!(repaired.as_deref().and_then(repair_double_decoded), None);
    }

    /// Whole lines of a real blog post from the Startups d'État records,
    /// double-decoded in the source (long lines are split with `\` only to
    /// fit the page; the continuation drops the line break and indentation).
    #[test]
    fn repairs_whole_lines_of_a_real_record() {
        let cases = [
            (
                "title: Le simulateur d'aides pour les jeunes soutenu par France RelanceÂ\u{a0}! ğŸ“ˆ",
                "title: Le simulateur d'aides pour les jeunes soutenu par France Relance\u{a0}! 📈",
            ),
            (
                "## Supprimer les silos (notamment ceux gÃ©nÃ©rÃ©s par le numÃ©rique)",
                "## Supprimer les silos (notamment ceux générés par le numérique)",
            ),
            (
                "Pour cela, concrÃ¨tement, nous allonsÂ\u{a0}:",
                "Pour cela, concrètement, nous allons\u{a0}:",
            ),
            (
                "- Contribuer techniquement au dÃ©veloppement de RDV-SolidaritÃ©s,",
                "- Contribuer techniquement au développement de RDV-Solidarités,",
            ),
            (
                "C'est l'ambition de notre Ã©quipe grÃ¢ce au financement du plan France Relance.",
                "C'est l'ambition de notre équipe grâce au financement du plan France Relance.",
            ),
            (
                "L'Ã©quipe Aides Jeunes, responsable du simulateur d'aides pour les jeunes de la \
                 plateforme 1jeune1solution, est laurÃ©ate d'un financement France Relance dans le \
                 cadre de l'appel Ã\u{a0} initiative Â«Â\u{a0}DÃ©velopper la collaboration avec vos \
                 Ã©cosystÃ¨mes grÃ¢ce au numÃ©rique (ITN2)Â\u{a0}Â». Ã€ quoi sert ce financementÂ\u{a0}? \
                 Quels objectifs se fixe l'Ã©quipeÂ\u{a0}?",
                "L'équipe Aides Jeunes, responsable du simulateur d'aides pour les jeunes de la \
                 plateforme 1jeune1solution, est lauréate d'un financement France Relance dans le \
                 cadre de l'appel à initiative «\u{a0}Développer la collaboration avec vos \
                 écosystèmes grâce au numérique (ITN2)\u{a0}». À quoi sert ce financement\u{a0}? \
                 Quels objectifs se fixe l'équipe\u{a0}?",
            ),
        ];
        for (mojibake, expected) in cases {
            assert_eq!(
                repair_double_decoded(mojibake).as_deref(),
                Some(expected),
                "{mojibake}"
            );
        }
    }

    #[test]
    fn leaves_plain_lines_of_a_real_record_alone() {
        for line in [
            "---",
            "date: 2022-09-06",
            "  - thomas.guillet",
            "image: /img/posts/2022-09-06-logo1j1s-france-relance.png",
            "<!-- done -->",
        ] {
            assert_eq!(repair_double_decoded(line), None, "{line}");
        }
    }
}
