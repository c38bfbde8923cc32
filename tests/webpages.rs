#![cfg(feature = "model")]
//! Web pages and web archives in, as archive users bring them: the 181 real
//! pages of the article-extraction benchmark (../shared/data/article-extraction)
//! as page files and as one gzipped WARC file built here the way Common Crawl
//! writes them (one gzip member per record, request and response records).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use warc::{BufferedBody, Record, RecordType, WarcHeader, WarcWriter};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quotestance"))
}

fn benchmark() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/article-extraction")
}

fn work(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("webpages-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (key, url, html) of every benchmark page, sorted by key.
fn pages() -> Vec<(String, String, Vec<u8>)> {
    let truth: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(benchmark().join("ground-truth.json")).unwrap()).unwrap();
    let mut out: Vec<_> = truth
        .iter()
        .map(|(key, v)| {
            let mut html = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(benchmark().join("html").join(format!("{key}.html.gz"))).unwrap()).read_to_end(&mut html).unwrap();
            (key.clone(), v["url"].as_str().unwrap().to_string(), html)
        })
        .collect();
    out.sort();
    out
}

fn gzip_member(record: &Record<BufferedBody>) -> Vec<u8> {
    let mut raw = Vec::new();
    WarcWriter::new(&mut raw).write(record).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    gz.finish().unwrap()
}

/// The benchmark pages as one `.warc.gz`, built once per test run.
fn benchmark_warc() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("benchmark.warc.gz");
        let mut out = Vec::new();
        for (i, (key, url, html)) in pages().iter().enumerate() {
            let request = format!("GET {url} HTTP/1.1\r\nHost: example\r\n\r\n");
            let mut response = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n", html.len()).into_bytes();
            response.extend_from_slice(html);
            for (ty, body, id) in [(RecordType::Request, request.into_bytes(), format!("req-{key}")), (RecordType::Response, response, key.clone())] {
                let mut record = Record::<BufferedBody>::with_body(body);
                record.set_warc_type(ty);
                record.set_warc_id(format!("<urn:sha256:{id}>"));
                record.set_header(WarcHeader::TargetURI, url.as_str()).unwrap();
                record.set_header(WarcHeader::Date, format!("2020-01-{:02}T12:00:00Z", 1 + i % 28)).unwrap();
                out.extend(gzip_member(&record));
            }
        }
        std::fs::write(&path, out).unwrap();
        path
    })
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

#[test]
fn a_warc_of_the_benchmark_pages_labels_end_to_end_and_resumes_after_sigkill() {
    let dir = work("kill");
    let warc = benchmark_warc();
    let full = dir.join("full.jsonl");
    let status = bin().arg("label").arg(warc).arg("--output").arg(&full).status().unwrap();
    assert_eq!(status.code(), Some(0));
    let articles: Vec<serde_json::Value> = lines(&full).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(articles.len(), 181, "every response record is an article");
    let keys: BTreeSet<String> = pages().into_iter().map(|(k, _, _)| format!("urn:sha256:{k}")).collect();
    assert_eq!(articles.iter().map(|a| a["id"].as_str().unwrap().to_string()).collect::<BTreeSet<_>>(), keys, "ids from WARC-Record-ID");
    let urls: BTreeSet<String> = pages().into_iter().map(|(_, u, _)| u).collect();
    assert!(articles.iter().all(|a| urls.contains(a["url"].as_str().unwrap())), "urls from WARC-Target-URI");
    assert!(articles.iter().all(|a| a["date"].as_str().is_some_and(|d| d.len() >= 10)), "every article dated");
    assert!(articles.iter().map(|a| a["quotes"].as_array().unwrap().len()).sum::<usize>() > 500, "the pages' quotes are found");

    let partial = dir.join("partial.jsonl");
    let mut child = bin().arg("label").arg(warc).arg("--output").arg(&partial).args(["--chunk", "1"]).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&partial).map(|s| s.lines().count()).unwrap_or(0) < 15 {
        assert!(start.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(lines(&partial).len() < 181, "killed before the end");
    let resumed = bin().arg("label").arg(warc).arg("--output").arg(&partial).arg("--resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(std::fs::read(&partial).unwrap(), std::fs::read(&full).unwrap(), "resumed output differs from an uninterrupted run");
}

#[test]
fn the_shards_of_a_warc_add_up_to_the_whole() {
    let dir = work("shards");
    let warc = benchmark_warc();
    let mut union = BTreeSet::new();
    let mut total = 0;
    for i in 0..3 {
        let out = dir.join(format!("shard{i}.jsonl"));
        let status = bin().arg("label").arg(warc).arg("--output").arg(&out).args(["--shard", &format!("{i}/3")]).stderr(Stdio::null()).status().unwrap();
        assert_eq!(status.code(), Some(0));
        let ids: BTreeSet<String> = lines(&out).iter().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string()).collect();
        assert!(!ids.is_empty() && ids.is_disjoint(&union), "shard {i} empty or overlapping");
        total += ids.len();
        union.extend(ids);
    }
    assert_eq!((total, union.len()), (181, 181));
}

#[test]
fn classify_reads_saved_pages_with_their_url_and_date() {
    let dir = work("pages");
    let (key, _, html) = pages().into_iter().find(|(_, url, _)| url.contains("venturebeat.com")).unwrap();
    std::fs::write(dir.join("saved.html"), &html).unwrap();
    std::fs::copy(benchmark().join("html").join(format!("{key}.html.gz")), dir.join("zipped.html.gz")).unwrap();
    let out = bin().arg("classify").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let articles: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(articles.iter().map(|a| a["id"].as_str().unwrap()).collect::<Vec<_>>(), ["saved", "zipped"]);
    assert_eq!(articles[0]["text"], articles[1]["text"], "gzipped or not, the same article");
    assert!(articles[0]["url"].as_str().unwrap().contains("venturebeat.com/2019/11/18"), "{}", articles[0]["url"]);
    assert_eq!(articles[0]["date"], "2019-11-19");
    let text = articles[0]["text"].as_str().unwrap();
    assert!(!text.contains("<div") && !text.contains("</p>"), "no markup left");

    // A WARC given to classify points to label; a page with no article is one clear error.
    let warc_out = bin().arg("classify").arg(benchmark_warc()).output().unwrap();
    assert!(String::from_utf8_lossy(&warc_out.stderr).contains("quotestance label"), "{}", String::from_utf8_lossy(&warc_out.stderr));
    std::fs::write(dir.join("empty.html"), "<html><body><nav>Home</nav></body></html>").unwrap();
    let bad = bin().arg("classify").arg(dir.join("empty.html")).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("empty.html: no article body"), "{}", String::from_utf8_lossy(&bad.stderr));
}
