//! The lexicon of communication cues (`said`, `told reporters`, `according to`)
//! that both quote detection and attribution read. It is a shared resource, not
//! a stage: it finds cue words in a document and says nothing about quotes.
//!
//! Reads: the [`Document`]. Writes: [`Cue`]s (span, lemma, kind), handed to
//! detection and attribution alike.

use crate::document::{Document, Span, TokenKind};

/// Verbs whose clause complement reports speech (GUIDELINES.md "What is a quote"),
/// with all their inflected forms. Beliefs and intentions (think, hope, want) are
/// deliberately absent.
const SPEECH_VERBS: &[(&str, &[&str])] = &[
    ("say", &["say", "says", "said", "saying"]),
    ("tell", &["tell", "tells", "told", "telling"]),
    ("add", &["add", "adds", "added", "adding"]),
    ("warn", &["warn", "warns", "warned", "warning"]),
    ("insist", &["insist", "insists", "insisted", "insisting"]),
    ("announce", &["announce", "announces", "announced", "announcing"]),
    ("claim", &["claim", "claims", "claimed", "claiming"]),
    ("argue", &["argue", "argues", "argued", "arguing"]),
    ("note", &["note", "notes", "noted", "noting"]),
    ("state", &["stated", "stating"]),
    ("declare", &["declare", "declares", "declared", "declaring"]),
    ("deny", &["deny", "denies", "denied", "denying"]),
    ("confirm", &["confirm", "confirms", "confirmed", "confirming"]),
    ("stress", &["stress", "stresses", "stressed", "stressing"]),
    ("reveal", &["reveal", "reveals", "revealed", "revealing"]),
    ("vow", &["vow", "vows", "vowed", "vowing"]),
    ("write", &["write", "writes", "wrote", "writing", "written"]),
    ("tweet", &["tweet", "tweets", "tweeted", "tweeting"]),
    ("explain", &["explain", "explains", "explained", "explaining"]),
    ("acknowledge", &["acknowledge", "acknowledges", "acknowledged", "acknowledging"]),
    ("admit", &["admit", "admits", "admitted", "admitting"]),
    ("assert", &["assert", "asserts", "asserted", "asserting"]),
    ("allege", &["allege", "alleges", "alleged", "alleging"]),
    ("caution", &["caution", "cautions", "cautioned", "cautioning"]),
    ("complain", &["complain", "complains", "complained", "complaining"]),
    ("concede", &["concede", "concedes", "conceded", "conceding"]),
    ("contend", &["contend", "contends", "contended", "contending"]),
    ("emphasise", &["emphasise", "emphasises", "emphasised", "emphasising", "emphasize", "emphasizes", "emphasized", "emphasizing"]),
    ("predict", &["predict", "predicts", "predicted", "predicting"]),
    ("promise", &["promise", "promises", "promised", "promising"]),
    ("pledge", &["pledge", "pledges", "pledged", "pledging"]),
    ("reiterate", &["reiterate", "reiterates", "reiterated", "reiterating"]),
    ("reply", &["reply", "replies", "replied", "replying"]),
    ("report", &["report", "reports", "reported", "reporting"]),
    ("suggest", &["suggest", "suggests", "suggested", "suggesting"]),
    ("threaten", &["threaten", "threatens", "threatened", "threatening"]),
    ("maintain", &["maintain", "maintains", "maintained", "maintaining"]),
    ("assure", &["assure", "assures", "assured", "assuring"]),
    ("boast", &["boast", "boasts", "boasted", "boasting"]),
    ("counter", &["countered", "countering"]),
    ("retort", &["retort", "retorts", "retorted", "retorting"]),
    ("agree", &["agreed", "agrees"]),
    ("recall", &["recall", "recalls", "recalled", "recalling"]),
    ("remark", &["remark", "remarks", "remarked", "remarking"]),
    ("indicate", &["indicate", "indicates", "indicated", "indicating"]),
    ("urge", &["urge", "urges", "urged", "urging"]),
    ("ask", &["ask", "asks", "asked", "asking"]),
    ("describe", &["describe", "describes", "described", "describing"]),
    ("call", &["call", "calls", "called", "calling"]),
    ("accuse", &["accuse", "accuses", "accused", "accusing"]),
    ("dismiss", &["dismiss", "dismisses", "dismissed", "dismissing"]),
    ("mock", &["mock", "mocks", "mocked", "mocking"]),
    ("praise", &["praise", "praises", "praised", "praising"]),
    ("condemn", &["condemn", "condemns", "condemned", "condemning"]),
    ("continue", &["continued", "continues"]),
    ("quip", &["quip", "quips", "quipped", "quipping"]),
    ("joke", &["joked", "joking"]),
    ("respond", &["responded"]),
    ("answer", &["answered", "answers"]),
    ("conclude", &["conclude", "concludes", "concluded", "concluding"]),
    ("charge", &["charged", "charging"]),
    ("observe", &["observe", "observes", "observed", "observing"]),
    ("exclaim", &["exclaim", "exclaims", "exclaimed", "exclaiming"]),
    ("proclaim", &["proclaim", "proclaims", "proclaimed", "proclaiming"]),
    ("comment", &["commented"]),
    ("sneer", &["sneered", "sneers"]),
    ("mention", &["mentioned", "mentioning"]),
    ("criticise", &["criticise", "criticises", "criticised", "criticising", "criticize", "criticizes", "criticized", "criticizing"]),
    ("blast", &["blasted", "blasting"]),
    ("decry", &["decry", "decries", "decried", "decrying"]),
    ("shout", &["shout", "shouts", "shouted", "shouting"]),
    ("yell", &["yelled", "yelling"]),
    ("chant", &["chanted", "chanting"]),
    ("interject", &["interjected", "interjects", "interjecting"]),
    ("post", &["posted"]),
    ("email", &["emailed"]),
    ("cite", &["cited", "citing"]),
    ("beam", &["beamed"]),
    ("muse", &["mused"]),
    ("wonder", &["wondered"]),
    ("bark", &["barked"]),
    ("snap", &["snapped"]),
    ("scoff", &["scoffed"]),
    ("gush", &["gushed"]),
    ("laugh", &["laughed"]),
    ("sigh", &["sighed"]),
    ("plead", &["pleaded"]),
    ("recount", &["recounted"]),
    ("lament", &["lamented"]),
    ("interject", &["interjected"]),
    ("thunder", &["thundered"]),
    ("fume", &["fumed"]),
    ("riff", &["riffed"]),
    ("elaborate", &["elaborated"]),
    ("read", &["reads", "read"]),
    ("opine", &["opined"]),
    ("exhort", &["exhorted"]),
    ("surmise", &["surmised"]),
    ("question", &["questioned"]),
    ("testify", &["testified", "testifies"]),
    ("react", &["reacted"]),
    ("demand", &["demanded"]),
    ("retaliate", &["retaliated"]),
    ("remember", &["remembered"]),
    ("press", &["pressed"]),
    // Only with their particle after them (see `PARTICLES`): `as she put it`,
    // `Bozell points out`, `Trump shot back`, `he went on`.
    ("put", &["put", "puts"]),
    ("point", &["points", "pointed"]),
    ("shoot", &["shot"]),
    ("fire", &["fired"]),
    ("go", &["went", "goes"]),
];

/// Verbs that are speech cues only with a particle after them; the cue spans both.
const PARTICLES: &[(&str, &str)] = &[("put", "it"), ("point", "out"), ("shoot", "back"), ("fire", "back"), ("go", "on")];

/// Cues that take a clause complement (`said [that] IS is weak`). The others
/// (`described X as`, `called for`, `accused X of`) introduce only direct fragments.
const CLAUSE_LEMMAS: &[&str] = &[
    "say", "tell", "add", "warn", "insist", "announce", "claim", "argue", "note", "state", "declare",
    "deny", "confirm", "stress", "reveal", "vow", "write", "tweet", "explain", "acknowledge", "admit",
    "assert", "allege", "caution", "complain", "concede", "contend", "emphasise", "predict", "promise",
    "pledge", "reiterate", "reply", "report", "suggest", "threaten", "maintain", "assure", "boast",
    "counter", "retort", "agree", "recall", "remark", "indicate", "continue", "quip", "joke", "respond",
    "answer", "conclude", "charge", "observe", "exclaim", "mention", "testify", "opine", "point",
];

/// Lemmas whose bare complement (no `that`) is taken as reported speech. For the
/// rest of [`CLAUSE_LEMMAS`] a `that` must follow, since their bare objects are
/// mostly noun phrases (`confirmed the deaths`, `reported gains`).
const BARE_CLAUSE_LEMMAS: &[&str] = &[
    "say", "tell", "add", "warn", "insist", "claim", "argue", "write", "tweet", "predict", "admit",
    "acknowledge", "stress", "note", "concede", "contend", "assert", "reiterate", "suggest", "caution",
    "boast", "complain", "explain", "agree", "maintain", "reply", "retort", "counter", "remark",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CueKind {
    /// A communication verb, with its lemma.
    Verb(&'static str),
    /// `according to`.
    AccordingTo,
}

/// A cue word found in the text: the verb itself (or `according to`), with the
/// auxiliaries before it (`has said`, `was quoted as saying`) in `span`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub span: Span,
    /// Index of the cue's head token (the verb, or `according`).
    pub token: usize,
    pub kind: CueKind,
}

impl Cue {
    pub fn lemma(&self) -> &'static str {
        match self.kind {
            CueKind::Verb(l) => l,
            CueKind::AccordingTo => "according to",
        }
    }

    /// Whether the words right after the verb are its object, the hearer or
    /// the target (`told reporters`, `called him`, `described his plan as`),
    /// never its speaker.
    pub fn object_follows(&self) -> bool {
        matches!(
            self.lemma(),
            "tell" | "ask" | "urge" | "warn" | "assure" | "call" | "describe" | "accuse" | "dismiss" | "mock" | "praise" | "condemn" | "criticise" | "blast" | "decry"
        )
    }

    /// Whether the cue can introduce an indirect (clause) quote.
    pub fn takes_clause(&self) -> bool {
        match self.kind {
            CueKind::Verb(l) => CLAUSE_LEMMAS.contains(&l),
            CueKind::AccordingTo => true,
        }
    }

    /// Whether the clause may follow without `that`.
    pub fn takes_bare_clause(&self) -> bool {
        match self.kind {
            CueKind::Verb(l) => BARE_CLAUSE_LEMMAS.contains(&l),
            CueKind::AccordingTo => true,
        }
    }
}

/// Every inflected form of [`SPEECH_VERBS`] mapped to its lemma, built once.
static FORMS: std::sync::LazyLock<std::collections::HashMap<&'static str, &'static str>> = std::sync::LazyLock::new(|| {
    SPEECH_VERBS.iter().flat_map(|(lemma, forms)| forms.iter().map(move |f| (*f, *lemma))).collect()
});

/// The lemma of a speech verb form (`Said` → `say`), case-insensitively.
pub fn lemma_of(word: &str) -> Option<&'static str> {
    // Speech verbs are short ASCII words: skip the lower-casing for anything else.
    if word.len() > 16 || !word.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 16];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    FORMS.get(std::str::from_utf8(lower).ok()?).copied()
}

const AUXILIARIES: &[&str] = &[
    "has", "have", "had", "was", "were", "is", "are", "be", "been", "will", "would", "also", "later",
    "earlier", "again", "then", "previously", "repeatedly", "further", "once", "reportedly", "would",
    "could", "did", "does", "not",
];

/// Whether the word at `i` ends a short attribution after a quote's closing
/// comma (`," the Saudis state in the white paper`): a word before it, a stop,
/// comma or `in` after it, and `,"` within the eight tokens before.
fn is_attribution_after_quote(doc: &Document, i: usize) -> bool {
    let closes = |k: usize| doc.token_text(k).starts_with(['"', '”']) && k > 0 && matches!(doc.token_text(k - 1), "," | "?" | "!");
    i > 0
        && doc.tokens[i - 1].kind == TokenKind::Word
        && doc.tokens.get(i + 1).is_some_and(|_| matches!(doc.token_text(i + 1), "." | "," | "in"))
        && (i.saturating_sub(8)..i - 1).any(closes)
}

/// Finds every speech cue in the document, in text order.
pub fn find_cues(doc: &Document) -> Vec<Cue> {
    let mut cues = Vec::new();
    for (i, tok) in doc.tokens.iter().enumerate() {
        if tok.kind != TokenKind::Word {
            continue;
        }
        let word = doc.token_text(i);
        if word.eq_ignore_ascii_case("according")
            && doc.tokens.get(i + 1).is_some_and(|_| doc.token_text(i + 1).eq_ignore_ascii_case("to"))
        {
            let span = Span::new(tok.span.start, doc.tokens[i + 1].span.end);
            cues.push(Cue { span, token: i, kind: CueKind::AccordingTo });
            continue;
        }
        // `"…," the document states.`: `states` is a cue only as the verb of an
        // attribution right after a quote (elsewhere it is mostly the noun).
        if matches!(word, "states" | "state") && is_attribution_after_quote(doc, i) {
            cues.push(Cue { span: tok.span, token: i, kind: CueKind::Verb("state") });
            continue;
        }
        let Some(lemma) = lemma_of(word) else { continue };
        // `"…," Read said`: capitalised, `Read` is a name.
        if lemma == "read" && word.starts_with(char::is_uppercase) {
            continue;
        }
        let is_determiner = |k: usize| k < doc.tokens.len() && crate::lexicon::DETERMINERS.iter().any(|d| doc.token_text(k).eq_ignore_ascii_case(d));
        // `IS proclaimed a "caliphate"`: proclaiming a thing is no speech.
        if lemma == "proclaim" && is_determiner(i + 1) {
            continue;
        }
        // `in a tweet, saying`, `his report`: after a determiner the form is a noun.
        if i > 0 && is_determiner(i - 1) {
            continue;
        }
        let mut end = tok.span.end;
        if let Some((_, particle)) = PARTICLES.iter().find(|(l, _)| *l == lemma) {
            // `as X put it`: the idiom, not any putting.
            if !doc.tokens.get(i + 1).is_some_and(|_| doc.token_text(i + 1).eq_ignore_ascii_case(particle)) {
                continue;
            }
            end = doc.tokens[i + 1].span.end;
        }
        // `was quoted as saying`: the whole phrase is the cue.
        let mut start = i;
        if lemma == "say" && i >= 2 && doc.token_text(i - 1).eq_ignore_ascii_case("as") {
            let quoted = doc.token_text(i - 2).to_lowercase();
            if quoted == "quoted" {
                start = i - 2;
            }
        }
        while start > 0 {
            let prev = doc.token_text(start - 1).to_lowercase();
            if AUXILIARIES.contains(&prev.as_str()) && doc.tokens[start - 1].kind == TokenKind::Word {
                start -= 1;
            } else {
                break;
            }
        }
        // `was told` / `is said to` are passives, not cues of the subject's speech.
        if matches!(lemma, "tell" | "say" | "ask" | "call" | "describe" | "accuse")
            && start < i
            && ["was", "were", "is", "are", "be", "been"].contains(&doc.token_text(i - 1).to_lowercase().as_str())
        {
            continue;
        }
        let span = Span::new(doc.tokens[start].span.start, end);
        cues.push(Cue { span, token: i, kind: CueKind::Verb(lemma) });
    }
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue_texts(text: &str) -> Vec<String> {
        let doc = Document::new(text);
        find_cues(&doc).iter().map(|c| doc.slice(c.span).to_string()).collect()
    }

    #[test]
    fn finds_verbs_with_their_auxiliaries() {
        assert_eq!(cue_texts("Kerry has said Iran can help."), vec!["has said"]);
        assert_eq!(cue_texts("\"No,\" Khamenei was quoted as saying."), vec!["was quoted as saying"]);
        assert_eq!(cue_texts("According to Kerry, it works."), vec!["According to"]);
    }

    #[test]
    fn particle_verbs_are_cues_only_with_their_particle() {
        assert_eq!(cue_texts("As Vulture put it, the singer is back."), vec!["put it"]);
        assert!(cue_texts("He put the money in the bank.").is_empty());
        assert_eq!(cue_texts("\"No,\" Bozell points out. \"Quiet,\" Trump shot back."), vec!["points out", "shot back"]);
        assert!(cue_texts("He pointed to the map and shot a bird.").is_empty());
    }

    #[test]
    fn a_form_after_a_determiner_is_a_noun() {
        assert_eq!(cue_texts("Clinton claimed victory in a tweet, saying: \"We won.\""), vec!["claimed", "saying"]);
        assert!(cue_texts("His report and the warning came late.").is_empty());
        assert_eq!(cue_texts("She tweeted the report."), vec!["tweeted"]);
    }

    #[test]
    fn states_is_a_cue_only_in_an_attribution_after_a_quote() {
        assert_eq!(cue_texts("\"We fight terror,\" the Saudis state in the paper."), vec!["state"]);
        assert_eq!(cue_texts("\"They know it,\" a voice-over in the ad states."), vec!["states"]);
        assert_eq!(cue_texts("Ten Arab states signed. The member states met. He lives in the state."), Vec::<String>::new());
    }

    #[test]
    fn proclaiming_a_thing_is_no_speech() {
        assert!(cue_texts("IS has proclaimed a \"caliphate\" across Iraq.").is_empty());
        assert_eq!(cue_texts("\"Guns stunt growth,\" Dean proclaimed to a crowd."), vec!["proclaimed"]);
    }

    #[test]
    fn passives_and_beliefs_are_not_cues() {
        assert!(cue_texts("He was told to leave. She thinks it works.").is_empty());
    }

    #[test]
    fn clause_taking_is_per_lemma() {
        assert_eq!(lemma_of("Acknowledging"), Some("acknowledge"));
        let doc = Document::new("He said it. She described it. They confirmed it.");
        let cues = find_cues(&doc);
        assert!(cues[0].takes_clause() && cues[0].takes_bare_clause());
        assert!(!cues[1].takes_clause());
        assert!(cues[2].takes_clause() && !cues[2].takes_bare_clause());
    }
}
