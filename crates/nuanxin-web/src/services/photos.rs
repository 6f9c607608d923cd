//! Photos of documents on cases and claims, in the console and the API: forms that take photos
//! (plain forms still work: a form sent without files is read as before), a case's photo upload,
//! and serving a photo only to a caller who sees the case or claim it belongs to.

use crate::auth::{ApiAuth, Auth};
use crate::error::{ApiError, ErrorBody, PageError};
use axum::extract::{FromRequest, Multipart, Path, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use nuanxin_core::services::photos::{self, Owner, Photo, Prepared};
use nuanxin_core::services::{aid, cases};
use nuanxin_core::{in_read, in_write, Error, Scope, Tx};
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A form with photos: a `multipart/form-data` post (its file fields named `photos`, empty ones
/// left out) or a plain form post (no photos). The text fields are read as `T`.
pub struct WithPhotos<T> {
    pub form: T,
    pub photos: Vec<Vec<u8>>,
    /// Other files sent, by field name (a library document's `pdf`), empty ones left out.
    pub files: Vec<(String, Vec<u8>)>,
}

fn bad_request(e: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, e.to_string()).into_response()
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WithPhotos<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(form) = Form::<T>::from_request(req, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(WithPhotos {
                form,
                photos: Vec::new(),
                files: Vec::new(),
            });
        }
        let mut parts = Multipart::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut photos = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = parts.next_field().await.map_err(bad_request)? {
            let name = field.name().unwrap_or_default().to_string();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(bad_request)?;
                if bytes.is_empty() {
                    continue;
                }
                if name == "photos" {
                    photos.push(bytes.to_vec());
                } else {
                    files.push((name, bytes.to_vec()));
                }
            } else {
                pairs.push((name, field.text().await.map_err(bad_request)?));
            }
        }
        let encoded = serde_urlencoded::to_string(&pairs).map_err(bad_request)?;
        let form = serde_urlencoded::from_str(&encoded).map_err(bad_request)?;
        Ok(WithPhotos {
            form,
            photos,
            files,
        })
    }
}

/// Readies the photos of a post, or the field error that names what is wrong with one.
pub async fn ready(files: Vec<Vec<u8>>) -> Result<Vec<Prepared>, Error> {
    if files.len() as i64 > photos::MAX_PER_OWNER {
        return Err(Error::invalid("photos", "photos.too_many"));
    }
    photos::prepare_all(files).await
}

/// Whether the caller sees the photo's case or claim (else not found, as for no photo).
async fn in_sight(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<(), Error> {
    match photos::owner_of(tx, id).await? {
        Owner::Case(c) => cases::get(tx, scope, c).await.map(|_| ()),
        Owner::Claim(c) => aid::get_claim(tx, scope, c).await.map(|_| ()),
        Owner::Notice(n) => nuanxin_core::services::notices::get(tx, scope, n)
            .await
            .map(|_| ()),
        Owner::Honour(h) => nuanxin_core::services::honours::get(tx, scope, h)
            .await
            .map(|_| ()),
        Owner::GridReport(r) => nuanxin_core::services::grid::reports::get(tx, scope, r)
            .await
            .map(|_| ()),
    }
}

pub(crate) fn jpeg(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /photos/{id}`: a photo of a case or claim the cadre sees.
pub async fn show(auth: Auth, Path(id): Path<Uuid>) -> Result<Response, PageError> {
    in_read(&auth.app.store, async |tx| {
        in_sight(tx, &auth.caller.scope, id).await
    })
    .await?;
    let bytes = photos::bytes(&auth.app.config.uploads()?, id).await?;
    Ok(jpeg(bytes))
}

#[utoipa::path(get, path = "/api/v1/photos/{id}", tag = "services", params(("id" = Uuid, Path, description = "Photo id")),
    responses((status = 200, description = "The photo as JPEG (upright, at most 1600 px a side, no metadata)", content_type = "image/jpeg"),
              (status = 404, description = "No such photo, or its case or claim is out of the caller's sight", body = ErrorBody)))]
pub async fn api_show(ApiAuth(auth): ApiAuth, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    in_read(&auth.app.store, async |tx| {
        in_sight(tx, &auth.caller.scope, id).await
    })
    .await?;
    let bytes = photos::bytes(&auth.app.config.uploads()?, id).await?;
    Ok(jpeg(bytes))
}

/// `POST /cases/{id}/photos`: photos added to a case from its page (staff or its lawyer).
pub async fn case_upload(
    auth: Auth,
    Path(id): Path<Uuid>,
    WithPhotos { photos: files, .. }: WithPhotos<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    let uploads = auth.app.config.uploads()?;
    let done = match ready(files).await {
        Ok(ready) => {
            in_write(&auth.app.store, async |tx| {
                cases::add_photos(tx, &auth.caller, id, &uploads, &ready).await
            })
            .await
        }
        Err(e) => {
            // Bad photos of a case out of sight say nothing of it: not found first.
            in_read(&auth.app.store, async |tx| {
                cases::get(tx, &auth.caller.scope, id).await
            })
            .await?;
            Err(e)
        }
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=photos#photos")).into_response()),
        Err(e) => super::cases::refused(&auth, id, e).await,
    }
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/photos", tag = "services",
    params(("id" = Uuid, Path, description = "Case id")),
    request_body(content_type = "multipart/form-data", description = "One or more file fields named `photos` (JPEG or PNG, up to 15 MB each)"),
    responses((status = 201, description = "The photos stored (re-encoded, no metadata)", body = Vec<Photo>),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "`photos`: not a picture, too large, none, or more than 12 on the case", body = ErrorBody)))]
pub async fn api_case_upload(
    ApiAuth(auth): ApiAuth,
    Path(id): Path<Uuid>,
    WithPhotos { photos: files, .. }: WithPhotos<std::collections::HashMap<String, String>>,
) -> Result<(StatusCode, Json<Vec<Photo>>), ApiError> {
    let store = &auth.app.store;
    in_read(store, async |tx| {
        cases::get(tx, &auth.caller.scope, id).await
    })
    .await?;
    let ready = ready(files).await?;
    let uploads = auth.app.config.uploads()?;
    let stored = in_write(store, async |tx| {
        let ids = cases::add_photos(tx, &auth.caller, id, &uploads, &ready).await?;
        let all = photos::of(tx, Owner::Case(id)).await?;
        Ok(all.into_iter().filter(|p| ids.contains(&p.id)).collect())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}
