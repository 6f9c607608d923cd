//! The printable join poster: the PDF really shows Chinese glyphs from an embedded font (checked
//! with poppler's `pdftoppm`, `pdffonts` and `pdftotext`), and the PNG is a PNG with ink where
//! the text is.
//!
//! Without poppler-utils, or without a font covering Chinese, the test notes it and passes,
//! unless `NUANXIN_E2E=1`, where it fails. `NUANXIN_POSTER_OUT=DIR` keeps the SVG, PDF and PNG.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

// The poster module is private to the crate (`members` is not public), so the test compiles the
// same source file.
#[path = "../../src/members/poster.rs"]
mod imp;

const ORG: &str = "东昌府区古楼街道灵活就业人员联合工会";
const URL: &str = "https://union.example.cn/j/NX7Q2K";

pub(crate) fn e2e() -> bool {
    std::env::var("NUANXIN_E2E").as_deref() == Ok("1")
}

/// Skips (returns true) with a note, or fails under `NUANXIN_E2E=1`.
fn skip(why: &str) -> bool {
    assert!(!e2e(), "NUANXIN_E2E=1 but {why}");
    eprintln!("note: poster test skipped: {why}");
    true
}

fn font_dirs() -> Vec<PathBuf> {
    std::env::var_os("NUANXIN_FONT_DIR")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default()
}

/// The join QR code, as `join::qr_svg` draws it.
fn qr_svg(text: &str) -> String {
    qrcode::QrCode::new(text.as_bytes())
        .expect("QR code")
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build()
}

/// A decoded image as 8-bit RGB.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

fn decode_png(bytes: &[u8]) -> Image {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).expect("PNG data");
    let channels = frame.color_type.samples();
    let mut rgb = Vec::with_capacity((frame.width * frame.height * 3) as usize);
    for px in buf[..frame.buffer_size()].chunks_exact(channels) {
        match channels {
            1 | 2 => rgb.extend_from_slice(&[px[0], px[0], px[0]]),
            _ => rgb.extend_from_slice(&px[..3]),
        }
    }
    Image {
        width: frame.width,
        height: frame.height,
        rgb,
    }
}

impl Image {
    /// How many pixels inside a rectangle given in page points (595×842) satisfy `pred`, and how
    /// many pixels the rectangle holds.
    fn count(
        &self,
        (x0, y0, x1, y1): (f32, f32, f32, f32),
        pred: impl Fn([u8; 3]) -> bool,
    ) -> (usize, usize) {
        let s = self.width as f32 / 595.0;
        let px = |v: f32, max: u32| ((v * s).round().max(0.0) as u32).min(max);
        let (x0, x1) = (px(x0, self.width), px(x1, self.width));
        let (y0, y1) = (px(y0, self.height), px(y1, self.height));
        let mut hits = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * self.width + x) * 3) as usize;
                if pred([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]) {
                    hits += 1;
                }
            }
        }
        (hits, ((x1 - x0) * (y1 - y0)) as usize)
    }

    /// Checks the places of the poster: white glyphs in the red band where the title is, dark
    /// glyphs where the union's name is, nothing in a margin.
    fn check_glyphs(&self, what: &str) {
        let light = |p: [u8; 3]| p.iter().all(|&c| c > 200);
        let dark = |p: [u8; 3]| p.iter().map(|&c| c as u32).sum::<u32>() < 3 * 110;
        let red = |p: [u8; 3]| p[0] > 150 && p[1] < 80 && p[2] < 90;

        // The band left of the title is red and has no white in it.
        let (reds, all) = self.count((4.0, 10.0, 60.0, 180.0), red);
        assert!(
            reds * 10 >= all * 9,
            "{what}: the header band is not red ({reds}/{all})"
        );
        let (band_light, _) = self.count((4.0, 10.0, 60.0, 180.0), light);
        assert_eq!(band_light, 0, "{what}: white pixels in the empty band");

        // The title, 扫码加入工会 at 60 pt, baseline 122, centred: white strokes over red.
        let (title_light, all) = self.count((110.0, 70.0, 485.0, 128.0), light);
        let (title_red, _) = self.count((110.0, 70.0, 485.0, 128.0), red);
        assert!(
            title_light * 100 >= all * 8 && title_red * 100 >= all * 30,
            "{what}: no title glyphs ({title_light} white, {title_red} red of {all})"
        );

        // The union's name on two lines between the band and the QR frame: dark strokes.
        let (name_dark, all) = self.count((40.0, 200.0, 555.0, 300.0), dark);
        assert!(
            name_dark * 100 >= all * 3,
            "{what}: no name glyphs ({name_dark}/{all} dark)"
        );

        // The left margin beside the QR code is blank.
        let (margin_dark, all) = self.count((0.0, 320.0, 110.0, 620.0), |p| !light(p));
        assert_eq!(
            margin_dark, 0,
            "{what}: ink in the blank margin ({margin_dark}/{all})"
        );

        // The QR code is there: its middle is about half dark.
        let (qr_dark, all) = self.count((190.0, 360.0, 405.0, 575.0), dark);
        assert!(
            qr_dark * 100 >= all * 25 && qr_dark * 100 <= all * 75,
            "{what}: no QR code ({qr_dark}/{all} dark)"
        );

        // The slogan, white on the red footer.
        let (slogan_light, all) = self.count((160.0, 780.0, 435.0, 820.0), light);
        assert!(
            slogan_light * 100 >= all * 5,
            "{what}: no slogan glyphs ({slogan_light}/{all})"
        );
    }
}

pub(crate) fn tool(name: &str) -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin").join(name);
    if fixed.exists() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.exists())
    })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The rows of `pdffonts` output as (name, emb) pairs, columns found from the dashed rule.
fn embedded_fonts(listing: &str) -> Vec<(String, String)> {
    let mut lines = listing.lines();
    let header = lines.next().unwrap_or_default();
    let rule = lines.next().unwrap_or_default();
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in rule.char_indices().chain([(rule.len(), ' ')]) {
        match (c, start) {
            ('-', None) => start = Some(i),
            (' ', Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let names: Vec<&str> = spans
        .iter()
        .map(|&(a, b)| header.get(a..b).unwrap_or("").trim())
        .collect();
    let emb = names
        .iter()
        .position(|n| *n == "emb")
        .expect("an emb column in pdffonts output");
    lines
        .map(|l| {
            let cell =
                |(a, b): (usize, usize)| l.get(a..b.min(l.len())).unwrap_or("").trim().to_owned();
            (cell(spans[0]), cell(spans[emb]))
        })
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

#[test]
fn join_poster_shows_chinese_glyphs_in_pdf_and_png() {
    let t0 = Instant::now();
    let svg = imp::poster_svg(ORG, URL, &qr_svg(URL));
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert!(svg.contains(r#"viewBox="0 0 595 842""#));
    assert!(svg.contains("扫码加入工会") && svg.contains("有困难，找工会"));
    assert!(svg.contains("法律援助 · 互助保障 · 驿站服务"));
    // Long enough to wrap.
    assert!(svg.contains(">东昌府区古楼街道<") && svg.contains(">灵活就业人员联合工会<"));

    let dirs = font_dirs();
    let t = Instant::now();
    let pdf = match imp::poster_pdf(&svg, &dirs) {
        Ok(pdf) => pdf,
        Err(e) if e.to_string().contains("fonts-wqy-microhei") => {
            skip(&e.to_string());
            return;
        }
        Err(e) => panic!("poster_pdf: {e:#}"),
    };
    let pdf_ms = t.elapsed().as_millis();
    assert!(pdf.starts_with(b"%PDF-"));

    let t = Instant::now();
    let png = imp::poster_png(&svg, &dirs, 600).expect("poster_png");
    let png_ms = t.elapsed().as_millis();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let img = decode_png(&png);
    assert_eq!((img.width, img.height), (600, 849));
    img.check_glyphs("poster_png");
    assert!(imp::poster_png(&svg, &dirs, 0).is_err());

    let (Some(pdftoppm), Some(pdffonts)) = (tool("pdftoppm"), tool("pdffonts")) else {
        skip("pdftoppm/pdffonts (poppler-utils) are not installed");
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "nuanxin-poster-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join("poster.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();

    // An embedded (subset) font.
    let listing = run(Command::new(&pdffonts).arg(&pdf_path));
    let fonts = embedded_fonts(&listing);
    assert!(
        fonts.iter().any(|(_, emb)| emb == "yes"),
        "no embedded font in the PDF:\n{listing}"
    );

    // The text is real text: the title comes back out (poppler may space the letter-spaced runs).
    if let Some(pdftotext) = tool("pdftotext") {
        let text: String = run(Command::new(pdftotext).arg(&pdf_path).arg("-"))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for needle in [
            "扫码加入工会",
            "东昌府区古楼街道",
            "有困难，找工会",
            "法律援助",
        ] {
            assert!(
                text.contains(needle),
                "{needle} missing from the PDF text: {text}"
            );
        }
    }

    // Rendered by poppler, the glyphs are where they belong.
    run(Command::new(&pdftoppm)
        .args(["-r", "50", "-png"])
        .arg(&pdf_path)
        .arg(dir.join("page")));
    let page = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "png")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("page"))
        })
        .expect("pdftoppm wrote no page");
    let img = decode_png(&std::fs::read(&page).unwrap());
    // A4 at 50 dpi.
    assert!(
        img.width.abs_diff(413) <= 1 && img.height.abs_diff(585) <= 1,
        "{}x{}",
        img.width,
        img.height
    );
    img.check_glyphs("pdftoppm");

    eprintln!(
        "poster: PDF {} KiB in {pdf_ms} ms, PNG {} KiB in {png_ms} ms, fonts:\n{listing}total {} ms",
        pdf.len() / 1024,
        png.len() / 1024,
        t0.elapsed().as_millis()
    );
    let _ = std::fs::remove_dir_all(&dir);

    // To look at the poster: NUANXIN_POSTER_OUT=/some/dir.
    if let Some(out) = std::env::var_os("NUANXIN_POSTER_OUT") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("poster.svg"), &svg).unwrap();
        std::fs::write(out.join("poster.pdf"), &pdf).unwrap();
        std::fs::write(out.join("poster.png"), &png).unwrap();
    }
}
