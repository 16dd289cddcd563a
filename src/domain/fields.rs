//! Rules on single values that every writer of the data checks the same way: ids, e-mail
//! addresses, web addresses and text lengths. Each returns what is wrong, in words a person can
//! act on.

use std::str::FromStr;

/// Whether `id` may identify a record ([`super::ids::check_id`]), with what is wrong.
pub fn check_id(id: &str) -> Result<(), String> {
    super::ids::check_id(id)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The organisation types beta.gouv.fr's content tree uses. The vocabulary is the data's: a
/// type outside this list is kept as written, as long as it is a slug ([`check_organisation_type`]).
pub const ORGANISATION_TYPES: [&str; 6] = [
    "administration-centrale",
    "operateur",
    "collectivite-territoriale",
    "service-deconcentre",
    "securite-sociale",
    "autre",
];

/// An organisation type: 1 to 64 of a-z, 0-9, `-` and `_`, as the content tree writes them.
pub fn check_organisation_type(kind: &str) -> Result<(), String> {
    let slug = !kind.is_empty()
        && kind.len() <= 64
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c));
    if slug {
        Ok(())
    } else if kind.is_empty() {
        Err(format!(
            "a type is required, such as {}",
            ORGANISATION_TYPES.join(", ")
        ))
    } else {
        Err(format!(
            "`{kind}` is not a type: 1 to 64 of a-z, 0-9, `-`, `_`, such as {}",
            ORGANISATION_TYPES.join(", ")
        ))
    }
}

/// An e-mail address, as RFC 5322 writes one (no display name).
pub fn check_email(text: &str) -> Result<(), String> {
    email_address::EmailAddress::from_str(text)
        .map(drop)
        .map_err(|e| format!("`{text}` is not an e-mail address: {e}"))
}

/// An absolute `http` or `https` address with a host.
pub fn check_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not a web address: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "`{text}` is not a web address: it must start with http:// or https:// and name a host"
        ));
    }
    Ok(())
}

/// A contact: an e-mail address, or a web page to reach the team at.
pub fn check_contact(text: &str) -> Result<(), String> {
    if text.contains('@') && !text.contains("://") {
        check_email(text)
    } else {
        check_url(text).map_err(|_| {
            format!("`{text}` is neither an e-mail address nor an http(s) web address")
        })
    }
}

/// At most `max` characters, and not blank when `required`.
pub fn check_text(text: &str, max: usize, required: bool) -> Result<(), String> {
    if required && text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let length = text.chars().count();
    if length > max {
        return Err(format!(
            "is {length} characters long; at most {max} are allowed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_types_are_the_data_s_slugs() {
        for good in ORGANISATION_TYPES
            .into_iter()
            .chain(["ministere", "fondation"])
        {
            assert!(check_organisation_type(good).is_ok(), "{good}");
        }
        for bad in ["", "Company Ltd", "a/b", &"x".repeat(65)] {
            assert!(check_organisation_type(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn e_mail_addresses_and_web_addresses() {
        assert!(check_email("contact@medle.fabrique.social.gouv.fr").is_ok());
        for bad in ["contact", "a@", "@b.fr", "a b@c.fr"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_url("https://beta.gouv.fr/startups/medle.html").is_ok());
        for bad in [
            "beta.gouv.fr",
            "ftp://beta.gouv.fr",
            "javascript:alert(1)",
            "https://",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_contact("equipe@beta.gouv.fr").is_ok());
        assert!(check_contact("https://beta.gouv.fr/contact").is_ok());
        assert!(check_contact("call us").is_err());
    }

    #[test]
    fn texts_have_a_length_limit_and_may_be_required() {
        assert!(check_text("Medlé", 5, true).is_ok());
        assert!(check_text("Medlé!", 5, true).is_err());
        assert!(check_text("  ", 5, true).is_err());
        assert!(check_text("", 5, false).is_ok());
    }
}
