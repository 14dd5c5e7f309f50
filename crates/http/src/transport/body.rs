//! A response as it arrives, for either driver: its status and headers, and as much of its
//! body as [`TransportConfig::max_body_bytes`] allows.

use super::*;

/// A response being received. Beyond the limit it is [`Failure::TooLarge`] and the caller
/// stops reading (dropping reqwest's response closes the connection): an endless body cannot
/// exhaust memory.
pub(super) struct Incoming {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    max: u64,
}

impl Incoming {
    /// A response with this status and these headers, whose body may be `max` bytes; a
    /// `declared` `Content-Length` beyond that is refused before any of the body is read.
    pub(super) fn start(
        status: reqwest::StatusCode,
        headers: &reqwest::header::HeaderMap,
        declared: Option<u64>,
        max: u64,
    ) -> Result<Self, Failure> {
        if declared.is_some_and(|n| n > max) {
            return Err(Failure::TooLarge { declared });
        }
        let headers = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Self {
            status: status.as_u16(),
            headers,
            body: Vec::with_capacity(declared.unwrap_or(8192).min(max) as usize),
            max,
        })
    }

    /// Whether `more` bytes would take the body beyond the limit.
    fn over(&self, more: usize) -> bool {
        self.body.len() as u64 + more as u64 > self.max
    }

    /// Adds a chunk of the body (the async driver); refused if it goes beyond the limit.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(super) fn extend(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        if self.over(chunk.len()) {
            return Err(Failure::TooLarge { declared: None });
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// Reads the rest of the body from `reader` (the blocking driver): at most one byte
    /// beyond the limit, which is then refused.
    pub(super) fn read_from(&mut self, reader: impl std::io::Read) -> Result<(), Failure> {
        use std::io::Read;
        let room = self
            .max
            .saturating_add(1)
            .saturating_sub(self.body.len() as u64);
        reader
            .take(room)
            .read_to_end(&mut self.body)
            .map_err(Failure::from_io)?;
        if self.over(0) {
            return Err(Failure::TooLarge { declared: None });
        }
        Ok(())
    }

    /// The whole response.
    pub(super) fn finish(self) -> HttpResponse {
        let mut out = HttpResponse::new(self.status, self.body);
        out.headers = self.headers;
        out
    }
}
