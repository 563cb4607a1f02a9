//! `rookery`: parse the command line, set up logging, run the command.

use std::io::Write;

use clap::Parser;

/// jemalloc rather than glibc's malloc: with a thread per request in flight, glibc's
/// arenas spent a quarter of a list request's CPU in allocation and consolidation.
/// (mimalloc was as fast but held twice the memory per idle stream; docs/benchmarks.md.)
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    let cli = rookery::cli::Cli::parse();
    let code = match rookery::cli::init_tracing().and_then(|()| rookery::cli::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            // Once, on stderr, on one line: not through the log as well, where it would
            // show a second time. Not `eprintln!`, which panics when stderr is closed.
            let _ = writeln!(std::io::stderr(), "error: {}", rookery::cli::one_line(&error));
            std::process::ExitCode::FAILURE
        }
    };
    rookery::logging::flush();
    code
}
