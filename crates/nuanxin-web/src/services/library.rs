//! The micro-library (职工书屋) in the console, the API and the member's home: cadres put articles
//! and PDFs on the shelf of their union's members; members browse by category, search and read
//! on `/me/library`. A PDF is served only to a cadre who sees the item or a member it reaches.

use super::photos::WithPhotos;
use crate::auth::{ApiAuth, Auth, ClientInfo};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::i18n::{Catalogue, Lang};
use crate::layout::{Ctx, Pager, Paging};
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use nuanxin_core::page::Page;
use nuanxin_core::services::library::{self, Item, ItemInput, Shelf, CATEGORIES};
use nuanxin_core::{in_read, in_write};
use std::collections::HashMap;
use uuid::Uuid;

fn categories(lang: Lang) -> Vec<(&'static str, String)> {
    CATEGORIES
        .iter()
        .map(|(c, _)| {
            (
                *c,
                Catalogue::of(lang)
                    .get(&format!("library.category.{c}"))
                    .to_string(),
            )
        })
        .collect()
}

fn size_label(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b => format!("{} KB", (b + 1023) / 1024),
    }
}

#[derive(Template)]
#[template(path = "services/library.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Item>,
    shelf: Shelf,
    categories: Vec<(&'static str, String)>,
    may_create: bool,
    entered: crate::layout::Entered,
}

impl ListPage {
    fn pager(&self) -> Pager {
        let q = crate::auth::urlencode(&self.shelf.q);
        let category = self.shelf.category.clone();
        Pager::of(&self.page, move |n| {
            format!("/library?category={category}&q={q}&page={n}")
        })
    }

    fn category(&self, code: &str) -> String {
        self.ctx.t(&format!("library.category.{code}")).to_string()
    }

    fn size(&self, bytes: &i64) -> String {
        size_label(*bytes)
    }
}

async fn list_page(
    auth: &Auth,
    shelf: Shelf,
    paging: Paging,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        library::list(tx, &auth.caller.scope, &shelf, paging.request()).await
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(auth, "cases", "/library"),
        categories: categories(auth.lang),
        may_create: auth.caller.is_staff(),
        page,
        shelf,
        entered: crate::layout::Entered { form, errors },
    })
}

/// `GET /library`: the shelf of the caller's subtree, by category and words, and the form that
/// adds an item.
pub async fn list(
    auth: Auth,
    Query(shelf): Query<Shelf>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    list_page(&auth, shelf, paging, form, HashMap::new()).await
}

/// `POST /library`: an article, or a PDF with what it is about (multipart).
pub async fn create(
    auth: Auth,
    WithPhotos { form, files, .. }: WithPhotos<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = ItemInput {
        title: v("title"),
        category: v("category"),
        body: v("body"),
        org_code: v("org_code"),
    };
    let pdf = files
        .iter()
        .find(|(n, _)| n == "pdf")
        .map(|(_, b)| b.as_slice());
    let uploads = auth.app.config.uploads()?;
    let done = in_write(&auth.app.store, async |tx| {
        library::publish(tx, &auth.caller, &uploads, &input, pdf).await
    })
    .await;
    super::form_answer(
        done,
        |_| "/library#items".to_string(),
        move |errors| async move {
            list_page(&auth, Shelf::default(), Paging::default(), form, errors).await
        },
    )
    .await
}

/// `POST /library/{id}/withdraw`: off the shelf.
pub async fn withdraw(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        library::withdraw(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Redirect::to("/library#items").into_response())
}

fn pdf_response(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /library/{id}/pdf`: an item's PDF, for a cadre who sees it.
pub async fn pdf(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let item = in_read(&auth.app.store, async |tx| {
        library::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    Ok(pdf_response(
        library::pdf(&auth.app.config.uploads()?, &item).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/library", tag = "services", params(Shelf, Paging),
    responses((status = 200, description = "The shelf of the caller's subtree, latest first", body = Page<Item>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(shelf): Query<Shelf>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Item>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            library::list(tx, &auth.caller.scope, &shelf, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/library", tag = "services", request_body = ItemInput,
    responses((status = 201, description = "The article on the shelf (a PDF goes up from the console's form)", body = Item),
              (status = 403, body = ErrorBody), (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_publish(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<ItemInput>,
) -> Result<(StatusCode, Json<Item>), ApiError> {
    let uploads = auth.app.config.uploads()?;
    let item = in_write(&auth.app.store, async |tx| {
        library::publish(tx, &auth.caller, &uploads, &input, None).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[derive(Template)]
#[template(path = "join/me_library.html")]
struct MemberShelf {
    lang: Lang,
    shelf: Shelf,
    items: Vec<Item>,
    categories: Vec<(&'static str, String)>,
    /// One item opened, to read.
    open: Option<Item>,
}

impl MemberShelf {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn category(&self, code: &str) -> String {
        Catalogue::of(self.lang)
            .get(&format!("library.category.{code}"))
            .to_string()
    }

    fn size(&self, bytes: &i64) -> String {
        size_label(*bytes)
    }
}

/// `GET /me/library`: the member's shelf, by category and words.
pub async fn member_shelf(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Query(shelf): Query<Shelf>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let items = in_read(&state.store, async |tx| {
        library::for_member(tx, person, &shelf, None, 50).await
    })
    .await?;
    Ok(render(&MemberShelf {
        lang,
        categories: categories(lang),
        shelf,
        items,
        open: None,
    })?
    .into_response())
}

/// The item of a member's shelf, else not found.
async fn member_item(
    state: &AppState,
    client: &ClientInfo,
    id: Uuid,
) -> Result<Option<Item>, PageError> {
    let Some((person, _)) = crate::join::pages::member_of(state, client).await? else {
        return Ok(None);
    };
    let found = in_read(&state.store, async |tx| {
        library::for_member(tx, person, &Shelf::default(), Some(id), 1).await
    })
    .await?;
    Ok(Some(
        found
            .into_iter()
            .next()
            .ok_or(nuanxin_core::Error::NotFound)?,
    ))
}

/// `GET /me/library/{id}`: a member reads an item of their shelf.
pub async fn member_read(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let Some(item) = member_item(&state, &client, id).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    Ok(render(&MemberShelf {
        lang,
        categories: categories(lang),
        shelf: Shelf::default(),
        items: Vec::new(),
        open: Some(item),
    })?
    .into_response())
}

/// `GET /me/library/{id}/pdf`: the PDF of an item of the member's shelf.
pub async fn member_pdf(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let Some(item) = member_item(&state, &client, id).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    Ok(pdf_response(
        library::pdf(&state.config.uploads()?, &item).await?,
    ))
}
