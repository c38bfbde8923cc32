//! Reading articles from the command line's arguments: files (plain text,
//! GUIDELINES JSON, web pages, web archives), directories of them, stdin.
//! Every error names the file and the problem in one line.

pub mod webarchive;
pub mod webpage;

use crate::article::Article;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A record of an archive that could not be read or labeled, named by its id
/// (or its line or record number when it has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordError {
    pub id: String,
    pub reason: String,
}

/// One record of a stream of articles.
pub type ArticleRecord = std::result::Result<Article, RecordError>;

/// Reads one article file: a web page (`.html`, `.htm`, gzipped or not), a
/// `.json` article in the GUIDELINES shape, or any other file as plain text.
pub fn load_article(path: &Path) -> Result<Article> {
    if webpage::is_html_path(path) {
        webpage::load(path)
    } else {
        Article::load(path)
    }
}

/// Whether a directory entry is an article file.
fn is_article_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "txt" || e == "json") || webpage::is_html_path(path)
}

/// The article files of a directory: `.txt`, `.json` and web pages, sorted by name.
pub fn article_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("{}: cannot read directory", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("{}: cannot read directory", dir.display()))?.path();
        if path.is_file() && is_article_file(&path) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{}: directory holds no articles (.txt, .json or .html files)", dir.display());
    }
    Ok(files)
}

/// Reads the articles that one argument names: `-` (stdin), a directory, or a file.
pub fn read_articles(arg: &str) -> Result<Vec<Article>> {
    if arg == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).context("stdin: cannot read")?;
        return parse_stdin(bytes);
    }
    let path = Path::new(arg);
    if !path.exists() {
        bail!("{arg}: no such file or directory");
    }
    if path.is_dir() {
        return article_files(path)?.iter().map(|p| load_article(p)).collect();
    }
    if webarchive::is_warc_path(path) {
        bail!("{arg}: a web archive: `quotestance label {arg}` reads it, streaming, with --resume and --shard");
    }
    Ok(vec![load_article(path)?])
}

/// Stdin holds one JSON article, JSON lines of articles, or plain text.
fn parse_stdin(bytes: Vec<u8>) -> Result<Vec<Article>> {
    let text = String::from_utf8(bytes).map_err(|e| anyhow!("stdin: invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()))?;
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return Ok(vec![Article::from_text("stdin", text).context("stdin")?]);
    }
    if let Ok(article) = Article::from_json(trimmed) {
        return Ok(vec![article]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| Article::from_json(line).with_context(|| format!("stdin line {}: malformed article JSON", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_accepts_text_json_and_json_lines() {
        let one = parse_stdin(b"Plain text.\n\nMore.".to_vec()).unwrap();
        assert_eq!((one[0].id.as_str(), one[0].title.as_str()), ("stdin", "Plain text."));
        let json = parse_stdin(br#"{"id":"x","text":"Hi."}"#.to_vec()).unwrap();
        assert_eq!(json[0].id, "x");
        let lines = parse_stdin(b"{\"id\":\"a\",\"text\":\"A.\"}\n{\"id\":\"b\",\"text\":\"B.\"}\n".to_vec()).unwrap();
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn stdin_errors_name_the_problem() {
        let err = parse_stdin(vec![b'a', 0xff]).unwrap_err().to_string();
        assert!(err.contains("invalid UTF-8"), "{err}");
        let err = format!("{:#}", parse_stdin(b"{\"id\":1}\n{bad".to_vec()).unwrap_err());
        assert!(err.contains("stdin line 1"), "{err}");
    }
}
