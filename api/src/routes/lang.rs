//! The `lang` query parameter: which language labels are shown in.
//!
//! Labels are chosen in this order (see `Snapshot::label`): the requested language (its
//! primary subtag: `zh-Hans` asks for `zh`), then English, then Chinese, then any label, then
//! the node's local name. A language no label has (`lang=pt` on a Chinese curriculum) is not
//! an error: it falls back. Explanations of next steps are written in Chinese for `zh` and in
//! English for every other language, with the labels chosen as above.

use crate::error::{ApiError, Code};

/// The requested language tag, checked (letters, digits and hyphens, starting with 2 to 8
/// letters); `en` when none is given.
pub(crate) fn language(lang: Option<&str>) -> Result<&str, ApiError> {
    let Some(tag) = lang else { return Ok("en") };
    let primary = primary(tag);
    let ok = (2..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && tag
            .split('-')
            .all(|part| !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(tag)
    } else {
        Err(ApiError::new(
            Code::InvalidParameter,
            format!("lang '{tag}' is not a language tag: use a code such as en, zh, pt or zh-Hans"),
        ))
    }
}

/// The primary subtag of a language tag, lower-cased by the caller's comparison: `zh-Hans` → `zh`.
pub(crate) fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_checked_and_default_to_english() {
        assert_eq!(language(None).ok(), Some("en"));
        for tag in ["en", "zh", "pt", "zh-Hans", "pt-BR"] {
            assert_eq!(language(Some(tag)).ok(), Some(tag));
        }
        for tag in ["", "e", "1x", "en--x", "en_US", "<script>"] {
            assert!(language(Some(tag)).is_err(), "{tag}");
        }
        assert_eq!(primary("zh-Hans"), "zh");
    }
}
