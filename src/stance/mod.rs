//! Stance toward the anti-IS coalition: a softmax classifier over the shared
//! encoder's embeddings of the quote, of its paragraph and of its speaker,
//! beside the words of the quote. The head is trained by `train-stance` on
//! `eval/train`-style articles and committed under `models/stance/`; the
//! encoder's weights stay in the setup cache.
//!
//! Reads: the [`Document`], its paragraphs' [`TokenStates`] (last layer),
//! the attributed quote spans and their speakers' names. Writes: three
//! probabilities (support, oppose, neutral) per quote.

pub mod finetune;

use crate::article::{Article, StanceLabel};
use crate::document::{Document, Span};
use crate::encoder::{Encoder, ParagraphWindow, Precision, TokenStates, DIM};
use crate::heads::{FeatureBlock, HeadContract, HeadSource, CONTRACT_FORMAT, PARAGRAPH_OFFSETS};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// Number of embedding columns: the quote's embedding, its paragraph's and
/// its speaker's. Cross-validated on eval/train (5 folds by article), the
/// speaker block lifted macro-F1 from 0.635 to 0.671: who speaks (a coalition
/// minister, an Iranian official, a monitor) is half of what a quote means.
pub const EMBEDDING_FEATURES: i64 = 3 * DIM;

/// Columns read from the quote's paragraph: the quote's and the paragraph's embeddings.
const TEXT_FEATURES: i64 = 2 * DIM;

/// What the stance head reads of a speaker: all its names, most complete
/// first (`Tony Abbott, Prime Minister Tony Abbott, Mr Abbott`), whose
/// titles and nationality words place the speaker.
pub fn speaker_text(name: &str, aliases: &[String]) -> String {
    std::iter::once(name).chain(aliases.iter().map(String::as_str)).collect::<Vec<_>>().join(", ")
}

/// What is read for a quote with no speaker.
const NO_SPEAKER: &str = "unknown";

/// What the stance stage reads of one attributed quote: its char span in the
/// article and its speaker's names ([`speaker_text`]; empty for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanceQuote {
    pub span: Span,
    pub speaker: String,
}

/// The quotes of an article with their speakers' names, from its entities (a
/// gold or labeled file).
pub fn stance_quotes(article: &Article) -> Vec<StanceQuote> {
    article
        .quotes
        .iter()
        .map(|q| StanceQuote {
            span: Span::new(q.start, q.end),
            speaker: q
                .speaker
                .as_ref()
                .and_then(|id| article.entities.iter().find(|e| &e.id == id))
                .map(|e| speaker_text(&e.name, &e.aliases))
                .unwrap_or_default(),
        })
        .collect()
}

/// Speaker rows `[speakers, DIM]`: the sentence embedding of each speaker
/// text, each distinct text encoded once (together, so an article's rows
/// depend on that article alone).
pub fn speaker_rows(encoder: &Encoder, speakers: &[String]) -> Result<Tensor> {
    let mut distinct: Vec<&str> = Vec::new();
    let index: Vec<i64> = speakers
        .iter()
        .map(|s| {
            let text = if s.trim().is_empty() { NO_SPEAKER } else { s.as_str() };
            let i = distinct.iter().position(|d| *d == text).unwrap_or_else(|| {
                distinct.push(text);
                distinct.len() - 1
            });
            i as i64
        })
        .collect();
    if index.is_empty() {
        return Ok(Tensor::zeros([0, DIM], (Kind::Float, Device::Cpu)));
    }
    Ok(encoder.embed(&distinct)?.index_select(0, &Tensor::from_slice(&index)))
}

/// The text columns `[2 * DIM]` of a quote at char range `quote` of an
/// encoded paragraph: the normalised mean of the quote's own word pieces,
/// read in the context of the whole paragraph, beside the paragraph's pooled
/// embedding. Reading quotes out of the paragraph's states means every token
/// goes through the encoder once, for NER and stance alike.
pub fn quote_row(paragraph: &TokenStates, quote: Span) -> Tensor {
    let inside: Vec<i64> = paragraph
        .offsets
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_some_and(|piece| piece.start < quote.end && piece.end > quote.start))
        .map(|(i, _)| i as i64)
        .collect();
    // A quote cut off by truncation has no pieces: fall back to the paragraph.
    let quote_embedding = if inside.is_empty() {
        paragraph.pooled()
    } else {
        crate::encoder::pool(&paragraph.hidden.index_select(0, &Tensor::from_slice(&inside)))
    };
    Tensor::cat(&[quote_embedding, paragraph.pooled()], 0)
}

/// The paragraph (by index) a quote span of an article starts in, and the
/// quote's char range within it. A quote running on into later paragraphs is
/// read in its first one, as paragraphs are encoded one by one.
pub fn quote_in_paragraph(doc: &Document, quote: Span) -> (usize, Span) {
    let k = doc.paragraph_at(quote.start);
    match doc.paragraphs.get(k) {
        Some(p) => (k, Span::new(quote.start.saturating_sub(p.start), quote.end.min(p.end).saturating_sub(p.start))),
        None => (k, Span::new(0, quote.end.saturating_sub(quote.start))),
    }
}

/// The text columns `[2 * DIM]` of an article's quotes, gathered window by
/// window as the encoder hands out paragraph states ([`Encoder::for_each_window`]):
/// each quote's row comes from the window holding its first paragraph.
pub struct QuoteTextRows {
    spans: Vec<Span>,
    rows: Vec<Option<Tensor>>,
}

impl QuoteTextRows {
    pub fn new(spans: Vec<Span>) -> QuoteTextRows {
        let rows = spans.iter().map(|_| None).collect();
        QuoteTextRows { spans, rows }
    }

    /// Reads the rows of the quotes that start in `window`'s paragraphs.
    pub fn fill(&mut self, doc: &Document, window: &ParagraphWindow) {
        for (span, row) in self.spans.iter().zip(self.rows.iter_mut()) {
            let (k, quote) = quote_in_paragraph(doc, *span);
            if let Some(states) = window.get(k) {
                *row = Some(quote_row(states, quote));
            }
        }
    }

    /// Rows `[quotes, 2 * DIM]`; a quote no window held (none, in a whole
    /// pass) reads as zeros.
    fn tensor(&self) -> Tensor {
        if self.rows.is_empty() {
            return Tensor::zeros([0, TEXT_FEATURES], (Kind::Float, Device::Cpu));
        }
        let rows: Vec<Tensor> = self.rows.iter().map(|r| r.as_ref().map_or_else(|| Tensor::zeros([TEXT_FEATURES], (Kind::Float, Device::Cpu)), Tensor::shallow_clone)).collect();
        Tensor::stack(&rows, 0)
    }
}

/// Embedding rows `[quotes, EMBEDDING_FEATURES]`: the quotes' text columns
/// beside their speakers' rows.
fn span_features(encoder: &Encoder, text_rows: &QuoteTextRows, quotes: &[StanceQuote]) -> Result<Tensor> {
    if text_rows.rows.len() != quotes.len() {
        bail!("{} quotes but {} text rows", quotes.len(), text_rows.rows.len());
    }
    let speakers: Vec<String> = quotes.iter().map(|q| q.speaker.clone()).collect();
    Ok(Tensor::cat(&[text_rows.tensor(), speaker_rows(encoder, &speakers)?], 1))
}

/// Embedding rows of quote spans of an article's text, encoding the article
/// exactly as the pipeline does (window by window), so training, gold-span
/// scoring and `classify` see the same numbers.
fn article_features(encoder: &Encoder, doc: &Document, quotes: &[StanceQuote]) -> Result<Tensor> {
    let mut rows = QuoteTextRows::new(quotes.iter().map(|q| q.span).collect());
    if !quotes.is_empty() {
        encoder.for_each_window(doc, |window| {
            rows.fill(doc, window);
            Ok(())
        })?;
    }
    span_features(encoder, &rows, quotes)
}

/// Training settings, stored beside the weights so a retrain can reproduce them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    pub seed: i64,
    pub epochs: usize,
    pub learning_rate: f64,
    pub l2: f64,
    /// How much a training quote of a rare label weighs in the loss: each
    /// label's weight is `(n / (3 n_label))^class_weight_power`, so 0 weighs
    /// every quote alike and 1 balances the labels fully.
    #[serde(default)]
    pub class_weight_power: f64,
    /// Added to the neutral logit of the trained head: a prior shift toward
    /// the label balance of a real archive, where most quotes take no
    /// position. It moves no weight, only the intercept.
    #[serde(default)]
    pub neutral_bias: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { seed: 13, epochs: 300, learning_rate: 0.01, l2: 1e-3, class_weight_power: 0.0, neutral_bias: 0.0 }
    }
}

/// Quotes the head reads at once: more than any news article holds, so an
/// article is one chunk, and a long one stays within some 50 MB of word columns.
const PREDICT_CHUNK: usize = 1024;

/// The trained linear head over a quote's embeddings and words:
/// `probs = softmax([embeddings, words] W^T + b)`.
pub struct StanceModel {
    words: QuoteWords,
    weight: Tensor,
    bias: Tensor,
}

/// One setting tried by `train-stance`'s model selection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelectionRow {
    pub l2: f64,
    pub class_weight_power: f64,
    pub neutral_bias: f64,
    pub macro_f1: f64,
    /// On the real off-topic source (`real_train/polnear`).
    pub off_topic_false_alarms: f64,
}

/// What `train-stance` writes next to the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StanceMeta {
    pub config: TrainConfig,
    pub train_examples: usize,
    pub train_articles: usize,
    /// Every setting model selection tried, with its cross-validated figures
    /// (development part, folds by article).
    #[serde(default)]
    pub selection: Vec<SelectionRow>,
    /// Training quotes per label: the majority-class baseline predicts the largest.
    #[serde(default)]
    pub label_counts: std::collections::BTreeMap<String, usize>,
    /// What the head reads of the encoder, checked at load.
    pub contract: Option<HeadContract>,
    /// The training sources (folders below `eval/`), in order.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Cross-validated scores at the chosen L2 on the development part, per
    /// source and `all`.
    #[serde(default)]
    pub cross_validated: BTreeMap<String, crate::eval::StanceScoresReport>,
    /// Scores on the held-out part (one article in five of each source) of a
    /// head trained on the development part, per source and `all`.
    #[serde(default)]
    pub held_out: BTreeMap<String, crate::eval::StanceScoresReport>,
}

impl StanceMeta {
    pub fn load(source: &HeadSource) -> Result<StanceMeta> {
        source.read_json(META_FILE)
    }

    /// The most frequent training label.
    pub fn majority(&self) -> StanceLabel {
        StanceLabel::ALL.into_iter().max_by_key(|l| (self.label_counts.get(l.as_str()).copied().unwrap_or(0), std::cmp::Reverse(l.index()))).unwrap_or(StanceLabel::Neutral)
    }
}

/// Descriptions of the labels for the zero-shot baseline: a quote takes the
/// label whose description its embedding is closest to.
pub const LABEL_DESCRIPTIONS: [&str; 3] = [
    "supports and joins the US-led coalition's air strikes against Islamic State",
    "opposes, criticizes or rejects the US-led coalition against Islamic State",
    "neutral factual statement, no opinion about the coalition",
];

/// Zero-shot labels of quote texts: nearest label description by cosine.
pub fn zero_shot(encoder: &Encoder, quotes: &[&str]) -> Result<Vec<StanceLabel>> {
    if quotes.is_empty() {
        return Ok(Vec::new());
    }
    let q = encoder.embed(quotes)?;
    let d = encoder.embed(&LABEL_DESCRIPTIONS)?;
    let best = q.matmul(&d.tr()).argmax(1, false);
    let best: Vec<i64> = Vec::<i64>::try_from(best)?;
    Ok(best.into_iter().map(|i| StanceLabel::ALL[i as usize]).collect())
}

const WEIGHTS_FILE: &str = "head.safetensors";
const META_FILE: &str = "meta.json";
const WORDS_FILE: &str = "words.json";

/// The words of a quote as tf-idf columns: its lower-cased words of two or
/// more letters and the pairs of neighbouring ones, each term counted
/// `1 + ln(count)` times its idf, the row scaled to unit length. The sentence
/// embeddings read what a quote is about; these read how it is put (`will not
/// take part`, `not our war`, `turned the tide`), which a mean of word
/// pieces blurs. Cross-validated on eval/train over four partitions by
/// article, they lifted macro-F1 from 0.669 to 0.690 on average.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QuoteWords {
    /// The terms in at least [`QuoteWords::MIN_QUOTES`] training quotes, sorted.
    terms: Vec<String>,
    /// Their smoothed inverse document frequencies, `ln((1 + n) / (1 + df)) + 1`.
    idf: Vec<f32>,
}

impl QuoteWords {
    /// A term seen in one training quote only says nothing about others.
    const MIN_QUOTES: usize = 2;

    /// The words and word pairs of a text, in order, with repeats.
    fn terms_of(text: &str) -> Vec<String> {
        let words: Vec<String> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_lowercase)
            .collect();
        let pairs = words.windows(2).map(|p| format!("{} {}", p[0], p[1]));
        words.iter().cloned().chain(pairs).collect()
    }

    /// The vocabulary of a set of training quotes.
    fn fit(quotes: &[&str]) -> QuoteWords {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for q in quotes {
            let mut terms = Self::terms_of(q);
            terms.sort();
            terms.dedup();
            for t in terms {
                *df.entry(t).or_insert(0) += 1;
            }
        }
        let n = quotes.len() as f32;
        let (terms, idf) = df.into_iter().filter(|(_, d)| *d >= Self::MIN_QUOTES).map(|(t, d)| (t, ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)).unzip();
        QuoteWords { terms, idf }
    }

    fn len(&self) -> usize {
        self.terms.len()
    }

    /// Rows `[quotes, len()]`; a quote with no known term is a zero row.
    fn rows(&self, quotes: &[&str]) -> Tensor {
        let width = self.len();
        let mut data = vec![0f32; quotes.len() * width];
        for (i, q) in quotes.iter().enumerate() {
            let row = &mut data[i * width..(i + 1) * width];
            for t in Self::terms_of(q) {
                if let Ok(k) = self.terms.binary_search(&t) {
                    row[k] += 1.0;
                }
            }
            for (k, count) in row.iter_mut().enumerate() {
                if *count > 0.0 {
                    *count = (1.0 + count.ln()) * self.idf[k];
                }
            }
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
        Tensor::from_slice(&data).view([quotes.len() as i64, width as i64])
    }
}

impl StanceModel {
    /// Loads a head and checks its `meta.json` contract against `encoder`.
    pub fn load(source: &HeadSource, encoder: &Encoder) -> Result<StanceModel> {
        StanceModel::load_for(source, encoder.precision(), encoder.last_layer())
    }

    /// Loads a head for an encoder at `precision` whose last layer is `layer`.
    pub fn load_for(source: &HeadSource, precision: Precision, layer: usize) -> Result<StanceModel> {
        let meta = StanceMeta::load(source)?;
        let words: QuoteWords = source.read_json(WORDS_FILE)?;
        if words.terms.len() != words.idf.len() || words.terms.windows(2).any(|p| p[0] >= p[1]) {
            bail!("{}: terms must be sorted, distinct and one idf each", source.describe(WORDS_FILE));
        }
        let Some(stored) = &meta.contract else {
            bail!("{}: states no contract (retrain with `quotestance train-stance`)", source.describe(META_FILE));
        };
        stored.check(&contract(precision, layer, words.len()), source)?;
        let tensors = source.read_tensors(WEIGHTS_FILE)?;
        let get = |name: &str| {
            tensors
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.shallow_clone())
                .with_context(|| format!("{} has no tensor {name:?}", source.describe(WEIGHTS_FILE)))
        };
        let (weight, bias) = (get("weight")?, get("bias")?);
        let features = EMBEDDING_FEATURES + words.len() as i64;
        if weight.size() != [3, features] || bias.size() != [3] {
            bail!("{}: weight {:?} / bias {:?} do not fit {features} features ({EMBEDDING_FEATURES} embedding columns and {} terms)", source.describe(WEIGHTS_FILE), weight.size(), bias.size(), words.len());
        }
        Ok(StanceModel { words, weight, bias })
    }

    /// The contract this head is trained under with `encoder`'s states.
    pub fn contract(&self, encoder: &Encoder) -> HeadContract {
        contract(encoder.precision(), encoder.last_layer(), self.words.len())
    }

    pub fn save(&self, dir: &Path, meta: &StanceMeta) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        Tensor::write_safetensors(&[("weight", &self.weight), ("bias", &self.bias)], dir.join(WEIGHTS_FILE))?;
        std::fs::write(dir.join(WORDS_FILE), serde_json::to_string(&self.words)? + "\n")?;
        std::fs::write(dir.join(META_FILE), serde_json::to_string_pretty(meta)? + "\n")?;
        Ok(())
    }

    /// Label probabilities, in [`StanceLabel::ALL`] order, of an article's
    /// quotes from their text rows (gathered from the encoder's windows) and
    /// their speakers' names, one row each; a fragment inside a longer quote
    /// takes that quote's, as the guidelines label it.
    pub fn predict_quotes(&self, encoder: &Encoder, doc: &Document, text_rows: &QuoteTextRows, quotes: &[StanceQuote]) -> Result<Vec<[f32; 3]>> {
        let embeddings = span_features(encoder, text_rows, quotes)?;
        let spans: Vec<Span> = quotes.iter().map(|q| q.span).collect();
        let mut probs = self.predict(&embeddings, &quote_texts(doc, &spans))?;
        fragments_take_their_statements(&spans, &mut probs);
        Ok(probs)
    }

    /// Label probabilities of the quotes at `idx` of a training set.
    pub fn predict_rows(&self, set: &TrainingSet, idx: &[usize]) -> Result<Vec<[f32; 3]>> {
        self.predict(&set.embedding_rows(idx), &set.quote_texts(idx))
    }

    /// Label probabilities of quotes from their embedding rows and their
    /// texts, one row each.
    fn predict(&self, embeddings: &Tensor, quotes: &[&str]) -> Result<Vec<[f32; 3]>> {
        let _guard = tch::no_grad_guard();
        if embeddings.size() != [quotes.len() as i64, EMBEDDING_FEATURES] {
            bail!("{} quotes but embedding rows {:?}", quotes.len(), embeddings.size());
        }
        // The word columns are dense (one per vocabulary term): a chunk of
        // quotes at a time keeps them small whatever the article's length.
        let mut probs = Vec::with_capacity(quotes.len());
        for start in (0..quotes.len()).step_by(PREDICT_CHUNK) {
            let end = (start + PREDICT_CHUNK).min(quotes.len());
            let x = head_input(&self.words, &embeddings.narrow(0, start as i64, (end - start) as i64), &quotes[start..end])?;
            probs.extend(rows(&x.matmul(&self.weight.tr()).f_add(&self.bias)?.softmax(-1, Kind::Float))?);
        }
        if probs.len() != quotes.len() {
            bail!("{} quotes but {} probability rows", quotes.len(), probs.len());
        }
        Ok(probs)
    }

    /// Fits the vocabulary and the head on embedding rows, quote texts and
    /// labels.
    pub fn train(embeddings: &Tensor, quotes: &[&str], labels: &[StanceLabel], config: &TrainConfig) -> Result<StanceModel> {
        if quotes.len() != labels.len() {
            bail!("{} quotes but {} labels", quotes.len(), labels.len());
        }
        tch::manual_seed(config.seed);
        let words = QuoteWords::fit(quotes);
        let x = head_input(&words, embeddings, quotes)?;
        let y = Tensor::from_slice(&labels.iter().map(|l| l.index() as i64).collect::<Vec<_>>());
        let class_weights = Tensor::from_slice(&class_weights(labels, config.class_weight_power));
        let vs = nn::VarStore::new(Device::Cpu);
        let linear = nn::linear(vs.root(), EMBEDDING_FEATURES + words.len() as i64, 3, Default::default());
        let mut opt = nn::Adam::default().build(&vs, config.learning_rate)?;
        for _ in 0..config.epochs {
            let logits = linear.forward(&x);
            let loss = logits.log_softmax(-1, Kind::Float).g_nll_loss(&y, Some(&class_weights), tch::Reduction::Mean, -100) + linear.ws.square().sum(Kind::Float) * config.l2;
            opt.backward_step(&loss);
        }
        let bias = linear.bs.as_ref().context("a linear layer without a bias")?.detach().copy() + neutral_shift(config.neutral_bias);
        Ok(StanceModel { words, weight: linear.ws.detach().copy(), bias })
    }
}

/// The head's input as this build lays it out: the quote's, the paragraph's
/// and the speaker's embeddings from the encoder's last layer, then the
/// quote's `words` tf-idf columns.
fn contract(precision: Precision, layer: usize, words: usize) -> HeadContract {
    HeadContract {
        format: CONTRACT_FORMAT,
        encoder_precision: precision.as_str().to_string(),
        layer,
        offsets: PARAGRAPH_OFFSETS.to_string(),
        features: vec![FeatureBlock::new("quote", DIM), FeatureBlock::new("paragraph", DIM), FeatureBlock::new("speaker", DIM), FeatureBlock::new("words", words as i64)],
    }
}

/// The intercept shift that adds `bias` to the neutral logit.
fn neutral_shift(bias: f64) -> Tensor {
    let mut shift = [0f32; 3];
    shift[StanceLabel::Neutral.index()] = bias as f32;
    Tensor::from_slice(&shift)
}

/// The label of a probability row after adding `neutral_bias` to the
/// neutral log-probability: what a head trained with that bias predicts.
pub fn label_with_neutral_bias(p: &[f32; 3], neutral_bias: f64) -> StanceLabel {
    let mut shifted = p.map(|x| x.max(1e-12).ln());
    shifted[StanceLabel::Neutral.index()] += neutral_bias as f32;
    label_of(&shifted)
}

/// The loss weight of each label ([`TrainConfig::class_weight_power`]); a
/// label absent from the training quotes weighs 1.
fn class_weights(labels: &[StanceLabel], power: f64) -> [f32; 3] {
    let mut counts = [0usize; 3];
    for l in labels {
        counts[l.index()] += 1;
    }
    counts.map(|c| if c == 0 { 1.0 } else { (labels.len() as f64 / (3.0 * c as f64)).powf(power) as f32 })
}

/// What the head reads of quotes: their embedding rows beside their words.
fn head_input(words: &QuoteWords, embeddings: &Tensor, quotes: &[&str]) -> Result<Tensor> {
    if embeddings.size() != [quotes.len() as i64, EMBEDDING_FEATURES] {
        bail!("{} quotes but embedding rows {:?}", quotes.len(), embeddings.size());
    }
    Ok(Tensor::cat(&[embeddings.shallow_clone(), words.rows(quotes)], 1))
}

/// Gives each quote lying inside a longer quote of the same article the
/// probabilities of the longest one around it. The guidelines label a
/// fragment (`"not our war"` inside `the air campaign was "not our war"`)
/// with the stance of the statement it belongs to, which the whole statement
/// shows better than its few words: in eval/train all 72 such fragments share
/// their statement's label, and the cross-validated head read them alone
/// (macro-F1 0.677 → 0.683 when they inherit).
fn fragments_take_their_statements(spans: &[Span], probs: &mut [[f32; 3]]) {
    let statement_of = |fragment: &Span| {
        spans
            .iter()
            .enumerate()
            .filter(|(_, statement)| statement.contains(*fragment) && statement.len() > fragment.len())
            .max_by_key(|(_, statement)| (statement.len(), std::cmp::Reverse(statement.start)))
            .map(|(i, _)| i)
    };
    let statements: Vec<Option<usize>> = spans.iter().map(statement_of).collect();
    for (i, statement) in statements.into_iter().enumerate() {
        if let Some(j) = statement {
            probs[i] = probs[j];
        }
    }
}

/// The argmax label of a probability row.
pub fn label_of(p: &[f32; 3]) -> StanceLabel {
    let mut best = 0;
    for i in 1..3 {
        if p[i] > p[best] {
            best = i;
        }
    }
    StanceLabel::ALL[best]
}

fn rows(probs: &Tensor) -> Result<Vec<[f32; 3]>> {
    let flat: Vec<f32> = Vec::<f32>::try_from(probs.contiguous().view(-1))?;
    Ok(flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
}

/// The labeled quotes of a set of articles, as the head reads them.
pub struct TrainingSet {
    /// Embedding rows `[quotes, EMBEDDING_FEATURES]`.
    pub embeddings: Tensor,
    /// The text of each quote.
    pub quotes: Vec<String>,
    pub labels: Vec<StanceLabel>,
    /// The article index of each quote, for folds by article.
    pub groups: Vec<usize>,
}

impl TrainingSet {
    fn quote_texts(&self, idx: &[usize]) -> Vec<&str> {
        idx.iter().map(|&i| self.quotes[i].as_str()).collect()
    }

    fn embedding_rows(&self, idx: &[usize]) -> Tensor {
        self.embeddings.index_select(0, &Tensor::from_slice(&idx.iter().map(|&i| i as i64).collect::<Vec<_>>()))
    }

    /// The quotes at `idx`, their articles numbered as before.
    pub fn subset(&self, idx: &[usize]) -> TrainingSet {
        TrainingSet {
            embeddings: self.embedding_rows(idx),
            quotes: idx.iter().map(|&i| self.quotes[i].clone()).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            groups: idx.iter().map(|&i| self.groups[i]).collect(),
        }
    }

    /// A head trained on the quotes at `idx`.
    pub fn train(&self, idx: &[usize], config: &TrainConfig) -> Result<StanceModel> {
        let labels: Vec<StanceLabel> = idx.iter().map(|&i| self.labels[i]).collect();
        StanceModel::train(&self.embedding_rows(idx), &self.quote_texts(idx), &labels, config)
    }
}

/// The labeled training set of a set of articles.
pub fn training_set(encoder: &Encoder, articles: &[Article]) -> Result<TrainingSet> {
    let mut rows = Vec::new();
    let mut set = TrainingSet { embeddings: Tensor::zeros([0, EMBEDDING_FEATURES], (Kind::Float, Device::Cpu)), quotes: Vec::new(), labels: Vec::new(), groups: Vec::new() };
    for (a, article) in articles.iter().enumerate() {
        let labeled: Vec<(StanceQuote, StanceLabel)> = article.quotes.iter().zip(stance_quotes(article)).filter_map(|(q, quote)| q.stance.map(|l| (quote, l))).collect();
        if labeled.is_empty() {
            continue;
        }
        let doc = Document::new(article.text.as_str());
        let quotes: Vec<StanceQuote> = labeled.iter().map(|(q, _)| q.clone()).collect();
        let spans: Vec<Span> = quotes.iter().map(|q| q.span).collect();
        rows.push(article_features(encoder, &doc, &quotes)?);
        set.quotes.extend(quote_texts(&doc, &spans).into_iter().map(String::from));
        set.labels.extend(labeled.iter().map(|(_, l)| *l));
        set.groups.extend(std::iter::repeat_n(a, labeled.len()));
    }
    if !rows.is_empty() {
        set.embeddings = Tensor::cat(&rows, 0);
    }
    Ok(set)
}

/// The text of quote spans, as the head reads them.
fn quote_texts<'a>(doc: &'a Document, spans: &[Span]) -> Vec<&'a str> {
    spans.iter().map(|&span| doc.slice(span)).collect()
}

/// Macro-F1 of heads trained on the other folds, predicting each fold
/// (folds by article; the vocabulary too is fitted on the training folds).
pub fn cross_validate(set: &TrainingSet, folds: usize, config: &TrainConfig) -> Result<f64> {
    Ok(cross_validate_on_share(set, folds, config, 1.0, 0)?.macro_f1)
}

/// The probabilities each quote of `set` gets from a head trained on the
/// other folds (folds by article; the vocabulary too is fitted on the
/// training folds), as (quote index, probabilities).
pub fn cross_validated_predictions(set: &TrainingSet, folds: usize, config: &TrainConfig) -> Result<Vec<(usize, [f32; 3])>> {
    let mut out = Vec::new();
    for fold in 0..folds {
        let (test, train): (Vec<usize>, Vec<usize>) = (0..set.labels.len()).partition(|&i| set.groups[i] % folds == fold);
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let probs = set.train(&train, config)?.predict_rows(set, &test)?;
        out.extend(test.iter().copied().zip(probs));
    }
    Ok(out)
}

/// One point of a learning curve: heads trained on a share of each fold's
/// training articles.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Share of each fold's training articles the head saw.
    pub share: f64,
    /// Training quotes per fold, averaged over the folds.
    pub train_quotes: f64,
    pub macro_f1: f64,
}

/// Cross-validated macro-F1 when each fold's head sees only `share` of its
/// training articles (drawn at random with `draw`; all of them at 1.0). The
/// test folds stay whole, so the points of a curve are scored on the same
/// quotes.
pub fn cross_validate_on_share(set: &TrainingSet, folds: usize, config: &TrainConfig, share: f64, draw: i64) -> Result<CurvePoint> {
    if !(share > 0.0 && share <= 1.0) {
        bail!("share of training articles must be in (0, 1], got {share}");
    }
    let mut pairs = Vec::new();
    let mut train_quotes = Vec::new();
    for fold in 0..folds {
        let (test, train): (Vec<usize>, Vec<usize>) = (0..set.labels.len()).partition(|&i| set.groups[i] % folds == fold);
        let train = some_articles(set, &train, share, draw * folds as i64 + fold as i64)?;
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let model = set.train(&train, config)?;
        let probs = model.predict(&set.embedding_rows(&test), &set.quote_texts(&test))?;
        pairs.extend(test.iter().zip(&probs).map(|(&i, p)| (set.labels[i], label_of(p))));
        train_quotes.push(train.len() as f64);
    }
    let train_quotes = train_quotes.iter().sum::<f64>() / train_quotes.len().max(1) as f64;
    Ok(CurvePoint { share, train_quotes, macro_f1: crate::eval::StanceScoresReport::from_pairs(&pairs).macro_f1 })
}

/// The quotes of `share` of the articles that the quotes at `idx` come from
/// (at least one article), drawn by a permutation seeded with `seed`.
fn some_articles(set: &TrainingSet, idx: &[usize], share: f64, seed: i64) -> Result<Vec<usize>> {
    let mut articles: Vec<usize> = idx.iter().map(|&i| set.groups[i]).collect();
    articles.sort_unstable();
    articles.dedup();
    let keep = ((share * articles.len() as f64).round() as usize).max(1);
    tch::manual_seed(seed);
    let order = Vec::<i64>::try_from(Tensor::randperm(articles.len() as i64, (Kind::Int64, Device::Cpu)))?;
    let kept: Vec<usize> = order.iter().take(keep).map(|&k| articles[k as usize]).collect();
    Ok(idx.iter().copied().filter(|&i| kept.contains(&set.groups[i])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_quote_reads_its_speakers_names() {
        let json = r#"{"id": "a", "text": "Kerry spoke. Someone spoke.",
            "entities": [{"id": "kerry", "name": "John Kerry", "type": "PER", "aliases": ["Mr Kerry", "US Secretary of State John Kerry"]}],
            "quotes": [{"id": "q1", "kind": "direct", "start": 0, "end": 5, "text": "Kerry", "speaker": "kerry"},
                       {"id": "q2", "kind": "direct", "start": 13, "end": 20, "text": "Someone", "speaker": null}]}"#;
        let article: Article = serde_json::from_str(json).unwrap();
        let speakers: Vec<String> = stance_quotes(&article).into_iter().map(|q| q.speaker).collect();
        assert_eq!(speakers, vec!["John Kerry, Mr Kerry, US Secretary of State John Kerry".to_string(), String::new()]);
    }

    #[test]
    fn training_separates_separable_classes_and_round_trips() {
        // Three clusters along three embedding axes, with quote words that
        // say nothing: the head must learn the clusters.
        let n = 30;
        let width = EMBEDDING_FEATURES as usize;
        let mut data = vec![0f32; n * width];
        let mut labels = Vec::new();
        for i in 0..n {
            let c = i % 3;
            data[i * width + c] = 1.0;
            data[i * width + 10] = (i as f32) / n as f32; // noise column
            labels.push(StanceLabel::ALL[c]);
        }
        let x = Tensor::from_slice(&data).view([n as i64, EMBEDDING_FEATURES]);
        let quotes = vec!["the same words"; n];
        let model = StanceModel::train(&x, &quotes, &labels, &TrainConfig { l2: 0.0, ..Default::default() }).unwrap();
        let probs = model.predict(&x, &quotes).unwrap();
        for (i, p) in probs.iter().enumerate() {
            assert_eq!(label_of(p), labels[i], "row {i}: {p:?}");
        }
        let dir = std::env::temp_dir().join(format!("qs-stance-{}", std::process::id()));
        let contract = contract(Precision::Int8, 6, model.words.len());
        let meta = StanceMeta { config: TrainConfig::default(), train_examples: n, train_articles: 1, selection: vec![], label_counts: Default::default(), contract: Some(contract), sources: vec![], cross_validated: Default::default(), held_out: Default::default() };
        model.save(&dir, &meta).unwrap();
        let source = HeadSource::Dir(crate::heads::HeadKind::Stance, dir.clone());
        let back = StanceModel::load_for(&source, Precision::Int8, 6).unwrap();
        assert_eq!(back.words, model.words);
        assert_eq!(back.predict(&x, &quotes).unwrap(), probs);
        std::fs::remove_dir_all(dir).ok();
    }

    /// 20 articles of 3 quotes, one per label, on three embedding axes.
    fn separable_set() -> TrainingSet {
        let (articles, width) = (20, EMBEDDING_FEATURES as usize);
        let n = articles * 3;
        let mut data = vec![0f32; n * width];
        for i in 0..n {
            data[i * width + i % 3] = 1.0;
        }
        TrainingSet {
            embeddings: Tensor::from_slice(&data).view([n as i64, EMBEDDING_FEATURES]),
            quotes: (0..n).map(|i| format!("quote {i}")).collect(),
            labels: (0..n).map(|i| StanceLabel::ALL[i % 3]).collect(),
            groups: (0..n).map(|i| i / 3).collect(),
        }
    }

    #[test]
    fn a_learning_curve_point_trains_on_whole_articles_of_its_share() {
        let set = separable_set();
        let config = TrainConfig { epochs: 100, ..Default::default() };
        let all = cross_validate_on_share(&set, 5, &config, 1.0, 0).unwrap();
        assert_eq!(all.train_quotes, 48.0, "16 training articles of 3 quotes per fold");
        assert_eq!(all.macro_f1, cross_validate(&set, 5, &config).unwrap());
        assert_eq!(all.macro_f1, 1.0);
        let quarter = cross_validate_on_share(&set, 5, &config, 0.25, 0).unwrap();
        assert_eq!(quarter.train_quotes, 12.0, "4 of the 16 training articles");
        assert_eq!(cross_validate_on_share(&set, 5, &config, 0.25, 0).unwrap(), quarter, "a draw is reproducible");
        let train: Vec<usize> = (0..set.labels.len()).filter(|&i| set.groups[i] % 5 != 0).collect();
        let kept = some_articles(&set, &train, 0.25, 7).unwrap();
        for &i in &kept {
            assert!(set.groups[i] % 5 != 0, "quote {i} is from the test fold");
            assert_eq!(kept.iter().filter(|&&k| set.groups[k] == set.groups[i]).count(), 3, "article {} kept in part", set.groups[i]);
        }
        let other = some_articles(&set, &train, 0.25, 8).unwrap();
        assert_eq!(other.len(), kept.len());
        for share in [0.0, -0.5, 1.5, f64::NAN] {
            assert!(cross_validate_on_share(&set, 5, &config, share, 0).is_err(), "share {share}");
        }
    }

    #[test]
    fn the_head_reads_the_words_when_the_embeddings_say_nothing() {
        let texts = [("we will join the strikes", StanceLabel::Support), ("we refuse this war", StanceLabel::Oppose), ("the meeting is on monday", StanceLabel::Neutral)];
        let quotes: Vec<&str> = texts.iter().cycle().take(12).map(|(t, _)| *t).collect();
        let labels: Vec<StanceLabel> = texts.iter().cycle().take(12).map(|(_, l)| *l).collect();
        let x = Tensor::zeros([12, EMBEDDING_FEATURES], (Kind::Float, Device::Cpu));
        let model = StanceModel::train(&x, &quotes, &labels, &TrainConfig { l2: 0.0, ..Default::default() }).unwrap();
        let unseen = ["they will join", "a war we refuse", "on monday"];
        let probs = model.predict(&Tensor::zeros([3, EMBEDDING_FEATURES], (Kind::Float, Device::Cpu)), &unseen).unwrap();
        let got: Vec<StanceLabel> = probs.iter().map(label_of).collect();
        assert_eq!(got, vec![StanceLabel::Support, StanceLabel::Oppose, StanceLabel::Neutral]);
    }

    #[test]
    fn a_neutral_bias_shifts_only_the_neutral_intercept() {
        let set = separable_set();
        let idx: Vec<usize> = (0..set.labels.len()).collect();
        let config = TrainConfig { epochs: 50, ..Default::default() };
        let plain = set.train(&idx, &config).unwrap();
        let shifted = set.train(&idx, &TrainConfig { neutral_bias: 2.0, ..config }).unwrap();
        assert_eq!(Vec::<f32>::try_from(&plain.weight.view(-1)).unwrap(), Vec::<f32>::try_from(&shifted.weight.view(-1)).unwrap());
        let diff = Vec::<f32>::try_from(&(&shifted.bias - &plain.bias)).unwrap();
        assert_eq!(diff, vec![0.0, 0.0, 2.0]);
        // The post-hoc rule used in model selection predicts what the shifted head predicts.
        let p_plain = plain.predict_rows(&set, &idx).unwrap();
        let p_shifted = shifted.predict_rows(&set, &idx).unwrap();
        for (a, b) in p_plain.iter().zip(&p_shifted) {
            assert_eq!(label_with_neutral_bias(a, 2.0), label_of(b));
        }
        assert_eq!(label_with_neutral_bias(&[0.5, 0.2, 0.3], 0.0), StanceLabel::Support);
        assert_eq!(label_with_neutral_bias(&[0.5, 0.2, 0.3], 1.0), StanceLabel::Neutral);
    }

    #[test]
    fn rare_labels_weigh_more_by_the_power_of_their_rarity() {
        let labels = [StanceLabel::Neutral, StanceLabel::Neutral, StanceLabel::Neutral, StanceLabel::Support, StanceLabel::Support, StanceLabel::Oppose];
        assert_eq!(class_weights(&labels, 0.0), [1.0, 1.0, 1.0]);
        let [s, o, n] = class_weights(&labels, 1.0);
        assert!((s - 1.0).abs() < 1e-6 && (o - 2.0).abs() < 1e-6 && (n - 2.0 / 3.0).abs() < 1e-6, "{s} {o} {n}");
        assert_eq!(class_weights(&labels[..3], 1.0)[0], 1.0, "an absent label weighs 1");
    }

    #[test]
    fn quote_words_are_tf_idf_rows_of_words_and_word_pairs() {
        let words = QuoteWords::fit(&["Not our war", "not OUR fight", "a war", "x"]);
        // One-letter words are dropped; terms in a single quote are too.
        assert_eq!(words.terms, vec!["not", "not our", "our", "war"]);
        let rows = words.rows(&["not, not our", "nothing known"]);
        assert_eq!(rows.size(), vec![2, 4]);
        let first = Vec::<f32>::try_from(rows.get(0)).unwrap();
        let norm: f32 = first.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{first:?}");
        assert!(first[0] > first[1] && first[1] > 0.0 && first[3] == 0.0, "`not` twice outweighs `not our` once: {first:?}");
        assert_eq!(Vec::<f32>::try_from(rows.get(1)).unwrap(), vec![0.0; 4]);
    }

    #[test]
    fn a_fragment_takes_the_probabilities_of_the_longest_quote_around_it() {
        // 0: a statement; 1: a fragment inside it; 2: a fragment inside the
        // fragment; 3: overlapping 0 without lying inside it; 4: elsewhere.
        let spans = [(10, 60), (20, 40), (25, 30), (50, 80), (90, 95)].map(|(a, b)| Span::new(a, b));
        let mut probs = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]];
        let before = probs;
        fragments_take_their_statements(&spans, &mut probs);
        assert_eq!(probs, [before[0], before[0], before[0], before[3], before[4]]);
    }

    #[test]
    fn load_rejects_a_missing_head() {
        let source = HeadSource::Dir(crate::heads::HeadKind::Stance, "/nonexistent/dir".into());
        let err = StanceModel::load_for(&source, Precision::Int8, 6).err().unwrap().to_string();
        assert!(err.contains("train-stance"), "{err}");
    }

    #[test]
    fn the_built_in_head_loads_for_the_encoder_it_was_trained_on_only() {
        let source = HeadSource::BuiltIn(crate::heads::HeadKind::Stance);
        assert!(StanceModel::load_for(&source, Precision::Int8, 6).is_ok());
        let err = format!("{:#}", StanceModel::load_for(&source, Precision::F32, 6).err().unwrap());
        assert!(err.contains("trained on int8 encoder states but the encoder runs at f32"), "{err}");
        let err = format!("{:#}", StanceModel::load_for(&source, Precision::Int8, 3).err().unwrap());
        assert!(err.contains("reads encoder layer 6 but this build gives it layer 3"), "{err}");
    }
}
