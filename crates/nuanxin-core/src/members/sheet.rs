//! The members sheet (SPEC section 5): bulk import of members a union already has on paper or in
//! Excel. Each row becomes an active member of the union named by 所属工会编码, joined on the
//! row's date (so that back-dated joins count in the right month). A row that repeats a person
//! already a member (same ID number) is not a new member: the report names the member it matched.

use super::id_vault::IdVault;
use super::join::{member_no_candidate, JoinDraft, JoinInput};
use super::Channel;
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::error::RowError;
use crate::regions::RegionCode;
use crate::sheets::import::{Count, Extra, ImportReport, Tally};
use crate::sheets::{self, Column, Table};
use crate::{on_db, orgs, Backend, Error, Result, Role, Store, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub const COLUMNS: [Column; 11] = [
    Column::new("name", "姓名", true),
    Column::new("id_number", "身份证号", true),
    Column::new("phone", "手机号", true),
    Column::new("group", "职业群体", true),
    Column::new("employer", "工作单位", false),
    Column::new("employer_uscc", "工作单位统一社会信用代码", false),
    Column::new("union_code", "所属工会编码", true),
    Column::new("work_region", "工作地区划代码", false),
    Column::new("home_region", "户籍地区划代码", false),
    Column::new("joined_on", "入会日期", false),
    Column::new("channel", "入会渠道", false),
];

/// A row that named a person who is already a member, or who belongs to a union outside the
/// caller's scope: the import changes nothing of them. Their number and union are given only
/// where the caller's scope holds them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Matched {
    pub row: usize,
    pub member_no: Option<String>,
    pub org_code: Option<String>,
}

/// What a member import counted: the members taken and the rows of people already on record.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct MemberTally {
    pub imported: usize,
    pub matched: Vec<Matched>,
}

impl Tally for MemberTally {
    fn counts(&self, dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: if dry_run {
                    "orgs.import_would"
                } else {
                    "orgs.import_done"
                },
                n: self.imported,
            },
            Count {
                key: "members.import_matched",
                n: self.matched.len(),
            },
        ]
    }

    fn extra(&self) -> Option<Extra> {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
        Some(Extra {
            title: "members.already_members",
            headers: vec!["members.member_no", "members.org"],
            rows: self
                .matched
                .iter()
                .map(|m| (m.row, vec![dash(&m.member_no), dash(&m.org_code)]))
                .collect(),
        })
    }
}

/// What a member import did (or, in a dry run, would do). Members keep their own batched path
/// (see `import`) behind the report every import gives.
pub type MemberImportReport = ImportReport<MemberTally>;

/// The members sheet, as pages and the command line import it (its own batched path).
pub struct MembersSheet;

impl sheets::import::SheetImport for MembersSheet {
    type Tally = MemberTally;
    const NAME: &'static str = "members";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        template()
    }

    async fn import(
        store: &Store,
        vault: &IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<MemberImportReport> {
        import(store, vault, caller, table, dry_run, progress).await
    }
}

/// Rows checked against the database and written per round trip. Each statement binds at most
/// `BATCH` × 14 values, under SQLite's limit of 32,766 and PostgreSQL's of 65,535.
const BATCH: usize = 1_000;

/// A row that passed every check on its own, waiting to be written with its batch.
struct Ready {
    row: usize,
    draft: JoinDraft,
    hash: String,
    /// The ID number sealed for storage.
    sealed: Vec<u8>,
    /// Index into the units named by the file.
    unit: usize,
    joined_on: NaiveDate,
    channel: Channel,
}

/// What is looked up once per file, before any row is checked: the unions named by 所属工会编码
/// (or why they cannot take members) and whether each region code exists.
#[derive(Default)]
struct Lookups {
    unit_index: HashMap<String, std::result::Result<usize, &'static str>>,
    units: Vec<orgs::OrgUnit>,
    regions: HashMap<String, bool>,
}

impl Lookups {
    /// Looks up every union and region the rows name.
    async fn of(tx: &mut Tx, caller: &Caller, table: &Table) -> Result<Lookups> {
        let mut found = Lookups::default();
        let mut regions: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for (_, cells) in &table.rows {
            let union = table.cell(cells, "union_code");
            if !found.unit_index.contains_key(union) {
                let unit = found.unit(tx, caller, union).await?;
                found.unit_index.insert(union.to_string(), unit);
            }
            for key in ["work_region", "home_region"] {
                let typed = table.cell(cells, key);
                if !typed.is_empty() && !regions.contains(typed) {
                    regions.insert(typed.to_string());
                }
            }
        }
        for typed in regions {
            if let Ok(code) = RegionCode::parse(&typed) {
                if !found.regions.contains_key(code.as_str()) {
                    let known = crate::regions::get(tx, &code).await?.is_some();
                    found.regions.insert(code.as_str().to_string(), known);
                }
            }
        }
        Ok(found)
    }

    async fn unit(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        code: &str,
    ) -> Result<std::result::Result<usize, &'static str>> {
        Ok(match orgs::get(tx, &caller.scope, code).await {
            Ok(o) if !o.is_active() => Err("orgs.parent_dissolved"),
            Ok(o) if caller.scope.role_at(&o.path) < Some(Role::Staff) => Err("errors.forbidden"),
            Ok(o) => {
                self.units.push(o);
                Ok(self.units.len() - 1)
            }
            Err(Error::NotFound) => Err("orgs.unknown_parent"),
            Err(e) => return Err(e),
        })
    }
}

/// What checking a row needs, owned, so that the rows of the next batch are checked on another
/// thread while SQLite writes this one.
struct Checker {
    columns: Table,
    unit_index: HashMap<String, std::result::Result<usize, &'static str>>,
    regions: HashMap<String, bool>,
    vault: IdVault,
    today: NaiveDate,
}

/// Imports members; `progress(done, total)` is called as rows are written. Everything happens
/// in one transaction, so an import lands whole or not at all; a dry run checks everything and
/// rolls it back. Unions and regions are looked up once per file; rows are checked for existing
/// members and written in batches of multi-row statements; the coverage counters get one sum
/// per counter at the end.
pub async fn import(
    store: &Store,
    vault: &IdVault,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<MemberImportReport> {
    let total = table.rows.len();
    let mut report = MemberImportReport::new(dry_run, total);
    let mut tx = store.write().await?;
    // A large import touches every page of the random-key indexes (ID hash, phone, membership
    // number): keep them in this connection's cache instead of re-reading them from the file.
    if tx.backend() == Backend::Sqlite {
        pragma(&mut tx, "PRAGMA cache_size = -1048576").await?;
        // Foreign keys are checked at commit, not per statement: an immediate check is what
        // makes SQLite journal every page a batch statement touches (see `write_batch`).
        // SQLite turns this off again when the transaction ends.
        pragma(&mut tx, "PRAGMA defer_foreign_keys = ON").await?;
    }
    let written = write_rows(&mut tx, vault, caller, table, &mut report, &mut progress).await;
    if tx.backend() == Backend::Sqlite {
        // The connection goes back to the pool with the usual cache, after a failure too.
        pragma(&mut tx, "PRAGMA cache_size = -2000").await?;
    }
    written?;
    progress(total, total);
    if dry_run {
        tx.rollback().await?;
    } else {
        sheets::import::audit_import(&mut tx, caller, "members.import", &report).await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Checks every row and writes those that pass, batch by batch, then the counters' sums. The
/// rows of the next batch are checked (parsed, hashed, sealed) on a blocking thread while this
/// batch is written: the two take about as long, and SQLite writes on a thread of its own.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
async fn write_rows(
    tx: &mut Tx,
    vault: &IdVault,
    caller: &Caller,
    table: &Table,
    report: &mut MemberImportReport,
    progress: &mut impl FnMut(usize, usize),
) -> Result<()> {
    let total = table.rows.len();
    let lookups = Lookups::of(tx, caller, table).await?;
    let checker = std::sync::Arc::new(Checker {
        columns: table.without_rows(),
        unit_index: lookups.unit_index,
        regions: lookups.regions,
        vault: vault.clone(),
        today: caller.today,
    });
    let check = |rows: &[(usize, Vec<String>)]| {
        let (checker, rows) = (checker.clone(), rows.to_vec());
        tokio::task::spawn_blocking(move || {
            rows.iter()
                .map(|(row, cells)| checker.check(*row, cells))
                .collect::<Vec<_>>()
        })
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut counts: HashMap<(usize, &'static str, String), i64> = HashMap::new();
    let chunks: Vec<&[(usize, Vec<String>)]> = table.rows.chunks(BATCH).collect();
    let mut next = chunks.first().map(|c| check(c));
    let mut done = 0;
    for (k, chunk) in chunks.iter().enumerate() {
        let checked = next
            .take()
            .expect("each chunk is checked")
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("checking rows: {e}")))?;
        next = chunks.get(k + 1).map(|c| check(c));
        let mut batch: Vec<Ready> = Vec::with_capacity(checked.len());
        for result in checked {
            match result {
                Err(errs) => report.rejected.extend(errs),
                Ok(ready) => match seen.entry(ready.hash.clone()) {
                    std::collections::hash_map::Entry::Occupied(_) => {
                        report.rejected.push(RowError {
                            row: ready.row,
                            column: table.header("id_number"),
                            code: "members.duplicate_in_file",
                        })
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(ready.row);
                        batch.push(ready);
                    }
                },
            }
        }
        report.tally.imported += write_batch(
            tx,
            caller,
            &lookups.units,
            batch,
            &mut report.tally.matched,
            &mut counts,
        )
        .await?;
        done += chunk.len();
        progress(done, total);
    }
    let mut rows = Vec::new();
    for ((unit, metric, key), n) in counts {
        for p in crate::coverage::counts::prefixes(&lookups.units[unit].path) {
            rows.push((p.to_string(), metric, key.clone(), n));
        }
    }
    crate::coverage::counts::add_rows(tx, rows).await?;
    Ok(())
}

async fn pragma(tx: &mut Tx, sql: &str) -> Result<()> {
    on_db!(tx.conn(), c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

impl Checker {
    /// Checks one row on its own: every field, the union (must be active and in the caller's
    /// scope as staff or admin) and the regions. All problems of the row are reported at once.
    fn check(&self, row: usize, cells: &[String]) -> std::result::Result<Ready, Vec<RowError>> {
        let table = &self.columns;
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
        let (draft, mut errs) = match JoinDraft::parse(&input, self.today) {
            Ok(d) => (Some(d), FieldErrors::new()),
            Err(e) => (None, e),
        };
        let joined_on = match opt("joined_on") {
            None => Some(self.today),
            Some(s) => match sheets::parse_date(&s) {
                Some(d) if d <= self.today => Some(d),
                Some(_) => {
                    errs.push("joined_on", "members.joined_in_future");
                    None
                }
                None => {
                    errs.push("joined_on", "errors.bad_date");
                    None
                }
            },
        };
        if let Some(uscc) = opt("employer_uscc") {
            if let Err(e) = crate::census::Uscc::parse(&uscc) {
                errs.push("employer_uscc", e.code());
            }
        }
        let channel = match opt("channel") {
            None => Some(Channel::Import),
            Some(s) => Channel::parse(&s).or_else(|| {
                errs.push("channel", "members.bad_channel");
                None
            }),
        };
        let unit = match self.unit_index.get(table.cell(cells, "union_code")) {
            Some(Ok(u)) => Some(*u),
            Some(Err(code)) => {
                errs.push("union_code", code);
                None
            }
            None => unreachable!("every union named is looked up first"),
        };
        if let Some(d) = &draft {
            for (field, region) in [
                ("work_region", &d.work_region),
                ("home_region", &d.home_region),
            ] {
                if let Some(r) = region {
                    if self.regions.get(r.as_str()) != Some(&true) {
                        errs.push(field, "regions.unknown");
                    }
                }
            }
        }
        match (draft, unit, joined_on, channel) {
            (Some(draft), Some(unit), Some(joined_on), Some(channel)) if errs.is_empty() => {
                Ok(Ready {
                    row,
                    hash: self.vault.lookup_hash(&draft.id),
                    sealed: self.vault.seal(&draft.id),
                    draft,
                    unit,
                    joined_on,
                    channel,
                })
            }
            _ => Err(sheets::import::row_errors(table, row, &errs).collect()),
        }
    }
}

/// Writes one batch of checked rows: rows whose person is already an active member anywhere, or
/// has a request pending at a union outside the caller's scope, are reported as matched; the others register (or update) the person, withdraw a request pending
/// elsewhere (the union's register is the record), and become active members with a new number
/// and a `joined` event on their date. Returns how many became members.
async fn write_batch(
    tx: &mut Tx,
    caller: &Caller,
    units: &[orgs::OrgUnit],
    batch: Vec<Ready>,
    matched: &mut Vec<Matched>,
    counts: &mut HashMap<(usize, &'static str, String), i64>,
) -> Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let backend = tx.backend();
    let list = |n: usize| nuanxin_store::list_placeholders(backend, n, 1);
    // The people the batch names who are known already, with their current memberships.
    let known_sql = format!(
        "SELECT p.id_hash, p.id, m.status, m.member_no, o.code, o.path FROM people p
        LEFT JOIN memberships m ON m.person_id = p.id AND m.status IN ('active', 'pending')
        LEFT JOIN org_units o ON o.id = m.org_id WHERE p.id_hash IN ({})",
        list(batch.len())
    );
    type Known = (
        String,
        Uuid,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let known: Vec<Known> = on_db!(tx.conn(), c => {
        let mut q = sqlx::query_as(&known_sql);
        for r in &batch {
            q = q.bind(r.hash.as_str());
        }
        q.fetch_all(c).await
    })?;
    let mut person: HashMap<String, Uuid> = HashMap::with_capacity(batch.len());
    // Rows whose person is a member already, or belongs to a union outside the caller's scope
    // (a member or a request there): the sheet changes nothing of them, and the report names
    // their union and number only where the caller may see them.
    let mut taken: HashMap<String, Matched> = HashMap::new();
    for (hash, id, status, member_no, org_code, path) in known {
        person.insert(hash.clone(), id);
        let (Some(status), Some(org_code), Some(path)) = (status, org_code, path) else {
            continue;
        };
        let seen = caller.scope.role_at(&path).is_some();
        if status == "active" && seen {
            taken.insert(
                hash,
                Matched {
                    row: 0,
                    member_no,
                    org_code: Some(org_code),
                },
            );
        } else if !seen {
            taken.entry(hash).or_insert(Matched {
                row: 0,
                member_no: None,
                org_code: None,
            });
        }
    }
    let mut rows = Vec::with_capacity(batch.len());
    for r in batch {
        match taken.get(&r.hash) {
            Some(m) => matched.push(Matched {
                row: r.row,
                ..m.clone()
            }),
            None => rows.push(r),
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let now = caller.at;
    // On SQLite a statement that may fail halfway keeps a journal of every page it touches so
    // that it alone can be undone; batches touch thousands of index pages each. An import is
    // undone whole anyway, so a failure rolls the transaction back instead (no such journal).
    // For the same reason people are inserted and updated apart: the update half of an upsert
    // may fail on its own, and its journal was most of the import's writes to disk.
    let (insert, update) = match backend {
        Backend::Sqlite => ("INSERT OR ROLLBACK INTO", "UPDATE OR ROLLBACK"),
        Backend::Postgres => ("INSERT INTO", "UPDATE"),
    };
    // People known but not members now: name, phone and home region follow the sheet.
    let update_sql = format!(
        "{update} people SET name = $1, phone = $2, home_region = COALESCE($3, home_region), updated_at = $4
        WHERE id = $5"
    );
    for r in rows.iter().filter(|r| person.contains_key(&r.hash)) {
        let d = &r.draft;
        on_db!(tx.conn(), c => sqlx::query(&update_sql).bind(d.name.as_str()).bind(d.phone.as_str())
            .bind(d.home_region.as_ref().map(|h| h.as_str())).bind(now).bind(person[&r.hash])
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    // New people: one insert for the batch.
    // In the order of the ID hash: consecutive inserts land on neighbouring pages of its index.
    let mut new: Vec<&Ready> = rows
        .iter()
        .filter(|r| !person.contains_key(&r.hash))
        .collect();
    new.sort_unstable_by(|a, b| a.hash.cmp(&b.hash));
    if !new.is_empty() {
        let people_sql = format!(
            "{insert} people (id, id_hash, id_sealed, id_mask, name, phone, home_region, created_at, updated_at)
            VALUES {}",
            nuanxin_store::values_placeholders(backend, new.len(), 9, 1)
        );
        let ids: Vec<Uuid> = new.iter().map(|_| new_id()).collect();
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&people_sql);
            for (r, id) in new.iter().zip(&ids) {
                let d = &r.draft;
                q = q.bind(*id).bind(r.hash.as_str()).bind(r.sealed.as_slice()).bind(d.id.mask())
                    .bind(d.name.as_str()).bind(d.phone.as_str()).bind(d.home_region.as_ref().map(|h| h.as_str()))
                    .bind(now).bind(now);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        for (r, id) in new.iter().zip(ids) {
            person.insert(r.hash.clone(), id);
        }
    }
    let person_of = |r: &Ready| person[&r.hash];
    let withdraw_sql = format!(
        "{update} memberships SET status = 'withdrawn', updated_at = {}
        WHERE status = 'pending' AND person_id IN ({})",
        nuanxin_store::list_placeholders(backend, 1, 1),
        nuanxin_store::list_placeholders(backend, rows.len(), 2)
    );
    on_db!(tx.conn(), c => {
        let mut q = sqlx::query(&withdraw_sql).bind(now);
        for r in &rows {
            q = q.bind(person_of(r));
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    let numbers = member_numbers(tx, units, &rows).await?;
    let ids: Vec<Uuid> = rows.iter().map(|_| new_id()).collect();
    let insert_sql = format!(
        "{insert} memberships (id, person_id, org_id, status, member_no, joined_on, decided_at, worker_group, employer,
            work_region, channel, consent_at, consent_by, consent_method, requested_at, updated_at)
        VALUES {}",
        nuanxin_store::values_placeholders(backend, rows.len(), 16, 1)
    );
    on_db!(tx.conn(), c => {
        let mut q = sqlx::query(&insert_sql);
        // In the order of the membership number, for the same reason.
        let mut order: Vec<_> = rows.iter().zip(&ids).zip(&numbers).collect();
        order.sort_unstable_by(|a, b| a.1.cmp(b.1));
        for ((r, id), no) in order {
            let d = &r.draft;
            q = q.bind(*id).bind(person_of(r)).bind(units[r.unit].id).bind("active").bind(no.as_str()).bind(r.joined_on)
                .bind(now).bind(d.group.as_str()).bind(d.employer.as_deref()).bind(d.work_region.as_ref().map(|w| w.as_str()))
                .bind(r.channel.as_str()).bind(now).bind(caller.actor.name.as_str()).bind("import").bind(now).bind(now);
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    let events_sql = format!(
        "{insert} membership_events (id, membership_id, org_id, event, at, on_date, actor) VALUES {}",
        nuanxin_store::values_placeholders(backend, rows.len(), 7, 1)
    );
    on_db!(tx.conn(), c => {
        let mut q = sqlx::query(&events_sql);
        for (r, id) in rows.iter().zip(&ids) {
            q = q.bind(new_id()).bind(*id).bind(units[r.unit].id).bind("joined").bind(now).bind(r.joined_on)
                .bind(caller.actor.name.as_str());
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    for r in &rows {
        let d = &r.draft;
        let region = d.work_region.as_ref().map(|w| w.as_str());
        for delta in crate::coverage::counts::membership_deltas(
            d.group.as_str(),
            r.channel.as_str(),
            region,
            1,
        ) {
            *counts.entry((r.unit, delta.metric, delta.key)).or_default() += delta.n;
        }
        let day = r.joined_on.format("%Y-%m-%d").to_string();
        *counts
            .entry((r.unit, crate::coverage::counts::metric::JOINED, day))
            .or_default() += 1;
    }
    Ok(rows.len())
}

/// A new membership number for each row, none already taken and no two alike.
async fn member_numbers(
    tx: &mut Tx,
    units: &[orgs::OrgUnit],
    rows: &[Ready],
) -> Result<Vec<String>> {
    let draw = |r: &Ready| member_no_candidate(&units[r.unit].region_code, r.joined_on);
    let mut numbers: Vec<String> = rows.iter().map(draw).collect();
    loop {
        let mut clash: Vec<usize> = Vec::new();
        let mut distinct = std::collections::HashSet::new();
        for (i, no) in numbers.iter().enumerate() {
            if !distinct.insert(no.as_str()) {
                clash.push(i);
            }
        }
        let sql = format!(
            "SELECT member_no FROM memberships WHERE member_no IN ({})",
            nuanxin_store::list_placeholders(tx.backend(), numbers.len(), 1)
        );
        let taken: Vec<String> = on_db!(tx.conn(), c => {
            let mut q = sqlx::query_scalar(&sql);
            for no in &numbers {
                q = q.bind(no.as_str());
            }
            q.fetch_all(c).await
        })?;
        let taken: std::collections::HashSet<String> = taken.into_iter().collect();
        clash.extend(
            numbers
                .iter()
                .enumerate()
                .filter(|(_, no)| taken.contains(*no))
                .map(|(i, _)| i),
        );
        if clash.is_empty() {
            return Ok(numbers);
        }
        for i in clash {
            numbers[i] = draw(&rows[i]);
        }
    }
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
/// database into the workbook in constant memory; returns the file and how many rows. `tx` is
/// a write transaction: the export is audited in it (the search text masked), and a search by a
/// whole ID number or phone counts against the caller's limit as on the list.
pub async fn export_xlsx(
    tx: &mut Tx,
    caller: &Caller,
    vault: &IdVault,
    filter: &super::MemberFilter,
) -> Result<(Vec<u8>, u64)> {
    super::queries::note_exact_search(tx, caller, filter).await?;
    let scope = &caller.scope;
    let mut sheet = sheets::XlsxStream::new(
        "会员",
        &EXPORT_HEADERS,
        &[
            16.0, 10.0, 22.0, 14.0, 12.0, 24.0, 14.0, 24.0, 8.0, 12.0, 10.0,
        ],
    )
    .map_err(Error::Internal)?;
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
            .map_err(Error::Internal)
    })
    .await?;
    caller
        .audit(
            tx,
            "members.export",
            &format!("{n} rows"),
            scope.roots().first().map(|r| r.path.as_str()),
            super::queries::filter_for_audit(filter),
        )
        .await?;
    Ok((sheet.finish().map_err(Error::Internal)?, n))
}

/// The import template, with notes, text formats (ID numbers, phones) and drop-downs.
pub fn template() -> anyhow::Result<Vec<u8>> {
    sheets::write_template("会员", &COLUMNS, &template_choices(), &[])
}

fn template_choices() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "group",
            super::WorkerGroup::ALL.iter().map(|g| g.zh()).collect(),
        ),
        (
            "channel",
            vec![
                "扫码入会",
                "集中入会",
                "窗口同步",
                "平台推送",
                "批量导入",
                "纸质登记",
            ],
        ),
    ]
}

#[cfg(test)]
mod template_tests {
    #[test]
    fn every_choice_of_the_template_is_accepted_by_the_import() {
        for (key, values) in super::template_choices() {
            for v in values {
                let ok = match key {
                    "group" => super::super::WorkerGroup::parse(v).is_some(),
                    _ => super::Channel::parse(v).is_some(),
                };
                assert!(ok, "{key}: {v}");
            }
        }
    }
}
