//! Every route of the console and the API in one table.

use crate::{
    accounts, assets, audit, auth, census, coverage, error, imports, join, members, metrics,
    openapi, orgs, regions, services, session, stations, targets, AppState,
};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use nuanxin_core::census::prospects::ProspectsSheet;
use nuanxin_core::census::sheet::EnterprisesSheet;
use nuanxin_core::members::sheet::MembersSheet;
use nuanxin_core::orgs::sheet::OrgsSheet;
use nuanxin_core::services::care_sheet::CareRecipientsSheet;
use nuanxin_core::services::cases_sheet::CasesSheet;
use nuanxin_core::services::labour_checks_sheet::LabourChecksSheet;
use nuanxin_core::stations::sheet::StationsSheet;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every API route, each registered once: `routes!` reads the path and method from the handler's
/// `#[utoipa::path]`, so the router and the OpenAPI document cannot disagree.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(
            session::api::create,
            session::api::show,
            session::api::delete
        ))
        .routes(routes!(orgs::api::list, orgs::api::create))
        .routes(routes!(orgs::api::import))
        .routes(routes!(orgs::api::get, orgs::api::update))
        .routes(routes!(orgs::api::children))
        .routes(routes!(orgs::api::history))
        .routes(routes!(orgs::api::move_subtree))
        .routes(routes!(orgs::api::dissolve))
        .routes(routes!(regions::api::provinces))
        .routes(routes!(regions::api::get))
        .routes(routes!(regions::api::children))
        .routes(routes!(accounts::api::list, accounts::api::create))
        .routes(routes!(accounts::api::grant))
        .routes(routes!(accounts::api::revoke))
        .routes(routes!(accounts::api::create_token))
        .routes(routes!(audit::list))
        .routes(routes!(members::api::list))
        .routes(routes!(members::api::decide))
        .routes(routes!(members::api::push))
        .routes(routes!(members::api::push_outcome))
        .routes(routes!(
            members::api::set_webhook,
            members::api::get_webhook,
            members::api::remove_webhook
        ))
        .routes(routes!(members::api::webhook_deliveries))
        .routes(routes!(
            services::cases::api_create,
            services::cases::api_list
        ))
        .routes(routes!(
            services::cases::api_get,
            services::cases::api_update
        ))
        .routes(routes!(services::cases::api_add_entry))
        .routes(routes!(services::cases::api_lawyers))
        .routes(routes!(services::photos::api_case_upload))
        .routes(routes!(services::photos::api_show))
        .routes(routes!(services::api_report_groups))
        .routes(routes!(
            services::care::api_create,
            services::care::api_list
        ))
        .routes(routes!(services::care::api_get))
        .routes(routes!(
            services::care::api_scan,
            services::care::api_recipients
        ))
        .routes(routes!(services::care::api_non_members))
        .routes(routes!(services::care::api_handout))
        .routes(routes!(
            services::hardship::api_list,
            services::hardship::api_open
        ))
        .routes(routes!(services::hardship::api_get))
        .routes(routes!(services::hardship::api_assist))
        .routes(routes!(services::hardship::api_review))
        .routes(routes!(services::hardship::api_close))
        .routes(routes!(
            services::notices::api_list,
            services::notices::api_publish
        ))
        .routes(routes!(services::notices::api_get))
        .routes(routes!(
            services::grid::api_list,
            services::grid::api_submit
        ))
        .routes(routes!(services::grid::api_get))
        .routes(routes!(services::grid::api_step))
        .routes(routes!(
            services::grid::api_communities,
            services::grid::api_put_community
        ))
        .routes(routes!(services::grid::api_add_body))
        .routes(routes!(
            services::grid::api_reporters,
            services::grid::api_decide
        ))
        .routes(routes!(
            services::contracts::api_list,
            services::contracts::api_create
        ))
        .routes(routes!(services::contracts::api_coverage))
        .routes(routes!(services::contracts::api_get))
        .routes(routes!(
            services::social_orgs::api_list,
            services::social_orgs::api_put
        ))
        .routes(routes!(services::social_orgs::api_allowances))
        .routes(routes!(
            services::social_orgs::api_projects,
            services::social_orgs::api_project_create
        ))
        .routes(routes!(services::social_orgs::api_project))
        .routes(routes!(services::social_orgs::api_claim))
        .routes(routes!(services::social_orgs::api_result))
        .routes(routes!(
            services::friendly::api_list,
            services::friendly::api_assess
        ))
        .routes(routes!(
            services::competitions::api_list,
            services::competitions::api_create
        ))
        .routes(routes!(services::competitions::api_get))
        .routes(routes!(services::competitions::api_enter))
        .routes(routes!(
            services::offers::api_list,
            services::offers::api_create
        ))
        .routes(routes!(
            services::library::api_list,
            services::library::api_publish
        ))
        .routes(routes!(
            services::honours::api_list,
            services::honours::api_award
        ))
        .routes(routes!(
            services::aid::api_create_plan,
            services::aid::api_plans
        ))
        .routes(routes!(services::aid::api_plan))
        .routes(routes!(services::aid::api_enrol))
        .routes(routes!(services::aid::api_enrolments))
        .routes(routes!(
            services::aid::api_file_claim,
            services::aid::api_claims
        ))
        .routes(routes!(services::aid::api_claim))
        .routes(routes!(services::aid::api_decide))
        .routes(routes!(
            services::labour_checks::api_create,
            services::labour_checks::api_list
        ))
        .routes(routes!(
            services::labour_checks::api_get,
            services::labour_checks::api_update
        ))
        .routes(routes!(services::api_report))
        .routes(routes!(members::api::reveal))
        .routes(routes!(members::api::correct))
        .routes(routes!(members::api::change_id))
        .routes(routes!(members::api::leave))
        .routes(routes!(members::api::retain))
        .routes(routes!(members::api::lapse))
        .routes(routes!(members::api::history))
        .routes(routes!(accounts::api::keep_station))
        .routes(routes!(members::transfers::request_api))
        .routes(routes!(members::transfers::list_api))
        .routes(routes!(members::transfers::accept_api))
        .routes(routes!(members::transfers::object_api))
        .routes(routes!(members::transfers::decide_api))
        .routes(routes!(orgs::pages::transfer_window_api))
        .routes(routes!(orgs::pages::merge_api))
        .routes(routes!(stations::api::services))
        .routes(routes!(census::api::move_members))
        .routes(routes!(
            orgs::pages::liaison_visits_api,
            orgs::pages::liaison_visit_api
        ))
        .routes(routes!(members::api::codes, members::api::rotate))
        .routes(routes!(members::events::api_create))
        .routes(routes!(members::events::api_get))
        .routes(routes!(members::events::api_members))
        .routes(routes!(
            members::events::api_check_in,
            members::events::api_attendance
        ))
        .routes(routes!(join::api::send_code))
        .routes(routes!(join::api::join))
        .routes(routes!(census::api::list, census::api::create))
        .routes(routes!(census::api::get))
        .routes(routes!(census::api::sources))
        .routes(routes!(census::api::unionise))
        .routes(routes!(census::api::prospects))
        .routes(routes!(coverage::api_coverage))
        .routes(routes!(coverage::api_trend))
        .routes(routes!(coverage::api_employers))
        .routes(routes!(targets::api_list, targets::api_set))
        .routes(routes!(targets::api_split))
        .routes(routes!(stations::api::list, stations::api::create))
        .routes(routes!(stations::nearby::api_nearest))
        .routes(routes!(stations::api::coverage))
        .routes(routes!(stations::api::get, stations::api::update))
        .routes(routes!(stations::api::close))
        .routes(routes!(stations::api::visit))
}

/// Every (method, path) of the API as registered, for tools and tests that walk all routes.
pub fn api_routes() -> Vec<(String, String)> {
    let (_, doc) = api().split_for_parts();
    let doc = serde_json::to_value(&doc).unwrap_or_default();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

pub fn router(state: AppState) -> Router {
    // Map tiles come from the configured tile server, the only other origin a page may load from.
    let tiles = state
        .config
        .tiles
        .origin()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    // Scripts only from files the binary serves, and the join page's own live checks by their
    // hash: no inline script in general, so that a stored name that slipped into a page could
    // still not run. Styles may be inline (the join page carries its own for a weak network);
    // style cannot run script.
    let live_checks = join::pages::live_checks_hash();
    let csp = HeaderValue::from_str(&format!("default-src 'self'; img-src 'self' data:{tiles}; style-src 'self' 'unsafe-inline'; script-src 'self' {live_checks}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"))
        .unwrap_or(HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"));
    let pages = Router::new()
        .route("/", get(session::pages::home))
        .route(
            "/login",
            get(session::pages::login_page).post(session::pages::login),
        )
        .route("/logout", post(session::pages::logout))
        .route("/lang/{tag}", get(session::pages::switch_lang))
        .route("/orgs", get(orgs::pages::list))
        .route(
            "/orgs/new",
            get(orgs::pages::new_form).post(orgs::pages::create),
        )
        .route(
            "/orgs/import",
            get(imports::form::<OrgsSheet>).post(imports::submit::<OrgsSheet>),
        )
        .route("/orgs/template.xlsx", get(imports::template::<OrgsSheet>))
        .route("/orgs/export.xlsx", get(orgs::pages::export_xlsx))
        .route("/orgs/export.csv", get(orgs::pages::export_csv))
        .route("/orgs/{code}", get(orgs::pages::show))
        .route(
            "/orgs/{code}/edit",
            get(orgs::pages::edit_form).post(orgs::pages::update),
        )
        .route(
            "/orgs/{code}/move",
            get(orgs::pages::move_form).post(orgs::pages::move_subtree),
        )
        .route(
            "/orgs/{code}/merge",
            get(orgs::pages::merge_form).post(orgs::pages::merge),
        )
        .route(
            "/orgs/{code}/dissolve",
            get(orgs::pages::dissolve_form).post(orgs::pages::dissolve),
        )
        .route("/regions", get(regions::pages::browse))
        .route("/regions/picker", get(regions::pages::picker))
        .route("/accounts", get(accounts::pages::list))
        .route(
            "/accounts/new",
            get(accounts::pages::new_form).post(accounts::pages::create),
        )
        .route("/accounts/{username}", get(accounts::pages::show))
        .route("/accounts/{username}/grant", post(accounts::pages::grant))
        .route(
            "/accounts/{username}/station",
            post(accounts::pages::keep_station),
        )
        .route("/accounts/{username}/revoke", post(accounts::pages::revoke))
        .route(
            "/accounts/{username}/tokens",
            post(accounts::pages::create_token),
        )
        .route(
            "/accounts/{username}/tokens/revoke",
            post(accounts::pages::revoke_token),
        )
        .route("/audit", get(audit::page))
        .route("/members", get(members::pages::list))
        .route("/members/decisions", post(members::pages::decide))
        .route(
            "/members/import",
            get(imports::form::<MembersSheet>).post(imports::submit::<MembersSheet>),
        )
        .route(
            "/members/template.xlsx",
            get(imports::template::<MembersSheet>),
        )
        .route("/members/export.xlsx", get(members::pages::export))
        .route("/members/{id}", get(members::pages::show))
        .route("/members/{id}/reveal", post(members::pages::reveal))
        .route(
            "/members/{id}/correct",
            get(members::pages::correct_form).post(members::pages::correct),
        )
        .route("/members/{id}/id-number", post(members::pages::change_id))
        .route(
            "/members/{id}/end",
            get(members::pages::end_form).post(members::pages::end),
        )
        .route(
            "/members/{id}/transfer",
            get(members::transfers::request_form).post(members::transfers::request),
        )
        .route("/transfers", get(members::transfers::list))
        .route(
            "/orgs/{code}/transfer-window",
            post(orgs::pages::transfer_window),
        )
        .route(
            "/transfers/{id}/accept",
            post(members::transfers::accept_page),
        )
        .route(
            "/transfers/{id}/object",
            post(members::transfers::object_page),
        )
        .route(
            "/transfers/{id}/decide",
            post(members::transfers::decide_page),
        )
        .route(
            "/orgs/{code}/join-code",
            get(members::pages::join_code).post(members::pages::rotate),
        )
        .route(
            "/orgs/{code}/join-code.svg",
            get(members::pages::join_code_svg),
        )
        .route(
            "/orgs/{code}/join-code.pdf",
            get(members::pages::join_code_pdf),
        )
        .route(
            "/orgs/{code}/join-code.png",
            get(members::pages::join_code_png),
        )
        .route(
            "/orgs/{code}/events",
            get(members::events::list).post(members::events::create),
        )
        .route("/events/{id}", get(members::events::show))
        .route("/events/{id}/screen", get(members::events::screen))
        .route("/events/{id}/count", get(members::events::count))
        .route("/events/{id}/close", post(members::events::close))
        .route("/events/{id}/attendance", post(members::events::check_in))
        .route("/cases", get(services::cases::list))
        .route(
            "/cases/import",
            get(imports::form::<CasesSheet>).post(imports::submit::<CasesSheet>),
        )
        .route("/cases/template.xlsx", get(imports::template::<CasesSheet>))
        .route("/cases/export.xlsx", get(services::cases::export))
        .route(
            "/cases/new",
            get(services::cases::new_form).post(services::cases::create),
        )
        .route(
            "/cases/{id}",
            get(services::cases::show).post(services::cases::update),
        )
        .route("/cases/{id}/events", post(services::cases::add_entry))
        .route("/cases/{id}/photos", post(services::photos::case_upload))
        .route("/photos/{id}", get(services::photos::show))
        .route("/care", get(services::care::list))
        .route(
            "/care/import",
            get(imports::form::<CareRecipientsSheet>).post(imports::submit::<CareRecipientsSheet>),
        )
        .route(
            "/care/template.xlsx",
            get(imports::template::<CareRecipientsSheet>),
        )
        .route(
            "/care/new",
            get(services::care::new_form).post(services::care::create),
        )
        .route("/care/{id}", get(services::care::show))
        .route("/care/{id}/scan", post(services::care::scan))
        .route("/care/{id}/non-members", post(services::care::non_members))
        .route("/care/{id}/handout", post(services::care::handout))
        .route("/hardship", get(services::hardship::list))
        .route("/hardship/export.xlsx", get(services::hardship::export))
        .route(
            "/hardship/new",
            get(services::hardship::new_form).post(services::hardship::create),
        )
        .route("/hardship/{id}", get(services::hardship::show))
        .route(
            "/hardship/{id}/assistance",
            post(services::hardship::assist),
        )
        .route("/hardship/{id}/review", post(services::hardship::review))
        .route("/hardship/{id}/close", post(services::hardship::close))
        .route("/grid", get(services::grid::list))
        .route("/grid/export.xlsx", get(services::grid::export))
        .route(
            "/grid/reporters",
            get(services::grid::reporters_list).post(services::grid::flag),
        )
        .route("/grid/reporters/{id}", post(services::grid::decide))
        .route("/grid/setup", get(services::grid::setup_form))
        .route(
            "/grid/setup/communities",
            post(services::grid::put_community),
        )
        .route("/grid/setup/bodies", post(services::grid::add_body))
        .route("/grid/{id}", get(services::grid::show))
        .route("/grid/{id}/status", post(services::grid::step))
        .route("/contracts", get(services::contracts::list))
        .route("/contracts/export.xlsx", get(services::contracts::export))
        .route(
            "/contracts/new",
            get(services::contracts::new_form).post(services::contracts::create),
        )
        .route("/contracts/coverage", get(services::contracts::coverage))
        .route("/contracts/{id}", get(services::contracts::show))
        .route("/contracts/{id}/scan", get(services::contracts::scan))
        .route(
            "/friendly",
            get(services::friendly::list).post(services::friendly::assess),
        )
        .route(
            "/social-orgs",
            get(services::social_orgs::list).post(services::social_orgs::put),
        )
        .route(
            "/social-orgs/allowance",
            get(services::social_orgs::allowance).post(services::social_orgs::set_bands),
        )
        .route(
            "/social-orgs/allowance.xlsx",
            get(services::social_orgs::allowance_xlsx),
        )
        .route(
            "/projects",
            get(services::social_orgs::projects_list).post(services::social_orgs::project_create),
        )
        .route("/projects/{id}", get(services::social_orgs::project_show))
        .route(
            "/projects/{id}/claim",
            post(services::social_orgs::project_claim),
        )
        .route(
            "/projects/{id}/result",
            post(services::social_orgs::project_result),
        )
        .route("/notices", get(services::notices::list))
        .route(
            "/notices/new",
            get(services::notices::new_form).post(services::notices::create),
        )
        .route("/notices/{id}", get(services::notices::show))
        .route("/notices/{id}/withdraw", post(services::notices::withdraw))
        .route(
            "/honours",
            get(services::honours::list).post(services::honours::create),
        )
        .route(
            "/competitions",
            get(services::competitions::list).post(services::competitions::create),
        )
        .route("/competitions/{id}", get(services::competitions::show))
        .route(
            "/competitions/{id}/entries",
            post(services::competitions::enter),
        )
        .route(
            "/competition-entries/{id}/certificate.pdf",
            get(services::competitions::certificate),
        )
        .route(
            "/offers",
            get(services::offers::list).post(services::offers::create),
        )
        .route("/offers/{id}/withdraw", post(services::offers::withdraw))
        .route(
            "/verify/{token}",
            get(services::offers::verify_form).post(services::offers::verify),
        )
        .route(
            "/library",
            get(services::library::list).post(services::library::create),
        )
        .route("/library/{id}/pdf", get(services::library::pdf))
        .route("/library/{id}/withdraw", post(services::library::withdraw))
        .route("/services/report", get(services::report_page))
        .route("/services/report.xlsx", get(services::report_xlsx))
        .route("/aid", get(services::aid::plans))
        .route(
            "/aid/plans/new",
            get(services::aid::new_plan_form).post(services::aid::create_plan),
        )
        .route("/aid/plans/{id}", get(services::aid::show_plan))
        .route("/aid/plans/{id}/enrol", post(services::aid::enrol))
        .route(
            "/aid/plans/{id}/enrolments.xlsx",
            get(services::aid::export_enrolments),
        )
        .route("/aid/claims", get(services::aid::claims))
        .route(
            "/aid/claims/{id}",
            get(services::aid::show_claim).post(services::aid::decide),
        )
        .route("/labour-checks", get(services::labour_checks::list))
        .route(
            "/labour-checks/import",
            get(imports::form::<LabourChecksSheet>).post(imports::submit::<LabourChecksSheet>),
        )
        .route(
            "/labour-checks/template.xlsx",
            get(imports::template::<LabourChecksSheet>),
        )
        .route(
            "/labour-checks/export.xlsx",
            get(services::labour_checks::export),
        )
        .route(
            "/labour-checks/new",
            get(services::labour_checks::new_form).post(services::labour_checks::create),
        )
        .route(
            "/labour-checks/{id}",
            get(services::labour_checks::show).post(services::labour_checks::update),
        )
        .route(
            "/j/{code}",
            get(join::pages::form).post(join::pages::submit),
        )
        .route("/j/{code}/employers", get(join::pages::employers))
        .route("/me", get(join::pages::me))
        .route(
            "/me/login",
            get(join::pages::login_form).post(join::pages::login),
        )
        .route("/me/leave", post(join::pages::leave))
        .route("/me/transfer", post(join::pages::transfer))
        .route("/me/work", post(join::pages::work))
        .route("/me/help", post(join::pages::help))
        .route(
            "/help",
            get(services::help::form).post(services::help::submit),
        )
        .route("/me/claim", post(join::pages::claim))
        .route("/me/notices/{id}", get(services::notices::member_read))
        .route("/me/grid", get(services::grid::me_home))
        .route("/me/grid/enrol", post(services::grid::me_enrol))
        .route(
            "/me/grid/new",
            get(services::grid::me_new).post(services::grid::me_submit),
        )
        .route("/me/grid/nearby", get(services::grid::me_nearby))
        .route("/me/grid/photos/{id}", get(services::grid::me_photo))
        .route("/me/grid/{id}", get(services::grid::me_report))
        .route("/me/grid/{id}/reopen", post(services::grid::me_reopen))
        .route("/me/grid/{id}/photos", post(services::grid::me_add_photo))
        .route("/me/library", get(services::library::member_shelf))
        .route("/me/library/{id}", get(services::library::member_read))
        .route("/me/library/{id}/pdf", get(services::library::member_pdf))
        .route(
            "/me/honours/{id}/showcase",
            post(services::honours::member_showcase),
        )
        .route("/showcase/{code}", get(services::honours::showcase))
        .route(
            "/showcase/photos/{id}",
            get(services::honours::showcase_photo),
        )
        .route("/me/photos/{id}", get(services::notices::member_photo))
        .route("/me/phone", post(join::pages::phone))
        .route("/me/logout", post(join::pages::logout))
        .route("/dashboard", get(coverage::dashboard))
        .route("/dashboard/export.xlsx", get(coverage::export))
        .route("/dashboard/employers", get(coverage::employers_page))
        .route("/targets", get(targets::show).post(targets::set))
        .route("/targets/contact", post(targets::contact))
        .route("/targets/{id}/split", post(targets::split))
        .route("/stations", get(stations::pages::list))
        .route("/stations/nearby", get(stations::nearby::page))
        .route(
            "/stations/new",
            get(stations::pages::new_form).post(stations::pages::create),
        )
        .route(
            "/stations/import",
            get(imports::form::<StationsSheet>).post(imports::submit::<StationsSheet>),
        )
        .route(
            "/stations/template.xlsx",
            get(imports::template::<StationsSheet>),
        )
        .route("/stations/export.xlsx", get(stations::pages::export))
        .route(
            "/stations/circle",
            get(stations::circle::circle_form).post(stations::circle::circle_run),
        )
        .route("/stations/{id}", get(stations::pages::show))
        .route(
            "/stations/{id}/edit",
            get(stations::pages::edit_form).post(stations::pages::update),
        )
        .route("/stations/{id}/visits", post(stations::pages::visit))
        .route("/stations/{id}/services", post(stations::pages::services))
        .route("/stations/{id}/close", post(stations::pages::close))
        .route("/stations/{id}/reopen", post(stations::pages::reopen))
        .route("/census", get(census::pages::list))
        .route(
            "/census/new",
            get(census::pages::new_form).post(census::pages::create),
        )
        .route(
            "/census/import",
            get(imports::form::<EnterprisesSheet>).post(imports::submit::<EnterprisesSheet>),
        )
        .route(
            "/census/template.xlsx",
            get(imports::template::<EnterprisesSheet>),
        )
        .route("/census/export.xlsx", get(census::pages::export))
        .route("/census/prospects", get(census::prospects::prospects_list))
        .route(
            "/census/prospects/import",
            get(imports::form::<ProspectsSheet>).post(imports::submit::<ProspectsSheet>),
        )
        .route(
            "/census/prospects/template.xlsx",
            get(imports::template::<ProspectsSheet>),
        )
        .route(
            "/census/prospects/{id}/invite",
            post(census::prospects::invite),
        )
        .route("/census/{uscc}", get(census::pages::show))
        .route(
            "/census/{uscc}/edit",
            get(census::pages::edit_form).post(census::pages::update),
        )
        .route("/census/{uscc}/resolve", post(census::pages::resolve))
        .route("/census/{uscc}/unionise", post(census::pages::unionise))
        .route(
            "/census/{uscc}/move-members",
            post(census::pages::move_members),
        )
        .route(
            "/census/{uscc}/liaison-visits",
            post(census::pages::liaison_visit),
        )
        .route(
            "/orgs/{code}/liaison-visits",
            post(orgs::pages::liaison_visit),
        )
        .layer(middleware::from_fn(error::render_error_pages));

    let (api, doc) = api().split_for_parts();
    // Serialised once: the document never changes while the server runs.
    let doc: std::sync::Arc<serde_json::Value> =
        std::sync::Arc::new(serde_json::to_value(&doc).unwrap_or_default());
    let hsts = state
        .config
        .https()
        .then(|| HeaderValue::from_static("max-age=31536000"));
    Router::new()
        .merge(pages)
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(metrics::ready))
        .route("/metrics", get(metrics::render))
        .route("/assets/{*path}", get(assets::serve))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(20 << 20))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(tower::util::option_layer(hsts.map(|v| {
            SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, v)
        })))
        // gzip or brotli, as the browser accepts: ECharts is 1.1 MB as written, ~0.37 MB sent.
        .layer(tower_http::compression::CompressionLayer::new())
        // One log line per request (a JSON object with NUANXIN_LOG_FORMAT=json), tied to the
        // request's id, which the answer carries as x-request-id.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), uri = %req.uri().path())
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
        .with_state(state)
}
