//! The rights cases sheet (`nuanxin import cases`, 维权 › 导入): a union's case ledger kept in
//! Excel comes in whole. A row whose union already has a case of that number updates it (its
//! counters move from the old figures to the new), any other row creates one.

use super::cases::{self, KINDS, OUTCOMES, STAGES};
use super::money;
use crate::accounts::Caller;
use crate::coverage::counts::{self, Delta};
use crate::error::FieldErrors;
use crate::members::id_vault::IdVault;
use crate::members::identity::{PersonName, Phone, ResidentId};
use crate::sheets::import::{self, Cells, Count, ImportReport, Importer, Tally};
use crate::sheets::{self, Column, Table};
use crate::{on_db, orgs, Error, Result, Role, Store, Tx};
use chrono::NaiveDate;
use nuanxin_store::new_id;
use uuid::Uuid;

pub const COLUMNS: [Column; 14] = [
    Column::new("case_no", "案件编号", true),
    Column::new("org_code", "受理工会编码", true),
    Column::new("kind", "类型", true),
    Column::new("stage", "处理方式", false),
    Column::new("name", "姓名", true),
    Column::new("id_number", "身份证号", false),
    Column::new("phone", "手机号", true),
    Column::new("employer_uscc", "企业统一社会信用代码", false),
    Column::new("opened_on", "受理日期", true),
    Column::new("claimed", "诉求金额（元）", false),
    Column::new("recovered", "追回金额（元）", false),
    Column::new("closed_on", "结案日期", false),
    Column::new("outcome", "结果", false),
    Column::new("summary", "案情", false),
];

/// One checked row.
#[derive(Clone)]
pub struct CaseRow {
    case_no: String,
    org_code: String,
    kind: &'static str,
    stage: &'static str,
    name: String,
    id: Option<ResidentId>,
    phone: Phone,
    employer_uscc: Option<String>,
    opened_on: NaiveDate,
    claimed_fen: i64,
    recovered_fen: i64,
    closed_on: Option<NaiveDate>,
    outcome: Option<&'static str>,
    summary: String,
}

fn parse_row(cells: &Cells<'_>, today: NaiveDate) -> std::result::Result<CaseRow, FieldErrors> {
    let mut errs = FieldErrors::new();
    let case_no = cells.text("case_no");
    if case_no.is_empty() || case_no.chars().count() > 40 {
        errs.push("case_no", "cases.bad_case_no");
    }
    let org_code = cells.text("org_code");
    if org_code.is_empty() {
        errs.push("org_code", "cases.unknown_org");
    }
    let kind = cases::code_of(&KINDS, &cells.text("kind"));
    if kind.is_none() {
        errs.push("kind", "cases.bad_kind");
    }
    let stage = match cells.text("stage").as_str() {
        "" => Some("consultation"),
        s => cases::code_of(&STAGES, s),
    };
    if stage.is_none() {
        errs.push("stage", "cases.bad_stage");
    }
    let name = PersonName::parse(&cells.text("name"))
        .map_err(|e| errs.push("name", e.code()))
        .ok();
    let id = match cells.opt("id_number") {
        // A masked number (as the export writes it) leaves the number on record as it is.
        Some(t) if t.contains('*') => None,
        None => None,
        Some(t) => ResidentId::parse(&t, today)
            .map_err(|e| errs.push("id_number", e.code()))
            .ok(),
    };
    let phone = Phone::parse(&cells.text("phone"))
        .map_err(|e| errs.push("phone", e.code()))
        .ok();
    let employer_uscc = match cells.opt("employer_uscc") {
        None => None,
        Some(u) => match crate::census::Uscc::parse(&u) {
            Ok(u) => Some(u.as_str().to_string()),
            Err(e) => {
                errs.push("employer_uscc", e.code());
                None
            }
        },
    };
    let day = |field: &'static str, errs: &mut FieldErrors| match cells.opt(field) {
        None => None,
        Some(t) => {
            let d = sheets::parse_date(&t).filter(|d| *d <= today);
            if d.is_none() {
                errs.push(field, "errors.bad_date");
            }
            d
        }
    };
    let opened_on = day("opened_on", &mut errs);
    if opened_on.is_none() && cells.opt("opened_on").is_none() {
        errs.push("opened_on", "errors.bad_date");
    }
    let closed_on = day("closed_on", &mut errs);
    let fen = |field: &'static str, errs: &mut FieldErrors| {
        money::parse_yuan(&cells.text(field)).unwrap_or_else(|code| {
            errs.push(field, code);
            0
        })
    };
    let claimed_fen = fen("claimed", &mut errs);
    let recovered_fen = fen("recovered", &mut errs);
    if recovered_fen > claimed_fen.saturating_mul(10) && recovered_fen > 0 {
        errs.push("recovered", "cases.recovered_too_high");
    }
    let outcome = match cells.opt("outcome") {
        None => None,
        Some(o) => {
            let code = cases::code_of(&OUTCOMES, &o);
            if code.is_none() {
                errs.push("outcome", "cases.bad_outcome");
            }
            code
        }
    };
    if cells.opt("closed_on").is_some() && cells.opt("outcome").is_none() {
        errs.push("outcome", "cases.outcome_required");
    }
    if cells.opt("outcome").is_some() && cells.opt("closed_on").is_none() {
        errs.push("closed_on", "cases.closed_on_required");
    }
    if let (Some(o), Some(c)) = (opened_on, closed_on) {
        if c < o {
            errs.push("closed_on", "cases.bad_closed_on");
        }
    }
    match (kind, stage, name, phone, opened_on) {
        (Some(kind), Some(stage), Some(name), Some(phone), Some(opened_on)) if errs.is_empty() => {
            Ok(CaseRow {
                case_no,
                org_code,
                kind,
                stage,
                name: name.as_str().to_string(),
                id,
                phone,
                employer_uscc,
                opened_on,
                claimed_fen,
                recovered_fen,
                closed_on,
                outcome,
                summary: cells.text("summary").chars().take(2000).collect(),
            })
        }
        _ => Err(errs),
    }
}

struct CaseRows<'a> {
    vault: &'a IdVault,
    /// Who imports: the new cases' creation time and first timeline entry's author.
    caller: &'a Caller,
    /// The unions rows name, looked up once.
    orgs: std::collections::HashMap<String, orgs::OrgUnit>,
    /// Counter rows of every row written, added in one go by `finish`.
    counted: Vec<(String, &'static str, String, i64)>,
    /// The first-help-day rows of the people whose cases changed, as they were before the file.
    helped: Vec<(String, Delta)>,
    people: std::collections::HashSet<String>,
    /// The cases the file's numbers name already, by (union, case number), read before the
    /// first row a few hundred a statement.
    known: std::collections::HashMap<(Uuid, String), Old>,
    /// Rows that create a case, written by `insert_new`.
    new_cases: Vec<NewCase>,
}

/// New cases written a few hundred a statement (19 values each: well inside SQLite's and
/// PostgreSQL's limits on bound values), with their first timeline entries.
const NEW_CASES_A_STATEMENT: usize = 400;

/// A row that creates a case, waiting for the next multi-row insert.
struct NewCase {
    id: Uuid,
    org_id: Uuid,
    key: String,
    id_sealed: Option<Vec<u8>>,
    id_mask: Option<String>,
    status: &'static str,
    row: CaseRow,
}

impl CaseRows<'_> {
    /// Writes the new cases waiting and their 'opened' timeline entries.
    async fn insert_new(&mut self, tx: &mut Tx) -> Result<()> {
        if self.new_cases.is_empty() {
            return Ok(());
        }
        let caller = self.caller;
        let new = std::mem::take(&mut self.new_cases);
        let values = nuanxin_store::values_placeholders(tx.backend(), new.len(), 20, 1);
        let sql = format!(
            "INSERT INTO rights_cases (id, org_id, case_no, kind, stage, status, person_key, name,
                id_sealed, id_mask, phone, employer_uscc, summary, claimed_fen, recovered_fen, opened_on, closed_on,
                outcome, created_at, updated_at, source)
            SELECT *, 'import' FROM (VALUES {values}) AS v"
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for n in &new {
                let r = &n.row;
                q = q.bind(n.id).bind(n.org_id).bind(&r.case_no).bind(r.kind).bind(r.stage).bind(n.status)
                    .bind(&n.key).bind(&r.name).bind(&n.id_sealed).bind(&n.id_mask).bind(r.phone.as_str())
                    .bind(&r.employer_uscc).bind(&r.summary).bind(r.claimed_fen).bind(r.recovered_fen)
                    .bind(r.opened_on).bind(r.closed_on).bind(r.outcome).bind(caller.at).bind(caller.at);
            }
            q.execute(c).await.map(|x| x.rows_affected())
        })?;
        let values = nuanxin_store::values_placeholders(tx.backend(), new.len(), 5, 1);
        let sql = format!(
            "INSERT INTO case_events (id, case_id, at, on_date, actor, kind, text)
            SELECT *, 'opened', '' FROM (VALUES {values}) AS v"
        );
        on_db!(tx.conn(), c => {
            let mut q = sqlx::query(&sql);
            for n in &new {
                q = q.bind(new_id()).bind(n.id).bind(caller.at).bind(n.row.opened_on).bind(&caller.actor.name);
            }
            q.execute(c).await.map(|x| x.rows_affected())
        })?;
        Ok(())
    }
}

/// A case on record as a row finds it: id, kind, opened, claimed, closed, recovered.
type Old = (Uuid, String, NaiveDate, i64, Option<NaiveDate>, i64);

impl Importer for CaseRows<'_> {
    type Row = CaseRow;
    type Tally = CaseUpserts;
    const ACTION: &'static str = "cases.import";
    const NOT_FOUND: (&'static str, &'static str) = ("org_code", "cases.unknown_org");
    const DUPLICATE: (&'static str, &'static str) = ("case_no", "cases.duplicate_in_file");

    fn parse(
        &mut self,
        cells: &Cells<'_>,
        caller: &Caller,
    ) -> std::result::Result<CaseRow, FieldErrors> {
        parse_row(cells, caller.today)
    }

    fn key(&self, row: &CaseRow) -> Option<String> {
        Some(format!("{}\u{0}{}", row.org_code, row.case_no))
    }

    async fn write(
        &mut self,
        tx: &mut Tx,
        caller: &Caller,
        r: &CaseRow,
        tally: &mut CaseUpserts,
    ) -> Result<()> {
        let org = match self.orgs.get(&r.org_code) {
            Some(o) => o.clone(),
            None => {
                let o = orgs::get(tx, &caller.scope, &r.org_code).await?;
                self.orgs.insert(r.org_code.clone(), o.clone());
                o
            }
        };
        if caller.scope.role_at(&org.path) < Some(Role::Staff) {
            return Err(Error::Forbidden);
        }
        let status = if r.closed_on.is_some() {
            "closed"
        } else {
            "open"
        };
        let key = cases::person_key(self.vault, r.id.as_ref(), &r.phone);
        // A case number repeats at most once a file (the driver refuses a second row), so what
        // `prepare` read is what stands.
        let old = self.known.remove(&(org.id, r.case_no.clone()));
        // Who the case is about, before and after (an ID number given may change it): their
        // first-help-day rows as they stood before the file, once per person.
        let mut people = vec![key.clone()];
        if let Some((id, ..)) = &old {
            if let Some(was) = cases::person_of_case(tx, *id).await? {
                if was != key {
                    people.push(was);
                }
            }
        }
        // Only a case helped before or after (closed with money) moves them.
        let helped_now = r.closed_on.is_some() && r.recovered_fen > 0;
        let helped_was = old
            .as_ref()
            .is_some_and(|(_, _, _, _, closed, recovered)| closed.is_some() && *recovered > 0);
        if !helped_now && !helped_was {
            people.clear();
        }
        people.retain(|p| !self.people.contains(p));
        if !people.is_empty() {
            self.helped.extend(cases::helped_before(tx, &people).await?);
            self.people.extend(people);
        }
        let mut moved: Vec<Delta> = Vec::new();
        match old {
            Some((id, kind, opened, claimed, closed, recovered)) => {
                moved.extend(
                    cases::deltas(&kind, opened, claimed, closed, recovered)
                        .into_iter()
                        .map(|d| Delta::new(d.metric, d.key, -d.n)),
                );
                const UPDATE: &str = "UPDATE rights_cases SET kind = $2, stage = $3, status = $4, name = $5,
                    phone = $6, employer_uscc = $7, opened_on = $8, claimed_fen = $9, recovered_fen = $10, closed_on = $11,
                    outcome = $12, summary = $13, updated_at = $14 WHERE id = $1";
                on_db!(tx.conn(), c => sqlx::query(UPDATE).bind(id).bind(r.kind).bind(r.stage).bind(status).bind(&r.name)
                    .bind(r.phone.as_str()).bind(&r.employer_uscc).bind(r.opened_on).bind(r.claimed_fen).bind(r.recovered_fen)
                    .bind(r.closed_on).bind(r.outcome).bind(&r.summary).bind(caller.at).execute(c).await.map(|x| x.rows_affected()))?;
                // An ID number given replaces the one on record (and who the case is about).
                if let Some(person) = &r.id {
                    const ID: &str = "UPDATE rights_cases SET id_sealed = $2, id_mask = $3, person_key = $4 WHERE id = $1";
                    on_db!(tx.conn(), c => sqlx::query(ID).bind(id).bind(self.vault.seal(person)).bind(person.mask()).bind(&key)
                        .execute(c).await.map(|x| x.rows_affected()))?;
                }
                tally.updated += 1;
            }
            None => {
                self.new_cases.push(NewCase {
                    id: new_id(),
                    org_id: org.id,
                    key,
                    id_sealed: r.id.as_ref().map(|i| self.vault.seal(i)),
                    id_mask: r.id.as_ref().map(|i| i.mask()),
                    status,
                    row: r.clone(),
                });
                if self.new_cases.len() >= NEW_CASES_A_STATEMENT {
                    self.insert_new(tx).await?;
                }
                tally.created += 1;
            }
        }
        moved.extend(cases::deltas(
            r.kind,
            r.opened_on,
            r.claimed_fen,
            r.closed_on,
            r.recovered_fen,
        ));
        self.counted.extend(counts::rows(&org.path, &moved));
        Ok(())
    }

    async fn prepare(&mut self, tx: &mut Tx, rows: &[(usize, CaseRow)]) -> Result<()> {
        let mut numbers: Vec<&str> = rows.iter().map(|(_, r)| r.case_no.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        for chunk in numbers.chunks(400) {
            let sql = format!(
                "SELECT c.org_id, c.case_no, c.id, c.kind, c.opened_on, c.claimed_fen, c.closed_on, c.recovered_fen
                FROM rights_cases c WHERE c.case_no IN ({})",
                nuanxin_store::list_placeholders(tx.backend(), chunk.len(), 1)
            );
            type Found = (
                Uuid,
                String,
                Uuid,
                String,
                NaiveDate,
                i64,
                Option<NaiveDate>,
                i64,
            );
            let found: Vec<Found> = on_db!(tx.conn(), c => {
                let mut q = sqlx::query_as(&sql);
                for n in chunk {
                    q = q.bind(*n);
                }
                q.fetch_all(c).await
            })?;
            for (org, no, id, kind, opened, claimed, closed, recovered) in found {
                self.known
                    .insert((org, no), (id, kind, opened, claimed, closed, recovered));
            }
        }
        let mut people: Vec<String> = rows
            .iter()
            .map(|(_, r)| cases::person_key(self.vault, r.id.as_ref(), &r.phone))
            .collect();
        people.sort_unstable();
        people.dedup();
        self.helped.extend(cases::helped_before(tx, &people).await?);
        self.people.extend(people);
        Ok(())
    }

    async fn finish(&mut self, tx: &mut Tx) -> Result<()> {
        self.insert_new(tx).await?;
        counts::add_rows(tx, std::mem::take(&mut self.counted)).await?;
        let people: Vec<String> = self.people.drain().collect();
        cases::helped_after(tx, &people, std::mem::take(&mut self.helped)).await
    }
}

/// The rights cases sheet, as pages and the command line import it.
pub struct CasesSheet;

impl import::SheetImport for CasesSheet {
    type Tally = CaseUpserts;
    const NAME: &'static str = "cases";
    const COLUMNS: &'static [Column] = &COLUMNS;

    fn template() -> anyhow::Result<Vec<u8>> {
        let example = vec![vec![
            "WQ2026-001".to_string(),
            "JU371502001".into(),
            "欠薪".into(),
            "调解".into(),
            "王五".into(),
            String::new(),
            "13800000000".into(),
            String::new(),
            "2026-06-01".into(),
            "12000".into(),
            "9600".into(),
            "2026-06-20".into(),
            "调解成功".into(),
            "三个月工资未发".into(),
        ]];
        let zh = |list: &[(&'static str, &'static str)]| list.iter().map(|(_, z)| *z).collect();
        sheets::write_template(
            "维权案件",
            &COLUMNS,
            &[
                ("kind", zh(&KINDS)),
                ("stage", zh(&STAGES)),
                ("outcome", zh(&OUTCOMES)),
            ],
            &example,
        )
    }

    async fn import(
        store: &Store,
        vault: &IdVault,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
        progress: impl FnMut(usize, usize) + Send,
    ) -> Result<ImportReport<CaseUpserts>> {
        let rows = CaseRows {
            vault,
            caller,
            orgs: Default::default(),
            counted: Vec::new(),
            helped: Vec::new(),
            people: Default::default(),
            known: Default::default(),
            new_cases: Vec::new(),
        };
        import::run(store, caller, table, dry_run, rows, progress).await
    }
}

/// Cases created or updated by an import.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct CaseUpserts {
    pub created: usize,
    pub updated: usize,
}

impl Tally for CaseUpserts {
    fn counts(&self, _dry_run: bool) -> Vec<Count> {
        vec![
            Count {
                key: "cases.import_created",
                n: self.created,
            },
            Count {
                key: "cases.import_updated",
                n: self.updated,
            },
        ]
    }
}
