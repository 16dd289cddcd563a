//! The response cache's second tier: exports too large to keep in memory are written to a
//! file while they stream the first time, and the same request at the same data revision on
//! the same day is then answered from that file, at the speed of the disk's page cache, in
//! constant memory.
//!
//! A file holds the bytes as sent (after content coding), like a memory entry; it is used
//! only once complete, and only under the key it was rendered for (see
//! [`crate::api::http::response_cache::Key`]). The files live in a directory of their own, made on first
//! use under `--spool-dir` (the system's temporary directory by default) and removed with it
//! when the server stops.
//!
//! # Disk
//!
//! The files kept hold at most the budget (`--spool-mib`) between them; one larger than half
//! of it is not kept. Keeping a file of a newer revision removes those of older ones, which
//! no request asks for again; past the budget, the oldest kept go first. Files being written
//! hold at most the budget too, so the directory never holds more than twice it. A file
//! removed while it is being sent stays readable until the answer ends.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;

use crate::api::http::byte_bound::ByteBound;
use crate::api::http::response_cache::Key;

/// The default budget: 1 GiB of disk.
pub const DEFAULT_BUDGET_MIB: u64 = 1024;

/// Bytes read from a file at a time while sending it.
const READ_CHUNK: usize = 256 * 1024;

/// A complete file, and the response head it is sent with. The file is removed when the last
/// answer sending it ends after it was dropped from the spool.
#[derive(Debug)]
pub struct Spooled {
    path: PathBuf,
    len: u64,
    pub status: StatusCode,
    pub headers: HeaderMap,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

/// Removes a file of the spool; one already gone (with the directory, at exit) is no error.
fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            log::warn!("spool: cannot remove {}: {error}", path.display());
        }
        _ => {}
    }
}

impl Spooled {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The body that sends the file, or `None` when it cannot be opened (the answer is then
    /// rendered again).
    pub fn body(self: &Arc<Self>) -> Option<SpooledBody> {
        match File::open(&self.path) {
            Ok(file) => Some(SpooledBody {
                file,
                left: self.len,
                spooled: Arc::clone(self),
            }),
            Err(error) => {
                log::warn!("spool: cannot open {}: {error}", self.path.display());
                None
            }
        }
    }
}

/// The files kept, in the order they were kept.
type Kept = VecDeque<(Key, Arc<Spooled>)>;

/// Bytes the files `kept` hold.
fn weight(kept: &Kept) -> u64 {
    kept.iter().map(|(_, spooled)| spooled.len).sum()
}

/// What names a spool directory, in its parent.
const DIR_PREFIX: &str = "betadata-spool-";

/// The file in a spool directory that its process holds locked while it lives: the lock goes
/// with the process, however it ends, so a directory whose lock can be taken is stale.
const OWNER_LOCK: &str = "owner.lock";

/// A spool directory made by this process, removed with what it holds when dropped, and its
/// owner lock.
#[derive(Debug)]
struct SpoolDir {
    dir: tempfile::TempDir,
    _owner: File,
}

impl SpoolDir {
    fn make(parent: &Path) -> Result<Self, String> {
        let failed = |e: std::io::Error| format!("{}: {e}", parent.display());
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir_in(parent)
            .map_err(failed)?;
        let owner = File::create(dir.path().join(OWNER_LOCK)).map_err(failed)?;
        owner.try_lock().map_err(|e| failed(e.into()))?;
        Ok(Self { dir, _owner: owner })
    }
}

/// How old a spool directory without an owner lock must be to be stale: one is made, then
/// its lock, within this.
const UNLOCKED_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the spool directories under `parent` that no living process holds; how many.
fn sweep_stale(parent: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry.file_name().to_string_lossy().starts_with(DIR_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if ours && is_stale(&path) {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => removed += 1,
                Err(error) => log::warn!("spool: cannot remove {}: {error}", path.display()),
            }
        }
    }
    if removed > 0 {
        log::info!(
            "spool: removed {removed} director{} left by a stopped server in {}",
            if removed == 1 { "y" } else { "ies" },
            parent.display()
        );
    }
    removed
}

/// Whether the spool directory `dir` has no living owner.
fn is_stale(dir: &Path) -> bool {
    match File::options().write(true).open(dir.join(OWNER_LOCK)) {
        // Taken: its owner is gone (the lock is given back as the file closes).
        Ok(lock) => lock.try_lock().is_ok(),
        // Made before locks were kept, or just being made.
        Err(_) => std::fs::metadata(dir)
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > UNLOCKED_GRACE)),
    }
}

/// Large exports kept on disk, shared by the workers of one process.
#[derive(Debug)]
pub struct ExportSpool {
    /// Before `dir`, so that the files are removed before their directory.
    kept: Mutex<Kept>,
    /// Where the spool directory is made.
    parent: PathBuf,
    dir: OnceLock<Result<SpoolDir, String>>,
    budget: u64,
    /// Bytes of the files being written.
    writing: ByteBound,
    /// Names the files.
    written: AtomicU64,
    hits: AtomicU64,
}

impl ExportSpool {
    /// A spool of at most `budget` bytes under `parent`, which it makes its own directory in.
    pub fn new(parent: impl Into<PathBuf>, budget: u64) -> Self {
        Self {
            parent: parent.into(),
            dir: OnceLock::new(),
            budget,
            kept: Mutex::default(),
            writing: ByteBound::new(budget),
            written: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// A spool of `mib` mebibytes in the system's temporary directory.
    pub fn in_temp_dir(mib: u64) -> Self {
        Self::new(std::env::temp_dir(), mib.saturating_mul(1024 * 1024))
    }

    /// The largest file kept.
    pub fn largest(&self) -> u64 {
        self.budget / 2
    }

    /// Files kept now.
    pub fn len(&self) -> usize {
        self.kept().len()
    }

    /// Whether no file is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the files kept hold now.
    pub fn bytes(&self) -> u64 {
        weight(&self.kept())
    }

    /// Requests answered from a file so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// The spool's directory, once a file was written; `None` before, or when it could not be
    /// made.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.get()?.as_ref().ok().map(|dir| dir.dir.path())
    }

    /// Removes the spool directories that no living process holds any more under this
    /// spool's parent (left by a server that was killed); how many. Run at start.
    pub fn sweep_stale(&self) -> usize {
        sweep_stale(&self.parent)
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file kept for `key`, counted as a hit.
    pub fn get(&self, key: &Key) -> Option<Arc<Spooled>> {
        let kept = self.kept();
        let found = kept
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, spooled)| Arc::clone(spooled));
        drop(kept);
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Starts writing a file for `key`, holding `first` (the bytes recorded in memory so
    /// far); `None` when the spool is full, or its directory or the file cannot be made.
    pub fn start(self: &Arc<Self>, key: Key, first: &[Bytes]) -> Option<SpoolWriter> {
        if self.budget == 0 {
            return None;
        }
        let dir = self
            .dir
            .get_or_init(|| SpoolDir::make(&self.parent))
            .as_ref()
            .inspect_err(|e| log::warn!("spool: cannot make a directory in {e}"))
            .ok()?;
        let number = self.written.fetch_add(1, Ordering::Relaxed);
        let path = dir.dir.path().join(format!("{number}.part"));
        let file = File::create(&path)
            .inspect_err(|e| log::warn!("spool: cannot create {}: {e}", path.display()))
            .ok()?;
        let mut writer = SpoolWriter {
            spool: Arc::clone(self),
            key,
            path,
            file: Some(file),
            len: 0,
        };
        for chunk in first {
            if !writer.write(chunk) {
                return None;
            }
        }
        Some(writer)
    }

    /// Bytes of the files being written now.
    pub fn writing(&self) -> u64 {
        self.writing.held()
    }

    /// Keeps a complete file: removes those of older revisions, then the oldest until it
    /// fits. A file of an older revision than one kept is not kept (it is removed).
    fn keep(&self, key: Key, spooled: Spooled) {
        let mut kept = self.kept();
        let newest = key.version();
        if kept.iter().any(|(k, _)| k.version() > newest) {
            return;
        }
        kept.retain(|(k, _)| k.version() >= newest && *k != key);
        while weight(&kept) + spooled.len > self.budget {
            if kept.pop_front().is_none() {
                break;
            }
        }
        kept.push_back((key, Arc::new(spooled)));
    }
}

/// A file being written as an export streams; removed unless [`SpoolWriter::finish`] keeps it.
#[derive(Debug)]
pub struct SpoolWriter {
    spool: Arc<ExportSpool>,
    key: Key,
    path: PathBuf,
    /// `None` once given up.
    file: Option<File>,
    len: u64,
}

impl SpoolWriter {
    /// Appends `chunk`; `false` when the file is given up: past the largest file kept or the
    /// room for files being written, or on a write error.
    pub fn write(&mut self, chunk: &[u8]) -> bool {
        let Some(file) = &mut self.file else {
            return false;
        };
        let bytes = chunk.len() as u64;
        if self.len + bytes > self.spool.largest() || !self.spool.writing.reserve(bytes) {
            self.give_up();
            return false;
        }
        self.len += bytes;
        if let Err(error) = file.write_all(chunk) {
            log::warn!("spool: cannot write {}: {error}", self.path.display());
            self.give_up();
            return false;
        }
        true
    }

    /// Keeps the file, complete, to answer `key` with `status` and `headers`.
    pub fn finish(mut self, status: StatusCode, headers: HeaderMap) {
        let Some(file) = self.file.take() else {
            return;
        };
        self.spool.writing.release(self.len);
        drop(file);
        let path = self.path.with_extension("body");
        if let Err(error) = std::fs::rename(&self.path, &path) {
            log::warn!("spool: cannot keep {}: {error}", self.path.display());
            remove(&self.path);
            return;
        }
        let key = self.key.clone();
        self.spool.keep(
            key,
            Spooled {
                path,
                len: self.len,
                status,
                headers,
            },
        );
    }

    fn give_up(&mut self) {
        if self.file.take().is_some() {
            self.spool.writing.release(self.len);
            remove(&self.path);
        }
    }
}

impl Drop for SpoolWriter {
    fn drop(&mut self) {
        self.give_up();
    }
}

/// A kept file, sent in chunks read as the connection takes them.
pub struct SpooledBody {
    file: File,
    left: u64,
    /// Keeps the file from being removed while it is sent.
    spooled: Arc<Spooled>,
}

impl SpooledBody {
    /// The file sent, and its response head.
    pub fn spooled(&self) -> &Spooled {
        &self.spooled
    }
}

impl MessageBody for SpooledBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.left)
    }

    /// Reads on the worker: the file was written moments ago, and is read from the page cache.
    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if this.left == 0 {
            return Poll::Ready(None);
        }
        let size = usize::try_from(this.left).map_or(READ_CHUNK, |left| left.min(READ_CHUNK));
        let mut chunk = vec![0; size];
        let outcome = match this.file.read(&mut chunk) {
            Ok(0) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the spooled file is shorter than when it was kept",
            )),
            Ok(read) => {
                chunk.truncate(read);
                this.left -= read as u64;
                Ok(Bytes::from(chunk))
            }
            Err(error) => Err(error),
        };
        Poll::Ready(Some(outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_directories_no_living_process_holds_are_swept() {
        let parent = tempfile::tempdir().expect("a folder");
        let live = SpoolDir::make(parent.path()).expect("a live spool directory");
        // Left by a killed server: its lock file, which nobody holds.
        let killed = parent.path().join(format!("{DIR_PREFIX}killed"));
        std::fs::create_dir(&killed).expect("a directory");
        File::create(killed.join(OWNER_LOCK)).expect("a lock file");
        std::fs::write(killed.join("0.part"), vec![0; 1000]).expect("a file");
        // Just made by a living server, its lock not yet taken.
        let young = parent.path().join(format!("{DIR_PREFIX}young"));
        std::fs::create_dir(&young).expect("a directory");
        let other = parent.path().join("someone-else");
        std::fs::create_dir(&other).expect("a directory");

        assert_eq!(sweep_stale(parent.path()), 1);
        assert!(!killed.exists(), "the killed server's directory is gone");
        assert!(live.dir.path().exists() && young.exists() && other.exists());
        drop(live);
        assert_eq!(
            sweep_stale(parent.path()),
            0,
            "a dropped spool removed its own"
        );
    }
}
