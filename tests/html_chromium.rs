#![cfg(feature = "model")]
//! Renders the HTML views in headless Chromium (Debian's `chromium`, which
//! `make test` installs) and checks the rendered DOM: every quote of a seed
//! article is highlighted with the stance the JSON output gives it, and the eval
//! page holds its heat map and per-article rows. Screenshots are left in
//! target/screenshots/ for people to look at.

use quotestance::article::Article;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quotestance"))
}

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(name).exists() {
            return PathBuf::from(name);
        }
    }
    panic!("no chromium found: install Debian's chromium (make test does: scripts/setup-test.sh) or set CHROMIUM");
}

/// Runs headless Chromium on a local file with the network-quiet flags; with
/// `screenshot`, writes a PNG, else returns the rendered DOM.
fn render(page: &Path, screenshot: Option<&Path>, work: &Path) -> String {
    // One profile per call: the tests run in parallel threads of one process,
    // and two Chromiums on one profile refuse to start (its SingletonLock).
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::SeqCst);
    let profile = work.join(format!("profile-{}-{call}", std::process::id()));
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,1600",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", png.display())),
        None => cmd.arg("--dump-dom"),
    };
    cmd.arg(format!("file://{}", page.canonicalize().unwrap().display()));
    let out = cmd.output().expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-chromium");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `(class, data-q)` of every highlighted quote in a rendered DOM.
fn highlighted(dom: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in dom.split("<mark class=\"").skip(1) {
        let class = part.split('"').next().unwrap().to_string();
        let q = part.split("data-q=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_string();
        out.push((class, q));
    }
    out
}

#[test]
fn seed_articles_render_with_every_quote_highlighted_by_stance() {
    let work = work_dir();
    for seed in ["seed-kerry-iran-bbc", "seed-kerry-zarif-afp"] {
        let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(format!("{seed}.txt"));
        let json = bin().arg("classify").arg(&input).output().unwrap();
        assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
        let article = Article::from_json(String::from_utf8(json.stdout).unwrap().trim()).unwrap();
        let html = bin().arg("classify").arg(&input).args(["--format", "html", "--out-dir"]).arg(&work).output().unwrap();
        assert!(html.status.success(), "{}", String::from_utf8_lossy(&html.stderr));
        let page = work.join(format!("{seed}.html"));
        let dom = render(&page, None, &work);
        let marks = highlighted(&dom);
        assert!(!article.quotes.is_empty());
        for q in &article.quotes {
            let stance = format!("stance-{}", q.stance.unwrap().as_str());
            let kind = format!("{:?}", q.kind).to_lowercase();
            assert!(
                marks.iter().any(|(class, id)| id == &q.id && class.split(' ').any(|c| c == stance) && class.split(' ').any(|c| c == kind)),
                "{seed}: quote {} ({kind}, {stance}) not highlighted; marks: {marks:?}",
                q.id
            );
        }
        // Every highlight belongs to a quote of the output: nothing invented.
        assert!(marks.iter().all(|(_, id)| article.quotes.iter().any(|q| &q.id == id)));
        let png = screenshots_dir().join(format!("{seed}.png"));
        render(&page, Some(&png), &work);
        assert!(std::fs::metadata(&png).unwrap().len() > 10_000, "screenshot too small to show anything");
    }
}

#[test]
fn eval_report_renders_heat_map_rows_and_errors() {
    let work = work_dir();
    let page = work.join("eval.html");
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval").join("gold");
    let out = bin().arg("eval").arg("--gold").arg(&gold).arg("--html").arg(&page).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dom = render(&page, None, &work);
    assert_eq!(dom.matches("<rect class=\"cell\"").count(), 9, "3x3 heat map");
    let articles = std::fs::read_dir(&gold).unwrap().count();
    assert_eq!(dom.matches("<tr class=\"article-row\"").count(), articles);
    assert!(dom.contains("class=\"error error-"), "the error list is shown");
    let png = screenshots_dir().join("eval.png");
    render(&page, Some(&png), &work);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
fn script_in_an_article_shows_as_text() {
    let work = work_dir();
    let input = work.join("xss.txt");
    std::fs::write(&input, "Headline <script>document.title='pwned'</script>\n\n\"We will <b>win</b>,\" Mr Kerry said.\n").unwrap();
    let out = bin().arg("classify").arg(&input).args(["--format", "html", "--out-dir"]).arg(&work).output().unwrap();
    assert!(out.status.success());
    let dom = render(&work.join("xss.html"), None, &work);
    assert!(dom.contains("&lt;script&gt;document.title"), "script shown as text");
    assert!(!dom.contains("pwned</title>"));
    assert!(dom.contains("We will &lt;b&gt;win&lt;/b&gt;,"));
}

#[test]
fn stance_report_renders_its_timeline_and_speaker_table() {
    let work = work_dir().join("report");
    std::fs::create_dir_all(&work).unwrap();
    // The gold articles, dated over eight months, labeled as an archive.
    let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval").join("gold");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&gold).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut archive = String::new();
    for (i, f) in files.iter().enumerate() {
        let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let date = format!("{}-{:02}-15", 2014 + (7 + i % 8) / 12, (7 + i % 8) % 12 + 1);
        archive += &serde_json::json!({"id": a["id"], "text": a["text"], "date": date}).to_string();
        archive.push('\n');
    }
    std::fs::write(work.join("archive.jsonl"), archive).unwrap();
    let labeled = work.join("labeled.jsonl");
    let _ = std::fs::remove_file(&labeled);
    let status = bin().arg("label").arg(work.join("archive.jsonl")).arg("-o").arg(&labeled).stderr(std::process::Stdio::null()).status().unwrap();
    assert_eq!(status.code(), Some(0));
    let page = work.join("report.html");
    let out = bin().arg("report").arg(&labeled).arg("--html").arg(&page).args(["--top", "10000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // What the page must show, counted here from the labeled lines.
    let mut per_month: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let mut per_type: std::collections::HashMap<String, [usize; 3]> = Default::default();
    for line in std::fs::read_to_string(&labeled).unwrap().lines() {
        let a = Article::from_json(line).unwrap();
        for q in &a.quotes {
            let stance = q.stance.unwrap();
            *per_month.entry((a.date.clone().unwrap()[..7].to_string(), stance.as_str().to_string())).or_default() += 1;
            let ty = q.speaker.as_ref().and_then(|id| a.entities.iter().find(|e| &e.id == id)).map_or("unattributed".to_string(), |e| format!("{:?}", e.entity_type));
            per_type.entry(ty).or_default()[stance.index()] += 1;
        }
    }
    let dom = render(&page, None, &work);
    assert!(dom.contains("<svg class=\"timeline\""), "the timeline is an inline SVG");
    let all_speakers_row = dom.split("<g class=\"row\" data-speaker=\"all speakers\">").nth(1).unwrap().split("</g>").next().unwrap();
    for ((month, stance), n) in &per_month {
        let bar = format!("data-month=\"{month}\" data-stance=\"{stance}\" data-count=\"{n}\"");
        assert!(all_speakers_row.contains(&bar), "no bar {bar}");
    }
    assert_eq!(all_speakers_row.matches("<rect class=\"bar\"").count(), per_month.len());
    assert!(dom.matches("<g class=\"row\"").count() > 1, "rows for the top speakers");
    // Each speaker type's row holds its counts, and the speaker rows (all
    // listed) add up to them.
    let table = |class: &str| dom.split(&format!("<table class=\"{class}\">")).nth(1).unwrap().split("</table>").next().unwrap().to_string();
    let (types, speakers) = (table("types"), table("speakers"));
    let cell = |row: &str, label: &str| -> usize { row.split(&format!("data-stance=\"{label}\" data-count=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap() };
    for (ty, counts) in &per_type {
        let row = types.split(&format!("data-name=\"{ty}\"")).nth(1).unwrap_or_else(|| panic!("no row for {ty}")).split("</tr>").next().unwrap();
        for (k, label) in ["support", "oppose", "neutral"].iter().enumerate() {
            assert_eq!(cell(row, label), counts[k], "{ty} {label}");
            let listed: usize = speakers.split("<tr data-name=").skip(1).filter(|r| r.contains(&format!("<td>{ty}</td>"))).map(|r| cell(r, label)).sum();
            assert_eq!(listed, counts[k], "speakers of type {ty}, {label}");
        }
    }
    assert!(dom.contains("<ol class=\"strongest support\">") && dom.contains("<ol class=\"strongest oppose\">"));
    let png = screenshots_dir().join("report.png");
    render(&page, Some(&png), &work);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}
