//! Message catalogues: `locales/zh-CN/messages.toml` and `locales/en/messages.toml`, nested TOML
//! tables flattened to dotted keys (`orgs.title`). Compiled into the binary; a test checks that
//! both languages have the same keys and that every key used in a template exists.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh-CN" | "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

pub struct Catalogue {
    messages: HashMap<String, String>,
}

const ZH: &str = include_str!("../locales/zh-CN/messages.toml");
const EN: &str = include_str!("../locales/en/messages.toml");

static ZH_CAT: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::parse(ZH));
static EN_CAT: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::parse(EN));

impl Catalogue {
    pub fn of(lang: Lang) -> &'static Catalogue {
        match lang {
            Lang::ZhCn => &ZH_CAT,
            Lang::En => &EN_CAT,
        }
    }

    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    fn parse(text: &str) -> Catalogue {
        let value: toml::Table = text.parse().expect("message catalogue is valid TOML");
        let mut messages = HashMap::new();
        flatten("", &value, &mut messages);
        Catalogue { messages }
    }

    /// The message of `key`, or the key itself when missing (a test keeps that from happening).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.messages.get(key).map(String::as_str).unwrap_or(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.messages.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.messages.keys()
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => panic!("catalogue value of {key} is not a string: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh: BTreeSet<&String> = Catalogue::of(Lang::ZhCn).keys().collect();
        let en: BTreeSet<&String> = Catalogue::of(Lang::En).keys().collect();
        assert_eq!(
            zh.difference(&en).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "missing in en"
        );
        assert_eq!(
            en.difference(&zh).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "missing in zh-CN"
        );
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let re = regex::Regex::new(r#"\bt\("([a-z_.0-9]+)"\)"#).unwrap();
        let mut missing = Vec::new();
        for dir in ["templates", "src"] {
            for path in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) {
                let text = std::fs::read_to_string(&path).unwrap();
                for cap in re.captures_iter(&text) {
                    if !Catalogue::of(Lang::ZhCn).has(&cap[1]) {
                        missing.push(format!("{}: {}", path.display(), &cap[1]));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_error_code_of_the_domain_has_a_message() {
        let re =
            regex::Regex::new(r#"\("[a-z_]+", "([a-z_]+\.[a-z_]+)"\)|code: "([a-z_]+\.[a-z_]+)""#)
                .unwrap();
        let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nuanxin-core/src");
        let mut found = 0;
        for path in walk(core) {
            let text = std::fs::read_to_string(&path).unwrap();
            for cap in re.captures_iter(&text) {
                let key = cap.get(1).or(cap.get(2)).unwrap().as_str();
                found += 1;
                for lang in [Lang::ZhCn, Lang::En] {
                    assert!(
                        Catalogue::of(lang).has(key),
                        "{key} ({}) has no message in {}",
                        path.display(),
                        lang.tag()
                    );
                }
            }
        }
        assert!(found > 30, "the scan found the error codes ({found})");
    }

    #[test]
    fn every_label_built_from_a_domain_value_exists() {
        use nuanxin_core::orgs::{FederationLevel, Industry, JointKind, OrgKind};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            OrgKind::ALL
                .iter()
                .map(|k| format!("orgs.kind.{}", k.as_str())),
        );
        keys.extend(
            JointKind::ALL
                .iter()
                .map(|k| format!("orgs.joint_kind.{}", k.as_str())),
        );
        keys.extend(
            Industry::ALL
                .iter()
                .map(|k| format!("orgs.industry.{}", k.as_str())),
        );
        keys.extend(
            [
                FederationLevel::Province,
                FederationLevel::City,
                FederationLevel::County,
                FederationLevel::Township,
            ]
            .iter()
            .map(|l| format!("orgs.level.{}", l.as_str())),
        );
        keys.extend(
            ["active", "dissolved"]
                .iter()
                .map(|s| format!("orgs.status.{s}")),
        );
        keys.extend(
            ["created", "updated", "moved", "dissolved"]
                .iter()
                .map(|s| format!("orgs.event.{s}")),
        );
        keys.extend(
            nuanxin_core::Role::ALL
                .iter()
                .map(|r| format!("accounts.role.{}", r.as_str())),
        );
        for key in keys {
            assert!(Catalogue::of(Lang::ZhCn).has(&key), "{key} missing");
        }
    }

    fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
