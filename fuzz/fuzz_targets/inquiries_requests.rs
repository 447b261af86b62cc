//! Arbitrary bytes decoded as the request message the first byte picks, then converted
//! to domain values as jalia-inquiries's handlers do.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    jalia_inquiries::fuzzing::convert_request(data);
});
