//! Problem documents for the errors actix-http answers before the application sees a request:
//! a head it cannot read (more than 96 header lines, or past its buffer) is a bare 431, and a
//! request that breaks HTTP/1.1's framing (a malformed request line or header, conflicting
//! `Content-Length` and `Transfer-Encoding`) a bare 400, both with no body, after which the
//! connection is closed. actix-http offers no hook for their body.
//!
//! [`Dressed`] wraps each connection and watches what is written to it: a write that ends with
//! such an answer (a complete head, status 400 or 431, `content-length: 0`) has that answer
//! replaced by the same status with a problem document and the headers every other answer
//! has. The application never writes one itself (every error of its own has a problem
//! document), and an answer of the application, written whole before it, is kept as it is.

use std::io::{self, Write as _};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::api::http::error::{PROBLEM_JSON, Problem};

/// How far from the end of a write the bare answer's head may start: it is under 150 bytes.
const HEAD_WITHIN: usize = 512;

/// A connection whose bare framing errors are answered with problem documents.
#[derive(Debug)]
pub struct Dressed<T> {
    inner: T,
    /// Bytes accepted from the writer and not yet written: the answer that replaced one.
    pending: Vec<u8>,
    sent: usize,
}

impl<T> Dressed<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            sent: 0,
        }
    }

    /// The connection it wraps.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncWrite + Unpin> Dressed<T> {
    /// Writes what is pending; ready once nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.sent += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Dressed<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Dressed<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.drain(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => return Poll::Pending,
        }
        let Some(dressed) = dress(buf) else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        // Taken whole; written by this call as far as the connection takes it, the rest by
        // the next write, flush or shutdown.
        this.pending = dressed;
        if let Poll::Ready(Err(error)) = this.drain(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

/// `written` with a bare 400 or 431 that ends it replaced by the same answer with a problem
/// document; `None` when it does not end with one.
fn dress(written: &[u8]) -> Option<Vec<u8>> {
    if !written.ends_with(b"\r\n\r\n") {
        return None;
    }
    let from = written.len().saturating_sub(HEAD_WITHIN);
    let start = from
        + written[from..]
            .windows(b"HTTP/1.1 4".len())
            .rposition(|w| w == b"HTTP/1.1 4")?;
    let head = &written[start..];
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(len)) if len == head.len() => {}
        _ => return None,
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    if header("content-length") != Some(b"0") {
        return None;
    }
    let (status, detail) = match response.code? {
        400 => (
            400,
            "the request is not valid HTTP/1.1: its request line, a header, or its framing \
             (Content-Length, Transfer-Encoding) cannot be read; the connection is closed",
        ),
        431 => (
            431,
            "the request head is larger than the server reads: at most 96 header lines; \
             the connection is closed",
        ),
        _ => return None,
    };
    let reason = response.reason.unwrap_or_default();
    let body = serde_json::to_vec(&Problem {
        kind: format!("/problems/http-{status}"),
        title: reason.to_owned(),
        status,
        detail: detail.to_owned(),
        errors: Vec::new(),
    })
    .ok()?;
    let mut dressed = written[..start].to_vec();
    let _ = write!(
        dressed,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\n\
         connection: close\r\nx-content-type-options: nosniff\r\nx-frame-options: DENY\r\n\
         content-security-policy: frame-ancestors 'none'\r\nreferrer-policy: no-referrer\r\n",
        body.len()
    );
    if let Some(date) = header("date") {
        dressed.extend_from_slice(b"date: ");
        dressed.extend_from_slice(date);
        dressed.extend_from_slice(b"\r\n");
    }
    dressed.extend_from_slice(b"\r\n");
    dressed.extend_from_slice(&body);
    Some(dressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARE_431: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
        connection: close\r\ndate: Wed, 02 Dec 2026 18:00:00 GMT\r\n\r\n";

    fn split(answer: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(answer.to_vec()).expect("UTF-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        (
            head.to_owned(),
            serde_json::from_str(body).expect("a JSON body"),
        )
    }

    #[test]
    fn a_bare_431_gets_its_problem_document() {
        let (head, body) = split(&dress(BARE_431).expect("dressed"));
        assert!(
            head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{head}"
        );
        assert!(
            head.contains("content-type: application/problem+json"),
            "{head}"
        );
        assert!(
            head.contains("date: Wed, 02 Dec 2026 18:00:00 GMT"),
            "{head}"
        );
        assert!(head.contains("x-content-type-options: nosniff"), "{head}");
        assert_eq!(body["status"], 431);
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("96 header lines")
        );
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|n| n.parse().ok())
            .expect("a length");
        assert_eq!(length, serde_json::to_vec(&body).expect("JSON").len());
    }

    #[test]
    fn what_was_written_before_it_is_kept() {
        let earlier: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        let written = [
            earlier,
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
        ]
        .concat();
        let dressed = dress(&written).expect("dressed");
        assert!(dressed.starts_with(earlier));
        assert!(split(&dressed[earlier.len()..]).1["status"] == 400);
    }

    #[test]
    fn answers_of_the_application_are_left_alone() {
        for written in [
            // A problem document of its own.
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 2\r\n\r\n{}"[..],
            // The end of a chunked body.
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            // An answer with no body of another status.
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ] {
            assert_eq!(dress(written), None, "{}", String::from_utf8_lossy(written));
        }
    }

    #[actix_rt::test]
    async fn a_connection_writes_the_dressed_answer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (server, mut client) = tokio::io::duplex(64);
        let mut dressed = Dressed::new(server);
        let writer = actix_rt::spawn(async move {
            dressed.write_all(BARE_431).await.expect("write");
            dressed.shutdown().await.expect("shutdown");
        });
        let mut read = Vec::new();
        client.read_to_end(&mut read).await.expect("read");
        writer.await.expect("the writer");
        assert_eq!(split(&read).1["status"], 431);
    }
}
