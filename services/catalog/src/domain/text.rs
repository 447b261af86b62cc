//! How long the catalog's texts and lists may be: enough for any real service sheet, small
//! enough that one request cannot fill the database or the search index.

/// A name or title (service, agency, category, document, platform).
pub(crate) const MAX_NAME_CHARS: usize = 300;
/// A short label (channel, contact point, cost line, keyword).
pub(crate) const MAX_LABEL_CHARS: usize = 200;
/// A description, a requirement, an output.
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 5000;

/// Most keywords on a service.
pub(crate) const MAX_KEYWORDS: usize = 40;
/// Most entries in the other lists of a service (channels, requirements, evidence,
/// costs, legal references, platforms) and of an agency (contact points, sites).
pub(crate) const MAX_LIST_ITEMS: usize = 30;
/// Most life events on a service.
pub(crate) const MAX_LIFE_EVENTS: usize = 10;
