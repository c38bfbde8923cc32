//! Helpers the command-line test binaries share.

use std::process::Output;

/// A user-facing failure: exit code 1 (a panic exits 101), nothing on
/// stdout, and one line on stderr starting `error: ` that holds every string
/// of `must_contain`.
pub fn assert_one_line_error(out: &Output, must_contain: &[&str]) {
    assert!(!out.status.success(), "expected failure");
    assert_eq!(out.status.code(), Some(1), "a panic exits 101: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "no output on failure: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for s in must_contain {
        assert!(err.contains(s), "{err:?} lacks {s:?}");
    }
}
