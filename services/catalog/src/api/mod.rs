//! The CatalogService over gRPC: each handler takes the request out, converts it into
//! domain values (`request`), makes one call to the use cases and converts the result
//! for the reader's language (`response`). The access rule of every RPC (scope or
//! public) is enforced by the server's gate from the contract.

mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod request;
mod response;

use futures_util::StreamExt;
use jalia_model::{Caller, LanguageCode};
use jalia_proto::catalog::v1 as wire;
use jalia_proto::catalog::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use jalia_runtime::config::Limits;
use jalia_runtime::server::{caller, deadline, wanted_languages};
use jalia_runtime::{ApiError, ErrorCode, reasons};
use tonic::codegen::BoxStream;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use crate::app::{Catalog, Lifecycle};
use crate::domain::taxonomy::TermKind;
use request::TermParts;

/// The service's routes, with the configured message size limits.
pub(crate) fn routes(catalog: Catalog, limits: &Limits) -> Routes {
    Routes::new(
        CatalogServiceServer::new(Api { catalog })
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes),
    )
}

/// The tonic implementation of `CatalogService`.
#[derive(Debug, Clone)]
struct Api {
    catalog: Catalog,
}

/// The verified caller of an RPC that declares a scope; the gate lets such a call
/// through only with one, so a missing one is refused the same way here.
fn caller_of<T>(request: &Request<T>) -> Result<Caller, Status> {
    caller(request).cloned().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            reasons::UNAUTHENTICATED,
            "this call needs a bearer token",
        )
        .into()
    })
}

/// The caller of a public RPC, if it presented a token, and the languages it reads in
/// (the request's `language_code` field, which `language` picks, else `accept-language`).
fn reader<T>(
    request: &Request<T>,
    language: impl Fn(&T) -> &str,
) -> (Option<Caller>, Vec<LanguageCode>) {
    let wanted = wanted_languages(request, language(request.get_ref()));
    (caller(request).cloned(), wanted)
}

/// The languages the reader wants: the request's own field, else `accept-language`.
fn languages<T>(request: &Request<T>, language_code: &str) -> Vec<LanguageCode> {
    wanted_languages(request, language_code)
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl CatalogService for Api {
    async fn get_agency(&self, request: Request<wire::GetAgencyRequest>) -> Answer<wire::Agency> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let code = request::agency_code(&request.get_ref().name, "name")?;
        let found = self.catalog.get_agency(&code).await?;
        Ok(Response::new(response::agency(&found, &wanted)))
    }

    async fn list_agencies(
        &self,
        request: Request<wire::ListAgenciesRequest>,
    ) -> Answer<wire::ListAgenciesResponse> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (query, page) = request::list_agencies(request.get_ref())?;
        let found = self
            .catalog
            .list_agencies(viewer.as_ref(), &query, &page)
            .await?;
        Ok(Response::new(response::agencies(&found, &wanted)))
    }

    async fn create_agency(
        &self,
        request: Request<wire::CreateAgencyRequest>,
    ) -> Answer<wire::Agency> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let new = request::new_agency(request.into_inner())?;
        let created = self.catalog.create_agency(&caller, new).await?;
        Ok(Response::new(response::agency(&created, &wanted)))
    }

    async fn update_agency(
        &self,
        request: Request<wire::UpdateAgencyRequest>,
    ) -> Answer<wire::Agency> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let update = request::agency_update(request.into_inner())?;
        let updated = self.catalog.update_agency(&caller, update).await?;
        Ok(Response::new(response::agency(&updated, &wanted)))
    }

    async fn get_category(
        &self,
        request: Request<wire::GetCategoryRequest>,
    ) -> Answer<wire::Category> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let id = request::term_name(TermKind::Category, &request.get_ref().name)?;
        let term = self.catalog.get_term(TermKind::Category, id).await?;
        Ok(Response::new(response::category(&term, &wanted)))
    }

    async fn list_categories(
        &self,
        request: Request<wire::ListCategoriesRequest>,
    ) -> Answer<wire::ListCategoriesResponse> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (query, page) = request::list_categories(request.get_ref())?;
        let found = self
            .catalog
            .list_terms(viewer.as_ref(), &query, &page)
            .await?;
        Ok(Response::new(response::categories(&found, &wanted)))
    }

    async fn create_category(
        &self,
        request: Request<wire::CreateCategoryRequest>,
    ) -> Answer<wire::Category> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let m = request.into_inner();
        let category = m.category.unwrap_or_default();
        let new = request::new_term(&category_parts(&category), &m.request_id)?;
        let term = self.catalog.create_term(&caller, new).await?;
        Ok(Response::new(response::category(&term, &wanted)))
    }

    async fn update_category(
        &self,
        request: Request<wire::UpdateCategoryRequest>,
    ) -> Answer<wire::Category> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let m = request.into_inner();
        let category = m.category.unwrap_or_default();
        let update = request::term_update(
            &category_parts(&category),
            &category,
            m.update_mask.as_ref(),
        )?;
        let term = self.catalog.update_term(&caller, update).await?;
        Ok(Response::new(response::category(&term, &wanted)))
    }

    async fn get_life_event(
        &self,
        request: Request<wire::GetLifeEventRequest>,
    ) -> Answer<wire::LifeEvent> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let id = request::term_name(TermKind::LifeEvent, &request.get_ref().name)?;
        let term = self.catalog.get_term(TermKind::LifeEvent, id).await?;
        Ok(Response::new(response::life_event(&term, &wanted)))
    }

    async fn list_life_events(
        &self,
        request: Request<wire::ListLifeEventsRequest>,
    ) -> Answer<wire::ListLifeEventsResponse> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (query, page) = request::list_life_events(request.get_ref())?;
        let found = self
            .catalog
            .list_terms(viewer.as_ref(), &query, &page)
            .await?;
        Ok(Response::new(response::life_events(&found, &wanted)))
    }

    async fn create_life_event(
        &self,
        request: Request<wire::CreateLifeEventRequest>,
    ) -> Answer<wire::LifeEvent> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let m = request.into_inner();
        let life_event = m.life_event.unwrap_or_default();
        let new = request::new_term(&life_event_parts(&life_event), &m.request_id)?;
        let term = self.catalog.create_term(&caller, new).await?;
        Ok(Response::new(response::life_event(&term, &wanted)))
    }

    async fn update_life_event(
        &self,
        request: Request<wire::UpdateLifeEventRequest>,
    ) -> Answer<wire::LifeEvent> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let m = request.into_inner();
        let life_event = m.life_event.unwrap_or_default();
        let update = request::term_update(
            &life_event_parts(&life_event),
            &life_event,
            m.update_mask.as_ref(),
        )?;
        let term = self.catalog.update_term(&caller, update).await?;
        Ok(Response::new(response::life_event(&term, &wanted)))
    }

    async fn get_public_service(
        &self,
        request: Request<wire::GetPublicServiceRequest>,
    ) -> Answer<wire::PublicService> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let name = request::service_name(&request.get_ref().name, "name")?;
        let found = self
            .catalog
            .get_public_service(viewer.as_ref(), &name)
            .await?;
        Ok(Response::new(response::service(&found, &wanted)))
    }

    async fn list_public_services(
        &self,
        request: Request<wire::ListPublicServicesRequest>,
    ) -> Answer<wire::ListPublicServicesResponse> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (query, page) = request::list_services(request.get_ref())?;
        let found = self
            .catalog
            .list_public_services(viewer.as_ref(), &query, &page)
            .await?;
        Ok(Response::new(response::services(&found, &wanted)))
    }

    async fn create_public_service(
        &self,
        request: Request<wire::CreatePublicServiceRequest>,
    ) -> Answer<wire::PublicService> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let new = request::new_service(request.into_inner())?;
        let created = self.catalog.create_public_service(&caller, new).await?;
        Ok(Response::new(response::service(&created, &wanted)))
    }

    async fn update_public_service(
        &self,
        request: Request<wire::UpdatePublicServiceRequest>,
    ) -> Answer<wire::PublicService> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let update = request::service_update(request.into_inner())?;
        let updated = self.catalog.update_public_service(&caller, update).await?;
        Ok(Response::new(response::service(&updated, &wanted)))
    }

    async fn delete_public_service(
        &self,
        request: Request<wire::DeletePublicServiceRequest>,
    ) -> Answer<()> {
        let caller = caller_of(&request)?;
        let (name, if_match) =
            request::lifecycle(&request.get_ref().name, &request.get_ref().etag)?;
        self.catalog
            .delete_public_service(&caller, name, if_match)
            .await?;
        Ok(Response::new(()))
    }

    async fn publish_public_service(
        &self,
        request: Request<wire::PublishPublicServiceRequest>,
    ) -> Answer<wire::PublicService> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (name, if_match) =
            request::lifecycle(&request.get_ref().name, &request.get_ref().etag)?;
        let published = (self.catalog)
            .change_lifecycle(&caller, Lifecycle::Publish, name, if_match)
            .await?;
        Ok(Response::new(response::service(&published, &wanted)))
    }

    async fn retire_public_service(
        &self,
        request: Request<wire::RetirePublicServiceRequest>,
    ) -> Answer<wire::PublicService> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (name, if_match) =
            request::lifecycle(&request.get_ref().name, &request.get_ref().etag)?;
        let retired = (self.catalog)
            .change_lifecycle(&caller, Lifecycle::Retire, name, if_match)
            .await?;
        Ok(Response::new(response::service(&retired, &wanted)))
    }

    async fn list_public_service_revisions(
        &self,
        request: Request<wire::ListPublicServiceRevisionsRequest>,
    ) -> Answer<wire::ListPublicServiceRevisionsResponse> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (query, page) = request::list_revisions(request.get_ref())?;
        let found = self
            .catalog
            .list_revisions(viewer.as_ref(), &query, &page)
            .await?;
        Ok(Response::new(response::revisions(&found, &wanted)))
    }

    async fn get_public_service_revision(
        &self,
        request: Request<wire::GetPublicServiceRevisionRequest>,
    ) -> Answer<wire::PublicServiceRevision> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (name, number) = request::revision_name(&request.get_ref().name)?;
        let found = self
            .catalog
            .get_revision(viewer.as_ref(), &name, number)
            .await?;
        Ok(Response::new(response::revision(&found, &wanted)))
    }

    async fn search_public_services(
        &self,
        request: Request<wire::SearchPublicServicesRequest>,
    ) -> Answer<wire::SearchPublicServicesResponse> {
        let (viewer, wanted) = reader(&request, |m| &m.language_code);
        let (query, page) = request::search(request.get_ref())?;
        let found = self
            .catalog
            .search_public_services(viewer.as_ref(), &query, &page)
            .await?;
        Ok(Response::new(response::search_results(&found, &wanted)))
    }

    async fn get_processing_target(
        &self,
        request: Request<wire::GetProcessingTargetRequest>,
    ) -> Answer<wire::GetProcessingTargetResponse> {
        let name = request::service_name(&request.get_ref().name, "name")?;
        let service = self.catalog.processing_target(&name).await?;
        Ok(Response::new(response::processing_target(&service)))
    }

    type WatchChangesStream = BoxStream<wire::WatchChangesResponse>;

    async fn watch_changes(
        &self,
        request: Request<wire::WatchChangesRequest>,
    ) -> Answer<Self::WatchChangesStream> {
        let (caller, deadline) = (caller_of(&request)?, deadline(&request).map(|d| d.0));
        let query = request::watch_changes(request.get_ref())?;
        let feed = self.catalog.watch_changes(&caller, query, deadline).await?;
        Ok(Response::new(Box::pin(feed.map(|item| {
            item.map(response::feed_item).map_err(Status::from)
        }))))
    }
}

fn category_parts(category: &wire::Category) -> TermParts<'_> {
    TermParts {
        kind: TermKind::Category,
        field: "category",
        name: &category.name,
        etag: &category.etag,
        display_name: category.display_name.as_ref(),
        description: category.description.as_ref(),
    }
}

fn life_event_parts(life_event: &wire::LifeEvent) -> TermParts<'_> {
    TermParts {
        kind: TermKind::LifeEvent,
        field: "life_event",
        name: &life_event.name,
        etag: &life_event.etag,
        display_name: life_event.display_name.as_ref(),
        description: life_event.description.as_ref(),
    }
}
