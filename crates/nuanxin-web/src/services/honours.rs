//! Honours (荣誉) in the console, the API, the member's home and the public showcase: staff record
//! an honour for a member of their area; the member chooses on `/me` whether it shows on the
//! union's showcase page `/showcase/{org_code}`, a light page for phones that lists only what
//! members opted in to.

use crate::auth::{ApiAuth, Auth, ClientInfo};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::i18n::{Catalogue, Lang};
use crate::layout::{Ctx, Pager, Paging};
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::audit::Actor;
use nuanxin_core::page::Page;
use nuanxin_core::services::honours::{self, Honour, HonourInput, Shown, KINDS, LEVELS};
use nuanxin_core::services::photos::{self, Owner};
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "services/honours.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Honour>,
    may_create: bool,
    kinds: Vec<(&'static str, String)>,
    levels: Vec<(&'static str, String)>,
    entered: crate::layout::Entered,
    /// The union whose showcase the caller's first post links to.
    home: Option<String>,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/honours?page={n}"))
    }

    fn label(&self, prefix: &str, code: &str) -> String {
        self.ctx.t(&format!("{prefix}.{code}")).to_string()
    }
}

async fn list_page(
    auth: &Auth,
    paging: &Paging,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        honours::list(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", "/honours");
    render(&ListPage {
        kinds: ctx.labels("honours.kind", &KINDS),
        levels: ctx.labels("honours.level", &LEVELS),
        ctx,
        page,
        may_create: auth.caller.is_staff(),
        entered: crate::layout::Entered { form, errors },
        home: auth.caller.home_unit(),
    })
}

/// `GET /honours`: the honours of the caller's subtree, latest year first, and the form that
/// records one.
pub async fn list(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    form.insert(
        "year".to_string(),
        chrono::Datelike::year(&auth.caller.today).to_string(),
    );
    list_page(&auth, &paging, form, HashMap::new()).await
}

/// `POST /honours`: the honour, with the holder's photo for the showcase (multipart `photos`).
pub async fn create(
    auth: Auth,
    super::photos::WithPhotos { form, photos, .. }: super::photos::WithPhotos<
        HashMap<String, String>,
    >,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = HonourInput {
        member_no: v("member_no"),
        kind: v("kind"),
        level: v("level"),
        year: v("year"),
        title: v("title"),
        citation: v("citation"),
    };
    let done = match super::photos::ready(photos).await {
        Ok(images) => {
            let uploads = match images.is_empty() {
                true => None,
                false => Some(auth.app.config.uploads()?),
            };
            in_write(&auth.app.store, async |tx| {
                let h = honours::award(tx, &auth.caller, &input).await?;
                if let Some(uploads) = &uploads {
                    let first = &images[..1];
                    let owner = Owner::Honour(h.id);
                    photos::attach(
                        tx,
                        uploads,
                        owner,
                        first,
                        &auth.caller.actor.name,
                        auth.caller.at,
                    )
                    .await?;
                }
                Ok(h)
            })
            .await
        }
        Err(e) => Err(e),
    };
    super::form_answer(
        done,
        |_| "/honours#honours".to_string(),
        move |errors| async move { list_page(&auth, &Paging::default(), form, errors).await },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/honours", tag = "services", params(Paging),
    responses((status = 200, description = "The honours of the caller's subtree, latest year first", body = Page<Honour>),
              (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Honour>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            honours::list(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/honours", tag = "services", request_body = HonourInput,
    responses((status = 201, description = "The honour recorded", body = Honour), (status = 403, body = ErrorBody),
              (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_award(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<HonourInput>,
) -> Result<(StatusCode, Json<Honour>), ApiError> {
    let h = in_write(&auth.app.store, async |tx| {
        honours::award(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(h)))
}

#[derive(serde::Deserialize, Default)]
pub struct ShowcaseForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// `1` shows the honour on the showcase, anything else hides it.
    #[serde(default)]
    public: String,
}

/// `POST /me/honours/{id}/showcase`: the member shows or hides one of their honours.
pub async fn member_showcase(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Form(f): Form<ShowcaseForm>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let public = f.public == "1";
    let now = state.clock.now();
    let actor = Actor {
        account_id: None,
        name: format!("person:{person}"),
        ip: client.ip.clone(),
    };
    in_write(&state.store, async |tx| {
        honours::set_public(tx, person, id, public, &actor, now).await
    })
    .await?;
    Ok(Redirect::to("/me?done=showcase#honours").into_response())
}

#[derive(Template)]
#[template(path = "join/showcase.html")]
struct ShowcasePage {
    lang: Lang,
    code: String,
    org_name: String,
    shown: Vec<Shown>,
}

impl ShowcasePage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn label(&self, prefix: &str, code: &str) -> String {
        Catalogue::of(self.lang)
            .get(&format!("{prefix}.{code}"))
            .to_string()
    }
}

/// `GET /showcase/{org_code}`: a union's public showcase (职工风采) of the honours its members
/// chose to show. Public, light, no script.
pub async fn showcase(
    State(state): State<AppState>,
    _limit: crate::stations::nearby::RateLimited,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let found = in_read(&state.store, async |tx| honours::showcase(tx, &code).await).await?;
    let Some((org_name, shown)) = found else {
        return Err(Error::NotFound.into());
    };
    Ok(render(&ShowcasePage {
        lang,
        code,
        org_name,
        shown,
    })?
    .into_response())
}

/// `GET /showcase/photos/{id}`: the photo of an honour its holder shows on the showcase; any
/// other photo is not found here.
pub async fn showcase_photo(
    State(state): State<AppState>,
    _limit: crate::stations::nearby::RateLimited,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    in_read(&state.store, async |tx| honours::public_photo(tx, id).await).await?;
    let bytes = photos::bytes(&state.config.uploads()?, id).await?;
    Ok(super::photos::jpeg(bytes))
}
