//! Where the learned heads come from, and the contract each was trained under.
//!
//! The committed heads (`models/stance`, `models/ner`) are compiled into the
//! binary, so a copied or installed binary needs only the MiniLM weights from
//! the setup cache; a directory given by flag or environment replaces them.
//! Each head's `meta.json` states what it reads of the encoder (precision,
//! layer, feature blocks and their widths); loading compares that with what
//! the running code and encoder produce and stops with one line naming the
//! first difference, instead of classifying with columns it was not trained on.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::PathBuf;
use tch::{Device, Kind, Tensor};

/// The version of the `contract` block this build writes and reads.
pub const CONTRACT_FORMAT: u32 = 1;

/// Which head a source holds, for messages and for the built-in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    Stance,
    Ner,
}

impl HeadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HeadKind::Stance => "stance",
            HeadKind::Ner => "NER",
        }
    }

    /// The committed files of this head, as compiled in.
    fn built_in(self) -> &'static [(&'static str, &'static [u8])] {
        match self {
            HeadKind::Stance => &[
                ("head.safetensors", include_bytes!("../models/stance/head.safetensors")),
                ("meta.json", include_bytes!("../models/stance/meta.json")),
                ("words.json", include_bytes!("../models/stance/words.json")),
            ],
            HeadKind::Ner => &[
                ("head.safetensors", include_bytes!("../models/ner/head.safetensors")),
                ("meta.json", include_bytes!("../models/ner/meta.json")),
            ],
        }
    }
}

/// The files of one head: the built-in copy or a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadSource {
    BuiltIn(HeadKind),
    Dir(HeadKind, PathBuf),
}

impl HeadSource {
    /// The directory when given, else the built-in head.
    pub fn new(kind: HeadKind, dir: Option<PathBuf>) -> HeadSource {
        match dir {
            Some(dir) => HeadSource::Dir(kind, dir),
            None => HeadSource::BuiltIn(kind),
        }
    }

    pub fn kind(&self) -> HeadKind {
        match self {
            HeadSource::BuiltIn(kind) | HeadSource::Dir(kind, _) => *kind,
        }
    }

    /// How a message names a file of this head: its path, or `built-in
    /// stance head/meta.json`.
    pub fn describe(&self, file: &str) -> String {
        match self {
            HeadSource::BuiltIn(kind) => format!("built-in {} head/{file}", kind.as_str()),
            HeadSource::Dir(_, dir) => dir.join(file).display().to_string(),
        }
    }

    /// The bytes of one of the head's files.
    pub fn read(&self, file: &str) -> Result<Cow<'static, [u8]>> {
        match self {
            HeadSource::BuiltIn(kind) => kind
                .built_in()
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, bytes)| Cow::Borrowed(*bytes))
                .with_context(|| format!("{}: not built in", self.describe(file))),
            HeadSource::Dir(kind, dir) => {
                let path = dir.join(file);
                if !path.is_file() {
                    let retrain = match kind {
                        HeadKind::Stance => "train-stance",
                        HeadKind::Ner => "train-ner",
                    };
                    bail!("{}: no such file: not a {} head directory (write one with `quotestance {retrain} --out {}`)", path.display(), kind.as_str(), dir.display());
                }
                Ok(Cow::Owned(std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?))
            }
        }
    }

    /// A JSON file of the head, parsed.
    pub fn read_json<T: for<'de> Deserialize<'de>>(&self, file: &str) -> Result<T> {
        let bytes = self.read(file)?;
        serde_json::from_slice(&bytes).with_context(|| format!("{}: malformed", self.describe(file)))
    }

    /// The named tensors of a safetensors file of the head, as f32 CPU tensors.
    pub fn read_tensors(&self, file: &str) -> Result<Vec<(String, Tensor)>> {
        let bytes = self.read(file)?;
        let what = || self.describe(file);
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| anyhow::anyhow!("{}: not a safetensors file: {e:?}", what()))?;
        let mut out = Vec::new();
        for (name, view) in st.tensors() {
            if view.dtype() != safetensors::Dtype::F32 {
                bail!("{}: tensor {name:?} is {:?}, expected F32", what(), view.dtype());
            }
            let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
            let tensor = Tensor::f_from_data_size(view.data(), &shape, Kind::Float).with_context(|| format!("{}: tensor {name:?}", what()))?;
            out.push((name, tensor.to_device(Device::Cpu)));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// A block of input columns a head reads, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureBlock {
    pub name: String,
    pub width: i64,
}

impl FeatureBlock {
    pub fn new(name: &str, width: i64) -> FeatureBlock {
        FeatureBlock { name: name.to_string(), width }
    }
}

/// What a head was trained on: the encoder's arithmetic, the layer whose
/// states it reads, and its input columns block by block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadContract {
    pub format: u32,
    /// The encoder precision the training features were computed at.
    pub encoder_precision: String,
    /// The encoder layer (1-based) whose token states the head reads.
    pub layer: usize,
    /// Char offsets of quote spans inside the states are relative to the
    /// paragraph encoded (`paragraph`) — the only layout this build writes.
    pub offsets: String,
    pub features: Vec<FeatureBlock>,
}

/// The only offset layout: token offsets relative to their paragraph.
pub const PARAGRAPH_OFFSETS: &str = "paragraph";

impl HeadContract {
    /// Fails with one line naming the first way `self` (from a head's
    /// `meta.json`) differs from `running` (what this build and encoder give).
    pub fn check(&self, running: &HeadContract, source: &HeadSource) -> Result<()> {
        let meta = source.describe("meta.json");
        if self.format != running.format {
            bail!("{meta}: contract format {} but this build reads format {}", self.format, running.format);
        }
        if self.encoder_precision != running.encoder_precision {
            bail!(
                "{meta}: head trained on {} encoder states but the encoder runs at {} (pass --precision {} or retrain the head at {})",
                self.encoder_precision, running.encoder_precision, self.encoder_precision, running.encoder_precision
            );
        }
        if self.layer != running.layer {
            bail!("{meta}: head reads encoder layer {} but this build gives it layer {}", self.layer, running.layer);
        }
        if self.offsets != running.offsets {
            bail!("{meta}: head expects {:?} offsets but this build gives {:?}", self.offsets, running.offsets);
        }
        let blocks = |c: &HeadContract| c.features.iter().map(|b| format!("{}[{}]", b.name, b.width)).collect::<Vec<_>>().join(" ");
        if self.features != running.features {
            bail!("{meta}: head reads feature blocks {} but this build gives {}", blocks(self), blocks(running));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> HeadContract {
        HeadContract {
            format: CONTRACT_FORMAT,
            encoder_precision: "int8".into(),
            layer: 6,
            offsets: PARAGRAPH_OFFSETS.into(),
            features: vec![FeatureBlock::new("quote", 384), FeatureBlock::new("words", 10)],
        }
    }

    #[test]
    fn a_contract_check_names_the_first_difference() {
        let source = HeadSource::Dir(HeadKind::Stance, PathBuf::from("/heads/x"));
        let running = contract();
        assert!(contract().check(&running, &source).is_ok());
        let cases: [(fn(&mut HeadContract), &str); 4] = [
            (|c| c.encoder_precision = "f32".into(), "trained on f32 encoder states but the encoder runs at int8"),
            (|c| c.layer = 3, "reads encoder layer 3 but this build gives it layer 6"),
            (|c| c.features.reverse(), "feature blocks words[10] quote[384] but this build gives quote[384] words[10]"),
            (|c| c.format = 0, "contract format 0"),
        ];
        for (change, expected) in cases {
            let mut stored = contract();
            change(&mut stored);
            let err = format!("{:#}", stored.check(&running, &source).unwrap_err());
            assert!(err.contains(expected) && err.starts_with("/heads/x/meta.json"), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn built_in_heads_hold_their_files_and_directories_name_what_is_missing() {
        for kind in [HeadKind::Stance, HeadKind::Ner] {
            let source = HeadSource::new(kind, None);
            assert!(!source.read("head.safetensors").unwrap().is_empty());
            let meta: serde_json::Value = source.read_json("meta.json").unwrap();
            assert!(meta["contract"]["features"].is_array(), "{kind:?} meta.json states its contract");
            assert!(source.read("nothing.bin").is_err());
        }
        let err = HeadSource::new(HeadKind::Ner, Some(PathBuf::from("/no/such"))).read("meta.json").unwrap_err().to_string();
        assert!(err.contains("/no/such/meta.json") && err.contains("train-ner"), "{err}");
    }
}
