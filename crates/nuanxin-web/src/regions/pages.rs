//! Region pages: the picker fragment and a page to browse the division tree.

use super::picker::Picker;
use crate::auth::Auth;
use crate::error::PageError;
use crate::layout::Ctx;
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use nuanxin_core::regions::{self, Region, RegionCode};
use nuanxin_core::Error;
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

pub async fn picker(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PickerQuery>,
) -> Result<Html<String>, PageError> {
    let mut tx = state.store.read().await?;
    let picker = Picker::build(
        &mut tx,
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

pub async fn browse(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<BrowseQuery>,
) -> Result<Html<String>, PageError> {
    let mut tx = state.store.read().await?;
    let code = match q.code.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(RegionCode::parse(c)?),
        None => None,
    };
    let trail = match &code {
        Some(c) => regions::ancestors(&mut tx, c).await?,
        None => Vec::new(),
    };
    if code.is_some() && trail.last().map(|r| r.code.as_str()) != code.as_ref().map(|c| c.as_str())
    {
        return Err(Error::NotFound.into());
    }
    let children = regions::children(&mut tx, code.as_ref()).await?;
    let search = q.q.clone().unwrap_or_default();
    let results = if search.trim().is_empty() {
        Vec::new()
    } else {
        regions::search(&mut tx, search.trim(), code.as_ref(), 50).await?
    };
    let here = format!(
        "/regions?code={}",
        code.as_ref().map(|c| c.to_string()).unwrap_or_default()
    );
    render(&BrowsePage {
        ctx: Ctx::new(&auth, "regions", &here),
        trail,
        children,
        q: search,
        results,
    })
}
