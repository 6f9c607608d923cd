//! Uploaded sheets cannot take the server down: a file of a few kilobytes that claims every
//! cell Excel can address is refused, with a clear message, before it is read.

use nuanxin_testkit::both_backends;
use nuanxin_testkit::sheets::xlsx_claiming;

both_backends! {
    async fn a_tiny_xlsx_claiming_a_billion_cells_is_refused_before_it_is_read(app: TestApp) {
        app.load_demo().await;
        let bomb = xlsx_claiming("A1:XFD1048576");
        assert!(bomb.len() < 20_000, "{} bytes", bomb.len());
        // Any signed-in viewer may run the circle analysis with a demand file.
        let mut viewer = app.demo_user("guancha").await;
        let b = "NUANXINBOUNDARY";
        let mut body = Vec::new();
        for (k, v) in [("org", "F3715"), ("mode", "walk"), ("minutes", "15"), ("k", "1")] {
            body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").into_bytes());
        }
        body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"demand\"; filename=\"d.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes());
        body.extend(&bomb);
        body.extend(format!("\r\n--{b}--\r\n").into_bytes());
        let ct = format!("multipart/form-data; boundary={b}");
        let r = viewer.send(axum::http::Method::POST, "/stations/circle", Some((&ct, body))).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("表格过大") && r.text().contains("1048576 rows × 16384 columns"), "{}", r.text());
        // Every import reads through the same check.
        let mut admin = app.demo_user("liaocheng").await;
        let r = admin.post_bytes("/api/v1/orgs/import", bomb.clone()).await;
        assert_eq!((r.status.as_u16(), r.json()["code"].as_str()), (422, Some("sheets.too_large")), "{}", r.text());
        assert_eq!(r.json()["field"], "file");
        // An honest sheet of the same shape still reads.
        let honest = xlsx_claiming("A1:C1");
        let r = admin.post_bytes("/api/v1/orgs/import?dry_run=true", honest).await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_ne!(r.json()["code"], "sheets.too_large", "{}", r.text());
    }
}
