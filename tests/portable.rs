#![cfg(feature = "model")]
//! The binary runs anywhere: copied alone into an empty folder it needs only
//! the MiniLM weights (the heads are built in), refuses a head trained for
//! another encoder with one line naming the difference, and ends quietly when
//! its reader closes the pipe.

mod common;

use common::assert_one_line_error;
use quotestance::config::PipelineConfig;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("portable-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model_dir() -> PathBuf {
    PipelineConfig::from_env().unwrap().model_dir
}

#[test]
fn a_copied_binary_in_an_empty_folder_gives_the_checkouts_output() {
    let article = checkout().join("examples/seed-kerry-iran-bbc.txt");
    let at_home = Command::new(env!("CARGO_BIN_EXE_quotestance")).arg("classify").arg(&article).current_dir(checkout()).output().unwrap();
    assert!(at_home.status.success(), "{}", String::from_utf8_lossy(&at_home.stderr));

    let away = scratch("copy");
    let bin = away.join("quotestance");
    std::fs::copy(env!("CARGO_BIN_EXE_quotestance"), &bin).unwrap();
    // Only the MiniLM folder is named; no QUOTESTANCE_STANCE_DIR or _NER_DIR,
    // no HOME to find a cache by, and the checkout is nowhere near.
    let copied = Command::new(&bin)
        .arg("classify")
        .arg(&article)
        .current_dir(&away)
        .env_clear()
        .env("QUOTESTANCE_MODEL_DIR", model_dir())
        .env("LD_LIBRARY_PATH", checkout().join(".libtorch/lib"))
        .output()
        .unwrap();
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    assert!(!copied.stdout.is_empty());
    assert_eq!(String::from_utf8(copied.stdout).unwrap(), String::from_utf8(at_home.stdout).unwrap());
}

/// A copy of a committed head whose meta.json contract has one field changed.
fn head_with_contract(kind: &str, field: &str, value: serde_json::Value) -> PathBuf {
    let dir = scratch(&format!("{kind}-{field}"));
    for entry in std::fs::read_dir(checkout().join("models").join(kind)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let meta_path = dir.join("meta.json");
    let mut meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["contract"][field] = value;
    std::fs::write(&meta_path, serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    dir
}

fn classify_with(flag: &str, head: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quotestance"))
        .arg("classify")
        .arg(checkout().join("examples/seed-kerry-iran-bbc.txt"))
        .arg(flag)
        .arg(head)
        .output()
        .unwrap()
}


#[test]
fn a_head_trained_at_another_precision_or_layer_is_refused_in_one_line() {
    let f32_stance = head_with_contract("stance", "encoder_precision", "f32".into());
    assert_one_line_error(&classify_with("--stance-model", &f32_stance), &["meta.json", "trained on f32 encoder states but the encoder runs at int8"]);
    let layer_ner = head_with_contract("ner", "layer", 6.into());
    assert_one_line_error(&classify_with("--ner-model", &layer_ner), &["meta.json", "reads encoder layer 6 but this build gives it layer 3"]);
    let mut blocks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(checkout().join("models/stance/meta.json")).unwrap()).unwrap();
    let reordered = {
        let features = blocks["contract"]["features"].as_array_mut().unwrap();
        features.swap(0, 1);
        serde_json::Value::Array(features.clone())
    };
    let swapped = head_with_contract("stance", "features", reordered);
    assert_one_line_error(&classify_with("--stance-model", &swapped), &["feature blocks paragraph[384] quote[384]"]);
    // The environment names a head as the flag does.
    let out = Command::new(env!("CARGO_BIN_EXE_quotestance"))
        .arg("classify")
        .arg(checkout().join("examples/seed-kerry-iran-bbc.txt"))
        .env("QUOTESTANCE_NER_DIR", &layer_ner)
        .output()
        .unwrap();
    assert_one_line_error(&out, &["reads encoder layer 6"]);
}

#[test]
fn a_closed_pipe_ends_the_run_quietly_with_exit_0() {
    // Enough copies that the output outgrows the pipe's buffer, so writes
    // meet the closed pipe (`quotestance classify … | head -1`).
    let dir = scratch("pipe");
    let text = std::fs::read_to_string(checkout().join("examples/seed-kerry-iran-bbc.txt")).unwrap();
    for i in 0..12 {
        std::fs::write(dir.join(format!("copy{i:02}.txt")), &text).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_quotestance"))
        .arg("classify")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is gone: the pipe is closed.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nothing printed on a closed pipe");
}
