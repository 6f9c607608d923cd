//! Prospects: workers the union knows of (from a partner push or the census) who are not members.
//! They count in the membership rate's denominator; a cadre lists them and invites them by SMS
//! with the join link of their union.

use crate::accounts::Caller;
use crate::members::identity::Phone;
use crate::members::sms::SmsSender;
use crate::page::{Page, PageRequest};
use crate::{audit, on_db, orgs, Error, Result, Role, Scope, Tx};
use nuanxin_store::{bind_args, Sql};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Prospect {
    pub id: Uuid,
    pub name: String,
    /// Masked: 138****5678.
    pub phone: Option<String>,
    pub group: String,
    pub employer: Option<String>,
    pub work_region: Option<String>,
    pub org_code: String,
    pub org_name: String,
    pub source: String,
    pub created_at: i64,
    pub invited_at: Option<i64>,
    /// Whether the person has since become a member anywhere.
    pub member: bool,
}

const SELECT: &str = "SELECT p.id, p.name, p.phone, p.worker_group AS \"group\", p.employer, p.work_region, o.code AS org_code,
        o.name AS org_name, p.source, p.created_at, p.invited_at,
        EXISTS (SELECT 1 FROM people pe JOIN memberships m ON m.person_id = pe.id
                WHERE pe.id_hash = p.id_hash AND m.status = 'active') AS member
    FROM prospects p JOIN org_units o ON o.id = p.org_id";

/// Prospects at units in scope (of the subtree of `org` when given), newest first.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    org: Option<&str>,
    q: Option<&str>,
    page: PageRequest,
) -> Result<Page<Prospect>> {
    let narrowed = match org.filter(|o| !o.trim().is_empty()) {
        Some(code) => {
            let unit = orgs::get(tx, scope, code).await?;
            Some(scope.within(&unit.path).ok_or(Error::NotFound)?)
        }
        None => None,
    };
    let mut w = Sql::new(" WHERE ");
    w.scope("o.path", narrowed.as_ref().unwrap_or(scope));
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        w.push(" AND (p.name LIKE ")
            .arg(format!("%{q}%"))
            .push(" OR p.employer LIKE ")
            .arg(format!("%{q}%"))
            .push(")");
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM prospects p JOIN org_units o ON o.id = p.org_id{}",
        w.sql
    );
    let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count_sql), &w.args).fetch_one(c).await)?;
    let mut sql = Sql {
        sql: format!("{SELECT}{} ORDER BY p.created_at DESC, p.id LIMIT ", w.sql),
        args: w.args,
    };
    sql.arg(page.limit()).push(" OFFSET ").arg(page.offset());
    let mut items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Prospect>(&sql.sql), &sql.args).fetch_all(c).await)?;
    for p in &mut items {
        p.phone = p
            .phone
            .as_deref()
            .and_then(|s| Phone::parse(s).ok())
            .map(|p| p.mask());
    }
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Sends an invitation SMS with the join link of the prospect's union (`link_of(org_code)`
/// gives the link) and notes when. Members are not invited again.
pub async fn invite(
    tx: &mut Tx,
    caller: &Caller,
    sms: &dyn SmsSender,
    id: Uuid,
    link: &str,
) -> Result<()> {
    let mut q = Sql::new("SELECT p.phone, o.path, o.name FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE p.id = ");
    q.arg(id).push(" AND ").scope("o.path", &caller.scope);
    let row: Option<(Option<String>, String, String)> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_optional(c).await)?;
    let (phone, path, org_name) = row.ok_or(Error::NotFound)?;
    if caller.scope.role_at(&path) < Some(Role::Staff) {
        return Err(Error::Forbidden);
    }
    let phone = phone
        .as_deref()
        .and_then(|p| Phone::parse(p).ok())
        .ok_or(Error::invalid("phone", "census.prospect_without_phone"))?;
    let text = format!("【暖新】{org_name}邀请您加入工会，扫码或打开 {link} 一分钟完成入会。");
    sms.send(&phone, &text)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("sms: {e}")))?;
    const SQL: &str = "UPDATE prospects SET invited_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        &caller.actor,
        caller.at,
        "census.invite",
        &id.to_string(),
        Some(&path),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

/// The code of the union a prospect is known at, in scope.
pub async fn union_of(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<String> {
    let mut q = Sql::new(
        "SELECT o.code FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE p.id = ",
    );
    q.arg(id).push(" AND ").scope("o.path", scope);
    on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&q.sql), &q.args).fetch_optional(c).await)?
        .ok_or(Error::NotFound)
}

/// Columns of the prospects sheet: workers known from a census, a platform list or a window,
/// who have not (yet) consented to join.
pub const COLUMNS: [crate::sheets::Column; 8] = [
    crate::sheets::Column {
        key: "name",
        zh: "姓名",
        required: true,
    },
    crate::sheets::Column {
        key: "id_number",
        zh: "身份证号",
        required: false,
    },
    crate::sheets::Column {
        key: "phone",
        zh: "手机号",
        required: true,
    },
    crate::sheets::Column {
        key: "group",
        zh: "职业群体",
        required: true,
    },
    crate::sheets::Column {
        key: "employer",
        zh: "工作单位",
        required: false,
    },
    crate::sheets::Column {
        key: "employer_uscc",
        zh: "工作单位统一社会信用代码",
        required: false,
    },
    crate::sheets::Column {
        key: "work_region",
        zh: "工作地区划代码",
        required: true,
    },
    crate::sheets::Column {
        key: "source",
        zh: "来源",
        required: false,
    },
];

pub fn read(bytes: &[u8]) -> std::result::Result<crate::sheets::Table, crate::sheets::SheetError> {
    crate::sheets::read(bytes, &COLUMNS)
}

/// What a prospect import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProspectImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    /// Rows of a person the union already knew: their details were updated.
    pub updated: usize,
    /// Of the rows taken, those linked to a census enterprise by its USCC.
    pub linked_to_enterprise: usize,
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<crate::error::RowError>,
}

/// Imports prospects in one transaction. Each row goes to the union a partner push would choose
/// (a unionised employer's own union, else the joint union of the work township or county), and
/// is linked to its census enterprise when the USCC is known there. A person is known by ID number
/// when given, else by phone, per union: importing again updates and never counts twice.
pub async fn import(
    store: &crate::Store,
    vault: &crate::members::id_vault::IdVault,
    caller: &Caller,
    table: &crate::sheets::Table,
    dry_run: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<ProspectImportReport> {
    use crate::error::RowError;
    use crate::members::identity::{PersonName, ResidentId};
    use crate::members::WorkerGroup;
    use crate::regions::RegionCode;
    let mut report = ProspectImportReport {
        dry_run,
        rows: table.rows.len(),
        created: 0,
        updated: 0,
        linked_to_enterprise: 0,
        rejected: Vec::new(),
    };
    let mut tx = store.write().await?;
    let total = table.rows.len();
    for (i, (row, cells)) in table.rows.iter().enumerate() {
        let cell = |k: &str| table.cell(cells, k).to_string();
        let mut errs: Vec<(&'static str, &'static str)> = Vec::new();
        let mut take = |e: Error| errs.push((e.field().unwrap_or("name"), e.code()));
        let name = PersonName::parse(&cell("name")).map_err(&mut take).ok();
        let id = match cell("id_number").trim() {
            "" => None,
            s => ResidentId::parse(s, caller.today).map_err(&mut take).ok(),
        };
        let phone = Phone::parse(&cell("phone")).map_err(&mut take).ok();
        let group = WorkerGroup::parse(&cell("group"));
        if group.is_none() {
            errs.push(("group", "members.bad_group"));
        }
        let region = match RegionCode::parse(&cell("work_region")) {
            Ok(r) => Some(r),
            Err(_) => {
                errs.push(("work_region", "regions.bad_code"));
                None
            }
        };
        let uscc = match cell("employer_uscc").trim() {
            "" => None,
            s => match super::Uscc::parse(s) {
                Ok(u) => Some(u),
                Err(e) => {
                    errs.push(("employer_uscc", e.code()));
                    None
                }
            },
        };
        let (Some(name), Some(phone), Some(group), Some(region), true) =
            (name, phone, group, region, errs.is_empty())
        else {
            report
                .rejected
                .extend(errs.into_iter().map(|(f, code)| RowError {
                    row: *row,
                    column: table.header(f),
                    code,
                }));
            continue;
        };
        if crate::regions::get(&mut tx, &region).await?.is_none() {
            report.rejected.push(RowError {
                row: *row,
                column: table.header("work_region"),
                code: "regions.unknown",
            });
            continue;
        }
        let employer = Some(
            cell("employer")
                .trim()
                .chars()
                .take(100)
                .collect::<String>(),
        )
        .filter(|e| !e.is_empty());
        let target = crate::members::partner::route(
            &mut tx,
            &caller.scope,
            &region,
            uscc.as_ref().map(|u| u.as_str()),
            employer.as_deref(),
        )
        .await?;
        let Some(target) = target else {
            report.rejected.push(RowError {
                row: *row,
                column: table.header("work_region"),
                code: "members.no_union_for_region",
            });
            continue;
        };
        let enterprise: Option<Uuid> = match &uscc {
            Some(u) => {
                on_db!(tx.conn(), c => sqlx::query_scalar("SELECT id FROM enterprises WHERE uscc = $1")
                .bind(u.as_str()).fetch_optional(c).await)?
            }
            None => None,
        };
        let hash = id.as_ref().map(|id| vault.lookup_hash(id));
        const BY_ID: &str = "SELECT id FROM prospects WHERE id_hash = $1 AND org_id = $2";
        const BY_PHONE: &str =
            "SELECT id FROM prospects WHERE id_hash IS NULL AND phone = $1 AND org_id = $2";
        let known: Option<Uuid> = match &hash {
            Some(h) => {
                on_db!(tx.conn(), c => sqlx::query_scalar(BY_ID).bind(h).bind(target.org_id).fetch_optional(c).await)?
            }
            None => {
                on_db!(tx.conn(), c => sqlx::query_scalar(BY_PHONE).bind(phone.as_str()).bind(target.org_id).fetch_optional(c).await)?
            }
        };
        let source = Some(cell("source").trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "import".into());
        match known {
            Some(pid) => {
                const UPDATE: &str = "UPDATE prospects SET name = $2, phone = $3, worker_group = $4, employer = $5, source = $6 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(UPDATE).bind(pid).bind(name.as_str()).bind(phone.as_str())
                    .bind(group.as_str()).bind(&employer).bind(&source).execute(c).await.map(|r| r.rows_affected()))?;
                report.updated += 1;
            }
            None => {
                const INSERT: &str = "INSERT INTO prospects (id, org_id, id_hash, id_sealed, name, phone, worker_group, employer,
                        work_region, source, created_at, enterprise_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
                let sealed = id.as_ref().map(|id| vault.seal(id));
                on_db!(tx.conn(), c => sqlx::query(INSERT).bind(nuanxin_store::new_id()).bind(target.org_id).bind(&hash)
                    .bind(&sealed).bind(name.as_str()).bind(phone.as_str()).bind(group.as_str()).bind(&employer)
                    .bind(region.as_str()).bind(&source).bind(caller.at).bind(enterprise)
                    .execute(c).await.map(|r| r.rows_affected()))?;
                crate::coverage::counts::bump(
                    &mut tx,
                    &target.org_path,
                    &crate::coverage::counts::prospect_deltas(enterprise.is_some(), 1),
                )
                .await?;
                report.created += 1;
            }
        }
        if enterprise.is_some() {
            report.linked_to_enterprise += 1;
        }
        if i % 200 == 0 {
            progress(i + 1, total);
        }
    }
    progress(total, total);
    if dry_run {
        tx.rollback().await?;
    } else {
        audit::record(
            &mut tx,
            &caller.actor,
            caller.at,
            "census.prospects_import",
            &format!("{total} rows"),
            caller.scope.roots().first().map(|r| r.path.as_str()),
            serde_json::json!({"created": report.created, "updated": report.updated, "rejected": report.rejected.len()}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// The import template, with notes, text formats (ID numbers, phones, USCC) and a drop-down of
/// the worker groups.
pub fn template() -> anyhow::Result<Vec<u8>> {
    let groups = crate::members::WorkerGroup::ALL
        .iter()
        .map(|g| g.zh())
        .collect();
    crate::sheets::write_template("潜在会员", &COLUMNS, &[("group", groups)], &[])
}
