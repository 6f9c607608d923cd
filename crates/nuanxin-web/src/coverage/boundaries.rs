//! Region boundaries for the dashboard's choropleth: a GeoJSON FeatureCollection configured by
//! the operator (`--region-boundaries FILE`), each feature naming its region by `code`,
//! `adcode` or `region_code` (12-digit or short form, text or number, as the common public
//! boundary files do). Without a file the dashboard has no map; nothing is fetched from outside.

use nuanxin_core::regions::RegionCode;
use std::collections::HashMap;

/// Features by region code (short form).
#[derive(Debug, Default)]
pub struct RegionBoundaries {
    features: HashMap<String, serde_json::Value>,
}

impl RegionBoundaries {
    /// Reads a FeatureCollection; features without a usable code are skipped.
    pub fn parse(json: &str) -> anyhow::Result<RegionBoundaries> {
        let v: serde_json::Value = serde_json::from_str(json)?;
        let list = v
            .get("features")
            .and_then(|f| f.as_array())
            .ok_or_else(|| anyhow::anyhow!("not a GeoJSON FeatureCollection: no \"features\""))?;
        let mut features = HashMap::new();
        for f in list {
            let props = f.get("properties");
            let code = ["code", "adcode", "region_code"].iter().find_map(|k| {
                match props.and_then(|p| p.get(*k)) {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                }
            });
            let Some(code) = code.and_then(|c| RegionCode::parse(&c).ok()) else {
                continue;
            };
            if f.get("geometry").is_some_and(|g| !g.is_null()) {
                features.insert(code.as_str().to_string(), f.clone());
            }
        }
        Ok(RegionBoundaries { features })
    }

    pub fn load(path: &std::path::Path) -> anyhow::Result<RegionBoundaries> {
        let text = std::fs::read_to_string(path)?;
        RegionBoundaries::parse(&text)
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// A FeatureCollection of the regions of `codes` that have a boundary, each feature's
    /// `properties` reduced to `{"code": short code}`; `None` when none has one.
    pub fn collection_for(&self, codes: &[&str]) -> Option<serde_json::Value> {
        let mut seen = std::collections::HashSet::new();
        let features: Vec<serde_json::Value> = codes
            .iter()
            .filter(|c| seen.insert(**c))
            .filter_map(|c| {
                let f = self.features.get(*c)?;
                Some(serde_json::json!({
                    "type": "Feature",
                    "properties": {"code": c},
                    "geometry": f["geometry"].clone(),
                }))
            })
            .collect();
        (!features.is_empty())
            .then(|| serde_json::json!({"type": "FeatureCollection", "features": features}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 371502, "name": "东昌府区"}, "geometry": {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.1, 36.4], [116.1, 36.5], [115.9, 36.4]]]}},
        {"type": "Feature", "properties": {"code": "371502001000"}, "geometry": {"type": "Polygon", "coordinates": [[[115.95, 36.45], [116.0, 36.45], [116.0, 36.47], [115.95, 36.45]]]}},
        {"type": "Feature", "properties": {"name": "no code"}, "geometry": {"type": "Point", "coordinates": [116, 36]}},
        {"type": "Feature", "properties": {"code": "371502002"}, "geometry": null}
    ]}"#;

    #[test]
    fn codes_of_every_spelling_are_found_and_features_filtered() {
        let b = RegionBoundaries::parse(FILE).unwrap();
        assert_eq!(
            b.len(),
            2,
            "features without a code or a geometry are skipped"
        );
        let c = b
            .collection_for(&["371502001", "371502002", "371502001"])
            .unwrap();
        let features = c["features"].as_array().unwrap();
        assert_eq!(features.len(), 1);
        assert_eq!(features[0]["properties"]["code"], "371502001");
        assert!(b.collection_for(&["371503"]).is_none());
        assert!(
            b.collection_for(&["371502"]).is_some(),
            "a numeric adcode counts"
        );
        assert!(RegionBoundaries::parse("[]").is_err());
    }
}
