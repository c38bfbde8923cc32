//! `report`: who said what over time, before anyone reads a row. Reads
//! labeled articles (the JSON lines `label` writes) one at a time and keeps
//! only counts and the strongest quotes, so an archive of any size fits.
//!
//! Reads: labeled [`Article`]s. Writes: a [`StanceReport`]: counts of
//! support / oppose / neutral per speaker and per speaker type with their
//! shares, quotes per month by stance (all speakers and the top speakers), and
//! the strongest quotes of each side; as a text table and as a self-contained
//! HTML page with an inline SVG timeline.

use crate::article::{Article, StanceLabel};
use crate::html::escape;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;

/// Quotes per label, in [`StanceLabel::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StanceCounts(pub [usize; 3]);

impl StanceCounts {
    fn add(&mut self, label: StanceLabel) {
        self.0[label.index()] += 1;
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    pub fn get(&self, label: StanceLabel) -> usize {
        self.0[label.index()]
    }

    /// The share of a label among these quotes (0 when there are none).
    pub fn share(&self, label: StanceLabel) -> f64 {
        self.get(label) as f64 / self.total().max(1) as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeakerRow {
    pub name: String,
    /// `PER`, `ORG`, `GPE`, or `unattributed`.
    pub speaker_type: String,
    pub counts: StanceCounts,
}

/// A quote as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrongQuote {
    /// The probability of its label.
    pub probability: f32,
    pub quote: String,
    pub speaker: String,
    pub article_id: String,
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StanceReport {
    pub articles: usize,
    pub quotes: usize,
    /// Speakers by quote count, most first (ties by name).
    pub speakers: Vec<SpeakerRow>,
    pub speaker_types: BTreeMap<String, StanceCounts>,
    /// `YYYY-MM` → counts, every month from the first to the last dated quote.
    pub months: BTreeMap<String, StanceCounts>,
    /// The same per top speaker (the most quoted with dated quotes).
    pub speaker_months: Vec<(String, BTreeMap<String, StanceCounts>)>,
    /// Quotes in articles without a date, left out of the timeline.
    pub undated_quotes: usize,
    /// The most probable support and oppose quotes, strongest first.
    pub strongest: BTreeMap<String, Vec<StrongQuote>>,
}

/// How many speakers get their own timeline row, and strong quotes per side.
pub const TIMELINE_SPEAKERS: usize = 5;
pub const STRONGEST_PER_SIDE: usize = 10;

/// The report's running totals.
#[derive(Default)]
pub struct ReportBuilder {
    articles: usize,
    quotes: usize,
    speakers: HashMap<String, SpeakerRow>,
    months: HashMap<String, BTreeMap<String, StanceCounts>>,
    all_months: BTreeMap<String, StanceCounts>,
    undated: usize,
    strongest: [Vec<StrongQuote>; 2],
}

const UNATTRIBUTED: &str = "(unattributed)";

/// The name a person is counted under across articles: each article names
/// its speaker by its most complete form (`US Secretary of State John Kerry`,
/// `Secretary of State John Kerry`), so the report counts the last two name
/// words after any title (`John Kerry`). A surname alone (`President Obama`)
/// joins the one full name that ends in it, in [`ReportBuilder::finish`].
fn person_key(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let is_title = |w: &str| crate::lexicon::PERSON_TITLES.contains(&w.trim_end_matches('.').to_lowercase().as_str());
    let is_name_word = |w: &str| w.chars().next().is_some_and(char::is_uppercase) && !is_title(w);
    match words.as_slice() {
        [.., a, b] if is_name_word(a) && is_name_word(b) => format!("{a} {b}"),
        [.., b] if is_name_word(b) && words.len() > 1 && is_title(words[words.len() - 2]) => b.to_string(),
        _ => name.to_string(),
    }
}

impl ReportBuilder {
    pub fn add(&mut self, article: &Article) {
        self.articles += 1;
        let month = article.date.as_deref().filter(|d| d.len() >= 7).map(|d| d[..7].to_string());
        for q in &article.quotes {
            let Some(label) = q.stance else { continue };
            self.quotes += 1;
            let entity = q.speaker.as_ref().and_then(|id| article.entities.iter().find(|e| &e.id == id));
            let (name, ty) = entity.map_or((UNATTRIBUTED.to_string(), "unattributed".to_string()), |e| {
                let ty = format!("{:?}", e.entity_type);
                (if ty == "PER" { person_key(&e.name) } else { e.name.clone() }, ty)
            });
            self.speakers.entry(name.clone()).or_insert_with(|| SpeakerRow { name: name.clone(), speaker_type: ty, counts: StanceCounts::default() }).counts.add(label);
            match &month {
                Some(m) => {
                    self.all_months.entry(m.clone()).or_default().add(label);
                    self.months.entry(name.clone()).or_default().entry(m.clone()).or_default().add(label);
                }
                None => self.undated += 1,
            }
            if label != StanceLabel::Neutral {
                let probability = q.stance_scores.map_or(0.0, |p| if label == StanceLabel::Support { p.support } else { p.oppose });
                let side = &mut self.strongest[label.index()];
                side.push(StrongQuote { probability, quote: q.text.clone(), speaker: name, article_id: article.id.clone(), date: article.date.clone() });
                side.sort_by(|a, b| b.probability.total_cmp(&a.probability).then_with(|| a.article_id.cmp(&b.article_id)));
                side.truncate(STRONGEST_PER_SIDE);
            }
        }
    }

    pub fn finish(mut self) -> StanceReport {
        self.join_surnames();
        let mut speakers: Vec<SpeakerRow> = self.speakers.into_values().collect();
        speakers.sort_by(|a, b| b.counts.total().cmp(&a.counts.total()).then_with(|| a.name.cmp(&b.name)));
        let mut speaker_types: BTreeMap<String, StanceCounts> = BTreeMap::new();
        for s in &speakers {
            let t = speaker_types.entry(s.speaker_type.clone()).or_default();
            for (k, v) in s.counts.0.iter().enumerate() {
                t.0[k] += v;
            }
        }
        let months = fill_months(&self.all_months);
        let mut speaker_months = Vec::new();
        for s in speakers.iter().filter(|s| s.name != UNATTRIBUTED) {
            if speaker_months.len() == TIMELINE_SPEAKERS {
                break;
            }
            if let Some(m) = self.months.get(&s.name) {
                let filled = months.keys().map(|k| (k.clone(), m.get(k).copied().unwrap_or_default())).collect();
                speaker_months.push((s.name.clone(), filled));
            }
        }
        let [support, oppose] = self.strongest;
        let strongest = BTreeMap::from([("support".to_string(), support), ("oppose".to_string(), oppose)]);
        StanceReport { articles: self.articles, quotes: self.quotes, speakers, speaker_types, months, speaker_months, undated_quotes: self.undated, strongest }
    }
}

impl ReportBuilder {
    /// A one-word person (`Obama`, from `President Obama`) joins the one
    /// two-word person whose surname it is (`Barack Obama`); with none, or
    /// with two (`Kerry` beside `John Kerry` and `Mary Kerry`), it stays.
    fn join_surnames(&mut self) {
        let mut by_surname: HashMap<String, Vec<String>> = HashMap::new();
        for (key, row) in &self.speakers {
            if let (Some((_, surname)), "PER") = (key.split_once(' '), row.speaker_type.as_str()) {
                by_surname.entry(surname.to_string()).or_default().push(key.clone());
            }
        }
        let joins: Vec<(String, String)> = self
            .speakers
            .iter()
            .filter(|(key, row)| row.speaker_type == "PER" && !key.contains(' '))
            .filter_map(|(key, _)| match by_surname.get(key).map(Vec::as_slice) {
                Some([full]) => Some((key.clone(), full.clone())),
                _ => None,
            })
            .collect();
        for (short, full) in joins {
            let Some(row) = self.speakers.remove(&short) else { continue };
            let target = self.speakers.get_mut(&full).expect("listed above");
            for (k, v) in row.counts.0.iter().enumerate() {
                target.counts.0[k] += v;
            }
            if let Some(months) = self.months.remove(&short) {
                let into = self.months.entry(full.clone()).or_default();
                for (m, c) in months {
                    let t = into.entry(m).or_default();
                    for (k, v) in c.0.iter().enumerate() {
                        t.0[k] += v;
                    }
                }
            }
            for side in &mut self.strongest {
                for q in side.iter_mut().filter(|q| q.speaker == short) {
                    q.speaker = full.clone();
                }
            }
        }
    }
}

/// Every month from the first to the last, the missing ones at zero.
fn fill_months(months: &BTreeMap<String, StanceCounts>) -> BTreeMap<String, StanceCounts> {
    let parse = |m: &str| -> Option<(i32, u32)> { Some((m.get(..4)?.parse().ok()?, m.get(5..7)?.parse().ok()?)) };
    let (Some(first), Some(last)) = (months.keys().next().and_then(|m| parse(m)), months.keys().next_back().and_then(|m| parse(m))) else { return BTreeMap::new() };
    let mut out = BTreeMap::new();
    let (mut y, mut m) = first;
    // Bounded: a date typo (year 0201) must not make a million columns.
    while (y, m) <= last && out.len() < 1200 {
        let key = format!("{y:04}-{m:02}");
        out.insert(key.clone(), months.get(&key).copied().unwrap_or_default());
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// Reads labeled JSON lines; a line that is no labeled article is an error
/// naming its line.
pub fn read_jsonl(reader: impl BufRead, name: &str) -> Result<StanceReport> {
    let mut builder = ReportBuilder::default();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{name}: cannot read line {}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let article: Article = serde_json::from_str(&line).with_context(|| format!("{name} line {}: not a labeled article", i + 1))?;
        builder.add(&article);
    }
    Ok(builder.finish())
}

impl StanceReport {
    /// The terminal table: per speaker type, then the `top` most quoted speakers.
    pub fn table(&self, top: usize) -> String {
        let mut s = format!("{} articles, {} quotes with a stance\n\n", self.articles, self.quotes);
        let header = |first: &str| format!("{first:<40} {:>7} {:>15} {:>15} {:>15}\n", "quotes", "support", "oppose", "neutral");
        let row = |name: &str, c: &StanceCounts| {
            let cell = |l: StanceLabel| format!("{} ({:.0}%)", c.get(l), 100.0 * c.share(l));
            format!("{:<40} {:>7} {:>15} {:>15} {:>15}\n", truncate(name, 40), c.total(), cell(StanceLabel::Support), cell(StanceLabel::Oppose), cell(StanceLabel::Neutral))
        };
        s += &header("speaker type");
        for (t, c) in &self.speaker_types {
            s += &row(t, c);
        }
        s += "\n";
        s += &header("speaker");
        for sp in self.speakers.iter().take(top) {
            s += &row(&format!("{} ({})", sp.name, sp.speaker_type), &sp.counts);
        }
        if self.speakers.len() > top {
            let _ = writeln!(s, "… and {} more speakers (--top N)", self.speakers.len() - top);
        }
        s
    }

    /// The self-contained HTML page.
    pub fn html_page(&self, top: usize) -> String {
        let mut body = format!("<section><p class=\"summary\">{} articles · {} quotes with a stance · {} speakers</p></section>", self.articles, self.quotes, self.speakers.len());
        body += "<section><h2>Quotes per month by stance</h2>";
        if self.months.is_empty() {
            body += "<p class=\"no-timeline\">No article carries a date, so there is no timeline (articles take <code>date</code> from their JSON, their web page or their WARC record).</p>";
        } else {
            body += &timeline_svg(&self.months, &self.speaker_months);
            if self.undated_quotes > 0 {
                let _ = write!(body, "<p>{} quotes in undated articles are left out of the timeline.</p>", self.undated_quotes);
            }
        }
        body += "</section><section><h2>By speaker type</h2>";
        body += &counts_table("speaker type", self.speaker_types.iter().map(|(t, c)| (t.clone(), None, *c)), "types");
        body += "</section><section><h2>By speaker</h2>";
        body += &counts_table("speaker", self.speakers.iter().take(top).map(|s| (s.name.clone(), Some(s.speaker_type.clone()), s.counts)), "speakers");
        if self.speakers.len() > top {
            let _ = write!(body, "<p>… and {} more speakers.</p>", self.speakers.len() - top);
        }
        body += "</section>";
        for (side, quotes) in &self.strongest {
            let _ = write!(body, "<section><h2>Strongest {side} quotes</h2><ol class=\"strongest {side}\">");
            for q in quotes {
                let _ = write!(
                    body,
                    "<li><blockquote>{}</blockquote><span class=\"who\">{} · {} · {} · p={:.2}</span></li>",
                    escape(&q.quote),
                    escape(&q.speaker),
                    escape(&q.article_id),
                    escape(q.date.as_deref().unwrap_or("undated")),
                    q.probability
                );
            }
            if quotes.is_empty() {
                body += "<li>none</li>";
            }
            body += "</ol></section>";
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>Stance report</title><style>{}{REPORT_STYLE}</style></head>\n<body><header><h1>Stance report</h1>support · oppose · neutral toward the anti-IS coalition</header>\n{body}</body></html>\n",
            crate::html::STYLE
        )
    }
}

const REPORT_STYLE: &str = r#"
h2 { font-family: sans-serif; font-size: 16px; }
.summary { font-family: sans-serif; }
blockquote { margin: 4px 0; font-style: italic; }
.who { font-family: sans-serif; font-size: 12px; color: #555; }
ol.strongest li { margin-bottom: 8px; }
"#;

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

const COLORS: [(&str, StanceLabel); 3] = [("#2e7d32", StanceLabel::Support), ("#c62828", StanceLabel::Oppose), ("#9e9e9e", StanceLabel::Neutral)];

/// A table of counts and shares; rows are (name, type or `None`, counts).
fn counts_table(first: &str, rows: impl Iterator<Item = (String, Option<String>, StanceCounts)>, class: &str) -> String {
    let mut rows = rows.peekable();
    let typed = rows.peek().is_some_and(|r| r.1.is_some());
    let mut s = format!("<table class=\"{class}\"><tr><th>{first}</th>{}<th>quotes</th><th>support</th><th>oppose</th><th>neutral</th></tr>", if typed { "<th>type</th>" } else { "" });
    for (name, ty, c) in rows {
        let ty = ty.map(|t| format!("<td>{}</td>", escape(&t))).unwrap_or_default();
        let _ = write!(s, "<tr data-name=\"{}\"><td>{}</td>{ty}<td class=\"num\">{}</td>", escape(&name), escape(&name), c.total());
        for (_, label) in COLORS {
            let _ = write!(s, "<td class=\"num\" data-stance=\"{}\" data-count=\"{}\">{} ({:.0}%)</td>", label.as_str(), c.get(label), c.get(label), 100.0 * c.share(label));
        }
        s += "</tr>";
    }
    s + "</table>"
}

/// Stacked bars per month, one row for all speakers and one per top
/// speaker, each row scaled to its own busiest month; the months share at
/// most 1,000 px, so a decade fits the page as well as a season.
fn timeline_svg(months: &BTreeMap<String, StanceCounts>, speakers: &[(String, BTreeMap<String, StanceCounts>)]) -> String {
    let slot = (1000 / months.len().max(1)).clamp(2, 18);
    let (left, row_h, label_h) = (200usize, 70usize, 40usize);
    let (bar, gap) = (slot - slot / 4, slot / 4);
    let rows: Vec<(&str, &BTreeMap<String, StanceCounts>)> = std::iter::once(("all speakers", months)).chain(speakers.iter().map(|(n, m)| (n.as_str(), m))).collect();
    let width = (left + months.len() * (bar + gap) + 20).max(left + 260);
    let height = rows.len() * row_h + label_h + 30;
    let mut s = format!("<svg class=\"timeline\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"quotes per month by stance\" font-family=\"sans-serif\">");
    for (k, (_, label)) in COLORS.iter().enumerate() {
        let _ = write!(s, "<rect x=\"{}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"13\" font-size=\"11\">{}</text>", left + k * 80, COLORS[k].0, left + k * 80 + 14, label.as_str());
    }
    for (r, (name, counts)) in rows.iter().enumerate() {
        let base = 24 + (r + 1) * row_h;
        let max = counts.values().map(StanceCounts::total).max().unwrap_or(1).max(1);
        let _ = write!(
            s,
            "<g class=\"row\" data-speaker=\"{}\"><text x=\"4\" y=\"{}\" font-size=\"12\">{}</text><text x=\"4\" y=\"{}\" font-size=\"10\" fill=\"#666\">busiest month: {max}</text>",
            escape(name),
            base - row_h / 2,
            escape(&truncate(name, 28)),
            base - row_h / 2 + 14
        );
        for (i, (month, c)) in counts.iter().enumerate() {
            let x = left + i * (bar + gap);
            let mut y = base;
            for (color, label) in COLORS {
                let h = (row_h - 12) * c.get(label) / max;
                if c.get(label) > 0 {
                    y -= h.max(1);
                    let _ = write!(s, "<rect class=\"bar\" data-month=\"{month}\" data-stance=\"{}\" data-count=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{}\" fill=\"{color}\"><title>{month} {}: {}</title></rect>", label.as_str(), c.get(label), h.max(1), label.as_str(), c.get(label));
                }
            }
        }
        let _ = write!(s, "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#999\"/></g>", left + months.len() * (bar + gap));
    }
    let axis = 24 + rows.len() * row_h + 14;
    let step = months.len().div_ceil(24).max(1);
    for (i, month) in months.keys().enumerate().step_by(step) {
        let x = left + i * (bar + gap) + bar / 2;
        let _ = write!(s, "<text class=\"month\" x=\"{x}\" y=\"{axis}\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-45 {x} {axis})\">{month}</text>");
    }
    s + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: &str, date: Option<&str>, quotes: &[(&str, Option<&str>, StanceLabel, f32)]) -> Article {
        let entities: Vec<serde_json::Value> = ["Kerry", "Lavrov"].iter().map(|n| serde_json::json!({"id": n, "name": n, "type": "PER", "aliases": []})).collect();
        let text = "x".repeat(10 * quotes.len());
        let quotes: Vec<serde_json::Value> = quotes
            .iter()
            .enumerate()
            .map(|(i, (_, speaker, label, p))| {
                let rest = (1.0 - p) / 2.0;
                let probs = match label {
                    StanceLabel::Support => (*p, rest, rest),
                    StanceLabel::Oppose => (rest, *p, rest),
                    StanceLabel::Neutral => (rest, rest, *p),
                };
                serde_json::json!({"id": format!("q{i}"), "kind": "direct", "start": i * 10, "end": i * 10 + 10, "text": "x".repeat(10), "speaker": speaker,
                    "stance": label.as_str(), "stance_scores": {"support": probs.0, "oppose": probs.1, "neutral": probs.2}})
            })
            .collect();
        serde_json::from_value(serde_json::json!({"id": id, "text": text, "date": date, "entities": entities, "quotes": quotes})).unwrap()
    }

    #[test]
    fn counts_shares_months_and_strongest_quotes() {
        use StanceLabel::*;
        let mut b = ReportBuilder::default();
        b.add(&article("a", Some("2014-09-22"), &[("", Some("Kerry"), Support, 0.9), ("", Some("Kerry"), Neutral, 0.8), ("", None, Oppose, 0.6)]));
        b.add(&article("b", Some("2014-12-01T10:00:00Z"), &[("", Some("Lavrov"), Oppose, 0.95), ("", Some("Kerry"), Support, 0.7)]));
        b.add(&article("c", None, &[("", Some("Lavrov"), Neutral, 0.5)]));
        let r = b.finish();
        assert_eq!((r.articles, r.quotes, r.undated_quotes), (3, 6, 1));
        assert_eq!(r.speakers[0].name, "Kerry");
        assert_eq!(r.speakers[0].counts, StanceCounts([2, 0, 1]));
        assert!((r.speakers[0].counts.share(Support) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.speaker_types["PER"], StanceCounts([2, 1, 2]));
        assert_eq!(r.speaker_types["unattributed"], StanceCounts([0, 1, 0]));
        assert_eq!(r.months.keys().collect::<Vec<_>>(), ["2014-09", "2014-10", "2014-11", "2014-12"], "months between are filled");
        assert_eq!(r.months["2014-12"], StanceCounts([1, 1, 0]));
        assert_eq!(r.speaker_months.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["Kerry", "Lavrov"]);
        assert_eq!(r.speaker_months[1].1["2014-09"], StanceCounts::default());
        let support: Vec<f32> = r.strongest["support"].iter().map(|q| q.probability).collect();
        assert_eq!(support, [0.9, 0.7]);
        assert_eq!(r.strongest["oppose"][0].speaker, "Lavrov");
        let table = r.table(10);
        assert!(table.contains("Kerry (PER)") && table.contains("2 (67%)"), "{table}");
        let page = r.html_page(10);
        assert!(page.contains("<svg class=\"timeline\"") && page.contains("data-month=\"2014-12\""), "the timeline is drawn");
    }

    #[test]
    fn a_person_is_counted_under_one_name_across_articles() {
        for (name, key) in [
            ("US Secretary of State John Kerry", "John Kerry"),
            ("Secretary of State John Kerry", "John Kerry"),
            ("Army Col. Steve Warren", "Steve Warren"),
            ("President Obama", "Obama"),
            ("Kerry", "Kerry"),
            ("a senior State Department official", "a senior State Department official"),
        ] {
            assert_eq!(person_key(name), key, "{name}");
        }
        let mut b = ReportBuilder::default();
        let mut a = article("a", Some("2015-01-02"), &[("", Some("Kerry"), StanceLabel::Support, 0.9), ("", Some("Lavrov"), StanceLabel::Oppose, 0.9)]);
        a.entities[0].name = "President Barack Obama".into();
        a.entities[1].name = "President Obama".into();
        b.add(&a);
        let r = b.finish();
        assert_eq!(r.speakers.len(), 1, "{:?}", r.speakers);
        assert_eq!((r.speakers[0].name.as_str(), r.speakers[0].counts), ("Barack Obama", StanceCounts([1, 1, 0])));
        assert_eq!(r.speaker_months[0].1["2015-01"], StanceCounts([1, 1, 0]));
        assert_eq!(r.strongest["oppose"][0].speaker, "Barack Obama");
    }

    #[test]
    fn undated_archives_have_no_timeline_and_bad_lines_name_their_line() {
        let mut b = ReportBuilder::default();
        b.add(&article("a", None, &[("", Some("Kerry"), StanceLabel::Support, 0.9)]));
        let r = b.finish();
        assert!(r.months.is_empty() && r.speaker_months.is_empty());
        assert!(r.html_page(5).contains("no-timeline"));
        let err = read_jsonl(&b"{\"id\":\"a\",\"text\":\"x\"}\n\n{oops\n"[..], "in.jsonl").unwrap_err();
        assert!(format!("{err:#}").contains("in.jsonl line 3"), "{err:#}");
    }
}
