//! Formats for reusers: JSON (the default), CSV and NDJSON, chosen by `?format=` or `Accept`,
//! and whole-collection exports streamed in constant memory.
//!
//! An export is read chunk by chunk on the blocking pool and written ahead of the client into
//! a temporary file, so the server holds a few chunks in memory whatever the collection's
//! size, and a slow client holds no connection; a client that goes away stops the reading.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::http::error::ApiError;
use crate::api::http::spill;
use crate::api::http::state::AppState;
use crate::api::shape::columns::{self, Column, FieldType};
use crate::api::shape::{envelope, formula_safe};
use crate::db::DbConnection;
use crate::db::page::{Page, PageRequest};

/// A representation of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Ndjson,
}

pub const CSV: &str = "text/csv; charset=utf-8";
pub const NDJSON: &str = "application/x-ndjson";

impl Format {
    /// `?format=` when given, else the first of `text/csv` and NDJSON that `Accept` names, else
    /// JSON.
    pub fn negotiate(req: &HttpRequest, asked: Option<Format>) -> Format {
        if let Some(format) = asked {
            return format;
        }
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mentions = |media: &str| accept.split(',').any(|m| m.trim().starts_with(media));
        if mentions("text/csv") {
            Format::Csv
        } else if mentions("application/x-ndjson") || mentions("application/ndjson") {
            Format::Ndjson
        } else {
            Format::Json
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => CSV,
            Format::Ndjson => NDJSON,
        }
    }
}

/// Marks a response streamed in constant memory: middleware must not buffer it.
#[derive(Debug, Clone, Copy)]
pub struct Streamed;

/// Streams what `produce` sends, produced on the blocking pool with a pooled connection, in
/// its turn among exports ([`crate::api::http::bulkheads`]). `produce` gets a `send` function that
/// returns false once the client is gone. What it sends is written ahead of the client into a
/// temporary file ([`crate::api::http::spill`]): the connection is given back when the database
/// is read, however slowly the client reads.
///
/// The connection is taken before the answer starts: when none can be had, the client is
/// answered 503, not a `200 OK` whose body stops short.
pub async fn stream<F>(
    state: &AppState,
    format: Format,
    produce: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection, &mut dyn FnMut(Bytes) -> bool) -> Result<(), ApiError>
        + Send
        + 'static,
{
    let turn = state.bulkheads.export(state.query_timeout).await?;
    let pool = state.pool.clone();
    let mut conn = web::block(move || pool.get())
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))?
        .map_err(ApiError::Unavailable)?;
    let (mut writer, reader) = spill::spill()?;
    let reading = turn.reading;
    actix_web::rt::spawn(async move {
        let outcome = web::block(move || {
            let _reading = reading;
            let outcome = produce(&mut conn, &mut |chunk: Bytes| writer.append(&chunk));
            drop(conn);
            writer.end(outcome.as_ref().map(|_| ()).map_err(ToString::to_string));
            outcome
        })
        .await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => log::error!("export stopped: {error}"),
            Err(blocking) => log::error!("export task failed: {blocking}"),
        }
    });
    let under_way = turn.under_way;
    let body =
        futures_util::stream::unfold((reader, under_way), |(mut reader, under_way)| async move {
            reader.next().await.map(|item| (item, (reader, under_way)))
        });
    let mut response = HttpResponse::Ok()
        .content_type(format.content_type())
        .streaming(body);
    response.extensions_mut().insert(Streamed);
    Ok(response)
}

/// Writes CSV records, `delimiter`-separated (RFC 4180: quoted where needed, CRLF line ends):
/// the header row of `columns` first when `header`, then each record, a cell per column.
///
/// Every CSV the service publishes is written here, so that no cell escapes the rule against
/// formulas: each is made safe by the type of its column ([`formula_safe::neutralise`]), and a
/// cell past the columns counts as text.
pub fn csv_chunk<R, C>(
    delimiter: u8,
    columns: &[Column],
    header: bool,
    records: impl IntoIterator<Item = R>,
) -> Result<Bytes, ApiError>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let error = |e: &dyn std::fmt::Display| ApiError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    if header {
        writer
            .write_record(columns::header(columns))
            .map_err(|e| error(&e))?;
    }
    for record in records {
        for (i, cell) in record.into_iter().enumerate() {
            let field_type = columns.get(i).map_or(FieldType::String, |c| c.field_type);
            let cell = formula_safe::neutralise(cell.as_ref(), field_type);
            writer.write_field(cell.as_bytes()).map_err(|e| error(&e))?;
        }
        writer.write_record(None::<&[u8]>).map_err(|e| error(&e))?;
    }
    writer.into_inner().map(Bytes::from).map_err(|e| error(&e))
}

/// One JSON document per line.
pub fn ndjson_chunk<T: Serialize>(items: &[T]) -> Result<Bytes, ApiError> {
    let mut out = Vec::new();
    for item in items {
        serde_json::to_writer(&mut out, item)
            .map_err(|e| ApiError::Internal(format!("writing NDJSON: {e}")))?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

/// A flat CSV row: the fixed columns of a collection (the header row and the TableSchema
/// descriptor), and one record per item, a cell per column.
pub trait CsvRecord {
    const COLUMNS: &'static [Column];
    fn record(&self) -> Vec<String>;
}

/// An optional value as a CSV cell: empty when absent.
pub fn cell<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Items in CSV (with the header row when `header`) or NDJSON.
pub fn encode<T: Serialize + CsvRecord>(
    format: Format,
    items: &[T],
    header: bool,
) -> Result<Bytes, ApiError> {
    match format {
        Format::Csv => csv_chunk(
            b',',
            T::COLUMNS,
            header,
            items.iter().map(CsvRecord::record),
        ),
        _ => ndjson_chunk(items),
    }
}

/// Reads one page of a collection: the function a JSON list and its CSV and NDJSON answers
/// share. A whole export calls it for each chunk ([`PageRequest::chunk`]).
pub trait FetchPage<T>:
    Fn(&mut DbConnection, &PageRequest) -> QueryResult<Page<T>> + Send + 'static
{
}

impl<T, F> FetchPage<T> for F where
    F: Fn(&mut DbConnection, &PageRequest) -> QueryResult<Page<T>> + Send + 'static
{
}

/// Rows read per chunk of a whole-collection export.
pub const CHUNK_ROWS: i64 = 1000;

/// Answers a paged collection in CSV or NDJSON: the whole of it streamed chunk by chunk when
/// the client asked for no page (`whole`), else the page `request` names, with its `Link`
/// header. `fetch` reads one page; it is the same function the JSON list uses.
pub async fn respond_collection<T, F>(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
    request: PageRequest,
    whole: bool,
    fetch: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + CsvRecord + Send + 'static,
    F: FetchPage<T>,
{
    if whole {
        return stream(state, format, move |conn, send| {
            let mut chunk = PageRequest {
                size: CHUNK_ROWS,
                cursor: None,
                chunk: true,
            };
            let mut first = true;
            loop {
                let page = fetch(conn, &chunk)?;
                if !send(encode(format, &page.rows, first)?) {
                    return Ok(());
                }
                first = false;
                match page.next {
                    Some(cursor) => chunk.cursor = Some(cursor),
                    None => return Ok(()),
                }
            }
        })
        .await;
    }
    let page = state.db(move |conn| fetch(conn, &request)).await?;
    let (_, link) = envelope::links(req, &page);
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::LINK, link))
        .body(encode(format, &page.rows, true)?))
}

/// Answers a short collection that is always whole (no paging parameters) in the format asked
/// for: the list envelope with every item, or the CSV or NDJSON of them all.
pub fn respond_whole<T>(
    req: &HttpRequest,
    format: Format,
    rows: Vec<T>,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + ToSchema + CsvRecord,
{
    if format != Format::Json {
        return Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .body(encode(format, &rows, true)?));
    }
    Ok(envelope::respond_whole_page(req, rows))
}

/// Answers a paged collection in the format asked for: the JSON list envelope, or what
/// [`respond_collection`] gives for CSV and NDJSON.
pub async fn respond_list<T, F>(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
    request: PageRequest,
    whole: bool,
    fetch: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + ToSchema + CsvRecord + Send + 'static,
    F: FetchPage<T>,
{
    if format != Format::Json {
        return respond_collection(req, state, format, request, whole, fetch).await;
    }
    let size = request.size;
    let page = state.db(move |conn| fetch(conn, &request)).await?;
    Ok(envelope::respond(req, page, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column::text("name", ""),
        Column::new("value", FieldType::Number, ""),
        Column::date("day", ""),
    ];

    fn written(delimiter: u8, records: &[[&str; 3]]) -> String {
        let bytes = csv_chunk(delimiter, COLUMNS, true, records.iter().copied()).expect("CSV");
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }

    #[test]
    fn cells_are_made_formula_safe_by_their_column_type() {
        let text = written(b',', &[["=1+1", "-3.5", "2019-02-28"], ["plain", "", ""]]);
        assert_eq!(
            text,
            "name,value,day\r\n'=1+1,-3.5,2019-02-28\r\nplain,,\r\n"
        );
        let text = written(b';', &[["\tx", "=cmd|' /C calc'!A0", "-1"]]);
        assert_eq!(
            text, "name;value;day\r\n'\tx;'=cmd|' /C calc'!A0;'-1\r\n",
            "a typed cell its type does not admit is text"
        );
    }

    #[test]
    fn a_cell_past_the_columns_is_text() {
        let bytes = csv_chunk(b',', &COLUMNS[..1], false, [["x", "@y"]]).expect("CSV");
        assert_eq!(&bytes[..], b"x,'@y\r\n");
    }
}
