//! The printable join poster of a union (一会一码海报): an A4 page with the union's name and its join
//! QR code, as SVG, as PDF (text embedded as a subset of a CJK font) and as PNG.
//!
//! Rendering needs a font that covers Chinese: the system fonts (fontconfig's directories) and
//! every directory given (the routes pass `NUANXIN_FONT_DIR`) are searched; without one the PDF
//! and PNG calls fail with a message saying what to install.

use anyhow::{anyhow, bail, Context as _};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// The union red of the product.
pub(crate) const RED: &str = "#c8102e";
/// The families the poster asks for, in order; the first is the one Debian's
/// `fonts-wqy-microhei` installs.
pub(crate) const FONT_FAMILY: &str =
    "WenQuanYi Micro Hei, Noto Sans CJK SC, Source Han Sans SC, sans-serif";
const PREFERRED_FAMILIES: [&str; 3] = [
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
];
/// The character a font must cover to count as able to print the poster (工).
const PROBE: char = '\u{5DE5}';

/// A4 portrait in points, the SVG user units of the poster.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;

/// Where the parts of the page are, in points from the top left (the tests look there).
const BAND_HEIGHT: f32 = 190.0;
const TITLE_BASELINE: f32 = 122.0;
const TITLE_SIZE: f32 = 60.0;
const NAME_SIZE: f32 = 28.0;
const NAME_MAX_WIDTH: f32 = 500.0;
const QR_TOP: f32 = 318.0;
const QR_SIZE: f32 = 300.0;
const FOOTER_HEIGHT: f32 = 76.0;

/// The poster as an SVG document (595×842 user units, one per point).
pub fn poster_svg(org_name: &str, url: &str, qr_svg: &str) -> String {
    let w = PAGE_WIDTH;
    let h = PAGE_HEIGHT;
    let cx = w / 2.0;
    let mut s = String::with_capacity(qr_svg.len() + 4096);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">"#
    );
    let _ = write!(
        s,
        r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##
    );

    // The red band with the title.
    let _ = write!(
        s,
        r#"<rect x="0" y="0" width="{w}" height="{BAND_HEIGHT}" fill="{RED}"/>"#
    );
    let _ = write!(
        s,
        r##"<text x="{x}" y="{TITLE_BASELINE}" text-anchor="middle" font-size="{TITLE_SIZE}" font-weight="bold" fill="#ffffff" letter-spacing="4">扫码加入工会</text>"##,
        // The spacing follows the last character too; half of it back keeps the title centred.
        x = cx + 2.0
    );
    let _ = write!(
        s,
        r##"<rect x="{x}" y="{y}" width="120" height="3" fill="#ffffff" opacity="0.6"/>"##,
        x = cx - 60.0,
        y = TITLE_BASELINE + 26.0
    );

    // The union's name, on one line or two.
    let lines = wrap_name(org_name.trim());
    let widest = lines
        .iter()
        .map(|l| text_width_em(l))
        .fold(0.0_f32, f32::max);
    let size = if widest > 0.0 {
        NAME_SIZE.min(NAME_MAX_WIDTH / widest)
    } else {
        NAME_SIZE
    };
    let line_height = size * 1.35;
    let block = line_height * lines.len() as f32;
    // Centre the block in the space between the band and the QR frame.
    let space_top = BAND_HEIGHT;
    let space_bottom = QR_TOP - 14.0;
    let first_baseline = space_top + (space_bottom - space_top - block) / 2.0 + size * 1.05;
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{cx}" y="{y:.1}" text-anchor="middle" font-size="{size:.1}" fill="#222222">{t}</text>"##,
            y = first_baseline + line_height * i as f32,
            t = xml_escape(line)
        );
    }

    // The QR code in a red frame.
    let qx = cx - QR_SIZE / 2.0;
    let _ = write!(
        s,
        r#"<rect x="{x}" y="{y}" width="{sz}" height="{sz}" rx="14" ry="14" fill="none" stroke="{RED}" stroke-width="2.5"/>"#,
        x = qx - 12.0,
        y = QR_TOP - 12.0,
        sz = QR_SIZE + 24.0
    );
    if let Some(nested) = nest_svg(qr_svg, qx, QR_TOP, QR_SIZE) {
        s.push_str(&nested);
    }

    // The URL under it.
    let _ = write!(
        s,
        r##"<text x="{cx}" y="{y}" text-anchor="middle" font-size="11" fill="#555555">{u}</text>"##,
        y = QR_TOP + QR_SIZE + 36.0,
        u = xml_escape(url)
    );

    // What the union offers.
    let _ = write!(
        s,
        r#"<text x="{cx}" y="{y}" text-anchor="middle" font-size="22" fill="{RED}">法律援助 · 互助保障 · 驿站服务</text>"#,
        y = QR_TOP + QR_SIZE + 86.0
    );
    let _ = write!(
        s,
        r##"<text x="{cx}" y="{y}" text-anchor="middle" font-size="13" fill="#777777">微信扫一扫，在线申请入会</text>"##,
        y = QR_TOP + QR_SIZE + 114.0
    );

    // The slogan on a red footer.
    let fy = h - FOOTER_HEIGHT;
    let _ = write!(
        s,
        r#"<rect x="0" y="{fy}" width="{w}" height="{FOOTER_HEIGHT}" fill="{RED}"/>"#
    );
    let _ = write!(
        s,
        r##"<text x="{x}" y="{y}" text-anchor="middle" font-size="30" fill="#ffffff" letter-spacing="6">有困难，找工会</text>"##,
        x = cx + 3.0,
        y = fy + FOOTER_HEIGHT / 2.0 + 11.0
    );
    s.push_str("</svg>");
    s
}

/// The poster as a one-page A4 PDF, its text embedded as a subset of a CJK font.
pub fn poster_pdf(svg: &str, font_dirs: &[PathBuf]) -> anyhow::Result<Vec<u8>> {
    let tree = parse(svg, font_dirs)?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions::default(),
    )
    .map_err(|e| anyhow!("converting the poster to PDF: {e}"))
}

/// The poster as a PNG `width_px` pixels wide (the height follows A4).
pub fn poster_png(svg: &str, font_dirs: &[PathBuf], width_px: u32) -> anyhow::Result<Vec<u8>> {
    if !(16..=10_000).contains(&width_px) {
        bail!("a poster PNG is 16 to 10000 pixels wide, not {width_px}");
    }
    let tree = parse(svg, font_dirs)?;
    let size = tree.size();
    let scale = width_px as f32 / size.width();
    let height_px = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width_px, height_px)
        .context("allocating the poster image")?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().context("encoding the poster PNG")
}

/// Parses the poster with a font database of the system fonts and `font_dirs`, after checking
/// that some font covers Chinese.
fn parse(svg: &str, font_dirs: &[PathBuf]) -> anyhow::Result<usvg::Tree> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    for dir in font_dirs {
        db.load_fonts_dir(dir);
    }
    let family = cjk_family(&db).ok_or_else(|| {
        anyhow!(
            "no font covering Chinese (U+5DE5 工) was found among the system fonts{}; \
             install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set \
             NUANXIN_FONT_DIR to a directory holding a CJK font (.ttf/.ttc/.otf)",
            if font_dirs.is_empty() {
                String::new()
            } else {
                format!(
                    " and in {}",
                    font_dirs
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )
    })?;
    // `sans-serif`, the last family the poster names, and the default resolve to that font.
    db.set_sans_serif_family(family.clone());
    let options = usvg::Options {
        font_family: family,
        fontdb: Arc::new(db),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).context("parsing the poster SVG")
}

/// The family name of a face that covers [`PROBE`], preferring the families the poster names.
fn cjk_family(db: &fontdb::Database) -> Option<String> {
    let rank = |face: &fontdb::FaceInfo| {
        face.families
            .iter()
            .filter_map(|(name, _)| {
                PREFERRED_FAMILIES
                    .iter()
                    .position(|p| p.eq_ignore_ascii_case(name))
            })
            .min()
            .unwrap_or(PREFERRED_FAMILIES.len())
    };
    let mut faces: Vec<&fontdb::FaceInfo> = db.faces().collect();
    faces.sort_by_key(|f| rank(f));
    faces.into_iter().find_map(|face| {
        let covers = db
            .with_face_data(face.id, |data, index| {
                ttf_parser::Face::parse(data, index)
                    .ok()
                    .and_then(|f| f.glyph_index(PROBE))
                    .is_some()
            })
            .unwrap_or(false);
        if covers {
            face.families.first().map(|(name, _)| name.clone())
        } else {
            None
        }
    })
}

/// The QR code's SVG document re-rooted as a nested `<svg>` at (x, y), size×size.
fn nest_svg(doc: &str, x: f32, y: f32, size: f32) -> Option<String> {
    let start = doc.find("<svg")?;
    let tag_end = start + doc[start..].find('>')?;
    let tag = &doc[start..tag_end];
    if tag.ends_with('/') {
        return None;
    }
    let body_end = doc.rfind("</svg>")?;
    if body_end <= tag_end {
        return None;
    }
    let body = &doc[tag_end + 1..body_end];
    let view_box = attr(tag, "viewBox").map(str::to_owned).or_else(|| {
        let w = attr(tag, "width")?.trim_end_matches("px");
        let h = attr(tag, "height")?.trim_end_matches("px");
        Some(format!("0 0 {w} {h}"))
    })?;
    Some(format!(
        r#"<svg x="{x}" y="{y}" width="{size}" height="{size}" viewBox="{vb}" preserveAspectRatio="xMidYMid meet" shape-rendering="crispEdges">{body}</svg>"#,
        vb = xml_escape(&view_box)
    ))
}

/// The value of a double-quoted attribute in a start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let from = tag.find(&needle)? + needle.len();
    let len = tag[from..].find('"')?;
    Some(&tag[from..from + len])
}

/// Escapes text for XML content and attribute values.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The approximate advance of a line of text in ems: CJK and other wide characters take one em,
/// the rest about half of one.
fn text_width_em(s: &str) -> f32 {
    s.chars().map(char_width_em).sum()
}

fn char_width_em(c: char) -> f32 {
    if c.is_ascii() {
        if c.is_ascii_uppercase() || c == 'm' || c == 'w' {
            0.68
        } else {
            0.55
        }
    } else {
        1.0
    }
}

/// The union's name on one line when it fits at the full size, else split into two about equal
/// lines, preferring a break after an administrative level (区, 街道, 镇 ...) near the middle.
fn wrap_name(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let total = text_width_em(name);
    if total * NAME_SIZE <= NAME_MAX_WIDTH || chars.len() < 2 {
        return vec![name.to_owned()];
    }
    // Candidate breaks: after character i (1..len), scored by how unbalanced the halves are.
    let mut best: Option<(f32, usize)> = None;
    let mut left = 0.0;
    for i in 1..chars.len() {
        left += char_width_em(chars[i - 1]);
        let imbalance = (left - (total - left)).abs() / total;
        let prev = chars[i - 1];
        let natural = matches!(
            prev,
            '省' | '市' | '区' | '县' | '镇' | '乡' | '村' | '司' | '厂' | ' ' | '）' | ')'
        ) || (prev == '道' && i >= 2 && chars[i - 2] == '街');
        // A natural break may be up to a third off balance.
        let score = if natural && imbalance <= 0.34 {
            imbalance - 0.5
        } else {
            imbalance
        };
        if best.is_none_or(|(b, _)| score < b) {
            best = Some((score, i));
        }
    }
    let at = best.map(|(_, i)| i).unwrap_or(chars.len() / 2);
    let first: String = chars[..at].iter().collect::<String>().trim_end().to_owned();
    let second: String = chars[at..]
        .iter()
        .collect::<String>()
        .trim_start()
        .to_owned();
    vec![first, second]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_break_after_an_administrative_level() {
        assert_eq!(
            wrap_name("东昌府区古楼街道灵活就业人员联合工会"),
            vec![
                "东昌府区古楼街道".to_owned(),
                "灵活就业人员联合工会".to_owned()
            ]
        );
        assert_eq!(
            wrap_name("古楼街道总工会"),
            vec!["古楼街道总工会".to_owned()]
        );
        let long =
            "山东省聊城市东昌府区古楼街道新就业形态劳动者暨灵活就业人员快递物流行业联合工会委员会";
        let lines = wrap_name(long);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines.concat(), long);
        // Too wide for two lines at full size: the poster shrinks the font to fit.
        let svg = poster_svg(long, "https://x.cn/j/1", "");
        let widest = lines.iter().map(|l| text_width_em(l)).fold(0.0, f32::max);
        let size = NAME_MAX_WIDTH / widest;
        assert!(svg.contains(&format!(r#"font-size="{size:.1}""#)), "{svg}");
    }

    #[test]
    fn no_cjk_font_is_an_error_that_says_what_to_install() {
        assert_eq!(cjk_family(&fontdb::Database::new()), None);
    }

    #[test]
    fn names_and_urls_are_escaped_and_the_qr_is_nested() {
        let qr = r##"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="29" height="29" viewBox="0 0 29 29" shape-rendering="crispEdges"><rect x="0" y="0" width="29" height="29" fill="#fff"/><path fill="#000" d="M4 4h1v1H4V4"/></svg>"##;
        let svg = poster_svg("A&B <工会>", "https://x.cn/j/1?a=1&b=2", qr);
        assert!(svg.contains("A&amp;B &lt;工会&gt;"));
        assert!(svg.contains("a=1&amp;b=2"));
        assert!(!svg.contains("<?xml version=\"1.0\" standalone"));
        assert!(svg.contains(r#"viewBox="0 0 29 29""#));
        assert!(svg.contains(r#"d="M4 4h1v1H4V4""#));
        assert!(svg.contains("有困难，找工会"));
    }
}
