//! Worker services (SPEC section 3.7) in the console and the API: rights cases, labour-law checks,
//! mutual aid, and the one services report each service adds its figures to.

pub mod aid;
pub mod cases;
pub mod help;
pub mod labour_checks;

use crate::auth::ApiAuth;
use crate::coverage::{org_of, period, CoverageQuery};
use crate::error::{ApiError, ErrorBody};
use axum::extract::Query;
use axum::Json;
use nuanxin_core::services::report::{self, ServicesReport};
use nuanxin_core::{in_read, Error};

#[utoipa::path(get, path = "/api/v1/services/report", tag = "services", params(CoverageQuery),
    responses((status = 200, description = "The services figures of the unit's subtree for the period (as `nuanxin report services`)", body = ServicesReport),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_report(
    ApiAuth(auth): ApiAuth,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<ServicesReport>, ApiError> {
    let code = org_of(&auth, &query).map_err(|_| Error::NotFound)?;
    let period = period(&query, auth.caller.today)?;
    Ok(Json(
        in_read(&auth.app.store, async |tx| {
            report::services(tx, &auth.caller.scope, &code, period).await
        })
        .await?,
    ))
}
