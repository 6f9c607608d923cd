//! Region pages: the picker fragment and a page to browse the division tree.

use super::picker::Picker;
use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::Ctx;
use crate::respond::render;
use askama::Template;
use axum::extract::Query;
use axum::response::Html;
use nuanxin_core::regions::{self, Region};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "regions/picker_fragment.html")]
struct PickerFragment {
    ctx: Ctx,
    picker: Picker,
}

#[derive(Deserialize)]
pub struct PickerQuery {
    pick: Option<String>,
    picker_root: Option<String>,
}

pub async fn picker(auth: Auth, Query(q): Query<PickerQuery>) -> Result<Html<String>, PageError> {
    let picker = Picker::build(
        &auth.app.store,
        q.picker_root.as_deref(),
        q.pick.as_deref().unwrap_or(""),
        None,
    )
    .await?;
    render(&PickerFragment {
        ctx: Ctx::new(&auth, "regions", "/regions"),
        picker,
    })
}

#[derive(Template)]
#[template(path = "regions/browse.html")]
struct BrowsePage {
    ctx: Ctx,
    trail: Vec<Region>,
    children: Vec<Region>,
    q: String,
    results: Vec<Region>,
}

#[derive(Deserialize)]
pub struct BrowseQuery {
    code: Option<String>,
    q: Option<String>,
}

pub async fn browse(auth: Auth, Query(q): Query<BrowseQuery>) -> Result<Html<String>, PageError> {
    let search = q.q.clone().unwrap_or_default();
    let found = regions::browse(&auth.app.store, q.code.as_deref(), &search).await?;
    let here = format!("/regions?code={}", q.code.as_deref().unwrap_or_default());
    render(&BrowsePage {
        ctx: Ctx::new(&auth, "regions", &here),
        trail: found.trail,
        children: found.children,
        q: search,
        results: found.results,
    })
}
