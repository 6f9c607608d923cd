//! Benefit offers (惠工卡) in the console, the API and at the merchant: cadres list partner
//! merchants' offers and hand each merchant its verification link; members see the offers near
//! them on `/me`; the merchant's page `/verify/{token}` checks an e-card and says only whether it
//! is a member's in good standing.

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
use nuanxin_core::page::Page;
use nuanxin_core::services::offers::{self, Offer, OfferInput};
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "services/offers.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Offer>,
    may_create: bool,
    today: chrono::NaiveDate,
    entered: crate::layout::Entered,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/offers?page={n}"))
    }

    fn may_withdraw(&self, o: &Offer) -> bool {
        self.may_create && !o.withdrawn
    }
}

async fn list_page(
    auth: &Auth,
    paging: Paging,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        offers::list(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(auth, "cases", "/offers"),
        may_create: auth.caller.is_staff(),
        today: auth.caller.today,
        page,
        entered: crate::layout::Entered { form, errors },
    })
}

/// `GET /offers`: the offers of the caller's subtree, each with its merchant's verification
/// link, and the form for a new one.
pub async fn list(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    list_page(&auth, paging, form, HashMap::new()).await
}

/// `POST /offers`.
pub async fn create(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = OfferInput {
        org_code: v("org_code"),
        merchant: v("merchant"),
        address: v("address"),
        region_code: v("region_code"),
        discount: v("discount"),
        valid_from: v("valid_from"),
        valid_to: v("valid_to"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        offers::create(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |_| "/offers#offers".to_string(),
        move |errors| async move { list_page(&auth, Paging::default(), form, errors).await },
    )
    .await
}

/// `POST /offers/{id}/withdraw`.
pub async fn withdraw(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_write(&auth.app.store, async |tx| {
        offers::withdraw(tx, &auth.caller, id).await
    })
    .await?;
    Ok(Redirect::to("/offers#offers").into_response())
}

#[utoipa::path(get, path = "/api/v1/offers", tag = "services", params(Paging),
    responses((status = 200, description = "The benefit offers of the caller's subtree, latest first", body = Page<Offer>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Offer>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            offers::list(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/offers", tag = "services", request_body = OfferInput,
    responses((status = 201, description = "The offer with its merchant's `verify_token`", body = Offer), (status = 403, body = ErrorBody),
              (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<OfferInput>,
) -> Result<(StatusCode, Json<Offer>), ApiError> {
    let o = in_write(&auth.app.store, async |tx| {
        offers::create(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(o)))
}

#[derive(Template)]
#[template(path = "join/verify.html")]
struct VerifyPage {
    lang: Lang,
    token: String,
    offer: Offer,
    /// The last check's answer: a member in good standing or not; `None` before any.
    answer: Option<bool>,
    error: Option<&'static str>,
}

impl VerifyPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }
}

/// `GET /verify/{token}`: the merchant's page of one offer (public, by its secret link).
pub async fn verify_form(
    State(state): State<AppState>,
    _limit: crate::stations::nearby::RateLimited,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let today = state.clock.today();
    let offer = in_read(&state.store, async |tx| {
        offers::by_token(tx, &token, today).await
    })
    .await?;
    Ok(render(&VerifyPage {
        lang,
        token,
        offer,
        answer: None,
        error: None,
    })?
    .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct VerifyForm {
    #[serde(default)]
    qr: String,
}

/// `POST /verify/{token}`: the merchant checks an e-card (its QR read by a phone or a scanner,
/// or the number typed). The answer is yes or no, nothing more.
pub async fn verify(
    State(state): State<AppState>,
    _limit: crate::stations::nearby::RateLimited,
    lang: Lang,
    client: ClientInfo,
    Path(token): Path<String>,
    Form(f): Form<VerifyForm>,
) -> Result<Response, PageError> {
    let (today, now) = (state.clock.today(), state.clock.now());
    let offer = in_read(&state.store, async |tx| {
        offers::by_token(tx, &token, today).await
    })
    .await?;
    let done = in_write(&state.store, async |tx| {
        offers::verify(tx, &token, &f.qr, today, now, client.ip.clone()).await
    })
    .await;
    let (answer, error, status) = match done {
        Ok(member) => (Some(member), None, StatusCode::OK),
        Err(Error::Invalid { code, .. }) => (None, Some(code), StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let page = render(&VerifyPage {
        lang,
        token,
        offer,
        answer,
        error,
    })?;
    Ok((status, page).into_response())
}
