//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet without I, O, Z, S and V; characters 3-8 are the registering region's
//! division code; the last is a check character over the first 17 (weights 3^i mod 31).

use crate::{Error, Result};
use serde::Serialize;
use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid USCC in canonical form (upper case, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Uscc(String);

impl Uscc {
    /// Accepts lower case and stray spaces or full-width characters (as typed or pasted from
    /// Excel) and normalises them; rejects a wrong length, characters outside the alphabet
    /// (including I, O, Z, S, V), a non-numeric region part and a wrong check character.
    pub fn parse(input: &str) -> Result<Uscc> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c {
                '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                }
                c => c,
            })
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(Error::invalid("uscc", "census.uscc_required"));
        }
        if s.chars().count() != 18 {
            return Err(Error::invalid("uscc", "census.uscc_length"));
        }
        let mut values = [0u32; 18];
        for (i, b) in s.bytes().enumerate() {
            match ALPHABET.iter().position(|a| *a == b) {
                Some(v) => values[i] = v as u32,
                None => return Err(Error::invalid("uscc", "census.uscc_bad_character")),
            }
        }
        if !s.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
            return Err(Error::invalid("uscc", "census.uscc_bad_region"));
        }
        if check_value(&values[..17]) != values[17] {
            return Err(Error::invalid("uscc", "census.uscc_check"));
        }
        Ok(Uscc(s))
    }

    /// Completes 17 characters with their check character (for tests and demo data).
    pub fn with_check(first17: &str) -> Option<Uscc> {
        let values: Vec<u32> = first17
            .bytes()
            .map(|b| ALPHABET.iter().position(|a| *a == b).map(|v| v as u32))
            .collect::<Option<_>>()?;
        if values.len() != 17 {
            return None;
        }
        let check = ALPHABET[check_value(&values) as usize] as char;
        Uscc::parse(&format!("{first17}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registering region's six-digit division code.
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn validation_table() {
        let cases: [(&str, std::result::Result<&str, &str>); 14] = [
            // Published codes, and a computed one.
            ("91350100M000100Y43", Ok("91350100M000100Y43")),
            ("91110000802100433B", Ok("91110000802100433B")),
            ("91371500789201168K", Ok("91371500789201168K")),
            // Normalised: lower case, spaces, full-width.
            ("91350100m000100y43", Ok("91350100M000100Y43")),
            (" 9135 0100 M000 100Y43 ", Ok("91350100M000100Y43")),
            (
                "９１３５０１００Ｍ０００１００Ｙ４３",
                Ok("91350100M000100Y43"),
            ),
            // Bad check character.
            ("91350100M000100Y44", Err("census.uscc_check")),
            ("91371500789201168J", Err("census.uscc_check")),
            // Letters outside the alphabet: I O Z S V.
            ("91350100M0001I0Y43", Err("census.uscc_bad_character")),
            ("91350100O000100Y43", Err("census.uscc_bad_character")),
            ("9135010ZM00010SV43", Err("census.uscc_bad_character")),
            // Wrong length, empty, letters in the region part.
            ("91350100M000100Y4", Err("census.uscc_length")),
            ("", Err("census.uscc_required")),
            ("9135A100M000100Y43", Err("census.uscc_bad_region")),
        ];
        for (input, want) in cases {
            let got = Uscc::parse(input).map(|u| u.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), want, "{input:?}");
        }
    }

    #[test]
    fn the_check_character_is_computed() {
        let u = Uscc::with_check("91350100M000100Y4").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        assert_eq!(u.region(), "350100");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = Uscc::parse(&s);
        }

        #[test]
        fn every_completed_code_parses_and_one_changed_character_fails(
            body in "[0-9A-HJ-NP-RT-UW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RT-UW-Y]{9}",
            pos in 0usize..18,
            bump in 1u32..31,
        ) {
            let u = Uscc::with_check(&body).expect("completes");
            prop_assert_eq!(Uscc::parse(u.as_str()).unwrap(), u.clone());
            prop_assert_eq!(Uscc::parse(&u.as_str().to_lowercase()).unwrap(), u.clone());
            // Changing any one character to another alphabet character breaks the check.
            let mut bytes = u.as_str().as_bytes().to_vec();
            let v = ALPHABET.iter().position(|a| *a == bytes[pos]).unwrap() as u32;
            bytes[pos] = ALPHABET[((v + bump) % 31) as usize];
            let changed = String::from_utf8(bytes).unwrap();
            let region_broken = (2..8).contains(&pos) && !changed.as_bytes()[pos].is_ascii_digit();
            let code = Uscc::parse(&changed).unwrap_err().code();
            prop_assert_eq!(code, if region_broken { "census.uscc_bad_region" } else { "census.uscc_check" });
        }
    }
}
