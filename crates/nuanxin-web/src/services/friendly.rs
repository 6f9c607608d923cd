//! Rider-friendly neighbourhoods (骑手友好街区) in the console and the API: the places the
//! caller's unions assessed, the highest level first, and the assessment form (the checklist;
//! the level follows from it). Workers see certified places on the nearby page.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, Entered, Pager, Paging};
use crate::respond::render;
use askama::Template;
use axum::extract::Query;
use axum::response::{Html, Response};
use axum::{Form, Json};
use nuanxin_core::page::Page;
use nuanxin_core::services::friendly::{self, Place, PlaceInput, CHECKS};
use nuanxin_core::{in_read, in_write};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "services/friendly.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Place>,
    checks: Vec<(&'static str, String)>,
    entered: Entered,
    may_create: bool,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/friendly?page={n}"))
    }

    fn met(&self, p: &Place) -> String {
        p.met()
            .iter()
            .map(|c| self.ctx.t(&format!("friendly.check.{c}")).to_string())
            .collect::<Vec<_>>()
            .join(self.ctx.t("common.list_sep"))
    }

    fn ticked(&self, check: &str) -> bool {
        self.entered.value(check) == "1"
    }
}

async fn list_page(
    auth: &Auth,
    paging: &Paging,
    entered: Entered,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        friendly::list(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    let ctx = Ctx::new(auth, "stations", "/friendly");
    render(&ListPage {
        checks: ctx.code_labels("friendly.check", &CHECKS),
        ctx,
        page,
        entered,
        may_create: auth.caller.is_staff(),
    })
}

/// `GET /friendly`: the assessed places, with the assessment form.
pub async fn list(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let mut entered = Entered::default();
    if let Some(code) = auth.caller.home_unit() {
        entered.form.insert("org_code".to_string(), code);
    }
    entered
        .form
        .insert("assessed_on".to_string(), auth.caller.today.to_string());
    list_page(&auth, &paging, entered).await
}

/// `POST /friendly`: assesses (or re-assesses) a place.
pub async fn assess(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = PlaceInput {
        org_code: v("org_code"),
        region_code: v("region_code"),
        name: v("name"),
        lat: v("lat"),
        lng: v("lng"),
        parking: v("parking"),
        access: v("access"),
        rest_points: v("rest_points"),
        charging: v("charging"),
        toilets: v("toilets"),
        assessed_on: v("assessed_on"),
        note: v("note"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        friendly::assess(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |_| "/friendly?done=1".to_string(),
        move |errors| async move {
            list_page(&auth, &Paging::default(), Entered { form, errors }).await
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/friendly-places", tag = "services", params(Paging),
    responses((status = 200, description = "The places the caller's unions assessed, the highest level first", body = Page<Place>),
              (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Place>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            friendly::list(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/friendly-places", tag = "services", request_body = PlaceInput,
    responses((status = 200, description = "The place as assessed (its level follows from the checklist)", body = Place),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_assess(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<PlaceInput>,
) -> Result<Json<Place>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            friendly::assess(tx, &auth.caller, &input).await
        })
        .await?,
    ))
}
