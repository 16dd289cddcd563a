//! Responses rendered once per data revision: a successful GET of the data is kept in memory,
//! as sent (status, headers, body bytes after content coding, the identity `ETag` already
//! computed), and the same request at the same revision on the same day is answered from
//! memory without running the handler's queries or compressing again.
//!
//! # What the key holds
//!
//! Everything the bytes depend on: the data revision and today's date (answers show current
//! phases), the path and query string, the base of its absolute URLs (the public URL, or what a
//! trusted proxy forwards: see [`crate::api::http::public_url`]), the format `Accept` negotiates and the
//! content coding `Accept-Encoding` negotiates (each coding's bytes are kept apart). Nothing
//! that names the caller: no read depends on `Authorization`.
//!
//! # Validity
//!
//! The revision comes from [`crate::api::http::caching::conditional_get`], which reads it from the
//! database on every data request; every write bumps it in its own transaction. So an entry
//! serves only while the data it was rendered from is current, on every process sharing the
//! database, and a write is seen by the very next read. Entries of past revisions are never
//! asked for again and are the first to go when room is needed.
//!
//! # One render at a time
//!
//! While an answer is being rendered (and, for a streamed export, recorded), the same request
//! does not render it again, nor take another database connection: it waits for that render
//! to end, for at most ten seconds (an export renders at the pace of the client it streams
//! to), and is then answered from what it kept; when nothing was kept, or past the wait, it
//! renders its own. So a crowd asking for the same page or the same export just after a write
//! costs one render.
//!
//! # Memory, and disk
//!
//! The entries weigh their bytes; the cache holds at most its budget
//! (`--cache-mib`, see [`crate::config`]). A response larger than an eighth of the budget is
//! not kept in memory. A streamed export is recorded while it streams and kept only if it
//! ends, successfully: in memory while under that limit; past it, the recording moves to a
//! file of the [spool](crate::api::http::spool), when there is one with room, and the next same
//! request is sent from the file. The exports being recorded in memory at once hold at most a
//! quarter of the budget between them: past that, a recording moves to disk too, or stops and
//! the export streams on in constant memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, AcceptEncoding, ContentEncoding, Encoding, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse};
use chrono::NaiveDate;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use tokio::sync::watch;

use crate::api::http::byte_bound::ByteBound;
use crate::api::http::public_url;
use crate::api::http::spool::{ExportSpool, SpoolWriter, Spooled};
use crate::api::http::state::AppState;
use crate::api::shape::formats::{Format, Streamed};

/// The default budget: 64 MiB.
pub const DEFAULT_BUDGET_MIB: u64 = 64;

/// The longest a request waits for the same export being rendered for another request, before
/// it renders its own: a render goes at the pace of the client it streams to.
const RENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a data response is rendered from, beyond the request: put in the request's extensions
/// by [`crate::api::http::caching::conditional_get`] for [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataVersion {
    /// The data revision read for this request.
    pub revision: i64,
    /// Today, as the application's clock says.
    pub day: NaiveDate,
}

/// Everything the bytes of a response depend on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    version: (i64, NaiveDate),
    coding: ContentEncoding,
    format: Format,
    /// The base of the answer's absolute URLs, then the path and query string.
    url: String,
}

impl Key {
    /// The data revision and day the response is rendered at.
    pub fn version(&self) -> (i64, NaiveDate) {
        self.version
    }

    /// The key of a request at `version`, or `None` when no content coding is acceptable to
    /// the client (the compression middleware answers 406 then).
    pub fn of(req: &ServiceRequest, version: DataVersion) -> Option<Self> {
        let coding = negotiated_coding(req)?;
        let target = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path(), |p| p.as_str());
        Some(Self {
            version: (version.revision, version.day),
            coding,
            format: Format::negotiate(req.request(), None),
            url: format!("{}{target}", public_url::base(req.request())),
        })
    }
}

/// The codings the compression middleware (`actix_web::middleware::Compress`) offers.
const SUPPORTED_CODINGS: [Encoding; 5] = [
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::gzip(),
    Encoding::deflate(),
    Encoding::zstd(),
];

/// The coding the compression middleware will apply, negotiated as it does.
fn negotiated_coding(req: &ServiceRequest) -> Option<ContentEncoding> {
    let Some(accept) = req.get_header::<AcceptEncoding>() else {
        return Some(ContentEncoding::Identity);
    };
    match accept.negotiate(SUPPORTED_CODINGS.iter())? {
        Encoding::Known(coding) => Some(coding),
        // Only the supported codings are negotiated.
        Encoding::Unknown(_) => None,
    }
}

/// A response as sent, ready to be sent again.
#[derive(Debug)]
pub struct Entry {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// Whether it was a streamed export: its tag is then made from the revision, not the bytes
    /// (see `conditional_get`), and must stay the same when it is answered from memory.
    streamed: bool,
}

impl Entry {
    /// The response, sharing the stored bytes.
    fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::with_body(self.status, self.body.clone());
        *response.headers_mut() = self.headers.clone();
        if self.streamed {
            response.extensions_mut().insert(Streamed);
        }
        response.map_into_boxed_body()
    }

    /// Bytes held: the body, the headers, and a fixed allowance for the rest.
    fn weight(&self, key: &Key) -> u64 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum();
        let total = self.body.len() + headers + key.url.len() + 256;
        u64::try_from(total).unwrap_or(u64::MAX)
    }
}

#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<Key, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &Key, entry: &Arc<Entry>) -> u64 {
        entry.weight(key)
    }
}

/// The cache of one process, shared by its workers.
pub struct ResponseCache {
    /// `None` when the budget is zero: nothing is kept.
    entries: Option<Cache<Key, Arc<Entry>, ByBytes>>,
    /// The largest body kept, in bytes.
    largest: usize,
    /// Bytes held by the recordings of streamed exports under way, and their bound.
    recording: ByteBound,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Where exports larger than the largest entry are kept; `None` keeps none.
    spool: Option<Arc<ExportSpool>>,
    /// The renders under way, by key, each with its number: the same request waits for the
    /// render under way (see [`serve`]).
    under_way: Mutex<HashMap<Key, (u64, watch::Receiver<()>)>>,
    announced: AtomicU64,
    renders: AtomicU64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("budget", &self.budget())
            .field("entries", &self.len())
            .field("hits", &self.hits())
            .field("misses", &self.misses())
            .finish()
    }
}

/// Each shard holds a quarter of the budget, so that an entry of an eighth always fits.
const SHARDS: usize = 4;

impl ResponseCache {
    /// A cache holding at most `budget` bytes; zero keeps nothing.
    pub fn new(budget: u64) -> Self {
        let entries = (budget > 0).then(|| {
            // Room for many small pages; the estimate only sizes internal tables.
            let estimated = usize::try_from(budget / 8192).unwrap_or(usize::MAX).max(16);
            let options = quick_cache::OptionsBuilder::new()
                .estimated_items_capacity(estimated)
                .weight_capacity(budget)
                .shards(SHARDS)
                .build();
            match options {
                Ok(options) => Cache::with_options(
                    options,
                    ByBytes,
                    quick_cache::DefaultHashBuilder::default(),
                    quick_cache::sync::DefaultLifecycle::default(),
                ),
                Err(_) => Cache::with_weighter(estimated, budget, ByBytes),
            }
        });
        Self {
            entries,
            largest: usize::try_from(budget / 8).unwrap_or(usize::MAX),
            recording: ByteBound::new(budget / 4),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            spool: None,
            under_way: Mutex::default(),
            announced: AtomicU64::new(0),
            renders: AtomicU64::new(0),
        }
    }

    /// Keeps exports larger than the largest entry in `spool`, on disk.
    pub fn with_spool(self, spool: ExportSpool) -> Self {
        Self {
            spool: Some(Arc::new(spool)),
            ..self
        }
    }

    /// The spool of large exports, if any.
    pub fn spool(&self) -> Option<&ExportSpool> {
        self.spool.as_deref()
    }

    /// The file kept for `key` in the spool, if any (counted as a spool hit).
    fn spooled(&self, key: &Key) -> Option<Arc<Spooled>> {
        self.spool.as_ref()?.get(key)
    }

    /// The answer kept for `key`, from memory or from the spool.
    fn kept(&self, key: &Key) -> Option<HttpResponse> {
        if let Some(entry) = self.get(key) {
            return Some(entry.response());
        }
        let body = self.spooled(key).as_ref().and_then(Spooled::body)?;
        let (status, headers) = (body.spooled().status, body.spooled().headers.clone());
        let mut response = HttpResponse::with_body(status, body);
        *response.headers_mut() = headers;
        response.extensions_mut().insert(Streamed);
        Some(response.map_into_boxed_body())
    }

    fn under_way(&self) -> MutexGuard<'_, HashMap<Key, (u64, watch::Receiver<()>)>> {
        self.under_way
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Announces a render of `key`, unless one is under way already: the guard whose drop
    /// says it ended.
    fn announce(self: &Arc<Self>, key: &Key) -> Option<Render> {
        let mut under_way = self.under_way();
        if under_way.contains_key(key) {
            return None;
        }
        let number = self.announced.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = watch::channel(());
        under_way.insert(key.clone(), (number, receiver));
        Some(Render {
            cache: Arc::clone(self),
            key: key.clone(),
            number,
            _ended: sender,
        })
    }

    /// What ends with the render under way of `key`, if any.
    fn render_under_way(&self, key: &Key) -> Option<watch::Receiver<()>> {
        self.under_way()
            .get(key)
            .map(|(_, receiver)| receiver.clone())
    }

    /// Requests rendered so far: neither answered from what was kept, nor from the render
    /// they waited for.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// A cache of `mib` mebibytes.
    pub fn with_mib(mib: u64) -> Self {
        Self::new(mib.saturating_mul(1024 * 1024))
    }

    /// The most bytes held.
    pub fn budget(&self) -> u64 {
        self.entries.as_ref().map_or(0, Cache::capacity)
    }

    /// The largest body kept, in bytes.
    pub fn largest_entry(&self) -> usize {
        self.largest
    }

    /// Responses held now.
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }

    /// Whether no response is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held now, as the entries weigh.
    pub fn weight(&self) -> u64 {
        self.entries.as_ref().map_or(0, Cache::weight)
    }

    /// Requests answered from memory so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that found nothing in memory: the request was then sent from the spool, waited
    /// for the same render under way, or was rendered.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// The response stored under `key`, counted as a hit or a miss.
    pub fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        let found = self.entries.as_ref()?.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn insert(&self, key: Key, entry: Entry) {
        if let Some(entries) = &self.entries
            && entry.body.len() <= self.largest
        {
            entries.insert(key, Arc::new(entry));
        }
    }

    fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// Bytes held now in memory by the recordings of streamed exports.
    pub fn recording(&self) -> u64 {
        self.recording.held()
    }
}

/// Middleware, between content coding (inside) and validators (outside): answers a data GET
/// from memory when the same request was rendered at the current revision today, and keeps
/// what it renders otherwise.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let version = req.extensions().get::<DataVersion>().copied();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(version), Some(state)) = (version, state) else {
        return pass(req, next).await;
    };
    let cache = Arc::clone(&state.cache);
    if !cache.enabled() || *req.method() != Method::GET {
        return pass(req, next).await;
    }
    let Some(key) = Key::of(&req, version) else {
        return pass(req, next).await;
    };
    if let Some(response) = cache.kept(&key) {
        return Ok(req.into_response(response));
    }
    let render = cache.announce(&key);
    if render.is_none()
        && let Some(mut ended) = cache.render_under_way(&key)
    {
        // The same answer is being rendered for another request: rather than render it again
        // (and take another database connection), wait for it to be kept. Its sender is
        // dropped when the render ends: `changed` then fails.
        let _ = actix_web::rt::time::timeout(RENDER_WAIT, ended.changed()).await;
        if let Some(response) = cache.kept(&key) {
            return Ok(req.into_response(response));
        }
    }
    cache.renders.fetch_add(1, Ordering::Relaxed);
    let response = next.call(req).await?;
    keep(cache, key, response, render).await
}

/// A render under way, announced so that the same request waits for it; dropped when it
/// ended, kept or not.
struct Render {
    cache: Arc<ResponseCache>,
    key: Key,
    number: u64,
    /// Dropped with the guard, which wakes the requests waiting.
    _ended: watch::Sender<()>,
}

impl Drop for Render {
    fn drop(&mut self) {
        let mut under_way = self.cache.under_way();
        if under_way
            .get(&self.key)
            .is_some_and(|(number, _)| *number == self.number)
        {
            under_way.remove(&self.key);
        }
    }
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Stores a successful response under `key` and sends it on: read whole when it is in memory
/// already, recorded as it streams when it is a streamed export. `render`, when this request
/// announced its render, ends once the response is kept (or not).
async fn keep(
    cache: Arc<ResponseCache>,
    key: Key,
    response: ServiceResponse<impl MessageBody + 'static>,
    render: Option<Render>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map_or(Ok(ContentEncoding::Identity), str::parse);
    // A coding other than the one negotiated would mean the key misses a part of the request.
    if response.status() != StatusCode::OK || coding.ok() != Some(key.coding) {
        return Ok(response.map_into_boxed_body());
    }
    let streamed = response.response().extensions().contains::<Streamed>();
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let status = head.status();
    let headers = head.headers().clone();
    if streamed {
        let mut recording = Recording::new(
            body.boxed(),
            Pending {
                cache,
                key,
                status,
                headers,
            },
        );
        recording.render = render;
        return Ok(ServiceResponse::new(
            request,
            head.set_body(recording).map_into_boxed_body(),
        ));
    }
    let body = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    cache.insert(
        key,
        Entry {
            status,
            headers,
            body: body.clone(),
            streamed,
        },
    );
    Ok(ServiceResponse::new(
        request,
        head.set_body(body).map_into_boxed_body(),
    ))
}

/// What a recording stores once its stream ends.
struct Pending {
    cache: Arc<ResponseCache>,
    key: Key,
    status: StatusCode,
    headers: HeaderMap,
}

/// Where a recording keeps its copy of the chunks.
enum Copy {
    /// In memory, while under the cache's largest entry.
    Memory { chunks: Vec<Bytes>, size: usize },
    /// In a file of the spool, past it.
    Disk(SpoolWriter),
    /// Given up, or stored.
    Off,
}

/// A streamed body that keeps a copy of its chunks, and stores it when the stream ends
/// without error: in memory while it stays under the cache's largest entry, on disk past it
/// (when the cache has a spool that has room). Otherwise, or on an error, it forgets them and
/// only passes chunks on.
struct Recording {
    inner: BoxBody,
    copy: Copy,
    pending: Pending,
    /// The render this request announced, ended with the recording; `None` when it announced
    /// none (another render of the same key was under way).
    render: Option<Render>,
}

impl Recording {
    fn new(inner: BoxBody, pending: Pending) -> Self {
        Self {
            inner,
            copy: Copy::Memory {
                chunks: Vec::new(),
                size: 0,
            },
            pending,
            render: None,
        }
    }

    /// Tells the requests waiting for this render that it ended, kept or not.
    fn end(&mut self) {
        self.render = None;
    }

    /// Keeps a copy of `chunk`: in memory, or on disk past the largest entry or the
    /// recordings' bound; gives up when the spool cannot take it either.
    fn record(&mut self, chunk: &Bytes) {
        let cache = &self.pending.cache;
        self.copy = match std::mem::replace(&mut self.copy, Copy::Off) {
            Copy::Memory {
                mut chunks,
                mut size,
            } => {
                if size + chunk.len() <= cache.largest
                    && cache.recording.reserve(chunk.len() as u64)
                {
                    size += chunk.len();
                    chunks.push(chunk.clone());
                    Copy::Memory { chunks, size }
                } else {
                    cache.recording.release(size as u64);
                    chunks.push(chunk.clone());
                    cache
                        .spool
                        .as_ref()
                        .and_then(|spool| spool.start(self.pending.key.clone(), &chunks))
                        .map_or(Copy::Off, Copy::Disk)
                }
            }
            Copy::Disk(mut writer) => {
                if writer.write(chunk) {
                    Copy::Disk(writer)
                } else {
                    Copy::Off
                }
            }
            Copy::Off => Copy::Off,
        };
    }

    fn give_up(&mut self) {
        if let Copy::Memory { size, .. } = std::mem::replace(&mut self.copy, Copy::Off) {
            self.pending.cache.recording.release(size as u64);
        }
        self.end();
    }

    fn store(&mut self) {
        let pending = &self.pending;
        match std::mem::replace(&mut self.copy, Copy::Off) {
            Copy::Memory { chunks, size } => {
                pending.cache.recording.release(size as u64);
                let mut body = Vec::with_capacity(size);
                for chunk in chunks {
                    body.extend_from_slice(&chunk);
                }
                pending.cache.insert(
                    pending.key.clone(),
                    Entry {
                        status: pending.status,
                        headers: pending.headers.clone(),
                        body: Bytes::from(body),
                        streamed: true,
                    },
                );
            }
            Copy::Disk(writer) => writer.finish(pending.status, pending.headers.clone()),
            Copy::Off => {}
        }
        self.end();
    }
}

impl MessageBody for Recording {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => this.record(chunk),
            Poll::Ready(Some(Err(_))) => this.give_up(),
            Poll::Ready(None) => this.store(),
            Poll::Pending => {}
        }
        polled
    }
}

/// A client that goes away drops the recording: its bytes are released, its file removed.
impl Drop for Recording {
    fn drop(&mut self) {
        self.give_up();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files a spool directory holds, its owner lock aside.
    fn spooled_files(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .expect("dir")
            .filter(|entry| entry.as_ref().is_ok_and(|e| e.file_name() != "owner.lock"))
            .count()
    }

    fn key(url: &str) -> Key {
        Key {
            version: (1, NaiveDate::from_ymd_opt(2030, 1, 1).expect("date")),
            coding: ContentEncoding::Identity,
            format: Format::Json,
            url: url.to_owned(),
        }
    }

    fn entry(size: usize) -> Entry {
        Entry {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; size]),
            streamed: false,
        }
    }

    #[test]
    fn the_budget_bounds_the_bytes_held() {
        let cache = ResponseCache::new(1024 * 1024);
        for i in 0..200 {
            cache.insert(key(&format!("/r/{i}")), entry(20_000));
        }
        assert!(cache.weight() <= 1024 * 1024, "{}", cache.weight());
        assert!(cache.len() < 200 && !cache.is_empty(), "{}", cache.len());
    }

    #[test]
    fn an_entry_larger_than_an_eighth_of_the_budget_is_not_kept() {
        let cache = ResponseCache::new(800_000);
        cache.insert(key("/big"), entry(100_001));
        assert!(cache.get(&key("/big")).is_none());
        cache.insert(key("/fits"), entry(99_000));
        assert!(cache.get(&key("/fits")).is_some());
        assert_eq!((cache.hits(), cache.misses()), (1, 1));
    }

    fn recording(cache: &Arc<ResponseCache>, url: &str) -> Recording {
        Recording::new(
            BoxBody::new(()),
            Pending {
                cache: Arc::clone(cache),
                key: key(url),
                status: StatusCode::OK,
                headers: HeaderMap::new(),
            },
        )
    }

    fn in_memory(recording: &Recording) -> bool {
        matches!(recording.copy, Copy::Memory { .. })
    }

    #[test]
    fn recordings_under_way_hold_at_most_a_quarter_of_the_budget() {
        let cache = Arc::new(ResponseCache::new(80_000));
        let chunk = Bytes::from(vec![b'x'; 8_000]);
        let (mut one, mut two, mut three) = (
            recording(&cache, "/1"),
            recording(&cache, "/2"),
            recording(&cache, "/3"),
        );
        one.record(&chunk);
        two.record(&chunk);
        assert_eq!(cache.recording(), 16_000);
        three.record(&chunk);
        three.record(&chunk);
        assert!(!in_memory(&three), "past 20,000 bytes recorded at once");
        assert_eq!(cache.recording(), 16_000);
        one.record(&chunk);
        assert!(!in_memory(&one), "past the largest entry, 10,000 bytes");
        assert_eq!(cache.recording(), 8_000);
        two.store();
        assert_eq!(cache.recording(), 0);
        assert!(cache.get(&key("/2")).is_some());
        drop(three);
        let mut four = recording(&cache, "/4");
        four.record(&chunk);
        drop(four);
        assert_eq!(
            cache.recording(),
            0,
            "a dropped recording releases its bytes"
        );
    }

    #[test]
    fn past_the_largest_entry_a_recording_goes_to_the_spool() {
        let parent = tempfile::tempdir().expect("temporary directory");
        let spool = ExportSpool::new(parent.path(), 100_000);
        let cache = Arc::new(ResponseCache::new(80_000).with_spool(spool));
        let spool = cache.spool().expect("a spool");
        let chunk = Bytes::from(vec![b'x'; 6_000]);
        let mut big = recording(&cache, "/big");
        for _ in 0..5 {
            big.record(&chunk);
        }
        assert!(matches!(big.copy, Copy::Disk(_)));
        assert_eq!(cache.recording(), 0, "nothing held in memory once on disk");
        assert_eq!(spool.writing(), 30_000);
        big.store();
        assert_eq!(
            (spool.writing(), spool.len(), spool.bytes()),
            (0, 1, 30_000)
        );
        assert!(cache.get(&key("/big")).is_none(), "not in memory");
        let kept = cache.spooled(&key("/big")).expect("kept on disk");
        let dir = spool.dir().expect("made").to_owned();
        assert_eq!(std::fs::read(kept.path()).expect("file").len(), 30_000);

        // Past half the spool's budget, a file is not kept, and leaves nothing behind.
        let mut huge = recording(&cache, "/huge");
        for _ in 0..10 {
            huge.record(&chunk);
        }
        assert!(matches!(huge.copy, Copy::Off));
        huge.store();
        assert_eq!(spool.writing(), 0);
        assert_eq!(spooled_files(&dir), 1);

        // A client gone mid-way: the file being written is removed.
        let mut cut = recording(&cache, "/cut");
        for _ in 0..3 {
            cut.record(&chunk);
        }
        drop(cut);
        assert_eq!((spool.writing(), spool.len()), (0, 1));
        assert_eq!(spooled_files(&dir), 1);

        // A newer revision's file removes the older ones; once no answer sends it.
        let mut newer = Recording::new(
            BoxBody::new(()),
            Pending {
                cache: Arc::clone(&cache),
                key: Key {
                    version: (2, NaiveDate::from_ymd_opt(2030, 1, 1).expect("date")),
                    ..key("/big")
                },
                status: StatusCode::OK,
                headers: HeaderMap::new(),
            },
        );
        for _ in 0..3 {
            newer.record(&chunk);
        }
        newer.store();
        assert_eq!((spool.len(), spool.bytes()), (1, 18_000));
        assert!(cache.spooled(&key("/big")).is_none());
        assert!(kept.path().exists(), "still held by an answer being sent");
        let old = kept.path().to_owned();
        drop(kept);
        assert!(!old.exists(), "removed when the last answer ends");
        drop((big, huge, newer, cache));
        assert!(!dir.exists(), "the directory goes with the spool");
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = ResponseCache::new(0);
        cache.insert(key("/a"), entry(10));
        assert!(cache.get(&key("/a")).is_none());
        assert_eq!(cache.budget(), 0);
    }

    #[test]
    fn keys_differ_by_revision_day_coding_and_format() {
        let base = key("/a");
        let mut other = base.clone();
        other.version.0 = 2;
        assert_ne!(base, other);
        let mut other = base.clone();
        other.version.1 = NaiveDate::from_ymd_opt(2030, 1, 2).expect("date");
        assert_ne!(base, other);
        let mut other = base.clone();
        other.coding = ContentEncoding::Gzip;
        assert_ne!(base, other);
        let mut other = base.clone();
        other.format = Format::Csv;
        assert_ne!(base, other);
    }
}
