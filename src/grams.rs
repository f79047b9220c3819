//! Word n-grams as integers: words get ids, and an n-gram is the pair (id of its first n − 1 words, id of
//! its last word). The vectorizer looks n-grams up by these pairs instead of building and hashing joined
//! strings, which is most of what made transforming slow.
//!
//! A word n-gram term is its words joined by single spaces. Joining is one-to-one as long as no word is
//! empty or holds a space, and then looking up (pair of ids) and looking up (joined string) find the same
//! term. Segmentation can produce such a word (a space followed by a combining mark is one UAX #29 word)
//! and so can a stemmer; callers check [`safe_word`] and take the string path for those rare texts.

use crate::analyzer::hash_str;
use std::sync::atomic::{AtomicU64, Ordering};

/// No id: a word or n-gram that is not in the index.
pub(crate) const NONE: u32 = u32::MAX;

/// Whether `word` can take part in integer n-gram keys: not empty, no space, and no `#` (which would let
/// a word term look like a character n-gram).
#[inline]
pub(crate) fn safe_word(word: &str) -> bool {
    !word.is_empty() && !word.bytes().any(|b| b == b' ' || b == b'#')
}

/// Strings to dense ids: one text arena, and an open-addressing index. A string of at most 8 bytes
/// (most words) is held in its slot itself, packed into an integer, so that finding it reads one slot
/// and no text; a longer one is found by its 64-bit hash and then compared with the arena's text.
#[derive(Clone, Default, Debug)]
pub(crate) struct StrTable {
    text: String,
    ends: Vec<u32>,
    slots: Vec<Slot>,
    // 64 − log2(slots.len()): a key's home slot is the top bits of its multiplied key.
    shift: u32,
}

/// `key`: the packed bytes of a short string or the hash of a long one; `tag`: the length of a short
/// string, [`LONG`], or [`FREE`] for an empty slot.
#[derive(Clone, Copy, Debug)]
struct Slot {
    key: u64,
    tag: u32,
    id: u32,
}

const FREE: u32 = u32::MAX;
const LONG: u32 = 9;
const FREE_SLOT: Slot = Slot {
    key: 0,
    tag: FREE,
    id: 0,
};

/// The (key, tag) of a string: its bytes as a little-endian integer (zero-padded) and its length if
/// it has at most 8 bytes, else its [`hash_str`] and [`LONG`].
#[inline]
fn str_key(s: &str) -> (u64, u32) {
    let b = s.as_bytes();
    let n = b.len();
    let key = match n {
        0 => 0,
        1..=3 => {
            // The middle byte lands on the first or the last for n < 3; or-ing equal bytes is harmless.
            b[0] as u64 | (b[n / 2] as u64) << (8 * (n / 2)) | (b[n - 1] as u64) << (8 * (n - 1))
        }
        4..=8 => {
            let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
            let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]) as u64;
            lo | hi << (8 * (n - 4))
        }
        _ => return (hash_str(s), LONG),
    };
    (key, n as u32)
}

impl StrTable {
    /// An empty table that holds `n` strings without growing its index.
    pub(crate) fn with_capacity(n: usize) -> StrTable {
        let size = (n * 2).max(64).next_power_of_two();
        StrTable {
            slots: vec![FREE_SLOT; size],
            shift: 64 - size.trailing_zeros(),
            ..StrTable::default()
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Bytes of text held.
    #[inline]
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    #[inline]
    pub(crate) fn get_str(&self, id: u32) -> &str {
        let id = id as usize;
        let start = if id == 0 {
            0
        } else {
            self.ends[id - 1] as usize
        };
        &self.text[start..self.ends[id] as usize]
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.slots.iter_mut().for_each(|s| *s = FREE_SLOT);
    }

    #[inline]
    fn home(&self, key: u64, tag: u32) -> usize {
        ((key ^ tag as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The id of `s` (whose [`str_key`] is `(key, tag)`), or the slot where it would go.
    #[inline]
    fn find(&self, s: &str, key: u64, tag: u32) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key, tag);
        loop {
            let entry = self.slots[slot];
            if entry.tag == FREE {
                return Err(slot);
            }
            if entry.key == key && entry.tag == tag && (tag != LONG || self.get_str(entry.id) == s)
            {
                return Ok(entry.id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// [`Self::find`] for a short string (tag below [`LONG`]), which its key identifies.
    #[inline]
    fn find_short(&self, key: u64, tag: u32) -> Result<u32, usize> {
        debug_assert!(tag < LONG);
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key, tag);
        loop {
            let entry = self.slots[slot];
            if entry.tag == FREE {
                return Err(slot);
            }
            if entry.key == key && entry.tag == tag {
                return Ok(entry.id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Adds `s` (with key `(key, tag)`) in the free slot `slot` that [`Self::find`] gave.
    #[inline]
    fn insert_at(&mut self, slot: usize, s: &str, (key, tag): (u64, u32)) -> u32 {
        let id = self.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        self.slots[slot] = Slot { key, tag, id };
        id
    }

    #[inline]
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.get_keyed(s, str_key(s))
    }

    /// [`Self::get`] with `s`'s [`str_key`] given.
    #[inline]
    fn get_keyed(&self, s: &str, (key, tag): (u64, u32)) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(s, key, tag).ok()
    }

    /// Loads the home slot of a key: a hint that lets several look-ups' cache misses overlap.
    #[inline]
    fn touch(&self, (key, tag): (u64, u32)) -> u64 {
        match self.slots.is_empty() {
            true => 0,
            false => self.slots[self.home(key, tag)].key,
        }
    }

    /// The id of `s`, added if new.
    #[inline]
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        self.intern_keyed(s, str_key(s))
    }

    /// [`Self::intern`] with `s`'s [`str_key`] given.
    #[inline]
    fn intern_keyed(&mut self, s: &str, (key, tag): (u64, u32)) -> u32 {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        match self.find(s, key, tag) {
            Ok(id) => id,
            Err(slot) => {
                let id = self.len() as u32;
                self.text.push_str(s);
                self.ends.push(self.text.len() as u32);
                self.slots[slot] = Slot { key, tag, id };
                id
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        assert!(size <= 1 << 32, "more than 2^31 distinct strings");
        let old = std::mem::replace(&mut self.slots, vec![FREE_SLOT; size]);
        self.shift = 64 - size.trailing_zeros();
        for entry in old.into_iter().filter(|e| e.tag != FREE) {
            let mut slot = self.home(entry.key, entry.tag);
            while self.slots[slot].tag != FREE {
                slot = (slot + 1) & (size - 1);
            }
            self.slots[slot] = entry;
        }
    }
}

const EMPTY: u64 = u64::MAX;

/// A slot of a [`PairTable`]: (key, id), 12 bytes rather than the 16 of an aligned pair, so that more
/// slots fit in the cache.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(4))]
struct PairSlot(u64, u32);

/// Pairs of ids to dense ids, in order of first insertion.
#[derive(Clone, Default, Debug)]
pub(crate) struct PairTable {
    // (key, id); key EMPTY marks a free slot (never a real key: ids are below NONE).
    slots: Vec<PairSlot>,
    keys: Vec<u64>,
    shift: u32,
}

#[inline]
pub(crate) fn pair(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

#[inline]
fn pair_hash(key: u64) -> u64 {
    let h = (key ^ (key >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

impl PairTable {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The key of id `id`.
    #[inline]
    pub(crate) fn key(&self, id: u32) -> u64 {
        self.keys[id as usize]
    }

    /// An empty table that holds `n` keys without growing.
    pub(crate) fn with_capacity(n: usize) -> PairTable {
        let size = (n * 2).max(64).next_power_of_two();
        PairTable {
            slots: vec![PairSlot(EMPTY, 0); size],
            keys: Vec::with_capacity(n),
            shift: 64 - size.trailing_zeros(),
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (pair_hash(key).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// Loads the home slot of `key`: a hint that lets several look-ups' cache misses overlap.
    #[inline]
    pub(crate) fn touch(&self, key: u64) -> u64 {
        if self.slots.is_empty() {
            0
        } else {
            self.slots[self.home(key)].0
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: u64) -> u32 {
        if self.slots.is_empty() {
            return NONE;
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key);
        loop {
            let PairSlot(k, id) = self.slots[slot];
            if k == key {
                return id;
            }
            if k == EMPTY {
                return NONE;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The id of `key`, added if new.
    #[inline]
    pub(crate) fn intern(&mut self, key: u64) -> u32 {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key);
        loop {
            let PairSlot(k, id) = self.slots[slot];
            if k == key {
                return id;
            }
            if k == EMPTY {
                let id = self.keys.len() as u32;
                self.slots[slot] = PairSlot(key, id);
                self.keys.push(key);
                return id;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The ids of `keys`, each added if new, pushed onto `out` in order: the same ids as calling
    /// [`Self::intern`] on each in turn. The home slots of a block of keys are loaded before any is
    /// interned, so that their cache misses overlap instead of coming one after another.
    pub(crate) fn intern_all(&mut self, keys: &[u64], out: &mut Vec<u32>) {
        const BLOCK: usize = 16;
        out.reserve(keys.len());
        for block in keys.chunks(BLOCK) {
            // Grown first, so that the slots touched are those the keys will be interned in.
            while (self.len() + block.len()) * 2 > self.slots.len() {
                self.grow();
            }
            std::hint::black_box(block.iter().fold(0, |acc, &k| acc ^ self.touch(k)));
            out.extend(block.iter().map(|&k| self.intern(k)));
        }
    }

    /// Empties the table, keeping its allocations for the keys to come.
    pub(crate) fn clear(&mut self) {
        if !self.keys.is_empty() {
            self.slots.fill(PairSlot(EMPTY, 0));
            self.keys.clear();
        }
    }

    /// The keys, by id.
    pub(crate) fn keys(&self) -> &[u64] {
        &self.keys
    }

    /// Replaces the id stored with every key by `f(id)`; [`Self::get`] then returns those values.
    /// [`Self::intern`], [`Self::len`] and [`Self::key`] keep their meaning only where `f` is the identity.
    pub(crate) fn map_ids(&mut self, f: impl Fn(u32) -> u32) {
        for slot in self.slots.iter_mut().filter(|s| { s.0 } != EMPTY) {
            slot.1 = f(slot.1);
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        self.shift = 64 - size.trailing_zeros();
        let old = std::mem::replace(&mut self.slots, vec![PairSlot(EMPTY, 0); size]);
        // In the order of the old slots: a key's home is the top bits of its hash, so doubling the table
        // sends the keys of old slot i to new slots from 2i on, and the new table is written front to
        // back rather than at random.
        for PairSlot(key, id) in old.into_iter().filter(|s| { s.0 } != EMPTY) {
            let mut slot = self.home(key);
            while { self.slots[slot].0 } != EMPTY {
                slot = (slot + 1) & (size - 1);
            }
            self.slots[slot] = PairSlot(key, id);
        }
    }
}

/// The word n-gram terms of a vocabulary, by integer keys: words to ids, a word to its unigram term, and
/// for n ≥ 2 an n-gram node (its (n − 1)-gram node, its last word) to the n-gram's term. Nodes exist for
/// every prefix of a term, whether or not the prefix is a term itself.
#[derive(Clone, Debug)]
pub(crate) struct WordIndex {
    /// Distinguishes indexes, so that a per-thread cache of word ids knows which index it belongs to.
    pub(crate) serial: u64,
    words: StrTable,
    unigram: Vec<u32>,
    levels: Vec<Level>,
}

#[derive(Clone, Debug, Default)]
struct Level {
    nodes: PairTable,
    terms: Vec<u32>,
    // The last level: every node is a term, and `nodes` gives term ids instead of node ids (one
    // look-up fewer per n-gram).
    direct: bool,
}

static SERIAL: AtomicU64 = AtomicU64::new(0);

impl WordIndex {
    /// Indexes the terms `term(0)`, …, `term(n_terms - 1)` that are word n-grams of at most `max_n` safe
    /// words. Others (character n-grams, and terms only a string look-up can find) are left out.
    pub(crate) fn build<'a>(
        n_terms: usize,
        term: impl Fn(u32) -> &'a str,
        max_n: usize,
    ) -> WordIndex {
        // The indexable terms and their words, in order. Words and nodes are then interned level by
        // level, a block of keys at a time (`intern_all`), so that the cache misses of a block's
        // look-ups overlap: each look-up in these tables, larger than the caches, is a miss.
        let mut ids: Vec<u32> = Vec::with_capacity(n_terms);
        let mut lens: Vec<u8> = Vec::with_capacity(n_terms);
        let mut tokens = Tokens::default();
        let mut pieces: Vec<&str> = Vec::with_capacity(max_n + 1);
        for id in 0..n_terms as u32 {
            let t = term(id);
            if t.bytes().any(|b| b == b'#') {
                continue;
            }
            pieces.clear();
            pieces.extend(t.split(' ').take(max_n + 1));
            if pieces.len() > max_n || pieces.iter().any(|p| p.is_empty()) {
                continue;
            }
            ids.push(id);
            lens.push(pieces.len() as u8);
            pieces.iter().for_each(|p| tokens.push(p));
        }
        // Each table sized once: level k holds at most a node per term of more than k + 1 words, and there
        // are at least as many words as one-word terms.
        let longer_than = |k: usize| lens.iter().filter(|&&n| n as usize > k).count();
        let mut index = WordIndex {
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
            words: StrTable::with_capacity((ids.len() - longer_than(1)).max(n_terms / 4)),
            unigram: Vec::new(),
            levels: (1..max_n)
                .map(|k| Level {
                    nodes: PairTable::with_capacity(longer_than(k)),
                    ..Level::default()
                })
                .collect(),
        };
        let mut words = Vec::with_capacity(tokens.keys.len());
        index.words.intern_all(&tokens, &mut words);
        drop(tokens);
        index.unigram = vec![NONE; index.words.len()];
        // Per indexable term, the offset of its first word in `words`.
        let starts: Vec<usize> = lens
            .iter()
            .scan(0, |at, &n| {
                let start = *at;
                *at += n as usize;
                Some(start)
            })
            .collect();
        // The terms of more than k words (indices into `ids`), and the node of their first k + 1 words.
        let mut longer: Vec<usize> = (0..ids.len()).collect();
        let mut nodes: Vec<u32> = starts.iter().map(|&start| words[start]).collect();
        for k in 0..max_n {
            if k > 0 {
                let prefixes = std::mem::take(&mut longer);
                let mut keys = Vec::with_capacity(prefixes.len());
                for (&i, &prefix) in prefixes.iter().zip(&nodes) {
                    if lens[i] as usize > k {
                        longer.push(i);
                        keys.push(pair(prefix, words[starts[i] + k]));
                    }
                }
                let level = &mut index.levels[k - 1];
                nodes.clear();
                level.nodes.intern_all(&keys, &mut nodes);
                level.terms = vec![NONE; level.nodes.len()];
            }
            // Terms of exactly k + 1 words are these nodes.
            for (&i, &node) in longer.iter().zip(&nodes) {
                if lens[i] as usize == k + 1 {
                    match k {
                        0 => index.unigram[node as usize] = ids[i],
                        _ => index.levels[k - 1].terms[node as usize] = ids[i],
                    }
                }
            }
        }
        // Nodes of the last level exist only for terms of `max_n` words.
        if let Some(last) = index.levels.last_mut() {
            let terms = std::mem::take(&mut last.terms);
            debug_assert!(terms.iter().all(|&t| t != NONE));
            last.nodes.map_ids(|node| terms[node as usize]);
            last.direct = true;
        }
        index
    }

    /// The term id of word `word` alone, or [`NONE`] (also for `word` NONE or UNSAFE).
    #[inline]
    pub(crate) fn unigram(&self, word: u32) -> u32 {
        self.unigram.get(word as usize).copied().unwrap_or(NONE)
    }

    /// The id of a (safe) word, or [`NONE`].
    #[inline]
    pub(crate) fn word(&self, word: &str) -> u32 {
        self.words.get(word).unwrap_or(NONE)
    }

    /// Pushes onto `out` the term of every word n-gram of `words` (ids from [`WordIndex::word`]) that is
    /// in the index, for n = 2..=`max_n` (unigrams: [`WordIndex::unigram`]). `nodes` is a buffer.
    pub(crate) fn ngram_terms(
        &self,
        words: &[u32],
        max_n: usize,
        nodes: &mut Vec<u32>,
        out: &mut Vec<u32>,
    ) {
        nodes.clear();
        nodes.extend_from_slice(words);
        for (k, level) in self.levels.iter().enumerate().take(max_n.saturating_sub(1)) {
            // nodes[i] is the node of the (k + 1)-gram starting at word i; extend it by word i + k + 1.
            let n = nodes.len().saturating_sub(1);
            let mut sink = 0;
            for i in 0..n {
                sink ^= level.nodes.touch(pair(nodes[i], words[i + k + 1]));
            }
            std::hint::black_box(sink);
            let get = |prefix: u32, w: u32| {
                if prefix == NONE || w == NONE {
                    NONE
                } else {
                    level.nodes.get(pair(prefix, w))
                }
            };
            if level.direct {
                out.extend(
                    (0..n)
                        .map(|i| get(nodes[i], words[i + k + 1]))
                        .filter(|&t| t != NONE),
                );
                break;
            }
            let mut any = false;
            for i in 0..n {
                nodes[i] = get(nodes[i], words[i + k + 1]);
                if nodes[i] != NONE {
                    any = true;
                    let t = level.terms[nodes[i] as usize];
                    if t != NONE {
                        out.push(t);
                    }
                }
            }
            nodes.truncate(n);
            if !any {
                break;
            }
        }
    }
}

/// A per-thread cache from tokens (stages 1–3 of the analyzer) to their stem's id in one [`WordIndex`],
/// so that a token seen before costs one look-up and no stemming.
#[derive(Default, Debug)]
pub(crate) struct TokenCache {
    serial: Option<u64>,
    tokens: StrTable,
    // By token id: word id, NONE (not in the index) or UNSAFE (the stem is not a safe word), and the
    // word's unigram term or NONE; kept together so that a hit reads one entry.
    words: Vec<(u32, u32)>,
}

/// A document's tokens with their [`str_key`]s, so that their look-ups can be made in blocks whose
/// cache misses overlap. A token of at most 8 bytes is its key; only longer ones are copied.
#[derive(Default, Debug)]
pub(crate) struct Tokens {
    // The long tokens, and the end of the text after each token.
    text: String,
    ends: Vec<usize>,
    keys: Vec<(u64, u32)>,
}

impl Tokens {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.keys.clear();
    }

    #[inline]
    pub(crate) fn push(&mut self, token: &str) {
        let key = str_key(token);
        if key.1 == LONG {
            self.text.push_str(token);
        }
        self.ends.push(self.text.len());
        self.keys.push(key);
    }

    /// Token `i`, unpacked into `buf` if it is short.
    #[inline]
    fn get<'a>(&'a self, i: usize, buf: &'a mut [u8; 8]) -> &'a str {
        let (key, tag) = self.keys[i];
        if tag == LONG {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            return &self.text[start..self.ends[i]];
        }
        *buf = key.to_le_bytes();
        std::str::from_utf8(&buf[..tag as usize]).expect("a short key holds its token's bytes")
    }
}

// Tokens whose home slots are loaded together.
const BLOCK: usize = 16;

impl StrTable {
    /// The ids of `tokens`, each added if new, pushed onto `out` in order (the ids [`Self::intern`]
    /// gives them one by one).
    pub(crate) fn intern_all(&mut self, tokens: &Tokens, out: &mut Vec<u32>) {
        for start in (0..tokens.keys.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(tokens.keys.len());
            while (self.len() + end - start) * 2 > self.slots.len() {
                self.grow();
            }
            let keys = &tokens.keys[start..end];
            std::hint::black_box(keys.iter().fold(0, |acc, &k| acc ^ self.touch(k)));
            let mut buf = [0; 8];
            for (i, &key) in (start..end).zip(keys) {
                // A short token is found by its key alone; its text is needed only to add it.
                let id = match key.1 < LONG {
                    true => match self.find_short(key.0, key.1) {
                        Ok(id) => id,
                        Err(slot) => self.insert_at(slot, tokens.get(i, &mut buf), key),
                    },
                    false => self.intern_keyed(tokens.get(i, &mut buf), key),
                };
                out.push(id);
            }
        }
    }
}

/// The stem of a token is not a [`safe_word`].
pub(crate) const UNSAFE: u32 = u32::MAX - 1;

// The cache is cleared at this many tokens or bytes of token text, bounding memory on open-ended input.
const CACHE_TOKENS: usize = 1 << 18;
const CACHE_BYTES: usize = 4 << 20;
// Longer tokens (base64 blobs, URLs run together) rarely repeat: not cached.
const CACHE_MAX_TOKEN: usize = 48;

impl TokenCache {
    /// [`Self::word`] for each of `tokens` in order, passed to `each`; the look-ups are made in blocks
    /// whose home slots are loaded first.
    pub(crate) fn words(
        &mut self,
        index: &WordIndex,
        tokens: &Tokens,
        mut stem: impl FnMut(&str) -> u32,
        mut each: impl FnMut((u32, u32)),
    ) {
        for start in (0..tokens.keys.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(tokens.keys.len());
            if self.serial == Some(index.serial) {
                let keys = &tokens.keys[start..end];
                std::hint::black_box(keys.iter().fold(0, |acc, &k| acc ^ self.tokens.touch(k)));
            }
            let mut buf = [0; 8];
            for (i, &key) in (start..end).zip(&tokens.keys[start..end]) {
                // A short token seen before is found by its key alone.
                if key.1 < LONG
                    && self.serial == Some(index.serial)
                    && !self.tokens.slots.is_empty()
                    && let Ok(id) = self.tokens.find_short(key.0, key.1)
                {
                    each(self.words[id as usize]);
                    continue;
                }
                each(self.word_keyed(index, tokens.get(i, &mut buf), key, &mut stem));
            }
        }
    }

    /// The word id of `token` (whose [`str_key`] is `key`) in `index` ([`NONE`] or [`UNSAFE`]
    /// included) and the term id of that word alone ([`NONE`] if it is not a term), computing its
    /// stem with `stem` on a miss.
    #[inline]
    fn word_keyed(
        &mut self,
        index: &WordIndex,
        token: &str,
        key: (u64, u32),
        stem: &mut impl FnMut(&str) -> u32,
    ) -> (u32, u32) {
        if self.serial != Some(index.serial) {
            self.tokens.clear();
            self.words.clear();
            self.serial = Some(index.serial);
        }
        if token.len() > CACHE_MAX_TOKEN {
            let word = stem(token);
            return (word, index.unigram(word));
        }
        if let Some(id) = self.tokens.get_keyed(token, key) {
            return self.words[id as usize];
        }
        if self.tokens.len() >= CACHE_TOKENS || self.tokens.text_len() >= CACHE_BYTES {
            self.tokens.clear();
            self.words.clear();
        }
        let word = stem(token);
        let entry = (word, index.unigram(word));
        self.tokens.intern_keyed(token, key);
        self.words.push(entry);
        entry
    }
}
