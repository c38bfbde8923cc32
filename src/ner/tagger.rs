//! The learned NER tagger: a BiLSTM-CRF over the shared MiniLM encoder's token
//! states plus word-shape features (the encoder is uncased, so capitalisation
//! must come from beside it). Trained on CoNLL-2003 by `train-ner`; only the
//! head is stored, under `models/ner/`.
//!
//! Reads: the [`Document`] and its paragraphs' [`TokenStates`] (layer
//! [`NER_LAYER`]). Writes: [`NamedMention`]s of PER, ORG and LOC.

use crate::article::EntityType;
use crate::document::{Document, TokenRange};
use crate::encoder::{Encoder, ParagraphWindow, Precision, TokenStates, DIM, NER_LAYER};
use crate::heads::{FeatureBlock, HeadContract, HeadSource, CONTRACT_FORMAT, PARAGRAPH_OFFSETS};
use crate::ner::NamedMention;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, nn::Module, nn::OptimizerConfig, nn::RNN, Device, Kind, Tensor};

/// BIO tags in a fixed order.
pub const TAGS: [&str; 9] = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];
const K: i64 = TAGS.len() as i64;
/// Word-shape features beside the encoder state.
pub const SHAPE: i64 = 8;
/// Four more columns carry hashed ids of the lower-cased word, of its last
/// and first three chars and of its character shape (`McCain` → `XxXx`),
/// looked up in learned embeddings: a lexical memory (names, organisations)
/// and spelling cues that the shared uncased encoder's states lack.
const IDS: i64 = 4;
/// Feature columns per word.
pub const FEATURES: i64 = DIM + SHAPE + IDS;
const WORD_BUCKETS: i64 = 1 << 14;
const SUFFIX_BUCKETS: i64 = 1 << 12;
const WORD_DIM: i64 = 32;
const SUFFIX_DIM: i64 = 16;
const PREFIX_BUCKETS: i64 = 1 << 12;
const PREFIX_DIM: i64 = 16;
const SHAPE_BUCKETS: i64 = 1 << 10;
const SHAPE_DIM: i64 = 8;
const HIDDEN: i64 = 128;

fn bucket(s: &str, buckets: i64) -> f32 {
    (crate::stable_hash(s) % buckets as u64) as f32
}

pub fn tag_index(tag: &str) -> Option<i64> {
    TAGS.iter().position(|t| *t == tag).map(|i| i as i64)
}

/// Capitalisation and shape of a word, which the uncased encoder cannot see.
pub fn shape(word: &str, first_in_sentence: bool) -> [f32; SHAPE as usize] {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    let init_cap = word.chars().next().is_some_and(char::is_uppercase);
    let all_caps = !letters.is_empty() && letters.iter().all(|c| c.is_uppercase());
    let all_lower = !letters.is_empty() && letters.iter().all(|c| c.is_lowercase());
    let has_digit = word.chars().any(|c| c.is_ascii_digit());
    let punct = !word.chars().any(char::is_alphanumeric);
    let inner_cap = word.chars().skip(1).any(char::is_uppercase) && !all_caps;
    let hyphen = word.contains('-');
    [init_cap as u8 as f32, all_caps as u8 as f32, all_lower as u8 as f32, has_digit as u8 as f32, punct as u8 as f32, inner_cap as u8 as f32, hyphen as u8 as f32, first_in_sentence as u8 as f32]
}

/// A word's characters as classes (`X` upper, `x` lower, `d` digit, other
/// chars as they are) with runs of one class collapsed: `McCain` → `XxXx`,
/// `U.S.` → `X.X.`, `1996-08-22` → `d-d-d`.
pub fn char_shape(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        let class = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_ascii_digit() {
            'd'
        } else {
            c
        };
        if !out.ends_with(class) || !matches!(class, 'X' | 'x' | 'd') {
            out.push(class);
        }
    }
    out
}

/// One sentence of CoNLL-2003: its words, their BIO tags (indices of
/// [`TAGS`]), and whether a `-DOCSTART-` line came right before it.
pub struct ConllSentence {
    pub words: Vec<String>,
    pub tags: Vec<i64>,
    pub starts_document: bool,
}

/// Most words in a window of consecutive CoNLL sentences read together
/// (about 150 word pieces, clear of the encoder's 256).
const CONTEXT_WORDS: usize = 100;

/// Consecutive sentences read as one text, as the pipeline reads a
/// paragraph: the text, and each sentence's words as `(start, end, first in
/// sentence)` char spans into it.
struct Window {
    text: String,
    sentences: Vec<Vec<(usize, usize, bool)>>,
}

/// Groups sentences greedily into windows of at most `context_words` words
/// (a longer sentence stands alone) that never cross a `-DOCSTART-` line.
/// With `context_words` 0 each sentence is its own window.
fn windows(sentences: &[ConllSentence], context_words: usize) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    let mut words_in_last = 0;
    for s in sentences {
        let fits = out.last().is_some() && !s.starts_document && words_in_last + s.words.len() <= context_words;
        if !fits {
            out.push(Window { text: String::new(), sentences: Vec::new() });
            words_in_last = 0;
        }
        let window = out.last_mut().expect("a window was just pushed");
        let mut spans = Vec::with_capacity(s.words.len());
        for (i, w) in s.words.iter().enumerate() {
            if !window.text.is_empty() {
                window.text.push(' ');
            }
            let start = window.text.chars().count();
            window.text.push_str(w);
            spans.push((start, start + w.chars().count(), i == 0));
        }
        window.sentences.push(spans);
        words_in_last += s.words.len();
    }
    out
}

/// Feature rows `[words, DIM + SHAPE]` of words in an encoded text: the state
/// of each word's first word piece (the text's mean state when truncation
/// dropped it), and its shape. `words` are `(start, end, first in sentence)`
/// char spans into `chars`, the text that was encoded.
fn word_rows(states: &TokenStates, chars: &[char], words: &[(usize, usize, bool)]) -> Tensor {
    if words.is_empty() {
        return Tensor::zeros([0, FEATURES], (Kind::Float, Device::Cpu));
    }
    let mean = states.inner_hidden.mean_dim(0, false, Kind::Float);
    let rows: Vec<Tensor> = words
        .iter()
        .map(|&(a, b, first)| {
            let piece = states.offsets.iter().position(|o| o.is_some_and(|piece| piece.start < b && piece.end > a));
            let state = piece.map_or_else(|| mean.shallow_clone(), |p| states.inner_hidden.get(p as i64));
            let word: String = chars[a.min(chars.len())..b.min(chars.len())].iter().collect();
            let lower = word.to_lowercase();
            let suffix: String = lower.chars().rev().take(3).collect();
            let prefix: String = lower.chars().take(3).collect();
            let ids = [bucket(&lower, WORD_BUCKETS), bucket(&suffix, SUFFIX_BUCKETS), bucket(&prefix, PREFIX_BUCKETS), bucket(&char_shape(&word), SHAPE_BUCKETS)];
            Tensor::cat(&[state, Tensor::from_slice(&shape(&word, first)), Tensor::from_slice(&ids)], 0)
        })
        .collect();
    Tensor::stack(&rows, 0)
}

/// Per-word features of CoNLL sentences (training and `eval-ner`), one
/// tensor per sentence. Sentences are encoded in windows of their
/// neighbours (up to `CONTEXT_WORDS`, 100 words), as the pipeline encodes whole paragraphs:
/// a name in a short line (`BRUSSELS 1996-08-22`, a sports score) reads
/// better beside the sentences around it.
pub fn word_features(encoder: &Encoder, sentences: &[ConllSentence]) -> Result<Vec<Tensor>> {
    let windows = windows(sentences, CONTEXT_WORDS);
    let texts: Vec<&str> = windows.iter().map(|w| w.text.as_str()).collect();
    let states = encoder.token_states(&texts)?;
    let mut out = Vec::with_capacity(sentences.len());
    for (window, st) in windows.iter().zip(&states) {
        let chars: Vec<char> = window.text.chars().collect();
        out.extend(window.sentences.iter().map(|words| word_rows(st, &chars, words)));
    }
    Ok(out)
}

/// The BiLSTM-CRF head.
pub struct NerTagger {
    vs: nn::VarStore,
    words: nn::Embedding,
    suffixes: nn::Embedding,
    prefixes: nn::Embedding,
    shapes: nn::Embedding,
    lstm: nn::LSTM,
    proj: nn::Linear,
    /// `transitions[i][j]`: score of tag `j` after tag `i`.
    transitions: Tensor,
    start: Tensor,
    end: Tensor,
    /// Training only: dropout on the dense input columns.
    input_dropout: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NerTrainConfig {
    pub seed: i64,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    /// Where the cosine schedule ends, as a fraction of `learning_rate`.
    pub final_lr_fraction: f64,
    /// Dropout on the encoder and shape columns in training (with the cosine
    /// schedule, CoNLL dev 0.931 → 0.933).
    pub input_dropout: f64,
}

impl Default for NerTrainConfig {
    fn default() -> Self {
        NerTrainConfig { seed: 7, epochs: 8, batch: 32, learning_rate: 2e-3, final_lr_fraction: 0.05, input_dropout: 0.2 }
    }
}

const WEIGHTS_FILE: &str = "head.safetensors";
const META_FILE: &str = "meta.json";

/// The tagger's input as this build lays it out: layer [`NER_LAYER`]'s
/// states of each word's first piece, its shape columns, its hashed ids.
fn contract(precision: Precision) -> HeadContract {
    HeadContract {
        format: CONTRACT_FORMAT,
        encoder_precision: precision.as_str().to_string(),
        layer: NER_LAYER,
        offsets: PARAGRAPH_OFFSETS.to_string(),
        features: vec![FeatureBlock::new("layer_states", DIM), FeatureBlock::new("shape", SHAPE), FeatureBlock::new("hashed_ids", IDS)],
    }
}

impl NerTagger {
    fn build() -> NerTagger {
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let words = nn::embedding(&root / "words", WORD_BUCKETS, WORD_DIM, Default::default());
        let suffixes = nn::embedding(&root / "suffixes", SUFFIX_BUCKETS, SUFFIX_DIM, Default::default());
        let prefixes = nn::embedding(&root / "prefixes", PREFIX_BUCKETS, PREFIX_DIM, Default::default());
        let shapes = nn::embedding(&root / "shapes", SHAPE_BUCKETS, SHAPE_DIM, Default::default());
        let input = DIM + SHAPE + WORD_DIM + SUFFIX_DIM + PREFIX_DIM + SHAPE_DIM;
        let lstm = nn::lstm(&root / "lstm", input, HIDDEN, nn::RNNConfig { bidirectional: true, ..Default::default() });
        let proj = nn::linear(&root / "proj", 2 * HIDDEN, K, Default::default());
        let transitions = root.zeros("transitions", &[K, K]);
        let start = root.zeros("start", &[K]);
        let end = root.zeros("end", &[K]);
        NerTagger { vs, words, suffixes, prefixes, shapes, lstm, proj, transitions, start, end, input_dropout: 0.0 }
    }

    /// Loads a head and checks its `meta.json` contract against `encoder`.
    pub fn load(source: &HeadSource, encoder: &Encoder) -> Result<NerTagger> {
        NerTagger::load_for(source, encoder.precision())
    }

    /// Loads a head for an encoder at `precision`.
    pub fn load_for(source: &HeadSource, precision: Precision) -> Result<NerTagger> {
        #[derive(Deserialize)]
        struct Meta {
            contract: Option<HeadContract>,
        }
        let meta: Meta = source.read_json(META_FILE)?;
        let Some(stored) = meta.contract else {
            bail!("{}: states no contract (retrain with `quotestance train-ner`)", source.describe(META_FILE));
        };
        stored.check(&contract(precision), source)?;
        let tagger = NerTagger::build();
        let mut stored = source.read_tensors(WEIGHTS_FILE)?;
        let mut variables: Vec<(String, Tensor)> = tagger.vs.variables().into_iter().collect();
        variables.sort_by(|a, b| a.0.cmp(&b.0));
        let names = |v: &[(String, Tensor)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        if names(&stored) != names(&variables) {
            bail!("{}: tensors {:?} but the tagger has {:?}", source.describe(WEIGHTS_FILE), names(&stored), names(&variables));
        }
        let _guard = tch::no_grad_guard();
        for ((name, value), (_, mut variable)) in stored.drain(..).zip(variables) {
            if value.size() != variable.size() {
                bail!("{}: tensor {name:?} is {:?}, the tagger's {:?}", source.describe(WEIGHTS_FILE), value.size(), variable.size());
            }
            variable.f_copy_(&value)?;
        }
        Ok(tagger)
    }

    /// The contract this head is trained under with `encoder`'s states.
    pub fn contract(encoder: &Encoder) -> HeadContract {
        contract(encoder.precision())
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        self.vs.save(dir.join(WEIGHTS_FILE))?;
        Ok(())
    }

    /// Emission scores `[batch, time, K]` for padded features `[batch, time, F]`.
    fn emissions(&self, x: &Tensor, train: bool) -> Tensor {
        let (h, _) = self.lstm.seq(&self.lstm_input(x, train));
        let h = if train { h.dropout(0.3, true) } else { h };
        self.proj.forward(&h)
    }

    /// Negative log-likelihood of the gold tags under the CRF, averaged over the batch.
    fn crf_nll(&self, em: &Tensor, tags: &Tensor, mask: &Tensor) -> Tensor {
        let (_, t, _) = em.size3().expect("3-d emissions");
        let maskf = mask.to_kind(Kind::Float);
        // Gold path score.
        let first = tags.select(1, 0);
        let mut gold = self.start.index_select(0, &first) + em.select(1, 0).gather(1, &first.unsqueeze(1), false).squeeze_dim(1);
        for i in 1..t {
            let prev = tags.select(1, i - 1);
            let cur = tags.select(1, i);
            let trans = self.transitions.index_select(0, &prev).gather(1, &cur.unsqueeze(1), false).squeeze_dim(1);
            let emit = em.select(1, i).gather(1, &cur.unsqueeze(1), false).squeeze_dim(1);
            gold = gold + (trans + emit) * maskf.select(1, i);
        }
        let lengths = mask.to_kind(Kind::Int64).sum_dim_intlist(1, false, Kind::Int64);
        let last = tags.gather(1, &(lengths - 1).unsqueeze(1), false).squeeze_dim(1);
        gold = gold + self.end.index_select(0, &last);
        // Partition function by the forward algorithm.
        let mut alpha = self.start.unsqueeze(0) + em.select(1, 0);
        for i in 1..t {
            let next = (alpha.unsqueeze(2) + self.transitions.unsqueeze(0)).logsumexp(1, false) + em.select(1, i);
            let m = mask.select(1, i).unsqueeze(1);
            alpha = next.where_self(&m, &alpha);
        }
        let z = (alpha + self.end.unsqueeze(0)).logsumexp(1, false);
        (z - gold).mean(Kind::Float)
    }

    /// Trains on per-sentence features and tag indices.
    pub fn train(features: &[Tensor], tags: &[Vec<i64>], config: &NerTrainConfig, mut log: impl FnMut(String)) -> Result<NerTagger> {
        tch::manual_seed(config.seed);
        let mut tagger = NerTagger::build();
        tagger.input_dropout = config.input_dropout;
        let mut opt = nn::Adam::default().build(&tagger.vs, config.learning_rate)?;
        // A fixed shuffle per epoch from a small LCG: reproducible without a rand crate.
        let mut order: Vec<usize> = (0..features.len()).filter(|&i| !tags[i].is_empty()).collect();
        let mut state: u64 = config.seed as u64;
        for epoch in 0..config.epochs {
            // Cosine decay from the learning rate to `final_lr_fraction` of it:
            // the late epochs settle instead of bouncing (CoNLL dev 0.926 → 0.931).
            let progress = epoch as f64 / config.epochs.max(1) as f64;
            let floor = config.final_lr_fraction;
            opt.set_lr(config.learning_rate * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())));
            for i in (1..order.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                order.swap(i, (state >> 33) as usize % (i + 1));
            }
            let mut total = 0.0;
            let mut batches = 0;
            for chunk in order.chunks(config.batch) {
                let (x, y, mask) = pad(chunk.iter().map(|&i| (&features[i], &tags[i])));
                let em = tagger.emissions(&x, true);
                let loss = tagger.crf_nll(&em, &y, &mask);
                opt.backward_step_clip(&loss, 5.0);
                total += loss.double_value(&[]);
                batches += 1;
            }
            log(format!("epoch {}: mean CRF loss {:.3}", epoch + 1, total / batches.max(1) as f64));
        }
        Ok(tagger)
    }

    /// The best tag sequence of one sentence's features (Viterbi).
    pub fn predict(&self, features: &Tensor) -> Result<Vec<usize>> {
        Ok(self.predict_many(std::slice::from_ref(features))?.pop().unwrap_or_default())
    }

    /// The best tag sequences of many sentences, run through the BiLSTM as one
    /// batch: a sentence at a time, the LSTM's small per-step matmuls leave
    /// most of the time to overhead.
    pub fn predict_many(&self, features: &[Tensor]) -> Result<Vec<Vec<usize>>> {
        let _guard = tch::no_grad_guard();
        let lengths: Vec<i64> = features.iter().map(|f| f.size()[0]).collect();
        let live: Vec<usize> = (0..features.len()).filter(|&i| lengths[i] > 0).collect();
        let mut out = vec![Vec::new(); features.len()];
        if live.is_empty() {
            return Ok(out);
        }
        let inputs: Vec<Tensor> = live.iter().map(|&i| self.lstm_input(&features[i], false)).collect();
        let forward = self.lstm_direction(&inputs, "");
        // The backward direction reads each sentence reversed, so that right
        // padding comes after its last word, never before it.
        let reversed: Vec<Tensor> = inputs.iter().map(|x| x.flip([0])).collect();
        let backward = self.lstm_direction(&reversed, "_reverse");
        let tr: Vec<f32> = Vec::<f32>::try_from(self.transitions.contiguous().view(-1))?;
        let st: Vec<f32> = Vec::<f32>::try_from(&self.start)?;
        let en: Vec<f32> = Vec::<f32>::try_from(&self.end)?;
        for (b, &i) in live.iter().enumerate() {
            let n = lengths[i];
            let h = Tensor::cat(&[forward.get(b as i64).narrow(0, 0, n), backward.get(b as i64).narrow(0, 0, n).flip([0])], 1);
            let em: Vec<f32> = Vec::<f32>::try_from(self.proj.forward(&h).contiguous().view(-1))?;
            out[i] = viterbi(&em, &tr, &st, &en, n as usize, K as usize);
        }
        Ok(out)
    }

    /// The LSTM's input `[..., words, input]` from word features `[..., words,
    /// FEATURES]`: the dense columns beside the embeddings of the hashed word,
    /// suffix, prefix and shape ids (word embeddings dropped out in training,
    /// so the tagger leans on the encoder and spelling for unseen words).
    fn lstm_input(&self, x: &Tensor, train: bool) -> Tensor {
        let mut dense = x.narrow(-1, 0, DIM + SHAPE);
        if train && self.input_dropout > 0.0 {
            dense = dense.dropout(self.input_dropout, true);
        }
        let word_ids = x.select(-1, DIM + SHAPE).to_kind(Kind::Int64);
        let suffix_ids = x.select(-1, DIM + SHAPE + 1).to_kind(Kind::Int64);
        let prefix_ids = x.select(-1, DIM + SHAPE + 2).to_kind(Kind::Int64);
        let shape_ids = x.select(-1, DIM + SHAPE + 3).to_kind(Kind::Int64);
        let mut lexical = self.words.forward(&word_ids);
        if train {
            lexical = lexical.dropout(0.3, true);
        }
        Tensor::cat(&[dense, lexical, self.suffixes.forward(&suffix_ids), self.prefixes.forward(&prefix_ids), self.shapes.forward(&shape_ids)], -1)
    }

    /// One direction of the trained BiLSTM (`suffix` "" or "_reverse") over
    /// right-padded sequences: `[batch, longest, HIDDEN]`.
    fn lstm_direction(&self, inputs: &[Tensor], suffix: &str) -> Tensor {
        let longest = inputs.iter().map(|x| x.size()[0]).max().unwrap_or(0);
        let padded: Vec<Tensor> = inputs.iter().map(|x| x.constant_pad_nd([0, 0, 0, longest - x.size()[0]])).collect();
        let x = Tensor::stack(&padded, 0);
        let vars = self.vs.variables();
        let param = |name: &str| vars[&format!("lstm.{name}_l0{suffix}")].shallow_clone();
        let params = [param("weight_ih"), param("weight_hh"), param("bias_ih"), param("bias_hh")];
        let zeros = Tensor::zeros([1, inputs.len() as i64, HIDDEN], (Kind::Float, Device::Cpu));
        let (h, _, _) = x.lstm(&[&zeros, &zeros], &params.iter().collect::<Vec<_>>(), true, 1, 0.0, false, false, true);
        h
    }
}

impl NerTagger {
    /// The named mentions in a window of a document's paragraphs, tagging each
    /// of the window's sentences from the encoder states of its paragraph.
    /// The BiLSTM runs over sentences, as in training
    /// on CoNLL: its steps are sequential, so one long paragraph in the batch
    /// would make every other row wait through its length.
    /// MISC names (nationalities, events) name no speaker and are left out.
    pub fn names(&self, doc: &Document, window: &ParagraphWindow) -> Result<Vec<NamedMention>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        let mut firsts = Vec::new();
        let mut paragraph_chars: Option<(usize, Vec<char>)> = None;
        // Sentences come in text order, so the window's are one run of them.
        let paragraphs = window.paragraphs();
        let from = doc.sentences.partition_point(|s| s.paragraph < paragraphs.start);
        let to = doc.sentences.partition_point(|s| s.paragraph < paragraphs.end);
        for sentence in &doc.sentences[from..to] {
            let TokenRange { start: first, end: last } = sentence.tokens;
            let (Some(para), Some(states)) = (doc.paragraphs.get(sentence.paragraph), window.get(sentence.paragraph)) else {
                continue;
            };
            if first >= last {
                continue;
            }
            let words: Vec<(usize, usize, bool)> = (first..last)
                .map(|t| {
                    let span = doc.tokens[t].span;
                    (span.start - para.start, span.end - para.start, t == first)
                })
                .collect();
            if paragraph_chars.as_ref().is_none_or(|(k, _)| *k != sentence.paragraph) {
                paragraph_chars = Some((sentence.paragraph, doc.slice(*para).chars().collect()));
            }
            let chars = paragraph_chars.as_ref().map(|(_, c)| c.as_slice()).unwrap_or_default();
            rows.push(word_rows(states, chars, &words));
            firsts.push(first);
        }
        let tagged = self.predict_many(&rows)?;
        if tagged.len() != firsts.len() {
            bail!("{} sentences but {} tag sequences", firsts.len(), tagged.len());
        }
        for (tags, first) in tagged.iter().zip(firsts) {
            for (s, e, ty) in entities(tags) {
                if let (Some(entity_type), Some(span)) = (entity_type(ty), doc.span_of_tokens(first + s, first + e)) {
                    out.push(NamedMention { span, entity_type, tokens: TokenRange::new(first + s, first + e) });
                }
            }
        }
        Ok(out)
    }
}

/// Pads sentences to a batch: features `[B, T, F]`, tags `[B, T]`, mask `[B, T]`.
fn pad<'a>(items: impl Iterator<Item = (&'a Tensor, &'a Vec<i64>)>) -> (Tensor, Tensor, Tensor) {
    let items: Vec<(&Tensor, &Vec<i64>)> = items.collect();
    let t = items.iter().map(|(_, y)| y.len()).max().unwrap_or(1) as i64;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut ms = Vec::new();
    for (x, y) in &items {
        let n = y.len() as i64;
        xs.push(x.constant_pad_nd([0, 0, 0, t - n]));
        let mut yy = (*y).clone();
        yy.resize(t as usize, 0);
        ys.push(Tensor::from_slice(&yy));
        let m: Vec<bool> = (0..t).map(|i| i < n).collect();
        ms.push(Tensor::from_slice(&m));
    }
    (Tensor::stack(&xs, 0), Tensor::stack(&ys, 0), Tensor::stack(&ms, 0))
}

/// Viterbi decoding over row-major emissions `[n, k]` and transitions `[k, k]`.
pub fn viterbi(em: &[f32], tr: &[f32], start: &[f32], end: &[f32], n: usize, k: usize) -> Vec<usize> {
    let mut score: Vec<f32> = (0..k).map(|j| start[j] + em[j]).collect();
    let mut back = vec![0usize; n * k];
    for t in 1..n {
        let mut next = vec![f32::NEG_INFINITY; k];
        for j in 0..k {
            for i in 0..k {
                let s = score[i] + tr[i * k + j];
                if s > next[j] {
                    next[j] = s;
                    back[t * k + j] = i;
                }
            }
            next[j] += em[t * k + j];
        }
        score = next;
    }
    let mut best = 0;
    for j in 0..k {
        if score[j] + end[j] > score[best] + end[best] {
            best = j;
        }
    }
    let mut path = vec![best; n];
    for t in (1..n).rev() {
        path[t - 1] = back[t * k + path[t]];
    }
    path
}

/// Entity spans `(first word, end word, type)` of a BIO tag sequence; an `I-`
/// without a matching opener starts an entity (as conlleval reads it).
pub fn entities(tags: &[usize]) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, &'static str)> = None;
    for (i, &t) in tags.iter().enumerate() {
        let tag = TAGS[t];
        let (prefix, ty) = tag.split_once('-').map_or(("O", ""), |(p, ty)| (p, ty));
        let continues = prefix == "I" && cur.is_some_and(|(_, c)| c == ty);
        if !continues {
            if let Some((s, c)) = cur.take() {
                out.push((s, i, c));
            }
            if prefix != "O" {
                let ty: &'static str = TAGS.iter().find_map(|t| t.strip_prefix("B-").filter(|x| *x == ty)).unwrap_or("MISC");
                cur = Some((i, ty));
            }
        }
    }
    if let Some((s, c)) = cur {
        out.push((s, tags.len(), c));
    }
    out
}

/// The speaker type of an NER type (MISC names no speaker).
pub fn entity_type(ty: &str) -> Option<EntityType> {
    match ty {
        "PER" => Some(EntityType::PER),
        "ORG" => Some(EntityType::ORG),
        "LOC" => Some(EntityType::GPE),
        _ => None,
    }
}

/// Reads CoNLL-2003 (token and tag per line, blank lines between sentences,
/// `-DOCSTART-` lines between documents).
pub fn read_conll(path: &Path) -> Result<Vec<ConllSentence>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut out = Vec::new();
    let mut words = Vec::new();
    let mut tags = Vec::new();
    let mut starts_document = false;
    let mut flush = |words: &mut Vec<String>, tags: &mut Vec<i64>, starts_document: &mut bool| {
        if !words.is_empty() {
            out.push(ConllSentence { words: std::mem::take(words), tags: std::mem::take(tags), starts_document: std::mem::take(starts_document) });
        }
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("-DOCSTART-") {
            flush(&mut words, &mut tags, &mut starts_document);
            starts_document |= line.starts_with("-DOCSTART-");
            continue;
        }
        let mut cols = line.split_whitespace();
        let (Some(word), Some(tag)) = (cols.next(), cols.last()) else { bail!("{}:{}: expected `token tag`", path.display(), n + 1) };
        let Some(t) = tag_index(tag) else { bail!("{}:{}: unknown tag {tag:?}", path.display(), n + 1) };
        words.push(word.to_string());
        tags.push(t);
    }
    flush(&mut words, &mut tags, &mut starts_document);
    Ok(out)
}

/// Entity-level precision, recall and F1 per type and overall (exact span and type).
pub fn score_entities(gold: &[Vec<i64>], predicted: &[Vec<usize>]) -> Vec<(String, crate::eval::Prf)> {
    let mut counts: std::collections::BTreeMap<&str, (usize, usize, usize)> = std::collections::BTreeMap::new();
    for (g, p) in gold.iter().zip(predicted) {
        let g: Vec<usize> = g.iter().map(|&x| x as usize).collect();
        let ge = entities(&g);
        let pe = entities(p);
        for e in &ge {
            counts.entry(e.2).or_default().2 += 1;
            if pe.contains(e) {
                counts.entry(e.2).or_default().0 += 1;
            }
        }
        for e in &pe {
            counts.entry(e.2).or_default().1 += 1;
        }
    }
    let mut out: Vec<(String, crate::eval::Prf)> = counts.iter().map(|(ty, &(tp, p, g))| (ty.to_string(), crate::eval::Prf::from_counts(tp, p, g))).collect();
    let (tp, p, g) = counts.values().fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
    out.push(("overall".into(), crate::eval::Prf::from_counts(tp, p, g)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_shapes_collapse_runs_of_one_class() {
        assert_eq!(char_shape("McCain"), "XxXx");
        assert_eq!(char_shape("U.S."), "X.X.");
        assert_eq!(char_shape("1996-08-22"), "d-d-d");
        assert_eq!(char_shape("NATO"), "X");
        assert_eq!(char_shape("al-Assad"), "x-Xx");
    }

    #[test]
    fn bio_decoding_reads_like_conlleval() {
        // O B-PER I-PER B-ORG I-LOC O I-PER
        let tags = [0, 1, 2, 3, 6, 0, 2];
        assert_eq!(entities(&tags), vec![(1, 3, "PER"), (3, 4, "ORG"), (4, 5, "LOC"), (6, 7, "PER")]);
    }

    #[test]
    fn the_built_in_head_loads_for_int8_states_only() {
        let source = HeadSource::BuiltIn(crate::heads::HeadKind::Ner);
        assert!(NerTagger::load_for(&source, Precision::Int8).is_ok());
        let err = format!("{:#}", NerTagger::load_for(&source, Precision::F32).err().unwrap());
        assert!(err.contains("trained on int8 encoder states but the encoder runs at f32"), "{err}");
    }

    #[test]
    fn batched_prediction_equals_the_training_path_one_sentence_at_a_time() {
        tch::manual_seed(3);
        let tagger = NerTagger::build();
        // Random dense features with valid hashed ids, sentences of different lengths.
        let sentence = |n: i64| {
            let dense = Tensor::randn([n, DIM + SHAPE], (Kind::Float, Device::Cpu));
            let ids = Tensor::randint(SHAPE_BUCKETS, [n, IDS], (Kind::Float, Device::Cpu));
            Tensor::cat(&[dense, ids], 1)
        };
        let sentences = [sentence(7), sentence(1), sentence(12), sentence(0)];
        let batched = tagger.predict_many(&sentences).unwrap();
        let tr = Vec::<f32>::try_from(tagger.transitions.contiguous().view(-1)).unwrap();
        let st = Vec::<f32>::try_from(&tagger.start).unwrap();
        let en = Vec::<f32>::try_from(&tagger.end).unwrap();
        let mut informative = 0;
        for (s, tags) in sentences.iter().zip(&batched) {
            let n = s.size()[0] as usize;
            if n == 0 {
                assert!(tags.is_empty());
                continue;
            }
            let _guard = tch::no_grad_guard();
            let em = Vec::<f32>::try_from(tagger.emissions(&s.unsqueeze(0), false).contiguous().view(-1)).unwrap();
            assert_eq!(*tags, viterbi(&em, &tr, &st, &en, n, K as usize));
            informative += tags.iter().any(|&t| t != 0) as usize;
        }
        assert!(informative > 0, "an untrained tagger should not tag everything O");
    }

    #[test]
    fn viterbi_follows_transitions() {
        // Two tags; emissions favour tag 1 at t=1 slightly, but 0->1 is forbidden.
        let em = [5.0, 0.0, 0.0, 0.5];
        let tr = [0.0, -100.0, 0.0, 0.0];
        assert_eq!(viterbi(&em, &tr, &[0.0, 0.0], &[0.0, 0.0], 2, 2), vec![0, 0]);
        let free = [0.0, 0.0, 0.0, 0.0];
        assert_eq!(viterbi(&em, &free, &[0.0, 0.0], &[0.0, 0.0], 2, 2), vec![0, 1]);
    }

    #[test]
    fn shape_sees_capitals_the_encoder_cannot() {
        assert_eq!(shape("Kerry", false)[0], 1.0);
        assert_eq!(shape("NATO", false)[1], 1.0);
        assert_eq!(shape("said", true)[2..], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn windows_join_neighbours_up_to_the_limit_and_never_across_documents() {
        let sentence = |words: &[&str], starts_document: bool| ConllSentence { words: words.iter().map(|w| w.to_string()).collect(), tags: vec![0; words.len()], starts_document };
        let sentences = [sentence(&["Mr", "Kerry", "said"], true), sentence(&["Iran", "wins"], false), sentence(&["Jönköping"], false), sentence(&["Paris"], true)];
        let w = windows(&sentences, 5);
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Mr Kerry said Iran wins", "Jönköping", "Paris"]);
        assert_eq!(w[0].sentences, vec![vec![(0, 2, true), (3, 8, false), (9, 13, false)], vec![(14, 18, true), (19, 23, false)]]);
        assert_eq!(w[1].sentences, vec![vec![(0, 9, true)]]);
        // No context: one window per sentence.
        assert_eq!(windows(&sentences, 0).len(), 4);
    }

    #[test]
    fn crf_training_learns_a_tiny_pattern() {
        // Feature 0 marks PER words; the CRF must also learn B- before I-.
        let mut feats = Vec::new();
        let mut tags = Vec::new();
        for i in 0..40 {
            let n = 4 + i % 3;
            let mut x = vec![0f32; n * FEATURES as usize];
            let mut y = vec![0i64; n];
            let at = i % (n - 1);
            for (k, w) in [at, at + 1].iter().enumerate() {
                x[w * FEATURES as usize] = 1.0;
                y[*w] = if k == 0 { 1 } else { 2 };
            }
            x[at * FEATURES as usize + 1] = 1.0; // a first-word cue
            feats.push(Tensor::from_slice(&x).view([n as i64, FEATURES]));
            tags.push(y);
        }
        let cfg = NerTrainConfig { epochs: 60, batch: 8, learning_rate: 1e-2, seed: 1, ..Default::default() };
        let tagger = NerTagger::train(&feats, &tags, &cfg, |_| {}).unwrap();
        let right = tagger.predict_many(&feats).unwrap().iter().zip(&tags).filter(|(p, y)| p.iter().map(|&t| t as i64).collect::<Vec<_>>() == **y).count();
        assert!(right >= 36, "{right}/40 sentences tagged right");
    }
}
