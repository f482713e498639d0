//! Ops of the streaming chapter (`spec/26-streaming.md`), each over upstream's public streaming
//! API:
//!
//! | op | upstream call |
//! |---|---|
//! | `stream.compress` | `StreamingCodec::{new, token_native, hybrid, passthrough}`, then `process_chunk` per chunk, `stats`, `accumulated_content` |
//! | `stream.decompress` | `StreamingDecompressor::with_encoding`, then `decompress_chunk` per chunk, `accumulated_content` |
//! | `stream.finalize` | the codec as above, then `finalize_token_native` (`as: token-native`) or `finalize_raw` (`as: raw`) |
//!
//! Upstream keeps no state at the end of a stream, so nothing is added after the last chunk.
//! The first chunk that fails answers the op with that error.

use m2m::codec::{StreamingCodec, StreamingDecompressor};
use m2m::models::Encoding;
use serde_json::{json, Map, Value};

use crate::{Op, Reply};

type Args = Map<String, Value>;

/// The ops, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "stream.compress",
        run: stream_compress,
    },
    Op {
        name: "stream.decompress",
        run: stream_decompress,
    },
    Op {
        name: "stream.finalize",
        run: stream_finalize,
    },
];

fn text<'a>(args: &'a Args, name: &str) -> Result<&'a str, Reply> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Reply::bad_args(format!("`{name}` must be a string"))),
        None => Err(Reply::bad_args(format!("missing `{name}`"))),
    }
}

fn encoding(args: &Args) -> Result<Option<Encoding>, Reply> {
    match args.get("encoding") {
        None => Ok(None),
        Some(_) => match text(args, "encoding")? {
            "cl100k" => Ok(Some(Encoding::Cl100kBase)),
            "o200k" => Ok(Some(Encoding::O200kBase)),
            other => Err(Reply::bad_args(format!("unknown encoding `{other}`"))),
        },
    }
}

fn chunks(args: &Args) -> Result<Vec<Vec<u8>>, Reply> {
    let (field, hex) = match (args.contains_key("chunks"), args.contains_key("chunks_hex")) {
        (true, false) => ("chunks", false),
        (false, true) => ("chunks_hex", true),
        _ => {
            return Err(Reply::bad_args(
                "exactly one of `chunks` or `chunks_hex` is required",
            ))
        }
    };
    let Some(Value::Array(items)) = args.get(field) else {
        return Err(Reply::bad_args(format!(
            "`{field}` must be an array of strings"
        )));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if hex => {
                let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                hex::decode(compact)
                    .map_err(|e| Reply::bad_args(format!("`chunks_hex` item is not hex: {e}")))
            }
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            _ => Err(Reply::bad_args(format!(
                "`{field}` must be an array of strings"
            ))),
        })
        .collect()
}

/// Upstream's constructor for a mode; only TokenNative and Hybrid take an encoding.
fn codec(args: &Args) -> Result<StreamingCodec, Reply> {
    let enc = encoding(args)?;
    let cl100k_only = |c: StreamingCodec| match enc {
        None | Some(Encoding::Cl100kBase) => Ok(c),
        Some(_) => Err(Reply::bad_args("this mode has no encoding choice upstream")),
    };
    match text(args, "mode")? {
        "abbreviation" => cl100k_only(StreamingCodec::new()),
        "passthrough" => cl100k_only(StreamingCodec::passthrough()),
        "token-native" => Ok(StreamingCodec::token_native(
            enc.unwrap_or(Encoding::Cl100kBase),
        )),
        "hybrid" => Ok(StreamingCodec::hybrid(enc.unwrap_or(Encoding::Cl100kBase))),
        other => Err(Reply::bad_args(format!("unknown mode `{other}`"))),
    }
}

fn utf8(bytes: &[u8]) -> String {
    // Upstream only emits text it formatted from `&str` and `String`.
    String::from_utf8_lossy(bytes).into_owned()
}

fn encode_all(args: &Args) -> Result<(StreamingCodec, Vec<Vec<String>>), Reply> {
    let mut codec = codec(args)?;
    let mut events = Vec::new();
    for chunk in chunks(args)? {
        let out = codec
            .process_chunk(&chunk)
            .map_err(|e| Reply::upstream(&e))?;
        events.push(out.iter().map(|b| utf8(b)).collect::<Vec<_>>());
    }
    Ok((codec, events))
}

fn stream_compress(args: &Args) -> Reply {
    match encode_all(args) {
        Ok((codec, events)) => {
            let s = codec.stats();
            Reply::Ok(json!({
                "events": events,
                "stats": {
                    "chunks_processed": s.chunks_processed,
                    "bytes_in": s.bytes_in,
                    "bytes_out": s.bytes_out,
                    "compression_ratio": s.compression_ratio,
                    "accumulated_length": s.accumulated_length,
                },
                "accumulated": codec.accumulated_content(),
            }))
        }
        Err(r) => r,
    }
}

fn stream_decompress(args: &Args) -> Reply {
    let run = || -> Result<Value, Reply> {
        let mut d = match encoding(args)? {
            Some(enc) => StreamingDecompressor::with_encoding(enc),
            None => StreamingDecompressor::new(),
        };
        let mut texts = Vec::new();
        for chunk in chunks(args)? {
            let out = d
                .decompress_chunk(&chunk)
                .map_err(|e| Reply::upstream(&e))?;
            texts.push(utf8(&out));
        }
        Ok(json!({ "texts": texts, "accumulated": d.accumulated_content() }))
    };
    run().map_or_else(|r| r, Reply::Ok)
}

fn stream_finalize(args: &Args) -> Reply {
    let run = || -> Result<Value, Reply> {
        let kind = text(args, "as")?;
        if kind != "token-native" && kind != "raw" {
            return Err(Reply::bad_args(format!("unknown finalize kind `{kind}`")));
        }
        let (codec, _) = encode_all(args)?;
        Ok(if kind == "raw" {
            json!({ "hex": hex::encode(codec.finalize_raw()) })
        } else {
            let r = codec
                .finalize_token_native()
                .map_err(|e| Reply::upstream(&e))?;
            json!({ "wire": r.data })
        })
    };
    run().map_or_else(|r| r, Reply::Ok)
}
