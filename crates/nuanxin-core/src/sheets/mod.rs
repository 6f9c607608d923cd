//! Spreadsheets (SPEC section 5): reading `.xlsx` and `.csv` (UTF-8, or GBK as saved by Chinese
//! Excel) with Chinese or English headers into rows of text, and writing `.xlsx` and `.csv`
//! exports. Each capability names its columns in its own `sheet.rs`.

pub mod import;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use serde::Serialize;
use std::io::Cursor;

/// A column of a template: its English key and its Chinese header. Either is accepted on import.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub required: bool,
}

impl Column {
    pub const fn new(key: &'static str, zh: &'static str, required: bool) -> Column {
        Column { key, zh, required }
    }
}

/// Why a file cannot be read at all (exit status 2 of the import commands).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SheetError {
    #[error("the file is neither .xlsx nor .csv, or it is damaged: {0}")]
    Unreadable(String),
    #[error("the file has no header row")]
    Empty,
    #[error("required column missing: {0}")]
    MissingColumn(String),
    /// More rows or columns than any sheet of ours has, or more than the server will unpack:
    /// refused before it is read (a tiny file can claim a billion cells).
    #[error("the sheet is too large: {0}")]
    TooLarge(String),
}

impl SheetError {
    /// The stable message key (`sheets.*`) for the catalogues.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Unreadable(_) => "sheets.unreadable",
            SheetError::Empty => "sheets.empty",
            SheetError::MissingColumn(_) => "sheets.missing_column",
            SheetError::TooLarge(_) => "sheets.too_large",
        }
    }

    /// What the message is about (the column, the size), if anything.
    pub fn detail(&self) -> Option<&str> {
        match self {
            SheetError::Unreadable(d) | SheetError::MissingColumn(d) | SheetError::TooLarge(d) => {
                Some(d)
            }
            SheetError::Empty => None,
        }
    }
}

/// What a streamed export writes: the sheet's name, its columns (headers in Chinese or as codes)
/// and their widths; and what its audit entry says (`action`, the `subject` unit or `*`, the
/// filter).
pub struct Export<'a> {
    pub sheet: (&'a str, &'a str),
    pub columns: &'a [Column],
    pub widths: &'a [f64],
    pub action: &'a str,
    pub subject: &'a str,
    pub filter: serde_json::Value,
}

/// Writes an export in one transaction: the header row, the rows `fill` pushes (read in the same
/// transaction, so the file is one consistent picture; it answers how many), then its audit
/// entry, and commits.
pub async fn export(
    store: &crate::Store,
    caller: &crate::accounts::Caller,
    spec: Export<'_>,
    zh: bool,
    fill: impl AsyncFnOnce(&mut crate::Tx, &mut XlsxStream) -> crate::Result<u64>,
) -> crate::Result<Vec<u8>> {
    crate::in_write(store, async |tx| {
        let headers: Vec<&str> = spec
            .columns
            .iter()
            .map(|c| if zh { c.zh } else { c.key })
            .collect();
        let name = if zh { spec.sheet.0 } else { spec.sheet.1 };
        let mut sheet =
            XlsxStream::new(name, &headers, spec.widths).map_err(crate::Error::Internal)?;
        fill(tx, &mut sheet).await?;
        let bytes = sheet.finish().map_err(crate::Error::Internal)?;
        audit_export(tx, caller, spec.action, spec.subject, spec.filter).await?;
        Ok(bytes)
    })
    .await
}

/// Records an export in the audit log, in the export's transaction: what was exported (`subject`:
/// the unit, or `*`), by whom, and the filter (search text with its digits masked).
pub async fn audit_export(
    tx: &mut crate::Tx,
    caller: &crate::accounts::Caller,
    action: &str,
    subject: &str,
    filter: serde_json::Value,
) -> crate::Result<()> {
    caller
        .audit(
            tx,
            action,
            subject,
            caller.scope.roots().first().map(|r| r.path.as_str()),
            filter,
        )
        .await
}

/// A text query parameter: blank is not given.
pub fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(s.filter(|s| !s.trim().is_empty()))
}

/// A yes/no query parameter as forms and links write it: `true`/`1`, `false`/`0`, or blank for
/// not given.
pub fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("1" | "true" | "on") => Ok(Some(true)),
        Some("0" | "false") => Ok(Some(false)),
        Some(other) => Err(serde::de::Error::custom(format!("not yes or no: {other}"))),
    }
}

/// Rows a sheet may have (Excel's own limit).
pub const MAX_ROWS: u64 = 1_048_576;
/// Columns a sheet may have: ours have a dozen or two.
pub const MAX_COLUMNS: u64 = 256;
/// Cells a sheet may have in all (a million-row member sheet has about twelve million).
pub const MAX_CELLS: u64 = 20_000_000;
/// Bytes an xlsx file may unpack to, all its parts together.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;

/// The rows of a sheet, with each template column located.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    columns: Vec<(&'static str, Option<usize>)>,
    /// (row number as Excel shows it, cells)
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The trimmed text of column `key` in a row ("" when absent).
    pub fn cell<'a>(&self, cells: &'a [String], key: &str) -> &'a str {
        self.columns
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, i)| i.and_then(|i| cells.get(i)))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    /// The same columns without the rows: what checking a row needs, to hand to another thread.
    pub fn without_rows(&self) -> Table {
        Table {
            headers: self.headers.clone(),
            columns: self.columns.clone(),
            rows: Vec::new(),
        }
    }

    /// The header of column `key` as written in the file (for error reports).
    pub fn header(&self, key: &str) -> String {
        self.columns
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, i)| i.map(|i| self.headers[i].clone()))
            .unwrap_or_else(|| key.to_string())
    }
}

/// Reads a spreadsheet: xlsx when the bytes are a zip file, CSV otherwise. The first row is the
/// header; blank rows are skipped.
pub fn read(bytes: &[u8], columns: &[Column]) -> Result<Table, SheetError> {
    let grid = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let mut rows = grid.into_iter().enumerate().map(|(i, r)| (i + 1, r));
    let (_, headers) = rows.next().ok_or(SheetError::Empty)?;
    let headers: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut located = Vec::new();
    for col in columns {
        let idx = headers
            .iter()
            .position(|h| h == col.zh || h.eq_ignore_ascii_case(col.key));
        if idx.is_none() && col.required {
            return Err(SheetError::MissingColumn(format!(
                "{} ({})",
                col.zh, col.key
            )));
        }
        located.push((col.key, idx));
    }
    let rows = rows
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .collect();
    Ok(Table {
        headers,
        columns: located,
        rows,
    })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            // Chinese Excel saves CSV as GBK (code page 936); GB18030 is its superset.
            let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(SheetError::Unreadable(
                    "text is neither UTF-8 nor GBK".into(),
                ));
            }
            s.into_owned()
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| SheetError::Unreadable(e.to_string()))?;
        out.push(rec.iter().map(str::to_string).collect());
    }
    Ok(out)
}

/// Checks what an xlsx (a zip) claims before calamine reads it: the unpacked size of its parts,
/// and the dimension each worksheet declares (calamine allocates the declared range at once:
/// `A1:XFD1048576` in a 5 KB file asked for 1.7×10¹⁰ cells).
fn check_xlsx_size(bytes: &[u8]) -> Result<(), SheetError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    if zip.len() > 10_000 {
        return Err(SheetError::TooLarge(format!("{} parts", zip.len())));
    }
    let mut unpacked = 0u64;
    let mut sheets = Vec::new();
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| SheetError::Unreadable(e.to_string()))?;
        unpacked = unpacked.saturating_add(part.size());
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            sheets.push(i);
        }
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(SheetError::TooLarge(format!(
            "{} MB unpacked",
            unpacked >> 20
        )));
    }
    for i in sheets {
        // The dimension comes first in a worksheet part; 64 KB of it is plenty.
        let mut head = Vec::new();
        zip.by_index(i)
            .map_err(|e| SheetError::Unreadable(e.to_string()))?
            .take(64 << 10)
            .read_to_end(&mut head)
            .map_err(|e| SheetError::Unreadable(e.to_string()))?;
        let head = String::from_utf8_lossy(&head);
        if let Some((rows, cols)) = declared_dimension(&head) {
            if rows > MAX_ROWS || cols > MAX_COLUMNS || rows * cols > MAX_CELLS {
                return Err(SheetError::TooLarge(format!(
                    "{rows} rows × {cols} columns"
                )));
            }
        }
    }
    Ok(())
}

/// Rows and columns of the `<dimension ref="A1:K2000"/>` of a worksheet part.
fn declared_dimension(xml: &str) -> Option<(u64, u64)> {
    let at = xml.find("<dimension ")?;
    let rest = &xml[at..];
    let start = rest.find("ref=\"")? + 5;
    let end = rest[start..].find('"')? + start;
    let range = &rest[start..end];
    let last = range.rsplit(':').next()?;
    let first = range.split(':').next()?;
    let cell = |c: &str| -> Option<(u64, u64)> {
        let letters: String = c.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let digits = &c[letters.len()..];
        let col = letters.bytes().try_fold(0u64, |n, b| {
            Some(n * 26 + u64::from(b.to_ascii_uppercase().checked_sub(b'A')? + 1))
        })?;
        Some((digits.parse().ok()?, col))
    };
    let (r1, c1) = cell(first)?;
    let (r2, c2) = cell(last)?;
    Some((r2.saturating_sub(r1) + 1, c2.saturating_sub(c1) + 1))
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    check_xlsx_size(bytes)?;
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    // Rows as Excel numbers them: start from row 1 even if the used range starts lower.
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut out: Vec<Vec<String>> = vec![Vec::new(); first_row as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); first_col as usize];
        cells.extend(row.iter().map(cell_text));
        out.push(cells);
    }
    Ok(out)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "true" } else { "false" }.into(),
        Data::DateTime(dt) => excel_serial_date(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's date serial (days since 1899-12-30 in the 1900 system) to a date.
fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.floor().max(0.0) as u64))
}

/// Parses the date forms of SPEC section 5: `2024-09-06`, `2024/9/6`, `2024年9月6日`, `2024.9.6`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let norm: String = s
        .replace(['年', '月'], "-")
        .replace('日', "")
        .chars()
        .map(|c| if c == '/' || c == '.' { '-' } else { c })
        .collect();
    let parts: Vec<&str> = norm.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    let (y, m, d) = (
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
        parts[2].parse().ok()?,
    );
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Parses yes/no in the forms of SPEC section 5.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" => Some(true),
        "否" | "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Whether a cell of stored text would be taken for a formula by a spreadsheet program (`=`, `+`,
/// `-`, `@`, a tab or a carriage return first; a plain number such as `-3.5` is left alone):
/// a station named `=HYPERLINK("http://…")` must export as text.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.trim().parse::<f64>().is_err()
}

/// Writes stored text into a cell, never as something a spreadsheet evaluates: text that looks
/// like a formula gets Excel's quote prefix (shown as typed, kept as text when edited).
pub fn write_text(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: Option<&rust_xlsxwriter::Format>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match (format, looks_like_formula(text)) {
        (Some(f), true) => {
            ws.write_string_with_format(row, col, text, &f.clone().set_quote_prefix())
        }
        (None, true) => ws.write_string_with_format(
            row,
            col,
            text,
            &rust_xlsxwriter::Format::new().set_quote_prefix(),
        ),
        (Some(f), false) => ws.write_string_with_format(row, col, text, f),
        (None, false) => ws.write_string(row, col, text),
    }
    .map(|_| ())
}

/// What goes in a template's column, said in a note on its header.
fn column_note(c: &Column) -> String {
    let what = match c.key {
        "id_number" => "18 位公民身份号码（末位 X 大写），本列已设为文本，请勿改成数字格式",
        "phone" | "contact_phone" => "11 位手机号，或带区号的固定电话（0635-8123456）",
        "uscc" | "employer_uscc" => "18 位统一社会信用代码，系统按国家标准校验末位",
        "code" => "本单位的工会编码，全系统唯一",
        "parent_code" => "上级工会的编码；空表示顶级单位",
        "union_code" | "org_code" => "所属工会的编码（见组织网络）",
        "region_code" | "work_region" | "home_region" => {
            "行政区划代码：12 位统计用代码或其 2/4/6/9 位前缀"
        }
        "founded_on" | "joined_on" => "日期，如 2024-09-06 或 2024年9月6日",
        "lng" | "lat" => "经纬度，小数（如 115.985500、36.456500）",
        _ => "",
    };
    let need = if c.required { "必填" } else { "选填" };
    if what.is_empty() {
        format!("{}（{}）：{need}", c.zh, c.key)
    } else {
        format!("{}（{}）：{need}。{what}", c.zh, c.key)
    }
}

/// Columns Excel must keep as typed: long digit strings (ID numbers, phones, codes) that it
/// would otherwise turn into `3.71502E+17` and round to fifteen digits.
fn is_text_column(key: &str) -> bool {
    key == "id_number"
        || key.contains("phone")
        || key.contains("uscc")
        || key.ends_with("code")
        || key.ends_with("region")
}

/// The import template of a sheet: the header row with a note on each header saying what goes
/// in it, the ID, phone, USCC and code columns formatted as text, and a drop-down of the accepted
/// values on each coded column (`choices`, listed on a hidden sheet). `examples` fill the first
/// rows.
pub fn write_template(
    sheet_name: &str,
    columns: &[Column],
    choices: &[(&str, Vec<&str>)],
    examples: &[Vec<String>],
) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{DataValidation, Format, Formula, Note, Workbook};
    let mut book = Workbook::new();
    // Excel's built-in text format (49, shown as "@"): what 设置单元格格式 → 文本 sets.
    let text = Format::new().set_num_format_index(49);
    let bold = Format::new().set_bold().set_background_color("#FDE8E4");
    let ws = book.add_worksheet();
    ws.set_name(sheet_name)?;
    for (c, col) in columns.iter().enumerate() {
        let c = c as u16;
        ws.set_column_width(
            c,
            (col.zh.chars().count() as f64 * 2.2 + 4.0).clamp(10.0, 40.0),
        )?;
        if is_text_column(col.key) {
            ws.set_column_format(c, &text)?;
        }
        ws.write_string_with_format(0, c, col.zh, &bold)?;
        ws.insert_note(
            0,
            c,
            &Note::new(column_note(col))
                .set_author("暖新")
                .set_width(260),
        )?;
    }
    for (r, row) in examples.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            write_text(ws, r as u32 + 1, c as u16, v, None)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let mut lists = Vec::new();
    for (key, values) in choices {
        let Some(c) = columns.iter().position(|col| col.key == *key) else {
            continue;
        };
        let letter = (b'A' + lists.len() as u8) as char;
        let range = format!("=选项!${letter}$2:${letter}${}", values.len() + 1);
        let rule = DataValidation::new()
            .allow_list_formula(Formula::new(range))
            .set_input_message(format!("从列表中选择{}", columns[c].zh))?;
        ws.add_data_validation(1, c as u16, 1_048_575, c as u16, &rule)?;
        lists.push((columns[c].zh, values));
    }
    if !lists.is_empty() {
        let options = book.add_worksheet();
        options.set_name("选项")?;
        for (c, (header, values)) in lists.iter().enumerate() {
            options.write_string_with_format(0, c as u16, *header, &bold)?;
            for (r, v) in values.iter().enumerate() {
                options.write_string(r as u32 + 1, c as u16, *v)?;
            }
        }
        options.set_hidden(true);
    }
    Ok(book.save_to_buffer()?)
}

/// Writes rows as an xlsx workbook with a bold, frozen header row and an autofilter.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> anyhow::Result<Vec<u8>> {
    write_xlsx_sheets(&[(sheet_name, headers, rows)])
}

/// One sheet of a workbook: its name, headers and rows.
pub type SheetRows<'a> = (&'a str, &'a [&'a str], &'a [Vec<String>]);

/// Writes a workbook of several sheets, each as [`write_xlsx`] writes its one.
pub fn write_xlsx_sheets(sheets: &[SheetRows<'_>]) -> anyhow::Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, headers, rows) in sheets {
        add_sheet(&mut book, name, headers, rows)?;
    }
    Ok(book.save_to_buffer()?)
}

fn add_sheet(
    book: &mut rust_xlsxwriter::Workbook,
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> anyhow::Result<()> {
    use rust_xlsxwriter::Format;
    let ws = book.add_worksheet();
    ws.set_name(sheet_name)?;
    let bold = Format::new().set_bold().set_background_color("#FDE8E4");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        let widest = rows
            .iter()
            .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
            .max()
            .unwrap_or(0);
        ws.set_column_width(
            c as u16,
            (widest.max(h.chars().count()) as f64 * 1.8 + 2.0).min(60.0),
        )?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            write_text(ws, r as u32 + 1, c as u16, v, None)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(
        0,
        0,
        rows.len() as u32,
        headers.len().saturating_sub(1) as u16,
    )?;
    Ok(())
}

/// An xlsx export written row by row in constant memory: rows go to a temporary file as they
/// come, so a long export never holds the table in memory (only the finished file).
pub struct XlsxStream {
    book: rust_xlsxwriter::Workbook,
    row: u32,
    cols: u16,
}

impl XlsxStream {
    /// A sheet with a bold, frozen header row; `widths` in characters, one per column.
    pub fn new(sheet_name: &str, headers: &[&str], widths: &[f64]) -> anyhow::Result<XlsxStream> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let ws = book.add_worksheet_with_constant_memory();
        ws.set_name(sheet_name)?;
        for (c, h) in headers.iter().enumerate() {
            let w = widths
                .get(c)
                .copied()
                .unwrap_or((h.chars().count() as f64 * 1.8 + 2.0).max(12.0));
            ws.set_column_width(c as u16, w.min(60.0))?;
        }
        let bold = Format::new().set_bold().set_background_color("#FDE8E4");
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(XlsxStream {
            book,
            row: 0,
            cols: headers.len() as u16,
        })
    }

    pub fn push(&mut self, cells: &[String]) -> anyhow::Result<()> {
        self.row += 1;
        let ws = self.book.worksheet_from_index(0)?;
        for (c, v) in cells.iter().enumerate() {
            write_text(ws, self.row, c as u16, v, None)?;
        }
        Ok(())
    }

    pub fn rows(&self) -> u32 {
        self.row
    }

    pub fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        let ws = self.book.worksheet_from_index(0)?;
        ws.autofilter(0, 0, self.row, self.cols.saturating_sub(1))?;
        Ok(self.book.save_to_buffer()?)
    }
}

/// Writes rows as CSV in UTF-8 with a byte-order mark, which Excel needs to show Chinese.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(headers)?;
        for r in rows {
            // A CSV cell cannot say "text": a leading apostrophe keeps a formula-like cell inert.
            w.write_record(r.iter().map(|c| {
                if looks_like_formula(c) {
                    format!("'{c}").into_bytes()
                } else {
                    c.as_bytes().to_vec()
                }
            }))?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 2] = [
        Column::new("code", "工会编码", true),
        Column::new("name", "工会名称", false),
    ];

    #[test]
    fn dates_in_every_accepted_form() {
        let d = NaiveDate::from_ymd_opt(2024, 9, 6);
        for s in [
            "2024-09-06",
            "2024/9/6",
            "2024年9月6日",
            "2024.9.6",
            " 2024-9-6 ",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        for s in ["2024-13-01", "06/09/2024", "2024-02-30", "", "yesterday"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(excel_serial_date(45541.0), d);
    }

    #[test]
    fn csv_in_utf8_with_bom_and_in_gbk_reads_alike() {
        let text = "工会编码,工会名称\nF1,聊城市总工会\n,\nF2,东昌府区总工会\n";
        let utf8 = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        for bytes in [utf8, gbk.into_owned()] {
            let t = read(&bytes, &COLS).unwrap();
            let rows: Vec<(usize, &str, &str)> = t
                .rows
                .iter()
                .map(|(n, c)| (*n, t.cell(c, "code"), t.cell(c, "name")))
                .collect();
            assert_eq!(
                rows,
                [(2, "F1", "聊城市总工会"), (4, "F2", "东昌府区总工会")]
            );
        }
    }

    #[test]
    fn english_headers_are_accepted_and_missing_required_columns_named() {
        let t = read(b"CODE,name\nA,b\n", &COLS).unwrap();
        assert_eq!(t.header("code"), "CODE");
        assert_eq!(
            read(b"name\nx\n", &COLS).unwrap_err(),
            SheetError::MissingColumn("工会编码 (code)".into())
        );
        assert_eq!(read(b"", &COLS).unwrap_err(), SheetError::Empty);
    }

    #[test]
    fn exported_text_is_never_a_formula() {
        for (cell, formula) in [
            ("=HYPERLINK(\"http://x\",\"点我\")", true),
            ("+86 138", true),
            ("-cmd|' /C calc'!A0", true),
            ("@SUM(A1)", true),
            ("\t=1", true),
            ("-3.5", false),
            ("张三", false),
            ("", false),
        ] {
            assert_eq!(looks_like_formula(cell), formula, "{cell:?}");
        }
        let csv = String::from_utf8(
            write_csv(&["名称"], &[vec!["=1+1".into()], vec!["-2".into()]]).unwrap(),
        )
        .unwrap();
        assert!(csv.contains("\n'=1+1\n") && csv.contains("\n-2\n"), "{csv}");
        let bytes = write_xlsx("x", &["名称"], &[vec!["=1+1".into()]]).unwrap();
        use std::io::Read;
        let mut styles = String::new();
        zip::ZipArchive::new(Cursor::new(bytes))
            .unwrap()
            .by_name("xl/styles.xml")
            .unwrap()
            .read_to_string(&mut styles)
            .unwrap();
        assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
    }

    #[test]
    fn xlsx_written_reads_back() {
        let bytes = write_xlsx(
            "orgs",
            &["工会编码", "工会名称"],
            &[vec!["F1".into(), "聊城".into()]],
        )
        .unwrap();
        let t = read(&bytes, &COLS).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!((t.rows[0].0, t.cell(&t.rows[0].1, "name")), (2, "聊城"));
    }
}
