//! Scores article-body extraction on the article-extraction benchmark
//! (`../shared/data/article-extraction`: 181 real pages and their
//! hand-extracted bodies), exactly as its `evaluate.py` does: per page, the
//! true and predicted bodies' word 4-grams (shingles) are matched with their
//! counts, true/false positives and negatives normalised by the page's total;
//! precision and recall are averaged over pages and F1 is taken of the two
//! means. `accuracy` is the share of pages whose words match exactly.
//!
//! Reads: the benchmark folder (`ground-truth.json`, `html/<key>.html.gz`).
//! Writes: an [`ExtractionReport`] and, on request, the predictions in the
//! benchmark's own output shape, so `evaluate.py` can check these figures.

use crate::input::webpage;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct ExtractionReport {
    pub pages: usize,
    /// Pages where extraction failed (scored as an empty body).
    pub failed: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    pub seconds: f64,
}

impl ExtractionReport {
    pub fn figures(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([("f1".into(), self.f1), ("precision".into(), self.precision), ("recall".into(), self.recall), ("accuracy".into(), self.accuracy)])
    }

    pub fn table(&self) -> String {
        format!(
            "article-body extraction on {} pages ({} failed), {:.1} pages/s\n{:<10} {:>6}\n{:<10} {:>6.3}\n{:<10} {:>6.3}\n{:<10} {:>6.3}\n{:<10} {:>6.3}\n",
            self.pages,
            self.failed,
            self.pages as f64 / self.seconds.max(1e-9),
            "figure",
            "value",
            "F1",
            self.f1,
            "precision",
            self.precision,
            "recall",
            self.recall,
            "accuracy",
            self.accuracy
        )
    }
}

/// Shares of one page's shingles: true positives, false positives, false
/// negatives, summing to 1 (all 0 when both bodies are empty).
#[derive(Debug, Clone, Copy, PartialEq)]
struct ShingleMatch {
    tp: f64,
    fp: f64,
    fn_: f64,
}

/// `evaluate.py`'s `\w+` tokens: runs of letters, digits and underscores.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word_char = c.is_alphanumeric() || c == '_';
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Word 4-grams with their counts; a text of fewer than four words is one
/// shorter shingle, an empty text none (as `_ngrams` does).
fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    const N: usize = 4;
    let tokens = words(text);
    let mut out = HashMap::new();
    for i in 0..tokens.len().saturating_sub(N - 1).max(1) {
        let shingle: Vec<&str> = tokens[i..(i + N).min(tokens.len())].to_vec();
        if !shingle.is_empty() {
            *out.entry(shingle).or_insert(0) += 1;
        }
    }
    out
}

fn shingle_match(truth: &str, predicted: &str) -> ShingleMatch {
    let (t, p) = (shingles(truth), shingles(predicted));
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for key in t.keys().chain(p.keys().filter(|k| !t.contains_key(*k))) {
        let (tc, pc) = (*t.get(key).unwrap_or(&0) as f64, *p.get(key).unwrap_or(&0) as f64);
        tp += tc.min(pc);
        fp += (pc - tc).max(0.0);
        fn_ += (tc - pc).max(0.0);
    }
    let sum = tp + fp + fn_;
    if sum > 0.0 {
        ShingleMatch { tp: tp / sum, fp: fp / sum, fn_: fn_ / sum }
    } else {
        ShingleMatch { tp, fp, fn_ }
    }
}

fn precision(m: &ShingleMatch) -> f64 {
    if m.fp == 0.0 && m.fn_ == 0.0 {
        1.0
    } else if m.tp == 0.0 && m.fp == 0.0 {
        0.0
    } else {
        m.tp / (m.tp + m.fp)
    }
}

fn recall(m: &ShingleMatch) -> f64 {
    if m.fp == 0.0 && m.fn_ == 0.0 {
        1.0
    } else if m.tp == 0.0 && m.fn_ == 0.0 {
        0.0
    } else {
        m.tp / (m.tp + m.fn_)
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Precision, recall and F1 over pages, as `metrics_from_tp_fp_fns`; and the
/// share of exact word matches.
fn scores(pairs: &[(String, String)]) -> (f64, f64, f64, f64) {
    let matches: Vec<ShingleMatch> = pairs.iter().map(|(t, p)| shingle_match(t, p)).collect();
    let p = mean(matches.iter().filter(|m| m.tp + m.fp > 0.0).map(precision));
    let r = mean(matches.iter().filter(|m| m.tp + m.fn_ > 0.0).map(recall));
    let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    let accuracy = mean(pairs.iter().map(|(t, p)| f64::from(u8::from(words(t) == words(p)))));
    (p, r, f1, accuracy)
}

/// Extracts every benchmark page and scores the bodies. `predictions`, when
/// given, receives `{key: {"articleBody": ...}}` for `evaluate.py`.
pub fn run(dir: &Path, predictions: Option<&Path>) -> Result<ExtractionReport> {
    let truth_path = dir.join("ground-truth.json");
    let truth: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&truth_path).with_context(|| format!("{}: cannot read", truth_path.display()))?).with_context(|| format!("{}: malformed", truth_path.display()))?;
    let start = std::time::Instant::now();
    let mut pairs = Vec::with_capacity(truth.len());
    let mut output = serde_json::Map::new();
    let mut failed = 0;
    for (key, page) in &truth {
        let html = webpage::read_page_file(&dir.join("html").join(format!("{key}.html.gz")))?;
        let body = match webpage::extract(&html, page["url"].as_str()) {
            Ok(p) => p.body,
            Err(_) => {
                failed += 1;
                String::new()
            }
        };
        output.insert(key.clone(), serde_json::json!({ "articleBody": body }));
        pairs.push((page["articleBody"].as_str().unwrap_or("").to_string(), body));
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some(path) = predictions {
        std::fs::write(path, serde_json::to_string(&serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "output": output}))?).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let (precision, recall, f1, accuracy) = scores(&pairs);
    Ok(ExtractionReport { pages: pairs.len(), failed, precision, recall, f1, accuracy, seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_word_characters() {
        assert_eq!(words("It's 2014—the coalition_x, état!"), ["It", "s", "2014", "the", "coalition_x", "état"]);
    }

    #[test]
    fn shingles_count_repeats_and_short_texts_make_one() {
        let s = shingles("a b c d a b c d");
        assert_eq!(s.len(), 4);
        assert_eq!(s[&vec!["a", "b", "c", "d"]], 2);
        assert_eq!(shingles("just two").len(), 1);
        assert!(shingles(" ,. ").is_empty());
    }

    #[test]
    fn a_page_scores_as_evaluate_py_does() {
        // Truth has 3 shingles, the prediction 2 of them and 1 of its own:
        // tp 2, fp 1, fn 1, normalised by 4.
        let m = shingle_match("w1 w2 w3 w4 w5 w6", "w2 w3 w4 w5 w6 x");
        assert_eq!(m, ShingleMatch { tp: 0.5, fp: 0.25, fn_: 0.25 });
        assert!((precision(&m) - 2.0 / 3.0).abs() < 1e-12 && (recall(&m) - 2.0 / 3.0).abs() < 1e-12);
        // Both empty: a perfect page. Nothing predicted: recall 0, and the
        // page is left out of the precision mean.
        assert_eq!(precision(&shingle_match("", "")), 1.0);
        let missed = shingle_match("a b c d", "");
        assert_eq!((recall(&missed), missed.tp + missed.fp), (0.0, 0.0));
        let (p, r, f1, acc) = scores(&[("a b c d".into(), "a b c d".into()), ("a b c d".into(), String::new())]);
        assert_eq!((p, r, acc), (1.0, 0.5, 0.5));
        assert!((f1 - 2.0 / 3.0).abs() < 1e-12);
    }
}
