//! Fuzzes quote detection and attribution: any UTF-8 input must be analysed
//! without panicking, with every span inside the text and no overlapping spans
//! of one kind. Run: `cargo +nightly fuzz run detect` (see fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quotestance::article::QuoteKind;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (_, attribution) = quotestance::analyse(text);
    let n = text.chars().count();
    for kind in [QuoteKind::Direct, QuoteKind::Indirect] {
        let mut spans: Vec<_> = attribution.quotes.iter().filter(|q| q.quote.kind == kind).map(|q| q.quote.span).collect();
        spans.sort();
        for s in &spans {
            assert!(s.start < s.end && s.end <= n);
        }
        for w in spans.windows(2) {
            assert!(w[0].end <= w[1].start, "overlapping {kind:?} spans");
        }
    }
});
