//! Ops of the streaming chapter (`spec/26-streaming.md` §7): `stream.compress`,
//! `stream.decompress`, `stream.finalize`.

use serde_json::{json, Value};

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::streaming::{self, Decoder, Encoder, Mode};
use crate::wire::token_native::Tokenizer;

/// The ops of this area, in `spec/ops.yaml` order.
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

fn encoding(args: &Args) -> Result<Tokenizer, Reply> {
    if !args.has("encoding") {
        return Ok(Tokenizer::Cl100k);
    }
    let name = args.text("encoding")?;
    streaming::encoding_from_name(name)
        .ok_or_else(|| Reply::bad_args(format!("unknown encoding `{name}`")))
}

/// The chunks, from `chunks` (texts) or `chunks_hex` (bytes); exactly one must be present.
fn chunks(args: &Args) -> Result<Vec<Vec<u8>>, Reply> {
    let (field, hex) = match (args.has("chunks"), args.has("chunks_hex")) {
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

/// Feed every chunk to a new encoder, then end the stream; the end's events join the last
/// chunk's list.
fn encode_all(args: &Args) -> Result<(Encoder, Vec<Vec<String>>), Reply> {
    let name = args.text("mode")?;
    let mode =
        Mode::from_name(name).ok_or_else(|| Reply::bad_args(format!("unknown mode `{name}`")))?;
    let mut encoder =
        Encoder::checked(mode, encoding(args)?).map_err(|e| Reply::bad_args(e.to_string()))?;
    let mut events = Vec::new();
    for chunk in chunks(args)? {
        events.push(encoder.push(&chunk).map_err(|e| Reply::from_error(&e))?);
    }
    let rest = encoder.finish().map_err(|e| Reply::from_error(&e))?;
    if let Some(last) = events.last_mut() {
        last.extend(rest);
    }
    Ok((encoder, events))
}

/// `stream.compress {mode, encoding?, chunks | chunks_hex}` → `{events, stats, accumulated}`.
/// [STREAM-OP-001]
pub fn stream_compress(args: &Args) -> Reply {
    run(|| {
        let (encoder, events) = encode_all(args)?;
        let s = encoder.stats();
        Ok(json!({
            "events": events,
            "stats": {
                "chunks_processed": s.chunks_processed,
                "bytes_in": s.bytes_in,
                "bytes_out": s.bytes_out,
                "compression_ratio": s.compression_ratio,
                "accumulated_length": s.accumulated_length,
            },
            "accumulated": encoder.accumulated(),
        }))
    })
}

/// `stream.decompress {encoding?, chunks | chunks_hex}` → `{texts, accumulated}`.
/// [STREAM-OP-002]
pub fn stream_decompress(args: &Args) -> Reply {
    run(|| {
        encoding(args)?; // validated; the wire id chooses the tokenizer [STREAM-DEC-003]
        let mut decoder = Decoder::new();
        let mut texts = Vec::new();
        for chunk in chunks(args)? {
            texts.push(decoder.push(&chunk).map_err(|e| Reply::from_error(&e))?);
        }
        let rest = decoder.finish().map_err(|e| Reply::from_error(&e))?;
        if let Some(last) = texts.last_mut() {
            last.push_str(&rest);
        }
        Ok(json!({ "texts": texts, "accumulated": decoder.accumulated() }))
    })
}

/// `stream.finalize {mode, encoding?, chunks | chunks_hex, as}` → `{wire}` or `{hex}`.
/// [STREAM-OP-003]
pub fn stream_finalize(args: &Args) -> Reply {
    run(|| {
        let kind = args.text("as")?;
        if kind != "token-native" && kind != "raw" {
            return Err(Reply::bad_args(format!("unknown finalize kind `{kind}`")));
        }
        let (encoder, _) = encode_all(args)?;
        Ok(if kind == "raw" {
            json!({ "hex": hex::encode(encoder.finalize_raw()) })
        } else {
            json!({ "wire": encoder.finalize_token_native().map_err(|e| Reply::from_error(&e))? })
        })
    })
}
