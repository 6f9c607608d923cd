//! The micro-library (职工书屋 / 微书屋): articles and PDF documents on labour law, safety, skills
//! and health that a union puts on its members' shelves. An item reaches the members of the
//! publishing union's subtree (as notices do); members browse it on `/me/library` by category
//! and search, read an article on the phone and open its PDF. The PDF lives in the uploads
//! folder (`library/…/<id>.pdf`), served only to cadres who see the item and members it reaches.

use super::photos::Uploads;
use crate::accounts::Caller;
use crate::error::FieldErrors;
use crate::page::{Listing, Page, PageRequest};
use crate::{on_db, Error, Result, Scope, Tx};
use nuanxin_store::{bind_args, new_id, Sql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Categories of the shelf (code or Chinese name).
pub const CATEGORIES: [(&str, &str); 5] = [
    ("law", "劳动法规"),
    ("safety", "安全出行"),
    ("skills", "技能提升"),
    ("health", "身心健康"),
    ("other", "其他"),
];

/// Largest PDF a shelf takes.
pub const MAX_PDF: usize = 15 * 1024 * 1024;

/// An item of the library.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Item {
    pub id: Uuid,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub category: String,
    /// The article's text (or what the PDF is about).
    pub body: String,
    /// Size of the attached PDF in bytes, when there is one.
    pub pdf_bytes: Option<i64>,
    pub withdrawn: bool,
    pub created_by: String,
    pub created_at: i64,
}

/// A new item (`POST /api/v1/library`, the console's form with its optional PDF).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ItemInput {
    pub title: String,
    /// Code or Chinese name of [`CATEGORIES`].
    pub category: String,
    pub body: String,
    /// The publishing union: its members and those of the unions below it see the item.
    pub org_code: String,
}

/// Which items a shelf shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct Shelf {
    /// A category code.
    pub category: String,
    /// Words of the title or text.
    pub q: String,
}

const SELECT: &str = "SELECT l.id, o.code AS org_code, o.name AS org_name, o.path AS org_path, l.title, l.category, l.body,
        l.pdf_bytes, (l.withdrawn_at IS NOT NULL) AS withdrawn, l.created_by, l.created_at
    FROM library_items l JOIN org_units o ON o.id = l.org_id";

/// Checks a PDF's bytes: a PDF by its header, not empty, not too large.
pub fn check_pdf(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_PDF {
        return Err(Error::invalid("pdf", "library.pdf_too_large"));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(Error::invalid("pdf", "library.not_pdf"));
    }
    Ok(())
}

/// Puts an item on the shelf of the union's members (staff of the union or above), with its PDF
/// if one is given (written before the row commits). All problems at once.
pub async fn publish(
    tx: &mut Tx,
    caller: &Caller,
    uploads: &Uploads,
    input: &ItemInput,
    pdf: Option<&[u8]>,
) -> Result<Item> {
    let mut errs = FieldErrors::new();
    let org = super::staff_unit(tx, caller, &input.org_code, &mut errs).await?;
    let title: String = input.title.trim().chars().take(100).collect();
    if title.is_empty() {
        errs.push("title", "library.title_required");
    }
    let category = super::cases::code_of(&CATEGORIES, &input.category);
    if category.is_none() {
        errs.push("category", "library.bad_category");
    }
    let body: String = input.body.trim().chars().take(20_000).collect();
    if body.is_empty() && pdf.is_none() {
        errs.push("body", "library.body_or_pdf");
    }
    if let Some(bytes) = pdf {
        if let Err(e) = check_pdf(bytes) {
            errs.push("pdf", e.code());
        }
    }
    let (Some(org), Some(category), true) = (org, category, errs.is_empty()) else {
        return Err(errs.into());
    };
    let id = new_id();
    if let Some(bytes) = pdf {
        let (files, owned) = (uploads.clone(), bytes.to_vec());
        tokio::task::spawn_blocking(move || files.store("library", id, "pdf", &owned))
            .await
            .map_err(|e| Error::Internal(e.into()))??;
    }
    const SQL: &str = "INSERT INTO library_items (id, org_id, title, category, body, pdf_bytes, created_by, created_at,
            updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(org.id).bind(&title).bind(category).bind(&body)
        .bind(pdf.map(|b| b.len() as i64)).bind(&caller.actor.name).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "library.publish",
            &id.to_string(),
            Some(&org.path),
            serde_json::json!({"title": title, "category": category, "pdf_bytes": pdf.map(<[u8]>::len)}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// An item of the scope's unions.
pub async fn get(tx: &mut Tx, scope: &Scope, id: Uuid) -> Result<Item> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE l.id = ")
        .arg(id)
        .push(" AND ")
        .scope("o.path", scope);
    let row = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Item>(&q.sql), &q.args).fetch_optional(c).await)?;
    row.ok_or(Error::NotFound)
}

fn shelf_conditions(q: &mut Sql, shelf: &Shelf) {
    if let Some(c) = super::cases::code_of(&CATEGORIES, &shelf.category) {
        q.push(" AND l.category = ").arg(c);
    }
    let words = shelf.q.trim();
    if !words.is_empty() {
        let like = format!("%{}%", words.replace(['%', '_', '\\'], ""));
        q.push(" AND (l.title LIKE ")
            .arg(like.clone())
            .push(" OR l.body LIKE ")
            .arg(like)
            .push(")");
    }
}

/// The items of the scope's unions, latest first, by category and words.
pub async fn list(
    tx: &mut Tx,
    scope: &Scope,
    shelf: &Shelf,
    page: PageRequest,
) -> Result<Page<Item>> {
    if scope.is_empty() {
        return Err(Error::NotFound);
    }
    let mut filter = Sql::new(" WHERE ");
    filter.scope("o.path", scope);
    shelf_conditions(&mut filter, shelf);
    Listing {
        select: SELECT,
        count: "SELECT COUNT(*) FROM library_items l JOIN org_units o ON o.id = l.org_id",
        filter,
        order: "l.created_at DESC",
        id: "l.id",
    }
    .page(tx, page)
    .await
}

/// Takes an item off the shelf (staff of its union or above).
pub async fn withdraw(tx: &mut Tx, caller: &Caller, id: Uuid) -> Result<Item> {
    let item = get(tx, &caller.scope, id).await?;
    if caller.role_at(&item.org_path) < Some(crate::Role::Staff) {
        return Err(Error::Forbidden);
    }
    if item.withdrawn {
        return Err(Error::invalid("status", "library.withdrawn"));
    }
    const SQL: &str = "UPDATE library_items SET withdrawn_at = $2, updated_at = $2 WHERE id = $1";
    on_db!(tx.conn(), c => sqlx::query(SQL).bind(id).bind(caller.at).execute(c).await.map(|r| r.rows_affected()))?;
    caller
        .audit(
            tx,
            "library.withdraw",
            &id.to_string(),
            Some(&item.org_path),
            serde_json::json!({"title": item.title}),
        )
        .await?;
    get(tx, &caller.scope, id).await
}

/// The shelf a member sees: items of their union and every union above it, not withdrawn, by
/// category and words, latest first; `id` picks one of them.
pub async fn for_member(
    tx: &mut Tx,
    person: Uuid,
    shelf: &Shelf,
    id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Item>> {
    let Some(paths) = super::notices::audience_paths(tx, person).await? else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(SELECT);
    q.push(" WHERE l.withdrawn_at IS NULL AND ");
    super::notices::of_unions(&mut q, paths);
    shelf_conditions(&mut q, shelf);
    if let Some(id) = id {
        q.push(" AND l.id = ").arg(id);
    }
    q.push(" ORDER BY l.created_at DESC, l.id DESC LIMIT ")
        .arg(limit);
    Ok(
        on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, Item>(&q.sql), &q.args).fetch_all(c).await)?,
    )
}

/// The PDF of an item, when it has one.
pub async fn pdf(uploads: &Uploads, item: &Item) -> Result<Vec<u8>> {
    if item.pdf_bytes.is_none() {
        return Err(Error::NotFound);
    }
    let (files, id) = (uploads.clone(), item.id);
    tokio::task::spawn_blocking(move || files.load("library", id, "pdf"))
        .await
        .map_err(|e| Error::Internal(e.into()))?
}
