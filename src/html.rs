//! Self-contained HTML views: a labeled article with its quotes highlighted by
//! stance, and an eval report. No external assets: the pages work offline.

use crate::article::{Article, QuoteKind, QuoteRecord, StanceLabel};
use crate::eval::{EvalError, EvalReport};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The file name of an article's page: the id with anything but letters,
/// digits, `-`, `_` and `.` replaced by `_`, never hidden or empty.
pub fn page_file_name(id: &str) -> String {
    let s: String = id.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with('.') {
        format!("article{s}.html")
    } else {
        format!("{s}.html")
    }
}

pub(crate) const STYLE: &str = r#"
body { font-family: Georgia, 'Times New Roman', serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 12px 24px; background: #263238; color: #fff; font-family: sans-serif; }
header h1 { font-size: 20px; margin: 0 0 4px 0; }
.layout { display: flex; gap: 24px; padding: 16px 24px; align-items: flex-start; }
.article { flex: 3; white-space: pre-wrap; line-height: 1.7; background: #fff; padding: 16px 20px; border: 1px solid #ddd; }
aside { flex: 1; font-family: sans-serif; font-size: 13px; background: #fff; padding: 12px 16px; border: 1px solid #ddd; }
mark.q { background: none; padding: 1px 0; border-radius: 2px; cursor: help; }
mark.direct.stance-support { background: #c8e6c9; }
mark.direct.stance-oppose { background: #ffcdd2; }
mark.direct.stance-neutral { background: #e0e0e0; }
mark.indirect { background: none; border-bottom: 3px dotted; }
mark.indirect.stance-support { border-color: #2e7d32; color: #1b5e20; }
mark.indirect.stance-oppose { border-color: #c62828; color: #8e0000; }
mark.indirect.stance-neutral { border-color: #757575; color: #424242; }
.speaker-tag { font-family: sans-serif; font-size: 11px; background: #37474f; color: #fff; padding: 0 4px; border-radius: 3px; margin-right: 2px; white-space: nowrap; }
u.mention { text-decoration: underline 2px #1565c0; }
u.cue { text-decoration: underline wavy #6a1b9a; }
.legend span { display: inline-block; margin-right: 10px; font-family: sans-serif; font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
table { border-collapse: collapse; font-family: sans-serif; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #eceff1; }
.num { text-align: right; }
section { padding: 8px 24px; }
"#;

fn stance_class(label: Option<StanceLabel>) -> &'static str {
    match label {
        Some(StanceLabel::Support) => "stance-support",
        Some(StanceLabel::Oppose) => "stance-oppose",
        Some(StanceLabel::Neutral) => "stance-neutral",
        None => "stance-none",
    }
}

fn kind_name(kind: QuoteKind) -> &'static str {
    match kind {
        QuoteKind::Direct => "direct",
        QuoteKind::Indirect => "indirect",
    }
}

fn legend() -> String {
    let mut s = String::from("<div class=\"legend\">");
    for (class, label) in [("#c8e6c9", "support"), ("#ffcdd2", "oppose"), ("#e0e0e0", "neutral")] {
        let _ = write!(s, "<span><i class=\"swatch\" style=\"background:{class}\"></i>{label}</span>");
    }
    s += "<span>shaded: direct quote · dotted underline: indirect quote · <u class=\"mention\">mention</u> · <u class=\"cue\">cue</u> · hover a quote for its stance probabilities</span></div>";
    s
}

fn speaker_name<'a>(article: &'a Article, q: &QuoteRecord) -> &'a str {
    q.speaker.as_ref().and_then(|id| article.entities.iter().find(|e| &e.id == id)).map(|e| e.name.as_str()).unwrap_or("(unknown)")
}

fn tooltip(article: &Article, q: &QuoteRecord) -> String {
    let mut t = format!("{} quote by {}\nstance: {}", kind_name(q.kind), speaker_name(article, q), q.stance.map(|l| l.as_str()).unwrap_or("-"));
    if let Some(p) = q.stance_scores {
        let _ = write!(t, "\nsupport {:.2} · oppose {:.2} · neutral {:.2}", p.support, p.oppose, p.neutral);
    }
    if let Some(sieve) = &q.sieve {
        let _ = write!(t, "\nattributed by: {sieve}");
    }
    t
}

/// What covers a stretch of text: quotes (outermost first), and whether it is
/// a mention or a cue.
#[derive(Clone, PartialEq)]
struct Cover {
    quotes: Vec<usize>,
    mention: bool,
    cue: bool,
}

/// The article text with every quote highlighted, as one HTML page.
pub fn article_page(article: &Article) -> String {
    let chars: Vec<char> = article.text.chars().collect();
    let n = chars.len();
    // Quote order for nesting: longer (outer) spans first at equal starts.
    let mut order: Vec<usize> = (0..article.quotes.len()).collect();
    order.sort_by_key(|&i| (article.quotes[i].start, std::cmp::Reverse(article.quotes[i].end)));
    let mut cover: Vec<Cover> = vec![Cover { quotes: Vec::new(), mention: false, cue: false }; n];
    for &i in &order {
        let q = &article.quotes[i];
        for c in cover.iter_mut().take(q.end.min(n)).skip(q.start) {
            c.quotes.push(i);
        }
        for (span, is_mention) in [(&q.mention, true), (&q.cue, false)] {
            if let Some(s) = span {
                for c in cover.iter_mut().take(s.end.min(n)).skip(s.start) {
                    if is_mention {
                        c.mention = true;
                    } else {
                        c.cue = true;
                    }
                }
            }
        }
    }
    let mut body = String::new();
    let mut tagged = vec![false; article.quotes.len()];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && cover[j] == cover[i] {
            j += 1;
        }
        let seg: String = chars[i..j].iter().collect();
        let c = &cover[i];
        let mut open = String::new();
        let mut close = String::new();
        for &qi in &c.quotes {
            let q = &article.quotes[qi];
            if !tagged[qi] {
                tagged[qi] = true;
                let _ = write!(open, "<span class=\"speaker-tag\" data-for=\"{}\">{}</span>", escape(&q.id), escape(speaker_name(article, q)));
            }
            let _ = write!(
                open,
                "<mark class=\"q {} {}\" data-q=\"{}\" title=\"{}\">",
                kind_name(q.kind),
                stance_class(q.stance),
                escape(&q.id),
                escape(&tooltip(article, q))
            );
            close.insert_str(0, "</mark>");
        }
        if c.mention {
            open += "<u class=\"mention\">";
            close.insert_str(0, "</u>");
        }
        if c.cue {
            open += "<u class=\"cue\">";
            close.insert_str(0, "</u>");
        }
        body += &open;
        body += &escape(&seg);
        body += &close;
        i = j;
    }
    // Side list: each speaker with its quotes and stance counts.
    let mut side = String::from("<h2>Speakers</h2>");
    for e in &article.entities {
        let quotes: Vec<&QuoteRecord> = article.quotes.iter().filter(|q| q.speaker.as_deref() == Some(e.id.as_str())).collect();
        let count = |l: StanceLabel| quotes.iter().filter(|q| q.stance == Some(l)).count();
        let _ = write!(
            side,
            "<div class=\"speaker\" data-entity=\"{}\"><b>{}</b> ({:?}) — {} support, {} oppose, {} neutral<ul>",
            escape(&e.id),
            escape(&e.name),
            e.entity_type,
            count(StanceLabel::Support),
            count(StanceLabel::Oppose),
            count(StanceLabel::Neutral)
        );
        for q in quotes {
            let text: String = q.text.chars().take(120).collect();
            let _ = write!(side, "<li class=\"{}\">{} ({})</li>", stance_class(q.stance), escape(&text), q.stance.map(|l| l.as_str()).unwrap_or("-"));
        }
        side += "</ul></div>";
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>{title}</title><style>{STYLE}</style></head>\n<body><header><h1>{title}</h1>{id} · {nq} quotes · {ns} speakers {legend}</header>\n<div class=\"layout\"><div class=\"article\">{body}</div><aside>{side}</aside></div></body></html>\n",
        title = escape(if article.title.is_empty() { &article.id } else { &article.title }),
        id = escape(&article.id),
        nq = article.quotes.len(),
        ns = article.entities.len(),
        legend = legend(),
    )
}

/// The confusion matrix as an inline SVG heat map (rows gold, columns predicted).
fn confusion_svg(confusion: &[[usize; 3]; 3]) -> String {
    let max = confusion.iter().flatten().copied().max().unwrap_or(1).max(1);
    let cell = 70;
    let (left, top) = (90, 40);
    let mut s = format!("<svg width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"stance confusion matrix\">", left + 3 * cell + 10, top + 3 * cell + 30);
    let labels = StanceLabel::ALL.map(|l| l.as_str());
    for (k, l) in labels.iter().enumerate() {
        let _ = write!(s, "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" font-family=\"sans-serif\">{l}</text>", left + k * cell + cell / 2, top - 8);
        let _ = write!(s, "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" font-family=\"sans-serif\">{l}</text>", left - 8, top + k * cell + cell / 2 + 4);
    }
    for (g, row) in confusion.iter().enumerate() {
        for (p, &v) in row.iter().enumerate() {
            let shade = 255 - (200 * v / max) as u8;
            let _ = write!(
                s,
                "<rect class=\"cell\" data-gold=\"{}\" data-pred=\"{}\" x=\"{}\" y=\"{}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({shade},{shade},255)\" stroke=\"#fff\"/><text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"middle\" font-family=\"sans-serif\">{v}</text>",
                labels[g],
                labels[p],
                left + p * cell,
                top + g * cell,
                left + p * cell + cell / 2,
                top + g * cell + cell / 2 + 5
            );
        }
    }
    let _ = write!(s, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" font-family=\"sans-serif\">rows: gold · columns: predicted</text></svg>", left + 3 * cell / 2, top + 3 * cell + 20);
    s
}

/// The eval report: figures, confusion heat map, per-article rows, errors.
pub fn eval_page(report: &EvalReport, errors: &[EvalError], articles: &[String]) -> String {
    let mut figures = String::from("<table><tr><th>quote detection</th><th>precision</th><th>recall</th><th>F1</th><th>exact F1</th><th>gold</th><th>predicted</th></tr>");
    for (name, d) in [("direct", &report.direct), ("indirect", &report.indirect), ("all", &report.all_quotes)] {
        let _ = write!(
            figures,
            "<tr><td>{name}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            d.overlap.precision, d.overlap.recall, d.overlap.f1, d.exact.f1, d.overlap.gold, d.overlap.predicted
        );
    }
    figures += "</table><table style=\"margin-top:8px\"><tr><th>figure</th><th>value</th></tr>";
    let _ = write!(figures, "<tr><td>attribution accuracy (n={})</td><td class=\"num\">{:.3}</td></tr>", report.attribution_n, report.attribution_accuracy);
    for (name, st) in [("stance on gold spans", &report.stance_gold_spans), ("stance end to end", &report.stance_end_to_end)] {
        let _ = write!(figures, "<tr><td>{name}: macro-F1 (n={})</td><td class=\"num\">{:.3}</td></tr><tr><td>{name}: accuracy</td><td class=\"num\">{:.3}</td></tr>", st.n, st.macro_f1, st.accuracy);
    }
    let _ = write!(figures, "<tr><td>end to end (found, right speaker and stance)</td><td class=\"num\">{:.3}</td></tr></table>", report.end_to_end);

    // Per-article counts of each error kind.
    let mut per_article: BTreeMap<&str, [usize; 4]> = articles.iter().map(|a| (a.as_str(), [0; 4])).collect();
    for e in errors {
        let k = match e.error {
            "missed" => 0,
            "spurious" => 1,
            "speaker" => 2,
            _ => 3,
        };
        per_article.entry(e.article.as_str()).or_default()[k] += 1;
    }
    let mut rows = String::from("<table><tr><th>article</th><th>missed</th><th>spurious</th><th>wrong speaker</th><th>wrong stance</th></tr>");
    for (a, c) in &per_article {
        let _ = write!(rows, "<tr class=\"article-row\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>", escape(a), c[0], c[1], c[2], c[3]);
    }
    rows += "</table>";
    let mut list = String::from("<table><tr><th>article</th><th>error</th><th>kind</th><th>gold</th><th>predicted</th><th>quote</th></tr>");
    for e in errors {
        let _ = write!(
            list,
            "<tr class=\"error error-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.error,
            escape(&e.article),
            e.error,
            kind_name(e.kind),
            escape(e.gold.as_deref().unwrap_or("")),
            escape(e.predicted.as_deref().unwrap_or("")),
            escape(&e.quote)
        );
    }
    list += "</table>";
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>quotestance eval</title><style>{STYLE}</style></head>\n<body><header><h1>quotestance eval</h1>{n} articles</header>\n<section><h2>Figures</h2>{figures}</section>\n<section><h2>Stance confusion (gold spans)</h2>{svg}</section>\n<section><h2>Per article</h2>{rows}</section>\n<section><h2>Errors ({ne})</h2>{list}</section></body></html>\n",
        n = report.articles,
        svg = confusion_svg(&report.stance_gold_spans.confusion),
        ne = errors.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Entity, EntityType, StanceScores};

    fn sample(text: &str) -> Article {
        let start = text.find("We").unwrap();
        let end = start + "We will <win>".len();
        Article {
            id: "a<1>".into(),
            title: "T & <script>alert(1)</script>".into(),
            text: text.into(),
            url: None,
            date: None,
            source: None,
            entities: vec![Entity { id: "k".into(), name: "Kerry".into(), entity_type: EntityType::PER, aliases: vec![] }],
            quotes: vec![QuoteRecord {
                id: "q1".into(),
                kind: QuoteKind::Direct,
                start,
                end,
                text: text[start..end].into(),
                speaker: Some("k".into()),
                mention: None,
                cue: None,
                stance: Some(StanceLabel::Oppose),
                stance_scores: Some(StanceScores { support: 0.1, oppose: 0.8, neutral: 0.1 }),
                sieve: Some("explicit".into()),
            }],
        }
    }

    #[test]
    fn page_names_are_safe_file_names() {
        assert_eq!(page_file_name("seed-kerry_iran.v2"), "seed-kerry_iran.v2.html");
        assert_eq!(page_file_name("a/../b c"), "a_.._b_c.html");
        assert_eq!(page_file_name(".."), "article...html");
        assert_eq!(page_file_name(""), "article.html");
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let page = article_page(&sample("<script>x</script> \"We will <win>\", Kerry said."));
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(page.contains("T &amp; &lt;script&gt;"));
        assert!(page.contains("We will &lt;win&gt;"));
    }

    #[test]
    fn quotes_carry_stance_class_speaker_and_probabilities() {
        let page = article_page(&sample("\"We will <win>\", Kerry said."));
        assert!(page.contains("class=\"q direct stance-oppose\" data-q=\"q1\""), "{page}");
        assert!(page.contains("oppose 0.80"));
        assert!(page.contains("attributed by: explicit"));
        assert!(page.contains("<span class=\"speaker-tag\" data-for=\"q1\">Kerry</span>"));
    }

    #[test]
    fn pages_load_nothing_from_outside() {
        let page = article_page(&sample("\"We will <win>\", Kerry said."));
        let eval = eval_page(&EvalReport::default(), &[], &["a".into()]);
        assert!(eval.contains("<svg"));
        for p in [page, eval] {
            for needle in ["http:", "https:", "src=", "@import", "url(", "<link", "<script"] {
                assert!(!p.contains(needle), "page contains {needle}");
            }
        }
    }
}
