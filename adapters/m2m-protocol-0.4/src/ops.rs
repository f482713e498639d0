//! The op implementations: argument parsing, one upstream call each, result shaping.

use std::io::Cursor;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use m2m::codec::m2m::{read_varint, write_varint, M2MCodec, M2MFrame, M2M_PREFIX};
use m2m::codec::{detect_algorithm, Algorithm, CodecEngine};
use serde_json::{json, Map, Value};

use crate::{Op, Reply};

pub mod crypto;
mod header;

type Args = Map<String, Value>;

/// The wire and frame ops, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "wire.detect",
        run: wire_detect,
    },
    Op {
        name: "wire.compress",
        run: wire_compress,
    },
    Op {
        name: "wire.decompress",
        run: wire_decompress,
    },
    Op {
        name: "wire.varint.encode",
        run: varint_encode,
    },
    Op {
        name: "wire.varint.decode",
        run: varint_decode,
    },
    Op {
        name: "frame.encode",
        run: frame_encode,
    },
    Op {
        name: "frame.decode",
        run: frame_decode,
    },
    Op {
        name: "frame.peek",
        run: frame_peek,
    },
];

fn run(f: impl FnOnce() -> Result<Value, Reply>) -> Reply {
    f().map_or_else(|r| r, Reply::Ok)
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

fn u64_field(args: &Args, name: &str) -> Result<u64, Reply> {
    match args.get(name) {
        Some(v) => v
            .as_u64()
            .ok_or_else(|| Reply::bad_args(format!("`{name}` must be an unsigned integer"))),
        None => Err(Reply::bad_args(format!("missing `{name}`"))),
    }
}

/// Limits are accepted (so that vectors which set them still run) but have no effect:
/// upstream 0.4.0 enforces neither a message-size nor a decompressed-size limit.
fn accept_limits(args: &Args) -> Result<(), Reply> {
    for name in ["max_message_bytes", "max_decompressed_bytes"] {
        if args.contains_key(name) {
            u64_field(args, name)?;
        }
    }
    Ok(())
}

/// Frame bytes of `frame.decode` / `frame.peek`: binary form from `hex`, text form from `wire`.
enum FrameInput {
    Binary(Vec<u8>),
    Text(String),
}

fn frame_input(args: &Args) -> Result<FrameInput, Reply> {
    match (args.contains_key("hex"), args.contains_key("wire")) {
        (true, false) => Ok(FrameInput::Binary(hex_field(args, "hex")?)),
        (false, true) => Ok(FrameInput::Text(text(args, "wire")?.to_owned())),
        _ => Err(Reply::bad_args(
            "exactly one of `hex` or `wire` is required",
        )),
    }
}

/// Decode with upstream; on success also return the binary form (prefix included) that the
/// decoder read, for the one header field upstream does not keep (`payload_len`).
fn decode_frame(input: &FrameInput) -> Result<(M2MFrame, Vec<u8>), Reply> {
    match input {
        FrameInput::Binary(bytes) => M2MFrame::decode(bytes)
            .map(|frame| (frame, bytes.clone()))
            .map_err(|e| Reply::upstream(&e)),
        FrameInput::Text(wire) => {
            let frame = M2MFrame::decode_string(wire).map_err(|e| Reply::upstream(&e))?;
            // Upstream just accepted this base64 with the same engine, so this cannot fail.
            let body = BASE64
                .decode(&wire[M2M_PREFIX.len()..])
                .map_err(|e| Reply::bad_args(format!("base64: {e}")))?;
            let mut bytes = M2M_PREFIX.as_bytes().to_vec();
            bytes.extend_from_slice(&body);
            Ok((frame, bytes))
        }
    }
}

/// `wire.detect {wire}` → `{format}`.
pub fn wire_detect(args: &Args) -> Reply {
    run(|| {
        let wire = text(args, "wire")?;
        let format = match detect_algorithm(wire) {
            Some(Algorithm::M2M) => "m2m-v1",
            Some(Algorithm::TokenNative) => "token-native",
            Some(Algorithm::Brotli) => "brotli",
            Some(Algorithm::None) | None => "passthrough",
        };
        Ok(json!({ "format": format }))
    })
}

/// `wire.compress {algorithm, input}` → `{wire}` through `CodecEngine::compress`.
pub fn wire_compress(args: &Args) -> Reply {
    run(|| {
        let algorithm = match text(args, "algorithm")? {
            "none" => Algorithm::None,
            "brotli" => Algorithm::Brotli,
            "m2m" => Algorithm::M2M,
            "token-native" => Algorithm::TokenNative,
            other => return Err(Reply::bad_args(format!("unknown algorithm `{other}`"))),
        };
        let input = text(args, "input")?;
        let result = CodecEngine::new()
            .compress(input, algorithm)
            .map_err(|e| Reply::upstream(&e))?;
        Ok(json!({ "wire": result.data }))
    })
}

/// `wire.decompress {wire, max_*?}` → `{text}` through `CodecEngine::decompress`.
pub fn wire_decompress(args: &Args) -> Reply {
    run(|| {
        let wire = text(args, "wire")?;
        accept_limits(args)?;
        let text = CodecEngine::new()
            .decompress(wire)
            .map_err(|e| Reply::upstream(&e))?;
        Ok(json!({ "text": text }))
    })
}

/// `wire.varint.encode {value}` → `{hex}` through `write_varint`. Values above `u32::MAX` are
/// outside the op's domain (`bad_args`), as for every testee.
pub fn varint_encode(args: &Args) -> Reply {
    run(|| {
        let value = u64_field(args, "value")?;
        if value > u64::from(u32::MAX) {
            return Err(Reply::bad_args("`value` does not fit in 32 bits"));
        }
        let mut out = Vec::new();
        write_varint(&mut out, value).map_err(|e| Reply::upstream(&e))?;
        Ok(json!({ "hex": hex::encode(out) }))
    })
}

/// `wire.varint.decode {hex}` → `{value, consumed}` through `read_varint` on a cursor.
/// Upstream reads up to 10 bytes into a u64 and never rejects values above 32 bits; the value
/// is reported as upstream returns it.
pub fn varint_decode(args: &Args) -> Reply {
    run(|| {
        let bytes = hex_field(args, "hex")?;
        let mut cursor = Cursor::new(bytes.as_slice());
        let value = read_varint(&mut cursor).map_err(|e| Reply::upstream(&e))?;
        Ok(json!({ "value": value, "consumed": cursor.position() }))
    })
}

/// `frame.encode {json}` → `{hex, wire}`: `M2MCodec::encode` and `M2MCodec::encode_string`.
pub fn frame_encode(args: &Args) -> Reply {
    run(|| {
        let input = text(args, "json")?;
        let codec = M2MCodec::new();
        let binary = codec.encode(input).map_err(|e| Reply::upstream(&e))?;
        let wire = codec
            .encode_string(input)
            .map_err(|e| Reply::upstream(&e))?;
        Ok(json!({ "hex": hex::encode(binary), "wire": wire }))
    })
}

/// `frame.decode {hex | wire, max_decompressed_bytes?}` → `{json, header}`.
pub fn frame_decode(args: &Args) -> Reply {
    run(|| {
        let input = frame_input(args)?;
        accept_limits(args)?;
        let (frame, bytes) = decode_frame(&input)?;
        let header = header::project(&frame, &bytes);
        Ok(json!({ "json": frame.payload, "header": header }))
    })
}

/// `frame.peek {hex | wire}` → header object. Upstream has no header-only reader, so this is
/// the full `M2MFrame::decode` with the payload dropped: a frame whose payload section is bad
/// fails here although its headers are fine.
pub fn frame_peek(args: &Args) -> Reply {
    run(|| {
        let input = frame_input(args)?;
        accept_limits(args)?;
        let (frame, bytes) = decode_frame(&input)?;
        Ok(header::project(&frame, &bytes))
    })
}
