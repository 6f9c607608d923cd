//! The sign-in page, sign-out, and the language switch.

use crate::auth::{cookie, Auth, ClientInfo, LANG_COOKIE, SESSION_COOKIE};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::layout::Ctx;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::accounts;
use nuanxin_core::Error;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "session/login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths may be a redirect target after sign-in.
/// A page of this site to go on to, or `/`: one leading slash, then no slash or backslash, and
/// no control character or space anywhere (browsers drop a tab or newline, so `/%09/evil.example`
/// would become `//evil.example`, another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for (next, to) in [
            ("/orgs?q=1", "/orgs?q=1"),
            ("/members/abc", "/members/abc"),
            ("//evil.example", "/"),
            ("/\t/evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/ /evil.example", "/"),
            ("/\u{3000}/evil.example", "/"),
            ("https://evil.example", "/"),
            ("evil.example", "/"),
            ("", "/"),
        ] {
            assert_eq!(safe_next(Some(next)), to, "{next:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}

pub async fn login_page(lang: Lang, Query(q): Query<NextQuery>) -> Result<Html<String>, PageError> {
    let page = LoginPage {
        ctx: Ctx::anonymous(lang, "/login"),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    };
    Ok(Html(page.render().map_err(|e| Error::Internal(e.into()))?))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub fn session_cookie(state: &AppState, token: &str, max_age_s: i64) -> String {
    crate::auth::set_cookie(state, SESSION_COOKIE, token, max_age_s)
}

pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    lang: Lang,
    Form(f): Form<LoginForm>,
) -> Response {
    let (ip, ua) = (client.ip.clone(), client.user_agent.as_deref());
    let next = safe_next(f.next.as_deref());
    match accounts::login(
        &state.store,
        &state.clock,
        &f.username,
        &f.password,
        ip.as_deref(),
        ua,
    )
    .await
    {
        Ok((token, _)) => {
            let cookie = session_cookie(&state, &token, accounts::ABSOLUTE_TIMEOUT_MS / 1000);
            ([(SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(e @ (Error::Unauthenticated { .. } | Error::RateLimited)) => {
            let status = crate::error::status_of(&e);
            let page = LoginPage {
                ctx: Ctx::anonymous(lang, "/login"),
                next,
                username: f.username,
                error: Some(e.code()),
            };
            match page.render() {
                Ok(html) => (status, Html(html)).into_response(),
                Err(e) => PageError(Error::Internal(e.into())).into_response(),
            }
        }
        Err(e) => PageError(e).into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, client: ClientInfo) -> Response {
    if let Some(token) = cookie(&client.headers, SESSION_COOKIE) {
        if let Err(e) = accounts::logout(&state.store, token).await {
            return PageError(e).into_response();
        }
    }
    let clear = session_cookie(&state, "", 0);
    ([(SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

/// Sets the language cookie and goes back to the page the switch was clicked on.
pub async fn switch_lang(Path(tag): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let Some(lang) = Lang::parse(&tag) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.tag()
    );
    (
        [(SET_COOKIE, cookie)],
        Redirect::to(&safe_next(q.next.as_deref())),
    )
        .into_response()
}

/// The landing page after login: the dashboard of the cadre's first post, targets first.
pub async fn home(State(_state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let scope = &auth.caller.scope;
    let target = if let Some(station) = scope
        .kept_stations()
        .first()
        .filter(|_| scope.roots().is_empty())
    {
        // A station's keeper starts at their station.
        format!("/stations/{station}")
    } else if scope.roots().is_empty() && scope.grid_office().is_some() {
        // A grid office starts at the reports routed to it.
        "/grid".to_string()
    } else if scope.roots().is_empty() && scope.counsel().is_some() {
        // A legal-aid lawyer starts at the cases assigned to them.
        "/cases".to_string()
    } else if scope.roots().is_empty() {
        "/orgs".to_string()
    } else {
        "/dashboard".to_string()
    };
    Ok(Redirect::to(&target).into_response())
}
