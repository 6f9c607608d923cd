//! Real-name identity as typed at the edge: the resident ID number, the mobile phone and the
//! personal name, each parsed once into a type that cannot hold a wrong value. Encryption at rest
//! and the lookup hash of ID numbers belong to `id_vault`; storage belongs to the queries.

use crate::{Error, Result};
use chrono::NaiveDate;
use std::fmt;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Weights of the first 17 characters in ISO 7064 MOD 11-2, as GB 11643-1999 prescribes.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum modulo 11.
const ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Resident ID number (居民身份证号码, GB 11643-1999): 6 digits of the home county, the birth
/// date as `YYYYMMDD`, 3 sequence digits and a check character (digit or `X`).
///
/// Always the full 18 characters, upper-case `X`. `Debug` and `Display` show only the mask, so
/// the number can sit in structs that get logged; the plain value comes out only through
/// [`ResidentId::as_str`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// The 18 characters of an ID number from its first 17 digits (ASCII digits), with their
    /// check character (GB 11643): for generated and test data.
    pub fn with_check(body17: &str) -> String {
        format!("{body17}{}", check_char(body17))
    }

    /// Parses an ID number as typed: surrounding and inner spaces are dropped, a lower-case `x`
    /// is accepted, and a legacy 15-digit number (born in the 1900s) is upgraded to 18 digits.
    /// The birth date must lie between 1900-01-01 and `today`.
    ///
    /// Every error has the field `id_number`: `members.id_required`, `members.id_bad_format`,
    /// `members.id_bad_region`, `members.id_bad_birth_date` or `members.id_bad_check`.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn parse(input: &str, today: NaiveDate) -> Result<ResidentId> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == 'x' { 'X' } else { c })
            .collect();
        if s.is_empty() {
            return Err(id_error("members.id_required"));
        }
        let id = if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            let body = format!("{}19{}", &s[..6], &s[6..]);
            let check = check_char(&body);
            format!("{body}{check}")
        } else if has_18_shape(&s) {
            s
        } else {
            return Err(id_error("members.id_bad_format"));
        };
        if !is_province(&id[..2]) {
            return Err(id_error("members.id_bad_region"));
        }
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a real date");
        match birth_date_of(&id) {
            Some(born) if born >= earliest && born <= today => {}
            _ => return Err(id_error("members.id_bad_birth_date")),
        }
        if !has_valid_check(&id) {
            return Err(id_error("members.id_bad_check"));
        }
        Ok(ResidentId(id))
    }

    /// Rebuilds an ID number decrypted by the vault. It checks the shape, the check character and
    /// that the birth date is a real calendar day, but neither the region nor the date range: what
    /// was valid when it was sealed stays readable.
    pub fn from_trusted(s: String) -> Result<ResidentId> {
        if !has_18_shape(&s) || birth_date_of(&s).is_none() {
            return Err(id_error("members.id_bad_format"));
        }
        if !has_valid_check(&s) {
            return Err(id_error("members.id_bad_check"));
        }
        Ok(ResidentId(s))
    }

    /// The full 18 characters. Only the ID vault (to seal and hash) and an explicit, audited
    /// reveal to an authorised person may call this; everything else shows [`ResidentId::mask`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 4 and last 4 characters with 10 stars between: `3415**********123X`.
    pub fn mask(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }

    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).expect("checked when parsed")
    }

    /// The county (县级行政区划代码) where the number was issued: the first 6 digits.
    pub fn home_county_code(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

fn id_error(code: &'static str) -> Error {
    Error::invalid("id_number", code)
}

/// 17 ASCII digits and a digit or `X`.
fn has_18_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X')
}

/// The check character of the first 17 digits of `body`, which must be ASCII digits.
fn check_char(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(ID_CHECK_CHARS[(sum % 11) as usize])
}

fn has_valid_check(id: &str) -> bool {
    check_char(&id[..17]) == char::from(id.as_bytes()[17])
}

/// Provinces, autonomous regions, municipalities, Hong Kong, Macao, Taiwan (83) and 91.
fn is_province(two_digits: &str) -> bool {
    matches!(
        two_digits.parse::<u8>(),
        Ok(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82 | 83 | 91)
    )
}

fn birth_date_of(id: &str) -> Option<NaiveDate> {
    let year = id.get(6..10)?.parse().ok()?;
    let month = id.get(10..12)?.parse().ok()?;
    let day = id.get(12..14)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Mainland mobile number (手机号): 11 digits matching `1[3-9]\d{9}`, without country code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a mobile number as typed: spaces, dashes, dots and parentheses are dropped, and so
    /// is a leading `+86`, `0086` or `86` in front of 11 digits. Field `phone`, codes
    /// `members.phone_required` and `members.bad_phone`.
    pub fn parse(input: &str) -> Result<Phone> {
        if input.trim().is_empty() {
            return Err(Error::invalid("phone", "members.phone_required"));
        }
        let s: String = input
            .chars()
            .filter(|c| {
                !c.is_whitespace()
                    && !matches!(
                        c,
                        '-' | '.' | '(' | ')' | '（' | '）' | '－' | '‐' | '‑' | '–' | '—'
                    )
            })
            .collect();
        let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let s = ["+86", "0086", "86"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .filter(|rest| rest.len() == 11 && is_digits(rest))
            .unwrap_or(&s);
        let b = s.as_bytes();
        if b.len() == 11 && is_digits(s) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            Ok(Phone(s.to_string()))
        } else {
            Err(Error::invalid("phone", "members.bad_phone"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 3 and last 4 digits: `138****1234`.
    pub fn mask(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

/// Personal name (姓名) as on the ID card: letters of any script (including CJK extensions outside
/// the Basic Multilingual Plane), combining marks, the middle dot `·` of transliterated names
/// (`买买提·艾力`), and in names with Latin letters single spaces, `-` and `'`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

/// Names are compared and stored in characters, not bytes.
const NAME_MAX_CHARS: usize = 50;

impl PersonName {
    /// Parses a name as typed: NFC normalisation, spaces trimmed and collapsed (and removed from
    /// names with CJK characters, `李 四` → `李四`), look-alike dots turned into `·`. Field `name`,
    /// codes `members.name_required`, `members.name_too_long` and `members.bad_name`.
    pub fn parse(input: &str) -> Result<PersonName> {
        let mut chars: Vec<char> = Vec::new();
        for c in input.nfc() {
            let c = match c {
                '\u{2022}' | '\u{30FB}' | '\u{FF0E}' | '\u{2027}' | '\u{22C5}' | '\u{FF65}'
                | '\u{2219}' => '·',
                '\u{2019}' => '\'',
                '\u{2010}' | '\u{2011}' => '-',
                c if c.is_whitespace() => ' ',
                c => c,
            };
            if c == ' ' && chars.last().is_none_or(|&last| last == ' ') {
                continue;
            }
            chars.push(c);
        }
        if chars.last() == Some(&' ') {
            chars.pop();
        }
        if chars.is_empty() {
            return Err(name_error("members.name_required"));
        }

        let has_cjk = chars.iter().any(|&c| is_cjk(c));
        let near_dot = |i: usize| {
            i.checked_sub(1).and_then(|j| chars.get(j)) == Some(&'·')
                || chars.get(i + 1) == Some(&'·')
        };
        let mut chars: Vec<char> = (0..chars.len())
            .filter(|&i| chars[i] != ' ' || !(has_cjk || near_dot(i)))
            .map(|i| chars[i])
            .collect();
        for i in 1..chars.len().saturating_sub(1) {
            if chars[i] == '.' && is_word(chars[i - 1]) && is_letter(chars[i + 1]) {
                chars[i] = '·';
            }
        }

        if chars.len() > NAME_MAX_CHARS {
            return Err(name_error("members.name_too_long"));
        }
        let has_latin = chars.iter().any(|&c| is_latin_letter(c));
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let between_letters = prev.is_some_and(is_word) && next.is_some_and(is_letter);
            let ok = match c {
                ' ' => true,
                '·' => between_letters,
                '-' | '\'' => has_latin && between_letters,
                // A combining mark accents a letter of an alphabet (at most two on one letter);
                // Han characters and kana take none (`王̶̶̶明` is not a name).
                c if is_mark(c) => {
                    let marks_before = chars[..i].iter().rev().take_while(|&&m| is_mark(m)).count();
                    let base = chars[..i - marks_before.min(i)].last().copied();
                    marks_before < 2 && base.is_some_and(|b| is_letter(b) && !is_cjk(b))
                }
                c => is_letter(c),
            };
            if !ok {
                return Err(name_error("members.bad_name"));
            }
        }
        Ok(PersonName(chars.into_iter().collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn name_error(code: &'static str) -> Error {
    Error::invalid("name", code)
}

/// A letter of any script, except the invisible Hangul fillers that pass for letters; and 〇
/// (U+3007, a Han character for zero in names such as 陈〇一, which Unicode files as a number).
fn is_letter(c: char) -> bool {
    c == '\u{3007}'
        || c.general_category_group() == GeneralCategoryGroup::Letter
            && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}

/// A combining mark that attaches to the letter before it (enclosing marks draw symbols).
fn is_mark(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark | GeneralCategory::SpacingMark
    )
}

fn is_word(c: char) -> bool {
    is_letter(c) || is_mark(c)
}

/// Han ideographs (all extensions), kana, bopomofo and Hangul: scripts written without spaces.
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x11FF
            | 0x3007
            | 0x3040..=0x31FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF
            | 0x20000..=0x3FFFF
    )
}

fn is_latin_letter(c: char) -> bool {
    is_letter(c)
        && matches!(
            u32::from(c),
            0x41..=0x5A
                | 0x61..=0x7A
                | 0xC0..=0x24F
                | 0x1E00..=0x1EFF
                | 0x2C60..=0x2C7F
                | 0xA720..=0xA7FF
                | 0xAB30..=0xAB6F
                | 0xFF21..=0xFF3A
                | 0xFF41..=0xFF5A
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn with_check(body: &str) -> String {
        ResidentId::with_check(body)
    }

    fn id_code(input: &str) -> &'static str {
        ResidentId::parse(input, today()).unwrap_err().code()
    }

    #[test]
    fn resident_ids_parse_into_the_18_character_form() {
        for (input, normalised) in [
            ("11010519491231002X", "11010519491231002X"),
            ("11010519491231002x", "11010519491231002X"),
            (" 110105 19491231 002x ", "11010519491231002X"),
            ("341524198001011232", "341524198001011232"),
            ("440304199912310517", "440304199912310517"),
            ("650102200002297895", "650102200002297895"),
            ("81000019700101001X", "81000019700101001X"),
            ("110105491231002", "11010519491231002X"),
        ] {
            let id = ResidentId::parse(input, today()).unwrap();
            assert_eq!(id.as_str(), normalised, "{input}");
        }
    }

    #[test]
    fn bad_resident_ids_say_what_is_wrong() {
        for (input, code) in [
            ("", "members.id_required"),
            ("  \t ", "members.id_required"),
            ("1101051949123100", "members.id_bad_format"),
            ("1101051949123100211", "members.id_bad_format"),
            ("11010519491231002Y", "members.id_bad_format"),
            ("1101051949123100X2", "members.id_bad_format"),
            ("11010549123100X", "members.id_bad_format"),
            (
                "１１０１０５１９４９１２３１００２Ｘ",
                "members.id_bad_format",
            ),
            (&with_check("99010519491231002"), "members.id_bad_region"),
            (&with_check("00010519491231002"), "members.id_bad_region"),
            (
                &with_check("11010519490231002"),
                "members.id_bad_birth_date",
            ),
            (
                &with_check("11010518991231002"),
                "members.id_bad_birth_date",
            ),
            (
                &with_check("11010520261124002"),
                "members.id_bad_birth_date",
            ),
            ("110105490231002", "members.id_bad_birth_date"),
            ("110105194912310021", "members.id_bad_check"),
            ("341524198001011233", "members.id_bad_check"),
        ] {
            assert_eq!(id_code(input), code, "{input}");
        }
        let e = ResidentId::parse("", today()).unwrap_err();
        assert_eq!(e.field(), Some("id_number"));
    }

    #[test]
    fn a_legacy_15_digit_number_is_upgraded_with_its_check_character() {
        let id = ResidentId::parse("110105491231002", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(&id.as_str()[17..], "X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
    }

    #[test]
    fn born_today_is_accepted_and_the_parts_read_back() {
        let id = ResidentId::parse(&with_check("37150220261123001"), today()).unwrap();
        assert_eq!(id.birth_date(), today());
        assert_eq!(id.home_county_code(), "371502");
        let id = ResidentId::parse("341524198001011232", today()).unwrap();
        assert_eq!(id.mask(), "3415**********1232");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()
        );
    }

    #[test]
    fn resident_ids_print_only_their_mask() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.to_string(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "1101**********002X");
        assert_eq!(format!("{:?}", Some(&id)), "Some(1101**********002X)");
    }

    #[test]
    fn trusted_ids_skip_the_date_range_but_not_the_check() {
        let future = with_check("11010520990101002");
        assert!(ResidentId::parse(&future, today()).is_err());
        assert_eq!(
            ResidentId::from_trusted(future.clone()).unwrap().as_str(),
            future
        );
        let code = |s: &str| ResidentId::from_trusted(s.into()).unwrap_err().code();
        assert_eq!(code("110105194912310021"), "members.id_bad_check");
        assert_eq!(code("11010519491231002x"), "members.id_bad_format");
        assert_eq!(
            code(&with_check("11010519490231002")),
            "members.id_bad_format"
        );
    }

    #[test]
    fn phones_parse_and_mask() {
        for (input, normalised) in [
            ("13812341234", "13812341234"),
            ("138 1234 1234", "13812341234"),
            ("138-1234-1234", "13812341234"),
            ("138.1234.1234", "13812341234"),
            ("(138)12341234", "13812341234"),
            ("+86 138 1234 1234", "13812341234"),
            ("+86-19912341234", "19912341234"),
            ("0086 13812341234", "13812341234"),
            ("8613812341234", "13812341234"),
        ] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), normalised, "{input}");
        }
        for (input, code) in [
            ("", "members.phone_required"),
            ("   ", "members.phone_required"),
            ("12345678901", "members.bad_phone"),
            ("1381234123", "members.bad_phone"),
            ("138123412345", "members.bad_phone"),
            ("0635-8888888", "members.bad_phone"),
            ("+1 13812341234x", "members.bad_phone"),
            ("+8613812341234 ext", "members.bad_phone"),
            ("+85213812341234", "members.bad_phone"),
            ("１３８１２３４１２３４", "members.bad_phone"),
        ] {
            let e = Phone::parse(input).unwrap_err();
            assert_eq!((e.field(), e.code()), (Some("phone"), code), "{input}");
        }
        let p = Phone::parse("13812341234").unwrap();
        assert_eq!(p.mask(), "138****1234");
        assert_eq!(format!("{p:?}"), "138****1234");
    }

    #[test]
    fn names_parse_into_their_normal_form() {
        for (input, normalised) in [
            ("张三", "张三"),
            (" 李  四 ", "李四"),
            ("李\u{3000}四", "李四"),
            ("Maria  Gomez", "Maria Gomez"),
            (" Maria\tGomez ", "Maria Gomez"),
            ("买买提·艾力", "买买提·艾力"),
            ("买买提•艾力", "买买提·艾力"),
            ("买买提・艾力", "买买提·艾力"),
            ("买买提．艾力", "买买提·艾力"),
            ("买买提‧艾力", "买买提·艾力"),
            ("买买提⋅艾力", "买买提·艾力"),
            ("买买提･艾力", "买买提·艾力"),
            ("买买提.艾力", "买买提·艾力"),
            ("买买提 · 艾力", "买买提·艾力"),
            ("𠮷野家", "𠮷野家"),
            ("阿卜杜热合曼·买买提明", "阿卜杜热合曼·买买提明"),
            ("O'Brien", "O'Brien"),
            ("O’Brien", "O'Brien"),
            ("Jean-Pierre", "Jean-Pierre"),
            ("Nguyen Thi Hoa", "Nguyen Thi Hoa"),
            ("Nguye\u{0302}\u{0303}n", "Nguyễn"),
            ("Иван Петров", "Иван Петров"),
            ("ئابدۇرېھىم", "ئابدۇرېھىم"),
            ("陈〇一", "陈〇一"),
            ("王〇", "王〇"),
            ("Zoe\u{0308}", "Zoë"),
            ("Ta\u{0323}\u{0302}", "Tậ"),
        ] {
            assert_eq!(
                PersonName::parse(input).unwrap().as_str(),
                normalised,
                "{input}"
            );
        }
    }

    #[test]
    fn bad_names_say_what_is_wrong() {
        let long = "张".repeat(51);
        for (input, code) in [
            ("", "members.name_required"),
            (" \u{3000} ", "members.name_required"),
            (&long, "members.name_too_long"),
            ("<script>", "members.bad_name"),
            ("张三1", "members.bad_name"),
            ("张三１", "members.bad_name"),
            ("张\u{202E}三", "members.bad_name"),
            ("张\u{200B}三", "members.bad_name"),
            ("张\u{3164}三", "members.bad_name"),
            ("😀", "members.bad_name"),
            ("张三😀", "members.bad_name"),
            ("··", "members.bad_name"),
            ("·张三", "members.bad_name"),
            ("张三·", "members.bad_name"),
            ("买买提··艾力", "members.bad_name"),
            ("Tom & Jerry", "members.bad_name"),
            ("a/b", "members.bad_name"),
            ("say \"hi\"", "members.bad_name"),
            ("张-三", "members.bad_name"),
            ("-Maria", "members.bad_name"),
            ("Maria-", "members.bad_name"),
            ("O''Brien", "members.bad_name"),
            ("J. Smith", "members.bad_name"),
            ("\u{0301}Maria", "members.bad_name"),
            ("Ⓜaria", "members.bad_name"),
            ("王\u{0336}\u{0336}\u{0336}明", "members.bad_name"),
            ("张\u{0301}三", "members.bad_name"),
            ("〇\u{0301}", "members.bad_name"),
            ("Ma\u{0336}\u{0336}\u{0336}ria", "members.bad_name"),
            ("〇〇1", "members.bad_name"),
        ] {
            let e = PersonName::parse(input).unwrap_err();
            assert_eq!((e.field(), e.code()), (Some("name"), code), "{input}");
        }
        assert!(PersonName::parse(&"张".repeat(50)).is_ok());
        assert!(PersonName::parse(&"𠮷".repeat(50)).is_ok());
    }

    const PROVINCES: [&str; 36] = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83", "91",
    ];

    fn valid_id() -> impl Strategy<Value = String> {
        let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let days = (today() - first).num_days();
        (
            prop::sample::select(&PROVINCES[..]),
            0u32..10_000,
            0..=days,
            0u32..1_000,
        )
            .prop_map(move |(province, county, day, seq)| {
                let born = first + chrono::Duration::days(day);
                with_check(&format!(
                    "{province}{county:04}{}{seq:03}",
                    born.format("%Y%m%d")
                ))
            })
    }

    proptest! {
        #[test]
        fn valid_ids_parse_and_any_single_changed_character_is_refused(id in valid_id()) {
            let parsed = ResidentId::parse(&id, today());
            prop_assert_eq!(parsed.as_ref().map(ResidentId::as_str).ok(), Some(id.as_str()));
            for pos in 0..18 {
                for replacement in "0123456789X".chars() {
                    if id[pos..].starts_with(replacement) {
                        continue;
                    }
                    let mut changed = id.clone();
                    changed.replace_range(pos..=pos, &replacement.to_string());
                    prop_assert!(
                        ResidentId::parse(&changed, today()).is_err(),
                        "{} accepted",
                        changed
                    );
                }
            }
        }

        #[test]
        fn parsers_never_panic_on_printable_text(s in "\\PC{0,40}") {
            let _ = ResidentId::parse(&s, today());
            let _ = ResidentId::from_trusted(s.clone());
            let _ = Phone::parse(&s);
            if let Ok(name) = PersonName::parse(&s) {
                prop_assert!(name.as_str().chars().count() <= NAME_MAX_CHARS);
            }
        }

        #[test]
        fn parsers_never_panic_on_any_string(s in any::<String>()) {
            let _ = ResidentId::parse(&s, today());
            let _ = ResidentId::from_trusted(s.clone());
            let _ = Phone::parse(&s);
            let _ = PersonName::parse(&s);
        }
    }
}
