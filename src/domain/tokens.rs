//! The tokens of the write API as plain values: how one is drawn, hashed, recognised in an
//! `Authorization` header, named and scoped, and whether it is still valid on a given day.
//!
//! A token is `bd_` followed by 32 bytes from the operating system's random source in URL-safe
//! base64 without padding (43 characters). Only its SHA-256, in lowercase hex, is stored:
//! a 256-bit random secret needs no salt nor a slow hash, since nobody can enumerate it.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, NaiveDateTime};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every token starts with, so that one pasted in the wrong place (a log, a repository)
/// is recognisable and secret scanners can look for it.
pub const PREFIX: &str = "bd_";

/// Random bytes in a token: 256 bits.
const RANDOM_BYTES: usize = 32;

/// Length of a token: the prefix and 32 bytes in unpadded base64 (4 characters per 3 bytes).
pub const TOKEN_LENGTH: usize = PREFIX.len() + (RANDOM_BYTES * 4).div_ceil(3);

/// Draws a new token from the operating system's random source.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a token: its SHA-256, 64 lowercase hex digits.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            use fmt::Write;
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// Whether two stored hashes are equal, in a time that does not depend on where they differ.
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Whether `token` has the shape of a token this program issues; anything else cannot be one,
/// and is refused without a database lookup.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_LENGTH
        && token.starts_with(PREFIX)
        && token[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Why an `Authorization` header yields no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// Another scheme (`Basic`…) or no credentials: the client sent no bearer token at all.
    NotBearer,
    /// `Bearer` followed by nothing, by several words, or by bytes a token cannot hold.
    Malformed,
}

/// The token of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1: the scheme is
/// case-insensitive, the token one run of token68 characters).
pub fn parse_bearer(header: &[u8]) -> Result<&str, BearerError> {
    let header = std::str::from_utf8(header).map_err(|_| BearerError::Malformed)?;
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::NotBearer);
    }
    let token = rest.trim_start_matches(' ');
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
    let body = token.trim_end_matches('=');
    if body.is_empty() || !body.chars().all(token68) {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

/// What a token may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything: organisations, incubators and every startup.
    Admin,
    /// The startups of one incubator (by id), their phases and metrics.
    Incubator(String),
}

/// Why a scope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("`{0}` is not a scope: expected `admin` or `incubator:ID`")]
    Unknown(String),
    #[error("`incubator:` needs an incubator id after the colon, such as `incubator:dinum`")]
    MissingIncubator,
    #[error("`{0}` is not a valid incubator id: {1}")]
    InvalidIncubator(String, String),
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        match text.split_once(':') {
            None if text == "admin" => Ok(Self::Admin),
            Some(("incubator", "")) => Err(ScopeError::MissingIncubator),
            Some(("incubator", id)) => super::ids::check_id(id)
                .map(Self::Incubator)
                .map_err(|e| ScopeError::InvalidIncubator(id.to_owned(), e.to_string())),
            _ => Err(ScopeError::Unknown(text.to_owned())),
        }
    }
}

/// The stored form: `admin` or `incubator:ID`.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Admin => f.write_str("admin"),
            Self::Incubator(id) => write!(f, "incubator:{id}"),
        }
    }
}

/// Why a token name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid token name: 1 to 64 of letters, digits, `.`, `_`, `-`, `@` (it is quoted in logs)"
)]
pub struct NameError(pub String);

/// Checks a token's name, which the audit log quotes as the author of a write.
pub fn parse_name(name: &str) -> Result<String, NameError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    valid
        .then(|| name.to_owned())
        .ok_or_else(|| NameError(name.to_owned()))
}

/// An expiry date on or before which a new token would already be useless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the expiry date {expires_on} is in the past (today is {today}, UTC)")]
pub struct PastExpiry {
    pub expires_on: NaiveDate,
    pub today: NaiveDate,
}

/// Checks the expiry date of a new token; expiring today is allowed (it is valid to the end of
/// the day).
pub fn check_expiry(expires_on: NaiveDate, today: NaiveDate) -> Result<(), PastExpiry> {
    if expires_on < today {
        Err(PastExpiry { expires_on, today })
    } else {
        Ok(())
    }
}

/// Whether a stored token opens the write API on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Active,
    Revoked,
    /// Past its last valid day.
    Expired,
}

/// A token is valid up to and including its `expires_on` day (UTC), unless revoked.
pub fn validity(
    expires_on: Option<NaiveDate>,
    revoked_at: Option<NaiveDateTime>,
    today: NaiveDate,
) -> Validity {
    match (revoked_at, expires_on) {
        (Some(_), _) => Validity::Revoked,
        (None, Some(last_day)) if last_day < today => Validity::Expired,
        (None, _) => Validity::Active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn generated_tokens_have_the_prefix_256_bits_and_differ() {
        let first = generate().expect("random bytes");
        let second = generate().expect("random bytes");
        assert_ne!(first, second);
        assert_eq!(first.len(), TOKEN_LENGTH);
        assert_eq!(TOKEN_LENGTH, 3 + 43);
        assert!(first.starts_with("bd_"), "{first}");
        let bytes = URL_SAFE_NO_PAD
            .decode(&first[PREFIX.len()..])
            .expect("URL-safe base64");
        assert_eq!(bytes.len(), 32);
        assert!(looks_like_token(&first) && looks_like_token(&second));
    }

    #[test]
    fn the_hash_is_sha256_in_lowercase_hex() {
        // The SHA-256 test vector of FIPS 180-2 for "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = generate().expect("random bytes");
        assert_eq!(hash(&token), hash(&token));
        assert_ne!(hash(&token), hash(&token[1..]));
        assert!(!hash(&token).contains(&token[PREFIX.len()..]));
    }

    #[test]
    fn hashes_compare_whole() {
        let a = hash("one");
        assert!(hashes_match(&a, &hash("one")));
        assert!(!hashes_match(&a, &hash("two")));
        assert!(!hashes_match(&a, &a[..63]), "a prefix is not a match");
        assert!(!hashes_match(&a, ""));
    }

    #[test]
    fn only_issued_shapes_look_like_tokens() {
        let token = generate().expect("random bytes");
        assert!(!looks_like_token(&token[..TOKEN_LENGTH - 1]));
        assert!(!looks_like_token(&format!("xx_{}", &token[3..])));
        assert!(!looks_like_token(&format!(
            "{}=",
            &token[..TOKEN_LENGTH - 1]
        )));
        assert!(!looks_like_token("garbage"));
        assert!(!looks_like_token(""));
    }

    #[test]
    fn bearer_headers_are_read_strictly() {
        assert_eq!(parse_bearer(b"Bearer bd_abc-_9"), Ok("bd_abc-_9"));
        assert_eq!(parse_bearer(b"bearer  bd_x"), Ok("bd_x"));
        assert_eq!(parse_bearer(b"BEARER abc=="), Ok("abc=="));
        assert_eq!(
            parse_bearer(b"Basic dXNlcjpwdw=="),
            Err(BearerError::NotBearer)
        );
        assert_eq!(parse_bearer(b"bd_token"), Err(BearerError::NotBearer));
        assert_eq!(parse_bearer(b""), Err(BearerError::NotBearer));
        assert_eq!(parse_bearer(b"Bearer"), Err(BearerError::Malformed));
        assert_eq!(parse_bearer(b"Bearer "), Err(BearerError::Malformed));
        assert_eq!(parse_bearer(b"Bearer a b"), Err(BearerError::Malformed));
        assert_eq!(parse_bearer(b"Bearer ==="), Err(BearerError::Malformed));
        assert_eq!(
            parse_bearer(b"Bearer t\xc3\xa9"),
            Err(BearerError::Malformed)
        );
        assert_eq!(parse_bearer(b"Bearer \xff"), Err(BearerError::Malformed));
    }

    #[test]
    fn scopes_parse_and_print_back() {
        assert_eq!("admin".parse(), Ok(Scope::Admin));
        assert_eq!(
            "incubator:dinum".parse(),
            Ok(Scope::Incubator("dinum".into()))
        );
        for text in ["admin", "incubator:lab-mi", "incubator:a.b_c"] {
            assert_eq!(text.parse::<Scope>().expect(text).to_string(), text);
        }
    }

    #[test]
    fn bad_scopes_say_what_is_expected() {
        assert_eq!(
            "Admin".parse::<Scope>(),
            Err(ScopeError::Unknown("Admin".into()))
        );
        assert_eq!(
            "startup:x".parse::<Scope>(),
            Err(ScopeError::Unknown("startup:x".into()))
        );
        assert_eq!(
            "admin:x".parse::<Scope>(),
            Err(ScopeError::Unknown("admin:x".into()))
        );
        assert_eq!(
            "incubator:".parse::<Scope>(),
            Err(ScopeError::MissingIncubator)
        );
        assert_eq!(
            "incubator:FabNum-MI".parse::<Scope>(),
            Ok(Scope::Incubator("FabNum-MI".into()))
        );
        assert!(matches!(
            "incubator:../dinum".parse::<Scope>(),
            Err(ScopeError::InvalidIncubator(id, _)) if id == "../dinum"
        ));
        let message = "".parse::<Scope>().expect_err("empty").to_string();
        assert!(message.contains("`admin` or `incubator:ID`"), "{message}");
    }

    #[test]
    fn names_are_short_and_plain() {
        assert_eq!(parse_name("dinum-ci"), Ok("dinum-ci".into()));
        assert_eq!(
            parse_name("ops@fabrique.social"),
            Ok("ops@fabrique.social".into())
        );
        assert!(parse_name("").is_err());
        assert!(parse_name("two words").is_err());
        assert!(parse_name("line\nbreak").is_err());
        assert!(parse_name(&"a".repeat(65)).is_err());
        assert!(parse_name(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn expiry_may_be_today_but_not_before() {
        let today = day("2026-11-24");
        assert_eq!(check_expiry(today, today), Ok(()));
        assert_eq!(check_expiry(day("2027-01-01"), today), Ok(()));
        let past = check_expiry(day("2026-11-23"), today).expect_err("yesterday");
        assert_eq!(
            past.to_string(),
            "the expiry date 2026-11-23 is in the past (today is 2026-11-24, UTC)"
        );
    }

    #[test]
    fn a_token_is_valid_through_its_last_day_unless_revoked() {
        let today = day("2026-11-24");
        let revoked = Some(day("2026-11-01").and_hms_opt(9, 0, 0).expect("time"));
        assert_eq!(validity(None, None, today), Validity::Active);
        assert_eq!(validity(Some(today), None, today), Validity::Active);
        assert_eq!(
            validity(Some(day("2026-11-23")), None, today),
            Validity::Expired
        );
        assert_eq!(validity(None, revoked, today), Validity::Revoked);
        assert_eq!(
            validity(Some(day("2026-11-23")), revoked, today),
            Validity::Revoked
        );
    }
}
