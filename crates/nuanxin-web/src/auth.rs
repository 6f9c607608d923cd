//! Who is asking: the session cookie (people) or a bearer token (partner systems), turned into a
//! `Caller` by `nuanxin_core::accounts`. Also the CSRF guard for cookie-authenticated writes and
//! the language of the request.

use crate::error::{ApiError, PageError};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use nuanxin_core::accounts::{self, Caller, Session};
use nuanxin_core::Error;

pub const SESSION_COOKIE: &str = "nx_session";
pub const LANG_COOKIE: &str = "nx_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_FIELD: &str = "_csrf";

pub fn cookie<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The client address, from the proxy header when present, else the socket.
pub fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> Option<String> {
    // The header is anyone's to write: only a proxy of our own in front makes it the client's
    // address, else every per-address limit could be dodged by sending another one.
    if trust_forwarded_for {
        // Our proxy appends the address it saw to whatever the client sent: the last entry (of
        // the last header) is the one to trust; anything left of it is the client's to write.
        if let Some(xff) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
        {
            if let Some(last) = xff.rsplit(',').map(str::trim).find(|s| !s.is_empty()) {
                return Some(last.to_string());
            }
        }
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The language of a request: the `nx_lang` cookie, else Chinese.
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Self::Rejection> {
        Ok(lang_of(&parts.headers))
    }
}

/// A signed-in person or a partner system, with everything a handler needs to call `core`.
pub struct Auth {
    /// The application the request came to: a handler that has the caller has the app.
    pub app: AppState,
    pub caller: Caller,
    /// Present for cookie sessions (pages), absent for bearer tokens.
    pub session: Option<Session>,
    pub lang: Lang,
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Auth>, Error> {
    let lang = lang_of(&parts.headers);
    let ip = client_ip(parts, state.config.trust_forwarded_for);
    if let Some(token) = bearer(&parts.headers) {
        let caller = accounts::authenticate_token(&state.store, &state.clock, token, ip).await?;
        return Ok(caller.map(|caller| Auth {
            app: state.clone(),
            caller,
            session: None,
            lang,
        }));
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    // The CSRF guard may have looked the session up already for this request.
    let known = parts.extensions.get::<Session>().cloned();
    let session = match known {
        Some(s) => Some(s),
        None => accounts::session(&state.store, &state.clock, token).await?,
    };
    let Some(session) = session else {
        return Ok(None);
    };
    let caller = session.caller(ip, &state.clock);
    Ok(Some(Auth {
        app: state.clone(),
        caller,
        session: Some(session),
        lang,
    }))
}

/// For JSON handlers: 401 with a JSON body when nobody is signed in.
pub struct ApiAuth(pub Auth);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiAuth, ApiError> {
        match authenticate(parts, state).await? {
            Some(a) => Ok(ApiAuth(a)),
            None => Err(ApiError(Error::Unauthenticated {
                code: "accounts.sign_in_required",
            })),
        }
    }
}

/// For pages: a redirect to the sign-in page when nobody is signed in.
impl FromRequestParts<AppState> for Auth {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, Response> {
        match authenticate(parts, state).await {
            Ok(Some(a)) if a.session.is_some() => Ok(a),
            Ok(_) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// Percent-encodes a value for a query string (slashes kept, for readable `next=` paths).
/// A `Set-Cookie` value for a session token: HTTP only, same-site, `Secure` behind HTTPS; a
/// `max_age_s` of 0 ends it.
pub fn set_cookie(state: &AppState, name: &str, token: &str, max_age_s: i64) -> String {
    let secure = if state.config.https() { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace("%2F", "/")
}

/// CSRF guard: a write (POST, PUT, PATCH, DELETE) that carries a session cookie must also carry
/// the session's CSRF token, in the `X-CSRF-Token` header (htmx, API clients), the `_csrf` form
/// field (plain HTML forms) or, for file uploads, the `_csrf` query parameter. Bearer-token calls
/// carry no cookie and are not exposed to CSRF.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let Some(token) = cookie(req.headers(), SESSION_COOKIE).map(str::to_string) else {
        return next.run(req).await;
    };
    // The member's own pages act for the member session, never for the cadre one: they check
    // the member session's token themselves (a cadre who is also a member would fail here).
    let member_page = req.uri().path().starts_with("/me/");
    if !unsafe_method || bearer(req.headers()).is_some() || member_page {
        return next.run(req).await;
    }
    let mut req = req;
    let expected = match accounts::session(&state.store, &state.clock, &token).await {
        Ok(Some(s)) => {
            let csrf = s.csrf_token.clone();
            req.extensions_mut().insert(s);
            csrf
        }
        // No live session: the handler answers as for a signed-out caller.
        Ok(None) => return next.run(req).await,
        Err(e) => return PageError(e).into_response(),
    };
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if h == expected {
            next.run(req).await
        } else {
            csrf_failed()
        };
    }
    if let Some(q) = req.uri().query() {
        if form_value(q, CSRF_FIELD).as_deref() == Some(expected.as_str()) {
            return next.run(req).await;
        }
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return csrf_failed();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return csrf_failed();
    };
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|b| form_value(b, CSRF_FIELD))
        .as_deref()
        == Some(expected.as_str());
    if !ok {
        return csrf_failed();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

fn form_value(encoded: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(encoded.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn csrf_failed() -> Response {
    PageError(Error::Csrf).into_response()
}

/// The client's address, user agent and headers, for handlers that sign in or out.
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub headers: axum::http::HeaderMap,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ClientInfo, Self::Rejection> {
        Ok(ClientInfo {
            ip: client_ip(parts, state.config.trust_forwarded_for),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            headers: parts.headers.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::client_ip;

    fn parts(xff: Option<&str>) -> axum::http::request::Parts {
        let mut b = axum::http::Request::builder().uri("/");
        if let Some(v) = xff {
            b = b.header("x-forwarded-for", v);
        }
        let (mut parts, ()) = b.body(()).unwrap().into_parts();
        parts.extensions.insert(axum::extract::ConnectInfo(
            "192.0.2.7:5000".parse::<std::net::SocketAddr>().unwrap(),
        ));
        parts
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let spoofed = parts(Some("10.9.9.9, 192.0.2.1"));
        assert_eq!(client_ip(&spoofed, false).as_deref(), Some("192.0.2.7"));
        assert_eq!(
            client_ip(&spoofed, true).as_deref(),
            Some("192.0.2.1"),
            "the address our proxy appended, not the one the client wrote"
        );
        assert_eq!(client_ip(&parts(None), true).as_deref(), Some("192.0.2.7"));
    }
}
