//! The test-only probe service (`jalia.testing.v1.ProbeService`), served by tests and by
//! the `jalia-probe-server` binary to exercise the server builder end to end. Never
//! deployed.

use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use jalia_proto::testing::v1::probe_service_server::{ProbeService, ProbeServiceServer};
use jalia_proto::testing::v1::{
    CountRequest, CountResponse, EchoRequest, EchoResponse, FailRequest, FailResponse, WaitRequest,
    WaitResponse, WhoAmIRequest, WhoAmIResponse,
};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use crate::auth::AgencyScope;
use crate::config::Limits;
use crate::error::ApiError;
use crate::server::{Contract, caller, deadline};

/// The probe's contract.
pub const CONTRACT: Contract = Contract {
    service: jalia_proto::testing::SERVICE_NAME,
    descriptor_set: jalia_proto::testing::FILE_DESCRIPTOR_SET,
};

/// The probe's routes, with the message size limits applied.
pub fn routes(limits: &Limits) -> Routes {
    Routes::new(
        ProbeServiceServer::new(Probe)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes),
    )
}

/// The probe itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Probe;

#[tonic::async_trait]
impl ProbeService for Probe {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        let message = request.into_inner().message;
        Ok(Response::new(EchoResponse { message }))
    }

    async fn wait(&self, request: Request<WaitRequest>) -> Result<Response<WaitResponse>, Status> {
        let deadline_millis = deadline(&request).map_or(0, |d| {
            u32::try_from(d.remaining().as_millis()).unwrap_or(u32::MAX)
        });
        let millis = request.into_inner().millis;
        tokio::time::sleep(Duration::from_millis(u64::from(millis))).await;
        Ok(Response::new(WaitResponse {
            waited_millis: millis,
            deadline_millis,
        }))
    }

    async fn who_am_i(
        &self,
        request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request).ok_or_else(|| Status::unauthenticated("no caller"))?;
        Ok(Response::new(WhoAmIResponse {
            subject: caller.subject.clone(),
            agency: match &caller.agency {
                AgencyScope::Agency(code) => code.clone(),
                AgencyScope::Ministry => "*".to_owned(),
            },
            scopes: caller.scopes.iter().cloned().collect(),
        }))
    }

    type CountStream = Pin<Box<dyn Stream<Item = Result<CountResponse, Status>> + Send>>;

    async fn count(
        &self,
        request: Request<CountRequest>,
    ) -> Result<Response<Self::CountStream>, Status> {
        let CountRequest {
            count,
            interval_millis,
        } = request.into_inner();
        let interval = Duration::from_millis(u64::from(interval_millis));
        let numbers = futures_util::stream::unfold(1, move |number| async move {
            if number > count {
                return None;
            }
            if number > 1 {
                tokio::time::sleep(interval).await;
            }
            Some((Ok(CountResponse { number }), number + 1))
        });
        Ok(Response::new(Box::pin(numbers)))
    }

    async fn fail(&self, request: Request<FailRequest>) -> Result<Response<FailResponse>, Status> {
        let field = request.into_inner().field;
        Err(ApiError::invalid_field(field, "the probe always blames this field").into())
    }
}
