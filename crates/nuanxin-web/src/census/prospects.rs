//! Prospects (潜在会员) as pages: the list of known workers who are not members, and inviting them
//! by SMS with their union's join link. Their import is the shared import page.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::Ctx;
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use nuanxin_core::census::prospects::{self, Prospect};
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::Error;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct ProspectQuery {
    pub org: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
}

#[derive(Template)]
#[template(path = "census/prospects.html")]
struct ProspectsPage {
    ctx: Ctx,
    query: ProspectQuery,
    page: Page<Prospect>,
    can_edit: bool,
    message: Option<&'static str>,
}

impl ProspectsPage {
    fn pager(&self) -> crate::layout::Pager {
        crate::layout::Pager::of(&self.page, |n| self.page_link(n))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }

    fn page_link(&self, page: u32) -> String {
        format!(
            "/census/prospects?q={}&org={}&page={page}",
            crate::auth::urlencode(self.query.q.as_deref().unwrap_or("")),
            crate::auth::urlencode(self.query.org.as_deref().unwrap_or(""))
        )
    }
}

async fn prospects_page(
    state: &AppState,
    auth: &Auth,
    query: ProspectQuery,
    message: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let mut tx = state.store.read().await?;
    let page = prospects::list(
        &mut tx,
        &auth.caller.scope,
        query.org.as_deref(),
        query.q.as_deref(),
        PageRequest::new(query.page, Some(50)),
    )
    .await?;
    render(&ProspectsPage {
        ctx: Ctx::new(auth, "census", "/census/prospects"),
        can_edit: auth.caller.is_staff(),
        query,
        page,
        message,
    })
}

pub async fn prospects_list(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ProspectQuery>,
) -> Result<Html<String>, PageError> {
    prospects_page(&state, &auth, query, None).await
}

pub async fn invite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let mut tx = state.store.write().await?;
    let link = invite_link(&mut tx, &auth, id, &state).await?;
    match prospects::invite(&mut tx, &auth.caller, state.sms.as_ref(), id, &link).await {
        Ok(()) => {
            tx.commit().await?;
            let html = prospects_page(
                &state,
                &auth,
                ProspectQuery::default(),
                Some("census.invited"),
            )
            .await?;
            Ok(html.into_response())
        }
        Err(e @ Error::Invalid { .. }) => {
            drop(tx);
            let html =
                prospects_page(&state, &auth, ProspectQuery::default(), Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The join link of the prospect's union: its current join code (made if it has none).
async fn invite_link(
    tx: &mut nuanxin_core::Tx,
    auth: &Auth,
    id: Uuid,
    state: &AppState,
) -> Result<String, PageError> {
    let code = prospects::union_of(tx, &auth.caller.scope, id).await?;
    let jc = nuanxin_core::members::current_code(tx, &auth.caller, &code, "qr").await?;
    Ok(format!(
        "{}/j/{}",
        state.config.public_url.trim_end_matches('/'),
        jc.code
    ))
}
