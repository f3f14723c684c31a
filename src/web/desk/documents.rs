//! A dossier's documents from the page: uploads (multipart) and downloads.

use super::*;

// ---------------------------------------------------------------- documents

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(rename = "_once", default)]
    once: Option<String>,
    kind: crate::dossiers::documents::DocumentKind,
}

/// A file from the page's upload form (multipart): checked as the API checks it, stored, and
/// attached; back to the dossier page.
pub(super) async fn upload(
    req: HttpRequest,
    user: WebUser,
    id: web::Path<Uuid>,
    q: web::Query<UploadQuery>,
    mut form: actix_multipart::Multipart,
) -> WebResult {
    let state = crate::web::session::state_of(&req)?;
    if crate::web::session::cross_site(&req)
        || !crate::web::session::same_token(&q.csrf, &user.csrf)
    {
        return Err(WebError::Csrf);
    }
    crate::web::once::guard(&req, user.caller.user_id, q.once.as_deref()).await?;
    let id = id.into_inner();
    let mut required_index = None;
    let mut stored = None;
    let mut filename = None;
    while let Some(field) = form.next().await {
        let field = field
            .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "required_index" => {
                let text = small_field(field).await?;
                required_index = match text.trim() {
                    "" => None,
                    t => Some(t.parse::<u32>().map_err(|_| {
                        AppError::invalid("required_index", "phải là số thứ tự thành phần")
                    })?),
                };
            }
            "file" => {
                filename = field
                    .content_disposition()
                    .and_then(|c| c.get_filename().map(str::to_owned));
                let attach = crate::dossiers::documents::Attach {
                    kind: q.kind,
                    required_index,
                    filename: filename.clone(),
                    digitised: user.role() == Role::Clerk,
                };
                let who = user.caller.clone();
                state
                    .db
                    .read(move |c| {
                        crate::dossiers::documents::check(c, &who, id, &attach).map(|_| ())
                    })
                    .await?;
                stored = Some(state.blobs.put(field, state.request_timeout).await?);
            }
            _ => {
                small_field(field).await?;
            }
        }
    }
    let stored = stored.ok_or_else(|| AppError::invalid("file", "chọn một tệp để tải lên"))?;
    let attach = crate::dossiers::documents::Attach {
        kind: q.kind,
        required_index,
        filename,
        digitised: user.role() == Role::Clerk,
    };
    let caller = user.caller.clone();
    state
        .db
        .write(move |c| {
            crate::dossiers::documents::attach(
                c,
                &caller,
                id,
                &attach,
                &stored,
                crate::dossiers::store::now_instant().naive_utc(),
            )
        })
        .await?;
    Ok(see_other(&format!("/ho-so/{id}")))
}

/// A short text field of a multipart form (at most 1 KiB).
pub(super) async fn small_field(mut field: actix_multipart::Field) -> Result<String, AppError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk
            .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?;
        out.extend_from_slice(&chunk);
        if out.len() > 1024 {
            return Err(AppError::PayloadTooLarge(1024));
        }
    }
    String::from_utf8(out).map_err(|_| AppError::BadRequest("a form field is not UTF-8".to_owned()))
}

/// Opens an attached file in the browser (PDF and images show inline), audited.
pub(super) async fn download(
    req: HttpRequest,
    user: WebUser,
    path: web::Path<(Uuid, Uuid)>,
) -> WebResult {
    let state = crate::web::session::state_of(&req)?;
    let (id, doc_id) = path.into_inner();
    let reader = user.caller.clone();
    let caller = user.caller.clone();
    let doc = state
        .db
        .read(move |c| {
            crate::dossiers::service::load_visible(c, &caller, id)?;
            crate::dossiers::documents::get(c, id, doc_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    service::audited(
        &state,
        reader,
        crate::audit::Access::DownloadDocument,
        id,
        Some(doc_id),
    )
    .await?;
    let file_path = state.blobs.path_of(&doc.sha256).ok_or(AppError::NotFound)?;
    let file = actix_files::NamedFile::open_async(&file_path)
        .await
        .map_err(AppError::internal)?;
    let media_type = doc
        .media_type
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    let inline = doc.media_type == "application/pdf" || doc.media_type.starts_with("image/");
    let ascii: String = doc
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = file
        .set_content_type(media_type)
        .set_content_disposition(ContentDisposition {
            disposition: if inline {
                DispositionType::Inline
            } else {
                DispositionType::Attachment
            },
            parameters: vec![DispositionParam::Filename(ascii)],
        })
        .into_response(&req);
    let headers = res.headers_mut();
    use actix_web::http::header;
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        ),
    );
    Ok(res)
}
