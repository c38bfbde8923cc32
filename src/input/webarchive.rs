//! WARC in: every `response` record of a web archive (`.warc`, `.warc.gz`,
//! as Common Crawl and web archives hand them out) whose HTTP payload is an
//! HTML page becomes an article. Its id is the record's `WARC-Record-ID`, its
//! URL the `WARC-Target-URI`, its date the page's stated publication date, or
//! the `WARC-Date` of the capture when the page states none.
//!
//! Streams: a thread reads one record at a time (the `warc` crate's streaming
//! reader; gzip members through flate2), extracts its page and hands the
//! article over a channel of a few slots, so a multi-gigabyte archive never
//! sits in memory and extraction runs beside classification.
//!
//! Reads: a WARC file. Writes: a stream of [`ArticleRecord`]s.

use super::{webpage, ArticleRecord, RecordError};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver};
use warc::{RecordType, WarcHeader, WarcReader};

/// The largest record payload read; bigger ones (videos, archives) are
/// reported and skipped, so memory stays bounded whatever the archive holds.
pub const MAX_RECORD_BYTES: u64 = 32 << 20;

/// File names read as web archives.
pub fn is_warc_path(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    name.ends_with(".warc") || name.ends_with(".warc.gz")
}

/// The articles of a WARC file, read on a thread as they are consumed.
pub fn articles(path: &Path) -> Result<impl Iterator<Item = ArticleRecord>> {
    let file = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let gzipped = reader.fill_buf().with_context(|| format!("{}: cannot read", path.display()))?.starts_with(&[0x1f, 0x8b]);
    let stream: Box<dyn BufRead + Send> = if gzipped { Box::new(BufReader::with_capacity(1 << 20, flate2::bufread::MultiGzDecoder::new(reader))) } else { Box::new(reader) };
    let (tx, rx) = sync_channel::<ArticleRecord>(4);
    let name = path.display().to_string();
    std::thread::Builder::new()
        .name("warc-reader".into())
        .spawn(move || {
            let counts = read_records(stream, |record| tx.send(record).is_ok());
            if counts.records > 0 {
                eprintln!("{name}: {} WARC records, {} HTML responses read as articles, {} other records passed over", counts.records, counts.pages, counts.records - counts.pages);
            }
        })
        .context("cannot start the WARC reader thread")?;
    Ok(ReceiverIter(rx))
}

struct ReceiverIter(Receiver<ArticleRecord>);

impl Iterator for ReceiverIter {
    type Item = ArticleRecord;
    fn next(&mut self) -> Option<ArticleRecord> {
        self.0.recv().ok()
    }
}

#[derive(Debug, Default, PartialEq)]
struct Counts {
    records: usize,
    pages: usize,
}

/// Reads every record, handing each page's article (or the reason it could
/// not be read) to `emit`, until the stream ends or `emit` says stop.
fn read_records(stream: impl BufRead, mut emit: impl FnMut(ArticleRecord) -> bool) -> Counts {
    let mut reader = WarcReader::new(stream);
    let mut records = reader.stream_records();
    let mut counts = Counts::default();
    while let Some(item) = records.next_item() {
        counts.records += 1;
        let mut record = match item {
            Ok(r) => r,
            Err(e) => {
                // The reader cannot find the next record boundary after a
                // malformed header, so the rest of the file is lost: say so.
                emit(Err(RecordError { id: format!("WARC record {}", counts.records), reason: format!("malformed WARC record, reading stops here: {e}") }));
                break;
            }
        };
        if *record.warc_type() != RecordType::Response {
            continue;
        }
        let id = record.warc_id().trim_matches(|c| c == '<' || c == '>').to_string();
        let url = record.header(WarcHeader::TargetURI).map(|u| u.into_owned());
        let capture_date = record.date().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        if record.content_length() > MAX_RECORD_BYTES {
            emit(Err(RecordError { id, reason: format!("record of {} bytes skipped (limit {MAX_RECORD_BYTES})", record.content_length()) }));
            continue;
        }
        let mut payload = Vec::with_capacity(record.content_length() as usize);
        if let Err(e) = record.read_to_end(&mut payload) {
            emit(Err(RecordError { id, reason: format!("cannot read the record: {e}") }));
            break;
        }
        let html = match http_html_body(&payload) {
            Ok(Some(html)) => html,
            Ok(None) => continue,
            Err(e) => {
                if !emit(Err(RecordError { id, reason: format!("{e:#}") })) {
                    break;
                }
                continue;
            }
        };
        counts.pages += 1;
        let article = webpage::extract(&html, url.as_deref()).and_then(|mut page| {
            page.url = url.clone().or(page.url);
            page.date = page.date.or(Some(capture_date));
            webpage::to_article(&id, page)
        });
        if !emit(article.map_err(|e| RecordError { id, reason: format!("{e:#}") })) {
            break;
        }
    }
    counts
}

/// The body of an HTTP response that is a successful HTML page, decoded
/// (chunked transfer, gzip or deflate content); `None` for any other
/// response (a redirect, an image, a 404), which is no article.
fn http_html_body(payload: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    let body_start = match response.parse(payload) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => bail!("truncated HTTP headers"),
        Err(e) => bail!("malformed HTTP response: {e}"),
    };
    if !(200..300).contains(&response.code.unwrap_or(0)) {
        return Ok(None);
    }
    let header = |name: &str| response.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase());
    let content_type = header("content-type").unwrap_or_default();
    if !(content_type.contains("text/html") || content_type.contains("application/xhtml")) {
        return Ok(None);
    }
    let mut body = payload[body_start..].to_vec();
    if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        body = dechunk(&body)?;
    }
    match header("content-encoding").as_deref().map(str::trim) {
        None | Some("") | Some("identity") => {}
        Some("gzip") | Some("x-gzip") => body = inflate(flate2::read::MultiGzDecoder::new(&body[..]))?,
        Some("deflate") => body = inflate(flate2::read::ZlibDecoder::new(&body[..]))?,
        Some(other) => bail!("HTTP content encoding {other:?} is not supported"),
    }
    Ok(Some(body))
}

fn inflate(mut decoder: impl Read) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).context("broken compressed HTTP body")?;
    Ok(out)
}

/// Decodes a chunked HTTP body (RFC 9112 §7.1): hex size lines, each
/// followed by that many bytes, ending at a zero-size chunk.
fn dechunk(mut body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").context("broken chunked HTTP body: no chunk size line")?;
        let size_field = std::str::from_utf8(&body[..line_end]).unwrap_or("");
        let size_hex = size_field.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).with_context(|| format!("broken chunked HTTP body: chunk size {size_hex:?}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size {
            bail!("broken chunked HTTP body: chunk of {size} bytes, {} left", body.len());
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warc::{Record, WarcWriter};

    fn response(status: &str, content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
        let mut payload = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}\r\n").into_bytes();
        payload.extend_from_slice(body);
        payload
    }

    fn page(words: &str) -> String {
        let p = format!("<p>{words} The officials said the talks would go on for another week, with more ministers expected in Paris.</p>");
        format!("<html><head><title>Talks</title></head><body><article><h1>Talks go on</h1>{p}{p}{p}</article></body></html>")
    }

    fn warc_file(records: &[(RecordType, &str, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = WarcWriter::new(&mut out);
        for (ty, uri, payload) in records {
            let mut record = Record::<warc::BufferedBody>::with_body(payload.clone());
            record.set_warc_type(ty.clone());
            record.set_warc_id(format!("<urn:uuid:{uri}>"));
            record.set_header(WarcHeader::TargetURI, format!("https://example.com/{uri}")).unwrap();
            record.set_header(WarcHeader::ContentType, "application/http; msgtype=response").unwrap();
            writer.write(&record).unwrap();
        }
        drop(writer);
        out
    }

    fn read_all(bytes: &[u8]) -> (Vec<ArticleRecord>, Counts) {
        let mut out = Vec::new();
        let counts = read_records(bytes, |r| {
            out.push(r);
            true
        });
        (out, counts)
    }

    #[test]
    fn html_responses_become_articles_and_other_records_are_passed_over() {
        let bytes = warc_file(&[
            (RecordType::WarcInfo, "info", b"software: test\r\n".to_vec()),
            (RecordType::Response, "a", response("200 OK", "text/html; charset=utf-8", "", page("Alpha.").as_bytes())),
            (RecordType::Request, "req", b"GET / HTTP/1.1\r\n\r\n".to_vec()),
            (RecordType::Response, "img", response("200 OK", "image/png", "", b"\x89PNG")),
            (RecordType::Response, "moved", response("301 Moved Permanently", "text/html", "Location: /b\r\n", b"<html></html>")),
            (RecordType::Response, "b", response("200 OK", "text/html", "", page("Beta.").as_bytes())),
        ]);
        let (records, counts) = read_all(&bytes);
        assert_eq!(counts, Counts { records: 6, pages: 2 });
        let articles: Vec<_> = records.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(articles.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["urn:uuid:a", "urn:uuid:b"]);
        assert_eq!(articles[0].url.as_deref(), Some("https://example.com/a"));
        assert!(articles[1].text.contains("Beta. The officials said"), "{}", articles[1].text);
        // No date on the page: the capture's date stands in.
        assert!(articles[0].date.as_deref().is_some_and(|d| d.len() == 20 && d.ends_with('Z')), "{:?}", articles[0].date);
    }

    #[test]
    fn chunked_and_gzipped_bodies_are_decoded() {
        let html = page("Gamma.");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, html.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let (head, tail) = gz.split_at(10);
        let mut chunked = format!("{:x}\r\n", head.len()).into_bytes();
        chunked.extend_from_slice(head);
        chunked.extend_from_slice(format!("\r\n{:X};ext=1\r\n", tail.len()).as_bytes());
        chunked.extend_from_slice(tail);
        chunked.extend_from_slice(b"\r\n0\r\n\r\n");
        let payload = response("200 OK", "text/html", "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n", &chunked);
        assert_eq!(http_html_body(&payload).unwrap().unwrap(), html.as_bytes());
        assert!(dechunk(b"zz\r\nabc").unwrap_err().to_string().contains("chunk size"));
        assert!(dechunk(b"10\r\nabc").unwrap_err().to_string().contains("16 bytes"));
    }

    #[test]
    fn a_broken_record_is_reported_with_its_id() {
        let bytes = warc_file(&[
            (RecordType::Response, "bad", response("200 OK", "text/html", "Content-Encoding: br\r\n", b"xx")),
            (RecordType::Response, "empty", response("200 OK", "text/html", "", b"<html><body></body></html>")),
            (RecordType::Response, "c", response("200 OK", "text/html", "", page("Delta.").as_bytes())),
        ]);
        let (records, _) = read_all(&bytes);
        assert_eq!(records.len(), 3);
        let bad = records[0].as_ref().unwrap_err();
        assert_eq!(bad.id, "urn:uuid:bad");
        assert!(bad.reason.contains("\"br\""), "{}", bad.reason);
        assert!(records[1].as_ref().unwrap_err().reason.contains("no article body"));
        assert!(records[2].is_ok());
        // A torn file: what was read stays read, the tear is reported.
        let (records, _) = read_all(&bytes[..bytes.len() - 40]);
        assert!(records.last().unwrap().as_ref().is_err_and(|e| e.reason.contains("cannot read") || e.reason.contains("malformed")), "{records:?}");
    }
}
