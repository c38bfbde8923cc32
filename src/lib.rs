//! quotestance: finds the quotations in news articles, says who said them, and
//! labels their stance toward the anti-IS coalition.
//!
//! The pipeline, one module per stage over the shared [`document::Document`]:
//! [`quotes`] (detection) → [`attribution`] (with [`ner`] mentions) →
//! [`stance`] (over the [`encoder`]) → [`eval`] (scoring against gold).

pub mod article;
pub mod attribution;
#[cfg(feature = "model")]
pub mod cli;
#[cfg(feature = "model")]
pub mod config;
pub mod cues;
pub mod document;
#[cfg(feature = "model")]
pub mod encoder;
pub mod eval;
pub mod export;
pub mod extraction_bench;
#[cfg(feature = "model")]
pub mod heads;
pub mod html;
pub mod lexicon;
pub mod input;
#[cfg(feature = "model")]
pub mod label;
pub mod ner;
#[cfg(feature = "model")]
pub mod pipeline;
pub mod polnear;
pub mod quotes;
pub mod report;
#[cfg(feature = "model")]
pub mod stance;

use attribution::{attribute, Attribution};
use document::Document;
use ner::NamedMention;

/// Detection then attribution of one document: the one wiring of the stages
/// before stance, for the model path and the rules-only path alike. The
/// speech cues are found once and handed to both stages; `names` is the
/// name source, called with the detected quotes: the rules of
/// [`ner::find_names`], or in the pipeline those merged with the learned
/// tagger's (whose encoder pass also reads the quotes' states for stance).
/// The attributed quotes are the detected ones, one for one, in order.
pub fn detect_and_attribute<E>(doc: &Document, names: impl FnOnce(&[quotes::QuoteSpan]) -> Result<Vec<NamedMention>, E>) -> Result<Attribution, E> {
    let cues = cues::find_cues(doc);
    let quotes = quotes::detect(doc, &cues);
    let names = names(&quotes)?;
    Ok(attribute(doc, &cues, &quotes, &names))
}

/// Detection and attribution of one article with the rule-based names: the
/// stages that need no model (PolNeAR, the property tests, the fuzz target).
pub fn analyse(text: &str) -> (Document, Attribution) {
    let doc = Document::new(text);
    let attribution = match detect_and_attribute(&doc, |_| Ok::<_, std::convert::Infallible>(ner::find_names(&doc))) {
        Ok(attribution) => attribution,
        Err(never) => match never {},
    };
    (doc, attribution)
}

/// 64-bit FNV-1a: a stable hash, the same on every machine and run (shard
/// selection by id, hashed word features).
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}
