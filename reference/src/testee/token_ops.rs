//! Ops of the TokenNative, legacy-format and selection chapters: `token.*`, `legacy.*`,
//! `wire.select`, `wire.compress_best`.

use serde_json::json;

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::legacy::{dictionary, m3, t1, zlib, LegacyFormat};
use crate::select::{self, Options};
use crate::wire::token_native::{self, Tokenizer};

/// The ops of these areas, in `spec/ops.yaml` order.
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

fn tokenizer(args: &Args) -> Result<Tokenizer, Reply> {
    let name = args.text("tokenizer")?;
    Tokenizer::from_name(name).ok_or_else(|| Reply::bad_args(format!("unknown tokenizer `{name}`")))
}

fn format(args: &Args) -> Result<LegacyFormat, Reply> {
    let name = args.text("format")?;
    LegacyFormat::from_name(name)
        .ok_or_else(|| Reply::bad_args(format!("unknown legacy format `{name}`")))
}

/// `token.encode {text, tokenizer}` → `{wire, ids}`. [TOKEN-TEXT-002]
pub fn token_encode(args: &Args) -> Reply {
    run(|| {
        let t = tokenizer(args)?;
        let (wire, ids) = token_native::encode(args.text("text")?, t);
        Ok(json!({ "wire": wire, "ids": ids }))
    })
}

/// `token.decode {wire}` → `{text}`. [TOKEN-TEXT-006]
pub fn token_decode(args: &Args) -> Reply {
    run(|| {
        let text = token_native::decode(args.text("wire")?).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "text": text }))
    })
}

/// `token.encode_binary {text, tokenizer}` → `{hex}`. [TOKEN-BIN-001]
pub fn token_encode_binary(args: &Args) -> Reply {
    run(|| {
        let t = tokenizer(args)?;
        Ok(json!({ "hex": hex::encode(token_native::encode_binary(args.text("text")?, t)) }))
    })
}

/// `token.decode_binary {hex}` → `{text}`. [TOKEN-BIN-002]
pub fn token_decode_binary(args: &Args) -> Reply {
    run(|| {
        let bytes = args.hex("hex")?;
        let text = token_native::decode_binary(&bytes).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "text": text }))
    })
}

/// `legacy.encode {format, input}` → `{wire}` (t1, dictionary, zlib) or `{hex}` (m3).
pub fn legacy_encode(args: &Args) -> Reply {
    run(|| {
        let f = format(args)?;
        let input = args.text("input")?;
        let err = |e: crate::legacy::LegacyError| Reply::from_error(&e);
        Ok(match f {
            LegacyFormat::T1 => json!({ "wire": t1::encode(input).map_err(err)? }),
            LegacyFormat::Dictionary => json!({ "wire": dictionary::encode(input).map_err(err)? }),
            LegacyFormat::M3 => json!({ "hex": hex::encode(m3::encode(input).map_err(err)?) }),
            LegacyFormat::Zlib => json!({ "wire": zlib::encode(input) }),
        })
    })
}

/// `legacy.decode {format, wire | hex (m3 only), max_decompressed_bytes?}` → `{text}`.
pub fn legacy_decode(args: &Args) -> Reply {
    run(|| {
        let f = format(args)?;
        let err = |e: crate::legacy::LegacyError| Reply::from_error(&e);
        let text = match f {
            LegacyFormat::M3 => {
                let bytes = match args.hex_or_wire()? {
                    super::args::Input::Binary(b) => b,
                    super::args::Input::Text(t) => t.into_bytes(),
                };
                m3::decode(&bytes).map_err(err)?
            }
            other => {
                let wire = args.text("wire")?;
                match other {
                    LegacyFormat::T1 => t1::decode(wire).map_err(err)?,
                    LegacyFormat::Dictionary => dictionary::decode(wire).map_err(err)?,
                    _ => zlib::decode(wire, args.limits()?.max_decompressed_bytes).map_err(err)?,
                }
            }
        };
        Ok(json!({ "text": text }))
    })
}

/// `wire.select {input, brotli_threshold?, prefer_m2m_for_api?}` → `{algorithm}`.
/// [SELECT-HEUR-001]
pub fn wire_select(args: &Args) -> Reply {
    run(|| {
        let mut options = Options::default();
        if let Some(t) = args.opt_usize("brotli_threshold")? {
            options.brotli_threshold = t;
        }
        if args.has("prefer_m2m_for_api") {
            options.prefer_m2m_for_api = args.bool("prefer_m2m_for_api")?;
        }
        let algorithm = select::select(args.text("input")?, options);
        Ok(json!({ "algorithm": algorithm.name() }))
    })
}

/// `wire.compress_best {input}` → `{algorithm, wire}`. [SELECT-BEST-001]
pub fn wire_compress_best(args: &Args) -> Reply {
    run(|| {
        let (algorithm, wire) = select::compress_best(args.text("input")?);
        Ok(json!({ "algorithm": algorithm.name(), "wire": wire }))
    })
}
