//! Regions (区划代码): the national division tree, province → city → county → township → village.
//! Codes are kept in their short prefix form (2, 4, 6, 9 or 12 digits), so that a roll-up is a
//! prefix match; the 12-digit statistical form is accepted everywhere and shown where asked.
//! The tree down to township level is built into the binary; villages are imported.

mod queries;
mod villages;

pub use queries::{
    ancestors, browse, children, ensure_builtin, get, require, search, upsert_rows, with_parents,
    Browse, Region, RegionRow,
};
pub use villages::{import_villages, read_villages, SkippedRow, VillageImport};

use crate::{Error, Result};
use serde::Serialize;
use std::fmt;

/// Lengths of the code at each level: province, city, county, township, village.
pub const LEVEL_LENGTHS: [usize; 5] = [2, 4, 6, 9, 12];

/// A region code in its short prefix form, checked for shape (not yet for existence: see
/// `regions::require`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct RegionCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province = 1,
    City = 2,
    County = 3,
    Township = 4,
    Village = 5,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }

    fn from_len(len: usize) -> Option<RegionLevel> {
        Some(match len {
            2 => RegionLevel::Province,
            4 => RegionLevel::City,
            6 => RegionLevel::County,
            9 => RegionLevel::Township,
            12 => RegionLevel::Village,
            _ => return None,
        })
    }
}

impl RegionCode {
    /// Parses a code in 12-digit form (`371502003000`) or short form (`371502003`) into the short
    /// form. The result names one region; whether it exists is asked of the database.
    pub fn parse(input: &str) -> Result<RegionCode> {
        let s = input.trim();
        if s.is_empty()
            || !s.bytes().all(|b| b.is_ascii_digit())
            || !LEVEL_LENGTHS.contains(&s.len())
        {
            return Err(Error::invalid("region_code", "regions.bad_code"));
        }
        let mut full = s.to_string();
        while full.len() < 12 {
            full.push('0');
        }
        // The shortest level prefix after which only zeros follow.
        let len = LEVEL_LENGTHS
            .iter()
            .copied()
            .find(|&l| full[l..].bytes().all(|b| b == b'0'))
            .unwrap_or(12);
        let code = &full[..len];
        if &code[..2] == "00" {
            return Err(Error::invalid("region_code", "regions.bad_code"));
        }
        Ok(RegionCode(code.to_string()))
    }

    /// Wraps a code read from the database (already in short form).
    pub fn from_db(code: String) -> RegionCode {
        RegionCode(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn level(&self) -> RegionLevel {
        RegionLevel::from_len(self.0.len()).expect("parsed codes have a level length")
    }

    /// The code one level up, or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let len = self.0.len();
        LEVEL_LENGTHS
            .iter()
            .rev()
            .find(|&&l| l < len)
            .map(|&l| RegionCode(self.0[..l].to_string()))
    }

    /// This code and every code above it, from the province down.
    pub fn lineage(&self) -> Vec<RegionCode> {
        LEVEL_LENGTHS
            .iter()
            .filter(|&&l| l <= self.0.len())
            .map(|&l| RegionCode(self.0[..l].to_string()))
            .collect()
    }

    /// Whether `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The 12-digit statistical form.
    pub fn full(&self) -> String {
        format!("{:0<12}", self.0)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn twelve_digit_and_short_forms_name_the_same_region() {
        let cases = [
            ("371502003000", "371502003"),
            ("371502003", "371502003"),
            ("371502000000", "371502"),
            ("371500000000", "3715"),
            ("370000000000", "37"),
            ("370000", "37"),
            ("371502003201", "371502003201"),
            (" 3715 ", "3715"),
            ("110101001001", "110101001001"),
        ];
        for (input, short) in cases {
            assert_eq!(RegionCode::parse(input).unwrap().as_str(), short, "{input}");
        }
    }

    #[test]
    fn malformed_codes_are_rejected_with_the_field() {
        for bad in [
            "",
            "3",
            "371",
            "37150",
            "3715020031",
            "37150200300a",
            "000000000000",
            "00",
            "３７",
            "3715-02",
        ] {
            let err = RegionCode::parse(bad).unwrap_err();
            assert_eq!(
                (err.field(), err.code()),
                (Some("region_code"), "regions.bad_code"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn levels_parents_and_lineage() {
        let c = RegionCode::parse("371502003").unwrap();
        assert_eq!(c.level(), RegionLevel::Township);
        assert_eq!(c.parent().unwrap().as_str(), "371502");
        let lineage: Vec<String> = c.lineage().iter().map(|c| c.to_string()).collect();
        assert_eq!(lineage, ["37", "3715", "371502", "371502003"]);
        assert_eq!(RegionCode::parse("37").unwrap().parent(), None);
        assert_eq!(c.full(), "371502003000");
        assert!(RegionCode::parse("3715").unwrap().contains(&c));
        assert!(!RegionCode::parse("3716").unwrap().contains(&c));
    }

    proptest! {
        #[test]
        fn parse_is_idempotent_and_full_form_round_trips(s in "[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}") {
            if let Ok(c) = RegionCode::parse(&s) {
                prop_assert_eq!(RegionCode::parse(c.as_str()).unwrap(), c.clone());
                prop_assert_eq!(RegionCode::parse(&c.full()).unwrap(), c.clone());
                prop_assert!(c.full().starts_with(c.as_str()));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = RegionCode::parse(&s);
        }
    }
}
