//! Skills competitions (劳动竞赛) in the console and the API: the competitions of the caller's
//! subtree, a new one with its events, a competition's page where staff enter members with their
//! scores and the ranking of each event shows, and each entry's certificate (奖状) as a PDF drawn
//! with the join poster's CJK font pipeline.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, Pager, Paging};
use crate::members::poster::{poster_pdf, xml_escape, FONT_FAMILY, RED};
use crate::respond::render;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::page::Page;
use nuanxin_core::services::competitions::{
    self, Competition, CompetitionInput, Entry, EntryInput,
};
use nuanxin_core::{in_read, in_write, Error};
use std::collections::HashMap;
use std::fmt::Write as _;
use uuid::Uuid;

/// A message of the page's language.
fn t(auth: &Auth, key: &str) -> String {
    crate::i18n::Catalogue::of(auth.lang).get(key).to_string()
}

#[derive(Template)]
#[template(path = "services/competitions.html")]
struct ListPage {
    ctx: Ctx,
    page: Page<Competition>,
    may_create: bool,
    entered: crate::layout::Entered,
}

impl ListPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/competitions?page={n}"))
    }
}

async fn list_page(
    auth: &Auth,
    paging: Paging,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        competitions::list(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    render(&ListPage {
        ctx: Ctx::new(auth, "cases", "/competitions"),
        may_create: auth.caller.is_staff(),
        page,
        entered: crate::layout::Entered { form, errors },
    })
}

/// `GET /competitions`: the competitions of the caller's subtree and the form for a new one.
pub async fn list(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    form.insert("held_on".to_string(), auth.caller.today.to_string());
    list_page(&auth, paging, form, HashMap::new()).await
}

fn input_of(form: &HashMap<String, String>) -> CompetitionInput {
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    CompetitionInput {
        name: v("name"),
        org_code: v("org_code"),
        held_on: v("held_on"),
        place: v("place"),
        events: v("events"),
    }
}

/// `POST /competitions`.
pub async fn create(
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let input = input_of(&form);
    let done = in_write(&auth.app.store, async |tx| {
        competitions::create(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |c| format!("/competitions/{}", c.id),
        move |errors| async move { list_page(&auth, Paging::default(), form, errors).await },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/competition.html")]
struct CompetitionPage {
    ctx: Ctx,
    competition: Competition,
    entries: Vec<Entry>,
    may_enter: bool,
    form: EntryInput,
    message: Option<(String, bool)>,
}

impl CompetitionPage {
    fn of_event(&self, event: &str) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.event == event).collect()
    }

    fn group(&self, code: &str) -> String {
        self.ctx.t(&format!("members.group.{code}")).to_string()
    }
}

async fn competition_page(
    auth: &Auth,
    id: Uuid,
    form: EntryInput,
    message: Option<(String, bool)>,
) -> Result<Html<String>, PageError> {
    let (competition, entries) = in_read(&auth.app.store, async |tx| {
        let c = competitions::get(tx, &auth.caller.scope, id).await?;
        let e = competitions::entries(tx, &auth.caller.scope, id).await?;
        Ok((c, e))
    })
    .await?;
    render(&CompetitionPage {
        ctx: Ctx::new(auth, "cases", &format!("/competitions/{id}")),
        may_enter: auth.caller.role_at(&competition.org_path) >= Some(nuanxin_core::Role::Staff),
        competition,
        entries,
        form,
        message,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
}

/// `GET /competitions/{id}`: the events' rankings and the entry form.
pub async fn show(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, PageError> {
    let message = (q.done == "entered").then(|| (t(&auth, "competitions.entered"), false));
    competition_page(&auth, id, EntryInput::default(), message).await
}

/// `POST /competitions/{id}/entries`.
pub async fn enter(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(input): Form<EntryInput>,
) -> Result<Response, PageError> {
    let done = in_write(&auth.app.store, async |tx| {
        competitions::enter(tx, &auth.caller, id, &input).await
    })
    .await;
    match done {
        Ok(_) => {
            Ok(Redirect::to(&format!("/competitions/{id}?done=entered#entry")).into_response())
        }
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let page = competition_page(&auth, id, input, Some((t(&auth, code), true))).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// The certificate of an entry as an SVG page (A4 landscape, one user unit per point).
fn certificate_svg(auth: &Auth, c: &Competition, e: &Entry) -> String {
    let (w, h) = (842.0_f32, 595.0_f32);
    let line = t(auth, "competitions.certificate_line")
        .replace("{competition}", &c.name)
        .replace("{event}", &e.event)
        .replace("{rank}", &e.rank.to_string())
        .replace("{score}", &e.score());
    let mut s = String::with_capacity(4096);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}"><rect width="{w}" height="{h}" fill="#fffdf8"/><rect x="24" y="24" width="{}" height="{}" fill="none" stroke="{RED}" stroke-width="6"/><rect x="36" y="36" width="{}" height="{}" fill="none" stroke="#d9a441" stroke-width="2"/>"##,
        w - 48.0,
        h - 48.0,
        w - 72.0,
        h - 72.0
    );
    let text = |s: &mut String, y: f32, size: f32, fill: &str, weight: &str, body: &str| {
        let _ = write!(
            s,
            r#"<text x="{}" y="{y}" font-size="{size}" fill="{fill}" font-weight="{weight}" text-anchor="middle">{}</text>"#,
            w / 2.0,
            xml_escape(body)
        );
    };
    text(
        &mut s,
        150.0,
        56.0,
        RED,
        "bold",
        &t(auth, "competitions.certificate"),
    );
    text(&mut s, 260.0, 40.0, "#1f1a17", "bold", &e.name);
    for (i, part) in wrap(&line, 30.0).iter().enumerate() {
        text(
            &mut s,
            330.0 + 34.0 * i as f32,
            22.0,
            "#1f1a17",
            "normal",
            part,
        );
    }
    text(&mut s, 480.0, 20.0, "#1f1a17", "normal", &c.org_name);
    text(
        &mut s,
        512.0,
        18.0,
        "#5e554f",
        "normal",
        &c.held_on.to_string(),
    );
    s.push_str("</svg>");
    s
}

/// Lines of at most `ems` em (a Chinese character is one em, a Latin one about half).
fn wrap(text: &str, ems: f32) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut width = 0.0;
    for c in text.chars() {
        let w = if c.is_ascii() { 0.55 } else { 1.0 };
        if width + w > ems {
            lines.push(String::new());
            width = 0.0;
        }
        if let Some(last) = lines.last_mut() {
            last.push(c);
        }
        width += w;
    }
    lines
}

/// `GET /competition-entries/{id}/certificate.pdf`: an entry's certificate.
pub async fn certificate(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let (c, e) = in_read(&auth.app.store, async |tx| {
        competitions::entry(tx, &auth.caller.scope, id).await
    })
    .await?;
    let svg = certificate_svg(&auth, &c, &e);
    let fonts = auth.app.config.font_dirs.clone();
    let bytes = tokio::task::spawn_blocking(move || poster_pdf(&svg, &fonts))
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(Error::Internal)?;
    Ok(crate::respond::file(
        bytes,
        &format!("certificate-{}.pdf", e.member_no),
        "application/pdf",
        true,
    ))
}

#[utoipa::path(get, path = "/api/v1/competitions", tag = "services", params(Paging),
    responses((status = 200, description = "The competitions of the caller's subtree, latest first", body = Page<Competition>), (status = 404, body = ErrorBody)))]
pub async fn api_list(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Competition>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            competitions::list(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/competitions", tag = "services", request_body = CompetitionInput,
    responses((status = 201, body = Competition), (status = 403, body = ErrorBody), (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<CompetitionInput>,
) -> Result<(StatusCode, Json<Competition>), ApiError> {
    let c = in_write(&auth.app.store, async |tx| {
        competitions::create(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// A competition with its ranked entries.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CompetitionDetail {
    #[serde(flatten)]
    pub competition: Competition,
    pub ranking: Vec<Entry>,
}

#[utoipa::path(get, path = "/api/v1/competitions/{id}", tag = "services", params(("id" = Uuid, Path, description = "Competition id")),
    responses((status = 200, description = "The competition and its entries, by event and rank", body = CompetitionDetail), (status = 404, body = ErrorBody)))]
pub async fn api_get(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<CompetitionDetail>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            let competition = competitions::get(tx, &auth.caller.scope, id).await?;
            let ranking = competitions::entries(tx, &auth.caller.scope, id).await?;
            Ok(CompetitionDetail {
                competition,
                ranking,
            })
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/competitions/{id}/entries", tag = "services", request_body = EntryInput,
    params(("id" = Uuid, Path, description = "Competition id")),
    responses((status = 201, description = "The entry with its rank", body = Entry), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_enter(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(input): Json<EntryInput>,
) -> Result<(StatusCode, Json<Entry>), ApiError> {
    let e = in_write(&auth.app.store, async |tx| {
        competitions::enter(tx, &auth.caller, id, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(e)))
}
