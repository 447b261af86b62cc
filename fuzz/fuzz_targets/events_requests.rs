//! Arbitrary bytes decoded as the request message the first byte picks, then converted
//! to domain values as jalia-events's handlers do.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    jalia_events::fuzzing::convert_request(data);
});
