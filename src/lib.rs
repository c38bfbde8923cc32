//! quotestance: finds the quotations in news articles, says who said them, and
//! labels their stance toward the anti-IS coalition.
//!
//! The pipeline, one module per stage over the shared [`document::Document`]:
//! [`quotes`] (detection) → [`attribution`] (with [`ner`] mentions) →
//! [`stance`] (over the [`encoder`]) → [`eval`] (scoring against gold).

pub mod article;
pub mod attribution;
pub mod cli;
pub mod cues;
pub mod document;
pub mod encoder;
pub mod eval;
pub mod input;
pub mod ner;
pub mod pipeline;
pub mod polnear;
pub mod quotes;
pub mod stance;
