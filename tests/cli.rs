#![cfg(feature = "model")]
//! The command line as a user meets it: bad input gives a one-line error that
//! names the file and the problem, with a non-zero exit and no panic; good
//! input gives valid GUIDELINES.md output.

mod common;

use common::assert_one_line_error;
use quotestance::article::Article;
use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quotestance"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qs-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}


#[test]
fn missing_file() {
    let out = bin().args(["classify", "/no/such/article.txt"]).output().unwrap();
    assert_one_line_error(&out, &["/no/such/article.txt", "no such file"]);
}

#[test]
fn directory_without_articles() {
    let dir = scratch("empty");
    std::fs::write(dir.join("notes.md"), "not an article").unwrap();
    let out = bin().args(["classify", dir.to_str().unwrap()]).output().unwrap();
    assert_one_line_error(&out, &[dir.to_str().unwrap(), "no articles"]);
}

#[test]
fn invalid_utf8() {
    let dir = scratch("utf8");
    let file = dir.join("bad.txt");
    std::fs::write(&file, b"Kerry said \xff\xfe it works.").unwrap();
    let out = bin().args(["classify", file.to_str().unwrap()]).output().unwrap();
    assert_one_line_error(&out, &["bad.txt", "invalid UTF-8 at byte 11"]);
}

#[test]
fn malformed_json() {
    let dir = scratch("json");
    let file = dir.join("broken.json");
    std::fs::write(&file, "{\"id\": \"x\", \"text\": ").unwrap();
    let out = bin().args(["classify", file.to_str().unwrap()]).output().unwrap();
    assert_one_line_error(&out, &["broken.json", "malformed article JSON"]);
}

#[test]
fn json_with_spans_outside_the_text() {
    let dir = scratch("spans");
    let file = dir.join("spans.json");
    std::fs::write(&file, r#"{"id":"x","text":"Hi.","quotes":[{"id":"q1","kind":"direct","start":0,"end":9,"text":"Hi.","speaker":null,"mention":null,"cue":null,"stance":null}]}"#).unwrap();
    let out = bin().args(["classify", file.to_str().unwrap()]).output().unwrap();
    assert_one_line_error(&out, &["spans.json", "outside the text"]);
}

#[test]
fn classify_writes_valid_guidelines_json_for_the_samples() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let out = bin().args(["classify", examples]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let articles: Vec<Article> = stdout.lines().map(|l| Article::from_json(l).unwrap()).collect();
    assert_eq!(articles.len(), 2);
    for a in &articles {
        assert!(!a.quotes.is_empty(), "{} has no quotes", a.id);
        for q in &a.quotes {
            let p = q.stance_scores.expect("stance scores");
            // Scores are rounded to 4 decimals: three roundings move the sum by at most 1.5e-4.
            assert!(((p.support + p.oppose + p.neutral) - 1.0).abs() < 2e-4);
            if let Some(s) = &q.speaker {
                assert!(a.entities.iter().any(|e| &e.id == s), "speaker {s} not in entities");
            }
        }
        assert!(a.quotes.windows(2).all(|w| w[0].start <= w[1].start), "quotes ordered by start");
    }
}

#[test]
fn csv_rows_equal_the_jsonl_quotes_one_for_one() {
    let dir = scratch("csv");
    // An article with a date, an outlet and a URL, beside the plain samples.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/seed-kerry-zarif-afp.txt")).unwrap();
    let dated = serde_json::json!({"id": "dated", "text": text, "date": "2014-09-22", "source": "AFP", "url": "https://example.org/afp"});
    std::fs::write(dir.join("dated.json"), dated.to_string()).unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let jsonl = bin().args(["classify", examples]).arg(&dir).output().unwrap();
    let csv = bin().args(["classify", examples]).arg(&dir).args(["--format", "csv"]).output().unwrap();
    assert!(jsonl.status.success() && csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
    let articles: Vec<Article> = String::from_utf8(jsonl.stdout).unwrap().lines().map(|l| Article::from_json(l).unwrap()).collect();
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), quotestance::export::CSV_HEADER);
    let rows: Vec<quotestance::export::QuoteRow> = reader.deserialize().collect::<Result<_, _>>().unwrap();
    let quotes: Vec<(&Article, &quotestance::article::QuoteRecord)> = articles.iter().flat_map(|a| a.quotes.iter().map(move |q| (a, q))).collect();
    assert_eq!(rows.len(), quotes.len());
    assert!(quotes.len() > 20);
    for (row, (a, q)) in rows.iter().zip(&quotes) {
        assert_eq!((&row.article_id, &row.quote_id, &row.quote, row.start, row.end), (&a.id, &q.id, &q.text, q.start, q.end));
        assert_eq!(row.stance.as_deref(), q.stance.map(|s| s.as_str()));
        assert_eq!(row.p_support, q.stance_scores.map(|p| p.support));
        let speaker = q.speaker.as_ref().map(|id| a.entities.iter().find(|e| &e.id == id).unwrap().name.clone());
        assert_eq!(row.speaker, speaker);
        assert_eq!(row.date.as_deref(), a.date.as_deref());
    }
    assert!(rows.iter().any(|r| r.date.as_deref() == Some("2014-09-22") && r.source.as_deref() == Some("AFP")), "the dated article's fields carry through");
}

#[test]
fn table_names_the_speakers_of_the_seed_article() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/seed-kerry-iran-bbc.txt");
    let out = bin().args(["classify", file, "--format", "table"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8(out.stdout).unwrap();
    for name in ["John Kerry", "Khamenei", "Zarif", "Hollande"] {
        assert!(table.contains(name), "table lacks {name}:\n{table}");
    }
}

#[test]
fn stdin_text_is_classified() {
    use std::io::Write;
    let mut child = bin()
        .args(["classify", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("\"We will destroy them,\" Mr Obama said.".as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let a = Article::from_json(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(a.quotes.len(), 1);
    assert_eq!(a.quotes[0].text, "We will destroy them,");
}

#[test]
fn polnear_floors_pass_at_the_committed_floors_and_fail_above_the_figures() {
    let polnear = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/polnear/train");
    let floors = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("eval/polnear-floors.json");
    let ok = bin().arg("bench-polnear").arg(&polnear).arg("--floors").arg(&floors).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let strict = scratch("polnear-floors").join("floors.json");
    std::fs::write(&strict, r#"{"source.accuracy": 0.999}"#).unwrap();
    let out = bin().arg("bench-polnear").arg(&polnear).arg("--floors").arg(&strict).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("source.accuracy"));
}

#[test]
fn ner_floors_fail_above_the_figures_and_name_the_figure() {
    // `make test` runs eval-ner at the committed floors (eval/ner-floors.json);
    // this checks that the gate can fail.
    let strict = scratch("ner-floors").join("floors.json");
    std::fs::write(&strict, r#"{"overall.f1": 0.5, "PER.f1": 0.999}"#).unwrap();
    let conll = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/conll2003");
    let out = bin().arg("eval-ner").arg("--data").arg(&conll).arg("--floors").arg(&strict).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PER.f1") && !stderr.contains("overall.f1"), "{stderr}");
}

#[test]
fn stance_curve_names_a_missing_head() {
    let out = bin().args(["stance-curve", "--stance-model", "/no/such/head"]).output().unwrap();
    assert_one_line_error(&out, &["/no/such/head/meta.json", "no such file", "train-stance"]);
}
