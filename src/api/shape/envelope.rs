//! The list envelope shared by every collection, its links and its opaque cursors.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::http::error::{ApiError, FieldError};
use crate::api::http::public_url;
use crate::api::http::query::de::DEFAULT_PAGE_SIZE;
use crate::db::page::{Cursor, Direction, Page, PageRequest};

/// A page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub data: Vec<T>,
    pub links: Links,
    pub meta: ListMeta,
}

/// A list item already written as JSON, put in a page as it is: a stored line
/// ([`crate::api::shape::stored_lines`]), or an item written on the spot. Pages of it are
/// answered by handlers whose contract names the item's own schema; this type's schema, an
/// object, is never in the contract.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct WrittenItem(Box<serde_json::value::RawValue>);

impl WrittenItem {
    /// A stored NDJSON line, its newline left out.
    pub fn of_line(line: String) -> Result<Self, ApiError> {
        let mut line = line;
        if line.ends_with('\n') {
            line.pop();
        }
        serde_json::value::RawValue::from_string(line)
            .map(Self)
            .map_err(|e| ApiError::Internal(format!("a stored line is not JSON: {e}")))
    }

    /// `item`, written now.
    pub fn of<T: Serialize>(item: &T) -> Result<Self, ApiError> {
        serde_json::value::to_raw_value(item)
            .map(Self)
            .map_err(|e| ApiError::Internal(format!("serialising a list item: {e}")))
    }
}

impl utoipa::PartialSchema for WrittenItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::Object::new().into()
    }
}

impl ToSchema for WrittenItem {}

/// Where this page, and the pages around it, are.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    /// This page.
    #[serde(rename = "self")]
    #[schema(example = "http://localhost:8080/api/v1/startups?page_size=20")]
    pub self_: String,
    /// The next page; absent on the last one.
    pub next: Option<String>,
    /// The previous page; absent on the first one.
    pub prev: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// How many items the filtered collection holds, across all pages.
    #[schema(example = 22)]
    pub total: i64,
    /// The most items a page holds.
    #[schema(example = 20)]
    pub page_size: i64,
}

/// Reads `page_size` and `cursor` into a request for the database.
pub fn page_request(
    page_size: Option<u32>,
    cursor: Option<&str>,
) -> Result<PageRequest, FieldError> {
    Ok(PageRequest {
        size: i64::from(page_size.unwrap_or(DEFAULT_PAGE_SIZE)),
        cursor: cursor.map(decode_cursor).transpose()?,
        chunk: false,
    })
}

/// Declares a query-parameter struct of a paged collection: its own fields, then `page_size`,
/// `cursor` and `format`, the same for every collection (with their documentation and checks).
macro_rules! paged_query {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($fields)*
            /// Items per page, from 1 to 1000.
            #[param(minimum = 1, maximum = 1000, example = 20, value_type = Option<u32>)]
            #[serde(default, deserialize_with = "crate::api::http::query::de::page_size")]
            pub page_size: Option<u32>,
            /// Opaque position, as found in `links.next` or `links.prev`.
            #[param(example = "YTptZWRsZQ")]
            pub cursor: Option<String>,
            /// Representation: json (the default), csv or ndjson; `Accept: text/csv` or
            /// `application/x-ndjson` does the same. In CSV or NDJSON without `page_size` or
            /// `cursor`, the whole filtered collection comes in one streamed response.
            #[param(inline, example = "csv")]
            pub format: Option<$crate::api::shape::formats::Format>,
        }

        impl $name {
            /// Whether a CSV or NDJSON answer holds the whole collection rather than a page.
            pub fn wants_whole(&self) -> bool {
                self.page_size.is_none() && self.cursor.is_none()
            }
        }
    };
}
pub(crate) use paged_query;

const AFTER: &str = "a:";
const BEFORE: &str = "b:";

pub fn encode_cursor(cursor: &Cursor) -> String {
    let prefix = match cursor.direction {
        Direction::After => AFTER,
        Direction::Before => BEFORE,
    };
    URL_SAFE_NO_PAD.encode(format!("{prefix}{}", cursor.key))
}

fn decode_cursor(text: &str) -> Result<Cursor, FieldError> {
    let invalid = FieldError::foreign_cursor;
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let decoded = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (direction, key) = if let Some(key) = decoded.strip_prefix(AFTER) {
        (Direction::After, key)
    } else if let Some(key) = decoded.strip_prefix(BEFORE) {
        (Direction::Before, key)
    } else {
        return Err(invalid());
    };
    if key.is_empty() {
        return Err(invalid());
    }
    Ok(Cursor {
        direction,
        key: key.to_owned(),
    })
}

/// The URL of this request with its cursor replaced (or removed).
fn url_with_cursor(req: &HttpRequest, cursor: Option<&Cursor>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if name != "cursor" {
            query.append_pair(&name, &value);
        }
    }
    if let Some(cursor) = cursor {
        query.append_pair("cursor", &encode_cursor(cursor));
    }
    let query = query.finish();
    let separator = if query.is_empty() { "" } else { "?" };
    format!("{}{}{separator}{query}", public_url::base(req), req.path())
}

/// Renders a page as the list envelope, with the RFC 8288 `Link` header.
pub fn respond<T: ToSchema + Serialize>(
    req: &HttpRequest,
    page: Page<T>,
    page_size: i64,
) -> HttpResponse {
    let (links, link_header) = links(req, &page);
    HttpResponse::Ok()
        .insert_header((header::LINK, link_header))
        .json(ListResponse {
            data: page.rows,
            links,
            meta: ListMeta {
                total: page.total,
                page_size,
            },
        })
}

/// Like [`respond`], for a page whose items are stored lines ([`crate::api::shape::stored_lines`]):
/// JSON that this program wrote with their rows, put in the envelope as they are, their
/// newlines left out. The envelope is written around them, in the bytes [`respond`] writes for
/// the same items as [`WrittenItem::of_line`]s, without parsing each line again to check that it
/// is JSON ([`WrittenItem::of_line`]: a twentieth of the CPU of a page of 20 such items).
pub fn respond_lines(req: &HttpRequest, page: Page<String>, page_size: i64) -> HttpResponse {
    let (links, link_header) = links(req, &page);
    let meta = ListMeta {
        total: page.total,
        page_size,
    };
    let lines: usize = page.rows.iter().map(|line| line.len() + 1).sum();
    let mut body = Vec::with_capacity(lines + 256);
    body.extend_from_slice(b"{\"data\":[");
    for (i, line) in page.rows.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(line.strip_suffix('\n').unwrap_or(line).as_bytes());
    }
    body.extend_from_slice(b"],\"links\":");
    // Writing to a vector fails only where a `Serialize` does, which these derived ones don't.
    serde_json::to_writer(&mut body, &links).expect("links serialize");
    body.extend_from_slice(b",\"meta\":");
    serde_json::to_writer(&mut body, &meta).expect("meta serializes");
    body.push(b'}');
    HttpResponse::Ok()
        .insert_header((header::LINK, link_header))
        .insert_header(header::ContentType::json())
        .body(body)
}

/// Renders a whole collection, short enough to be one page (a startup's phases, its metrics),
/// in the list envelope: `total` and `page_size` are its length, and there is no other page.
pub fn respond_whole_page<T: ToSchema + Serialize>(
    req: &HttpRequest,
    rows: Vec<T>,
) -> HttpResponse {
    let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let page = Page {
        rows,
        total,
        next: None,
        prev: None,
    };
    respond(req, page, total)
}

/// The links of a page, and the same as an RFC 8288 `Link` header value.
pub fn links<T>(req: &HttpRequest, page: &Page<T>) -> (Links, String) {
    let next = page.next.as_ref().map(|c| url_with_cursor(req, Some(c)));
    let prev = page.prev.as_ref().map(|c| url_with_cursor(req, Some(c)));
    let first = url_with_cursor(req, None);
    let links = Links {
        self_: url_with_cursor(req, req_cursor(req).as_ref()),
        next,
        prev,
    };
    let mut header = vec![format!("<{first}>; rel=\"first\"")];
    if let Some(next) = &links.next {
        header.push(format!("<{next}>; rel=\"next\""));
    }
    if let Some(prev) = &links.prev {
        header.push(format!("<{prev}>; rel=\"prev\""));
    }
    (links, header.join(", "))
}

/// Keeps, of a list item, its id and the fields named (`fields=`).
pub fn keep_fields(item: &mut serde_json::Map<String, serde_json::Value>, fields: &[String]) {
    item.retain(|name, _| name == "id" || fields.iter().any(|f| f == name));
}

/// Like [`respond`], keeping only `fields` (and `id`) of each item when any are named.
pub fn respond_with_fields<T: ToSchema + Serialize>(
    req: &HttpRequest,
    page: Page<T>,
    page_size: i64,
    fields: &[String],
) -> Result<HttpResponse, ApiError> {
    if fields.is_empty() {
        return Ok(respond(req, page, page_size));
    }
    let page = page.try_map(|row| {
        let serde_json::Value::Object(mut object) = serde_json::to_value(row)
            .map_err(|e| ApiError::Internal(format!("serialising a list item: {e}")))?
        else {
            return Err(ApiError::Internal("a list item is not an object".into()));
        };
        keep_fields(&mut object, fields);
        Ok(serde_json::Value::Object(object))
    })?;
    Ok(respond(req, page, page_size))
}

fn req_cursor(req: &HttpRequest) -> Option<Cursor> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "cursor")
        .and_then(|(_, value)| decode_cursor(&value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for direction in [Direction::After, Direction::Before] {
            let cursor = Cursor {
                direction,
                key: "fiche.commune.entreprise".into(),
            };
            assert_eq!(decode_cursor(&encode_cursor(&cursor)), Ok(cursor));
        }
    }

    #[actix_web::test]
    async fn a_page_of_lines_is_written_as_its_items_would_be() {
        let req = actix_web::test::TestRequest::get()
            .uri("/api/v1/startups?incubator=dinum&page_size=2&cursor=YTpbbnVsbCwiYSJd")
            .to_http_request();
        let lines = ["{\"id\":\"b\",\"n\":[1,\"é\\n\"]}\n", "{\"id\":\"c\"}"];
        let page = |rows: Vec<String>| Page {
            rows,
            total: 7,
            next: Some(Cursor {
                direction: Direction::After,
                key: "[null,\"c\"]".into(),
            }),
            prev: Some(Cursor {
                direction: Direction::Before,
                key: "[null,\"b\"]".into(),
            }),
        };
        let rows = || lines.map(str::to_owned).to_vec();
        let items = page(rows())
            .try_map(WrittenItem::of_line)
            .expect("JSON lines");
        let answers = [
            respond(&req, items, 2),
            respond_lines(&req, page(rows()), 2),
        ];
        let [items, lines] = answers.map(|answer| {
            let mut headers: Vec<String> = (answer.headers().iter())
                .map(|(name, value)| format!("{name}: {value:?}"))
                .collect();
            headers.sort();
            (headers, actix_web::body::to_bytes(answer.into_body()))
        });
        assert_eq!(items.0, lines.0, "the same headers");
        let (items, lines) = (
            items.1.await.expect("a body"),
            lines.1.await.expect("a body"),
        );
        assert_eq!(items, lines);
        for empty in [Vec::new(), vec!["{}".to_owned()]] {
            let items = page(empty.clone())
                .try_map(WrittenItem::of_line)
                .expect("JSON lines");
            let items = actix_web::body::to_bytes(respond(&req, items, 2).into_body()).await;
            let lines = actix_web::body::to_bytes(respond_lines(&req, page(empty), 2).into_body());
            assert_eq!(items.expect("a body"), lines.await.expect("a body"));
        }
    }

    #[test]
    fn tampered_cursors_are_refused() {
        for bad in ["%%%", "eDp5", "", "YTo"] {
            let error = decode_cursor(bad).expect_err(bad);
            assert_eq!(error.parameter, "cursor");
        }
    }
}
