//! Which key verifies tokens: a configured secret or public key, or else a random
//! secret generated once and kept beside the SQLite file (never a built-in constant).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rookery_http::auth::VerificationKey;

use crate::settings::JwtSettings;
use crate::sqlite_file::SqliteFile;

/// Bytes of entropy in a generated secret.
const SECRET_BYTES: usize = 32;

/// An HS256 secret shorter than this is refused: RFC 7518 (section 3.2) asks for a
/// key at least as long as the hash, and a short one can be brute-forced offline from
/// any token.
pub const MIN_SECRET_BYTES: usize = 32;

impl JwtSettings {
    /// Refuses settings that cannot be meant: a secret and a public key both set
    /// (which one verifies?), or a secret too short to be safe.
    ///
    /// # Errors
    /// Naming the setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        let Some(secret) = self.configured_secret() else { return Ok(()) };
        if let Some(key) = &self.public_key {
            bail!(
                "ROOKERY_JWT_SECRET and ROOKERY_JWT_PUBLIC_KEY ({}) are both set: set one (a secret for HS256, a public key for RS256/ES256)",
                key.display()
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

/// Reads the configured public key, if any, without touching anything else, so that
/// `serve` can refuse a bad key file before it opens the database.
///
/// # Errors
/// Invalid settings, an unreadable or unparsable key file.
pub fn configured_public_key(jwt: &JwtSettings) -> anyhow::Result<Option<VerificationKey>> {
    jwt.validate()?;
    let Some(path) = &jwt.public_key else { return Ok(None) };
    let pem = fs::read(path).with_context(|| format!("reading ROOKERY_JWT_PUBLIC_KEY {}", path.display()))?;
    public_key(pem).map(Some)
}

/// Resolves the verification key for these settings and database URL.
///
/// # Errors
/// Invalid settings, unreadable or unparsable key files; no key configured for
/// PostgreSQL.
pub fn verification_key(jwt: &JwtSettings, database_url: &str) -> anyhow::Result<VerificationKey> {
    if let Some(key) = configured_public_key(jwt)? {
        return Ok(key);
    }
    Ok(VerificationKey::Hs256(signing_secret(jwt, database_url)?))
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
    if jwt.public_key.is_some() {
        bail!("tokens are verified with ROOKERY_JWT_PUBLIC_KEY: sign them with the matching private key");
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

/// An RSA key means RS256, an EC key ES256.
fn public_key(pem: Vec<u8>) -> anyhow::Result<VerificationKey> {
    let text = String::from_utf8_lossy(&pem);
    if text.contains("BEGIN EC PUBLIC KEY") {
        return Ok(VerificationKey::Es256(pem));
    }
    if text.contains("BEGIN RSA PUBLIC KEY") {
        return Ok(VerificationKey::Rs256(pem));
    }
    // A SubjectPublicKeyInfo PEM names no algorithm: try RSA, then EC.
    let rsa = VerificationKey::Rs256(pem.clone());
    if rookery_http::JwtVerifier::new(&rsa, None, None).is_ok() {
        return Ok(rsa);
    }
    let ec = VerificationKey::Es256(pem);
    if rookery_http::JwtVerifier::new(&ec, None, None).is_ok() {
        return Ok(ec);
    }
    bail!("ROOKERY_JWT_PUBLIC_KEY is neither an RSA nor an EC P-256 public key in PEM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_and_two_keys_are_refused() {
        let short = JwtSettings { secret: Some("x".into()), ..JwtSettings::default() };
        assert!(short.validate().unwrap_err().to_string().contains("ROOKERY_JWT_SECRET is 1 bytes"));
        let long = JwtSettings { secret: Some("k".repeat(MIN_SECRET_BYTES)), ..JwtSettings::default() };
        assert!(long.validate().is_ok());
        let both = JwtSettings { public_key: Some(PathBuf::from("/k.pem")), ..long };
        assert!(both.validate().unwrap_err().to_string().contains("both set"));
    }

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
        let none = JwtSettings::default();
        let first = signing_secret(&none, &url).unwrap();
        assert_eq!(first.len(), SECRET_BYTES * 2);
        assert_eq!(signing_secret(&none, &url).unwrap(), first);
        assert!(signing_secret(&none, "postgres://localhost/x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
