//! Stance toward the anti-IS coalition: a softmax classifier over the shared
//! encoder's embeddings of the quote, of its paragraph and of its speaker. The head is trained
//! by `train-stance` on `eval/train`-style articles and committed under
//! `models/stance/`; the encoder's weights stay in the setup cache.

use crate::article::{Article, StanceLabel};
use crate::document::Document;
use crate::encoder::{Encoder, TokenStates, DIM};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// Number of feature columns: the quote's embedding, its paragraph's and its
/// speaker's. Cross-validated on eval/train (5 folds by article), the
/// speaker block lifted macro-F1 from 0.635 to 0.671: who speaks (a coalition
/// minister, an Iranian official, a monitor) is half of what a quote means.
pub const FEATURES: i64 = 3 * DIM;

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

/// The speaker text of each of an article's quotes, from its entities (a
/// gold or labeled file); empty when a quote has no speaker.
pub fn quote_speakers(article: &Article) -> Vec<String> {
    article
        .quotes
        .iter()
        .map(|q| {
            q.speaker
                .as_ref()
                .and_then(|id| article.entities.iter().find(|e| &e.id == id))
                .map(|e| speaker_text(&e.name, &e.aliases))
                .unwrap_or_default()
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
pub fn quote_row(paragraph: &TokenStates, quote: (usize, usize)) -> Tensor {
    let inside: Vec<i64> = paragraph
        .offsets
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_some_and(|(a, b)| a < quote.1 && b > quote.0))
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
pub fn quote_in_paragraph(doc: &Document, start: usize, end: usize) -> (usize, (usize, usize)) {
    let k = doc.paragraph_at(start);
    match doc.paragraphs.get(k) {
        Some(p) => (k, (start.saturating_sub(p.start), end.min(p.end).saturating_sub(p.start))),
        None => (k, (0, end.saturating_sub(start))),
    }
}

/// Feature rows `[spans, FEATURES]` of quote spans of an article from its
/// paragraphs' encoder states (`paragraph_states[i]` is `doc.paragraphs[i]`'s)
/// and the quotes' speaker texts ([`speaker_text`], one per span).
pub fn span_features(encoder: &Encoder, doc: &Document, paragraph_states: &[TokenStates], spans: &[(usize, usize)], speakers: &[String]) -> Result<Tensor> {
    if spans.len() != speakers.len() {
        bail!("{} quote spans but {} speakers", spans.len(), speakers.len());
    }
    Ok(Tensor::cat(&[text_features(doc, paragraph_states, spans), speaker_rows(encoder, speakers)?], 1))
}

/// The quote and paragraph columns of quote spans.
fn text_features(doc: &Document, paragraph_states: &[TokenStates], spans: &[(usize, usize)]) -> Tensor {
    if spans.is_empty() {
        return Tensor::zeros([0, TEXT_FEATURES], (Kind::Float, Device::Cpu));
    }
    let rows: Vec<Tensor> = spans
        .iter()
        .map(|&(start, end)| {
            let (k, quote) = quote_in_paragraph(doc, start, end);
            match paragraph_states.get(k) {
                Some(states) => quote_row(states, quote),
                None => Tensor::zeros([TEXT_FEATURES], (Kind::Float, Device::Cpu)),
            }
        })
        .collect();
    Tensor::stack(&rows, 0)
}

/// Feature rows of quote spans of an article's text, encoding the article
/// exactly as the pipeline does, so training, gold-span scoring and
/// `classify` see the same numbers.
pub fn article_features(encoder: &Encoder, doc: &Document, spans: &[(usize, usize)], speakers: &[String]) -> Result<Tensor> {
    if spans.is_empty() {
        return span_features(encoder, doc, &[], spans, speakers);
    }
    span_features(encoder, doc, &encoder.paragraph_states(doc)?, spans, speakers)
}

/// Training settings, stored beside the weights so a retrain can reproduce them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    pub seed: i64,
    pub epochs: usize,
    pub learning_rate: f64,
    pub l2: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { seed: 13, epochs: 300, learning_rate: 0.01, l2: 1e-3 }
    }
}

/// The trained linear head: `probs = softmax(x W^T + b)`.
pub struct StanceModel {
    weight: Tensor,
    bias: Tensor,
}

/// What `train-stance` writes next to the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StanceMeta {
    pub config: TrainConfig,
    pub train_examples: usize,
    pub train_articles: usize,
    /// Cross-validated macro-F1 (folds by article) for each L2 value tried.
    pub cv_macro_f1: Vec<(f64, f64)>,
    /// Training quotes per label: the majority-class baseline predicts the largest.
    #[serde(default)]
    pub label_counts: std::collections::BTreeMap<String, usize>,
    /// The encoder precision the features were computed at (`int8` or `f32`):
    /// the head reads best at the same one.
    #[serde(default)]
    pub encoder_precision: String,
}

impl StanceMeta {
    pub fn load(dir: &Path) -> Result<StanceMeta> {
        let path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: malformed", path.display()))
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
    let best: Vec<i64> = Vec::<i64>::try_from(best).unwrap_or_default();
    Ok(best.into_iter().map(|i| StanceLabel::ALL[i as usize]).collect())
}

const WEIGHTS_FILE: &str = "head.safetensors";
const META_FILE: &str = "meta.json";

impl StanceModel {
    pub fn load(dir: &Path) -> Result<StanceModel> {
        let path = dir.join(WEIGHTS_FILE);
        if !path.is_file() {
            bail!("stance head {} is missing: run `quotestance train-stance`", path.display());
        }
        let tensors = Tensor::read_safetensors(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let get = |name: &str| {
            tensors
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.shallow_clone())
                .with_context(|| format!("{} has no tensor {name:?}", path.display()))
        };
        let (weight, bias) = (get("weight")?, get("bias")?);
        if weight.size() != [3, FEATURES] || bias.size() != [3] {
            bail!("{}: weight {:?} / bias {:?} do not fit {FEATURES} features", path.display(), weight.size(), bias.size());
        }
        Ok(StanceModel { weight, bias })
    }

    pub fn save(&self, dir: &Path, meta: &StanceMeta) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        Tensor::write_safetensors(&[("weight", &self.weight), ("bias", &self.bias)], dir.join(WEIGHTS_FILE))?;
        std::fs::write(dir.join(META_FILE), serde_json::to_string_pretty(meta)? + "\n")?;
        Ok(())
    }

    /// Label probabilities, `[n, 3]` in [`StanceLabel::ALL`] order.
    pub fn probabilities(&self, features: &Tensor) -> Tensor {
        let _guard = tch::no_grad_guard();
        features.matmul(&self.weight.tr()).f_add(&self.bias).expect("shapes checked at load").softmax(-1, Kind::Float)
    }

    /// Label probabilities of feature rows (see [`span_features`]).
    pub fn predict_features(&self, features: &Tensor) -> Vec<[f32; 3]> {
        rows(&self.probabilities(features))
    }

    /// Trains a head on feature rows and labels (indices of [`StanceLabel::ALL`]).
    pub fn train(x: &Tensor, y: &Tensor, config: &TrainConfig) -> Result<StanceModel> {
        tch::manual_seed(config.seed);
        let vs = nn::VarStore::new(Device::Cpu);
        let linear = nn::linear(vs.root(), FEATURES, 3, Default::default());
        let mut opt = nn::Adam::default().build(&vs, config.learning_rate)?;
        for _ in 0..config.epochs {
            let logits = linear.forward(x);
            let loss = logits.cross_entropy_for_logits(y) + linear.ws.square().sum(Kind::Float) * config.l2;
            opt.backward_step(&loss);
        }
        let bias = linear.bs.as_ref().expect("linear layers have a bias").detach().copy();
        Ok(StanceModel { weight: linear.ws.detach().copy(), bias })
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

fn rows(probs: &Tensor) -> Vec<[f32; 3]> {
    let flat: Vec<f32> = Vec::<f32>::try_from(probs.contiguous().view(-1)).unwrap_or_default();
    flat.chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// The labeled training set of a set of articles: feature rows, their
/// labels, and the article index of each (for folds by article).
pub fn training_set(encoder: &Encoder, articles: &[Article]) -> Result<(Tensor, Vec<StanceLabel>, Vec<usize>)> {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut groups = Vec::new();
    for (a, article) in articles.iter().enumerate() {
        let labeled: Vec<_> = article.quotes.iter().zip(quote_speakers(article)).filter_map(|(q, speaker)| q.stance.map(|l| ((q.start, q.end), speaker, l))).collect();
        if labeled.is_empty() {
            continue;
        }
        let doc = Document::new(article.text.as_str());
        let spans: Vec<(usize, usize)> = labeled.iter().map(|(s, _, _)| *s).collect();
        let speakers: Vec<String> = labeled.iter().map(|(_, speaker, _)| speaker.clone()).collect();
        rows.push(article_features(encoder, &doc, &spans, &speakers)?);
        labels.extend(labeled.iter().map(|(_, _, l)| *l));
        groups.extend(std::iter::repeat_n(a, labeled.len()));
    }
    let x = if rows.is_empty() { Tensor::zeros([0, FEATURES], (Kind::Float, Device::Cpu)) } else { Tensor::cat(&rows, 0) };
    Ok((x, labels, groups))
}

/// Macro-F1 of a head trained on the other folds, predicting each fold (folds by article).
pub fn cross_validate(x: &Tensor, labels: &[StanceLabel], groups: &[usize], folds: usize, config: &TrainConfig) -> Result<f64> {
    let mut pairs = Vec::new();
    for fold in 0..folds {
        let train_idx: Vec<i64> = (0..labels.len()).filter(|&i| groups[i] % folds != fold).map(|i| i as i64).collect();
        let test_idx: Vec<usize> = (0..labels.len()).filter(|&i| groups[i] % folds == fold).collect();
        if train_idx.is_empty() || test_idx.is_empty() {
            continue;
        }
        let xt = x.index_select(0, &Tensor::from_slice(&train_idx));
        let yt = Tensor::from_slice(&train_idx.iter().map(|&i| labels[i as usize].index() as i64).collect::<Vec<_>>());
        let model = StanceModel::train(&xt, &yt, config)?;
        let test_t: Vec<i64> = test_idx.iter().map(|&i| i as i64).collect();
        let probs = rows(&model.probabilities(&x.index_select(0, &Tensor::from_slice(&test_t))));
        for (k, &i) in test_idx.iter().enumerate() {
            pairs.push((labels[i], label_of(&probs[k])));
        }
    }
    Ok(crate::eval::StanceScoresReport::from_pairs(&pairs).macro_f1)
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
        assert_eq!(quote_speakers(&article), vec!["John Kerry, Mr Kerry, US Secretary of State John Kerry".to_string(), String::new()]);
    }

    #[test]
    fn training_separates_separable_classes_and_round_trips() {
        // Three clusters along three feature axes: the head must learn them.
        let n = 30;
        let mut data = vec![0f32; n * FEATURES as usize];
        let mut y = Vec::new();
        for i in 0..n {
            let c = i % 3;
            data[i * FEATURES as usize + c] = 1.0;
            data[i * FEATURES as usize + 10] = (i as f32) / n as f32; // noise column
            y.push(c as i64);
        }
        let x = Tensor::from_slice(&data).view([n as i64, FEATURES]);
        let model = StanceModel::train(&x, &Tensor::from_slice(&y), &TrainConfig { l2: 0.0, ..Default::default() }).unwrap();
        let probs = rows(&model.probabilities(&x));
        for (i, p) in probs.iter().enumerate() {
            assert_eq!(label_of(p).index(), i % 3, "row {i}: {p:?}");
        }
        let dir = std::env::temp_dir().join(format!("qs-stance-{}", std::process::id()));
        let meta = StanceMeta { config: TrainConfig::default(), train_examples: n, train_articles: 1, cv_macro_f1: vec![], label_counts: Default::default(), encoder_precision: "int8".into() };
        model.save(&dir, &meta).unwrap();
        let back = StanceModel::load(&dir).unwrap();
        assert_eq!(rows(&back.probabilities(&x)), probs);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn load_rejects_a_missing_head() {
        let err = StanceModel::load(Path::new("/nonexistent/dir")).err().unwrap().to_string();
        assert!(err.contains("train-stance"), "{err}");
    }
}
