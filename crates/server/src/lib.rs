//! The `rookery` binary's library half: settings, wiring and the commands, shared by
//! `main` and the black-box tests (which build the same [`Application`] on port 0).

pub mod cli;
pub mod housekeeping;
pub mod keys;
pub mod logging;
pub mod push;
pub mod settings;
mod shutdown;
pub mod sqlite_file;
pub mod startup;
pub mod webhooks;

pub use settings::Settings;
pub use startup::{Application, Graph};
