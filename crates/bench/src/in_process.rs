//! Rookery's `Application` served inside the bench process, started and stopped by
//! the bench: on SQLite only one server at a time may hold the file's serve lock, so
//! the configurations measured side by side (limit on, no limit, the default limit)
//! take turns.

use actix_web::dev::ServerHandle;
use rookery::{Application, Settings};

/// A running in-process server.
pub struct InProcess {
    /// `http://127.0.0.1:PORT/api/v1/community`.
    pub base: String,
    handle: ServerHandle,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl InProcess {
    /// Builds and starts the server on `runtime`.
    pub fn start(runtime: &tokio::runtime::Runtime, settings: &Settings) -> anyhow::Result<Self> {
        runtime.block_on(async {
            let app = Application::build(settings)?;
            let base = format!("http://127.0.0.1:{}/api/v1/community", app.port());
            let handle = app.handle();
            anyhow::Ok(Self { base, handle, running: tokio::spawn(app.run_until_stopped()) })
        })
    }

    /// Stops it and waits until it has released its database.
    pub fn stop(self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        runtime.block_on(async {
            self.handle.stop(false).await;
            self.running.await
        })??;
        Ok(())
    }
}
