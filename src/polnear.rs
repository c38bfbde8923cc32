//! A real-world check of detection and attribution on PolNeAR (Newell, Margolin
//! and Ruths, LREC 2018): US political news with attribution relations in brat
//! standoff. Gold direct quotes are the quoted passages inside an attribution's
//! Content; a predicted quote's mention must overlap that attribution's Source.

use crate::article::QuoteKind;
use crate::document::{Document, Span};
use crate::eval::{match_spans, Prf};
use crate::analyse;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One attribution relation: its Source (absent in some) and Content fragments.
#[derive(Debug, Clone, PartialEq)]
pub struct BratAttribution {
    pub source: Vec<Span>,
    pub content: Vec<Span>,
}

/// Parses `start end;start end` fragments of a brat `T` line.
fn fragments(field: &str) -> Result<Vec<Span>> {
    field
        .split(';')
        .map(|f| {
            let mut it = f.split_whitespace();
            let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) else { bail!("bad offsets {f:?}") };
            let (a, b): (usize, usize) = (a.parse()?, b.parse()?);
            if a > b {
                bail!("reversed offsets {f:?}");
            }
            Ok(Span::new(a, b))
        })
        .collect()
}

/// Reads the attributions of a `.ann` file: `T` lines typed Source and Content,
/// joined by `E` lines (`E1 Attribution:T4 Content:T3 Cue:T2 Source:T1`).
pub fn read_ann(ann: &str) -> Result<Vec<BratAttribution>> {
    let mut spans: HashMap<&str, Vec<Span>> = HashMap::new();
    for (n, line) in ann.lines().enumerate() {
        // A `T` line's third column may hold newlines: lines that do not open
        // with an id like `T12<TAB>` continue the previous line's text.
        let mut cols = line.splitn(3, '\t');
        let (Some(id), Some(typed)) = (cols.next(), cols.next()) else { continue };
        if !(id.starts_with('T') && id.len() > 1 && id[1..].chars().all(|c| c.is_ascii_digit())) {
            continue;
        }
        let (_, offsets) = typed.split_once(' ').with_context(|| format!("line {}: no offsets", n + 1))?;
        spans.insert(id, fragments(offsets).with_context(|| format!("line {}", n + 1))?);
    }
    let mut out = Vec::new();
    for line in ann.lines().filter(|l| l.starts_with('E') && l.split('\t').next().is_some_and(|id| id[1..].chars().all(|c| c.is_ascii_digit()))) {
        let Some(args) = line.split('\t').nth(1) else { continue };
        let mut source = Vec::new();
        let mut content = Vec::new();
        for arg in args.split_whitespace() {
            let Some((role, id)) = arg.split_once(':') else { continue };
            let target = spans.get(id).cloned().unwrap_or_default();
            match role.trim_end_matches(char::is_numeric) {
                "Source" => source.extend(target),
                "Content" => content.extend(target),
                _ => {}
            }
        }
        if !content.is_empty() {
            out.push(BratAttribution { source, content });
        }
    }
    Ok(out)
}

fn is_open(c: char) -> bool {
    matches!(c, '“' | '"')
}

fn is_close(c: char) -> bool {
    matches!(c, '”' | '"')
}


/// Quoted passages inside Content fragments, each with the Source of the
/// innermost attribution holding it. Marks are paired inside the fragment; an
/// opening mark whose close lies past the fragment's end closes there.
pub fn gold_direct_quotes(doc: &Document, attributions: &[BratAttribution]) -> Vec<(Span, Vec<Span>)> {
    let mut found: Vec<(Span, Vec<Span>, usize)> = Vec::new();
    for a in attributions {
        let size: usize = a.content.iter().map(|c| c.len()).sum();
        for frag in &a.content {
            let frag = Span::new(frag.start.min(doc.len_chars()), frag.end.min(doc.len_chars()));
            // Marks: “ ” " and the doubled apostrophes of the New York Times ('').
            let mut open: Option<usize> = None; // where the quoted text starts
            let mut i = frag.start;
            while i < frag.end {
                let c = doc.char_at(i).unwrap_or(' ');
                let doubled = c == '\'' && doc.char_at(i + 1) == Some('\'');
                let width = if doubled { 2 } else { 1 };
                let after_space = i == 0 || doc.char_at(i - 1).is_some_and(|p| p.is_whitespace() || p == '(');
                let is_mark = doubled || is_open(c) || is_close(c);
                if is_mark {
                    match open {
                        None if c == '“' || ((c == '"' || doubled) && after_space) => open = Some(i + width),
                        Some(o) if c == '”' || c == '"' || doubled => {
                            found.push((doc.trim(Span::new(o, i)), a.source.clone(), size));
                            open = None;
                        }
                        _ => {}
                    }
                }
                i += width;
            }
            if let Some(o) = open {
                found.push((doc.trim(Span::new(o, frag.end)), a.source.clone(), size));
            }
        }
    }
    // One gold quote per span, attributed by its innermost (smallest) attribution.
    found.retain(|(s, _, _)| !s.is_empty() && doc.slice(*s).chars().any(char::is_alphanumeric));
    found.sort_by_key(|(s, _, size)| (s.start, s.end, *size));
    found.dedup_by_key(|(s, _, _)| *s);
    found.into_iter().map(|(s, src, _)| (s, src)).collect()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PolnearReport {
    pub articles: usize,
    pub direct: Prf,
    /// Over matched quotes whose gold attribution has a Source: the predicted
    /// mention (for a continuation, that of the quote it continues) overlaps it.
    pub source_accuracy: f64,
    pub source_n: usize,
}

impl PolnearReport {
    /// The figures as `name → value`, the keys that floors refer to.
    pub fn figures(&self) -> std::collections::BTreeMap<String, f64> {
        [("direct.precision", self.direct.precision), ("direct.recall", self.direct.recall), ("direct.f1", self.direct.f1), ("source.accuracy", self.source_accuracy)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    pub fn table(&self) -> String {
        format!(
            "PolNeAR articles: {}\ndirect quotes    precision {:.3}  recall {:.3}  F1 {:.3}  (gold {}, predicted {})\nsource mention   accuracy {:.3}  (over {} matched quotes with a Source)\n",
            self.articles,
            self.direct.precision,
            self.direct.recall,
            self.direct.f1,
            self.direct.gold,
            self.direct.predicted,
            self.source_accuracy,
            self.source_n
        )
    }
}

/// The `.ann` file for each text: one per text (the first annotator by name),
/// as `(text path, ann path)`.
pub fn corpus_files(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let text_dir = dir.join("text");
    let ann_dir = dir.join("attributions");
    if !text_dir.is_dir() || !ann_dir.is_dir() {
        bail!("{}: expected text/ and attributions/ folders (PolNeAR layout)", dir.display());
    }
    let mut anns: Vec<PathBuf> = std::fs::read_dir(&ann_dir)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "ann")).collect();
    anns.sort();
    let mut out: Vec<(PathBuf, PathBuf)> = Vec::new();
    for ann in anns {
        let stem = ann.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let Some((base, _annotator)) = stem.rsplit_once('_') else { continue };
        let text = text_dir.join(format!("{base}.txt"));
        if text.is_file() && !out.iter().any(|(t, _)| *t == text) {
            out.push((text, ann));
        }
    }
    if out.is_empty() {
        bail!("{}: no annotated texts found", dir.display());
    }
    Ok(out)
}

/// Scores direct-quote detection and source mentions over a PolNeAR folder.
/// `errors` receives a line per missed or spurious quote and per wrong source.
pub fn score_dir(dir: &Path, mut errors: impl FnMut(String)) -> Result<PolnearReport> {
    let files = corpus_files(dir)?;
    let (mut tp, mut predicted, mut gold_n) = (0, 0, 0);
    let (mut source_n, mut source_right) = (0, 0);
    for (text_path, ann_path) in &files {
        let text = std::fs::read_to_string(text_path).with_context(|| format!("{}: cannot read", text_path.display()))?;
        let ann = std::fs::read_to_string(ann_path).with_context(|| format!("{}: cannot read", ann_path.display()))?;
        let attributions = read_ann(&ann).with_context(|| format!("{}", ann_path.display()))?;
        let (doc, attribution) = analyse(&text);
        let gold = gold_direct_quotes(&doc, &attributions);
        let preds: Vec<_> = attribution.quotes.iter().filter(|q| q.quote.kind == QuoteKind::Direct).collect();
        let gold_spans: Vec<Span> = gold.iter().map(|(s, _)| *s).collect();
        let pred_spans: Vec<Span> = preds.iter().map(|q| q.quote.span).collect();
        let pairs = match_spans(&doc, &gold_spans, &pred_spans);
        let name = text_path.file_stem().unwrap_or_default().to_string_lossy();
        for (g, (span, _)) in gold.iter().enumerate() {
            if !pairs.iter().any(|&(pg, _)| pg == g) {
                errors(format!("{name}\tmissed\t{}", doc.slice(*span).replace('\n', " ")));
            }
        }
        for (p, span) in pred_spans.iter().enumerate() {
            if !pairs.iter().any(|&(_, pp)| pp == p) {
                errors(format!("{name}\tspurious\t{}", doc.slice(*span).replace('\n', " ")));
            }
        }
        tp += pairs.len();
        predicted += pred_spans.len();
        gold_n += gold_spans.len();
        for (g, p) in pairs {
            let sources = &gold[g].1;
            if sources.is_empty() {
                continue;
            }
            source_n += 1;
            if preds[p].source_mention.is_some_and(|m| sources.iter().any(|s| s.overlaps(m))) {
                source_right += 1;
            } else {
                let gold_source: Vec<&str> = sources.iter().map(|s| doc.slice(*s)).collect();
                let mention = preds[p].source_mention.map(|m| doc.slice(m)).unwrap_or("-");
                let sieve = preds[p].sieve.map(|s| s.as_str()).unwrap_or("none");
                errors(format!("{name}\tsource\tgold={:?} predicted={mention:?} ({sieve})\t{}", gold_source.join(" "), doc.slice(pred_spans[p]).replace('\n', " ")));
            }
        }
    }
    Ok(PolnearReport {
        articles: files.len(),
        direct: Prf::from_counts(tp, predicted, gold_n),
        source_accuracy: if source_n == 0 { 0.0 } else { source_right as f64 / source_n as f64 },
        source_n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: &str = "T1\tSource 0 5\tKerry\nT2\tCue 6 10\tsaid\nT3\tContent 11 30\t\"We will win,\" he\nT4\tAttribution 6 10\tsaid\nE1\tAttribution:T4 Content:T3 Cue:T2 Source:T1\nT5\tContent 40 45;47 50\tsplit\n";

    #[test]
    fn reads_relations_and_fragments() {
        let a = read_ann(ANN).unwrap();
        assert_eq!(a.len(), 1, "a Content without an E line joins nothing");
        assert_eq!(a[0].source, vec![Span::new(0, 5)]);
        assert_eq!(a[0].content, vec![Span::new(11, 30)]);
        assert_eq!(fragments("40 45;47 50").unwrap(), vec![Span::new(40, 45), Span::new(47, 50)]);
        assert!(fragments("9 3").is_err());
    }

    #[test]
    fn quoted_passages_inside_content_are_gold() {
        let text = "Kerry said \"We will win,\" he added, and “more” later.";
        let doc = Document::new(text);
        let a = BratAttribution { source: vec![Span::new(0, 5)], content: vec![Span::new(11, text.chars().count())] };
        let gold: Vec<&str> = gold_direct_quotes(&doc, &[a]).iter().map(|(s, _)| doc.slice(*s)).collect();
        assert_eq!(gold, vec!["We will win,", "more"]);
    }
}
