//! Ops of the frame chapter: `frame.encode`, `frame.decode`, `frame.peek` (spec `frame`,
//! `spec/05-frame.md`; shapes in `spec/ops.yaml`).

use serde_json::json;

use super::args::Input;
use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::wire::frame;

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "frame.encode",
        run: encode,
    },
    Op {
        name: "frame.decode",
        run: decode,
    },
    Op {
        name: "frame.peek",
        run: peek,
    },
];

/// `frame.encode {json}` → `{hex, wire}`: the binary form as lowercase hex and the text form.
/// [FRAME-ENC-001] [FRAME-TEXT-001]
pub fn encode(args: &Args) -> Reply {
    run(|| {
        let input = args.text("json")?;
        let binary = frame::encode(input).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "hex": hex::encode(&binary), "wire": frame::to_text(&binary) }))
    })
}

/// `frame.decode {hex | wire, max_decompressed_bytes?, max_message_bytes?}` →
/// `{json, header: PEEK}`. [FRAME-DECODE-001] [FRAME-PEEK-002]
pub fn decode(args: &Args) -> Reply {
    run(|| {
        let limits = args.limits()?;
        let decoded = match args.hex_or_wire()? {
            Input::Binary(bytes) => frame::decode(&bytes, &limits),
            Input::Text(wire) => frame::decode_text(&wire, &limits),
        }
        .map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "json": decoded.payload, "header": decoded.header.to_json() }))
    })
}

/// `frame.peek {hex | wire, max_message_bytes?}` → PEEK. [FRAME-PEEK-001] [FRAME-PEEK-003]
pub fn peek(args: &Args) -> Reply {
    run(|| {
        let limits = args.limits()?;
        let header = match args.hex_or_wire()? {
            Input::Binary(bytes) => frame::peek(&bytes, &limits),
            Input::Text(wire) => frame::peek_text(&wire, &limits),
        }
        .map_err(|e| Reply::from_error(&e))?;
        Ok(header.to_json())
    })
}
