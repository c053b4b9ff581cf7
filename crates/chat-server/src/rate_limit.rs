//! Rate limits (api-spec/errors.md §3): a sliding window per app + platform + endpoint and
//! per user + endpoint, shared by every node through Redis when it is configured, kept in
//! process otherwise (or while Redis is unreachable).
//!
//! The window is the two-window counter approximation of a sliding log: the count of the
//! current fixed window plus the previous window's count weighted by how much of it still
//! overlaps the sliding window (rounded up, so the estimate never under-counts). It needs
//! two integers per key and window instead of one entry per request, and in Redis it is
//! one `EVAL` — one round trip — that checks both the app and the user counters and
//! increments both only when the request is allowed.
//!
//! Counting always happens, so `X-RateLimit-*` headers are real; a 429 (code 9, with
//! `Retry-After`) is answered only when enforcement is on (off by default: the
//! development app of a zero-configuration start runs unenforced, errors.md §3 DESIGN).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_core::ids::{AppId, UserId};
use fred::prelude::LuaInterface;

use crate::config::RateLimitConfig;
use crate::redis::RedisLink;

/// In-process counters kept before old ones are pruned; past it after pruning, every
/// counter is forgotten (a burst of new keys must not grow memory without bound).
const LOCAL_MAX_KEYS: usize = 100_000;

/// Checks both counters, increments them when allowed (or when not enforcing).
/// KEYS: app current, app previous[, user current, user previous].
/// ARGV: app limit, user limit, previous-window weight (‰), ttl ms, enforce (0/1).
/// Returns {allowed, app estimate, user estimate} after the request.
const SCRIPT: &str = r#"
local w = tonumber(ARGV[3])
local function est(c, p)
  local cur = tonumber(redis.call('GET', c) or '0')
  local prev = tonumber(redis.call('GET', p) or '0')
  return cur + math.ceil(prev * w / 1000)
end
local a = est(KEYS[1], KEYS[2])
local u = 0
if #KEYS == 4 then u = est(KEYS[3], KEYS[4]) end
local allowed = a < tonumber(ARGV[1]) and (#KEYS < 4 or u < tonumber(ARGV[2]))
if allowed or ARGV[5] == '0' then
  for i = 1, #KEYS, 2 do
    redis.call('INCR', KEYS[i])
    redis.call('PEXPIRE', KEYS[i], ARGV[4])
  end
  if allowed then return {1, a + 1, u + 1} end
  return {0, a + 1, u + 1}
end
return {0, a, u}
"#;

/// Whose counters a request counts against.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The app.
    pub app: AppId,
    /// `server` for server tokens, `web` otherwise (no platform detection yet).
    pub platform: &'static str,
    /// The user, for user tokens (no user limit for server and anonymous calls).
    pub user: Option<UserId>,
}

/// The outcome of one check, for the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The limit reported (the tighter of app and user).
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// Unix seconds when the current window ends.
    pub reset: u64,
    /// Seconds to wait after a refusal.
    pub retry_after: u64,
}

/// Where the window stands at an instant.
#[derive(Debug, Clone, Copy)]
struct Window {
    index: u64,
    /// Weight of the previous window, per mille.
    prev_weight: u64,
    reset: u64,
    retry_after: u64,
}

impl Window {
    fn at(now: SystemTime, length: Duration) -> Self {
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let len_ms = (length.as_millis() as u64).max(1);
        let index = now_ms / len_ms;
        let into = now_ms % len_ms;
        let end_ms = (index + 1) * len_ms;
        Self {
            index,
            prev_weight: 1000 - into * 1000 / len_ms,
            reset: end_ms.div_ceil(1000),
            retry_after: (end_ms - now_ms).div_ceil(1000).max(1),
        }
    }
}

/// Per key: the window it counts in, its count, the previous window's count.
#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    index: u64,
    current: u64,
    previous: u64,
}

impl Counter {
    fn roll(&mut self, index: u64) {
        if self.index == index {
            return;
        }
        self.previous = if self.index + 1 == index {
            self.current
        } else {
            0
        };
        self.current = 0;
        self.index = index;
    }

    fn estimate(&self, prev_weight: u64) -> u64 {
        self.current + (self.previous * prev_weight).div_ceil(1000)
    }
}

/// The limiter of one node.
pub struct RateLimiter {
    config: RateLimitConfig,
    local: Mutex<HashMap<String, Counter>>,
    redis: Option<Arc<RedisLink>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("config", &self.config)
            .field("redis", &self.redis.is_some())
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// In process when `redis` is `None`.
    pub fn new(config: RateLimitConfig, redis: Option<Arc<RedisLink>>) -> Self {
        Self {
            config,
            local: Mutex::new(HashMap::new()),
            redis,
        }
    }

    /// Counts one request of `op` by `subject` at `now`.
    pub async fn check(&self, subject: &Subject, op: &str, now: SystemTime) -> Verdict {
        let window = Window::at(now, self.config.window);
        let app_limit = self.config.app_limit(op);
        let user_limit = subject
            .user
            .as_ref()
            .filter(|_| self.config.per_user > 0)
            .map(|_| self.config.per_user);
        let app_key = format!("{}:{}:{op}", subject.app.as_str(), subject.platform);
        let user_key = subject
            .user
            .as_ref()
            .map(|u| format!("{}:u:{}:{op}", subject.app.as_str(), u.as_str()));
        let user_key = user_key.filter(|_| user_limit.is_some());
        let counted = match &self.redis {
            Some(link) => {
                match self
                    .check_redis(
                        link,
                        &window,
                        &app_key,
                        user_key.as_deref(),
                        app_limit,
                        user_limit,
                    )
                    .await
                {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::debug!(error = %e, "rate limit counted in process: redis unavailable");
                        metrics::counter!("chat_rate_limit_local_fallback_total").increment(1);
                        None
                    }
                }
            }
            None => None,
        };
        let (allowed, app_est, user_est) = match counted {
            Some(c) => c,
            None => self.check_local(
                &window,
                &app_key,
                user_key.as_deref(),
                app_limit,
                user_limit,
            ),
        };
        let app_left = u64::from(app_limit).saturating_sub(app_est);
        let (limit, remaining) = match user_limit {
            Some(ul) if u64::from(ul).saturating_sub(user_est) < app_left => {
                (ul, u64::from(ul).saturating_sub(user_est))
            }
            _ => (app_limit, app_left),
        };
        Verdict {
            allowed: allowed || !self.config.enforce,
            limit,
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset: window.reset,
            retry_after: window.retry_after,
        }
    }

    fn check_local(
        &self,
        window: &Window,
        app_key: &str,
        user_key: Option<&str>,
        app_limit: u32,
        user_limit: Option<u32>,
    ) -> (bool, u64, u64) {
        let Ok(mut map) = self.local.lock() else {
            // A poisoned map only loses counts.
            return (true, 0, 0);
        };
        if map.len() >= LOCAL_MAX_KEYS {
            map.retain(|_, c| c.index + 1 >= window.index);
            if map.len() >= LOCAL_MAX_KEYS {
                map.clear();
            }
        }
        let mut estimate = |key: &str| {
            let c = map.entry(key.to_string()).or_default();
            c.roll(window.index);
            c.estimate(window.prev_weight)
        };
        let a = estimate(app_key);
        let u = user_key.map_or(0, &mut estimate);
        let allowed = a < u64::from(app_limit) && user_limit.is_none_or(|l| u < u64::from(l));
        if allowed || !self.config.enforce {
            for key in std::iter::once(app_key).chain(user_key) {
                if let Some(c) = map.get_mut(key) {
                    c.current += 1;
                }
            }
            return (allowed, a + 1, u + 1);
        }
        (false, a, u)
    }

    async fn check_redis(
        &self,
        link: &RedisLink,
        window: &Window,
        app_key: &str,
        user_key: Option<&str>,
        app_limit: u32,
        user_limit: Option<u32>,
    ) -> Result<(bool, u64, u64), fred::error::Error> {
        let key = |k: &str, index: u64| link.key(&format!("rl:{k}:{index}"));
        let mut keys = vec![
            key(app_key, window.index),
            key(app_key, window.index.saturating_sub(1)),
        ];
        if let Some(u) = user_key {
            keys.push(key(u, window.index));
            keys.push(key(u, window.index.saturating_sub(1)));
        }
        let ttl_ms = (self.config.window.as_millis() as u64).max(1) * 2;
        let args: Vec<String> = vec![
            app_limit.to_string(),
            user_limit.unwrap_or(0).to_string(),
            window.prev_weight.to_string(),
            ttl_ms.to_string(),
            if self.config.enforce { "1" } else { "0" }.to_string(),
        ];
        let (allowed, a, u): (i64, i64, i64) = link.commands.eval(SCRIPT, keys, args).await?;
        Ok((allowed == 1, a.max(0) as u64, u.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(user: Option<&str>) -> Subject {
        Subject {
            app: AppId::new_unchecked("app"),
            platform: "web",
            user: user.map(UserId::new_unchecked),
        }
    }

    fn limiter(enforce: bool, per_user: u32) -> RateLimiter {
        let mut config = RateLimitConfig {
            enforce,
            per_user,
            ..RateLimitConfig::default()
        };
        config.overrides.insert("SendMessage".into(), 5);
        RateLimiter::new(config, None)
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[tokio::test]
    async fn a_limit_of_n_allows_n_then_refuses_until_the_window_slides() {
        let l = limiter(true, 0);
        let s = subject(None);
        let t = at(6_000); // the start of a window
        for i in 0..5 {
            let v = l.check(&s, "SendMessage", t).await;
            assert!(v.allowed, "request {i}");
            assert_eq!(v.remaining, 4 - i);
            assert_eq!(v.limit, 5);
        }
        let refused = l.check(&s, "SendMessage", t).await;
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset, 6_060);
        assert_eq!(refused.retry_after, 60);
        // Other endpoints have their own window.
        assert!(l.check(&s, "GetApp", t).await.allowed);
        // Half way through the next window, half the previous count still weighs.
        let later = at(6_090);
        let allowed: usize = {
            let mut n = 0;
            for _ in 0..5 {
                if l.check(&s, "SendMessage", later).await.allowed {
                    n += 1;
                }
            }
            n
        };
        assert_eq!(allowed, 2, "5 - ceil(5 * 0.5)");
        // Two windows later nothing weighs.
        assert!(l.check(&s, "SendMessage", at(6_200)).await.allowed);
    }

    #[tokio::test]
    async fn the_user_limit_is_per_user_and_reported_when_tighter() {
        let l = limiter(true, 2);
        let t = at(6_000);
        let alice = subject(Some("alice"));
        assert!(l.check(&alice, "GetApp", t).await.allowed);
        let v = l.check(&alice, "GetApp", t).await;
        assert!(v.allowed);
        assert_eq!((v.limit, v.remaining), (2, 0));
        assert!(!l.check(&alice, "GetApp", t).await.allowed);
        assert!(l.check(&subject(Some("bob")), "GetApp", t).await.allowed);
    }

    #[tokio::test]
    async fn without_enforcement_requests_pass_but_are_counted() {
        let l = limiter(false, 0);
        let s = subject(None);
        for _ in 0..7 {
            assert!(l.check(&s, "SendMessage", at(6_000)).await.allowed);
        }
        assert_eq!(l.check(&s, "SendMessage", at(6_000)).await.remaining, 0);
    }
}
