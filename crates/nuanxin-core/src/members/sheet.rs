//! The members sheet (SPEC section 5): bulk import of members a union already has on paper or in
//! Excel. Each row becomes an active member of the union named by 所属工会编码, joined on the
//! row's date (so that back-dated joins count in the right month). A row that repeats a person
//! already a member (same ID number) is not a new member: the report names the member it matched.

use super::id_vault::IdVault;
use super::join::{activate, register_person, JoinDraft, JoinInput};
use super::Channel;
use crate::accounts::Caller;
use crate::error::RowError;
use crate::sheets::{self, Column, Table};
use crate::{audit, on_db, orgs, Error, Result, Role, Store};
use nuanxin_store::new_id;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub const COLUMNS: [Column; 11] = [
    Column {
        key: "name",
        zh: "姓名",
        required: true,
    },
    Column {
        key: "id_number",
        zh: "身份证号",
        required: true,
    },
    Column {
        key: "phone",
        zh: "手机号",
        required: true,
    },
    Column {
        key: "group",
        zh: "职业群体",
        required: true,
    },
    Column {
        key: "employer",
        zh: "工作单位",
        required: false,
    },
    Column {
        key: "employer_uscc",
        zh: "工作单位统一社会信用代码",
        required: false,
    },
    Column {
        key: "union_code",
        zh: "所属工会编码",
        required: true,
    },
    Column {
        key: "work_region",
        zh: "工作地区划代码",
        required: false,
    },
    Column {
        key: "home_region",
        zh: "户籍地区划代码",
        required: false,
    },
    Column {
        key: "joined_on",
        zh: "入会日期",
        required: false,
    },
    Column {
        key: "channel",
        zh: "入会渠道",
        required: false,
    },
];

/// A row that named a person who is already a member.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Matched {
    pub row: usize,
    pub member_no: Option<String>,
    pub org_code: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub imported: usize,
    pub matched: Vec<Matched>,
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RowError>,
}

pub fn read(bytes: &[u8]) -> std::result::Result<Table, sheets::SheetError> {
    sheets::read(bytes, &COLUMNS)
}

/// Imports members; `progress(done, total)` is called as rows are written. A dry run checks
/// everything in a transaction that is rolled back.
pub async fn import(
    store: &Store,
    vault: &IdVault,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<MemberImportReport> {
    let mut rejected = Vec::new();
    let mut matched = Vec::new();
    let mut imported = 0;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut tx = store.write().await?;
    let total = table.rows.len();
    for (i, (row, cells)) in table.rows.iter().enumerate() {
        let cell = |k: &str| table.cell(cells, k).to_string();
        let opt = |k: &str| Some(cell(k)).filter(|s| !s.is_empty());
        let input = JoinInput {
            name: cell("name"),
            id_number: cell("id_number"),
            phone: cell("phone"),
            group: cell("group"),
            employer: opt("employer"),
            work_region: opt("work_region"),
            home_region: opt("home_region"),
            consent: true,
            request_key: None,
        };
        let mut errs: Vec<(&'static str, &'static str)> =
            match JoinDraft::parse(&input, caller.today) {
                Ok(_) => Vec::new(),
                Err(e) => e,
            };
        let joined_on = match opt("joined_on") {
            None => Some(caller.today),
            Some(s) => match sheets::parse_date(&s) {
                Some(d) if d <= caller.today => Some(d),
                Some(_) => {
                    errs.push(("joined_on", "members.joined_in_future"));
                    None
                }
                None => {
                    errs.push(("joined_on", "errors.bad_date"));
                    None
                }
            },
        };
        let channel = match opt("channel") {
            None => Some(Channel::Import),
            Some(s) => Channel::parse(&s).or_else(|| {
                errs.push(("channel", "members.bad_channel"));
                None
            }),
        };
        let org = match orgs::get(&mut tx, &caller.scope, &cell("union_code")).await {
            Ok(o) if !o.is_active() => {
                errs.push(("union_code", "orgs.parent_dissolved"));
                None
            }
            Ok(o) if caller.scope.role_at(&o.path) < Some(Role::Staff) => {
                errs.push(("union_code", "errors.forbidden"));
                None
            }
            Ok(o) => Some(o),
            Err(Error::NotFound) => {
                errs.push(("union_code", "orgs.unknown_parent"));
                None
            }
            Err(e) => return Err(e),
        };
        if !errs.is_empty() {
            rejected.extend(errs.into_iter().map(|(f, code)| RowError {
                row: *row,
                column: table.header(f),
                code,
            }));
            continue;
        }
        let draft = JoinDraft::parse(&input, caller.today).expect("checked above");
        let (org, joined_on, channel) = (
            org.expect("checked"),
            joined_on.expect("checked"),
            channel.expect("checked"),
        );
        for region in [&draft.work_region, &draft.home_region]
            .into_iter()
            .flatten()
        {
            if crate::regions::get(&mut tx, region).await?.is_none() {
                rejected.push(RowError {
                    row: *row,
                    column: table.header("work_region"),
                    code: "regions.unknown",
                });
            }
        }
        if rejected.last().is_some_and(|e| e.row == *row) {
            continue;
        }
        let hash = vault.lookup_hash(&draft.id);
        if seen.insert(hash.clone(), *row).is_some() {
            rejected.push(RowError {
                row: *row,
                column: table.header("id_number"),
                code: "members.duplicate_in_file",
            });
            continue;
        }
        const ACTIVE: &str =
            "SELECT m.member_no, o.code FROM memberships m JOIN people p ON p.id = m.person_id
            JOIN org_units o ON o.id = m.org_id WHERE p.id_hash = $1 AND m.status = 'active'";
        let existing: Option<(Option<String>, String)> =
            on_db!(tx.conn(), c => sqlx::query_as(ACTIVE).bind(&hash).fetch_optional(c).await)?;
        if let Some((member_no, org_code)) = existing {
            matched.push(Matched {
                row: *row,
                member_no,
                org_code,
            });
            continue;
        }
        let person = register_person(&mut tx, vault, &draft, caller.at).await?;
        // The union's register is the record: a request pending elsewhere gives way.
        const WITHDRAW: &str = "UPDATE memberships SET status = 'withdrawn', updated_at = $2 WHERE person_id = $1 AND status = 'pending'";
        on_db!(tx.conn(), c => sqlx::query(WITHDRAW).bind(person).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
        let id: Uuid = new_id();
        const INSERT: &str = "INSERT INTO memberships (id, person_id, org_id, status, worker_group, employer, work_region, channel,
                consent_at, consent_by, consent_method, requested_at, updated_at)
            VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, 'import', $8, $8)";
        on_db!(tx.conn(), c => sqlx::query(INSERT).bind(id).bind(person).bind(org.id).bind(draft.group.as_str()).bind(&draft.employer)
            .bind(draft.work_region.as_ref().map(|r| r.as_str())).bind(channel.as_str()).bind(caller.at).bind(&caller.actor.name)
            .execute(c).await.map(|r| r.rows_affected()))?;
        activate(&mut tx, id, caller.at, joined_on, &caller.actor.name).await?;
        imported += 1;
        if i % 200 == 0 || i + 1 == total {
            progress(i + 1, total);
        }
    }
    progress(total, total);
    let report = MemberImportReport {
        dry_run,
        rows: total,
        imported,
        matched,
        rejected,
    };
    if dry_run {
        tx.rollback().await?;
    } else {
        audit::record(&mut tx, &caller.actor, caller.at, "members.import", &format!("{total} rows"),
            caller.scope.roots().first().map(|r| r.path.as_str()), serde_json::json!({"imported": imported, "matched": report.matched.len(), "rejected": report.rejected.len()}))
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Headers of the member export.
pub const EXPORT_HEADERS: [&str; 11] = [
    "会员编号",
    "姓名",
    "身份证号",
    "手机号",
    "职业群体",
    "工作单位",
    "所属工会编码",
    "所属工会",
    "状态",
    "入会日期",
    "入会渠道",
];

/// The members matching `filter` as an xlsx workbook (ID numbers masked), streamed from the
/// database into the workbook in constant memory; returns the file and how many rows.
pub async fn export_xlsx(
    tx: &mut crate::Tx,
    scope: &crate::Scope,
    vault: &super::id_vault::IdVault,
    filter: &super::MemberFilter,
) -> crate::Result<(Vec<u8>, u64)> {
    let mut sheet = crate::sheets::XlsxStream::new(
        "会员",
        &EXPORT_HEADERS,
        &[
            16.0, 10.0, 22.0, 14.0, 12.0, 24.0, 14.0, 24.0, 8.0, 12.0, 10.0,
        ],
    )
    .map_err(crate::Error::Internal)?;
    let n = super::for_each(tx, scope, vault, filter, |m| {
        sheet
            .push(&[
                m.member_no.unwrap_or_default(),
                m.name,
                m.id_number,
                m.phone,
                super::WorkerGroup::parse(&m.group)
                    .map(|g| g.zh().to_string())
                    .unwrap_or(m.group),
                m.employer.unwrap_or_default(),
                m.org_code,
                m.org_name,
                m.status,
                m.joined_on.map(|d| d.to_string()).unwrap_or_default(),
                m.channel,
            ])
            .map_err(crate::Error::Internal)
    })
    .await?;
    Ok((sheet.finish().map_err(crate::Error::Internal)?, n))
}
