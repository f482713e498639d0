#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| m2m_fuzz::frame_roundtrip(data));
