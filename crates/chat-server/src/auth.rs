//! Authentication (api-spec/auth.md): HS256 JWTs signed with the app secret, server vs
//! user tokens, time claims, revocation, development tokens and anonymous access.

use axum::http::StatusCode;
use base64::Engine as _;
use chat_core::ids::UserId;
use chat_core::model::{App, User};
use chat_core::time::Timestamp;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Clock skew tolerated on `iat` / `nbf`, seconds.
pub const SKEW_SECS: i64 = 5;

/// Why a request is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `api_key`.
    #[error("api_key is missing")]
    MissingApiKey,
    /// Unknown `api_key`.
    #[error("api_key not valid")]
    UnknownApiKey,
    /// The app is suspended.
    #[error("the app is suspended")]
    AppSuspended,
    /// `Stream-Auth-Type` missing or unknown.
    #[error("stream-auth-type must be jwt or anonymous")]
    BadAuthType,
    /// No token with auth type jwt.
    #[error("the Authorization header is missing")]
    MissingToken,
    /// Not a JWT.
    #[error("the token is not a valid JWT")]
    MalformedToken,
    /// Signature does not verify.
    #[error("the token signature is invalid")]
    BadSignature,
    /// `exp` passed.
    #[error("the token has expired")]
    Expired,
    /// `iat` / `nbf` in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// Time claims contradict each other.
    #[error("the token's time claims are inconsistent")]
    BadTimeClaims,
    /// Issued before a revocation.
    #[error("the token was revoked")]
    Revoked,
    /// The user is deactivated or deleted.
    #[error("the user is deactivated or deleted")]
    UserDeactivated,
}

impl AuthError {
    /// Stream error code (auth.md §9).
    pub fn code(self) -> i32 {
        match self {
            Self::MissingApiKey | Self::UnknownApiKey => 2,
            Self::AppSuspended => 99,
            Self::BadAuthType
            | Self::MissingToken
            | Self::MalformedToken
            | Self::UserDeactivated => 5,
            Self::BadSignature => 43,
            Self::Expired | Self::Revoked => 40,
            Self::NotYetValid => 41,
            Self::BadTimeClaims => 42,
        }
    }

    /// HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Self::AppSuspended => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// The claims we read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    /// User token for this user.
    pub user_id: Option<String>,
    /// `server: true` or `"true"`.
    pub server: bool,
    /// Expiry, unix seconds.
    pub exp: Option<i64>,
    /// Issued at, unix seconds.
    pub iat: Option<i64>,
    /// Not before, unix seconds.
    pub nbf: Option<i64>,
}

/// Who the request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Signed with the app secret, no user: bypasses permission checks.
    Server,
    /// A user token.
    User {
        /// The user.
        user_id: UserId,
        /// `iat`, for per-user revocation.
        iat: Option<i64>,
    },
    /// No token (`Stream-Auth-Type: anonymous`).
    Anonymous,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn b64_decode(part: &str) -> Result<Vec<u8>, AuthError> {
    B64.decode(part.trim_end_matches('='))
        .map_err(|_| AuthError::MalformedToken)
}

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable_mac(),
    }
}

#[cold]
fn unreachable_mac() -> Hmac<Sha256> {
    // Only reachable if the hmac crate changes its contract; an empty key still works.
    Hmac::<Sha256>::new_from_slice(&[0u8]).unwrap_or_else(|_| std::process::abort())
}

/// Signs `claims` as an HS256 JWT.
pub fn sign_hs256(claims: &Value, secret: &str) -> String {
    let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = B64.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let mut m = mac(secret);
    m.update(signing_input.as_bytes());
    let sig = B64.encode(m.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// A user token (`iat`/`exp` optional).
pub fn user_token(secret: &str, user_id: &str, iat: Option<i64>, exp: Option<i64>) -> String {
    let mut claims = serde_json::json!({ "user_id": user_id });
    if let Some(i) = iat {
        claims["iat"] = i.into();
    }
    if let Some(e) = exp {
        claims["exp"] = e.into();
    }
    sign_hs256(&claims, secret)
}

/// A server token (`{"server": true}`).
pub fn server_token(secret: &str) -> String {
    sign_hs256(&serde_json::json!({ "server": true }), secret)
}

fn number(v: Option<&Value>) -> Result<Option<i64>, AuthError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or(AuthError::MalformedToken),
        Some(_) => Err(AuthError::MalformedToken),
    }
}

/// Decodes a token and (unless `skip_signature`) verifies its signature. Times are not
/// checked here.
pub fn decode(token: &str, secret: &str, skip_signature: bool) -> Result<Claims, AuthError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::MalformedToken);
    };
    let header: Value =
        serde_json::from_slice(&b64_decode(h)?).map_err(|_| AuthError::MalformedToken)?;
    let payload: Value =
        serde_json::from_slice(&b64_decode(p)?).map_err(|_| AuthError::MalformedToken)?;
    let sig = b64_decode(s)?;
    if !payload.is_object() {
        return Err(AuthError::MalformedToken);
    }
    if !skip_signature {
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(AuthError::BadSignature);
        }
        let mut m = mac(secret);
        m.update(h.as_bytes());
        m.update(b".");
        m.update(p.as_bytes());
        m.verify_slice(&sig).map_err(|_| AuthError::BadSignature)?;
    }
    let user_id = match payload.get("user_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(AuthError::MalformedToken),
    };
    let server = matches!(payload.get("server"), Some(Value::Bool(true)))
        || payload.get("server").and_then(Value::as_str) == Some("true");
    Ok(Claims {
        user_id,
        server,
        exp: number(payload.get("exp"))?,
        iat: number(payload.get("iat"))?,
        nbf: number(payload.get("nbf"))?,
    })
}

fn check_times(c: &Claims, now: i64) -> Result<(), AuthError> {
    if let (Some(exp), Some(iat)) = (c.exp, c.iat) {
        if exp < iat {
            return Err(AuthError::BadTimeClaims);
        }
    }
    if c.exp.is_some_and(|exp| exp < now) {
        return Err(AuthError::Expired);
    }
    if c.iat.is_some_and(|iat| iat > now + SKEW_SECS)
        || c.nbf.is_some_and(|nbf| nbf > now + SKEW_SECS)
    {
        return Err(AuthError::NotYetValid);
    }
    Ok(())
}

fn revoked(iat: Option<i64>, before: Option<Timestamp>) -> bool {
    match before {
        None => false,
        Some(t) => iat.is_none_or(|i| i < t.as_secs()),
    }
}

/// Authenticates a request once its app is known (auth.md §2.2 steps 2–8).
pub fn authenticate(
    app: &App,
    auth_type: Option<&str>,
    token: Option<&str>,
    now: Timestamp,
) -> Result<Credential, AuthError> {
    if app.settings.suspended {
        return Err(AuthError::AppSuspended);
    }
    let kind = auth_type.map(str::to_ascii_lowercase);
    match kind.as_deref() {
        Some("anonymous") if token.is_none_or(str::is_empty) => return Ok(Credential::Anonymous),
        Some("jwt") | Some("anonymous") => {}
        _ => return Err(AuthError::BadAuthType),
    }
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::MissingToken)?;
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let dev = app.settings.disable_auth_checks;
    let verified = decode(token, &app.api_secret, false);
    let claims = match (verified, dev) {
        (Ok(c), _) => c,
        // Development tokens: a user token whose signature is not checked.
        (Err(AuthError::BadSignature), true) => {
            let c = decode(token, &app.api_secret, true)?;
            if c.user_id.is_none() {
                return Err(AuthError::BadSignature);
            }
            let user_id = UserId::parse(c.user_id.as_deref().unwrap_or_default())
                .map_err(|_| AuthError::MalformedToken)?;
            return Ok(Credential::User {
                user_id,
                iat: c.iat,
            });
        }
        (Err(e), _) => return Err(e),
    };
    let Some(user) = &claims.user_id else {
        check_times(&claims, now.as_secs())?;
        return Ok(Credential::Server);
    };
    let user_id = UserId::parse(user).map_err(|_| AuthError::MalformedToken)?;
    if !dev {
        check_times(&claims, now.as_secs())?;
    }
    if revoked(claims.iat, app.settings.revoke_tokens_issued_before) {
        return Err(AuthError::Revoked);
    }
    Ok(Credential::User {
        user_id,
        iat: claims.iat,
    })
}

/// Per-user checks once the user is loaded: per-user revocation, deactivated or deleted.
pub fn check_user(iat: Option<i64>, user: &User) -> Result<(), AuthError> {
    if revoked(iat, user.revoke_tokens_issued_before) {
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

    fn app() -> App {
        App {
            id: AppId::new_unchecked("a"),
            api_key: "key".into(),
            api_secret: "secret".into(),
            settings: AppSettings::default(),
            created_at: Timestamp::default(),
            version: 1,
        }
    }

    const NOW: i64 = 1_700_000_000;

    fn auth(app: &App, token: &str) -> Result<Credential, AuthError> {
        authenticate(app, Some("jwt"), Some(token), Timestamp::from_secs(NOW))
    }

    #[test]
    fn known_token_decodes_independently_of_our_signer() {
        let h = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = B64.encode(br#"{"user_id":"alice","iat":1}"#);
        let mut m = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        m.update(format!("{h}.{p}").as_bytes());
        let s = B64.encode(m.finalize().into_bytes());
        let c = decode(&format!("{h}.{p}.{s}"), "secret", false).unwrap();
        assert_eq!(c.user_id.as_deref(), Some("alice"));
        assert_eq!(c.iat, Some(1));
    }

    #[test]
    fn user_and_server_tokens() {
        let a = app();
        assert_eq!(
            auth(&a, &user_token("secret", "alice", None, None)).unwrap(),
            Credential::User {
                user_id: UserId::new_unchecked("alice"),
                iat: None
            }
        );
        assert_eq!(
            auth(&a, &server_token("secret")).unwrap(),
            Credential::Server
        );
        let string_server = sign_hs256(&serde_json::json!({"server": "true"}), "secret");
        assert_eq!(auth(&a, &string_server).unwrap(), Credential::Server);
        assert_eq!(
            authenticate(
                &a,
                Some("JWT"),
                Some(&server_token("secret")),
                Timestamp::from_secs(NOW)
            )
            .unwrap(),
            Credential::Server
        );
    }

    #[test]
    fn bad_tokens_get_their_codes() {
        let a = app();
        let good = user_token("secret", "alice", None, None);
        let mut parts: Vec<&str> = good.split('.').collect();
        let other = user_token("secret", "bob", None, None);
        parts[1] = other.split('.').nth(1).unwrap();
        assert_eq!(auth(&a, &parts.join(".")), Err(AuthError::BadSignature));
        assert_eq!(
            auth(&a, &user_token("wrong", "alice", None, None)),
            Err(AuthError::BadSignature)
        );
        for garbage in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!.??.**",
            &format!("{}.{}.x", B64.encode("{"), B64.encode("{}")),
        ] {
            let r = authenticate(&a, Some("jwt"), Some(garbage), Timestamp::from_secs(NOW));
            assert!(
                matches!(r, Err(AuthError::MalformedToken | AuthError::MissingToken)),
                "{garbage}: {r:?}"
            );
        }
        assert_eq!(
            auth(
                &a,
                &user_token("secret", "alice", Some(NOW - 100), Some(NOW - 10))
            ),
            Err(AuthError::Expired)
        );
        assert_eq!(
            auth(&a, &user_token("secret", "alice", Some(NOW + 60), None)),
            Err(AuthError::NotYetValid)
        );
        assert!(
            auth(&a, &user_token("secret", "alice", Some(NOW + 3), None)).is_ok(),
            "within skew"
        );
        assert_eq!(
            auth(
                &a,
                &user_token("secret", "alice", Some(NOW + 100), Some(NOW + 50))
            ),
            Err(AuthError::BadTimeClaims)
        );
        assert_eq!(
            authenticate(&a, Some("basic"), Some(&good), Timestamp::from_secs(NOW)),
            Err(AuthError::BadAuthType)
        );
        assert_eq!(
            authenticate(&a, None, Some(&good), Timestamp::from_secs(NOW)),
            Err(AuthError::BadAuthType)
        );
        assert_eq!(
            authenticate(&a, Some("jwt"), None, Timestamp::from_secs(NOW)),
            Err(AuthError::MissingToken)
        );
        assert_eq!(
            authenticate(&a, Some("anonymous"), None, Timestamp::from_secs(NOW)),
            Ok(Credential::Anonymous)
        );
        let mut suspended = app();
        suspended.settings.suspended = true;
        assert_eq!(auth(&suspended, &good), Err(AuthError::AppSuspended));
        assert_eq!(AuthError::AppSuspended.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn revocation_app_and_user() {
        let mut a = app();
        a.settings.revoke_tokens_issued_before = Some(Timestamp::from_secs(NOW - 50));
        assert_eq!(
            auth(&a, &user_token("secret", "alice", None, None)),
            Err(AuthError::Revoked)
        );
        assert_eq!(
            auth(&a, &user_token("secret", "alice", Some(NOW - 100), None)),
            Err(AuthError::Revoked)
        );
        assert!(auth(&a, &user_token("secret", "alice", Some(NOW - 10), None)).is_ok());
        assert_eq!(
            auth(&a, &server_token("secret")),
            Ok(Credential::Server),
            "server tokens are never revoked"
        );
        let mut u = User::new(UserId::new_unchecked("alice"), Timestamp::default());
        assert!(check_user(None, &u).is_ok());
        u.revoke_tokens_issued_before = Some(Timestamp::from_secs(NOW));
        assert_eq!(check_user(None, &u), Err(AuthError::Revoked));
        assert_eq!(check_user(Some(NOW - 1), &u), Err(AuthError::Revoked));
        assert!(check_user(Some(NOW + 1), &u).is_ok());
        u.revoke_tokens_issued_before = None;
        u.deactivated_at = Some(Timestamp::default());
        assert_eq!(check_user(None, &u), Err(AuthError::UserDeactivated));
    }

    #[test]
    fn development_tokens() {
        let mut a = app();
        a.settings.disable_auth_checks = true;
        let unsigned = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(br#"{"user_id":"dev"}"#)
        );
        assert_eq!(
            auth(&a, &unsigned).unwrap(),
            Credential::User {
                user_id: UserId::new_unchecked("dev"),
                iat: None
            }
        );
        let unsigned_server = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(br#"{"server":true}"#)
        );
        assert_eq!(auth(&a, &unsigned_server), Err(AuthError::BadSignature));
    }
}
