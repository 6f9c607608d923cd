//! What every page shares: language, the signed-in cadre, the CSRF token, the active section of
//! the navigation, and the message catalogue (`ctx.t("app.name")` in templates).

use crate::auth::Auth;
use crate::i18n::{Catalogue, Lang};

pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    pub username: String,
    pub display_name: String,
    /// The navigation section this page belongs to: `orgs`, `accounts`, `audit`.
    pub section: &'static str,
    /// Path and query of this page, for the language switch to come back to.
    pub here: String,
    pub is_admin: bool,
    /// A station's keeper without a subtree: their navigation is their station alone.
    pub keeps_only: Option<String>,
    /// A legal-aid lawyer without a subtree: their navigation is their cases alone.
    pub counsel_only: bool,
    /// A grid office without a subtree: their navigation is the reports routed to them alone.
    pub office_only: bool,
    /// Staff or admin somewhere: sees the work lists kept from viewers (hardship files).
    pub is_staff: bool,
}

impl Ctx {
    pub fn new(auth: &Auth, section: &'static str, here: &str) -> Ctx {
        let session = auth.session.as_ref();
        Ctx {
            lang: auth.lang,
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            username: session
                .map(|s| s.account.username.clone())
                .unwrap_or_default(),
            display_name: session
                .map(|s| s.account.display_name.clone())
                .unwrap_or_default(),
            section,
            here: here.to_string(),
            is_admin: auth.caller.is_admin(),
            keeps_only: auth
                .caller
                .scope
                .kept_stations()
                .first()
                .filter(|_| auth.caller.scope.roots().is_empty())
                .map(|s| s.to_string()),
            counsel_only: auth.caller.scope.roots().is_empty()
                && auth.caller.scope.counsel().is_some(),
            office_only: auth.caller.scope.roots().is_empty()
                && auth.caller.scope.grid_office().is_some(),
            is_staff: auth.caller.is_staff(),
        }
    }

    /// A context for pages seen before signing in.
    pub fn anonymous(lang: Lang, here: &str) -> Ctx {
        Ctx {
            lang,
            csrf: String::new(),
            username: String::new(),
            display_name: String::new(),
            section: "",
            here: here.to_string(),
            is_admin: false,
            keeps_only: None,
            counsel_only: false,
            office_only: false,
            is_staff: false,
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        Catalogue::of(self.lang).get(key)
    }

    /// The choices of a select from a list of codes: each code with its message `prefix.code`.
    pub fn labels(
        &self,
        prefix: &str,
        list: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, String)> {
        list.iter()
            .map(|(c, _)| (*c, self.t(&format!("{prefix}.{c}")).to_string()))
            .collect()
    }

    /// The choices of a select from a list of codes: each code with its label under `prefix`.
    pub fn code_labels(&self, prefix: &str, codes: &[&'static str]) -> Vec<(&'static str, String)> {
        codes
            .iter()
            .map(|c| (*c, self.t(&format!("{prefix}.{c}")).to_string()))
            .collect()
    }

    /// A message with `{n}` replaced.
    pub fn tn(&self, key: &str, n: impl std::fmt::Display) -> String {
        Catalogue::of(self.lang)
            .get(key)
            .replace("{n}", &n.to_string())
    }

    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    pub fn here_encoded(&self) -> String {
        crate::auth::urlencode(&self.here)
    }

    /// Formats Unix milliseconds as Beijing time.
    pub fn datetime(&self, ms: &i64) -> String {
        beijing_time(*ms)
    }
}

/// Unix milliseconds as a Beijing date and time (`2026-11-23 16:05`), as pages and sheets show
/// instants.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub fn beijing_time(ms: i64) -> String {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&beijing)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The page of a list a page or an API call asks for, beside its filter (a second `Query`
/// extractor reads it from the same query string).
#[derive(Debug, Default, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    pub page: Option<u32>,
    /// At most 200 (50 when not given).
    pub per_page: Option<u32>,
}

impl Paging {
    pub fn request(&self) -> nuanxin_core::page::PageRequest {
        nuanxin_core::page::PageRequest::new(self.page, self.per_page)
    }
}

/// The query of a searched list (accounts, the audit log, an event's joiners): a search text and
/// the page, for the page and the API alike.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Text to look for.
    pub q: Option<String>,
    pub page: Option<u32>,
    /// At most 200.
    pub per_page: Option<u32>,
}

impl SearchQuery {
    pub fn text(&self) -> String {
        self.q.clone().unwrap_or_default()
    }

    /// The page asked for, `per_page` rows at most unless the query says less.
    pub fn page(&self, per_page: u32) -> nuanxin_core::page::PageRequest {
        nuanxin_core::page::PageRequest::new(self.page, Some(self.per_page.unwrap_or(per_page)))
    }
}

/// The query of a list page, kept by every link the page makes (its other pages, its export, its
/// filter chips): each non-empty parameter, in the order the query declares them, with `changes`
/// replacing (`Some`) or dropping (`None`) some.
pub trait ListLinks: serde::Serialize {
    /// The list's own path, e.g. `/census`.
    const PATH: &'static str;

    /// The query string, changed so.
    fn query_with(&self, changes: &[(&str, Option<&str>)]) -> String {
        let own = serde_urlencoded::to_string(self).unwrap_or_default();
        let kept = form_urlencoded::parse(own.as_bytes())
            .into_owned()
            .filter(|(k, v)| !v.trim().is_empty() && !changes.iter().any(|(c, _)| c == k));
        let changed = changes
            .iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())));
        kept.chain(changed)
            .map(|(k, v)| format!("{k}={}", crate::auth::urlencode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The list again, changed so.
    fn link(&self, changes: &[(&str, Option<&str>)]) -> String {
        format!("{}?{}", Self::PATH, self.query_with(changes))
    }

    fn page_link(&self, page: u32) -> String {
        self.link(&[("page", Some(&page.to_string()))])
    }

    /// The xlsx export of everything the filters select.
    fn export_link(&self) -> String {
        format!(
            "{}/export.xlsx?{}",
            Self::PATH,
            self.query_with(&[("page", None)])
        )
    }

    /// The parameter `key` is `value` (an empty value: the parameter is not set).
    fn is(&self, key: &str, value: &str) -> bool {
        let own = serde_urlencoded::to_string(self).unwrap_or_default();
        let set = form_urlencoded::parse(own.as_bytes()).find(|(k, _)| k == key);
        set.map_or(String::new(), |(_, v)| v.trim().to_string()) == value
    }
}

/// The previous and next links of a paged list (`{% include "_pager.html" %}` with a
/// `fn pager(&self) -> Pager` on the page).
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// The links around `page`, each made by `link(page number)`.
    pub fn of<T>(page: &nuanxin_core::page::Page<T>, link: impl Fn(u32) -> String) -> Pager {
        let pages = page.pages();
        Pager {
            page: page.page,
            pages,
            prev: (page.page > 1).then(|| link(page.page - 1)),
            next: (page.page < pages).then(|| link(page.page + 1)),
        }
    }

    /// Links to `path?q=…&page=N`, the search text encoded.
    pub fn searched<T>(page: &nuanxin_core::page::Page<T>, path: &str, q: &str) -> Pager {
        let q = crate::auth::urlencode(q);
        Pager::of(page, |n| format!("{path}?q={q}&page={n}"))
    }
}

/// A form as it was sent and the problems found, for a page that shows it again: each field's
/// value and its message key.
#[derive(Debug, Default)]
pub struct Entered {
    pub form: std::collections::HashMap<String, String>,
    pub errors: std::collections::HashMap<&'static str, &'static str>,
}

impl Entered {
    pub fn value(&self, field: &str) -> &str {
        self.form.get(field).map_or("", String::as_str)
    }

    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field).copied()
    }
}

/// A whole number however deeply a template borrowed it (`i64`, `&i64`, `&&i64`): for the
/// helpers templates call with a field, a loop variable or an `if let` binding alike.
pub trait Whole {
    fn whole(&self) -> i64;
}

impl Whole for i64 {
    fn whole(&self) -> i64 {
        *self
    }
}

impl<T: Whole + ?Sized> Whole for &T {
    fn whole(&self) -> i64 {
        (**self).whole()
    }
}
