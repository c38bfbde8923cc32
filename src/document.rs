//! The shared document model: text split into paragraphs, sentences and tokens.
//!
//! Every offset in the crate counts Unicode scalar values (Rust `char`s) from the
//! start of the text, as GUIDELINES.md defines, so that offsets read the same in
//! Rust, in Python and in the JSON files. Regexes work on bytes; [`Document`]
//! converts between the two units in one place.
//!
//! Reads: the article text. Writes: [`Document`] (paragraphs, sentences,
//! tokens with char spans), which every later stage reads and none changes.

use serde::{Deserialize, Serialize};

/// A half-open range `[start, end)` of char offsets into a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "span {start}..{end} is reversed");
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn overlaps(&self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// What a token is made of; the stages mostly care whether it is a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Number,
    Punct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
}

/// Token indices `[start, end)` into [`Document::tokens`]: a run of tokens,
/// as [`Span`] is a run of chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TokenRange {
    pub start: usize,
    pub end: usize,
}

impl TokenRange {
    pub fn new(start: usize, end: usize) -> TokenRange {
        TokenRange { start, end }
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub span: Span,
    /// Index into [`Document::paragraphs`].
    pub paragraph: usize,
    pub tokens: TokenRange,
}

/// An article's text with its structure. Built once, read by every stage.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    /// Byte offset of every char, plus one entry for the end of the text.
    char_to_byte: Vec<usize>,
    pub paragraphs: Vec<Span>,
    pub sentences: Vec<Sentence>,
    pub tokens: Vec<Token>,
    /// Every token's text in lower case, back to back, and where each token's
    /// lies in it: computed once, since every stage compares words
    /// case-insensitively, many times over.
    lowered: String,
    lowered_ends: Vec<usize>,
}

/// Words that end with a full stop without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cmdr", "adm", "sgt",
    "sen", "rep", "gov", "pres", "st", "jr", "sr", "no", "vs", "etc", "jan", "feb", "mar", "apr",
    "aug", "sept", "sep", "oct", "nov", "dec", "u.s", "u.n", "u.k", "e.u", "a.m", "p.m", "inc",
    "co", "corp", "ltd", "mt", "ft", "rev", "hon", "gens", "brig", "messrs",
];

/// Month names and their abbreviations, lower-case (dates in datelines,
/// words that open no speaker's name).
pub const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
];

impl Document {
    /// The token after a dateline opening at token `start` (`BAGHDAD —`,
    /// `WASHINGTON, DC (Reuters) -`, `JAKARTA, Sept. 2014 —`): shouted place
    /// names, an agency in brackets and a date, ended by a dash. `start` itself
    /// when no dateline opens there; nothing at or after `limit` is read.
    pub fn after_dateline(&self, start: usize, limit: usize) -> usize {
        let shouted = |t: usize| {
            let w = self.token_text(t);
            w.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !w.chars().any(char::is_lowercase)
        };
        let limit = limit.min(self.tokens.len());
        if start >= limit || !shouted(start) {
            return start;
        }
        let mut in_brackets = false;
        let mut after_comma = false; // `KARBALA, Iraq (AFP) -`: the country after the comma
        for t in start..limit.min(start + 14) {
            match self.token_text(t) {
                "—" | "–" | "-" | "--" if !in_brackets && t > start => return t + 1,
                "(" => in_brackets = true,
                ")" => in_brackets = false,
                "," => after_comma = true,
                "." => {}
                w if in_brackets
                    || shouted(t)
                    || self.tokens[t].kind == TokenKind::Number
                    || MONTHS.contains(&self.lower(t))
                    || (after_comma && w.starts_with(char::is_uppercase)) => {}
                _ => return start,
            }
        }
        start
    }

    /// Whether token `t` is a full stop, question or exclamation mark that can
    /// end a sentence: the stop of `Mr.` or `W.` cannot.
    pub fn is_terminal_punct(&self, t: usize) -> bool {
        matches!(self.token_text(t), "." | "?" | "!") && !is_abbreviation_stop(self, t)
    }

    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let mut char_to_byte: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        char_to_byte.push(text.len());
        let mut doc = Document {
            text,
            char_to_byte,
            paragraphs: Vec::new(),
            sentences: Vec::new(),
            tokens: Vec::new(),
            lowered: String::new(),
            lowered_ends: Vec::new(),
        };
        let chars: Vec<char> = doc.text.chars().collect();
        doc.tokens = tokenize(&chars);
        doc.paragraphs = split_paragraphs(&chars);
        let mut lowered = String::with_capacity(doc.text.len());
        let mut ends = Vec::with_capacity(doc.tokens.len());
        for t in &doc.tokens {
            let word = doc.slice(t.span);
            if word.is_ascii() {
                lowered.extend(word.bytes().map(|b| b.to_ascii_lowercase() as char));
            } else {
                lowered.extend(word.chars().flat_map(char::to_lowercase));
            }
            ends.push(lowered.len());
        }
        doc.lowered = lowered;
        doc.lowered_ends = ends;
        doc.sentences = split_sentences(&doc);
        doc
    }

    /// Number of chars in the text.
    pub fn len_chars(&self) -> usize {
        self.char_to_byte.len() - 1
    }

    pub fn byte_offset(&self, char_offset: usize) -> usize {
        self.char_to_byte[char_offset]
    }

    /// Char offset of a byte offset that lies on a char boundary.
    pub fn char_offset(&self, byte_offset: usize) -> usize {
        match self.char_to_byte.binary_search(&byte_offset) {
            Ok(i) => i,
            Err(i) => i, // inside a char: round up to the next boundary
        }
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[self.byte_offset(span.start)..self.byte_offset(span.end)]
    }

    /// The char at a char offset, if any.
    pub fn char_at(&self, offset: usize) -> Option<char> {
        if offset >= self.len_chars() {
            return None;
        }
        self.text[self.char_to_byte[offset]..].chars().next()
    }

    pub fn token_text(&self, index: usize) -> &str {
        self.slice(self.tokens[index].span)
    }

    /// A token's text in lower case.
    pub fn lower(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.lowered_ends[index - 1] };
        &self.lowered[start..self.lowered_ends[index]]
    }

    /// Index of the sentence holding a char offset (the last one when past the end).
    pub fn sentence_at(&self, offset: usize) -> usize {
        let i = self.sentences.partition_point(|s| s.span.end <= offset);
        i.min(self.sentences.len().saturating_sub(1))
    }

    /// Index of the paragraph holding a char offset (the last one when past the end).
    pub fn paragraph_at(&self, offset: usize) -> usize {
        let i = self.paragraphs.partition_point(|p| p.end <= offset);
        i.min(self.paragraphs.len().saturating_sub(1))
    }

    /// The tokens lying inside a span.
    pub fn tokens_in(&self, span: Span) -> TokenRange {
        let first = self.tokens.partition_point(|t| t.span.start < span.start);
        let last = self.tokens.partition_point(|t| t.span.end <= span.end);
        TokenRange::new(first, last.max(first))
    }

    /// The span from the start of token `first` to the end of token `end - 1`;
    /// `None` when the range is empty or past the last token.
    pub fn span_of_tokens(&self, first: usize, end: usize) -> Option<Span> {
        (first < end && end <= self.tokens.len()).then(|| Span::new(self.tokens[first].span.start, self.tokens[end - 1].span.end))
    }

    /// A span with the whitespace at both ends removed.
    pub fn trim(&self, span: Span) -> Span {
        let mut s = span;
        while s.start < s.end && self.char_at(s.start).is_some_and(char::is_whitespace) {
            s.start += 1;
        }
        while s.end > s.start && self.char_at(s.end - 1).is_some_and(char::is_whitespace) {
            s.end -= 1;
        }
        s
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Splits into words (letters and digits, with inner apostrophes, hyphens and
/// dots as in `Iran's`, `US-led`, `U.S.`), and single punctuation marks.
fn tokenize(chars: &[char]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if !is_word_char(c) {
            tokens.push(Token { span: Span::new(i, i + 1), kind: TokenKind::Punct });
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        loop {
            if i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            } else if i + 1 < chars.len()
                && matches!(chars[i], '\'' | '’' | '-' | '.' | ',' | '&')
                && is_word_char(chars[i + 1])
                && (chars[i] != ',' || (chars[i - 1].is_ascii_digit() && chars[i + 1].is_ascii_digit()))
            {
                i += 2;
            } else {
                break;
            }
        }
        // Keep the final dot of an initialism like `U.S.` inside the token.
        if i < chars.len() && chars[i] == '.' && i >= 2 && chars[i - 2] == '.' {
            i += 1;
        }
        let all_digits = chars[start..i].iter().all(|c| c.is_ascii_digit() || matches!(c, ',' | '.'));
        let kind = if all_digits { TokenKind::Number } else { TokenKind::Word };
        tokens.push(Token { span: Span::new(start, i), kind });
    }
    tokens
}

/// Paragraphs are separated by blank lines (GUIDELINES.md "Files"). A paragraph's
/// span is trimmed of surrounding whitespace; empty paragraphs are dropped.
fn split_paragraphs(chars: &[char]) -> Vec<Span> {
    let mut paragraphs = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let push = |s: usize, e: usize, out: &mut Vec<Span>| {
        let mut s = s;
        let mut e = e;
        while s < e && chars[s].is_whitespace() {
            s += 1;
        }
        while e > s && chars[e - 1].is_whitespace() {
            e -= 1;
        }
        if s < e {
            out.push(Span::new(s, e));
        }
    };
    while i < chars.len() {
        if chars[i] == '\n' {
            // A blank line: a newline, optional horizontal space, another newline.
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '\n' && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && chars[j] == '\n' {
                push(start, i, &mut paragraphs);
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    push(start, chars.len(), &mut paragraphs);
    paragraphs
}

fn is_closing_punct(c: char) -> bool {
    matches!(c, '"' | '”' | '’' | '\'' | '»' | ')' | ']')
}

/// Splits each paragraph into sentences: at a line break, and after `.`, `!`, `?`
/// (with any closing marks) that precede whitespace and a capital, digit or
/// opening mark, unless the word before the stop is an abbreviation or an initial.
fn split_sentences(doc: &Document) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    for (p, para) in doc.paragraphs.iter().enumerate() {
        let TokenRange { start: first_tok, end: last_tok } = doc.tokens_in(*para);
        let mut start_tok = first_tok;
        let mut t = first_tok;
        while t < last_tok {
            let tok = &doc.tokens[t];
            let mut split_after = None;
            // A line break inside a paragraph ends a sentence (tables, captions, lists).
            if t + 1 < last_tok {
                let gap = Span::new(tok.span.end, doc.tokens[t + 1].span.start);
                if doc.slice(gap).contains('\n') {
                    split_after = Some(t);
                }
            }
            let text = doc.token_text(t);
            if split_after.is_none() && matches!(text, "." | "!" | "?" | "…") {
                // Swallow closing quotes and brackets that belong to this sentence.
                let mut end = t;
                while end + 1 < last_tok
                    && doc.tokens[end + 1].kind == TokenKind::Punct
                    && doc.tokens[end + 1].span.start == doc.tokens[end].span.end
                    && (is_closing_punct(doc.char_at(doc.tokens[end + 1].span.start).unwrap_or(' '))
                        || matches!(doc.token_text(end + 1), "." | "!" | "?"))
                {
                    end += 1;
                }
                if end + 1 < last_tok && starts_sentence(doc, end + 1) && !is_abbreviation_stop(doc, t) {
                    split_after = Some(end);
                }
                t = end;
            }
            if let Some(end) = split_after {
                push_sentence(doc, &mut sentences, p, start_tok, end + 1);
                start_tok = end + 1;
            }
            t += 1;
        }
        if start_tok < last_tok {
            push_sentence(doc, &mut sentences, p, start_tok, last_tok);
        }
    }
    sentences
}

fn push_sentence(doc: &Document, out: &mut Vec<Sentence>, paragraph: usize, first: usize, last: usize) {
    let span = Span::new(doc.tokens[first].span.start, doc.tokens[last - 1].span.end);
    out.push(Sentence { span, paragraph, tokens: TokenRange::new(first, last) });
}

fn starts_sentence(doc: &Document, t: usize) -> bool {
    let Some(c) = doc.char_at(doc.tokens[t].span.start) else { return false };
    c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '“' | '‘' | '\'' | '«' | '(' | '[' | '-' | '—')
}

/// Whether the stop at token `t` belongs to an abbreviation or an initial.
pub fn is_abbreviation_stop(doc: &Document, t: usize) -> bool {
    if doc.token_text(t) != "." || t == 0 {
        return false;
    }
    let prev = &doc.tokens[t - 1];
    if prev.span.end != doc.tokens[t].span.start || prev.kind != TokenKind::Word {
        return false;
    }
    let word = doc.slice(prev.span);
    let lower = word.to_lowercase();
    // Single capital initial (`George W. Bush`) or a listed abbreviation.
    (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
        || ABBREVIATIONS.contains(&lower.trim_end_matches('.'))
        // `Mitch McConnell, R-Ky., said`, `Louisville, Ky., police`: a state after
        // a party letter or a town, inside a clause. `Mass.` may end a sentence.
        || (is_state_abbreviation(&lower, doc.token_text(t.saturating_sub(2)) == ",")
            && doc.tokens.get(t + 1).is_some_and(|_| matches!(doc.token_text(t + 1), "," | ")")))
}

/// `ky` in `r-ky` (a party letter), or `ky` after a town's comma.
pub fn is_state_abbreviation(lower: &str, after_comma: bool) -> bool {
    let state = match lower.rsplit_once('-') {
        Some((party, state)) if matches!(party, "r" | "d" | "i") => state,
        _ if after_comma => lower,
        _ => return false,
    };
    STATE_ABBREVIATIONS.contains(&state.trim_end_matches('.'))
}

/// The AP style's abbreviations of US states.
const STATE_ABBREVIATIONS: &[&str] = &[
    "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "kans", "ky",
    "la", "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "n.h", "n.j", "n.m", "n.y",
    "n.c", "n.d", "okla", "ore", "pa", "r.i", "s.c", "s.d", "tenn", "tex", "vt", "va", "wash", "wis",
    "wyo", "w.va", "d.c",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datelines_end_at_their_dash() {
        let after = |text: &str| {
            let doc = Document::new(text);
            let t = doc.after_dateline(0, doc.tokens.len());
            doc.slice(Span::new(doc.tokens[t].span.start, doc.text.chars().count())).to_string()
        };
        assert_eq!(after("BAGHDAD — Iraq said so."), "Iraq said so.");
        assert_eq!(after("WASHINGTON, DC (Reuters) - Obama said so."), "Obama said so.");
        assert_eq!(after("JAKARTA, Sept. 2014 — Indonesia will stay out."), "Indonesia will stay out.");
        assert_eq!(after("KARBALA, Iraq (AFP) - The cleric spoke."), "The cleric spoke.");
        assert_eq!(after("WASHINGTON DC, United States - Barzani left."), "Barzani left.");
        // Shouting is not a dateline without its dash, nor a dash without shouting.
        assert_eq!(after("NATO said so - today."), "NATO said so - today.");
        assert_eq!(after("Kerry - the envoy - said so."), "Kerry - the envoy - said so.");
    }

    #[test]
    fn offsets_count_chars_not_bytes() {
        let doc = Document::new("«Daesh» est là.");
        assert_eq!(doc.len_chars(), 15);
        assert_eq!(doc.slice(Span::new(1, 6)), "Daesh");
        assert_eq!(doc.char_offset(doc.byte_offset(7)), 7);
        assert_eq!(doc.char_at(13), Some('à'));
    }

    #[test]
    fn paragraphs_split_on_blank_lines_only() {
        let doc = Document::new("Title\n\nFirst line\nsecond line.\n \nLast.");
        let paras: Vec<&str> = doc.paragraphs.iter().map(|p| doc.slice(*p)).collect();
        assert_eq!(paras, vec!["Title", "First line\nsecond line.", "Last."]);
    }

    #[test]
    fn tokens_keep_contractions_and_initialisms_whole() {
        let doc = Document::new("Iran's U.S.-led 1,000 strikes, don’t stop.");
        let toks: Vec<&str> = (0..doc.tokens.len()).map(|i| doc.token_text(i)).collect();
        assert_eq!(toks, vec!["Iran's", "U.S.", "-", "led", "1,000", "strikes", ",", "don’t", "stop", "."]);
        assert_eq!(doc.tokens[4].kind, TokenKind::Number);
    }

    #[test]
    fn sentences_respect_abbreviations_and_closing_quotes() {
        let doc = Document::new(
            "Mr. Kerry spoke in the U.S. on Friday. \"We will win,\" he said. \"Really?\" She asked.",
        );
        let sents: Vec<&str> = doc.sentences.iter().map(|s| doc.slice(s.span)).collect();
        assert_eq!(
            sents,
            vec!["Mr. Kerry spoke in the U.S. on Friday.", "\"We will win,\" he said.", "\"Really?\"", "She asked."]
        );
    }

    #[test]
    fn a_state_abbreviation_inside_a_clause_is_no_stop() {
        let doc = Document::new("Mitch McConnell, R-Ky., said it. He lives in Boston, Mass. He left.");
        let sents: Vec<&str> = doc.sentences.iter().map(|s| doc.slice(s.span)).collect();
        assert_eq!(sents, vec!["Mitch McConnell, R-Ky., said it.", "He lives in Boston, Mass.", "He left."]);
    }

    #[test]
    fn lookups_find_the_enclosing_unit() {
        let doc = Document::new("One. Two.\n\nThree.");
        assert_eq!(doc.sentences.len(), 3);
        assert_eq!(doc.sentence_at(6), 1);
        assert_eq!(doc.paragraph_at(12), 1);
        assert_eq!(doc.sentences[2].paragraph, 1);
        let TokenRange { start: a, end: b } = doc.tokens_in(Span::new(5, 9));
        assert_eq!((doc.token_text(a), b - a), ("Two", 2));
    }
}
