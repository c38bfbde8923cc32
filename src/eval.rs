//! Scoring of predictions against gold articles, as GUIDELINES.md "Scoring"
//! defines it. Pure functions over [`Article`]s: no model runs here.
//!
//! Reads: gold and predicted [`Article`]s (and the stance of the gold spans).
//! Writes: an [`EvalReport`] and the list of errors.

use crate::article::{Article, QuoteKind, QuoteRecord, StanceLabel};
use crate::document::{Document, Span, TokenKind, TokenRange};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Precision, recall and F1 from counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub true_positives: usize,
    pub predicted: usize,
    pub gold: usize,
}

impl Prf {
    pub fn from_counts(tp: usize, predicted: usize, gold: usize) -> Prf {
        let precision = if predicted == 0 { 0.0 } else { tp as f64 / predicted as f64 };
        let recall = if gold == 0 { 0.0 } else { tp as f64 / gold as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Prf { precision, recall, f1, true_positives: tp, predicted, gold }
    }
}

/// Detection scores for one quote kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DetectionScores {
    /// Token-overlap F1 ≥ 0.5 matching.
    pub overlap: Prf,
    /// Exact start and end.
    pub exact: Prf,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StanceScoresReport {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// F1 per label, in [`StanceLabel::ALL`] order.
    pub per_label_f1: BTreeMap<String, f64>,
    /// Recall per label: of the gold quotes with a label, the share predicted so.
    pub per_label_recall: BTreeMap<String, f64>,
    /// `confusion[gold][predicted]`, labels in [`StanceLabel::ALL`] order.
    pub confusion: [[usize; 3]; 3],
    /// Share of gold-neutral quotes given support or oppose: on a real
    /// archive, where most quotes take no position, every false alarm is a
    /// stance a user would count.
    pub false_alarm_rate: f64,
}

impl StanceScoresReport {
    pub fn from_pairs(pairs: &[(StanceLabel, StanceLabel)]) -> Self {
        let mut confusion = [[0usize; 3]; 3];
        for (gold, pred) in pairs {
            confusion[gold.index()][pred.index()] += 1;
        }
        let n = pairs.len();
        let correct: usize = (0..3).map(|i| confusion[i][i]).sum();
        let mut per_label_f1 = BTreeMap::new();
        let mut per_label_recall = BTreeMap::new();
        let mut sum = 0.0;
        for label in StanceLabel::ALL {
            let i = label.index();
            let tp = confusion[i][i];
            let predicted: usize = (0..3).map(|g| confusion[g][i]).sum();
            let gold: usize = confusion[i].iter().sum();
            let prf = Prf::from_counts(tp, predicted, gold);
            per_label_f1.insert(label.as_str().to_string(), prf.f1);
            per_label_recall.insert(label.as_str().to_string(), prf.recall);
            sum += prf.f1;
        }
        let neutral = confusion[StanceLabel::Neutral.index()];
        let gold_neutral: usize = neutral.iter().sum();
        let false_alarms = gold_neutral - neutral[StanceLabel::Neutral.index()];
        StanceScoresReport {
            n,
            accuracy: if n == 0 { 0.0 } else { correct as f64 / n as f64 },
            macro_f1: sum / 3.0,
            per_label_f1,
            per_label_recall,
            confusion,
            false_alarm_rate: if gold_neutral == 0 { 0.0 } else { false_alarms as f64 / gold_neutral as f64 },
        }
    }
}

/// Everything `eval` reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    pub articles: usize,
    pub direct: DetectionScores,
    pub indirect: DetectionScores,
    pub all_quotes: DetectionScores,
    /// Over matched quotes with a gold speaker.
    pub attribution_accuracy: f64,
    pub attribution_n: usize,
    /// Stance given the gold span and speaker.
    pub stance_gold_spans: StanceScoresReport,
    /// Stance on matched quotes of the end-to-end run.
    pub stance_end_to_end: StanceScoresReport,
    /// Share of gold quotes found with the right speaker and stance.
    pub end_to_end: f64,
    /// Baselines on gold spans (majority class, zero-shot), filled in by the runner.
    pub stance_baselines: BTreeMap<String, StanceScoresReport>,
}

/// One article's gold, the pipeline's prediction on its text, and the stance
/// predicted for each gold quote (given its gold span and speaker).
pub struct EvalCase<'a> {
    pub gold: &'a Article,
    pub predicted: &'a Article,
    pub gold_span_stances: &'a [StanceLabel],
}

/// Positions of the word and number tokens inside a span (punctuation is not
/// scored, so a span differing only by a final comma still overlaps fully).
fn word_tokens(doc: &Document, span: Span) -> Vec<usize> {
    let TokenRange { start: a, end: b } = doc.tokens_in(span);
    (a..b).filter(|&t| doc.tokens[t].kind != TokenKind::Punct).collect()
}

/// Token-overlap F1 of two spans.
pub fn overlap_f1(doc: &Document, a: Span, b: Span) -> f64 {
    let ta = word_tokens(doc, a);
    let tb = word_tokens(doc, b);
    if ta.is_empty() || tb.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let common = ta.iter().filter(|t| tb.binary_search(t).is_ok()).count();
    2.0 * common as f64 / (ta.len() + tb.len()) as f64
}

fn span_of(q: &QuoteRecord) -> Span {
    Span::new(q.start, q.end)
}

/// Matches predicted to gold quotes of one kind: each gold quote at most once,
/// best overlaps first. Returns `(gold index, predicted index)` pairs.
pub fn match_quotes(doc: &Document, gold: &[&QuoteRecord], predicted: &[&QuoteRecord]) -> Vec<(usize, usize)> {
    let gold: Vec<Span> = gold.iter().map(|q| span_of(q)).collect();
    let predicted: Vec<Span> = predicted.iter().map(|q| span_of(q)).collect();
    match_spans(doc, &gold, &predicted)
}

/// [`match_quotes`] over bare spans.
pub fn match_spans(doc: &Document, gold: &[Span], predicted: &[Span]) -> Vec<(usize, usize)> {
    let mut candidates = Vec::new();
    for (g, gs) in gold.iter().enumerate() {
        for (p, ps) in predicted.iter().enumerate() {
            let f = overlap_f1(doc, *gs, *ps);
            if f >= 0.5 {
                candidates.push((f, g, p));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut gold_used = vec![false; gold.len()];
    let mut pred_used = vec![false; predicted.len()];
    let mut pairs = Vec::new();
    for (_, g, p) in candidates {
        if !gold_used[g] && !pred_used[p] {
            gold_used[g] = true;
            pred_used[p] = true;
            pairs.push((g, p));
        }
    }
    pairs.sort();
    pairs
}

/// Lower-case, drop punctuation and a leading article (GUIDELINES.md "Scoring").
pub fn normalize_name(name: &str) -> String {
    let cleaned: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let words = match words.first() {
        Some(&"the") | Some(&"a") | Some(&"an") => &words[1..],
        _ => &words[..],
    };
    words.join(" ")
}

/// Whether a predicted speaker name names the gold entity.
pub fn speaker_matches(predicted_name: &str, gold: &crate::article::Entity) -> bool {
    let p = normalize_name(predicted_name);
    if p.is_empty() {
        return false;
    }
    let g = normalize_name(&gold.name);
    p == g || gold.aliases.iter().any(|a| normalize_name(a) == p) || (!g.is_empty() && format!(" {p} ").contains(&format!(" {g} ")))
}

fn speaker_name<'a>(article: &'a Article, id: Option<&str>) -> Option<&'a str> {
    let id = id?;
    article.entities.iter().find(|e| e.id == id).map(|e| e.name.as_str())
}

#[derive(Default)]
struct Counts {
    tp: usize,
    exact: usize,
    predicted: usize,
    gold: usize,
}

impl Counts {
    fn scores(&self) -> DetectionScores {
        DetectionScores {
            overlap: Prf::from_counts(self.tp, self.predicted, self.gold),
            exact: Prf::from_counts(self.exact, self.predicted, self.gold),
        }
    }
}

pub fn score(cases: &[EvalCase]) -> EvalReport {
    let mut direct = Counts::default();
    let mut indirect = Counts::default();
    let (mut attributed, mut attributed_right) = (0usize, 0usize);
    let mut gold_span_pairs = Vec::new();
    let mut e2e_pairs = Vec::new();
    let (mut gold_total, mut e2e_right) = (0usize, 0usize);
    for case in cases {
        let doc = Document::new(case.gold.text.as_str());
        for (gq, pred) in case.gold.quotes.iter().zip(case.gold_span_stances) {
            if let Some(g) = gq.stance {
                gold_span_pairs.push((g, *pred));
            }
        }
        gold_total += case.gold.quotes.len();
        for (kind, counts) in [(QuoteKind::Direct, &mut direct), (QuoteKind::Indirect, &mut indirect)] {
            let gold: Vec<&QuoteRecord> = case.gold.quotes.iter().filter(|q| q.kind == kind).collect();
            let pred: Vec<&QuoteRecord> = case.predicted.quotes.iter().filter(|q| q.kind == kind).collect();
            counts.gold += gold.len();
            counts.predicted += pred.len();
            for (g, p) in match_quotes(&doc, &gold, &pred) {
                let (gq, pq) = (gold[g], pred[p]);
                counts.tp += 1;
                if gq.start == pq.start && gq.end == pq.end {
                    counts.exact += 1;
                }
                let gold_entity = gq.speaker.as_deref().and_then(|id| case.gold.entities.iter().find(|e| e.id == id));
                let speaker_right = match gold_entity {
                    Some(entity) => {
                        attributed += 1;
                        let right = speaker_name(case.predicted, pq.speaker.as_deref()).is_some_and(|n| speaker_matches(n, entity));
                        attributed_right += right as usize;
                        right
                    }
                    None => pq.speaker.is_none(),
                };
                if let (Some(g), Some(p)) = (gq.stance, pq.stance) {
                    e2e_pairs.push((g, p));
                    if speaker_right && g == p {
                        e2e_right += 1;
                    }
                }
            }
        }
    }
    let all = Counts {
        tp: direct.tp + indirect.tp,
        exact: direct.exact + indirect.exact,
        predicted: direct.predicted + indirect.predicted,
        gold: direct.gold + indirect.gold,
    };
    EvalReport {
        articles: cases.len(),
        direct: direct.scores(),
        indirect: indirect.scores(),
        all_quotes: all.scores(),
        attribution_accuracy: if attributed == 0 { 0.0 } else { attributed_right as f64 / attributed as f64 },
        attribution_n: attributed,
        stance_gold_spans: StanceScoresReport::from_pairs(&gold_span_pairs),
        stance_end_to_end: StanceScoresReport::from_pairs(&e2e_pairs),
        end_to_end: if gold_total == 0 { 0.0 } else { e2e_right as f64 / gold_total as f64 },
        stance_baselines: BTreeMap::new(),
    }
}

/// One mistake of the pipeline on a gold article, for people to read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalError {
    pub article: String,
    /// `missed`, `spurious`, `speaker` or `stance`.
    pub error: &'static str,
    pub kind: QuoteKind,
    pub gold: Option<String>,
    pub predicted: Option<String>,
    pub quote: String,
}

/// Every missed and spurious quote, wrong speaker and wrong stance of the cases.
pub fn errors(cases: &[EvalCase]) -> Vec<EvalError> {
    let mut out = Vec::new();
    for case in cases {
        let doc = Document::new(case.gold.text.as_str());
        for kind in [QuoteKind::Direct, QuoteKind::Indirect] {
            let gold: Vec<&QuoteRecord> = case.gold.quotes.iter().filter(|q| q.kind == kind).collect();
            let pred: Vec<&QuoteRecord> = case.predicted.quotes.iter().filter(|q| q.kind == kind).collect();
            let pairs = match_quotes(&doc, &gold, &pred);
            let err = |error, gold: Option<String>, predicted: Option<String>, quote: &str| EvalError {
                article: case.gold.id.clone(),
                error,
                kind,
                gold,
                predicted,
                quote: quote.to_string(),
            };
            for (g, gq) in gold.iter().enumerate() {
                if !pairs.iter().any(|&(pg, _)| pg == g) {
                    out.push(err("missed", None, None, &gq.text));
                }
            }
            for (p, pq) in pred.iter().enumerate() {
                if !pairs.iter().any(|&(_, pp)| pp == p) {
                    out.push(err("spurious", None, None, &pq.text));
                }
            }
            for &(g, p) in &pairs {
                let (gq, pq) = (gold[g], pred[p]);
                let gold_entity = gq.speaker.as_deref().and_then(|id| case.gold.entities.iter().find(|e| e.id == id));
                let pred_name = speaker_name(case.predicted, pq.speaker.as_deref());
                if let Some(entity) = gold_entity {
                    if !pred_name.is_some_and(|n| speaker_matches(n, entity)) {
                        out.push(err("speaker", Some(entity.name.clone()), pred_name.map(String::from), &gq.text));
                    }
                }
                if gq.stance.is_some() && gq.stance != pq.stance {
                    let label = |l: Option<StanceLabel>| l.map(|l| l.as_str().to_string());
                    out.push(err("stance", label(gq.stance), label(pq.stance), &gq.text));
                }
            }
        }
    }
    out
}

impl EvalReport {
    /// The figures as `name → value`, the keys that floors refer to.
    pub fn figures(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for (kind, d) in [("direct", &self.direct), ("indirect", &self.indirect), ("all", &self.all_quotes)] {
            m.insert(format!("{kind}.precision"), d.overlap.precision);
            m.insert(format!("{kind}.recall"), d.overlap.recall);
            m.insert(format!("{kind}.f1"), d.overlap.f1);
            m.insert(format!("{kind}.exact_f1"), d.exact.f1);
        }
        m.insert("attribution.accuracy".into(), self.attribution_accuracy);
        m.insert("stance_gold_spans.macro_f1".into(), self.stance_gold_spans.macro_f1);
        m.insert("stance_gold_spans.accuracy".into(), self.stance_gold_spans.accuracy);
        m.insert("stance_end_to_end.macro_f1".into(), self.stance_end_to_end.macro_f1);
        m.insert("stance_end_to_end.accuracy".into(), self.stance_end_to_end.accuracy);
        // Floors are minimums, so the false-alarm rate enters as its complement.
        m.insert("stance_gold_spans.neutral_kept".into(), 1.0 - self.stance_gold_spans.false_alarm_rate);
        m.insert("stance_end_to_end.neutral_kept".into(), 1.0 - self.stance_end_to_end.false_alarm_rate);
        m.insert("end_to_end".into(), self.end_to_end);
        m
    }

    /// A plain-text table of all figures.
    pub fn table(&self) -> String {
        let mut s = format!("articles: {}\n\n", self.articles);
        s += &format!("{:<22} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6}\n", "quote detection", "precision", "recall", "F1", "exact F1", "gold", "pred");
        for (name, d) in [("direct", &self.direct), ("indirect", &self.indirect), ("all", &self.all_quotes)] {
            s += &format!(
                "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>6} {:>6}\n",
                name, d.overlap.precision, d.overlap.recall, d.overlap.f1, d.exact.f1, d.overlap.gold, d.overlap.predicted
            );
        }
        s += &format!("\nattribution accuracy   {:.3}  (over {} matched quotes with a gold speaker)\n", self.attribution_accuracy, self.attribution_n);
        for (name, st) in [("stance, gold spans", &self.stance_gold_spans), ("stance, end to end", &self.stance_end_to_end)] {
            s += &format!(
                "{:<22} macro-F1 {:.3}  accuracy {:.3}  (n={})  F1 support {:.3} oppose {:.3} neutral {:.3}  false alarms {:.3}\n",
                name,
                st.macro_f1,
                st.accuracy,
                st.n,
                st.per_label_f1["support"],
                st.per_label_f1["oppose"],
                st.per_label_f1["neutral"],
                st.false_alarm_rate
            );
        }
        for (name, st) in &self.stance_baselines {
            s += &format!("  baseline: {:<36} macro-F1 {:.3}  accuracy {:.3}\n", name, st.macro_f1, st.accuracy);
        }
        s += "  (false alarms: share of gold-neutral quotes given support or oppose)\n";
        for (name, st) in [("gold spans", &self.stance_gold_spans), ("end to end", &self.stance_end_to_end)] {
            s += &format!("\nconfusion, {name} (rows gold, columns predicted: support oppose neutral)\n");
            for label in StanceLabel::ALL {
                let row = st.confusion[label.index()];
                s += &format!("  {:<8} {:>7} {:>7} {:>7}\n", label.as_str(), row[0], row[1], row[2]);
            }
        }
        s += &format!("\nend to end (found, right speaker and stance): {:.3}\n", self.end_to_end);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_false_alarm_rate_counts_gold_neutral_quotes_given_a_stance() {
        use StanceLabel::*;
        let pairs = [(Neutral, Neutral), (Neutral, Support), (Neutral, Oppose), (Neutral, Neutral), (Support, Neutral), (Oppose, Oppose)];
        let report = StanceScoresReport::from_pairs(&pairs);
        assert_eq!(report.false_alarm_rate, 0.5, "2 of 4 gold-neutral quotes got a stance");
        assert_eq!(report.per_label_recall["support"], 0.0);
        assert_eq!(report.per_label_recall["oppose"], 1.0);
        assert_eq!(report.per_label_recall["neutral"], 0.5);
        assert_eq!(StanceScoresReport::from_pairs(&[(Support, Oppose)]).false_alarm_rate, 0.0, "no gold-neutral quotes, no false alarms");
    }
    use crate::article::{Entity, EntityType};

    fn quote(id: &str, kind: QuoteKind, text: &str, span: &str, speaker: Option<&str>, stance: StanceLabel) -> QuoteRecord {
        let start = text.find(span).unwrap();
        let start = text[..start].chars().count();
        QuoteRecord {
            id: id.into(),
            kind,
            start,
            end: start + span.chars().count(),
            text: span.into(),
            speaker: speaker.map(String::from),
            mention: None,
            cue: None,
            stance: Some(stance),
            stance_scores: None,
            sieve: None,
        }
    }

    fn entity(id: &str, name: &str, aliases: &[&str]) -> Entity {
        Entity { id: id.into(), name: name.into(), entity_type: EntityType::PER, aliases: aliases.iter().map(|a| a.to_string()).collect() }
    }

    #[test]
    fn overlap_ignores_punctuation_and_needs_half_the_tokens() {
        let doc = Document::new("He said the war will end soon, and then left.");
        let gold = Span::new(8, 29); // the war will end soon
        assert_eq!(overlap_f1(&doc, gold, Span::new(8, 30)), 1.0);
        assert!(overlap_f1(&doc, gold, Span::new(12, 15)) < 0.5); // war: 2*1/(5+1)
        assert!(overlap_f1(&doc, gold, Span::new(12, 20)) >= 0.5); // war will: 2*2/(5+2)
    }

    #[test]
    fn names_normalize_as_the_guidelines_say() {
        assert_eq!(normalize_name("The U.S. State Department"), "u s state department");
        let kerry = entity("kerry", "John Kerry", &["Mr Kerry"]);
        assert!(speaker_matches("Mr. Kerry", &kerry));
        assert!(speaker_matches("US Secretary of State John Kerry", &kerry));
        assert!(!speaker_matches("Kerry", &kerry));
        assert!(!speaker_matches("John Kerryson", &kerry));
    }

    #[test]
    fn scores_a_small_case_by_hand() {
        let text = "\"We will win,\" Kerry said. Zarif said strikes would fail. Noise here.";
        let gold = Article {
            id: "a".into(),
            title: String::new(),
            text: text.into(),
            url: None,
            date: None,
            source: None,
            entities: vec![entity("kerry", "John Kerry", &["Kerry"]), entity("zarif", "Javad Zarif", &["Zarif"])],
            quotes: vec![
                quote("q1", QuoteKind::Direct, text, "We will win,", Some("kerry"), StanceLabel::Support),
                quote("q2", QuoteKind::Indirect, text, "strikes would fail", Some("zarif"), StanceLabel::Oppose),
            ],
        };
        let mut predicted = gold.clone();
        predicted.entities = vec![entity("e1", "Kerry", &[])];
        predicted.quotes = vec![
            quote("q1", QuoteKind::Direct, text, "We will win", Some("e1"), StanceLabel::Support),
            quote("q2", QuoteKind::Direct, text, "Noise here", None, StanceLabel::Neutral),
        ];
        let stances = [StanceLabel::Support, StanceLabel::Neutral];
        let report = score(&[EvalCase { gold: &gold, predicted: &predicted, gold_span_stances: &stances }]);
        assert_eq!(report.direct.overlap, Prf::from_counts(1, 2, 1));
        assert_eq!(report.direct.exact.true_positives, 0);
        assert_eq!(report.indirect.overlap.recall, 0.0);
        assert_eq!(report.attribution_accuracy, 1.0);
        assert_eq!(report.stance_gold_spans.accuracy, 0.5);
        assert_eq!(report.stance_gold_spans.confusion[StanceLabel::Oppose.index()][StanceLabel::Neutral.index()], 1);
        assert_eq!(report.end_to_end, 0.5);
    }
}
