//! Photos of documents (照片材料) attached to a rights case or a mutual-aid claim: a pay slip, a
//! medical bill, a chat with a station manager. The phone shrinks a photo before it is sent; the
//! server decodes whatever arrives (JPEG or PNG), turns it upright by its EXIF orientation, shrinks
//! it to at most [`MAX_SIDE`] pixels a side and writes it again as JPEG: nothing of the original
//! file's metadata (GPS location, camera, time) survives. The file goes to the uploads folder
//! ([`Uploads`]: outside the database and any web root), written and synced before its row is
//! inserted in the change's transaction; a photo is served only to those who may see the case or
//! claim it belongs to (the caller checks that first).

use crate::{on_db, Error, Result, Tx};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use serde::Serialize;
use std::io::Cursor;
use uuid::Uuid;

/// The longest side of a stored photo, in pixels: a document stays legible.
pub const MAX_SIDE: u32 = 1600;
/// The largest file accepted (a phone's photo without the page's shrinking).
pub const MAX_UPLOAD: usize = 15 << 20;
/// Photos a case or a claim may hold.
pub const MAX_PER_OWNER: i64 = 12;
/// JPEG quality of a stored photo.
const QUALITY: u8 = 82;

/// What a photo belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Case(Uuid),
    Claim(Uuid),
    /// An image of a notice (通知公告).
    Notice(Uuid),
    /// The photo of an honour, shown on the showcase when its holder opts in.
    Honour(Uuid),
    /// A photo of a grid report (网格随手拍).
    GridReport(Uuid),
}

impl Owner {
    fn parts(self) -> (&'static str, Uuid) {
        match self {
            Owner::Case(id) => ("case", id),
            Owner::Claim(id) => ("claim", id),
            Owner::Notice(id) => ("notice", id),
            Owner::Honour(id) => ("honour", id),
            Owner::GridReport(id) => ("grid_report", id),
        }
    }
}

/// A stored photo, without its bytes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Photo {
    pub id: Uuid,
    /// `case` or `claim`.
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

/// The uploads folder: photos as `photos/<first two hex digits of the id>/<id>.jpg`.
#[derive(Debug, Clone)]
pub struct Uploads {
    dir: std::path::PathBuf,
}

impl Uploads {
    pub fn at(dir: impl Into<std::path::PathBuf>) -> Uploads {
        Uploads { dir: dir.into() }
    }

    fn path(&self, id: Uuid) -> std::path::PathBuf {
        self.file_path("photos", id, "jpg")
    }

    /// Where a stored file lives: `<folder>/<last two hex digits>/<id>.<ext>` under the uploads
    /// folder (a photo's folder is `photos`, a library document's `library`).
    fn file_path(&self, folder: &str, id: Uuid, ext: &str) -> std::path::PathBuf {
        let hex = id.simple().to_string();
        self.dir
            .join(folder)
            .join(&hex[hex.len() - 2..])
            .join(format!("{hex}.{ext}"))
    }

    /// Writes a photo's file durably (see [`Uploads::store`]).
    fn write(&self, id: Uuid, bytes: &[u8]) -> Result<()> {
        self.store_at(&self.path(id), bytes)
    }

    /// Writes a file durably: a temporary file, synced, renamed into place, the folder synced; a
    /// crash leaves the whole file or none.
    pub fn store(&self, folder: &str, id: Uuid, ext: &str, bytes: &[u8]) -> Result<()> {
        self.store_at(&self.file_path(folder, id, ext), bytes)
    }

    fn store_at(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let folder = path.parent().ok_or(Error::NotFound)?;
        let io = |e: std::io::Error| Error::Internal(anyhow::anyhow!("{}: {e}", path.display()));
        std::fs::create_dir_all(folder).map_err(io)?;
        let tmp = path.with_extension("part");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        std::fs::File::open(folder)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(())
    }

    fn read(&self, id: Uuid) -> Result<Vec<u8>> {
        self.load("photos", id, "jpg")
    }

    /// A stored file's bytes; `NotFound` when there is none.
    pub fn load(&self, folder: &str, id: Uuid, ext: &str) -> Result<Vec<u8>> {
        std::fs::read(self.file_path(folder, id, ext)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound,
            _ => Error::Internal(anyhow::anyhow!("{folder} {id}: {e}")),
        })
    }
}

/// A photo ready to store: upright, shrunk, JPEG, no metadata.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes, turns upright, shrinks and re-encodes an uploaded photo. CPU work: call it off the
/// async runtime (`spawn_blocking`) for large files. `photos.bad_image` for anything that is not
/// a JPEG or PNG picture, `photos.too_large` for a file above [`MAX_UPLOAD`].
pub fn prepare(bytes: &[u8]) -> Result<Prepared> {
    if bytes.len() > MAX_UPLOAD {
        return Err(Error::invalid("photos", "photos.too_large"));
    }
    let bad = || Error::invalid("photos", "photos.bad_image");
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| bad())?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png)
    ) {
        return Err(bad());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| bad())?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| bad())?;
    img.apply_orientation(orientation);
    if img.width() > MAX_SIDE || img.height() > MAX_SIDE {
        img = img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY);
    rgb.write_with_encoder(encoder)
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(Prepared {
        width: rgb.width(),
        height: rgb.height(),
        jpeg,
    })
}

/// [`prepare`] on the blocking pool, for handlers.
pub async fn prepare_all(files: Vec<Vec<u8>>) -> Result<Vec<Prepared>> {
    tokio::task::spawn_blocking(move || files.iter().map(|f| prepare(f)).collect())
        .await
        .map_err(|e| Error::Internal(e.into()))?
}

/// Stores prepared photos of a case or claim: each file written and synced, then its row in the
/// caller's transaction (the owner's own change audits it). At most [`MAX_PER_OWNER`] photos an
/// owner: `photos.too_many`. A transaction that does not commit leaves files no row names.
pub async fn attach(
    tx: &mut Tx,
    uploads: &Uploads,
    owner: Owner,
    photos: &[Prepared],
    actor: &str,
    at: i64,
) -> Result<Vec<Uuid>> {
    if photos.is_empty() {
        return Ok(Vec::new());
    }
    let (kind, owner_id) = owner.parts();
    const COUNT: &str = "SELECT COUNT(*) FROM attachments WHERE owner_kind = $1 AND owner_id = $2";
    let held: i64 = on_db!(tx.conn(), c => sqlx::query_scalar(COUNT).bind(kind).bind(owner_id).fetch_one(c).await)?;
    if held + photos.len() as i64 > MAX_PER_OWNER {
        return Err(Error::invalid("photos", "photos.too_many"));
    }
    const SQL: &str = "INSERT INTO attachments (id, owner_kind, owner_id, content_type, width, height, size_bytes,
            uploaded_by, uploaded_at)
        VALUES ($1, $2, $3, 'image/jpeg', $4, $5, $6, $7, $8)";
    let mut ids = Vec::with_capacity(photos.len());
    for p in photos {
        let id = nuanxin_store::new_id();
        let (files, bytes) = (uploads.clone(), p.jpeg.clone());
        tokio::task::spawn_blocking(move || files.write(id, &bytes))
            .await
            .map_err(|e| Error::Internal(e.into()))??;
        on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(kind).bind(owner_id).bind(p.width as i32).bind(p.height as i32)
            .bind(p.jpeg.len() as i64).bind(actor).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
        ids.push(id);
    }
    Ok(ids)
}

/// The photos of a case or claim, oldest first (the caller has checked the owner is in sight).
pub async fn of(tx: &mut Tx, owner: Owner) -> Result<Vec<Photo>> {
    let (kind, owner_id) = owner.parts();
    const SQL: &str =
        "SELECT id, owner_kind, owner_id, width, height, size_bytes, uploaded_by, uploaded_at
        FROM attachments WHERE owner_kind = $1 AND owner_id = $2 ORDER BY uploaded_at, id";
    Ok(
        on_db!(tx.conn(), c => sqlx::query_as::<_, Photo>(SQL).bind(kind).bind(owner_id).fetch_all(c).await)?,
    )
}

/// Who a photo belongs to, to check the owner is in sight before serving it.
pub async fn owner_of(tx: &mut Tx, id: Uuid) -> Result<Owner> {
    const SQL: &str = "SELECT owner_kind, owner_id FROM attachments WHERE id = $1";
    let row: Option<(String, Uuid)> =
        on_db!(tx.conn(), c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?;
    match row {
        Some((k, o)) if k == "case" => Ok(Owner::Case(o)),
        Some((k, o)) if k == "claim" => Ok(Owner::Claim(o)),
        Some((k, o)) if k == "notice" => Ok(Owner::Notice(o)),
        Some((k, o)) if k == "honour" => Ok(Owner::Honour(o)),
        Some((k, o)) if k == "grid_report" => Ok(Owner::GridReport(o)),
        _ => Err(Error::NotFound),
    }
}

/// A photo's JPEG bytes from the uploads folder (the caller has checked its owner is in sight).
pub async fn bytes(uploads: &Uploads, id: Uuid) -> Result<Vec<u8>> {
    let files = uploads.clone();
    tokio::task::spawn_blocking(move || files.read(id))
        .await
        .map_err(|e| Error::Internal(e.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    /// A JPEG of `w`×`h` whose EXIF says "rotate 90°" and holds a GPS-like marker string.
    fn phone_photo(w: u32, h: u32) -> Vec<u8> {
        let mut exif = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        exif.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0]);
        exif.extend_from_slice(b"GPSLatitude36.4567");
        let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new(&mut out);
        enc.set_exif_metadata(exif).unwrap();
        enc.write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn a_file_is_written_whole_where_its_id_says_and_read_back() {
        let dir = std::env::temp_dir().join(format!("nuanxin-photos-{}", Uuid::now_v7()));
        let uploads = Uploads::at(&dir);
        let id = Uuid::now_v7();
        uploads.write(id, b"jpeg bytes").unwrap();
        assert_eq!(uploads.read(id).unwrap(), b"jpeg bytes");
        let hex = id.simple().to_string();
        assert!(dir
            .join("photos")
            .join(&hex[30..])
            .join(format!("{hex}.jpg"))
            .is_file());
        assert!(matches!(uploads.read(Uuid::now_v7()), Err(Error::NotFound)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_phone_photo_comes_out_upright_shrunk_and_without_its_exif() {
        let raw = phone_photo(3200, 2000);
        assert!(contains(&raw, b"GPSLatitude"), "the fixture carries EXIF");
        let p = prepare(&raw).unwrap();
        // Turned upright (90°: portrait), then shrunk to 1600 on the long side.
        assert_eq!((p.width, p.height), (1000, 1600));
        assert!(!contains(&p.jpeg, b"Exif") && !contains(&p.jpeg, b"GPSLatitude"));
        let again = image::load_from_memory(&p.jpeg).unwrap();
        assert_eq!((again.width(), again.height()), (1000, 1600));
        // A small picture keeps its size.
        let small = prepare(&phone_photo(40, 30)).unwrap();
        assert_eq!((small.width, small.height), (30, 40));
    }

    #[test]
    fn what_is_not_a_picture_is_refused_by_field() {
        for bad in [
            b"%PDF-1.7 not a photo".to_vec(),
            b"GIF89a".to_vec(),
            Vec::new(),
            phone_photo(20, 20)[..200].to_vec(),
        ] {
            match prepare(&bad) {
                Err(e) => assert_eq!(e.code(), "photos.bad_image"),
                Ok(p) => panic!("{} bytes accepted", p.jpeg.len()),
            }
        }
        match prepare(&vec![0u8; MAX_UPLOAD + 1]) {
            Err(e) => assert_eq!(e.code(), "photos.too_large"),
            Ok(_) => panic!("a file above the limit accepted"),
        }
    }
}
