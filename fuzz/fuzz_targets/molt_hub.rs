#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| m2m_fuzz::molt_hub(data));
