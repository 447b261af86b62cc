//! Backend health as the gateway reports it: each backend's service name says whether
//! that backend answers; the overall entry says whether all do (for people and
//! monitoring). Kubernetes probes `readiness`, which the runtime keeps SERVING until
//! shutdown, so one backend down never takes the gateway out of its Service.

use std::sync::Arc;
use std::time::Duration;

use jalia_runtime::Shutdown;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus as Reported;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::server::HealthReporter;

use crate::backend::Backend;
use crate::door::AddressLimiter;
use crate::proxy::CallerLimiter;

/// One watched backend.
#[derive(Debug)]
pub(crate) struct Watched {
    /// Its service name (the health entry).
    pub service: &'static str,
    /// Its pods.
    pub backend: Backend,
}

async fn answers(backend: &Backend, timeout: Duration) -> bool {
    let mut client = HealthClient::new(backend.clone());
    let check = client.check(HealthCheckRequest {
        service: String::new(),
    });
    matches!(
        tokio::time::timeout(timeout, check).await,
        Ok(Ok(response)) if response.get_ref().status() == Reported::Serving
    )
}

/// Checks every backend each `interval` until `shutdown`, re-resolving their pods and
/// dialling a backend that was down again at once.
pub(crate) async fn watch(
    backends: Vec<Watched>,
    reporter: HealthReporter,
    interval: Duration,
    timeout: Duration,
    limiters: (Arc<AddressLimiter>, Arc<CallerLimiter>),
    shutdown: Shutdown,
) {
    let mut healthy = vec![false; backends.len()];
    loop {
        for (index, watched) in backends.iter().enumerate() {
            watched.backend.refresh(!healthy[index]).await;
            let serving = answers(&watched.backend, timeout).await;
            if serving != healthy[index] {
                tracing::info!(backend = watched.service, serving, "backend health changed");
            }
            healthy[index] = serving;
            if shutdown.is_triggered() {
                return;
            }
            reporter
                .set_service_status(
                    watched.service,
                    if serving {
                        ServingStatus::Serving
                    } else {
                        ServingStatus::NotServing
                    },
                )
                .await;
        }
        if shutdown.is_triggered() {
            return;
        }
        let all = healthy.iter().all(|serving| *serving);
        reporter
            .set_service_status(
                "",
                if all {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                },
            )
            .await;
        // Forget callers whose budget is full again, so the limiters' memory follows the
        // callers of the last moments, not every caller ever seen.
        limiters.0.retain_recent();
        limiters.1.retain_recent();
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.clone().wait() => return,
        }
    }
}
