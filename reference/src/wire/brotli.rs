//! The Brotli text format `#M2M[v3.0]|DATA:` (spec chapter `brotli`, `spec/02-brotli.md`) and
//! the bounded Brotli decoder shared with the M2M v1 frame payload.

use brotli::{BrotliDecompressStream, BrotliResult, BrotliState};

use super::{b64, detect::BROTLI_PREFIX, WireError};

/// Brotli quality of the `#M2M[v3.0]|DATA:` format. [WIRE-BROTLI-003]
pub const TEXT_QUALITY: u32 = 11;
/// Brotli window (lgwin) of the `#M2M[v3.0]|DATA:` format. [WIRE-BROTLI-003]
pub const TEXT_LGWIN: u32 = 22;
/// Encoder buffer size upstream uses; it does not change the output bytes but is kept for
/// fidelity.
const BUFFER_SIZE: usize = 4096;

/// Compress `data` to a raw Brotli stream with the given quality and window, as one stream
/// without metadata blocks. [WIRE-BROTLI-003]
///
/// At quality 5 with a window above 16 bits (the M2M v1 frame payload, FRAME-COMPRESS) the
/// encoder's 1 MiB match-hash table is taken from a small pool instead of being zero-filled on
/// every call; see [`table_pool`] for why that leaves the bytes unchanged.
pub fn compress_raw(data: &[u8], quality: u32, lgwin: u32) -> Vec<u8> {
    if table_pool::applies(quality, lgwin) {
        let mut alloc = table_pool::TablePool;
        let buffer =
            <table_pool::TablePool as brotli::Allocator<u8>>::alloc_cell(&mut alloc, BUFFER_SIZE);
        let writer = brotli::enc::writer::CompressorWriterCustomAlloc::new(
            Vec::new(),
            buffer,
            alloc,
            quality,
            lgwin,
        );
        finish(writer, data)
    } else {
        finish(
            brotli::CompressorWriter::new(Vec::new(), BUFFER_SIZE, quality, lgwin),
            data,
        )
    }
}

/// Write all of `data` and finish the stream. Writing into a Vec cannot fail. No explicit
/// flush: a flush would add an empty meta-block and change the bytes; `into_inner` finishes
/// the stream exactly as upstream does.
fn finish<W: std::io::Write + IntoVec>(mut writer: W, data: &[u8]) -> Vec<u8> {
    writer
        .write_all(data)
        .expect("writing to a Vec never fails");
    writer.into_vec()
}

/// The two encoder writers, finished into their output.
trait IntoVec {
    fn into_vec(self) -> Vec<u8>;
}

impl IntoVec for brotli::CompressorWriter<Vec<u8>> {
    fn into_vec(self) -> Vec<u8> {
        self.into_inner()
    }
}

impl IntoVec
    for brotli::enc::writer::CompressorWriterCustomAlloc<
        Vec<u8>,
        table_pool::Table<u8>,
        table_pool::TablePool,
    >
{
    fn into_vec(self) -> Vec<u8> {
        self.into_inner()
    }
}

/// Decompress a raw Brotli stream, stopping as soon as the output would exceed `limit` bytes.
///
/// Accepts any valid stream, including the large-window extension that brotli-decompressor
/// enables by default, as upstream does [WIRE-BROTLI-004] [WIRE-BROTLI-010].
///
/// - input ends before the stream's last meta-block → [`WireError::BrotliTruncated`]
///   [WIRE-BROTLI-006];
/// - malformed stream → [`WireError::BrotliCorrupt`] [WIRE-BROTLI-006];
/// - bytes left after the end of the stream → [`WireError::BrotliCorrupt`] [WIRE-BROTLI-007];
/// - output larger than `limit` → [`WireError::DecompressedTooLarge`], detected after at most
///   `limit + 64 KiB` bytes of output were produced [WIRE-LIMIT-004].
pub fn decompress_raw(input: &[u8], limit: usize) -> Result<Vec<u8>, WireError> {
    /// Room made for each decoder call: it starts small, so that short payloads do not pay for
    /// zeroing a large buffer, and doubles up to 64 KiB, the overshoot bound of the limit.
    const MIN_ROOM: usize = 4 * 1024;
    const MAX_ROOM: usize = 64 * 1024;
    let mut state = BrotliState::new(
        brotli::enc::StandardAlloc::default(),
        brotli::enc::StandardAlloc::default(),
        brotli::enc::StandardAlloc::default(),
    );
    let mut out = Vec::new();
    let mut available_in = input.len();
    let mut input_offset = 0usize;
    let mut total_out = 0usize;
    loop {
        // The decoder writes straight into `out`: make room after the bytes so far, then cut
        // back to what it produced.
        let start = out.len();
        let room = start.clamp(MIN_ROOM, MAX_ROOM);
        out.resize(start + room, 0);
        let mut available_out = room;
        let mut output_offset = start;
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            &mut out,
            &mut total_out,
            &mut state,
        );
        out.truncate(output_offset);
        if out.len() > limit {
            return Err(WireError::DecompressedTooLarge { limit });
        }
        match result {
            BrotliResult::ResultSuccess => {
                return if available_in == 0 {
                    Ok(out)
                } else {
                    Err(WireError::BrotliCorrupt(
                        "bytes after the end of the stream",
                    ))
                };
            }
            BrotliResult::NeedsMoreOutput => continue,
            BrotliResult::NeedsMoreInput => return Err(WireError::BrotliTruncated),
            BrotliResult::ResultFailure => {
                return Err(WireError::BrotliCorrupt("malformed stream"))
            }
        }
    }
}

/// Encode `text` as `#M2M[v3.0]|DATA:` + base64(Brotli(text, q11, lgwin 22)).
/// [WIRE-BROTLI-001] [WIRE-BROTLI-003] [WIRE-B64-001]
pub fn encode(text: &str) -> String {
    let compressed = compress_raw(text.as_bytes(), TEXT_QUALITY, TEXT_LGWIN);
    format!("{BROTLI_PREFIX}{}", b64::encode(&compressed))
}

/// Decode a `#M2M[v3.0]|…` wire string: exact prefix, canonical base64, a complete Brotli
/// stream with nothing after it, at most `limit` bytes of output, valid UTF-8, checked in
/// that order; any valid stream is accepted and the text is returned as is.
/// [WIRE-BROTLI-001] [WIRE-BROTLI-002] [WIRE-BROTLI-004] [WIRE-BROTLI-005] [WIRE-BROTLI-006]
/// [WIRE-BROTLI-007] [WIRE-BROTLI-008] [WIRE-BROTLI-009] [WIRE-BROTLI-011]
pub fn decode(wire: &str, limit: usize) -> Result<String, WireError> {
    let body = wire
        .strip_prefix(BROTLI_PREFIX)
        .ok_or(WireError::InvalidPrefix("expected #M2M[v3.0]|DATA:"))?;
    let compressed = b64::decode(body)?;
    let bytes = decompress_raw(&compressed, limit)?;
    String::from_utf8(bytes).map_err(|e| WireError::InvalidUtf8 {
        valid_up_to: e.utf8_error().valid_up_to(),
    })
}

pub mod table_pool {
    //! Reuse of the Brotli encoder's match-hash table across frame encodes (issue 22).
    //!
    //! At quality 5 with a window above 16 bits the encoder hashes with an `H5`-style table:
    //! `num`, 2^14 counters (32 KiB), and `buckets`, 2^14 rows of 2^4 positions (2^18 `u32`,
    //! 1 MiB). The brotli crate allocates every table zero-filled, and filling that 1 MiB was
    //! about 40 % of a 100-byte frame encode. Zeroes are not needed in `buckets`: the encoder
    //! clears `num` itself before it hashes (`Prepare`), stores a position in a row before it
    //! raises that row's count, and reads a row only below its count, so a reused `buckets`
    //! is never read where it was not written during the same call. The C library, the
    //! format's own encoder, relies on the same fact: it allocates this table uninitialised
    //! and clears only the counters.
    //!
    //! So this allocator hands out every table zero-filled, as the crate's standard one does,
    //! except an allocation of exactly 2^18 `u32` when [`applies`] holds, which it takes from a
    //! pool of at most [`POOL_CAP`] such tables (4 MiB kept at most), unchanged. Everything
    //! else, including every other `u32` table, is fresh: the crate's block splitter and
    //! histograms do rely on zero-filled memory (reusing those panics).
    //!
    //! `reference/tests/brotli_table_pool.rs` checks the claim: thousands of inputs
    //! encoded with tables filled with random words give the bytes of a fresh encoder, and the
    //! side-by-side identity tests compare with upstream.

    use std::any::Any;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    /// Length of the quality-5 match-hash table in `u32`s (2^14 buckets × 2^4 slots).
    pub const TABLE_LEN: usize = 1 << 18;
    /// Tables kept for reuse at most (one per concurrent encode beyond that is fresh).
    pub const POOL_CAP: usize = 4;

    static POOL: Mutex<Vec<Vec<u32>>> = Mutex::new(Vec::new());
    static REUSES: AtomicU64 = AtomicU64::new(0);

    /// True when an encode with these parameters uses the pool: quality 5 and a window above
    /// 16 bits, the parameters under which the only 2^18-`u32` table is the match-hash table.
    pub fn applies(quality: u32, lgwin: u32) -> bool {
        quality == 5 && lgwin > 16
    }

    /// Memory handed to the encoder: a boxed slice.
    #[derive(Default)]
    pub struct Table<T>(Box<[T]>);

    impl<T> brotli::SliceWrapper<T> for Table<T> {
        fn slice(&self) -> &[T] {
            &self.0
        }
    }

    impl<T> brotli::SliceWrapperMut<T> for Table<T> {
        fn slice_mut(&mut self) -> &mut [T] {
            &mut self.0
        }
    }

    /// The encoder's allocator: zero-filled tables, except the pooled match-hash table.
    #[derive(Default, Clone, Copy, Debug)]
    pub struct TablePool;

    impl<T: Clone + Default + 'static> brotli::Allocator<T> for TablePool {
        type AllocatedMemory = Table<T>;

        fn alloc_cell(&mut self, len: usize) -> Table<T> {
            if len == TABLE_LEN {
                if let Some(table) = take::<T>() {
                    REUSES.fetch_add(1, Ordering::Relaxed);
                    return Table(table.into_boxed_slice());
                }
            }
            Table(vec![T::default(); len].into_boxed_slice())
        }

        fn free_cell(&mut self, data: Table<T>) {
            if data.0.len() == TABLE_LEN {
                let any: Box<dyn Any> = Box::new(data.0.into_vec());
                if let Ok(table) = any.downcast::<Vec<u32>>() {
                    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
                    if pool.len() < POOL_CAP {
                        pool.push(*table);
                    }
                }
            }
        }
    }

    impl brotli::enc::BrotliAlloc for TablePool {}

    /// A pooled table as a `Vec<T>` when `T` is `u32` and the pool has one.
    fn take<T: 'static>() -> Option<Vec<T>> {
        if std::any::TypeId::of::<T>() != std::any::TypeId::of::<u32>() {
            return None;
        }
        let table = POOL.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
        let any: Box<dyn Any> = Box::new(table);
        any.downcast::<Vec<T>>().ok().map(|b| *b)
    }

    /// Test hook: overwrite every pooled table with pseudo-random words from `seed`, so tests
    /// can show that stale contents never reach the output.
    #[doc(hidden)]
    pub fn scramble(seed: u64) {
        let mut x = seed | 1;
        for table in POOL.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
            for word in table.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *word = (x >> 32) as u32;
            }
        }
    }

    /// Number of tables in the pool now (tests).
    #[doc(hidden)]
    pub fn pooled() -> usize {
        POOL.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// How many times a pooled table was handed out since the process started (tests).
    #[doc(hidden)]
    pub fn reuses() -> u64 {
        REUSES.load(Ordering::Relaxed)
    }
}
