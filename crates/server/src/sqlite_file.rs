//! A SQLite database as a file: checked before anything opens it, so that a typo or a
//! missing directory fails at once naming the path, and locked while a server uses it.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::bail;

/// The file a `sqlite://PATH` URL names (never `sqlite::memory:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteFile {
    path: PathBuf,
}

/// Held for as long as `rookery serve` runs: an exclusive advisory lock on
/// `<database>.lock`, released by the kernel when the process exits however it exits.
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

impl SqliteFile {
    /// The file of a SQLite URL; `None` for PostgreSQL and in-memory databases.
    #[must_use]
    pub fn from_url(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("sqlite:")?;
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Some(Self { path: PathBuf::from(path) })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file beside it with `suffix` appended to its name (`rookery.db.lock`).
    #[must_use]
    pub fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    }

    fn directory(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// For commands that only read: the database must already exist (opening a
    /// mistyped path would create an empty database and report on it).
    ///
    /// # Errors
    /// The file does not exist, naming it.
    pub fn require_existing(&self) -> anyhow::Result<()> {
        if self.path.is_file() {
            return Ok(());
        }
        bail!(
            "no SQLite database at {}: check --database-url / DATABASE_URL (`rookery migrate` or `rookery serve` creates one)",
            self.path.display()
        )
    }

    /// For commands that may create or write the database: its directory must exist
    /// and be writable.
    ///
    /// # Errors
    /// The directory is missing, is not a directory or is not writable, naming it.
    pub fn require_directory(&self) -> anyhow::Result<()> {
        let dir = self.directory();
        if !dir.is_dir() {
            bail!("the directory {} of the SQLite database {} does not exist", dir.display(), self.path.display());
        }
        if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK).is_err() {
            bail!(
                "the directory {} of the SQLite database {} is not writable by this user (SQLite keeps its -wal and -shm files beside the database)",
                dir.display(),
                self.path.display()
            );
        }
        Ok(())
    }

    /// Takes the serve lock on `<database>.lock`, creating it if needed.
    ///
    /// # Errors
    /// Another process holds it (a second `rookery serve` on this file), or the lock
    /// file cannot be created (an unwritable directory, named).
    pub fn lock_for_serving(&self) -> anyhow::Result<ServeLock> {
        let lock_path = self.sibling(".lock");
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&lock_path).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create {} ({e}): the directory of the SQLite database must be writable by Rookery",
                    lock_path.display()
                )
            })?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(ServeLock { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => bail!(
                "another `rookery serve` is already serving {} (it holds {}): one server per SQLite file; \
                 several instances need PostgreSQL (docs/operations.md)",
                self.path.display(),
                lock_path.display()
            ),
            Err(e) => bail!("cannot lock {}: {e}", lock_path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_files() {
        assert_eq!(SqliteFile::from_url("sqlite://rookery.db").unwrap().path(), Path::new("rookery.db"));
        assert_eq!(
            SqliteFile::from_url("sqlite:///var/lib/r.db").unwrap().sibling(".lock"),
            Path::new("/var/lib/r.db.lock")
        );
        assert_eq!(SqliteFile::from_url("sqlite::memory:"), None);
        assert_eq!(SqliteFile::from_url("postgres://localhost/r"), None);
        assert_eq!(SqliteFile::from_url("sqlite:rookery.db").unwrap().directory(), Path::new("."));
    }

    #[test]
    fn one_lock_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = SqliteFile { path: dir.path().join("r.db") };
        let held = file.lock_for_serving().unwrap();
        let refused = file.lock_for_serving().unwrap_err().to_string();
        assert!(refused.contains("another `rookery serve`") && refused.contains("r.db"), "{refused}");
        drop(held);
        assert!(file.lock_for_serving().is_ok());
    }

    #[test]
    fn missing_files_and_directories_are_named() {
        let missing = SqliteFile { path: PathBuf::from("/nonexistent-rookery/typo.db") };
        assert!(missing.require_existing().unwrap_err().to_string().contains("/nonexistent-rookery/typo.db"));
        assert!(missing.require_directory().unwrap_err().to_string().contains("/nonexistent-rookery "));
    }
}
