#![cfg(feature = "model")]
//! The tables people open: CSV and Parquet rows from `classify` and `label`
//! equal the JSONL quotes one for one, Parquet read back by pyarrow (the test
//! venv's, installed by scripts/setup-test.sh) with its typed columns, and a
//! CSV label run resumed after a tear ends as an uninterrupted one.

use quotestance::article::Article;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quotestance"))
}

fn work(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("exports-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The sample articles, plus one carrying a date, an outlet and a URL.
fn inputs(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, input.join(path.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(examples.join("seed-kerry-zarif-afp.txt")).unwrap();
    let dated = serde_json::json!({"id": "dated", "text": text, "date": "2014-09-22", "source": "AFP", "url": "https://example.org/afp"});
    std::fs::write(input.join("dated.json"), dated.to_string()).unwrap();
    input
}

fn pyarrow_rows(path: &Path) -> serde_json::Value {
    let python = quotestance::encoder::cache_dir().join("venv").join("bin").join("python");
    let script = r#"
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(json.dumps({"types": {f.name: str(f.type) for f in t.schema}, "rows": t.to_pylist()}))
"#;
    let out = Command::new(&python).arg("-c").arg(script).arg(path).output().unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup-test.sh)", python.display()));
    assert!(out.status.success(), "pyarrow: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn csv_and_parquet_rows_equal_the_jsonl_quotes_one_for_one() {
    let dir = work("rows");
    let input = inputs(&dir);
    let jsonl = bin().arg("classify").arg(&input).output().unwrap();
    assert!(jsonl.status.success(), "{}", String::from_utf8_lossy(&jsonl.stderr));
    let articles: Vec<Article> = String::from_utf8(jsonl.stdout).unwrap().lines().map(|l| Article::from_json(l).unwrap()).collect();
    let quotes: Vec<(&Article, &quotestance::article::QuoteRecord)> = articles.iter().flat_map(|a| a.quotes.iter().map(move |q| (a, q))).collect();
    assert!(quotes.len() > 20);

    let classify_parquet = dir.join("classify.parquet");
    let out = bin().arg("classify").arg(&input).args(["--format", "parquet"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&classify_parquet, out.stdout).unwrap();
    let label_parquet = dir.join("label.parquet");
    let status = bin().arg("label").arg(&input).args(["--format", "parquet", "-o"]).arg(&label_parquet).status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!dir.join("label.parquet.partial").exists(), "the partial file is renamed at the end");

    for path in [&classify_parquet, &label_parquet] {
        let table = pyarrow_rows(path);
        let types = &table["types"];
        for (column, ty) in [("article_id", "string"), ("date", "string"), ("p_support", "float"), ("p_neutral", "float"), ("start", "int64"), ("end", "int64"), ("quote", "string")] {
            assert_eq!(types[column], ty, "{}: column {column}", path.display());
        }
        let rows = table["rows"].as_array().unwrap();
        assert_eq!(rows.len(), quotes.len(), "{}", path.display());
        for (row, (a, q)) in rows.iter().zip(&quotes) {
            assert_eq!((row["article_id"].as_str(), row["quote_id"].as_str(), row["quote"].as_str()), (Some(a.id.as_str()), Some(q.id.as_str()), Some(q.text.as_str())));
            assert_eq!((row["start"].as_u64(), row["end"].as_u64()), (Some(q.start as u64), Some(q.end as u64)));
            assert_eq!(row["stance"].as_str(), q.stance.map(|s| s.as_str()));
            let p = q.stance_scores.unwrap();
            assert!((row["p_oppose"].as_f64().unwrap() - f64::from(p.oppose)).abs() < 1e-6);
            let speaker = q.speaker.as_ref().map(|id| a.entities.iter().find(|e| &e.id == id).unwrap().name.as_str());
            assert_eq!(row["speaker"].as_str(), speaker);
            assert_eq!(row["date"].as_str(), a.date.as_deref());
            assert_eq!(row["url"].as_str(), a.url.as_deref());
        }
        assert!(rows.iter().any(|r| r["source"] == "AFP" && r["date"] == "2014-09-22"), "the dated article's fields carry through");
    }

    // label's CSV is classify's CSV: the same rows, one header.
    let label_csv = dir.join("label.csv");
    assert_eq!(bin().arg("label").arg(&input).args(["--format", "csv", "-o"]).arg(&label_csv).status().unwrap().code(), Some(0));
    let classify_csv = bin().arg("classify").arg(&input).args(["--format", "csv"]).output().unwrap().stdout;
    assert_eq!(std::fs::read(&label_csv).unwrap(), classify_csv);
    let mut reader = csv::Reader::from_path(&label_csv).unwrap();
    assert_eq!(reader.records().count(), quotes.len());
}

#[test]
fn a_csv_label_run_torn_mid_article_resumes_to_the_uninterrupted_output() {
    let dir = work("csv-resume");
    let input = inputs(&dir);
    let full = dir.join("full.csv");
    assert_eq!(bin().arg("label").arg(&input).args(["--format", "csv", "-o"]).arg(&full).status().unwrap().code(), Some(0));
    let bytes = std::fs::read(&full).unwrap();
    // A tear two thirds in, mid-row, as a disk filling up would leave it.
    let torn = dir.join("torn.csv");
    std::fs::write(&torn, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let resumed = bin().arg("label").arg(&input).args(["--format", "csv", "--resume", "-o"]).arg(&torn).output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(stderr.contains("cut off the torn last article") && stderr.contains("skipped as already done"), "{stderr}");
    assert_eq!(std::fs::read(&torn).unwrap(), bytes, "resumed CSV differs from an uninterrupted run");
    // Parquet cannot be resumed, and says so.
    let parquet = bin().arg("label").arg(&input).args(["--format", "parquet", "--resume", "-o"]).arg(dir.join("x.parquet")).output().unwrap();
    assert_eq!(parquet.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&parquet.stderr).contains("Parquet file is whole only once"));
}
