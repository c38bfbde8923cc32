//! The file format of GUIDELINES.md "Files": one JSON object per article. Gold
//! files, prediction files and labeled datasets all use these types.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteKind {
    Direct,
    Indirect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StanceLabel {
    Support,
    Oppose,
    Neutral,
}

impl StanceLabel {
    /// The fixed order of labels in score vectors and model outputs.
    pub const ALL: [StanceLabel; 3] = [StanceLabel::Support, StanceLabel::Oppose, StanceLabel::Neutral];

    pub fn index(self) -> usize {
        match self {
            StanceLabel::Support => 0,
            StanceLabel::Oppose => 1,
            StanceLabel::Neutral => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StanceLabel::Support => "support",
            StanceLabel::Oppose => "oppose",
            StanceLabel::Neutral => "neutral",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityType {
    PER,
    ORG,
    GPE,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub entity_type: EntityType,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A span of the article's text with the text it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSpan {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteRecord {
    pub id: String,
    pub kind: QuoteKind,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub speaker: Option<String>,
    pub mention: Option<TextSpan>,
    pub cue: Option<TextSpan>,
    pub stance: Option<StanceLabel>,
    /// Probabilities of support, oppose, neutral (predictions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stance_scores: Option<StanceScores>,
    /// Which attribution rule decided the speaker (predictions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sieve: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StanceScores {
    pub support: f32,
    pub oppose: f32,
    pub neutral: f32,
}

impl StanceScores {
    pub fn from_probs(p: [f32; 3]) -> Self {
        StanceScores { support: p[0], oppose: p[1], neutral: p[2] }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
    /// Where the article was published, when the input says (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its publication date or time, ISO 8601 (`2014-09-22`,
    /// `2014-09-22T14:05:00Z`), when the input says (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The outlet (`Reuters`, `BBC News`), when the input says (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub quotes: Vec<QuoteRecord>,
}

impl Article {
    /// Reads one article: a `.json` file in the GUIDELINES shape, or any other
    /// file as plain UTF-8 text whose id is the file stem.
    pub fn load(path: &Path) -> Result<Article> {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read file", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!("{}: invalid UTF-8 at byte {}", path.display(), e.utf8_error().valid_up_to())
        })?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "json") {
            Article::from_json(&text).with_context(|| format!("{}: malformed article JSON", path.display()))
        } else {
            Article::from_text(&stem, text)
        }
    }

    /// An article from plain text; the first paragraph is taken as the title.
    pub fn from_text(id: &str, text: String) -> Result<Article> {
        if text.trim().is_empty() {
            bail!("{id}: article text is empty");
        }
        let title = text.trim_start().split("\n\n").next().unwrap_or("").trim().to_string();
        Ok(Article { id: id.to_string(), title, text, url: None, date: None, source: None, entities: Vec::new(), quotes: Vec::new() })
    }

    /// An article from its JSON object, checked for the invariants that the
    /// stages and the scorer rely on.
    pub fn from_json(json: &str) -> Result<Article> {
        let article: Article = serde_json::from_str(json)?;
        article.validate()?;
        Ok(article)
    }

    /// Checks that every span lies in the text and matches its `text` field.
    pub fn validate(&self) -> Result<()> {
        if self.text.trim().is_empty() {
            bail!("article {:?} has empty text", self.id);
        }
        if let Some(date) = &self.date {
            if !is_iso_8601(date) {
                bail!("article {:?}: date {date:?} is not ISO 8601 (2014-09-22 or 2014-09-22T14:05:00Z)", self.id);
            }
        }
        let n = self.text.chars().count();
        let check = |what: &str, start: usize, end: usize, text: &str| -> Result<()> {
            if start > end || end > n {
                bail!("{what} span {start}..{end} is outside the text ({n} chars)");
            }
            let actual: String = self.text.chars().skip(start).take(end - start).collect();
            if actual != text {
                bail!("{what} span {start}..{end} reads {actual:?}, not {text:?}");
            }
            Ok(())
        };
        for q in &self.quotes {
            check(&format!("quote {}", q.id), q.start, q.end, &q.text)?;
            if let Some(m) = &q.mention {
                check(&format!("quote {} mention", q.id), m.start, m.end, &m.text)?;
            }
            if let Some(c) = &q.cue {
                check(&format!("quote {} cue", q.id), c.start, c.end, &c.text)?;
            }
        }
        Ok(())
    }
}

/// Whether a date reads as ISO 8601: `YYYY-MM-DD` with a valid month and
/// day, optionally followed by `T` (or a space) and a time of day.
fn is_iso_8601(date: &str) -> bool {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 10 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' || !digits(8..10) {
        return false;
    }
    let number = |r: std::ops::Range<usize>| date[r].parse::<u32>().unwrap_or(0);
    let (month, day) = (number(5..7), number(8..10));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    match b.get(10) {
        None => true,
        Some(b'T' | b' ') => b.len() >= 16 && digits(11..13) && b[13] == b':' && digits(14..16) && number(11..13) < 24 && number(14..16) < 60,
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_iso_8601_and_url_date_source_round_trip() {
        for ok in ["2014-09-22", "2014-09-22T14:05:00Z", "2016-02-29T09:30:00+01:00", "2015-01-05 08:00"] {
            assert!(is_iso_8601(ok), "{ok}");
        }
        for bad in ["22/09/2014", "2014-13-01", "2014-09-32", "2014-9-22", "Sept. 22, 2014", "2014-09-22T25:00", "2014-09-22X"] {
            assert!(!is_iso_8601(bad), "{bad}");
        }
        let json = r#"{"id":"a","text":"Hi.","url":"https://example.org/a","date":"2014-09-22","source":"Reuters"}"#;
        let a: Article = serde_json::from_str(json).unwrap();
        a.validate().unwrap();
        assert_eq!((a.url.as_deref(), a.date.as_deref(), a.source.as_deref()), (Some("https://example.org/a"), Some("2014-09-22"), Some("Reuters")));
        let back = serde_json::to_string(&a).unwrap();
        assert!(back.contains(r#""date":"2014-09-22""#) && back.contains(r#""source":"Reuters""#), "{back}");
        let plain = serde_json::to_string(&Article::from_text("b", "Text.".into()).unwrap()).unwrap();
        assert!(!plain.contains("url") && !plain.contains("date"), "absent fields stay absent: {plain}");
        let mut bad = a.clone();
        bad.date = Some("22 Sept 2014".into());
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("not ISO 8601") && err.contains("\"a\""), "{err}");
    }

    const GOOD: &str = r#"{"id":"a","text":"«Oui», dit-il.","entities":[],
        "quotes":[{"id":"q1","kind":"direct","start":1,"end":4,"text":"Oui",
        "speaker":null,"mention":null,"cue":null,"stance":"neutral"}]}"#;

    #[test]
    fn reads_the_guidelines_shape() {
        let a = Article::from_json(GOOD).unwrap();
        assert_eq!(a.quotes[0].kind, QuoteKind::Direct);
        assert_eq!(a.quotes[0].stance, Some(StanceLabel::Neutral));
        let back = serde_json::to_string(&a).unwrap();
        assert_eq!(Article::from_json(&back).unwrap(), a);
    }

    #[test]
    fn rejects_spans_that_do_not_match_the_text() {
        let bad = GOOD.replace(r#""start":1"#, r#""start":0"#);
        let err = Article::from_json(&bad).unwrap_err().to_string();
        assert!(err.contains("quote q1"), "{err}");
        let outside = GOOD.replace(r#""end":4"#, r#""end":40"#);
        assert!(Article::from_json(&outside).is_err());
    }

    #[test]
    fn plain_text_takes_its_first_paragraph_as_title() {
        let a = Article::from_text("x", "Headline here\n\nBody.".into()).unwrap();
        assert_eq!(a.title, "Headline here");
        assert!(Article::from_text("x", " \n".into()).is_err());
    }
}
