//! Search as Arabic and French readers type (the SearchPublicServices contract): one
//! folding applied to stored texts at write time and to queries, so that "مذكرة المعلومات
//! التعميرية" typed without hamza, with ه for ة or with harakat, and "LOGEMENT" for
//! "logement", find the same words; and the ranking weights.
//!
//! Folding: Unicode NFKC (Arabic presentation forms and ligatures become letters); harakat
//! (U+064B–U+065F, U+0670) and tatweel (U+0640) removed; أ إ آ ٱ → ا, ى → ي, ة → ه,
//! ؤ → و, ئ → ي; Persian ی → ي and ک → ك; Arabic-Indic and Extended Arabic-Indic
//! digits → ASCII; Latin case folded and accents removed after canonical decomposition
//! (é → e, ç → c). Words are cut at every character that is neither a letter nor a digit.
//! The article ال is optional at the start of a word: a stored word is indexed with and
//! without it, and a query word is looked up without it, whenever what remains has at
//! least two letters.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;

/// The Arabic definite article, as written at the start of a word.
const ARTICLE: &str = "\u{0627}\u{0644}";

/// Fewest letters that must remain after the article for it to count as one: "الم"
/// is more likely the start of a word being typed than an article before "م".
const MIN_LETTERS_AFTER_ARTICLE: usize = 2;

/// Folds one character that survived NFKC and canonical decomposition; None drops it.
fn fold_char(c: char) -> Option<char> {
    match c {
        // Combining accents of Latin letters, separated by the decomposition.
        '\u{0300}'..='\u{036F}' => None,
        // Harakat (fathatan .. wavy hamza below, which includes the hamza and madda marks
        // that decomposition separates from their carrier) and the superscript alef.
        '\u{064B}'..='\u{065F}' | '\u{0670}' => None,
        // Tatweel only stretches a word on the line.
        '\u{0640}' => None,
        // Invisible formatting (zero-width joiners and bidi marks) is never a word break a
        // reader typed; dropping it keeps a Persian compound one word.
        '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{FEFF}' => None,
        // Alef with hamza above or below, with madda, and alef wasla: bare alef. (After
        // decomposition the first three arrive as alef plus a dropped mark; kept here so
        // the rule does not depend on that.)
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => Some('\u{0627}'),
        // Alef maqsura and Persian yeh: yeh.
        '\u{0649}' | '\u{06CC}' => Some('\u{064A}'),
        // Teh marbuta: heh.
        '\u{0629}' => Some('\u{0647}'),
        // Waw with hamza: waw.
        '\u{0624}' => Some('\u{0648}'),
        // Yeh with hamza: yeh.
        '\u{0626}' => Some('\u{064A}'),
        // Persian keheh: kaf.
        '\u{06A9}' => Some('\u{0643}'),
        // Arabic-Indic and Extended Arabic-Indic (Persian) digits.
        '\u{0660}'..='\u{0669}' => char::from_digit(u32::from(c) - 0x0660, 10),
        '\u{06F0}'..='\u{06F9}' => char::from_digit(u32::from(c) - 0x06F0, 10),
        c => Some(c),
    }
}

/// Folds a text and cuts it into words, in order, duplicates kept.
pub(crate) fn fold_words(text: &str) -> Vec<String> {
    // NFKC first (presentation forms, ligatures such as ﻻ and ﷲ, full-width Latin), then
    // lowercase (İ becomes i plus a dot that the next step drops), then canonical
    // decomposition so accents and hamza marks stand apart from their letters.
    let compatible: String = text.nfkc().collect();
    let lowered = compatible.to_lowercase();
    let mut words = Vec::new();
    let mut word = String::new();
    for c in lowered.nfd().filter_map(fold_char) {
        if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The word without its article, when it has one followed by at least two letters.
pub(crate) fn without_article(word: &str) -> Option<&str> {
    word.strip_prefix(ARTICLE)
        .filter(|rest| rest.chars().count() >= MIN_LETTERS_AFTER_ARTICLE)
}

/// The tokens a stored text is indexed under: every folded word, plus the word without
/// its article where it has one.
pub(crate) fn index_tokens(text: &str) -> BTreeSet<String> {
    let mut tokens = BTreeSet::new();
    for word in fold_words(text) {
        if let Some(bare) = without_article(&word) {
            tokens.insert(bare.to_owned());
        }
        tokens.insert(word);
    }
    tokens
}

/// The words a query looks up: folded, without their article, each once, in the order
/// first typed.
pub(crate) fn query_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in fold_words(query) {
        let word = without_article(&word).map_or(word.clone(), str::to_owned);
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// Which part of a service a token comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum SearchField {
    /// The service's name.
    Name,
    /// One of its keywords.
    Keyword,
    /// Its description.
    Description,
}

impl SearchField {
    /// Every field, strongest first.
    pub(crate) const ALL: [Self; 3] = [Self::Name, Self::Keyword, Self::Description];

    /// The weight of a whole-word match in this field; a prefix match weighs one less:
    /// name 6/5, keyword 4/3, description 2/1.
    pub(crate) fn whole_word_weight(self) -> i64 {
        match self {
            Self::Name => 6,
            Self::Keyword => 4,
            Self::Description => 2,
        }
    }

    /// The weight of a prefix match.
    pub(crate) fn prefix_weight(self) -> i64 {
        self.whole_word_weight() - 1
    }

    /// The field a match of this weight was in.
    pub(crate) fn of_weight(weight: i64) -> Option<Self> {
        match weight {
            5 | 6 => Some(Self::Name),
            3 | 4 => Some(Self::Keyword),
            1 | 2 => Some(Self::Description),
            _ => None,
        }
    }
}

/// The score of a service for a query, from the best weight each query word reached:
/// the sum, and the field of the highest-weighted match.
pub(crate) fn score(best_weights: &[i64]) -> (i64, Option<SearchField>) {
    let total = best_weights.iter().sum();
    let field = best_weights
        .iter()
        .copied()
        .max()
        .and_then(SearchField::of_weight);
    (total, field)
}

/// The best weight of one query word against a service's indexed tokens, or None when
/// the word matches none of them (whole or as a prefix). The store computes the same in
/// SQL; this is its reference, which the tests hold the SQL to.
#[cfg(test)]
pub(crate) fn best_weight<'a>(
    word: &str,
    tokens: impl IntoIterator<Item = (SearchField, &'a str)>,
) -> Option<i64> {
    tokens
        .into_iter()
        .filter_map(|(field, token)| {
            if token == word {
                Some(field.whole_word_weight())
            } else if token.starts_with(word) {
                Some(field.prefix_weight())
            } else {
                None
            }
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> String {
        fold_words(text).join(" ")
    }

    #[test]
    fn presentation_forms_become_letters() {
        // ﻣﺬﻛﺮﺓ written with Arabic presentation forms B.
        assert_eq!(folded("\u{FEE3}\u{FEAC}\u{FEDB}\u{FEAE}\u{FE93}"), "مذكره");
        // The lam-alef ligature and the Allah ligature.
        assert_eq!(folded("\u{FEFB}"), "لا");
        assert_eq!(folded("\u{FDF2}"), "الله");
        // Full-width Latin.
        assert_eq!(folded("ＬＯＧＥＭＥＮＴ"), "logement");
    }

    #[test]
    fn harakat_and_superscript_alef_are_removed() {
        assert_eq!(folded("مُذَكِّرَةُ"), "مذكره");
        assert_eq!(folded("كِتَابٌ"), "كتاب");
        // Tanwin fath, kasra, damma, sukun, shadda.
        assert_eq!(
            folded("\u{0628}\u{064B}\u{064D}\u{064C}\u{0652}\u{0651}"),
            "ب"
        );
        // Superscript alef (هٰذا).
        assert_eq!(folded("ه\u{0670}ذا"), "هذا");
        // The end of the range: wavy hamza below.
        assert_eq!(folded("ب\u{065F}"), "ب");
    }

    #[test]
    fn tatweel_is_removed() {
        assert_eq!(folded("ســــكن"), "سكن");
    }

    #[test]
    fn alef_variants_fold_to_bare_alef() {
        assert_eq!(folded("أ إ آ ٱ"), "ا ا ا ا");
        assert_eq!(folded("إسكان"), "اسكان");
        assert_eq!(folded("آجال"), "اجال");
        // Decomposed input (alef + hamza above) folds the same as the composed letter.
        assert_eq!(folded("\u{0627}\u{0654}\u{0645}\u{0644}"), folded("أمل"));
    }

    #[test]
    fn alef_maqsura_and_persian_yeh_fold_to_yeh() {
        assert_eq!(folded("مستوى"), "مستوي");
        assert_eq!(folded("\u{06CC}"), "ي");
    }

    #[test]
    fn teh_marbuta_folds_to_heh() {
        assert_eq!(folded("مذكرة"), "مذكره");
        assert_eq!(folded("مذكرة"), folded("مذكره"));
    }

    #[test]
    fn hamza_on_waw_and_yeh_fold_to_the_letter() {
        assert_eq!(folded("مؤسسة"), "موسسه");
        assert_eq!(folded("رئيس"), "رييس");
    }

    #[test]
    fn persian_keheh_folds_to_kaf() {
        assert_eq!(folded("\u{06A9}تاب"), "كتاب");
    }

    #[test]
    fn eastern_digits_become_ascii() {
        assert_eq!(folded("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(folded("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(folded("قانون ١٢-٩٠"), "قانون 12 90");
    }

    #[test]
    fn latin_case_and_accents_fold() {
        assert_eq!(folded("Béni Mellal"), "beni mellal");
        assert_eq!(folded("FRANÇAIS"), "francais");
        assert_eq!(folded("Élève à l'œuvre"), "eleve a l œuvre");
        assert_eq!(folded("LOGEMENT"), folded("logement"));
        assert_eq!(folded("İstanbul"), "istanbul");
    }

    #[test]
    fn words_are_cut_at_anything_not_a_letter_or_digit() {
        assert_eq!(
            fold_words("permis-de-construire, (Rokhas)/e-permis!"),
            vec!["permis", "de", "construire", "rokhas", "e", "permis"]
        );
        assert_eq!(fold_words("  \t\n  "), Vec::<String>::new());
        assert_eq!(
            fold_words("مذكرة، المعلومات؛ التعميرية؟"),
            vec!["مذكره", "المعلومات", "التعميريه"]
        );
        // A zero-width non-joiner inside a word does not split it.
        assert_eq!(fold_words("می\u{200C}خواهم"), vec!["ميخواهم"]);
    }

    #[test]
    fn the_article_is_optional_when_two_letters_remain() {
        assert_eq!(without_article("المعلومات"), Some("معلومات"));
        assert_eq!(without_article("الم"), None);
        assert_eq!(without_article("ال"), None);
        assert_eq!(without_article("الدم"), Some("دم"));
        assert_eq!(without_article("معلومات"), None);
        let tokens = index_tokens("مذكرة المعلومات التعميرية");
        let expected: BTreeSet<String> = ["مذكره", "المعلومات", "معلومات", "التعميريه", "تعميريه"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(tokens, expected);
        assert_eq!(query_words("المعلومات تعميرية"), vec!["معلومات", "تعميريه"]);
        assert_eq!(query_words("الم"), vec!["الم"]);
    }

    #[test]
    fn every_spelling_of_the_information_note_folds_alike() {
        let reference = query_words("مذكرة المعلومات التعميرية");
        for typed in [
            "مذكره المعلومات التعميريه",
            "مُذَكِّرَةُ المَعْلُومَاتِ التَّعْمِيرِيَّةِ",
            "مذكرة معلومات تعميرية",
            "ﻣﺬﻛﺮﺓ المعلومات التعميرية",
            "مذكـــرة المعلومات التعميرية",
        ] {
            assert_eq!(query_words(typed), reference, "{typed}");
        }
        // Without hamza: إسكان typed as اسكان.
        assert_eq!(query_words("إسكان"), query_words("اسكان"));
    }

    #[test]
    fn query_words_are_deduplicated_in_order() {
        assert_eq!(
            query_words("Logement logement LOGEMENT aide"),
            vec!["logement", "aide"]
        );
        assert!(query_words("!!! ،،، ---").is_empty());
    }

    #[test]
    fn weights_rank_name_over_keywords_over_description_and_whole_over_prefix() {
        let weights: Vec<i64> = [
            SearchField::Name,
            SearchField::Keyword,
            SearchField::Description,
        ]
        .into_iter()
        .flat_map(|field| [field.whole_word_weight(), field.prefix_weight()])
        .collect();
        assert_eq!(weights, vec![6, 5, 4, 3, 2, 1]);
        for weight in 1..=6 {
            let field = SearchField::of_weight(weight).unwrap();
            assert!(weight == field.whole_word_weight() || weight == field.prefix_weight());
        }
        assert_eq!(SearchField::of_weight(0), None);
    }

    #[test]
    fn best_weight_takes_the_strongest_match() {
        let tokens = [
            (SearchField::Description, "logement"),
            (SearchField::Keyword, "logements"),
            (SearchField::Name, "aide"),
        ];
        assert_eq!(
            best_weight("logement", tokens),
            Some(3),
            "keyword prefix beats description whole word"
        );
        assert_eq!(best_weight("aide", tokens), Some(6));
        assert_eq!(best_weight("ai", tokens), Some(5));
        assert_eq!(best_weight("permis", tokens), None);
        assert_eq!(score(&[3, 6]), (9, Some(SearchField::Name)));
        assert_eq!(score(&[1, 2]), (3, Some(SearchField::Description)));
    }
}
