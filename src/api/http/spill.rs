//! An export written ahead of its reader: the database side writes every chunk into an
//! unnamed temporary file as fast as it reads them, and the client reads the file behind it at
//! its own pace. The connection is given back as soon as the export is read from the
//! database, however slowly the client takes it, so a stalled or slow reader holds a file, not
//! a connection nor a blocking thread.
//!
//! The file has no name (`O_TMPFILE`, or unlinked at once): it goes with the last handle on
//! it, even when the process is killed. Bytes written are in the page cache, so a reader
//! close behind the writer reads memory.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::Bytes;
use tokio::sync::Notify;

use crate::api::http::error::ApiError;

/// Bytes read from the file at a time.
const READ_CHUNK: u64 = 256 * 1024;

/// The file, and how far the writer got.
#[derive(Debug)]
struct Shared {
    file: File,
    progress: Mutex<Progress>,
    /// Woken on each write, at the end, and when the reader goes.
    changed: Notify,
}

#[derive(Debug, Default)]
struct Progress {
    written: u64,
    /// The export ended: complete (`Ok`), or cut off by an error the reader is to send.
    end: Option<Result<(), String>>,
    reader_gone: bool,
}

impl Shared {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The database side: appends chunks.
#[derive(Debug)]
pub struct SpillWriter {
    shared: Arc<Shared>,
}

/// The client side: a stream of the chunks written, in order.
#[derive(Debug)]
pub struct SpillReader {
    shared: Arc<Shared>,
    offset: u64,
    /// The end, or the error, was sent.
    finished: bool,
}

/// A new spill file in the system's temporary directory, as its two ends.
pub fn spill() -> Result<(SpillWriter, SpillReader), ApiError> {
    let file = tempfile::tempfile()
        .map_err(|e| ApiError::Internal(format!("cannot make an export's temporary file: {e}")))?;
    let shared = Arc::new(Shared {
        file,
        progress: Mutex::default(),
        changed: Notify::new(),
    });
    Ok((
        SpillWriter {
            shared: Arc::clone(&shared),
        },
        SpillReader {
            shared,
            offset: 0,
            finished: false,
        },
    ))
}

impl SpillWriter {
    /// Appends `chunk`; false once the reader is gone (the export may stop) or the file cannot
    /// take it (the reader is then told).
    pub fn append(&mut self, chunk: &[u8]) -> bool {
        let offset = {
            let progress = self.shared.progress();
            if progress.reader_gone {
                return false;
            }
            progress.written
        };
        if let Err(error) = self.shared.file.write_all_at(chunk, offset) {
            self.end(Err(format!(
                "cannot write an export's temporary file: {error}"
            )));
            return false;
        }
        self.shared.progress().written = offset + chunk.len() as u64;
        self.shared.changed.notify_one();
        true
    }

    /// Ends the export: complete, or cut off by `error`.
    pub fn end(&mut self, outcome: Result<(), String>) {
        self.shared.progress().end.get_or_insert(outcome);
        self.shared.changed.notify_one();
    }
}

impl Drop for SpillWriter {
    /// A writer dropped without [`SpillWriter::end`] (a panic) cuts the export off.
    fn drop(&mut self) {
        self.end(Err("the export stopped unexpectedly".into()));
    }
}

impl SpillReader {
    /// The next chunk: `None` at the end, an error when the export was cut off.
    pub async fn next(&mut self) -> Option<Result<Bytes, ApiError>> {
        while !self.finished {
            let (written, end) = {
                let progress = self.shared.progress();
                (progress.written, progress.end.clone())
            };
            if self.offset < written {
                return Some(self.read(written));
            }
            match end {
                Some(outcome) => {
                    self.finished = true;
                    if let Err(error) = outcome {
                        return Some(Err(ApiError::Internal(error)));
                    }
                }
                None => self.shared.changed.notified().await,
            }
        }
        None
    }

    fn read(&mut self, written: u64) -> Result<Bytes, ApiError> {
        let len = (written - self.offset).min(READ_CHUNK);
        let mut buffer = vec![0; usize::try_from(len).unwrap_or(usize::MAX)];
        self.shared
            .file
            .read_exact_at(&mut buffer, self.offset)
            .map_err(|e| {
                ApiError::Internal(format!("cannot read an export's temporary file: {e}"))
            })?;
        self.offset += len;
        Ok(Bytes::from(buffer))
    }
}

impl Drop for SpillReader {
    /// The client is gone: the writer stops at its next chunk.
    fn drop(&mut self) {
        self.shared.progress().reader_gone = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn the_reader_gets_every_chunk_in_order_however_far_behind() {
        let (mut writer, mut reader) = spill().expect("a spill");
        let chunks: Vec<Vec<u8>> = (0..50u8)
            .map(|i| vec![i; 10_000 + usize::from(i)])
            .collect();
        for chunk in &chunks {
            assert!(
                writer.append(chunk),
                "the writer never waits for the reader"
            );
        }
        writer.end(Ok(()));
        let mut read = Vec::new();
        while let Some(chunk) = reader.next().await {
            read.extend_from_slice(&chunk.expect("a chunk"));
        }
        assert_eq!(read, chunks.concat());
    }

    #[actix_rt::test]
    async fn a_reader_waits_for_the_writer_and_hears_of_its_error() {
        let (mut writer, mut reader) = spill().expect("a spill");
        let producer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            writer.append(b"first");
            writer.end(Err("the database went away".into()));
        });
        assert_eq!(
            reader.next().await.expect("a chunk").expect("bytes"),
            "first"
        );
        let error = reader
            .next()
            .await
            .expect("the error")
            .expect_err("cut off");
        assert!(error.to_string().contains("internal"), "{error}");
        assert!(reader.next().await.is_none());
        producer.join().expect("the producer");
    }

    #[test]
    fn a_gone_reader_stops_the_writer() {
        let (mut writer, reader) = spill().expect("a spill");
        assert!(writer.append(b"one"));
        drop(reader);
        assert!(!writer.append(b"two"));
    }
}
