//! Error classification: every non-2xx response of either platform becomes one [`Error`] here.
//!
//! Body shapes recognised, in order:
//! 1. WSO2 gateway faults (Agave v2), JSON `{"fault":{"code":900901,...}}` or XML
//!    `<ams:fault><ams:code>900903</ams:code>...` — see [`super::v2::fault_error`];
//! 2. RFC 6749 errors `{"error":"invalid_grant","error_description":...}` (WSO2 `/token`) —
//!    [`super::v2::oauth_error`];
//! 3. the Tapis envelope `{"status":"error","message":...}` (Python services, HTTP 400/500) —
//!    classified by message text in [`super::v3::message_error`];
//! 4. plain text starting with `TAPIS_SECURITY_` (Java services' 401) —
//!    [`super::v3::java_error`];
//! 5. anything else (empty, HTML, garbage): [`Error::Server`] with the status and the
//!    (truncated) text, except where the context decides (below).
//!
//! Context rules: on Agave v2, **any 400 or 401 on a refresh grant** is
//! [`Error::RefreshRejected`] whatever the body says; a v2 password grant answered 400/401 with
//! an unrecognised body is [`Error::InvalidCredentials`] / [`Error::InvalidClient`].
//!
//! Every message is passed through [`super::redact_message`] with the caller's secrets before
//! it is stored in the error.

use serde_json::Value;

use super::{redact_message, v2, v3};
use crate::{Error, HttpResponse, Platform, Secret};

/// Which request a response answers; the same body can mean different things per grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Context {
    /// `grant_type=password`.
    PasswordGrant,
    /// `grant_type=refresh_token`.
    RefreshGrant,
    /// `grant_type=authorization_code`.
    AuthCodeGrant,
    /// `POST /v3/oauth2/device/code` (start of the device flow).
    DeviceCode,
    /// `grant_type=device_code` (device-flow poll).
    DeviceGrant,
    /// Token revocation.
    Revoke,
    /// Tenant listing or lookup.
    Tenants,
    /// OAuth client management.
    Clients,
    /// Userinfo / profile.
    UserInfo,
    /// Any other service call authorised with the access token.
    Service,
}

/// The recognised shape of an error body.
#[derive(Debug)]
pub(crate) enum ErrorBody {
    /// WSO2 fault (JSON or XML).
    Fault { code: Option<i64>, message: String },
    /// RFC 6749 §5.2 error.
    OAuth { error: String, description: String },
    /// Tapis / Agave service envelope.
    Envelope { message: String },
    /// Non-JSON text.
    Text(String),
    /// No body.
    Empty,
}

impl ErrorBody {
    /// Recognises the shape of `body`. Never panics.
    pub(crate) fn parse(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return ErrorBody::Empty;
        }
        if trimmed.starts_with('{') {
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(trimmed) {
                if let Some(f) = m.get("fault").filter(|f| f.is_object()) {
                    let s = |k: &str| {
                        f.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let (msg, desc) = (s("message"), s("description"));
                    return ErrorBody::Fault {
                        code: super::lenient_i64(f.get("code")),
                        message: join(&msg, &desc),
                    };
                }
                if let Some(Value::String(error)) = m.get("error") {
                    let description = m
                        .get("error_description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    return ErrorBody::OAuth {
                        error: error.clone(),
                        description,
                    };
                }
                if m.contains_key("message") || m.contains_key("status") {
                    let message = match m.get("message") {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Null) | None => String::new(),
                        Some(other) => other.to_string(),
                    };
                    return ErrorBody::Envelope { message };
                }
            }
        }
        if trimmed.starts_with('<') && trimmed.contains("fault") && trimmed.contains("code>") {
            let msg = xml_text(trimmed, "message>").unwrap_or_default();
            let desc = xml_text(trimmed, "description>").unwrap_or_default();
            return ErrorBody::Fault {
                code: xml_text(trimmed, "code>").and_then(|c| c.trim().parse().ok()),
                message: join(&msg, &desc),
            };
        }
        ErrorBody::Text(trimmed.to_owned())
    }

    /// The text that best describes the error, unredacted.
    fn describe(&self) -> String {
        match self {
            ErrorBody::Fault { code, message } => match code {
                Some(c) => format!("{c} {message}"),
                None => message.clone(),
            },
            ErrorBody::OAuth { error, description } => join(error, description),
            ErrorBody::Envelope { message } => message.clone(),
            ErrorBody::Text(t) => t.clone(),
            ErrorBody::Empty => "empty response body".into(),
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_owned(),
        (true, false) => b.to_owned(),
        _ => format!("{a}: {b}"),
    }
}

/// The text of the first element whose tag name ends with `tail` (`"code>"` matches
/// `<ams:code>` and `<code>`).
fn xml_text(xml: &str, tail: &str) -> Option<String> {
    let mut from = 0;
    while let Some(p) = xml[from..].find(tail).map(|p| p + from) {
        let start = p + tail.len();
        // An opening tag: the `<` before the name is not followed by `/`.
        let open = xml[..p]
            .rfind('<')
            .is_some_and(|lt| !xml[lt..].starts_with("</"));
        if open {
            let end = xml[start..].find('<').map_or(xml.len(), |e| e + start);
            return Some(xml[start..end].trim().to_owned());
        }
        from = start;
    }
    None
}

/// Classifies a failed response (any status; meant for non-2xx) into an [`Error`].
///
/// `secrets` are removed from every message (pass [`crate::Session::secrets`] plus anything
/// the request carried, e.g. the token being revoked).
pub fn classify(
    platform: Platform,
    ctx: Context,
    resp: &HttpResponse,
    secrets: &[&Secret],
) -> Error {
    classify_body(platform, ctx, resp, secrets).with_http_status(resp.status)
}

fn classify_body(
    platform: Platform,
    ctx: Context,
    resp: &HttpResponse,
    secrets: &[&Secret],
) -> Error {
    let status = resp.status;
    let body = ErrorBody::parse(&resp.body);
    let redact = |t: &str| redact_message(t, secrets);
    if platform == Platform::AgaveV2 && ctx == Context::RefreshGrant && matches!(status, 400 | 401)
    {
        return Error::RefreshRejected {
            status: None,
            message: redact(&format!("HTTP {status}: {}", body.describe())),
        };
    }
    match &body {
        ErrorBody::Fault { code, .. } => v2::fault_error(*code, status, redact(&body.describe())),
        ErrorBody::OAuth { error, description } => {
            v2::oauth_error(ctx, status, error, redact(&join(error, description)))
        }
        ErrorBody::Envelope { message } => v3::message_error(ctx, status, message, redact(message)),
        ErrorBody::Text(t) if t.starts_with("TAPIS_SECURITY_") => {
            v3::java_error(status, t, redact(t))
        }
        ErrorBody::Text(_) | ErrorBody::Empty => {
            fallback(platform, ctx, status, redact(&body.describe()))
        }
    }
}

fn fallback(platform: Platform, ctx: Context, status: u16, message: String) -> Error {
    match (platform, ctx, status) {
        (Platform::AgaveV2, Context::PasswordGrant, 400) => Error::InvalidCredentials {
            message,
            status: None,
        },
        (Platform::AgaveV2, Context::PasswordGrant, 401) => Error::InvalidClient {
            message,
            status: None,
        },
        _ => Error::Server { status, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_fault_code_is_read() {
        let b = ErrorBody::parse(br#"<ams:fault xmlns:ams="http://wso2.org/apimanager/security"><ams:code>900903</ams:code><ams:message>Access Token Expired</ams:message><ams:description>d</ams:description></ams:fault>"#);
        match b {
            ErrorBody::Fault { code, message } => {
                assert_eq!(code, Some(900_903));
                assert_eq!(message, "Access Token Expired: d");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_is_text() {
        assert!(matches!(
            ErrorBody::parse(b"<html>502</html>"),
            ErrorBody::Text(_)
        ));
        assert!(matches!(ErrorBody::parse(b"  "), ErrorBody::Empty));
        assert!(matches!(ErrorBody::parse(b"{not json"), ErrorBody::Text(_)));
    }
}
