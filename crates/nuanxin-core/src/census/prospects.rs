//! Prospects: workers the union knows of (from a partner push or the census) who are not members.
//! They count in the membership rate's denominator; a cadre lists them and invites them by SMS
//! with the join link of their union.

use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::members::id_vault::IdVault;
use crate::members::identity::{PersonName, Phone, ResidentId};
use crate::members::sms::SmsSender;
use crate::members::WorkerGroup;
use crate::page::{Listing, Page, PageRequest};
use crate::regions::RegionCode;
use crate::sheets::import::{self, Cells, Count, ImportReport, Importer, Tally};
use crate::{in_write, on_db, orgs, Error, Result, Role, Scope, Store, Tx};
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
    let narrowed = orgs::narrow(tx, scope, org).await?;
    let mut w = Sql::new(" WHERE ");
    w.scope("o.path", &narrowed);
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        w.push(" AND (p.name LIKE ")
            .arg(format!("%{q}%"))
            .push(" OR p.employer LIKE ")
            .arg(format!("%{q}%"))
            .push(")");
    }
    let mut page: Page<Prospect> = Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM prospects p JOIN org_units o ON o.id = p.org_id",
        filter: w,
        order: "p.created_at DESC",
        id: "p.id",
    }
    .page(tx, page)
    .await?;
    for p in &mut page.items {
        p.phone = p
            .phone
            .as_deref()
            .and_then(|s| Phone::parse(s).ok())
            .map(|p| p.mask());
    }
    Ok(page)
}

/// Sends an invitation SMS with the join link of the prospect's union (its current join code
/// under `public_url`, made if it has none) and notes when. Members are not invited again.
pub async fn invite(
    store: &Store,
    caller: &Caller,
    sms: &dyn SmsSender,
    id: Uuid,
    public_url: &str,
) -> Result<()> {
    in_write(store, async |tx| {
        let mut q = Sql::new("SELECT p.phone, o.path, o.name, o.code FROM prospects p JOIN org_units o ON o.id = p.org_id WHERE p.id = ");
        q.arg(id).push(" AND ").scope("o.path", &caller.scope);
        let row: Option<(Option<String>, String, String, String)> = on_db!(tx.conn(), c => bind_args!(sqlx::query_as(&q.sql), &q.args).fetch_optional(c).await)?;
        let (phone, path, org_name, org_code) = row.ok_or(Error::NotFound)?;
        if caller.scope.role_at(&path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        let code = crate::members::current_code(tx, caller, &org_code, "qr").await?;
        let link = format!("{}/j/{}", public_url.trim_end_matches('/'), code.code);
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
        let target = id.to_string();
        let details = serde_json::json!({});
        caller.audit(tx, "census.invite", &target, Some(&path), details).await
    })
    .await
}

/// Columns of the prospects sheet: workers known from a census, a platform list or a window,
/// who have not (yet) consented to join.
pub const COLUMNS: [crate::sheets::Column; 8] = [
    crate::sheets::Column::new("name", "姓名", true),
    crate::sheets::Column::new("id_number", "身份证号", false),
    crate::sheets::Column::new("phone", "手机号", true),
    crate::sheets::Column::new("group", "职业群体", true),
    crate::sheets::Column::new("employer", "工作单位", false),
    crate::sheets::Column::new("employer_uscc", "工作单位统一社会信用代码", false),
    crate::sheets::Column::new("work_region", "工作地区划代码", true),
    crate::sheets::Column::new("source", "来源", false),
];

/// What a prospect import counted.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ProspectTally {
    pub created: usize,
    /// Rows of a person the union already knew: their details were updated.
    pub updated: usize,
    /// Of the rows taken, those linked to a census enterprise by its USCC.
    pub linked_to_enterprise: usize,
}

impl Tally for ProspectTally {
    fn counts(&self, _dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: "census.prospects_created",
                n: self.created,
            },
            Count {
                key: "census.prospects_updated",
                n: self.updated,
            },
            Count {
                key: "census.prospects_linked",
                n: self.linked_to_enterprise,
            },
        ]
    }
}

/// What a prospect import did (or, in a dry run, would do).
pub type ProspectImportReport = ImportReport<ProspectTally>;

/// A prospect row checked on its own.
pub struct ProspectRow {
    name: PersonName,
    id: Option<ResidentId>,
    phone: Phone,
    group: WorkerGroup,
    region: RegionCode,
    uscc: Option<super::Uscc>,
    employer: Option<String>,
    source: String,
}

/// Prospect rows. Each goes to the union a partner push would choose (a unionised employer's own
/// union, else the joint union of the work township or county), and is linked to its census
/// enterprise when the USCC is known there. A person is known by ID number when given, else by
/// phone, per union: importing again updates and never counts twice.
struct ProspectRows<'a> {
    vault: &'a IdVault,
}

impl Importer for ProspectRows<'_> {
    type Row = ProspectRow;
    type Tally = ProspectTally;
    const ACTION: &'static str = "census.prospects_import";
    const NOT_FOUND: (&'static str, &'static str) = ("work_region", "members.no_union_for_region");

    fn parse(&mut self, cells: &Cells<'_>, caller: &Caller) -> Result<ProspectRow, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = PersonName::parse(&cells.text("name"))
            .map_err(|e| errs.take("name", &e))
            .ok();
        let id = match cells.opt("id_number") {
            None => None,
            Some(s) => ResidentId::parse(&s, caller.today)
                .map_err(|e| errs.take("id_number", &e))
                .ok(),
        };
        let phone = Phone::parse(&cells.text("phone"))
            .map_err(|e| errs.take("phone", &e))
            .ok();
        let group = WorkerGroup::parse(&cells.text("group"));
        if group.is_none() {
            errs.push("group", "members.bad_group");
        }
        let region = RegionCode::parse(&cells.text("work_region"))
            .map_err(|_| errs.push("work_region", "regions.bad_code"))
            .ok();
        let uscc = match cells.opt("employer_uscc") {
            None => None,
            Some(s) => super::Uscc::parse(&s)
                .map_err(|e| errs.push("employer_uscc", e.code()))
                .ok(),
        };
        match (name, phone, group, region) {
            (Some(name), Some(phone), Some(group), Some(region)) if errs.is_empty() => {
                Ok(ProspectRow {
                    name,
                    id,
                    phone,
                    group,
                    region,
                    uscc,
                    employer: cells.opt("employer").map(|e| e.chars().take(100).collect()),
                    source: cells.opt("source").unwrap_or_else(|| "import".into()),
                })
            }
            _ => Err(errs),
        }
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        p: &ProspectRow,
        tally: &mut ProspectTally,
    ) -> Result<()> {
        if crate::regions::get(tx, &p.region).await?.is_none() {
            return Err(Error::invalid("work_region", "regions.unknown"));
        }
        let target = crate::members::partner::route(
            tx,
            &caller.scope,
            &p.region,
            p.uscc.as_ref().map(|u| u.as_str()),
            p.employer.as_deref(),
        )
        .await?
        .ok_or(Error::NotFound)?;
        let enterprise: Option<Uuid> = match &p.uscc {
            Some(u) => {
                on_db!(tx.conn(), c => sqlx::query_scalar("SELECT id FROM enterprises WHERE uscc = $1")
                .bind(u.as_str()).fetch_optional(c).await)?
            }
            None => None,
        };
        let hash = p.id.as_ref().map(|id| self.vault.lookup_hash(id));
        const BY_ID: &str = "SELECT id FROM prospects WHERE id_hash = $1 AND org_id = $2";
        const BY_PHONE: &str =
            "SELECT id FROM prospects WHERE id_hash IS NULL AND phone = $1 AND org_id = $2";
        let known: Option<Uuid> = match &hash {
            Some(h) => {
                on_db!(tx.conn(), c => sqlx::query_scalar(BY_ID).bind(h).bind(target.org_id).fetch_optional(c).await)?
            }
            None => {
                on_db!(tx.conn(), c => sqlx::query_scalar(BY_PHONE).bind(p.phone.as_str()).bind(target.org_id).fetch_optional(c).await)?
            }
        };
        match known {
            Some(pid) => {
                const UPDATE: &str = "UPDATE prospects SET name = $2, phone = $3, worker_group = $4, employer = $5, source = $6 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(UPDATE).bind(pid).bind(p.name.as_str()).bind(p.phone.as_str())
                    .bind(p.group.as_str()).bind(&p.employer).bind(&p.source).execute(c).await.map(|r| r.rows_affected()))?;
                tally.updated += 1;
            }
            None => {
                const INSERT: &str = "INSERT INTO prospects (id, org_id, id_hash, id_sealed, name, phone, worker_group, employer,
                        work_region, source, created_at, enterprise_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
                let sealed = p.id.as_ref().map(|id| self.vault.seal(id));
                on_db!(tx.conn(), c => sqlx::query(INSERT).bind(nuanxin_store::new_id()).bind(target.org_id).bind(&hash)
                    .bind(&sealed).bind(p.name.as_str()).bind(p.phone.as_str()).bind(p.group.as_str()).bind(&p.employer)
                    .bind(p.region.as_str()).bind(&p.source).bind(caller.at).bind(enterprise)
                    .execute(c).await.map(|r| r.rows_affected()))?;
                crate::coverage::counts::bump(
                    tx,
                    &target.org_path,
                    &crate::coverage::counts::prospect_deltas(enterprise.is_some(), 1),
                )
                .await?;
                tally.created += 1;
            }
        }
        if enterprise.is_some() {
            tally.linked_to_enterprise += 1;
        }
        Ok(())
    }
}

/// The prospects sheet, as pages and the command line import it.
pub struct ProspectsSheet;

impl import::SheetImport for ProspectsSheet {
    type Tally = ProspectTally;
    const NAME: &'static str = "prospects";
    const COLUMNS: &'static [crate::sheets::Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        let groups = WorkerGroup::ALL.iter().map(|g| g.zh()).collect();
        crate::sheets::write_template("潜在会员", &COLUMNS, &[("group", groups)], &[])
    }

    async fn import(
        store: &Store,
        vault: &IdVault,
        caller: &Caller,
        table: &crate::sheets::Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<ProspectImportReport> {
        import::run(
            store,
            caller,
            table,
            dry_run,
            ProspectRows { vault },
            progress,
        )
        .await
    }
}
