//! Mutual aid (互助保障) in the console and the API: plans, bulk enrolment with a preview, the
//! insurer's enrolment sheet, and the claims queue with its review steps. The member hears of
//! each step of their claim by SMS.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use crate::layout::{Ctx, ListLinks, Pager, Paging};
use crate::respond::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::members::identity::Phone;
use nuanxin_core::members::WorkerGroup;
use nuanxin_core::page::{Page, PageRequest};
use nuanxin_core::services::aid::{
    self, Claim, ClaimEvent, ClaimFilter, ClaimInput, Decision, EnrolFilter, EnrolReport,
    Enrolment, Plan, PlanInput, EVENTS, PAYERS, PLAN_KINDS,
};
use nuanxin_core::services::money::yuan;
use nuanxin_core::{in_read, in_write, Error, Role};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

impl ListLinks for ClaimFilter {
    const PATH: &'static str = "/aid/claims";
}

/// What the pages of this module show about amounts and labels.
trait Shows {
    fn ctx(&self) -> &Ctx;

    fn label(&self, prefix: &str, value: &str) -> String {
        self.ctx().t(&format!("{prefix}.{value}")).to_string()
    }

    fn yuan(&self, fen: &i64) -> String {
        yuan(*fen)
    }
}

#[derive(Template)]
#[template(path = "services/aid.html")]
struct PlansPage {
    ctx: Ctx,
    page: Page<Plan>,
    may_create: bool,
    today: chrono::NaiveDate,
}

impl Shows for PlansPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl PlansPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| format!("/aid?page={n}"))
    }
}

/// `GET /aid`: the plans the caller sees.
pub async fn plans(auth: Auth, Query(paging): Query<Paging>) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        aid::plans(tx, &auth.caller.scope, paging.request()).await
    })
    .await?;
    render(&PlansPage {
        ctx: Ctx::new(&auth, "cases", "/aid"),
        may_create: auth.caller.is_staff(),
        today: auth.caller.today,
        page,
    })
}

#[derive(Template)]
#[template(path = "services/aid_plan_new.html")]
struct NewPlanPage {
    ctx: Ctx,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
    kinds: Vec<(&'static str, String)>,
    payers: Vec<(&'static str, String)>,
    events: Vec<(&'static str, String)>,
    groups: Vec<(&'static str, String)>,
}

impl NewPlanPage {
    fn value(&self, field: &str) -> &str {
        self.form.get(field).map_or("", String::as_str)
    }

    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field).copied()
    }

    fn benefit(&self, event: &str) -> &str {
        self.value(&format!("benefit_{event}"))
    }

    fn has_group(&self, group: &str) -> bool {
        self.form.contains_key(&format!("group_{group}"))
    }
}

fn new_plan_page(
    auth: &Auth,
    form: HashMap<String, String>,
    errors: HashMap<&'static str, &'static str>,
) -> Result<Html<String>, PageError> {
    let ctx = Ctx::new(auth, "cases", "/aid/plans/new");
    render(&NewPlanPage {
        kinds: ctx.labels("aid.kind", &PLAN_KINDS),
        payers: ctx.labels("aid.payer", &PAYERS),
        events: ctx.labels("aid.event", &EVENTS),
        groups: WorkerGroup::ALL
            .iter()
            .map(|g| {
                (
                    g.as_str(),
                    ctx.t(&format!("members.group.{}", g.as_str())).to_string(),
                )
            })
            .collect(),
        ctx,
        form,
        errors,
    })
}

/// `GET /aid/plans/new`.
pub async fn new_plan_form(auth: Auth) -> Result<Html<String>, PageError> {
    let mut form = HashMap::new();
    if let Some(code) = auth.caller.home_unit() {
        form.insert("org_code".to_string(), code);
    }
    let year = chrono::Datelike::year(&auth.caller.today);
    form.insert("starts_on".into(), format!("{year}-01-01"));
    form.insert("ends_on".into(), format!("{year}-12-31"));
    new_plan_page(&auth, form, HashMap::new())
}

/// `POST /aid/plans/new`: benefits as `benefit_{event}` fields, groups as `group_{code}` boxes.
pub async fn create_plan(
    auth: Auth,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form: HashMap<String, String> = form.into_iter().collect();
    let v = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = PlanInput {
        org_code: v("org_code"),
        name: v("name"),
        kind: v("kind"),
        starts_on: v("starts_on"),
        ends_on: v("ends_on"),
        premium: v("premium"),
        payer: v("payer"),
        benefits: form
            .iter()
            .filter_map(|(k, val)| {
                k.strip_prefix("benefit_")
                    .map(|e| (e.to_string(), val.clone()))
            })
            .collect::<BTreeMap<_, _>>(),
        cap: v("cap"),
        groups: form
            .keys()
            .filter_map(|k| k.strip_prefix("group_").map(str::to_string))
            .collect(),
        insurer: v("insurer"),
    };
    let done = in_write(&auth.app.store, async |tx| {
        aid::create_plan(tx, &auth.caller, &input).await
    })
    .await;
    super::form_answer(
        done,
        |p| format!("/aid/plans/{}", p.id),
        move |errors| async move { new_plan_page(&auth, form, errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "services/aid_plan.html")]
struct PlanPage {
    ctx: Ctx,
    plan: Plan,
    enrolled_total: i64,
    enrolments: Vec<Enrolment>,
    may_enrol: bool,
    groups: Vec<(&'static str, String)>,
    filter: EnrolFilter,
    /// The preview of an enrolment, or what it did.
    report: Option<EnrolReport>,
    message: Option<(&'static str, bool)>,
}

impl Shows for PlanPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl PlanPage {
    fn group_label(&self, code: &str) -> String {
        self.label("members.group", code)
    }
}

async fn plan_page(
    auth: &Auth,
    id: Uuid,
    filter: EnrolFilter,
    report: Option<EnrolReport>,
    message: Option<(&'static str, bool)>,
) -> Result<Html<String>, PageError> {
    let (plan, (total, enrolments)) = in_read(&auth.app.store, async |tx| {
        let p = aid::get_plan(tx, &auth.caller.scope, id).await?;
        let e = aid::enrolments(
            tx,
            &auth.caller.scope,
            id,
            Some(PageRequest::new(Some(1), Some(50))),
        )
        .await?;
        Ok((p, e))
    })
    .await?;
    let ctx = Ctx::new(auth, "cases", &format!("/aid/plans/{id}"));
    render(&PlanPage {
        may_enrol: auth.caller.is_staff() && plan.ends_on >= auth.caller.today,
        groups: WorkerGroup::ALL
            .iter()
            .map(|g| {
                (
                    g.as_str(),
                    ctx.t(&format!("members.group.{}", g.as_str())).to_string(),
                )
            })
            .collect(),
        ctx,
        plan,
        enrolled_total: total,
        enrolments,
        filter,
        report,
        message,
    })
}

/// `GET /aid/plans/{id}`.
pub async fn show_plan(auth: Auth, Path(id): Path<Uuid>) -> Result<Html<String>, PageError> {
    plan_page(&auth, id, EnrolFilter::default(), None, None).await
}

/// `POST /aid/plans/{id}/enrol`: the preview (count and cost), then the confirmed enrolment.
pub async fn enrol(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(f): Form<super::BulkForm>,
) -> Result<Response, PageError> {
    let filter = f.filter();
    let done = in_write(&auth.app.store, async |tx| {
        aid::enrol(tx, &auth.caller, id, &filter).await
    })
    .await;
    match done {
        Ok(report) => Ok(plan_page(&auth, id, filter, Some(report), None)
            .await?
            .into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let page = plan_page(&auth, id, filter, None, Some((code, true))).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

/// `GET /aid/plans/{id}/enrolments.xlsx`: the insurer's sheet of the plan's enrolments.
pub async fn export_enrolments(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    let zh = auth.lang == crate::Lang::ZhCn;
    let bytes = aid::export_enrolments(&auth.app.store, &auth.caller, id, zh).await?;
    Ok(crate::respond::xlsx(bytes, "enrolments.xlsx"))
}

#[derive(Template)]
#[template(path = "services/aid_claims.html")]
struct ClaimsPage {
    ctx: Ctx,
    query: ClaimFilter,
    page: Page<Claim>,
}

impl Shows for ClaimsPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl ClaimsPage {
    fn pager(&self) -> Pager {
        Pager::of(&self.page, |n| self.query.page_link(n))
    }
}

/// `GET /aid/claims`: the claims queue, oldest open first.
pub async fn claims(
    auth: Auth,
    Query(query): Query<ClaimFilter>,
    Query(paging): Query<Paging>,
) -> Result<Html<String>, PageError> {
    let page = in_read(&auth.app.store, async |tx| {
        aid::claims(tx, &auth.caller.scope, &query, paging.request()).await
    })
    .await?;
    render(&ClaimsPage {
        ctx: Ctx::new(&auth, "cases", &query.link(&[])),
        query,
        page,
    })
}

#[derive(Template)]
#[template(path = "services/aid_claim.html")]
struct ClaimPage {
    ctx: Ctx,
    claim: Claim,
    steps: Vec<ClaimEvent>,
    /// Photos of documents the member sent with the claim.
    photos: Vec<nuanxin_core::services::photos::Photo>,
    may_decide: bool,
    message: Option<(&'static str, bool)>,
}

impl Shows for ClaimPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl ClaimPage {
    /// Whether the claim has reached `step` (of entered → checked → approved → paid).
    fn reached(&self, step: &str) -> bool {
        const ORDER: [&str; 4] = ["entered", "checked", "approved", "paid"];
        let at = |s: &str| ORDER.iter().position(|o| *o == s);
        match (at(step), at(&self.claim.status)) {
            (Some(a), Some(b)) => a <= b,
            // A rejected claim was entered, and checked if the steps say so.
            (Some(a), None) => a == 0 || self.steps.iter().any(|s| s.status == step),
            _ => false,
        }
    }
}

async fn claim_page(
    auth: &Auth,
    id: Uuid,
    message: Option<(&'static str, bool)>,
) -> Result<Html<String>, PageError> {
    let (claim, steps, photos) = in_read(&auth.app.store, async |tx| {
        let c = aid::get_claim(tx, &auth.caller.scope, id).await?;
        let s = aid::claim_steps(tx, &auth.caller.scope, id).await?;
        let p = nuanxin_core::services::photos::of(
            tx,
            nuanxin_core::services::photos::Owner::Claim(id),
        )
        .await?;
        Ok((c, s, p))
    })
    .await?;
    render(&ClaimPage {
        ctx: Ctx::new(auth, "cases", &format!("/aid/claims/{id}")),
        may_decide: auth.caller.role_at(&claim.org_path) >= Some(Role::Staff),
        claim,
        steps,
        photos,
        message,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /aid/claims/{id}`.
pub async fn show_claim(
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> Result<Html<String>, PageError> {
    let message = (done.done == "saved").then_some(("aid.saved", false));
    claim_page(&auth, id, message).await
}

/// Tells the member of their claim's step by SMS (a failed SMS is logged: the step stands).
async fn tell(state: &AppState, phone: &str, c: &Claim) {
    let Ok(phone) = Phone::parse(phone) else {
        return;
    };
    let what = match c.status.as_str() {
        "checked" => "已通过初审".to_string(),
        "approved" => format!("已核准，金额 {} 元", yuan(c.approved_fen)),
        "rejected" => format!("未通过：{}", c.reason.as_deref().unwrap_or("")),
        "paid" => format!("已赔付 {} 元", yuan(c.paid_fen)),
        _ => return,
    };
    let text = format!(
        "【暖新】您的互助保障理赔 {} {}。可登录“我的会员”查看。",
        c.claim_no, what
    );
    if let Err(e) = state.sms.send(&phone, &text).await {
        tracing::warn!(error = %e, claim = %c.id, "claim SMS not sent");
    }
}

async fn apply(auth: &Auth, id: Uuid, d: &Decision) -> Result<Claim, Error> {
    let (claim, phone) = in_write(&auth.app.store, async |tx| {
        let c = aid::decide(tx, &auth.caller, id, d).await?;
        // The full number, for the SMS (the caller is staff: `decide` checked it).
        Ok((c.clone(), c.phone))
    })
    .await?;
    tell(&auth.app, &phone, &claim).await;
    Ok(claim)
}

/// `POST /aid/claims/{id}`: a review step.
pub async fn decide(
    auth: Auth,
    Path(id): Path<Uuid>,
    Form(d): Form<Decision>,
) -> Result<Response, PageError> {
    match apply(&auth, id, &d).await {
        Ok(_) => Ok(Redirect::to(&format!("/aid/claims/{id}?done=saved")).into_response()),
        Err(e) => match super::refusal(&e) {
            Some(code) => {
                let page = claim_page(&auth, id, Some((code, true))).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            None => Err(e.into()),
        },
    }
}

#[utoipa::path(post, path = "/api/v1/aid/plans", tag = "services", request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 403, body = ErrorBody), (status = 422, description = "Field errors, all at once", body = ErrorBody)))]
pub async fn api_create_plan(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<PlanInput>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let p = in_write(&auth.app.store, async |tx| {
        aid::create_plan(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/aid/plans", tag = "services", params(Paging),
    responses((status = 200, description = "The plans of the caller's unions, those below and those above", body = Page<Plan>)))]
pub async fn api_plans(
    ApiAuth(auth): ApiAuth,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Plan>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            aid::plans(tx, &auth.caller.scope, paging.request()).await
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/aid/plans/{id}", tag = "services", params(("id" = Uuid, Path, description = "Plan id")),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
pub async fn api_plan(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<Plan>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            aid::get_plan(tx, &auth.caller.scope, id).await
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/plans/{id}/enrol", tag = "services", request_body = EnrolFilter,
    params(("id" = Uuid, Path, description = "Plan id")),
    responses((status = 200, description = "What the filter selects and, unless a dry run, enrolled", body = EnrolReport),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "The plan has ended", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_enrol(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(filter): Json<EnrolFilter>,
) -> Result<Json<EnrolReport>, ApiError> {
    Ok(Json(
        in_write(&auth.app.store, async |tx| {
            aid::enrol(tx, &auth.caller, id, &filter).await
        })
        .await?,
    ))
}

/// A page of a plan's enrolments.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Enrolments {
    pub total: i64,
    pub items: Vec<Enrolment>,
}

#[utoipa::path(get, path = "/api/v1/aid/plans/{id}/enrolments", tag = "services", params(("id" = Uuid, Path, description = "Plan id"), Paging),
    responses((status = 200, description = "The plan's enrolments in the caller's subtree (ID numbers masked)", body = Enrolments), (status = 404, body = ErrorBody)))]
pub async fn api_enrolments(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Query(paging): Query<Paging>,
) -> Result<Json<Enrolments>, ApiError> {
    let (total, items) = in_read(&auth.app.store, async |tx| {
        aid::get_plan(tx, &auth.caller.scope, id).await?;
        aid::enrolments(tx, &auth.caller.scope, id, Some(paging.request())).await
    })
    .await?;
    Ok(Json(Enrolments { total, items }))
}

#[utoipa::path(post, path = "/api/v1/aid/claims", tag = "services", request_body = ClaimInput,
    responses((status = 201, body = Claim), (status = 403, body = ErrorBody), (status = 409, description = "A claim for this incident exists", body = ErrorBody),
        (status = 422, description = "Not enrolled, not covered on the day, not an event of the plan", body = ErrorBody)))]
pub async fn api_file_claim(
    ApiAuth(auth): ApiAuth,
    Json(input): Json<ClaimInput>,
) -> Result<(StatusCode, Json<Claim>), ApiError> {
    let c = in_write(&auth.app.store, async |tx| {
        aid::file_for(tx, &auth.caller, &input).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/aid/claims", tag = "services", params(ClaimFilter, Paging),
    responses((status = 200, description = "The claims of the caller's subtree", body = Page<Claim>)))]
pub async fn api_claims(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<ClaimFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Claim>>, ApiError> {
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            aid::claims(tx, &auth.caller.scope, &query, paging.request()).await
        })
        .await?,
    ))
}

/// A claim with its steps.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ClaimWithSteps {
    #[serde(flatten)]
    pub claim: Claim,
    pub steps: Vec<ClaimEvent>,
}

#[utoipa::path(get, path = "/api/v1/aid/claims/{id}", tag = "services", params(("id" = Uuid, Path, description = "Claim id")),
    responses((status = 200, body = ClaimWithSteps), (status = 404, body = ErrorBody)))]
pub async fn api_claim(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
) -> Result<Json<ClaimWithSteps>, ApiError> {
    let (claim, steps) = in_read(&auth.app.store, async |tx| {
        let c = aid::get_claim(tx, &auth.caller.scope, id).await?;
        let s = aid::claim_steps(tx, &auth.caller.scope, id).await?;
        Ok((c, s))
    })
    .await?;
    Ok(Json(ClaimWithSteps { claim, steps }))
}

#[utoipa::path(post, path = "/api/v1/aid/claims/{id}/decision", tag = "services", request_body = Decision,
    params(("id" = Uuid, Path, description = "Claim id")),
    responses((status = 200, body = Claim), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not the claim's next step", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_decide(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    Json(d): Json<Decision>,
) -> Result<Json<Claim>, ApiError> {
    Ok(Json(apply(&auth, id, &d).await?))
}

/// The member's mutual aid as `/me` shows it.
#[derive(Default)]
pub struct MeAid {
    pub plans: Vec<OwnPlanView>,
    pub claims: Vec<OwnClaimView>,
    /// Plans covering today, for the claim form: (id, name).
    pub open_plans: Vec<(String, String)>,
    /// Every event of a schedule of those plans: (code, label).
    pub events: Vec<(String, String)>,
    /// Whether a plan covers the member today (the e-card's badge).
    pub covered_today: bool,
}

pub struct OwnPlanView {
    pub name: String,
    pub kind_label: String,
    pub org_name: String,
    pub coverage: String,
    pub payer_label: String,
    pub covers_today: bool,
    /// (event, yuan).
    pub benefits: Vec<(String, String)>,
}

pub struct OwnClaimView {
    pub claim_no: String,
    pub plan_name: String,
    pub event_label: String,
    pub status: String,
    pub status_label: String,
    pub incident_on: String,
    pub claimed: String,
    pub approved: Option<String>,
    pub paid: Option<String>,
    pub reason: Option<String>,
    /// (when, what), oldest first.
    pub steps: Vec<(String, String)>,
}

/// The member's plans and claims, in the page's language.
pub async fn me_views(
    state: &AppState,
    lang: crate::Lang,
    person: Uuid,
) -> Result<MeAid, PageError> {
    let (plans, claims) =
        in_read(&state.store, async |tx| aid::of_person(tx, person).await).await?;
    let cat = crate::i18n::Catalogue::of(lang);
    let t = |k: String| cat.get(&k).to_string();
    let today = state.clock.today();
    let beijing = chrono::FixedOffset::east_opt(8 * 3600);
    let mut events: Vec<(String, String)> = Vec::new();
    let mut open_plans = Vec::new();
    for p in plans.iter().filter(|p| p.covers(today)) {
        open_plans.push((p.plan_id.to_string(), p.name.clone()));
        for (e, _) in p.schedule() {
            if !events.iter().any(|(c, _)| c == e) {
                events.push((e.to_string(), t(format!("aid.event.{e}"))));
            }
        }
    }
    Ok(MeAid {
        covered_today: !open_plans.is_empty(),
        open_plans,
        events,
        plans: plans
            .iter()
            .map(|p| OwnPlanView {
                name: p.name.clone(),
                kind_label: t(format!("aid.kind.{}", p.kind)),
                org_name: p.org_name.clone(),
                coverage: format!("{} – {}", p.covered_from, p.covered_to),
                payer_label: t(format!("aid.payer.{}", p.payer)),
                covers_today: p.covers(today),
                benefits: p
                    .schedule()
                    .into_iter()
                    .map(|(e, fen)| (t(format!("aid.event.{e}")), yuan(fen)))
                    .collect(),
            })
            .collect(),
        claims: claims
            .into_iter()
            .map(|(c, steps)| OwnClaimView {
                status_label: t(format!("aid.status.{}", c.status)),
                event_label: t(format!("aid.event.{}", c.event)),
                incident_on: c.incident_on.to_string(),
                claimed: yuan(c.claimed_fen),
                approved: (c.approved_fen > 0).then(|| yuan(c.approved_fen)),
                paid: (c.paid_fen > 0).then(|| yuan(c.paid_fen)),
                reason: c.reason.clone(),
                steps: steps
                    .into_iter()
                    .map(|s| {
                        let when = chrono::DateTime::from_timestamp_millis(s.at)
                            .zip(beijing)
                            .map(|(d, z)| d.with_timezone(&z).format("%m-%d %H:%M").to_string())
                            .unwrap_or_default();
                        (when, t(format!("aid.status.{}", s.status)))
                    })
                    .collect(),
                claim_no: c.claim_no,
                plan_name: c.plan_name,
                status: c.status,
            })
            .collect(),
    })
}
