//! `rookery token <user-id|username> [--ttl 24h] [--admin]`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use rookery_domain::service::Accounts;
use rookery_domain::{AccountId, GraphError, Username};
use rookery_http::auth::{Claims, SubjectMode, issue_hs256};

use crate::keys::signing_secret;
use crate::settings::{DatabaseSettings, JwtSettings};
use crate::startup::{graph, open_existing};

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// An account id (UUID) or the username of an existing account.
    user: String,
    /// Lifetime: seconds, or a number with s, m, h or d.
    #[arg(long, default_value = "24h", value_parser = parse_ttl)]
    ttl: Duration,
    /// Give the token the admin role.
    #[arg(long)]
    admin: bool,
    /// Mint for an id that has no account yet: the account is provisioned when the
    /// token is first used (from its `username` claim, or `--username`).
    #[arg(long)]
    provision: bool,
    /// The `username` claim of a token minted with `--provision`.
    #[arg(long, requires = "provision")]
    username: Option<String>,
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    jwt: JwtSettings,
}

pub fn run(args: &TokenArgs) -> anyhow::Result<ExitCode> {
    if args.jwt.subject == SubjectMode::Map {
        bail!(
            "with ROOKERY_JWT_SUBJECT=map tokens name the identity provider's subjects, not accounts: the provider issues them"
        );
    }
    // The settings, then the database: it must exist, so that a typo mints nothing
    // and generates no secret beside a database that is not there.
    args.jwt.validate()?;
    let db = open_existing(&args.database)?;
    let secret = signing_secret(&args.jwt, &args.database.url)?;
    let graph = graph(&db);
    let (id, username) = match args.user.parse::<AccountId>() {
        Ok(id) if args.provision => {
            let username = args.username.as_deref().map(Username::parse).transpose().context("--username")?;
            (id, username.map(|name| name.to_string()))
        }
        Ok(id) => {
            let account = graph.account(id).map_err(|e| match e {
                GraphError::UserNotFound => {
                    anyhow::anyhow!("no account with id {id}: `rookery token {id} --provision` mints for a new one")
                }
                other => anyhow::Error::new(other).context(format!("reading account {id}")),
            })?;
            (id, Some(account.username.to_string()))
        }
        Err(_) if args.provision => bail!("--provision needs an account id (a UUID), not {:?}", args.user),
        Err(_) => {
            let name = Username::parse(&args.user)
                .with_context(|| format!("{:?} is neither a UUID nor a username", args.user))?;
            let account = graph.account_by_username(&name).with_context(|| format!("no account named {name}"))?;
            (account.id, Some(account.username.to_string()))
        }
    };
    let now = chrono::Utc::now().timestamp().unsigned_abs();
    let claims = Claims {
        sub: id.to_string(),
        exp: now.saturating_add(args.ttl.as_secs()),
        iat: Some(now),
        iss: args.jwt.issuer.clone(),
        username,
        preferred_username: None,
        name: None,
        role: args.admin.then(|| "admin".to_owned()),
    };
    let token = issue_hs256(&secret, &claims)?;
    #[allow(clippy::print_stdout)]
    {
        println!("{token}");
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_ttl(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let (number, unit) = raw.find(|c: char| !c.is_ascii_digit()).map_or((raw, "s"), |i| raw.split_at(i));
    let n: u64 = number.parse().with_context(|| format!("invalid ttl {raw:?}"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => bail!("invalid ttl unit in {raw:?}: use s, m, h or d"),
    };
    if secs == 0 {
        bail!("ttl must be positive");
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_ttl("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_ttl("0").is_err());
        assert!(parse_ttl("5w").is_err());
    }
}
