//! `rookery`: parse the command line, set up logging, run the command.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = rookery::cli::Cli::parse();
    rookery::cli::init_tracing();
    match rookery::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
