//! Join page, SMS step, member sign-in and the member's own page with the e-card.

use super::{qr_svg, MEMBER_COOKIE};
use crate::auth::{cookie, ClientInfo};
use crate::error::PageError;
use crate::i18n::{Catalogue, Lang};
use crate::respond::render;
use crate::services::photos::WithPhotos;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use nuanxin_core::error::FieldErrors;
use nuanxin_core::members::identity::Phone;
use nuanxin_core::members::lifecycle::{self, EndingInput};
use nuanxin_core::members::self_service::{self, WorkUpdate};
use nuanxin_core::members::transfers;
use nuanxin_core::members::{
    self, sessions, sms, JoinContext, JoinInput, JoinReceipt, WorkerGroup,
};
use nuanxin_core::{in_read, Error};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize, Clone)]
pub struct JoinForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub employer: String,
    #[serde(default)]
    pub work_region: String,
    /// A region code typed when the work place is not among the listed townships.
    #[serde(default)]
    pub work_region_other: String,
    #[serde(default)]
    pub home_region: String,
    #[serde(default)]
    pub consent: Option<String>,
    #[serde(default)]
    pub sms_code: String,
    #[serde(default)]
    pub request_key: String,
    #[serde(default)]
    pub action: String,
}

impl JoinForm {
    fn input(&self) -> JoinInput {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        JoinInput {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            phone: self.phone.clone(),
            group: self.group.clone(),
            employer: opt(&self.employer),
            work_region: opt(&self.work_region).or_else(|| opt(&self.work_region_other)),
            home_region: opt(&self.home_region),
            consent: self.consent.is_some(),
            request_key: opt(&self.request_key),
        }
    }
}

#[derive(Template)]
#[template(path = "join/form.html")]
struct JoinPage {
    lang: Lang,
    code: String,
    org_name: String,
    form: JoinForm,
    errors: HashMap<&'static str, &'static str>,
    sms_sent: bool,
    groups: Vec<(&'static str, String)>,
    /// The townships of the union's county, to pick the work place from (code, name).
    townships: Vec<(String, String)>,
    /// The code is a routing event's: the page says the joiner goes to their own union.
    routes: bool,
}

/// The join page's live checks, inline so that the page needs no second request on a weak
/// network; the content security policy allows exactly this text by its hash
/// ([`live_checks_hash`]), not inline script in general.
pub const LIVE_CHECKS: &str = include_str!("../../assets/join.js");

/// `'sha256-…'` of [`LIVE_CHECKS`], for `script-src`.
pub fn live_checks_hash() -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(LIVE_CHECKS.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

impl JoinPage {
    fn live_checks(&self) -> &'static str {
        LIVE_CHECKS
    }

    /// Whether the form's work region is one of the listed townships.
    fn work_region_listed(&self) -> bool {
        self.townships
            .iter()
            .any(|(c, _)| *c == self.form.work_region)
    }

    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field).copied()
    }

    /// The messages the page's own checks show as the worker types, as `data-` attributes of
    /// the form: (attribute name, message), the same texts as the server's errors.
    fn live_messages(&self) -> Vec<(String, &'static str)> {
        [
            "members.name_required",
            "members.name_too_long",
            "members.bad_name",
            "members.id_required",
            "members.id_bad_format",
            "members.id_bad_region",
            "members.id_bad_birth_date",
            "members.id_bad_check",
            "members.phone_required",
            "members.bad_phone",
        ]
        .into_iter()
        .map(|k| {
            let attr = k.trim_start_matches("members.").replace('_', "-");
            (attr, Catalogue::of(self.lang).get(k))
        })
        .collect()
    }
}

#[derive(Template)]
#[template(path = "join/notice.html")]
struct NoticePage {
    lang: Lang,
    here: String,
    title: &'static str,
    body: &'static str,
}

impl NoticePage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }
}

fn groups(lang: Lang) -> Vec<(&'static str, String)> {
    WorkerGroup::ALL
        .iter()
        .map(|g| {
            (
                g.as_str(),
                Catalogue::of(lang)
                    .get(&format!("members.group.{}", g.as_str()))
                    .to_string(),
            )
        })
        .collect()
}

fn notice(
    lang: Lang,
    here: String,
    status: StatusCode,
    title: &'static str,
    body: &'static str,
) -> Result<Response, PageError> {
    Ok((
        status,
        render(&NoticePage {
            lang,
            here,
            title,
            body,
        })?,
    )
        .into_response())
}

async fn target_or_notice(
    state: &AppState,
    lang: Lang,
    code: &str,
) -> Result<Result<members::JoinTarget, Response>, PageError> {
    match in_read(&state.store, async |tx| {
        members::resolve_code(tx, code).await
    })
    .await
    {
        Ok(t) => Ok(Ok(t)),
        Err(Error::NotFound) => Ok(Err(notice(
            lang,
            format!("/j/{code}"),
            StatusCode::NOT_FOUND,
            "join.unknown_code",
            "join.unknown_code_body",
        )?)),
        Err(Error::Conflict { .. }) => Ok(Err(notice(
            lang,
            format!("/j/{code}"),
            StatusCode::GONE,
            "join.code_revoked",
            "join.code_revoked_body",
        )?)),
        Err(e) => Err(e.into()),
    }
}

fn new_request_key() -> String {
    nuanxin_core::new_id().simple().to_string()
}

#[derive(Deserialize)]
pub struct EmployerQuery {
    #[serde(default)]
    q: String,
}

/// Employers from the census of the union's county whose name contains `q` (at most ten), for
/// the employer field's suggestions; the worker may still type any name.
pub async fn employers(
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::extract::Query(query): axum::extract::Query<EmployerQuery>,
) -> Result<axum::Json<Vec<String>>, PageError> {
    let names = in_read(&state.store, async |tx| {
        let target = members::resolve_code(tx, &code).await?;
        let county: String = target.org_region.chars().take(6).collect();
        nuanxin_core::census::employer_names(tx, &county, &query.q, 10).await
    })
    .await?;
    Ok(axum::Json(names))
}

pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let target = match target_or_notice(&state, lang, &code).await? {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let form = JoinForm {
        request_key: new_request_key(),
        ..JoinForm::default()
    };
    let page = JoinPage {
        lang,
        code: target.code,
        org_name: target.org_name,
        form,
        errors: HashMap::new(),
        sms_sent: false,
        groups: groups(lang),
        townships: townships(&state, &target.org_region).await?,
        routes: target.routes,
    };
    Ok(render(&page)?.into_response())
}

/// The townships of the county a union's region lies in (a county union: its own townships); for
/// a city's union, the townships of each of its counties, named with their county.
pub(crate) async fn townships(
    state: &AppState,
    org_region: &str,
) -> Result<Vec<(String, String)>, PageError> {
    use nuanxin_core::regions::{children, RegionCode};
    if org_region.len() < 4 {
        return Ok(Vec::new());
    }
    let within = RegionCode::from_db(org_region[..org_region.len().min(6)].to_string());
    let list = in_read(&state.store, async |tx| {
        if org_region.len() >= 6 {
            let list = children(tx, Some(&within)).await?;
            return Ok(list.into_iter().map(|r| (r.code, r.name)).collect());
        }
        let mut all = Vec::new();
        for county in children(tx, Some(&within)).await? {
            let code = RegionCode::from_db(county.code.clone());
            for t in children(tx, Some(&code)).await? {
                all.push((t.code, format!("{} · {}", county.name, t.name)));
            }
        }
        Ok(all)
    })
    .await?;
    Ok(list)
}

fn member_cookie(state: &AppState, token: &str, max_age_s: i64) -> String {
    crate::auth::set_cookie(state, MEMBER_COOKIE, token, max_age_s)
}

pub async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Path(code): Path<String>,
    Form(mut form): Form<JoinForm>,
) -> Result<Response, PageError> {
    let target = match target_or_notice(&state, lang, &code).await? {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    if form.request_key.trim().is_empty() {
        form.request_key = new_request_key();
    }
    let mut errors: HashMap<&'static str, &'static str> = HashMap::new();
    let mut sms_sent = false;
    let now = state.clock.now();
    if form.action == "sms" {
        match Phone::parse(&form.phone) {
            Ok(phone) => match super::send_sms_code(&state, &phone, client.ip.as_deref()).await {
                Ok(()) => sms_sent = true,
                Err(Error::RateLimited) => {
                    errors.insert("phone", "members.sms_too_soon");
                }
                Err(e @ Error::Busy { .. }) => {
                    errors.insert("phone", e.code());
                }
                Err(e) => return Err(e.into()),
            },
            Err(e) => {
                errors.insert("phone", e.code());
            }
        }
    } else {
        // The SMS code is checked and used up in the join's own transaction.
        let ctx = JoinContext::by_worker(
            &target,
            "join_page",
            now,
            state.clock.today(),
            &form.sms_code,
        );
        match state
            .joins
            .join_and_sign_in(&target, &form.input(), &ctx)
            .await
        {
            Ok(JoinReceipt { session: None, .. }) => {
                // Kept for a cadre to review: nobody is signed in as the person the ID number
                // names, and the page says no more than a request does.
                return notice(
                    lang,
                    format!("/j/{code}"),
                    StatusCode::OK,
                    "join.received",
                    "join.received_body",
                );
            }
            Ok(JoinReceipt {
                session: Some(token),
                ..
            }) => {
                let cookie = member_cookie(&state, &token, sessions::MEMBER_IDLE_MS / 1000);
                return Ok(([(SET_COOKIE, cookie)], Redirect::to("/me")).into_response());
            }
            Err(e) => match e.field_errors() {
                Some(errs) => {
                    for e in errs {
                        errors.entry(e.field).or_insert(e.code);
                    }
                }
                None => return Err(e.into()),
            },
        }
    }
    join_page(&state, lang, target, form, errors, sms_sent).await
}

/// The join form again, with its errors (422) or after sending a code (200).
async fn join_page(
    state: &AppState,
    lang: Lang,
    target: members::JoinTarget,
    form: JoinForm,
    errors: HashMap<&'static str, &'static str>,
    sms_sent: bool,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let townships = townships(state, &target.org_region).await?;
    let page = JoinPage {
        lang,
        code: target.code,
        org_name: target.org_name,
        form,
        errors,
        sms_sent,
        groups: groups(lang),
        townships,
        routes: target.routes,
    };
    Ok((status, render(&page)?).into_response())
}

pub struct CardView {
    pub member_no: String,
    pub org_code: String,
    pub org_name: String,
    pub qr: String,
}

pub struct MembershipView {
    pub status: String,
    pub status_label: String,
    pub org_name: String,
    pub group_label: String,
    pub since: String,
    pub reason: String,
}

pub struct HistoryView {
    pub on: String,
    pub event_label: String,
    pub org_name: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "join/me.html")]
struct MePage {
    lang: Lang,
    /// The member's grid reporter points, when they are an approved reporter.
    grid_points: Option<i64>,
    name: String,
    id_mask: String,
    card: Option<CardView>,
    memberships: Vec<MembershipView>,
    history: Vec<HistoryView>,
    /// The member session's own CSRF token, for the forms of this page.
    csrf: String,
    /// The union the member may leave (an active or retained membership).
    may_leave: Option<String>,
    leave: EndingInput,
    errors: FieldErrors,
    message: Option<&'static str>,
    today: String,
    /// Unions the member may ask to move to (code, name), and their transfers.
    destinations: Vec<(String, String)>,
    transfers: Vec<TransferView>,
    transfer: MeTransferForm,
    transfer_errors: FieldErrors,
    /// Where the member works now, the townships offered, and the form's problems.
    work: WorkUpdate,
    townships: Vec<(String, String)>,
    work_errors: FieldErrors,
    /// The phone form: the new number typed, whether its code was sent, its problems.
    new_phone: String,
    phone_sms_sent: bool,
    phone_errors: FieldErrors,
    /// The help form (维权求助) as sent, its problems, and the member's cases.
    help: nuanxin_core::services::cases::AskInput,
    help_errors: FieldErrors,
    cases: Vec<CaseView>,
    /// The member's mutual-aid plans and claims, and the claim form as sent with its problems.
    aid: crate::services::aid::MeAid,
    claim: MeClaimForm,
    claim_errors: FieldErrors,
    /// What the member received at care activities: (activity, union, day, items), latest first.
    received: Vec<(String, String, String, String)>,
    /// The notices meant for the member today, latest first, and whether each is read.
    notices: Vec<nuanxin_core::services::notices::MemberNotice>,
    /// The member's honours, each with its showcase switch.
    honours: Vec<nuanxin_core::services::honours::Honour>,
    /// Where the nearest stations page opens: at the member's work township when known.
    nearby: String,
    /// The live benefit offers of the member's unions, those near their work first.
    offers: Vec<nuanxin_core::services::offers::Offer>,
}

/// One of the member's rights cases as `/me` shows it.
pub struct CaseView {
    pub case_no: String,
    pub kind_label: String,
    pub status: String,
    pub status_label: String,
    pub opened_on: String,
    pub claimed: String,
    pub recovered: Option<String>,
    /// (when, what, text) oldest first.
    pub timeline: Vec<(String, String, String)>,
}

pub struct TransferView {
    pub to_org_name: String,
    pub status_label: String,
    pub status: String,
    pub until: String,
}

impl MePage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    /// Notices the member has not opened yet.
    fn unread(&self) -> usize {
        self.notices.iter().filter(|n| !n.read).count()
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|c| self.t(c))
    }

    fn transfer_error(&self, field: &str) -> Option<&str> {
        self.transfer_errors.get(field).map(|c| self.t(c))
    }

    fn help_error(&self, field: &str) -> Option<&str> {
        self.help_errors.get(field).map(|c| self.t(c))
    }

    fn claim_error(&self, field: &str) -> Option<&str> {
        self.claim_errors.get(field).map(|c| self.t(c))
    }

    fn case_kinds(&self) -> Vec<(&'static str, String)> {
        nuanxin_core::services::cases::KINDS
            .iter()
            .map(|(c, _)| (*c, self.t(&format!("cases.kind.{c}")).to_string()))
            .collect()
    }

    /// Whether the member's work place is among the townships offered.
    fn township_listed(&self) -> bool {
        self.townships
            .iter()
            .any(|(c, _)| *c == self.work.work_region)
    }

    fn work_error(&self, field: &str) -> Option<&str> {
        self.work_errors.get(field).map(|c| self.t(c))
    }

    fn phone_error(&self, field: &str) -> Option<&str> {
        self.phone_errors.get(field).map(|c| self.t(c))
    }
}

/// What `/me` shows besides its forms: one read of the person's memberships and history.
struct MeView {
    name: String,
    id_mask: String,
    card: Option<CardView>,
    memberships: Vec<MembershipView>,
    history: Vec<HistoryView>,
    may_leave: Option<String>,
    destinations: Vec<(String, String)>,
    transfers: Vec<TransferView>,
    /// The current membership's employer and work place, and its union's region.
    work: Option<(WorkUpdate, String)>,
}

async fn me_view(state: &AppState, lang: Lang, person: uuid::Uuid) -> Result<MeView, PageError> {
    let ((name, id_mask, rows), history, destinations, transfers) =
        in_read(&state.store, async |tx| {
            let own = sessions::own(tx, person).await?;
            let history = lifecycle::own_history(tx, person).await?;
            let destinations = transfers::destinations(tx, person).await?;
            let transfers = transfers::own(tx, person).await?;
            Ok((own, history, destinations, transfers))
        })
        .await?;
    let cat = Catalogue::of(lang);
    let card = rows.iter().find(|m| m.status == "active").map(|m| {
        let no = m.member_no.clone().unwrap_or_default();
        CardView {
            qr: qr_svg(&format!("{}{no}", members::ECARD_PREFIX)),
            member_no: no,
            org_code: m.org_code.clone(),
            org_name: m.org_name.clone(),
        }
    });
    let current = rows
        .iter()
        .find(|m| m.status == "active" || m.status == "retained");
    let may_leave = current.map(|m| m.org_name.clone());
    let work = current.map(|m| {
        let now = WorkUpdate {
            employer: m.employer.clone().unwrap_or_default(),
            work_region: m.work_region.clone().unwrap_or_default(),
        };
        (now, m.org_region.clone())
    });
    let memberships = rows
        .iter()
        .map(|m| MembershipView {
            status: m.status.clone(),
            status_label: cat.get(&format!("members.status.{}", m.status)).to_string(),
            org_name: m.org_name.clone(),
            group_label: cat.get(&format!("members.group.{}", m.group)).to_string(),
            since: m.joined_on.map(|d| d.to_string()).unwrap_or_default(),
            reason: m.reason.clone().unwrap_or_default(),
        })
        .collect();
    let history = history
        .into_iter()
        .map(|h| HistoryView {
            on: h.on_date.to_string(),
            event_label: cat.get(&format!("members.event.{}", h.event)).to_string(),
            org_name: h.org_name,
            reason: h.reason.unwrap_or_default(),
        })
        .collect();
    let transfers = transfers
        .into_iter()
        .map(|t| TransferView {
            status_label: cat
                .get(&format!("transfers.status.{}", t.status))
                .to_string(),
            status: t.status,
            to_org_name: t.to_org_name,
            until: t.objection_until.to_string(),
        })
        .collect();
    Ok(MeView {
        name,
        id_mask,
        card,
        memberships,
        history,
        may_leave,
        destinations,
        transfers,
        work,
    })
}

/// The signed-in member's person and session token, if any.
pub(crate) async fn member_of(
    state: &AppState,
    client: &ClientInfo,
) -> Result<Option<(uuid::Uuid, String)>, PageError> {
    let Some(token) = cookie(&client.headers, MEMBER_COOKIE) else {
        return Ok(None);
    };
    let person = sessions::person_of(&state.store, token, state.clock.now()).await?;
    Ok(person.map(|p| (p, token.to_string())))
}

/// What the member just sent from `/me`, shown again with its problems.
#[derive(Default)]
struct MeForms {
    leave: EndingInput,
    errors: FieldErrors,
    transfer: MeTransferForm,
    transfer_errors: FieldErrors,
    /// The work form as sent (else the membership's own values).
    work: Option<WorkUpdate>,
    work_errors: FieldErrors,
    new_phone: String,
    phone_sms_sent: bool,
    phone_errors: FieldErrors,
    help: Option<nuanxin_core::services::cases::AskInput>,
    help_errors: FieldErrors,
    claim: Option<MeClaimForm>,
    claim_errors: FieldErrors,
    message: Option<&'static str>,
}

/// The signed-in member posting one of their own forms, the form's token checked against their
/// session's: (person, session token), or none when nobody is signed in.
pub(crate) async fn posting(
    state: &AppState,
    client: &ClientInfo,
    csrf: &str,
) -> Result<Option<(uuid::Uuid, String)>, PageError> {
    let Some((person, token)) = member_of(state, client).await? else {
        return Ok(None);
    };
    if csrf != sessions::csrf_of(&token) {
        return Err(Error::Csrf.into());
    }
    Ok(Some((person, token)))
}

/// Where a refused step shows on `/me`: a conflict above the page, a field's problem at the
/// form's own field (`errors` picks the form).
fn place_problem(
    e: Error,
    forms: &mut MeForms,
    errors: fn(&mut MeForms) -> &mut FieldErrors,
) -> Result<(), PageError> {
    match (e.field(), &e) {
        (_, Error::Conflict { .. }) => forms.message = Some(e.code()),
        (_, Error::Fields(all)) => {
            for f in all.iter() {
                errors(forms).push(f.field, f.code);
            }
        }
        (Some(field), _) => errors(forms).push(field, e.code()),
        (None, _) => return Err(e.into()),
    }
    Ok(())
}

async fn me_page(
    state: &AppState,
    lang: Lang,
    person: uuid::Uuid,
    token: &str,
    forms: MeForms,
) -> Result<Html<String>, PageError> {
    let MeForms {
        leave,
        errors,
        transfer,
        transfer_errors,
        work,
        work_errors,
        new_phone,
        phone_sms_sent,
        phone_errors,
        help,
        help_errors,
        claim,
        claim_errors,
        message,
    } = forms;
    let cases = case_views(state, lang, person).await?;
    let aid = crate::services::aid::me_views(state, lang, person).await?;
    let received = in_read(&state.store, async |tx| {
        nuanxin_core::services::care::of_person(tx, person).await
    })
    .await?
    .into_iter()
    .map(|(r, activity, org)| (activity, org, r.received_on.to_string(), r.items))
    .collect();
    let today_day = state.clock.today();
    let (notices, honours, offers, grid_points) = in_read(&state.store, async |tx| {
        let n = nuanxin_core::services::notices::of_member(tx, person, today_day).await?;
        let h = nuanxin_core::services::honours::of_person(tx, person).await?;
        let o = nuanxin_core::services::offers::for_member(tx, person, today_day).await?;
        let g = nuanxin_core::services::grid::reporters::of_person(tx, person).await?;
        let points = g.filter(|r| r.status == "approved").map(|r| r.points);
        Ok((n, h, o, points))
    })
    .await?;
    let v = me_view(state, lang, person).await?;
    let (current_work, org_region) = v.work.clone().unwrap_or_default();
    let nearby = match current_work.work_region.as_str() {
        "" => "/stations/nearby".to_string(),
        region => format!("/stations/nearby?region={region}"),
    };
    let townships = match v.work {
        Some(_) => townships(state, &org_region).await?,
        None => Vec::new(),
    };
    let today = state.clock.today().to_string();
    render(&MePage {
        lang,
        name: v.name,
        id_mask: v.id_mask,
        card: v.card,
        memberships: v.memberships,
        history: v.history,
        csrf: sessions::csrf_of(token),
        may_leave: v.may_leave,
        leave,
        errors,
        message,
        today,
        destinations: v.destinations,
        transfers: v.transfers,
        transfer,
        transfer_errors,
        work: work.unwrap_or(current_work),
        townships,
        work_errors,
        new_phone,
        phone_sms_sent,
        phone_errors,
        help: help.unwrap_or_default(),
        help_errors,
        cases,
        aid,
        claim: claim.unwrap_or_default(),
        claim_errors,
        received,
        notices,
        honours,
        nearby,
        offers,
        grid_points,
    })
}

/// The member's rights cases with their timelines, as `/me` shows them.
async fn case_views(
    state: &AppState,
    lang: Lang,
    person: uuid::Uuid,
) -> Result<Vec<CaseView>, PageError> {
    use nuanxin_core::services::{cases, money::yuan};
    let found = in_read(&state.store, async |tx| cases::of_person(tx, person).await).await?;
    let t = |k: String| Catalogue::of(lang).get(&k).to_string();
    let beijing = chrono::FixedOffset::east_opt(8 * 3600);
    Ok(found
        .into_iter()
        .map(|(c, events)| CaseView {
            status_label: if c.status == "closed" {
                t("cases.status.closed".into())
            } else {
                t(format!("cases.stage.{}", c.stage))
            },
            kind_label: t(format!("cases.kind.{}", c.kind)),
            opened_on: c.opened_on.to_string(),
            claimed: yuan(c.claimed_fen),
            recovered: (c.status == "closed").then(|| yuan(c.recovered_fen)),
            timeline: events
                .into_iter()
                .map(|e| {
                    let when = chrono::DateTime::from_timestamp_millis(e.at)
                        .zip(beijing)
                        .map(|(d, z)| d.with_timezone(&z).format("%m-%d %H:%M").to_string())
                        .unwrap_or_default();
                    let text = match e.kind.as_str() {
                        "stage" => t(format!("cases.stage.{}", e.text)),
                        "closed" => t(format!("cases.outcome.{}", e.text)),
                        // Notes and documents are the union's working papers.
                        "opened" | "reopened" | "hearing" | "deadline" => {
                            e.on_date.map(|d| d.to_string()).unwrap_or_default()
                        }
                        _ => String::new(),
                    };
                    (when, t(format!("cases.event.{}", e.kind)), text)
                })
                .filter(|(_, what, _)| !what.is_empty())
                .collect(),
            case_no: c.case_no,
            status: c.status,
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct MeHelpForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    help: nuanxin_core::services::cases::AskInput,
}

/// `POST /me/help`: a member asks for help (维权求助); the union of their membership accepts it.
pub async fn help(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    WithPhotos {
        form: f, photos, ..
    }: WithPhotos<MeHelpForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let (now, today) = (state.clock.now(), state.clock.today());
    let uploads = state.config.uploads()?;
    let asked = match crate::services::photos::ready(photos).await {
        Ok(photos) => {
            nuanxin_core::in_write(&state.store, async |tx| {
                let photos = (&uploads, photos.as_slice());
                nuanxin_core::services::cases::ask(tx, person, &f.help, photos, now, today).await
            })
            .await
        }
        Err(e) => Err(e),
    };
    match asked {
        Ok((case_no, phone)) => {
            if let Ok(phone) = Phone::parse(&phone) {
                let text =
                    format!("【暖新】您的求助已受理，案件编号 {case_no}。工会将尽快联系您。");
                if let Err(e) = state.sms.send(&phone, &text).await {
                    tracing::warn!(error = %e, "help SMS not sent");
                }
            }
            Ok(Redirect::to("/me?done=help#cases").into_response())
        }
        Err(e) => {
            let mut forms = MeForms::default();
            place_problem(e, &mut forms, |f| &mut f.help_errors)?;
            forms.help = Some(f.help);
            let html = me_page(&state, lang, person, &token, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

/// The claim form of `/me` (互助保障理赔).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MeClaimForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    pub plan_id: String,
    #[serde(default)]
    pub incident_on: String,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub claimed: String,
    #[serde(default)]
    pub summary: String,
}

/// `POST /me/claim`: an enrolled member files a claim on their plan.
pub async fn claim(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    WithPhotos {
        form: f, photos, ..
    }: WithPhotos<MeClaimForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let (now, today) = (state.clock.now(), state.clock.today());
    let input = nuanxin_core::services::aid::ClaimInput {
        plan_id: f.plan_id.trim().parse().ok(),
        member_no: String::new(),
        incident_on: f.incident_on.clone(),
        event: f.event.clone(),
        claimed: f.claimed.clone(),
        summary: f.summary.clone(),
    };
    let uploads = state.config.uploads()?;
    let filed = match crate::services::photos::ready(photos).await {
        Ok(photos) => {
            nuanxin_core::in_write(&state.store, async |tx| {
                let photos = (&uploads, photos.as_slice());
                nuanxin_core::services::aid::file_own(tx, person, &input, photos, now, today).await
            })
            .await
        }
        Err(e) => Err(e),
    };
    match filed {
        Ok((claim_no, phone)) => {
            if let Ok(phone) = Phone::parse(&phone) {
                let text = format!(
                    "【暖新】您的互助保障理赔申请已登记，编号 {claim_no}。工会审核后将短信告知您。"
                );
                if let Err(e) = state.sms.send(&phone, &text).await {
                    tracing::warn!(error = %e, "claim SMS not sent");
                }
            }
            Ok(Redirect::to("/me?done=claim#aid").into_response())
        }
        Err(e) => {
            let mut forms = MeForms::default();
            place_problem(e, &mut forms, |f| &mut f.claim_errors)?;
            forms.claim = Some(f);
            let html = me_page(&state, lang, person, &token, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MeQuery {
    #[serde(default)]
    done: String,
}

pub async fn me(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    axum::extract::Query(q): axum::extract::Query<MeQuery>,
) -> Result<Response, PageError> {
    let Some((person, token)) = member_of(&state, &client).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let message = match q.done.as_str() {
        "left" => Some("me.left"),
        "transfer" => Some("me.transfer_sent"),
        "work" => Some("me.work_saved"),
        "phone" => Some("me.phone_saved"),
        "help" => Some("me.help_sent"),
        "claim" => Some("aid.claim_sent"),
        "showcase" => Some("honours.showcase_saved"),
        _ => None,
    };
    let forms = MeForms {
        message,
        ..MeForms::default()
    };
    let page = me_page(&state, lang, person, &token, forms).await?;
    Ok(page.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct LeaveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// The member ticks that they mean it: the form works without script, so no dialog asks.
    #[serde(default)]
    confirm: Option<String>,
    #[serde(flatten)]
    input: EndingInput,
}

/// `POST /me/leave`: the signed-in member leaves their union (退会) on the day and for the
/// reason given; the form carries the member session's CSRF token.
pub async fn leave(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Form(f): Form<LeaveForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let now = state.clock.now();
    let today = state.clock.today();
    let mut errors = FieldErrors::new();
    if f.confirm.is_none() {
        errors = f.input.problems(today);
        errors.push("confirm", "me.leave_confirm_required");
    }
    let result = match errors.is_empty() {
        true => {
            lifecycle::leave_own(
                &state.store,
                person,
                &f.input,
                client.ip.clone(),
                now,
                today,
            )
            .await
        }
        false => Err(errors.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/me?done=left").into_response()),
        Err(e) => {
            let (errors, message) = match e.field_errors() {
                Some(errs) => (errs, None),
                None if matches!(e, Error::Conflict { .. }) => (FieldErrors::new(), Some(e.code())),
                None => return Err(e.into()),
            };
            let forms = MeForms {
                leave: f.input,
                errors,
                message,
                ..MeForms::default()
            };
            let html = me_page(&state, lang, person, &token, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MeTransferForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    to_org: String,
    #[serde(default)]
    reason: String,
}

/// `POST /me/transfer`: the signed-in member asks to move to another union (转会); the old union
/// sees it and may object within its window, the new one accepts.
pub async fn transfer(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Form(f): Form<MeTransferForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let (now, today) = (state.clock.now(), state.clock.today());
    let (store, ip) = (&state.store, client.ip.clone());
    match transfers::request_own(store, person, &f.to_org, &f.reason, ip, now, today).await {
        Ok(_) => Ok(Redirect::to("/me?done=transfer").into_response()),
        Err(e) => {
            let mut forms = MeForms::default();
            place_problem(e, &mut forms, |f| &mut f.transfer_errors)?;
            forms.transfer = f;
            let html = me_page(&state, lang, person, &token, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sms_code: String,
    #[serde(default)]
    action: String,
}

#[derive(Template)]
#[template(path = "join/login.html")]
struct LoginPage {
    lang: Lang,
    phone: String,
    sms_sent: bool,
    error: Option<(&'static str, &'static str)>,
}

impl LoginPage {
    fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    fn error_for(&self, field: &str) -> Option<&'static str> {
        self.error.filter(|(f, _)| *f == field).map(|(_, c)| c)
    }
}

pub async fn login_form(lang: Lang) -> Result<Html<String>, PageError> {
    render(&LoginPage {
        lang,
        phone: String::new(),
        sms_sent: false,
        error: None,
    })
}

pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let now = state.clock.now();
    let phone = match Phone::parse(&f.phone) {
        Ok(p) => p,
        Err(e) => {
            let page = LoginPage {
                lang,
                phone: f.phone,
                sms_sent: false,
                error: Some(("phone", e.code())),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    if f.action == "sms" {
        let error = match super::send_sms_code(&state, &phone, client.ip.as_deref()).await {
            Ok(()) => None,
            Err(Error::RateLimited) => Some(("phone", "members.sms_too_soon")),
            Err(e @ Error::Busy { .. }) => Some(("phone", e.code())),
            Err(e) => return Err(e.into()),
        };
        return Ok(render(&LoginPage {
            lang,
            phone: f.phone,
            sms_sent: error.is_none(),
            error,
        })?
        .into_response());
    }
    if let Err(e) = sms::verify_code(&state.store, &state.vault, &phone, &f.sms_code, now).await {
        let page = LoginPage {
            lang,
            phone: f.phone,
            sms_sent: true,
            error: Some(("sms_code", e.code())),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let found = in_read(&state.store, async |tx| {
        sessions::person_by_phone(tx, phone.as_str()).await
    })
    .await?;
    let Some(person) = found else {
        let page = LoginPage {
            lang,
            phone: f.phone,
            sms_sent: false,
            error: Some(("phone", "members.no_member_with_phone")),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let token = sessions::start(&state.store, person, now).await?;
    Ok((
        [(
            SET_COOKIE,
            member_cookie(&state, &token, sessions::MEMBER_IDLE_MS / 1000),
        )],
        Redirect::to("/me"),
    )
        .into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
) -> Result<Response, PageError> {
    if let Some(token) = cookie(&client.headers, MEMBER_COOKIE) {
        sessions::end(&state.store, token).await?;
    }
    Ok((
        [(SET_COOKIE, member_cookie(&state, "", 0))],
        Redirect::to("/me/login"),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct MeWorkForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    work: WorkUpdate,
}

/// `POST /me/work`: the member says where they work now (employer, work township).
pub async fn work(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Form(f): Form<MeWorkForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let now = state.clock.now();
    match self_service::update_work(&state.store, person, &f.work, client.ip.clone(), now).await {
        Ok(()) => Ok(Redirect::to("/me?done=work").into_response()),
        Err(e) => {
            let mut forms = MeForms::default();
            place_problem(e, &mut forms, |f| &mut f.work_errors)?;
            forms.work = Some(f.work);
            let html = me_page(&state, lang, person, &token, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MePhoneForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sms_code: String,
    /// `sms` (send a code to the new number) or `change`.
    #[serde(default)]
    action: String,
}

/// `POST /me/phone`: a code goes to the new number; with it, the number becomes the member's.
pub async fn phone(
    State(state): State<AppState>,
    lang: Lang,
    client: ClientInfo,
    Form(f): Form<MePhoneForm>,
) -> Result<Response, PageError> {
    let Some((person, token)) = posting(&state, &client, &f.csrf).await? else {
        return Ok(Redirect::to("/me/login").into_response());
    };
    let mut forms = MeForms {
        new_phone: f.phone.clone(),
        ..MeForms::default()
    };
    let outcome: Result<bool, Error> = async {
        let phone = Phone::parse(&f.phone)?;
        if f.action == "sms" {
            super::send_sms_code(&state, &phone, client.ip.as_deref()).await?;
            return Ok(false);
        }
        let now = state.clock.now();
        sms::verify_code(&state.store, &state.vault, &phone, &f.sms_code, now)
            .await
            .map_err(|e| match e.field() {
                Some(_) => e,
                None => Error::invalid("sms_code", e.code()),
            })?;
        self_service::change_phone(&state.store, person, &phone, client.ip.clone(), now).await?;
        Ok(true)
    }
    .await;
    match outcome {
        Ok(true) => Ok(Redirect::to("/me?done=phone").into_response()),
        Ok(false) => {
            forms.phone_sms_sent = true;
            Ok(me_page(&state, lang, person, &token, forms)
                .await?
                .into_response())
        }
        Err(e) => {
            let errs = e.field_errors().unwrap_or_else(|| {
                let mut errs = FieldErrors::new();
                errs.push("phone", e.code());
                errs
            });
            forms.phone_sms_sent = f.action != "sms" || errs.get("sms_code").is_some();
            forms.phone_errors = errs;
            let html = me_page(&state, lang, person, &token, forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}
