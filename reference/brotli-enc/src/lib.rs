//! The reference's Brotli encoder call (`m2m_reference::wire::brotli::compress_raw`): the
//! brotli crate's encoder, with the pool of [`table_pool`] for its largest tables, whose output is
//! byte-identical to brotli's standard encoder.
//!
//! Why a crate of its own: the encoder is generic over its allocator, so all of its code is
//! compiled in the crate that names the allocator type. Here, that is this small crate and not
//! `m2m-reference`, so the fuzz build (`fuzz/Cargo.toml`) can stop tracing the comparisons of this
//! third-party encoder, which took most of the time of the Brotli round-trip targets, while the
//! reference's own code keeps full instrumentation. Nothing else differs from calling brotli
//! from the reference.

use std::io::Write as _;

/// Encoder buffer size upstream uses; it does not change the output bytes but is kept for
/// fidelity.
const BUFFER_SIZE: usize = 4096;

/// Compress `data` to a raw Brotli stream with the given quality and window, as one stream
/// without metadata blocks. [WIRE-BROTLI-003]
///
/// The encoder's largest tables are taken from a small pool instead of being zero-filled on
/// every call where that leaves the bytes unchanged: the 1 MiB match-hash table at quality 5
/// (the M2M v1 frame payload, FRAME-COMPRESS), and the hasher's buckets and 32 MiB binary-tree
/// forest at quality 10 and 11 (the `#M2M[v3.0]` text format) for inputs up to
/// [`table_pool::FOREST_INPUT_MAX`]; see [`table_pool`].
pub fn compress_raw(data: &[u8], quality: u32, lgwin: u32) -> Vec<u8> {
    let mut alloc = table_pool::TablePool::new(quality, lgwin, data.len());
    let buffer =
        <table_pool::TablePool as brotli::Allocator<u8>>::alloc_cell(&mut alloc, BUFFER_SIZE);
    let mut writer = brotli::enc::writer::CompressorWriterCustomAlloc::new(
        Vec::new(),
        buffer,
        alloc,
        quality,
        lgwin,
    );
    // Writing into a Vec cannot fail. No explicit flush: a flush would add an empty meta-block
    // and change the bytes; `into_inner` finishes the stream exactly as upstream does.
    writer
        .write_all(data)
        .expect("writing to a Vec never fails");
    writer.into_inner()
}

/// Test oracle: the same encode with brotli's own writer and standard allocator (every table
/// fresh and zero-filled), as the reference called it before the pool. It lives here so that
/// the encoder's generic code is compiled at this crate's optimisation level in tests too.
#[doc(hidden)]
pub fn compress_unpooled(data: &[u8], quality: u32, lgwin: u32) -> Vec<u8> {
    let mut writer = brotli::CompressorWriter::new(Vec::new(), BUFFER_SIZE, quality, lgwin);
    writer
        .write_all(data)
        .expect("writing to a Vec never fails");
    writer.into_inner()
}

pub mod table_pool {
    //! Reuse of the Brotli encoder's largest tables across encodes (issue 21, issue 22).
    //!
    //! The brotli crate allocates every table zero-filled. For three tables the zeroes are
    //! never read, and filling (or, under AddressSanitizer, mapping) them dominated short
    //! encodes:
    //!
    //! - **Quality 5, window above 16 bits** (the M2M v1 frame payload): the `H5`-style
    //!   match-hash table, `buckets`, 2^14 rows of 2^4 positions ([`BUCKETS_LEN`] `u32`,
    //!   1 MiB), about 40 % of a 100-byte frame encode. The encoder clears the row counters
    //!   (`num`, a separate table) itself before it hashes, stores a position in a row before
    //!   it raises that row's count, and reads a row only below its count: a reused table is
    //!   never read where it was not written during the same call.
    //! - **Quality 10 and 11** (the `#M2M[v3.0]` text format), the `H10` hasher's two tables,
    //!   about 80 % of a short quality-11 encode under AddressSanitizer:
    //!   - `buckets`, the tree roots ([`H10_BUCKETS_LEN`] `u32`, 512 KiB), which the encoder
    //!     fills with an invalid position right after allocating it;
    //!   - the binary-tree forest, two child links per window position (2 << lgwin `u32`,
    //!     32 MiB at window 22). Every tree is entered through `buckets`; a node's two links
    //!     are written when the node is inserted, before any search can reach it, and a search
    //!     walks only from a bucket through links so written. Only positions of the input are
    //!     ever inserted, so an input of n bytes touches the first 2n words; the pool is used
    //!     only for inputs up to [`FOREST_INPUT_MAX`] bytes, which keeps what a pooled forest
    //!     holds in resident memory at 1 MiB whatever it served before.
    //!
    //! The C library, the format's own encoder, relies on the same facts: it allocates these
    //! tables uninitialised.
    //!
    //! So [`TablePool`] hands out every table zero-filled, as the crate's standard allocator
    //! does, except the first `u32` table of each pooled length in one encode
    //! ([`pooled_lens`]), which it takes from a pool of at most [`POOL_CAP`] tables per length,
    //! unchanged, and gives back when the encoder frees that same table. Every other table,
    //! including any later one of the same length, is fresh: the crate's block splitter and
    //! histograms do rely on zero-filled memory (reusing those panics). The encoder sets its
    //! hasher up (buckets, then forest) before it allocates anything else of those sizes.
    //!
    //! `reference/tests/brotli_table_pool.rs` checks the claim: thousands of inputs encoded
    //! with pooled tables filled with random words give the bytes of a fresh encoder, and the
    //! side-by-side identity tests compare with upstream.

    use std::any::Any;
    use std::cell::Cell;
    use std::sync::Mutex;

    /// Length of the quality-5 match-hash table in `u32`s (2^14 buckets × 2^4 slots).
    pub const BUCKETS_LEN: usize = 1 << 18;
    /// Length of the quality-10/11 (`H10`) hasher's bucket table in `u32`s (2^17 tree roots).
    pub const H10_BUCKETS_LEN: usize = 1 << 17;
    /// Longest input whose quality-10/11 encode uses a pooled forest (it touches the forest's
    /// first 2 × this many words, 1 MiB).
    pub const FOREST_INPUT_MAX: usize = 128 * 1024;
    /// Tables of one length kept for reuse at most (one per concurrent encode beyond that is
    /// fresh).
    pub const POOL_CAP: usize = 4;
    /// Words of each pooled table [`scramble`] overwrites: all of a match-hash table, and
    /// every word of a forest that a pooled input can reach.
    const SCRAMBLE_WORDS: usize = 2 * FOREST_INPUT_MAX;

    static POOL: Mutex<Vec<Vec<u32>>> = Mutex::new(Vec::new());
    thread_local! {
        static REUSES: Cell<u64> = const { Cell::new(0) };
    }

    /// The lengths of the `u32` tables an encode with these parameters takes from the pool, in
    /// the order the encoder allocates them (empty: no pooling).
    pub fn pooled_lens(quality: u32, lgwin: u32, input_len: usize) -> Vec<usize> {
        if quality == 5 && lgwin > 16 {
            vec![BUCKETS_LEN]
        } else if quality >= 10 && input_len <= FOREST_INPUT_MAX {
            vec![H10_BUCKETS_LEN, 2 << lgwin]
        } else {
            Vec::new()
        }
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

    /// One encode's allocator: zero-filled tables, except the pooled ones (see the module
    /// docs). Not `Clone`: the tables it handed out are part of its state.
    #[derive(Debug)]
    pub struct TablePool {
        /// One slot per table to take from the pool: its length and where it is.
        slots: Vec<(usize, Handed)>,
    }

    /// A pooled table of one encode: not handed out yet, handed out (at this address), or
    /// already given back (no second one is handed out for that slot).
    #[derive(Debug, PartialEq)]
    enum Handed {
        No,
        At(usize),
        Back,
    }

    impl TablePool {
        /// The allocator for one encode with these parameters ([`pooled_lens`]).
        pub fn new(quality: u32, lgwin: u32, input_len: usize) -> Self {
            let lens = pooled_lens(quality, lgwin, input_len);
            TablePool {
                slots: lens.into_iter().map(|len| (len, Handed::No)).collect(),
            }
        }
    }

    impl<T: Clone + Default + 'static> brotli::Allocator<T> for TablePool {
        type AllocatedMemory = Table<T>;

        fn alloc_cell(&mut self, len: usize) -> Table<T> {
            let slot = is_u32::<T>()
                .then(|| {
                    self.slots
                        .iter_mut()
                        .find(|(l, h)| *l == len && *h == Handed::No)
                })
                .flatten();
            let Some((_, handed)) = slot else {
                return Table(vec![T::default(); len].into_boxed_slice());
            };
            let table = match take::<T>(len) {
                Some(table) => {
                    REUSES.with(|n| n.set(n.get() + 1));
                    table.into_boxed_slice()
                }
                None => vec![T::default(); len].into_boxed_slice(),
            };
            *handed = Handed::At(table.as_ptr() as usize);
            Table(table)
        }

        fn free_cell(&mut self, data: Table<T>) {
            if data.0.is_empty() {
                return;
            }
            let at = Handed::At(data.0.as_ptr() as usize);
            let Some((_, handed)) = self.slots.iter_mut().find(|(_, h)| *h == at) else {
                return;
            };
            *handed = Handed::Back;
            let any: Box<dyn Any> = Box::new(data.0.into_vec());
            if let Ok(table) = any.downcast::<Vec<u32>>() {
                let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
                if pool.iter().filter(|t| t.len() == table.len()).count() < POOL_CAP {
                    pool.push(*table);
                }
            }
        }
    }

    impl brotli::enc::BrotliAlloc for TablePool {}

    fn is_u32<T: 'static>() -> bool {
        std::any::TypeId::of::<T>() == std::any::TypeId::of::<u32>()
    }

    /// A pooled table of `len` words as a `Vec<T>` when `T` is `u32` and the pool has one.
    fn take<T: 'static>(len: usize) -> Option<Vec<T>> {
        let table = {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            let at = pool.iter().rposition(|t| t.len() == len)?;
            pool.swap_remove(at)
        };
        let any: Box<dyn Any> = Box::new(table);
        any.downcast::<Vec<T>>().ok().map(|b| *b)
    }

    /// Test hook: overwrite the pooled table of each length in `lens` that the next encode
    /// takes (its first words that an encode can reach) with pseudo-random words from `seed`,
    /// so tests can show that stale contents never reach the output.
    #[doc(hidden)]
    pub fn scramble(seed: u64, lens: &[usize]) {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        for &len in lens {
            let Some(table) = pool.iter_mut().rev().find(|t| t.len() == len) else {
                continue;
            };
            // A multiplicative hash of (seed, index): arbitrary words, cheap to write.
            for (i, word) in table.iter_mut().take(SCRAMBLE_WORDS).enumerate() {
                let z = (i as u64 ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                *word = (z >> 29) as u32;
            }
        }
    }

    /// Number of tables of `len` words in the pool now (tests).
    #[doc(hidden)]
    pub fn pooled(len: usize) -> usize {
        let pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        pool.iter().filter(|t| t.len() == len).count()
    }

    /// How many times a pooled table was handed out on this thread (tests).
    #[doc(hidden)]
    pub fn reuses() -> u64 {
        REUSES.with(Cell::get)
    }
}
