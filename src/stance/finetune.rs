//! Fine-tuning the encoder's top layers for stance, measured against the
//! frozen encoder under the same folds by article. Issue 15 asks whether,
//! with some 5,700 labeled quotes, training the transformer beats a head over
//! its frozen states; `stance-finetune` answers with cross-validated
//! predictions and writes no model (README, "Stance on real text", has what
//! it measured).
//!
//! The layers below the trained ones never change, so their output is
//! computed once per paragraph (f32) and each step runs only the trained
//! layers, through rust-bert's `BertLayer` in a tch `VarStore`. The head reads
//! what the committed head reads: the quote's word pieces pooled from the
//! (trained) last layer, the paragraph's and the speaker's frozen embeddings,
//! and the quote's words; `layers 0` is that head under this schedule.
//!
//! Reads: labeled articles, the encoder. Writes: probabilities per quote from
//! models trained on the other folds.

use super::{class_weights, quote_in_paragraph, rows, speaker_rows, stance_quotes, QuoteWords, StanceQuote, EMBEDDING_FEATURES};
use crate::article::{Article, StanceLabel};
use crate::document::Document;
use crate::encoder::{pool, Encoder};
use anyhow::{bail, Result};
use rust_bert::bert::BertLayer;
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// How `stance-finetune` trains.
#[derive(Debug, Clone)]
pub struct FinetuneConfig {
    /// Encoder layers trained, counted from the top; 0 trains the head alone.
    pub layers: usize,
    /// AdamW step size of the trained encoder layers.
    pub encoder_lr: f64,
    /// AdamW step size of the linear head.
    pub head_lr: f64,
    pub epochs: usize,
    /// Paragraphs per optimizer step (with all their labeled quotes).
    pub batch: usize,
    /// As [`super::TrainConfig::class_weight_power`].
    pub class_weight_power: f64,
    pub weight_decay: f64,
    pub seed: i64,
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        FinetuneConfig { layers: 2, encoder_lr: 3e-5, head_lr: 3e-3, epochs: 3, batch: 16, class_weight_power: 0.5, weight_decay: 0.01, seed: 13 }
    }
}

/// One labeled quote as the fine-tuned model reads it.
struct QuoteInput {
    /// Index into [`FinetuneSet::paragraphs`].
    paragraph: usize,
    /// Rows of the paragraph's states inside the quote (every row when
    /// truncation cut the quote off, as the frozen head falls back to the
    /// paragraph).
    pieces: Tensor,
    /// The paragraph's pooled embedding and the speaker's, `[2 * DIM]`, from
    /// the frozen encoder.
    frozen: Tensor,
}

/// The labeled quotes of a set of articles, with the states of the paragraphs
/// they stand in at the input of the trained layers.
pub struct FinetuneSet {
    /// `[pieces, DIM]` per paragraph holding a labeled quote: the output of
    /// the layer below the trained ones.
    paragraphs: Vec<Tensor>,
    quotes: Vec<QuoteInput>,
    pub texts: Vec<String>,
    pub labels: Vec<StanceLabel>,
    /// The article index of each quote, for folds by article.
    pub groups: Vec<usize>,
    /// The encoder layer (1-based) the trained layers start at.
    first_trained: usize,
}

/// Encodes the labeled quotes of `articles` for training the top `layers`
/// layers of `encoder` (which should run at f32: int8 layers do not train).
pub fn finetune_set(encoder: &Encoder, articles: &[Article], layers: usize) -> Result<FinetuneSet> {
    let last = encoder.last_layer();
    if layers >= last {
        bail!("at most {} of the encoder's {last} layers can be trained (the embeddings and the first layer stay frozen)", last - 1);
    }
    let below = last - layers;
    let mut set = FinetuneSet { paragraphs: Vec::new(), quotes: Vec::new(), texts: Vec::new(), labels: Vec::new(), groups: Vec::new(), first_trained: below + 1 };
    for (a, article) in articles.iter().enumerate() {
        let labeled: Vec<(StanceQuote, StanceLabel)> = article.quotes.iter().zip(stance_quotes(article)).filter_map(|(q, quote)| q.stance.map(|l| (quote, l))).collect();
        if labeled.is_empty() {
            continue;
        }
        let doc = Document::new(article.text.as_str());
        let placed: Vec<_> = labeled.iter().map(|(q, _)| quote_in_paragraph(&doc, q.span)).collect();
        let mut needed: Vec<usize> = placed.iter().map(|(k, _)| *k).filter(|&k| k < doc.paragraphs.len()).collect();
        needed.sort_unstable();
        needed.dedup();
        let texts: Vec<&str> = needed.iter().map(|&k| doc.slice(doc.paragraphs[k])).collect();
        let states = encoder.token_states_beside(&texts, below)?;
        let speakers = speaker_rows(encoder, &labeled.iter().map(|(q, _)| q.speaker.clone()).collect::<Vec<_>>())?;
        let first = set.paragraphs.len();
        set.paragraphs.extend(states.iter().map(|s| s.inner_hidden.shallow_clone()));
        for (i, ((quote, label), (k, span))) in labeled.iter().zip(&placed).enumerate() {
            let Ok(j) = needed.binary_search(k) else {
                bail!("article {}: quote at {}..{} lies in no paragraph", article.id, quote.span.start, quote.span.end);
            };
            let paragraph = &states[j];
            let inside: Vec<i64> = paragraph.offsets.iter().enumerate().filter(|(_, o)| o.is_some_and(|p| p.start < span.end && p.end > span.start)).map(|(r, _)| r as i64).collect();
            let inside = if inside.is_empty() { (0..paragraph.offsets.len() as i64).collect() } else { inside };
            set.quotes.push(QuoteInput { paragraph: first + j, pieces: Tensor::from_slice(&inside), frozen: Tensor::cat(&[paragraph.pooled(), speakers.get(i as i64)], 0) });
            set.texts.push(doc.slice(quote.span).to_string());
            set.labels.push(*label);
            set.groups.push(a);
        }
    }
    Ok(set)
}

/// The trained part: the top encoder layers and the linear head.
struct FinetunedModel {
    layers: Vec<BertLayer>,
    head: nn::Linear,
    words: QuoteWords,
}

impl FinetunedModel {
    /// The trained layers over a batch of paragraphs' states: each
    /// paragraph's output rows, `[pieces, DIM]`.
    fn run_layers(&self, states: &[&Tensor], train: bool) -> Vec<Tensor> {
        if self.layers.is_empty() {
            return states.iter().map(|s| s.shallow_clone()).collect();
        }
        let lengths: Vec<i64> = states.iter().map(|s| s.size()[0]).collect();
        let width = lengths.iter().copied().max().unwrap_or(0);
        let padded = Tensor::pad_sequence(states, true, 0.0);
        let mask: Vec<f32> = lengths.iter().flat_map(|&n| (0..width).map(move |t| if t < n { 0.0 } else { -10000.0 })).collect();
        // Added to the attention scores, as BertModel extends its mask.
        let mask = Tensor::from_slice(&mask).view([states.len() as i64, 1, 1, width]);
        let mut hidden = padded;
        for layer in &self.layers {
            hidden = layer.forward_t(&hidden, Some(&mask), None, None, train).hidden_state;
        }
        lengths.iter().enumerate().map(|(b, &n)| hidden.get(b as i64).narrow(0, 0, n)).collect()
    }

    /// Logits `[quotes, 3]` of the quotes at `idx`, which stand in the
    /// paragraphs `paragraphs` (distinct, in any order).
    fn logits(&self, set: &FinetuneSet, paragraphs: &[usize], idx: &[usize], train: bool) -> Result<Tensor> {
        let states: Vec<&Tensor> = paragraphs.iter().map(|&p| &set.paragraphs[p]).collect();
        let outputs = self.run_layers(&states, train);
        let mut features = Vec::with_capacity(idx.len());
        for &i in idx {
            let q = &set.quotes[i];
            let Some(slot) = paragraphs.iter().position(|&p| p == q.paragraph) else {
                bail!("quote {i}'s paragraph is not in the batch");
            };
            features.push(Tensor::cat(&[pool(&outputs[slot].index_select(0, &q.pieces)), q.frozen.shallow_clone()], 0));
        }
        let texts: Vec<&str> = idx.iter().map(|&i| set.texts[i].as_str()).collect();
        let x = Tensor::cat(&[Tensor::stack(&features, 0), self.words.rows(&texts)], 1);
        Ok(self.head.forward(&x))
    }
}

/// The paragraphs the quotes at `idx` stand in, each once, in order of
/// first appearance.
fn paragraphs_of(set: &FinetuneSet, idx: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for &i in idx {
        if !out.contains(&set.quotes[i].paragraph) {
            out.push(set.quotes[i].paragraph);
        }
    }
    out
}

/// Builds the layers to train in a `VarStore`: copies of the encoder's top
/// layers (tests build fresh ones).
type NewLayers<'a> = dyn Fn(&nn::VarStore) -> Result<Vec<BertLayer>> + 'a;

/// Trains the top layers and a head on the quotes at `idx`.
fn train(set: &FinetuneSet, idx: &[usize], config: &FinetuneConfig, new_layers: &NewLayers) -> Result<FinetunedModel> {
    tch::manual_seed(config.seed);
    let words = QuoteWords::fit(&idx.iter().map(|&i| set.texts[i].as_str()).collect::<Vec<_>>());
    let layer_store = nn::VarStore::new(Device::Cpu);
    let layers = if config.layers == 0 { Vec::new() } else { new_layers(&layer_store)? };
    if layers.len() != config.layers {
        bail!("the set was encoded for training {} layers, the config trains {}", layers.len(), config.layers);
    }
    let head_store = nn::VarStore::new(Device::Cpu);
    let head = nn::linear(head_store.root(), EMBEDDING_FEATURES + words.len() as i64, 3, Default::default());
    let model = FinetunedModel { layers, head, words };
    let adamw = |wd| nn::AdamW { wd, ..Default::default() };
    let mut layer_opt = (config.layers > 0).then(|| adamw(config.weight_decay).build(&layer_store, config.encoder_lr)).transpose()?;
    let mut head_opt = adamw(config.weight_decay).build(&head_store, config.head_lr)?;
    let labels: Vec<StanceLabel> = idx.iter().map(|&i| set.labels[i]).collect();
    let weights = Tensor::from_slice(&class_weights(&labels, config.class_weight_power));
    let paragraphs = paragraphs_of(set, idx);
    let mut quotes_of: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for &i in idx {
        quotes_of.entry(set.quotes[i].paragraph).or_default().push(i);
    }
    for _ in 0..config.epochs {
        let order = Vec::<i64>::try_from(Tensor::randperm(paragraphs.len() as i64, (Kind::Int64, Device::Cpu)))?;
        for batch in order.chunks(config.batch.max(1)) {
            let batch: Vec<usize> = batch.iter().map(|&k| paragraphs[k as usize]).collect();
            let quotes: Vec<usize> = batch.iter().flat_map(|p| quotes_of[p].iter().copied()).collect();
            let y = Tensor::from_slice(&quotes.iter().map(|&i| set.labels[i].index() as i64).collect::<Vec<_>>());
            let logits = model.logits(set, &batch, &quotes, true)?;
            let loss = logits.log_softmax(-1, Kind::Float).g_nll_loss(&y, Some(&weights), tch::Reduction::Mean, -100);
            head_opt.zero_grad();
            if let Some(opt) = layer_opt.as_mut() {
                opt.zero_grad();
            }
            loss.backward();
            head_opt.step();
            if let Some(opt) = layer_opt.as_mut() {
                opt.step();
            }
        }
    }
    Ok(model)
}

/// Label probabilities of the quotes at `idx`, in that order.
fn predict(model: &FinetunedModel, set: &FinetuneSet, idx: &[usize], batch: usize) -> Result<Vec<[f32; 3]>> {
    let _guard = tch::no_grad_guard();
    let paragraphs = paragraphs_of(set, idx);
    let mut by_quote: std::collections::HashMap<usize, [f32; 3]> = std::collections::HashMap::new();
    for chunk in paragraphs.chunks(batch.max(1)) {
        let quotes: Vec<usize> = idx.iter().copied().filter(|&i| chunk.contains(&set.quotes[i].paragraph)).collect();
        let probs = rows(&model.logits(set, chunk, &quotes, false)?.softmax(-1, Kind::Float))?;
        by_quote.extend(quotes.into_iter().zip(probs));
    }
    Ok(idx.iter().map(|i| by_quote[i]).collect())
}

/// The probabilities each quote at `idx` gets from a model trained on the
/// quotes at `idx` of the other folds (fold = article index mod `folds`, as
/// `train-stance` folds), as (quote index, probabilities). `progress` hears
/// of each finished fold.
pub fn cross_validated_predictions(encoder: &Encoder, set: &FinetuneSet, idx: &[usize], folds: usize, config: &FinetuneConfig, progress: impl FnMut(usize)) -> Result<Vec<(usize, [f32; 3])>> {
    cross_validate_with(set, idx, folds, config, &|vs| encoder.layer_copies(vs, set.first_trained), progress)
}

fn cross_validate_with(set: &FinetuneSet, idx: &[usize], folds: usize, config: &FinetuneConfig, new_layers: &NewLayers, mut progress: impl FnMut(usize)) -> Result<Vec<(usize, [f32; 3])>> {
    let mut out = Vec::new();
    for fold in 0..folds {
        let (test, train_idx): (Vec<usize>, Vec<usize>) = idx.iter().partition(|&&i| set.groups[i] % folds == fold);
        if test.is_empty() || train_idx.is_empty() {
            continue;
        }
        let model = train(set, &train_idx, config, new_layers)?;
        out.extend(test.iter().copied().zip(predict(&model, set, &test, config.batch)?));
        progress(fold);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::DIM;
    use rust_bert::bert::BertConfig;

    /// `n` quotes, one per paragraph and three per article, whose paragraph
    /// states carry their label in one direction beside noise, with texts
    /// that say nothing.
    fn separable_set(n: usize) -> FinetuneSet {
        let mut set = FinetuneSet { paragraphs: Vec::new(), quotes: Vec::new(), texts: Vec::new(), labels: Vec::new(), groups: Vec::new(), first_trained: 1 };
        let noise = Tensor::randn([n as i64, 4, DIM], (Kind::Float, Device::Cpu)) * 0.1;
        for i in 0..n {
            let label = StanceLabel::ALL[i % 3];
            let mut signal = vec![0f32; 4 * DIM as usize];
            for r in 0..4 {
                signal[r * DIM as usize + label.index()] = 3.0;
            }
            set.paragraphs.push(Tensor::from_slice(&signal).view([4, DIM]) + noise.get(i as i64));
            set.quotes.push(QuoteInput { paragraph: i, pieces: Tensor::from_slice(&[1i64, 2]), frozen: Tensor::zeros([2 * DIM], (Kind::Float, Device::Cpu)) });
            set.texts.push("the same words".into());
            set.labels.push(label);
            set.groups.push(i / 3);
        }
        set
    }

    /// One small fresh BERT layer of the encoder's width.
    fn fresh_layer(vs: &nn::VarStore) -> Result<Vec<BertLayer>> {
        let config: BertConfig = serde_json::from_value(serde_json::json!({
            "hidden_act": "gelu", "attention_probs_dropout_prob": 0.0, "hidden_dropout_prob": 0.0,
            "hidden_size": DIM, "initializer_range": 0.02, "intermediate_size": 64,
            "max_position_embeddings": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
            "type_vocab_size": 2, "vocab_size": 10
        }))?;
        Ok(vec![BertLayer::new(vs.root() / "encoder" / "layer" / 0, &config)])
    }

    #[test]
    fn fine_tuned_layers_and_head_learn_what_the_states_carry_on_unseen_folds() {
        tch::manual_seed(1);
        let set = separable_set(60);
        let idx: Vec<usize> = (0..60).collect();
        for layers in [0, 1] {
            let config = FinetuneConfig { layers, epochs: 20, head_lr: 0.01, encoder_lr: 1e-3, batch: 8, ..Default::default() };
            let predicted = cross_validate_with(&set, &idx, 5, &config, &fresh_layer, |_| ()).unwrap();
            let mut seen: Vec<usize> = predicted.iter().map(|(i, _)| *i).collect();
            seen.sort_unstable();
            assert_eq!(seen, idx, "every quote predicted once, by the fold that did not train on it");
            let right = predicted.iter().filter(|(i, p)| super::super::label_of(p) == set.labels[*i]).count();
            assert!(right >= 57, "layers {layers}: {right} of 60 right");
        }
    }

    #[test]
    fn training_moves_the_layer_weights() {
        let set = separable_set(12);
        let idx: Vec<usize> = (0..12).collect();
        let config = FinetuneConfig { layers: 1, epochs: 2, encoder_lr: 1e-3, batch: 4, ..Default::default() };
        let before = std::cell::RefCell::new(None);
        let trained = train(&set, &idx, &config, &|vs| {
            let layers = fresh_layer(vs)?;
            *before.borrow_mut() = Some(vs.variables().into_iter().map(|(n, t)| (n, t.copy())).collect::<std::collections::BTreeMap<_, _>>());
            Ok(layers)
        })
        .unwrap();
        let x = Tensor::randn([1, 4, DIM], (Kind::Float, Device::Cpu));
        let before = before.into_inner().unwrap();
        assert!(!before.is_empty());
        // The trained layer maps the same input elsewhere than its initial weights would.
        let fresh_store = nn::VarStore::new(Device::Cpu);
        let fresh = fresh_layer(&fresh_store).unwrap();
        tch::no_grad(|| {
            for (name, mut var) in fresh_store.variables() {
                var.copy_(&before[&name]);
            }
        });
        let mask = Tensor::zeros([1, 1, 1, 4], (Kind::Float, Device::Cpu));
        let initial = fresh[0].forward_t(&x, Some(&mask), None, None, false).hidden_state;
        let after = trained.layers[0].forward_t(&x, Some(&mask), None, None, false).hidden_state;
        assert!(f64::try_from((initial - after).abs().max()).unwrap() > 1e-4);
    }
}
