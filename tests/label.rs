#![cfg(feature = "model")]
//! `label` as archive users run it: bad records are reported and skipped, a
//! run killed with SIGKILL and resumed writes exactly what an uninterrupted run
//! writes, and shards add up to the whole.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quotestance"))
}

fn work(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("label-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The gold articles as JSON lines (text only), plus three bad records.
fn archive(dir: &Path) -> PathBuf {
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval").join("gold");
    let mut files: Vec<PathBuf> = std::fs::read_dir(gold).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let line = serde_json::json!({"id": a["id"], "text": a["text"], "source": "gold"});
        out.extend(serde_json::to_vec(&line).unwrap());
        out.push(b'\n');
        if i == 3 {
            out.extend(b"{\"id\": \"bad-utf8\", \"text\": \"caf\xe9\"}\n");
            out.extend(b"{\"id\": \"empty\", \"text\": \"  \"}\n");
            out.extend(b"{\"id\": \"broken\", \"text\": \n");
        }
    }
    let path = dir.join("archive.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

#[test]
fn bad_records_are_reported_and_the_run_goes_on() {
    let dir = work("errors");
    let input = archive(&dir);
    let out = dir.join("out.jsonl");
    let status = bin().arg("label").arg(&input).arg("--output").arg(&out).status().unwrap();
    assert_eq!(status.code(), Some(2), "exit code 2 says some articles failed");
    assert_eq!(lines(&out).len(), 20);
    let errors = lines(&dir.join("out.jsonl.errors.jsonl"));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("invalid UTF-8") && errors[1].contains("\"empty\"") && errors[2].contains("malformed"), "{errors:?}");
    // Refuses to overwrite an existing output.
    let again = bin().arg("label").arg(&input).arg("--output").arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
}

#[test]
fn killed_and_resumed_run_equals_an_uninterrupted_one() {
    let dir = work("kill");
    let input = archive(&dir);
    let full = dir.join("full.jsonl");
    bin().arg("label").arg(&input).arg("--output").arg(&full).status().unwrap();

    // One article at a time (libtorch splitting each op over the cores)
    // before the kill, whole chunks side by side after it: the bytes must not
    // depend on which way an article went.
    let partial = dir.join("partial.jsonl");
    let mut child = bin().arg("label").arg(&input).arg("--output").arg(&partial).args(["--chunk", "1"]).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&partial).map(|s| s.lines().count()).unwrap_or(0) < 4 {
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let written = lines(&partial).len();
    assert!(written < 20, "killed before the end ({written} lines)");

    let resumed = bin().arg("label").arg(&input).arg("--output").arg(&partial).arg("--resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(stderr.contains("skipped as already done"), "{stderr}");
    assert_eq!(std::fs::read(&partial).unwrap(), std::fs::read(&full).unwrap(), "resumed output differs from an uninterrupted run");
}

#[test]
fn shards_through_stdin_add_up_to_the_whole() {
    let dir = work("shards");
    let input = archive(&dir);
    let whole = bin().arg("label").arg(&input).output().unwrap();
    let whole: BTreeSet<String> = String::from_utf8(whole.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(whole.len(), 20);
    let mut union = BTreeSet::new();
    let mut sizes = Vec::new();
    for i in 0..3 {
        let mut child = bin().args(["label", "-", "--shard", &format!("{i}/3")]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(&std::fs::read(&input).unwrap()).unwrap();
        let out = child.wait_with_output().unwrap();
        let part: BTreeSet<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
        sizes.push(part.len());
        assert!(part.is_disjoint(&union), "shards overlap");
        union.extend(part);
    }
    assert_eq!(union, whole, "shard sizes {sizes:?}");
}
