//! HTTP requests and responses as owned data. The core builds [`HttpRequest`]s and consumes
//! [`HttpResponse`]s; a [`crate::Transport`] moves them. `Debug` never prints credentials:
//! sensitive headers and every body print as redacted.

use std::fmt;

use zeroize::Zeroizing;

use crate::Secret;

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Method {
    /// Upper-case method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Whether a transport may send a request again after it may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Safe to repeat (reads, revokes, idempotent deletes): retry on 5xx/429 and timeouts.
    Safe,
    /// Not safe once it may have reached the server (token grants: a refresh token may be
    /// spent). Retry only when it certainly was not sent (connection refused, DNS failure).
    OnlyIfNotSent,
}

/// Header names whose values are credentials.
const SENSITIVE_HEADERS: [&str; 3] = ["authorization", "x-tapis-token", "cookie"];

/// One request header. Values of sensitive headers are never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// Header name as sent.
    pub name: String,
    /// Header value (a [`Secret`] so credentials are zeroed on drop).
    pub value: Secret,
}

impl Header {
    /// True for `Authorization`, `X-Tapis-Token` and `Cookie`.
    pub fn is_sensitive(&self) -> bool {
        SENSITIVE_HEADERS
            .iter()
            .any(|h| self.name.eq_ignore_ascii_case(h))
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_sensitive() {
            write!(f, "{}: {}", self.name, crate::secret::REDACTED)
        } else {
            write!(f, "{}: {}", self.name, self.value.expose())
        }
    }
}

/// A request body with its content type. The bytes are zeroed on drop (bodies carry passwords
/// and refresh tokens) and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    /// `application/json` or `application/x-www-form-urlencoded`.
    pub content_type: &'static str,
    /// The encoded body.
    pub bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body({}, {} bytes)", self.content_type, self.bytes.len())
    }
}

/// JSON content type.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// Form content type.
pub const CONTENT_TYPE_FORM: &str = "application/x-www-form-urlencoded";

/// An HTTP request the core wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers other than `Content-Type` (which comes from the body) and `User-Agent` (the
    /// transport's).
    pub headers: Vec<Header>,
    /// Body, if any.
    pub body: Option<Body>,
    /// Retry policy for the transport.
    pub replay: Replay,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>, replay: Replay) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            replay,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<Secret>) -> Self {
        self.headers.push(Header {
            name: name.to_owned(),
            value: value.into(),
        });
        self
    }

    /// Sets a JSON body from a `serde_json::Value`.
    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.body = Some(Body {
            content_type: CONTENT_TYPE_JSON,
            bytes: Zeroizing::new(serde_json::to_vec(value).unwrap_or_default()),
        });
        self
    }

    /// Sets a form-encoded body from ordered pairs.
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        // Room for the worst case (every byte percent-encoded) up front: a growing buffer would
        // leave unwiped copies of the password or refresh token behind in freed memory.
        let cap = pairs.iter().map(|(k, v)| 3 * (k.len() + v.len()) + 2).sum();
        let mut ser = url::form_urlencoded::Serializer::new(String::with_capacity(cap));
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        self.body = Some(Body {
            content_type: CONTENT_TYPE_FORM,
            bytes: Zeroizing::new(ser.finish().into_bytes()),
        });
        self
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.expose())
    }
}

/// An HTTP response handed back to the core.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers (lower- or mixed-case names).
    pub headers: Vec<(String, String)>,
    /// Body bytes, zeroed on drop (token responses carry secrets).
    pub body: Zeroizing<Vec<u8>>,
}

impl HttpResponse {
    /// A response with a status and body and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Zeroizing::new(body.into()),
        }
    }

    /// Adds a header (builder style, for tests and transports).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as (lossy) UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials_and_bodies() {
        let r = HttpRequest::new(
            Method::Post,
            "https://x/v3/oauth2/tokens",
            Replay::OnlyIfNotSent,
        )
        .header("Authorization", "Basic Y2lkOmNrZXk=")
        .header("X-Tapis-Token", "eyJhbGciOi.payload.sig")
        .header("Accept", "application/json")
        .form(&[("password", "hunter2")]);
        let d = format!("{r:?}");
        assert!(!d.contains("Y2lkOmNrZXk="));
        assert!(!d.contains("eyJhbGciOi"));
        assert!(!d.contains("hunter2"));
        assert!(d.contains("application/json"));
        let resp = HttpResponse::new(200, r#"{"access_token":"SECRET"}"#);
        assert!(!format!("{resp:?}").contains("SECRET"));
    }

    #[test]
    fn form_encoding_is_exact() {
        let r = HttpRequest::new(Method::Post, "u", Replay::Safe).form(&[
            ("grant_type", "password"),
            ("username", "a b"),
            ("password", "p&="),
        ]);
        let b = r.body.unwrap();
        assert_eq!(b.content_type, CONTENT_TYPE_FORM);
        assert_eq!(
            &b.bytes[..],
            b"grant_type=password&username=a+b&password=p%26%3D"
        );
    }
}
