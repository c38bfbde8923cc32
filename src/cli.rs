//! The command-line interface: argument types and the commands behind them.
//! `main.rs` only parses and calls [`run`].

use crate::article::{Article, StanceLabel};
use crate::config::{ConfigFlags, PipelineConfig};
use crate::encoder::{convert_safetensors, Encoder, Precision};
use crate::heads::HeadSource;
use crate::eval::{errors, score, EvalCase, EvalError, EvalReport};
use crate::input::{article_files, read_articles};
use crate::ner::tagger::ConllSentence;
use crate::pipeline::{table, Pipeline};
use crate::stance::finetune::FinetuneConfig;
use crate::stance::{cross_validate_on_share, cross_validated_predictions, label_with_neutral_bias, training_set, CurvePoint, StanceMeta, TrainConfig, TrainingSet};
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "quotestance", version, about = "Finds quotes in news articles, who said them, and their stance toward the anti-IS coalition")]
pub struct Cli {
    /// Directory of the converted MiniLM model [env: QUOTESTANCE_MODEL_DIR;
    /// default: the setup cache].
    #[arg(long, global = true)]
    pub model_dir: Option<PathBuf>,
    /// Arithmetic of the encoder's dense layers [env: QUOTESTANCE_PRECISION;
    /// default: int8]. The built-in heads were trained on int8 states and
    /// refuse others; f32 is the reference model, for heads trained at f32.
    #[arg(long, global = true, value_enum)]
    pub precision: Option<Precision>,
    /// Stance head directory [env: QUOTESTANCE_STANCE_DIR; default: the head
    /// built into the binary, models/stance at build time].
    #[arg(long, global = true)]
    pub stance_model: Option<PathBuf>,
    /// NER head directory [env: QUOTESTANCE_NER_DIR; default: the head built
    /// into the binary, models/ner at build time].
    #[arg(long, global = true)]
    pub ner_model: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// One article per line in the GUIDELINES.md JSON shape.
    Jsonl,
    /// A readable table: speaker, stance, kind, quote.
    Table,
    /// One self-contained HTML page per article, written to --out-dir.
    Html,
    /// One row per quote (article id, date, outlet, URL, speaker and type,
    /// kind, stance and its probabilities, quote, offsets), RFC 4180 CSV.
    Csv,
    /// The same rows as Parquet with typed columns, to stdout (redirect it
    /// to a file).
    Parquet,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum BenchTarget {
    /// Quote detection alone, on one thread.
    Detect,
    /// Detection, attribution and stance.
    Pipeline,
    /// The encoder's share of the pipeline alone: every paragraph of every
    /// article to token states (what bench/python_encode.py does in Python).
    Encoder,
}

#[derive(Subcommand)]
pub enum Command {
    /// Label the quotes of articles: text files, JSON articles, directories of them, or - for stdin.
    Classify {
        #[arg(required = true)]
        inputs: Vec<String>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Where `--format html` writes its pages (`<id>.html`).
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Label an archive: a folder of .txt/.json/.html files, a JSONL file, a web
    /// archive (.warc, .warc.gz: its HTML responses), or - (JSON lines on
    /// stdin). Streams, resumes, shards; exit code 2 when any article failed.
    Label {
        input: String,
        /// Output file (default: stdout; Parquet needs a file).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// JSON lines (GUIDELINES shape), or one row per quote as CSV or Parquet.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: crate::label::LabelFormat,
        /// Errors JSONL file (default: <output>.errors.jsonl).
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Skip the ids already in --output (after a crash or a kill).
        #[arg(long)]
        resume: bool,
        /// Only the articles whose id hashes to I modulo N (e.g. 0/4).
        #[arg(long)]
        shard: Option<String>,
        /// Also write one HTML page per article into this folder.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Articles per chunk (memory stays bounded by the chunk).
        #[arg(long, default_value = "32")]
        chunk: usize,
        /// Longest article accepted, in chars.
        #[arg(long, default_value = "200000")]
        max_chars: usize,
    },
    /// Who said what over time: per speaker and speaker type, support /
    /// oppose / neutral counts and shares; quotes per month by stance; the
    /// strongest quotes of each side. Reads labeled JSON lines (`label`'s
    /// output) or - (stdin); prints a table, and with --html a page with an
    /// SVG timeline.
    Report {
        input: String,
        /// Also write the report as a self-contained HTML page.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Speakers listed in the table and on the page.
        #[arg(long, default_value = "20")]
        top: usize,
        /// Print the whole report as JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Score the pipeline on a gold set (GUIDELINES.md "Scoring").
    Eval {
        #[arg(long, default_value = "eval/gold")]
        gold: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) when a figure is below its floor in this JSON file.
        #[arg(long)]
        floors: Option<PathBuf>,
        /// Also list every missed, spurious and wrongly attributed quote.
        #[arg(long)]
        errors: bool,
        /// Also write the report as a self-contained HTML page.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Train the stance head on labeled articles from every training source
    /// (written and real), picking L2 by cross-validation grouped by article on
    /// a development part, then scoring a held-out part once.
    TrainStance {
        /// Folders of labeled articles; repeat the flag for several.
        #[arg(long, num_args = 1.., default_values = TRAIN_SOURCES)]
        train: Vec<PathBuf>,
        /// Only this L2 instead of the grid 1e-5, 1e-4.
        #[arg(long)]
        l2: Option<f64>,
        /// Only this loss weight of rare labels instead of the grid 0, 0.25,
        /// 0.5 (0 weighs every quote alike, 1 balances the labels).
        #[arg(long)]
        class_weight_power: Option<f64>,
        /// Only this shift of the neutral logit instead of the grid 0 … 1.
        #[arg(long)]
        neutral_bias: Option<f64>,
        /// The source of real off-topic text whose false-alarm rate bounds
        /// model selection.
        #[arg(long, default_value = "real_train/polnear")]
        off_topic_source: String,
        /// Highest cross-validated false-alarm rate on --off-topic-source a
        /// chosen head may have (the best macro-F1 under it wins).
        #[arg(long, default_value = "0.02")]
        false_alarm_limit: f64,
        #[arg(long, default_value = "models/stance")]
        out: PathBuf,
    },
    /// Export the stance training quotes as the head reads them, for
    /// prototyping heads outside Rust: `OUT.safetensors` (embeddings
    /// [quotes, 1152], label, article, source, held_out per quote) and
    /// `OUT.json` (the quote texts and the source names).
    StanceFeatures {
        #[arg(long, num_args = 1.., default_values = TRAIN_SOURCES)]
        train: Vec<PathBuf>,
        /// Output path without extension.
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure fine-tuning the encoder's top layers for stance against the
    /// frozen encoder (--layers 0): 5-fold cross-validation by article on
    /// train-stance's development part, scored as train-stance scores it
    /// (per source, with the false-alarm rate, at each shift of the neutral
    /// logit). Writes no model; some ten minutes per trained layer on 2 cores.
    StanceFinetune {
        #[arg(long, num_args = 1.., default_values = TRAIN_SOURCES)]
        train: Vec<PathBuf>,
        /// Encoder layers trained, counted from the top (0: the head alone).
        #[arg(long, default_value = "2")]
        layers: usize,
        /// AdamW step size of the trained encoder layers.
        #[arg(long, default_value = "3e-5")]
        encoder_lr: f64,
        /// AdamW step size of the head.
        #[arg(long, default_value = "3e-3")]
        head_lr: f64,
        #[arg(long, default_value = "3")]
        epochs: usize,
        /// Loss weight of rare labels, as train-stance's.
        #[arg(long, default_value = "0.5")]
        class_weight_power: f64,
        #[arg(long, default_value = "real_train/polnear")]
        off_topic_source: String,
        #[arg(long, default_value = "0.02")]
        false_alarm_limit: f64,
    },
    /// Learning curve of the stance head: 5-fold cross-validated macro-F1 when
    /// each fold's head sees a quarter, half, three quarters or all of its
    /// training articles (the settings of the --stance-model head). Says
    /// whether more labeled quotes would help.
    StanceCurve {
        #[arg(long, default_value = "../shared/eval/train")]
        train: PathBuf,
        /// Random draws of the training articles per share below 1.
        #[arg(long, default_value = "3", value_parser = clap::value_parser!(u32).range(1..))]
        draws: u32,
    },
    /// Measure throughput on the sample articles (repeated): `detect` (quote
    /// detection alone, MB/s) or `pipeline` (end to end, articles/s and words/s).
    Bench {
        #[arg(value_enum, default_value = "detect")]
        what: BenchTarget,
        /// Articles to read (files or directories).
        #[arg(long, default_value = "examples")]
        input: String,
        /// Seconds to run for.
        #[arg(long, default_value = "3")]
        seconds: f64,
        /// Copies of the input per round: an archive run classifies many
        /// articles at once (one per core), which one article alone cannot show.
        #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// Score direct-quote detection and source mentions on PolNeAR brat files
    /// (a folder with text/ and attributions/). Needs no model.
    BenchPolnear {
        #[arg(default_value = "../shared/data/polnear/train")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// Also list every missed and spurious quote and wrong source (stderr).
        #[arg(long)]
        errors: bool,
        /// Fail when a figure falls below its floor in this JSON file
        /// (`{"direct.f1": 0.92, "source.accuracy": 0.90}`).
        #[arg(long)]
        floors: Option<PathBuf>,
    },
    /// Score article-body extraction from web pages on the article-extraction
    /// benchmark (real pages with hand-extracted bodies), as its evaluate.py does.
    BenchExtract {
        #[arg(default_value = "../shared/data/article-extraction")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// Fail when a figure (`f1`, `precision`, `recall`) falls below its floor in this JSON file.
        #[arg(long)]
        floors: Option<PathBuf>,
        /// Also write the extracted bodies in the benchmark's output shape
        /// (for its evaluate.py).
        #[arg(long)]
        predictions: Option<PathBuf>,
    },
    /// Train the NER head (BiLSTM-CRF over MiniLM states and word shapes) on CoNLL-2003.
    TrainNer {
        #[arg(long, default_value = "../shared/data/conll2003")]
        data: PathBuf,
        #[arg(long, default_value = "models/ner")]
        out: PathBuf,
        #[arg(long, default_value = "8")]
        epochs: usize,
    },
    /// Entity-level precision, recall and F1 per type of the NER head on CoNLL-2003.
    EvalNer {
        #[arg(long, default_value = "../shared/data/conll2003")]
        data: PathBuf,
        /// Which split: test or dev.
        #[arg(long, default_value = "test")]
        split: String,
        #[arg(long)]
        json: bool,
        /// Exit 1 when an F1 (`overall.f1`, `PER.f1`, …) falls below its floor in
        /// this JSON file (eval/ner-floors.json).
        #[arg(long)]
        floors: Option<PathBuf>,
    },
    /// Convert a sentence-transformers model.safetensors to rust_model.ot (used by setup).
    ConvertModel { dir: PathBuf },
}

/// Every stance training source in ../shared/eval: written articles and
/// snippets, and the real articles (PolNeAR's, mostly off-topic, and real
/// coalition news) whose quotes were labeled by hand. `eval/gold` and
/// `real_gold` are never among them.
pub const TRAIN_SOURCES: [&str; 4] = ["../shared/eval/train", "../shared/eval/train_snippets", "../shared/eval/real_train/polnear", "../shared/eval/real_train/news"];

/// Runs a command. `Ok` carries the exit code: 0, or 2 from `label` when
/// some articles failed (each reported on stderr and in its errors file).
pub fn run(cli: Cli) -> Result<ExitCode> {
    let config = PipelineConfig::resolve(ConfigFlags { model_dir: cli.model_dir, precision: cli.precision, stance_model: cli.stance_model, ner_model: cli.ner_model })?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Classify { inputs, format, out_dir } => {
            if matches!(format, Format::Html) && out_dir.is_none() {
                bail!("--format html writes one page per article: give --out-dir DIR");
            }
            if matches!(format, Format::Parquet) && std::io::stdout().is_terminal() {
                bail!("--format parquet writes a binary file to stdout: redirect it (> quotes.parquet)");
            }
            let mut articles = Vec::new();
            for input in &inputs {
                articles.extend(read_articles(input)?);
            }
            let pipeline = Pipeline::load(&config)?;
            let labeled = pipeline.classify(&articles)?;
            match (format, out_dir) {
                (Format::Jsonl, _) => {
                    for a in &labeled {
                        writeln!(out, "{}", serde_json::to_string(a)?)?;
                    }
                }
                (Format::Table, _) => write!(out, "{}", table(&labeled))?,
                (Format::Csv, _) => crate::export::write_csv(&mut out, &labeled)?,
                (Format::Parquet, _) => {
                    // The Arrow writer wants a Send sink; the locked stdout is not one.
                    let mut bytes = Vec::new();
                    crate::export::write_parquet(&mut bytes, &labeled)?;
                    out.write_all(&bytes)?;
                }
                (Format::Html, None) => unreachable!("checked above"),
                (Format::Html, Some(dir)) => {
                    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create directory", dir.display()))?;
                    for a in &labeled {
                        let path = dir.join(crate::html::page_file_name(&a.id));
                        std::fs::write(&path, crate::html::article_page(a)).with_context(|| format!("{}: cannot write", path.display()))?;
                        writeln!(out, "{}", path.display())?;
                    }
                }
            }
        }
        Command::Eval { gold, json, floors, errors, html } => {
            let pipeline = Pipeline::load(&config)?;
            let gold = load_gold(&gold)?;
            let (report, mistakes) = evaluate(&pipeline, &gold, &config.stance)?;
            if let Some(path) = &html {
                let ids: Vec<String> = gold.iter().map(|a| a.id.clone()).collect();
                std::fs::write(path, crate::html::eval_page(&report, &mistakes, &ids)).with_context(|| format!("{}: cannot write", path.display()))?;
            }
            if errors {
                for e in &mistakes {
                    let detail = match (&e.gold, &e.predicted) {
                        (None, None) => String::new(),
                        (g, p) => format!(" gold={:?} predicted={:?}", g.as_deref().unwrap_or("-"), p.as_deref().unwrap_or("-")),
                    };
                    eprintln!("{}\t{}\t{:?}{}\t{}", e.article, e.error, e.kind, detail, e.quote.replace('\n', " "));
                }
            }
            write_report(&mut out, &report, report.table(), &report.figures(), json, floors.as_deref())?;
        }
        Command::Label { input, output, format, errors, resume, shard, html, chunk, max_chars } => {
            let shard = shard.as_deref().map(crate::label::parse_shard).transpose()?;
            let input = crate::label::LabelInput::from_arg(&input)?;
            let pipeline = Pipeline::load(&config)?;
            let opts = crate::label::LabelOptions { output, format, errors, resume, shard, html, chunk, max_chars };
            let summary = crate::label::run(&pipeline, input, &opts)?;
            eprintln!(
                "label: {} labeled, {} failed, {} skipped as already done, {} in other shards",
                summary.labeled, summary.failed, summary.skipped_resume, summary.skipped_shard
            );
            if summary.failed > 0 {
                return Ok(ExitCode::from(2));
            }
        }
        Command::TrainStance { train, out: dir, l2, class_weight_power, neutral_bias, off_topic_source, false_alarm_limit } => {
            let one_or = |v: Option<f64>, grid: &[f64]| v.map_or_else(|| grid.to_vec(), |v| vec![v]);
            let grid = SelectionGrid {
                l2: one_or(l2, &[1e-5, 1e-4]),
                class_weight_power: one_or(class_weight_power, &[0.0, 0.25, 0.5]),
                neutral_bias: one_or(neutral_bias, &[0.0, 0.25, 0.5, 0.75, 1.0]),
                off_topic_source,
                false_alarm_limit,
            };
            train_stance(config.load_encoder()?, &train, &dir, &grid)?
        }
        Command::StanceFeatures { train, out: path } => {
            let (articles, source_of, set) = labeled_quotes(&config.load_encoder()?, &train)?;
            let column = |f: &dyn Fn(usize) -> i64| tch::Tensor::from_slice(&(0..set.labels.len()).map(f).collect::<Vec<i64>>());
            let labels = column(&|i| set.labels[i].index() as i64);
            let groups = column(&|i| set.groups[i] as i64);
            let sources = column(&|i| source_of[set.groups[i]] as i64);
            let held = column(&|i| held_out(&articles[set.groups[i]]) as i64);
            let tensors = [("embeddings", &set.embeddings), ("label", &labels), ("article", &groups), ("source", &sources), ("held_out", &held)];
            let tensor_path = path.with_extension("safetensors");
            tch::Tensor::write_safetensors(&tensors, &tensor_path).with_context(|| format!("{}: cannot write", tensor_path.display()))?;
            let texts = serde_json::json!({"quotes": set.quotes, "sources": train.iter().map(|d| source_name(d)).collect::<Vec<_>>(), "labels": StanceLabel::ALL.map(|l| l.as_str())});
            std::fs::write(path.with_extension("json"), serde_json::to_string(&texts)?)?;
            eprintln!("wrote {} quotes to {}", set.labels.len(), tensor_path.display());
        }
        Command::StanceFinetune { train, layers, encoder_lr, head_lr, epochs, class_weight_power, off_topic_source, false_alarm_limit } => {
            let finetune = FinetuneConfig { layers, encoder_lr, head_lr, epochs, class_weight_power, ..FinetuneConfig::default() };
            stance_finetune(&mut out, config.load_encoder()?, &train, &finetune, &off_topic_source, false_alarm_limit)?
        }
        Command::StanceCurve { train, draws } => stance_curve(&mut out, config.load_encoder()?, &train, &config.stance, draws)?,
        Command::Bench { what, input, seconds, repeat } => {
            let articles = read_articles(&input)?;
            let articles: Vec<Article> = (0..repeat).flat_map(|_| articles.iter().cloned()).collect();
            let line = match what {
                BenchTarget::Detect => bench_detect(&articles, seconds),
                BenchTarget::Pipeline => {
                    let pipeline = Pipeline::load(&config)?;
                    bench_rate("pipeline", &articles, seconds, || pipeline.classify(&articles).map(drop))?
                }
                BenchTarget::Encoder => {
                    let encoder = config.load_encoder()?;
                    let docs: Vec<crate::document::Document> = articles.iter().map(|a| crate::document::Document::new(a.text.as_str())).collect();
                    bench_rate("encoder", &articles, seconds, || docs.iter().try_for_each(|d| encoder.paragraph_states(d).map(drop)))?
                }
            };
            writeln!(out, "{line}")?;
        }
        Command::BenchPolnear { dir, json, errors, floors } => {
            let report = crate::polnear::score_dir(&dir, |line| {
                if errors {
                    eprintln!("{line}");
                }
            })?;
            write_report(&mut out, &report, report.table(), &report.figures(), json, floors.as_deref())?;
        }
        Command::Report { input, html, top, json } => {
            let report = if input == "-" {
                crate::report::read_jsonl(std::io::stdin().lock(), "stdin")?
            } else {
                let file = std::fs::File::open(&input).with_context(|| format!("{input}: cannot open"))?;
                crate::report::read_jsonl(std::io::BufReader::new(file), &input)?
            };
            if let Some(path) = &html {
                std::fs::write(path, report.html_page(top)).with_context(|| format!("{}: cannot write", path.display()))?;
            }
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write!(out, "{}", report.table(top))?;
            }
        }
        Command::BenchExtract { dir, json, floors, predictions } => {
            let report = crate::extraction_bench::run(&dir, predictions.as_deref())?;
            write_report(&mut out, &report, report.table(), &report.figures(), json, floors.as_deref())?;
        }
        Command::TrainNer { data, out: dir, epochs } => {
            use crate::ner::tagger::{read_conll, NerTagger, NerTrainConfig};
            let encoder = config.load_encoder()?;
            let train = read_conll(&data.join("train.txt"))?;
            eprintln!("train-ner: encoding {} sentences", train.len());
            let (feats, tags) = conll_features(&encoder, &train)?;
            let train_config = NerTrainConfig { epochs, ..Default::default() };
            let tagger = NerTagger::train(&feats, &tags, &train_config, |line| eprintln!("train-ner: {line}"))?;
            tagger.save(&dir)?;
            let dev = read_conll(&data.join("dev.txt"))?;
            let scores = ner_scores(&encoder, &tagger, &dev)?;
            let meta = serde_json::json!({"config": train_config, "train_sentences": train.len(), "dev": scores.iter().map(|(t, p)| (t.clone(), p.f1)).collect::<BTreeMap<_, _>>(), "contract": NerTagger::contract(&encoder)});
            std::fs::write(dir.join("meta.json"), serde_json::to_string_pretty(&meta)? + "\n")?;
            eprintln!("train-ner: wrote {} (dev F1 overall {:.3})", dir.display(), scores.last().map_or(0.0, |s| s.1.f1));
        }
        Command::EvalNer { data, split, json, floors } => {
            use crate::ner::tagger::{read_conll, NerTagger};
            if split != "test" && split != "dev" {
                bail!("--split must be test or dev, not {split:?}");
            }
            let encoder = config.load_encoder()?;
            let tagger = NerTagger::load(&config.ner, &encoder)?;
            let sentences = read_conll(&data.join(format!("{split}.txt")))?;
            let scores = ner_scores(&encoder, &tagger, &sentences)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&scores)?)?;
            } else {
                writeln!(out, "CoNLL-2003 {split}: {} sentences", sentences.len())?;
                writeln!(out, "{:<8} {:>9} {:>9} {:>9} {:>6}", "type", "precision", "recall", "F1", "gold")?;
                for (ty, p) in &scores {
                    writeln!(out, "{:<8} {:>9.3} {:>9.3} {:>9.3} {:>6}", ty, p.precision, p.recall, p.f1, p.gold)?;
                }
            }
            if let Some(path) = floors {
                check_floors(&scores.iter().map(|(ty, p)| (format!("{ty}.f1"), p.f1)).collect(), &path)?;
            }
        }
        Command::ConvertModel { dir } => {
            let path = convert_safetensors(&dir)?;
            eprintln!("wrote {}", path.display());
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Whether an error is a closed pipe on our output (`quotestance … | head`):
/// the reader has all it wants, so the run ends quietly, as ripgrep does.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn load_gold(dir: &Path) -> Result<Vec<Article>> {
    article_files(dir)?
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| Article::load(p))
        .collect()
}

/// Runs the pipeline on every gold article and scores it.
pub fn evaluate(pipeline: &Pipeline, gold: &[Article], stance: &HeadSource) -> Result<(EvalReport, Vec<EvalError>)> {
    // One encoder pass per article serves both the prediction and the
    // stance of the gold spans with their gold speakers.
    let (predicted, gold_span_stances): (Vec<Article>, Vec<Vec<StanceLabel>>) = pipeline.classify_and_read_own_quotes(gold)?.into_iter().unzip();
    // Baselines on the gold spans, so the model's gain is visible.
    let majority = crate::stance::StanceMeta::load(stance)?.majority();
    let mut majority_pairs = Vec::new();
    let mut zero_shot_pairs = Vec::new();
    for g in gold {
        let texts: Vec<&str> = g.quotes.iter().map(|q| q.text.as_str()).collect();
        let zs = crate::stance::zero_shot(&pipeline.encoder, &texts)?;
        for (q, z) in g.quotes.iter().zip(zs) {
            if let Some(label) = q.stance {
                majority_pairs.push((label, majority));
                zero_shot_pairs.push((label, z));
            }
        }
    }
    let cases: Vec<EvalCase> = gold
        .iter()
        .zip(&predicted)
        .zip(&gold_span_stances)
        .map(|((g, p), s)| EvalCase { gold: g, predicted: p, gold_span_stances: s })
        .collect();
    let mut report = score(&cases);
    report.stance_baselines.insert(format!("majority class ({})", majority.as_str()), crate::eval::StanceScoresReport::from_pairs(&majority_pairs));
    report.stance_baselines.insert("zero-shot (nearest label description)".into(), crate::eval::StanceScoresReport::from_pairs(&zero_shot_pairs));
    Ok((report, errors(&cases)))
}

/// Writes a report as JSON or as its table, then checks its figures against
/// the floors file, if any.
fn write_report(out: &mut impl Write, report: &impl serde::Serialize, table: String, figures: &BTreeMap<String, f64>, json: bool, floors: Option<&Path>) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(report)?)?;
    } else {
        write!(out, "{table}")?;
    }
    out.flush()?;
    match floors {
        Some(path) => check_floors(figures, path),
        None => Ok(()),
    }
}

/// Compares figures with floors (`{"direct.f1": 0.9, ...}`); lists every breach.
fn check_floors(figures: &BTreeMap<String, f64>, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read floors", path.display()))?;
    let floors: BTreeMap<String, f64> = serde_json::from_str(&text).with_context(|| format!("{}: malformed floors JSON", path.display()))?;
    let mut breaches = Vec::new();
    for (name, floor) in &floors {
        let Some(value) = figures.get(name) else {
            bail!("{}: unknown figure {name:?} (known: {})", path.display(), figures.keys().cloned().collect::<Vec<_>>().join(", "));
        };
        if *value < *floor {
            breaches.push(format!("{name} = {value:.3} < floor {floor:.3}"));
        }
    }
    if !breaches.is_empty() {
        bail!("eval figures below their floors: {}", breaches.join("; "));
    }
    eprintln!("all {} figures at or above their floors in {}", floors.len(), path.display());
    Ok(())
}

/// The articles of folders, and beside them the folder each came from (an
/// index into `dirs`).
fn labeled_articles(dirs: &[PathBuf]) -> Result<(Vec<Article>, Vec<usize>)> {
    let mut articles = Vec::new();
    let mut source_of = Vec::new();
    for (k, dir) in dirs.iter().enumerate() {
        let found = load_gold(dir)?;
        source_of.extend(std::iter::repeat_n(k, found.len()));
        articles.extend(found);
    }
    Ok((articles, source_of))
}

/// The labeled articles of folders and their quotes as the stance head
/// reads them; an error when none is labeled. Beside them, the folder each
/// article came from (an index into `dirs`).
fn labeled_quotes(encoder: &Encoder, dirs: &[PathBuf]) -> Result<(Vec<Article>, Vec<usize>, TrainingSet)> {
    let (articles, source_of) = labeled_articles(dirs)?;
    eprintln!("encoding {} articles", articles.len());
    let set = training_set(encoder, &articles)?;
    if set.labels.is_empty() {
        bail!("{}: no labeled quotes to train on", dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok((articles, source_of, set))
}

/// Whether an article belongs to the held-out part of its source: one in
/// five, by a stable hash of its id, scored only once, after model selection.
fn held_out(article: &Article) -> bool {
    crate::stable_hash(&article.id) % 5 == 0
}

/// Stance scores of `pairs` per training source (by folder name), with the
/// whole beside them.
fn per_source(dirs: &[PathBuf], source_of_quote: &[usize], pairs: &[(usize, StanceLabel, StanceLabel)]) -> BTreeMap<String, crate::eval::StanceScoresReport> {
    let mut out = BTreeMap::new();
    for (k, dir) in dirs.iter().enumerate() {
        let these: Vec<(StanceLabel, StanceLabel)> = pairs.iter().filter(|(i, _, _)| source_of_quote[*i] == k).map(|&(_, g, p)| (g, p)).collect();
        out.insert(source_name(dir), crate::eval::StanceScoresReport::from_pairs(&these));
    }
    out.insert("all".into(), crate::eval::StanceScoresReport::from_pairs(&pairs.iter().map(|&(_, g, p)| (g, p)).collect::<Vec<_>>()));
    out
}

/// A training source's short name: its folder path below `eval/`
/// (`real_train/polnear`), else the folder name.
fn source_name(dir: &Path) -> String {
    let parts: Vec<String> = dir.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    match parts.iter().rposition(|p| p == "eval") {
        Some(i) if i + 1 < parts.len() => parts[i + 1..].join("/"),
        _ => parts.last().cloned().unwrap_or_default(),
    }
}

fn print_stance_rows(what: &str, reports: &BTreeMap<String, crate::eval::StanceScoresReport>) {
    for line in stance_rows(what, reports) {
        eprintln!("{line}");
    }
}

fn stance_rows(what: &str, reports: &BTreeMap<String, crate::eval::StanceScoresReport>) -> Vec<String> {
    reports
        .iter()
        .map(|(name, r)| format!("{what} {name:<22} n={:<5} macro-F1 {:.3}  false alarms {:.3}  recall support {:.3} oppose {:.3}", r.n, r.macro_f1, r.false_alarm_rate, r.per_label_recall["support"], r.per_label_recall["oppose"]))
        .collect()
}

/// `stance-finetune`: the cross-validated figures of fine-tuning `config.layers`
/// top layers on train-stance's development part, at each neutral shift,
/// and in full at the best shift whose off-topic false alarms stay within `limit`.
fn stance_finetune(out: &mut impl Write, mut encoder: Encoder, dirs: &[PathBuf], config: &FinetuneConfig, off_topic_source: &str, limit: f64) -> Result<()> {
    check_off_topic_source(dirs, off_topic_source)?;
    // int8 layers do not train; the frozen ones run at f32 too, so that
    // --layers 0 is the same head over the same states.
    encoder.set_precision(Precision::F32)?;
    let (articles, source_of) = labeled_articles(dirs)?;
    eprintln!("encoding {} articles (f32, states below the top {} layers)", articles.len(), config.layers);
    let set = crate::stance::finetune::finetune_set(&encoder, &articles, config.layers)?;
    let development: Vec<usize> = (0..set.labels.len()).filter(|&i| !held_out(&articles[set.groups[i]])).collect();
    let source_of_quote: Vec<usize> = set.groups.iter().map(|&a| source_of[a]).collect();
    let start = std::time::Instant::now();
    let predicted = crate::stance::finetune::cross_validated_predictions(&encoder, &set, &development, 5, config, |fold| eprintln!("fold {} of 5 done after {:.0} s", fold + 1, start.elapsed().as_secs_f64()))?;
    writeln!(out, "{config:?}")?;
    writeln!(out, "{} development quotes, 5 folds by article, {:.0} s", development.len(), start.elapsed().as_secs_f64())?;
    let mut best: Option<(f64, f64, BTreeMap<String, crate::eval::StanceScoresReport>)> = None;
    // Wider than train-stance's grid: fine-tuned logits are surer of themselves.
    for neutral_bias in [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0] {
        let pairs: Vec<(usize, StanceLabel, StanceLabel)> = predicted.iter().map(|(i, p)| (*i, set.labels[*i], label_with_neutral_bias(p, neutral_bias))).collect();
        let scores = per_source(dirs, &source_of_quote, &pairs);
        let (f1, false_alarms) = (scores["all"].macro_f1, scores[off_topic_source].false_alarm_rate);
        writeln!(out, "neutral shift {neutral_bias}: cross-validated macro-F1 {f1:.3}, false alarms on {off_topic_source} {false_alarms:.3}")?;
        if false_alarms <= limit && best.as_ref().is_none_or(|b| f1 > b.1) {
            best = Some((neutral_bias, f1, scores));
        }
    }
    match best {
        Some((neutral_bias, _, scores)) => {
            writeln!(out, "best within false alarms {limit} on {off_topic_source}: neutral shift {neutral_bias}")?;
            for line in stance_rows("cv", &scores) {
                writeln!(out, "{line}")?;
            }
        }
        None => writeln!(out, "no neutral shift keeps false alarms on {off_topic_source} within {limit}")?,
    }
    Ok(())
}

/// The settings `train-stance` chooses among, and the rule it chooses by:
/// the best cross-validated macro-F1 whose false-alarm rate on the real
/// off-topic source stays within the limit (a false support or oppose is the
/// worst error on a real archive).
struct SelectionGrid {
    l2: Vec<f64>,
    class_weight_power: Vec<f64>,
    neutral_bias: Vec<f64>,
    off_topic_source: String,
    false_alarm_limit: f64,
}

/// An error unless `name` is one of the training sources: the false-alarm
/// rule needs its quotes.
fn check_off_topic_source(dirs: &[PathBuf], name: &str) -> Result<()> {
    if !dirs.iter().any(|d| source_name(d) == name) {
        bail!("--off-topic-source {name:?} is none of the training sources ({})", dirs.iter().map(|d| source_name(d)).collect::<Vec<_>>().join(", "));
    }
    Ok(())
}

fn train_stance(encoder: Encoder, dirs: &[PathBuf], out: &Path, grid: &SelectionGrid) -> Result<()> {
    let (articles, source_of, set) = labeled_quotes(&encoder, dirs)?;
    let source_of_quote: Vec<usize> = set.groups.iter().map(|&a| source_of[a]).collect();
    check_off_topic_source(dirs, &grid.off_topic_source)?;
    let (held, development): (Vec<usize>, Vec<usize>) = (0..set.labels.len()).partition(|&i| held_out(&articles[set.groups[i]]));
    let dev_set = set.subset(&development);
    let mut cv = Vec::new();
    // (config, macro-F1, off-topic false alarms, cross-validated pairs)
    let mut candidates: Vec<(TrainConfig, f64, f64, Vec<(usize, StanceLabel, StanceLabel)>)> = Vec::new();
    for &l2 in &grid.l2 {
        for &class_weight_power in &grid.class_weight_power {
            let config = TrainConfig { l2, class_weight_power, ..TrainConfig::default() };
            let predicted = cross_validated_predictions(&dev_set, 5, &config)?;
            for &neutral_bias in &grid.neutral_bias {
                let pairs: Vec<(usize, StanceLabel, StanceLabel)> = predicted.iter().map(|(i, p)| (development[*i], set.labels[development[*i]], label_with_neutral_bias(p, neutral_bias))).collect();
                let scores = per_source(dirs, &source_of_quote, &pairs);
                let (f1, false_alarms) = (scores["all"].macro_f1, scores[&grid.off_topic_source].false_alarm_rate);
                eprintln!("l2 {l2:e}, class weight power {class_weight_power}, neutral bias {neutral_bias}: cross-validated macro-F1 {f1:.3}, false alarms on {} {false_alarms:.3}", grid.off_topic_source);
                cv.push(crate::stance::SelectionRow { l2, class_weight_power, neutral_bias, macro_f1: f1, off_topic_false_alarms: false_alarms });
                candidates.push((TrainConfig { neutral_bias, ..config.clone() }, f1, false_alarms, pairs));
            }
        }
    }
    let within: Vec<usize> = (0..candidates.len()).filter(|&k| candidates[k].2 <= grid.false_alarm_limit).collect();
    let chosen = if within.is_empty() {
        eprintln!("train-stance: no setting keeps false alarms on {} within {}: taking the fewest", grid.off_topic_source, grid.false_alarm_limit);
        (0..candidates.len()).min_by(|&a, &b| candidates[a].2.total_cmp(&candidates[b].2))
    } else {
        within.into_iter().max_by(|&a, &b| candidates[a].1.total_cmp(&candidates[b].1))
    };
    let (config, cv_f1, _, cv_pairs) = candidates.swap_remove(chosen.context("an empty selection grid")?);
    let cross_validated = per_source(dirs, &source_of_quote, &cv_pairs);
    print_stance_rows("cv      ", &cross_validated);
    // The held-out part, scored once by a head trained on the development part.
    let dev_model = set.train(&development, &config)?;
    let held_probs = dev_model.predict_rows(&set, &held)?;
    let held_pairs: Vec<(usize, StanceLabel, StanceLabel)> = held.iter().zip(&held_probs).map(|(&i, p)| (i, set.labels[i], crate::stance::label_of(p))).collect();
    let held_out_scores = per_source(dirs, &source_of_quote, &held_pairs);
    print_stance_rows("held out", &held_out_scores);
    // The committed head learns from every labeled quote.
    let model = set.train(&(0..set.labels.len()).collect::<Vec<_>>(), &config)?;
    let mut label_counts = BTreeMap::new();
    for l in &set.labels {
        *label_counts.entry(l.as_str().to_string()).or_insert(0) += 1;
    }
    eprintln!("wrote {} ({config:?}, cv macro-F1 {cv_f1:.3})", out.display());
    let meta = StanceMeta {
        config,
        train_examples: set.labels.len(),
        train_articles: articles.len(),
        selection: cv,
        label_counts,
        contract: Some(model.contract(&encoder)),
        sources: dirs.iter().map(|d| source_name(d)).collect(),
        cross_validated,
        held_out: held_out_scores,
    };
    model.save(out, &meta)
}

fn stance_curve(out: &mut impl Write, encoder: Encoder, train_dir: &Path, model: &HeadSource, draws: u32) -> Result<()> {
    let config = StanceMeta::load(model)?.config;
    let (articles, _, set) = labeled_quotes(&encoder, &[train_dir.to_path_buf()])?;
    writeln!(out, "{} labeled quotes in {} articles, 5 folds by article, l2 {:e}", set.labels.len(), articles.len(), config.l2)?;
    writeln!(out, "{:<24} {:>22} {:>9}  each draw", "share of training folds", "training quotes/fold", "macro-F1")?;
    for share in [0.25, 0.5, 0.75, 1.0] {
        // All the articles is one fixed set: a single draw.
        let draws = if share < 1.0 { draws } else { 1 };
        let points = (0..draws).map(|d| cross_validate_on_share(&set, 5, &config, share, d as i64)).collect::<Result<Vec<_>>>()?;
        let mean = |f: fn(&CurvePoint) -> f64| points.iter().map(f).sum::<f64>() / points.len() as f64;
        let each: Vec<String> = points.iter().map(|p| format!("{:.3}", p.macro_f1)).collect();
        writeln!(out, "{:<24} {:>22.0} {:>9.3}  {}", share, mean(|p| p.train_quotes), mean(|p| p.macro_f1), each.join(" "))?;
    }
    Ok(())
}

/// Quote detection alone, in MB of article text per second on one thread.
fn bench_detect(articles: &[Article], seconds: f64) -> String {
    let bytes: usize = articles.iter().map(|a| a.text.len()).sum();
    let start = std::time::Instant::now();
    let mut rounds = 0usize;
    let mut quotes = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        for a in articles {
            let doc = crate::document::Document::new(a.text.as_str());
            quotes += crate::quotes::detect(&doc, &crate::cues::find_cues(&doc)).len();
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (bytes * rounds) as f64 / 1e6;
    format!(
        "detect: {:.1} MB/s ({} articles x {} rounds, {:.2} MB in {:.2} s, {} quotes per round)",
        mb / secs,
        articles.len(),
        rounds,
        mb,
        secs,
        quotes / rounds.max(1)
    )
}

/// Articles and words per second of `round`, which processes all `articles`
/// once; after one warm-up round, rounds repeat for `seconds`.
fn bench_rate(what: &str, articles: &[Article], seconds: f64, mut round: impl FnMut() -> Result<()>) -> Result<String> {
    let words: usize = articles.iter().map(|a| a.text.split_whitespace().count()).sum();
    round()?;
    let start = std::time::Instant::now();
    let mut rounds = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        round()?;
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(format!(
        "{what}: {:.2} articles/s, {:.0} words/s ({} articles of {:.0} words on average, {} rounds in {:.2} s, {} threads)",
        (articles.len() * rounds) as f64 / secs,
        (words * rounds) as f64 / secs,
        articles.len(),
        words as f64 / articles.len() as f64,
        rounds,
        secs,
        tch::get_num_threads()
    ))
}

/// Word features and tags of CoNLL sentences.
fn conll_features(encoder: &Encoder, data: &[ConllSentence]) -> Result<(Vec<tch::Tensor>, Vec<Vec<i64>>)> {
    let feats = crate::ner::tagger::word_features(encoder, data)?;
    Ok((feats, data.iter().map(|s| s.tags.clone()).collect()))
}

fn ner_scores(encoder: &Encoder, tagger: &crate::ner::tagger::NerTagger, data: &[ConllSentence]) -> Result<Vec<(String, crate::eval::Prf)>> {
    let (feats, gold) = conll_features(encoder, data)?;
    let mut predicted: Vec<Vec<usize>> = Vec::with_capacity(feats.len());
    for chunk in feats.chunks(64) {
        predicted.extend(tagger.predict_many(chunk)?);
    }
    Ok(crate::ner::tagger::score_entities(&gold, &predicted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_training_source_is_named_by_its_folder_below_eval() {
        assert_eq!(source_name(Path::new("../shared/eval/real_train/polnear")), "real_train/polnear");
        assert_eq!(source_name(Path::new("/data/eval/train")), "train");
        assert_eq!(source_name(Path::new("/tmp/labeled")), "labeled");
    }

    #[test]
    fn one_article_in_five_is_held_out_by_its_id_alone() {
        let ids: Vec<String> = (0..500).map(|i| format!("article-{i}")).collect();
        let held: Vec<bool> = ids.iter().map(|id| held_out(&Article::from_text(id, "x".into()).unwrap())).collect();
        let share = held.iter().filter(|h| **h).count() as f64 / ids.len() as f64;
        assert!((0.15..0.25).contains(&share), "{share}");
        let again: Vec<bool> = ids.iter().map(|id| held_out(&Article::from_text(id, "other text".into()).unwrap())).collect();
        assert_eq!(held, again, "the text does not move an article between parts");
    }
}
