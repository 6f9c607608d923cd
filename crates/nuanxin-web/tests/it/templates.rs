//! The import templates are made for Excel and WPS as cadres use them: ID numbers, phones, USCCs
//! and codes kept as text (Excel turned a typed ID number into 3.71502E+17), a drop-down of the
//! accepted values on each coded column, and a note on each header.

use nuanxin_testkit::TestApp;
use std::io::Read;

fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the workbook"))
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_template_keeps_numbers_as_text_offers_its_codes_and_explains_its_columns() {
    let app = TestApp::sqlite().await;
    app.load_demo().await;
    let mut cadre = app.demo_user("dongchangfu").await;
    for (url, text_columns, lists, choice) in [
        ("/orgs/template.xlsx", 4, 3, "行业工会联合会"),
        ("/members/template.xlsx", 6, 2, "外卖配送员"),
        ("/census/template.xlsx", 4, 3, "已建会"),
        ("/census/prospects/template.xlsx", 4, 1, "快递员"),
        ("/stations/template.xlsx", 2, 1, "骑手之家"),
    ] {
        let r = cadre.get(url).await;
        assert_eq!(r.status, 200, "{url}");
        let sheet = part(&r.body, "xl/worksheets/sheet1.xml");
        // Text columns: a column style whose number format is text (@, built-in 49).
        assert!(
            part(&r.body, "xl/styles.xml").contains("numFmtId=\"49\""),
            "{url}: a text format"
        );
        // Columns with a style, counted over each <col min= max=> range.
        let attr = |c: &str, name: &str| -> usize {
            c.split(&format!("{name}=\""))
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let styled: usize = sheet
            .split("<col ")
            .skip(1)
            .map(|c| c.split('>').next().unwrap())
            .filter(|c| c.contains("style="))
            .map(|c| attr(c, "max") - attr(c, "min") + 1)
            .sum();
        assert!(
            styled >= text_columns,
            "{url}: {styled} text columns, want {text_columns}: {sheet}"
        );
        // Drop-downs from the hidden sheet of choices.
        assert_eq!(sheet.matches("<dataValidation ").count(), lists, "{url}");
        let options = part(&r.body, "xl/worksheets/sheet2.xml");
        let shared = part(&r.body, "xl/sharedStrings.xml");
        assert!(
            shared.contains(choice) && options.contains("<c "),
            "{url}: the choice {choice}"
        );
        assert!(
            part(&r.body, "xl/workbook.xml").contains("state=\"hidden\""),
            "{url}: the choices are out of the way"
        );
        // A note on every header.
        let notes = part(&r.body, "xl/comments1.xml");
        assert!(notes.matches("<comment ").count() >= 5, "{url}");
    }
    // The member template says how to write an ID number, on its header.
    let r = cadre.get("/members/template.xlsx").await;
    assert!(part(&r.body, "xl/comments1.xml").contains("18 位公民身份号码"));
    app.finish().await;
}
