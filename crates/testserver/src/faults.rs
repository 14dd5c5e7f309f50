//! Applying injected faults around a handler.

use std::future::Future;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::{App, Fault, FaultKind};
use crate::util;

/// Response extension telling the connection layer to close the socket without answering.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

/// A response that makes the server close the connection without writing anything.
pub fn drop_response() -> Response {
    let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    r.extensions_mut().insert(DropConnection);
    r
}

fn status_fault(f: &Fault) -> Response {
    let status = f.status.unwrap_or(503);
    if status == 500 {
        return util::v3_err(
            500,
            "Unrecognized exception type: <class 'Exception'>. Exception: injected fault",
        );
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = code.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut r = (code, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    r
}

/// Counts the request, applies a matching fault (if any) and otherwise runs `work`.
pub async fn guarded<F>(app: &App, endpoint: &str, grant: Option<(&str, &str)>, work: F) -> Response
where
    F: Future<Output = Response>,
{
    let fault = app.begin(endpoint, grant);
    let mut drop_after = false;
    if let Some(f) = &fault {
        match f.kind {
            FaultKind::Status => return status_fault(f),
            FaultKind::RateLimit => {
                let secs = f.retry_after.unwrap_or(1);
                let mut r = util::text_status(429, "Too Many Requests".into());
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
            FaultKind::Delay => {
                let ms = f.delay_ms.unwrap_or(1000).min(60_000);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            FaultKind::Drop => return drop_response(),
            FaultKind::DropAfter => drop_after = true,
            FaultKind::Malformed => {
                let mut r = (
                    StatusCode::OK,
                    "{\"result\": {\"access_token\": {\"access_tok",
                )
                    .into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                return r;
            }
            FaultKind::EndlessBody => return endless_body(f.declared),
            FaultKind::Respond => return respond(f),
        }
    }
    let resp = work.await;
    if drop_after {
        return drop_response();
    }
    resp
}

/// 64 KiB of the endless body, sent again and again.
static CHUNK: [u8; 65536] = [b'a'; 65536];

/// A body that never ends: `{"result": {"access_token": {"access_token": "aaaa…` forever.
struct Endless {
    started: bool,
}

impl futures_core::Stream for Endless {
    type Item = Result<axum::body::Bytes, std::convert::Infallible>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let chunk = if std::mem::replace(&mut self.started, true) {
            axum::body::Bytes::from_static(&CHUNK)
        } else {
            axum::body::Bytes::from_static(br#"{"result": {"access_token": {"access_token": ""#)
        };
        std::task::Poll::Ready(Some(Ok(chunk)))
    }
}

fn endless_body(declared: Option<u64>) -> Response {
    let mut r = Response::new(axum::body::Body::from_stream(Endless { started: false }));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(n) = declared {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    r
}

fn respond(f: &Fault) -> Response {
    let code = StatusCode::from_u16(f.status.unwrap_or(200)).unwrap_or(StatusCode::OK);
    let mut r = (code, f.body.clone().unwrap_or_default()).into_response();
    let ct = f.content_type.as_deref().unwrap_or("application/json");
    if let Ok(v) = HeaderValue::from_str(ct) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}
