//! The OpenAPI document, generated from the attributes on the API handlers it describes and
//! served at `/api/openapi.json`. Its paths come from the routes themselves (`router::api`):
//! this is only the title, the description and the security schemes.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Nuanxin (暖新) API", description = "Org network, regions, accounts, audit, members and joining, census, coverage, targets and stations of the Nuanxin union platform. Every endpoint is limited to the caller's subtrees; a unit outside them answers 404. The nearest-station endpoint needs no login and is rate-limited per client."),
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
