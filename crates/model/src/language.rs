//! Text in several languages, and which one a reader gets (ARCHITECTURE.md §2): the language the
//! caller asks for (matched on its primary subtag, so `fr-FR` is `fr`), else the agency's
//! fallback chain (default ar → fr → en); Amazigh (`zgh`) falls back to Arabic first.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::violation::{FieldViolation, Violations, quote};

/// The primary language subtag of a BCP-47 tag, lowercase: `ar`, `fr`, `en`, `zgh`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageCode(String);

/// Writing direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Left to right (Latin, Tifinagh).
    LeftToRight,
    /// Right to left (Arabic script, Hebrew).
    RightToLeft,
}

impl LanguageCode {
    /// Arabic.
    pub fn arabic() -> Self {
        Self("ar".to_owned())
    }

    /// Parses a BCP-47 tag and keeps its primary subtag: `fr-FR` gives `fr`.
    pub fn parse(tag: &str) -> Result<Self, String> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(primary.to_ascii_lowercase()))
        } else {
            Err(format!("{} is not a BCP-47 language tag", quote(tag)))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The direction its usual script is written in. Amazigh in Tifinagh is left to right.
    pub fn direction(&self) -> Direction {
        match self.0.as_str() {
            "ar" | "ary" | "arq" | "fa" | "ur" | "ps" | "he" | "yi" | "ckb" => {
                Direction::RightToLeft
            }
            _ => Direction::LeftToRight,
        }
    }

    /// The languages to try after this one before the agency's chain: Amazigh readers
    /// are served Arabic before anything else.
    fn own_fallback(&self) -> Option<Self> {
        (self.0 == "zgh").then(Self::arabic)
    }
}

impl TryFrom<String> for LanguageCode {
    type Error = String;

    fn try_from(tag: String) -> Result<Self, Self::Error> {
        Self::parse(&tag)
    }
}

impl From<LanguageCode> for String {
    fn from(code: LanguageCode) -> Self {
        code.0
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The order an agency falls back through when the reader's language is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackChain(Vec<LanguageCode>);

impl Default for FallbackChain {
    fn default() -> Self {
        Self(
            ["ar", "fr", "en"]
                .into_iter()
                .map(|code| LanguageCode(code.to_owned()))
                .collect(),
        )
    }
}

impl FallbackChain {
    /// A chain of its own.
    pub fn new(languages: Vec<LanguageCode>) -> Self {
        Self(languages)
    }
}

/// Parses an `accept-language` header into languages by preference (highest `q` first,
/// `q=0` dropped, `*` ignored).
pub fn accept_language(header: &str) -> Vec<LanguageCode> {
    let mut ranked: Vec<(u16, usize, LanguageCode)> = header
        .split(',')
        .enumerate()
        .filter_map(|(index, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|param| param.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Clamped to 0..=1000 first, so the cast neither truncates nor loses a sign.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let weight = (quality.clamp(0.0, 1.0) * 1000.0).round() as u16;
            (weight > 0 && tag != "*")
                .then(|| LanguageCode::parse(tag).ok())
                .flatten()
                .map(|code| (weight, index, code))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut languages: Vec<LanguageCode> = Vec::new();
    for (_, _, code) in ranked {
        if !languages.contains(&code) {
            languages.push(code);
        }
    }
    languages
}

/// User-facing text in several languages, at most one entry per language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText(BTreeMap<LanguageCode, String>);

/// The entry chosen for one reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The text.
    pub text: &'a str,
    /// Its language.
    pub language: &'a LanguageCode,
    /// Its direction.
    pub direction: Direction,
}

impl LocalizedText {
    /// Checks entries as written by a caller: each language a valid tag, no language
    /// twice, each text trimmed and at most `max_chars` characters. Empty texts are
    /// dropped. Violations name `entries[i].language_code` or `entries[i].text`.
    pub fn parse(
        entries: impl IntoIterator<Item = (String, String)>,
        max_chars: usize,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let mut map = BTreeMap::new();
        for (index, (tag, text)) in entries.into_iter().enumerate() {
            let language = match LanguageCode::parse(&tag) {
                Ok(language) => language,
                Err(problem) => {
                    violations.add(format!("entries[{index}].language_code"), problem);
                    continue;
                }
            };
            let text = text.trim();
            if text.chars().count() > max_chars {
                violations.add(
                    format!("entries[{index}].text"),
                    format!("longer than {max_chars} characters"),
                );
                continue;
            }
            if text.is_empty() {
                continue;
            }
            if map.insert(language.clone(), text.to_owned()).is_some() {
                violations.add(
                    format!("entries[{index}].language_code"),
                    format!("`{language}` is given twice"),
                );
            }
        }
        violations.finish(|| Self(map))
    }

    /// Like [`Self::parse`], and at least one entry must hold text.
    pub fn parse_required(
        entries: impl IntoIterator<Item = (String, String)>,
        max_chars: usize,
    ) -> Result<Self, Vec<FieldViolation>> {
        let text = Self::parse(entries, max_chars)?;
        if text.is_empty() {
            return Err(vec![FieldViolation::new(
                "entries",
                "must hold text in at least one language",
            )]);
        }
        Ok(text)
    }

    /// Text in one language.
    pub fn single(language: &str, text: &str) -> Self {
        let mut map = BTreeMap::new();
        if let Ok(language) = LanguageCode::parse(language) {
            map.insert(language, text.to_owned());
        }
        Self(map)
    }

    /// Adds or replaces one language's text (demo data and tests).
    pub fn with(mut self, language: &str, text: &str) -> Self {
        if let Ok(language) = LanguageCode::parse(language) {
            self.0.insert(language, text.to_owned());
        }
        self
    }

    /// Whether no language holds text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every entry.
    pub fn entries(&self) -> impl Iterator<Item = (&LanguageCode, &str)> {
        self.0
            .iter()
            .map(|(language, text)| (language, text.as_str()))
    }

    /// The text in one language, if given.
    pub fn get(&self, language: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(code, _)| code.as_str() == language)
            .map(|(_, text)| text.as_str())
    }

    /// The entry for a reader who wants `wanted` (in order of preference), falling back
    /// through `chain`, then any entry; None only when there is no text at all.
    pub fn resolve(&self, wanted: &[LanguageCode], chain: &FallbackChain) -> Option<Resolved<'_>> {
        let candidates = wanted
            .iter()
            .flat_map(|language| std::iter::once(language.clone()).chain(language.own_fallback()))
            .chain(chain.0.iter().cloned());
        for language in candidates {
            if let Some((code, text)) = self.0.get_key_value(&language) {
                return Some(resolved(code, text));
            }
        }
        self.0
            .iter()
            .next()
            .map(|(code, text)| resolved(code, text))
    }
}

fn resolved<'a>(language: &'a LanguageCode, text: &'a str) -> Resolved<'a> {
    Resolved {
        text,
        language,
        direction: language.direction(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(tags: &[&str]) -> Vec<LanguageCode> {
        tags.iter()
            .map(|t| LanguageCode::parse(t).unwrap())
            .collect()
    }

    #[test]
    fn primary_subtags_match_and_amazigh_falls_back_to_arabic() {
        let text = LocalizedText::single("fr", "Journée nationale").with("ar", "اليوم الوطني");
        let chain = FallbackChain::default();
        let served = text.resolve(&codes(&["fr-FR"]), &chain).unwrap();
        assert_eq!(
            (served.text, served.language.as_str()),
            ("Journée nationale", "fr")
        );
        let served = text.resolve(&codes(&["zgh"]), &chain).unwrap();
        assert_eq!(served.language.as_str(), "ar");
        assert_eq!(served.direction, Direction::RightToLeft);
        let served = text.resolve(&codes(&["en"]), &chain).unwrap();
        assert_eq!(
            served.language.as_str(),
            "ar",
            "the chain starts with Arabic"
        );
        let tifinagh = LocalizedText::single("zgh", "ⴰⵙⵙ ⴰⵏⴰⵎⵓⵔ");
        let served = tifinagh.resolve(&[], &chain).unwrap();
        assert_eq!(served.direction, Direction::LeftToRight);
    }

    #[test]
    fn accept_language_orders_by_quality() {
        assert_eq!(
            accept_language("en;q=0.5, fr-FR, ar;q=0.8, *;q=0.1, de;q=0"),
            codes(&["fr", "ar", "en"])
        );
    }

    #[test]
    fn writing_checks_every_entry() {
        let err = LocalizedText::parse_required(
            [
                ("fr".to_owned(), "  ".to_owned()),
                ("??".to_owned(), "x".to_owned()),
            ],
            10,
        )
        .unwrap_err();
        assert_eq!(err[0].field, "entries[1].language_code");
        let err =
            LocalizedText::parse_required([("fr".to_owned(), " ".to_owned())], 10).unwrap_err();
        assert_eq!(err[0].field, "entries");
        let err = LocalizedText::parse(
            [
                ("fr".to_owned(), "a".to_owned()),
                ("fr-CA".to_owned(), "b".to_owned()),
            ],
            10,
        )
        .unwrap_err();
        assert_eq!(err[0].field, "entries[1].language_code");
    }
}
