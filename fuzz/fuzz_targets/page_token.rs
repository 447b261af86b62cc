//! Page tokens opened with a fixed key: arbitrary text as `page_token` (first byte even),
//! or arbitrary cursor bytes sealed with the key (first byte odd), so that the cursor's
//! decoding behind the tag check is reached too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            // A forged token never opens: the fuzzer cannot find the key's tag.
            if let Some(opened) = jalia_db::fuzzing::open(token) {
                assert!(
                    opened.is_err(),
                    "a token not sealed with the key opened: {token:?}"
                );
            }
        }
    } else {
        jalia_db::fuzzing::open_sealed(rest);
    }
});
