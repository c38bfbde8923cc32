//! Web pages in: a saved HTML page (or the payload of a WARC record) becomes an
//! article: its title and body paragraphs, and its URL, publication date and
//! outlet where the page states them. Navigation, ads, comments and other
//! boilerplate are left out.
//!
//! The extraction is rs-trafilatura's (a Rust port of trafilatura), picked by
//! measurement on the article-extraction benchmark (`quotestance
//! bench-extract`, 181 real pages): mean F1 0.957, against 0.951 for
//! dom_smoothie (a port of Readability.js); see README "Web pages".
//!
//! Reads: HTML bytes in the charset the page declares. Writes: [`WebPage`], and
//! from it an [`Article`] whose text is the title, then the body paragraphs,
//! separated by blank lines (GUIDELINES.md "Files").

use crate::article::Article;
use anyhow::{anyhow, bail, Context, Result};
use std::io::Read;
use std::path::Path;

/// What a page holds once its boilerplate is gone.
#[derive(Debug, Clone, PartialEq)]
pub struct WebPage {
    pub title: Option<String>,
    /// Body paragraphs separated by blank lines.
    pub body: String,
    pub url: Option<String>,
    /// Publication date as the page states it, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The outlet's name (`og:site_name` and the like).
    pub source: Option<String>,
}

/// File names read as web pages: `.html`, `.htm`, and either gzipped.
pub fn is_html_path(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    [".html", ".htm", ".html.gz", ".htm.gz"].iter().any(|ext| name.ends_with(ext))
}

/// The article id of a page file: its name without `.html`/`.htm` and `.gz`.
pub fn page_id(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lower = name.to_lowercase();
    let stem_len = [".html.gz", ".htm.gz", ".html", ".htm"].iter().find(|ext| lower.ends_with(*ext)).map_or(name.len(), |ext| name.len() - ext.len());
    name[..stem_len].to_string()
}

/// The bytes of a page file, gunzipped when it is gzipped.
pub fn read_page_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read file", path.display()))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut html = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut html).with_context(|| format!("{}: broken gzip", path.display()))?;
        return Ok(html);
    }
    Ok(bytes)
}

/// Extracts a page's article. `url` is where the page came from, when known
/// (a WARC record says); the page's own canonical URL wins over it.
pub fn extract(html: &[u8], url: Option<&str>) -> Result<WebPage> {
    let options = rs_trafilatura::Options { url: url.map(String::from), ..Default::default() };
    let result = rs_trafilatura::extract_bytes_with_options(html, &options).map_err(|e| anyhow!("article extraction failed: {e}"))?;
    let meta = result.metadata;
    let body = normalize_paragraphs(&result.content_text);
    if body.is_empty() {
        bail!("no article body found in the page");
    }
    let clean = |s: Option<String>| s.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty());
    Ok(WebPage {
        title: clean(meta.title),
        body,
        url: clean(meta.url).or_else(|| url.map(String::from)),
        date: meta.date.map(|d| d.format("%Y-%m-%d").to_string()).filter(|d| is_plausible_publication_date(d)),
        source: clean(meta.sitename),
    })
}

/// Whether a page's date can be when it was published: from 1900 to next
/// year. The extractor falls back to `0001-01-01` when a page's date field
/// does not parse (as on some Gannett pages), which would start a timeline
/// two thousand years early.
fn is_plausible_publication_date(date: &str) -> bool {
    let this_year = 1970 + std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 31_556_952) as i64;
    date.get(..4).and_then(|y| y.parse::<i64>().ok()).is_some_and(|y| (1900..=this_year + 1).contains(&y))
}

/// Paragraphs trimmed and separated by exactly one blank line; lines inside a
/// paragraph kept (a line break ends a sentence for the document model).
fn normalize_paragraphs(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| p.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n"))
        .filter(|p| !p.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

/// The article of a page: the title as its first paragraph (unless the body
/// already opens with it), then the body.
pub fn to_article(id: &str, page: WebPage) -> Result<Article> {
    let text = match &page.title {
        Some(title) if !page.body.starts_with(title.as_str()) => format!("{title}\n\n{}", page.body),
        _ => page.body.clone(),
    };
    let mut article = Article::from_text(id, text)?;
    article.url = page.url;
    article.date = page.date;
    article.source = page.source;
    article.validate()?;
    Ok(article)
}

/// Reads one page file as an article, its id from the file name.
pub fn load(path: &Path) -> Result<Article> {
    let html = read_page_file(path)?;
    let page = extract(&html, None).with_context(|| path.display().to_string())?;
    to_article(&page_id(path), page).with_context(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Kerry says coalition will hold | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2014-09-22T14:05:00Z">
<link rel="canonical" href="https://news.example.com/kerry-coalition">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<div class="ad">Buy one, get one free! Subscribe today for special offers.</div>
<article><h1>Kerry says coalition will hold</h1>
<p>US Secretary of State John Kerry said on Monday that the coalition against the Islamic State group would hold together, despite the strains of the past weeks.</p>
<p>"We are united in this fight," Kerry told reporters in New York, after a meeting with the foreign ministers of the Gulf states that have joined the air campaign.</p>
<p>Officials said more countries were expected to join the effort in the coming days, though none would say which ones had agreed to send aircraft.</p>
</article>
<footer>Copyright 2014 Example News. All rights reserved. Privacy policy. Terms of use.</footer>
</body></html>"#;

    #[test]
    fn a_page_becomes_its_title_and_paragraphs_without_boilerplate() {
        let page = extract(PAGE.as_bytes(), None).unwrap();
        assert!(page.body.contains("\"We are united in this fight,\" Kerry told reporters"), "{}", page.body);
        assert_eq!(page.body.split("\n\n").filter(|p| p.starts_with("Officials said") || p.starts_with("US Secretary")).count(), 2, "{}", page.body);
        for boilerplate in ["Subscribe today", "Copyright 2014", "Home"] {
            assert!(!page.body.contains(boilerplate), "{boilerplate:?} left in: {}", page.body);
        }
        assert_eq!(page.date.as_deref(), Some("2014-09-22"));
        assert_eq!(page.url.as_deref(), Some("https://news.example.com/kerry-coalition"));
        let article = to_article("p", page).unwrap();
        assert!(article.title.contains("Kerry says coalition will hold"), "{}", article.title);
        assert_eq!(article.source.as_deref(), Some("Example News"));
    }

    #[test]
    fn a_page_without_an_article_is_an_error_not_an_empty_article() {
        let err = extract(b"<html><body><nav><a href='/'>Home</a></nav></body></html>", None).unwrap_err();
        assert!(err.to_string().contains("no article body"), "{err}");
    }

    #[test]
    fn page_files_are_named_by_their_stem() {
        assert!(is_html_path(Path::new("a/b.HTML")) && is_html_path(Path::new("x.htm.gz")) && !is_html_path(Path::new("x.txt")));
        assert_eq!(page_id(Path::new("dir/abc.html.gz")), "abc");
        assert_eq!(page_id(Path::new("dir/page.v2.htm")), "page.v2");
    }

    #[test]
    fn an_unparsed_date_is_no_date() {
        assert!(is_plausible_publication_date("2014-09-22") && is_plausible_publication_date("1999-12-31"));
        assert!(!is_plausible_publication_date("0001-01-01") && !is_plausible_publication_date("2999-01-01"));
    }

    #[test]
    fn paragraphs_are_separated_by_one_blank_line() {
        assert_eq!(normalize_paragraphs("  One.\r\n\r\n\r\n\n Two\n  still two. \n\n"), "One.\n\nTwo\nstill two.");
    }
}
