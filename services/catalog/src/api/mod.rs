//! The CatalogService over gRPC: each handler converts its request into domain inputs,
//! calls one use case, and renders the result for the reader's language. The access rule
//! of every RPC (scope or public) is enforced by the server's gate from the contract.

mod convert;
mod error;
mod render;

use jalia_model::{Caller, LanguageCode};
use jalia_proto::catalog::v1 as wire;
use jalia_proto::catalog::v1::catalog_service_server::CatalogService;
use jalia_runtime::server::{caller, wanted_languages};
use jalia_runtime::{ApiError, ErrorCode};
use tonic::{Request, Response, Status};

use crate::app::Catalog;
use crate::domain::access::Viewer;
use crate::domain::query::{AgencyQuery, RevisionQuery, SearchQuery, TermQuery};
use crate::domain::taxonomy::TermKind;
use convert::{ServiceFilters, TermUpdate};
use render::Reader;

/// The gRPC face of the catalog's use cases.
#[derive(Debug, Clone)]
pub struct CatalogApi {
    catalog: Catalog,
}

impl CatalogApi {
    /// Serves `catalog`.
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }
}

/// The authenticated caller of an RPC that declares a scope; the gate already refused
/// calls without a token, so a missing one is refused the same way here.
fn required_caller<T>(request: &Request<T>) -> Result<&Caller, Status> {
    caller(request).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "UNAUTHENTICATED",
            "this call needs a bearer token",
        )
        .into()
    })
}

fn languages<T>(request: &Request<T>, language_code: &str) -> Vec<LanguageCode> {
    wanted_languages(request, language_code)
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn get_agency(
        &self,
        request: Request<wire::GetAgencyRequest>,
    ) -> Result<Response<wire::Agency>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let code = convert::agency_code(&message.name, "name")?;
        let found = self.catalog.get_agency(&code).await?;
        Ok(Response::new(
            Reader::new(&wanted, &found.agencies).agency(&found.value),
        ))
    }

    async fn list_agencies(
        &self,
        request: Request<wire::ListAgenciesRequest>,
    ) -> Result<Response<wire::ListAgenciesResponse>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let parent_body = if message.parent_body.is_empty() {
            Ok(None)
        } else {
            convert::agency_code(&message.parent_body, "parent_body").map(Some)
        };
        let (page, (kind, (parent_body, updated_after))) = convert::merge(
            convert::page(message.page_size, &message.page_token),
            convert::merge(
                convert::agency_kind_filter(message.kind),
                convert::merge(
                    parent_body,
                    convert::updated_after(message.updated_after.as_ref()),
                ),
            ),
        )?;
        let query = AgencyQuery {
            kind,
            parent_body,
            updated_after,
        };
        let found = self
            .catalog
            .list_agencies(viewer.agency_claim(), &query, &page)
            .await?;
        let reader = Reader::new(&wanted, &found.agencies);
        Ok(Response::new(wire::ListAgenciesResponse {
            agencies: found.value.items.iter().map(|a| reader.agency(a)).collect(),
            next_page_token: found.value.next_page_token.unwrap_or_default(),
        }))
    }

    async fn create_agency(
        &self,
        request: Request<wire::CreateAgencyRequest>,
    ) -> Result<Response<wire::Agency>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let ((code, content), request_id) = convert::merge(
            convert::new_agency(message.agency.as_ref()),
            convert::request_id(&message.request_id),
        )?;
        let created = self
            .catalog
            .create_agency(caller, code, content, request_id)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &created.agencies).agency(&created.value),
        ))
    }

    async fn update_agency(
        &self,
        request: Request<wire::UpdateAgencyRequest>,
    ) -> Result<Response<wire::Agency>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let (code, etag, patch) =
            convert::agency_update(message.agency.as_ref(), message.update_mask.as_ref())?;
        let updated = self
            .catalog
            .update_agency(caller, code, patch, &etag)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &updated.agencies).agency(&updated.value),
        ))
    }

    async fn get_category(
        &self,
        request: Request<wire::GetCategoryRequest>,
    ) -> Result<Response<wire::Category>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let id = convert::term_name(TermKind::Category, &message.name)?;
        let term = self.catalog.get_term(TermKind::Category, id).await?;
        Ok(Response::new(
            Reader::new(&wanted, &Default::default()).category(&term),
        ))
    }

    async fn list_categories(
        &self,
        request: Request<wire::ListCategoriesRequest>,
    ) -> Result<Response<wire::ListCategoriesResponse>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let (page, updated_after) = convert::merge(
            convert::page(message.page_size, &message.page_token),
            convert::updated_after(message.updated_after.as_ref()),
        )?;
        let query = TermQuery {
            kind: TermKind::Category,
            updated_after,
        };
        let found = self
            .catalog
            .list_terms(viewer.agency_claim(), &query, &page)
            .await?;
        let labels = Default::default();
        let reader = Reader::new(&wanted, &labels);
        Ok(Response::new(wire::ListCategoriesResponse {
            categories: found.items.iter().map(|t| reader.category(t)).collect(),
            next_page_token: found.next_page_token.unwrap_or_default(),
        }))
    }

    async fn create_category(
        &self,
        request: Request<wire::CreateCategoryRequest>,
    ) -> Result<Response<wire::Category>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let category = message.category.clone().unwrap_or_default();
        let (content, request_id) = convert::merge(
            convert::new_term(
                category.display_name.as_ref(),
                category.description.as_ref(),
                "category",
            ),
            convert::request_id(&message.request_id),
        )?;
        let term = self
            .catalog
            .create_term(caller, TermKind::Category, content, request_id)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &Default::default()).category(&term),
        ))
    }

    async fn update_category(
        &self,
        request: Request<wire::UpdateCategoryRequest>,
    ) -> Result<Response<wire::Category>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let category = message.category.clone().unwrap_or_default();
        let (id, etag, patch) = convert::term_update(
            &TermUpdate {
                kind: TermKind::Category,
                field: "category",
                name: &category.name,
                etag: &category.etag,
                display_name: category.display_name.as_ref(),
                description: category.description.as_ref(),
            },
            message.update_mask.as_ref(),
        )?;
        let term = self
            .catalog
            .update_term(caller, TermKind::Category, id, patch, &etag)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &Default::default()).category(&term),
        ))
    }

    async fn get_life_event(
        &self,
        request: Request<wire::GetLifeEventRequest>,
    ) -> Result<Response<wire::LifeEvent>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let id = convert::term_name(TermKind::LifeEvent, &message.name)?;
        let term = self.catalog.get_term(TermKind::LifeEvent, id).await?;
        Ok(Response::new(
            Reader::new(&wanted, &Default::default()).life_event(&term),
        ))
    }

    async fn list_life_events(
        &self,
        request: Request<wire::ListLifeEventsRequest>,
    ) -> Result<Response<wire::ListLifeEventsResponse>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let (page, updated_after) = convert::merge(
            convert::page(message.page_size, &message.page_token),
            convert::updated_after(message.updated_after.as_ref()),
        )?;
        let query = TermQuery {
            kind: TermKind::LifeEvent,
            updated_after,
        };
        let found = self
            .catalog
            .list_terms(viewer.agency_claim(), &query, &page)
            .await?;
        let labels = Default::default();
        let reader = Reader::new(&wanted, &labels);
        Ok(Response::new(wire::ListLifeEventsResponse {
            life_events: found.items.iter().map(|t| reader.life_event(t)).collect(),
            next_page_token: found.next_page_token.unwrap_or_default(),
        }))
    }

    async fn create_life_event(
        &self,
        request: Request<wire::CreateLifeEventRequest>,
    ) -> Result<Response<wire::LifeEvent>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let life_event = message.life_event.clone().unwrap_or_default();
        let (content, request_id) = convert::merge(
            convert::new_term(
                life_event.display_name.as_ref(),
                life_event.description.as_ref(),
                "life_event",
            ),
            convert::request_id(&message.request_id),
        )?;
        let term = self
            .catalog
            .create_term(caller, TermKind::LifeEvent, content, request_id)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &Default::default()).life_event(&term),
        ))
    }

    async fn update_life_event(
        &self,
        request: Request<wire::UpdateLifeEventRequest>,
    ) -> Result<Response<wire::LifeEvent>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let life_event = message.life_event.clone().unwrap_or_default();
        let (id, etag, patch) = convert::term_update(
            &TermUpdate {
                kind: TermKind::LifeEvent,
                field: "life_event",
                name: &life_event.name,
                etag: &life_event.etag,
                display_name: life_event.display_name.as_ref(),
                description: life_event.description.as_ref(),
            },
            message.update_mask.as_ref(),
        )?;
        let term = self
            .catalog
            .update_term(caller, TermKind::LifeEvent, id, patch, &etag)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &Default::default()).life_event(&term),
        ))
    }

    async fn get_public_service(
        &self,
        request: Request<wire::GetPublicServiceRequest>,
    ) -> Result<Response<wire::PublicService>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let (agency, id) = convert::service_name(&message.name, "name")?;
        let found = self
            .catalog
            .get_public_service(&viewer, &agency, id)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &found.agencies).service(&found.value),
        ))
    }

    async fn list_public_services(
        &self,
        request: Request<wire::ListPublicServicesRequest>,
    ) -> Result<Response<wire::ListPublicServicesResponse>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let (page, query) = convert::merge(
            convert::page(message.page_size, &message.page_token),
            convert::service_query(&ServiceFilters {
                parent: &message.parent,
                category: &message.category,
                life_event: &message.life_event,
                audience: message.audience,
                channel_kind: message.channel_kind,
                statuses: &message.statuses,
                updated_after: message.updated_after.as_ref(),
            }),
        )?;
        let found = self
            .catalog
            .list_public_services(&viewer, &query, &page)
            .await?;
        let reader = Reader::new(&wanted, &found.agencies);
        Ok(Response::new(wire::ListPublicServicesResponse {
            public_services: found
                .value
                .items
                .iter()
                .map(|s| reader.service(s))
                .collect(),
            next_page_token: found.value.next_page_token.unwrap_or_default(),
        }))
    }

    async fn create_public_service(
        &self,
        request: Request<wire::CreatePublicServiceRequest>,
    ) -> Result<Response<wire::PublicService>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let (agency, (content, request_id)) = convert::merge(
            convert::agency_code(&message.parent, "parent"),
            convert::merge(
                convert::new_service(message.public_service.as_ref()),
                convert::request_id(&message.request_id),
            ),
        )?;
        let created = self
            .catalog
            .create_public_service(caller, agency, content, request_id)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &created.agencies).service(&created.value),
        ))
    }

    async fn update_public_service(
        &self,
        request: Request<wire::UpdatePublicServiceRequest>,
    ) -> Result<Response<wire::PublicService>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let ((agency, id), etag, patch) = convert::service_update(
            message.public_service.as_ref(),
            message.update_mask.as_ref(),
        )?;
        let updated = self
            .catalog
            .update_public_service(caller, &agency, id, patch, &etag)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &updated.agencies).service(&updated.value),
        ))
    }

    async fn delete_public_service(
        &self,
        request: Request<wire::DeletePublicServiceRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let ((agency, id), etag) = convert::merge(
            convert::service_name(&message.name, "name"),
            convert::required_etag(&message.etag, "etag"),
        )?;
        self.catalog
            .delete_public_service(caller, &agency, id, &etag)
            .await?;
        Ok(Response::new(()))
    }

    async fn publish_public_service(
        &self,
        request: Request<wire::PublishPublicServiceRequest>,
    ) -> Result<Response<wire::PublicService>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let ((agency, id), etag) = convert::merge(
            convert::service_name(&message.name, "name"),
            convert::required_etag(&message.etag, "etag"),
        )?;
        let published = self
            .catalog
            .publish_public_service(caller, &agency, id, &etag)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &published.agencies).service(&published.value),
        ))
    }

    async fn retire_public_service(
        &self,
        request: Request<wire::RetirePublicServiceRequest>,
    ) -> Result<Response<wire::PublicService>, Status> {
        let caller = required_caller(&request)?;
        let message = request.get_ref();
        let wanted = languages(&request, "");
        let ((agency, id), etag) = convert::merge(
            convert::service_name(&message.name, "name"),
            convert::required_etag(&message.etag, "etag"),
        )?;
        let retired = self
            .catalog
            .retire_public_service(caller, &agency, id, &etag)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &retired.agencies).service(&retired.value),
        ))
    }

    async fn list_public_service_revisions(
        &self,
        request: Request<wire::ListPublicServiceRevisionsRequest>,
    ) -> Result<Response<wire::ListPublicServiceRevisionsResponse>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let ((agency, service), (page, created_after)) = convert::merge(
            convert::service_name(&message.parent, "parent"),
            convert::merge(
                convert::page(message.page_size, &message.page_token),
                convert::updated_after(message.updated_after.as_ref()),
            ),
        )?;
        let query = RevisionQuery {
            service,
            created_after,
        };
        let found = self
            .catalog
            .list_revisions(&viewer, &agency, &query, &page)
            .await?;
        let reader = Reader::new(&wanted, &found.agencies);
        Ok(Response::new(wire::ListPublicServiceRevisionsResponse {
            public_service_revisions: found
                .value
                .items
                .iter()
                .map(|r| reader.revision(r))
                .collect(),
            next_page_token: found.value.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_public_service_revision(
        &self,
        request: Request<wire::GetPublicServiceRevisionRequest>,
    ) -> Result<Response<wire::PublicServiceRevision>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let (agency, id, number) = convert::revision_name(&message.name)?;
        let found = self
            .catalog
            .get_revision(&viewer, &agency, id, number)
            .await?;
        Ok(Response::new(
            Reader::new(&wanted, &found.agencies).revision(&found.value),
        ))
    }

    async fn search_public_services(
        &self,
        request: Request<wire::SearchPublicServicesRequest>,
    ) -> Result<Response<wire::SearchPublicServicesResponse>, Status> {
        let message = request.get_ref();
        let wanted = languages(&request, &message.language_code);
        let viewer = Viewer::new(caller(&request));
        let (words, (page, filter)) = convert::merge(
            convert::search_words(&message.query),
            convert::merge(
                convert::page(message.page_size, &message.page_token),
                convert::service_query(&ServiceFilters {
                    parent: &message.parent,
                    category: &message.category,
                    life_event: &message.life_event,
                    audience: message.audience,
                    channel_kind: message.channel_kind,
                    statuses: &message.statuses,
                    updated_after: message.updated_after.as_ref(),
                }),
            ),
        )?;
        let query = SearchQuery { words, filter };
        let found = self
            .catalog
            .search_public_services(&viewer, &query, &page)
            .await?;
        let reader = Reader::new(&wanted, &found.agencies);
        Ok(Response::new(wire::SearchPublicServicesResponse {
            results: found
                .value
                .items
                .iter()
                .map(|hit| reader.search_result(hit))
                .collect(),
            next_page_token: found.value.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_processing_target(
        &self,
        request: Request<wire::GetProcessingTargetRequest>,
    ) -> Result<Response<wire::GetProcessingTargetResponse>, Status> {
        let (agency, id) = convert::service_name(&request.get_ref().name, "name")?;
        let service = self.catalog.processing_target(&agency, id).await?;
        Ok(Response::new(wire::GetProcessingTargetResponse {
            public_service: service.name(),
            revision: service.revision,
            processing_time: service
                .content
                .processing_time
                .map(|time| render::processing_time(time).duration)
                .unwrap_or_default(),
            illustrative: service
                .content
                .processing_time
                .is_some_and(|time| time.illustrative),
        }))
    }
}
