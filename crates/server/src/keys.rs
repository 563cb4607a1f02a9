//! Which keys verify tokens, in this order: an identity provider's JWK Set URL,
//! public key files, a shared secret, an issuer whose OIDC discovery document names
//! its JWK Set, or else a random secret generated once and kept beside the SQLite file
//! (never a built-in constant).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rookery_http::auth::{
    ClaimRules, KeyLocation, KeySource, StaticKey, VerificationKey, VerifierConfig, public_keys_in_pem,
};

use crate::settings::JwtSettings;
use crate::sqlite_file::SqliteFile;

/// Bytes of entropy in a generated secret.
const SECRET_BYTES: usize = 32;

/// An HS256 secret shorter than this is refused: RFC 7518 (section 3.2) asks for a
/// key at least as long as the hash, and a short one can be brute-forced offline from
/// any token.
pub const MIN_SECRET_BYTES: usize = 32;

impl JwtSettings {
    /// Refuses settings that cannot be meant: a secret together with a public key or a
    /// JWK Set (which one verifies?), or a secret too short to be safe.
    ///
    /// # Errors
    /// Naming the setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        let Some(secret) = self.configured_secret() else { return Ok(()) };
        if let Some(key) = self.public_key.first() {
            bail!(
                "ROOKERY_JWT_SECRET and ROOKERY_JWT_PUBLIC_KEY ({}) are both set: set one (a secret for HS256, public keys for RS256/ES256/EdDSA)",
                key.display()
            );
        }
        if let Some(url) = self.jwks_url.as_deref().filter(|u| !u.is_empty()) {
            bail!(
                "ROOKERY_JWT_SECRET and ROOKERY_JWT_JWKS_URL ({url}) are both set: set one (a secret for HS256, a JWK Set for an identity provider)"
            );
        }
        if secret.len() < MIN_SECRET_BYTES {
            bail!(
                "ROOKERY_JWT_SECRET is {} bytes: an HS256 secret needs at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)",
                secret.len()
            );
        }
        Ok(())
    }

    /// The secret, when one is set (an empty value counts as unset).
    fn configured_secret(&self) -> Option<&str> {
        self.secret.as_deref().filter(|s| !s.is_empty())
    }
}

/// The key source configured, read without touching anything else (no secret file is
/// generated), so that `serve` can refuse a bad key file before it opens the
/// database: `None` when tokens are verified with the HS256 secret (configured, or
/// generated beside the SQLite file), which [`verifier_config`] resolves later.
///
/// # Errors
/// Invalid settings, unreadable or unparsable key files.
pub fn configured_key_source(jwt: &JwtSettings) -> anyhow::Result<Option<KeySource>> {
    jwt.validate()?;
    if let Some(url) = jwt.jwks_url.as_deref().filter(|u| !u.is_empty()) {
        return Ok(Some(KeySource::Provider(KeyLocation::JwksUrl(url.to_owned()))));
    }
    if !jwt.public_key.is_empty() {
        let mut keys = Vec::new();
        for path in &jwt.public_key {
            for file in pem_files(path)? {
                keys.extend(public_keys(&file)?);
            }
        }
        return Ok(Some(KeySource::Static(keys)));
    }
    if jwt.configured_secret().is_none()
        && let Some(issuer) = jwt.issuer.as_deref().filter(|i| !i.is_empty())
    {
        return Ok(Some(KeySource::Provider(KeyLocation::Issuer(issuer.to_owned()))));
    }
    Ok(None)
}

/// Everything that decides which tokens these settings accept.
///
/// # Errors
/// Invalid settings, unreadable or unparsable key files; no key configured for
/// PostgreSQL.
pub fn verifier_config(jwt: &JwtSettings, database_url: &str) -> anyhow::Result<VerifierConfig> {
    verifier_config_with(configured_key_source(jwt)?, jwt, database_url)
}

/// As [`verifier_config`], with the source [`configured_key_source`] already read;
/// `None` resolves the HS256 secret (generating it beside a SQLite file if needed).
///
/// # Errors
/// As [`verifier_config`].
pub fn verifier_config_with(
    source: Option<KeySource>,
    jwt: &JwtSettings,
    database_url: &str,
) -> anyhow::Result<VerifierConfig> {
    let keys = match source {
        Some(source) => source,
        None => KeySource::Static(vec![StaticKey {
            kid: None,
            key: VerificationKey::Hs256(signing_secret(jwt, database_url)?),
        }]),
    };
    Ok(VerifierConfig {
        keys,
        rules: ClaimRules { issuer: jwt.issuer.clone(), audience: jwt.audience.clone() },
        subjects: jwt.subject,
        jwks_timing: jwt.jwks_timing,
    })
}

/// A file, or the `*.pem` files of a directory (in name order), so that a key is
/// added or retired by adding or removing its file.
fn pem_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = fs::read_dir(path).with_context(|| format!("reading ROOKERY_JWT_PUBLIC_KEY {}", path.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry.with_context(|| format!("reading ROOKERY_JWT_PUBLIC_KEY {}", path.display()))?.path();
        if file.extension().is_some_and(|ext| ext == "pem") && file.is_file() {
            files.push(file);
        }
    }
    if files.is_empty() {
        bail!("ROOKERY_JWT_PUBLIC_KEY {} holds no .pem file", path.display());
    }
    files.sort();
    Ok(files)
}

/// The keys of one PEM file. A file holding one key is named, for tokens' `kid`, by
/// its file name without extension; a bundle's keys have no name (tried in turn).
fn public_keys(path: &Path) -> anyhow::Result<Vec<StaticKey>> {
    let pem = fs::read(path).with_context(|| format!("reading ROOKERY_JWT_PUBLIC_KEY {}", path.display()))?;
    let keys =
        public_keys_in_pem(&pem).with_context(|| format!("reading ROOKERY_JWT_PUBLIC_KEY {}", path.display()))?;
    let kid = match keys.as_slice() {
        [_] => path.file_stem().map(|stem| stem.to_string_lossy().into_owned()),
        _ => None,
    };
    Ok(keys.into_iter().map(|key| StaticKey { kid: kid.clone(), key }).collect())
}

/// The HS256 secret: configured, or generated beside the SQLite file.
///
/// # Errors
/// Invalid settings; no secret can be had (PostgreSQL without `ROOKERY_JWT_SECRET`),
/// or the secret file cannot be read or written. Callers check first that the SQLite
/// database exists, so the file is never generated beside a mistyped path.
pub fn signing_secret(jwt: &JwtSettings, database_url: &str) -> anyhow::Result<Vec<u8>> {
    jwt.validate()?;
    if let Some(secret) = jwt.configured_secret() {
        return Ok(secret.as_bytes().to_vec());
    }
    if !jwt.public_key.is_empty() {
        bail!("tokens are verified with ROOKERY_JWT_PUBLIC_KEY: sign them with the matching private key");
    }
    if jwt.jwks_url.is_some() || jwt.issuer.is_some() {
        bail!("tokens are verified with the identity provider's keys: it issues them");
    }
    match secret_file(database_url) {
        Some(path) => load_or_create(&path),
        None if database_url == "sqlite::memory:" || database_url == "sqlite://:memory:" => random_secret(),
        None => bail!(
            "set ROOKERY_JWT_SECRET or ROOKERY_JWT_PUBLIC_KEY: a generated secret is kept only beside a SQLite file"
        ),
    }
}

/// `rookery.db` keeps its secret in `rookery.db.jwt-secret`.
fn secret_file(database_url: &str) -> Option<PathBuf> {
    SqliteFile::from_url(database_url).map(|file| file.sibling(".jwt-secret"))
}

fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = fs::read_to_string(path) {
        let secret = existing.trim();
        if !secret.is_empty() {
            return Ok(secret.as_bytes().to_vec());
        }
    }
    let secret = random_secret()?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&secret).with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a JWT secret beside the database");
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(fs::read_to_string(path)?.trim().as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// A hex-encoded random secret.
fn random_secret() -> anyhow::Result<Vec<u8>> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_sit_beside_sqlite_databases() {
        assert_eq!(secret_file("sqlite://rookery.db"), Some(PathBuf::from("rookery.db.jwt-secret")));
        assert_eq!(secret_file("sqlite:///var/lib/r.db"), Some(PathBuf::from("/var/lib/r.db.jwt-secret")));
        assert_eq!(secret_file("sqlite::memory:"), None);
        assert_eq!(secret_file("postgres://localhost/r"), None);
    }

    #[test]
    fn generated_secrets_are_kept() {
        let dir = std::env::temp_dir().join(format!("rookery-keys-{}", uuid::Uuid::now_v7()));
        fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("g.db").display());
        let first = signing_secret(&JwtSettings::default(), &url).unwrap();
        assert_eq!(first.len(), SECRET_BYTES * 2);
        assert_eq!(signing_secret(&JwtSettings::default(), &url).unwrap(), first);
        assert!(signing_secret(&JwtSettings::default(), "postgres://localhost/x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn key_sources_are_taken_in_their_documented_order() {
        let pem = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/idp/rsa-a.pub");
        let all = JwtSettings {
            secret: None,
            public_key: vec![pem.into()],
            jwks_url: Some("https://idp.example/jwks.json".into()),
            issuer: Some("https://idp.example".into()),
            ..JwtSettings::default()
        };
        let source = |jwt: &JwtSettings| format!("{:?}", verifier_config(jwt, "sqlite::memory:").unwrap().keys);
        assert!(source(&all).contains("JwksUrl(\"https://idp.example/jwks.json\")"));
        let keys = JwtSettings { jwks_url: None, ..all.clone() };
        assert!(source(&keys).contains("kid: Some(\"rsa-a\"), key: Rs256(..)"), "{}", source(&keys));
        let secret = JwtSettings {
            public_key: vec![],
            secret: Some("a-secret-of-thirty-two-bytes-or-more".into()),
            ..keys.clone()
        };
        assert!(source(&secret).contains("Hs256(..)"));
        assert!(configured_key_source(&all).is_ok(), "a JWK Set over public keys over an issuer, no secret");
        let both = JwtSettings { jwks_url: all.jwks_url.clone(), ..secret.clone() };
        assert!(configured_key_source(&both).is_err(), "a secret and a JWK Set are refused");
        let issuer = JwtSettings { secret: None, ..secret.clone() };
        assert!(source(&issuer).contains("Issuer(\"https://idp.example\")"));
        assert!(signing_secret(&issuer, "sqlite::memory:").is_err(), "the provider issues the tokens");
        let nothing = JwtSettings { issuer: None, ..issuer };
        assert!(source(&nothing).contains("Hs256(..)"), "a generated secret");
    }

    #[test]
    fn a_directory_of_pem_files_names_each_key_by_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/idp/");
        fs::copy(format!("{fixtures}rsa-a.pub"), dir.path().join("2024-12.pem")).unwrap();
        fs::copy(format!("{fixtures}ed25519.pub"), dir.path().join("2025-06.pem")).unwrap();
        fs::write(dir.path().join("README"), "not a key").unwrap();
        let jwt = JwtSettings { public_key: vec![dir.path().to_owned()], ..JwtSettings::default() };
        let source = format!("{:?}", verifier_config(&jwt, "sqlite::memory:").unwrap().keys);
        assert!(source.contains("kid: Some(\"2024-12\"), key: Rs256(..)"), "{source}");
        assert!(source.contains("kid: Some(\"2025-06\"), key: EdDsa(..)"), "{source}");
        let empty = tempfile::tempdir().unwrap();
        let jwt = JwtSettings { public_key: vec![empty.path().to_owned()], ..JwtSettings::default() };
        assert!(verifier_config(&jwt, "sqlite::memory:").is_err());
    }
}
