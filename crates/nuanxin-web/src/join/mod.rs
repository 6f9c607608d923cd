//! The worker's side of joining, built for a phone inside WeChat on a weak network: the join page
//! a union's QR code opens (`/j/{code}`), the SMS code step, and the worker's own page with the
//! e-card (`/me`). Plain HTML forms that work without JavaScript, styles inline, no web fonts.

pub mod api;
pub mod pages;

/// The cookie of a member session.
pub const MEMBER_COOKIE: &str = "nx_member";

/// Sends an SMS code to `phone`, within the per-phone and per-address limits of the code store
/// and the server's hourly cap of codes sent to all phones together (`--sms-per-hour`), which
/// bounds what a flood of requests for many phones can cost the union.
pub async fn send_sms_code(
    state: &crate::AppState,
    phone: &nuanxin_core::members::identity::Phone,
    ip: Option<&str>,
) -> Result<(), nuanxin_core::Error> {
    if state.sms_cap.check().is_err() {
        tracing::warn!("the hourly cap of SMS codes is reached");
        return Err(nuanxin_core::Error::Busy {
            code: "members.sms_busy",
        });
    }
    nuanxin_core::members::sms::request_code(
        &state.store,
        &state.vault,
        state.sms.as_ref(),
        phone,
        ip,
        state.clock.now(),
    )
    .await
}

/// A QR code as inline SVG.
pub fn qr_svg(text: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}
