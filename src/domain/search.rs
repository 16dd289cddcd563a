//! What a full-text search (`q`) looks for, within limits that keep its worst case cheap.
//!
//! A search is split into words (letters and digits, lowercased; the database folds accents).
//! French and English stop words are dropped, for they match nearly everything and mean
//! little; repeats count once. Words of [`MIN_PREFIX`] characters or more match as prefixes
//! (`numéri` finds `numérique`), shorter ones only as whole words: a one-letter prefix would
//! make the search index read most of its entries. At most [`MAX_WORDS`] distinct words are
//! searched; more is an error naming the limit, not a silent cut.

/// The most distinct words a search may hold, stop words aside.
pub const MAX_WORDS: usize = 8;

/// The shortest word matched as a prefix; shorter words match whole words.
pub const MIN_PREFIX: usize = 3;

/// Words a search ignores: French and English articles, prepositions, conjunctions and
/// pronouns, as a person types them (their accents included).
pub const STOP_WORDS: &[&str] = &[
    "a", "à", "au", "aux", "avec", "ce", "ces", "d", "dans", "de", "des", "du", "en", "et", "l",
    "la", "le", "les", "leur", "leurs", "ou", "où", "par", "pour", "qu", "que", "qui", "sa", "se",
    "ses", "son", "sur", "un", "une", "the", "of", "and", "or", "to", "in", "for", "on", "with",
];

/// One word a search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lowercased, accents as typed.
    pub text: String,
    /// Matched as the beginning of a word, not only as a whole word.
    pub prefix: bool,
}

/// Why a search cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("give at least one word to search for (stop words such as `le` or `de` are ignored)")]
    NoWord,
    #[error("{0} distinct words; a search holds at most {MAX_WORDS}, stop words aside")]
    TooManyWords(usize),
}

/// The words `q` looks for, in the order given.
pub fn search_words(q: &str) -> Result<Vec<Word>, SearchError> {
    let mut words: Vec<Word> = Vec::new();
    for text in q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
    {
        if STOP_WORDS.contains(&text.as_str()) || words.iter().any(|w| w.text == text) {
            continue;
        }
        let prefix = text.chars().count() >= MIN_PREFIX;
        words.push(Word { text, prefix });
    }
    match words.len() {
        0 => Err(SearchError::NoWord),
        n if n > MAX_WORDS => Err(SearchError::TooManyWords(n)),
        _ => Ok(words),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(q: &str) -> Vec<(String, bool)> {
        search_words(q)
            .expect("words")
            .into_iter()
            .map(|w| (w.text, w.prefix))
            .collect()
    }

    #[test]
    fn words_are_lowercased_and_split_on_anything_else() {
        assert_eq!(
            texts("Médle, l'e-santé"),
            [
                ("médle".into(), true),
                ("e".into(), false),
                ("santé".into(), true)
            ]
        );
    }

    #[test]
    fn stop_words_and_repeats_are_dropped() {
        assert_eq!(texts("la santé de la santé"), [("santé".into(), true)]);
        assert_eq!(search_words("de la"), Err(SearchError::NoWord));
        assert_eq!(search_words("  ,; "), Err(SearchError::NoWord));
    }

    #[test]
    fn short_words_match_whole() {
        assert_eq!(
            texts("ma rdv api"),
            [
                ("ma".into(), false),
                ("rdv".into(), true),
                ("api".into(), true)
            ]
        );
    }

    #[test]
    fn the_worst_case_is_refused_with_the_limit() {
        let many = "a ".repeat(400);
        assert_eq!(
            search_words(&many),
            Err(SearchError::NoWord),
            "a stop word, once"
        );
        let distinct: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
        assert_eq!(
            search_words(&distinct.join(" ")),
            Err(SearchError::TooManyWords(400))
        );
        assert!(search_words(&distinct[..MAX_WORDS].join(" ")).is_ok());
        let repeated = "emploi ".repeat(100);
        assert_eq!(texts(&repeated).len(), 1);
    }
}
