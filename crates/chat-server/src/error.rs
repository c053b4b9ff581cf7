//! The one place where errors become Stream's error body (api-spec/errors.md §1):
//! `{code, message, StatusCode, duration, more_info, details, exception_fields?}`.
//!
//! Everything that can fail in the server ends up as an [`ApiError`]: domain errors from
//! `chat-core` and authentication errors convert through `From`, so handlers can use `?`
//! and the code/status table of errors.md §2 lives here and nowhere else.
//!
//! This module deliberately does not implement axum's `IntoResponse`: the HTTP edge adds
//! the real `duration` and the rate-limit headers, which only it knows.

use std::collections::BTreeMap;
use std::fmt;

use axum::http::StatusCode;
use chat_core::StoreError;
use serde_json::{json, Map, Value};

use crate::auth::AuthError;

/// Stream error codes used by the server (api-spec/errors.md §2).
pub mod codes {
    /// Internal System Error (500).
    pub const INTERNAL: i32 = -1;
    /// Access Key Error (401).
    pub const ACCESS_KEY: i32 = 2;
    /// Input Error (400): the default for bad parameters.
    pub const INPUT: i32 = 4;
    /// Authentication Error (401).
    pub const AUTHENTICATION: i32 = 5;
    /// Rate Limit Error (429).
    pub const RATE_LIMIT: i32 = 9;
    /// Does Not Exist Error (404).
    pub const NOT_FOUND: i32 = 16;
    /// Not Allowed Error (403).
    pub const NOT_ALLOWED: i32 = 17;
    /// Event Not Supported Error (400).
    pub const EVENT_NOT_SUPPORTED: i32 = 18;
    /// Channel Feature Not Supported Error (400).
    pub const FEATURE_DISABLED: i32 = 19;
    /// Message Too Long Error (400).
    pub const MESSAGE_TOO_LONG: i32 = 20;
    /// Multiple Nesting Level Error (400).
    pub const NESTED_REPLY: i32 = 21;
    /// Payload Too Big Error (413).
    pub const PAYLOAD_TOO_BIG: i32 = 22;
    /// Authentication Token Expired (401); also used for revoked tokens.
    pub const TOKEN_EXPIRED: i32 = 40;
    /// Authentication Token Not Valid Yet (401).
    pub const TOKEN_NOT_VALID_YET: i32 = 41;
    /// Authentication Token Before Issued At (401): inconsistent time claims.
    pub const TOKEN_BAD_TIME_CLAIMS: i32 = 42;
    /// Authentication Token Signature Invalid (401).
    pub const TOKEN_SIGNATURE_INVALID: i32 = 43;
    /// Cooldown Error (403): slow mode.
    pub const COOLDOWN: i32 = 60;
    /// App Suspended Error (403).
    pub const APP_SUSPENDED: i32 = 99;
}

/// An error as the API reports it: Stream error code, HTTP status, a message clients show
/// to people, and optional per-field validation messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Stream error code (api-spec/errors.md §2).
    pub code: i32,
    /// HTTP status; also sent as `StatusCode` in the body.
    pub status: StatusCode,
    /// Human-readable message.
    pub message: String,
    /// Per-field validation messages (`field → reason`); omitted from the body when empty.
    pub exception_fields: BTreeMap<String, String>,
}

impl ApiError {
    /// An error with an explicit code and status and no field details.
    pub fn new(code: i32, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            exception_fields: BTreeMap::new(),
        }
    }

    /// Bad input: code 4, HTTP 400.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(codes::INPUT, StatusCode::BAD_REQUEST, message)
    }

    /// A required field is missing: code 4, HTTP 400, with `exception_fields`
    /// `{field: "is required"}` and a message naming the field.
    pub fn missing_field(field: &str) -> Self {
        let mut e = Self::input(format!("{field} is required"));
        e.exception_fields
            .insert(field.to_string(), "is required".to_string());
        e
    }

    /// A field has a bad value: code 4, HTTP 400, with `exception_fields`
    /// `{field: reason}` and the message `<field>: <reason>`.
    pub fn invalid_field(field: &str, reason: &str) -> Self {
        // `field: reason` reads well both for predicate reasons ("must be a string") and
        // for sentence reasons ("an acting user is required") that `chat-core` produces.
        let mut e = Self::input(format!("{field}: {reason}"));
        e.exception_fields
            .insert(field.to_string(), reason.to_string());
        e
    }

    /// An unknown resource (`what` is the kind: `channel`, `user`…): code 16, HTTP 404.
    pub fn not_found(what: &str, id: impl fmt::Display) -> Self {
        let id = id.to_string();
        let message = if id.is_empty() {
            format!("{what} does not exist")
        } else {
            format!("{what} {id} does not exist")
        };
        Self::new(codes::NOT_FOUND, StatusCode::NOT_FOUND, message)
    }

    /// Authenticated but not permitted: code 17, HTTP 403.
    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::new(codes::NOT_ALLOWED, StatusCode::FORBIDDEN, message)
    }

    /// Unexpected server failure: code -1, HTTP 500. The message is sent to the client,
    /// so callers pass a short description, not backend detail.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(codes::INTERNAL, StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The data store cannot serve right now (unreachable, or not yet migrated): code -1,
    /// HTTP 503. errors.md lists only 500 for code -1; 503 (DESIGN) tells clients and load
    /// balancers the request may succeed if retried, and nothing was written.
    pub fn store_unavailable() -> Self {
        Self::new(
            codes::INTERNAL,
            StatusCode::SERVICE_UNAVAILABLE,
            "the data store is temporarily unavailable, try again",
        )
    }

    /// The server started but its store is not bootstrapped yet: like
    /// [`ApiError::store_unavailable`].
    pub fn store_not_ready() -> Self {
        Self::new(
            codes::INTERNAL,
            StatusCode::SERVICE_UNAVAILABLE,
            "the data store is not ready yet, try again",
        )
    }

    /// Request body too large: code 22, HTTP 413.
    pub fn payload_too_big() -> Self {
        Self::new(
            codes::PAYLOAD_TOO_BIG,
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        )
    }

    /// Rate limit exceeded: code 9, HTTP 429.
    pub fn rate_limited() -> Self {
        Self::new(
            codes::RATE_LIMIT,
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests, check the X-RateLimit-* headers",
        )
    }

    /// Words the message as `<op> failed with error: "<message>"` (errors.md §1 DESIGN),
    /// e.g. `SendMessage failed with error: "message.text: must be a string"`.
    ///
    /// Applying the same operation twice leaves the message as it is, so a route and a
    /// wrapping layer can both call it safely.
    pub fn with_operation(mut self, op: &str) -> Self {
        let prefix = format!("{op} failed with error: \"");
        if !self.message.starts_with(&prefix) {
            self.message = format!("{prefix}{}\"", self.message);
        }
        self
    }

    /// The JSON error body: `code`, `message`, `StatusCode` (capitalised, as clients
    /// decode it), `duration`, `more_info` (empty), `details` (always `[]`) and
    /// `exception_fields` when there are any.
    pub fn body(&self, duration: &str) -> Value {
        let mut body = Map::new();
        body.insert("code".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        body.insert("StatusCode".into(), json!(self.status.as_u16()));
        body.insert("duration".into(), json!(duration));
        body.insert("more_info".into(), json!(""));
        body.insert("details".into(), json!([]));
        if !self.exception_fields.is_empty() {
            body.insert("exception_fields".into(), json!(self.exception_fields));
        }
        Value::Object(body)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (code {}, HTTP {})",
            self.message,
            self.code,
            self.status.as_u16()
        )
    }
}

impl std::error::Error for ApiError {}

impl From<chat_core::Error> for ApiError {
    /// The mapping table of errors.md §2 for domain errors.
    fn from(e: chat_core::Error) -> Self {
        use chat_core::Error as E;
        let bad_request = StatusCode::BAD_REQUEST;
        match e {
            E::Invalid { field, reason } => Self::invalid_field(&field, &reason),
            E::NotFound { what, id } => Self::not_found(what, id),
            // A taken client-chosen id (duplicate message id…) is bad input: 400 code 4.
            e @ E::AlreadyExists { .. } => Self::input(e.to_string()),
            E::PermissionDenied(reason) => Self::not_allowed(reason.into_owned()),
            e @ E::FeatureDisabled(_) => {
                Self::new(codes::FEATURE_DISABLED, bad_request, e.to_string())
            }
            e @ E::EventNotSupported(_) => {
                Self::new(codes::EVENT_NOT_SUPPORTED, bad_request, e.to_string())
            }
            e @ E::MessageTooLong { .. } => {
                Self::new(codes::MESSAGE_TOO_LONG, bad_request, e.to_string())
            }
            e @ E::NestedReply => Self::new(codes::NESTED_REPLY, bad_request, e.to_string()),
            e @ E::Cooldown { .. } => {
                Self::new(codes::COOLDOWN, StatusCode::FORBIDDEN, e.to_string())
            }
            E::Store(store) => Self::from(store),
        }
    }
}

impl From<StoreError> for ApiError {
    /// Store failures. Backend detail is logged, never sent: it can name hosts, tables or
    /// driver internals.
    fn from(e: StoreError) -> Self {
        match e {
            // Not failures of the store but answers from it; `chat-core` normally turns
            // these into `AlreadyExists` / `NotFound` already, so map them the same way.
            e @ StoreError::Duplicate { .. } => Self::input(e.to_string()),
            StoreError::NotFound { what, id } => Self::not_found(what, id),
            StoreError::Unavailable(detail) => {
                tracing::error!(error = %detail, "store unavailable");
                Self::store_unavailable()
            }
            e @ StoreError::VersionConflict { .. } => {
                tracing::error!(error = %e, "store conflict not resolved by retries");
                Self::internal("a concurrent update conflicted with this request, try again")
            }
            StoreError::Backend(detail) => {
                tracing::error!(error = %detail, "store failure");
                Self::internal("internal error in the data store")
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::new(e.code(), e.status(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::Error as E;

    fn code_status(e: impl Into<ApiError>) -> (i32, u16) {
        let a = e.into();
        (a.code, a.status.as_u16())
    }

    #[test]
    fn every_core_error_maps_to_its_documented_code_and_status() {
        let cases: Vec<(E, i32, u16)> = vec![
            (E::invalid("message.text", "must be a string"), 4, 400),
            (E::not_found("channel", "messaging:x"), 16, 404),
            (
                E::AlreadyExists {
                    what: "message",
                    id: "m1".into(),
                },
                4,
                400,
            ),
            (E::denied("not a member"), 17, 403),
            (E::FeatureDisabled("replies"), 19, 400),
            (E::EventNotSupported("typing.start".into()), 18, 400),
            (E::MessageTooLong { len: 6, max: 5 }, 20, 400),
            (E::NestedReply, 21, 400),
            (E::Cooldown { remaining_secs: 3 }, 60, 403),
            (E::Store(StoreError::Unavailable("down".into())), -1, 503),
            (E::Store(StoreError::Backend("boom".into())), -1, 500),
            (
                E::Store(StoreError::VersionConflict {
                    what: "channel",
                    id: "c".into(),
                }),
                -1,
                500,
            ),
            (
                E::Store(StoreError::Duplicate {
                    what: "message",
                    id: "m1".into(),
                }),
                4,
                400,
            ),
            (E::Store(StoreError::not_found("user", "u")), 16, 404),
        ];
        for (e, code, status) in cases {
            let text = e.to_string();
            assert_eq!(code_status(e), (code, status), "{text}");
        }
    }

    #[test]
    fn invalid_names_the_field_in_message_and_exception_fields() {
        let a = ApiError::from(E::invalid("message.text", "must be a string"));
        assert_eq!(a.message, "message.text: must be a string");
        assert_eq!(
            a.exception_fields.get("message.text").map(String::as_str),
            Some("must be a string")
        );
    }

    #[test]
    fn store_failures_do_not_leak_backend_detail() {
        let secret = "connection to 10.0.0.7:5432 refused for user admin";
        for e in [
            E::Store(StoreError::Unavailable(secret.into())),
            E::Store(StoreError::Backend(secret.into())),
        ] {
            let a = ApiError::from(e);
            assert!(!a.message.contains("10.0.0.7"), "{}", a.message);
            assert!(!a.message.is_empty());
        }
    }

    #[test]
    fn every_auth_error_maps_to_its_documented_code_and_status() {
        use AuthError as A;
        let cases = [
            (A::MissingApiKey, 2, 401),
            (A::UnknownApiKey, 2, 401),
            (A::AppSuspended, 99, 403),
            (A::BadAuthType, 5, 401),
            (A::MissingToken, 5, 401),
            (A::MalformedToken, 5, 401),
            (A::BadSignature, 43, 401),
            (A::Expired, 40, 401),
            (A::NotYetValid, 41, 401),
            (A::BadTimeClaims, 42, 401),
            (A::Revoked, 40, 401),
            (A::UserDeactivated, 5, 401),
        ];
        for (e, code, status) in cases {
            let a = ApiError::from(e);
            assert_eq!((a.code, a.status.as_u16()), (code, status), "{e:?}");
            assert!(!a.message.is_empty());
        }
    }

    #[test]
    fn constructors_use_the_documented_codes() {
        assert_eq!(code_status(ApiError::input("x")), (4, 400));
        assert_eq!(code_status(ApiError::missing_field("x")), (4, 400));
        assert_eq!(code_status(ApiError::invalid_field("x", "y")), (4, 400));
        assert_eq!(code_status(ApiError::not_found("user", "u")), (16, 404));
        assert_eq!(code_status(ApiError::not_allowed("x")), (17, 403));
        assert_eq!(code_status(ApiError::internal("x")), (-1, 500));
        assert_eq!(code_status(ApiError::payload_too_big()), (22, 413));
        assert_eq!(code_status(ApiError::rate_limited()), (9, 429));
        assert_eq!(
            ApiError::not_found("channel", "messaging:a").message,
            "channel messaging:a does not exist"
        );
        assert_eq!(ApiError::not_found("app", "").message, "app does not exist");
    }

    #[test]
    fn missing_field_names_the_field() {
        let a = ApiError::missing_field("message");
        assert_eq!(a.message, "message is required");
        assert_eq!(
            a.exception_fields.get("message").map(String::as_str),
            Some("is required")
        );
    }

    #[test]
    fn body_has_exactly_the_documented_keys() {
        let b = ApiError::missing_field("message").body("1.00ms");
        let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "StatusCode",
                "code",
                "details",
                "duration",
                "exception_fields",
                "message",
                "more_info"
            ]
        );
        assert_eq!(
            b,
            json!({
                "code": 4,
                "message": "message is required",
                "StatusCode": 400,
                "duration": "1.00ms",
                "more_info": "",
                "details": [],
                "exception_fields": {"message": "is required"},
            })
        );

        // No field details: the optional key is left out, not sent empty.
        let b = ApiError::not_allowed("no").body("0.10ms");
        assert!(b.get("exception_fields").is_none());
        assert_eq!(b.as_object().unwrap().len(), 6);
        assert_eq!(b["StatusCode"], 403);
        assert_eq!(b["code"], 17);
    }

    #[test]
    fn with_operation_wraps_the_message_once() {
        let a = ApiError::input("bad").with_operation("SendMessage");
        assert_eq!(a.message, "SendMessage failed with error: \"bad\"");
        let again = a.clone().with_operation("SendMessage");
        assert_eq!(again, a);
        // Code, status and field details are untouched.
        let f = ApiError::missing_field("message").with_operation("SendMessage");
        assert_eq!(
            f.message,
            "SendMessage failed with error: \"message is required\""
        );
        assert_eq!((f.code, f.status), (4, StatusCode::BAD_REQUEST));
        assert_eq!(f.exception_fields.len(), 1);
    }

    #[test]
    fn display_includes_code_and_status() {
        let a = ApiError::not_allowed("no");
        assert_eq!(a.to_string(), "no (code 17, HTTP 403)");
    }
}
