//! Every word list the rules read, each concept once. Detection, NER and
//! attribution all read these, so a word added for one stage reaches the
//! others that ask the same question.

/// Titles and offices that precede a person's name: `President Obama`.
pub const PERSON_TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "president", "minister", "secretary", "king", "queen", "prince",
    "sheikh", "ayatollah", "general", "gen", "col", "colonel", "lt", "maj", "major", "captain",
    "capt", "admiral", "adm", "senator", "sen", "rep", "representative", "governor", "gov",
    "chancellor", "pope", "premier", "spokesman", "spokeswoman", "spokesperson", "ambassador",
    "envoy", "chief", "commander", "leader", "mp", "lawmaker", "emir", "sultan", "cardinal",
    "rear", "vice", "deputy", "foreign", "defence", "defense", "prime", "state",
    "general-secretary", "secretary-general", "director", "sir", "lord", "baroness", "judge",
    "justice", "mayor", "speaker", "sergeant", "brigadier", "marshal", "analyst", "professor",
    "prof", "imam", "cleric", "brig", "sgt", "cmdr", "cpl",
];

/// Nouns that name a speaker by role rather than by name: `the minister`,
/// `a senior official`, `the ministry`, `a statement`.
pub const ROLE_NOUNS: &[&str] = &[
    "minister", "president", "secretary", "official", "officials", "spokesman", "spokeswoman",
    "spokesperson", "leader", "commander", "general", "ambassador", "envoy", "diplomat", "chief",
    "king", "premier", "chancellor", "senator", "lawmaker", "mp", "source", "sources", "analyst",
    "expert", "statement", "presidency", "ministry", "government", "militant", "militants",
    "group", "agency", "television", "tv", "media", "monitor", "observatory", "administration",
    "army", "military", "pentagon", "prime", "cleric", "father", "mother", "police", "governor",
    "mayor", "colonel", "officer", "adviser", "advisor", "aide", "aides", "spokesmen", "coalition",
    "communique", "communiqué", "video", "report", "embassy", "researcher", "professor", "planner",
    "elder", "tribe", "council", "magazine", "newspaper", "ruler", "emir", "chairman", "director",
    "critic", "office", "campaign", "committee", "court", "judge", "lawyer", "lawyers", "attorney",
    "candidate", "strategist", "economist", "congressman", "congresswoman", "representative",
    "senators", "lawmakers", "analysts", "experts", "critics", "advisers", "study", "poll",
    "survey", "letter", "memo", "paper", "website", "network", "post", "ad", "email", "tweet",
    "voters", "supporters", "protesters", "residents", "delegates", "organizers", "activists",
    "donors", "officers", "prosecutors", "investigators", "authorities", "leaders", "party",
    "staff", "board", "pm", "fm", "boss", "head",
];

/// Role nouns that, heading a speaker's name, make it an organisation:
/// `the Iraqi Defence Ministry`, `Syrian state television`.
pub const ORGANISATION_ROLE_NOUNS: &[&str] = &[
    "ministry", "government", "presidency", "agency", "television", "tv", "media", "group",
    "administration", "army", "military", "observatory", "statement", "communique", "communiqué",
    "coalition", "police",
];

/// Head words of organisation names: `the Pentagon`, `Reuters`.
pub const ORG_WORDS: &[&str] = &[
    "ministry", "department", "council", "agency", "command", "office", "house", "pentagon",
    "kremlin", "elysee", "elysée", "government", "army", "forces", "force", "coalition", "nations",
    "union", "league", "committee", "parliament", "assembly", "congress", "senate", "party",
    "front", "group", "state", "news", "times", "post", "reuters", "afp", "ap", "bbc", "cnn",
    "irna", "isna", "presidency", "observatory", "institute", "organisation", "organization",
    "nato", "un", "eu", "isis", "unhcr", "unicef", "sana", "amaq", "rtl", "isil", "daesh", "is",
    "hezbollah", "guards", "corps", "militia", "militias", "bank", "fund", "association",
    "foundation", "centre", "center", "university", "cabinet", "court", "embassy", "mission",
    "brigade", "brigades", "navy", "airwars", "amnesty", "watch", "who", "peshmerga",
];

/// Countries, capitals and regions that speak as states in the news.
pub const PLACE_WORDS: &[&str] = &[
    "us", "u.s", "u.s.", "usa", "america", "washington", "britain", "uk", "london", "france",
    "paris", "germany", "berlin", "russia", "moscow", "iran", "tehran", "iraq", "baghdad", "syria",
    "damascus", "turkey", "ankara", "jordan", "amman", "egypt", "cairo", "saudi", "arabia",
    "riyadh", "qatar", "doha", "uae", "emirates", "china", "beijing", "japan", "tokyo",
    "australia", "canberra", "canada", "ottawa", "israel", "lebanon", "beirut", "kuwait",
    "bahrain", "oman", "yemen", "libya", "tripoli", "belgium", "netherlands", "denmark", "norway",
    "italy", "rome", "spain", "kurdistan", "erbil", "europe", "kobane", "kobani", "mosul",
    "ramadi", "tikrit", "raqqa", "aleppo", "anbar",
];

/// Particles inside a person's name: `Abu Bakr al-Baghdadi`, `Ursula von der Leyen`.
pub const NAME_PARTICLES: &[&str] = &["al", "bin", "ibn", "de", "van", "von", "du", "der", "la", "le"];

/// Lower-case words that join the parts of a longer name: `Secretary of State`.
const NAME_LINKS: &[&str] = &["of", "for", "and"];

/// A word allowed inside a name: a particle or a link.
pub fn is_name_connector(word: &str) -> bool {
    NAME_PARTICLES.contains(&word) || NAME_LINKS.contains(&word)
}

/// Determiners: they open a noun phrase (`the minister`, `a tweet`), so a
/// capitalised word after one is no subject and a verb form after one is a noun.
pub const DETERMINERS: &[&str] = &[
    "the", "a", "an", "his", "her", "their", "its", "our", "my", "your", "this",
    "these", "those",
];

/// Words that open a noun phrase (`another official`, `one diplomat`) but
/// also stand alone as its subject (`another said`), so a verb form after
/// them is still a verb.
const STANDALONE_DETERMINERS: &[&str] = &["another", "one"];

/// Whether a word opens a noun phrase: a determiner or a standalone one.
pub fn opens_noun_phrase(word: &str) -> bool {
    DETERMINERS.contains(&word) || STANDALONE_DETERMINERS.contains(&word)
}

/// Pronouns that stand for a person, and for a group or an institution.
pub const PRONOUNS_PERSON: &[&str] = &["he", "she", "i"];
pub const PRONOUNS_GROUP: &[&str] = &["they", "it", "we"];
