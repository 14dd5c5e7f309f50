//! Conversions to and from the [`http`] crate's types (cargo feature `http`), for HTTP clients
//! built on them (ureq 3, hyper, reqwest's `http` interop, tower services): send
//! [`HttpRequest::to_http`] and hand the answer back with [`HttpResponse::from_http`].
//!
//! ```
//! use tapis_auth_core::{HttpRequest, HttpResponse, Method, Replay};
//! let req = HttpRequest::new(Method::Post, "https://tacc.tapis.io/v3/oauth2/tokens", Replay::OnlyIfNotSent)
//!     .header("Authorization", "Basic Y2lkOmNrZXk=")
//!     .form(&[("grant_type", "refresh_token")]);
//! let out = req.to_http().unwrap();
//! assert_eq!(out.method(), http::Method::POST);
//! assert!(out.headers()["authorization"].is_sensitive());
//! assert_eq!(out.headers()["content-type"], "application/x-www-form-urlencoded");
//!
//! let answer = http::Response::builder().status(401).header("Retry-After", "5").body(b"{}".to_vec()).unwrap();
//! let back = HttpResponse::from_http(answer);
//! assert_eq!((back.status, back.header("retry-after")), (401, Some("5")));
//! ```

use crate::{HttpRequest, HttpResponse, Method};

impl From<Method> for http::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Delete => http::Method::DELETE,
        }
    }
}

impl HttpRequest {
    /// This request as an [`http::Request`]: method, URL, headers (credentials marked
    /// [sensitive](http::HeaderValue::set_sensitive), so clients that honour it keep them out of
    /// their logs), `Content-Type` from the body, and the body bytes.
    ///
    /// The returned body is a plain `Vec<u8>`: unlike this request's, it is not zeroed on
    /// drop. An error names the header or URL that `http` refused (never a header's value).
    pub fn to_http(&self) -> Result<http::Request<Vec<u8>>, http::Error> {
        let mut builder = http::Request::builder()
            .method(http::Method::from(self.method))
            .uri(self.url.as_str());
        for h in &self.headers {
            let mut value = http::HeaderValue::from_str(h.value.expose())?;
            value.set_sensitive(h.is_sensitive());
            builder = builder.header(h.name.as_str(), value);
        }
        if let Some(body) = &self.body {
            builder = builder.header(http::header::CONTENT_TYPE, body.content_type);
        }
        builder.body(
            self.body
                .as_ref()
                .map(|b| b.bytes.to_vec())
                .unwrap_or_default(),
        )
    }
}

impl HttpResponse {
    /// A response from an [`http::Response`] whose body has been read: the status, the
    /// headers whose values are text (the core reads a few, such as `Retry-After`), and the
    /// body.
    pub fn from_http<B: Into<Vec<u8>>>(response: http::Response<B>) -> Self {
        let (parts, body) = response.into_parts();
        let mut out = HttpResponse::new(parts.status.as_u16(), body);
        for (name, value) in &parts.headers {
            if let Ok(v) = value.to_str() {
                out = out.with_header(name.as_str(), v);
            }
        }
        out
    }
}

impl<B: Into<Vec<u8>>> From<http::Response<B>> for HttpResponse {
    fn from(response: http::Response<B>) -> Self {
        HttpResponse::from_http(response)
    }
}

#[cfg(test)]
mod tests {
    use crate::{HttpRequest, HttpResponse, Method, Replay};

    #[test]
    fn credentials_stay_out_of_the_http_requests_debug_output() {
        let req = HttpRequest::new(Method::Get, "https://t.tapis.io/v3/x", Replay::Safe)
            .header("X-Tapis-Token", "eyJ.secret-token.sig")
            .header("Accept", "application/json");
        let out = req.to_http().unwrap();
        assert!(out.headers()["x-tapis-token"].is_sensitive());
        assert!(!out.headers()["accept"].is_sensitive());
        let printed = format!("{out:?}");
        assert!(!printed.contains("secret-token"), "{printed}");
        assert!(printed.contains("application/json"), "{printed}");
        assert_eq!(out.uri(), "https://t.tapis.io/v3/x");
        assert!(out.body().is_empty());
    }

    #[test]
    fn a_header_http_refuses_is_an_error_that_does_not_carry_its_value() {
        let req = HttpRequest::new(Method::Get, "https://t.tapis.io/", Replay::Safe)
            .header("Authorization", "Bearer bad\nvalue-secret");
        let e = req.to_http().unwrap_err();
        assert!(!format!("{e} {e:?}").contains("value-secret"));
    }

    #[test]
    fn responses_keep_status_text_headers_and_body() {
        let r = http::Response::builder()
            .status(503)
            .header("Retry-After", "7")
            .header("X-Binary", &b"\xff"[..])
            .body("down")
            .unwrap();
        let back: HttpResponse = r.into();
        assert_eq!(back.status, 503);
        assert_eq!(back.header("Retry-After"), Some("7"));
        assert_eq!(back.header("x-binary"), None);
        assert_eq!(&back.body[..], b"down");
    }
}
