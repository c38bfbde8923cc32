//! Labeled articles as tables people open in pandas, R or a spreadsheet: one
//! row per quote, with its article's id, date, outlet and URL beside it.
//!
//! Reads: labeled [`Article`]s (the GUIDELINES shape). Writes: [`QuoteRow`]s,
//! as CSV (RFC 4180 quoting, UTF-8, through the `csv` crate) with a header, or
//! as Parquet with a typed schema ([`parquet_schema`], the `parquet` crate's
//! Arrow writer, Snappy-compressed).

use crate::article::{Article, QuoteKind};
use anyhow::{Context, Result};
use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::sync::Arc;

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
pub fn write_csv(mut out: impl Write, articles: &[Article]) -> Result<()> {
    out.write_all(&csv_block(None, true)?)?;
    for article in articles {
        out.write_all(&csv_block(Some(article), false)?)?;
    }
    out.flush()?;
    Ok(())
}

/// The CSV bytes of one article's rows (and of the header first, when
/// asked), so that a caller can write an article in one piece.
pub fn csv_block(article: Option<&Article>, header: bool) -> Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    if header {
        writer.write_record(CSV_HEADER)?;
    }
    for row in article.map(quote_rows).unwrap_or_default() {
        writer.serialize(row)?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))
}

/// The Parquet columns: [`QuoteRow`]'s fields in order, strings as UTF-8,
/// the probabilities as nullable float32, the offsets as int64; nullable
/// wherever the row may say nothing.
pub fn parquet_schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let prob = |name: &str| Field::new(name, DataType::Float32, true);
    let offset = |name: &str| Field::new(name, DataType::Int64, false);
    Arc::new(Schema::new(vec![
        text("article_id", false),
        text("date", true),
        text("source", true),
        text("url", true),
        text("quote_id", false),
        text("speaker", true),
        text("speaker_type", true),
        text("kind", false),
        text("stance", true),
        prob("p_support"),
        prob("p_oppose"),
        prob("p_neutral"),
        text("quote", false),
        offset("start"),
        offset("end"),
    ]))
}

fn record_batch(rows: &[QuoteRow]) -> Result<RecordBatch> {
    let text = |f: fn(&QuoteRow) -> Option<&str>| Arc::new(rows.iter().map(f).collect::<StringArray>()) as ArrayRef;
    let prob = |f: fn(&QuoteRow) -> Option<f32>| Arc::new(rows.iter().map(f).collect::<Float32Array>()) as ArrayRef;
    let offset = |f: fn(&QuoteRow) -> usize| Arc::new(rows.iter().map(|r| f(r) as i64).collect::<Int64Array>()) as ArrayRef;
    let columns = vec![
        text(|r| Some(&r.article_id)),
        text(|r| r.date.as_deref()),
        text(|r| r.source.as_deref()),
        text(|r| r.url.as_deref()),
        text(|r| Some(&r.quote_id)),
        text(|r| r.speaker.as_deref()),
        text(|r| r.speaker_type.as_deref()),
        text(|r| Some(&r.kind)),
        text(|r| r.stance.as_deref()),
        prob(|r| r.p_support),
        prob(|r| r.p_oppose),
        prob(|r| r.p_neutral),
        text(|r| Some(&r.quote)),
        offset(|r| r.start),
        offset(|r| r.end),
    ];
    RecordBatch::try_new(parquet_schema(), columns).context("cannot build a Parquet row batch")
}

/// Rows written to Parquet as articles come, one row group per
/// [`ParquetSink::ROW_GROUP`] rows, so memory holds one group at most. The
/// file is whole (readable) only once [`ParquetSink::finish`] wrote its footer.
pub struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
    pending: Vec<QuoteRow>,
}

impl<W: Write + Send> ParquetSink<W> {
    pub const ROW_GROUP: usize = 16_384;

    pub fn new(out: W) -> Result<Self> {
        let props = parquet::file::properties::WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build();
        Ok(ParquetSink { writer: ArrowWriter::try_new(out, parquet_schema(), Some(props)).context("cannot start the Parquet file")?, pending: Vec::new() })
    }

    pub fn write_article(&mut self, article: &Article) -> Result<()> {
        self.pending.extend(quote_rows(article));
        if self.pending.len() >= Self::ROW_GROUP {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            self.writer.write(&record_batch(&self.pending)?).context("cannot write Parquet rows")?;
            self.writer.flush().context("cannot write a Parquet row group")?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Writes the last rows and the footer.
    pub fn finish(mut self) -> Result<W> {
        self.flush_rows()?;
        self.writer.into_inner().context("cannot finish the Parquet file")
    }
}

/// Writes every quote of `articles` as one Parquet file.
pub fn write_parquet(out: impl Write + Send, articles: &[Article]) -> Result<()> {
    let mut sink = ParquetSink::new(out)?;
    for article in articles {
        sink.write_article(article)?;
    }
    sink.finish()?.flush()?;
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

    #[test]
    fn parquet_rows_read_back_typed_and_equal() {
        use arrow_array::Array;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let text = "Kerry said: \"We will act.\" Others said nothing.";
        let article: Article = serde_json::from_str(&format!(
            r#"{{"id":"a","text":{text:?},"date":"2014-09-22","entities":[{{"id":"k","name":"John Kerry","type":"PER","aliases":[]}}],
            "quotes":[{{"id":"q1","kind":"direct","start":13,"end":25,"text":"We will act.","speaker":"k","stance":"support","stance_scores":{{"support":0.7,"oppose":0.1,"neutral":0.2}}}},
                      {{"id":"q2","kind":"indirect","start":34,"end":48,"text":"said nothing. ","speaker":null}}]}}"#
        ))
        .unwrap();
        let path = std::env::temp_dir().join(format!("qs-export-{}.parquet", std::process::id()));
        write_parquet(std::fs::File::create(&path).unwrap(), &[article.clone(), article]).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap().build().unwrap();
        std::fs::remove_file(&path).ok();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
        let b = &batches[0];
        assert_eq!(b.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(), CSV_HEADER);
        assert_eq!(b.column_by_name("p_support").unwrap().data_type(), &DataType::Float32);
        let support = b.column_by_name("p_support").unwrap().as_any().downcast_ref::<Float32Array>().unwrap();
        assert_eq!((support.value(0), support.is_null(1)), (0.7, true));
        let ends = b.column_by_name("end").unwrap().as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(ends.value(1), 48);
        let speaker = b.column_by_name("speaker").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((speaker.value(0), speaker.is_null(1)), ("John Kerry", true));
    }
}
