//! Named-entity mentions: who and what the article names.
//!
//! This first version finds names from capitalisation and a small lexicon of
//! titles, organisation and place words. It is the interface the attribution
//! stage reads; a learned tagger (issue: learned NER) replaces the guessing
//! inside `find_names` without changing it.
//!
//! Reads: the [`Document`] (and, merged in by the pipeline, the tagger's
//! mentions). Writes: [`NamedMention`]s (span, type, token range).

#[cfg(feature = "model")]
pub mod tagger;

use crate::article::EntityType;
use crate::document::{Document, Span, TokenKind, TokenRange};
pub use crate::lexicon::PERSON_TITLES;
use crate::lexicon::{is_name_connector, ORG_WORDS, PLACE_WORDS};

/// A named mention: `US Secretary of State John Kerry`, `the Pentagon`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedMention {
    pub span: Span,
    pub entity_type: EntityType,
    pub tokens: TokenRange,
}

/// Capitalised words that start sentences or label things without naming a speaker.
const NOT_NAMES: &[&str] = &[
    "the", "a", "an", "but", "and", "or", "in", "on", "at", "for", "of", "to", "by", "with", "from",
    "as", "after", "before", "during", "while", "when", "if", "it", "its", "this", "that", "these",
    "those", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "my", "there",
    "here", "last", "next", "earlier", "later", "meanwhile", "however", "speaking", "asked",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "image", "media", "photograph", "read", "related", "last", "updated",
    "despite", "some", "many", "most", "all", "both", "other", "others", "one", "two", "three",
    "several", "such", "what", "who", "how", "why", "where", "not", "no", "yes", "so", "also",
    "since", "until", "about", "over", "under", "against", "without", "within", "among",
    "between", "because", "although", "though", "even", "still", "yet", "now", "then", "once",
    "chairing", "according", "addressing", "writing", "interviewed",
];

/// A capitalised word, or an Arabic name with a particle: `al-Jubeir`, `el-Sissi`.
pub fn is_capitalised(doc: &Document, t: usize) -> bool {
    let tok = &doc.tokens[t];
    let text = doc.token_text(t);
    if tok.kind != TokenKind::Word {
        return false;
    }
    if text.chars().next().is_some_and(|c| c.is_uppercase()) {
        return true;
    }
    match text.split_once('-') {
        Some((particle, rest)) => particle.len() <= 3 && rest.chars().next().is_some_and(char::is_uppercase),
        None => false,
    }
}

/// `Russia's`, `Abadi’s`.
pub fn is_possessive(word: &str) -> bool {
    word.ends_with("'s") || word.ends_with("’s")
}

/// Finds named mentions: maximal runs of capitalised words (with inner
/// connectors), within a sentence, typed by their words.
pub fn find_names(doc: &Document) -> Vec<NamedMention> {
    let mut out = Vec::new();
    for sentence in &doc.sentences {
        let TokenRange { start: first, end: last } = sentence.tokens;
        let mut t = first;
        while t < last {
            if !is_capitalised(doc, t) || (NOT_NAMES.contains(&doc.token_text(t).to_lowercase().as_str()) && !is_title_start(doc, t)) {
                t += 1;
                continue;
            }
            let start = t;
            let mut end = t + 1;
            loop {
                // `Abadi's State of Law bloc`: a possessive ends the name,
                // unless an organisation's name follows: `Russia's Defence
                // Ministry` is how the article names that ministry.
                if is_possessive(doc.token_text(end - 1)) {
                    let mut k = end;
                    while k < last && is_capitalised(doc, k) && !is_possessive(doc.token_text(k)) {
                        k += 1;
                    }
                    // The whole name must end there (`Abadi's State of Law` does not).
                    let continues = k < last && is_name_connector(&doc.token_text(k).to_lowercase());
                    if k > end && !continues && ORG_WORDS.contains(&doc.token_text(k - 1).to_lowercase().as_str()) {
                        end = k;
                    }
                    break;
                }
                if end < last && is_capitalised(doc, end) && !NOT_NAMES.contains(&doc.token_text(end).to_lowercase().as_str()) {
                    end += 1;
                    continue;
                }
                // `Rear Adm. John Kirby`: the full stop of an abbreviated title.
                if end + 1 < last
                    && doc.token_text(end) == "."
                    && PERSON_TITLES.contains(&doc.token_text(end - 1).to_lowercase().as_str())
                    && is_capitalised(doc, end + 1)
                {
                    end += 2;
                    continue;
                }
                // Connectors, possibly chained: `Secretary of State`, `von der Leyen`, `Chief of the Defence Force`.
                let mut k = end;
                while k < last && (is_name_connector(&doc.token_text(k).to_lowercase()) || (k > end && doc.token_text(k) == "the")) {
                    k += 1;
                }
                if k > end && k < last && k - end <= 2 && is_capitalised(doc, k) {
                    end = k + 1;
                    continue;
                }
                break;
            }
            // `the Islamic State group`: the article's fullest form of the name.
            if end - start >= 2 && end < last && doc.token_text(end) == "group" {
                end += 1;
            }
            t = end;
            if end - start == 1 && !is_single_word_name(doc, start, first, last) {
                continue;
            }
            if (start..end).all(|k| is_shouted(doc.token_text(k))) {
                continue; // `BAGHDAD (Reuters) -`, `WASHINGTON SHRUGS`
            }
            let span = Span::new(doc.tokens[start].span.start, doc.tokens[end - 1].span.end);
            out.push(NamedMention { span, entity_type: type_of(doc, start, end), tokens: TokenRange::new(start, end) });
        }
    }
    out
}

/// Combines the capitalisation chunks with the learned tagger's entities. The
/// chunks draw the better boundaries in news copy (titles and particles:
/// `Rear Adm. John Kirby`, `Bashar al-Assad`), the tagger the better decisions
/// (is it a name at all, and of what type). So a chunk is kept when the tagger
/// found an entity inside it, with that entity's type; a chunk the tagger saw no
/// name in (`Everyone`, a demonym) is dropped; and the tagger's entities that no
/// chunk covers are added as they are.
pub fn merge_names(doc: &Document, chunks: &[NamedMention], learned: &[NamedMention]) -> Vec<NamedMention> {
    let mut out = Vec::new();
    for c in chunks {
        let inside: Vec<&NamedMention> = learned.iter().filter(|l| l.span.overlaps(c.span)).collect();
        let organisation = type_of(doc, c.tokens.start, c.tokens.end) == EntityType::ORG;
        if inside.is_empty() {
            // Several capitalised words headed by an organisation word
            // (`Islamic State group`, `Defence Ministry`) name one, whatever
            // the tagger made of them.
            if organisation && c.tokens.len() >= 2 {
                out.push(NamedMention { entity_type: EntityType::ORG, ..c.clone() });
            }
            continue;
        }
        // The type of the entity at the chunk's end, its head (`Interim
        // Conservative Leader Rona Ambrose` is a person); else of the largest
        // entity inside (a person's name beats a place in a title).
        let at_end = inside.iter().find(|l| l.span.end >= c.span.end);
        let best = at_end.or_else(|| inside.iter().max_by_key(|l| (l.span.len(), l.entity_type == EntityType::PER))).expect("not empty");
        // A chunk headed by an organisation word (`Islamic State`, `Defence
        // Ministry`) is an organisation wherever it stands, so that all its
        // mentions fall into one speaker; the tagger's type wavers with context.
        let entity_type = if organisation { EntityType::ORG } else { best.entity_type };
        out.push(NamedMention { span: c.span, entity_type, tokens: c.tokens });
    }
    for l in learned {
        // A dateline (`BAGHDAD (Reuters) -`) is no speaker, whoever tagged it.
        let shouted = doc.slice(l.span).split_whitespace().all(is_shouted);
        if !shouted && !chunks.iter().any(|c| c.span.overlaps(l.span)) {
            out.push(l.clone());
        }
    }
    out.sort_by_key(|m| m.span.start);
    out
}

/// A single capitalised word is a name unless it only opens a sentence
/// (`Everyone`, `Wherever`) or is a demonym used as an adjective (`Iraqi forces`).
fn is_single_word_name(doc: &Document, t: usize, sentence_first: usize, sentence_last: usize) -> bool {
    let word = doc.token_text(t);
    let lower = word.to_lowercase();
    let known = PLACE_WORDS.contains(&lower.as_str()) || ORG_WORDS.contains(&lower.as_str());
    let next_lower = t + 1 < sentence_last && doc.token_text(t + 1).chars().next().is_some_and(char::is_lowercase);
    let next_is_cue = t + 1 < sentence_last && crate::cues::lemma_of(doc.token_text(t + 1)).is_some();
    if !known && next_lower && !next_is_cue && ["ian", "ean", "ese", "ish", "i", "ch", "an"].iter().any(|s| lower.ends_with(s)) {
        return false;
    }
    let opens_sentence = (sentence_first..t).all(|k| doc.tokens[k].kind == TokenKind::Punct);
    if opens_sentence && !known {
        // Keep it only if the article also writes it capitalised mid-sentence.
        return doc.tokens.iter().enumerate().any(|(k, tok)| {
            k != t && tok.kind == TokenKind::Word && doc.token_text(k) == word && k > 0 && doc.tokens[k - 1].kind == TokenKind::Word
        });
    }
    true
}

/// An all-capitals word of four letters or more that is no known acronym.
fn is_shouted(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 4 && !word.chars().any(char::is_lowercase) && !ORG_WORDS.contains(&word.to_lowercase().as_str())
}

fn is_title_start(doc: &Document, t: usize) -> bool {
    PERSON_TITLES.contains(&doc.token_text(t).to_lowercase().trim_end_matches('.'))
}

/// Guesses a name's type from its words.
pub fn type_of(doc: &Document, first: usize, last: usize) -> EntityType {
    let words: Vec<String> = (first..last).map(|t| doc.token_text(t).to_lowercase()).collect();
    let head = words.last().map(String::as_str).unwrap_or("");
    if ORG_WORDS.contains(&head) {
        return EntityType::ORG;
    }
    if words.len() == 1 && PLACE_WORDS.contains(&head) {
        return EntityType::GPE;
    }
    if words.iter().all(|w| PLACE_WORDS.contains(&w.as_str())) {
        return EntityType::GPE;
    }
    EntityType::PER
}

/// The words of a name without leading titles and offices: `US Secretary of
/// State John Kerry` → `John Kerry`, `Mr Kerry` → `Kerry`.
pub fn core_name(doc: &Document, first: usize, last: usize) -> Vec<String> {
    let words: Vec<String> = (first..last).map(|t| doc.token_text(t).to_string()).collect();
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        let l = w.to_lowercase();
        let l = l.trim_end_matches('.');
        if PERSON_TITLES.contains(&l) || PLACE_WORDS.contains(&l) || is_name_connector(l) || l.ends_with("ian") || l.ends_with("ish") || l == "us" {
            start = i + 1;
        }
    }
    if start >= words.len() {
        return words;
    }
    words[start..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, EntityType)> {
        let doc = Document::new(text);
        find_names(&doc).into_iter().map(|m| (doc.slice(m.span).to_string(), m.entity_type)).collect()
    }

    #[test]
    fn finds_titled_names_with_connectors() {
        let n = names("Later US Secretary of State John Kerry met Abu Bakr al-Baghdadi's envoy.");
        assert_eq!(n[0], ("US Secretary of State John Kerry".to_string(), EntityType::PER));
        assert!(n.iter().any(|(s, _)| s.starts_with("Abu Bakr")));
    }

    #[test]
    fn types_organisations_and_places() {
        let n = names("The Pentagon said so. Iran agreed. The US State Department said it.");
        assert_eq!(n[0], ("Pentagon".to_string(), EntityType::ORG));
        assert_eq!(n[1], ("Iran".to_string(), EntityType::GPE));
        assert_eq!(n[2], ("US State Department".to_string(), EntityType::ORG));
    }

    #[test]
    fn merged_names_take_chunk_boundaries_and_tagger_types() {
        let doc = Document::new("Everyone knows Rear Adm. John Kirby met Iraqi envoys in Baghdad.");
        let chunks = find_names(&doc);
        let at = |s: &str| {
            let b = doc.text.find(s).unwrap();
            let start = doc.text[..b].chars().count();
            Span::new(start, start + s.chars().count())
        };
        let learned = vec![
            NamedMention { span: at("John Kirby"), entity_type: EntityType::PER, tokens: TokenRange::new(0, 0) },
            NamedMention { span: at("Baghdad"), entity_type: EntityType::GPE, tokens: TokenRange::new(0, 0) },
        ];
        let merged: Vec<(&str, EntityType)> = merge_names(&doc, &chunks, &learned).iter().map(|m| (doc.slice(m.span), m.entity_type)).collect();
        assert_eq!(merged, vec![("Rear Adm. John Kirby", EntityType::PER), ("Baghdad", EntityType::GPE)]);
    }

    #[test]
    fn a_merged_name_takes_the_type_of_its_head() {
        let doc = Document::new("Interim Conservative Leader Rona Ambrose spoke to the Islamic State, then to the Defence Ministry.");
        let chunks = find_names(&doc);
        let at = |s: &str, entity_type: EntityType| {
            let start = doc.text.find(s).unwrap();
            NamedMention { span: Span::new(start, start + s.len()), entity_type, tokens: TokenRange::new(0, 0) }
        };
        // The tagger calls the title an organisation and the group a place.
        let learned = vec![at("Interim Conservative Leader", EntityType::ORG), at("Rona Ambrose", EntityType::PER), at("Islamic State", EntityType::GPE)];
        let merged: Vec<(&str, EntityType)> = merge_names(&doc, &chunks, &learned).iter().map(|m| (doc.slice(m.span), m.entity_type)).collect();
        // The ministry, which the tagger missed, is kept by its head word.
        assert_eq!(
            merged,
            vec![("Interim Conservative Leader Rona Ambrose", EntityType::PER), ("Islamic State", EntityType::ORG), ("Defence Ministry", EntityType::ORG)]
        );
    }

    #[test]
    fn a_possessive_ends_a_name() {
        let n = names("A lawmaker from Prime Minister Haider al-Abadi's State of Law bloc spoke.");
        assert_eq!(n[0].0, "Prime Minister Haider al-Abadi's");
    }

    #[test]
    fn a_possessive_before_an_organisation_is_part_of_its_name() {
        let n = names("On Wednesday, Russia’s Defence Ministry said its bombers struck.");
        assert_eq!(n[0], ("Russia’s Defence Ministry".to_string(), EntityType::ORG));
        // Not before a person: `Syria's Assad` is two names.
        let n = names("On Monday Syria's Assad spoke.");
        assert_eq!(n.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), vec!["Syria's", "Assad"]);
    }

    #[test]
    fn military_ranks_and_a_trailing_group_belong_to_the_name() {
        let n = names("Military spokesman Brig. Gen. Ahmed Asiri spoke.");
        assert!(n.iter().any(|x| x.0 == "Brig. Gen. Ahmed Asiri"), "{n:?}");
        let n = names("Later the Islamic State group spoke.");
        assert_eq!(n[0].0, "Islamic State group");
        // One capitalised word before `group` is no name of a group.
        let n = names("A Kurdish group spoke.");
        assert!(n.iter().all(|x| !x.0.ends_with("group")), "{n:?}");
    }

    #[test]
    fn core_name_drops_titles() {
        let doc = Document::new("Iranian Foreign Minister Mohammed Javad Zarif");
        let m = &find_names(&doc)[0];
        assert_eq!(core_name(&doc, m.tokens.start, m.tokens.end), vec!["Mohammed", "Javad", "Zarif"]);
    }
}
