//! Labeled articles as tables people open in pandas, R or a spreadsheet: one
//! row per quote, with its article's id, date, outlet and URL beside it.
//!
//! Reads: labeled [`Article`]s (the GUIDELINES shape). Writes: [`QuoteRow`]s,
//! and CSV (RFC 4180 quoting, UTF-8, through the `csv` crate) with a header.

use crate::article::{Article, QuoteKind};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::io::Write;

/// One quote as a flat row; empty fields where the article or the quote
/// says nothing (no date, no speaker, no stance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteRow {
    pub article_id: String,
    pub date: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
    pub quote_id: String,
    pub speaker: Option<String>,
    /// `PER`, `ORG` or `GPE`.
    pub speaker_type: Option<String>,
    /// `direct` or `indirect`.
    pub kind: String,
    pub stance: Option<String>,
    pub p_support: Option<f32>,
    pub p_oppose: Option<f32>,
    pub p_neutral: Option<f32>,
    pub quote: String,
    /// Char offsets of the quote in the article's text.
    pub start: usize,
    pub end: usize,
}

/// The rows of an article's quotes, in the article's order.
pub fn quote_rows(article: &Article) -> Vec<QuoteRow> {
    article
        .quotes
        .iter()
        .map(|q| {
            let speaker = q.speaker.as_ref().and_then(|id| article.entities.iter().find(|e| &e.id == id));
            QuoteRow {
                article_id: article.id.clone(),
                date: article.date.clone(),
                source: article.source.clone(),
                url: article.url.clone(),
                quote_id: q.id.clone(),
                speaker: speaker.map(|e| e.name.clone()),
                speaker_type: speaker.map(|e| format!("{:?}", e.entity_type)),
                kind: match q.kind {
                    QuoteKind::Direct => "direct",
                    QuoteKind::Indirect => "indirect",
                }
                .to_string(),
                stance: q.stance.map(|s| s.as_str().to_string()),
                p_support: q.stance_scores.map(|p| p.support),
                p_oppose: q.stance_scores.map(|p| p.oppose),
                p_neutral: q.stance_scores.map(|p| p.neutral),
                quote: q.text.clone(),
                start: q.start,
                end: q.end,
            }
        })
        .collect()
}

/// Writes every quote of `articles` as CSV, the header first (also when
/// there are no quotes, so an empty result still reads as a table).
pub fn write_csv(out: impl Write, articles: &[Article]) -> Result<()> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for article in articles {
        for row in quote_rows(article) {
            writer.serialize(row)?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// The column names of [`QuoteRow`], in order.
pub const CSV_HEADER: [&str; 15] =
    ["article_id", "date", "source", "url", "quote_id", "speaker", "speaker_type", "kind", "stance", "p_support", "p_oppose", "p_neutral", "quote", "start", "end"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_quote_commas_marks_and_newlines_and_read_back_equal() {
        let text = "Kerry said: \"We will, as \"partners\", act.\nNow.\"";
        let json = format!(
            r#"{{"id":"a,1","text":{text:?},"date":"2014-09-22","source":"BBC News",
            "entities":[{{"id":"k","name":"John Kerry","type":"PER","aliases":[]}}],
            "quotes":[{{"id":"q1","kind":"direct","start":13,"end":{end},"text":{quote:?},"speaker":"k","stance":"support",
                        "stance_scores":{{"support":0.7,"oppose":0.1,"neutral":0.2}}}}]}}"#,
            end = text.chars().count() - 1,
            quote = &text[13..text.len() - 1]
        );
        let article: Article = serde_json::from_str(&json).unwrap();
        article.validate().unwrap();
        let mut bytes = Vec::new();
        write_csv(&mut bytes, std::slice::from_ref(&article)).unwrap();
        let csv_text = String::from_utf8(bytes.clone()).unwrap();
        assert!(csv_text.starts_with("article_id,date,source,url,quote_id,"), "{csv_text}");
        assert!(csv_text.contains("\"a,1\""), "a comma in a field is quoted: {csv_text}");
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<QuoteRow> = reader.deserialize().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows, quote_rows(&article));
        assert_eq!(rows[0].quote, "We will, as \"partners\", act.\nNow.");
        assert_eq!((rows[0].speaker.as_deref(), rows[0].speaker_type.as_deref(), rows[0].url.as_deref()), (Some("John Kerry"), Some("PER"), None));
    }
}
