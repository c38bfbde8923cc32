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
#[cfg(feature = "model")]
pub mod stance;

use attribution::{attribute, Attribution};
use document::Document;
use ner::NamedMention;

/// Detection then attribution of one document: the one wiring of the stages
/// before stance, for the model path and the rules-only path alike. The
/// speech cues are found once and handed to both stages; `names` is the
/// name source (the rules of [`ner::find_names`], or those merged with the
/// learned tagger's in the pipeline).
pub fn detect_and_attribute(doc: &Document, names: &[NamedMention]) -> Attribution {
    let cues = cues::find_cues(doc);
    let quotes = quotes::detect(doc, &cues);
    attribute(doc, &cues, &quotes, names)
}

/// Detection and attribution of one article with the rule-based names: the
/// stages that need no model (PolNeAR, the property tests, the fuzz target).
pub fn analyse(text: &str) -> (Document, Attribution) {
    let doc = Document::new(text);
    let attribution = detect_and_attribute(&doc, &ner::find_names(&doc));
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
