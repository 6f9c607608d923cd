//! Notices (通知公告) in the console, the API and the member's home: cadres publish to the members
//! of their subtree (or one worker group) and see how many have read each notice; members read
//! them on `/me` and `/me/notices/{id}`.

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
use axum::Json;
use nuanxin_core::members::WorkerGroup;
use nuanxin_core::page::Page;
use nuanxin_core::services::notices::{self, Notice, NoticeInput};
use nuanxin_core::services::photos::{self, Owner};
use nuanxin_core::{in_read, in_write};
use std::collections::HashMap;
use uuid::Uuid;

fn groups(ctx: &Ctx) -> Vec<(&'static str, String)> {
    WorkerGroup::ALL
        .iter()
        .map(|g| {
            (
                g.as_str(),
                ctx.t(&format!("members.group.{}", g.as_str())).to_string(),
            )
        })
        .collect()
}

/// The label of a notice's audience: all members, or a worker group.
fn audience(ctx: &Ctx, group: &str) -> String {
    match group {
        "" => ctx.t("notices.everyone").to_string(),
        g => ctx.t(&format!("members.group.{g}")).to_string(),
    }
}

#[derive(Template)]
#[template(path = "services/notices.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Notice>,
    may_create: bool,
    today: chrono::NaiveDate,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/notices?page={n}"))
    }

    fn audience(&self, group: &str) -> String {
        audience(&self.ctx, group)
    }
}

/// `GET /notices`: the notices of the caller's subtree, latest first.
pub async fn list(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        notices::list(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(&auth, "cases", "/notices"),
        may_create: auth.caller.is_staff(),
        today: auth.caller.today,
        page,
    })
}

#[derive(Template)]
#[template(path = "services/notice_new.html")]
struct NewPage {
    ctx: Ctx,
    entered: crate::layout::Entered,
    groups: Vec<(&'static str, String)>,
}

fn new_page(
    auth: &Auth,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "cases", "/notices/new");
    render(&NewPage {
        groups: groups(&ctx),
        ctx,
        entered: crate::layout::Entered { form, errors },
    })
}

/// `GET /notices/new`: the form, the union defaulting to the caller's first post.
pub async fn new_form(auth: Auth) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    form.insert("publish_on".to_string(), auth.caller.today.to_string());
    new_page(&auth, form, HashMap::new())
}

/// `POST /notices/new`: the notice, with images (multipart `photos`, shrunk like every photo).
pub async fn create(
    auth: Auth,
    super::photos::WithPhotos { form, photos, .. }: super::photos::WithPhotos<
        HashMap<String, String>,
    >,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = NoticeInput {
        title: v("title"),
        body: v("body"),
        org_code: v("org_code"),
        group: v("group"),
        publish_on: v("publish_on"),
        expire_on: v("expire_on"),
    };
    let done = match super::photos::ready(photos).await {
        Ok(images) => {
            let uploads = match images.is_empty() {
                true => None,
                false => Some(auth.app.config.uploads()?),
            };
            in_write(&auth.app.store, async |tx| {
                let n = notices::publish(tx, &auth.caller, &input).await?;
                if let Some(uploads) = &uploads {
                    let owner = Owner::Notice(n.id);
                    photos::attach(
                        tx,
                        uploads,
                        owner,
                        &images,
                        &auth.caller.actor.name,
                        auth.caller.at,
                    )
                    .await?;
                }
                Ok(n)
            })
            .await
        }
        Err(e) => Err(e),
    };
    super::form_answer(
        done,
        |n| format!("/notices/{}", n.id),
        move |errors| async move { new_page(&auth, form, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/notice.html")]
struct NoticePage {
    ctx: Ctx,
    notice: Notice,
    images: Vec<Uuid>,
    may_withdraw: bool,
    live: bool,
}

impl NoticePage {
    fn audience(&self) -> String {
        audience(&self.ctx, &self.notice.worker_group)
    }
}

/// `GET /notices/{id}`: the notice as published, with how many members have read it.
pub async fn show(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    let (notice, images) = in_read(&auth.app.store, async |tx| {
        let n = notices::get(tx, &auth.caller.scope, id).await?;
        let images = photos::of(tx, Owner::Notice(id)).await?;
        Ok((n, images.into_iter().map(|p| p.id).collect()))
    })
    .await?;
    render(&NoticePage {
        images,
        ctx: Ctx::new(&auth, "cases", &format!("/notices/{id}")),
        may_withdraw: !notice.withdrawn
            && auth.caller.role_at(&notice.org_path) >= Some(nuanxin_core::Role::Staff),
        live: notice.is_live(auth.caller.today),
        notice,
    })
}

/// `POST /notices/{id}/withdraw`: members no longer see it.
pub async fn withdraw(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        notices::withdraw(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Redirect::to(&format!("/notices/{id}")).into_response())
}

#[utoipa::path(get, path = "/api/v1/notices", tag = "services", params(Paging),
    responses((status = 200, description = "The notices of the caller's subtree, latest first, with their reads", body = Page<Notice>),
              (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Notice>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            notices::list(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/notices", tag = "services", request_body = NoticeInput,
    responses((status = 201, description = "The notice published", body = Notice), (status = 403, body = ErrorBody),
              (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_publish(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<NoticeInput>,
) -> Result<(StatusCode, Json<Notice>), ApiError> {
    let n = in_write(&auth.app.store, async |tx| {
        notices::publish(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(n)))
}

#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "services", params(("id" = Uuid, Path, description = "Notice id")),
    responses((status = 200, body = Notice), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Notice>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            notices::get(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[derive(Template)]
#[template(path = "join/me_notice.html")]
struct MemberNoticePage {
    lang: Lang,
    notice: Notice,
    images: Vec<Uuid>,
}

impl MemberNoticePage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }
}

/// `GET /me/notices/{id}`: a member reads a notice meant for them (their read is kept).
pub async fn member_read(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let (today, now) = (state.clock.today(), state.clock.now());
    let (notice, images) = in_write(&state.store, async |tx| {
        let n = notices::read(tx, person, id, today, now).await?;
        let images = photos::of(tx, Owner::Notice(id)).await?;
        Ok((n, images.into_iter().map(|p| p.id).collect()))
    })
    .await?;
    Ok(render(&MemberNoticePage {
        lang,
        notice,
        images,
    })?
    .into_response())
}

/// `GET /me/photos/{id}`: an image of a notice meant for the signed-in member.
pub async fn member_photo(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let Some((person, _)) = crate::join::pages::member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let today = state.clock.today();
    in_read(&state.store, async |tx| {
        notices::photo_for_member(tx, person, id, today).await
    })
    .await?;
    let bytes = photos::bytes(&state.config.uploads()?, id).await?;
    Ok(super::photos::jpeg(bytes))
}
