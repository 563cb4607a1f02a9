//! A minimal HTTP/1.1 keep-alive client for load generation, in the manner of wrk's.
//!
//! The bench's client shares the machine's two cores with the server it measures, so
//! every microsecond of CPU the client spends is taken from the server and shows up as
//! the server being slower than it is. reqwest costs about 75 µs of CPU per request
//! here; this client renders a request's bytes once, writes them in one call and parses
//! the response in place from a buffer kept across requests, a few µs each.
//!
//! It understands only what the bench needs: one request in flight per connection, no
//! TLS, no redirects, no compression (it sends no `Accept-Encoding`), bodies framed by
//! `Content-Length` or `Transfer-Encoding: chunked`. Anything else (the server closing
//! the connection, an unframed body, a malformed head) is an `io::Error`, after which
//! the connection is unusable: drop it and open another. There are no timeouts here;
//! wrap `send` in `tokio::time::timeout` if a phase needs one.

use std::fmt::Write as _;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::ops::Range;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Beyond this a response is taken for garbage rather than buffered without limit.
const MAX_RESPONSE: usize = 256 * 1024 * 1024;
/// Free space kept before each read, so most responses arrive in one `read`.
const READ_CHUNK: usize = 16 * 1024;

/// A request rendered once, so that sending it is a single write and no formatting.
#[derive(Debug, Clone)]
pub struct Request {
    bytes: Vec<u8>,
    /// A response to HEAD announces a length but carries no body.
    is_head: bool,
}

impl Request {
    /// `host` is the `Host` header's value (`127.0.0.1:8080`); `path` includes any query.
    /// Neither is checked for CR or LF: the bench builds them itself.
    pub fn new(method: &str, host: &str, path: &str, bearer: Option<&str>, json_body: Option<&[u8]>) -> Self {
        let body = json_body.unwrap_or_default();
        let size = 128 + method.len() + host.len() + path.len() + bearer.map_or(0, str::len) + body.len();
        let mut head = String::with_capacity(size);
        // Writing into a String cannot fail.
        let _ = write!(head, "{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
        if let Some(token) = bearer {
            let _ = write!(head, "Authorization: Bearer {token}\r\n");
        }
        if json_body.is_some() {
            head.push_str("Content-Type: application/json\r\n");
        }
        // A bodiless POST or PUT without a length is refused (411) by some servers.
        if json_body.is_some() || !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS") {
            let _ = write!(head, "Content-Length: {}\r\n", body.len());
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Self { bytes, is_head: method.eq_ignore_ascii_case("HEAD") }
    }
}

/// One response; the body borrows the connection's buffers, which the next `send` reuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'c> {
    pub status: u16,
    pub body: &'c [u8],
}

impl Response<'_> {
    pub const fn is_success(&self) -> bool {
        matches!(self.status, 200..=299)
    }
}

/// One keep-alive connection with its buffers, reused request after request.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    /// Bytes of the current response read so far; those before `start` are consumed.
    buf: Vec<u8>,
    start: usize,
    /// A chunked body, reassembled without its framing.
    chunked: Vec<u8>,
    /// Set while a request is in flight, so a `send` that failed or was dropped midway
    /// (the stream now inside a response) poisons the connection instead of desyncing it.
    broken: bool,
}

/// What a response head says about the body that follows.
struct Head {
    status: u16,
    length: Option<usize>,
    chunked: bool,
    close: bool,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        // Else Nagle holds a multi-segment request's tail until the server's delayed ACK.
        stream.set_nodelay(true)?;
        Ok(Self { stream, buf: Vec::with_capacity(READ_CHUNK), start: 0, chunked: Vec::new(), broken: false })
    }

    /// Writes `request` and reads its whole response. On any error, drop the connection.
    pub async fn send(&mut self, request: &Request) -> io::Result<Response<'_>> {
        if self.broken {
            return Err(io::Error::new(ErrorKind::InvalidInput, "connection left mid-response by an earlier send"));
        }
        if self.start != self.buf.len() {
            return Err(invalid("bytes arrived that belong to no request"));
        }
        self.buf.clear();
        self.start = 0;
        self.broken = true;
        self.stream.write_all(&request.bytes).await?;
        let head = self.until(b"\r\n\r\n").await?;
        let head = parse_head(self.buf.get(head).unwrap_or_default())?;
        let status = head.status;
        if head.close {
            return Err(invalid(format!("the server is closing the connection (Connection: close, status {status})")));
        }
        if (100..200).contains(&status) {
            return Err(invalid(format!("unexpected interim response {status}")));
        }
        let body = if request.is_head || status == 204 || status == 304 {
            Some(0..0)
        } else if head.chunked {
            if head.length.is_some() {
                return Err(invalid("both Content-Length and Transfer-Encoding"));
            }
            self.read_chunked().await?;
            None
        } else if let Some(length) = head.length {
            self.need(length).await?;
            let range = self.start..self.start + length;
            self.start = range.end;
            Some(range)
        } else {
            // Only the server closing the connection would end such a body.
            return Err(invalid("body framed by neither Content-Length nor chunked"));
        };
        self.broken = false;
        let body = match body {
            Some(range) => self.buf.get(range).ok_or_else(|| invalid("body outside the buffer"))?,
            None => &self.chunked,
        };
        Ok(Response { status, body })
    }

    fn pending(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Reads one more batch from the socket, with room for at least `want` bytes.
    async fn fill(&mut self, want: usize) -> io::Result<()> {
        if self.buf.len() > MAX_RESPONSE {
            return Err(invalid("response too large"));
        }
        self.buf.reserve(want.max(READ_CHUNK));
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(io::Error::new(ErrorKind::UnexpectedEof, "connection closed before the response ended"));
        }
        Ok(())
    }

    async fn need(&mut self, n: usize) -> io::Result<()> {
        if n > MAX_RESPONSE {
            return Err(invalid("body too large"));
        }
        while self.pending().len() < n {
            self.fill(n - self.pending().len()).await?;
        }
        Ok(())
    }

    /// Consumes input through the next `terminator`; returns where what precedes it lies in `buf`.
    async fn until(&mut self, terminator: &[u8]) -> io::Result<Range<usize>> {
        let mut scanned = 0;
        loop {
            let pending = self.pending();
            if let Some(at) = pending.get(scanned..).and_then(|p| find(p, terminator)) {
                let found = self.start..self.start + scanned + at;
                self.start = found.end + terminator.len();
                return Ok(found);
            }
            // The terminator may straddle two reads.
            scanned = pending.len().saturating_sub(terminator.len() - 1);
            self.fill(1).await?;
        }
    }

    async fn read_chunked(&mut self) -> io::Result<()> {
        self.chunked.clear();
        loop {
            let line = self.until(b"\r\n").await?;
            let field = self.buf.get(line).unwrap_or_default();
            // Chunk extensions (after `;`) carry nothing the bench needs.
            let digits = field.split(|&b| b == b';').next().unwrap_or_default().trim_ascii();
            let size = number(digits, 16).ok_or_else(|| invalid("malformed chunk size"))?;
            if size == 0 {
                break;
            }
            self.need(size.saturating_add(2)).await?;
            let data = self.start..self.start + size;
            if self.buf.get(data.end..data.end + 2) != Some(b"\r\n".as_slice()) {
                return Err(invalid("chunk not followed by CRLF"));
            }
            self.chunked.extend_from_slice(self.buf.get(data.clone()).unwrap_or_default());
            self.start = data.end + 2;
        }
        // Trailers, if any, end at an empty line.
        while !self.until(b"\r\n").await?.is_empty() {}
        Ok(())
    }
}

fn invalid(message: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, message)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Digits only: `from_str_radix` alone would also take a sign.
fn number(digits: &[u8], radix: u32) -> Option<usize> {
    let digits = std::str::from_utf8(digits).ok().filter(|d| d.chars().all(|c| c.is_digit(radix)))?;
    usize::from_str_radix(digits, radix).ok()
}

fn parse_head(head: &[u8]) -> io::Result<Head> {
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix(b"HTTP/1.1 ")
        .filter(|rest| rest.get(3).is_none_or(|&b| b == b' '))
        .and_then(|rest| rest.get(..3))
        .filter(|code| code.iter().all(u8::is_ascii_digit))
        .map(|code| code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0')))
        .ok_or_else(|| invalid("malformed status line"))?;
    let mut head = Head { status, length: None, chunked: false, close: false };
    for line in lines.filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(2, |&b| b == b':');
        let name = parts.next().unwrap_or_default();
        let value = parts.next().ok_or_else(|| invalid("header line without a colon"))?.trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            let length = number(value, 10).ok_or_else(|| invalid("malformed Content-Length"))?;
            if head.length.is_some_and(|l| l != length) {
                return Err(invalid("conflicting Content-Length headers"));
            }
            head.length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // Unless chunked is the last coding the body runs to the close, which
            // keep-alive cannot have.
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default().trim_ascii();
            if !last.eq_ignore_ascii_case(b"chunked") {
                return Err(invalid("unsupported Transfer-Encoding"));
            }
            head.chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            head.close |= value.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"));
        }
    }
    Ok(head)
}
