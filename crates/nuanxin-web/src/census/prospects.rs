//! Prospects (潜在会员) as pages: the list of known workers who are not members, and inviting them
//! by SMS with their union's join link. Their import is the shared import page.

use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::{Ctx, ListLinks};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use nuanxin_core::census::prospects::{self, Prospect};
use nuanxin_core::in_read;
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::Error;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ProspectQuery {
    pub org: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
}

impl ListLinks for ProspectQuery {
    const PATH: &'static str = "/census/prospects";
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
        crate::layout::Pager::of(&self.page, |n| self.query.page_link(n))
    }

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx.t(&format!("{prefix}.{value}")).to_string()
    }
}

async fn prospects_page(
    auth: &Auth,
    query: ProspectQuery,
    message: Option<&'static str>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        let (org, q) = (query.org.as_deref(), query.q.as_deref());
        let page = PageRequest::new(query.page, Some(50));
        prospects::list(tx, &auth.caller.scope, org, q, page).await
    })
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
    auth: Auth,
    Query(query): Query<ProspectQuery>,
) -> Result<Html<String>, PageError> {
    prospects_page(&auth, query, None).await
}

pub async fn invite(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let url = &auth.app.config.public_url;
    match prospects::invite(
        &auth.app.store,
        &auth.caller,
        auth.app.sms.as_ref(),
        id,
        url,
    )
    .await
    {
        Ok(()) => {
            let html =
                prospects_page(&auth, ProspectQuery::default(), Some("census.invited")).await?;
            Ok(html.into_response())
        }
        Err(e @ Error::Invalid { .. }) => {
            let html = prospects_page(&auth, ProspectQuery::default(), Some(e.code())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
