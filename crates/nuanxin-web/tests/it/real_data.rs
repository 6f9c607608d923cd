//! What real people and real sheets bring: names written with 〇, and employers' USCCs typed
//! with a wrong check character, checked the same way wherever they come in.

use nuanxin_core::accounts::Caller;
use nuanxin_core::members;
use nuanxin_core::sheets::import::SheetImport;
use nuanxin_testkit::{both_backends, TEST_NOW};
use serde_json::json;

/// 91110108562144110 with its right check character is …110X; …110Y is wrong (GB 32100).
const WRONG_USCC: &str = "91110108562144110Y";

both_backends! {
    async fn names_with_the_han_zero_join_and_stacked_marks_do_not(app: TestApp) {
        app.load_demo().await;
        let mut gulou = app.demo_user("gulou").await;
        let code = gulou.post_json("/api/v1/orgs/JU371502001/join-codes", json!({"channel": "qr"})).await.json()["code"].as_str().unwrap().to_string();
        let mut w = app.anonymous();
        for (name, phone, ok) in [("陈〇一", "13806350001", true), ("王\u{0336}\u{0336}\u{0336}明", "13806350002", false)] {
            app.clock.advance(61_000);
            w.post_json(&format!("/api/v1/join/{code}/sms"), json!({"phone": phone})).await;
            let sms = app.sms.last_code(phone).unwrap();
            let r = w.post_json(&format!("/api/v1/join/{code}"), json!({"name": name, "id_number": if ok { "371502199001011234" } else { "11010519491231002X" },
                "phone": phone, "group": "courier", "consent": true, "sms_code": sms})).await;
            if ok {
                assert_eq!(r.status, 200, "{name}: {}", r.text());
            } else {
                assert_eq!((r.status.as_u16(), r.json()["field"].as_str(), r.json()["code"].as_str()), (422, Some("name"), Some("members.bad_name")), "{name}: {}", r.text());
            }
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE name = '陈〇一'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM people").await, 1);
    }

    async fn a_uscc_with_a_wrong_check_character_is_refused_in_sheets_and_pushes(app: TestApp) {
        app.load_demo().await;
        let caller = Caller::operator(&app.clock);
        let csv = format!("姓名,身份证号,手机号,职业群体,所属工会编码,工作单位统一社会信用代码\n\
            张三,371502199001011234,13806351234,快递员,JU371502001,{WRONG_USCC}\n\
            李四,11010519491231002X,13806351235,快递员,JU371502001,91110108562144110X\n");
        let table = members::sheet::MembersSheet::read(csv.as_bytes()).unwrap();
        let rep = members::sheet::import(&app.store, &app.vault, &caller, &table, false, |_, _| {}).await.unwrap();
        let rejected: Vec<(usize, &str, &str)> = rep.rejected.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
        assert_eq!(rejected, vec![(2, "工作单位统一社会信用代码", "census.uscc_check")]);
        assert_eq!(rep.imported, 1, "the row with the right USCC is taken");
        // A partner's push is checked the same way.
        let mut city = app.demo_user("liaocheng").await;
        city.post_json("/api/v1/accounts", json!({"username": "dcf-window", "password": "pass-word-1", "org_code": "F371502", "role": "staff"})).await;
        let token = city.post_json("/api/v1/tokens", json!({"username": "dcf-window", "name": "窗口"})).await.json()["token"].as_str().unwrap().to_string();
        let consent = json!({"at": TEST_NOW - 60_000, "by": "窗口", "method": "paper_form"});
        let r = app.anonymous().with_bearer(&token).post_json("/api/v1/members/push", json!({"channel": "window", "records": [
            {"ref": "U1", "name": "王五", "id_number": "371502199001011234", "phone": "13806351236", "group": "courier",
             "work_region": "371502001", "employer_uscc": WRONG_USCC, "consent": consent}]})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["results"][0]["errors"][0], json!({"field": "employer_uscc", "code": "census.uscc_check"}));
        assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE name = '王五'").await, 0);
    }
}
