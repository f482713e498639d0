//! Ops of the format-independent wire chapters: `wire.detect`, `wire.compress`,
//! `wire.decompress`, `wire.varint.*`.

use serde_json::json;

use super::{Args, Op, Reply};
use crate::wire::{self, varint, Algorithm};

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "wire.detect",
        run: detect,
    },
    Op {
        name: "wire.compress",
        run: compress,
    },
    Op {
        name: "wire.decompress",
        run: decompress,
    },
    Op {
        name: "wire.varint.encode",
        run: varint_encode,
    },
    Op {
        name: "wire.varint.decode",
        run: varint_decode,
    },
];

pub(crate) fn run(f: impl FnOnce() -> Result<serde_json::Value, Reply>) -> Reply {
    f().map_or_else(|r| r, Reply::Ok)
}

/// `wire.detect {wire}` → `{format}`. [WIRE-DETECT-005]
pub fn detect(args: &Args) -> Reply {
    run(|| {
        let wire = args.text("wire")?;
        Ok(json!({ "format": wire::detect(wire.as_bytes()).name() }))
    })
}

/// `wire.compress {algorithm, input}` → `{wire}`.
pub fn compress(args: &Args) -> Reply {
    run(|| {
        let name = args.text("algorithm")?;
        let algorithm = Algorithm::from_name(name)
            .ok_or_else(|| Reply::bad_args(format!("unknown algorithm `{name}`")))?;
        let input = args.text("input")?;
        let wire = wire::compress(input, algorithm).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "wire": wire }))
    })
}

/// `wire.decompress {wire, max_message_bytes?, max_decompressed_bytes?}` → `{text}`.
pub fn decompress(args: &Args) -> Reply {
    run(|| {
        let wire = args.text("wire")?;
        let limits = args.limits()?;
        let text = wire::decompress(wire, &limits).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "text": text }))
    })
}

/// `wire.varint.encode {value}` → `{hex}`; values above `u32::MAX` are `bad_args`.
pub fn varint_encode(args: &Args) -> Reply {
    run(|| {
        let value = args.u64("value")?;
        let value =
            u32::try_from(value).map_err(|_| Reply::bad_args("`value` does not fit in 32 bits"))?;
        Ok(json!({ "hex": hex::encode(varint::encode(value)) }))
    })
}

/// `wire.varint.decode {hex}` → `{value, consumed}`.
pub fn varint_decode(args: &Args) -> Reply {
    run(|| {
        let bytes = args.hex("hex")?;
        let (value, consumed) = varint::decode(&bytes).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "value": value, "consumed": consumed }))
    })
}
