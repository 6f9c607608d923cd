//! The cascading region picker: one select per level below an optional fixed root, re-rendered by
//! htmx as the cadre picks; the `region_code` text field beside it also works without JavaScript.

use nuanxin_core::regions::{self, RegionCode};
use nuanxin_core::{in_read, Result, Store, Tx};

pub struct PickerOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

pub struct PickerLevel {
    pub label_key: &'static str,
    /// Value of the "none" choice: the code one level up (or the root).
    pub up: String,
    pub options: Vec<PickerOption>,
}

pub struct Picker {
    /// Current value of the `region_code` field.
    pub value: String,
    /// Fixed part above the selects (e.g. the parent unit's region), shown as text.
    pub root: Option<String>,
    pub root_label: String,
    /// Names of the selected regions, root first.
    pub chosen: String,
    pub levels: Vec<PickerLevel>,
    pub error: Option<&'static str>,
}

const LABELS: [&str; 5] = [
    "regions.province",
    "regions.city",
    "regions.county",
    "regions.township",
    "regions.village",
];

impl Picker {
    /// The picker for `value` below `root`, read in a transaction of its own.
    pub async fn build(
        store: &Store,
        root: Option<&str>,
        value: &str,
        error: Option<&'static str>,
    ) -> Result<Picker> {
        in_read(store, async |tx| Picker::read(tx, root, value, error).await).await
    }

    async fn read(
        tx: &mut Tx,
        root: Option<&str>,
        value: &str,
        error: Option<&'static str>,
    ) -> Result<Picker> {
        let root = root.and_then(|r| RegionCode::parse(r).ok());
        let current = RegionCode::parse(value)
            .ok()
            .filter(|c| root.as_ref().is_none_or(|r| r.contains(c)));
        let root_regions = match &root {
            Some(r) => regions::ancestors(tx, r).await?,
            None => Vec::new(),
        };
        let root_label = root_regions
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        let lineage: Vec<RegionCode> = current.as_ref().map(|c| c.lineage()).unwrap_or_default();
        let mut levels = Vec::new();
        let mut parent = root.clone();
        let start = root.as_ref().map_or(0, |r| r.lineage().len());
        let mut chosen_names = Vec::new();
        for (depth, label_key) in LABELS.iter().enumerate().skip(start) {
            let options = regions::children(tx, parent.as_ref()).await?;
            if options.is_empty() {
                break;
            }
            let selected = lineage.get(depth).cloned();
            let up = parent.as_ref().map(|p| p.to_string()).unwrap_or_default();
            levels.push(PickerLevel {
                label_key,
                up,
                options: options
                    .iter()
                    .map(|o| PickerOption {
                        code: o.code.clone(),
                        name: o.name.clone(),
                        selected: selected.as_ref().is_some_and(|s| s.as_str() == o.code),
                    })
                    .collect(),
            });
            match selected.filter(|s| options.iter().any(|o| o.code == s.as_str())) {
                Some(s) => {
                    if let Some(o) = options.iter().find(|o| o.code == s.as_str()) {
                        chosen_names.push(o.name.clone());
                    }
                    parent = Some(s);
                }
                None => break,
            }
        }
        Ok(Picker {
            value: value.trim().to_string(),
            root: root.map(|r| r.to_string()),
            root_label,
            chosen: chosen_names.join(" / "),
            levels,
            error,
        })
    }
}
