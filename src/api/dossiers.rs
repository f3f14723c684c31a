//! `/api/v1/dossiers` and `/api/v1/track`: filing online (idempotent), intake at the desk,
//! reading a dossier with its history, the citizen's own list, one route per transition, and
//! public tracking by code without personal data.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::audit::Access;
use crate::auth::Caller;
use crate::dossiers::documents::{self, Attach, Document};
use crate::dossiers::forms::{self, Form, FormKind};
use crate::dossiers::model::{Action, State};
use crate::dossiers::service::{self};
use crate::dossiers::store::{self, Channel, Dossier};
use crate::error::{AppError, AppResult};
use crate::http::{Json, Page, PageParams};
use crate::services::dossiers::*;
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

/// A citizen files a dossier online. With an `Idempotency-Key` header, repeating the request
/// returns the dossier the first one created (200) instead of filing twice.
#[utoipa::path(tag = "dossiers", request_body = FileDossier, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission safe: 1–100 visible ASCII characters", pattern = r"^[!-~]{1,100}$")),
    responses((status = 201, body = Dossier), (status = 200, description = "Already filed with this key", body = Dossier)))]
#[post("/dossiers")]
pub async fn file_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: Json<FileDossier>,
) -> AppResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let (row, created) = file(&state, caller, body.0, key).await?;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(row))
}

/// A clerk takes a dossier at the desk or by post at their unit: received at once, with its
/// code and due date.
#[utoipa::path(tag = "dossiers", request_body = IntakeDossier, security(("bearer" = [])), responses((status = 201, body = Dossier)))]
#[post("/dossiers/intake")]
pub async fn intake(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<IntakeDossier>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(take_in(&state, caller, body.0).await?))
}

/// The work queue: dossiers held by the units in the caller's scope, soonest due first.
#[utoipa::path(tag = "dossiers", params(QueueQuery), security(("bearer" = [])), responses((status = 200, body = Page<Dossier>)))]
#[get("/dossiers")]
pub async fn work_queue(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<QueueQuery>,
) -> AppResult<web::Json<Page<Dossier>>> {
    Ok(web::Json(queue(&state, caller, query.into_inner()).await?))
}

/// The signed-in citizen's dossiers, newest first.
#[utoipa::path(tag = "dossiers", params(MineQuery), security(("bearer" = [])), responses((status = 200, body = Page<Dossier>)))]
#[get("/dossiers/mine")]
pub async fn my_dossiers(
    state: web::Data<AppState>,
    caller: Caller,
    query: crate::http::Query<MineQuery>,
) -> AppResult<web::Json<Page<Dossier>>> {
    Ok(web::Json(mine(&state, caller, query.into_inner()).await?))
}

/// A dossier with its history, for its applicant and for staff whose scope holds it.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), responses((status = 200, body = DossierWithHistory)))]
#[get("/dossiers/{id}")]
pub async fn get_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<DossierWithHistory>> {
    Ok(web::Json(
        with_history(&state, caller, id.into_inner()).await?,
    ))
}

/// The desk checks an online filing and takes it in: the clock starts.
#[utoipa::path(tag = "dossiers", request_body = ActionBody, security(("bearer" = [])), responses((status = 200, body = Dossier),
    (status = 409, description = "Not possible in the current state, or changed meanwhile", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/dossiers/{id}/receive")]
pub async fn receive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ActionBody>,
) -> AppResult<web::Json<Dossier>> {
    act(&state, caller, id.into_inner(), Action::Receive, body.0)
        .await
        .map(web::Json)
}

/// The desk refuses the dossier (Mẫu 03); `note` gives the reasons.
#[utoipa::path(tag = "dossiers", request_body = ActionBody, security(("bearer" = [])), responses((status = 200, body = Dossier),
    (status = 409, description = "Not possible in the current state, or changed meanwhile", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/dossiers/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ActionBody>,
) -> AppResult<web::Json<Dossier>> {
    act(&state, caller, id.into_inner(), Action::Reject, body.0)
        .await
        .map(web::Json)
}

/// The applicant withdraws the dossier (or the desk records it); any time before resolution.
#[utoipa::path(tag = "dossiers", request_body = ActionBody, security(("bearer" = [])), responses((status = 200, body = Dossier),
    (status = 409, description = "Not possible in the current state, or changed meanwhile", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/dossiers/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ActionBody>,
) -> AppResult<web::Json<Dossier>> {
    act(&state, caller, id.into_inner(), Action::Withdraw, body.0)
        .await
        .map(web::Json)
}

/// One route per transition; each answers 409 when the state does not allow it.
macro_rules! transition_route {
    ($fn_name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "dossiers", request_body = ActionBody, security(("bearer" = [])), responses((status = 200, body = Dossier),
            (status = 409, description = "Not possible in the current state, or changed meanwhile", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[post($path)]
        pub async fn $fn_name(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>, body: Json<ActionBody>) -> AppResult<web::Json<Dossier>> {
            act(&state, caller, id.into_inner(), $action, body.0).await.map(web::Json)
        }
    };
}

transition_route!(assign, "/dossiers/{id}/assign", Action::Assign, "Hands a received dossier to the first processing step (phân công), optionally to `assignee_id`.");
transition_route!(advance, "/dossiers/{id}/advance", Action::Advance, "Hands the dossier to the next step, at another level's unit if the workflow says so (liên thông).");
transition_route!(
    request_supplement,
    "/dossiers/{id}/request_supplement",
    Action::RequestSupplement,
    "Asks the applicant for what is missing, in one go (Mẫu 02); the clock stops."
);
transition_route!(
    supplement,
    "/dossiers/{id}/supplement",
    Action::Supplement,
    "Records the complete supplement; the clock resumes (or restarts, by the procedure's policy)."
);
transition_route!(
    request_payment,
    "/dossiers/{id}/request_payment",
    Action::RequestPayment,
    "Asks for the fee; the clock stops while it is unpaid."
);
transition_route!(
    pay,
    "/dossiers/{id}/pay",
    Action::Pay,
    "Records the payment (online by the applicant, or at the desk); the clock resumes."
);
transition_route!(
    submit_for_approval,
    "/dossiers/{id}/submit_for_approval",
    Action::SubmitForApproval,
    "Sends the dossier to the approval step."
);
transition_route!(
    approve,
    "/dossiers/{id}/approve",
    Action::Approve,
    "Signs the result; the dossier is resolved and goes to the return desk."
);
transition_route!(
    deny,
    "/dossiers/{id}/deny",
    Action::Deny,
    "Refuses the request with reasons; the dossier is resolved as denied."
);
transition_route!(
    stop,
    "/dossiers/{id}/stop",
    Action::Stop,
    "Stops processing, with reasons."
);
transition_route!(
    return_result,
    "/dossiers/{id}/return_result",
    Action::ReturnResult,
    "Records how the result went back: at the desk, by post or electronically."
);
transition_route!(apologise, "/dossiers/{id}/apologise", Action::Apologise, "Apology with a new appointment (Mẫu 04), before the due date passes; the due date stays the reference for lateness.");

/// A printed form of the dossier: `receipt` (Mẫu 01), `supplement_request` (Mẫu 02),
/// `refusal` (Mẫu 03) or `apology` (Mẫu 04), as JSON or as a printable Vietnamese page.
/// 404 while the dossier's history does not call for the form.
#[utoipa::path(tag = "dossiers", params(("form" = FormKind, Path, description = "Which form"), FormQuery), security(("bearer" = [])),
    responses((status = 200, body = Form, description = "The form (JSON), or text/html with format=html")))]
#[get("/dossiers/{id}/forms/{form}")]
pub async fn form(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, FormKind)>,
    query: crate::http::Query<FormQuery>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let built = printed(&state, caller, id, kind).await?;
    Ok(match query.format.unwrap_or(FormFormat::Json) {
        FormFormat::Json => HttpResponse::Ok().json(built),
        FormFormat::Html => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(forms::render_html(&built)),
    })
}

/// The applicant rates the service once the result is back.
#[utoipa::path(tag = "dossiers", request_body = RateDossier, security(("bearer" = [])), responses((status = 204, description = "Recorded"),
    (status = 409, description = "Not returned yet, or rated already", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/dossiers/{id}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<RateDossier>,
) -> AppResult<HttpResponse> {
    let input = body.0;
    rate_dossier(&state, caller, id.into_inner(), input.rating, input.comment).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Follow a dossier by its receipt code. Rate-limited per address.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path, description = "Receipt code", pattern = r"^[A-Za-z0-9.-]{1,64}$")),
    responses((status = 200, body = Tracking),
        (status = 429, description = "Too many look-ups from this address", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/track/{code}")]
pub async fn track(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> AppResult<web::Json<Tracking>> {
    Ok(web::Json(tracking(&state, &req, code.into_inner()).await?))
}

/// Attaches a file to the dossier; the body is the file itself. Its type is recognised from
/// its content (PDF, JPEG, PNG, TIFF, WebP, DOCX, XLSX, ODT, ODS); the size is limited by
/// `MOTCUA_MAX_UPLOAD_MB`. `application` copies while the dossier is at the desk (the
/// applicant before intake, the desk after), `supplement` while a supplement is requested,
/// `result` by the unit holding it until it is returned.
#[utoipa::path(tag = "dossiers", params(Attach), security(("bearer" = [])),
    request_body(content = documents::FileBytes, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = Document),
        (status = 409, description = "Not at this point of the dossier's life", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/dossiers/{id}/documents")]
pub async fn attach_document(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: crate::http::Query<Attach>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let input = query.into_inner();
    let max = state.blobs.max_bytes();
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(AppError::PayloadTooLarge(
            usize::try_from(max).unwrap_or(usize::MAX),
        ));
    }
    // Refuse before taking the bytes; `attach` checks again in its transaction. (Should the
    // dossier move on in between, the stored file stays unreferenced: content-addressed, it
    // is harmless and is reused by the next upload of the same bytes.)
    let (input, who) = (std::sync::Arc::new(input), caller.clone());
    let checked = input.clone();
    state
        .db
        .read(move |c| documents::check(c, &who, id, &checked).map(|_| ()))
        .await?;
    let stored = state.blobs.put(payload, state.request_timeout).await?;
    let doc = state
        .db
        .write(move |c| {
            documents::attach(
                c,
                &caller,
                id,
                &input,
                &stored,
                store::now_instant().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(doc))
}

/// The documents attached to the dossier, oldest first.
#[utoipa::path(tag = "dossiers", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<Document>)))]
#[get("/dossiers/{id}/documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: crate::http::Query<PageParams>,
) -> AppResult<web::Json<Page<Document>>> {
    let paging = query.paging()?;
    let id = id.into_inner();
    let docs = state
        .db
        .read(move |c| {
            service::load_visible(c, &caller, id)?;
            documents::list(c, id)
        })
        .await?;
    Ok(web::Json(Page::of_all(docs, paging)))
}

/// Downloads one attached file, as an attachment with its recognised type.
#[utoipa::path(tag = "dossiers", params(("document_id" = Uuid, Path, description = "The document")), security(("bearer" = [])),
    responses((status = 200, description = "The file's bytes, with the type recognised at upload", body = documents::FileBytes, content_type = "application/octet-stream")))]
#[get("/dossiers/{id}/documents/{document_id}")]
pub async fn document_file(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    use actix_web::http::header::{
        self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    };
    let (id, document_id) = path.into_inner();
    let reader = caller.clone();
    let doc = state
        .db
        .read(move |c| {
            service::load_visible(c, &caller, id)?;
            documents::get(c, id, document_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    audited(
        &state,
        reader,
        Access::DownloadDocument,
        id,
        Some(document_id),
    )
    .await?;
    let file_path = state.blobs.path_of(&doc.sha256).ok_or(AppError::NotFound)?;
    let file = actix_files::NamedFile::open_async(&file_path).await?;
    let media_type = doc
        .media_type
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    let ascii: String = doc
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file = file
        .set_content_type(media_type)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![
                DispositionParam::Filename(ascii),
                DispositionParam::FilenameExt(ExtendedValue {
                    charset: Charset::Ext("UTF-8".to_owned()),
                    language_tag: None,
                    value: doc.filename.into_bytes(),
                }),
            ],
        })
        .use_etag(true)
        .use_last_modified(false);
    let mut res = file.into_response(&req);
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

/// The Vietnamese labels of states, channels and actions. Public reference data.
#[utoipa::path(tag = "dossiers", responses((status = 200, body = Labels)))]
#[get("/labels")]
pub async fn labels() -> web::Json<Labels> {
    web::Json(Labels {
        states: State::ALL
            .iter()
            .map(|s| Label {
                code: s.as_str(),
                label: s.label_vi(),
            })
            .collect(),
        channels: [Channel::Online, Channel::Desk, Channel::Post]
            .iter()
            .map(|c| Label {
                code: c.as_str(),
                label: c.label_vi(),
            })
            .collect(),
        actions: Action::ALL
            .iter()
            .map(|a| Label {
                code: a.as_str(),
                label: a.label_vi(),
            })
            .collect(),
    })
}

/// The `dossiers` routes, in the order they are matched.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(work_queue)
        .service(file_dossier)
        .service(intake)
        .service(my_dossiers)
        .service(get_dossier)
        .service(form)
        .service(rate)
        .service(attach_document)
        .service(list_documents)
        .service(document_file)
        .service(receive)
        .service(reject)
        .service(withdraw)
        .service(assign)
        .service(advance)
        .service(request_supplement)
        .service(supplement)
        .service(request_payment)
        .service(pay)
        .service(submit_for_approval)
        .service(approve)
        .service(deny)
        .service(stop)
        .service(return_result)
        .service(apologise)
        .service(track)
        .service(labels);
}
