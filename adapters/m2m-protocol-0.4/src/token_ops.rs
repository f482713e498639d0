//! Ops of the TokenNative, legacy-format and selection chapters, each one upstream call:
//!
//! | op | upstream call |
//! |---|---|
//! | `token.encode` | `TokenNativeCodec::new(enc).compress` (ids: `compress_raw`'s varints read back) |
//! | `token.decode` | `TokenNativeCodec::default().decompress` |
//! | `token.encode_binary` / `token.decode_binary` | `compress_binary` / `TokenNativeCodec::decompress_binary` |
//! | `legacy.encode` t1 / dictionary / m3 | `TokenCodec::compress` / `DictionaryCodec::compress` / `M3Codec::from_json` + `encode_request` |
//! | `legacy.decode` t1 / dictionary / m3 | `TokenCodec::decompress` / `DictionaryCodec::decompress` / `M3Codec::decode_request` + `to_json` (hex) or `M3Codec::decompress` (wire) |
//! | `legacy.*` zlib | `unsupported`: upstream has no zlib code |
//! | `wire.select` | `CodecEngine::select_algorithm(&ContentAnalysis::analyze)` |
//! | `wire.compress_best` | `CodecEngine::compress_best` |
//!
//! A panic inside upstream (the dictionary encoder panics on non-ASCII text) is caught and
//! answered as the error class `upstream_panic`, which is not in the suite's vocabulary.

#![allow(deprecated)] // TokenCodec, DictionaryCodec and M3Codec compress are deprecated upstream

use std::panic::{catch_unwind, AssertUnwindSafe};

use m2m::codec::{
    Algorithm, CodecEngine, ContentAnalysis, DictionaryCodec, M3Codec, TokenCodec, TokenNativeCodec,
};
use m2m::models::Encoding;
use m2m::M2MError;
use serde_json::{json, Map, Value};

use crate::{Op, Reply};

type Args = Map<String, Value>;

/// The ops, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "token.encode",
        run: token_encode,
    },
    Op {
        name: "token.decode",
        run: token_decode,
    },
    Op {
        name: "token.encode_binary",
        run: token_encode_binary,
    },
    Op {
        name: "token.decode_binary",
        run: token_decode_binary,
    },
    Op {
        name: "legacy.encode",
        run: legacy_encode,
    },
    Op {
        name: "legacy.decode",
        run: legacy_decode,
    },
    Op {
        name: "wire.select",
        run: wire_select,
    },
    Op {
        name: "wire.compress_best",
        run: wire_compress_best,
    },
];

fn run(f: impl FnOnce() -> Result<Value, Reply>) -> Reply {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_or_else(|r| r, Reply::Ok),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Reply::Error {
                class: "upstream_panic".to_owned(),
                message: format!("upstream panicked: {msg}"),
            }
        }
    }
}

fn text<'a>(args: &'a Args, name: &str) -> Result<&'a str, Reply> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Reply::bad_args(format!("`{name}` must be a string"))),
        None => Err(Reply::bad_args(format!("missing `{name}`"))),
    }
}

fn hex_field(args: &Args, name: &str) -> Result<Vec<u8>, Reply> {
    let compact: String = text(args, name)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    hex::decode(compact).map_err(|e| Reply::bad_args(format!("`{name}` is not hex: {e}")))
}

/// Upstream errors outside the three message-carrying variants the shared map reads.
fn upstream(e: &M2MError) -> Reply {
    match e {
        M2MError::Json(_) => Reply::Error {
            class: "invalid_json".to_owned(),
            message: e.to_string(),
        },
        other => Reply::upstream(other),
    }
}

fn encoding(args: &Args) -> Result<Encoding, Reply> {
    match text(args, "tokenizer")? {
        "C" | "c" => Ok(Encoding::Cl100kBase),
        "O" | "o" => Ok(Encoding::O200kBase),
        "L" | "l" => Ok(Encoding::LlamaBpe),
        other => Err(Reply::bad_args(format!("unknown tokenizer `{other}`"))),
    }
}

/// Read back the LEB128 varints upstream wrote (a projection of its output, not a decoder).
fn varints(bytes: &[u8]) -> Vec<u64> {
    let mut ids = Vec::new();
    let (mut value, mut shift) = (0u64, 0u32);
    for &b in bytes {
        value |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            ids.push(value);
            value = 0;
            shift = 0;
        }
    }
    ids
}

/// `token.encode {text, tokenizer}` → `{wire, ids}`.
pub fn token_encode(args: &Args) -> Reply {
    run(|| {
        let codec = TokenNativeCodec::new(encoding(args)?);
        let input = text(args, "text")?;
        let wire = codec.compress(input).map_err(|e| upstream(&e))?.data;
        Ok(json!({ "wire": wire, "ids": varints(&codec.compress_raw(input)) }))
    })
}

/// `token.decode {wire}` → `{text}`.
pub fn token_decode(args: &Args) -> Reply {
    run(|| {
        let out = TokenNativeCodec::default()
            .decompress(text(args, "wire")?)
            .map_err(|e| upstream(&e))?;
        Ok(json!({ "text": out }))
    })
}

/// `token.encode_binary {text, tokenizer}` → `{hex}`.
pub fn token_encode_binary(args: &Args) -> Reply {
    run(|| {
        let codec = TokenNativeCodec::new(encoding(args)?);
        Ok(json!({ "hex": hex::encode(codec.compress_binary(text(args, "text")?)) }))
    })
}

/// `token.decode_binary {hex}` → `{text}`.
pub fn token_decode_binary(args: &Args) -> Reply {
    run(|| {
        let bytes = hex_field(args, "hex")?;
        let out = TokenNativeCodec::decompress_binary(&bytes).map_err(|e| upstream(&e))?;
        Ok(json!({ "text": out }))
    })
}

fn zlib_unsupported() -> Reply {
    Reply::Unsupported("m2m-protocol 0.4.0 has no zlib (#M2M[v2.0]) encoder or decoder".into())
}

/// `legacy.encode {format, input}`.
pub fn legacy_encode(args: &Args) -> Reply {
    if args.get("format").and_then(Value::as_str) == Some("zlib") {
        return zlib_unsupported();
    }
    run(|| {
        let input = text(args, "input")?;
        match text(args, "format")? {
            "t1" => {
                let value: Value = serde_json::from_str(input).map_err(|e| Reply::Error {
                    class: "invalid_json".into(),
                    message: e.to_string(),
                })?;
                let (wire, _, _) = TokenCodec::new()
                    .compress(&value)
                    .map_err(|e| upstream(&e))?;
                Ok(json!({ "wire": wire }))
            }
            "dictionary" => {
                let (wire, _, _) = DictionaryCodec::new()
                    .compress(input)
                    .map_err(|e| upstream(&e))?;
                Ok(json!({ "wire": wire }))
            }
            "m3" => {
                let codec = M3Codec::new();
                let req = codec.from_json(input).map_err(|e| upstream(&e))?;
                let bytes = codec.encode_request(&req).map_err(|e| upstream(&e))?;
                Ok(json!({ "hex": hex::encode(bytes) }))
            }
            other => Err(Reply::bad_args(format!("unknown legacy format `{other}`"))),
        }
    })
}

/// `legacy.decode {format, wire | hex}`.
pub fn legacy_decode(args: &Args) -> Reply {
    if args.get("format").and_then(Value::as_str) == Some("zlib") {
        return zlib_unsupported();
    }
    run(|| {
        let out = match text(args, "format")? {
            "t1" => {
                let value = TokenCodec::new()
                    .decompress(text(args, "wire")?)
                    .map_err(|e| upstream(&e))?;
                value.to_string()
            }
            "dictionary" => DictionaryCodec::new()
                .decompress(text(args, "wire")?)
                .map_err(|e| upstream(&e))?,
            "m3" => {
                let codec = M3Codec::new();
                if args.contains_key("hex") {
                    let req = codec
                        .decode_request(&hex_field(args, "hex")?)
                        .map_err(|e| upstream(&e))?;
                    codec.to_json(&req)
                } else {
                    codec
                        .decompress(text(args, "wire")?)
                        .map_err(|e| upstream(&e))?
                }
            }
            other => return Err(Reply::bad_args(format!("unknown legacy format `{other}`"))),
        };
        Ok(json!({ "text": out }))
    })
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::None => "none",
        Algorithm::M2M => "m2m",
        Algorithm::TokenNative => "token-native",
        Algorithm::Brotli => "brotli",
    }
}

/// `wire.select {input, brotli_threshold?, prefer_m2m_for_api?}` → `{algorithm}`.
pub fn wire_select(args: &Args) -> Reply {
    run(|| {
        let mut engine = CodecEngine::new();
        if let Some(t) = args.get("brotli_threshold") {
            let t = t
                .as_u64()
                .ok_or_else(|| Reply::bad_args("`brotli_threshold` must be an unsigned integer"))?;
            engine = engine.with_brotli_threshold(t as usize);
        }
        if let Some(p) = args.get("prefer_m2m_for_api") {
            engine.prefer_m2m_for_api = p
                .as_bool()
                .ok_or_else(|| Reply::bad_args("`prefer_m2m_for_api` must be a boolean"))?;
        }
        let analysis = ContentAnalysis::analyze(text(args, "input")?);
        Ok(json!({ "algorithm": algorithm_name(engine.select_algorithm(&analysis)) }))
    })
}

/// `wire.compress_best {input}` → `{algorithm, wire}`.
pub fn wire_compress_best(args: &Args) -> Reply {
    run(|| {
        let result = CodecEngine::new()
            .compress_best(text(args, "input")?)
            .map_err(|e| upstream(&e))?;
        Ok(json!({ "algorithm": algorithm_name(result.algorithm), "wire": result.data }))
    })
}
