//! The stop signal: SIGTERM or SIGINT in a real process, a trigger in tests; one signal
//! can stop several servers (`jalia up`).

use tokio::sync::watch;

/// Resolves when the server should stop. Cheap to clone; every clone sees the signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    stopped: watch::Receiver<bool>,
}

/// Fires a [`Shutdown`].
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    stop: watch::Sender<bool>,
}

impl ShutdownTrigger {
    /// Signals every clone of the paired [`Shutdown`].
    pub fn trigger(&self) {
        self.stop.send_replace(true);
    }
}

impl Shutdown {
    /// A signal fired by hand.
    pub fn manual() -> (ShutdownTrigger, Self) {
        let (stop, stopped) = watch::channel(false);
        (ShutdownTrigger { stop }, Self { stopped })
    }

    /// A signal fired by SIGTERM (what Kubernetes sends) or SIGINT (Ctrl-C).
    pub fn on_signals() -> Result<Self, std::io::Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let (trigger, shutdown) = Self::manual();
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "stop signal received");
            trigger.trigger();
        });
        Ok(shutdown)
    }

    /// Whether the signal fired already.
    pub fn is_triggered(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Waits for the signal. A dropped trigger counts as never firing.
    pub async fn wait(mut self) {
        if self.stopped.wait_for(|stopped| *stopped).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
