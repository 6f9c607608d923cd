//! The OpenAPI document, generated from the attributes on the API handlers it describes and
//! served at `/api/openapi.json`.

use crate::{
    accounts, audit, census, coverage, join, members, orgs, regions, session, stations, targets,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Nuanxin (暖新) API", description = "Org network, regions, accounts, audit, members and joining, census, coverage, targets and stations of the Nuanxin union platform. Every endpoint is limited to the caller's subtrees; a unit outside them answers 404. The nearest-station endpoint needs no login and is rate-limited per client."),
    paths(
        session::api::create, session::api::show, session::api::delete,
        orgs::api::list, orgs::api::create, orgs::api::get, orgs::api::update, orgs::api::children,
        orgs::api::history, orgs::api::move_subtree, orgs::api::dissolve, orgs::api::import,
        regions::api::provinces, regions::api::get, regions::api::children,
        accounts::api::list, accounts::api::create, accounts::api::grant, accounts::api::revoke, accounts::api::create_token,
        audit::list,
        members::api::list, members::api::decide, members::api::push,
        members::events::api_create,
        members::events::api_get,
        members::events::api_members, members::api::reveal, members::api::codes, members::api::rotate,
        join::api::send_code, join::api::join,
        census::api::list, census::api::create, census::api::get, census::api::sources, census::api::unionise, census::api::prospects,
        coverage::api_coverage, coverage::api_trend, coverage::api_employers,
        targets::api_list, targets::api_set, targets::api_split,
        stations::nearby::api_nearest, stations::api::list, stations::api::create, stations::api::get,
        stations::api::update, stations::api::close, stations::api::visit, stations::api::coverage,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::SESSION_COOKIE))),
        );
    }
}
