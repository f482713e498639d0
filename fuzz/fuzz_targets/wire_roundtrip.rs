#![no_main]
libfuzzer_sys::fuzz_target!(init: m2m_fuzz::warm_up(), |data: &[u8]| m2m_fuzz::wire_roundtrip(data));
