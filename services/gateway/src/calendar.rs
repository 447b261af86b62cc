//! Calendar subscriptions: `GET /calendar/agencies/{agency}.ics` (the agency's public
//! events) and `GET /calendar/agencies/{agency}/events/{event}.ics` (one event), plain
//! HTTP on the gateway's port, because calendar clients (Google Calendar, Outlook,
//! Thunderbird) poll a URL and send no token. Public and read-only: the gateway asks the
//! catalog for the agency (an unknown one is 404; its name and public contact name the
//! calendar and its organiser) and the events service for the iCalendar, both through
//! their public RPCs on the backend channels, with no token of its own. Drafts never
//! reach a calendar; registrations and personal data are not in one.
//!
//! HTTP as caches and clients expect: a strong ETag (SHA-256 of the body, which the
//! events service keeps the same while the events are), If-None-Match answered 304,
//! a short max-age, HEAD, 405 for other methods.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::Full;
use jalia_proto::catalog::v1::GetAgencyRequest;
use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::events::v1::{
    CalendarPublisher, ExportEventCalendarRequest, ExportEventsCalendarRequest,
};
use jalia_runtime::SharedClock;

use crate::backend::Backend;
use sha2::{Digest, Sha256};
use tonic::body::Body;
use tonic::{Code, Status};

/// Where the feeds live on the gateway's port.
pub(crate) const PREFIX: &str = "/calendar/";

/// How long a client or a cache may keep a feed before asking again (with its ETag).
const MAX_AGE: &str = "public, max-age=300";

/// How far back an agency's feed reaches: events that started within the last year, and
/// every later one, so a long-lived agency's feed stays within one export.
const HISTORY_SECONDS: i64 = 366 * 24 * 3600;

/// Longest `lang` a request may name (a BCP-47 tag is far shorter).
const MAX_LANGUAGE: usize = 35;

/// Which calendar a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Feed {
    /// `agencies/{agency}`: its public events.
    Agency(String),
    /// `agencies/{agency}/events/{event}`: one event.
    Event(String, String),
}

impl Feed {
    /// Reads `/calendar/agencies/{agency}.ics` or
    /// `/calendar/agencies/{agency}/events/{event}.ics`; anything else names nothing.
    fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix(PREFIX)?.strip_suffix(".ics")?;
        let segment = |text: &str| {
            !text.is_empty()
                && text.len() <= 64
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        match rest.split('/').collect::<Vec<_>>().as_slice() {
            ["agencies", agency] if segment(agency) => Some(Self::Agency((*agency).to_owned())),
            ["agencies", agency, "events", event] if segment(agency) && segment(event) => {
                Some(Self::Event((*agency).to_owned(), (*event).to_owned()))
            }
            _ => None,
        }
    }

    fn agency(&self) -> &str {
        match self {
            Self::Agency(agency) | Self::Event(agency, _) => agency,
        }
    }
}

/// What answers the calendar paths; cheap to clone (the clients share the channels).
#[derive(Debug, Clone)]
pub(crate) struct Calendars {
    /// The events service.
    pub events: Backend,
    /// The services catalog.
    pub catalog: Backend,
    /// For the feed's window.
    pub clock: SharedClock,
    /// Bound on each backend call.
    pub timeout: Duration,
    /// Largest calendar accepted from the events service.
    pub max_message_bytes: usize,
}

impl Calendars {
    /// Answers one request; every failure is an HTTP status with a short text.
    pub(crate) async fn answer(
        self,
        request: http::Request<Body>,
    ) -> Result<http::Response<Body>, Infallible> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(response);
        }
        let Some(feed) = Feed::parse(request.uri().path()) else {
            return Ok(plain(StatusCode::NOT_FOUND, "no such calendar"));
        };
        let language = language(request.uri().query());
        let accept_language = request.headers().get(header::ACCEPT_LANGUAGE).cloned();
        let calendar = match self.fetch(&feed, &language, accept_language.as_ref()).await {
            Ok(calendar) => calendar,
            Err(status) => return Ok(failure(&status)),
        };
        Ok(respond(
            request.method() == Method::HEAD,
            request.headers(),
            &feed,
            calendar,
        ))
    }

    /// The agency from the catalog (so an unknown one is NOT_FOUND), then the calendar
    /// from the events service, naming the agency as the catalog does.
    async fn fetch(
        &self,
        feed: &Feed,
        language: &str,
        accept_language: Option<&HeaderValue>,
    ) -> Result<String, Status> {
        let publisher = self
            .publisher(feed.agency(), language, accept_language)
            .await?;
        let mut events = EventServiceClient::new(self.events.clone())
            .max_decoding_message_size(self.max_message_bytes);
        match feed {
            Feed::Agency(code) => {
                let request = ExportEventsCalendarRequest {
                    parent: format!("agencies/{code}"),
                    start_after: Some(prost_types::Timestamp {
                        seconds: self.clock.now().as_second().saturating_sub(HISTORY_SECONDS),
                        nanos: 0,
                    }),
                    language_code: language.to_owned(),
                    publisher: Some(publisher),
                    ..Default::default()
                };
                let request = self.request(request, accept_language);
                Ok(events
                    .export_events_calendar(request)
                    .await?
                    .into_inner()
                    .calendar)
            }
            Feed::Event(code, id) => {
                let request = ExportEventCalendarRequest {
                    name: format!("agencies/{code}/events/{id}"),
                    language_code: language.to_owned(),
                    publisher: Some(publisher),
                };
                let request = self.request(request, accept_language);
                Ok(events
                    .export_event_calendar(request)
                    .await?
                    .into_inner()
                    .calendar)
            }
        }
    }

    /// The agency's name in the reader's language and its first public email.
    async fn publisher(
        &self,
        agency: &str,
        language: &str,
        accept_language: Option<&HeaderValue>,
    ) -> Result<CalendarPublisher, Status> {
        let request = self.request(
            GetAgencyRequest {
                name: format!("agencies/{agency}"),
                language_code: language.to_owned(),
            },
            accept_language,
        );
        let agency = CatalogServiceClient::new(self.catalog.clone())
            .get_agency(request)
            .await?
            .into_inner();
        Ok(CalendarPublisher {
            display_name: agency
                .display_name
                .and_then(|name| name.resolved)
                .map(|resolved| resolved.text)
                .unwrap_or_default(),
            email: agency
                .contact_points
                .into_iter()
                .map(|contact| contact.email)
                .find(|email| !email.is_empty())
                .unwrap_or_default(),
        })
    }

    /// A backend request, bounded in time, in the reader's languages.
    fn request<T>(&self, message: T, accept_language: Option<&HeaderValue>) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        if let Some(value) = accept_language
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
        {
            request.metadata_mut().insert("accept-language", value);
        }
        request
    }
}

/// The `lang` query parameter, when it is a plausible language tag.
fn language(query: Option<&str>) -> String {
    query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find(|tag| {
            !tag.is_empty()
                && tag.len() <= MAX_LANGUAGE
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .unwrap_or_default()
        .to_owned()
}

/// 200 with the calendar, or 304 when the client's copy is current; HEAD without a body.
fn respond(head: bool, headers: &HeaderMap, feed: &Feed, calendar: String) -> http::Response<Body> {
    let etag = etag(calendar.as_bytes());
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        // If-None-Match compares weakly (RFC 9110 §13.1.2).
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    let length = calendar.len();
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if head {
        (StatusCode::OK, Body::empty())
    } else {
        (StatusCode::OK, Body::new(Full::new(Bytes::from(calendar))))
    };
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    let out = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.insert(name, value);
        }
    };
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, MAX_AGE);
    set(header::VARY, "Accept-Language");
    if !fresh {
        set(header::CONTENT_TYPE, "text/calendar; charset=utf-8");
        set(header::CONTENT_LENGTH, &length.to_string());
        let file = match feed {
            Feed::Agency(agency) => agency.clone(),
            Feed::Event(_, event) => event.clone(),
        };
        set(
            header::CONTENT_DISPOSITION,
            &format!("inline; filename=\"{file}.ics\""),
        );
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    }
    response
}

/// A strong entity tag: the body's SHA-256, quoted.
fn etag(body: &[u8]) -> String {
    let mut tag = String::with_capacity(66);
    tag.push('"');
    for byte in Sha256::digest(body) {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    tag
}

/// A backend's refusal as HTTP: what is not public does not exist here.
fn failure(status: &Status) -> http::Response<Body> {
    match status.code() {
        // A draft (FAILED_PRECONDITION) or a malformed id is as absent as a missing one.
        Code::NotFound | Code::InvalidArgument | Code::FailedPrecondition => {
            plain(StatusCode::NOT_FOUND, "no such calendar")
        }
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
            tracing::warn!(code = ?status.code(), "calendar backend unavailable");
            let mut response = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "calendar unavailable; retry later",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            response
        }
        code => {
            tracing::error!(?code, "calendar backend failed");
            plain(StatusCode::BAD_GATEWAY, "calendar unavailable")
        }
    }
}

fn plain(status: StatusCode, text: &str) -> http::Response<Body> {
    let mut response = http::Response::new(Body::new(Full::new(Bytes::from(format!("{text}\n")))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn paths_name_an_agency_or_an_event() {
        assert_eq!(
            Feed::parse("/calendar/agencies/bm.ics"),
            Some(Feed::Agency("bm".into()))
        );
        assert_eq!(
            Feed::parse("/calendar/agencies/bm/events/0193a0b2-7c1d-7e00-8000-000000000001.ics"),
            Some(Feed::Event(
                "bm".into(),
                "0193a0b2-7c1d-7e00-8000-000000000001".into()
            ))
        );
        for wrong in [
            "/calendar/agencies/bm",
            "/calendar/agencies/.ics",
            "/calendar/agencies/BM.ics",
            "/calendar/agencies/bm/events/.ics",
            "/calendar/agencies/bm/registrations/x.ics",
            "/calendar/agencies/../x.ics",
            "/calendar/agencies/bm/events/x/y.ics",
            "/jalia.events.v1.EventService/GetEvent",
        ] {
            assert_eq!(Feed::parse(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn only_a_plausible_language_is_passed_on() {
        assert_eq!(language(Some("lang=fr")), "fr");
        assert_eq!(language(Some("x=1&lang=zgh-Tfng")), "zgh-Tfng");
        assert_eq!(language(Some("lang=f%22r")), "");
        assert_eq!(language(None), "");
    }

    #[test]
    fn the_etag_is_the_bodys_digest_and_a_match_is_304() {
        let feed = Feed::Agency("bm".into());
        let first = respond(
            false,
            &HeaderMap::new(),
            &feed,
            "BEGIN:VCALENDAR\r\n".into(),
        );
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(tag.len(), 66);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        let mut again = HeaderMap::new();
        again.insert(
            header::IF_NONE_MATCH,
            format!("\"other\", W/{tag}").parse().unwrap(),
        );
        let second = respond(false, &again, &feed, "BEGIN:VCALENDAR\r\n".into());
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
        let changed = respond(false, &again, &feed, "BEGIN:VCALENDAR\r\nX\r\n".into());
        assert_eq!(changed.status(), StatusCode::OK);
    }
}
