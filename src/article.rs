//! Article structure: splits a news article into sentences and marks its headline and lead.
//!
//! [`split`] turns a text into [`Sentence`]s, each with its byte range in the original text, its
//! whitespace-collapsed text and its [`Role`]. It is pure text processing in one linear pass over the
//! text, independent of any model; a tone classifier can weight the headline and lead sentences more.
//!
//! # Rules
//!
//! 1. **Lines and paragraphs.** Only `\n` ends a line (a `\r` before it is whitespace). A single newline
//!    inside a paragraph is *not* a boundary, because many sources hard-wrap their text mid-sentence
//!    (Reuters at about 70 characters). A new paragraph starts after a blank line (`\n`, optional
//!    whitespace, `\n`) and at a line indented by at least two spaces or a tab (Reuters indents its
//!    paragraphs by four spaces). A paragraph boundary is always a sentence boundary.
//! 2. **Headline.** At most one: the first line of the text (the first line with non-whitespace), taken
//!    whole and never split further. There is none unless more text follows it. When the first
//!    paragraph is that single line, it is the headline if
//!    - it does not end in sentence-final punctuation (`.`, `!`, `?`, `…`, possibly followed by
//!      closing quotes or brackets), or
//!    - it is followed by a blank line and has at most 20 words, or
//!    - it is in ALL CAPS (at least two letters, none lowercase).
//!
//!    When the next line continues the same paragraph (the wire layout, `"BAHIA COCOA REVIEW\nShowers
//!    continued throughout the week in\n..."`), the first line is the headline if it is in ALL CAPS, or
//!    if it has at most 20 words, no final punctuation, does not end in a joining character
//!    (`,` `;` `:` `-` `–` `—` `/` `&`) or a lowercase function word (`the`, `of`, `after`, …), and the
//!    next line starts like a sentence (see rule 3). The extra conditions keep the first line of a
//!    hard-wrapped paragraph ("… on Friday, a day after\nthe United States …") from being taken for a
//!    headline, so a text that is one hard-wrapped paragraph has no headline.
//! 3. **Sentence boundaries** inside a paragraph fall between two whitespace-separated words when the
//!    first ends in `.`, `!`, `?` or `…` (a run of them, optionally followed by closing `"` `'` `”` `’`
//!    `)` `]`) and the second starts like a sentence: an uppercase letter, a digit, or an opening
//!    `"` `'` `“` `‘` `(` `[`. So decimals ("3.5") never split, and neither does an ellipsis or an
//!    acronym followed by a lowercase word ("wait... he said", "U.S. officials"). A sentence never
//!    consists of a list marker alone ("1." to "999." opening a sentence stays with the words after
//!    it). When the word ends in a single `.` (not `..` or `...`), possibly followed by closers, the
//!    word before the period, without leading opening quotes, brackets or `<`, decides:
//!    - a title that precedes a name (`Mr`, `Mrs`, `Ms`, `Dr`, `Prof`, `Sen`, `Rep`, `Gov`, `Gen`,
//!      `Col`, `Lt`, `Sgt`, `Capt`, `Cmdr`, `Adm`, `vs`, …; see `TITLES`): never a boundary;
//!    - `No`, `Nos` or `no` followed by a digit or `One` … `Ten` ("No. 1"): not a boundary;
//!    - an abbreviation that may also end a sentence (`Jr`, `Sr`, `Inc`, `Corp`, `Co`, `Ltd`, `Bros`,
//!      `etc`, `St`, month and weekday names, US state abbreviations like `Calif` and `Fla`, …; see
//!      `AMBIGUOUS`), a single capital letter (an initial, "John F. Kennedy"), or a word ending in a
//!      dotted acronym (letters in groups of one or two joined by periods: `U.S`, `U.N`, `a.m`, `e.g`,
//!      `Ph.D`, also after a hyphen or slash as in `Japan-U.S`): a boundary only when the next word is
//!      a common sentence starter (`The`, `A`, `He`, `She`, `It`, `They`, `We`, `In`, `But`, …; see
//!      `STARTERS`). "U.S. officials" and "U.S. Treasury" stay together, "in the U.S. The" splits.
//!      `And` and `Or` are deliberately not starters: Reuters capitalises the word after "U.S."
//!      ("the U.S. And Japan").
//!    - any other word: a boundary (`he said." Next`, `(It was final.) Then`).
//! 4. **Lead.** The sentences of the first paragraph after the headline (of the first paragraph when
//!    there is no headline), at most the first two. In the wire layout, the rest of the first paragraph
//!    after the headline line is that paragraph. All other sentences are [`Role::Body`].
//! 5. **Text.** [`Sentence::text`] is `text[start..end]` with its whitespace (newlines included)
//!    collapsed to single spaces; `start..end` is trimmed and lies on char boundaries. Empty or
//!    whitespace-only text gives no sentences. Datelines ("SEOUL, March 12 (Reuters) - North Korea
//!    said …") stay in the first sentence because nothing in them ends a sentence.
//!
//! # Limits
//!
//! - The abbreviation lists are English, case-sensitive and short; an unlisted abbreviation followed
//!   by a capitalised word splits ("Penn. Governor"), and a listed one at the end of a sentence does not
//!   split when the next sentence starts with a name ("shares of Acme Inc. Smith said").
//! - Whether the word after an acronym or initial starts a sentence is guessed from a list of common
//!   starters only; proper nouns after "U.S." never start a new sentence, and a starter that does
//!   not start one is split off (Reuters: "The U.S. Last year was Hong Kong's biggest export market").
//! - `!` and `?` always end a sentence before a capitalised word ("Yahoo! Inc" splits).
//! - Sign-offs are not recognised: a Reuters article ending in "... pct.\n REUTER" gives a last
//!   sentence "REUTER". Tables and lists are split like prose.
//! - A text whose first line is in ALL CAPS always has it as headline, even when the whole text is in
//!   capitals.

use serde::Serialize;

/// The role of a sentence in an article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Headline,
    Lead,
    Body,
}

/// One sentence: byte range into the original text, its text (trimmed, inner whitespace incl. newlines
/// collapsed to single spaces), its role, and its index.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sentence {
    /// Position in the returned list, from 0.
    pub index: usize,
    /// Byte offset of the sentence's first character in the original text.
    pub start: usize,
    /// Byte offset just past the sentence's last character.
    pub end: usize,
    /// `text[start..end]` with runs of whitespace replaced by one space.
    pub text: String,
    pub role: Role,
}

/// Longest headline, in words, for the rules that depend on length.
const MAX_HEADLINE_WORDS: usize = 20;
/// The lead is at most this many sentences.
const MAX_LEAD_SENTENCES: usize = 2;

const TERMINATORS: [char; 4] = ['.', '!', '?', '…'];
const CLOSERS: [char; 6] = ['"', '\'', '”', '’', ')', ']'];
const OPENERS: [char; 6] = ['"', '\'', '“', '‘', '(', '['];

/// Abbreviations that stand before a name, so a sentence never ends on them.
const TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Messrs", "Mme", "Dr", "Prof", "Sen", "Sens", "Rep", "Reps", "Gov", "Gen",
    "Col", "Lt", "Sgt", "Capt", "Cmdr", "Adm", "Maj", "Cpl", "Pvt", "Brig", "Rev", "Hon", "Pres",
    "Supt", "Fr", "vs", "v", "cf", "approx",
];

/// Abbreviations that also end sentences; they split only before a common sentence starter.
const AMBIGUOUS: &[&str] = &[
    "Jr", "Sr", "Inc", "Corp", "Co", "Cos", "Ltd", "Bros", "Plc", "Dept", "Univ", "Assn", "Mfg",
    "etc", "St", "Ave", "Blvd", "Rd", "Mt", "Ft", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
    "Sep", "Sept", "Oct", "Nov", "Dec", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri",
    "Sat", "Sun", "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind",
    "Kan", "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla",
    "Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo",
];

/// Number words after which "No." is a number sign ("alloys No. Three").
const NUMBER_WORDS: &[&str] = &[
    "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
];

/// Words that commonly open an English sentence. No proper nouns, and no `And`/`Or` (see rule 3).
const STARTERS: &[&str] = &[
    "A",
    "An",
    "The",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "You",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Here",
    "His",
    "Her",
    "Its",
    "Their",
    "Our",
    "My",
    "Your",
    "In",
    "On",
    "At",
    "For",
    "But",
    "Yet",
    "So",
    "If",
    "When",
    "While",
    "Although",
    "Though",
    "Since",
    "After",
    "Before",
    "However",
    "Meanwhile",
    "Also",
    "Some",
    "Many",
    "Most",
    "Both",
    "Each",
    "Such",
    "What",
    "Why",
    "How",
    "Who",
    "Where",
    "Last",
    "Earlier",
    "Later",
    "Today",
    "Yesterday",
    "Now",
    "Then",
    "No",
];

/// Lowercase words a headline does not end on but a wrapped line often does.
const JOINING_WORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "and", "or", "but", "by",
    "from", "that", "as", "into", "than", "after", "before", "about", "over", "under", "between",
    "is", "was", "are", "were", "has", "have", "had", "will", "would", "its", "their", "his",
    "her",
];

const JOINING_CHARS: [char; 8] = [',', ';', ':', '-', '–', '—', '/', '&'];

/// Splits `text` into sentences and marks headline and lead (see the module docs for the rules).
pub fn split(text: &str) -> Vec<Sentence> {
    let paragraphs = paragraphs(text);
    let Some(first) = paragraphs.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut body: &[Paragraph] = &paragraphs;
    // The first body paragraph when the headline shares its paragraph (wire layout).
    let mut rest_of_first = None;
    let first_line = &text[first.start..first.first_line_end];
    match first.second_line_start {
        None if paragraphs.len() > 1 && is_single_line_headline(first_line, first.blank_after) => {
            push(
                &mut out,
                text,
                first.start,
                first.first_line_end,
                Role::Headline,
            );
            body = &paragraphs[1..];
        }
        Some(second) if is_wire_headline(first_line, &text[second..first.end]) => {
            push(
                &mut out,
                text,
                first.start,
                first.first_line_end,
                Role::Headline,
            );
            rest_of_first = Some((second, first.end));
            body = &paragraphs[1..];
        }
        _ => {}
    }
    let spans = rest_of_first
        .into_iter()
        .chain(body.iter().map(|p| (p.start, p.end)));
    for (n, (start, end)) in spans.enumerate() {
        let mut in_paragraph = 0;
        split_paragraph(text, start, end, |s, e| {
            let role = if n == 0 && in_paragraph < MAX_LEAD_SENTENCES {
                Role::Lead
            } else {
                Role::Body
            };
            in_paragraph += 1;
            push(&mut out, text, s, e, role);
        });
    }
    out
}

fn push(out: &mut Vec<Sentence>, text: &str, start: usize, end: usize, role: Role) {
    let mut collapsed = String::with_capacity(end - start);
    for word in text[start..end].split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    out.push(Sentence {
        index: out.len(),
        start,
        end,
        text: collapsed,
        role,
    });
}

/// A paragraph's byte range, trimmed, with what the headline rules need to know about it.
#[derive(Debug)]
struct Paragraph {
    start: usize,
    end: usize,
    first_line_end: usize,
    /// Trimmed start of the paragraph's second line, if it has one.
    second_line_start: Option<usize>,
    /// Whether a blank line (rather than an indented line or the end of text) follows.
    blank_after: bool,
}

fn paragraphs(text: &str) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut current: Option<Paragraph> = None;
    let mut offset = 0;
    for line in text.split('\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let content = line.trim_start();
        if content.is_empty() {
            if let Some(mut p) = current.take() {
                p.blank_after = true;
                out.push(p);
            }
            continue;
        }
        let start = line_start + (line.len() - content.len());
        let end = line_start + line.trim_end().len();
        if let Some(p) = current.as_mut()
            && !is_indented(line)
        {
            p.end = end;
            p.second_line_start.get_or_insert(start);
            continue;
        }
        out.extend(current.take());
        current = Some(Paragraph {
            start,
            end,
            first_line_end: end,
            second_line_start: None,
            blank_after: false,
        });
    }
    out.extend(current);
    out
}

fn is_indented(line: &str) -> bool {
    let mut spaces = 0;
    for b in line.bytes() {
        match b {
            b'\t' => return true,
            b' ' => spaces += 1,
            _ => break,
        }
        if spaces >= 2 {
            return true;
        }
    }
    false
}

/// Headline rules for a first paragraph of one line that is followed by more text.
fn is_single_line_headline(line: &str, blank_after: bool) -> bool {
    !ends_sentence(line) || (blank_after && is_short(line)) || is_all_caps(line)
}

/// Headline rules for a first line followed, in the same paragraph, by `rest`.
fn is_wire_headline(line: &str, rest: &str) -> bool {
    if is_all_caps(line) {
        return true;
    }
    let ends_joined = line.ends_with(JOINING_CHARS)
        || line
            .rsplit(char::is_whitespace)
            .next()
            .is_some_and(|w| JOINING_WORDS.contains(&w));
    is_short(line) && !ends_sentence(line) && !ends_joined && starts_sentence(rest)
}

fn is_short(line: &str) -> bool {
    line.split_whitespace().nth(MAX_HEADLINE_WORDS).is_none()
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end_matches(CLOSERS).ends_with(TERMINATORS)
}

fn is_all_caps(line: &str) -> bool {
    let mut upper = 0;
    for c in line.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            upper += 1;
        }
    }
    upper >= 2
}

/// Whether `word` begins the way a sentence can: uppercase letter, digit or opening quote/bracket.
fn starts_sentence(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_numeric() || OPENERS.contains(&c))
}

fn is_starter_word(word: &str) -> bool {
    let word = word.trim_start_matches(OPENERS);
    let letters = word
        .find(|c: char| !c.is_alphabetic())
        .map_or(word, |i| &word[..i]);
    STARTERS.contains(&letters)
}

/// Calls `emit(start, end)` for each sentence of the trimmed paragraph `text[start..end]`.
fn split_paragraph(text: &str, start: usize, end: usize, mut emit: impl FnMut(usize, usize)) {
    let mut words = words(&text[start..end], start);
    let Some(mut word) = words.next() else {
        return;
    };
    let mut sentence_start = word.0;
    for next in words {
        let current = &text[word.0..word.1];
        let list_marker = word.0 == sentence_start && is_list_marker(current);
        if !list_marker && is_boundary(current, &text[next.0..next.1]) {
            emit(sentence_start, word.1);
            sentence_start = next.0;
        }
        word = next;
    }
    emit(sentence_start, word.1);
}

/// Byte ranges of the whitespace-separated words of `text`, shifted by `offset`.
fn words(text: &str, offset: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some((i, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
            end = i + c.len_utf8();
        }
        Some((offset + start, offset + end))
    })
}

/// "1.", "12.": a numbered list item's marker, not a sentence of its own.
fn is_list_marker(word: &str) -> bool {
    word.strip_suffix('.')
        .is_some_and(|n| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a sentence ends between the adjacent words `word` and `next`.
fn is_boundary(word: &str, next: &str) -> bool {
    let unclosed = word.trim_end_matches(CLOSERS);
    if !unclosed.ends_with(TERMINATORS) || !starts_sentence(next) {
        return false;
    }
    let Some(stem) = unclosed.strip_suffix('.') else {
        return true;
    };
    // "..." is an ellipsis, never an abbreviation.
    if stem.ends_with(TERMINATORS) {
        return true;
    }
    // Reuters tags companies as "<C.D. Bramall Plc>".
    let stem = stem.trim_start_matches(OPENERS).trim_start_matches('<');
    if TITLES.contains(&stem) {
        return false;
    }
    if matches!(stem, "No" | "Nos" | "no") {
        let number = next.starts_with(|c: char| c.is_ascii_digit())
            || NUMBER_WORDS.iter().any(|w| next.starts_with(w));
        return !number;
    }
    // "Japan-U.S." ends in an acronym too.
    let last_part = stem.rsplit(['-', '/']).next().unwrap_or(stem);
    if AMBIGUOUS.contains(&stem) || is_initial(stem) || is_dotted_acronym(last_part) {
        return is_starter_word(next);
    }
    true
}

fn is_initial(stem: &str) -> bool {
    let mut chars = stem.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.next().is_none()
}

/// Letters in groups of one or two joined by periods: "U.S", "a.m", "Ph.D".
fn is_dotted_acronym(stem: &str) -> bool {
    stem.contains('.')
        && stem.split('.').all(|group| {
            let n = group.chars().count();
            (1..=2).contains(&n) && group.chars().all(char::is_alphabetic)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const LIAISON: &str = "North Korea pulls out of joint liaison office with South

North Korea withdrew its staff from the liaison office it shares with South Korea on Friday, a day after
the United States imposed new sanctions, Seoul's unification ministry said. The North said it was acting on
instructions from a higher authority and left behind only office equipment. South Korea called the
withdrawal regrettable and urged the North to return quickly, saying the office had served as a channel for
talks between the two governments since it opened last year.
";

    fn texts(sentences: &[Sentence]) -> Vec<&str> {
        sentences.iter().map(|s| s.text.as_str()).collect()
    }

    fn roles(sentences: &[Sentence]) -> Vec<Role> {
        sentences.iter().map(|s| s.role).collect()
    }

    /// The sentence texts of `text`, for inputs without headline.
    fn sentences_of(text: &str) -> Vec<String> {
        split(text).into_iter().map(|s| s.text).collect()
    }

    fn assert_ranges_valid(text: &str, sentences: &[Sentence]) {
        let mut previous_end = 0;
        for (i, s) in sentences.iter().enumerate() {
            assert_eq!(s.index, i);
            assert!(s.start < s.end, "empty range {s:?}");
            assert!(previous_end <= s.start, "overlapping ranges at {s:?}");
            let raw = text.get(s.start..s.end).expect("range on char boundaries");
            let collapsed: Vec<&str> = raw.split_whitespace().collect();
            assert_eq!(collapsed.join(" "), s.text);
            assert!(!s.text.is_empty());
            previous_end = s.end;
        }
    }

    #[test]
    fn liaison_office_has_headline_and_lead() {
        let sentences = split(LIAISON);
        assert_ranges_valid(LIAISON, &sentences);
        assert_eq!(
            texts(&sentences),
            [
                "North Korea pulls out of joint liaison office with South",
                "North Korea withdrew its staff from the liaison office it shares with South Korea on \
                 Friday, a day after the United States imposed new sanctions, Seoul's unification \
                 ministry said.",
                "The North said it was acting on instructions from a higher authority and left behind \
                 only office equipment.",
                "South Korea called the withdrawal regrettable and urged the North to return quickly, \
                 saying the office had served as a channel for talks between the two governments since \
                 it opened last year.",
            ]
        );
        assert_eq!(
            roles(&sentences),
            [Role::Headline, Role::Lead, Role::Lead, Role::Body]
        );
    }

    #[test]
    fn single_hard_wrapped_paragraph_has_no_headline() {
        let body = LIAISON.split_once("\n\n").unwrap().1;
        let sentences = split(body);
        assert_ranges_valid(body, &sentences);
        assert_eq!(sentences.len(), 3);
        assert_eq!(roles(&sentences), [Role::Lead, Role::Lead, Role::Body]);
    }

    #[test]
    fn one_line_paragraph_has_no_headline() {
        let sentences = split("Talks resumed on Monday. Both sides said they were hopeful");
        assert_eq!(roles(&sentences), [Role::Lead, Role::Lead]);
        assert_eq!(split("Talks resumed")[0].role, Role::Lead);
    }

    #[test]
    fn reuters_wire_layout() {
        let text = "BAHIA COCOA REVIEW\nShowers continued throughout the week in\nthe Bahia cocoa \
                    zone, alleviating the drought since early\nJanuary and improving prospects for \
                    the coming temporao.\n    Dry weather is expected, said Comissaria Smith. \
                    Arrivals\nwere 1.2 mln bags.\n    Brazil's U.S. sales rose.\n REUTER";
        let sentences = split(text);
        assert_ranges_valid(text, &sentences);
        assert_eq!(
            texts(&sentences),
            [
                "BAHIA COCOA REVIEW",
                "Showers continued throughout the week in the Bahia cocoa zone, alleviating the \
                 drought since early January and improving prospects for the coming temporao.",
                "Dry weather is expected, said Comissaria Smith.",
                "Arrivals were 1.2 mln bags.",
                "Brazil's U.S. sales rose.",
                "REUTER",
            ]
        );
        assert_eq!(
            roles(&sentences),
            [
                Role::Headline,
                Role::Lead,
                Role::Body,
                Role::Body,
                Role::Body,
                Role::Body
            ]
        );
    }

    #[test]
    fn all_caps_headline_may_end_in_period() {
        let text =
            "JAPAN SAYS OPEN FARM TRADE WOULD HIT U.S.\nJapan said on Monday. It added more.";
        let sentences = split(text);
        assert_eq!(roles(&sentences), [Role::Headline, Role::Lead, Role::Lead]);
        assert_eq!(
            sentences[0].text,
            "JAPAN SAYS OPEN FARM TRADE WOULD HIT U.S."
        );
    }

    #[test]
    fn sentence_case_headline_directly_above_body() {
        let text = "Fed holds rates steady\nThe Federal Reserve left rates unchanged on Wednesday.";
        assert_eq!(roles(&split(text)), [Role::Headline, Role::Lead]);
        // Ends in a function word: a wrapped line, not a headline.
        let wrapped = "Officials met on Friday to discuss the\nSouth Korean proposal for talks.";
        assert_eq!(roles(&split(wrapped)), [Role::Lead]);
    }

    #[test]
    fn headline_followed_by_blank_line_may_end_in_punctuation() {
        let text = "Is the ceasefire holding?\n\nShelling stopped overnight. Residents returned.";
        let sentences = split(text);
        assert_eq!(
            texts(&sentences),
            [
                "Is the ceasefire holding?",
                "Shelling stopped overnight.",
                "Residents returned."
            ]
        );
        assert_eq!(roles(&sentences), [Role::Headline, Role::Lead, Role::Lead]);
        // A long first line ending in a period is the first paragraph, not a headline.
        let long = "The two delegations met for more than six hours on Friday in the border village \
                    and agreed to meet again next month to discuss the reopening of the office.\n\n\
                    No date was set.";
        assert_eq!(roles(&split(long)), [Role::Lead, Role::Body]);
    }

    #[test]
    fn lead_is_at_most_two_sentences_of_first_paragraph() {
        let text = "Headline here\n\nOne. Two. Three.\n\nFour. Five.";
        assert_eq!(
            roles(&split(text)),
            [
                Role::Headline,
                Role::Lead,
                Role::Lead,
                Role::Body,
                Role::Body,
                Role::Body
            ]
        );
        let short_lead = "Headline here\n\nOnly one sentence.\n\nSecond paragraph.";
        assert_eq!(
            roles(&split(short_lead)),
            [Role::Headline, Role::Lead, Role::Body]
        );
    }

    #[test]
    fn abbreviations_do_not_split() {
        assert_eq!(
            sentences_of("Mr. Smith met Dr. Jones and Gen. Lee on Jan. 5 at 10 a.m. local time."),
            ["Mr. Smith met Dr. Jones and Gen. Lee on Jan. 5 at 10 a.m. local time."]
        );
        assert_eq!(
            sentences_of("John F. Kennedy spoke. Growth was 3.5 percent. He left."),
            [
                "John F. Kennedy spoke.",
                "Growth was 3.5 percent.",
                "He left."
            ]
        );
        assert_eq!(
            sentences_of("It ranked No. 1 in sales. Smith Jr. Was not there."),
            ["It ranked No. 1 in sales.", "Smith Jr. Was not there."]
        );
        assert_eq!(
            sentences_of(
                "It raised alloys No. Three and U.S. no. 2 wheat in Orlando, Fla. Monday."
            ),
            ["It raised alloys No. Three and U.S. no. 2 wheat in Orlando, Fla. Monday."]
        );
    }

    #[test]
    fn acronym_splits_only_before_sentence_starter() {
        assert_eq!(
            sentences_of("U.S. officials said the U.S. Treasury agreed."),
            ["U.S. officials said the U.S. Treasury agreed."]
        );
        assert_eq!(
            sentences_of("Exports went to the U.S. The rest went to Acme Inc. It said so."),
            [
                "Exports went to the U.S.",
                "The rest went to Acme Inc.",
                "It said so."
            ]
        );
        // Reuters capitalises the word after "U.S.", so "And" is not a starter.
        assert_eq!(
            sentences_of("Trade between the U.S. And Japan fell."),
            ["Trade between the U.S. And Japan fell."]
        );
        // Regression: these split after "(U.K.)", "<C.D." and "Japan-U.S." in Reuters articles.
        let tagged =
            "Cargill (U.K.) Ltd and <C.D. Bramall Plc> made \"Japan-U.S. Interest\" gains.";
        assert_eq!(sentences_of(tagged), [tagged]);
    }

    #[test]
    fn quotes_and_ellipses() {
        assert_eq!(
            sentences_of("\"We will not back down,\" he said. \"Never.\" Then he left."),
            [
                "\"We will not back down,\" he said.",
                "\"Never.\"",
                "Then he left."
            ]
        );
        assert_eq!(
            sentences_of("\"I don't know...\" he said. She waited… Nothing came."),
            [
                "\"I don't know...\" he said.",
                "She waited…",
                "Nothing came."
            ]
        );
        assert_eq!(
            sentences_of("He said “No.” (It was final.) [Done.] ‘Yes.’ Fine."),
            [
                "He said “No.”",
                "(It was final.)",
                "[Done.]",
                "‘Yes.’",
                "Fine."
            ]
        );
    }

    #[test]
    fn list_marker_stays_with_its_item() {
        assert_eq!(
            sentences_of("They agreed on two points. 1. The dollar is stable. 2. Rates stay."),
            [
                "They agreed on two points.",
                "1. The dollar is stable.",
                "2. Rates stay."
            ]
        );
    }

    #[test]
    fn exclamation_and_question_marks() {
        assert_eq!(
            sentences_of("Stop! Why now? Who knows?! 2024 was hard. what? no."),
            [
                "Stop!",
                "Why now?",
                "Who knows?!",
                "2024 was hard. what? no."
            ]
        );
    }

    #[test]
    fn dateline_stays_in_first_sentence() {
        let text = "North pulls out\n\nSEOUL, March 12 (Reuters) - North Korea said it would leave. \
                    Seoul regretted it.\n\nWASHINGTON, Jan. 5 (Reuters) - The U.S. said so.";
        assert_eq!(
            texts(&split(text)),
            [
                "North pulls out",
                "SEOUL, March 12 (Reuters) - North Korea said it would leave.",
                "Seoul regretted it.",
                "WASHINGTON, Jan. 5 (Reuters) - The U.S. said so."
            ]
        );
    }

    #[test]
    fn indented_line_starts_paragraph() {
        let text =
            "First line runs on\nand ends here.\n\tTabbed paragraph\n  two spaces\n one space";
        assert_eq!(
            sentences_of(text),
            [
                "First line runs on and ends here.",
                "Tabbed paragraph",
                "two spaces one space"
            ]
        );
    }

    #[test]
    fn empty_and_whitespace_give_nothing() {
        assert!(split("").is_empty());
        assert!(split(" \n\t\r\n  \n").is_empty());
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "\0",
            "\0\0. \0A",
            ".",
            "...",
            ". . .",
            "!?",
            "\"",
            "“”‘’",
            "Mr.",
            "U.S.",
            ". A",
            "A.\n\n\n.",
            "\r\n\r\n",
            "é. É… ü",
            "  \n\t\u{3000}x\u{2028}y",
            "HEADLINE\n",
            "HEADLINE\n\n",
        ] {
            let sentences = split(text);
            assert_ranges_valid(text, &sentences);
        }
        let with_nul = "Head\0line\n\nBody\0 text. More.";
        let sentences = split(with_nul);
        assert_ranges_valid(with_nul, &sentences);
        assert_eq!(texts(&sentences), ["Head\0line", "Body\0 text.", "More."]);
    }

    #[test]
    fn huge_text_without_punctuation_is_one_sentence_in_linear_time() {
        let text = "word ".repeat(400_000);
        let started = Instant::now();
        let sentences = split(&text);
        let elapsed = started.elapsed();
        assert_eq!(sentences.len(), 1);
        assert_eq!(sentences[0].role, Role::Lead);
        assert_eq!(sentences[0].end, text.len() - 1);
        // Generous for a shared machine; a quadratic rescan of 2 MB would take minutes.
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");

        let one_word = "a.".repeat(1_000_000);
        assert_eq!(split(&one_word).len(), 1);
        let wrapped = "word word word\n".repeat(100_000);
        assert_eq!(split(&wrapped).len(), 1);
    }

    #[test]
    fn serializes_role_lowercase() {
        let json = serde_json::to_string(&split("Head\n\nBody.")).unwrap();
        assert!(json.contains("\"role\":\"headline\""), "{json}");
        assert!(json.contains("\"role\":\"lead\""), "{json}");
    }

    #[test]
    fn reuters_norm_documents() {
        let path = "/work/shared/corpora/reuters21578/test.jsonl";
        let Ok(corpus) = std::fs::read_to_string(path) else {
            return;
        };
        let mut checked = 0;
        for line in corpus.lines() {
            let doc: serde_json::Value = serde_json::from_str(line).unwrap();
            if doc["type"] != "NORM" {
                continue;
            }
            checked += 1;
            if checked > 200 {
                break;
            }
            let text = doc["text"].as_str().unwrap();
            let sentences = split(text);
            assert_ranges_valid(text, &sentences);
            let Some((title, body)) = text.split_once('\n') else {
                continue;
            };
            if body.trim().is_empty() {
                continue;
            }
            let id = &doc["id"];
            assert!(sentences.len() >= 2, "document {id}: {sentences:?}");
            assert_eq!(sentences[0].role, Role::Headline, "document {id}");
            assert_eq!(sentences[0].text, title.trim(), "document {id}");
            assert_eq!(sentences[1].role, Role::Lead, "document {id}");
            let headlines = sentences.iter().filter(|s| s.role == Role::Headline);
            assert_eq!(headlines.count(), 1, "document {id}");
        }
    }
}
