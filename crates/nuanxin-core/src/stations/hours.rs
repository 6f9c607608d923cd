//! Opening hours (开放时间) of a station: a weekly schedule with dated exceptions, read from the
//! forms cadres write ("周一至周五 8:00-20:00；周六、周日 9:00-17:00", "24小时", "2026-10-01 休息")
//! or from JSON, shown back in one canonical Chinese form, and asked "open at this Beijing time?".
//! Storing the text or JSON is left to the callers.

use crate::{Error, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

const DAY_MINUTES: u16 = 24 * 60;
/// Longest text accepted, in characters; a station's hours fit in far less.
const MAX_TEXT_CHARS: usize = 1000;
/// Longest date range in one exception ("2026-10-01至2026-10-07 休息"), in days.
const MAX_DATE_RANGE_DAYS: i64 = 366;

const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn hours_error(code: &'static str) -> Error {
    Error::invalid("hours", code)
}

fn unreadable() -> Error {
    hours_error("stations.hours_unreadable")
}

/// One opening period of a day, in minutes from that day's midnight. A period may run past
/// midnight ("22:00-06:00" is 22:00 until 06:00 the next morning) and belongs to the day it
/// starts on. Invariant: `start < 1440` and `start < end <= start + 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// The whole day, 00:00-24:00.
    pub const ALL_DAY: TimeRange = TimeRange {
        start: 0,
        end: DAY_MINUTES,
    };

    /// From clock minutes: `start` in 0..1440, `end` in 0..=1440 (1440 is "24:00"). An end at or
    /// before the start runs into the next morning; an end equal to the start means 24 hours.
    pub fn new(start: u16, end: u16) -> Result<TimeRange> {
        if start >= DAY_MINUTES || end > DAY_MINUTES {
            return Err(hours_error("stations.hours_bad_time"));
        }
        let end = if end <= start { end + DAY_MINUTES } else { end };
        Ok(TimeRange { start, end })
    }

    /// Minutes after midnight of the opening day.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// Minutes after midnight of the opening day; above 1440 when the period runs overnight.
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// The end as a wall clock shows it, 0..=1440.
    fn end_on_clock(self) -> u16 {
        if self.end > DAY_MINUTES {
            self.end - DAY_MINUTES
        } else {
            self.end
        }
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", clock(self.start), clock(self.end_on_clock()))
    }
}

/// Sorts and merges overlapping or touching periods, unless the merge would exceed 24 hours
/// (which no "HH:MM-HH:MM" could show). Idempotent, so a parsed value displays and parses back
/// to itself.
fn normalize(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.sort();
    let mut merged: Vec<TimeRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(cur) if r.start <= cur.end && r.end.max(cur.end) - cur.start <= DAY_MINUTES => {
                cur.end = cur.end.max(r.end);
            }
            _ => merged.push(r),
        }
    }
    merged
}

/// Opening hours: for each weekday a list of periods (none: closed that day), and dated
/// exceptions that replace the weekly schedule of their date (none: closed that date). Built by
/// [`OpeningHours::parse`], [`OpeningHours::new`] or from JSON; always kept in normal form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HoursJson", into = "HoursJson")]
pub struct OpeningHours {
    weekly: [Vec<TimeRange>; 7],
    exceptions: BTreeMap<NaiveDate, Vec<TimeRange>>,
}

impl OpeningHours {
    /// `weekly` starts on Monday. A date given twice in `exceptions` keeps its last schedule.
    pub fn new(
        weekly: [Vec<TimeRange>; 7],
        exceptions: impl IntoIterator<Item = (NaiveDate, Vec<TimeRange>)>,
    ) -> OpeningHours {
        OpeningHours {
            weekly: weekly.map(normalize),
            exceptions: exceptions
                .into_iter()
                .map(|(date, ranges)| (date, normalize(ranges)))
                .collect(),
        }
    }

    /// Open every day, all day (24小时).
    pub fn always() -> OpeningHours {
        OpeningHours::new(std::array::from_fn(|_| vec![TimeRange::ALL_DAY]), [])
    }

    /// Reads the JSON form when the text starts with `{`, the Chinese text form otherwise.
    /// Within the text form a later clause replaces an earlier one for the days it names
    /// ("每天 8:00-20:00；周日 休息" closes Sundays); days never named are closed.
    pub fn parse(text: &str) -> Result<OpeningHours> {
        if text.trim_start().starts_with('{') {
            return OpeningHours::from_json(text);
        }
        parse_text(text)
    }

    /// Reads the JSON form: `{"mon":[["08:00","20:00"]], ..., "sun":[],
    /// "exceptions":[{"date":"2026-10-01","closed":true},
    /// {"date":"2026-10-02","hours":[["10:00","16:00"]]}]}`. Missing days are closed.
    pub fn from_json(json: &str) -> Result<OpeningHours> {
        let raw: HoursJson = serde_json::from_str(json).map_err(|_| unreadable())?;
        OpeningHours::try_from(raw)
    }

    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&HoursJson::from(self.clone())).expect("plain data serialises")
    }

    /// The weekly periods of one weekday.
    pub fn weekly(&self, day: Weekday) -> &[TimeRange] {
        &self.weekly[day.num_days_from_monday() as usize]
    }

    pub fn exceptions(&self) -> &BTreeMap<NaiveDate, Vec<TimeRange>> {
        &self.exceptions
    }

    /// The periods that start on `date`: its exception if it has one, else its weekday's.
    pub fn periods_on(&self, date: NaiveDate) -> &[TimeRange] {
        match self.exceptions.get(&date) {
            Some(ranges) => ranges,
            None => self.weekly(date.weekday()),
        }
    }

    /// Whether the station is open at a local (Beijing) time, to the minute: a period opened
    /// today, or one opened yesterday that runs past midnight.
    pub fn is_open_at(&self, at: NaiveDateTime) -> bool {
        let minute = (at.hour() * 60 + at.minute()) as u16;
        let date = at.date();
        if self
            .periods_on(date)
            .iter()
            .any(|r| r.start <= minute && minute < r.end)
        {
            return true;
        }
        date.pred_opt().is_some_and(|yesterday| {
            self.periods_on(yesterday)
                .iter()
                .any(|r| minute + DAY_MINUTES < r.end)
        })
    }

    /// The canonical Chinese text ("周一至周五 08:00-20:00；周六、周日 09:00-17:00；
    /// 2026-10-01至2026-10-07 休息"), which [`OpeningHours::parse`] reads back to the same value.
    pub fn display(&self) -> String {
        self.to_string()
    }
}

/// Beijing local time (UTC+8, no daylight saving) of a Unix-millisecond instant, for
/// [`OpeningHours::is_open_at`].
pub fn beijing_time(unix_ms: i64) -> Option<NaiveDateTime> {
    let utc = chrono::DateTime::from_timestamp_millis(unix_ms)?.naive_utc();
    utc.checked_add_signed(Duration::hours(8))
}

fn periods_text(ranges: &[TimeRange]) -> String {
    match ranges {
        [] => "休息".to_string(),
        [TimeRange::ALL_DAY] => "24小时".to_string(),
        _ => ranges
            .iter()
            .map(TimeRange::to_string)
            .collect::<Vec<_>>()
            .join("、"),
    }
}

/// "每天", or runs of weekdays: three or more as "周一至周五", shorter ones listed with "、".
fn days_text(days: &[usize]) -> String {
    if days.len() == 7 {
        return "每天".to_string();
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!(
                "{}至{}",
                WEEKDAYS_ZH[days[i]], WEEKDAYS_ZH[days[j]]
            ));
        } else {
            parts.extend(days[i..=j].iter().map(|&d| WEEKDAYS_ZH[d].to_string()));
        }
        i = j + 1;
    }
    parts.join("、")
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clauses = Vec::new();
        let mut groups: Vec<(&Vec<TimeRange>, Vec<usize>)> = Vec::new();
        for (day, ranges) in self.weekly.iter().enumerate() {
            if ranges.is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(r, _)| *r == ranges) {
                Some((_, days)) => days.push(day),
                None => groups.push((ranges, vec![day])),
            }
        }
        for (ranges, days) in &groups {
            clauses.push(format!("{} {}", days_text(days), periods_text(ranges)));
        }
        let dates: Vec<(&NaiveDate, &Vec<TimeRange>)> = self.exceptions.iter().collect();
        let mut i = 0;
        while i < dates.len() {
            let mut j = i;
            while j + 1 < dates.len()
                && dates[j + 1].1 == dates[i].1
                && dates[j].0.succ_opt() == Some(*dates[j + 1].0)
            {
                j += 1;
            }
            let when = if j > i {
                format!("{}至{}", dates[i].0, dates[j].0)
            } else {
                dates[i].0.to_string()
            };
            clauses.push(format!("{when} {}", periods_text(dates[i].1)));
            i = j + 1;
        }
        if clauses.is_empty() {
            clauses.push("每天 休息".to_string());
        }
        f.write_str(&clauses.join("；"))
    }
}

/// The JSON form: periods as `["HH:MM","HH:MM"]` pairs (an end at or before the start runs
/// overnight, "24:00" ends at midnight), an exception either `"closed": true` or `"hours"`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursJson {
    #[serde(default)]
    mon: Vec<[String; 2]>,
    #[serde(default)]
    tue: Vec<[String; 2]>,
    #[serde(default)]
    wed: Vec<[String; 2]>,
    #[serde(default)]
    thu: Vec<[String; 2]>,
    #[serde(default)]
    fri: Vec<[String; 2]>,
    #[serde(default)]
    sat: Vec<[String; 2]>,
    #[serde(default)]
    sun: Vec<[String; 2]>,
    #[serde(default)]
    exceptions: Vec<ExceptionJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionJson {
    date: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    closed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hours: Vec<[String; 2]>,
}

impl HoursJson {
    fn days_mut(&mut self) -> [&mut Vec<[String; 2]>; 7] {
        [
            &mut self.mon,
            &mut self.tue,
            &mut self.wed,
            &mut self.thu,
            &mut self.fri,
            &mut self.sat,
            &mut self.sun,
        ]
    }
}

#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
fn pairs_of(ranges: &[TimeRange]) -> Vec<[String; 2]> {
    ranges
        .iter()
        .map(|r| {
            let text = r.to_string();
            let (a, b) = text.split_once('-').expect("HH:MM-HH:MM");
            [a.to_string(), b.to_string()]
        })
        .collect()
}

fn ranges_of(pairs: &[[String; 2]]) -> Result<Vec<TimeRange>> {
    pairs
        .iter()
        .map(|[a, b]| TimeRange::new(clock_minutes(a)?, clock_minutes(b)?))
        .collect()
}

/// "8:00", "08:00" or "24:00" to minutes after midnight.
fn clock_minutes(s: &str) -> Result<u16> {
    let bad = || hours_error("stations.hours_bad_time");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let digits = |t: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u16>().ok())
            .flatten()
    };
    let (h, m) = (
        digits(h, 1..=2).ok_or_else(bad)?,
        digits(m, 2..=2).ok_or_else(bad)?,
    );
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl From<OpeningHours> for HoursJson {
    fn from(hours: OpeningHours) -> HoursJson {
        let mut raw = HoursJson::default();
        for (slot, ranges) in raw.days_mut().into_iter().zip(&hours.weekly) {
            *slot = pairs_of(ranges);
        }
        raw.exceptions = hours
            .exceptions
            .iter()
            .map(|(date, ranges)| ExceptionJson {
                date: date.to_string(),
                closed: ranges.is_empty(),
                hours: pairs_of(ranges),
            })
            .collect();
        raw
    }
}

impl TryFrom<HoursJson> for OpeningHours {
    type Error = Error;

    fn try_from(mut raw: HoursJson) -> Result<OpeningHours> {
        let mut weekly: [Vec<TimeRange>; 7] = Default::default();
        for (slot, pairs) in weekly.iter_mut().zip(raw.days_mut()) {
            *slot = ranges_of(pairs)?;
        }
        let mut exceptions = BTreeMap::new();
        for e in &raw.exceptions {
            let date = NaiveDate::parse_from_str(e.date.trim(), "%Y-%m-%d")
                .map_err(|_| hours_error("stations.hours_bad_date"))?;
            if e.closed != e.hours.is_empty() {
                return Err(unreadable());
            }
            if exceptions.insert(date, ranges_of(&e.hours)?).is_some() {
                return Err(unreadable());
            }
        }
        Ok(OpeningHours::new(weekly, exceptions))
    }
}

/// A word or number of the text form.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// One weekday, 0 = Monday; may end a range.
    Day(u8),
    /// A set of weekdays as a bit mask (每天, 工作日, 周末).
    Days(u8),
    Date(NaiveDate),
    /// Clock minutes, 0..=1440.
    Time(u16),
    AllDay,
    Closed,
    /// 至, 到, -, ~ between the two ends of a range.
    To,
    /// 、 or , between items of a list.
    List,
    /// ; 。 or a line break between clauses.
    Clause,
}

/// 上午/下午 before a time; it holds for both ends of a range ("下午2:00-6:00").
#[derive(Debug, Clone, Copy, PartialEq)]
enum Half {
    Morning,
    Noon,
    Afternoon,
}

enum Word {
    Tok(Tok),
    Half(Half),
    Filler,
    Holidays,
}

const EVERY_DAY: u8 = 0b111_1111;

/// Words of the text form, longest first where one begins another.
const WORDS: &[(&str, Word)] = &[
    ("全年无休", Word::Tok(Tok::Days(EVERY_DAY))),
    ("每天", Word::Tok(Tok::Days(EVERY_DAY))),
    ("每日", Word::Tok(Tok::Days(EVERY_DAY))),
    ("天天", Word::Tok(Tok::Days(EVERY_DAY))),
    ("全周", Word::Tok(Tok::Days(EVERY_DAY))),
    ("全年", Word::Tok(Tok::Days(EVERY_DAY))),
    ("工作日", Word::Tok(Tok::Days(0b001_1111))),
    ("双休日", Word::Tok(Tok::Days(0b110_0000))),
    ("周末", Word::Tok(Tok::Days(0b110_0000))),
    ("法定节假日", Word::Holidays),
    ("节假日", Word::Holidays),
    ("节日", Word::Holidays),
    ("假日", Word::Holidays),
    ("全天候", Word::Tok(Tok::AllDay)),
    ("全天", Word::Tok(Tok::AllDay)),
    ("暂停开放", Word::Tok(Tok::Closed)),
    ("不开放", Word::Tok(Tok::Closed)),
    ("停止服务", Word::Tok(Tok::Closed)),
    ("休息", Word::Tok(Tok::Closed)),
    ("关闭", Word::Tok(Tok::Closed)),
    ("闭馆", Word::Tok(Tok::Closed)),
    ("闭站", Word::Tok(Tok::Closed)),
    ("休馆", Word::Tok(Tok::Closed)),
    ("停业", Word::Tok(Tok::Closed)),
    ("歇业", Word::Tok(Tok::Closed)),
    ("休", Word::Tok(Tok::Closed)),
    ("上午", Word::Half(Half::Morning)),
    ("早上", Word::Half(Half::Morning)),
    ("早晨", Word::Half(Half::Morning)),
    ("凌晨", Word::Half(Half::Morning)),
    ("早", Word::Half(Half::Morning)),
    ("中午", Word::Half(Half::Noon)),
    ("下午", Word::Half(Half::Afternoon)),
    ("晚上", Word::Half(Half::Afternoon)),
    ("傍晚", Word::Half(Half::Afternoon)),
    ("夜间", Word::Half(Half::Afternoon)),
    ("晚", Word::Half(Half::Afternoon)),
    ("开放时间", Word::Filler),
    ("营业时间", Word::Filler),
    ("服务时间", Word::Filler),
    ("办公时间", Word::Filler),
    ("工作时间", Word::Filler),
    ("对外开放", Word::Filler),
    ("时间", Word::Filler),
    ("开放", Word::Filler),
    ("营业", Word::Filler),
    ("服务", Word::Filler),
    ("办公", Word::Filler),
    ("次日", Word::Filler),
    ("翌日", Word::Filler),
    ("每周", Word::Filler),
    ("起", Word::Filler),
    ("止", Word::Filler),
];

fn weekday_char(c: char) -> Option<u8> {
    Some(match c {
        '一' => 0,
        '二' => 1,
        '三' => 2,
        '四' => 3,
        '五' => 4,
        '六' => 5,
        '日' | '天' => 6,
        _ => return None,
    })
}

/// Folds the dash and wave variants NFKC leaves alone into the ASCII ones.
fn fold(c: char) -> char {
    match c {
        '—' | '–' | '―' | '‐' | '‑' | '−' | '－' => '-',
        '〜' | '～' | '〰' => '~',
        '\r' => '\n',
        _ => c,
    }
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    toks: Vec<Tok>,
    half: Option<Half>,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn starts_with(&self, word: &str) -> bool {
        (self.at..)
            .zip(word.chars())
            .all(|(i, c)| self.chars.get(i) == Some(&c))
    }

    fn push(&mut self, tok: Tok) {
        if !matches!(tok, Tok::Time(_) | Tok::To) {
            self.half = None;
        }
        self.toks.push(tok);
    }

    /// Reads up to `max` ASCII digits; None when there are none or more than `max`.
    fn number(&mut self, max: usize) -> Option<(u32, usize)> {
        let begin = self.at;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let len = self.at - begin;
        if len == 0 || len > max {
            return None;
        }
        let value = self.chars[begin..self.at]
            .iter()
            .fold(0u32, |v, c| v * 10 + c.to_digit(10).unwrap_or(0));
        Some((value, len))
    }

    fn run(mut self) -> Result<Vec<Tok>> {
        while let Some(c) = self.peek(0) {
            if c.is_ascii_digit() {
                self.digits()?;
                continue;
            }
            match c {
                '\n' | ';' | '。' => {
                    self.push(Tok::Clause);
                    self.at += 1;
                    continue;
                }
                ',' | '、' => {
                    self.push(Tok::List);
                    self.at += 1;
                    continue;
                }
                '-' | '~' | '至' | '到' => {
                    self.push(Tok::To);
                    self.at += 1;
                    continue;
                }
                ':' | '(' | ')' | '[' | ']' | '【' | '】' | '「' | '」' => {
                    self.at += 1;
                    continue;
                }
                c if c.is_whitespace() => {
                    self.at += 1;
                    continue;
                }
                _ => {}
            }
            if self.weekday() {
                continue;
            }
            let Some((word, kind)) = WORDS.iter().find(|(w, _)| self.starts_with(w)) else {
                return Err(unreadable());
            };
            self.at += word.chars().count();
            match kind {
                Word::Tok(tok) => self.push(*tok),
                Word::Half(h) => self.half = Some(*h),
                Word::Filler => {}
                Word::Holidays => return Err(hours_error("stations.hours_holidays")),
            }
        }
        Ok(self.toks)
    }

    /// 周一, 星期一, 礼拜天, 每周一, and a bare 五 right after "周一至".
    fn weekday(&mut self) -> bool {
        for prefix in ["每周", "每星期", "星期", "礼拜", "周"] {
            if self.starts_with(prefix) {
                let n = prefix.chars().count();
                if let Some(d) = self.peek(n).and_then(weekday_char) {
                    self.at += n + 1;
                    self.push(Tok::Day(d));
                    return true;
                }
            }
        }
        let after_day_to = matches!(self.toks.as_slice(), [.., Tok::Day(_), Tok::To]);
        if let Some(d) = self.peek(0).and_then(weekday_char) {
            if after_day_to {
                self.at += 1;
                self.push(Tok::Day(d));
                return true;
            }
        }
        false
    }

    /// A date (2026-10-01, 2026/10/1, 2026.10.01, 2026年10月1日), a time (8:00, 8.30, 08:00:00,
    /// 8点半, 0800, a bare hour), "24小时", "24h" or "7×24".
    fn digits(&mut self) -> Result<()> {
        let begin = self.at;
        if let Some(date) = self.date()? {
            self.push(Tok::Date(date));
            return Ok(());
        }
        self.at = begin;
        let Some((n, len)) = self.number(4) else {
            return Err(unreadable());
        };
        let (mut h, mut m) = (n, 0);
        if len == 4 {
            (h, m) = (n / 100, n % 100);
        } else if len == 3 {
            return Err(unreadable());
        } else if self.peek(0) == Some('月') {
            return Err(hours_error("stations.hours_date_needs_year"));
        } else if self.starts_with("小时") || self.peek(0).is_some_and(|c| c == 'h' || c == 'H') {
            if n != 24 {
                return Err(unreadable());
            }
            self.at += if self.starts_with("小时") { 2 } else { 1 };
            self.push(Tok::AllDay);
            return Ok(());
        } else if self
            .peek(0)
            .is_some_and(|c| matches!(c, '×' | 'x' | 'X' | '*'))
        {
            self.at += 1;
            if n != 7 || self.number(2).map(|(v, _)| v) != Some(24) {
                return Err(unreadable());
            }
            if self.starts_with("小时") {
                self.at += 2;
            } else if self.peek(0).is_some_and(|c| c == 'h' || c == 'H') {
                self.at += 1;
            }
            self.push(Tok::Days(EVERY_DAY));
            self.push(Tok::AllDay);
            return Ok(());
        } else if matches!(self.peek(0), Some(':' | '.'))
            && self.peek(1).is_some_and(|c| c.is_ascii_digit())
        {
            self.at += 1;
            match self.number(2) {
                Some((v, 2)) => m = v,
                _ => return Err(hours_error("stations.hours_bad_time")),
            }
            if self.peek(0) == Some(':') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
                self.at += 1;
                if self.number(2) != Some((0, 2)) {
                    return Err(hours_error("stations.hours_bad_time"));
                }
            }
        } else if self.peek(0).is_some_and(|c| c == '点' || c == '时') {
            self.at += 1;
            if self.peek(0) == Some('半') {
                self.at += 1;
                m = 30;
            } else if self.peek(0) == Some('整') {
                self.at += 1;
            } else if self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                m = self.number(2).ok_or_else(unreadable)?.0;
                if self.peek(0) == Some('分') {
                    self.at += 1;
                }
            }
        }
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(hours_error("stations.hours_bad_time"));
        }
        match self.half {
            Some(Half::Afternoon) if h < 12 => h += 12,
            Some(Half::Noon) if (1..=5).contains(&h) => h += 12,
            _ => {}
        }
        self.push(Tok::Time((h * 60 + m) as u16));
        Ok(())
    }

    /// A date with its year, or None (and the position unspecified) when the digits are not one.
    fn date(&mut self) -> Result<Option<NaiveDate>> {
        let Some((year, 4)) = self.number(4) else {
            return Ok(None);
        };
        let Some(sep) = self.peek(0).filter(|c| matches!(c, '-' | '/' | '.' | '年')) else {
            return Ok(None);
        };
        if !self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        self.at += 1;
        let Some((month, _)) = self.number(2) else {
            return Ok(None);
        };
        let sep2 = if sep == '年' { '月' } else { sep };
        if self.peek(0) != Some(sep2) || !self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        self.at += 1;
        let Some((day, _)) = self.number(2) else {
            return Ok(None);
        };
        if sep == '年' && self.peek(0).is_some_and(|c| c == '日' || c == '号') {
            self.at += 1;
        }
        NaiveDate::from_ymd_opt(year as i32, month, day)
            .map(Some)
            .ok_or(hours_error("stations.hours_bad_date"))
    }
}

/// What a clause says about its days.
enum Spec {
    Periods(Vec<TimeRange>),
    AllDay,
    Closed,
}

impl Spec {
    fn periods(&self) -> Vec<TimeRange> {
        match self {
            Spec::Periods(p) => p.clone(),
            Spec::AllDay => vec![TimeRange::ALL_DAY],
            Spec::Closed => Vec::new(),
        }
    }
}

enum Selector {
    Days(u8),
    Dates(Vec<NaiveDate>),
}

fn day_range(from: u8, to: u8) -> u8 {
    let mut mask = 0u8;
    let mut d = from;
    loop {
        mask |= 1 << d;
        if d == to {
            return mask;
        }
        d = (d + 1) % 7;
    }
}

fn parse_text(text: &str) -> Result<OpeningHours> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(hours_error("stations.hours_too_long"));
    }
    let chars: Vec<char> = text.nfkc().map(fold).collect();
    if chars.iter().all(|c| c.is_whitespace()) {
        return Err(hours_error("stations.hours_empty"));
    }
    let toks = Lexer {
        chars,
        at: 0,
        toks: Vec::new(),
        half: None,
    }
    .run()?;

    let mut weekly: [Vec<TimeRange>; 7] = Default::default();
    let mut exceptions = BTreeMap::new();
    let mut apply = |selector: Option<Selector>, spec: Spec| match selector {
        None => weekly = std::array::from_fn(|_| spec.periods()),
        Some(Selector::Days(mask)) => {
            for (d, slot) in weekly.iter_mut().enumerate() {
                if mask & (1 << d) != 0 {
                    *slot = spec.periods();
                }
            }
        }
        Some(Selector::Dates(dates)) => {
            for date in dates {
                exceptions.insert(date, spec.periods());
            }
        }
    };

    let mut selector: Option<Selector> = None;
    let mut spec: Option<Spec> = None;
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            Tok::Day(_) | Tok::Days(_) => {
                if let Some(s) = spec.take() {
                    apply(selector.take(), s);
                }
                let (mask, used) = match toks[i..] {
                    [Tok::Day(a), Tok::To, Tok::Day(b), ..] => (day_range(a, b), 3),
                    [Tok::Day(a), ..] => (1 << a, 1),
                    [Tok::Days(m), ..] => (m, 1),
                    _ => unreachable!("matched a day above"),
                };
                selector = match selector {
                    None => Some(Selector::Days(mask)),
                    Some(Selector::Days(m)) => Some(Selector::Days(m | mask)),
                    Some(Selector::Dates(_)) => return Err(unreadable()),
                };
                i += used;
            }
            Tok::Date(from) => {
                if let Some(s) = spec.take() {
                    apply(selector.take(), s);
                }
                let (dates, used) = match toks[i..] {
                    [Tok::Date(_), Tok::To, Tok::Date(to), ..] => {
                        let days = (to - from).num_days();
                        if days < 0 {
                            return Err(hours_error("stations.hours_bad_date"));
                        }
                        if days >= MAX_DATE_RANGE_DAYS {
                            return Err(hours_error("stations.hours_too_long"));
                        }
                        (from.iter_days().take(days as usize + 1).collect(), 3)
                    }
                    _ => (vec![from], 1),
                };
                selector = match selector {
                    None => Some(Selector::Dates(dates)),
                    Some(Selector::Dates(mut d)) => {
                        d.extend(dates);
                        Some(Selector::Dates(d))
                    }
                    Some(Selector::Days(_)) => return Err(unreadable()),
                };
                i += used;
            }
            Tok::Time(start) => {
                let (end, used) = match toks[i..] {
                    [Tok::Time(_), Tok::To, Tok::Time(end), ..] => (end, 3),
                    [Tok::Time(_), Tok::Time(end), ..] => (end, 2),
                    _ => return Err(unreadable()),
                };
                let range = TimeRange::new(start, end)?;
                spec = match spec {
                    None => Some(Spec::Periods(vec![range])),
                    Some(Spec::Periods(mut p)) => {
                        p.push(range);
                        Some(Spec::Periods(p))
                    }
                    Some(_) => return Err(unreadable()),
                };
                i += used;
            }
            Tok::AllDay | Tok::Closed => {
                spec = match (spec, toks[i]) {
                    (None | Some(Spec::AllDay), Tok::AllDay) => Some(Spec::AllDay),
                    (None | Some(Spec::Closed), Tok::Closed) => Some(Spec::Closed),
                    _ => return Err(unreadable()),
                };
                i += 1;
            }
            Tok::List => i += 1,
            Tok::Clause => {
                match spec.take() {
                    Some(s) => apply(selector.take(), s),
                    None if selector.is_some() => return Err(unreadable()),
                    None => {}
                }
                i += 1;
            }
            Tok::To => return Err(unreadable()),
        }
    }
    match spec {
        Some(s) => apply(selector, s),
        None if selector.is_some() => return Err(unreadable()),
        None => {}
    }
    Ok(OpeningHours::new(weekly, exceptions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(start: &str, end: &str) -> TimeRange {
        TimeRange::new(clock_minutes(start).unwrap(), clock_minutes(end).unwrap()).unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn week(days: [&[TimeRange]; 7]) -> [Vec<TimeRange>; 7] {
        days.map(|d| d.to_vec())
    }

    fn hours(text: &str) -> OpeningHours {
        OpeningHours::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn code_of(text: &str) -> &'static str {
        let e = OpeningHours::parse(text).expect_err(text);
        assert_eq!(e.field(), Some("hours"), "{text}");
        e.code()
    }

    #[test]
    fn weekdays_with_one_period() {
        let day = [r("08:00", "20:00")];
        let expected = OpeningHours::new(week([&day, &day, &day, &day, &day, &[], &[]]), []);
        for text in [
            "周一至周五 8:00-20:00",
            "周一-周五 08:00-20:00",
            "周一到周五 8:00~20:00",
            "星期一到星期五 08:00-20:00",
            "礼拜一至礼拜五 8:00至20:00",
            "工作日 8:00-20:00",
            "周一至五 8点-20点",
            "周一至周五 ８：００－２０：００",
            "周一至周五 8：00—20：00",
            "周一至周五：上午8:00-晚上8:00",
            "开放时间：周一至周五 8:00到20:00",
            "周一至周五 0800-2000",
            "周一至周五 08:00:00-20:00:00",
            "周一至周五 8.00-20.00",
            "每周一至周五 8:00-20:00",
        ] {
            assert_eq!(hours(text), expected, "{text}");
        }
    }

    #[test]
    fn several_clauses_and_separators() {
        let wd = [r("08:00", "20:00")];
        let we = [r("09:00", "17:00")];
        let expected = OpeningHours::new(week([&wd, &wd, &wd, &wd, &wd, &we, &we]), []);
        for text in [
            "周一至周五 8:00-20:00；周六、周日 9:00-17:00",
            "周一至周五 8:00-20:00;周六,周日 9:00-17:00",
            "周一至周五 8:00-20:00，周六、周日 9:00-17:00",
            "周一至周五 8:00-20:00\n周末 9:00-17:00",
            "工作日8:00-20:00 双休日9:00-17:00",
        ] {
            assert_eq!(hours(text), expected, "{text}");
        }
        let split = hours("周一至周五 8:00-12:00，14:00-18:00");
        assert_eq!(
            split.weekly(Weekday::Wed),
            &[r("08:00", "12:00"), r("14:00", "18:00")]
        );
        assert!(split.weekly(Weekday::Sat).is_empty());
        let afternoon = hours("每天 上午8:00-12:00、下午2:00-6:00");
        assert_eq!(
            afternoon.weekly(Weekday::Sun),
            &[r("08:00", "12:00"), r("14:00", "18:00")]
        );
        assert_eq!(
            hours("周一、周三至周五 9点半-17点").weekly(Weekday::Tue),
            &[]
        );
        assert_eq!(
            hours("周一、周三至周五 9点半-17点").weekly(Weekday::Thu),
            &[r("09:30", "17:00")]
        );
        assert_eq!(hours("早8晚8").weekly(Weekday::Fri), &[r("08:00", "20:00")]);
    }

    #[test]
    fn every_day_and_all_day_forms() {
        let daily = OpeningHours::new(std::array::from_fn(|_| vec![r("07:00", "22:00")]), []);
        assert_eq!(hours("每天 7:00-22:00"), daily);
        assert_eq!(hours("7:00-22:00"), daily);
        assert_eq!(hours("每日 07:00～22:00"), daily);
        for text in [
            "全天24小时",
            "24小时",
            "全天",
            "00:00-24:00",
            "0:00-0:00",
            "每天 24小时",
            "7×24小时",
            "全年无休 24h",
            "周一至周日 00:00-24:00",
        ] {
            assert_eq!(hours(text), OpeningHours::always(), "{text}");
        }
    }

    #[test]
    fn later_clauses_replace_earlier_ones_for_their_days() {
        let h = hours("每天 8:00-20:00，周日休息");
        assert_eq!(h.weekly(Weekday::Sat), &[r("08:00", "20:00")]);
        assert!(h.weekly(Weekday::Sun).is_empty());
    }

    #[test]
    fn overnight_periods() {
        let h = hours("每天 22:00-次日06:00");
        assert_eq!(h.weekly(Weekday::Mon), &[r("22:00", "06:00")]);
        assert_eq!(h.weekly(Weekday::Mon)[0].end_minute(), 30 * 60);
        assert!(h.is_open_at(at("2026-03-02 23:30")));
        assert!(h.is_open_at(at("2026-03-03 05:59")));
        assert!(!h.is_open_at(at("2026-03-03 06:00")));
        assert!(!h.is_open_at(at("2026-03-03 12:00")));
        assert!(h.is_open_at(at("2026-03-03 22:00")));

        let fri_night = hours("周五 20:00-02:00");
        assert!(
            fri_night.is_open_at(at("2026-03-07 01:59")),
            "Saturday early morning"
        );
        assert!(
            !fri_night.is_open_at(at("2026-03-07 20:30")),
            "Saturday evening"
        );
    }

    #[test]
    fn exceptions_replace_their_date() {
        let h = hours("周一至周五 8:00-20:00；2026-10-01 休息；2026年10月2日 10:00-16:00");
        let oct1 = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(h.exceptions().get(&oct1), Some(&vec![]));
        assert!(h.is_open_at(at("2026-09-30 09:00")), "a Wednesday");
        assert!(
            !h.is_open_at(at("2026-10-01 09:00")),
            "closed for the holiday"
        );
        assert!(
            !h.is_open_at(at("2026-10-02 09:00")),
            "special hours start at 10"
        );
        assert!(h.is_open_at(at("2026-10-02 15:59")));
        assert!(!h.is_open_at(at("2026-10-02 16:00")));
        assert!(
            h.is_open_at(at("2026-10-05 09:00")),
            "a Monday, back to normal"
        );

        let week = hours("每天 24小时；2026-10-01至2026-10-07 关闭");
        assert_eq!(week.exceptions().len(), 7);
        assert!(!week.is_open_at(at("2026-10-07 23:59")));
        assert!(week.is_open_at(at("2026-10-08 00:00")));
        assert_eq!(hours("2026/10/01 闭馆").exceptions().len(), 1);
        assert_eq!(hours("2026.10.01、2026.10.03 休息").exceptions().len(), 2);
    }

    #[test]
    fn a_closed_date_keeps_the_tail_of_the_night_before() {
        let h = hours("每天 22:00-06:00；2026-10-01 休息");
        assert!(
            h.is_open_at(at("2026-10-01 05:00")),
            "opened on 30 September"
        );
        assert!(!h.is_open_at(at("2026-10-01 23:00")));
        assert!(!h.is_open_at(at("2026-10-02 05:00")));
    }

    #[test]
    fn opening_is_to_the_minute() {
        let h = hours("周一至周五 8:00-20:00");
        assert!(!h.is_open_at(at("2026-03-02 07:59")));
        assert!(h.is_open_at(at("2026-03-02 08:00")));
        assert!(h.is_open_at(at("2026-03-02 19:59")));
        assert!(!h.is_open_at(at("2026-03-02 20:00")));
        assert!(!h.is_open_at(at("2026-03-07 12:00")), "Saturday");
        assert!(OpeningHours::always().is_open_at(at("2026-03-08 03:00")));
    }

    #[test]
    fn beijing_time_is_utc_plus_eight() {
        let t = beijing_time(1_772_323_200_000).unwrap();
        assert_eq!(t, at("2026-03-01 08:00"));
    }

    #[test]
    fn clear_errors() {
        assert_eq!(code_of(""), "stations.hours_empty");
        assert_eq!(code_of("   "), "stations.hours_empty");
        assert_eq!(code_of("看心情"), "stations.hours_unreadable");
        assert_eq!(code_of("周一至周五"), "stations.hours_unreadable");
        assert_eq!(code_of("周一至周五 8:00"), "stations.hours_unreadable");
        assert_eq!(code_of("8:00-25:00"), "stations.hours_bad_time");
        assert_eq!(code_of("8:61-20:00"), "stations.hours_bad_time");
        assert_eq!(code_of("24:00-06:00"), "stations.hours_bad_time");
        assert_eq!(code_of("2026-02-30 休息"), "stations.hours_bad_date");
        assert_eq!(code_of("10月1日 休息"), "stations.hours_date_needs_year");
        assert_eq!(code_of("法定节假日休息"), "stations.hours_holidays");
        assert_eq!(code_of("8:00-20:00 休息"), "stations.hours_unreadable");
        assert_eq!(
            code_of("2026-01-01至2027-06-01 休息"),
            "stations.hours_too_long"
        );
        assert_eq!(
            code_of(&"每天 8:00-20:00；".repeat(100)),
            "stations.hours_too_long"
        );
        assert_eq!(code_of("{\"mon\": 5}"), "stations.hours_unreadable");
    }

    #[test]
    fn display_is_canonical_chinese() {
        let h = hours("周末 9:00-17:00；工作日 8:00-20:00；2026-10-01至2026-10-03 休息");
        assert_eq!(
            h.display(),
            "周一至周五 08:00-20:00；周六、周日 09:00-17:00；2026-10-01至2026-10-03 休息"
        );
        assert_eq!(OpeningHours::always().display(), "每天 24小时");
        assert_eq!(
            hours("周一、周二、周四 8:00-12:00、13:00-17:00 周三 22:00-2:00").display(),
            "周一、周二、周四 08:00-12:00、13:00-17:00；周三 22:00-02:00"
        );
        let closed = OpeningHours::new(Default::default(), []);
        assert_eq!(closed.display(), "每天 休息");
        assert_eq!(hours(&closed.display()), closed);
    }

    #[test]
    fn overlapping_periods_merge() {
        let h = hours("每天 8:00-12:00、11:00-14:00、14:00-15:00、20:00-08:00");
        assert_eq!(
            h.weekly(Weekday::Mon),
            &[r("08:00", "15:00"), r("20:00", "08:00")]
        );
    }

    #[test]
    fn json_form_both_ways() {
        let json = r#"{"mon":[["08:00","20:00"]],"tue":[["8:00","12:00"],["22:00","06:00"]],
            "sun":[["00:00","24:00"]],
            "exceptions":[{"date":"2026-10-01","closed":true},
                          {"date":"2026-10-02","hours":[["10:00","16:00"]]}]}"#;
        let h = OpeningHours::parse(json).unwrap();
        assert_eq!(
            h.weekly(Weekday::Tue),
            &[r("08:00", "12:00"), r("22:00", "06:00")]
        );
        assert_eq!(h.weekly(Weekday::Sun), &[TimeRange::ALL_DAY]);
        assert!(h.weekly(Weekday::Wed).is_empty());
        let out: serde_json::Value = serde_json::from_str(&h.to_json()).unwrap();
        assert_eq!(out["mon"], serde_json::json!([["08:00", "20:00"]]));
        assert_eq!(out["wed"], serde_json::json!([]));
        assert_eq!(out["tue"][1], serde_json::json!(["22:00", "06:00"]));
        assert_eq!(out["sun"][0], serde_json::json!(["00:00", "24:00"]));
        assert_eq!(
            out["exceptions"],
            serde_json::json!([{"date":"2026-10-01","closed":true},
                               {"date":"2026-10-02","hours":[["10:00","16:00"]]}])
        );
        assert_eq!(OpeningHours::from_json(&h.to_json()).unwrap(), h);
        let via_serde: OpeningHours = serde_json::from_str(&h.to_json()).unwrap();
        assert_eq!(via_serde, h);

        for bad in [
            r#"{"mon":[["08:00","25:00"]]}"#,
            r#"{"mon":[["8","20"]]}"#,
            r#"{"monday":[["08:00","20:00"]]}"#,
            r#"{"exceptions":[{"date":"2026-10-01"}]}"#,
            r#"{"exceptions":[{"date":"2026-10-01","closed":true,"hours":[["08:00","09:00"]]}]}"#,
            r#"{"exceptions":[{"date":"2026-13-01","closed":true}]}"#,
            r#"{"exceptions":[{"date":"2026-10-01","closed":true},
                              {"date":"2026-10-01","closed":true}]}"#,
        ] {
            let e = OpeningHours::parse(bad).expect_err(bad);
            assert_eq!(e.field(), Some("hours"), "{bad}");
        }
    }

    fn range_strategy() -> impl Strategy<Value = TimeRange> {
        (0u16..DAY_MINUTES, 0u16..=DAY_MINUTES).prop_map(|(s, e)| TimeRange::new(s, e).unwrap())
    }

    fn hours_strategy() -> impl Strategy<Value = OpeningHours> {
        let day = prop::collection::vec(range_strategy(), 0..4);
        let exception = (0i64..900, prop::collection::vec(range_strategy(), 0..3)).prop_map(
            |(offset, ranges)| {
                let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
                (base + Duration::days(offset), ranges)
            },
        );
        (
            prop::collection::vec(day, 7),
            prop::collection::vec(exception, 0..6),
        )
            .prop_map(|(days, exceptions)| {
                let weekly: [Vec<TimeRange>; 7] =
                    days.try_into().expect("seven days from the strategy");
                OpeningHours::new(weekly, exceptions)
            })
    }

    const VOCABULARY: &[&str] = &[
        "周一",
        "周五",
        "星期天",
        "至",
        "到",
        "-",
        "~",
        "—",
        "、",
        "，",
        "；",
        "\n",
        " ",
        "8:00",
        "20:00",
        "24:00",
        "25:00",
        "8点半",
        "24小时",
        "全天",
        "每天",
        "工作日",
        "休息",
        "关闭",
        "2026-10-01",
        "2026年2月30日",
        "9999-12-31",
        "0001-01-01",
        "上午",
        "下午",
        "7×24",
        "0800",
        "99999999999",
        "月",
        "{",
        "}",
        ":",
        "：",
        "五",
        "次日",
        "节假日",
        "h",
        "x",
    ];

    proptest! {
        #[test]
        fn display_parses_back_to_the_same_value(h in hours_strategy()) {
            let text = h.display();
            let back = OpeningHours::parse(&text);
            prop_assert!(back.is_ok(), "{text}: {:?}", back.err());
            prop_assert_eq!(back.unwrap(), h.clone(), "{}", text);
            prop_assert_eq!(OpeningHours::from_json(&h.to_json()).unwrap(), h);
        }

        #[test]
        fn merging_keeps_the_same_open_minutes(
            ranges in prop::collection::vec(range_strategy(), 0..6),
            day in 0i64..7,
            minute in 0u32..1440,
        ) {
            let mut weekly: [Vec<TimeRange>; 7] = Default::default();
            weekly[0] = ranges.clone();
            let h = OpeningHours::new(weekly, []);
            // 2026-03-02 is a Monday; ranges apply on Mondays only.
            let t = at("2026-03-02 00:00") + Duration::days(day) + Duration::minutes(minute as i64);
            let m = minute as u16;
            let expected = match day {
                0 => ranges.iter().any(|r| r.start <= m && m < r.end),
                1 => ranges.iter().any(|r| m + DAY_MINUTES < r.end),
                _ => false,
            };
            prop_assert_eq!(h.is_open_at(t), expected);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            if let Ok(h) = OpeningHours::parse(&s) {
                prop_assert_eq!(OpeningHours::parse(&h.display()).unwrap(), h);
            }
        }

        #[test]
        fn parsing_near_miss_texts_never_panics(
            words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..14),
        ) {
            let s = words.concat();
            if let Ok(h) = OpeningHours::parse(&s) {
                prop_assert_eq!(OpeningHours::parse(&h.display()).unwrap(), h.clone());
                let _ = h.is_open_at(at("2026-10-01 12:00"));
            }
        }
    }
}
