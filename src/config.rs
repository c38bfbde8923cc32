//! Where the pipeline's models come from, resolved once: a flag, else an
//! environment variable, else the default (the setup cache for the encoder,
//! the heads compiled into the binary). Nothing here depends on where the
//! binary was built, so a copied or installed binary behaves like the
//! checkout's.

use crate::encoder::{default_model_dir, Encoder, Precision};
use crate::heads::{HeadKind, HeadSource};
use anyhow::{bail, Result};
use std::path::PathBuf;

/// The environment variables, one per setting.
pub const MODEL_DIR_ENV: &str = "QUOTESTANCE_MODEL_DIR";
pub const STANCE_DIR_ENV: &str = "QUOTESTANCE_STANCE_DIR";
pub const NER_DIR_ENV: &str = "QUOTESTANCE_NER_DIR";
pub const PRECISION_ENV: &str = "QUOTESTANCE_PRECISION";

/// What the command line says, each `None` when the flag was not given.
#[derive(Debug, Clone, Default)]
pub struct ConfigFlags {
    pub model_dir: Option<PathBuf>,
    pub precision: Option<Precision>,
    pub stance_model: Option<PathBuf>,
    pub ner_model: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// The converted MiniLM model (rust_model.ot, vocab.txt, config.json).
    pub model_dir: PathBuf,
    pub precision: Precision,
    pub stance: HeadSource,
    pub ner: HeadSource,
}

impl PipelineConfig {
    /// Flags first, then the environment, then the defaults.
    pub fn resolve(flags: ConfigFlags) -> Result<PipelineConfig> {
        let env_path = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let precision = match flags.precision {
            Some(p) => p,
            None => match std::env::var(PRECISION_ENV) {
                Ok(v) if !v.is_empty() => match Precision::from_name(&v) {
                    Some(p) => p,
                    None => bail!("{PRECISION_ENV}={v:?}: expected int8 or f32"),
                },
                _ => Precision::Int8,
            },
        };
        Ok(PipelineConfig {
            model_dir: flags.model_dir.or_else(|| env_path(MODEL_DIR_ENV)).unwrap_or_else(default_model_dir),
            precision,
            stance: HeadSource::new(HeadKind::Stance, flags.stance_model.or_else(|| env_path(STANCE_DIR_ENV))),
            ner: HeadSource::new(HeadKind::Ner, flags.ner_model.or_else(|| env_path(NER_DIR_ENV))),
        })
    }

    /// No flags: the environment, then the defaults (tests and library users).
    pub fn from_env() -> Result<PipelineConfig> {
        PipelineConfig::resolve(ConfigFlags::default())
    }

    /// The encoder at the configured directory and precision.
    pub fn load_encoder(&self) -> Result<Encoder> {
        let mut encoder = Encoder::load(&self.model_dir)?;
        encoder.set_precision(self.precision)?;
        Ok(encoder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_wins_and_no_flag_means_the_built_in_heads() {
        let flags = ConfigFlags { model_dir: Some("/m".into()), precision: Some(Precision::F32), stance_model: Some("/s".into()), ner_model: None };
        let config = PipelineConfig::resolve(flags).unwrap();
        assert_eq!(config.model_dir, PathBuf::from("/m"));
        assert_eq!(config.precision, Precision::F32);
        assert_eq!(config.stance, HeadSource::Dir(HeadKind::Stance, "/s".into()));
        if std::env::var_os(NER_DIR_ENV).is_none() {
            assert_eq!(config.ner, HeadSource::BuiltIn(HeadKind::Ner));
        }
    }
}
