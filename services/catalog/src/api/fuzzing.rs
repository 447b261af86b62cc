//! Entry points for the fuzz targets in `fuzz/` (the `fuzzing` feature, off in every
//! normal build). Each takes arbitrary input as a caller could send it and runs the
//! conversions the handlers run, so a panic here is one a caller could cause.

use std::collections::BTreeSet;

use jalia_proto::catalog::v1 as wire;
use jalia_runtime::server::wanted_languages;
use prost::Message;

use super::{category_parts, life_event_parts, request};
use crate::domain::search::{fold_words, index_tokens, query_words};
use crate::domain::taxonomy::TermKind;

/// Decodes `data[1..]` as the request message that `data[0]` picks and converts it as
/// its handler does. Refusals are expected and dropped; only a panic is a finding.
pub fn convert_request(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % 23 {
        0 => run(bytes, |r: wire::GetAgencyRequest| {
            languages(&r.language_code);
            drop(request::agency_code(&r.name, "name"));
        }),
        1 => run(bytes, |r: wire::ListAgenciesRequest| {
            drop(request::list_agencies(&r));
        }),
        2 => run(bytes, |r: wire::CreateAgencyRequest| {
            drop(request::new_agency(r));
        }),
        3 => run(bytes, |r: wire::UpdateAgencyRequest| {
            drop(request::agency_update(r));
        }),
        4 => run(bytes, |r: wire::GetCategoryRequest| {
            languages(&r.language_code);
            drop(request::term_name(TermKind::Category, &r.name));
        }),
        5 => run(bytes, |r: wire::ListCategoriesRequest| {
            drop(request::list_categories(&r));
        }),
        6 => run(bytes, |r: wire::CreateCategoryRequest| {
            let category = r.category.unwrap_or_default();
            drop(request::new_term(&category_parts(&category), &r.request_id));
        }),
        7 => run(bytes, |r: wire::UpdateCategoryRequest| {
            let category = r.category.unwrap_or_default();
            let parts = category_parts(&category);
            drop(request::term_update(
                &parts,
                &category,
                r.update_mask.as_ref(),
            ));
        }),
        8 => run(bytes, |r: wire::GetLifeEventRequest| {
            languages(&r.language_code);
            drop(request::term_name(TermKind::LifeEvent, &r.name));
        }),
        9 => run(bytes, |r: wire::ListLifeEventsRequest| {
            drop(request::list_life_events(&r));
        }),
        10 => run(bytes, |r: wire::CreateLifeEventRequest| {
            let life_event = r.life_event.unwrap_or_default();
            drop(request::new_term(
                &life_event_parts(&life_event),
                &r.request_id,
            ));
        }),
        11 => run(bytes, |r: wire::UpdateLifeEventRequest| {
            let life_event = r.life_event.unwrap_or_default();
            let parts = life_event_parts(&life_event);
            drop(request::term_update(
                &parts,
                &life_event,
                r.update_mask.as_ref(),
            ));
        }),
        12 => run(bytes, |r: wire::GetPublicServiceRequest| {
            languages(&r.language_code);
            drop(request::service_name(&r.name, "name"));
        }),
        13 => run(bytes, |r: wire::ListPublicServicesRequest| {
            drop(request::list_services(&r));
        }),
        14 => run(bytes, |r: wire::CreatePublicServiceRequest| {
            drop(request::new_service(r));
        }),
        15 => run(bytes, |r: wire::UpdatePublicServiceRequest| {
            drop(request::service_update(r));
        }),
        16 => run(bytes, |r: wire::DeletePublicServiceRequest| {
            drop(request::lifecycle(&r.name, &r.etag));
        }),
        17 => run(bytes, |r: wire::PublishPublicServiceRequest| {
            drop(request::lifecycle(&r.name, &r.etag));
        }),
        18 => run(bytes, |r: wire::RetirePublicServiceRequest| {
            drop(request::lifecycle(&r.name, &r.etag));
        }),
        19 => run(bytes, |r: wire::ListPublicServiceRevisionsRequest| {
            drop(request::list_revisions(&r));
        }),
        20 => run(bytes, |r: wire::GetPublicServiceRevisionRequest| {
            drop(request::revision_name(&r.name));
        }),
        21 => run(bytes, |r: wire::SearchPublicServicesRequest| {
            languages(&r.language_code);
            drop(request::search(&r));
        }),
        _ => run(bytes, |r: wire::GetProcessingTargetRequest| {
            drop(request::service_name(&r.name, "name"));
        }),
    }
}

/// What search makes of one text, stored or typed.
#[derive(Debug)]
pub struct Folded {
    /// The folded words, in order, duplicates kept.
    pub words: Vec<String>,
    /// The tokens a stored text is indexed under.
    pub index_tokens: BTreeSet<String>,
    /// The words a query looks up.
    pub query_words: Vec<String>,
    /// Whether SearchPublicServices accepts the text as its `query`.
    pub accepted_as_query: bool,
}

/// Folds `text` as search does at write time and at query time, and parses it as a
/// SearchPublicServices query.
pub fn fold(text: &str) -> Folded {
    let query = wire::SearchPublicServicesRequest {
        query: text.to_owned(),
        ..Default::default()
    };
    Folded {
        words: fold_words(text),
        index_tokens: index_tokens(text),
        query_words: query_words(text),
        accepted_as_query: request::search(&query).is_ok(),
    }
}

fn languages(language_code: &str) {
    drop(wanted_languages(&tonic::Request::new(()), language_code));
}

fn run<M: Message + Default>(bytes: &[u8], convert: impl FnOnce(M)) {
    if let Ok(message) = M::decode(bytes) {
        convert(message);
    }
}
