//! The services catalog, as the inquiries service asks it for processing targets: over
//! gRPC through jalia-proto's client (never by linking the catalog crate), on a channel
//! that connects lazily so that inquiries starts and serves while the catalog is down,
//! and always with a deadline so a slow catalog cannot hold a submission.

use std::time::Duration;

use jalia_proto::catalog::v1::GetProcessingTargetRequest;
use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use jiff::SignedDuration;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

use crate::domain::calendar::days_rounded_up;
use crate::domain::due::TargetLookup;

/// The catalog's own bound on processing times; anything longer is clamped, never trusted.
const MAX_PROCESSING_DAYS: i64 = 366;
const MAX_SECONDS: i64 = 1 << 40;

/// A client of the catalog's public GetProcessingTarget.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    client: CatalogServiceClient<Channel>,
    timeout: Duration,
}

/// The catalog URL is not a valid endpoint.
#[derive(Debug, thiserror::Error)]
#[error("invalid catalog URL: {0}")]
pub struct InvalidCatalogUrl(#[source] tonic::transport::Error);

impl Catalog {
    /// A client of the catalog at `url`; nothing is connected until the first call.
    pub(crate) fn connect_lazy(url: &str, timeout: Duration) -> Result<Self, InvalidCatalogUrl> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(InvalidCatalogUrl)?
            .connect_timeout(timeout)
            .timeout(timeout);
        Ok(Self {
            client: CatalogServiceClient::new(endpoint.connect_lazy()),
            timeout,
        })
    }

    /// The processing target of the service named `service`, asked within `budget` (the
    /// caller's remaining time) and never longer than the configured timeout.
    pub(crate) async fn processing_target(
        &self,
        service: &str,
        budget: Option<Duration>,
    ) -> TargetLookup {
        let timeout = budget.map_or(self.timeout, |budget| budget.min(self.timeout));
        if timeout.is_zero() {
            return TargetLookup::Unreachable;
        }
        let mut request = tonic::Request::new(GetProcessingTargetRequest {
            name: service.to_owned(),
        });
        request.set_timeout(timeout);
        if let Some(traceparent) =
            jalia_runtime::telemetry::outgoing_traceparent().and_then(|header| header.parse().ok())
        {
            request.metadata_mut().insert("traceparent", traceparent);
        }
        let mut client = self.client.clone();
        let answer = tokio::time::timeout(timeout, client.get_processing_target(request)).await;
        match answer {
            Ok(Ok(response)) => {
                let target = response.into_inner();
                match target.processing_time {
                    Some(duration) => TargetLookup::Found {
                        // Clamped first: a malformed duration must not overflow here.
                        days: days_rounded_up(SignedDuration::new(
                            duration.seconds.clamp(-MAX_SECONDS, MAX_SECONDS),
                            duration.nanos.clamp(-999_999_999, 999_999_999),
                        ))
                        .min(MAX_PROCESSING_DAYS),
                        revision: target.revision,
                    },
                    None => TargetLookup::NoTarget {
                        revision: target.revision,
                    },
                }
            }
            Ok(Err(status)) if status.code() == Code::NotFound => TargetLookup::NotFound,
            Ok(Err(status)) => {
                tracing::warn!(
                    code = ?status.code(),
                    "catalog did not give a processing target; the due date stays pending"
                );
                TargetLookup::Unreachable
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = timeout.as_millis(),
                    "catalog did not answer in time; the due date stays pending"
                );
                TargetLookup::Unreachable
            }
        }
    }
}
