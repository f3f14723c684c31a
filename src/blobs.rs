//! Uploaded files on disk, content-addressed: a file's name is the SHA-256 of its bytes, under
//! a two-character fan-out directory. An upload streams into a temporary file beside the
//! store, hashed and counted as it arrives; only a complete, size-checked, type-checked and
//! synced file is renamed into place, so a failed or cut-off upload leaves nothing behind.
//! The same content uploaded twice is stored once.

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_web::web;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// What an upload may be, by its content (the declared Content-Type is not trusted): scans
/// and photos, PDF, and office documents.
pub const ACCEPTED: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
];

/// Bytes kept from the start of an upload to recognise its type.
const SNIFF_BYTES: usize = 8192;

#[derive(Clone)]
pub struct BlobStore {
    root: PathBuf,
    max_bytes: u64,
}

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Lower-case hex SHA-256 of the content: also its name in the store.
    pub sha256: String,
    pub size: u64,
    /// The type recognised from the content.
    pub media_type: &'static str,
}

/// The media type of `head` (an upload's first bytes), if it is one the store accepts.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let kind = infer::get(head)?;
    ACCEPTED.iter().copied().find(|m| *m == kind.mime_type())
}

/// Whether `s` looks like a stored name (64 lower-case hex digits), so a path built from it
/// cannot leave the store.
fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl BlobStore {
    /// A store under `root` (created on the first upload).
    pub fn new(root: &Path, max_bytes: u64) -> BlobStore {
        BlobStore {
            root: root.to_owned(),
            max_bytes,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Where the content with this digest lives (None for a malformed digest).
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_digest(sha256).then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Streams `payload` into the store: 413 past the size limit, 415 for a type the store
    /// does not accept, 400 for an empty body. Blocking file work runs on the blocking pool.
    pub async fn put<S, E>(&self, mut payload: S, idle: std::time::Duration) -> AppResult<Stored>
    where
        S: futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let started = std::time::Instant::now();
        let total = idle * 20;
        let tmp_dir = self.root.join("tmp");
        let mut file = web::block(move || {
            std::fs::create_dir_all(&tmp_dir)?;
            tempfile::NamedTempFile::new_in(tmp_dir)
        })
        .await??;
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
        let mut size: u64 = 0;
        loop {
            let wait = idle.min(total.saturating_sub(started.elapsed()));
            let next = actix_web::rt::time::timeout(wait, payload.next())
                .await
                .map_err(|_| AppError::RequestTimeout(idle.as_secs()))?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("upload cut off: {e}")))?;
            size += chunk.len() as u64;
            if size > self.max_bytes {
                return Err(AppError::PayloadTooLarge(
                    usize::try_from(self.max_bytes).unwrap_or(usize::MAX),
                ));
            }
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(&chunk);
            file = web::block(move || file.write_all(&chunk).map(|()| file)).await??;
        }
        if size == 0 {
            return Err(AppError::BadRequest("the upload is empty".to_owned()));
        }
        let media_type = sniff(&head).ok_or_else(|| {
            AppError::UnsupportedMediaType(
                "the content is not a PDF, an image (JPEG, PNG, TIFF, WebP) or an office document"
                    .to_owned(),
            )
        })?;
        let sha256 = hex(&hasher.finalize());
        let dir = self.root.join(&sha256[..2]);
        let target = dir.join(&sha256);
        web::block(move || -> std::io::Result<()> {
            file.as_file().sync_all()?;
            std::fs::create_dir_all(&dir)?;
            if target.exists() {
                // Same content already stored: the temporary copy is dropped (deleted).
                return Ok(());
            }
            file.persist(&target).map_err(|e| e.error)?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await??;
        Ok(Stored {
            sha256,
            size,
            media_type,
        })
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_accepted_types_by_content_only() {
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
            Some("application/pdf")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), Some("image/jpeg"));
        // An executable, HTML and plain text are refused whatever they claim to be.
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff"), None);
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff("Đơn đề nghị".as_bytes()), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn digests_are_the_only_names() {
        let store = BlobStore {
            root: PathBuf::from("/x"),
            max_bytes: 1,
        };
        let d = "ab".repeat(32);
        assert_eq!(store.path_of(&d), Some(PathBuf::from(format!("/x/ab/{d}"))));
        assert_eq!(store.path_of("../../etc/passwd"), None);
        assert_eq!(store.path_of(&"AB".repeat(32)), None);
        assert_eq!(store.path_of(&"ab".repeat(31)), None);
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
