//! Vietnamese text for search: `fold` lowers case and strips diacritics (`Bắc Kạn` → `bac kan`,
//! `đ` → `d`), so search ignores them. Stored `search_text` columns hold folded text and queries
//! are folded the same way.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The text in Unicode NFC, the one form stored: a decomposed "Thủ tục" (u + combining hook
/// above) would print and compare differently from the precomposed one typed at a desk.
pub fn nfc(s: &str) -> String {
    use unicode_normalization::IsNormalized;
    match unicode_normalization::is_nfc_quick(s.chars()) {
        IsNormalized::Yes => s.to_owned(),
        _ => s.nfc().collect(),
    }
}

/// `body` with its text in NFC, borrowed when it already is (the common case).
pub fn nfc_bytes(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use unicode_normalization::IsNormalized;
    match std::str::from_utf8(body) {
        Ok(s) if unicode_normalization::is_nfc_quick(s.chars()) != IsNormalized::Yes => {
            std::borrow::Cow::Owned(s.nfc().collect::<String>().into_bytes())
        }
        _ => std::borrow::Cow::Borrowed(body),
    }
}

/// Lower-case, strip combining marks, map đ/Đ to d, collapse whitespace.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for ch in s.nfd() {
        if is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// The folded words of a query, each to be matched on its own (all must match).
pub fn query_terms(q: &str) -> Vec<String> {
    fold(q)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Tỉnh Bắc Kạn"), "tinh bac kan");
        assert_eq!(fold("Huyện Chợ Đồn"), "huyen cho don");
        assert_eq!(
            fold("Thủ tục đăng ký khai sinh"),
            "thu tuc dang ky khai sinh"
        );
        assert_eq!(fold("  Phường   Đức Xuân "), "phuong duc xuan");
    }

    #[test]
    fn precomposed_and_decomposed_forms_fold_alike() {
        let nfc: String = "Kạn".nfc().collect();
        let nfd: String = "Kạn".nfd().collect();
        assert_ne!(nfc, nfd);
        assert_eq!(fold(&nfc), fold(&nfd));
    }

    #[test]
    fn input_is_stored_precomposed() {
        let decomposed: String = "Thủ tục đăng ký khai sinh".nfd().collect();
        assert_ne!(decomposed, "Thủ tục đăng ký khai sinh");
        assert_eq!(nfc(&decomposed), "Thủ tục đăng ký khai sinh");
        let body = format!("{{\"name\":\"{decomposed}\"}}");
        assert_eq!(
            &*nfc_bytes(body.as_bytes()),
            "{\"name\":\"Thủ tục đăng ký khai sinh\"}".as_bytes()
        );
        assert!(matches!(nfc_bytes(b"{}"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn query_terms_split_on_spaces() {
        assert_eq!(query_terms(" Bac  KẠN "), vec!["bac", "kan"]);
        assert!(query_terms("   ").is_empty());
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn folded_text_has_no_vietnamese_marks(s in "[a-zA-ZàáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđĐ ]{0,40}") {
            let f = fold(&s);
            prop_assert!(f.chars().all(|c| c.is_ascii_lowercase() || c == ' '), "{}", f);
        }
    }
}
