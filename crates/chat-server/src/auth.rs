//! Authentication (api-spec/auth.md): HS256 JWTs signed with the app secret, and the
//! checks every REST request and WebSocket connect goes through once the app is known.
//!
//! The JWT code is written here rather than taken from a generic JWT crate because
//! Stream's rules are not generic: a token *without* `user_id` is a server token, `server`
//! may be a boolean or the string `"true"`, and development mode (`disable_auth_checks`)
//! skips the signature and time checks for user tokens only. Keeping the few lines of
//! HS256 local keeps the accepted inputs exactly the documented ones.
//!
//! Pipeline (auth.md §2.2): [`authenticate`] runs steps 2–8 once the app was found by
//! `api_key`; [`check_user`] runs the per-user checks once the token's user is loaded.

use axum::http::StatusCode;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use chat_core::ids::UserId;
use chat_core::model::{App, User};
use chat_core::time::Timestamp;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::error::codes;

type HmacSha256 = Hmac<Sha256>;

/// How far in the future `iat` / `nbf` may be before a token counts as not valid yet:
/// client and server clocks are never exactly in step.
pub const CLOCK_SKEW_SECS: i64 = 5;

/// The only header we sign with (auth.md §2).
const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Decoder for token parts: base64url, with or without `=` padding. Tokens are specified
/// unpadded, but hand-rolled signers (auth.md §2 mentions one) sometimes keep the padding
/// and nothing is gained by refusing it.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a request could not be authenticated. Each variant has a documented Stream code
/// and HTTP status (auth.md §2.2 and §9); convert to `ApiError` for the response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `api_key` query parameter.
    #[error("api_key is missing: pass the app's API key in the api_key query parameter")]
    MissingApiKey,
    /// No app has this `api_key`.
    #[error("api_key not found: access key invalid")]
    UnknownApiKey,
    /// The app is suspended and refuses every request.
    #[error("this app is suspended")]
    AppSuspended,
    /// `Stream-Auth-Type` is missing, unknown, or `anonymous` together with a token.
    #[error(
        "Stream-Auth-Type must be \"jwt\" (with a token in the Authorization header) \
         or \"anonymous\" (without one)"
    )]
    BadAuthType,
    /// `Stream-Auth-Type: jwt` without an `Authorization` token.
    #[error("the Authorization header must carry a JWT")]
    MissingToken,
    /// Not three base64url parts, a part that is not JSON, or claims of the wrong type.
    #[error(
        "the token is not a valid JWT (three base64url parts: JSON header, JSON claims, signature)"
    )]
    MalformedToken,
    /// The signature does not match (tampered token, wrong secret, not HS256).
    #[error("the token signature is invalid: it must be HS256-signed with the app secret")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `iat` or `nbf` is in the future (beyond the allowed clock skew).
    #[error("the token is not valid yet: iat or nbf is in the future")]
    NotYetValid,
    /// The time claims contradict each other (`exp` before `iat` or `nbf`).
    #[error("the token's time claims are inconsistent: exp is before iat or nbf")]
    BadTimeClaims,
    /// Issued before a `revoke_tokens_issued_before` time (or without `iat` while one is
    /// set). Reported like an expired token (auth.md §2.2 step 8).
    #[error("the token has been revoked and is considered expired")]
    Revoked,
    /// The token's user is deactivated or deleted.
    #[error("the user of this token is deactivated or deleted")]
    UserDeactivated,
}

impl AuthError {
    /// Stream error code (auth.md §9).
    pub fn code(self) -> i32 {
        match self {
            Self::MissingApiKey | Self::UnknownApiKey => codes::ACCESS_KEY,
            Self::AppSuspended => codes::APP_SUSPENDED,
            Self::BadAuthType
            | Self::MissingToken
            | Self::MalformedToken
            | Self::UserDeactivated => codes::AUTHENTICATION,
            Self::BadSignature => codes::TOKEN_SIGNATURE_INVALID,
            Self::Expired | Self::Revoked => codes::TOKEN_EXPIRED,
            Self::NotYetValid => codes::TOKEN_NOT_VALID_YET,
            Self::BadTimeClaims => codes::TOKEN_BAD_TIME_CLAIMS,
        }
    }

    /// HTTP status: 403 for a suspended app (the caller is known, the app refuses),
    /// 401 for everything else.
    pub fn status(self) -> StatusCode {
        match self {
            Self::AppSuspended => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// The claims we read from a token; unknown claims are ignored (auth.md §2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// `user_id`: present means a user token for that user.
    pub user_id: Option<String>,
    /// The conventional server marker: `server` is `true` or `"true"`. Informational
    /// only; what makes a server token is a valid signature and no `user_id`.
    pub server: bool,
    /// Expiry, unix seconds.
    pub exp: Option<i64>,
    /// Issued at, unix seconds.
    pub iat: Option<i64>,
    /// Not before, unix seconds.
    pub nbf: Option<i64>,
}

impl Claims {
    /// Reads the claims object. Types are checked strictly where a wrong type would
    /// change the meaning of the token (`user_id`, times); `server` is lenient because
    /// it decides nothing.
    fn from_payload(payload: &Map<String, Value>) -> Result<Self, AuthError> {
        let user_id = match payload.get("user_id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            // `null` included: silently treating `"user_id": null` as "no user_id" would
            // turn a buggy user token into a server token.
            Some(_) => return Err(AuthError::MalformedToken),
        };
        let server = match payload.get("server") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        Ok(Self {
            user_id,
            server,
            exp: time_claim(payload, "exp")?,
            iat: time_claim(payload, "iat")?,
            nbf: time_claim(payload, "nbf")?,
        })
    }
}

/// A numeric date claim: integers, or floats truncated to whole seconds (some signers
/// emit fractional times); `null` means absent; anything else is malformed.
fn time_claim(payload: &Map<String, Value>, name: &str) -> Result<Option<i64>, AuthError> {
    match payload.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return Ok(Some(i));
            }
            // `i64::MAX as f64` rounds up to 2^63, hence the strict upper bound.
            n.as_f64()
                .map(f64::trunc)
                .filter(|f| f.is_finite() && *f >= i64::MIN as f64 && *f < i64::MAX as f64)
                .map(|f| Some(f as i64))
                .ok_or(AuthError::MalformedToken)
        }
        Some(_) => Err(AuthError::MalformedToken),
    }
}

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A server token: no permission checks; the acting user, if any, is named per request.
    Server,
    /// A user token.
    User {
        /// The token's `user_id`.
        user_id: UserId,
        /// The token's `iat`, kept for the per-user revocation check ([`check_user`]).
        iat: Option<i64>,
    },
    /// `Stream-Auth-Type: anonymous` without a token.
    Anonymous,
}

/// An HMAC-SHA256 keyed with `secret`.
fn mac(secret: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length (RFC 2104 §2: long keys are hashed, short ones
        // padded); the `Result` only exists because the constructor comes from a generic
        // trait shared with fixed-key-size algorithms.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// Signs `claims` as an HS256 JWT with header `{"alg":"HS256","typ":"JWT"}`, all parts
/// base64url without padding.
pub fn sign_hs256(claims: &Value, secret: &str) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER_JSON),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = mac(secret.as_bytes());
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// A user token `{"user_id", "iat"?, "exp"?}` signed with `secret`.
pub fn user_token(secret: &str, user_id: &str, iat: Option<i64>, exp: Option<i64>) -> String {
    let mut claims = Map::new();
    claims.insert("user_id".into(), json!(user_id));
    if let Some(iat) = iat {
        claims.insert("iat".into(), json!(iat));
    }
    if let Some(exp) = exp {
        claims.insert("exp".into(), json!(exp));
    }
    sign_hs256(&Value::Object(claims), secret)
}

/// A server token `{"server": true}` signed with `secret` (no expiry, like the SDKs').
pub fn server_token(secret: &str) -> String {
    sign_hs256(&json!({"server": true}), secret)
}

/// Base64url-decodes one token part and parses it as a JSON object.
fn json_part(part: &str) -> Result<Map<String, Value>, AuthError> {
    let bytes = LENIENT_URL_SAFE
        .decode(part)
        .map_err(|_| AuthError::MalformedToken)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(AuthError::MalformedToken),
    }
}

/// Decodes and (unless `skip_signature`) verifies; does not check times.
///
/// Shape errors (not three parts, not base64url, not JSON objects, wrongly typed claims)
/// are [`AuthError::MalformedToken`]; a signature that does not verify, or a header whose
/// `alg` is not `HS256`, is [`AuthError::BadSignature`]. With `skip_signature` the
/// signature part may be anything, even empty.
pub fn decode(token: &str, secret: &str, skip_signature: bool) -> Result<Claims, AuthError> {
    let token = token.trim();
    if !skip_signature {
        if let Some(claims) = verified::get(token, secret) {
            return Ok(claims);
        }
    }
    let claims = decode_uncached(token, secret, skip_signature)?;
    if !skip_signature {
        verified::put(token, secret, &claims);
    }
    Ok(claims)
}

/// [`decode`] without the cache of verified tokens.
fn decode_uncached(token: &str, secret: &str, skip_signature: bool) -> Result<Claims, AuthError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::MalformedToken);
    };
    let header = json_part(header_b64)?;
    let payload = json_part(payload_b64)?;
    if !skip_signature {
        let signature = LENIENT_URL_SAFE
            .decode(signature_b64)
            .map_err(|_| AuthError::MalformedToken)?;
        // Only HS256 is ever valid: trusting the header's `alg` is the classic JWT hole
        // (`none`, or an asymmetric alg verified with the shared secret).
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(AuthError::BadSignature);
        }
        let mut mac = mac(secret.as_bytes());
        // The signature covers the parts exactly as received (padding included).
        mac.update(header_b64.as_bytes());
        mac.update(b".");
        mac.update(payload_b64.as_bytes());
        // `verify_slice` compares in constant time, so timing reveals nothing about the
        // expected signature.
        mac.verify_slice(&signature)
            .map_err(|_| AuthError::BadSignature)?;
    }
    Claims::from_payload(&payload)
}

/// Tokens whose signature verified recently, with their claims.
///
/// A client sends the same token with every request, and verifying it (base64, two JSON
/// parses, HMAC-SHA256) cost about 27k instructions per request in callgrind, more than the
/// engine's whole send. Only a signature check is saved: time and revocation checks run
/// on every request against the cached claims, and an entry counts only for the exact
/// token text *and* the secret it verified with, so a rotated secret verifies afresh.
/// Bounded at [`verified::CAPACITY`] entries; when full it is emptied (the next requests
/// verify again), which keeps it simple and bounds memory at about 1 MiB.
mod verified {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex, PoisonError};

    use super::Claims;

    /// Most tokens kept at once.
    pub(super) const CAPACITY: usize = 4_096;

    /// Longest token worth keeping (longer ones are verified every time).
    const MAX_TOKEN_LEN: usize = 2_048;

    struct Entry {
        secret: String,
        claims: Claims,
    }

    static VERIFIED: LazyLock<Mutex<HashMap<String, Entry>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));

    /// The claims of `token` if it verified before with `secret`.
    pub(super) fn get(token: &str, secret: &str) -> Option<Claims> {
        let map = VERIFIED.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(token)
            .filter(|e| e.secret == secret)
            .map(|e| e.claims.clone())
    }

    /// Remembers that `token` verified with `secret`.
    pub(super) fn put(token: &str, secret: &str, claims: &Claims) {
        if token.len() > MAX_TOKEN_LEN {
            return;
        }
        let mut map = VERIFIED.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CAPACITY && !map.contains_key(token) {
            map.clear();
        }
        map.insert(
            token.to_owned(),
            Entry {
                secret: secret.to_owned(),
                claims: claims.clone(),
            },
        );
    }
}

/// The token as sent, or `None` when absent or blank. A `Bearer ` prefix is tolerated:
/// the SDKs send the bare token (auth.md §1), but generic HTTP tooling adds the prefix
/// and it cannot be part of a JWT anyway.
fn bare_token(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let raw = match (raw.get(..6), raw.get(6..)) {
        (Some(scheme), Some(rest))
            if scheme.eq_ignore_ascii_case("bearer")
                && (rest.is_empty() || rest.starts_with(char::is_whitespace)) =>
        {
            rest.trim_start()
        }
        _ => raw,
    };
    (!raw.is_empty()).then_some(raw)
}

/// Seconds to microseconds without overflow (absurd claims saturate instead of wrapping).
fn secs_to_micros(secs: i64) -> i64 {
    secs.saturating_mul(1_000_000)
}

/// Time checks (auth.md §2.2 steps 6–7, and code 42).
fn check_times(claims: &Claims, now: Timestamp) -> Result<(), AuthError> {
    // Contradictory claims come first: such a token can never be valid, whatever the
    // clock says, and "expired" or "not valid yet" would send the client looking for a
    // clock problem instead of a token-generation bug.
    if let Some(exp) = claims.exp {
        if claims.iat.is_some_and(|iat| exp < iat) || claims.nbf.is_some_and(|nbf| exp < nbf) {
            return Err(AuthError::BadTimeClaims);
        }
        if secs_to_micros(exp) < now.as_micros() {
            return Err(AuthError::Expired);
        }
    }
    let latest = now
        .as_micros()
        .saturating_add(secs_to_micros(CLOCK_SKEW_SECS));
    let in_future = |t: Option<i64>| t.is_some_and(|t| secs_to_micros(t) > latest);
    if in_future(claims.iat) || in_future(claims.nbf) {
        return Err(AuthError::NotYetValid);
    }
    Ok(())
}

/// Whether a token with `iat` falls under a `revoke_tokens_issued_before` setting. Tokens
/// without `iat` are revoked while the setting is active (auth.md §4).
fn is_revoked(iat: Option<i64>, revoked_before: Option<Timestamp>) -> bool {
    match (revoked_before, iat) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(before), Some(iat)) => secs_to_micros(iat) < before.as_micros(),
    }
}

/// The whole REST/WS pipeline after the app was found by api_key (auth.md §2.2 steps 2–8):
///
/// * suspended app → [`AuthError::AppSuspended`];
/// * `auth_type` must be `jwt` (case-insensitive) or `anonymous`; `anonymous` without a
///   token → [`Credential::Anonymous`] (with a token → [`AuthError::BadAuthType`]);
/// * `jwt`: a token is required; with `disable_auth_checks` the signature and time checks
///   are skipped for *user* tokens (development tokens) but a server token must still
///   verify, so an unsigned token can never become a server token;
/// * a valid signature and no `user_id` → [`Credential::Server`], whether or not the
///   token carries `server`;
/// * `exp` before `iat`/`nbf` → `BadTimeClaims`; `exp` passed → `Expired`; `iat` or
///   `nbf` more than [`CLOCK_SKEW_SECS`] ahead → `NotYetValid`;
/// * the app's `revoke_tokens_issued_before` (user tokens only): no `iat`, or `iat`
///   before it → `Revoked`. This applies in development mode too: it is an explicit
///   administrator action, not an authenticity check.
pub fn authenticate(
    app: &App,
    auth_type: Option<&str>,
    token: Option<&str>,
    now: Timestamp,
) -> Result<Credential, AuthError> {
    if app.settings.suspended {
        return Err(AuthError::AppSuspended);
    }
    let auth_type = auth_type.map(str::trim).ok_or(AuthError::BadAuthType)?;
    let token = token.and_then(bare_token);
    if auth_type.eq_ignore_ascii_case("anonymous") {
        // A token with `anonymous` is ambiguous; refusing it beats guessing which the
        // client meant.
        return match token {
            None => Ok(Credential::Anonymous),
            Some(_) => Err(AuthError::BadAuthType),
        };
    }
    if !auth_type.eq_ignore_ascii_case("jwt") {
        return Err(AuthError::BadAuthType);
    }
    let token = token.ok_or(AuthError::MissingToken)?;
    let secret = app.api_secret.as_str();
    let dev_mode = app.settings.disable_auth_checks;
    let claims = decode(token, secret, dev_mode)?;
    match claims.user_id {
        Some(ref id) => {
            let user_id = UserId::parse(id).map_err(|_| AuthError::MalformedToken)?;
            if !dev_mode {
                check_times(&claims, now)?;
            }
            if is_revoked(claims.iat, app.settings.revoke_tokens_issued_before) {
                return Err(AuthError::Revoked);
            }
            Ok(Credential::User {
                user_id,
                iat: claims.iat,
            })
        }
        None => {
            if dev_mode {
                // Development mode only relaxes user tokens: verify what was skipped.
                decode(token, secret, false)?;
            }
            check_times(&claims, now)?;
            Ok(Credential::Server)
        }
    }
}

/// Per-user checks once the user row is loaded: the user's `revoke_tokens_issued_before`
/// (no `iat`, or `iat` before it → [`AuthError::Revoked`]); a deactivated or deleted user
/// → [`AuthError::UserDeactivated`].
pub fn check_user(credential_iat: Option<i64>, user: &User) -> Result<(), AuthError> {
    if is_revoked(credential_iat, user.revoke_tokens_issued_before) {
        return Err(AuthError::Revoked);
    }
    if user.deactivated_at.is_some() || user.deleted_at.is_some() {
        return Err(AuthError::UserDeactivated);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::ids::AppId;
    use chat_core::model::AppSettings;

    const SECRET: &str = "test-secret-0123456789";
    /// 2024-01-01T00:00:00Z.
    const NOW: i64 = 1_704_067_200;

    fn now() -> Timestamp {
        Timestamp::from_secs(NOW)
    }

    fn app_with(settings: AppSettings) -> App {
        App {
            id: AppId::new_unchecked("app"),
            api_key: "key".into(),
            api_secret: SECRET.into(),
            settings,
            created_at: Timestamp::from_secs(NOW - 86_400),
            version: 1,
        }
    }

    fn app() -> App {
        app_with(AppSettings::default())
    }

    fn dev_app() -> App {
        app_with(AppSettings {
            disable_auth_checks: true,
            ..AppSettings::default()
        })
    }

    fn jwt(app: &App, token: &str) -> Result<Credential, AuthError> {
        authenticate(app, Some("jwt"), Some(token), now())
    }

    fn user(id: &str, iat: Option<i64>) -> Credential {
        Credential::User {
            user_id: UserId::parse(id).unwrap(),
            iat,
        }
    }

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    /// A token with the given header and payload JSON and no signature.
    fn unsigned(header: &str, payload: &str) -> String {
        format!("{}.{}.", b64(header), b64(payload))
    }

    #[test]
    fn a_verified_token_is_remembered_only_for_its_own_secret_and_text() {
        let token = user_token(SECRET, "cached", Some(NOW), Some(NOW + 60));
        let first = decode(&token, SECRET, false).unwrap();
        // Served from the cache now, with the same claims.
        assert_eq!(decode(&token, SECRET, false).unwrap(), first);
        // Another secret (rotated) must verify afresh, and fails.
        assert_eq!(
            decode(&token, "another-secret-0123456789", false),
            Err(AuthError::BadSignature)
        );
        // A token differing in one signature character is another key: verified, refused.
        let mut forged = token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(decode(&forged, SECRET, false).is_err());
        // Time checks still run per request on cached claims.
        let expired_later = authenticate(
            &app(),
            Some("jwt"),
            Some(&token),
            Timestamp::from_secs(NOW + 120),
        );
        assert_eq!(expired_later, Err(AuthError::Expired));
    }

    #[test]
    fn sign_then_decode_round_trips() {
        let token = user_token(SECRET, "alice", Some(NOW), Some(NOW + 3600));
        assert_eq!(
            decode(&token, SECRET, false).unwrap(),
            Claims {
                user_id: Some("alice".into()),
                server: false,
                exp: Some(NOW + 3600),
                iat: Some(NOW),
                nbf: None,
            }
        );
        let server = decode(&server_token(SECRET), SECRET, false).unwrap();
        assert!(server.server);
        assert_eq!(server.user_id, None);
        // Unpadded base64url, three parts, the documented header.
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
        assert!(!token.contains('=') && !token.contains('+') && !token.contains('/'));
    }

    /// Header and payload of the fixed vector, encoded outside this code base.
    const FIXED_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    /// `{"user_id":"john","iat":1700000000,"exp":1800000000,"server":false,"extra":{"x":1}}`
    const FIXED_PAYLOAD: &str = "eyJ1c2VyX2lkIjoiam9obiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxODAwMDAwMDAwLCJzZXJ2ZXIiOmZhbHNlLCJleHRyYSI6eyJ4IjoxfX0";
    const FIXED_SECRET: &str = "fixed-test-secret";
    /// HMAC-SHA256 of `FIXED_HEADER.FIXED_PAYLOAD` under `FIXED_SECRET`, computed with
    /// `openssl dgst -sha256 -hmac`.
    const FIXED_SIGNATURE: &str = "DKb3LwltJypAzUzEyUm8wrAJVZ6Nar23XUhy3AY_2S4";

    #[test]
    fn fixed_vector_decodes_to_expected_claims() {
        // Recompute the signature with hmac directly, independent of `sign_hs256`.
        let mut mac = HmacSha256::new_from_slice(FIXED_SECRET.as_bytes()).unwrap();
        mac.update(format!("{FIXED_HEADER}.{FIXED_PAYLOAD}").as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(signature, FIXED_SIGNATURE);

        let token = format!("{FIXED_HEADER}.{FIXED_PAYLOAD}.{signature}");
        let expected = Claims {
            user_id: Some("john".into()),
            server: false,
            exp: Some(1_800_000_000),
            iat: Some(1_700_000_000),
            nbf: None,
        };
        assert_eq!(decode(&token, FIXED_SECRET, false).unwrap(), expected);
        // Padded input is accepted too.
        let padded = format!("{FIXED_HEADER}.{FIXED_PAYLOAD}.{signature}=");
        assert_eq!(decode(&padded, FIXED_SECRET, false).unwrap(), expected);
        assert_eq!(
            decode(&token, "other-secret", false),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn sign_hs256_matches_an_independent_hmac() {
        let token = sign_hs256(&json!({"server": true}), FIXED_SECRET);
        let mut mac = HmacSha256::new_from_slice(FIXED_SECRET.as_bytes()).unwrap();
        mac.update(format!("{FIXED_HEADER}.eyJzZXJ2ZXIiOnRydWV9").as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(
            token,
            format!("{FIXED_HEADER}.eyJzZXJ2ZXIiOnRydWV9.{signature}")
        );
    }

    #[test]
    fn tampered_payload_or_wrong_secret_is_a_bad_signature() {
        let alice = user_token(SECRET, "alice", None, None);
        let bob = user_token(SECRET, "bob", None, None);
        let a: Vec<&str> = alice.split('.').collect();
        let b: Vec<&str> = bob.split('.').collect();
        let tampered = format!("{}.{}.{}", a[0], b[1], a[2]);
        assert_eq!(
            decode(&tampered, SECRET, false),
            Err(AuthError::BadSignature)
        );
        assert_eq!(jwt(&app(), &tampered), Err(AuthError::BadSignature));

        let wrong = user_token("not-the-secret", "alice", None, None);
        assert_eq!(decode(&wrong, SECRET, false), Err(AuthError::BadSignature));
        assert_eq!(jwt(&app(), &wrong), Err(AuthError::BadSignature));
    }

    #[test]
    fn other_algorithms_are_refused() {
        let none = unsigned(r#"{"alg":"none","typ":"JWT"}"#, r#"{"server":true}"#);
        assert_eq!(decode(&none, SECRET, false), Err(AuthError::BadSignature));
        // Even with a signature that would verify: the header must say HS256.
        let header = b64(r#"{"alg":"HS512","typ":"JWT"}"#);
        let payload = b64(r#"{"user_id":"alice"}"#);
        let mut mac = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{header}.{payload}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(
            decode(&format!("{header}.{payload}.{sig}"), SECRET, false),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn malformed_tokens() {
        let good = user_token(SECRET, "alice", None, None);
        let parts: Vec<&str> = good.split('.').collect();
        let cases = [
            "garbage".to_string(),
            String::new(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{good}.extra"),
            format!("{}.{}.{}", parts[0], "!!not-base64!!", parts[2]),
            format!("{}.{}.{}", "%%%", parts[1], parts[2]),
            format!("{}.{}.{}", parts[0], parts[1], "#sig#"),
            format!("{}.{}.{}", parts[0], b64("not json"), parts[2]),
            format!("{}.{}.{}", parts[0], b64("[1,2]"), parts[2]),
            format!("{}.{}.{}", b64("not json"), parts[1], parts[2]),
        ];
        for token in &cases {
            assert_eq!(
                decode(token, SECRET, false),
                Err(AuthError::MalformedToken),
                "{token}"
            );
            // An empty token never reaches decoding: it is a missing token.
            let expected = if token.is_empty() {
                AuthError::MissingToken
            } else {
                AuthError::MalformedToken
            };
            assert_eq!(jwt(&app(), token), Err(expected), "{token}");
        }
    }

    #[test]
    fn claim_types_are_checked() {
        let sign = |v: Value| sign_hs256(&v, SECRET);
        for bad in [
            json!({"user_id": 42}),
            json!({"user_id": null}),
            json!({"user_id": "alice", "exp": "soon"}),
            json!({"user_id": "alice", "iat": true}),
            json!({"user_id": "alice", "nbf": [1]}),
            json!({"user_id": "alice", "exp": 1e300}),
        ] {
            assert_eq!(
                decode(&sign(bad.clone()), SECRET, false),
                Err(AuthError::MalformedToken),
                "{bad}"
            );
        }
        // Floats are truncated; null times are absent; unknown claims are ignored.
        let c = decode(
            &sign(json!({"user_id": "a", "exp": 1_900_000_000.9, "iat": null, "x": {"y": 1}})),
            SECRET,
            false,
        )
        .unwrap();
        assert_eq!((c.exp, c.iat), (Some(1_900_000_000), None));
        // A user id the engine would refuse is a malformed token, not a crash later.
        let bad_id = sign(json!({"user_id": "a b"}));
        assert_eq!(jwt(&app(), &bad_id), Err(AuthError::MalformedToken));
        let empty_id = sign(json!({"user_id": ""}));
        assert_eq!(jwt(&app(), &empty_id), Err(AuthError::MalformedToken));
    }

    #[test]
    fn valid_tokens_authenticate() {
        assert_eq!(
            jwt(&app(), &user_token(SECRET, "alice", Some(NOW), None)),
            Ok(user("alice", Some(NOW)))
        );
        assert_eq!(jwt(&app(), &server_token(SECRET)), Ok(Credential::Server));
        // Auth type is case-insensitive; `Bearer ` and surrounding blanks are tolerated.
        let token = user_token(SECRET, "alice", None, None);
        assert_eq!(
            authenticate(
                &app(),
                Some("JWT"),
                Some(&format!(" Bearer {token} ")),
                now()
            ),
            Ok(user("alice", None))
        );
    }

    #[test]
    fn server_marker_string_or_absent_is_a_server_token() {
        for claims in [
            json!({"server": "true"}),
            json!({"server": true}),
            json!({"exp": NOW + 60}),
            json!({}),
        ] {
            let token = sign_hs256(&claims, SECRET);
            assert_eq!(jwt(&app(), &token), Ok(Credential::Server), "{claims}");
        }
        let c = decode(
            &sign_hs256(&json!({"server": "true"}), SECRET),
            SECRET,
            false,
        )
        .unwrap();
        assert!(c.server);
        // `user_id` wins over `server`: that is a user token.
        let both = sign_hs256(&json!({"server": true, "user_id": "alice"}), SECRET);
        assert_eq!(jwt(&app(), &both), Ok(user("alice", None)));
    }

    #[test]
    fn expired_tokens() {
        let t = user_token(SECRET, "alice", Some(NOW - 100), Some(NOW - 1));
        assert_eq!(jwt(&app(), &t), Err(AuthError::Expired));
        let t = user_token(SECRET, "alice", Some(NOW - 100), Some(NOW));
        assert_eq!(jwt(&app(), &t), Ok(user("alice", Some(NOW - 100))));
        let server = sign_hs256(&json!({"server": true, "exp": NOW - 1}), SECRET);
        assert_eq!(jwt(&app(), &server), Err(AuthError::Expired));
    }

    #[test]
    fn not_yet_valid_tokens_allow_a_small_skew() {
        let beyond = user_token(SECRET, "alice", Some(NOW + CLOCK_SKEW_SECS + 1), None);
        assert_eq!(jwt(&app(), &beyond), Err(AuthError::NotYetValid));
        let within = user_token(SECRET, "alice", Some(NOW + CLOCK_SKEW_SECS), None);
        assert_eq!(
            jwt(&app(), &within),
            Ok(user("alice", Some(NOW + CLOCK_SKEW_SECS)))
        );
        let nbf = sign_hs256(&json!({"user_id": "alice", "nbf": NOW + 60}), SECRET);
        assert_eq!(jwt(&app(), &nbf), Err(AuthError::NotYetValid));
        let nbf_ok = sign_hs256(&json!({"user_id": "alice", "nbf": NOW - 60}), SECRET);
        assert!(jwt(&app(), &nbf_ok).is_ok());
    }

    #[test]
    fn inconsistent_time_claims_are_code_42() {
        // exp before iat, both in the past and both in the future: always 42.
        for base in [NOW - 1000, NOW + 1000] {
            let t = user_token(SECRET, "alice", Some(base), Some(base - 10));
            let err = jwt(&app(), &t).unwrap_err();
            assert_eq!(err, AuthError::BadTimeClaims);
            assert_eq!(err.code(), 42);
        }
        let nbf = sign_hs256(
            &json!({"user_id": "alice", "nbf": NOW + 100, "exp": NOW + 50}),
            SECRET,
        );
        assert_eq!(jwt(&app(), &nbf), Err(AuthError::BadTimeClaims));
    }

    #[test]
    fn app_level_revocation() {
        let app = app_with(AppSettings {
            revoke_tokens_issued_before: Some(Timestamp::from_secs(NOW - 10)),
            ..AppSettings::default()
        });
        // Issued before: revoked (code 40).
        let old = user_token(SECRET, "alice", Some(NOW - 20), None);
        let err = jwt(&app, &old).unwrap_err();
        assert_eq!((err, err.code()), (AuthError::Revoked, 40));
        // No iat while the setting is active: revoked.
        let no_iat = user_token(SECRET, "alice", None, None);
        assert_eq!(jwt(&app, &no_iat), Err(AuthError::Revoked));
        // Issued at or after: fine.
        let fresh = user_token(SECRET, "alice", Some(NOW - 10), None);
        assert_eq!(jwt(&app, &fresh), Ok(user("alice", Some(NOW - 10))));
        // Never applies to server tokens.
        assert_eq!(jwt(&app, &server_token(SECRET)), Ok(Credential::Server));
        // Development mode does not lift an explicit revocation.
        let mut dev = dev_app();
        dev.settings.revoke_tokens_issued_before = Some(Timestamp::from_secs(NOW - 10));
        let unsigned_dev = unsigned(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"user_id":"alice"}"#);
        assert_eq!(jwt(&dev, &unsigned_dev), Err(AuthError::Revoked));
    }

    #[test]
    fn user_level_revocation_and_deactivation() {
        let mut u = User::new(
            UserId::parse("alice").unwrap(),
            Timestamp::from_secs(NOW - 1000),
        );
        assert_eq!(check_user(None, &u), Ok(()));
        assert_eq!(check_user(Some(NOW - 500), &u), Ok(()));

        u.revoke_tokens_issued_before = Some(Timestamp::from_secs(NOW - 100));
        assert_eq!(check_user(Some(NOW - 500), &u), Err(AuthError::Revoked));
        assert_eq!(check_user(None, &u), Err(AuthError::Revoked));
        assert_eq!(check_user(Some(NOW - 100), &u), Ok(()));
        assert_eq!(check_user(Some(NOW), &u), Ok(()));

        // Sub-second revocation times: a token from the same whole second is older.
        u.revoke_tokens_issued_before = Some(Timestamp::from_secs(NOW).plus_micros(500_000));
        assert_eq!(check_user(Some(NOW), &u), Err(AuthError::Revoked));
        u.revoke_tokens_issued_before = None;

        u.deactivated_at = Some(Timestamp::from_secs(NOW - 1));
        let err = check_user(Some(NOW), &u).unwrap_err();
        assert_eq!(
            (err, err.code(), err.status()),
            (AuthError::UserDeactivated, 5, StatusCode::UNAUTHORIZED)
        );
        u.deactivated_at = None;
        u.deleted_at = Some(Timestamp::from_secs(NOW - 1));
        assert_eq!(check_user(Some(NOW), &u), Err(AuthError::UserDeactivated));
    }

    #[test]
    fn dev_mode_accepts_unsigned_user_tokens_only() {
        let dev = dev_app();
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        // Unsigned, junk-signed and wrongly signed user tokens pass, times unchecked.
        let tokens = [
            unsigned(header, r#"{"user_id":"alice"}"#),
            format!("{}devtoken", unsigned(header, r#"{"user_id":"alice"}"#)),
            user_token("some-other-secret", "alice", None, None),
        ];
        for t in &tokens {
            assert_eq!(jwt(&dev, t), Ok(user("alice", None)), "{t}");
        }
        let expired = user_token("x", "alice", Some(NOW - 100), Some(NOW - 50));
        assert_eq!(jwt(&dev, &expired), Ok(user("alice", Some(NOW - 100))));
        // The payload must still decode.
        assert_eq!(
            jwt(&dev, &format!("{}.{}.", b64(header), b64("nope"))),
            Err(AuthError::MalformedToken)
        );

        // Server tokens are not relaxed: unsigned or wrongly signed ones are refused.
        for claims in [r#"{"server":true}"#, r#"{"server":"true"}"#, "{}"] {
            let t = unsigned(header, claims);
            assert_eq!(jwt(&dev, &t), Err(AuthError::BadSignature), "{claims}");
        }
        let wrong = server_token("some-other-secret");
        assert_eq!(jwt(&dev, &wrong), Err(AuthError::BadSignature));
        assert_eq!(jwt(&dev, &server_token(SECRET)), Ok(Credential::Server));
        let expired_server = sign_hs256(&json!({"server": true, "exp": NOW - 1}), SECRET);
        assert_eq!(jwt(&dev, &expired_server), Err(AuthError::Expired));
    }

    #[test]
    fn auth_types() {
        let a = app();
        let token = user_token(SECRET, "alice", None, None);
        assert_eq!(
            authenticate(&a, Some("anonymous"), None, now()),
            Ok(Credential::Anonymous)
        );
        assert_eq!(
            authenticate(&a, Some("Anonymous"), Some(""), now()),
            Ok(Credential::Anonymous)
        );
        assert_eq!(
            authenticate(&a, Some("anonymous"), Some(&token), now()),
            Err(AuthError::BadAuthType)
        );
        for bad in [None, Some(""), Some("basic"), Some("bearer"), Some("jwt2")] {
            assert_eq!(
                authenticate(&a, bad, Some(&token), now()),
                Err(AuthError::BadAuthType),
                "{bad:?}"
            );
        }
        assert_eq!(
            authenticate(&a, Some("jwt"), None, now()),
            Err(AuthError::MissingToken)
        );
        assert_eq!(
            authenticate(&a, Some("jwt"), Some("  "), now()),
            Err(AuthError::MissingToken)
        );
        assert_eq!(
            authenticate(&a, Some("jwt"), Some("Bearer "), now()),
            Err(AuthError::MissingToken)
        );
    }

    #[test]
    fn suspended_app_refuses_everything() {
        let a = app_with(AppSettings {
            suspended: true,
            ..AppSettings::default()
        });
        for (kind, token) in [
            (Some("jwt"), Some(server_token(SECRET))),
            (Some("anonymous"), None),
            (None, None),
        ] {
            let err = authenticate(&a, kind, token.as_deref(), now()).unwrap_err();
            assert_eq!(
                (err, err.code(), err.status()),
                (AuthError::AppSuspended, 99, StatusCode::FORBIDDEN)
            );
        }
    }

    #[test]
    fn codes_and_statuses() {
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
            assert_eq!((e.code(), e.status().as_u16()), (code, status), "{e:?}");
        }
    }
}
