//! The one owner of the transformer: sentence-transformers/all-MiniLM-L6-v2
//! (BERT, 6 layers, 384 dims, uncased), loaded from the setup cache with
//! rust-bert. It gives pooled, normalised embeddings of texts (as
//! sentence-transformers does) and per-token hidden states with char offsets.
//!
//! Reads: texts (a [`crate::document::Document`]'s paragraphs). Writes:
//! [`TokenStates`] per paragraph (last layer and layer [`NER_LAYER`], with
//! paragraph-relative char offsets) and pooled sentence embeddings.

use anyhow::{bail, Context, Result};
use rust_bert::bert::{BertConfig, BertEmbeddings, BertLayer, BertModel};
use rust_bert::Config;
use rust_tokenizers::tokenizer::{BertTokenizer, Tokenizer, TruncationStrategy};
use std::path::{Path, PathBuf};
use tch::{nn, Device, Kind, Tensor};

mod int8;
use int8::Int8Bert;

/// The arithmetic of the encoder's dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Precision {
    /// rust-bert's f32 BERT: the reference, equal to sentence-transformers.
    F32,
    /// int8 weights and activations in the dense layers (FBGEMM): about twice
    /// as fast on CPU; sentence embeddings within a cosine of 0.98 of f32
    /// (`tests/encoder.rs`).
    Int8,
}

impl Precision {
    /// The name on the command line and in the heads' meta files.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        }
    }

    /// The precision named `int8` or `f32`.
    pub fn from_name(name: &str) -> Option<Precision> {
        [Precision::F32, Precision::Int8].into_iter().find(|p| p.as_str() == name)
    }
}

/// Embedding width of MiniLM-L6.
pub const DIM: i64 = 384;

/// The files setup puts in the model directory.
pub const MODEL_FILES: [&str; 3] = ["rust_model.ot", "vocab.txt", "config.json"];

/// The cache root: `$QUOTESTANCE_CACHE`, else `$XDG_CACHE_HOME/quotestance`,
/// else `~/.cache/quotestance`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QUOTESTANCE_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("quotestance")
}

/// Where setup leaves the converted MiniLM weights.
pub fn default_model_dir() -> PathBuf {
    cache_dir().join("all-minilm-l6-v2")
}

/// Converts the sentence-transformers `model.safetensors` into the `.ot`
/// archive that tch's `VarStore` loads, next to it.
pub fn convert_safetensors(dir: &Path) -> Result<PathBuf> {
    let src = dir.join("model.safetensors");
    let dst = dir.join("rust_model.ot");
    let tensors = Tensor::read_safetensors(&src).with_context(|| format!("cannot read {}", src.display()))?;
    if tensors.is_empty() {
        bail!("{} holds no tensors", src.display());
    }
    let named: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let tmp = dir.join("rust_model.ot.partial");
    Tensor::save_multi(&named, &tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &dst)?;
    Ok(dst)
}

/// The encoder layer (1-based, of 6) whose states the NER tagger reads.
/// MiniLM-L6-v2's last layers are tuned for sentence similarity, which
/// blurs the token-level cues of names. Trained 3 epochs on each, the tagger
/// scored on CoNLL-2003 dev: layer 6 0.900 F1 (PER 0.937), layer 4 0.916
/// (0.946), layer 3 0.916 (0.949), layers 4 and 6 side by side 0.911.
pub const NER_LAYER: usize = 3;

/// Hidden states of one text: one row per word piece, with the char span of
/// the text it came from (`None` for `[CLS]` and `[SEP]`).
pub struct TokenStates {
    pub offsets: Vec<Option<crate::document::Span>>,
    /// The last layer's states, `[pieces, DIM]`, f32, on the CPU: what
    /// sentence-transformers pools, and what stance reads.
    pub hidden: Tensor,
    /// A lower layer's states, same shape: layer [`NER_LAYER`]'s (what the
    /// NER tagger reads) from [`Encoder::token_states`], the layer asked for
    /// from [`Encoder::token_states_beside`].
    pub inner_hidden: Tensor,
}

impl TokenStates {
    /// The text's sentence embedding: the mean of all its pieces' states, L2
    /// normalised, as sentence-transformers pools this model.
    pub fn pooled(&self) -> Tensor {
        pool(&self.hidden)
    }
}

/// Most chars of article text encoded at once. Some 12,000 word pieces: the
/// states of a window take about 40 MB, where a 4 MB article held whole took
/// 18.5 GB at its peak. News articles are far shorter, so they are one window.
pub const WINDOW_CHARS: usize = 50_000;

/// Consecutive paragraphs of a document, encoded together.
pub struct ParagraphWindow {
    /// Index of the window's first paragraph in [`crate::document::Document::paragraphs`].
    pub first: usize,
    /// `states[i]` belongs to paragraph `first + i`.
    pub states: Vec<TokenStates>,
}

impl ParagraphWindow {
    /// The states of paragraph `paragraph` (an index into the document's
    /// paragraphs), when the window holds it.
    pub fn get(&self, paragraph: usize) -> Option<&TokenStates> {
        paragraph.checked_sub(self.first).and_then(|i| self.states.get(i))
    }

    /// The indices of the paragraphs the window holds.
    pub fn paragraphs(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.states.len()
    }
}

/// The windows a document is encoded in: runs of consecutive paragraphs of at
/// most [`WINDOW_CHARS`] chars together (a longer paragraph is a window of its
/// own; the encoder reads at most its first 256 pieces anyway).
pub fn paragraph_windows(doc: &crate::document::Document) -> Vec<std::ops::Range<usize>> {
    let mut windows = Vec::new();
    let (mut start, mut chars) = (0, 0);
    for (i, p) in doc.paragraphs.iter().enumerate() {
        if i > start && chars + p.len() > WINDOW_CHARS {
            windows.push(start..i);
            (start, chars) = (i, 0);
        }
        chars += p.len();
    }
    if start < doc.paragraphs.len() {
        windows.push(start..doc.paragraphs.len());
    }
    windows
}

/// Mean of rows of hidden states, L2 normalised.
pub fn pool(hidden: &Tensor) -> Tensor {
    let pooled = hidden.mean_dim(0, false, Kind::Float);
    let norm = pooled.norm().clamp_min(1e-12);
    pooled / norm
}

pub struct Encoder {
    model: BertModel<BertEmbeddings>,
    tokenizer: BertTokenizer,
    vs: nn::VarStore,
    config: BertConfig,
    /// Set by [`Encoder::set_precision`] to `Int8`.
    int8: Option<Int8Bert>,
    device: Device,
    /// Longest input in word pieces, `[CLS]` and `[SEP]` included.
    pub max_len: usize,
    /// Texts per forward pass.
    pub batch_size: usize,
    /// Most word pieces per forward pass, padding included.
    pub token_budget: usize,
}

impl Encoder {
    /// Loads the model from a directory holding [`MODEL_FILES`].
    pub fn load(dir: &Path) -> Result<Encoder> {
        for f in MODEL_FILES {
            if !dir.join(f).is_file() {
                bail!(
                    "model file {} is missing: run `make setup` (scripts/setup.sh) to fetch and convert the MiniLM weights",
                    dir.join(f).display()
                );
            }
        }
        let device = Device::Cpu;
        let mut config = BertConfig::from_file(dir.join("config.json"));
        // Every layer's output, for the NER tagger's layer (NER_LAYER).
        config.output_hidden_states = Some(true);
        let tokenizer = BertTokenizer::from_file(dir.join("vocab.txt"), true, true)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.join("vocab.txt").display()))?;
        let mut vs = nn::VarStore::new(device);
        let model = BertModel::<BertEmbeddings>::new_with_optional_pooler(vs.root(), &config, false);
        vs.load(dir.join("rust_model.ot")).with_context(|| format!("cannot load weights from {}", dir.display()))?;
        vs.freeze();
        Ok(Encoder { model, tokenizer, vs, config, int8: None, device, max_len: 256, batch_size: 32, token_budget: 256 })
    }

    /// The number of transformer layers; the last one's states are
    /// [`TokenStates::hidden`].
    pub fn last_layer(&self) -> usize {
        self.config.num_hidden_layers as usize
    }

    /// Trainable f32 copies of the layers from `first` (1-based) to the
    /// last, built in `vs` under this model's variable names and holding its
    /// weights: what `stance-finetune` trains on top of the frozen ones below.
    pub fn layer_copies(&self, vs: &nn::VarStore, first: usize) -> Result<Vec<BertLayer>> {
        if first == 0 || first > self.last_layer() {
            bail!("encoder layer {first} does not exist (layers 1 to {})", self.last_layer());
        }
        let root = vs.root();
        let layers = (first..=self.last_layer()).map(|l| BertLayer::new(&root / "encoder" / "layer" / (l - 1), &self.config)).collect();
        let weights = self.vs.variables();
        tch::no_grad(|| -> Result<()> {
            for (name, mut var) in vs.variables() {
                let weight = weights.get(&name).with_context(|| format!("the encoder has no weight {name}"))?;
                var.f_copy_(weight)?;
            }
            Ok(())
        })?;
        Ok(layers)
    }

    pub fn precision(&self) -> Precision {
        if self.int8.is_some() {
            Precision::Int8
        } else {
            Precision::F32
        }
    }

    /// Switches the dense layers' arithmetic; quantizing takes a fraction of a second.
    pub fn set_precision(&mut self, precision: Precision) -> Result<()> {
        self.int8 = match precision {
            Precision::F32 => None,
            Precision::Int8 => {
                let _guard = tch::no_grad_guard();
                // libtorch 2.4 warns once per process that the FBGEMM ops are
                // deprecated (we pin 2.4, so they stay): packing and one small
                // forward pass here trigger both warnings while stderr is muted.
                let model = int8::with_stderr_muted(|| -> Result<Int8Bert> {
                    let model = Int8Bert::from_weights(&self.vs.variables(), self.config.num_hidden_layers, self.config.num_attention_heads)?;
                    let ids = Tensor::from_slice(&[101i64, 102]).view([1, 2]);
                    let _ = model.forward(&ids, &ids.ones_like(), 1)?;
                    Ok(model)
                })?;
                Some(model)
            }
        };
        Ok(())
    }

    /// Runs the transformer over texts, in batches of similar length (padding
    /// costs compute, so sorting by length first is the main speed lever), and
    /// hands each text's output rows (last layer, then layer `second`, 1-based)
    /// to `each` in input order.
    fn forward_sorted(&self, texts: &[&str], second: usize, mut each: impl FnMut(usize, &rust_tokenizers::TokenizedInput, Tensor, Tensor)) -> Result<()> {
        if second == 0 || second > self.last_layer() {
            bail!("encoder layer {second} does not exist (layers 1 to {})", self.last_layer());
        }
        let _guard = tch::no_grad_guard();
        let encoded = self.tokenizer.encode_list(texts, self.max_len, &TruncationStrategy::LongestFirst, 0);
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encoded[i].token_ids.len());
        // Batches of similar length, cut by count and by padded size: one long
        // paragraph must not pad thirty short ones to its length.
        let mut batches: Vec<&[usize]> = Vec::new();
        let mut start = 0;
        for k in 0..order.len() {
            let width = encoded[order[k]].token_ids.len();
            let count = k - start + 1;
            if count > self.batch_size.max(1) || (count > 1 && count * width > self.token_budget) {
                batches.push(&order[start..k]);
                start = k;
            }
        }
        if start < order.len() {
            batches.push(&order[start..]);
        }
        for chunk in batches {
            let width = chunk.iter().map(|&i| encoded[i].token_ids.len()).max().unwrap_or(0);
            let mut ids = Vec::with_capacity(chunk.len() * width);
            let mut mask = Vec::with_capacity(chunk.len() * width);
            for &i in chunk {
                let t = &encoded[i].token_ids;
                ids.extend(t.iter().copied());
                ids.extend(std::iter::repeat_n(0i64, width - t.len()));
                mask.extend(std::iter::repeat_n(1i64, t.len()));
                mask.extend(std::iter::repeat_n(0i64, width - t.len()));
            }
            let shape = [chunk.len() as i64, width as i64];
            let ids = Tensor::from_slice(&ids).view(shape).to(self.device);
            let mask = Tensor::from_slice(&mask).view(shape).to(self.device);
            let (hidden, inner_hidden) = match &self.int8 {
                Some(int8) => int8.forward(&ids, &mask, second)?,
                None => {
                    let out = self
                        .model
                        .forward_t(Some(&ids), Some(&mask), None, None, None, None, None, false)
                        .map_err(|e| anyhow::anyhow!("encoder forward pass failed: {e}"))?;
                    let layer = out.all_hidden_states.and_then(|mut all| (second <= all.len()).then(|| all.swap_remove(second - 1)));
                    let layer = layer.context("the encoder returned no per-layer states")?;
                    (out.hidden_state, layer)
                }
            };
            for (row, &i) in chunk.iter().enumerate() {
                let n = encoded[i].token_ids.len() as i64;
                each(i, &encoded[i], hidden.get(row as i64).narrow(0, 0, n), inner_hidden.get(row as i64).narrow(0, 0, n));
            }
        }
        Ok(())
    }

    /// Mean-pooled, L2-normalised embeddings, `[texts, DIM]`, as
    /// sentence-transformers computes them for this model.
    pub fn embed(&self, texts: &[&str]) -> Result<Tensor> {
        if texts.is_empty() {
            return Ok(Tensor::zeros([0, DIM], (Kind::Float, Device::Cpu)));
        }
        let mut rows: Vec<Option<Tensor>> = (0..texts.len()).map(|_| None).collect();
        self.forward_sorted(texts, NER_LAYER, |i, _, hidden, _| rows[i] = Some(pool(&hidden)))?;
        let rows: Vec<Tensor> = rows.into_iter().map(|r| r.expect("every text was encoded")).collect();
        Ok(Tensor::stack(&rows, 0).to(Device::Cpu))
    }

    /// The token states of each of a document's paragraphs, encoded together
    /// (the unit every stage reads, so an article's numbers never depend on
    /// what else is in the run). Holds the whole article's states at once:
    /// the pipeline reads them window by window instead ([`Encoder::for_each_window`]).
    pub fn paragraph_states(&self, doc: &crate::document::Document) -> Result<Vec<TokenStates>> {
        let paragraphs: Vec<&str> = doc.paragraphs.iter().map(|p| doc.slice(*p)).collect();
        self.token_states(&paragraphs)
    }

    /// Encodes a document's paragraphs a window at a time ([`paragraph_windows`])
    /// and hands each window's states to `each`, freeing them before the next:
    /// peak memory follows the window, not the article. An article within one
    /// window is encoded exactly as [`Encoder::paragraph_states`] does (the int8
    /// arithmetic quantizes each batch as a whole, so batches must not change).
    pub fn for_each_window(&self, doc: &crate::document::Document, mut each: impl FnMut(&ParagraphWindow) -> Result<()>) -> Result<()> {
        for range in paragraph_windows(doc) {
            let paragraphs: Vec<&str> = doc.paragraphs[range.clone()].iter().map(|p| doc.slice(*p)).collect();
            let window = ParagraphWindow { first: range.start, states: self.token_states(&paragraphs)? };
            each(&window)?;
        }
        Ok(())
    }

    /// Per-word-piece hidden states with char offsets into each text.
    pub fn token_states(&self, texts: &[&str]) -> Result<Vec<TokenStates>> {
        self.token_states_beside(texts, NER_LAYER)
    }

    /// [`Encoder::token_states`] with layer `layer` (1-based) in place of
    /// [`NER_LAYER`] beside the last one: the input of the layers above it,
    /// for training those layers (`stance-finetune`).
    pub fn token_states_beside(&self, texts: &[&str], layer: usize) -> Result<Vec<TokenStates>> {
        let mut out: Vec<Option<TokenStates>> = (0..texts.len()).map(|_| None).collect();
        self.forward_sorted(texts, layer, |i, enc, hidden, inner_hidden| {
            let offsets = enc.token_offsets.iter().map(|o| o.map(|o| crate::document::Span::new(o.begin as usize, o.end as usize))).collect();
            out[i] = Some(TokenStates { offsets, hidden: hidden.to(Device::Cpu), inner_hidden: inner_hidden.to(Device::Cpu) });
        })?;
        Ok(out.into_iter().map(|o| o.expect("every text was encoded")).collect())
    }
}
