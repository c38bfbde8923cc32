//! Properties of detection and attribution on arbitrary input: no panics, spans
//! inside the text, no overlapping spans of one kind.

use proptest::prelude::*;
use quotestance::article::QuoteKind;
use quotestance::analyse;

/// Text built from the characters that steer the detector: quotation marks of
/// every style, apostrophes, sentence punctuation, paragraph breaks, cue words.
fn newsy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("“".to_string()),
        Just("”".to_string()),
        Just("‘".to_string()),
        Just("’".to_string()),
        Just("'".to_string()),
        Just("«".to_string()),
        Just("»".to_string()),
        Just(", ".to_string()),
        Just(". ".to_string()),
        Just(": ".to_string()),
        Just(" - ".to_string()),
        Just("\n\n".to_string()),
        Just("\n".to_string()),
        Just(" said ".to_string()),
        Just(" told reporters ".to_string()),
        Just("according to ".to_string()),
        Just(" that ".to_string()),
        Just("Mr Kerry".to_string()),
        Just(" he ".to_string()),
        Just("Iran's ".to_string()),
        Just("Q: ".to_string()),
        Just("SECRETARY KERRY: ".to_string()),
        "[a-zA-Zéü ]{1,12}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

fn check(text: &str) {
    let (doc, attribution) = analyse(text);
    let n = text.chars().count();
    for kind in [QuoteKind::Direct, QuoteKind::Indirect] {
        let mut spans: Vec<_> = attribution.quotes.iter().filter(|q| q.quote.kind == kind).map(|q| q.quote.span).collect();
        for s in &spans {
            assert!(s.start < s.end && s.end <= n, "span {s:?} outside text of {n} chars");
            // The slice goes through char offsets, so it is on char boundaries by construction;
            // check that it matches an independent char count.
            let expected: String = text.chars().skip(s.start).take(s.end - s.start).collect();
            assert_eq!(doc.slice(*s), expected);
        }
        spans.sort();
        for w in spans.windows(2) {
            assert!(w[0].end <= w[1].start, "{kind:?} spans overlap: {:?} {:?}", w[0], w[1]);
        }
    }
    for q in &attribution.quotes {
        if let Some(s) = q.speaker {
            assert!(s < attribution.speakers.len());
        }
        for span in [q.mention, q.cue].into_iter().flatten() {
            assert!(span.start <= span.end && span.end <= n);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_unicode_never_breaks_detection(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn newsy_text_never_breaks_detection(text in newsy_text()) {
        check(&text);
    }
}
