//! Query-string extraction that rejects what the contract does not list.
//!
//! The allowed names are read from the `IntoParams` derive that documents the parameters, so
//! the check and the OpenAPI contract cannot drift apart.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::future::{Ready, ready};
use std::sync::{OnceLock, RwLock};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;

use crate::api::http::error::{ApiError, FieldError};

/// Query parameters parsed into `T`: an unknown, repeated or malformed parameter is a 400
/// problem naming it and what is allowed.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + IntoParams + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(ApiQuery))
    }
}

/// The names of the query parameters `T` documents, read from its derive once per type: the
/// derive builds the whole OpenAPI description of every parameter, 2 % of a rendered page's
/// time when it ran for each request.
pub fn allowed_parameters<T: IntoParams + 'static>() -> &'static [String] {
    static NAMES: OnceLock<RwLock<HashMap<TypeId, &'static [String]>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let known = names
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&TypeId::of::<T>())
        .copied();
    if let Some(known) = known {
        return known;
    }
    let listed: Vec<String> = T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| p.name)
        .collect();
    // One list per query type, kept for the life of the process.
    names
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(TypeId::of::<T>())
        .or_insert_with(|| listed.leak())
}

/// Parses a raw query string into `T` exactly as [`ApiQuery`] does for a request: the
/// extractor's whole logic, callable without one (the fuzz targets drive it).
pub fn parse<T: DeserializeOwned + IntoParams + 'static>(query: &str) -> Result<T, ApiError> {
    let allowed = allowed_parameters::<T>();
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if value.contains('\0') {
            errors.push(FieldError::new(
                name.clone(),
                "holds a NUL character (%00), which no value may hold",
            ));
        }
        if !allowed.iter().any(|a| *a == name) {
            let detail = if allowed.is_empty() {
                "unknown parameter; this resource takes none".to_owned()
            } else {
                format!("unknown parameter; allowed: {}", allowed.join(", "))
            };
            errors.push(FieldError::new(name, detail));
        } else if !seen.insert(name.clone()) {
            errors.push(FieldError::new(
                name,
                "given more than once; give it once (lists are comma-separated)",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidParameters(errors));
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let parameter = e.path().to_string();
        FieldError::new(parameter, e.into_inner().to_string()).into()
    })
}

/// Deserializers for values that arrive as text and carry their own rules, so that a bad one
/// is reported with what is allowed.
pub mod de {
    use serde::{Deserialize, Deserializer, de::Error};

    pub const MAX_PAGE_SIZE: u32 = 1000;
    pub const DEFAULT_PAGE_SIZE: u32 = 20;

    /// `page_size`: an integer from 1 to [`MAX_PAGE_SIZE`].
    pub fn page_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .map(Some)
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "`{text}` is not allowed: must be an integer from 1 to {MAX_PAGE_SIZE}"
                ))
            })
    }

    /// A calendar day, `YYYY-MM-DD`, of a year from 0001 to 9999.
    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<chrono::NaiveDate>, D::Error> {
        let text = String::deserialize(d)?;
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .filter(|day| text.len() == 10 && crate::domain::dates::within_years(*day))
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("`{text}` is not a date: expected YYYY-MM-DD")))
    }

    /// A comma-separated list of non-empty values.
    pub fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let text = String::deserialize(d)?;
        let values: Vec<String> = text.split(',').map(|v| v.trim().to_owned()).collect();
        if values.iter().any(String::is_empty) {
            return Err(D::Error::custom(format!(
                "`{text}` has an empty item: give values separated by commas"
            )));
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, IntoParams, PartialEq)]
    #[into_params(parameter_in = Query)]
    struct Sample {
        #[serde(default, deserialize_with = "de::page_size")]
        page_size: Option<u32>,
        name: Option<String>,
    }

    fn errors(result: Result<Sample, ApiError>) -> Vec<FieldError> {
        match result {
            Err(ApiError::InvalidParameters(errors)) => errors,
            other => panic!("expected invalid parameters, got {other:?}"),
        }
    }

    #[test]
    fn known_parameters_parse() {
        let sample: Sample = parse("page_size=5&name=x").expect("valid");
        assert_eq!(sample.page_size, Some(5));
        assert_eq!(sample.name.as_deref(), Some("x"));
    }

    #[test]
    fn unknown_parameter_is_named_with_the_allowed_ones() {
        let errors = errors(parse("colour=red"));
        assert_eq!(errors[0].parameter, "colour");
        assert!(
            errors[0].detail.contains("page_size, name"),
            "{}",
            errors[0].detail
        );
    }

    #[test]
    fn out_of_range_value_says_what_is_allowed() {
        for bad in ["0", "1001", "abc", "-1"] {
            let errors = errors(parse(&format!("page_size={bad}")));
            assert_eq!(errors[0].parameter, "page_size");
            assert!(errors[0].detail.contains("from 1 to 1000"));
        }
    }

    #[test]
    fn nul_characters_are_refused() {
        let errors = errors(parse("name=a%00b"));
        assert_eq!(errors[0].parameter, "name");
        assert!(errors[0].detail.contains("NUL"));
    }

    #[test]
    fn repeated_parameter_is_rejected() {
        let errors = errors(parse("name=a&name=b"));
        assert_eq!(errors[0].parameter, "name");
    }
}
