//! A fake services catalog, built from jalia-proto's generated server trait and served
//! on a port of its own for the whole test: it knows a few published services and their
//! processing times, counts how often it is asked, and can play down (every call
//! UNAVAILABLE, which inquiries treats like no answer at all).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jalia_proto::catalog::v1 as catalog;
use jalia_proto::catalog::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use jalia_runtime::{Shutdown, ShutdownTrigger};
use tonic::{Request, Status};

/// A services catalog that knows a few published services and their processing times,
/// and counts how often it is asked.
#[derive(Clone, Default)]
pub(crate) struct FakeCatalog {
    services: Arc<Mutex<HashMap<String, Option<i64>>>>,
    asked: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

impl FakeCatalog {
    /// Publishes a service with a processing time in days (None: it states none).
    pub(crate) fn publish(&self, name: &str, days: Option<i64>) {
        self.services.lock().unwrap().insert(name.to_owned(), days);
    }

    /// Plays down (every call UNAVAILABLE) or up.
    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// How many times it was asked for a processing target.
    pub(crate) fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }

    fn processing_target(
        &self,
        request: Request<catalog::GetProcessingTargetRequest>,
    ) -> Result<tonic::Response<catalog::GetProcessingTargetResponse>, Status> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(Status::unavailable("the catalog is down"));
        }
        let name = request.into_inner().name;
        let known = self.services.lock().unwrap().get(&name).copied();
        match known {
            None => Err(Status::not_found("no published service by this name")),
            Some(days) => Ok(tonic::Response::new(catalog::GetProcessingTargetResponse {
                public_service: name,
                revision: 3,
                processing_time: days.map(|days| prost_types::Duration {
                    seconds: days * 86_400,
                    nanos: 0,
                }),
                illustrative: true,
            })),
        }
    }
}

/// The catalog's trait with GetProcessingTarget answered and every other RPC
/// UNIMPLEMENTED (the macro writes the whole impl, so that `async_trait` sees every
/// method).
macro_rules! fake_catalog_service {
    ($($method:ident($request:ty) -> $response:ty;)*) => {
        #[tonic::async_trait]
        impl CatalogService for FakeCatalog {
            async fn get_processing_target(
                &self,
                request: Request<catalog::GetProcessingTargetRequest>,
            ) -> Result<tonic::Response<catalog::GetProcessingTargetResponse>, Status> {
                self.processing_target(request)
            }

            type WatchChangesStream =
                tokio_stream::Empty<Result<catalog::WatchChangesResponse, Status>>;

            async fn watch_changes(
                &self,
                _request: Request<catalog::WatchChangesRequest>,
            ) -> Result<tonic::Response<Self::WatchChangesStream>, Status> {
                Err(Status::unimplemented("not part of the fake catalog"))
            }

            $(
                async fn $method(
                    &self,
                    _request: Request<$request>,
                ) -> Result<tonic::Response<$response>, Status> {
                    Err(Status::unimplemented("not part of the fake catalog"))
                }
            )*
        }
    };
}

fake_catalog_service! {
    get_agency(catalog::GetAgencyRequest) -> catalog::Agency;
    list_agencies(catalog::ListAgenciesRequest) -> catalog::ListAgenciesResponse;
    create_agency(catalog::CreateAgencyRequest) -> catalog::Agency;
    update_agency(catalog::UpdateAgencyRequest) -> catalog::Agency;
    get_category(catalog::GetCategoryRequest) -> catalog::Category;
    list_categories(catalog::ListCategoriesRequest) -> catalog::ListCategoriesResponse;
    create_category(catalog::CreateCategoryRequest) -> catalog::Category;
    update_category(catalog::UpdateCategoryRequest) -> catalog::Category;
    get_life_event(catalog::GetLifeEventRequest) -> catalog::LifeEvent;
    list_life_events(catalog::ListLifeEventsRequest) -> catalog::ListLifeEventsResponse;
    create_life_event(catalog::CreateLifeEventRequest) -> catalog::LifeEvent;
    update_life_event(catalog::UpdateLifeEventRequest) -> catalog::LifeEvent;
    get_public_service(catalog::GetPublicServiceRequest) -> catalog::PublicService;
    list_public_services(catalog::ListPublicServicesRequest) -> catalog::ListPublicServicesResponse;
    create_public_service(catalog::CreatePublicServiceRequest) -> catalog::PublicService;
    update_public_service(catalog::UpdatePublicServiceRequest) -> catalog::PublicService;
    delete_public_service(catalog::DeletePublicServiceRequest) -> ();
    publish_public_service(catalog::PublishPublicServiceRequest) -> catalog::PublicService;
    retire_public_service(catalog::RetirePublicServiceRequest) -> catalog::PublicService;
    list_public_service_revisions(catalog::ListPublicServiceRevisionsRequest) -> catalog::ListPublicServiceRevisionsResponse;
    get_public_service_revision(catalog::GetPublicServiceRevisionRequest) -> catalog::PublicServiceRevision;
    search_public_services(catalog::SearchPublicServicesRequest) -> catalog::SearchPublicServicesResponse;
}

/// The fake catalog serving on a port of its own.
pub(crate) struct CatalogServer {
    pub addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
}

impl CatalogServer {
    pub(crate) async fn start(fake: FakeCatalog) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::manual();
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(CatalogServiceServer::new(fake))
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    shutdown.wait(),
                )
                .await
                .unwrap();
        });
        Self {
            addr,
            trigger,
            task,
        }
    }

    pub(crate) async fn stop(self) {
        self.trigger.trigger();
        self.task.await.unwrap();
    }
}
