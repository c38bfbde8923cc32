//! The whole path from an article's text to its labeled quotes: detection →
//! attribution → stance, written out in the GUIDELINES.md shape.
//!
//! Reads: an [`Article`]'s id, title and text. Writes: a new [`Article`] with
//! its entities (speakers) and quotes (span, kind, speaker, mention, cue,
//! sieve, stance and its probabilities); the input's own quotes are replaced.

use crate::article::{Article, Entity, QuoteRecord, StanceLabel, StanceScores, TextSpan};
use crate::attribution::Attribution;
use crate::config::PipelineConfig;
use crate::document::{Document, Span};
use crate::encoder::Encoder;
use crate::ner::tagger::NerTagger;
use crate::stance::{label_of, speaker_text, stance_quotes, QuoteTextRows, StanceModel, StanceQuote};
use anyhow::{bail, Context, Result};

pub struct Pipeline {
    pub encoder: Encoder,
    pub stance: StanceModel,
    pub ner: NerTagger,
}

// SAFETY: tch marks tensors `Send` but not `Sync` because a few of its
// methods mutate through `&self` (gradients, `set_requires_grad`). A loaded
// pipeline only reads its weights: every forward pass runs under
// `no_grad_guard`, and changing anything (`Encoder::set_precision`) takes
// `&mut self`. libtorch supports concurrent read-only forward passes over
// shared weights, which is what `classify` does, one article per thread.
unsafe impl Sync for Pipeline {}

impl Pipeline {
    /// The encoder and both heads as `config` says, each head's contract
    /// checked against the encoder.
    pub fn load(config: &PipelineConfig) -> Result<Pipeline> {
        let encoder = config.load_encoder()?;
        let stance = StanceModel::load(&config.stance, &encoder)?;
        let ner = NerTagger::load(&config.ner, &encoder)?;
        Ok(Pipeline { encoder, stance, ner })
    }

    /// Labels the quotes of each article. The input's own quotes and entities,
    /// if any, are replaced; id, title and text are kept.
    ///
    /// Each article is encoded once and classified on its own; several run
    /// in parallel. Batching per article makes an article's output independent
    /// of what else was in the run, so a resumed or sharded run writes the
    /// same bytes as a single one.
    pub fn classify(&self, articles: &[Article]) -> Result<Vec<Article>> {
        self.per_article(articles, |article| Ok(self.classify_one(article, &[])?.0))
    }

    /// [`Pipeline::classify`], and beside each output the stance of the
    /// input's own quotes read with their own speakers (gold quotes and
    /// speakers, in `eval`), from the same encoder pass.
    pub fn classify_and_read_own_quotes(&self, articles: &[Article]) -> Result<Vec<(Article, Vec<StanceLabel>)>> {
        self.per_article(articles, |article| {
            let (labeled, own) = self.classify_one(article, &stance_quotes(article))?;
            Ok((labeled, own.iter().map(label_of).collect()))
        })
    }

    /// Runs `each` on every article, several in parallel when there are several.
    fn per_article<T: Send>(&self, articles: &[Article], each: impl Fn(&Article) -> Result<T> + Sync + Send) -> Result<Vec<T>> {
        use rayon::prelude::*;
        if articles.len() < 2 {
            return articles.iter().map(each).collect();
        }
        // Several articles: one per core, each on one libtorch thread. An
        // article's tensors are small (batches of ≤ 256 tokens, an LSTM step
        // per word), so splitting each op over the cores mostly pays thread
        // hand-offs; whole articles side by side keep every core busy.
        article_pool()?.install(|| articles.par_iter().map(each).collect())
    }

    /// One article: detection, then one encoder pass over its paragraphs a
    /// window at a time, whose states feed the NER tagger and the stance rows
    /// of the detected quotes (and of `own` quotes, when given) and are freed
    /// before the next window; then attribution, then stance from the
    /// quotes' rows and their speakers. Returns the labeled article and the
    /// probabilities of the `own` quotes.
    fn classify_one(&self, article: &Article, own: &[StanceQuote]) -> Result<(Article, Vec<[f32; 3]>)> {
        let doc = Document::new(article.text.as_str());
        let mut detected_rows = None;
        let mut own_rows = QuoteTextRows::new(own.iter().map(|q| q.span).collect());
        let attribution = crate::detect_and_attribute(&doc, |quotes| -> Result<_> {
            let mut rows = QuoteTextRows::new(quotes.iter().map(|q| q.span).collect());
            let mut tagged = Vec::new();
            self.encoder.for_each_window(&doc, |window| {
                tagged.extend(self.ner.names(&doc, window)?);
                rows.fill(&doc, window);
                own_rows.fill(&doc, window);
                Ok(())
            })?;
            detected_rows = Some(rows);
            Ok(crate::ner::merge_names(&doc, &crate::ner::find_names(&doc), &tagged))
        })?;
        let detected_rows = detected_rows.context("the name source ran no encoder pass")?;
        let quotes: Vec<StanceQuote> = attribution
            .quotes
            .iter()
            .map(|q| StanceQuote {
                span: q.quote.span,
                speaker: q.speaker.map(|s| speaker_text(&attribution.speakers[s].name, &attribution.speakers[s].aliases)).unwrap_or_default(),
            })
            .collect();
        let probs = self.stance.predict_quotes(&self.encoder, &doc, &detected_rows, &quotes)?;
        let own_probs = self.stance.predict_quotes(&self.encoder, &doc, &own_rows, own)?;
        Ok((to_article(article, &doc, &attribution, &probs)?, own_probs))
    }
}

fn text_span(doc: &Document, span: Span) -> TextSpan {
    TextSpan { start: span.start, end: span.end, text: doc.slice(span).to_string() }
}

/// A stable, readable id for a speaker: its name as a lower-case slug.
fn entity_id(name: &str, taken: &[String]) -> String {
    let mut slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if slug.is_empty() {
        slug = "speaker".into();
    }
    let mut id = slug.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{slug}_{n}");
        n += 1;
    }
    id
}

/// The workers that classify articles side by side: as many as rayon's
/// global pool has, each with libtorch's intra-op parallelism set to one
/// thread (the setting is per thread, so the caller's is left as it was).
fn article_pool() -> Result<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    if let Some(pool) = POOL.get() {
        return Ok(pool);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads())
        .thread_name(|i| format!("quotestance-article-{i}"))
        .start_handler(|_| tch::set_num_threads(1))
        .build()?;
    Ok(POOL.get_or_init(|| pool))
}

/// Writes a pipeline result in the GUIDELINES.md shape: one probability row
/// per attributed quote, or an error.
pub fn to_article(input: &Article, doc: &Document, attribution: &Attribution, probs: &[[f32; 3]]) -> Result<Article> {
    if probs.len() != attribution.quotes.len() {
        bail!("{}: {} quotes but {} stance rows", input.id, attribution.quotes.len(), probs.len());
    }
    let mut ids: Vec<String> = Vec::new();
    let mut entities = Vec::new();
    for s in &attribution.speakers {
        let id = entity_id(&s.name, &ids);
        ids.push(id.clone());
        entities.push(Entity { id, name: s.name.clone(), entity_type: s.entity_type, aliases: s.aliases.clone() });
    }
    let quotes = attribution
        .quotes
        .iter()
        .zip(probs)
        .enumerate()
        .map(|(i, (q, p))| QuoteRecord {
            id: format!("q{}", i + 1),
            kind: q.quote.kind,
            start: q.quote.span.start,
            end: q.quote.span.end,
            text: doc.slice(q.quote.span).to_string(),
            speaker: q.speaker.map(|s| ids[s].clone()),
            mention: q.mention.map(|m| text_span(doc, m)),
            cue: q.cue.map(|c| text_span(doc, c)),
            stance: Some(label_of(p)),
            stance_scores: Some(StanceScores::from_probs(p.map(|x| (x * 1e4).round() / 1e4))),
            sieve: q.sieve.map(|s| s.as_str().to_string()),
        })
        .collect();
    Ok(Article {
        id: input.id.clone(),
        title: input.title.clone(),
        text: input.text.clone(),
        url: input.url.clone(),
        date: input.date.clone(),
        source: input.source.clone(),
        entities,
        quotes,
    })
}

/// One line per quote: speaker, stance, kind and the quote, for people to read.
pub fn table(articles: &[Article]) -> String {
    let mut s = String::new();
    for a in articles {
        let speaker_of = |q: &QuoteRecord| {
            q.speaker
                .as_ref()
                .and_then(|id| a.entities.iter().find(|e| &e.id == id))
                .map(|e| e.name.clone())
                .unwrap_or_else(|| "(unknown)".to_string())
        };
        // The speaker column is as wide as the longest name: names are never cut.
        let width = a.quotes.iter().map(|q| speaker_of(q).chars().count()).max().unwrap_or(0).max("speaker".len());
        s += &format!("== {} ({} quotes)\n", a.id, a.quotes.len());
        s += &format!("{:<width$} {:<8} {:<8} quote\n", "speaker", "stance", "kind");
        for q in &a.quotes {
            let stance = q.stance.map(|l| l.as_str()).unwrap_or("-");
            let kind = match q.kind {
                crate::article::QuoteKind::Direct => "direct",
                crate::article::QuoteKind::Indirect => "indirect",
            };
            let text: String = q.text.replace('\n', " ");
            let text = if text.chars().count() > 90 { text.chars().take(87).collect::<String>() + "..." } else { text };
            s += &format!("{:<width$} {:<8} {:<8} {}\n", speaker_of(q), stance, kind, text);
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_has_the_guidelines_shape_and_valid_spans() {
        let text = "\"We will win,\" Mr Kerry said. Zarif said strikes alone would fail.";
        let input = Article::from_text("t", text.to_string()).unwrap();
        let (doc, attribution) = crate::analyse(text);
        let probs = vec![[0.2, 0.5, 0.3]; attribution.quotes.len()];
        let out = to_article(&input, &doc, &attribution, &probs).unwrap();
        out.validate().unwrap();
        assert_eq!(out.quotes.len(), 2);
        assert!(out.quotes.iter().all(|q| q.stance == Some(StanceLabel::Oppose)));
        let speakers: Vec<&str> = out.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(speakers, vec!["Mr Kerry", "Zarif"]);
        assert_eq!(out.quotes[0].speaker.as_deref(), Some("mr_kerry"));
    }

    #[test]
    fn a_stance_row_short_is_an_error_not_a_dropped_quote() {
        let text = "\"We will win,\" Mr Kerry said. Zarif said strikes alone would fail.";
        let input = Article::from_text("t", text.to_string()).unwrap();
        let (doc, attribution) = crate::analyse(text);
        let err = to_article(&input, &doc, &attribution, &[[0.2, 0.5, 0.3]]).unwrap_err().to_string();
        assert!(err.contains("2 quotes but 1 stance rows"), "{err}");
    }

    #[test]
    fn entity_ids_are_unique_slugs() {
        let taken = vec!["john_kerry".to_string()];
        assert_eq!(entity_id("John Kerry", &taken), "john_kerry_2");
        assert_eq!(entity_id("the U.S. State Dept.", &[]), "the_u_s_state_dept");
    }
}
