//! Members by employer (按工作单位): the employers or platforms named by the active members of a
//! subtree, largest first, matched to the census where an enterprise of that exact name is known.
//! Employers are free text given at joining, so this figure is counted on demand over the
//! subtree's members (not kept in the counters, whose rows would grow with every spelling); it is
//! meant for a township or county, where that takes milliseconds.

use crate::{on_db, orgs, Error, Result, Scope, Tx};
use nuanxin_store::{bind_args, Sql};
use serde::Serialize;

/// One employer and its members.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EmployerCount {
    /// As the members gave it; empty for members who named none.
    pub employer: String,
    pub members: i64,
    /// The census enterprise of that exact name, when known.
    pub uscc: Option<String>,
    /// Its union status: `none`, `preparing` or `unionised`.
    pub union_status: Option<String>,
}

/// The `limit` employers with the most active members in the subtree of `org_code`.
pub async fn employers(
    tx: &mut Tx,
    scope: &Scope,
    org_code: &str,
    limit: i64,
) -> Result<Vec<EmployerCount>> {
    let unit = orgs::get(tx, scope, org_code).await?;
    let within = scope.within(&unit.path).ok_or(Error::NotFound)?;
    let mut q = Sql::new(
        "SELECT COALESCE(TRIM(m.employer), '') AS employer, COUNT(*) FROM memberships m
         JOIN org_units o ON o.id = m.org_id WHERE m.status = 'active' AND ",
    );
    q.scope("o.path", &within)
        .push(" GROUP BY COALESCE(TRIM(m.employer), '') ORDER BY COUNT(*) DESC, 1 LIMIT ")
        .arg(limit.clamp(1, 500));
    let rows: Vec<(String, i64)> =
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for (employer, members) in rows {
        let census: Option<(String, String)> = if employer.is_empty() {
            None
        } else {
            const SQL: &str =
                "SELECT uscc, union_status FROM enterprises WHERE name = $1 ORDER BY uscc LIMIT 1";
            on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(&employer).fetch_optional(c).await)?
        };
        out.push(EmployerCount {
            employer,
            members,
            uscc: census.as_ref().map(|c| c.0.clone()),
            union_status: census.map(|c| c.1),
        });
    }
    Ok(out)
}
