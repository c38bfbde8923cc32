//! `label`: labeled datasets from large archives. Streams articles from a
//! folder, a JSONL file or stdin, classifies them in chunks, and appends one
//! JSON line per article. Nothing is lost: every line is written whole, a
//! resumed run skips the ids already written, and an article that fails is
//! reported (stderr and an errors file) while the run goes on.

use crate::article::Article;
use crate::input::{article_files, load_article, webarchive, webpage, ArticleRecord, RecordError};
use crate::pipeline::Pipeline;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Where articles come from.
pub enum LabelInput {
    /// `.txt`, `.json` and web-page files of a folder.
    Dir(PathBuf),
    /// A web archive (`.warc`, `.warc.gz`): its HTML responses.
    Warc(PathBuf),
    /// One article per line: `{"id": ..., "text": ..., ...}`.
    Jsonl(PathBuf),
    /// JSON lines on standard input (Hadoop Streaming, Spark `RDD.pipe`).
    Stdin,
}

impl LabelInput {
    pub fn from_arg(arg: &str) -> Result<LabelInput> {
        if arg == "-" {
            return Ok(LabelInput::Stdin);
        }
        let path = PathBuf::from(arg);
        if path.is_dir() {
            Ok(LabelInput::Dir(path))
        } else if path.is_file() && webarchive::is_warc_path(&path) {
            Ok(LabelInput::Warc(path))
        } else if path.is_file() {
            Ok(LabelInput::Jsonl(path))
        } else {
            bail!("{arg}: no such file or directory")
        }
    }
}

pub struct LabelOptions {
    /// Output file; stdout when `None` (not for Parquet).
    pub output: Option<PathBuf>,
    pub format: LabelFormat,
    /// Errors JSONL file; default `<output>.errors.jsonl`, or none for stdout runs.
    pub errors: Option<PathBuf>,
    pub resume: bool,
    /// `(i, n)`: keep the articles whose id hashes to `i` modulo `n`.
    pub shard: Option<(u64, u64)>,
    /// Also write one HTML page per article here.
    pub html: Option<PathBuf>,
    /// Articles per classification chunk (bounds memory).
    pub chunk: usize,
    /// Longest article accepted, in chars.
    pub max_chars: usize,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LabelSummary {
    pub labeled: usize,
    pub skipped_resume: usize,
    pub skipped_shard: usize,
    pub failed: usize,
}

/// The stable hash that assigns an id to a shard.
pub fn id_hash(id: &str) -> u64 {
    crate::stable_hash(id)
}

/// Parses `I/N` (0 ≤ I < N).
pub fn parse_shard(s: &str) -> Result<(u64, u64)> {
    let (i, n) = s.split_once('/').with_context(|| format!("shard {s:?}: expected I/N, e.g. 0/4"))?;
    let (i, n): (u64, u64) = (i.trim().parse().with_context(|| format!("shard {s:?}: bad I"))?, n.trim().parse().with_context(|| format!("shard {s:?}: bad N"))?);
    if n == 0 || i >= n {
        bail!("shard {s:?}: need 0 <= I < N");
    }
    Ok((i, n))
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// Reads the ids already in an output file, and cuts off a torn last line (a
/// run killed mid-write) so that appending continues on a line boundary.
fn done_ids(path: &Path) -> Result<HashSet<String>> {
    let mut ids = HashSet::new();
    let Ok(mut file) = OpenOptions::new().read(true).write(true).open(path) else { return Ok(ids) };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).with_context(|| format!("{}: cannot read", path.display()))?;
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if whole < bytes.len() {
        file.set_len(whole as u64).with_context(|| format!("{}: cannot truncate the torn last line", path.display()))?;
        eprintln!("label: {}: dropped a torn last line ({} bytes)", path.display(), bytes.len() - whole);
    }
    for line in bytes[..whole].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Ok(rec) = serde_json::from_slice::<IdOnly>(line) {
            ids.insert(rec.id);
        }
    }
    file.seek(SeekFrom::End(0))?;
    Ok(ids)
}

/// Reads the article ids already in a CSV output. An article's rows go out
/// in one write, so only the last article can be torn: if the file does not
/// end on a whole row, that article's rows are cut off (it is labeled again).
fn done_ids_csv(path: &Path) -> Result<HashSet<String>> {
    let Ok(bytes) = std::fs::read(path) else { return Ok(HashSet::new()) };
    // Flexible, so that a torn row still parses far enough to name its article.
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(&bytes[..]);
    let width = reader.byte_headers().map_or(0, |h| h.len());
    let ends_line = |pos: u64| bytes.get((pos as usize).wrapping_sub(1)) == Some(&b'\n');
    let header_end = reader.position().byte();
    let mut ids = HashSet::new();
    let mut record = csv::ByteRecord::new();
    // Each article read, with the byte where its rows start.
    let mut starts: Vec<(String, u64)> = Vec::new();
    let mut whole = if width == crate::export::CSV_HEADER.len() && ends_line(header_end) { header_end } else { 0 };
    while whole > 0 {
        let start = reader.position().byte();
        let Ok(true) = reader.read_byte_record(&mut record) else { break };
        let id = String::from_utf8_lossy(record.get(0).unwrap_or_default()).into_owned();
        if starts.last().map_or(true, |(prev, _)| *prev != id) {
            starts.push((id.clone(), start));
        }
        if record.len() != width || !ends_line(reader.position().byte()) {
            break;
        }
        ids.insert(id);
        whole = reader.position().byte();
    }
    if (whole as usize) < bytes.len() {
        // Cut from the start of the article the tear fell in.
        let cut = match starts.last() {
            Some((id, start)) if whole > 0 => {
                ids.remove(id);
                *start
            }
            _ => 0,
        };
        let file = OpenOptions::new().write(true).open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        file.set_len(cut).with_context(|| format!("{}: cannot truncate the torn last article", path.display()))?;
        eprintln!("label: {}: cut off the torn last article ({} bytes)", path.display(), bytes.len() as u64 - cut);
    }
    Ok(ids)
}

fn check(article: Article, max_chars: usize) -> ArticleRecord {
    if article.text.trim().is_empty() {
        return Err(RecordError { id: article.id, reason: "empty text".into() });
    }
    let n = article.text.chars().count();
    if n > max_chars {
        return Err(RecordError { id: article.id, reason: format!("too long: {n} chars (limit {max_chars}, see --max-chars)") });
    }
    Ok(article)
}

/// Parses one JSONL line into an article record; `line_no` names it on failure.
fn parse_line(bytes: &[u8], line_no: usize) -> Option<ArticleRecord> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Some(Err(RecordError { id: format!("line {line_no}"), reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()) }));
        }
    };
    if text.trim().is_empty() {
        return None;
    }
    match Article::from_json(text) {
        Ok(a) => Some(Ok(a)),
        Err(e) => {
            // Name the record by its id if the line at least has one.
            let id = serde_json::from_str::<IdOnly>(text).map(|r| r.id).unwrap_or_else(|_| format!("line {line_no}"));
            Some(Err(RecordError { id, reason: format!("malformed article JSON: {e:#}") }))
        }
    }
}

/// Reads JSON lines as raw bytes (so one bad line is one error, not the end of the run).
struct JsonLines<R: BufRead> {
    reader: R,
    line_no: usize,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = ArticleRecord;
    fn next(&mut self) -> Option<ArticleRecord> {
        loop {
            let mut buf = Vec::new();
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {
                    self.line_no += 1;
                    if let Some(r) = parse_line(&buf, self.line_no) {
                        return Some(r);
                    }
                }
                Err(e) => return Some(Err(RecordError { id: format!("line {}", self.line_no + 1), reason: format!("read error: {e}") })),
            }
        }
    }
}

/// What `label` writes: the GUIDELINES JSON lines, or one row per quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LabelFormat {
    /// One article per line in the GUIDELINES.md shape (resumable).
    Jsonl,
    /// One row per quote, RFC 4180 (resumable: ids come from `article_id`).
    Csv,
    /// One row per quote, typed columns; the file is complete once the run
    /// ends (written to `<output>.partial`, then renamed), so no `--resume`.
    Parquet,
}

/// Where labeled articles go. Each article goes out in one `write` of the
/// unbuffered file (or one locked write to stdout), then is flushed, so a
/// killed run leaves whole articles behind (a torn last one is cut off on
/// resume).
enum Sink {
    Jsonl(Box<dyn Write>),
    Csv { out: Box<dyn Write>, header_written: bool },
    Parquet { rows: crate::export::ParquetSink<File>, partial: PathBuf, dest: PathBuf },
}

impl Sink {
    fn write_article(&mut self, article: &Article) -> Result<()> {
        match self {
            Sink::Jsonl(out) => {
                let mut line = serde_json::to_string(article)?;
                line.push('\n');
                out.write_all(line.as_bytes())?;
                out.flush()?;
            }
            Sink::Csv { out, header_written } => {
                out.write_all(&crate::export::csv_block(Some(article), !*header_written)?)?;
                out.flush()?;
                *header_written = true;
            }
            Sink::Parquet { rows, .. } => rows.write_article(article)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv { mut out, header_written } => {
                if !header_written {
                    out.write_all(&crate::export::csv_block(None, true)?)?;
                }
                out.flush()?;
            }
            Sink::Parquet { rows, partial, dest } => {
                rows.finish()?.sync_all().with_context(|| format!("{}: cannot write", partial.display()))?;
                std::fs::rename(&partial, &dest).with_context(|| format!("cannot rename {} to {}", partial.display(), dest.display()))?;
            }
        }
        Ok(())
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("{}: cannot open for appending", path.display()))
}

/// Runs `label`. Returns what it did; the caller turns failures into the exit code.
pub fn run(pipeline: &Pipeline, input: LabelInput, opts: &LabelOptions) -> Result<LabelSummary> {
    // Nothing lost: never overwrite an existing output unless resuming it.
    let done = match &opts.output {
        Some(_) if opts.resume && opts.format == LabelFormat::Parquet => {
            bail!("--resume reads JSONL or CSV output; a Parquet file is whole only once its run ends (label to JSONL or CSV to resume)")
        }
        Some(path) if opts.resume => match opts.format {
            LabelFormat::Csv => done_ids_csv(path)?,
            _ => done_ids(path)?,
        },
        Some(path) => {
            if path.metadata().map(|m| m.len() > 0).unwrap_or(false) {
                bail!("{}: output exists; use --resume to continue it, or remove it", path.display());
            }
            HashSet::new()
        }
        None if opts.resume => bail!("--resume needs --output FILE"),
        None if opts.format == LabelFormat::Parquet => bail!("--format parquet needs --output FILE"),
        None => HashSet::new(),
    };
    let mut sink = match (&opts.output, opts.format) {
        (Some(path), LabelFormat::Parquet) => {
            let partial = PathBuf::from(format!("{}.partial", path.display()));
            let file = File::create(&partial).with_context(|| format!("{}: cannot create", partial.display()))?;
            Sink::Parquet { rows: crate::export::ParquetSink::new(file)?, partial, dest: path.clone() }
        }
        (output, format) => {
            let out: Box<dyn Write> = match output {
                Some(path) => Box::new(open_append(path)?),
                None => Box::new(std::io::stdout()),
            };
            match format {
                LabelFormat::Csv => Sink::Csv { header_written: opts.resume && output.as_ref().is_some_and(|p| p.metadata().is_ok_and(|m| m.len() > 0)), out },
                _ => Sink::Jsonl(out),
            }
        }
    };
    let errors_path = opts.errors.clone().or_else(|| opts.output.as_ref().map(|p| PathBuf::from(format!("{}.errors.jsonl", p.display()))));
    let mut errors_file = match &errors_path {
        Some(p) => Some(open_append(p)?),
        None => None,
    };
    if let Some(dir) = &opts.html {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create directory", dir.display()))?;
    }

    // The record stream, with a size for the progress bar when one is known.
    let (records, total): (Box<dyn Iterator<Item = ArticleRecord>>, Option<u64>) = match input {
        LabelInput::Dir(dir) => {
            let files = article_files(&dir)?;
            let n = files.len() as u64;
            let it = files.into_iter().map(|p| {
                let id = if webpage::is_html_path(&p) { webpage::page_id(&p) } else { p.file_stem().unwrap_or_default().to_string_lossy().into_owned() };
                load_article(&p).map_err(|e| RecordError { id, reason: format!("{e:#}") })
            });
            (Box::new(it), Some(n))
        }
        LabelInput::Jsonl(path) => {
            let file = File::open(&path).with_context(|| format!("{}: cannot open", path.display()))?;
            (Box::new(JsonLines { reader: BufReader::new(file), line_no: 0 }), None)
        }
        LabelInput::Warc(path) => (Box::new(webarchive::articles(&path)?), None),
        LabelInput::Stdin => (Box::new(JsonLines { reader: BufReader::new(std::io::stdin()), line_no: 0 }), None),
    };

    let progress = if std::io::stderr().is_terminal() {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} articles {per_sec} eta {eta} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };

    let mut summary = LabelSummary::default();
    let report = |e: RecordError, summary: &mut LabelSummary, errors_file: &mut Option<File>| -> Result<()> {
        summary.failed += 1;
        eprintln!("label: {}: {}", e.id, e.reason);
        if let Some(f) = errors_file {
            f.write_all(format!("{}\n", serde_json::to_string(&e)?).as_bytes())?;
        }
        Ok(())
    };
    let mut chunk: Vec<Article> = Vec::with_capacity(opts.chunk);
    let mut seen: HashSet<String> = HashSet::new();
    let mut records = records;
    loop {
        let record = records.next();
        let end = record.is_none();
        if let Some(record) = record {
            match record.and_then(|a| check(a, opts.max_chars)) {
                Err(e) => report(e, &mut summary, &mut errors_file)?,
                Ok(a) => {
                    if opts.shard.is_some_and(|(i, n)| id_hash(&a.id) % n != i) {
                        summary.skipped_shard += 1;
                    } else if done.contains(&a.id) {
                        summary.skipped_resume += 1;
                    } else if !seen.insert(a.id.clone()) {
                        report(RecordError { id: a.id, reason: "duplicate id in this run".into() }, &mut summary, &mut errors_file)?;
                    } else {
                        chunk.push(a);
                    }
                }
            }
            if let Some(bar) = &progress {
                bar.inc(1);
            }
        }
        if chunk.len() >= opts.chunk.max(1) || (end && !chunk.is_empty()) {
            let labeled = match pipeline.classify(&chunk) {
                Ok(l) => l.into_iter().map(Ok).collect::<Vec<_>>(),
                // Isolate the failing article: classify the chunk one by one.
                Err(_) => chunk.iter().map(|a| pipeline.classify(std::slice::from_ref(a)).map(|mut v| v.remove(0))).collect(),
            };
            for (article, result) in chunk.iter().zip(labeled) {
                match result {
                    Ok(l) => {
                        sink.write_article(&l)?;
                        if let Some(dir) = &opts.html {
                            std::fs::write(dir.join(crate::html::page_file_name(&l.id)), crate::html::article_page(&l))?;
                        }
                        summary.labeled += 1;
                    }
                    Err(e) => report(RecordError { id: article.id.clone(), reason: format!("{e:#}") }, &mut summary, &mut errors_file)?,
                }
            }
            chunk.clear();
        }
        if end {
            break;
        }
    }
    sink.finish()?;
    if let Some(bar) = progress {
        bar.finish_with_message(format!("{} labeled, {} failed", summary.labeled, summary.failed));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_partition_the_ids() {
        assert_eq!(id_hash("seed-kerry-iran-bbc"), id_hash("seed-kerry-iran-bbc"));
        assert_eq!(id_hash(""), 0xcbf29ce484222325);
        let ids: Vec<String> = (0..200).map(|i| format!("article-{i}")).collect();
        let n = 4;
        let mut counts = [0; 4];
        for id in &ids {
            counts[(id_hash(id) % n) as usize] += 1;
        }
        assert_eq!(counts.iter().sum::<usize>(), 200);
        assert!(counts.iter().all(|&c| c > 20), "{counts:?}");
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err() && parse_shard("0/0").is_err());
    }

    #[test]
    fn bad_lines_become_errors_with_their_id() {
        let input = b"{\"id\":\"a\",\"text\":\"Fine.\"}\n\xff\xfe\n{\"id\":\"b\",\"text\":7}\n\n{not json\n".to_vec();
        let recs: Vec<ArticleRecord> = JsonLines { reader: BufReader::new(&input[..]), line_no: 0 }.collect();
        assert_eq!(recs.len(), 4);
        assert!(recs[0].is_ok());
        assert_eq!(recs[1].as_ref().unwrap_err().id, "line 2");
        assert!(recs[1].as_ref().unwrap_err().reason.contains("invalid UTF-8"));
        assert_eq!(recs[2].as_ref().unwrap_err().id, "b", "a malformed record with an id is named by it");
        assert_eq!(recs[3].as_ref().unwrap_err().id, "line 5");
        let empty = check(Article::from_text("e", "x".into()).unwrap(), 0).unwrap_err();
        assert!(empty.reason.contains("too long"));
    }

    #[test]
    fn csv_resume_cuts_the_torn_last_article_and_reads_ids() {
        let path = std::env::temp_dir().join(format!("qs-label-{}.csv", std::process::id()));
        let header = crate::export::CSV_HEADER.join(",");
        let row = |id: &str, q: &str| format!("{id},,,,{q},,,direct,,,,,\"a \"\"quote\"\"\nover lines\",0,5\n");
        let whole = format!("{header}\n{}{}{}", row("a", "q1"), row("b", "q1"), row("b", "q2"));
        std::fs::write(&path, format!("{whole}{}", &row("c", "q1")[..20])).unwrap();
        assert_eq!(done_ids_csv(&path).unwrap(), HashSet::from(["a".to_string(), "b".to_string()]));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole, "a torn new article is cut off");
        // Torn inside an article's block: the whole article goes.
        std::fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        assert_eq!(done_ids_csv(&path).unwrap(), HashSet::from(["a".to_string()]));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{header}\n{}", row("a", "q1")));
        // Whole files are left as they are; a torn header leaves nothing.
        assert_eq!(done_ids_csv(&path).unwrap().len(), 1);
        std::fs::write(&path, &header[..10]).unwrap();
        assert!(done_ids_csv(&path).unwrap().is_empty());
        assert_eq!(std::fs::read(&path).unwrap().len(), 0);
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn resume_drops_a_torn_line_and_reads_ids() {
        let path = std::env::temp_dir().join(format!("qs-label-{}.jsonl", std::process::id()));
        std::fs::write(&path, "{\"id\":\"a\",\"x\":1}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"te").unwrap();
        let ids = done_ids(&path).unwrap();
        assert_eq!(ids, HashSet::from(["a".to_string(), "b".to_string()]));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"id\":\"a\",\"x\":1}\n{\"id\":\"b\"}\n");
        std::fs::remove_file(path).ok();
    }
}
