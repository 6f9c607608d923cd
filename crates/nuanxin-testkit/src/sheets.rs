//! Spreadsheets as attackers and real users make them.

use std::io::{Read, Write};

/// A real xlsx of a few kilobytes (one header row) whose worksheet declares the dimension
/// `dimension` (`A1:XFD1048576`: every cell Excel can address).
pub fn xlsx_claiming(dimension: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "名称").unwrap();
    ws.write_string(0, 1, "经度").unwrap();
    ws.write_string(0, 2, "纬度").unwrap();
    let honest = book.save_to_buffer().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(honest)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            let at = xml.find("<dimension ref=\"").unwrap() + 16;
            let end = xml[at..].find('"').unwrap() + at;
            bytes = format!("{}{dimension}{}", &xml[..at], &xml[end..]).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}
