//! English stemming (Snowball's English algorithm, "Porter2") for short ASCII words, giving exactly what
//! rust-stemmers' `Algorithm::English` gives, several times faster: it works in place on a stack
//! buffer, tests letters with `match`, and finds suffixes by direct comparison instead of Snowball's
//! general `among` tables. Other words (non-ASCII, upper-case letters, over [`MAX_LEN`] bytes) are left
//! to rust-stemmers by the caller.
//!
//! The steps follow the Snowball source of the algorithm (snowball.tartarus.org, `english.sbl`, the
//! version with the `gener`/`commun`/`arsen` prefixes that rust-stemmers 1.2 compiles); the comments
//! name its routines. Every byte that is not a vowel (`aeiouy`) counts as a consonant, as in Snowball.
//! `examples/stem_check.rs` compares both stemmers on every distinct token of the corpora, and a unit
//! test compares them on generated words.

use std::borrow::Cow;

/// Longest word stemmed here.
pub(crate) const MAX_LEN: usize = 48;

#[inline]
fn is_v(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

#[inline]
fn is_v_wxy(c: u8) -> bool {
    is_v(c) || matches!(c, b'w' | b'x' | b'Y')
}

#[inline]
fn valid_li(c: u8) -> bool {
    matches!(
        c,
        b'c' | b'd' | b'e' | b'g' | b'h' | b'k' | b'm' | b'n' | b'r' | b't'
    )
}

struct Word {
    b: [u8; MAX_LEN],
    n: usize,
    p1: usize,
    p2: usize,
}

impl Word {
    #[inline]
    fn ends(&self, suffix: &[u8]) -> bool {
        self.b[..self.n].ends_with(suffix)
    }

    /// Replaces the last `len` bytes with `by`.
    #[inline]
    fn replace(&mut self, len: usize, by: &[u8]) {
        let at = self.n - len;
        self.b[at..at + by.len()].copy_from_slice(by);
        self.n = at + by.len();
    }

    #[inline]
    fn push(&mut self, c: u8) {
        self.b[self.n] = c;
        self.n += 1;
    }

    /// Snowball's `shortv` with the cursor at `c`: the bytes before `c` end in a short syllable.
    #[inline]
    fn shortv(&self, c: usize) -> bool {
        let b = &self.b;
        (c >= 3 && !is_v_wxy(b[c - 1]) && is_v(b[c - 2]) && !is_v(b[c - 3]))
            || (c == 2 && !is_v(b[1]) && is_v(b[0]))
    }

    /// `gopast v gopast non-v` from `from`: the position after the first non-vowel that follows a vowel.
    fn region(&self, from: usize) -> Option<usize> {
        let b = &self.b[..self.n];
        let v = from + b[from..].iter().position(|&c| is_v(c))?;
        let c = v + 1 + b[v + 1..].iter().position(|&c| !is_v(c))?;
        Some(c + 1)
    }

    /// The first suffix of `suffixes` (ordered longest first) that the word ends with, and its index.
    #[inline]
    fn among(&self, suffixes: &[&[u8]]) -> Option<(usize, usize)> {
        suffixes
            .iter()
            .position(|s| self.ends(s))
            .map(|i| (i, suffixes[i].len()))
    }
}

/// The stem of `word` if this module handles it (ASCII without upper-case letters, at most [`MAX_LEN`]
/// bytes), borrowed when unchanged; `None` otherwise.
pub(crate) fn stem(word: &str) -> Option<Cow<'_, str>> {
    let bytes = word.as_bytes();
    if bytes.len() > MAX_LEN
        || !bytes
            .iter()
            .all(|&c| c.is_ascii() && !c.is_ascii_uppercase())
    {
        return None;
    }
    if let Some(out) = exception1(bytes) {
        return Some(match out {
            Some(s) => Cow::Owned(s.to_owned()),
            None => Cow::Borrowed(word),
        });
    }
    // `not hop 3`: shorter words are left alone.
    if bytes.len() < 3 {
        return Some(Cow::Borrowed(word));
    }
    let mut w = Word {
        b: [0; MAX_LEN],
        n: 0,
        p1: 0,
        p2: 0,
    };
    // prelude: an initial apostrophe goes; y at the start or after a vowel becomes Y.
    let body = bytes.strip_prefix(b"'").unwrap_or(bytes);
    w.b[..body.len()].copy_from_slice(body);
    w.n = body.len();
    let mut y_found = false;
    if w.n > 0 && w.b[0] == b'y' {
        w.b[0] = b'Y';
        y_found = true;
    }
    for i in 1..w.n {
        if w.b[i] == b'y' && is_v(w.b[i - 1]) {
            w.b[i] = b'Y';
            y_found = true;
        }
    }
    // mark_regions
    w.p1 = w.n;
    w.p2 = w.n;
    let start = [&b"gener"[..], b"commun", b"arsen"]
        .iter()
        .find(|p| w.b[..w.n].starts_with(p))
        .map(|p| p.len())
        .or_else(|| w.region(0));
    if let Some(p1) = start {
        w.p1 = p1;
        if let Some(p2) = w.region(p1) {
            w.p2 = p2;
        }
    }

    step_1a(&mut w);
    if !exception2(&w.b[..w.n]) {
        step_1b(&mut w);
        step_1c(&mut w);
        step_2(&mut w);
        step_3(&mut w);
        step_4(&mut w);
        step_5(&mut w);
    }
    // postlude
    if y_found {
        w.b[..w.n].iter_mut().for_each(|c| {
            if *c == b'Y' {
                *c = b'y';
            }
        });
    }
    let out = &w.b[..w.n];
    Some(if out == bytes {
        Cow::Borrowed(word)
    } else {
        // Only ASCII bytes were written.
        Cow::Owned(String::from_utf8(out.to_vec()).expect("ASCII"))
    })
}

/// Words with a fixed stem: `Some(Some(stem))`, `Some(None)` for a word left as it is.
fn exception1(word: &[u8]) -> Option<Option<&'static str>> {
    Some(match word {
        b"skis" => Some("ski"),
        b"skies" => Some("sky"),
        b"dying" => Some("die"),
        b"lying" => Some("lie"),
        b"tying" => Some("tie"),
        b"idly" => Some("idl"),
        b"gently" => Some("gentl"),
        b"ugly" => Some("ugli"),
        b"early" => Some("earli"),
        b"only" => Some("onli"),
        b"singly" => Some("singl"),
        b"sky" | b"news" | b"howe" | b"atlas" | b"cosmos" | b"bias" | b"andes" => None,
        _ => return None,
    })
}

fn exception2(word: &[u8]) -> bool {
    matches!(
        word,
        b"inning"
            | b"outing"
            | b"canning"
            | b"herring"
            | b"earring"
            | b"proceed"
            | b"exceed"
            | b"succeed"
    )
}

fn step_1a(w: &mut Word) {
    if let Some((_, len)) = w.among(&[b"'s'", b"'s", b"'"]) {
        w.n -= len;
    }
    match w.among(&[b"sses", b"ied", b"ies", b"ss", b"us", b"s"]) {
        Some((0, len)) => w.replace(len, b"ss"),
        Some((1 | 2, len)) => {
            if w.n - len >= 2 {
                w.replace(len, b"i")
            } else {
                w.replace(len, b"ie")
            }
        }
        Some((5, _)) => {
            // `next gopast v`: a vowel before the letter that precedes the s.
            let bra = w.n - 1;
            if bra >= 1 && w.b[..bra - 1].iter().any(|&c| is_v(c)) {
                w.n = bra;
            }
        }
        _ => {}
    }
}

fn step_1b(w: &mut Word) {
    let Some((i, len)) = w.among(&[b"eedly", b"ingly", b"edly", b"eed", b"ing", b"ed"]) else {
        return;
    };
    let bra = w.n - len;
    if i == 0 || i == 3 {
        if w.p1 <= bra {
            w.replace(len, b"ee");
        }
        return;
    }
    if !w.b[..bra].iter().any(|&c| is_v(c)) {
        return;
    }
    w.n = bra;
    if w.ends(b"at") || w.ends(b"bl") || w.ends(b"iz") {
        w.push(b'e');
    } else if w.n >= 2
        && w.b[w.n - 1] == w.b[w.n - 2]
        && matches!(
            w.b[w.n - 1],
            b'b' | b'd' | b'f' | b'g' | b'm' | b'n' | b'p' | b'r' | b't'
        )
    {
        w.n -= 1;
    } else if w.n == w.p1 && w.shortv(w.n) {
        w.push(b'e');
    }
}

fn step_1c(w: &mut Word) {
    let n = w.n;
    if n >= 3 && matches!(w.b[n - 1], b'y' | b'Y') && !is_v(w.b[n - 2]) {
        w.b[n - 1] = b'i';
    }
}

const STEP_2: [&[u8]; 24] = [
    b"ational", b"ization", b"iveness", b"fulness", b"ousness", // 7
    b"tional", b"biliti", b"lessli", // 6
    b"entli", b"ousli", b"fulli", b"aliti", b"iviti", b"alism", b"ation", // 5
    b"anci", b"enci", b"abli", b"alli", b"izer", b"ator", // 4
    b"ogi", b"bli", // 3
    b"li",  // 2
];

fn step_2(w: &mut Word) {
    let Some((i, len)) = w.among(&STEP_2) else {
        return;
    };
    let bra = w.n - len;
    if bra < w.p1 {
        return;
    }
    let by: &[u8] = match STEP_2[i] {
        b"tional" => b"tion",
        b"enci" => b"ence",
        b"anci" => b"ance",
        b"abli" => b"able",
        b"entli" => b"ent",
        b"izer" | b"ization" => b"ize",
        b"ational" | b"ation" | b"ator" => b"ate",
        b"alism" | b"aliti" | b"alli" => b"al",
        b"fulness" | b"fulli" => b"ful",
        b"ousli" | b"ousness" => b"ous",
        b"iveness" | b"iviti" => b"ive",
        b"biliti" | b"bli" => b"ble",
        b"lessli" => b"less",
        b"ogi" => {
            if bra >= 1 && w.b[bra - 1] == b'l' {
                w.replace(len, b"og");
            }
            return;
        }
        _ => {
            // li
            if bra >= 1 && valid_li(w.b[bra - 1]) {
                w.n = bra;
            }
            return;
        }
    };
    w.replace(len, by);
}

fn step_3(w: &mut Word) {
    let Some((i, len)) = w.among(&[
        b"ational", b"tional", b"alize", b"icate", b"iciti", b"ative", b"ical", b"ness", b"ful",
    ]) else {
        return;
    };
    let bra = w.n - len;
    if bra < w.p1 {
        return;
    }
    match i {
        0 => w.replace(len, b"ate"),
        1 => w.replace(len, b"tion"),
        2 => w.replace(len, b"al"),
        3 | 4 | 6 => w.replace(len, b"ic"),
        5 => {
            if bra >= w.p2 {
                w.n = bra;
            }
        }
        _ => w.n = bra,
    }
}

fn step_4(w: &mut Word) {
    let Some((i, len)) = w.among(&[
        b"ement", b"ance", b"ence", b"able", b"ible", b"ment", b"ate", b"ive", b"ize", b"iti",
        b"ism", b"ion", b"ous", b"ant", b"ent", b"ic", b"al", b"er",
    ]) else {
        return;
    };
    let bra = w.n - len;
    if bra < w.p2 {
        return;
    }
    if i == 11 {
        if bra >= 1 && matches!(w.b[bra - 1], b's' | b't') {
            w.n = bra;
        }
    } else {
        w.n = bra;
    }
}

fn step_5(w: &mut Word) {
    if w.n == 0 {
        return;
    }
    let bra = w.n - 1;
    let delete = match w.b[bra] {
        b'e' => bra >= w.p2 || (bra >= w.p1 && !w.shortv(bra)),
        b'l' => bra >= w.p2 && bra >= 1 && w.b[bra - 1] == b'l',
        _ => false,
    };
    if delete {
        w.n = bra;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn oracle(word: &str) -> String {
        rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
            .stem(word)
            .into_owned()
    }

    /// Words built from letters and the suffixes, prefixes and exceptions the algorithm tests for, so
    /// that every rule fires often; each is compared with rust-stemmers.
    #[test]
    fn matches_rust_stemmers_on_generated_words() {
        let pieces: &[&str] = &[
            "a", "e", "i", "o", "u", "y", "b", "c", "d", "g", "l", "n", "r", "s", "t", "w", "x",
            "z", "'", "1", "_", ".", "ss", "ll", "bb", "tt", "ie", "ing", "ed", "eed", "edly",
            "ingly", "eedly", "at", "bl", "iz", "sses", "ied", "ies", "us", "'s", "tional",
            "ational", "enci", "anci", "abli", "entli", "izer", "ization", "ation", "ator",
            "alism", "aliti", "alli", "fulness", "ousli", "ousness", "iveness", "iviti", "biliti",
            "bli", "ogi", "fulli", "lessli", "li", "alize", "icate", "iciti", "ical", "ful",
            "ness", "ative", "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement",
            "ment", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion", "sion", "tion",
            "gener", "commun", "arsen", "skis", "skies", "dying", "lying", "tying", "idly",
            "gently", "ugly", "early", "only", "singly", "sky", "news", "howe", "atlas", "cosmos",
            "bias", "andes", "inning", "outing", "canning", "herring", "earring", "proceed",
            "exceed", "succeed", "ay", "oy", "yy",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
        let mut word = String::new();
        let mut checked = 0;
        for _ in 0..300_000 {
            word.clear();
            for _ in 0..rng.gen_range(1..=4) {
                word.push_str(pieces[rng.gen_range(0..pieces.len())]);
            }
            if let Some(ours) = stem(&word) {
                assert_eq!(ours, stemmer.stem(&word), "stem of {word:?}");
                checked += 1;
            }
        }
        assert!(
            checked > 250_000,
            "only {checked} words were ASCII and short enough"
        );
        // Exceptions alone, and words the fast path must decline.
        for word in [
            "skies", "news", "succeed", "y", "ys", "'yes", "sky", "by", "say",
        ] {
            assert_eq!(stem(word).unwrap(), oracle(word), "stem of {word:?}");
        }
        for word in ["Running", "café", &"a".repeat(MAX_LEN + 1)] {
            assert!(
                stem(word).is_none(),
                "{word:?} should be left to rust-stemmers"
            );
        }
    }
}
