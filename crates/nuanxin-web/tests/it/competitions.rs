//! Skills competitions: a union holds one with its events (every problem named at once), staff
//! enter members of its area with scores, the ranking follows the scores (ties share a rank, a
//! second entry replaces the score), each entry's certificate is a PDF that reads in Chinese, and a
//! sibling township sees nothing.

use super::care::members_of;
use nuanxin_testkit::both_backends;
use serde_json::json;

both_backends! {
    async fn a_competition_ranks_its_entries_and_prints_certificates(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 61, 3).await;
        let r = gulou.post_json("/api/v1/competitions", json!({"name": "", "org_code": "F371502001", "held_on": "x", "events": " "})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, vec!["name", "held_on", "events"]);
        let r = gulou.post_json("/api/v1/competitions", json!({"name": "2026年外卖骑手技能比武", "org_code": "F371502001",
            "held_on": "2026-10-15", "place": "古楼街道广场", "events": "配送技能、安全驾驶"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let url = format!("/api/v1/competitions/{id}/entries");
        let r = gulou.post_json(&url, json!({"member_no": nos[0], "event": "跳高", "score": "98.555"})).await;
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, vec!["event", "score"], "{}", r.text());
        for (no, score) in [(&nos[0], "91"), (&nos[1], "95.5"), (&nos[2], "91")] {
            let r = gulou.post_json(&url, json!({"member_no": no, "event": "配送技能", "score": score})).await;
            assert_eq!(r.status, 201, "{}", r.text());
        }
        let r = gulou.post_json(&url, json!({"member_no": nos[2], "event": "安全驾驶", "score": "88"})).await;
        assert_eq!(r.json()["rank"], 1);
        let ranking = gulou.get(&format!("/api/v1/competitions/{id}")).await.json()["ranking"].clone();
        let rows: Vec<(String, i64, i64)> = ranking.as_array().unwrap().iter()
            .map(|e| (e["event"].as_str().unwrap().to_string(), e["score_centi"].as_i64().unwrap(), e["rank"].as_i64().unwrap())).collect();
        assert_eq!(rows, vec![("配送技能".into(), 9550, 1), ("配送技能".into(), 9100, 2), ("配送技能".into(), 9100, 2),
            ("安全驾驶".into(), 8800, 1)]);
        // A second entry replaces the score.
        let r = gulou.post_json(&url, json!({"member_no": nos[0], "event": "配送技能", "score": "99"})).await;
        assert_eq!((r.json()["rank"].as_i64(), r.json()["score_centi"].as_i64()), (Some(1), Some(9900)));
        assert_eq!(app.count("SELECT COUNT(*) FROM competition_entries").await, 4);
        // A sibling sees nothing and enters no one.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/api/v1/competitions/{id}")).await.status, 404);
        assert_eq!(liuyuan.post_json(&url, json!({"member_no": nos[0], "event": "配送技能", "score": "1"})).await.status, 404);
        let entry = gulou.get(&format!("/api/v1/competitions/{id}")).await.json()["ranking"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(liuyuan.get(&format!("/competition-entries/{entry}/certificate.pdf")).await.status, 404);
        // The certificate: a PDF whose text is the winner's, in Chinese.
        let page = gulou.get(&format!("/competitions/{id}")).await.text();
        assert!(page.contains(&format!("/competition-entries/{entry}/certificate.pdf")), "{page}");
        let pdf = gulou.get(&format!("/competition-entries/{entry}/certificate.pdf")).await;
        if pdf.status != 200 {
            assert!(!crate::poster::e2e(), "NUANXIN_E2E=1 but no certificate: {}", pdf.text());
            eprintln!("note: certificate test skipped: {}", pdf.text());
            return;
        }
        assert!(pdf.body.starts_with(b"%PDF-"));
        if let Some(pdftotext) = crate::poster::tool("pdftotext") {
            let path = std::env::temp_dir().join(format!("certificate-{entry}.pdf"));
            std::fs::write(&path, &pdf.body).unwrap();
            let out = std::process::Command::new(pdftotext).arg(&path).arg("-").output().unwrap();
            let text: String = String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains("荣誉证书") && text.contains("第1名") && text.contains("99"), "{text}");
            // `NUANXIN_POSTER_OUT=DIR` keeps the certificate to look at, as the poster test does.
            if let Some(dir) = std::env::var_os("NUANXIN_POSTER_OUT") {
                std::fs::copy(&path, std::path::Path::new(&dir).join("certificate.pdf")).unwrap();
            }
            let _ = std::fs::remove_file(path);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'competitions.%'").await, 6);
    }
}
