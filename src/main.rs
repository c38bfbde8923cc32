use clap::Parser;
use quotestance::cli::{run, Cli};

fn main() {
    let cli = Cli::parse();
    if let Err(err) = run(cli) {
        // One line: the context chain joined, e.g. "x.json: malformed article JSON: EOF at line 1".
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
