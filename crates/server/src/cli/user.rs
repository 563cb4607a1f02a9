//! `rookery user add <username> [--private] [--full-name NAME]`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rookery_domain::Username;
use rookery_domain::service::Accounts;

use crate::settings::DatabaseSettings;
use crate::startup::{graph, open_database};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print its id.
    Add {
        /// Letters, digits, '_' and '.'; unique, case-insensitively.
        username: String,
        /// Make the account private: follows become requests.
        #[arg(long)]
        private: bool,
        /// Display name.
        #[arg(long)]
        full_name: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

pub fn run(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add { username, private, full_name, database } => {
            let username = Username::parse(&username).with_context(|| format!("invalid username {username:?}"))?;
            let db = open_database(&database)?;
            let account = graph(&db)
                .create_account(username.clone(), full_name, private)
                .with_context(|| format!("creating {username}"))?;
            #[allow(clippy::print_stdout)]
            {
                println!("{}", account.id);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
