//! The worker's side of joining, built for a phone inside WeChat on a weak network: the join page
//! a union's QR code opens (`/j/{code}`), the SMS code step, and the worker's own page with the
//! e-card (`/me`). Plain HTML forms that work without JavaScript, styles inline, no web fonts.

pub mod api;
pub mod pages;

/// The cookie of a member session.
pub const MEMBER_COOKIE: &str = "nx_member";

/// A QR code as inline SVG.
pub fn qr_svg(text: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}
