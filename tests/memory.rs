#![cfg(feature = "model")]
//! Memory stays bounded by the encoder's window, not by the article: a 1 MB
//! article (some 250 copies of a seed article in one text) is classified
//! within 1 GB of peak resident memory. Before paragraphs were encoded a
//! window at a time, a 4 MB article peaked at 18.5 GB; `bench/memory.sh`
//! measures the 4 MB case with /usr/bin/time.
//!
//! The only test in its binary: the peak is read with getrusage over the
//! children this process waited for, so no other test may spawn any.

use std::path::Path;
use std::process::Command;

#[test]
fn a_one_megabyte_article_peaks_under_one_gigabyte() {
    let seed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed-kerry-iran-bbc.txt")).unwrap();
    let mut text = String::new();
    while text.len() < 1_000_000 {
        text.push_str(&seed);
        text.push_str("\n\n");
    }
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("memory-1mb.txt");
    std::fs::write(&file, &text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_quotestance")).arg("classify").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let copies = text.matches("Islamic State crisis: Kerry").count();
    assert!(article["quotes"].as_array().unwrap().len() >= 20 * copies, "every copy's quotes are found");
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) }, 0);
    let peak_mb = usage.ru_maxrss as f64 / 1024.0; // kilobytes on Linux
    assert!(peak_mb < 1024.0, "peak resident memory {peak_mb:.0} MB");
    assert!(peak_mb > 50.0, "the peak was read: {peak_mb:.0} MB");
}
