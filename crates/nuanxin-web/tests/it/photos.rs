//! Photos of documents: a member sends photos with a request for help and with a claim from their
//! phone; what is stored is upright, shrunk and free of the camera's EXIF (no GPS location); a
//! file that is not a picture is refused by field and nothing is kept; the case's cadres and its
//! lawyer add photos from the case page; a photo is served only to those who see its case or
//! claim.

use nuanxin_testkit::{both_backends, id_with_check, phone_photo, Client, TestApp};
use serde_json::json;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A rider of 古楼's joint union, approved and signed in on their phone; their /me CSRF token.
async fn rider(app: &TestApp, gulou: &mut Client, phone: &str) -> (Client, String) {
    let code = gulou.join_code("JU371502001").await;
    let mut w = app.anonymous();
    w.post_form(
        &format!("/j/{code}"),
        &[("action", "sms"), ("phone", phone)],
        false,
    )
    .await;
    let sms = app.sms.last_code(phone).unwrap();
    let id = id_with_check("37150219920202711");
    let r = w
        .post_form(
            &format!("/j/{code}"),
            &[
                ("action", "join"),
                ("request_key", "photo-1"),
                ("name", "赵骑手"),
                ("id_number", &id),
                ("phone", phone),
                ("sms_code", &sms),
                ("group", "delivery_rider"),
                ("employer", "美团外卖"),
                ("work_region", "371502001"),
                ("consent", "1"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let pending = gulou.get("/api/v1/members?status=pending").await.json();
    gulou
        .post_json(
            "/api/v1/members/decisions",
            json!({"ids": [pending["items"][0]["id"]], "decision": "approve"}),
        )
        .await;
    let me = w.get("/me").await.text();
    assert!(me.contains("enctype=\"multipart/form-data\""), "{me}");
    let csrf = me
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (w, csrf)
}

both_backends! {
    async fn a_members_photos_arrive_upright_small_and_without_location_and_stay_in_scope(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let (mut w, csrf) = rider(&app, &mut gulou, "13906357111").await;
        let help = [("_csrf", csrf.as_str()), ("kind", "wages"), ("claimed", "2000"), ("summary", "两个月工资未发")];
        // A PDF among the photos: refused by field, no case kept.
        let r = w.post_multipart("/me/help", &help, &[("photos", "slip.jpg", phone_photo(64, 48)), ("photos", "contract.pdf", b"%PDF-1.7".to_vec())]).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-help-photos\""), "{}", r.text());
        assert!(r.text().contains("两个月工资未发"), "what was typed is kept on the form");
        assert_eq!(app.count("SELECT COUNT(*) FROM rights_cases").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 0);
        // Two photos, one of them as the camera took it (3200×2000, EXIF: turn 90°, GPS).
        let r = w.post_multipart("/me/help", &help, &[("photos", "slip.jpg", phone_photo(3200, 2000)), ("photos", "", Vec::new()),
            ("photos", "iou.jpg", phone_photo(300, 400))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let case = gulou.get("/api/v1/cases").await.json()["items"][0].clone();
        let cid = case["id"].as_str().unwrap().to_string();
        let page = gulou.get(&format!("/cases/{cid}")).await.text();
        let ids: Vec<String> = page.split("<img src=\"/photos/").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect();
        assert_eq!(ids.len(), 2, "{page}");
        assert!(page.contains("照片 2 张"), "the timeline says photos came");
        let r = gulou.get(&format!("/photos/{}", ids[0])).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers.get("content-type").unwrap(), "image/jpeg");
        let stored = r.body.clone();
        assert!(!contains(&stored, b"GPSLatitude") && !contains(&stored, b"Exif"), "no EXIF survives");
        let img = image::load_from_memory(&stored).unwrap();
        assert_eq!((img.width(), img.height()), (1000, 1600), "upright (portrait) and at most 1600 px");
        let r = gulou.get(&format!("/api/v1/photos/{}", ids[1])).await;
        assert_eq!(r.status, 200);
        // A sibling township, a viewer elsewhere, a visitor: not found / sign in.
        let mut liuyuan = app.demo_user("liuyuan").await;
        assert_eq!(liuyuan.get(&format!("/photos/{}", ids[0])).await.status, 404);
        assert_eq!(liuyuan.get(&format!("/api/v1/photos/{}", ids[0])).await.status, 404);
        assert!(app.anonymous().get(&format!("/photos/{}", ids[0])).await.location().is_some_and(|l| l.starts_with("/login")));
        // The township adds a photo from the case page; the sibling may not; a viewer may not.
        let r = gulou.post_multipart(&format!("/api/v1/cases/{cid}/photos"), &[], &[("photos", "award.png", png(20, 10))]).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()[0]["width"], 20);
        let r = liuyuan.post_multipart(&format!("/api/v1/cases/{cid}/photos"), &[], &[("photos", "x.jpg", phone_photo(8, 8))]).await;
        assert_eq!(r.status, 404);
        let r = gulou.post_multipart(&format!("/api/v1/cases/{cid}/photos"), &[], &[]).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let r = gulou.post_multipart(&format!("/cases/{cid}/photos"), &[], &[("photos", "scan.jpg", phone_photo(40, 30))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM attachments WHERE owner_kind = 'case'").await, 4);
        // The files are in the uploads folder (not in the database), one per photo.
        let files = walk(&app.uploads.clone().unwrap().join("photos"));
        assert_eq!(files.len(), 4, "{files:?}");
        assert!(files.iter().all(|f| f.extension().is_some_and(|e| e == "jpg")), "{files:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'cases.photos'").await, 2);
        let mut viewer = app.demo_user("guancha").await;
        assert_eq!(viewer.get(&format!("/photos/{}", ids[0])).await.status, 200, "a viewer above sees it");
        let r = viewer.post_multipart(&format!("/api/v1/cases/{cid}/photos"), &[], &[("photos", "x.jpg", phone_photo(8, 8))]).await;
        assert_eq!(r.status, 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 4);
    }
}

both_backends! {
    async fn a_claim_carries_its_photos_to_the_reviewer(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let (mut w, csrf) = rider(&app, &mut gulou, "13906357112").await;
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.post_json("/api/v1/aid/plans", json!({"org_code": "F371502", "name": "骑手意外互助", "kind": "accident",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "premium": "30", "benefits": {"hospital": "5000"}})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let plan = r.json()["id"].as_str().unwrap().to_string();
        let r = county.post_json(&format!("/api/v1/aid/plans/{plan}/enrol"), json!({})).await;
        assert!(r.json()["enrolled"].as_i64() > Some(0), "{}", r.text());
        let claim = [("_csrf", csrf.as_str()), ("plan_id", plan.as_str()), ("event", "hospital"), ("incident_on", "2026-11-23"),
            ("claimed", "3000"), ("summary", "送餐途中摔伤")];
        let r = w.post_multipart("/me/claim", &claim, &[("photos", "bill.jpg", b"not a jpeg at all".to_vec())]).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-claim-photos\""), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM aid_claims").await, 0);
        let r = w.post_multipart("/me/claim", &claim, &[("photos", "bill.jpg", phone_photo(1200, 900))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let listed = gulou.get("/api/v1/aid/claims").await.json();
        let id = listed["items"][0]["id"].as_str().unwrap().to_string();
        let page = gulou.get(&format!("/aid/claims/{id}")).await.text();
        let photo = page.split("<img src=\"/photos/").nth(1).expect("the claim's photo on its page").split('"').next().unwrap().to_string();
        let r = gulou.get(&format!("/photos/{photo}")).await;
        assert_eq!(r.status, 200);
        let img = image::load_from_memory(&r.body).unwrap();
        assert_eq!((img.width(), img.height()), (900, 1200));
        assert_eq!(app.demo_user("liuyuan").await.get(&format!("/photos/{photo}")).await.status, 404);
    }
}

/// The files under a folder, at any depth.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A PNG of `w`×`h`.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::new_rgb8(w, h)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}
