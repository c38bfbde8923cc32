//! Attribution: who said each quote. A sieve of rules, most confident first:
//! explicit patterns around the cue, then pronoun and role-noun resolution,
//! then conversation structure (a quote with no attribution continues the
//! speaker before it). Mentions are grouped into speakers named by their most
//! complete name.
//!
//! Reads: the [`Document`], its cues, the detected [`QuoteSpan`]s and the
//! named mentions (rules or the learned tagger). Writes: [`Attribution`]:
//! per quote its mention, cue, speaker cluster and the sieve that decided;
//! the [`SpeakerCluster`]s with their names, types and aliases.

use crate::article::{EntityType, QuoteKind};
use crate::cues::{lemma_of, Cue};
use crate::document::{Document, Span, TokenKind, TokenRange, MONTHS};
use crate::lexicon::{opens_noun_phrase, NAME_PARTICLES, ORGANISATION_ROLE_NOUNS, PRONOUNS_GROUP, PRONOUNS_PERSON, ROLE_NOUNS};
use crate::ner::{core_name, NamedMention};
use crate::quotes::{QuoteSpan, SourceSide};

/// Which rule decided a quote's speaker, recorded in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sieve {
    /// A mention beside the quote's cue (`X said`, `said X`, `X: "..."`, `according to X`).
    Explicit,
    /// A quoted fragment inside a sentence with no speech cue (`Bush called
    /// Rubio "a bright leader"`): the sentence's subject.
    Subject,
    /// A pronoun resolved to the last fitting speaker.
    Pronoun,
    /// A role noun (`the minister`) resolved to a named speaker with that role.
    RoleNoun,
    /// A transcript speaker label.
    TranscriptLabel,
    /// No attribution of its own: continues the speaker of a neighbouring quote.
    Continuation,
    /// The nearest plausible named speaker.
    Nearest,
}

impl Sieve {
    pub fn as_str(self) -> &'static str {
        match self {
            Sieve::Explicit => "explicit",
            Sieve::Subject => "subject",
            Sieve::Pronoun => "pronoun",
            Sieve::RoleNoun => "role-noun",
            Sieve::TranscriptLabel => "transcript-label",
            Sieve::Continuation => "continuation",
            Sieve::Nearest => "nearest",
        }
    }
}

/// A speaker: the mentions of one person, group, office or state.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerCluster {
    /// The most complete name the article gives.
    pub name: String,
    pub entity_type: EntityType,
    /// Other surface forms that name this speaker.
    pub aliases: Vec<String>,
    /// Comparison key: a person's surname, or an organisation's whole name.
    key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributedQuote {
    pub quote: QuoteSpan,
    /// Index into [`Attribution::speakers`].
    pub speaker: Option<usize>,
    pub mention: Option<Span>,
    pub cue: Option<Span>,
    pub sieve: Option<Sieve>,
    /// The mention that established the speaker: the quote's own, or for a
    /// continuation that of the quote it continues (`mention` stays `None` there,
    /// as GUIDELINES.md asks).
    pub source_mention: Option<Span>,
}

/// A quote whose speaker is resolved, as later pronouns and role nouns see
/// it: where the quote starts and which speaker said it.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedSpeaker {
    /// The quote's first char.
    pub at: usize,
    /// Index into [`Attribution::speakers`].
    pub speaker: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub speakers: Vec<SpeakerCluster>,
    pub quotes: Vec<AttributedQuote>,
}

/// Finds the speaker of every quote.
/// `names` are the article's named mentions, from the learned tagger
/// (`ner::tagger`) or the capitalisation rules (`ner::find_names`).
pub fn attribute(doc: &Document, cues: &[Cue], quotes: &[QuoteSpan], names: &[NamedMention]) -> Attribution {
    // Names inside direct quotes are what speakers talk about, not speakers.
    let names: Vec<NamedMention> = names
        .iter()
        .cloned()
        .filter(|n| !quotes.iter().any(|q| q.kind == QuoteKind::Direct && q.span.contains(n.span)))
        .collect();
    let names = surnames_as_people(doc, names);
    let mut speakers = cluster_names(doc, &names);
    let mut out: Vec<AttributedQuote> = Vec::with_capacity(quotes.len());

    for q in quotes {
        let mut aq = AttributedQuote { quote: q.clone(), speaker: None, mention: None, cue: None, sieve: None, source_mention: None };
        if let Some(label) = q.label {
            aq.mention = Some(label);
            aq.cue = Some(Span::new(label.end, label.end + 1));
            aq.sieve = Some(Sieve::TranscriptLabel);
        } else if let Some((mention, cue)) = explicit_mention(doc, q, quotes, &cues) {
            aq.mention = Some(mention);
            aq.cue = Some(cue);
            aq.sieve = Some(Sieve::Explicit);
        } else if let Some(mention) = embedding_subject(doc, q) {
            aq.mention = Some(mention);
            aq.sieve = Some(Sieve::Subject);
        }
        out.push(aq);
    }

    // Resolve mentions to speakers in text order, so pronouns see the speakers before them.
    let mut recent: Vec<ResolvedSpeaker> = Vec::new();
    for i in 0..out.len() {
        if let Some(mention) = out[i].mention {
            let (speaker, sieve) = resolve_mention(doc, mention, &names, &mut speakers, &recent);
            out[i].speaker = speaker;
            out[i].source_mention = Some(mention);
            if let Some(s) = sieve {
                if !matches!(out[i].sieve, Some(Sieve::TranscriptLabel | Sieve::Subject)) {
                    out[i].sieve = Some(s);
                }
            }
        } else if out[i].quote.label.is_none() && i > 0 && out[i].speaker.is_none() {
            // Transcript continuation paragraphs inherit the turn's speaker.
            if is_transcript_continuation(&out, i) {
                out[i].speaker = out[i - 1].speaker;
                out[i].source_mention = out[i - 1].source_mention;
                out[i].sieve = Some(Sieve::Continuation);
            }
        }
        if let Some(s) = out[i].speaker {
            recent.push(ResolvedSpeaker { at: out[i].quote.span.start, speaker: s });
        }
    }

    // Conversation structure: unattributed quotes continue a neighbour.
    for i in 0..out.len() {
        if out[i].speaker.is_some() {
            continue;
        }
        let para = doc.paragraph_at(out[i].quote.span.start);
        // The previous quote in this paragraph or the one before.
        let prev = (0..i).rev().find(|&j| out[j].speaker.is_some()).filter(|&j| doc.paragraph_at(out[j].quote.span.start) + 1 >= para);
        // A quote that opens a paragraph may be attributed later in it (`"A." ... he said.`)
        let next = (i + 1..out.len())
            .find(|&j| out[j].speaker.is_some())
            .filter(|&j| doc.paragraph_at(out[j].quote.span.start) <= para + 2);
        let pick = match (prev, next) {
            (Some(p), Some(n)) if doc.paragraph_at(out[n].quote.span.start) == para && doc.paragraph_at(out[p].quote.span.start) != para => Some(n),
            (Some(p), _) => Some(p),
            (None, Some(n)) => Some(n),
            (None, None) => None,
        };
        if let Some(j) = pick {
            out[i].speaker = out[j].speaker;
            // A mention of its own that named no one (`it read`) still is where
            // the text attributes the quote. A continued `who` is read as the
            // name it stands for: in the next paragraph, the relative clause is over.
            let continued = out[j].source_mention.map(|m| if is_relative_who(doc, m) { relative_antecedent(doc, m).unwrap_or(m) } else { m });
            out[i].source_mention = out[i].mention.or(continued);
            out[i].sieve = Some(Sieve::Continuation);
        } else if let Some(s) = nearest_person(doc, out[i].quote.span.start, &names, &mut speakers) {
            out[i].speaker = Some(s);
            out[i].sieve = Some(Sieve::Nearest);
        }
    }

    // Keep only speakers who speak, renumbered in order of first quote.
    let mut remap = vec![None; speakers.len()];
    let mut kept = Vec::new();
    for aq in out.iter_mut() {
        if let Some(s) = aq.speaker {
            if remap[s].is_none() {
                remap[s] = Some(kept.len());
                kept.push(speakers[s].clone());
            }
            aq.speaker = remap[s];
        }
    }
    Attribution { speakers: kept, quotes: out }
}

fn is_transcript_continuation(out: &[AttributedQuote], i: usize) -> bool {
    out[i].quote.kind == QuoteKind::Direct
        && out[i].quote.source_side == Some(SourceSide::Before)
        && out[i - 1].quote.source_side == Some(SourceSide::Before)
        && out[i - 1].quote.kind == QuoteKind::Direct
}

// ---------------------------------------------------------------------------
// Explicit patterns


fn is_quote_mark(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '‘' | '’' | '\'' | '«' | '»' | '„' | '‹' | '›')
}

/// The mention and cue that attribute a quote in its own sentence.
fn explicit_mention(doc: &Document, q: &QuoteSpan, all: &[QuoteSpan], cues: &[Cue]) -> Option<(Span, Span)> {
    if let Some(cue) = &q.cue {
        // Indirect quotes: the source stands on the side detection found.
        let mention = match q.source_side {
            _ if matches!(cue.kind, crate::cues::CueKind::AccordingTo) => np_after(doc, cue_end_token(doc, cue)),
            // `…in its dealings with Central Asia, said Nargis Kassenova`: after the
            // content and a comma, `said X` is inverted and X is the source.
            _ if q.span.end <= cue.span.start && is_inverted_cue(doc, cue) => np_after(doc, cue_end_token(doc, cue)).or_else(|| np_before(doc, cue_start_token(doc, cue))),
            Some(SourceSide::After) => np_before(doc, cue_start_token(doc, cue)).or_else(|| np_after(doc, cue_end_token(doc, cue))),
            _ if doc.slice(cue.span) == ":" => colon_label(doc, cue),
            _ if is_participle_after_comma(doc, cue) => participle_subject(doc, cue_start_token(doc, cue) - 1, cues),
            // `he called her "weak" and said she had...`: the coordinated verb's subject.
            _ => np_before(doc, cue_start_token(doc, cue)).or_else(|| {
                let first = cue_start_token(doc, cue);
                (first > 0 && matches!(doc.lower(first - 1), "and" | "but" | "then")).then(|| subject_before(doc, first)).flatten()
            }),
        };
        return mention.filter(|m| can_name_speaker(doc, *m)).map(|m| (m, cue.span));
    }
    // A direct fragment inside an indirect quote shares its attribution, unless
    // it closes the indirect quote and a cue of its own follows (`he didn't
    // think it would last: "…," Roffman predicted`).
    let outer = all.iter().find(|o| o.kind == QuoteKind::Indirect && o.span.contains(q.span) && o.span != q.span);
    if let Some(outer) = outer.filter(|o| doc.slice(Span::new(q.span.end, o.span.end)).chars().any(char::is_alphanumeric)) {
        return explicit_mention(doc, outer, all, cues);
    }
    let sentence_start = doc.sentences[doc.sentence_at(q.span.start)].tokens.start;
    let sentence_end = doc.sentences[doc.sentence_at(q.span.end.saturating_sub(1))].tokens.end;
    // After the closing mark: `," X said` or `," said X`.
    let after = doc.tokens.partition_point(|t| t.span.start < q.span.end);
    let mut t = after;
    while t < doc.tokens.len() && doc.tokens[t].kind == TokenKind::Punct && t < after + 3 {
        let c = doc.char_at(doc.tokens[t].span.start).unwrap_or(' ');
        if !(is_quote_mark(c) || matches!(c, ',' | '?' | '!' | '.' | '-' | '—' | '–')) {
            break;
        }
        if c == '.' {
            // `"A." he said` still attributes when a lower-case word follows.
            if !doc.tokens.get(t + 1).is_some_and(|_| doc.token_text(t + 1).chars().next().is_some_and(char::is_lowercase)) {
                break;
            }
        }
        t += 1;
    }
    if t < doc.tokens.len() {
        // Stay in the closing mark's sentence: the next paragraph is another statement.
        let mut closing_sentence_end = doc.sentences[doc.sentence_at(doc.tokens[after.min(doc.tokens.len() - 1)].span.start)].tokens.end;
        // `"Why not?" Freddy Ortega said.`: the capital after `?"` opened a new
        // sentence, but it is the quote's own attribution when a cue follows
        // before the next stop (the loop below stops at terminal punctuation).
        // So is a short sentence after a full stop: `"…missing." Trump said.`
        let ending = doc.slice(q.span).trim_end_matches(is_quote_mark);
        if t == closing_sentence_end && doc.paragraph_at(doc.tokens[t].span.start) == doc.paragraph_at(q.span.start) {
            let next = doc.sentences[doc.sentence_at(doc.tokens[t].span.start)].tokens.end;
            if ending.ends_with(['?', '!']) || (ending.ends_with('.') && next - t <= 8) {
                closing_sentence_end = next;
            }
        }
        // Room for an appositive: `,” Howard Dean, the former governor of Vermont, proclaimed`
        // (20 tokens: PolNeAR 0.9153 at 16, 0.9170 at 20, 0.9167 at 24).
        // After `and` or `but` comes another subject's clause (`called it
        // "insanity," and Sanders, who says…`): no cue there is this quote's.
        // (`"…" but to take the lead, says Evan Tracey` goes on with the quote.)
        let coordinated = matches!(doc.lower(t), "and" | "but") && !(t + 1 < doc.tokens.len() && doc.lower(t + 1) == "to");
        let limit = if coordinated { t } else { (t + 20).min(closing_sentence_end.max(sentence_end)) };
        for k in t..limit {
            if let Some(cue) = cues.iter().find(|c| c.token == k) {
                let start = cue_start_token(doc, cue);
                // `," like the recent volatility of markets, said Richard Curtin`:
                // after a comma, the words after the cue are the speaker (after
                // `told` they are the hearer: `its president, X, told Al Jazeera`).
                let inverted = start > t && doc.token_text(t).starts_with(char::is_lowercase) && cue_end_token(doc, cue) < limit && is_inverted_cue(doc, cue);
                let mention = if start == t && is_participle_after_comma(doc, cue) {
                    // `defended “New York values,” saying`: the sentence's subject.
                    participle_subject(doc, start - 1, cues)
                } else if start > t && !inverted {
                    np_before(doc, start)
                } else {
                    np_after(doc, cue_end_token(doc, cue)).or_else(|| np_before(doc, start))
                };
                if let Some(m) = mention {
                    return Some((m, cue.span));
                }
                break;
            }
            let w = doc.token_text(k);
            if doc.is_terminal_punct(k) || w == ";" || (w.starts_with(is_quote_mark) && !is_plural_possessive_mark(doc, k)) {
                break;
            }
        }
    }
    if let Some(outer) = outer {
        return explicit_mention(doc, outer, all, cues);
    }
    // Before the opening mark: `X said: "`, `X told reporters, "`, `X added "`.
    let before = doc.tokens.partition_point(|t| t.span.end <= q.span.start);
    if let Some(found) = cue_before_mark(doc, q, cues, sentence_start) {
        return Some(found);
    }
    // `…doesn't surprise Republican pollster Daron Shaw: "…"`: a full name
    // right before the colon that opens the quote.
    if let Some(colon) = before.checked_sub(2).filter(|&k| doc.token_text(k) == ":" && doc.token_text(k + 1).starts_with(is_quote_mark)) {
        let name_words = (colon.saturating_sub(2)..colon).filter(|&k| crate::ner::is_capitalised(doc, k)).count();
        // `…it recovered in San Bernardino: "…"` is a place.
        let after_preposition = colon >= 3 && matches!(doc.lower(colon - 3), "in" | "at" | "from" | "of" | "to" | "for" | "on" | "with" | "near" | "by" | "into");
        if name_words == 2 && !after_preposition {
            if let Some(m) = np_backward(doc, colon) {
                return Some((m, doc.tokens[colon].span));
            }
        }
    }
    // `Over the long term, according to the Congressional Budget Office, the rise ''is mainly…''`:
    // `according to` anywhere before the quote in its sentence names the source.
    if let Some(cue) = cues.iter().find(|c| matches!(c.kind, crate::cues::CueKind::AccordingTo) && c.token >= sentence_start && c.token + 2 < before) {
        if let Some(m) = np_after(doc, cue_end_token(doc, cue)).filter(|m| m.end <= q.span.start && can_name_speaker(doc, *m)) {
            return Some((m, cue.span));
        }
    }
    if let Some(found) = sentence_final_attribution(doc, q, cues) {
        return Some(found);
    }
    if let Some(found) = introduced_by_previous_paragraph(doc, q, cues) {
        return Some(found);
    }
    if let Some(found) = signed_by_next_paragraph(doc, q) {
        return Some(found);
    }
    // A colon headline with marks: `Kerry: "Iran can help"`.
    let para = doc.paragraphs[doc.paragraph_at(q.span.start)];
    let head = doc.slice(Span::new(para.start, q.span.start));
    if let Some(colon) = head.find(':') {
        // `Media shares blame in Iowa poll overhype - HuffPollster: "…"`: a
        // digest's headline, a dash, then its source.
        let dash = [" - ", " – ", " — "].iter().filter_map(|d| head[..colon].rfind(d).map(|at| at + d.len())).max();
        let label_start = para.start + dash.map_or(0, |end| head[..end].chars().count());
        let label = doc.trim(Span::new(label_start, para.start + head[..colon].chars().count()));
        if !label.is_empty() && doc.slice(label).split_whitespace().count() <= 5 {
            let colon_at = para.start + head[..colon].chars().count();
            return Some((label_mention(doc, label), Span::new(colon_at, colon_at + 1)));
        }
    }
    None
}

/// The cue just before a quote's opening mark, within 10 tokens and not
/// before token `lo`, and the mention it attributes.
fn cue_before_mark(doc: &Document, q: &QuoteSpan, cues: &[Cue], lo: usize) -> Option<(Span, Span)> {
    let before = doc.tokens.partition_point(|t| t.span.end <= q.span.start);
    if before == 0 {
        return None;
    }
    let mut k = before - 1; // the opening mark itself
    while k > 0 && doc.tokens[k].kind == TokenKind::Punct && is_quote_mark(doc.char_at(doc.tokens[k].span.start).unwrap_or(' ')) {
        k -= 1;
    }
    let lo = k.saturating_sub(10).max(lo);
    let mut j = k + 1;
    while j > lo {
        j -= 1;
        if let Some(cue) = cues.iter().rev().find(|c| c.token == j) {
            let start = cue_start_token(doc, cue);
            // `..., pledging to "bomb the hell out of ISIS"`: the clause's subject.
            let mention = if is_participle_after_comma(doc, cue) {
                participle_subject(doc, start - 1, cues)
            } else if doc.token_text(cue.token).ends_with("ing") && start > 0 && doc.tokens[start - 1].kind == TokenKind::Word {
                // `his campaign sent a text message to supporters saying: "…"`:
                // the clause's subject, not the object before the participle.
                subject_before(doc, start).filter(|m| can_name_speaker(doc, *m)).or_else(|| np_before(doc, start))
            } else {
                // After `told` come the hearers (`X told Bill O'Reilly of Fox News that "…"`),
                // after `described` its object (`but described his skills as a "…"`).
                let after = (!cue.object_follows()).then(|| np_after(doc, cue_end_token(doc, cue)).filter(|m| m.end <= q.span.start)).flatten();
                let subject = || subject_before(doc, start).filter(|m| can_name_speaker(doc, *m));
                // `…opposes "pay freezes" and recalled the freeze: "…"`: a coordinated
                // verb's subject is the sentence's, not the object after it.
                if start > 0 && matches!(doc.lower(start - 1), "and" | "but") {
                    np_before(doc, start).or_else(subject).or(after)
                } else {
                    np_before(doc, start).or(after).or_else(subject)
                }
            };
            return mention.map(|m| (m, cue.span));
        }
        if (j < k && doc.token_text(j).starts_with(is_quote_mark) && !is_plural_possessive_mark(doc, j)) || doc.is_terminal_punct(j) {
            return None;
        }
    }
    None
}

/// A quote opening its paragraph after a paragraph that ends with a colon
/// (`Cruz continued:`, `President Clinton released the following statement:`):
/// the source is the cue's subject in that last sentence, or with no cue the
/// sentence's subject. Returns the mention and the cue (the colon when no verb).
fn introduced_by_previous_paragraph(doc: &Document, q: &QuoteSpan, cues: &[Cue]) -> Option<(Span, Span)> {
    let p = doc.paragraph_at(q.span.start);
    let para = doc.paragraphs[p];
    // Only marks may stand between the paragraph's start and the quote.
    if p == 0 || !doc.slice(Span::new(para.start, q.span.start)).chars().all(|c| c.is_whitespace() || is_quote_mark(c)) {
        return None;
    }
    let TokenRange { start: first, end: last } = doc.tokens_in(doc.paragraphs[p - 1]);
    if last <= first || doc.token_text(last - 1) != ":" {
        return None;
    }
    let colon = last - 1;
    let sentence_first = doc.sentences[doc.sentence_at(doc.tokens[colon].span.start)].tokens.start;
    if let Some(cue) = cues.iter().rev().find(|c| c.token >= sentence_first && c.token < colon) {
        let start = cue_start_token(doc, cue);
        let mention = if is_participle_after_comma(doc, cue) {
            // `The New York Times confirmed that observation, reporting:`
            participle_subject(doc, start - 1, cues)
        } else if start > sentence_first {
            np_before(doc, start)
        } else {
            np_after(doc, cue_end_token(doc, cue))
        };
        return mention.filter(|m| can_name_speaker(doc, *m)).map(|m| (m, cue.span));
    }
    let subject = sentence_subject(doc, sentence_first, colon)?;
    can_name_speaker(doc, subject).then_some((subject, doc.tokens[colon].span))
}

/// `The lack of voting places was "particularly burdensome" on …, which had
/// fewer polling locations, the lawsuit alleges.`: a sentence that ends with a
/// short attribution after its last comma attributes every quote in it.
fn sentence_final_attribution(doc: &Document, q: &QuoteSpan, cues: &[Cue]) -> Option<(Span, Span)> {
    let sentence = &doc.sentences[doc.sentence_at(q.span.start)];
    let TokenRange { start: first, mut end } = sentence.tokens;
    while end > first && doc.tokens[end - 1].kind == TokenKind::Punct && !matches!(doc.token_text(end - 1), "," | ")") {
        end -= 1;
    }
    let comma = (first..end).rev().find(|&k| doc.token_text(k) == ",")?;
    if doc.tokens[comma].span.start < q.span.end || end - comma > 9 {
        return None;
    }
    let cue = cues.iter().find(|c| c.token > comma && c.token < end)?;
    let start = cue_start_token(doc, cue);
    let mention = if start == comma + 1 { np_after(doc, cue_end_token(doc, cue)) } else { np_backward(doc, start) };
    mention.filter(|m| m.start > doc.tokens[comma].span.start && can_name_speaker(doc, *m)).map(|m| (m, cue.span))
}

/// A quote closing its paragraph, signed by the next one (`- Bernie Sanders.`,
/// `—President Obama, tweeting after Clinton's speech.`): the name after the
/// dash. Returns the mention and the dash as the cue.
fn signed_by_next_paragraph(doc: &Document, q: &QuoteSpan) -> Option<(Span, Span)> {
    let p = doc.paragraph_at(q.span.start);
    let para = doc.paragraphs[p];
    if !doc.slice(Span::new(q.span.end, para.end)).chars().all(|c| c.is_whitespace() || is_quote_mark(c) || c.is_ascii_punctuation()) {
        return None;
    }
    let next = *doc.paragraphs.get(p + 1)?;
    let TokenRange { start: first, end: last } = doc.tokens_in(next);
    if last <= first + 1 || !matches!(doc.token_text(first), "-" | "—" | "–" | "--") {
        return None;
    }
    // The name: capitalised words (and stops of `Sen.`) up to a comma or the end.
    let mut end = first + 1;
    while end < last && (crate::ner::is_capitalised(doc, end) || crate::document::is_abbreviation_stop(doc, end)) {
        end += 1;
    }
    if end == first + 1 || !(end == last || matches!(doc.token_text(end), "," | ".")) {
        return None;
    }
    Some((doc.span_of_tokens(first + 1, end)?, doc.tokens[first].span))
}

/// `, said X`: a cue right after a comma, its source after it (a name or a
/// description, not `told reporters`).
fn is_inverted_cue(doc: &Document, cue: &Cue) -> bool {
    let (start, after) = (cue_start_token(doc, cue), cue_end_token(doc, cue));
    start > 0
        && doc.token_text(start - 1) == ","
        && cue.lemma() != "tell"
        && after < doc.tokens.len()
        && (crate::ner::is_capitalised(doc, after) || matches!(doc.lower(after), "the" | "a" | "an"))
}

/// `..., saying X`, `..., adding that X`, `“New York values,” saying X`: the
/// speaker is the sentence's subject. The comma may sit inside a closing mark.
fn is_participle_after_comma(doc: &Document, cue: &Cue) -> bool {
    let first = cue_start_token(doc, cue);
    let comma_before = |k: usize| doc.token_text(k) == ",";
    !matches!(cue.kind, crate::cues::CueKind::AccordingTo)
        && doc.token_text(cue.token).ends_with("ing")
        && first > 0
        && (comma_before(first - 1) || (first > 1 && doc.token_text(first - 1).starts_with(is_quote_mark) && comma_before(first - 2)))
}

/// Words that open an introductory phrase before a sentence's subject
/// (`On Tuesday, even as shares fell, Mr. Ackman wrote`).
const INTRO_WORDS: &[&str] = &[
    "on", "in", "at", "after", "before", "during", "while", "when", "as", "even", "asked", "speaking",
    "earlier", "later", "last", "since", "although", "though", "despite", "for", "with", "nonetheless",
    "however", "meanwhile", "but", "and", "yet", "still", "also", "from", "under", "instead",
    "then", "now", "so", "if", "once", "until", "by", "according", "over", "to", "among", "amid",
    "unlike", "like", "without", "through", "within", "given", "between", "indeed", "about",
    "against", "beyond", "following", "throughout", "because", "unless", "whether", "here", "there",
    "ever",
];

/// Capitalised words that open a sentence but never a speaker's name.
const NON_NAME_OPENERS: &[&str] = &[
    "that", "that's", "that’s", "it's", "it’s", "what", "these", "those", "this", "there", "here",
    "why", "how", "such", "no", "not", "only", "just",
];

/// The subject of the sentence starting at token `first`, ending before token
/// `limit`: a pronoun, a name or a role description right after any
/// introductory phrases. `None` when the sentence opens otherwise.
fn sentence_subject(doc: &Document, first: usize, limit: usize) -> Option<Span> {
    let mut start = doc.after_dateline(first, limit);
    // Step over introductory phrases, each ended by a comma (`Addressing the
    // UN,`), with any relative clause inside (`In Paris, where officials were
    // scrambling,`).
    while start < limit && (INTRO_WORDS.contains(&doc.lower(start)) || doc.lower(start).ends_with("ing") || matches!(doc.lower(start), "where" | "which" | "who")) {
        let comma = (start + 1..limit.min(start + 25)).find(|&t| doc.token_text(t) == ",")?;
        start = comma + 1;
    }
    if start >= limit {
        return None;
    }
    let w = doc.lower(start);
    if PRONOUNS_PERSON.contains(&w) || PRONOUNS_GROUP.contains(&w) {
        return Some(doc.tokens[start].span);
    }
    if opens_noun_phrase(w) {
        // `the ministry`, `the Albu Nimr tribe`
        let role = np_after(doc, start).filter(|m| m.end <= doc.tokens[limit - 1].span.end && can_name_speaker(doc, *m))?;
        return Some(appositive_name(doc, role, limit).unwrap_or(role));
    }
    let capitalised = |t: usize| doc.tokens[t].kind == TokenKind::Word && doc.token_text(t).starts_with(char::is_uppercase);
    if !capitalised(start) || TIME_WORDS.contains(&w) || MONTHS.contains(&w) || NON_NAME_OPENERS.contains(&w) {
        return None;
    }
    // A name: capitalised words, with the stops of `Mr.` and `W.`, particles
    // (`al-`, `bin`) and role nouns (`US officials`, `Kurdish leader Masoud
    // Barzani`); the verb after it is not part of it.
    let role_ahead = |t: usize| (t..(t + 3).min(limit)).any(|k| ROLE_NOUNS.contains(&doc.lower(k)));
    let mut end = start + 1;
    while end < limit
        && (capitalised(end)
            || crate::document::is_abbreviation_stop(doc, end)
            // `Iraq's foreign minister`, `the top US diplomat`
            || (doc.tokens[end].kind == TokenKind::Word && role_ahead(end))
            || NAME_PARTICLES.contains(&doc.lower(end))
            || matches!(doc.lower(end), "-" | "'s" | "’s"))
    {
        end += 1;
    }
    let subject = doc.span_of_tokens(start, end)?;
    let is_role = (start..end).any(|t| ROLE_NOUNS.contains(&doc.lower(t)));
    Some(if is_role { appositive_name(doc, subject, limit).unwrap_or(subject) } else { subject })
}

/// The proper name set off by commas right after a role (`Qatar's ruler,
/// Sheikh Tamim bin Hamad al-Thani, rejected`): who the role is.
fn appositive_name(doc: &Document, role: Span, limit: usize) -> Option<Span> {
    let TokenRange { start: _, end: after } = doc.tokens_in(role);
    if after >= limit || doc.token_text(after) != "," {
        return None;
    }
    let first = after + 1;
    let mut end = first;
    while end < limit
        && end < first + 8
        && (crate::ner::is_capitalised(doc, end) || crate::document::is_abbreviation_stop(doc, end) || NAME_PARTICLES.contains(&doc.lower(end)))
    {
        end += 1;
    }
    (end - first >= 2 && end < limit && doc.token_text(end) == ",").then(|| doc.span_of_tokens(first, end)).flatten()
}

/// The subject of the sentence a direct fragment sits in, when the sentence
/// starts before the fragment's opening mark (`Bush referred to Rubio as “a
/// bright, charismatic leader”`): the speaker of marked words with no speech cue.
fn embedding_subject(doc: &Document, q: &QuoteSpan) -> Option<Span> {
    if q.kind != QuoteKind::Direct {
        return None;
    }
    let open = doc.tokens.partition_point(|t| t.span.end <= q.span.start).checked_sub(1)?;
    let first = doc.sentences[doc.sentence_at(q.span.start)].tokens.start;
    // Words of the sentence before the opening mark: the quote is embedded.
    if !(first..open).any(|t| doc.tokens[t].kind == TokenKind::Word) {
        return None;
    }
    sentence_subject(doc, first, open)
}

/// First token of a cue's span (its auxiliaries included).
fn cue_start_token(doc: &Document, cue: &Cue) -> usize {
    doc.tokens.partition_point(|t| t.span.start < cue.span.start)
}

/// First token after a cue's span: where a source after the cue starts
/// (`according to X`, `said X`, `shot back X`).
fn cue_end_token(doc: &Document, cue: &Cue) -> usize {
    doc.tokens.partition_point(|t| t.span.start < cue.span.end)
}

/// Who does the `-ing` of `..., adding that` whose comma is token `comma`:
/// the source of a speech cue right before the comma (`X said, adding`,
/// `A, X said, adding`), else the sentence's subject (`X met Y, saying`).
fn participle_subject(doc: &Document, comma: usize, cues: &[Cue]) -> Option<Span> {
    if let Some(cue) = comma.checked_sub(1).and_then(|k| cues.iter().find(|c| c.token == k)) {
        if let Some(m) = np_before(doc, cue_start_token(doc, cue)) {
            return Some(m);
        }
    }
    subject_before(doc, comma)
}

/// The subject of the sentence that token `limit` sits in, before `limit`.
fn subject_before(doc: &Document, limit: usize) -> Option<Span> {
    let first = doc.sentences[doc.sentence_at(doc.tokens[limit.min(doc.tokens.len() - 1)].span.start)].tokens.start;
    sentence_subject(doc, first, limit)
}

/// The label of a colon headline: everything before the colon.
fn colon_label(doc: &Document, cue: &Cue) -> Option<Span> {
    let para = doc.paragraphs[doc.paragraph_at(cue.span.start)];
    let label = doc.trim(Span::new(para.start, cue.span.start));
    (!label.is_empty()).then(|| label_mention(doc, label))
}

/// The mention in a colon's label: the label itself (`Kerry:`), or the
/// pronoun that opens it (`He went on:` is `He`).
fn label_mention(doc: &Document, label: Span) -> Span {
    let TokenRange { start: first, end: _ } = doc.tokens_in(label);
    let w = doc.lower(first);
    if PRONOUNS_PERSON.contains(&w) || PRONOUNS_GROUP.contains(&w) {
        doc.tokens[first].span
    } else {
        label
    }
}

fn is_np_word(doc: &Document, t: usize) -> bool {
    let tok = &doc.tokens[t];
    if tok.kind == TokenKind::Punct {
        return false;
    }
    let w = doc.lower(t);
    if lemma_of(&w).is_some() && !ROLE_NOUNS.contains(&w) && !doc.token_text(t).starts_with(char::is_uppercase) {
        return false;
    }
    // `"…," From said`: a capital inside a sentence is a name, even when
    // it spells a function word (Al From). A capital right after an opening
    // mark starts the quoted sentence instead.
    let after_opening_mark = t > 0 && doc.tokens[t - 1].span.end == tok.span.start && doc.token_text(t - 1).starts_with(is_quote_mark);
    if doc.token_text(t).starts_with(char::is_uppercase) && doc.sentences[doc.sentence_at(tok.span.start)].tokens.start != t && !after_opening_mark {
        return true;
    }
    // `a spokesman for US Central Command`, `a lawmaker from Abadi's bloc`,
    // `a professor of Middle East politics at a Beirut university`: a
    // preposition after a role noun stays inside the description, as does
    // `now` before one (`a former planner now at a think tank`).
    if matches!(w, "for" | "from" | "of" | "at" | "in") && follows_role_noun(doc, t) {
        return true;
    }
    if w == "now" && t + 1 < doc.tokens.len() && matches!(doc.lower(t + 1), "at" | "in" | "with") && follows_role_noun(doc, t) {
        return true;
    }
    !matches!(
        w,
        "that" | "after" | "before" | "when" | "while" | "as" | "but" | "and" | "which" | "who" | "where" | "because" | "if" | "since" | "came" | "also" | "has" | "had" | "have" | "was" | "is" | "were" | "are" | "been" | "be" | "being" | "not" | "than" | "more" | "in" | "on" | "at" | "to" | "by" | "for" | "with" | "from" | "into" | "then" | "later" | "earlier" | "however" | "meanwhile"
    )
}

/// `she jokingly said`, `said publicly`: a lower-case `-ly` word that is no
/// noun stands between a cue and its source.
fn is_ly_adverb(doc: &Document, t: usize) -> bool {
    let w = doc.lower(t);
    w.len() > 4 && w.ends_with("ly") && !LY_NOUNS.contains(&w) && doc.token_text(t).starts_with(char::is_lowercase)
}

/// Nouns ending in `-ly`, unlike the adverbs that do.
const LY_NOUNS: &[&str] = &["family", "rally", "assembly", "supply", "anomaly", "monopoly", "ally", "bully", "belly", "reply", "lily", "holly", "folly", "jelly", "melancholy", "homily", "italy"];

/// Whether token `t` comes after a role noun in the same noun phrase: the
/// role noun itself, or up to six words before, all of them noun-phrase words
/// (`a professor of Middle East politics` before `at`).
fn follows_role_noun(doc: &Document, t: usize) -> bool {
    for k in (t.saturating_sub(6)..t).rev() {
        let w = doc.lower(k);
        if ROLE_NOUNS.contains(&w) {
            return true;
        }
        let plain = matches!(w, "of" | "for" | "from" | "at" | "in" | "the" | "a" | "an")
            || doc.tokens[k].kind == TokenKind::Word && lemma_of(&w).is_none() && !matches!(w, "who" | "which" | "that" | "and" | "but" | "said");
        if !plain {
            return false;
        }
    }
    false
}

/// Whether a span can name a speaker: it holds a capitalised word, a pronoun
/// or a role noun (`far more than the coalition` cannot).
fn can_name_speaker(doc: &Document, span: Span) -> bool {
    let TokenRange { start: a, end: b } = doc.tokens_in(span);
    (a..b).any(|t| {
        let w = doc.lower(t);
        doc.token_text(t).starts_with(char::is_uppercase) || ROLE_NOUNS.contains(&w) || PRONOUNS_PERSON.contains(&w) || PRONOUNS_GROUP.contains(&w) || w == "who"
    })
}

/// The noun phrase that ends just before token `end` (exclusive): a pronoun, a
/// name, or a role description. An appositive (`X, the Saudi envoy, said`) is
/// skipped to reach the name before it.
fn np_before(doc: &Document, end: usize) -> Option<Span> {
    // `Kerry last week said`, `Kerry on Tuesday told`: step over the adverbial.
    let mut end = end;
    while end > 0 && (TIME_WORDS.contains(&doc.lower(end - 1)) || doc.tokens[end - 1].kind == TokenKind::Number || is_ly_adverb(doc, end - 1)) {
        end -= 1;
    }
    if end == 0 {
        return None;
    }
    if doc.token_text(end - 1) != "," {
        return np_backward(doc, end);
    }
    // `X, a Pentagon spokesman, said` / `its president, Hadi al-Bahra, said`: of
    // the noun phrase and its appositive, the one that is a proper name wins.
    let mut k = end - 1;
    // Where the noun phrase ends when no appositive is found: before a
    // state's comma (`Mitch McConnell, R-Ky., said`), else before the comma.
    let mut before_state = end - 1;
    while k > 0 && k + 30 > end {
        k -= 1;
        let w = doc.token_text(k);
        if w == "," {
            let head = np_backward(doc, k);
            let appositive = doc.span_of_tokens(k + 1, end - 1);
            // `Cecelia Purner, 67, a retired representative in Allentown, Pa., said`:
            // the commas of a state and of an age set off no appositive; the name
            // is before them.
            let is_state = |s: Span| crate::document::is_state_abbreviation(&doc.slice(s).to_lowercase(), true);
            let is_age = |s: Span| doc.slice(s).chars().all(|c| c.is_ascii_digit());
            if appositive.is_some_and(is_state) {
                before_state = k;
                continue;
            }
            if head.is_some_and(is_age) {
                continue;
            }
            // A proper name: capitalised first and last words, no determiner before it.
            let is_name = |s: Span| {
                let words: Vec<&str> = doc.slice(s).split_whitespace().collect();
                let first = words.first().map(|w| w.to_lowercase()).unwrap_or_default();
                // `Hadi al-Bahra`: a particle before the capital still ends a name.
                let capital_end = |w: &str| w.starts_with(char::is_uppercase) || w.split('-').next_back().is_some_and(|p| p.starts_with(char::is_uppercase));
                words.first().is_some_and(|w| w.starts_with(char::is_uppercase))
                    && words.last().is_some_and(|w| capital_end(w))
                    && !opens_noun_phrase(&first)
            };
            let relative = |s: Span| matches!(doc.slice(s).split_whitespace().next(), Some("who" | "which" | "whose" | "whom"));
            return match (head, appositive) {
                (Some(h), Some(a)) if !is_name(h) && is_name(a) && doc.slice(a).split_whitespace().count() <= 7 => Some(a),
                (Some(h), _) => Some(h),
                (None, Some(a)) if !relative(a) => Some(a),
                (None, _) => None,
            };
        }
        if (w == "." && doc.is_terminal_punct(k)) || matches!(w, ";" | ":") || (w.starts_with(is_quote_mark) && !is_plural_possessive_mark(doc, k)) {
            break;
        }
    }
    np_backward(doc, before_state)
}

/// The apostrophe of `Sanders’ campaign manager`: attached to a word ending in
/// `s`, with a space after it. It is no closing quote mark.
fn is_plural_possessive_mark(doc: &Document, k: usize) -> bool {
    k > 0
        && k + 1 < doc.tokens.len()
        && matches!(doc.token_text(k), "’" | "'")
        && doc.tokens[k - 1].span.end == doc.tokens[k].span.start
        && doc.tokens[k - 1].kind == TokenKind::Word
        && doc.token_text(k - 1).ends_with(['s', 'S'])
        && doc.tokens[k + 1].span.start > doc.tokens[k].span.end
        && doc.tokens[k + 1].kind == TokenKind::Word
}

/// Time words that can stand between a source and its cue.
const TIME_WORDS: &[&str] = &[
    "last", "week", "month", "year", "on", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "yesterday", "today", "earlier", "later", "this", "also", "then", "once",
    "again", "night", "morning", "evening", "afternoon",
];

/// The maximal noun-phrase-like run of words ending at `end` (exclusive).
fn np_backward(doc: &Document, end: usize) -> Option<Span> {
    let mut end = end;
    // `Sen. Tim Kaine (D-Va.)`: step over a parenthetical.
    if end > 0 && doc.token_text(end - 1) == ")" {
        let open = (end.saturating_sub(8)..end - 1).rev().find(|&k| doc.token_text(k) == "(")?;
        end = open;
    }
    if end == 0 {
        return None;
    }
    let last = end - 1;
    let w = doc.lower(last);
    // `Beck, who said`: the relative pronoun is the mention; it resolves to
    // the noun phrase before it (see `resolve_mention`).
    if PRONOUNS_PERSON.contains(&w) || PRONOUNS_GROUP.contains(&w) || w == "who" {
        return Some(doc.tokens[last].span);
    }
    if !is_np_word(doc, last) {
        return None;
    }
    let sentence_first = doc.sentences[doc.sentence_at(doc.tokens[last].span.start)].tokens.start;
    let mut first = last;
    while first > sentence_first && last - first < 13 {
        let prev = first - 1;
        let pw = doc.token_text(prev);
        let possessive = crate::ner::is_possessive(pw);
        if is_np_word(doc, prev) || (possessive && doc.tokens[prev].kind == TokenKind::Word) {
            first = prev;
        } else if prev > sentence_first && is_plural_possessive_mark(doc, prev) {
            first = prev - 1;
        } else if prev > sentence_first && crate::document::is_abbreviation_stop(doc, prev) {
            // `Mr. Cruz`, `Sen. Tim Kaine`, `George W. Bush`: the stop is part of the name.
            first = prev - 1;
        } else {
            break;
        }
    }
    // Trim leading words that cannot start a noun phrase (adverbs, numbers of dates).
    while first < last && matches!(doc.lower(first), "earlier" | "later" | "last" | "on" | "speaking" | "also" | "this" | "today" | "yesterday") {
        first += 1;
    }
    Some(Span::new(doc.tokens[first].span.start, doc.tokens[last].span.end))
}

/// The noun phrase starting at token `start` (for `said X`, `according to X`).
fn np_after(doc: &Document, start: usize) -> Option<Span> {
    let mut start = start;
    while start < doc.tokens.len() && is_ly_adverb(doc, start) {
        start += 1;
    }
    if start >= doc.tokens.len() {
        return None;
    }
    let sentence_end = doc.sentences[doc.sentence_at(doc.tokens[start].span.start)].tokens.end;
    let w = doc.lower(start);
    if PRONOUNS_PERSON.contains(&w) || PRONOUNS_GROUP.contains(&w) {
        return Some(doc.tokens[start].span);
    }
    let mut last = start;
    while last < sentence_end
        && last - start < 10
        && (is_np_word(doc, last)
            || matches!(doc.lower(last), "the" | "a" | "an")
            // `said Sen. Tim Kaine`: an abbreviation's stop inside the name.
            || (last > start && last + 1 < sentence_end && crate::document::is_abbreviation_stop(doc, last) && is_np_word(doc, last + 1)))
    {
        last += 1;
    }
    if last == start {
        return None;
    }
    Some(Span::new(doc.tokens[start].span.start, doc.tokens[last - 1].span.end))
}


// ---------------------------------------------------------------------------
// Speakers

fn strip_possessive(s: &str) -> &str {
    s.strip_suffix("'s").or_else(|| s.strip_suffix("’s")).unwrap_or(s)
}

fn surface(doc: &Document, m: &NamedMention) -> String {
    strip_possessive(doc.slice(m.span)).to_string()
}

fn key_of(doc: &Document, m: &NamedMention) -> String {
    match m.entity_type {
        EntityType::PER => {
            let core = core_name(doc, m.tokens.start, m.tokens.end);
            // `Bashar al-Assad` and `Assad` share a key.
            let surname = strip_possessive(core.last().map(String::as_str).unwrap_or("")).to_lowercase();
            ["al-", "el-"].iter().find_map(|p| surname.strip_prefix(p)).map(str::to_string).unwrap_or(surname)
        }
        // `Islamic State group` and `Islamic State` are one speaker.
        _ => {
            let name = crate::eval::normalize_name(&surface(doc, m));
            name.strip_suffix(" group").map(str::to_string).unwrap_or(name)
        }
    }
}

/// Groups named mentions into speakers: people by surname, organisations and
/// states by their whole name. The name is the longest surface form.
fn cluster_names(doc: &Document, names: &[NamedMention]) -> Vec<SpeakerCluster> {
    let mut clusters: Vec<SpeakerCluster> = Vec::new();
    for m in names {
        let key = key_of(doc, m);
        if key.is_empty() {
            continue;
        }
        let form = surface(doc, m);
        match clusters.iter_mut().find(|c| c.key == key && c.entity_type == m.entity_type) {
            Some(c) => {
                if form.chars().count() > c.name.chars().count() {
                    let old = std::mem::replace(&mut c.name, form);
                    if !c.aliases.contains(&old) {
                        c.aliases.push(old);
                    }
                } else if form != c.name && !c.aliases.contains(&form) {
                    c.aliases.push(form);
                }
            }
            None => clusters.push(SpeakerCluster { name: form, entity_type: m.entity_type, aliases: Vec::new(), key }),
        }
    }
    clusters
}

/// A lone word that is the surname of a person named elsewhere in the
/// article is that person (`Syria's Assad` beside `Bashar al-Assad`), whatever
/// type the tagger gave it in its own context.
fn surnames_as_people(doc: &Document, mut names: Vec<NamedMention>) -> Vec<NamedMention> {
    let people: Vec<String> = names.iter().filter(|n| n.entity_type == EntityType::PER && n.tokens.len() > 1).map(|n| key_of(doc, n)).collect();
    for n in names.iter_mut().filter(|n| n.entity_type != EntityType::PER && n.tokens.len() == 1) {
        let as_person = NamedMention { entity_type: EntityType::PER, ..n.clone() };
        if people.contains(&key_of(doc, &as_person)) {
            n.entity_type = EntityType::PER;
        }
    }
    names
}

fn cluster_of(doc: &Document, m: &NamedMention, speakers: &[SpeakerCluster]) -> Option<usize> {
    let key = key_of(doc, m);
    speakers.iter().position(|c| c.key == key && c.entity_type == m.entity_type)
}

/// A speaker for an unnamed description (`a Turkish government official`).
fn description_speaker(doc: &Document, mention: Span, speakers: &mut Vec<SpeakerCluster>) -> usize {
    let name = doc.slice(mention).to_string();
    let key = format!("desc:{}", crate::eval::normalize_name(&name));
    if let Some(i) = speakers.iter().position(|c| c.key == key) {
        return i;
    }
    let is_org = ORGANISATION_ROLE_NOUNS.iter().any(|r| name.to_lowercase().ends_with(r));
    speakers.push(SpeakerCluster { name, entity_type: if is_org { EntityType::ORG } else { EntityType::PER }, aliases: Vec::new(), key });
    speakers.len() - 1
}

/// Maps a mention to a speaker, and says which sieve did it when it is not explicit.
fn resolve_mention(
    doc: &Document,
    mention: Span,
    names: &[NamedMention],
    speakers: &mut Vec<SpeakerCluster>,
    recent: &[ResolvedSpeaker],
) -> (Option<usize>, Option<Sieve>) {
    let text = doc.slice(mention).to_lowercase();
    // `Beck, who said`: whoever the noun phrase before the relative pronoun names.
    if is_relative_who(doc, mention) {
        return match relative_antecedent(doc, mention) {
            Some(antecedent) => resolve_mention(doc, antecedent, names, speakers, recent),
            None => (None, None),
        };
    }
    // A pronoun: the most recent speaker of the right kind, else the most recent name.
    if PRONOUNS_PERSON.contains(&text.as_str()) || PRONOUNS_GROUP.contains(&text.as_str()) {
        let person = PRONOUNS_PERSON.contains(&text.as_str());
        let fits = |t: EntityType| (t == EntityType::PER) == person;
        let para = doc.paragraph_at(mention.start);
        // Candidates: earlier speakers, and names that are the subject of their
        // sentence (the first name in its opening words). The most recent wins;
        // names merely mentioned (objects) are skipped, as readers skip them.
        let last_speaker = recent.iter().rev().find(|r| r.at < mention.start && fits(speakers[r.speaker].entity_type)).map(|r| (r.at, r.speaker));
        let last_subject = names
            .iter()
            .rev()
            .filter(|n| n.span.end <= mention.start && fits(n.entity_type) && is_subject(doc, n, names))
            .find_map(|n| cluster_of(doc, n, speakers).map(|c| (n.span.start, c)));
        let any_name = names.iter().rev().find(|n| n.span.end <= mention.start && fits(n.entity_type) && doc.paragraph_at(n.span.start) == para);
        let pick = match (last_speaker, last_subject) {
            (Some((sp, s)), Some((np, n))) => Some(if np > sp { n } else { s }),
            (Some((_, s)), None) => Some(s),
            (None, Some((_, n))) => Some(n),
            (None, None) => any_name.and_then(|n| cluster_of(doc, n, speakers)),
        };
        return (pick, Some(Sieve::Pronoun));
    }
    // A name that heads the mention (`US Secretary of State John Kerry`, `Mr Kerry`),
    // not one that only modifies it (`a Turkish government official`) or that a
    // role's preposition attaches (`a spokesman for US Central Command` is the
    // spokesman, not the command).
    if !is_role_description(&text) {
        if let Some(n) = names.iter().rev().find(|n| n.span.overlaps(mention) && n.span.end + 2 >= mention.end) {
            if let Some(c) = cluster_of(doc, n, speakers) {
                return (Some(c), None);
            }
        }
    }
    // A definite role noun: a named speaker with that role, else the last person speaker.
    let words: Vec<&str> = text.split_whitespace().collect();
    let head = words.last().copied().unwrap_or("");
    if ROLE_NOUNS.contains(&head) && matches!(words.first(), Some(&"the")) && words.len() <= 4 {
        let role_match = recent
            .iter()
            .rev()
            .find(|r| r.at < mention.start && {
                let c = &speakers[r.speaker];
                std::iter::once(&c.name).chain(c.aliases.iter()).any(|n| n.to_lowercase().contains(head))
            })
            .map(|r| r.speaker);
        let named = names
            .iter()
            .rev()
            .filter(|n| n.span.end <= mention.start && doc.slice(n.span).to_lowercase().contains(head))
            .find_map(|n| cluster_of(doc, n, speakers));
        if let Some(s) = role_match.or(named) {
            return (Some(s), Some(Sieve::RoleNoun));
        }
    }
    (Some(description_speaker(doc, mention, speakers)), None)
}

/// The noun phrase a relative `who` (the mention `who`) refers to: the one
/// right before it, or before its comma (`said Mr. Ekovich, who noted`).
fn relative_antecedent(doc: &Document, who: Span) -> Option<Span> {
    let k = doc.tokens.partition_point(|t| t.span.start < who.start);
    let end = if k > 0 && doc.token_text(k - 1) == "," { k - 1 } else { k };
    np_backward(doc, end).filter(|a| !is_relative_who(doc, *a) && can_name_speaker(doc, *a))
}

/// Whether a mention is the relative pronoun `who` (see [`relative_antecedent`]).
fn is_relative_who(doc: &Document, mention: Span) -> bool {
    doc.slice(mention).eq_ignore_ascii_case("who")
}

/// `a spokesman for US Central Command`, `one of the tribe's leaders`: a role
/// noun, then a preposition that attaches the rest.
fn is_role_description(lower_text: &str) -> bool {
    let words: Vec<&str> = lower_text.split_whitespace().collect();
    words.windows(2).take(8).any(|w| ROLE_NOUNS.contains(&w[0]) && matches!(w[1], "for" | "of" | "from" | "at" | "in" | "with" | "now"))
        && matches!(words.first(), Some(&("a" | "an" | "one" | "another" | "the" | "two" | "three" | "several")))
}

/// Whether a name is its sentence's subject: the first name of the sentence,
/// within its first few words.
fn is_subject(doc: &Document, n: &NamedMention, names: &[NamedMention]) -> bool {
    let sentence = &doc.sentences[doc.sentence_at(n.span.start)];
    let first_in_sentence = !names.iter().any(|m| m.span.start >= sentence.span.start && m.span.start < n.span.start);
    // `In Anbar, Sheikh Ahmed Abu Risha welcomed the idea`: after an
    // introductory phrase, the name that opens the clause.
    let opens_clause = || sentence_subject(doc, sentence.tokens.start, sentence.tokens.end).is_some_and(|s| s.overlaps(n.span));
    (first_in_sentence && n.tokens.start <= sentence.tokens.start + 6) || opens_clause()
}

/// The nearest named person before an offset (or after it, when none is before).
fn nearest_person(doc: &Document, offset: usize, names: &[NamedMention], speakers: &mut [SpeakerCluster]) -> Option<usize> {
    let before = names.iter().rev().find(|n| n.span.end <= offset && n.entity_type == EntityType::PER);
    let after = names.iter().find(|n| n.span.start >= offset && n.entity_type == EntityType::PER);
    before.or(after).and_then(|n| cluster_of(doc, n, speakers))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text's document and its attribution, names from capitalisation alone.
    fn attributed(text: &str) -> (Document, Attribution) {
        crate::analyse(text)
    }

    /// (quote text, speaker name, sieve) for every quote.
    fn run(text: &str) -> Vec<(String, Option<String>, Option<Sieve>)> {
        let (doc, a) = attributed(text);
        a.quotes
            .iter()
            .map(|q| (doc.slice(q.quote.span).to_string(), q.speaker.map(|s| a.speakers[s].name.clone()), q.sieve))
            .collect()
    }

    fn speaker_of(text: &str, quote: &str) -> Option<String> {
        run(text).into_iter().find(|(q, _, _)| q == quote).and_then(|(_, s, _)| s)
    }

    #[test]
    fn name_said_after_the_quote() {
        assert_eq!(speaker_of("\"We will win,\" Mr Kerry said.", "We will win,").as_deref(), Some("Mr Kerry"));
    }

    #[test]
    fn a_question_mark_before_the_closing_mark_still_takes_the_cue_after() {
        // The capital after `?"` opens a sentence; without the cue the quote would
        // fall to the nearest name (`Texas`).
        let text = "The play will tour Texas.\n\n\"It is all a show, no?\" Freddy Ortega said.";
        let r = run(text);
        assert_eq!(r[0], ("It is all a show, no?".to_string(), Some("Freddy Ortega".to_string()), Some(Sieve::Explicit)));
        // A new sentence with no cue stays unattributed by this pattern.
        assert_ne!(run("\"Why would anyone want to go there now?\" The crowd was silent. Kerry spoke later.")[0].2, Some(Sieve::Explicit));
    }

    #[test]
    fn a_paragraph_ending_with_a_colon_introduces_the_next_quote() {
        let text = "Cruz continued:\n\n\"You look at the questions. How about the issues people care about?\"";
        assert_eq!(run(text)[0].1.as_deref(), Some("Cruz"));
        // No cue verb: the subject of the sentence before the colon.
        let text = "When Wallace died, President Clinton released the following statement:\n\n\"Hillary and I offer our condolences.\"";
        let r = run(text);
        assert_eq!((r[0].1.as_deref(), r[0].2), (Some("President Clinton"), Some(Sieve::Explicit)));
    }

    #[test]
    fn a_participle_before_the_colon_takes_the_clause_subject() {
        let text = "The New York Times confirmed that observation, reporting:\n\n\"A flow of cash made its way to the foundation.\"";
        assert_eq!(run(text)[0].1.as_deref(), Some("New York Times"));
    }

    #[test]
    fn a_participle_after_its_object_takes_the_clause_subject() {
        let text = "Yet it was unclear. The Vermont senator emailed supporters saying: \"The struggle continues.\"";
        assert_eq!(run(text)[0].1.as_deref(), Some("The Vermont senator"));
    }

    #[test]
    fn the_hearer_after_told_is_not_the_source() {
        let text = "On Friday, Gingrich — mentioned by Newsmax as the leading choice for Donald Trump’s running mate — told Bill O’Reilly of Fox News, that “you have to look at it very seriously, of course.”";
        assert_eq!(run(text)[0].1.as_deref(), Some("Gingrich"));
    }

    #[test]
    fn a_statement_that_reads_is_the_source() {
        let text = "\"Melania's team of writers took notes on her life's inspirations,\" read the statement, which was attributed to Miller.";
        assert_eq!(run(text)[0].2, Some(Sieve::Explicit));
    }

    #[test]
    fn according_to_after_the_quote_names_the_source() {
        let r = run("\"We will win this war,\" according to Kerry.");
        assert_eq!((r[0].1.as_deref(), r[0].2), (Some("Kerry"), Some(Sieve::Explicit)));
        // The source starts after the whole cue, particle included.
        let (doc, a) = attributed("\"Let me talk, please, let me talk,\" shot back Trump.");
        assert_eq!(a.quotes[0].mention.map(|m| doc.slice(m)), Some("Trump"));
    }

    #[test]
    fn a_plural_possessive_apostrophe_is_no_quote_mark() {
        let text = "“Bernie believes the path requires leaders,” Jeff Weaver, Sanders’ campaign manager, said in a statement.";
        assert_eq!(run(text)[0].2, Some(Sieve::Explicit));
    }

    #[test]
    fn a_dash_paragraph_signs_the_quote_before_it() {
        let text = "\"Real unemployment is not 5 percent, it is close to 10 percent.\"\n\n- Bernie Sanders.\n\nThe senator is relying on an outdated statistic.";
        let r = run(text);
        assert_eq!((r[0].1.as_deref(), r[0].2), (Some("Bernie Sanders"), Some(Sieve::Explicit)));
    }

    #[test]
    fn an_inverted_cue_after_reported_speech_takes_the_name_after_it() {
        let text = "Kazakhstan has been \"very careful\" in its dealings with Central Asia, said Nargis Kassenova, an international relations professor.";
        assert_eq!(run(text)[0].1.as_deref(), Some("Nargis Kassenova"));
    }

    #[test]
    fn a_short_attribution_after_a_full_stop_is_the_quotes_own() {
        let text = "“Russia, if you’re listening, find the emails that are missing.” Trump said.\n\nClinton says the mails were personal.";
        let r = run(text);
        assert_eq!((r[0].1.as_deref(), r[0].2), (Some("Trump"), Some(Sieve::Explicit)));
    }

    #[test]
    fn a_mention_that_names_no_one_stays_the_source_mention() {
        let text = "Dawson lifted a sign of her own.\n\n“I am still Sanders,” it read.";
        let (doc, a) = attributed(text);
        assert_eq!(a.quotes[0].source_mention.map(|m| doc.slice(m)), Some("it"));
        // Capitalised, `Read` is a name, not the verb.
        let r = run("\"We believe this deal is a great deal for shareholders,\" Read said.");
        assert_eq!((r[0].1.as_deref(), r[0].2), (Some("Read"), Some(Sieve::Explicit)));
    }

    #[test]
    fn a_short_attribution_ending_the_sentence_attributes_its_fragments() {
        let text = "The lack of voting places was \"particularly burdensome\" on black communities, which had fewer polling locations than white communities, the lawsuit alleges.";
        let (doc, a) = attributed(text);
        let q = a.quotes.iter().find(|q| doc.slice(q.quote.span) == "particularly burdensome").expect("the fragment");
        assert_eq!((q.mention.map(|m| doc.slice(m)), q.sieve), (Some("the lawsuit"), Some(Sieve::Explicit)));
    }

    #[test]
    fn a_state_after_the_party_letter_does_not_end_the_attribution() {
        let text = "\"Let me make it clear,\" Senate Majority Leader Mitch McConnell, R-Ky., said.";
        assert_eq!(run(text)[0].2, Some(Sieve::Explicit));
    }

    #[test]
    fn a_participle_before_the_quote_takes_the_clause_subject() {
        let text = "Trump spoke in the ad, warning against refugees from Syria, pledging to \"bomb the hell out of ISIS.\"";
        assert_eq!(speaker_of(text, "bomb the hell out of ISIS.").as_deref(), Some("Trump"));
    }

    #[test]
    fn a_participle_after_a_closing_comma_takes_the_clause_subject() {
        let text = "Donald Trump has delivered a defense of “New York values,” saying the city embodied the “bravery of America.”";
        assert_eq!(speaker_of(text, "New York values,").as_deref(), Some("Donald Trump"));
        assert_eq!(speaker_of(text, "bravery of America.").as_deref(), Some("Donald Trump"));
        // `according to` is no participle: the source follows it.
        let text = "Carter spoke with Han \"to discuss responses to the test,\" according to a Pentagon readout.";
        let speaker = speaker_of(text, "to discuss responses to the test,").unwrap_or_default();
        assert!(speaker.contains("Pentagon"), "{speaker}");
    }

    #[test]
    fn the_object_after_describe_or_call_is_never_the_speaker() {
        let text = "Bush praised the plan in New Hampshire but described his leadership skills as a “work in progress for the party.”";
        assert_eq!(speaker_of(text, "work in progress for the party.").as_deref(), Some("Bush"));
    }

    #[test]
    fn an_adverb_between_source_and_cue_is_stepped_over() {
        let speaker = speaker_of("Ohio Gov. John Kasich broadly said: \"We need boots on the ground.\"", "We need boots on the ground.").unwrap_or_default();
        assert!(speaker.ends_with("John Kasich"), "{speaker}");
    }

    #[test]
    fn a_cue_after_and_belongs_to_the_next_clause() {
        let text = "Donald Trump called the pact \"a total disaster for our workers,\" and Bernie Sanders said it was bad.";
        assert_eq!(speaker_of(text, "a total disaster for our workers,").as_deref(), Some("Donald Trump"));
    }

    #[test]
    fn a_direct_quote_after_an_indirect_one_keeps_its_own_cue() {
        let text = "Clinton said that experts had found her plans strong, to which Martin O'Malley interjected: \"It's just not true.\"";
        assert_eq!(speaker_of(text, "It's just not true.").as_deref(), Some("Martin O'Malley"));
    }

    #[test]
    fn a_long_appositive_between_the_quote_and_its_cue() {
        let text = "Voters are wary. \"I just don't think she's been completely truthful about it,\" Cecelia Purner, 67, a retired customer service representative in Allentown, Pa., said in a follow-up interview.";
        assert_eq!(speaker_of(text, "I just don't think she's been completely truthful about it,").as_deref(), Some("Cecelia Purner"));
    }

    #[test]
    fn a_name_spelt_like_a_function_word_and_an_opening_here() {
        assert_eq!(speaker_of("Democrats changed. \"The circumstances are different now,\" From said.", "The circumstances are different now,").as_deref(), Some("From"));
        let text = "Here in Columbia, Sanders stepped up his emphasis on justice, saying, \"We have got to achieve the day.\"";
        assert_eq!(speaker_of(text, "We have got to achieve the day.").as_deref(), Some("Sanders"));
    }

    #[test]
    fn a_digest_headline_names_its_source_after_the_dash() {
        let text = "Media shares blame in Iowa poll overhype - HuffPollster: \"Pollsters are taking a lot of heat from the public.\"";
        assert_eq!(speaker_of(text, "Pollsters are taking a lot of heat from the public.").as_deref(), Some("HuffPollster"));
    }

    #[test]
    fn a_full_name_before_the_opening_colon_is_the_source() {
        let text = "The timing of the surge doesn't surprise Republican pollster Daron Shaw: \"Lesser-known candidates have seen the biggest boost.\"";
        assert_eq!(speaker_of(text, "Lesser-known candidates have seen the biggest boost.").as_deref(), Some("Daron Shaw"));
        // After a preposition it is a place.
        let text = "The government did little with what it recovered in San Bernardino: \"Nothing at all was done with the intelligence.\"";
        assert_ne!(speaker_of(text, "Nothing at all was done with the intelligence.").as_deref(), Some("San Bernardino"));
    }

    #[test]
    fn a_coordinated_cue_takes_the_sentence_subject_not_its_object() {
        let text = "Hillary Clinton opposes \"arbitrary pay freezes\" and recalled the freeze on federal pay: \"I saw how difficult it was for employees.\"";
        assert_eq!(speaker_of(text, "I saw how difficult it was for employees.").as_deref(), Some("Hillary Clinton"));
    }

    #[test]
    fn ever_since_opens_an_introductory_phrase() {
        let text = "Ever since she endorsed Clinton this month, Elizabeth Warren has been a powerful surrogate, telling staffers: \"Don't screw this up!\"";
        assert_eq!(speaker_of(text, "Don't screw this up!").as_deref(), Some("Elizabeth Warren"));
    }

    #[test]
    fn a_relative_pronoun_is_the_mention_and_names_its_antecedent() {
        let text = "Polls were close. Tim Scott, who described the remarks as \"the most racially toxic thing I have heard,\" voted no.";
        assert_eq!(speaker_of(text, "the most racially toxic thing I have heard,").as_deref(), Some("Tim Scott"));
        let (doc, a) = attributed(text);
        assert_eq!(a.quotes[0].source_mention.map(|m| doc.slice(m)), Some("who"));
        // In the next paragraph the relative clause is over: a continued quote is the name's.
        let text = "The broker was Mr. Ekovich, who noted: \"Prices had cratered to half their value in those years.\"\n\n\"Things are moving in the right direction now.\"";
        let (doc, a) = attributed(text);
        let last = a.quotes.last().unwrap();
        assert_eq!((doc.slice(last.quote.span), last.source_mention.map(|m| doc.slice(m))), ("Things are moving in the right direction now.", Some("Mr. Ekovich")));
    }

    #[test]
    fn a_cue_after_a_comma_takes_the_name_after_it() {
        let text = "\"The most impressive aspect has been resilience,\" like the recent volatility of markets, said Richard Curtin, an economist.";
        assert_eq!(speaker_of(text, "The most impressive aspect has been resilience,").as_deref(), Some("Richard Curtin"));
        // After `told`, the name is the hearer.
        let text = "The coalition welcomed it. \"We have asked the world for months,\" its president, Hadi al-Bahra, told Al Jazeera.";
        assert_eq!(speaker_of(text, "We have asked the world for months,").as_deref(), Some("Hadi al-Bahra"));
    }

    #[test]
    fn according_to_earlier_in_the_sentence_names_the_source() {
        let text = "Over the long term, according to the Congressional Budget Office, the rise in annual deficits \"is mainly attributable to the aging of the population.\"";
        let r = run(text);
        assert_eq!((r[0].1.as_deref(), r[0].2), (Some("Congressional Budget Office"), Some(Sieve::Explicit)));
    }

    #[test]
    fn a_function_word_opening_the_sentence_is_no_subject() {
        let text = "That same month, the super PAC premiered a documentary, \"Citizen Carly,\" about the merger.";
        assert_ne!(speaker_of(text, "Citizen Carly,").as_deref(), Some("That"));
        let text = "That's why he wanted to \"go an extra step\" with them.";
        assert_ne!(speaker_of(text, "go an extra step").as_deref(), Some("That's"));
    }

    #[test]
    fn an_abbreviated_title_does_not_end_the_attribution() {
        assert_eq!(speaker_of("\"We will win,\" Mr. Cruz said.", "We will win,").as_deref(), Some("Mr. Cruz"));
        assert_eq!(speaker_of("\"We will win,\" said Sen. Tim Kaine.", "We will win,").as_deref(), Some("Sen. Tim Kaine"));
    }

    #[test]
    fn an_appositive_between_quote_and_cue() {
        let t = "“Guns stunt growth,” Howard Dean, the former governor of Vermont, told a cheering crowd.";
        assert_eq!(speaker_of(t, "Guns stunt growth,").as_deref(), Some("Howard Dean"));
    }

    #[test]
    fn a_fragment_with_no_cue_belongs_to_its_sentence_subject() {
        let t = "Bush referred to Rubio as “a bright, charismatic leader” on Monday.";
        let r = run(t);
        assert_eq!(r, vec![("a bright, charismatic leader".to_string(), Some("Bush".to_string()), Some(Sieve::Subject))]);
        // Past introductory phrases, to the subject.
        let t = "On Tuesday, even as shares fell, Mr. Ackman described the stock as “worth multiples of the current price.”";
        assert_eq!(speaker_of(t, "worth multiples of the current price.").as_deref(), Some("Mr. Ackman"));
    }

    #[test]
    fn a_role_placed_by_in_is_one_description() {
        let t = "A spokesman for the US-led coalition in Baghdad said it was aware of the reports.";
        assert_eq!(speaker_of(t, "it was aware of the reports").as_deref(), Some("A spokesman for the US-led coalition in Baghdad"));
    }

    #[test]
    fn a_colon_label_opened_by_a_pronoun_is_the_pronoun() {
        let t = "Sheikh Abdul Mahdi al-Karbalai read the sermon.\n\nHe went on: \"Iraqis alone decide what happens on their land.\"";
        assert_eq!(speaker_of(t, "Iraqis alone decide what happens on their land.").as_deref(), Some("Sheikh Abdul Mahdi al-Karbalai"));
    }

    #[test]
    fn an_appositive_name_with_a_particle_beats_the_role() {
        let t = "The opposition welcomed the raids. “We have asked the world for months,” its president, Hadi al-Bahra, told Al Jazeera.";
        assert_eq!(speaker_of(t, "We have asked the world for months,").as_deref(), Some("Hadi al-Bahra"));
    }

    #[test]
    fn a_dateline_is_no_subject() {
        let t = "Indonesia to fight IS at home\n\nJAKARTA, Sept. 2014 — Indonesia will not take part in the US-led military coalition against Islamic State, Foreign Minister Marty Natalegawa said, adding that the country's priority was to stop its own citizens from joining the group.";
        let r = run(t);
        assert_eq!(r[0].0, "Indonesia will not take part in the US-led military coalition against Islamic State", "the dateline is not part of the quote");
        assert!(r.iter().all(|(_, s, _)| s.as_deref() != Some("JAKARTA")), "{r:?}");
        // `X said, adding that`: the one who said adds, not the sentence's subject.
        let adding = r.iter().find(|(q, _, _)| q.starts_with("the country's priority")).expect("the participle's quote");
        assert_eq!(adding.1.as_deref(), Some("Foreign Minister Marty Natalegawa"));
    }

    #[test]
    fn a_coordinated_cue_takes_the_clause_subject() {
        let t = "Mr Trump attacked her. He called her “weak” and said she had no support in New Hampshire.";
        assert_eq!(speaker_of(t, "she had no support in New Hampshire").as_deref(), Some("Mr Trump"));
    }

    #[test]
    fn said_name_after_the_quote() {
        let t = "\"We will win,\" said Foreign Minister Laurent Fabius.";
        assert_eq!(speaker_of(t, "We will win,").as_deref(), Some("Foreign Minister Laurent Fabius"));
    }

    #[test]
    fn name_said_colon_before_the_quote() {
        let t = "President Barack Obama told reporters: \"We will degrade them.\"";
        assert_eq!(speaker_of(t, "We will degrade them.").as_deref(), Some("President Barack Obama"));
    }

    #[test]
    fn according_to_names_the_source() {
        let t = "Ten jets took part, according to the Pentagon.";
        assert_eq!(speaker_of(t, "Ten jets took part").as_deref(), Some("Pentagon"));
    }

    #[test]
    fn aliases_cluster_under_the_most_complete_name() {
        let t = "US Secretary of State John Kerry arrived. \"Iran can help,\" Mr Kerry said.";
        let (_, a) = attributed(t);
        assert_eq!(a.speakers.len(), 1);
        assert_eq!(a.speakers[0].name, "US Secretary of State John Kerry");
        assert!(a.speakers[0].aliases.contains(&"Mr Kerry".to_string()));
    }

    #[test]
    fn pronoun_resolves_to_the_last_person_speaker() {
        let t = "Mr Kerry said Iran could help.\n\nHe added: \"There is a role for Iran.\"";
        let r = run(t);
        let q = r.iter().find(|(q, _, _)| q == "There is a role for Iran.").unwrap();
        assert_eq!(q.1.as_deref(), Some("Mr Kerry"));
        assert_eq!(q.2, Some(Sieve::Pronoun));
    }

    #[test]
    fn role_noun_resolves_to_a_named_speaker_with_that_role() {
        let t = "Prime Minister Haider al-Abadi said Iraq needed help.\n\n\"We are fighting,\" the prime minister said.";
        let r = run(t);
        let q = r.iter().find(|(q, _, _)| q == "We are fighting,").unwrap();
        assert_eq!(q.1.as_deref(), Some("Prime Minister Haider al-Abadi"));
        assert_eq!(q.2, Some(Sieve::RoleNoun));
    }

    #[test]
    fn unattributed_paragraph_continues_the_previous_speaker() {
        let t = "\"The strikes work,\" Mr Kerry said.\n\n\"And they will go on.\"";
        let r = run(t);
        assert_eq!(r[1].1.as_deref(), Some("Mr Kerry"));
        assert_eq!(r[1].2, Some(Sieve::Continuation));
    }

    #[test]
    fn unnamed_source_is_named_by_its_description() {
        let t = "Ankara would stay out of combat, a Turkish government official said.";
        assert_eq!(speaker_of(t, "Ankara would stay out of combat").as_deref(), Some("a Turkish government official"));
    }

    #[test]
    fn a_role_with_a_preposition_is_its_own_speaker() {
        let t = "The strikes were lawful, a spokesman for US Central Command said.";
        assert_eq!(speaker_of(t, "The strikes were lawful").as_deref(), Some("a spokesman for US Central Command"));
        assert!(is_role_description("a spokesman for us central command"));
        assert!(!is_role_description("us secretary of state john kerry"));
    }

    #[test]
    fn appositive_between_name_and_cue() {
        let t = "Adel al-Jubeir, the Saudi ambassador in Washington, said the kingdom would host the programme.";
        assert_eq!(speaker_of(t, "the kingdom would host the programme").as_deref(), Some("Adel al-Jubeir"));
    }

    #[test]
    fn a_role_description_keeps_its_place_and_its_now() {
        let t = "\"Bombs do not kill ideas,\" said a professor of Middle East politics at a Beirut university.";
        assert_eq!(speaker_of(t, "Bombs do not kill ideas,").as_deref(), Some("a professor of Middle East politics at a Beirut university"));
        let t = "A former air force planner now at a Washington institute said the strikes had worked.";
        assert_eq!(speaker_of(t, "the strikes had worked").as_deref(), Some("A former air force planner now at a Washington institute"));
        // A preposition after a plain noun ends the phrase as before.
        let t = "The talks in Geneva said nothing, officials at the embassy said.";
        assert_eq!(speaker_of(t, "The talks in Geneva said nothing").as_deref(), Some("officials at the embassy"));
    }

    #[test]
    fn a_group_named_with_and_without_group_is_one_speaker() {
        let t = "The Islamic State group said France would stay a target. Later Islamic State said its fighters would strike again.";
        let r = run(t);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].1.as_deref(), Some("Islamic State group"));
        assert_eq!(r[1].1, r[0].1);
    }

    #[test]
    fn a_lone_surname_typed_as_a_place_joins_the_person() {
        // A mention of `word` (its first occurrence) typed `entity_type`.
        let mention = |doc: &Document, word: &str, entity_type: EntityType| {
            let start = doc.text.find(word).unwrap();
            let span = Span::new(start, start + word.chars().count());
            NamedMention { span, entity_type, tokens: doc.tokens_in(span) }
        };
        let doc = Document::new("Bashar al-Assad spoke in Damascus. Then Assad left.");
        let person = mention(&doc, "Bashar al-Assad", EntityType::PER);
        let place = mention(&doc, "Damascus", EntityType::GPE);
        let mut surname = mention(&doc, "Assad left", EntityType::GPE);
        surname.span.end = surname.span.start + "Assad".len();
        surname.tokens.end = surname.tokens.start + 1;
        let fixed = surnames_as_people(&doc, vec![person, place, surname]);
        assert_eq!(fixed[2].entity_type, EntityType::PER);
        // A place that is nobody's surname keeps its type.
        assert_eq!(fixed[1].entity_type, EntityType::GPE);
    }

    #[test]
    fn a_pronoun_finds_the_subject_after_an_introductory_phrase() {
        let t = "\"Arm the tribes,\" Thornberry said.\n\nIn Anbar, Sheikh Ahmed Abu Risha welcomed the idea.\n\n\"Let Washington do it,\" he told AFP.";
        assert_eq!(speaker_of(t, "Let Washington do it,").as_deref(), Some("Sheikh Ahmed Abu Risha"));
        // With a relative clause inside the introductory phrase.
        let t = "\"We stand firm,\" Mr Abbott said.\n\nIn Paris, where officials were busy, Minister Bernard Cazeneuve spoke. \"France is not afraid,\" he said.";
        assert_eq!(speaker_of(t, "France is not afraid,").as_deref(), Some("Minister Bernard Cazeneuve"));
    }

    #[test]
    fn a_role_subject_is_the_name_set_off_after_it() {
        let t = "Gerd Mueller said Qatar paid the militants.\n\nQatar's ruler, Sheikh Tamim bin Hamad al-Thani, rejected the charge. \"Qatar has never paid,\" he said.";
        assert_eq!(speaker_of(t, "Qatar has never paid,").as_deref(), Some("Sheikh Tamim bin Hamad al-Thani"));
        let t = "Pope Francis spoke first.\n\nThe Holy See's envoy in Geneva, Archbishop Silvano Tomasi, went further. \"Someone has to stop this,\" he told Vatican Radio.";
        assert_eq!(speaker_of(t, "Someone has to stop this,").as_deref(), Some("Archbishop Silvano Tomasi"));
    }
}
