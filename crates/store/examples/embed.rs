//! Embedding Rookery's graph in another Rust program, without HTTP.
//!
//! Opens a SQLite store in a fresh temporary directory, runs the migrations, and drives
//! the domain service directly: three accounts (one private), a follow of a public
//! account, a request to follow the private one, which the private account accepts.
//! It prints the resulting profiles' counts and the request's status.
//!
//! ```text
//! cargo run -p rookery-store --example embed
//! ```
//!
//! The same calls work on PostgreSQL: pass a `postgres://` URL to [`Database::open`].
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::PathBuf;

use futures::executor::block_on;
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::service::{Accounts, Follows, Profiles, Requests};
use rookery_domain::{Account, AccountId, FollowOutcome, GraphService, Identity, Username};
use rookery_store::{Database, DatabaseOptions};

/// Follow and unfollow are asynchronous (the store answers them after its commit
/// without holding a thread); any executor runs them, here the simplest one.
fn caller(account: &Account) -> Identity {
    Identity { id: account.id, username: None, name: None }
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = TempDir::new()?;
    let path = dir.0.join("rookery.db");
    let db = Database::open(&format!("sqlite://{}", path.display()), DatabaseOptions::default())?;
    let migrations = db.migrate()?;
    println!("Opened {} and ran {migrations} migration(s).", path.display());

    // The service takes the ports: the store twice (accounts and graph), a clock, an id
    // source and a notifier (none here: notifications are still stored).
    let graph = GraphService::new(db.clone(), db.clone(), db, SystemClock, UuidV7, NoNotifier);

    let alice = graph.create_account(Username::parse("alice")?, Some("Alice".into()), false)?;
    let bob = graph.create_account(Username::parse("bob")?, Some("Bob".into()), false)?;
    let carol = graph.create_account(Username::parse("carol")?, Some("Carol".into()), true)?;
    println!("Created @alice and @bob (public) and @carol (private).\n");

    // A public account is followed at once.
    let outcome = block_on(graph.follow(&caller(&alice), bob.id))?;
    println!("@alice follows @bob: {}", describe(&outcome));

    // A private one gets a request, which waits for its answer.
    let outcome = block_on(graph.follow(&caller(&alice), carol.id))?;
    println!("@alice follows @carol: {}", describe(&outcome));
    let FollowOutcome::Requested(request) = outcome else {
        return Err("a follow of a private account should send a request".into());
    };
    println!("  request status: {}", status(&graph, alice.id, carol.id)?);

    let accepted = graph.accept_request(carol.id, request.id)?;
    println!("@carol accepts request {}: now {}", accepted.id, accepted.status.as_str());
    println!("  request status: {}\n", status(&graph, alice.id, carol.id)?);

    println!("{:<8} {:>9} {:>9} {:>8}", "account", "followers", "following", "private");
    for id in [alice.id, bob.id, carol.id] {
        print_counts(&graph.account(id)?);
    }

    let view = graph.profile(carol.id, alice.id)?;
    println!(
        "\nAs @carol sees @alice: follows @carol = {}, followed by @carol = {}",
        view.relation.follows_viewer, view.relation.is_following
    );
    Ok(())
}

fn describe(outcome: &FollowOutcome) -> String {
    match outcome {
        FollowOutcome::Followed => "followed".to_owned(),
        FollowOutcome::AlreadyFollowing => "already following".to_owned(),
        FollowOutcome::Requested(request) => format!("follow request {} sent", request.id),
    }
}

fn status(graph: &impl Requests, requester: AccountId, target: AccountId) -> Result<&'static str, Box<dyn Error>> {
    Ok(graph.request_status(requester, target)?.map_or("none", |s| s.as_str()))
}

fn print_counts(account: &Account) {
    println!(
        "@{:<7} {:>9} {:>9} {:>8}",
        account.username.as_str(),
        account.followers_count,
        account.following_count,
        account.is_private
    );
}

/// A directory of our own under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("rookery-embed-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover temp dir is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
