//! Arbitrary text through services-catalog's search folding (NFKC, Arabic and Latin
//! folding, the article) and SearchPublicServices' query parsing. Every word is non-empty
//! and letters or digits only; a query's words are distinct; a query the parser accepts
//! has at least one word.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let folded = jalia_catalog::fuzzing::fold(text);
    for word in folded.words.iter().chain(&folded.query_words) {
        assert!(!word.is_empty(), "empty word from {text:?}");
        assert!(
            word.chars().all(char::is_alphanumeric),
            "{word:?} from {text:?} holds a separator"
        );
    }
    for word in &folded.words {
        assert!(folded.index_tokens.contains(word), "{word:?} not indexed");
    }
    let mut distinct = folded.query_words.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        folded.query_words.len(),
        "repeated query words"
    );
    if folded.accepted_as_query {
        assert!(
            !folded.query_words.is_empty(),
            "accepted {text:?} without a word"
        );
    }
});
