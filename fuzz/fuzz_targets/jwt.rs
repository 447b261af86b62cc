//! Bearer tokens through jalia-runtime's verifier with fixed keys (an Ed25519 JWKS and
//! the development HS256 key): arbitrary token text (first byte even), or arbitrary
//! header and claims bytes correctly signed with the dev key (first byte odd; the second
//! byte says where the header ends), which reaches the claim checks.
#![no_main]

use std::sync::LazyLock;

use jalia_runtime::auth::fuzzing::FixedVerifier;

static VERIFIER: LazyLock<FixedVerifier> = LazyLock::new(|| match FixedVerifier::new() {
    Ok(verifier) => verifier,
    Err(err) => panic!("cannot set up the verifier: {err}"),
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            // Nothing but a token signed with one of the keys gets a caller, and the
            // fuzzer holds neither key.
            assert!(
                VERIFIER.verify(token).is_err(),
                "forged token accepted: {token:?}"
            );
        }
    } else if let Some((&split, rest)) = rest.split_first() {
        let split = usize::from(split).min(rest.len());
        let (header, claims) = rest.split_at(split);
        drop(VERIFIER.verify_signed(header, claims));
    }
});
