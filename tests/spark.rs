#![cfg(feature = "model")]
//! `label` as a Spark RDD.pipe worker: Apache Spark in local mode (pyspark from
//! PyPI, installed by scripts/setup-test.sh) pipes the partitions of a JSONL
//! archive through `quotestance label -`, and the union of what the workers
//! write equals a single-process run, line for line.

use std::path::{Path, PathBuf};
use std::process::Command;

fn venv_python() -> PathBuf {
    quotestance::encoder::cache_dir().join("venv").join("bin").join("python")
}

#[test]
fn spark_pipe_workers_write_what_one_process_writes() {
    let python = venv_python();
    let probe = Command::new(&python).args(["-c", "import pyspark"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "pyspark is not installed in {}: run `bash scripts/setup-test.sh`",
        python.display()
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spark");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The gold articles as an archive of JSON lines.
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval").join("gold");
    let mut files: Vec<PathBuf> = std::fs::read_dir(gold).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut archive = String::new();
    for f in &files {
        let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        archive += &serde_json::to_string(&serde_json::json!({"id": a["id"], "title": a["title"], "text": a["text"]})).unwrap();
        archive.push('\n');
    }
    let input = dir.join("archive.jsonl");
    std::fs::write(&input, archive).unwrap();

    let single = dir.join("single.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_quotestance")).arg("label").arg(&input).arg("--output").arg(&single).status().unwrap();
    assert!(status.success());

    let spark_out = dir.join("spark.jsonl");
    let out = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("spark_pipe.py"))
        .arg(env!("CARGO_BIN_EXE_quotestance"))
        .arg(&input)
        .arg(&spark_out)
        .arg("4")
        .arg(std::env::var_os("QUOTESTANCE_MODEL_DIR").map(PathBuf::from).unwrap_or_else(quotestance::encoder::default_model_dir))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "spark job failed:\n{stderr}");
    assert!(stderr.contains("from 4 partitions"), "the job should have run 4 workers:\n{stderr}");

    let sorted = |p: &Path| {
        let mut v: Vec<String> = std::fs::read_to_string(p).unwrap().lines().map(String::from).collect();
        v.sort();
        v
    };
    let (one, many) = (sorted(&single), sorted(&spark_out));
    assert_eq!(one.len(), files.len());
    assert_eq!(many.len(), one.len(), "spark wrote {} lines, one process {}", many.len(), one.len());
    for (a, b) in one.iter().zip(&many) {
        assert_eq!(a, b, "a spark worker's line differs from the single run's");
    }
}
