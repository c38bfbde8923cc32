//! Stance toward the anti-IS coalition: a softmax classifier over the shared
//! encoder's embeddings of the quote and of its paragraph. The head is trained
//! by `train-stance` on `eval/train`-style articles and committed under
//! `models/stance/`; the encoder's weights stay in the setup cache.

use crate::article::{Article, StanceLabel};
use crate::document::Document;
use crate::encoder::{Encoder, DIM};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// What the classifier reads for one quote.
#[derive(Debug, Clone)]
pub struct StanceInput {
    pub quote: String,
    /// The paragraph around the quote.
    pub context: String,
}

/// Number of feature columns: the quote's embedding and its paragraph's.
pub const FEATURES: i64 = 2 * DIM;

/// Embeds inputs into `[n, FEATURES]` feature rows.
pub fn features(encoder: &Encoder, inputs: &[StanceInput]) -> Result<Tensor> {
    let quotes: Vec<&str> = inputs.iter().map(|i| i.quote.as_str()).collect();
    // Quotes of one paragraph share its context: encode each paragraph once.
    let mut unique: Vec<&str> = Vec::new();
    let mut which: Vec<i64> = Vec::with_capacity(inputs.len());
    for i in inputs {
        let k = match unique.iter().position(|c| *c == i.context) {
            Some(k) => k,
            None => {
                unique.push(&i.context);
                unique.len() - 1
            }
        };
        which.push(k as i64);
    }
    let contexts = encoder.embed(&unique)?.index_select(0, &Tensor::from_slice(&which));
    quote_features(encoder, &quotes, &contexts)
}

/// Feature rows from quote texts and their already-computed context
/// embeddings (`[quotes, DIM]`, e.g. pooled from the paragraphs' encoder states).
pub fn quote_features(encoder: &Encoder, quotes: &[&str], contexts: &Tensor) -> Result<Tensor> {
    Ok(Tensor::cat(&[encoder.embed(quotes)?, contexts.shallow_clone()], 1))
}

/// The stance input of a quote span of an article's text.
pub fn input_for(doc: &Document, start: usize, end: usize) -> StanceInput {
    let span = crate::document::Span::new(start, end);
    let para = doc.paragraphs.get(doc.paragraph_at(start)).copied().unwrap_or(span);
    StanceInput { quote: doc.slice(span).to_string(), context: doc.slice(para).to_string() }
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

    pub fn predict(&self, encoder: &Encoder, inputs: &[StanceInput]) -> Result<Vec<[f32; 3]>> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.predict_features(&features(encoder, inputs)?))
    }

    /// Label probabilities of feature rows (see [`features`], [`quote_features`]).
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

/// Labeled training examples of a set of articles, with the article index of each.
pub fn examples(articles: &[Article]) -> (Vec<StanceInput>, Vec<StanceLabel>, Vec<usize>) {
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    let mut groups = Vec::new();
    for (a, article) in articles.iter().enumerate() {
        let doc = Document::new(article.text.as_str());
        for q in &article.quotes {
            if let Some(label) = q.stance {
                inputs.push(input_for(&doc, q.start, q.end));
                labels.push(label);
                groups.push(a);
            }
        }
    }
    (inputs, labels, groups)
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
        let meta = StanceMeta { config: TrainConfig::default(), train_examples: n, train_articles: 1, cv_macro_f1: vec![], label_counts: Default::default() };
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
