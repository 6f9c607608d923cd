//! `/help?code=…`: a worker who is not a member asks a union for help (维权求助) from the page its
//! QR code leads to, their phone checked by an SMS code; the union's case queue gets the request
//! and the worker is offered to join. The page only creates a case: it reads and changes nobody
//! else's record, whatever name, phone or ID number a visitor types.

use crate::auth::ClientInfo;
use crate::error::PageError;
use crate::i18n::Catalogue;
use crate::respond::render;
use crate::{AppState, Lang};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use nuanxin_core::error::FieldErrors;
use nuanxin_core::members::identity::Phone;
use nuanxin_core::members::{self, sms};
use nuanxin_core::services::cases::{self, PublicAsk, KINDS};
use nuanxin_core::{in_read, in_write, Error};

#[derive(Template)]
#[template(path = "services/help.html")]
struct HelpPage {
    lang: Lang,
    /// The union's code, and its name when the code is valid.
    code: String,
    org_name: Option<String>,
    form: PublicAsk,
    errors: FieldErrors,
    sms_sent: bool,
    /// The case number once the request is recorded.
    done: Option<String>,
}

impl HelpPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.t(c))
    }

    fn kinds(&self) -> Vec<(&'static str, String)> {
        KINDS
            .iter()
            .map(|(c, _)| (*c, self.t(&format!("cases.kind.{c}")).to_string()))
            .collect()
    }
}

#[derive(serde::Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// The union a code names, if it is a live code.
async fn union_of(state: &AppState, code: &str) -> Result<Option<(String, String)>, PageError> {
    if code.trim().is_empty() {
        return Ok(None);
    }
    match in_read(&state.store, async |tx| {
        members::resolve_code(tx, code).await
    })
    .await
    {
        Ok(t) => Ok(Some((t.org_code, t.org_name))),
        Err(Error::NotFound | Error::Conflict { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `GET /help?code=…`.
pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<CodeQuery>,
) -> Result<Response, PageError> {
    let union = union_of(&state, &q.code).await?;
    let status = if union.is_none() && !q.code.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = HelpPage {
        lang,
        code: q.code.trim().to_ascii_uppercase(),
        org_name: union.map(|(_, n)| n),
        form: PublicAsk::default(),
        errors: FieldErrors::new(),
        sms_sent: false,
        done: None,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct HelpForm {
    #[serde(default)]
    code: String,
    /// `sms` (send the code) or `ask`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    sms_code: String,
    #[serde(flatten)]
    ask: PublicAsk,
}

/// `POST /help`: send the SMS code, or check everything and record the request.
pub async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Form(f): Form<HelpForm>,
) -> Result<Response, PageError> {
    let Some((org_code, org_name)) = union_of(&state, &f.code).await? else {
        return form(State(state), lang, Query(CodeQuery { code: f.code })).await;
    };
    let mut page = HelpPage {
        lang,
        code: f.code.trim().to_ascii_uppercase(),
        org_name: Some(org_name),
        form: f.ask.clone(),
        errors: FieldErrors::new(),
        sms_sent: false,
        done: None,
    };
    let refused = |page: HelpPage| -> Result<Response, PageError> {
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
    };
    if f.action == "sms" {
        match Phone::parse(&f.ask.phone) {
            Err(e) => {
                page.errors.push("phone", e.code());
                return refused(page);
            }
            Ok(phone) => {
                match crate::join::send_sms_code(&state, &phone, client.ip.as_deref()).await {
                    Ok(()) => page.sms_sent = true,
                    Err(Error::RateLimited) => page.errors.push("phone", "members.sms_too_soon"),
                    Err(e @ Error::Busy { .. }) => page.errors.push("phone", e.code()),
                    Err(e) => return Err(e.into()),
                }
                return Ok(render(&page)?.into_response());
            }
        }
    }
    // Every field first (the code is not used up by a form with mistakes), then the code.
    let checked = match f.ask.check() {
        Ok(c) => c,
        Err(errs) => {
            page.errors = errs;
            page.sms_sent = !f.sms_code.is_empty();
            return refused(page);
        }
    };
    let now = state.clock.now();
    let phone = Phone::parse(&f.ask.phone)?;
    if let Err(e) = sms::verify_code(&state.store, &state.vault, &phone, &f.sms_code, now).await {
        page.errors.push("sms_code", e.code());
        page.sms_sent = true;
        return refused(page);
    }
    let today = state.clock.today();
    let case_no = in_write(&state.store, async |tx| {
        cases::ask_public(tx, &state.vault, &org_code, checked, now, today).await
    })
    .await?;
    let text = format!("【暖新】您的求助已受理，案件编号 {case_no}。工会将尽快联系您。");
    if let Err(e) = state.sms.send(&phone, &text).await {
        tracing::warn!(error = %e, "help SMS not sent");
    }
    page.done = Some(case_no);
    page.form = PublicAsk::default();
    Ok(render(&page)?.into_response())
}
