//! Request bodies of the write API: JSON only, of bounded size, read into typed payloads whose
//! every fault is reported with where it is.
//!
//! A body that is not JSON at all is a 400; JSON of the wrong shape (a missing field, an
//! unknown one, a date that is not a date) is a 422 naming the place with an RFC 6901 pointer,
//! like the rules checked after it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::http::error::{ApiError, BodyError};
use crate::api::http::state::{AppState, DEFAULT_BODY_TIMEOUT};

/// The largest body accepted, in bytes: room for a batch of several thousand observations.
pub const BODY_LIMIT: usize = 1 << 20;

/// A JSON body read into `T`, with its bytes (an idempotent replay compares them).
#[derive(Debug)]
pub struct JsonBody<T> {
    pub value: T,
    pub bytes: Bytes,
}

/// Days in bodies: `YYYY-MM-DD`, within the years 0001 to 9999
/// ([`crate::domain::dates::YEARS`]); chrono alone would take `0000-01-01` and
/// `+10000-01-01`. For `#[serde(deserialize_with = "day::…")]`.
pub mod day {
    use chrono::NaiveDate;
    use serde::de::{Deserialize, Deserializer, Error};

    use crate::domain::dates::within_years;

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        within::<D>(NaiveDate::deserialize(d)?)
    }

    /// A day, or `null`.
    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<NaiveDate>::deserialize(d)?
            .map(within::<D>)
            .transpose()
    }

    fn within<'de, D: Deserializer<'de>>(day: NaiveDate) -> Result<NaiveDate, D::Error> {
        if within_years(day) {
            Ok(day)
        } else {
            Err(D::Error::custom(format!(
                "`{day}` is out of range: years run from 0001 to 9999"
            )))
        }
    }
}

/// Escapes a key for a JSON Pointer (RFC 6901, section 3).
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The JSON Pointer of a place serde_path_to_error found.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(pointer_token(key)),
            Segment::Enum { variant } => Some(pointer_token(variant)),
            Segment::Unknown => None,
        })
        .map(|token| format!("/{token}"))
        .collect()
}

/// Reads `bytes` as JSON into `T`. Text holding a NUL character is refused wherever it is:
/// no field may hold one (PostgreSQL could not store it).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    if let Some(at) = duplicate_key(bytes) {
        return Err(ApiError::Invalid(vec![BodyError::new(
            at,
            "this key is given twice in its object: JSON parsers disagree on which one counts, so give it once",
        )]));
    }
    let mut faults = Vec::new();
    find_nul(&document, String::new(), &mut faults);
    if !faults.is_empty() {
        return Err(ApiError::Invalid(faults));
    }
    serde_path_to_error::deserialize(document).map_err(|error| {
        let place = pointer(error.path());
        ApiError::Invalid(vec![BodyError::new(place, error.into_inner().to_string())])
    })
}

/// The pointer of the first key that `bytes`, a JSON document, gives twice in one object:
/// parsed into a map, the last would silently win.
fn duplicate_key(bytes: &[u8]) -> Option<String> {
    use serde::de::DeserializeSeed;
    let found = RefCell::new(None);
    let walk = UniqueKeys {
        at: String::new(),
        found: &found,
    };
    // The only error a JSON document can give here is the duplicate, which `found` holds.
    let _ = walk.deserialize(&mut serde_json::Deserializer::from_slice(bytes));
    found.into_inner()
}

/// Walks a JSON document, noting in `found` where a key is given twice.
struct UniqueKeys<'a> {
    at: String,
    found: &'a RefCell<Option<String>>,
}

impl<'a> UniqueKeys<'a> {
    fn at(&self, token: &str) -> Self {
        Self {
            at: format!("{}/{token}", self.at),
            found: self.found,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0_usize;
        while items
            .next_element_seed(self.at(&index.to_string()))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = fields.next_key::<String>()? {
            let value = self.at(&pointer_token(&key));
            if !seen.insert(key) {
                *self.found.borrow_mut() = Some(value.at);
                return Err(serde::de::Error::custom("a key given twice"));
            }
            fields.next_value_seed(value)?;
        }
        Ok(())
    }
}

/// Every place in `value` where a key or a text holds a NUL character.
fn find_nul(value: &Value, at: String, faults: &mut Vec<BodyError>) {
    const DETAIL: &str = "holds a NUL character (\\u0000), which no text may hold";
    match value {
        Value::String(text) if text.contains('\0') => faults.push(BodyError::new(at, DETAIL)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nul(item, format!("{at}/{i}"), faults);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let place = format!("{at}/{}", pointer_token(key));
                if key.contains('\0') {
                    faults.push(BodyError::new(place.clone(), DETAIL));
                }
                find_nul(item, place, faults);
            }
        }
        _ => {}
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
        .is_some_and(|media| media == "application/json" || media.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(DEFAULT_BODY_TIMEOUT, |state| state.body_timeout);
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            // A declared length over the limit was refused before any route ran
            // (`limits::bound_request`); what arrives is counted here.
            let read = async {
                let mut body = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| ApiError::MalformedBody(e.to_string()))?;
                    if body.len() + chunk.len() > BODY_LIMIT {
                        return Err(ApiError::BodyTooLarge { limit: BODY_LIMIT });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body.freeze())
            };
            // A client trickling its body must not hold the request open for ever.
            let bytes = actix_web::rt::time::timeout(limit, read)
                .await
                .map_err(|_| ApiError::RequestTimeout {
                    seconds: limit.as_secs().max(1),
                })??;
            let value = parse(&bytes)?;
            Ok(JsonBody { value, bytes })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Dated {
        #[serde(deserialize_with = "day::required")]
        date: chrono::NaiveDate,
        #[serde(default, deserialize_with = "day::optional")]
        end: Option<chrono::NaiveDate>,
    }

    fn pointers(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Invalid(faults) => faults.iter().map(|f| f.pointer.clone()).collect(),
            other => panic!("not a 422: {other}"),
        }
    }

    #[test]
    fn days_outside_years_1_to_9999_are_refused() {
        let ok: Dated = parse(br#"{"date": "0001-01-01", "end": null}"#).expect("a day");
        assert_eq!((ok.date.to_string().as_str(), ok.end), ("0001-01-01", None));
        for body in [
            r#"{"date": "0000-01-01"}"#,
            r#"{"date": "+10000-01-01"}"#,
            r#"{"date": "2024-01-01", "end": "+10000-01-01"}"#,
        ] {
            assert!(parse::<Dated>(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn a_key_given_twice_is_refused_where_it_is() {
        let twice = br#"{"a": 1, "b": [{"c": 1, "d~/": 2, "d~/": 3}], "a": 2}"#;
        assert_eq!(
            pointers(parse::<Value>(twice).expect_err("refused")),
            ["/b/0/d~0~1"]
        );
        let top = br#"{"a": 1, "a": 1}"#;
        assert_eq!(pointers(parse::<Value>(top).expect_err("refused")), ["/a"]);
        assert!(parse::<Value>(br#"{"a": {"a": {"a": 1}}, "b": [1, 1]}"#).is_ok());
    }
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "read only to be checked")]
    struct Sample {
        name: String,
        phases: Vec<Span>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "read only to be checked")]
    struct Span {
        start: chrono::NaiveDate,
    }

    fn pointer_of(body: &str) -> String {
        match parse::<Sample>(body.as_bytes()) {
            Err(ApiError::Invalid(errors)) => errors[0].pointer.clone(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn shape_faults_point_at_their_place() {
        assert_eq!(
            pointer_of(
                r#"{"name": "x", "phases": [{"start": "2020-01-01"}, {"start": "2020-13-01"}]}"#
            ),
            "/phases/1/start"
        );
        assert_eq!(pointer_of(r#"{"name": 3, "phases": []}"#), "/name");
        assert_eq!(
            pointer_of(r#"{"name": "x", "phases": [], "colour": 1}"#),
            "/colour"
        );
    }

    #[test]
    fn text_that_is_not_json_is_malformed() {
        for body in ["{", "name=x", r#"{"name": "x", "phases": []} trailing"#] {
            assert!(
                matches!(
                    parse::<Sample>(body.as_bytes()),
                    Err(ApiError::MalformedBody(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn nul_characters_are_refused_where_they_are() {
        let body = r#"{"name": "x", "phases": [{"start": "2020-01-01", "note\u0000": 1}], "tags": ["ok", "a\u0000b"]}"#;
        match parse::<serde_json::Value>(body.as_bytes()) {
            Err(ApiError::Invalid(errors)) => {
                let places: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
                assert_eq!(places, ["/phases/0/note\u{0}", "/tags/1"]);
            }
            other => panic!("expected a 422, got {other:?}"),
        }
        // An escaped backslash followed by `u0000` is plain text.
        assert!(parse::<serde_json::Value>(br#"{"name": "\\u0000"}"#).is_ok());
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
    }
}
