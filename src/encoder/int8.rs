//! MiniLM's forward pass with int8 weights: every dense layer runs through
//! FBGEMM's int8 GEMM (weights quantized once at load, activations quantized
//! per call), which on this AVX2-only CPU is where the speed-up over f32 comes
//! from. rust-bert has no quantized BERT, so the few lines of the BERT block
//! are written out here; attention, softmax, GELU and layer norm stay in f32.
//! `tests/encoder.rs` checks it against the f32 model.

use anyhow::{bail, Result};
use std::collections::HashMap;
use tch::{Kind, Tensor};

/// One dense layer `y = x W^T + b` with W stored as int8.
struct Int8Linear {
    weight: Tensor,
    packed: Tensor,
    col_offsets: Tensor,
    /// Each output row's scale: FBGEMM's op takes one scale for the whole
    /// matrix, which costs too much accuracy (BERT's rows differ in range),
    /// so it runs at scale 1 and the rows are scaled afterwards.
    row_scales: Tensor,
    bias: Tensor,
    zero_bias: Tensor,
}

impl Int8Linear {
    /// Symmetric per-row quantization of `weight` (`[out, in]`): zero point 0,
    /// scale max|w| / 127 per row. The column offsets are each output row's
    /// sum of int8 weights, as FBGEMM needs them to undo the activations' zero point.
    fn new(weight: &Tensor, bias: &Tensor) -> Result<Int8Linear> {
        let row_scales = (weight.abs().amax([1], true) / 127.0).clamp_min(1e-12);
        let q = (weight / &row_scales).round().clamp(-127.0, 127.0).to_kind(Kind::Int8).contiguous();
        let col_offsets = q.to_kind(Kind::Int).sum_dim_intlist(1, false, Kind::Int).contiguous();
        let packed = q.f_fbgemm_pack_quantized_matrix()?;
        Ok(Int8Linear { weight: q, packed, col_offsets, row_scales: row_scales.view([-1]), bias: bias.contiguous(), zero_bias: bias.zeros_like() })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.contiguous().f_fbgemm_linear_int8_weight_fp32_activation(
            &self.weight,
            &self.packed,
            &self.col_offsets,
            tch::Scalar::float(1.0),
            tch::Scalar::int(0),
            &self.zero_bias,
        )?;
        Ok(y * &self.row_scales + &self.bias)
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.layer_norm([x.size()[x.dim() - 1]], Some(&self.weight), Some(&self.bias), 1e-12, false)
    }
}

struct Layer {
    /// Query, key and value projections fused into one `[3 * hidden, hidden]` GEMM.
    qkv: Int8Linear,
    attention_out: Int8Linear,
    attention_norm: LayerNorm,
    intermediate: Int8Linear,
    output: Int8Linear,
    output_norm: LayerNorm,
}

pub struct Int8Bert {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: i64,
}

impl Int8Bert {
    /// Builds the model from the f32 weights, named as in the converted
    /// sentence-transformers checkpoint (`encoder.layer.N.attention.self.query.weight`, ...).
    pub fn from_weights(weights: &HashMap<String, Tensor>, layers: i64, heads: i64) -> Result<Int8Bert> {
        let get = |name: &str| -> Result<Tensor> {
            match weights.get(name) {
                Some(t) => Ok(t.to_kind(Kind::Float).shallow_clone()),
                None => bail!("weight {name} is missing from the model file"),
            }
        };
        let norm = |prefix: &str| -> Result<LayerNorm> { Ok(LayerNorm { weight: get(&format!("{prefix}.weight"))?, bias: get(&format!("{prefix}.bias"))? }) };
        let linear = |prefix: &str| -> Result<Int8Linear> { Int8Linear::new(&get(&format!("{prefix}.weight"))?, &get(&format!("{prefix}.bias"))?) };
        let mut out = Vec::new();
        for i in 0..layers {
            let p = format!("encoder.layer.{i}");
            let part = |name: &str, what: &str| get(&format!("{p}.attention.self.{name}.{what}"));
            let qkv_w = Tensor::cat(&[part("query", "weight")?, part("key", "weight")?, part("value", "weight")?], 0);
            let qkv_b = Tensor::cat(&[part("query", "bias")?, part("key", "bias")?, part("value", "bias")?], 0);
            out.push(Layer {
                qkv: Int8Linear::new(&qkv_w, &qkv_b)?,
                attention_out: linear(&format!("{p}.attention.output.dense"))?,
                attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(&format!("{p}.intermediate.dense"))?,
                output: linear(&format!("{p}.output.dense"))?,
                output_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(Int8Bert {
            word: get("embeddings.word_embeddings.weight")?,
            position: get("embeddings.position_embeddings.weight")?,
            token_type: get("embeddings.token_type_embeddings.weight")?,
            embedding_norm: norm("embeddings.LayerNorm")?,
            layers: out,
            heads,
        })
    }

    /// Hidden states `[batch, len, hidden]` of token ids `[batch, len]`
    /// under an attention mask of 1s and 0s of the same shape: the last
    /// layer's, and the output of layer `keep` (1-based) beside them.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, keep: usize) -> Result<(Tensor, Tensor)> {
        let (batch, len) = ids.size2().expect("ids are [batch, len]");
        let positions = Tensor::arange(len, (Kind::Int64, ids.device()));
        let x = self.word.index_select(0, &ids.view([-1])).view([batch, len, -1])
            + self.position.index_select(0, &positions).unsqueeze(0)
            + self.token_type.get(0);
        let mut x = self.embedding_norm.forward(&x);
        let hidden = x.size()[2];
        let head_dim = hidden / self.heads;
        // Padding gets -10000 before the softmax, as in BERT and rust-bert.
        let additive = ((mask.to_kind(Kind::Float) - 1.0) * 10000.0).view([batch, 1, 1, len]);
        let mut kept = None;
        for (i, layer) in self.layers.iter().enumerate() {
            let qkv = layer.qkv.forward(&x)?.view([batch, len, 3, self.heads, head_dim]).permute([2, 0, 3, 1, 4]);
            let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
            let scores = q.matmul(&k.transpose(-1, -2)) / (head_dim as f64).sqrt() + &additive;
            let context = scores.softmax(-1, Kind::Float).matmul(&v).permute([0, 2, 1, 3]).reshape([batch, len, hidden]);
            let attended = layer.attention_norm.forward(&(layer.attention_out.forward(&context)? + &x));
            let inner = layer.intermediate.forward(&attended)?.gelu("none");
            x = layer.output_norm.forward(&(layer.output.forward(&inner)? + &attended));
            if i + 1 == keep {
                kept = Some(x.shallow_clone());
            }
        }
        let kept = kept.unwrap_or_else(|| x.shallow_clone());
        Ok((x, kept))
    }
}

/// Runs `f` with file descriptor 2 pointed at /dev/null, then restores it.
/// Only for libtorch's C++ warnings: `f` must report failures by its return
/// value, since a panic message inside would be muted too.
pub fn with_stderr_muted<T>(f: impl FnOnce() -> T) -> T {
    use std::io::Write;
    let _ = std::io::stderr().flush();
    // SAFETY: plain POSIX calls on descriptors this function owns; the saved
    // copy of fd 2 is put back and closed whatever `f` returns.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved < 0 || null < 0 {
            return f();
        }
        libc::dup2(null, 2);
        libc::close(null);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}
