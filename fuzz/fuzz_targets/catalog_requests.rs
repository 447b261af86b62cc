//! Arbitrary bytes decoded as the request message the first byte picks, then converted
//! to domain values as jalia-catalog's handlers do.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    jalia_catalog::fuzzing::convert_request(data);
});
