//! An HTTP client over the router in process (no socket), keeping the session cookie and the
//! CSRF token like a browser and an API client would.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Cloned, a second tab or desk of the same signed-in person.
#[derive(Clone)]
pub struct Client {
    router: axum::Router,
    pub session: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub lang: Option<String>,
    /// Other cookies the server set (such as the member session), sent back like a browser does.
    pub cookies: std::collections::BTreeMap<String, String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    /// One sheet of the xlsx file the answer carries.
    pub fn sheet(&self, name: &str) -> calamine::Range<calamine::Data> {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(self.body.clone())).unwrap();
        book.worksheet_range(name).unwrap()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub fn new(router: axum::Router) -> Client {
        Client {
            router,
            session: None,
            csrf: None,
            bearer: None,
            lang: None,
            cookies: Default::default(),
        }
    }

    pub fn with_bearer(mut self, token: &str) -> Client {
        self.bearer = Some(token.to_string());
        self
    }

    /// A new join code of unit `org` through the API, as this client (a cadre of the unit).
    pub async fn join_code(&mut self, org: &str) -> String {
        let r = self
            .post_json(
                &format!("/api/v1/orgs/{org}/join-codes"),
                serde_json::json!({"channel": "qr"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["code"].as_str().unwrap().to_string()
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Resp {
        let body = serde_json::json!({"username": username, "password": password});
        let r = self
            .send(
                Method::POST,
                "/api/v1/session",
                Some(("application/json", body.to_string().into_bytes())),
            )
            .await;
        if r.status == 200 {
            self.csrf = r.json()["csrf_token"].as_str().map(str::to_string);
        }
        r
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }

    pub async fn delete(&mut self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn post_json(&mut self, path: &str, body: serde_json::Value) -> Resp {
        self.send_json(Method::POST, path, body).await
    }

    pub async fn patch_json(&mut self, path: &str, body: serde_json::Value) -> Resp {
        self.send_json(Method::PATCH, path, body).await
    }

    pub async fn put_json(&mut self, path: &str, body: serde_json::Value) -> Resp {
        self.send_json(Method::PUT, path, body).await
    }

    async fn send_json(&mut self, method: Method, path: &str, body: serde_json::Value) -> Resp {
        let body = body.to_string().into_bytes();
        self.send(method, path, Some(("application/json", body)))
            .await
    }

    pub async fn post_bytes(&mut self, path: &str, bytes: Vec<u8>) -> Resp {
        self.send(
            Method::POST,
            path,
            Some(("application/octet-stream", bytes)),
        )
        .await
    }

    /// A browser form post; the CSRF token goes in the `_csrf` field unless `with_csrf` is false.
    pub async fn post_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
    ) -> Resp {
        let mut pairs: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        if with_csrf {
            if let Some(c) = &self.csrf {
                pairs.push(format!("_csrf={}", enc(c)));
            }
        }
        let csrf = self.csrf.take();
        let r = self
            .send(
                Method::POST,
                path,
                Some((
                    "application/x-www-form-urlencoded",
                    pairs.join("&").into_bytes(),
                )),
            )
            .await;
        self.csrf = csrf;
        r
    }

    /// A `multipart/form-data` post (a form with files): text fields, then files as (field name,
    /// file name, bytes). A cadre session's CSRF token goes in the header.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Resp {
        const BOUNDARY: &str = "----nuanxin-test-boundary-7d1f";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (k, name, bytes) in files {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        self.send(Method::POST, path, Some((&ct, body))).await
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let mut req = Request::builder().method(method.clone()).uri(path);
        let mut cookies = Vec::new();
        if let Some(s) = &self.session {
            cookies.push(format!("{}={s}", nuanxin_web::SESSION_COOKIE));
        }
        if let Some(l) = &self.lang {
            cookies.push(format!("{}={l}", nuanxin_web::LANG_COOKIE));
        }
        cookies.extend(self.cookies.iter().map(|(k, v)| format!("{k}={v}")));
        if !cookies.is_empty() {
            req = req.header(header::COOKIE, cookies.join("; "));
        }
        if let Some(t) = &self.bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let is_form = body
            .as_ref()
            .is_some_and(|(ct, _)| ct.starts_with("application/x-www-form-urlencoded"));
        if method != Method::GET && !is_form {
            if let Some(c) = &self.csrf {
                req = req.header(nuanxin_web::CSRF_HEADER, c);
            }
        }
        let req = match body {
            Some((ct, bytes)) => req.header(header::CONTENT_TYPE, ct).body(Body::from(bytes)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap_or("");
            let pair = v.split(';').next().unwrap_or("");
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if name == nuanxin_web::SESSION_COOKIE {
                self.session = if value.is_empty() {
                    None
                } else {
                    Some(value.to_string())
                };
            } else if name != nuanxin_web::LANG_COOKIE {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
