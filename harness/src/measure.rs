//! `m2m-conformance measure`: run the claims corpus (`vectors/corpus/*.json`) through every
//! format of the reference and compare bytes and tokens with the raw JSON and with the numbers
//! upstream's documentation quotes. Writes `reports/claims.md` and `reports/claims.svg`.
//!
//! Everything here is deterministic (no clocks, no randomness): the same corpus gives the same
//! report byte for byte, so the committed report can be checked for staleness.

use std::fmt::Write as _;
use std::path::Path;

use m2m_reference::legacy::{dictionary, m3, t1, zlib};
use m2m_reference::select::{self, Options};
use m2m_reference::wire::token_native::{self, Tokenizer};
use m2m_reference::wire::{self, frame, Algorithm, Limits};

/// One payload of the corpus.
#[derive(Debug, Clone)]
pub struct Payload {
    /// File stem, e.g. `simple-hi`.
    pub name: String,
    /// Category: the part of the name before the first `-`.
    pub category: String,
    /// The JSON text.
    pub text: String,
}

/// Load every `*.json` file of `dir`, sorted by name.
pub fn load_corpus(dir: &Path) -> Result<Vec<Payload>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let category = name.split('-').next().unwrap_or_default().to_owned();
            Ok(Payload {
                name,
                category,
                text,
            })
        })
        .collect()
}

/// The formats measured, in table order.
pub const FORMATS: &[&str] = &[
    "m2m",
    "m2m-binary",
    "brotli",
    "token-native-c",
    "token-native-o",
    "token-native-binary",
    "t1",
    "dictionary",
    "m3-binary",
    "zlib",
    "auto",
    "best",
];

/// One format's result on one payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Bytes of the encoded message.
    pub bytes: usize,
    /// cl100k tokens of the encoded message when it is text (None for binary forms).
    pub tokens_c: Option<usize>,
    /// o200k tokens of the encoded message when it is text.
    pub tokens_o: Option<usize>,
    /// Whether decoding gives back the exact input.
    pub lossless: bool,
}

/// All formats on one payload.
#[derive(Debug, Clone)]
pub struct Row {
    /// The payload.
    pub payload: Payload,
    /// Raw bytes.
    pub raw_bytes: usize,
    /// Raw cl100k tokens.
    pub raw_tokens_c: usize,
    /// Raw o200k tokens.
    pub raw_tokens_o: usize,
    /// One cell per entry of [`FORMATS`] (None when the format cannot encode the payload).
    pub cells: Vec<Option<Cell>>,
    /// What `auto` chose.
    pub auto_choice: &'static str,
    /// What `best` chose.
    pub best_choice: &'static str,
}

fn text_cell(wire: &str, lossless: bool) -> Cell {
    Cell {
        bytes: wire.len(),
        tokens_c: Some(token_native::count_tokens(wire, Tokenizer::Cl100k)),
        tokens_o: Some(token_native::count_tokens(wire, Tokenizer::O200k)),
        lossless,
    }
}

fn binary_cell(bytes: usize, lossless: bool) -> Cell {
    Cell {
        bytes,
        tokens_c: None,
        tokens_o: None,
        lossless,
    }
}

fn roundtrips(wire: &str, text: &str) -> bool {
    wire::decompress(wire, &Limits::default()).is_ok_and(|t| t == text)
}

/// Measure one payload.
pub fn measure(p: &Payload) -> Row {
    let text = p.text.as_str();
    let limit = Limits::default().max_decompressed_bytes;
    let mut cells = Vec::new();
    for f in FORMATS {
        let cell = match *f {
            "m2m" => wire::compress(text, Algorithm::M2m)
                .ok()
                .map(|w| text_cell(&w, roundtrips(&w, text))),
            "m2m-binary" => frame::encode(text).ok().map(|b| {
                let back = frame::decode(&b, &Limits::default()).is_ok_and(|f| f.payload == text);
                binary_cell(b.len(), back)
            }),
            "brotli" => {
                let w = wire::brotli::encode(text);
                Some(text_cell(&w, roundtrips(&w, text)))
            }
            "token-native-c" | "token-native-o" => {
                let t = if *f == "token-native-c" {
                    Tokenizer::Cl100k
                } else {
                    Tokenizer::O200k
                };
                let (w, _) = token_native::encode(text, t);
                Some(text_cell(&w, roundtrips(&w, text)))
            }
            "token-native-binary" => {
                let b = token_native::encode_binary(text, Tokenizer::Cl100k);
                let back = token_native::decode_binary(&b).is_ok_and(|t| t == text);
                Some(binary_cell(b.len(), back))
            }
            "t1" => t1::encode(text)
                .ok()
                .map(|w| text_cell(&w, t1::decode(&w).is_ok_and(|t| t == text))),
            "dictionary" => dictionary::encode(text)
                .ok()
                .map(|w| text_cell(&w, dictionary::decode(&w).is_ok_and(|t| t == text))),
            "m3-binary" => m3::encode(text)
                .ok()
                .map(|b| binary_cell(b.len(), m3::decode(&b).is_ok_and(|t| t == text))),
            "zlib" => {
                let w = zlib::encode(text);
                let back = zlib::decode(&w, limit).is_ok_and(|t| t == text);
                Some(text_cell(&w, back))
            }
            "auto" => select::compress_auto(text, Options::default())
                .ok()
                .map(|(_, w)| text_cell(&w, roundtrips(&w, text))),
            _ => {
                let (_, w) = select::compress_best(text);
                Some(text_cell(&w, roundtrips(&w, text)))
            }
        };
        cells.push(cell);
    }
    Row {
        raw_bytes: text.len(),
        raw_tokens_c: token_native::count_tokens(text, Tokenizer::Cl100k),
        raw_tokens_o: token_native::count_tokens(text, Tokenizer::O200k),
        cells,
        auto_choice: select::select(text, Options::default()).name(),
        best_choice: select::compress_best(text).0.name(),
        payload: p.clone(),
    }
}

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Summary of one format across the corpus: byte and token ratios (% of raw).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Payloads the format could encode.
    pub n: usize,
    /// Sorted byte ratios (% of raw).
    pub byte_ratios: Vec<f64>,
    /// Sorted cl100k token ratios (% of raw), text forms only.
    pub token_ratios: Vec<f64>,
    /// Payloads that round-trip exactly.
    pub lossless: usize,
    /// Total encoded bytes over payloads it could encode.
    pub total_bytes: usize,
    /// Total raw bytes of the same payloads.
    pub total_raw: usize,
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Summarize one column.
pub fn summarize(rows: &[Row], col: usize) -> Summary {
    let mut s = Summary::default();
    for r in rows {
        if let Some(c) = r.cells[col] {
            s.n += 1;
            s.byte_ratios.push(pct(c.bytes, r.raw_bytes));
            if let Some(t) = c.tokens_c {
                s.token_ratios.push(pct(t, r.raw_tokens_c));
            }
            s.lossless += usize::from(c.lossless);
            s.total_bytes += c.bytes;
            s.total_raw += r.raw_bytes;
        }
    }
    s.byte_ratios.sort_by(f64::total_cmp);
    s.token_ratios.sort_by(f64::total_cmp);
    s
}

/// A size claim quoted by upstream's docs: raw bytes → claimed bytes.
pub const SIZE_CLAIMS: &[(&str, usize, usize)] = &[
    ("147 B → 60 B", 147, 60),
    ("2.4 KB → 1.0 KB", 2400, 1000),
    ("8.2 KB → 3.5 KB", 8200, 3500),
    ("128 KB → 48 KB", 131_072, 48_000),
];

/// A savings-range claim: format column, claimed savings range in percent.
pub const RANGE_CLAIMS: &[(&str, &str, f64, f64)] = &[
    ("M2M saves 40–70%", "m2m", 40.0, 70.0),
    ("TokenNative saves 30–50%", "token-native-c", 30.0, 50.0),
    ("Brotli saves 60–80%", "brotli", 60.0, 80.0),
];

fn col(name: &str) -> usize {
    FORMATS.iter().position(|f| *f == name).unwrap_or(0)
}

fn fmt_pct(x: f64) -> String {
    format!("{x:.0}%")
}

/// Render `reports/claims.md`.
pub fn render_markdown(rows: &[Row]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Compression claims, measured\n");
    let _ = writeln!(
        md,
        "Generated by `cargo run -p m2m-conformance -- measure` (logic in `harness/src/measure.rs`) from the {} payloads in \
         `vectors/corpus/` (written by `vectors/tools/gen_corpus.py`), encoded by the reference implementation, whose \
         wire formats equal upstream m2m-protocol 0.4.0's output on the conformance vectors. Tokens are counted with \
         tiktoken `cl100k_base` (C) and `o200k_base` (O) on the wire string as a model would receive it. \
         Percentages are encoded size as a share of the raw JSON (lower is better; savings = 100% − share).\n",
        rows.len()
    );
    let _ = writeln!(md, "![bytes and tokens per format](claims.svg)\n");

    let _ = writeln!(md, "## Headline claims from upstream's documentation\n");
    let _ = writeln!(md, "| claim | measured | verdict |\n|---|---|---|");
    for (label, name, lo, hi) in RANGE_CLAIMS {
        let s = summarize(rows, col(name));
        let savings: Vec<f64> = s.byte_ratios.iter().map(|r| 100.0 - r).collect();
        let (min, max) = (
            savings.iter().copied().fold(f64::INFINITY, f64::min),
            savings.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let med = 100.0 - median(&s.byte_ratios);
        let inside = savings.iter().filter(|x| **x >= *lo && **x <= *hi).count();
        let verdict = if med >= *lo && med <= *hi {
            "median inside the claimed range"
        } else if med < *lo {
            "median below the claimed range"
        } else {
            "median above the claimed range"
        };
        let _ = writeln!(
            md,
            "| {label} | savings median {}, range {} to {}; {inside} of {} payloads inside | {verdict} |",
            fmt_pct(med),
            fmt_pct(min),
            fmt_pct(max),
            savings.len()
        );
    }
    for (label, raw, claimed) in SIZE_CLAIMS {
        let Some(r) = rows
            .iter()
            .min_by_key(|r| (r.raw_bytes as i64 - *raw as i64).unsigned_abs())
        else {
            continue;
        };
        let scale = *raw as f64 / r.raw_bytes as f64;
        let m2m = r.cells[col("m2m")].map_or(0, |c| c.bytes);
        let best = r.cells[col("best")].map_or(0, |c| c.bytes);
        let _ = writeln!(
            md,
            "| {label} ({}) | nearest payload `{}` is {} B: m2m {} B ({}), best ({}) {} B ({}); scaled to {} B: m2m ≈ {} B | {} |",
            fmt_pct(pct(*claimed, *raw)),
            r.payload.name,
            r.raw_bytes,
            m2m,
            fmt_pct(pct(m2m, r.raw_bytes)),
            r.best_choice,
            best,
            fmt_pct(pct(best, r.raw_bytes)),
            raw,
            (m2m as f64 * scale).round(),
            match (
                pct(m2m, r.raw_bytes) <= pct(*claimed, *raw),
                pct(best, r.raw_bytes) <= pct(*claimed, *raw),
            ) {
                (true, _) => "met by M2M",
                (false, true) => "met only by the best format",
                (false, false) => "not met",
            }
        );
    }
    let _ = writeln!(md);

    let _ = writeln!(md, "## Per format, over the whole corpus\n");
    let _ = writeln!(
        md,
        "| format | payloads | lossless | bytes: median share | bytes: min–max share | total bytes vs raw | cl100k tokens: median share |\n|---|---|---|---|---|---|---|"
    );
    for (i, f) in FORMATS.iter().enumerate() {
        let s = summarize(rows, i);
        let min = s.byte_ratios.first().copied().unwrap_or(f64::NAN);
        let max = s.byte_ratios.last().copied().unwrap_or(f64::NAN);
        let tok = if s.token_ratios.is_empty() {
            "binary".to_owned()
        } else {
            fmt_pct(median(&s.token_ratios))
        };
        let _ = writeln!(
            md,
            "| {f} | {} | {} | {} | {}–{} | {} | {tok} |",
            s.n,
            s.lossless,
            fmt_pct(median(&s.byte_ratios)),
            fmt_pct(min),
            fmt_pct(max),
            fmt_pct(pct(s.total_bytes, s.total_raw)),
        );
    }
    let _ = writeln!(md);

    let _ = writeln!(md, "## Per payload (bytes; cl100k tokens in parentheses)\n");
    let mut header = "| payload | raw |".to_owned();
    let mut sep = "|---|---|".to_owned();
    for f in FORMATS {
        header.push_str(&format!(" {f} |"));
        sep.push_str("---|");
    }
    header.push_str(" auto picks | best picks |");
    sep.push_str("---|---|");
    let _ = writeln!(md, "{header}\n{sep}");
    for r in rows {
        let mut line = format!(
            "| {} | {} ({}) |",
            r.payload.name, r.raw_bytes, r.raw_tokens_c
        );
        for c in &r.cells {
            match c {
                Some(c) => {
                    let t = c.tokens_c.map_or(String::new(), |t| format!(" ({t})"));
                    let lossy = if c.lossless { "" } else { " ✗" };
                    line.push_str(&format!(" {}{t}{lossy} |", c.bytes));
                }
                None => line.push_str(" — |"),
            }
        }
        line.push_str(&format!(" {} | {} |", r.auto_choice, r.best_choice));
        let _ = writeln!(md, "{line}");
    }
    let _ = writeln!(
        md,
        "\n✗ = the decoded text differs from the input (T1 and M3 are lossy by design, see their chapters); \
         — = the format cannot encode this payload (dictionary: non-ASCII of 50 bytes or more).\n"
    );
    let _ = writeln!(md, "## What this means\n");
    let _ = writeln!(md, "{}", conclusions(rows));
    md
}

fn conclusions(rows: &[Row]) -> String {
    let m2m = summarize(rows, col("m2m"));
    let tk = summarize(rows, col("token-native-c"));
    let br = summarize(rows, col("brotli"));
    let best = summarize(rows, col("best"));
    let small: Vec<&Row> = rows.iter().filter(|r| r.raw_bytes < 200).collect();
    let grows = |name: &str| {
        small
            .iter()
            .filter(|r| r.cells[col(name)].is_some_and(|c| c.bytes > r.raw_bytes))
            .count()
    };
    format!(
        "- Byte savings depend on size. Of the {} payloads under 200 B, M2M makes {} larger, Brotli {}, TokenNative {} and \
         `auto` {} (prefix, headers and base64's 4/3 cost more than compression saves; `auto` passes only inputs under \
         100 B through unchanged).\n\
         - Median share of raw bytes: M2M {}, Brotli {}, TokenNative (cl100k) {}, best of three {}.\n\
         - Tokens go the other way: a base64 wire string costs a model far more tokens than the JSON it carries \
         (median cl100k token share: M2M {}, Brotli {}, TokenNative {}). The formats save bytes on the wire between \
         agents, not tokens in a model's context; any token saving requires decoding first.\n",
        small.len(),
        grows("m2m"),
        grows("brotli"),
        grows("token-native-c"),
        grows("auto"),
        fmt_pct(median(&m2m.byte_ratios)),
        fmt_pct(median(&br.byte_ratios)),
        fmt_pct(median(&tk.byte_ratios)),
        fmt_pct(median(&best.byte_ratios)),
        fmt_pct(median(&m2m.token_ratios)),
        fmt_pct(median(&br.token_ratios)),
        fmt_pct(median(&tk.token_ratios)),
    )
}

/// The share of raw bytes (low, high, in percent) a documentation claim corresponds to.
type ClaimBand = Option<(f64, f64)>;

/// Render `reports/claims.svg`: for each main format, the median share of raw bytes (bar), the
/// min–max range (whisker) and the share the documentation claims (green band); a second panel
/// shows the median share of cl100k tokens.
pub fn render_svg(rows: &[Row]) -> String {
    let formats: &[(&str, &str, ClaimBand)] = &[
        ("m2m", "M2M (#M2M|1|, text)", Some((30.0, 60.0))),
        ("m2m-binary", "M2M binary frame", None),
        ("brotli", "Brotli (#M2M[v3.0])", Some((20.0, 40.0))),
        ("token-native-c", "TokenNative cl100k", Some((50.0, 70.0))),
        ("token-native-o", "TokenNative o200k", Some((50.0, 70.0))),
        ("token-native-binary", "TokenNative binary", None),
        ("zlib", "zlib (#M2M[v2.0])", None),
        ("auto", "auto (heuristic)", None),
        ("best", "best of three", None),
    ];
    let (row_h, left, top) = (34.0, 190.0, 70.0);
    let panel_w = 330.0;
    // Past a panel's 200% line there is room for a value label (`221%→`): between the panels
    // and at the right edge.
    let label_room = 60.0;
    let gap = label_room;
    let w = left + 2.0 * panel_w + gap + label_room;
    let h = top + row_h * formats.len() as f64 + 70.0;
    let max_pct = 200.0;
    let x_of = |panel: usize, v: f64| {
        left + panel as f64 * (panel_w + gap) + panel_w * v.clamp(0.0, max_pct) / max_pct
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="12">"##
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="{}" y="22" font-size="16" font-weight="bold">Encoded size as % of the raw JSON ({} payloads; lower is better)</text>"##,
        left - 170.0,
        rows.len()
    );
    for (panel, title) in ["bytes on the wire", "cl100k tokens of the wire string"]
        .iter()
        .enumerate()
    {
        let x0 = x_of(panel, 0.0);
        let _ = writeln!(
            s,
            r##"<text x="{x0}" y="50" font-weight="bold">{title}</text>"##
        );
        for tick in [0.0, 50.0, 100.0, 150.0, 200.0] {
            let x = x_of(panel, tick);
            let y1 = top - 6.0;
            let y2 = top + row_h * formats.len() as f64;
            let stroke = if tick == 100.0 { "#333" } else { "#ddd" };
            let _ = writeln!(
                s,
                r##"<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{stroke}"/><text x="{x}" y="{}" text-anchor="middle" fill="#555">{tick}%</text>"##,
                y2 + 16.0
            );
        }
    }
    for (i, (name, label, claim)) in formats.iter().enumerate() {
        let sm = summarize(rows, col(name));
        let y = top + row_h * i as f64;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text>"##,
            left - 8.0,
            y + row_h / 2.0 + 4.0,
            label.replace('&', "&amp;").replace('<', "&lt;")
        );
        for (panel, ratios) in [&sm.byte_ratios, &sm.token_ratios].iter().enumerate() {
            if ratios.is_empty() {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" fill="#999">binary: not text</text>"##,
                    x_of(panel, 0.0) + 4.0,
                    y + row_h / 2.0 + 4.0
                );
                continue;
            }
            if panel == 0 {
                if let Some((lo, hi)) = claim {
                    let _ = writeln!(
                        s,
                        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#b8e6b8" opacity="0.8"/>"##,
                        x_of(0, *lo),
                        y + 3.0,
                        x_of(0, *hi) - x_of(0, *lo),
                        row_h - 6.0
                    );
                }
            }
            let med = median(ratios);
            let color = if med <= 100.0 { "#3b6fb6" } else { "#c8553d" };
            let x0 = x_of(panel, 0.0);
            let _ = writeln!(
                s,
                r##"<rect x="{x0}" y="{}" width="{}" height="{}" fill="{color}"/>"##,
                y + 9.0,
                x_of(panel, med) - x0,
                row_h - 18.0
            );
            let (lo, hi) = (ratios[0], ratios[ratios.len() - 1]);
            let ym = y + row_h / 2.0;
            let _ = writeln!(
                s,
                r##"<line x1="{}" y1="{ym}" x2="{}" y2="{ym}" stroke="#222" stroke-width="1.5"/>"##,
                x_of(panel, lo),
                x_of(panel, hi)
            );
            let more = if hi > max_pct { "→" } else { "" };
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" fill="#222" font-size="11">{:.0}%{more}</text>"##,
                x_of(panel, med.max(hi.min(max_pct))) + 4.0,
                ym + 4.0,
                med
            );
        }
    }
    let ly = h - 24.0;
    let _ = writeln!(
        s,
        r##"<rect x="{}" y="{}" width="14" height="10" fill="#3b6fb6"/><text x="{}" y="{}">median, smaller than raw</text><rect x="{}" y="{}" width="14" height="10" fill="#c8553d"/><text x="{}" y="{}">median, larger than raw</text><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#222" stroke-width="1.5"/><text x="{}" y="{}">min–max over the corpus</text><rect x="{}" y="{}" width="14" height="10" fill="#b8e6b8"/><text x="{}" y="{}">size upstream's docs claim</text>"##,
        left,
        ly - 9.0,
        left + 18.0,
        ly,
        left + 190.0,
        ly - 9.0,
        left + 208.0,
        ly,
        left + 370.0,
        ly - 4.0,
        left + 390.0,
        ly - 4.0,
        left + 396.0,
        ly,
        left + 560.0,
        ly - 9.0,
        left + 578.0,
        ly
    );
    let _ = writeln!(s, "</svg>");
    s
}

// ------------------------------------------------------------------------------------------
// SSE streams (spec chapter `streaming`)

/// The SSE stream an OpenAI-style server sends for a chat completion response: a role delta,
/// one content delta per cl100k token of `choices[0].message.content`, a finish chunk, a usage
/// chunk and `[DONE]`. `None` for payloads that are not such a response.
pub fn sse_stream_of(p: &Payload) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(&p.text).ok()?;
    let choice = doc.get("choices")?.get(0)?;
    let content = choice.get("message")?.get("content")?.as_str()?;
    let head = serde_json::json!({
        "id": doc.get("id").cloned().unwrap_or_else(|| "chatcmpl-x".into()),
        "object": "chat.completion.chunk",
        "created": doc.get("created").cloned().unwrap_or(0.into()),
        "model": doc.get("model").cloned().unwrap_or_else(|| "gpt-4o".into()),
    });
    let event = |delta: serde_json::Value,
                 finish: serde_json::Value,
                 usage: Option<&serde_json::Value>| {
        let mut ev = head.clone();
        ev["choices"] = serde_json::json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]);
        if let Some(u) = usage {
            ev["choices"] = serde_json::json!([]);
            ev["usage"] = u.clone();
        }
        format!("data: {ev}\n\n")
    };
    let mut out = event(
        serde_json::json!({"role": "assistant", "content": ""}),
        serde_json::Value::Null,
        None,
    );
    // One token per event; a token holding part of a UTF-8 character waits for the next.
    let mut pending = Vec::new();
    for id in token_native::tokenize(content, Tokenizer::Cl100k) {
        pending.push(id);
        if let Ok(piece) = token_native::detokenize(&pending, Tokenizer::Cl100k) {
            pending.clear();
            out.push_str(&event(
                serde_json::json!({ "content": piece }),
                serde_json::Value::Null,
                None,
            ));
        }
    }
    let finish = choice
        .get("finish_reason")
        .cloned()
        .unwrap_or_else(|| "stop".into());
    out.push_str(&event(serde_json::json!({}), finish, None));
    if let Some(u) = doc.get("usage") {
        out.push_str(&event(
            serde_json::json!({}),
            serde_json::Value::Null,
            Some(u),
        ));
    }
    out.push_str("data: [DONE]\n\n");
    Some(out)
}

/// One SSE stream through every streaming mode.
#[derive(Debug, Clone)]
pub struct SseRow {
    /// Payload name.
    pub name: String,
    /// Events in the stream.
    pub events: usize,
    /// Raw stream: bytes and cl100k tokens.
    pub raw: (usize, usize),
    /// Per mode (in [`SSE_MODES`] order): output bytes and cl100k tokens.
    pub modes: Vec<(usize, usize)>,
    /// The finalized accumulated content (`#TK|C|…`): bytes, and the content's own bytes.
    pub finalized: (usize, usize),
}

/// The modes measured, with their column names.
pub const SSE_MODES: [(&str, m2m_reference::streaming::Mode, Tokenizer); 5] = [
    (
        "passthrough",
        m2m_reference::streaming::Mode::Passthrough,
        Tokenizer::Cl100k,
    ),
    (
        "abbreviation",
        m2m_reference::streaming::Mode::Abbreviation,
        Tokenizer::Cl100k,
    ),
    (
        "hybrid",
        m2m_reference::streaming::Mode::Hybrid,
        Tokenizer::Cl100k,
    ),
    (
        "token-native C",
        m2m_reference::streaming::Mode::TokenNative,
        Tokenizer::Cl100k,
    ),
    (
        "token-native O",
        m2m_reference::streaming::Mode::TokenNative,
        Tokenizer::O200k,
    ),
];

/// Bytes and tokens of a payload's SSE stream in every mode. [STREAM-MODE-001] … [STREAM-MODE-004]
pub fn measure_sse(p: &Payload) -> Option<SseRow> {
    use m2m_reference::streaming::Encoder;
    let stream = sse_stream_of(p)?;
    let tokens = |s: &str| token_native::count_tokens(s, Tokenizer::Cl100k);
    let mut finalized = (0, 0);
    let modes = SSE_MODES
        .iter()
        .map(|&(_, mode, t)| {
            let mut e = Encoder::new(mode, t);
            let mut out = e.push(stream.as_bytes()).ok()?.concat();
            out.push_str(&e.finish().ok()?.concat());
            if finalized.0 == 0 {
                finalized = (
                    e.finalize_token_native().map_or(0, |w| w.len()),
                    e.accumulated().len(),
                );
            }
            Some((out.len(), tokens(&out)))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(SseRow {
        name: p.name.clone(),
        events: stream.matches("data: ").count(),
        raw: (stream.len(), tokens(&stream)),
        modes,
        finalized,
    })
}

/// The SSE section of `claims.md`.
pub fn render_sse_markdown(rows: &[SseRow]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "\n## SSE streams (chapter streaming)\n");
    let _ = writeln!(
        md,
        "Each chat completion response of the corpus, streamed the way an OpenAI-style server does \
         (a role delta, one content delta per cl100k token, a finish chunk, a usage chunk, `[DONE]`), \
         through the streaming encoder of each mode (`m2m-ref stream compress --mode …`). \
         Bytes, and cl100k tokens in parentheses, as a percentage of the raw stream; \
         hybrid emits the abbreviation text per event (STREAM-MODE-003). \
         The per-chunk latency each mode adds is measured by `cargo bench -p m2m-reference --bench streaming` \
         ([performance.md](performance.md)).\n"
    );
    let mut header = "| stream | events | raw bytes (tokens) |".to_owned();
    let mut sep = "|---|---:|---:|".to_owned();
    for (name, _, _) in SSE_MODES {
        header.push_str(&format!(" {name} |"));
        sep.push_str("---:|");
    }
    header.push_str(" finalized `#TK\\|C\\|` / content bytes |");
    sep.push_str("---:|");
    let _ = writeln!(md, "{header}\n{sep}");
    for r in rows {
        let mut line = format!("| {} | {} | {} ({}) |", r.name, r.events, r.raw.0, r.raw.1);
        for &(b, t) in &r.modes {
            line.push_str(&format!(
                " {} ({}) |",
                fmt_pct(pct(b, r.raw.0)),
                fmt_pct(pct(t, r.raw.1))
            ));
        }
        line.push_str(&format!(" {} / {} |", r.finalized.0, r.finalized.1));
        let _ = writeln!(md, "{line}");
    }
    md
}

/// Measure the corpus in `corpus_dir` and write `claims.md` and `claims.svg` into `out_dir`;
/// with `check`, write nothing and fail if either committed file differs from what the corpus
/// gives now. Returns the number of payloads.
pub fn run(corpus_dir: &Path, out_dir: &Path, check: bool) -> Result<usize, String> {
    let payloads = load_corpus(corpus_dir)?;
    if payloads.is_empty() {
        return Err(format!("{}: no *.json payloads", corpus_dir.display()));
    }
    let rows: Vec<Row> = payloads.iter().map(measure).collect();
    let streams: Vec<SseRow> = payloads.iter().filter_map(measure_sse).collect();
    let files = [
        (
            out_dir.join("claims.md"),
            render_markdown(&rows) + &render_sse_markdown(&streams),
        ),
        (out_dir.join("claims.svg"), render_svg(&rows)),
    ];
    if check {
        for (path, want) in &files {
            if std::fs::read_to_string(path).ok().as_deref() != Some(want.as_str()) {
                return Err(format!(
                    "{} is stale: run `m2m-conformance measure`",
                    path.display()
                ));
            }
        }
        return Ok(rows.len());
    }
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    for (path, text) in &files {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(name: &str, text: &str) -> Payload {
        Payload {
            name: name.to_owned(),
            category: name.split('-').next().unwrap_or_default().to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn measures_every_format_and_renders() {
        let rows: Vec<Row> = [
            payload(
                "simple-hi",
                r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#,
            ),
            payload("text-repeat", &"hello world ".repeat(120)),
        ]
        .iter()
        .map(measure)
        .collect();
        for r in &rows {
            assert_eq!(r.cells.len(), FORMATS.len());
            // The normative formats always round-trip.
            for f in ["brotli", "token-native-c", "token-native-o", "best", "auto"] {
                assert!(
                    r.cells[col(f)].unwrap().lossless,
                    "{f} on {}",
                    r.payload.name
                );
            }
        }
        // M2M needs JSON; the repeated text is not JSON.
        assert!(rows[1].cells[col("m2m")].is_none());
        assert_eq!(rows[0].auto_choice, "none"); // 62 bytes < 100
        assert_eq!(rows[1].auto_choice, "brotli"); // 1440 bytes > 1024
        let md = render_markdown(&rows);
        assert!(md.contains("| M2M saves 40–70% |"));
        let svg = render_svg(&rows);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        svg_texts_fit(&svg);
    }

    /// Every `<text>` of the SVG, at a generous width estimate (0.62 em per character), lies
    /// inside the picture: no label is clipped at an edge.
    fn svg_texts_fit(svg: &str) {
        use quick_xml::events::Event;
        let attr = |e: &quick_xml::events::BytesStart, k: &str| -> Option<String> {
            e.try_get_attribute(k)
                .unwrap()
                .map(|a| a.unescape_value().unwrap().into_owned())
        };
        let mut reader = quick_xml::Reader::from_str(svg);
        let (mut width, mut height) = (0.0, 0.0);
        let mut open: Option<(f64, f64, f64, String)> = None;
        let mut checked = 0;
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                Event::Start(e) if e.name().as_ref() == b"svg" => {
                    width = attr(&e, "width").unwrap().parse().unwrap();
                    height = attr(&e, "height").unwrap().parse().unwrap();
                }
                Event::Start(e) if e.name().as_ref() == b"text" => {
                    let size: f64 = attr(&e, "font-size").map_or(12.0, |v| v.parse().unwrap());
                    let x: f64 = attr(&e, "x").unwrap().parse().unwrap();
                    let y: f64 = attr(&e, "y").unwrap().parse().unwrap();
                    let anchor = attr(&e, "text-anchor").unwrap_or_else(|| "start".into());
                    assert!(y > size * 0.8 && y <= height, "y {y} outside 0..{height}");
                    open = Some((x, size, y, anchor));
                }
                Event::Text(t) => {
                    if let Some((x, size, _, anchor)) = open.take() {
                        let text = t.unescape().unwrap();
                        let len = text.chars().count() as f64 * size * 0.62;
                        let (from, to) = match anchor.as_str() {
                            "end" => (x - len, x),
                            "middle" => (x - len / 2.0, x + len / 2.0),
                            _ => (x, x + len),
                        };
                        assert!(
                            from >= 0.0 && to <= width,
                            "`{text}` spans {from:.0}..{to:.0}, outside 0..{width}"
                        );
                        checked += 1;
                    }
                }
                _ => {}
            }
        }
        assert!(checked > 20, "{checked} labels checked");
    }

    #[test]
    fn svg_labels_stay_inside_for_values_past_the_axis() {
        // A payload whose formats grow past 200% of raw: its labels end in `→` at the axis end.
        let rows: Vec<Row> = [payload("tiny-a", r#"{"a":1}"#)]
            .iter()
            .map(measure)
            .collect();
        let svg = render_svg(&rows);
        assert!(svg.contains("%→"), "a value past the axis is drawn");
        svg_texts_fit(&svg);
    }
}
