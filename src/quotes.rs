//! Quote detection: direct quotes (words inside quotation marks, in any house
//! style) and indirect quotes (the content clause of a communication cue), as
//! GUIDELINES.md "What is a quote" defines them.
//!
//! Reads: the [`Document`] and its speech cues ([`crate::cues::find_cues`],
//! found once by the caller). Writes: [`QuoteSpan`]s (kind, char span, the
//! cue and label spans detection saw), sorted by start.

use crate::article::QuoteKind;
use crate::cues::{Cue, CueKind};
use crate::document::{Document, Span, TokenKind, TokenRange};
use crate::lexicon::DETERMINERS;

/// A detected quote. `cue` is set for indirect quotes, whose detection starts
/// from their cue; attribution finds the cues of direct quotes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteSpan {
    pub kind: QuoteKind,
    pub span: Span,
    pub cue: Option<Cue>,
    /// Where the source stands relative to the quote, when detection knows it.
    pub source_side: Option<SourceSide>,
    /// For transcript turns: the speaker label (`SECRETARY KERRY`) of the turn.
    pub label: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceSide {
    /// `X said (that) CONTENT`, `According to X, CONTENT`, `X: CONTENT`
    Before,
    /// `CONTENT, X said`, `CONTENT, according to X`
    After,
}

/// Finds all quotes of a document, ordered by start (direct before indirect at
/// the same start).
pub fn detect(doc: &Document, cues: &[Cue]) -> Vec<QuoteSpan> {
    let mut quotes = detect_direct(doc, cues);
    let indirect = detect_indirect(doc, &quotes, cues);
    quotes.extend(indirect);
    quotes.sort_by_key(|q| (q.span.start, q.kind == QuoteKind::Indirect, q.span.end));
    quotes
}

// ---------------------------------------------------------------------------
// Direct quotes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// “ ” „ " and « » ‹ ›: marks that never double as apostrophes.
    Double,
    /// ‘ ’ ': British style, told apart from apostrophes by context.
    Single,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Open,
    Close,
    /// A straight mark whose context fits both.
    Either,
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    pos: usize,
    family: Family,
    role: Role,
}

fn is_open_context(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, '(' | '[' | '{' | '-' | '—' | '–' | '/' | ':' | '“' | '‘' | '«' | '"' | '\''),
    }
}

fn is_close_context(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '-' | '—' | '–' | '”' | '’' | '»' | '"' | '\'' | '…')
        }
    }
}

/// Whether a single mark at `i` is an elision rather than an opening quote:
/// `'90s`, `'em`, `'til`, `rock 'n' roll`.
fn is_elision(doc: &Document, i: usize) -> bool {
    let rest: String = (i + 1..i + 5).filter_map(|j| doc.char_at(j)).collect();
    let lower = rest.to_lowercase();
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 2 && rest.chars().nth(2).is_none_or(|c| !c.is_alphanumeric() || c == 's') {
        return true;
    }
    ["em ", "til ", "cause ", "n' ", "n’ "].iter().any(|e| lower.starts_with(e)) || lower == "n'" || lower == "n’"
}

/// Collects the quotation marks of one paragraph with their likely roles.
fn marks_in(doc: &Document, para: Span) -> Vec<Mark> {
    let mut marks = Vec::new();
    let mut i = para.start;
    while i < para.end {
        let c = doc.char_at(i).unwrap_or(' ');
        let prev = if i > para.start { doc.char_at(i - 1) } else { None };
        let next = if i + 1 < para.end { doc.char_at(i + 1) } else { None };
        // Doubled single marks are double quotes (`''Yes,'' he said` in the New
        // York Times, ``Yes'' in older copy). An opening pair is recorded at its
        // second char and a closing pair at its first, so the content between
        // them is what lies between the recorded positions.
        let pair = matches!((c, next), ('\'', Some('\'')) | ('‘', Some('‘')) | ('’', Some('’')) | ('`', Some('`')));
        if pair {
            let after = if i + 2 < para.end { doc.char_at(i + 2) } else { None };
            let open = c == '`' || c == '‘' || (is_open_context(prev) && after.is_some_and(|n| !n.is_whitespace()));
            if open {
                marks.push(Mark { pos: i + 1, family: Family::Double, role: Role::Open });
            } else if prev.is_some_and(|p| !p.is_whitespace()) {
                marks.push(Mark { pos: i, family: Family::Double, role: Role::Close });
            }
            i += 2;
            continue;
        }
        let mark = match c {
            '“' | '„' | '«' | '‹' => Some((Family::Double, Role::Open)),
            '”' | '»' | '›' => Some((Family::Double, Role::Close)),
            '"' => {
                let open = is_open_context(prev) && next.is_some_and(|n| !n.is_whitespace());
                let close = is_close_context(next) && prev.is_some_and(|p| !p.is_whitespace());
                match (open, close) {
                    (true, false) => Some((Family::Double, Role::Open)),
                    (false, true) => Some((Family::Double, Role::Close)),
                    _ => Some((Family::Double, Role::Either)),
                }
            }
            '‘' | '\'' | '’' => {
                let letter_before = prev.is_some_and(char::is_alphanumeric);
                let letter_after = next.is_some_and(char::is_alphanumeric);
                if letter_before && letter_after {
                    None // Iran's, don’t
                } else if is_open_context(prev) && next.is_some_and(|n| !n.is_whitespace()) && c != '’' {
                    if is_elision(doc, i) {
                        None
                    } else {
                        Some((Family::Single, Role::Open))
                    }
                } else if c == '‘' {
                    None
                } else if prev.is_some_and(|p| !p.is_whitespace()) && is_close_context(next) {
                    Some((Family::Single, Role::Close))
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some((family, role)) = mark {
            marks.push(Mark { pos: i, family, role });
        }
        i += 1;
    }
    marks
}

/// A pair of marks, or an opening mark whose quote runs to the paragraph's end.
#[derive(Debug, Clone, Copy)]
struct MarkedSpan {
    open: usize,
    /// Position of the closing mark, or `None` when the paragraph ends first.
    close: Option<usize>,
}

/// Pairs the marks of one family in a paragraph, left to right. An opening
/// mark met while another is open means the first was never closed (a typo in
/// the copy): it is closed where the next one opens, so one bad mark costs at
/// most one quote.
fn pair_marks(marks: &[Mark], family: Family) -> Vec<MarkedSpan> {
    let mut pairs = Vec::new();
    let mut open: Option<usize> = None;
    for m in marks.iter().filter(|m| m.family == family) {
        match (open, m.role) {
            (None, Role::Open | Role::Either) => open = Some(m.pos),
            (None, Role::Close) => {} // a close with no open: nothing to pair it with
            (Some(o), Role::Close | Role::Either) => {
                pairs.push(MarkedSpan { open: o, close: Some(m.pos) });
                open = None;
            }
            (Some(o), Role::Open) => {
                if family == Family::Double {
                    pairs.push(MarkedSpan { open: o, close: Some(m.pos) });
                }
                // A single opening mark inside an open single quote is more
                // likely a stray apostrophe than a new quote: drop the older one.
                open = Some(m.pos);
            }
        }
    }
    if let Some(o) = open {
        pairs.push(MarkedSpan { open: o, close: None });
    }
    pairs
}

/// Words before an opening mark that make the marked words a name, title or
/// scare quote rather than anybody's words.
const NAMING_WORDS: &[&str] = &[
    "so-called", "self-proclaimed", "self-styled", "self-declared", "dubbed", "nicknamed", "named",
    "titled", "entitled", "codenamed", "code-named", "frigate", "carrier", "newsletter", "book",
    "film", "documentary", "programme", "program", "show", "magazine", "newspaper", "operation",
    "slogan", "hashtag", "term", "word", "phrase", "banner", "label", "motto",
];
const NAMING_PHRASES: &[&[&str]] = &[&["known", "as"], &["billed", "as"], &["author", "of"], &["co-author", "of"]];
const CALL_FORMS: &[&str] = &["call", "calls", "called", "calling", "term", "terms", "termed", "brand", "branded", "brands"];
const SMALL_WORDS: &[&str] = &["of", "the", "a", "an", "and", "in", "on", "to", "for", "at", "by", "or", "with", "from", "vs"];

/// Lower-cased words of the sentence before char offset `pos`, nearest first.
fn words_before(doc: &Document, pos: usize, max: usize) -> Vec<String> {
    let sentence = &doc.sentences[doc.sentence_at(pos)];
    let TokenRange { start: first, end: _ } = sentence.tokens;
    let upto = doc.tokens.partition_point(|t| t.span.end <= pos);
    (first..upto)
        .rev()
        .filter(|&t| doc.tokens[t].kind != TokenKind::Punct || doc.token_text(t) == ",")
        .take(max)
        .map(|t| doc.token_text(t).to_lowercase())
        .collect()
}

/// Whether the quoted words are a name, title or scare quote (not a quote).
fn is_name_or_title(doc: &Document, content: Span, standalone: bool) -> bool {
    if standalone {
        return false; // a quoted subheading is somebody's words (GUIDELINES.md)
    }
    let TokenRange { start: a, end: b } = doc.tokens_in(content);
    let words: Vec<&str> = (a..b).filter(|&t| doc.tokens[t].kind != TokenKind::Punct).map(|t| doc.token_text(t)).collect();
    let mut before = words_before(doc, content.start, 5);
    if before.first().is_some_and(|w| matches!(w.as_str(), "a" | "an" | "the" | "its" | "their" | "his" | "her")) {
        before.remove(0);
    }
    if before.first().is_some_and(|w| NAMING_WORDS.contains(&w.as_str())) {
        return true;
    }
    if NAMING_PHRASES.iter().any(|p| before.len() >= 2 && before[1] == p[0] && before[0] == p[1]) {
        return true;
    }
    // `what it calls "moderate" militants`, `calls Islamic State «Daesh»`: a call
    // verb just before a short marked name.
    let near_call = before.iter().take(3).enumerate().any(|(k, w)| {
        CALL_FORMS.contains(&w.as_str()) && before[..k].iter().all(|x| x.chars().next().is_some_and(char::is_alphabetic))
    });
    // `called the group "a menace"`: an indefinite article opens a speaker's
    // characterisation, not a name.
    let characterisation = words.first().is_some_and(|w| w.eq_ignore_ascii_case("a") || w.eq_ignore_ascii_case("an"));
    if near_call && words.len() <= 3 && !characterisation {
        return true;
    }
    // Titles of shows, books and operations: every content word capitalised,
    // after a possessive (`CNN's "State of the Union"`) or three words long.
    let capitalised = words.len() >= 2
        && words
            .iter()
            .all(|w| SMALL_WORDS.contains(&w.to_lowercase().as_str()) || w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()))
        && words.iter().any(|w| !SMALL_WORDS.contains(&w.to_lowercase().as_str()));
    let after_possessive = before.first().is_some_and(|w| w == "'s" || w == "’s" || w.ends_with("'s") || w.ends_with("’s"));
    capitalised && (after_possessive || words.len() >= 3 && !has_sentence_punct(doc.slice(content)))
}

/// One or two marked words in a sentence where nobody speaks: `the US-backed
/// “Sahwa”`, `what “enduring” means`. With a speech cue in the sentence
/// (`vowed a "severe" response`) they are the speaker's words.
fn is_scare_quote(doc: &Document, content: Span, cues: &[Cue]) -> bool {
    let TokenRange { start: a, end: b } = doc.tokens_in(content);
    let words = (a..b).filter(|&t| doc.tokens[t].kind != TokenKind::Punct).count();
    if words > 2 {
        return false;
    }
    let sentence = doc.sentences[doc.sentence_at(content.start)].span;
    !cues.iter().any(|c| sentence.contains(c.span) && !(content.start <= c.span.start && c.span.end <= content.end))
}

fn has_sentence_punct(s: &str) -> bool {
    s.trim_end_matches(['.', ',', '!', '?']).contains(['.', '!', '?', ','])
        || s.ends_with(['!', '?'])
        || s.split_whitespace().count() > 6
}

fn detect_direct(doc: &Document, cues: &[Cue]) -> Vec<QuoteSpan> {
    let mut out = Vec::new();
    let transcript = transcript_turns(doc, cues);
    let all_marks: Vec<Vec<Mark>> = doc.paragraphs.iter().map(|p| marks_in(doc, *p)).collect();
    for (p, para) in doc.paragraphs.iter().enumerate() {
        if let Some(turn) = transcript.iter().find(|t| t.paragraph == p) {
            out.push(QuoteSpan {
                kind: QuoteKind::Direct,
                span: turn.content,
                cue: None,
                source_side: Some(SourceSide::Before),
                label: turn.label,
            });
            continue;
        }
        let marks = &all_marks[p];
        let next_opens = doc.paragraphs.get(p + 1).is_some_and(|next| {
            all_marks[p + 1].first().is_some_and(|m| m.pos == next.start && m.role != Role::Close)
        });
        let doubles = pair_marks(marks, Family::Double);
        let singles = pair_marks(marks, Family::Single);
        let mut spans: Vec<(MarkedSpan, Family)> = Vec::new();
        for d in &doubles {
            spans.push((*d, Family::Double));
        }
        for s in &singles {
            // An unclosed single mark is far more often an apostrophe than a
            // quote, unless the paragraph opens with it (multi-paragraph quote).
            if s.close.is_none() && !(s.open == para.start && next_opens) {
                continue;
            }
            spans.push((*s, Family::Single));
        }
        // Keep only outermost spans: quotes nested in quotes are not records.
        let end_of = |m: &MarkedSpan| m.close.unwrap_or(para.end);
        spans.sort_by_key(|(m, _)| (m.open, std::cmp::Reverse(end_of(m))));
        let mut kept: Vec<(MarkedSpan, Family)> = Vec::new();
        for (m, f) in spans {
            if let Some((last, _)) = kept.last() {
                if m.open < end_of(last) {
                    continue;
                }
            }
            kept.push((m, f));
        }
        for (m, _) in kept {
            let content = match m.close {
                Some(c) => Span::new(m.open + 1, c),
                None => {
                    // Unclosed: a multi-paragraph quote continues in the next
                    // paragraph; otherwise the quote runs to the end of its
                    // paragraph and no further.
                    Span::new(m.open + 1, para.end)
                }
            };
            let content = doc.trim(content);
            if content.is_empty() || !doc.slice(content).chars().any(char::is_alphanumeric) {
                continue;
            }
            let standalone = m.open == para.start && m.close.is_none_or(|c| c + 1 >= para.end - 1);
            if is_name_or_title(doc, content, standalone) || (!standalone && is_scare_quote(doc, content, cues)) {
                continue;
            }
            out.push(QuoteSpan { kind: QuoteKind::Direct, span: content, cue: None, source_side: None, label: None });
        }
    }
    out
}

struct TranscriptTurn {
    paragraph: usize,
    label: Option<Span>,
    content: Span,
}

/// Transcript turns: paragraphs opening with a speaker label in capitals
/// (`SECRETARY KERRY:`, `Q:`), and the unlabeled paragraphs that continue a turn.
/// Only articles with at least two labels are read as transcripts.
fn transcript_turns(doc: &Document, cues: &[Cue]) -> Vec<TranscriptTurn> {
    let labels: Vec<Option<(Span, Span)>> = doc.paragraphs.iter().map(|p| speaker_label(doc, *p)).collect();
    let labels = with_interview_names(doc, labels);
    if labels.iter().flatten().count() < 2 {
        return Vec::new();
    }
    let mut turns = Vec::new();
    let mut in_turn = false;
    for (i, para) in doc.paragraphs.iter().enumerate() {
        match labels[i] {
            Some((label, content)) => {
                turns.push(TranscriptTurn { paragraph: i, label: Some(label), content });
                in_turn = true;
            }
            None if in_turn => {
                // A continuation paragraph speaks in the first or second person;
                // narrative (`The emir also defended ...`) or a heading ends the turn.
                let text = doc.slice(*para);
                let personal = text
                    .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
                    .any(|w| matches!(w.to_lowercase().as_str(), "i" | "we" | "our" | "us" | "my" | "me" | "you" | "your" | "i'm" | "we're" | "we’re" | "i’m"));
                let narrative = text.contains(['"', '“', '”', '«']) || cues.iter().any(|c| para.contains(c.span) && matches!(doc.token_text(c.token), "said" | "says" | "added" | "told"));
                if text.ends_with(['.', '?', '!', '"', '”']) && text.split_whitespace().count() > 3 && personal && !narrative {
                    turns.push(TranscriptTurn { paragraph: i, label: None, content: *para });
                } else {
                    in_turn = false;
                }
            }
            None => {}
        }
    }
    turns
}

/// Adds the labels of a printed interview (`Jeremy Bowen: …` and `Bashar
/// al-Assad: …` in turn): names of two to four capitalised words before a
/// colon, read as labels when at least two such names each open two or more
/// paragraphs. A caption's label (`Pictured: …`) is one word, and one name
/// opening a single paragraph is a headline or an introduction.
fn with_interview_names(doc: &Document, mut labels: Vec<Option<(Span, Span)>>) -> Vec<Option<(Span, Span)>> {
    let names: Vec<Option<(Span, Span, &str)>> = doc
        .paragraphs
        .iter()
        .map(|p| {
            let text = doc.slice(*p);
            let label = &text[..text.find(": ")?];
            let words: Vec<&str> = label.split_whitespace().collect();
            let is_name_word = |w: &&str| w.starts_with(char::is_uppercase) || w.split_once('-').is_some_and(|(particle, rest)| crate::lexicon::NAME_PARTICLES.contains(&particle) && rest.starts_with(char::is_uppercase));
            if !(2..=4).contains(&words.len()) || !words.iter().all(is_name_word) || label.chars().any(|c| c.is_ascii_digit()) {
                return None;
            }
            let label_span = Span::new(p.start, p.start + label.chars().count());
            let content = doc.trim(Span::new(label_span.end + 1, p.end));
            (!content.is_empty()).then_some((label_span, content, label))
        })
        .collect();
    let opens = |name: &str| names.iter().flatten().filter(|(_, _, n)| *n == name).count();
    let mut repeated: Vec<&str> = names.iter().flatten().map(|(_, _, n)| *n).filter(|n| opens(n) >= 2).collect();
    repeated.sort_unstable();
    repeated.dedup();
    if repeated.len() >= 2 {
        for (slot, name) in labels.iter_mut().zip(&names) {
            if let Some((label, content, n)) = name {
                if slot.is_none() && repeated.contains(n) {
                    *slot = Some((*label, *content));
                }
            }
        }
    }
    labels
}

/// `LABEL: text` where the label is `Q`, `A` or one to four words in capitals.
fn speaker_label(doc: &Document, para: Span) -> Option<(Span, Span)> {
    let text = doc.slice(para);
    let colon = text.find(':')?;
    let label = &text[..colon];
    let words: Vec<&str> = label.split_whitespace().collect();
    let is_label = matches!(label, "Q" | "A")
        || (!words.is_empty()
            && words.len() <= 4
            && words.iter().all(|w| w.chars().any(char::is_alphabetic) && !w.chars().any(char::is_lowercase))
            && label.chars().filter(|c| c.is_alphabetic()).count() >= 3);
    if !is_label {
        return None;
    }
    let label_chars = label.chars().count();
    let label_span = Span::new(para.start, para.start + label_chars);
    let content = doc.trim(Span::new(para.start + label_chars + 1, para.end));
    (!content.is_empty()).then_some((label_span, content))
}

// ---------------------------------------------------------------------------
// Indirect quotes

/// Words between a cue and its clause that are not part of the clause:
/// time and place adverbials, audiences of `told`, the manner of saying.
const ADVERBIAL_WORDS: &[&str] = &[
    "on", "in", "at", "by", "during", "late", "early", "earlier", "later", "last", "this", "next",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "yesterday",
    "today", "tonight", "afterwards", "then", "also", "again", "repeatedly", "publicly", "privately",
    "week", "month", "year", "morning", "afternoon", "evening", "night", "a", "an", "the", "his",
    "her", "their", "its", "statement", "interview", "speech", "address", "briefing", "conference",
    "news", "press", "twitter", "facebook", "blog", "telephone", "phone", "video", "message",
    "letter", "televised", "joint", "written", "separate", "recent",
    "brief", "daily", "weekly", "radio", "television", "tv", "email", "emailed", "post", "posting",
    "report", "strike", "with", "to", "reporters", "journalists", "told", "once", "further",
];

const AUDIENCE_WORDS: &[&str] = &[
    "reporters", "journalists", "lawmakers", "delegates", "supporters", "them", "him", "her", "me",
    "us", "you", "mps", "parliament", "senators", "congress", "diplomats", "worshippers",
    "followers", "ministers", "students", "troops", "soldiers", "crowd", "audience", "viewers",
    "listeners", "the", "a", "an", "his", "her", "their", "its", "state", "television", "radio",
    "newspaper", "news", "agency", "channel", "broadcaster", "public", "packed", "chamber",
    "house", "assembly", "council", "committee", "conference", "hearing", "media", "weekly",
    "daily", "twice-yearly", "german", "french", "italian", "syrian", "lebanese", "iranian",
    "press", "bishops", "bishops'", "security", "general", "un",
];

/// Words after a comma that end an indirect clause (`..., but insisted`, `..., saying`).
const CLAUSE_ENDERS: &[&str] = &["but", "while", "whereas", "although", "though", "as", "before", "after", "amid", "according"];

/// Auxiliaries and conjunctions that show a clause has begun without `that`.
const CLAUSE_STARTED: &[&str] = &[
    "would", "will", "could", "can", "should", "must", "may", "might", "is", "was", "were", "are",
    "has", "had", "have", "did", "does", "do", "but", "and", "wo", "won't", "isn't", "wasn't",
];

const WH_WORDS: &[&str] = &["what", "which", "whether", "how", "why", "when", "where", "who", "if"];


fn is_open_mark(c: char) -> bool {
    matches!(c, '"' | '“' | '‘' | '\'' | '«' | '„' | '‹')
}

fn is_cap_word(doc: &Document, t: usize) -> bool {
    doc.tokens[t].kind == TokenKind::Word && doc.token_text(t).chars().next().is_some_and(char::is_uppercase)
}

fn detect_indirect(doc: &Document, direct: &[QuoteSpan], cues: &[Cue]) -> Vec<QuoteSpan> {
    let in_direct = |span: Span| direct.iter().any(|d| d.span.contains(span) || d.span.overlaps(span));
    let mut out: Vec<QuoteSpan> = Vec::new();
    for cue in cues {
        if !cue.takes_clause() || in_direct(cue.span) || is_credit_line(doc, doc.paragraph_at(cue.span.start)) {
            continue;
        }
        // Reported speech nested inside another indirect span is not a record.
        if out.iter().any(|q| q.span.overlaps(cue.span)) {
            continue;
        }
        let sentence = &doc.sentences[doc.sentence_at(doc.tokens[cue.token].span.start)];
        let found = if cue.kind == CueKind::AccordingTo {
            according_to_clause(doc, cue, sentence.tokens)
        } else {
            clause_before(doc, cue, sentence.tokens).or_else(|| clause_after(doc, cue, sentence.tokens))
        };
        let Some((span, side)) = found else { continue };
        let span = trim_clause(doc, span);
        if doc.tokens_in(span).len() < 3 {
            continue;
        }
        // A clause that is one whole direct quote is that quote, not an indirect one.
        if direct.iter().any(|d| d.span.start <= span.start + 1 && d.span.end + 2 >= span.end) {
            continue;
        }
        if out.iter().any(|q| q.span.overlaps(span)) {
            continue;
        }
        out.push(QuoteSpan { kind: QuoteKind::Indirect, span, cue: Some(cue.clone()), source_side: Some(side), label: None });
    }
    let headlines = colon_headlines(doc, direct, &out);
    out.extend(headlines);
    out.sort_by_key(|q| q.span.start);
    out
}

/// Whether paragraph `k` credits the article's reporters (`(Writing and
/// additional reporting by X; editing by Y)`, `CNN's X contributed to this
/// report.`): the byline's words, nobody's speech.
fn is_credit_line(doc: &Document, k: usize) -> bool {
    let Some(para) = doc.paragraphs.get(k) else { return false };
    let text = doc.slice(*para).trim().to_lowercase();
    // A credit line stands alone; an article pasted as one paragraph may end in one.
    if text.split_whitespace().count() > 40 {
        return false;
    }
    let credits = ["reporting by", "editing by", "writing by", "compiled by"].iter().any(|c| text.contains(c));
    (text.starts_with('(') && credits) || text.ends_with("contributed to this report.") || text.ends_with("contributed reporting.")
}

/// `X said (on Tuesday) (that) CLAUSE`, `X told reporters CLAUSE`.
fn clause_after(doc: &Document, cue: &Cue, TokenRange { start: sent_start, end: sent_end }: TokenRange) -> Option<(Span, SourceSide)> {
    let mut t = cue.token + 1;
    if t >= sent_end {
        return None;
    }
    // `," said X` and `, said X, who ...`: the cue attributes what came before.
    let cue_first = doc.tokens.partition_point(|tok| tok.span.start < cue.span.start);
    if cue_first > sent_start {
        let prev = doc.token_text(cue_first - 1);
        let after_quote = prev.starts_with(['"', '”', '’', '»', '\'']);
        if after_quote || (prev == "," && ends_with_inverted_cue(doc, cue_first, sent_end)) {
            return None;
        }
    }
    // `that` within a short distance settles where the clause starts.
    let mut that_at = None;
    for k in t..(t + 14).min(sent_end) {
        let w = doc.lower(k);
        if w == "that" {
            that_at = Some(k);
            break;
        }
        let c = doc.char_at(doc.tokens[k].span.start).unwrap_or(' ');
        if is_open_mark(c) || doc.is_terminal_punct(k) || matches!(w, ";" | ":") || (w == "," && k > t && cue.lemma() != "tell") {
            break;
        }
        // The clause has already begun: `said the coalition would stand ... but insisted that`.
        if CLAUSE_STARTED.contains(&w) || (k > t && crate::cues::lemma_of(&w).is_some()) {
            break;
        }
    }
    if let Some(k) = that_at {
        // `that` must not open a relative clause right after a noun of ours.
        t = k + 1;
    } else {
        if !cue.takes_bare_clause() {
            return None;
        }
        if cue.lemma() == "tell" {
            // Skip the audience: `told reporters`, `told the BBC`, `told CNN's X`.
            let start = t;
            let audience = |k: usize| AUDIENCE_WORDS.contains(&doc.lower(k)) || is_cap_word(doc, k);
            while t < sent_end && t < start + 8 && audience(t) {
                if DETERMINERS.contains(&doc.lower(t)) && !(t + 1 < sent_end && audience(t + 1) && !DETERMINERS.contains(&doc.lower(t + 1))) {
                    break;
                }
                t += 1;
            }
            if t == start {
                return None;
            }
        }
        // Skip time and manner adverbials (`said on Tuesday`, `said in a statement`).
        let start = t;
        while t < sent_end && t < start + 8 {
            let w = doc.lower(t);
            let language = ["english", "arabic", "french", "russian", "persian", "farsi", "german", "turkish", "kurdish"].contains(&w)
                && t > start
                && doc.lower(t - 1) == "in";
            // `said this week`, but `said this was an attempt`: a clause's subject.
            let this_not_of_time = w == "this" && !(t + 1 < sent_end && ["week", "month", "year", "morning", "afternoon", "evening", "weekend", "time"].contains(&doc.lower(t + 1)));
            let is_adverbial = language || ADVERBIAL_WORDS.contains(&w) && !this_not_of_time && !(w == "the" || w == "a" || w == "an" || w == "his" || w == "her" || w == "their" || w == "its") || {
                // a determiner counts only inside a prepositional phrase (`in a statement`)
                (w == "a" || w == "an" || w == "the" || w == "his" || w == "her" || w == "their" || w == "its")
                    && t > start
                    && ["in", "on", "at", "during", "by", "to", "with"].contains(&doc.lower(t - 1))
            };
            let weekday_or_month = doc.token_text(t).chars().next().is_some_and(char::is_uppercase)
                && ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
                    .iter()
                    .any(|m| w.starts_with(m))
                && t > start;
            if is_adverbial || weekday_or_month || (doc.tokens[t].kind == TokenKind::Number && t > start) {
                t += 1;
            } else {
                break;
            }
        }
        // Give back a preposition that actually starts the clause's subject
        // (`said on Tuesday in Baghdad` is fine, `said in Syria IS is weak` rare).
        if t < sent_end && doc.lower(t) == "," {
            return None; // `said, "..."` introduces a direct quote
        }
        // Nor can an adverbial end in an article or a possessive: `said in
        // the Roosevelt Room, flanked by …` stopped inside a noun phrase.
        let article_or_possessive = |w: &str| matches!(w, "a" | "an" | "the" | "his" | "her" | "their" | "its" | "our" | "my" | "your");
        if t > start && t < sent_end && (["in", "on", "at", "by", "to", "with", "during"].contains(&doc.lower(t - 1)) || article_or_possessive(doc.lower(t - 1))) {
            return None;
        }
    }
    if t >= sent_end {
        return None;
    }
    let first = doc.lower(t);
    // Directives and nominal objects are not reported speech.
    if matches!(first, "to" | "for" | "of" | "about" | "with" | "against" | ":" | "," | "." | "-" | "—" | ";" | "by" | "so") {
        return None;
    }
    if is_withheld(doc, cue.token, sent_start, first) {
        return None;
    }
    let c = doc.char_at(doc.tokens[t].span.start).unwrap_or(' ');
    if doc.tokens[t].kind == TokenKind::Punct && !is_open_mark(c) {
        return None;
    }
    if that_at.is_none() && WH_WORDS.contains(&first) && cue.lemma() != "say" {
        return None;
    }
    // `state TV said Sunday citing military statements`: the participle
    // names the saying's own source.
    if that_at.is_none() && ATTRIBUTING_PARTICIPLES.contains(&first) {
        return None;
    }
    // `said when she presented the plan`, `said when asked`: the time of saying.
    if that_at.is_none() && first == "when" {
        return None;
    }
    let span = doc.span_of_tokens(t, clause_end(doc, t, sent_end))?;
    if that_at.is_none() && !looks_like_clause(doc, span) {
        return None;
    }
    Some((span, SourceSide::Before))
}

/// Participles that attribute what they follow, never the start of a clause.
const ATTRIBUTING_PARTICIPLES: &[&str] = &["citing", "quoting", "referring", "according", "adding", "saying", "noting", "speaking"];

/// `declined to say whether …`, `would not say which …`: what follows was
/// not said. `verb` is the cue's verb token, `first` the clause's first word.
fn is_withheld(doc: &Document, verb: usize, sent_start: usize, first: &str) -> bool {
    let word = |back: usize| (verb >= sent_start + back).then(|| doc.lower(verb - back));
    match (word(2), word(1)) {
        (Some(refusal), Some("to")) => ["declined", "declines", "declining", "refused", "refuses", "refusing"].contains(&refusal),
        (Some(modal), Some("not")) => ["would", "could", "will", "did", "does", "do"].contains(&modal) && WH_WORDS.contains(&first),
        _ => false,
    }
}

/// Prepositions that open adverbials (`said after the meeting`), never a clause.
const PREPOSITIONS: &[&str] = &[
    "after", "before", "from", "at", "on", "in", "during", "near", "outside", "inside", "following",
    "ahead", "amid", "over", "under", "through", "with", "without", "by", "into", "since", "while",
];

/// A clause has a verb: an auxiliary or modal, or a past or present-tense form
/// after its first word. Noun phrases (`the sidelines of the UN`) have none.
fn looks_like_clause(doc: &Document, span: Span) -> bool {
    let TokenRange { start: a, end: b } = doc.tokens_in(span);
    if a >= b || PREPOSITIONS.contains(&doc.lower(a)) {
        return false;
    }
    // `flanked by Biden`: a participle phrase.
    if doc.lower(a).ends_with("ed") && b > a + 1 && doc.lower(a + 1) == "by" {
        return false;
    }
    (a..b).any(|t| {
        let w = doc.lower(t);
        CLAUSE_STARTED.contains(&w)
            || VERB_FORMS.contains(&w)
            || (t > a && doc.tokens[t].kind == TokenKind::Word && w.len() > 3 && (w.ends_with("ed") || (w.ends_with('s') && !w.ends_with("ss") && t + 1 < b && doc.lower(t + 1) != "of" && !doc.token_text(t).starts_with(char::is_uppercase))))
    })
}

/// Common verb forms that neither end in -ed nor are auxiliaries.
const VERB_FORMS: &[&str] = &[
    "be", "been", "being", "am", "can", "cannot", "can't", "won't", "don't", "doesn't", "didn't",
    "isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "hadn't", "shouldn't", "wouldn't",
    "couldn't", "made", "took", "gave", "went", "came", "saw", "knew", "thought", "got", "left",
    "kept", "held", "brought", "began", "become", "became", "won", "lost", "fought", "sent", "met",
    "told", "said", "paid", "led", "let", "put", "set", "cut", "hit", "shot", "spent", "struck",
    "run", "ran", "needs", "need", "must", "shall", "remains", "remain",
];

/// The token index just past the clause starting at `t`.
fn clause_end(doc: &Document, t: usize, sent_end: usize) -> usize {
    let mut depth_open: Option<char> = None;
    let mut k = t;
    while k < sent_end {
        let w = doc.lower(k);
        let c = doc.char_at(doc.tokens[k].span.start).unwrap_or(' ');
        let was_open = depth_open.is_some();
        if matches!(c, '“' | '«') {
            depth_open = Some(c);
        } else if matches!(c, '”' | '»') {
            depth_open = None;
        } else if c == '"' {
            depth_open = if depth_open.is_some() { None } else { Some(c) };
        }
        // `…would not last: "it won't make it," Roffman predicted.`: the marks
        // close, and the attribution after them is the direct quote's own.
        if was_open && depth_open.is_none() && k + 1 < sent_end && ends_with_inverted_cue(doc, k + 1, sent_end) {
            return k + 1;
        }
        if depth_open.is_none() {
            if w == ";" {
                return k;
            }
            // `…were strong, to which O'Malley interjected: "It's not true."`: a
            // cue and colon before marks open a direct quote of its own; the
            // clause ends at the comma before that attribution.
            if w == ":" && k > t && k + 1 < sent_end && matches!(doc.char_at(doc.tokens[k + 1].span.start), Some('"' | '“' | '«')) && crate::cues::lemma_of(doc.token_text(k - 1)).is_some() {
                return (t..k).rev().find(|&j| doc.token_text(j) == ",").unwrap_or(k);
            }
            if (w == "," || w == "-" || w == "—" || w == "–") && k + 1 < sent_end {
                let next = doc.lower(k + 1);
                if CLAUSE_ENDERS.contains(&next)
                    || (next.ends_with("ing") && !matches!(next, "including" | "during" | "nothing" | "something" | "anything" | "everything" | "bring" | "thing" | "king" | "spring" | "ring" | "morning" | "evening" | "sing" | "beijing"))
                    || ends_with_inverted_cue(doc, k + 1, sent_end)
                {
                    return k;
                }
                if next == "and" && k + 2 < sent_end && crate::cues::lemma_of(doc.token_text(k + 2)).is_some() {
                    return k;
                }
            }
            // `... the loss was a setback but insisted ...`
            if (w == "but" || w == "and") && k + 1 < sent_end && k > t {
                let next = doc.token_text(k + 1);
                let next2 = if k + 2 < sent_end { doc.token_text(k + 2) } else { "" };
                let is_cue = |s: &str| crate::cues::lemma_of(s).is_some_and(|l| l != "call" && l != "report");
                if (is_cue(next) && doc.lower(k + 1) != "saying" && next.ends_with("ed") || ["said", "told", "says", "insisted", "added", "warned"].contains(&next))
                    || (next == "also" && is_cue(next2))
                {
                    return k;
                }
                // `... but he also insisted ...`: a new subject with its own cue.
                if ["he", "she", "they", "it", "we"].contains(&doc.lower(k + 1))
                    && (k + 2..(k + 4).min(sent_end)).any(|j| is_cue(doc.token_text(j)) && doc.token_text(j).ends_with(['d', 's']))
                {
                    return k;
                }
            }
        }
        k += 1;
    }
    sent_end
}

/// Whether tokens `[k, sent_end)` read `SOURCE said [adverbials]` or
/// `said SOURCE`: an attribution that ends the sentence and opens no clause.
fn ends_with_inverted_cue(doc: &Document, k: usize, sent_end: usize) -> bool {
    let n = sent_end - k;
    if n == 0 || n > 16 {
        return false;
    }
    // `X, the group that monitors Y, wrote on Twitter:` introduces the words
    // that follow the colon; what comes before it describes the source.
    if doc.token_text(sent_end - 1) == ":" {
        return false;
    }
    let verb_at = |j: usize| crate::cues::lemma_of(doc.token_text(j)).is_some() && !is_noun_of_cue_form(doc, k, j);
    let Some(j) = (k..sent_end).find(|&j| verb_at(j)) else { return false };
    let lemma = crate::cues::lemma_of(doc.token_text(j)).unwrap_or("");
    if !INVERTED_LEMMAS.contains(&lemma) || j - k > 12 {
        return false;
    }
    // Drop the sentence's final punctuation and closing marks.
    let mut end = sent_end;
    while end > j + 1 && doc.tokens[end - 1].kind == TokenKind::Punct && doc.token_text(end - 1) != "," {
        end -= 1;
    }
    let tail: Vec<&str> = (j + 1..end).map(|x| doc.lower(x)).collect();
    if tail.iter().any(|w| matches!(*w, "that" | "," | "-" | "—" | "–" | ";" | ":")) {
        return false;
    }
    if j == k {
        // `said the minister`: the tail is the source, a name or a noun phrase
        // with its determiner (`declared victory on Friday` has an object
        // instead), up to a relative clause that describes it (`says a cleric
        // who has been exiled`).
        let tail = match tail.iter().position(|w| matches!(*w, "who" | "whose" | "which")) {
            Some(r) if r > 0 => &tail[..r],
            _ => &tail[..],
        };
        let clause_like = tail.iter().any(|w| CLAUSE_STARTED.contains(w) || crate::cues::lemma_of(w).is_some());
        return !tail.is_empty() && tail.len() <= 8 && !clause_like && opens_a_source(doc, j + 1);
    }
    // `the minister said on Tuesday`: the tail may only be adverbials or an audience.
    (j + 1..end).all(|x| {
        let w = doc.lower(x);
        ADVERBIAL_WORDS.contains(&w) || AUDIENCE_WORDS.contains(&w) || is_cap_word(doc, x) || doc.tokens[x].kind == TokenKind::Number
    })
}

/// Whether the cue word at `j` is a noun: right after a determiner (`the
/// report said`), or an uninflected form after a determiner and one more
/// word, not a plural (`struck a similar note`), where a verb would be
/// inflected (`noted`).
fn is_noun_of_cue_form(doc: &Document, from: usize, j: usize) -> bool {
    let determiner_at = |t: usize| t >= from && DETERMINERS.contains(&doc.lower(t));
    if j > from && determiner_at(j - 1) {
        return true;
    }
    // Not after a plural: `the officials say` is the subject's verb.
    if j < from + 2 {
        return false;
    }
    let bare = crate::cues::lemma_of(doc.token_text(j)) == Some(doc.lower(j));
    let plural = doc.lower(j - 1).ends_with('s');
    bare && determiner_at(j - 2) && !plural && doc.tokens[j - 1].kind == TokenKind::Word && crate::cues::lemma_of(doc.token_text(j - 1)).is_none()
}

/// Whether a source can start at token `t` after an inverted cue (`said
/// Michael Knights`, `said a spokesman`, `said officials`): a capitalised
/// word, a determiner or number, or a role noun.
fn opens_a_source(doc: &Document, t: usize) -> bool {
    let w = doc.lower(t);
    is_cap_word(doc, t)
        || DETERMINERS.contains(&w)
        || doc.tokens[t].kind == TokenKind::Number
        || ["one", "two", "three", "several", "some", "many", "both"].contains(&w)
        || crate::lexicon::ROLE_NOUNS.contains(&w)
        || crate::lexicon::PERSON_TITLES.contains(&w)
}

const INVERTED_LEMMAS: &[&str] = &[
    "say", "tell", "add", "write", "tweet", "warn", "insist", "claim", "argue", "note", "explain", "state", "stress", "confirm",
    "acknowledge", "admit", "report", "announce", "declare", "caution", "reply", "continue", "concede", "predict", "vow", "deny",
];

/// `CLAUSE, X said.` / `CLAUSE, said X.` / `A, X said, B` (the longer part).
fn clause_before(doc: &Document, cue: &Cue, TokenRange { start: sent_start, end: sent_end }: TokenRange) -> Option<(Span, SourceSide)> {
    // Find the comma (or dash) that opens the cue's clause.
    let mut k = cue.token;
    let mut boundary = None;
    while k > sent_start {
        k -= 1;
        let w = doc.token_text(k);
        if matches!(w, "," | "-" | "—" | "–") {
            boundary = Some(k);
            break;
        }
        if doc.tokens[k].kind == TokenKind::Punct && doc.char_at(doc.tokens[k].span.start).is_some_and(is_open_mark) {
            return None;
        }
        if k + 12 < cue.token {
            return None;
        }
    }
    let boundary = boundary?;
    // The source between the boundary and the cue: a short noun phrase.
    if cue.token - boundary > 12 {
        return None;
    }
    let boundary = if ends_with_inverted_cue(doc, boundary + 1, sent_end) {
        boundary
    } else {
        match source_with_appositive(doc, cue, sent_start, boundary, sent_end) {
            Some(outer) => outer,
            None => return interrupted_clause(doc, cue, boundary, TokenRange::new(sent_start, sent_end)),
        }
    };
    let span = content_before(doc, sent_start, boundary)?;
    looks_like_clause(doc, span).then_some((span, SourceSide::After))
}

/// `A, John Kirby, the Pentagon press secretary, told reporters.`: when the
/// comma right before the cue closes an appositive (a determiner's noun
/// phrase) after a capitalised name, the comma before the name (or, after a
/// closing mark, the name itself) is the boundary of the content.
fn source_with_appositive(doc: &Document, cue: &Cue, sent_start: usize, boundary: usize, sent_end: usize) -> Option<usize> {
    let cue_first = doc.tokens.partition_point(|tok| tok.span.start < cue.span.start);
    if cue_first != boundary + 1 {
        return None;
    }
    let comma_before = |end: usize, within: usize| (end.saturating_sub(within).max(sent_start)..end).rev().find(|&k| doc.token_text(k) == ",");
    let appositive = comma_before(boundary, 10)?;
    // After the cue, adverbials or an audience (`said in a statement released
    // Tuesday`, `told CNN`), never a clause of its own.
    let opens_clause = |k: usize| {
        let w = doc.lower(k);
        w == "that" || CLAUSE_STARTED.contains(&w) || doc.char_at(doc.tokens[k].span.start).is_some_and(is_open_mark)
    };
    if !DETERMINERS.contains(&doc.lower(appositive + 1)) || (cue.token + 1..sent_end).any(opens_clause) || (appositive + 1..boundary).any(|k| crate::cues::lemma_of(doc.token_text(k)).is_some()) {
        return None;
    }
    let outer = comma_before(appositive, 7)?;
    // Content ending in a quote (`… the town,” Rear Adm. John Kirby, …`)
    // keeps its closing mark, so the name starts after it.
    let mut name_start = outer + 1;
    let quote_ends = ends_a_direct_quote(doc, outer);
    while quote_ends && name_start < appositive && doc.tokens[name_start].kind == TokenKind::Punct {
        name_start += 1;
    }
    let is_name = (name_start..appositive).all(|k| is_cap_word(doc, k) || matches!(doc.token_text(k), "." | "-") || crate::lexicon::NAME_PARTICLES.contains(&doc.lower(k)));
    (is_name && appositive > name_start).then_some(if quote_ends { name_start } else { outer })
}

/// `A, he said, B` and `A - he said - B`: the cue clause sits between two commas
/// or dashes, holding only the source and adverbials; the span is the longer part.
fn interrupted_clause(doc: &Document, cue: &Cue, boundary: usize, TokenRange { start: sent_start, end: sent_end }: TokenRange) -> Option<(Span, SourceSide)> {
    let closer = (cue.token + 1..sent_end.min(cue.token + 8)).find(|&j| matches!(doc.token_text(j), "," | "-" | "—" | "–"))?;
    if closer + 1 >= sent_end || doc.token_text(closer) != doc.token_text(boundary) {
        return None;
    }
    // `"A," he said, using the acronym`: the part before is a direct quote,
    // and what follows the attribution describes the saying, not its content.
    if ends_a_direct_quote(doc, boundary) {
        return None;
    }
    let only_adverbials = (cue.token + 1..closer).all(|j| {
        let w = doc.lower(j);
        ADVERBIAL_WORDS.contains(&w) || AUDIENCE_WORDS.contains(&w) || is_cap_word(doc, j)
    });
    if !only_adverbials {
        return None;
    }
    // The part before starts at its own clause start: after `Despite X,` comes
    // `Iran`; after a dateline (`JAKARTA, Sept. 2014 —`) comes its sentence.
    let sent_start = doc.after_dateline(sent_start, boundary);
    let clause_start = (sent_start..boundary).rev().find(|&j| doc.token_text(j) == ",").map_or(sent_start, |c| c + 1);
    if clause_start >= boundary {
        return None;
    }
    let before = Span::new(doc.tokens[clause_start].span.start, doc.tokens[boundary].span.start);
    let after = Span::new(doc.tokens[closer + 1].span.start, doc.tokens[sent_end - 1].span.end);
    let first_after = doc.char_at(after.start).unwrap_or(' ');
    if is_open_mark(first_after) || doc.slice(before).trim_start().starts_with(is_open_mark) {
        return None;
    }
    // `A, X said, adding that B`: B is the participle's own quote, A this
    // cue's. `A, X said on Sunday, as the kingdom stepped up …`: a clause of
    // time is the narrator's, so A is the content (`…, but B` and `…,
    // including B` go on with the source's words).
    let first_after_word = doc.lower(closer + 1);
    let participle_cue = first_after_word.ends_with("ing") && crate::cues::lemma_of(first_after_word).is_some();
    if participle_cue || ["as", "after", "before", "amid", "when"].contains(&first_after_word) {
        return looks_like_clause(doc, before).then_some((before, SourceSide::After));
    }
    let span = if after.len() >= before.len() { after } else { before };
    Some((span, SourceSide::Before))
}

/// Whether the comma at `t` closes a quotation (`end,”` or `end”,`).
fn ends_a_direct_quote(doc: &Document, t: usize) -> bool {
    let closing = |k: usize| k < doc.tokens.len() && doc.tokens[k].kind == TokenKind::Punct && doc.char_at(doc.tokens[k].span.start).is_some_and(|c| matches!(c, '"' | '”' | '’' | '»' | '\'' | '›'));
    closing(t + 1) || (t > 0 && closing(t - 1))
}

/// The content of an inverted attribution: the sentence up to the comma before
/// the source, without a dateline or a leading bullet. `None` when that part is
/// a direct quote (`"A," X said`) or an adverbial (`In a statement, X said`).
fn content_before(doc: &Document, sent_start: usize, boundary: usize) -> Option<Span> {
    let mut first = sent_start;
    while first < boundary && doc.tokens[first].kind == TokenKind::Punct && !doc.char_at(doc.tokens[first].span.start).is_some_and(is_open_mark) {
        first += 1; // bullets and dashes of lists
    }
    if first >= boundary {
        return None;
    }
    let span = strip_dateline(doc, Span::new(doc.tokens[first].span.start, doc.tokens[boundary].span.start));
    let text = doc.slice(span);
    if text.starts_with(is_open_mark) {
        return None;
    }
    let first_word = text.split_whitespace().next().unwrap_or("").to_lowercase();
    if ["in", "at", "on", "after", "before", "during", "speaking", "asked", "addressing", "following", "writing"].contains(&first_word.as_str()) {
        return None;
    }
    Some(span)
}

/// `According to X, CLAUSE.` and `CLAUSE, according to X.`
fn according_to_clause(doc: &Document, cue: &Cue, TokenRange { start: sent_start, end: sent_end }: TokenRange) -> Option<(Span, SourceSide)> {
    let at_start = (sent_start..cue.token).all(|j| matches!(doc.lower(j), "but" | "and" | "yet" | "," | "however"));
    if at_start {
        let comma = (cue.token + 2..sent_end).find(|&j| doc.token_text(j) == ",")?;
        // A clause starts with a word or an opening mark, never with `, ,`.
        if comma + 1 >= sent_end || (doc.tokens[comma + 1].kind == TokenKind::Punct && !doc.char_at(doc.tokens[comma + 1].span.start).is_some_and(is_open_mark)) {
            return None;
        }
        let span = doc.span_of_tokens(comma + 1, clause_end(doc, comma + 1, sent_end))?;
        return Some((span, SourceSide::Before));
    }
    if cue.token > sent_start && doc.token_text(cue.token - 1) == "," {
        return content_before(doc, sent_start, cue.token - 1).map(|span| (span, SourceSide::After));
    }
    None
}

/// `Lavrov: strikes need UN approval` and `Coalition spokesman: ...` in
/// headline-like paragraphs (short, no final full stop).
fn colon_headlines(doc: &Document, direct: &[QuoteSpan], taken: &[QuoteSpan]) -> Vec<QuoteSpan> {
    let mut out = Vec::new();
    for para in &doc.paragraphs {
        let text = doc.slice(*para);
        if text.ends_with('.') || text.contains('\n') || text.split_whitespace().count() > 20 {
            continue;
        }
        let Some(colon) = text.find(": ") else { continue };
        let label = &text[..colon];
        let words = label.split_whitespace().count();
        if words == 0 || words > 4 || !label.starts_with(char::is_uppercase) || label.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase) {
            continue;
        }
        if !is_speaker_label(label) || !label_names_someone(doc, label, *para) {
            continue;
        }
        let colon_at = para.start + label.chars().count();
        let content = doc.trim(Span::new(colon_at + 1, para.end));
        if content.is_empty() || direct.iter().any(|d| d.span.overlaps(content) && d.span.len() + 3 >= content.len()) {
            continue;
        }
        if taken.iter().any(|q: &QuoteSpan| q.span.overlaps(content)) {
            continue;
        }
        let statement = doc.slice(content).split_whitespace().filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_lowercase())).count() >= 2;
        if !statement {
            continue;
        }
        let TokenRange { start: a, end: b } = doc.tokens_in(Span::new(colon_at, colon_at + 1));
        if b <= a {
            continue;
        }
        let cue = Cue { span: Span::new(colon_at, colon_at + 1), token: a, kind: CueKind::Verb("say") };
        out.push(QuoteSpan { kind: QuoteKind::Indirect, span: content, cue: Some(cue), source_side: Some(SourceSide::Before), label: None });
    }
    out
}

/// Labels of colon headlines that name no speaker.
const NOT_SPEAKER_LABELS: &[&str] = &[
    "live", "update", "updated", "last updated", "analysis", "watch", "video", "pictures", "photos",
    "explainer", "breaking", "comment", "opinion", "keywords", "tags", "posted", "published", "related",
    "read more", "see also", "photo", "image", "media caption", "more", "editorial", "timeline", "factbox",
    "q&a", "in pictures", "in depth", "note", "source", "sources", "by",
];

/// A colon headline's label names a speaker: capitalised words (`Lavrov`,
/// `Iraq PM`), possibly ending in a role noun (`Coalition spokesman`).
fn is_speaker_label(label: &str) -> bool {
    let lower = label.to_lowercase();
    if NOT_SPEAKER_LABELS.contains(&lower.trim()) || label.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let words: Vec<&str> = label.split_whitespace().collect();
    words.iter().enumerate().all(|(i, w)| {
        w.starts_with(char::is_uppercase) || (i + 1 == words.len() && crate::lexicon::ROLE_NOUNS.contains(&w.to_lowercase().as_str()))
    })
}

/// Whether a colon headline's label names a speaker the way the article
/// does: by a title, role, organisation or place word (`Military spokesman`,
/// `CNN Poll`), or by a name the text uses elsewhere with a capital that no
/// sentence start explains (`Kerry: …` beside `…, Kerry said`). A caption's
/// label (`Destruction: Explosions ripped through…`, `Carnage: …`) is a
/// capitalised common noun the article never uses as a name.
fn label_names_someone(doc: &Document, label: &str, headline: Span) -> bool {
    use crate::lexicon::{ORG_WORDS, PERSON_TITLES, PLACE_WORDS, ROLE_NOUNS};
    let words: Vec<String> = label.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string()).collect();
    let known = |w: &String| {
        let lower = w.to_lowercase();
        [PERSON_TITLES, ROLE_NOUNS, ORG_WORDS, PLACE_WORDS].iter().any(|list| list.contains(&lower.as_str()))
    };
    if words.iter().any(known) {
        return true;
    }
    let Some(last) = words.last() else { return false };
    let starts_sentence = |t: usize| doc.sentences[doc.sentence_at(doc.tokens[t].span.start)].tokens.start == t;
    // `Abadi` is named by `al-Abadi` too.
    let names_it = |t: usize| {
        let text = doc.token_text(t);
        text == last.as_str() || text.rsplit_once('-').is_some_and(|(_, tail)| tail == last.as_str())
    };
    (0..doc.tokens.len()).any(|t| names_it(t) && !headline.contains(doc.tokens[t].span) && !starts_sentence(t))
}

/// Drops a dateline (`WASHINGTON (Reuters) -`, `JAKARTA, Sept. 2014 —`) from a clause start.
fn strip_dateline(doc: &Document, span: Span) -> Span {
    let TokenRange { start: first, end: last } = doc.tokens_in(span);
    let after = doc.after_dateline(first, last);
    if after > first && after < last {
        Span::new(doc.tokens[after].span.start, span.end)
    } else {
        span
    }
}

/// Removes what GUIDELINES.md keeps out of an indirect span: surrounding
/// space, a final full stop or comma outside quotation marks.
fn trim_clause(doc: &Document, span: Span) -> Span {
    let mut s = doc.trim(span);
    while s.end > s.start {
        let c = doc.char_at(s.end - 1).unwrap_or(' ');
        if matches!(c, '.' | ',' | ';' | ':' | '-' | '—' | '–') || c.is_whitespace() {
            s.end -= 1;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(QuoteKind, String)> {
        let doc = Document::new(text);
        detect(&doc, &crate::cues::find_cues(&doc)).into_iter().map(|q| (q.kind, doc.slice(q.span).to_string())).collect()
    }

    fn directs(text: &str) -> Vec<String> {
        found(text).into_iter().filter(|(k, _)| *k == QuoteKind::Direct).map(|(_, s)| s).collect()
    }

    fn indirects(text: &str) -> Vec<String> {
        found(text).into_iter().filter(|(k, _)| *k == QuoteKind::Indirect).map(|(_, s)| s).collect()
    }

    /// Sentences around an attribution whose other parts describe the source
    /// or the saying: each row is a text and the indirect quotes it holds.
    #[test]
    fn descriptions_around_an_attribution_are_not_speech() {
        let cases: &[(&str, &[&str])] = &[
            // What follows `"A," X said,` describes the saying.
            ("“The raids will go on, and the city will fall,” he said, using the Arabic name for the group.", &[]),
            ("“They leave us alone, and then they blame us,” said Tom Reed, a fellow at a Washington institute who has worked in the area.", &[]),
            // `X, APPOSITIVE, declared victory`: an object, not a source, follows the verb.
            ("The Northern Front, an alliance armed by the United States, declared victory on Friday after a long battle.", &[]),
            // A cue word as a noun after a determiner and an adjective.
            ("Sheikh Omar Hadi, who led the tribal revolt in 2007, struck a similar note.", &[]),
            // A colon introduces the words that follow it.
            ("Monitorwatch, the group that counts civilian deaths in the war, wrote on Twitter:", &[]),
            // Withheld: nothing was said.
            ("He declined to say whether the help could include air power.", &[]),
            ("She would not say which countries were expected to attend.", &[]),
            ("But he warned against singling out one group while others were left alone.", &[]),
            // An adverbial never ends in a determiner.
            ("“We are not going back to war,” the president said in the Rose Garden, flanked by his two senior advisers.", &[]),
            // The source's own appositive before the cue.
            ("The strikes will go on, John Smith, the defence minister, said on Tuesday.", &["The strikes will go on"]),
            ("Air strikes alone were \"not going to save the town,\" Rear Adm. Tom Jones, the navy press secretary, told reporters.", &["Air strikes alone were \"not going to save the town,\""]),
            // The narrator's clause after an interrupting attribution.
            ("The air force has flown 40 sorties since Monday, its commander said on Sunday, as the kingdom stepped up its part.", &["The air force has flown 40 sorties since Monday"]),
            // … but a participle or `but` goes on with the source's words: the longer part.
            ("The attacks hit many targets, the military said, including training camps, depots and supply trucks.", &["including training camps, depots and supply trucks"]),
            // A source described by a relative clause, and one citing its own source.
            ("The raid was meant to spread fear, making them less willing to fight, says a cleric who has been exiled from the country.", &["The raid was meant to spread fear, making them less willing to fight"]),
            ("State TV said Sunday citing military statements.", &[]),
            // A plural subject's verb in its bare form.
            ("Nobody knows how many fighters go back and forth across the border, the officials say.", &["Nobody knows how many fighters go back and forth across the border"]),
            // `this` opens a clause unless it opens a time (`said this week`).
            ("A senior aide claimed this was a deliberate attempt to divide the two men.", &["this was a deliberate attempt to divide the two men"]),
            ("The minister said this week the strikes would go on.", &["the strikes would go on"]),
            // Credit lines are the byline's words.
            ("The strikes went on.\n\n(Writing and additional reporting by Tom Evans in Beirut; editing by Ann Gray)\n\nCNN's Jane Doe contributed to this report.", &[]),
            // The time of saying.
            ("“We cannot stand aside,” the prime minister said when she presented the plan to parliament.", &[]),
            // And what still is speech.
            ("The jets are back, said two officials.", &["The jets are back"]),
            ("The raids have stopped, said Michael Knights.", &["The raids have stopped"]),
            ("He would not say the strikes had failed.", &["the strikes had failed"]),
        ];
        for (text, expected) in cases {
            assert_eq!(indirects(text), expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{text}");
        }
    }

    #[test]
    fn a_printed_interview_is_read_as_turns_by_its_repeated_names() {
        let text = "Mr Hadi spoke to our editor. Part of their exchange went as follows:\n\nJane Miles: Are there planes over the city every day?\n\nOmar al-Hadi: Not every day. Now and then.\n\nJane Miles: Do you talk to them?\n\nOmar al-Hadi: No. There is no dialogue.";
        assert_eq!(directs(text), vec!["Are there planes over the city every day?", "Not every day. Now and then.", "Do you talk to them?", "No. There is no dialogue."]);
        assert!(indirects(text).is_empty());
        // One name before a colon is a headline, and a caption label is one word.
        assert!(directs("Jane Miles: planes fly over the city every day\n\nPictured: a plane over the city\n\nPictured: the city at night").is_empty());
    }

    #[test]
    fn curly_double_quotes() {
        assert_eq!(directs("“We will win,” he said."), vec!["We will win,"]);
    }

    #[test]
    fn straight_double_quotes() {
        assert_eq!(directs("He said: \"We will win.\" Then he left."), vec!["We will win."]);
    }

    #[test]
    fn british_single_quotes_beside_apostrophes() {
        assert_eq!(
            directs("Iran's leader said it was ‘a stunt’. The '90s are over, rock 'n' roll isn't."),
            vec!["a stunt"]
        );
        assert_eq!(directs("'This is part of our effort,' Mr Hammond said."), vec!["This is part of our effort,"]);
    }

    #[test]
    fn doubled_apostrophes_are_double_quotes() {
        assert_eq!(directs("''It was a little more plane than I needed,'' he wrote."), vec!["It was a little more plane than I needed,"]);
        assert_eq!(directs("He called it ``a great luxury to have.''"), vec!["a great luxury to have."]);
    }

    #[test]
    fn guillemets() {
        assert_eq!(directs("Le Drian said strikes would go on «with the same intensity». Fin."), vec!["with the same intensity"]);
        assert_eq!(directs("He said: ‹We strike›. End."), vec!["We strike"]);
    }

    #[test]
    fn interrupted_quote_gives_two_records() {
        assert_eq!(directs("\"A is true,\" he said, \"and B too.\""), vec!["A is true,", "and B too."]);
    }

    #[test]
    fn multi_paragraph_quote_gives_one_record_per_paragraph() {
        let text = "“First part of it.\n\n“Second part,” she said.";
        assert_eq!(directs(text), vec!["First part of it.", "Second part,"]);
    }

    #[test]
    fn nested_quotes_are_not_records() {
        assert_eq!(directs("“Their ‘crusade’ will fail,” he said."), vec!["Their ‘crusade’ will fail,"]);
    }

    #[test]
    fn unbalanced_mark_stays_in_its_paragraph() {
        let text = "He said “this never closes.\n\nNext paragraph has “a real quote” here, she said.";
        assert_eq!(directs(text), vec!["this never closes.", "a real quote"]);
    }

    #[test]
    fn scare_quotes_titles_and_names_are_not_quotes() {
        assert!(directs("IS proclaimed a so-called \"caliphate\" in June.").is_empty());
        assert!(directs("The mission was dubbed «Chammal» by Paris.").is_empty());
        assert!(directs("Speaking on CNN's \"State of the Union\" on Sunday, he left.").is_empty());
        assert!(directs("France calls Islamic State «Daesh» now.").is_empty());
    }

    #[test]
    fn quoted_subheading_is_a_quote() {
        assert_eq!(directs("Intro.\n\n'Militant cult'\n\nMore text here."), vec!["Militant cult"]);
    }

    #[test]
    fn fragment_inside_reported_speech_is_its_own_record() {
        let f = found("Zarif warned that IS would not be \"eradicated through aerial bombardments\".");
        assert!(f.contains(&(QuoteKind::Direct, "eradicated through aerial bombardments".into())));
        assert!(f.contains(&(QuoteKind::Indirect, "IS would not be \"eradicated through aerial bombardments\"".into())));
    }

    #[test]
    fn indirect_after_cue_without_that_or_full_stop() {
        assert_eq!(indirects("Mr Obama said he will not send ground troops."), vec!["he will not send ground troops"]);
        assert_eq!(indirects("Kerry said on Wednesday that Iran could help."), vec!["Iran could help"]);
        assert_eq!(indirects("Le Drian told Europe 1 radio that the raids would go on."), vec!["the raids would go on"]);
        assert_eq!(indirects("Afkham told reporters the coalition was a sham."), vec!["the coalition was a sham"]);
    }

    #[test]
    fn indirect_inverted() {
        assert_eq!(indirects("Ankara would stay out of combat, a Turkish official said."), vec!["Ankara would stay out of combat"]);
        assert_eq!(indirects("The raids will continue, said the minister."), vec!["The raids will continue"]);
    }

    #[test]
    fn indirect_interrupted_takes_the_longer_part() {
        assert_eq!(indirects("Iran - Mr Kerry said - could help take out IS."), vec!["could help take out IS"]);
    }

    #[test]
    fn quote_in_a_caption() {
        let text = "Media captionUS Secretary of State John Kerry: \"It's about discrediting a militant cult\"\n\nBody text here.";
        assert_eq!(directs(text), vec!["It's about discrediting a militant cult"]);
    }

    #[test]
    fn nicknames_are_not_quotes() {
        assert!(directs("Qassem Soleimani, nicknamed the \"shadow commander\" by fighters, arrived.").is_empty());
        assert!(directs("He was dubbed the “shadow commander” by Western media.").is_empty());
    }

    #[test]
    fn indirect_after_every_form_of_the_cue() {
        assert_eq!(indirects("Kerry has said Iran could play a role."), vec!["Iran could play a role"]);
        assert_eq!(indirects("Zarif had warned that air strikes would fail."), vec!["air strikes would fail"]);
        assert_eq!(indirects("Abadi insisted foreign troops were not needed."), vec!["foreign troops were not needed"]);
        assert_eq!(
            indirects("Khamenei was quoted as saying that he had rejected the offer."),
            vec!["he had rejected the offer"]
        );
        assert_eq!(indirects("Obama told reporters that the campaign would take years."), vec!["the campaign would take years"]);
    }

    #[test]
    fn empty_clauses_give_no_span() {
        // Found by the property tests: a clause that ends where it starts.
        assert!(found("according to , ,  told reporters ").is_empty());
    }

    #[test]
    fn according_to_both_ways() {
        assert_eq!(indirects("According to the Pentagon, ten jets took part."), vec!["ten jets took part"]);
        assert_eq!(indirects("Ten jets took part, according to the Pentagon."), vec!["Ten jets took part"]);
    }

    #[test]
    fn indirect_stops_after_a_direct_quote_with_its_own_attribution() {
        let text = "Roffman told the Journal that he didn't think the casino would last long: \"Once the cold winds blow, it won't make it,\" Roffman predicted.";
        let ind = indirects(text);
        assert_eq!(ind.len(), 1);
        assert!(!ind[0].contains("predicted"), "{ind:?}");
    }

    #[test]
    fn indirect_stops_before_a_cue_and_colon_that_open_a_direct_quote() {
        let text = "She said that experts had found her plans strong, to which O'Malley interjected: \"It's just not true.\"";
        assert_eq!(indirects(text), vec!["experts had found her plans strong"]);
    }

    #[test]
    fn indirect_stops_at_a_second_cue() {
        assert_eq!(
            indirects("Fabius said the coalition would stand by Iraq but insisted that force alone would fail."),
            vec!["the coalition would stand by Iraq", "force alone would fail"]
        );
    }

    #[test]
    fn indirect_keeps_a_language_adjective_and_stops_at_a_new_speaker_clause() {
        assert_eq!(indirects("Hollande said French jets struck first."), vec!["French jets struck first"]);
        assert_eq!(
            indirects("Hollande said there would be more raids but he also insisted no troops would be sent."),
            vec!["there would be more raids", "no troops would be sent"]
        );
        assert_eq!(indirects("The militant said in English that the hostage would die."), vec!["the hostage would die"]);
    }

    #[test]
    fn headlines_with_says_and_colon() {
        assert_eq!(indirects("Kerry says Iran can help defeat IS\n\nBody."), vec!["Iran can help defeat IS"]);
        assert_eq!(
            indirects("Lavrov: Western strikes lack legal basis\n\nRussia's foreign minister, Sergei Lavrov, spoke in Moscow."),
            vec!["Western strikes lack legal basis"]
        );
        assert_eq!(indirects("Army spokesman: two towns were retaken overnight\n\nBody text."), vec!["two towns were retaken overnight"]);
    }

    #[test]
    fn a_cue_noun_after_a_determiner_opens_an_inverted_attribution() {
        assert_eq!(
            indirects("The rise in attacks is tied to the wider war in the region, which has driven millions from their homes, the report said."),
            vec!["The rise in attacks is tied to the wider war in the region, which has driven millions from their homes"]
        );
        assert_eq!(indirects("Attacks doubled in the north, the report said on Monday."), vec!["Attacks doubled in the north"]);
    }

    #[test]
    fn a_marked_characterisation_after_a_call_verb_is_the_speakers_words() {
        assert_eq!(directs("Obama called the group \"a menace\" to the whole region."), vec!["a menace"]);
        assert_eq!(directs("The envoy called the shelling \"an outrage\" on Monday."), vec!["an outrage"]);
        // A name after a call verb stays a name.
        assert!(directs("He calls Islamic State \"Daesh\" in every speech.").is_empty());
    }

    #[test]
    fn a_caption_label_is_no_speaker() {
        // Picture captions open with a capitalised common noun the article never
        // uses as a name; a headline's speaker is named again in the body.
        let text = "Rubble: Rescue workers search the ruins of a house near the old market\n\n\
                    Aftermath: Families return to the streets after the shelling stopped\n\n\
                    Abadi: the army will retake the city within weeks\n\n\
                    Prime Minister Haider al-Abadi spoke in Baghdad on Sunday.";
        assert_eq!(indirects(text), vec!["the army will retake the city within weeks"]);
    }

    #[test]
    fn beliefs_actions_and_directives_are_not_quotes() {
        assert!(found("Obama thinks the plan will work. He met Abadi.").is_empty());
        assert!(indirects("He urged Turkey to act. She called for a buffer zone.").is_empty());
    }

    #[test]
    fn direct_quote_with_colon_cue_is_not_also_indirect() {
        assert_eq!(found("He added: \"There is a role for Iran.\""), vec![(QuoteKind::Direct, "There is a role for Iran.".into())]);
    }

    #[test]
    fn transcript_turns_are_direct() {
        let text = "Transcript\n\nQ: Will you send troops?\n\nSECRETARY CARTER: No. We will not.\n\nWe have partners there.";
        assert_eq!(directs(text), vec!["Will you send troops?", "No. We will not.", "We have partners there."]);
    }
}
