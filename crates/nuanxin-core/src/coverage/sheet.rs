//! The statistics sheet cadres hand upwards (新就业形态劳动者入会情况统计表): one row per child
//! unit with members by worker group, the census figures and both rates, a row for the unit's
//! own members, and a total row; landscape A4, fitted to the page width, header repeated on every
//! printed page.

use super::report::Coverage;
use crate::members::WorkerGroup;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

/// Column titles of the sheet in Chinese or English.
fn titles(zh: bool) -> Vec<String> {
    let mut t: Vec<String> = vec![if zh { "工会组织" } else { "Union" }.into()];
    t.push(if zh { "会员总数" } else { "Members" }.into());
    for g in WorkerGroup::ALL {
        t.push(if zh { g.zh().into() } else { g.as_str().into() });
    }
    let rest: [(&str, &str); 9] = [
        ("本期新入会", "New members"),
        ("本期减少", "Left"),
        ("已知劳动者", "Known workers"),
        ("入会率", "Membership rate"),
        ("排查企业", "Enterprises surveyed"),
        ("在营企业", "Eligible enterprises"),
        ("已建会企业", "Unionised"),
        ("建会率", "Unionisation rate"),
        ("工会组织数", "Unions"),
    ];
    t.extend(
        rest.iter()
            .map(|(z, e)| if zh { *z } else { *e }.to_string()),
    );
    t
}

enum Cell {
    Text(String),
    Int(i64),
    Rate(Option<f64>),
}

fn row(name: String, c: &Coverage) -> Vec<Cell> {
    let mut r = vec![Cell::Text(name), Cell::Int(c.members_total)];
    for g in WorkerGroup::ALL {
        r.push(Cell::Int(
            c.members_by_group.get(g.as_str()).copied().unwrap_or(0),
        ));
    }
    r.extend([
        Cell::Int(c.new_members),
        Cell::Int(c.left_members),
        Cell::Int(c.known_workers),
        Cell::Rate(c.membership_rate),
        Cell::Int(c.enterprises_surveyed),
        Cell::Int(c.enterprises_eligible),
        Cell::Int(c.enterprises_unionised),
        Cell::Rate(c.unionisation_rate),
        Cell::Int(c.unions_by_type.values().sum()),
    ]);
    r
}

/// The unit's own figures: its subtree minus its children's (members registered directly with
/// it, enterprises attributed to it).
fn own(c: &Coverage) -> Coverage {
    let mut o = c.clone();
    o.children.clear();
    for ch in &c.children {
        o.members_total -= ch.members_total;
        for (g, n) in &ch.members_by_group {
            *o.members_by_group.entry(g.clone()).or_default() -= n;
        }
        o.new_members -= ch.new_members;
        o.left_members -= ch.left_members;
        o.known_workers -= ch.known_workers;
        o.enterprises_surveyed -= ch.enterprises_surveyed;
        o.enterprises_eligible -= ch.enterprises_eligible;
        o.enterprises_unionised -= ch.enterprises_unionised;
        for (k, n) in &ch.unions_by_type {
            *o.unions_by_type.entry(k.clone()).or_default() -= n;
        }
    }
    let rate = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
    o.membership_rate = rate(o.members_total, o.known_workers);
    o.unionisation_rate = rate(o.enterprises_unionised, o.enterprises_eligible);
    o
}

/// Writes the sheet for a report (with its children) as xlsx.
pub fn statistics_xlsx(report: &Coverage, zh: bool) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(if zh { "信息统计表" } else { "Statistics" })?;
    let titles = titles(zh);
    let cols = titles.len() as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let sub = Format::new()
        .set_align(FormatAlign::Center)
        .set_font_color("#555555");
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#FDE8E4")
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0");
    let pct = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0%");
    let total_txt = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#F3F4F6");
    let total_num = total_txt.clone().set_num_format("#,##0");
    let total_pct = total_txt.clone().set_num_format("0.0%");

    let heading = if zh {
        format!("{}新就业形态劳动者入会情况统计表", report.org_name)
    } else {
        format!(
            "{}: membership of new-employment-form workers",
            report.org_name
        )
    };
    ws.merge_range(0, 0, 0, cols - 1, &heading, &title)?;
    let period = format!(
        "{} {} — {}",
        if zh { "统计期间" } else { "Period" },
        report.period.from,
        report.period.to
    );
    ws.merge_range(1, 0, 1, cols - 1, &period, &sub)?;
    for (c, t) in titles.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, t, &head)?;
    }
    ws.set_row_height(2, 32)?;
    let mut rows: Vec<Vec<Cell>> = report
        .children
        .iter()
        .map(|c| row(c.org_name.clone(), c))
        .collect();
    let mine = own(report);
    if mine.members_total != 0 || mine.enterprises_surveyed != 0 || rows.is_empty() {
        rows.push(row(
            format!(
                "{}{}",
                report.org_name,
                if zh { "（本级）" } else { " (own)" }
            ),
            &mine,
        ));
    }
    let mut r = 3u32;
    for cells in &rows {
        for (c, v) in cells.iter().enumerate() {
            match v {
                Cell::Text(s) => crate::sheets::write_text(ws, r, c as u16, s, Some(&cell))?,
                Cell::Int(n) => {
                    ws.write_number_with_format(r, c as u16, *n as f64, &num)?;
                }
                Cell::Rate(Some(x)) => {
                    ws.write_number_with_format(r, c as u16, *x, &pct)?;
                }
                Cell::Rate(None) => {
                    ws.write_string_with_format(r, c as u16, "—", &cell)?;
                }
            };
        }
        r += 1;
    }
    for (c, v) in row(if zh { "合计" } else { "Total" }.into(), report)
        .iter()
        .enumerate()
    {
        match v {
            Cell::Text(s) => ws.write_string_with_format(r, c as u16, s, &total_txt)?,
            Cell::Int(n) => ws.write_number_with_format(r, c as u16, *n as f64, &total_num)?,
            Cell::Rate(Some(x)) => ws.write_number_with_format(r, c as u16, *x, &total_pct)?,
            Cell::Rate(None) => ws.write_string_with_format(r, c as u16, "—", &total_txt)?,
        };
    }
    ws.set_column_width(0, 28)?;
    for c in 1..cols {
        ws.set_column_width(c, 10)?;
    }
    ws.set_freeze_panes(3, 1)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(2, 2)?;
    Ok(book.save_to_buffer()?)
}
