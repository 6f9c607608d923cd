//! Account pages: the cadres holding posts in the admin's scope, creating accounts, granting and
//! revoking posts, and API tokens.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::{Ctx, SearchQuery};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::accounts::{self, AccountInput, AccountRow, ApiToken, Assignment};
use nuanxin_core::page::Page;
use nuanxin_core::{in_read, in_write};
use nuanxin_core::{Error, Role};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    ctx: Ctx,
    q: String,
    page: Page<AccountRow>,
}

impl ListPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::searched(&self.page, "/accounts", &self.q)
    }

    fn role_label(&self, role: &str) -> String {
        self.ctx.t(&format!("accounts.role.{role}")).to_string()
    }
}

/// The posts in the caller's scope that match the search, for the page and the API.
pub(super) async fn search(auth: &Auth, q: &SearchQuery) -> Result<Page<AccountRow>, Error> {
    in_read(&auth.app.store, async |tx| {
        accounts::list_accounts(tx, &auth.caller.scope, &q.text(), q.page(50)).await
    })
    .await
}

pub async fn list(auth: Auth, Query(q): Query<SearchQuery>) -> Result<Html<String>, PageError> {
    render(&ListPage {
        page: search(&auth, &q).await?,
        ctx: Ctx::new(&auth, "accounts", "/accounts"),
        q: q.text(),
    })
}

#[derive(Template)]
#[template(path = "accounts/form.html")]
struct FormPage {
    ctx: Ctx,
    form: AccountForm,
    error: Option<(&'static str, &'static str)>,
    roles: Vec<(&'static str, String)>,
}

impl FormPage {
    fn value(&self, field: &str) -> &str {
        match field {
            "username" => &self.form.username,
            "display_name" => &self.form.display_name,
            "org_code" => &self.form.org_code,
            "station" => &self.form.station,
            _ => "",
        }
    }

    fn error_for(&self, field: &str) -> Option<&'static str> {
        self.error.filter(|(f, _)| *f == field).map(|(_, c)| c)
    }
}

#[derive(Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    org_code: String,
    #[serde(default)]
    role: String,
    /// For a keeper: the station's id; for a lawyer: their legal-aid station's.
    #[serde(default)]
    station: String,
}

/// The roles an admin gives: those of the org tree, then a station's keeper, a partner's API
/// account and a legal-aid station's lawyer.
fn roles(ctx: &Ctx) -> Vec<(&'static str, String)> {
    Role::ALL
        .iter()
        .map(|r| r.as_str())
        .chain([
            accounts::KEEPER,
            accounts::PARTNER,
            accounts::LAWYER,
            accounts::GRID_OFFICE,
        ])
        .map(|r| (r, ctx.t(&format!("accounts.role.{r}")).to_string()))
        .collect()
}

pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(&auth, "accounts", "/accounts/new");
    let org_code = auth
        .caller
        .scope
        .roots()
        .first()
        .map(|r| {
            r.path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    let form = AccountForm {
        role: "staff".into(),
        org_code,
        ..AccountForm::default()
    };
    render(&FormPage {
        roles: roles(&ctx),
        ctx,
        form,
        error: None,
    })
}

pub async fn create(auth: Auth, Form(mut form): Form<AccountForm>) -> Result<Response, PageError> {
    let input = AccountInput {
        username: form.username.clone(),
        display_name: Some(form.display_name.clone()),
        password: form.password.clone(),
        org_code: form.org_code.clone(),
        role: form.role.clone(),
        station: Some(form.station.clone()),
    };
    match in_write(&auth.app.store, async |tx| {
        accounts::create_account(tx, &auth.caller, &input).await
    })
    .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/accounts/{}", a.username)).into_response()),
        Err(Error::Invalid { field, code } | Error::Conflict { field, code }) => {
            form.password.clear();
            let ctx = Ctx::new(&auth, "accounts", "/accounts/new");
            let html = render(&FormPage {
                roles: roles(&ctx),
                ctx,
                form,
                error: Some((field, code)),
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(Error::NotFound | Error::Forbidden) => {
            form.password.clear();
            let ctx = Ctx::new(&auth, "accounts", "/accounts/new");
            let html = render(&FormPage {
                roles: roles(&ctx),
                ctx,
                form,
                error: Some(("org_code", "accounts.not_admin_there")),
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "accounts/show.html")]
struct ShowPage {
    ctx: Ctx,
    username: String,
    display_name: String,
    posts: Vec<Assignment>,
    tokens: Vec<ApiToken>,
    roles: Vec<(&'static str, String)>,
    new_token: Option<String>,
    error: Option<&'static str>,
}

impl ShowPage {
    fn role_label(&self, role: &str) -> String {
        self.ctx.t(&format!("accounts.role.{role}")).to_string()
    }
}

async fn show_page(
    auth: &Auth,
    username: &str,
    new_token: Option<String>,
    error: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let (account, posts, tokens) =
        accounts::overview(&auth.app.store, &auth.caller, username).await?;
    let ctx = Ctx::new(auth, "accounts", &format!("/accounts/{username}"));
    render(&ShowPage {
        // A post in the org tree is granted here; a keeper is made with their station.
        roles: roles(&ctx)
            .into_iter()
            .filter(|(r, _)| {
                ![
                    accounts::KEEPER,
                    accounts::PARTNER,
                    accounts::LAWYER,
                    accounts::GRID_OFFICE,
                ]
                .contains(r)
            })
            .collect(),
        ctx,
        username: account.username,
        display_name: account.display_name,
        posts,
        tokens,
        new_token,
        error,
    })
}

pub async fn show(auth: Auth, Path(username): Path<String>) -> Result<Html<String>, PageError> {
    show_page(&auth, &username, None, None).await
}

#[derive(Deserialize)]
pub struct GrantForm {
    org_code: String,
    role: String,
}

pub async fn grant(
    auth: Auth,
    Path(username): Path<String>,
    Form(f): Form<GrantForm>,
) -> Result<Response, PageError> {
    let role = Role::parse(&f.role).ok_or(Error::invalid("role", "accounts.bad_role"))?;
    match in_write(&auth.app.store, async |tx| {
        accounts::grant(tx, &auth.caller, &username, f.org_code.trim(), role).await
    })
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{username}")).into_response()),
        Err(Error::NotFound | Error::Forbidden) => {
            let html = show_page(&auth, &username, None, Some("accounts.not_admin_there")).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    org_code: String,
}

pub async fn revoke(
    auth: Auth,
    Path(username): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        accounts::revoke(tx, &auth.caller, &username, &f.org_code).await
    })
    .await?;
    Ok(Redirect::to("/accounts").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    auth: Auth,
    Path(username): Path<String>,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    match in_write(&auth.app.store, async |tx| {
        accounts::create_token(tx, &auth.caller, &username, &f.name).await
    })
    .await
    {
        Ok(token) => Ok(show_page(&auth, &username, Some(token), None)
            .await?
            .into_response()),
        Err(e @ (Error::Invalid { .. } | Error::Forbidden)) => {
            let code = if matches!(e, Error::Forbidden) {
                "accounts.not_admin_there"
            } else {
                e.code()
            };
            let html = show_page(&auth, &username, None, Some(code)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeTokenForm {
    id: uuid::Uuid,
}

pub async fn revoke_token(
    auth: Auth,
    Path(username): Path<String>,
    Form(f): Form<RevokeTokenForm>,
) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        accounts::revoke_token(tx, &auth.caller, f.id).await
    })
    .await?;
    Ok(Redirect::to(&format!("/accounts/{username}")).into_response())
}

#[derive(Deserialize)]
pub struct StationForm {
    #[serde(default)]
    station: String,
}

/// `POST /accounts/{username}/station`: an admin gives a keeper the station they keep.
pub async fn keep_station(
    auth: Auth,
    Path(username): Path<String>,
    Form(f): Form<StationForm>,
) -> Result<Response, PageError> {
    match in_write(&auth.app.store, async |tx| {
        accounts::keep_station(tx, &auth.caller, &username, &f.station).await
    })
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{username}")).into_response()),
        Err(e @ Error::Invalid { .. }) => {
            let html = show_page(&auth, &username, None, Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
