//! Notices and honours on the worker's home: a notice reaches the members of the publishing
//! union's subtree (or one worker group), never a sibling's, and not once withdrawn; the member's
//! read is counted once. An honour is shown on the union's public showcase only after the member
//! opts in from `/me`, and the services report's `honours` member counts it.

use super::care::members_of;
use super::lifecycle::{member_csrf, sign_in_member};
use nuanxin_testkit::both_backends;
use serde_json::json;

both_backends! {
    async fn members_read_the_notices_meant_for_them(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 41, 1).await;
        // Every problem at once; nothing written.
        let r = gulou.post_json("/api/v1/notices", json!({"title": "", "body": " ", "org_code": "F371502001",
            "group": "astronaut", "publish_on": "2026-11-20", "expire_on": "2026-11-01"})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["title", "body", "group", "expire_on"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM notices").await, 0);

        let publish = |title: &str, org: &str, group: &str| json!({"title": title, "body": "第一段\n\n第二段 <script>x</script>",
            "org_code": org, "group": group});
        let r = gulou.post_json("/api/v1/notices", publish("冬季送温暖报名", "F371502001", "")).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let ours = r.json()["id"].as_str().unwrap().to_string();
        let r = gulou.post_json("/api/v1/notices", publish("快递员专场", "F371502001", "快递员")).await;
        assert_eq!((r.status.as_u16(), r.json()["worker_group"].as_str()), (201, Some("courier")), "{}", r.text());
        let withdrawn = gulou.post_json("/api/v1/notices", publish("已撤回的通知", "F371502001", "")).await.json()["id"]
            .as_str().unwrap().to_string();
        assert_eq!(gulou.post_form(&format!("/notices/{withdrawn}/withdraw"), &[], true).await.status, 303);
        let mut county = app.demo_user("dongchangfu").await;
        let r = county.post_json("/api/v1/notices", publish("区总工会骑手安全提示", "F371502", "delivery_rider")).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let mut liuyuan = app.demo_user("liuyuan").await;
        members_of(&app, &mut liuyuan, "JU371502002", 47, 1).await;
        let sibling = liuyuan.post_json("/api/v1/notices", publish("柳园街道通知", "F371502002", "")).await.json()["id"]
            .as_str().unwrap().to_string();
        // A sibling cannot publish for gulou, nor see its notices.
        assert_eq!(liuyuan.post_json("/api/v1/notices", publish("x", "F371502001", "")).await.status, 422);
        assert_eq!(liuyuan.get(&format!("/api/v1/notices/{ours}")).await.status, 404);
        assert_eq!(liuyuan.get("/api/v1/notices").await.json()["total"], 1);

        // The member (a delivery rider of a joint union under gulou) sees gulou's and the county's.
        let phone = "13906352041";
        let mut w = sign_in_member(&app, phone).await;
        let me = w.get("/me").await.text();
        // The worker's home loads light on a weak network: no script needed, under 50 KB.
        assert!(me.len() < 50_000, "/me is {} bytes", me.len());
        assert!(!me.contains("<script src=\"/assets/htmx"), "no htmx on the member's home");
        for seen in ["冬季送温暖报名", "区总工会骑手安全提示"] {
            assert!(me.contains(seen), "{seen}");
        }
        for unseen in ["快递员专场", "已撤回的通知", "柳园街道通知"] {
            assert!(!me.contains(unseen), "{unseen}");
        }
        let r = w.get(&format!("/me/notices/{ours}")).await;
        assert_eq!(r.status, 200);
        assert!(r.text().contains("第二段") && !r.text().contains("<script>x"), "the text is escaped");
        w.get(&format!("/me/notices/{ours}")).await;
        assert_eq!(gulou.get(&format!("/api/v1/notices/{ours}")).await.json()["reads"], 1);
        assert_eq!(w.get(&format!("/me/notices/{sibling}")).await.status, 404);
        // A notice with an image: shrunk, shown to the member it reaches, to no one else.
        let r = gulou.post_multipart("/notices/new", &[("title", "送清凉现场"), ("body", "照片见下"), ("org_code", "F371502001")],
            &[("photos", "scene.jpg", nuanxin_testkit::phone_photo(2400, 1800))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let with_image = r.location().unwrap().trim_start_matches("/notices/").to_string();
        let page = w.get(&format!("/me/notices/{with_image}")).await.text();
        let image = page.split("src=\"/me/photos/").nth(1).expect("an image on the member's notice").split('"').next().unwrap().to_string();
        let r = w.get(&format!("/me/photos/{image}")).await;
        assert_eq!(r.status, 200);
        assert!(r.body.starts_with(&[0xFF, 0xD8]), "a JPEG");
        assert_eq!(gulou.get(&format!("/photos/{image}")).await.status, 200);
        assert_eq!(liuyuan.get(&format!("/photos/{image}")).await.status, 404);
        let mut stranger = sign_in_member(&app, "13906352047").await;
        assert_eq!(stranger.get(&format!("/me/photos/{image}")).await.status, 404, "not a member of gulou's area");
        assert_eq!(app.anonymous().get(&format!("/showcase/photos/{image}")).await.status, 404, "not a showcase photo");
        assert_eq!(w.get(&format!("/me/notices/{withdrawn}")).await.status, 404);
        assert!(!nos.is_empty());
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'notices.%'").await, 7);
    }

    async fn an_honour_shows_on_the_showcase_only_when_the_member_says_so(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 42, 2).await;
        let r = gulou.post_json("/api/v1/honours", json!({"member_no": nos[0], "kind": "medal", "level": "",
            "year": "1900", "title": ""})).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_string()).collect();
        for f in ["kind", "level", "year", "title"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let r = gulou.post_multipart("/honours", &[("member_no", nos[0].as_str()), ("kind", "最美劳动者"), ("level", "市级"),
            ("year", "2026"), ("title", "2026年度聊城市最美骑手"), ("citation", "雨夜护送走失老人回家")],
            &[("photos", "portrait.jpg", nuanxin_testkit::phone_photo(1200, 1600))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let h = gulou.get("/api/v1/honours").await.json()["items"][0].clone();
        let id = h["id"].as_str().unwrap().to_string();
        assert_eq!(h["public"], false);
        assert_eq!(app.count("SELECT COUNT(*) FROM attachments WHERE owner_kind = 'honour'").await, 1);
        let mut guancha = app.demo_user("guancha").await;
        assert_eq!(guancha.get("/api/v1/honours").await.json()["total"], 1, "a viewer reads");
        assert_eq!(guancha.post_json("/api/v1/honours", json!({"member_no": nos[1], "kind": "other", "level": "city",
            "year": "2026", "title": "x"})).await.status, 403);

        // On the member's record in the console.
        let list = gulou.get("/api/v1/members?status=active&per_page=100").await.json();
        let member = list["items"].as_array().unwrap().iter().find(|m| m["member_no"] == nos[0].as_str()).unwrap()["id"]
            .as_str().unwrap().to_string();
        assert!(gulou.get(&format!("/members/{member}")).await.text().contains("2026年度聊城市最美骑手"));
        // Not on the showcase until the member says so.
        let mut public = app.anonymous();
        let page = public.get("/showcase/F371502001").await;
        assert_eq!(page.status, 200);
        assert!(!page.text().contains("最美骑手"));
        assert_eq!(public.get("/showcase/NOPE").await.status, 404);
        // Someone else cannot show it, nor can a forged form.
        let mut other = sign_in_member(&app, "13906352043").await;
        let other_csrf = member_csrf(&other.get("/me").await.text());
        let r = other.post_form(&format!("/me/honours/{id}/showcase"), &[("_csrf", other_csrf.as_str()), ("public", "1")], false).await;
        assert_eq!(r.status, 404);
        let mut w = sign_in_member(&app, "13906352042").await;
        let me = w.get("/me").await.text();
        assert!(me.contains("2026年度聊城市最美骑手"));
        let r = w.post_form(&format!("/me/honours/{id}/showcase"), &[("_csrf", "forged"), ("public", "1")], false).await;
        assert_eq!(r.status, 403);
        let csrf = member_csrf(&me);
        let r = w.post_form(&format!("/me/honours/{id}/showcase"), &[("_csrf", csrf.as_str()), ("public", "1")], false).await;
        assert_eq!(r.status, 303, "{}", r.text());
        // The photo is public only while the honour is shown.
        let shown = public.get("/showcase/F371502001").await.text();
        let photo_url = shown.split("src=\"/showcase/photos/").nth(1).expect("the honour's photo").split('"').next().unwrap().to_string();
        assert_eq!(public.get(&format!("/showcase/photos/{photo_url}")).await.status, 200);
        for code in ["F371502001", "F3715"] {
            let page = public.get(&format!("/showcase/{code}")).await.text();
            assert!(page.contains("2026年度聊城市最美骑手") && page.contains("雨夜护送走失老人回家"), "{code}");
            assert!(!page.contains(&nos[0]), "no membership number on the public page");
        }
        assert!(!public.get("/showcase/F371502002").await.text().contains("最美骑手"), "not a sibling's");
        // Hidden again.
        let r = w.post_form(&format!("/me/honours/{id}/showcase"), &[("_csrf", csrf.as_str()), ("public", "0")], false).await;
        assert_eq!(r.status, 303);
        assert!(!public.get("/showcase/F371502001").await.text().contains("最美骑手"));
        assert_eq!(public.get(&format!("/showcase/photos/{photo_url}")).await.status, 404, "hidden again");
        // The report counts it in its year.
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2026-01-01&to=2026-11-23").await;
        assert_eq!(r.json()["honours"], json!({"awarded": 1}));
        let r = gulou.get("/api/v1/services/report?org=F371502001&from=2025-01-01&to=2025-12-31").await;
        assert_eq!(r.json()["honours"], json!({"awarded": 0}));
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'honours.showcase'").await, 2);
    }

    async fn members_browse_search_and_read_the_library(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        members_of(&app, &mut gulou, "JU371502001", 44, 1).await;
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        // Every problem at once: not a PDF, no category; nothing written, no file kept.
        let r = gulou.post_multipart("/library", &[("title", "骑手安全手册"), ("category", ""), ("org_code", "F371502001")],
            &[("pdf", "manual.pdf", b"GIF89a not a pdf".to_vec())]).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("id=\"e-pdf\"") && r.text().contains("id=\"e-category\""), "{}", r.text());
        assert_eq!(app.count("SELECT COUNT(*) FROM library_items").await, 0);
        let r = gulou.post_json("/api/v1/library", json!({"title": "空的", "category": "law", "org_code": "F371502001"})).await;
        assert_eq!((r.status.as_u16(), r.json()["field"].as_str()), (422, Some("body")), "{}", r.text());
        let r = gulou.post_multipart("/library", &[("title", "骑手安全手册"), ("category", "safety"), ("org_code", "F371502001"),
            ("body", "雨天骑行注意事项")], &[("pdf", "manual.pdf", pdf.clone())]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let r = gulou.post_json("/api/v1/library", json!({"title": "劳动合同怎么签", "category": "劳动法规",
            "body": "签订书面劳动合同，保留工资流水。", "org_code": "F371502001"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let article = r.json()["id"].as_str().unwrap().to_string();
        let mut liuyuan = app.demo_user("liuyuan").await;
        let r = liuyuan.post_json("/api/v1/library", json!({"title": "柳园资料", "category": "other", "body": "x", "org_code": "F371502002"})).await;
        let sibling = r.json()["id"].as_str().unwrap().to_string();
        let items = gulou.get("/api/v1/library").await.json();
        assert_eq!(items["total"], 2, "{items}");
        let manual = items["items"].as_array().unwrap().iter().find(|i| i["title"] == "骑手安全手册").unwrap()["id"]
            .as_str().unwrap().to_string();
        assert_eq!(gulou.get(&format!("/library/{manual}/pdf")).await.body, pdf);
        assert_eq!(liuyuan.get(&format!("/library/{manual}/pdf")).await.status, 404);
        assert_eq!(gulou.get("/api/v1/library?q=合同").await.json()["total"], 1);
        assert_eq!(gulou.get("/api/v1/library?category=safety").await.json()["total"], 1);

        // The member's shelf: their union's and above, searchable; a sibling's is not there.
        let mut w = sign_in_member(&app, "13906352044").await;
        let shelf = w.get("/me/library").await.text();
        assert!(shelf.contains("骑手安全手册") && shelf.contains("劳动合同怎么签") && !shelf.contains("柳园资料"), "{shelf}");
        let found = w.get("/me/library?q=%E5%90%88%E5%90%8C").await.text();
        assert!(found.contains("劳动合同怎么签") && !found.contains("骑手安全手册"), "{found}");
        let r = w.get(&format!("/me/library/{article}")).await;
        assert!(r.text().contains("保留工资流水"), "{}", r.text());
        let r = w.get(&format!("/me/library/{manual}/pdf")).await;
        assert_eq!((r.status.as_u16(), r.body.clone()), (200, pdf.clone()));
        assert_eq!(w.get(&format!("/me/library/{sibling}")).await.status, 404);
        assert_eq!(w.get(&format!("/me/library/{sibling}/pdf")).await.status, 404);
        // Off the shelf.
        assert_eq!(gulou.post_form(&format!("/library/{article}/withdraw"), &[], true).await.status, 303);
        assert!(!w.get("/me/library").await.text().contains("劳动合同怎么签"));
        assert_eq!(w.get(&format!("/me/library/{article}")).await.status, 404);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'library.%'").await, 4);
    }

    async fn members_see_offers_near_them_and_merchants_learn_only_the_status(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let nos = members_of(&app, &mut gulou, "JU371502001", 45, 1).await;
        let mut liuyuan = app.demo_user("liuyuan").await;
        let theirs = members_of(&app, &mut liuyuan, "JU371502002", 46, 1).await;
        let r = gulou.post_json("/api/v1/offers", json!({"org_code": "F371502001", "merchant": " ", "discount": "",
            "region_code": "999", "valid_from": "2026-11-20", "valid_to": "2026-11-01"})).await;
        let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, vec!["merchant", "discount", "region_code", "valid_to"], "{}", r.text());
        let r = gulou.post_json("/api/v1/offers", json!({"org_code": "F371502001", "merchant": "古楼快餐", "discount": "凭惠工卡九折",
            "address": "柳园路 8 号", "region_code": "371502001"})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let token = r.json()["verify_token"].as_str().unwrap().to_string();
        assert_eq!(token.len(), 24);
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = liuyuan.post_json("/api/v1/offers", json!({"org_code": "F371502002", "merchant": "柳园超市", "discount": "满百减十"})).await;
        assert_eq!(r.status, 201);
        assert_eq!(liuyuan.get("/api/v1/offers").await.json()["total"], 1, "a sibling sees its own only");

        // The member sees their union's offers and their card number; not the sibling's.
        let mut w = sign_in_member(&app, "13906352045").await;
        let me = w.get("/me").await.text();
        assert!(me.contains("古楼快餐") && me.contains("凭惠工卡九折") && !me.contains("柳园超市"), "{me}");
        assert!(me.contains(&format!("<span id=\"card-no\">{}</span>", nos[0])));

        // The merchant's page: yes for the member, no for anyone else, nothing more.
        let mut shop = app.anonymous();
        let page = shop.get(&format!("/verify/{token}")).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("古楼快餐"));
        let yes = shop.post_form(&format!("/verify/{token}"), &[("qr", &format!("NUANXIN-MEMBER:{}", nos[0]))], false).await;
        assert!(yes.text().contains("answer yes"), "{}", yes.text());
        assert!(!yes.text().contains("张清凉") && !yes.text().contains("李清凉") && !yes.text().contains("王清凉")
            && !yes.text().contains("赵清凉") && !yes.text().contains("钱清凉"), "no name shown");
        let no = shop.post_form(&format!("/verify/{token}"), &[("qr", theirs[0].as_str())], false).await;
        assert!(no.text().contains("answer no"), "another union's member is not one of this offer's");
        let empty = shop.post_form(&format!("/verify/{token}"), &[("qr", " ")], false).await;
        assert_eq!(empty.status, 422);
        assert_eq!(shop.get("/verify/NOT-A-TOKEN-AT-ALL-XXXXX").await.status, 404);
        assert_eq!(gulou.get("/api/v1/offers").await.json()["items"][0]["verified"], 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'offers.verify'").await, 2);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'offers.verify' AND detail LIKE '%{}%'", nos[0])).await, 0);
        // Withdrawn: gone from /me, and the link answers nothing.
        assert_eq!(gulou.post_form(&format!("/offers/{id}/withdraw"), &[], true).await.status, 303);
        assert!(!w.get("/me").await.text().contains("古楼快餐"));
        assert_eq!(shop.get(&format!("/verify/{token}")).await.status, 404);
    }

    async fn the_demo_fills_the_workers_home_once(app: TestApp) {
        app.load_demo().await;
        nuanxin_core::demo::load_members(&app.store, &app.vault, &app.clock).await.unwrap();
        let made = nuanxin_core::demo::load_worker_home(&app.store, &app.clock).await.unwrap();
        assert!(made > 8, "{made}");
        assert_eq!(nuanxin_core::demo::load_worker_home(&app.store, &app.clock).await.unwrap(), 0, "once");
        for (table, n) in [("notices", 1), ("library_items", 2), ("benefit_offers", 1), ("competitions", 1),
            ("competition_entries", 3), ("honours", 1), ("hardship_files", 1), ("hardship_assistance", 1)] {
            assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, n, "{table}");
        }
        assert!(app.count("SELECT COUNT(*) FROM care_receipts").await > 0);
        let page = app.anonymous().get("/showcase/F371502001").await.text();
        assert!(page.contains("最美骑手"), "the demo honour is on the showcase");
    }
}
