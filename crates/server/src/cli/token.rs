//! `rookery token <user-id|username> [--ttl 24h] [--admin]`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use rookery_domain::service::Accounts;
use rookery_domain::{AccountId, Username};
use rookery_http::auth::{Claims, SubjectMode, issue_hs256};

use crate::keys::signing_secret;
use crate::settings::{DatabaseSettings, JwtSettings};
use crate::startup::{graph, open_database};

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
    let secret = signing_secret(&args.jwt, &args.database.url)?;
    let (id, username) = match args.user.parse::<AccountId>() {
        Ok(id) => (id, None),
        Err(_) => {
            let name = Username::parse(&args.user)
                .with_context(|| format!("{:?} is neither a UUID nor a username", args.user))?;
            let db = open_database(&args.database)?;
            let account = graph(&db).account_by_username(&name).with_context(|| format!("no account named {name}"))?;
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
