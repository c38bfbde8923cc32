use clap::Parser;
use quotestance::cli::{is_broken_pipe, run, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the context chain joined, e.g. "x.json: malformed article JSON: EOF at line 1".
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
