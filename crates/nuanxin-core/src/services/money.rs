//! Amounts of money: typed in yuan with at most two decimals (`1,234.5`, `1234.50`, `¥200`,
//! `200元`), stored and reported as integer fen, shown back in yuan.

/// Fen in a yuan amount as typed. Errors are message codes of the field that holds it:
/// `money.bad_amount` (not a number, negative, more than two decimals, or absurdly large).
pub fn parse_yuan(text: &str) -> Result<i64, &'static str> {
    let t: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    if t.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty()
        || !digits(whole)
        || !digits(frac)
        || frac.len() > 2
        || whole.len() > 12
    {
        return Err("money.bad_amount");
    }
    let yuan: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "money.bad_amount")?
    };
    let fen: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| "money.bad_amount")? * 10,
        _ => frac.parse().map_err(|_| "money.bad_amount")?,
    };
    Ok(yuan * 100 + fen)
}

/// Fen as yuan with two decimals and thousands separators: `123456` → `1,234.56`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_as_typed_become_fen() {
        for (typed, fen) in [
            ("0", 0),
            ("", 0),
            ("12", 1200),
            ("12.5", 1250),
            ("12.05", 1205),
            (".5", 50),
            ("1,234.56", 123_456),
            ("¥200", 20_000),
            ("197000元", 19_700_000),
            (" 3 000 ", 300_000),
        ] {
            assert_eq!(parse_yuan(typed), Ok(fen), "{typed}");
        }
    }

    #[test]
    fn bad_amounts_are_refused() {
        for typed in ["-5", "1.234", "abc", "1e5", ".", "12.3.4", "9999999999999"] {
            assert_eq!(parse_yuan(typed), Err("money.bad_amount"), "{typed}");
        }
    }

    #[test]
    fn fen_show_as_yuan() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456), "1,234.56");
        assert_eq!(yuan(19_700_000), "197,000.00");
        assert_eq!(yuan(-1250), "-12.50");
    }
}
