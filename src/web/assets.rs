//! The client's one stylesheet and one script, compiled into the binary and served under a
//! name that carries their digest, so that browsers keep them for a year and a new release
//! is fetched at once. Nothing comes from the internet: a desk network may have none.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

fn digest(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    d.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

static CSS_NAME: LazyLock<String> = LazyLock::new(|| format!("app.{}.css", digest(CSS)));
static JS_NAME: LazyLock<String> = LazyLock::new(|| format!("app.{}.js", digest(JS)));

pub fn css_path() -> String {
    format!("/tai-nguyen/{}", *CSS_NAME)
}

pub fn js_path() -> String {
    format!("/tai-nguyen/{}", *JS_NAME)
}

/// `/tai-nguyen/{name}`: the stylesheet or the script, by its current name only.
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let (body, kind) = if *name == *CSS_NAME {
        (CSS, "text/css; charset=utf-8")
    } else if *name == *JS_NAME {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("không có tệp này");
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}
