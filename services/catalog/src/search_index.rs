//! The search index each replica keeps in memory: the folded tokens of every service with
//! the few attributes search filters on, and the service itself as committed, so that a
//! search (ranking and the page's services) touches no database. The token table stays
//! the reference (the SQL search in `store::search` answers while the index is not
//! built); this is a cache of it, kept current by the use cases after each commit on this
//! replica and by `background` from the services table for changes made on other
//! replicas, which a search here therefore serves within the refresh interval.
//!
//! The index holds one posting per (service, token): the token's strongest field in that
//! service, since a query word's weight against a token only depends on the field and on
//! whether the token is the whole word. Ranking applies the domain's weights and the same
//! filters as `store::services::filter_condition`; the tests hold both to the SQL.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use jalia_db::to_micros;
use jalia_model::{AgencyCode, Audience};
use uuid::Uuid;

use crate::domain::access::{PrivateScope, StatusVisibility};
use crate::domain::public_service::{ChannelKind, PublicService, Status};
use crate::domain::query::SearchQuery;
use crate::domain::search::{self, SearchField};
use crate::store::search::{Cursor, Hit, Ranked};
use crate::store::stored::to_json;

/// How big a replica's search index is, for the logs and the performance notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSize {
    /// Services indexed.
    pub services: usize,
    /// Distinct tokens.
    pub tokens: usize,
    /// (service, token) pairs.
    pub postings: usize,
    /// An estimate of the heap it holds, in bytes, services included.
    pub bytes: usize,
    /// Of which the services it serves searches from.
    pub service_bytes: usize,
}

/// The in-memory index, shared by the use cases and the background refresh.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Whether the first full load from the database has finished: until then the SQL
    /// search answers.
    ready: bool,
    /// Services by slot; a freed slot is None until reused.
    entries: Vec<Option<Entry>>,
    /// Each slot's service id (nil while free), beside `entries` so that ranking compares
    /// a match with the page it fills without loading the match's entry.
    ids: Vec<Uuid>,
    free_slots: Vec<u32>,
    slot_of: HashMap<Uuid, u32>,
    /// Services deleted while this replica ran, so that a refresh that read them before
    /// the delete does not bring them back.
    deleted: HashSet<Uuid>,
    /// Token → its number, ordered so a prefix is one range.
    tokens: BTreeMap<Box<str>, u32>,
    /// Postings by token number, sorted by slot.
    postings: Vec<Vec<Posting>>,
    free_tokens: Vec<u32>,
    /// Counts applies, so a full refresh removes only what was indexed before it read.
    generation: u64,
}

/// A service matching every word, ordered as results are: the better match is the
/// greater (higher score, then lower id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Match {
    score: i64,
    id: Reverse<Uuid>,
    slot: usize,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    slot: u32,
    field: SearchField,
}

/// What search filters a service on, which tokens it holds, and the service itself as
/// committed, which a search serves without reading the database.
#[derive(Debug)]
struct Entry {
    service: Arc<PublicService>,
    id: Uuid,
    revision: i64,
    agency: AgencyCode,
    status: Status,
    category: Option<Uuid>,
    life_events: Vec<Uuid>,
    audiences: Vec<Audience>,
    channel_kinds: Vec<ChannelKind>,
    update_micros: i64,
    tokens: Vec<u32>,
    generation: u64,
}

impl Entry {
    /// The same conditions as `store::services::filter_condition`.
    fn shows(&self, query: &SearchQuery, visibility: &StatusVisibility) -> bool {
        let filter = &query.filter;
        filter
            .agency
            .as_ref()
            .is_none_or(|agency| *agency == self.agency)
            && filter
                .category
                .is_none_or(|category| self.category == Some(category))
            && filter
                .life_event
                .is_none_or(|life_event| self.life_events.contains(&life_event))
            && filter
                .audience
                .is_none_or(|audience| self.audiences.contains(&audience))
            && filter
                .channel_kind
                .is_none_or(|kind| self.channel_kinds.contains(&kind))
            && filter
                .updated_after
                .is_none_or(|after| self.update_micros > to_micros(after))
            && self.status_shows(visibility)
    }

    fn status_shows(&self, visibility: &StatusVisibility) -> bool {
        if visibility.published && self.status == Status::Published {
            return true;
        }
        visibility.private_statuses.contains(&self.status)
            && match &visibility.private_scope {
                PrivateScope::Everything => true,
                PrivateScope::Agency(code) => *code == self.agency,
                PrivateScope::Nothing => false,
            }
    }
}

/// A service's distinct tokens, each with its strongest field, computed outside the lock.
fn tokens_of(service: &PublicService) -> BTreeMap<String, SearchField> {
    let mut tokens: BTreeMap<String, SearchField> = BTreeMap::new();
    for token in service.content.search_tokens() {
        tokens
            .entry(token.token)
            .and_modify(|field| *field = (*field).min(token.field))
            .or_insert(token.field);
    }
    tokens
}

/// A weight as the ranking buffer holds it: weights are 1 to 6.
fn small(weight: i64) -> u8 {
    u8::try_from(weight).unwrap_or(u8::MAX)
}

impl SearchIndex {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied entry that ranking
        // would misread worse than a stale one, and the refresh repairs staleness.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the first full load as finished: ranking is served from here on.
    pub(crate) fn mark_ready(&self) {
        self.write().ready = true;
    }

    /// Indexes a service as committed, unless the index already holds that revision or a
    /// later one, or the service was deleted.
    pub(crate) fn apply(&self, service: Arc<PublicService>) {
        let tokens = tokens_of(&service);
        let mut state = self.write();
        if state.deleted.contains(&service.id) {
            return;
        }
        if let Some(&slot) = state.slot_of.get(&service.id) {
            let indexed = state.entries[slot as usize]
                .as_ref()
                .map_or(i64::MIN, |entry| entry.revision);
            if indexed >= service.revision {
                return;
            }
            state.remove_slot(slot);
        }
        state.insert(service, tokens);
    }

    /// Forgets a deleted service for good.
    pub(crate) fn remove(&self, id: Uuid) {
        let mut state = self.write();
        state.deleted.insert(id);
        if let Some(slot) = state.slot_of.get(&id).copied() {
            state.remove_slot(slot);
        }
    }

    /// Of the (id, revision) pairs the database holds, the ids the index lacks or holds
    /// at an older revision (deleted ones aside).
    pub(crate) fn outdated(&self, versions: &[(Uuid, i64)]) -> Vec<Uuid> {
        let state = self.read();
        versions
            .iter()
            .filter(|(id, revision)| {
                !state.deleted.contains(id)
                    && state
                        .slot_of
                        .get(id)
                        .and_then(|slot| state.entries[*slot as usize].as_ref())
                        .is_none_or(|entry| entry.revision < *revision)
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// The current generation: a full refresh reads it before reading the database.
    pub(crate) fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Removes the services indexed by `generation` that the database no longer
    /// has (deleted on another replica). Returns how many went.
    pub(crate) fn retain_present(&self, present: &HashSet<Uuid>, generation: u64) -> usize {
        let mut state = self.write();
        let gone: Vec<(Uuid, u32)> = state
            .slot_of
            .iter()
            .filter(|(id, slot)| {
                !present.contains(id)
                    && state.entries[**slot as usize]
                        .as_ref()
                        .is_some_and(|entry| entry.generation <= generation)
            })
            .map(|(id, slot)| (*id, *slot))
            .collect();
        for (id, slot) in &gone {
            state.deleted.insert(*id);
            state.remove_slot(*slot);
        }
        gone.len()
    }

    /// The services matching every query word that the viewer may see, after `after`, by
    /// score descending then id, at most `limit`, as indexed; None until the first load
    /// finished.
    pub(crate) fn search(
        &self,
        query: &SearchQuery,
        visibility: &StatusVisibility,
        after: Option<Cursor>,
        limit: usize,
    ) -> Option<Vec<Hit>> {
        let state = self.read();
        if !state.ready {
            return None;
        }
        let ranked = state.rank(query, visibility, after, limit);
        Some(
            ranked
                .into_iter()
                .filter_map(|(slot, ranked)| {
                    let entry = state.entries[slot].as_ref()?;
                    let (score, matched_field) = search::score(&ranked.weights);
                    Some(Hit {
                        service: Arc::clone(&entry.service),
                        score,
                        matched_field,
                    })
                })
                .collect(),
        )
    }

    /// What `search` ranks, with each word's best weight: what the tests hold to the SQL.
    #[cfg(test)]
    fn rank(
        &self,
        query: &SearchQuery,
        visibility: &StatusVisibility,
        after: Option<Cursor>,
        limit: usize,
    ) -> Option<Vec<Ranked>> {
        let state = self.read();
        if !state.ready {
            return None;
        }
        Some(
            state
                .rank(query, visibility, after, limit)
                .into_iter()
                .map(|(_, ranked)| ranked)
                .collect(),
        )
    }

    /// How big the index is now.
    pub(crate) fn size(&self) -> IndexSize {
        self.read().size()
    }
}

impl State {
    fn insert(&mut self, service: Arc<PublicService>, tokens: BTreeMap<String, SearchField>) {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.entries.push(None);
                self.ids.push(Uuid::nil());
                u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let mut numbers = Vec::with_capacity(tokens.len());
        for (token, field) in tokens {
            let number = self.token_number(token);
            let postings = &mut self.postings[number as usize];
            let at = postings.partition_point(|posting| posting.slot < slot);
            postings.insert(at, Posting { slot, field });
            numbers.push(number);
        }
        self.generation += 1;
        let content = &service.content;
        let id = service.id;
        self.entries[slot as usize] = Some(Entry {
            id,
            revision: service.revision,
            agency: service.agency.clone(),
            status: service.status,
            category: content.category,
            life_events: content.life_events.clone(),
            audiences: content.audiences.clone(),
            channel_kinds: content
                .channels
                .iter()
                .map(|channel| channel.kind)
                .collect(),
            update_micros: to_micros(service.update_time),
            tokens: numbers,
            generation: self.generation,
            service,
        });
        self.ids[slot as usize] = id;
        self.slot_of.insert(id, slot);
    }

    fn token_number(&mut self, token: String) -> u32 {
        if let Some(number) = self.tokens.get(token.as_str()) {
            return *number;
        }
        let number = match self.free_tokens.pop() {
            Some(number) => number,
            None => {
                self.postings.push(Vec::new());
                u32::try_from(self.postings.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.tokens.insert(token.into_boxed_str(), number);
        number
    }

    fn remove_slot(&mut self, slot: u32) {
        let Some(entry) = self.entries[slot as usize].take() else {
            return;
        };
        self.slot_of.remove(&entry.id);
        self.ids[slot as usize] = Uuid::nil();
        self.free_slots.push(slot);
        let mut emptied = Vec::new();
        for number in entry.tokens {
            let postings = &mut self.postings[number as usize];
            if let Ok(at) = postings.binary_search_by_key(&slot, |posting| posting.slot) {
                postings.remove(at);
            }
            if postings.is_empty() {
                emptied.push(number);
            }
        }
        if !emptied.is_empty() {
            // Words no service holds any more leave the vocabulary, so that it does not
            // grow with every text ever written.
            self.tokens.retain(|_, number| !emptied.contains(number));
            self.free_tokens.extend(emptied);
        }
    }

    fn rank(
        &self,
        query: &SearchQuery,
        visibility: &StatusVisibility,
        after: Option<Cursor>,
        limit: usize,
    ) -> Vec<(usize, Ranked)> {
        let words = query.words.len();
        if words == 0 || limit == 0 {
            return Vec::new();
        }
        // Word i's best weight for the service in slot s, at s * words + i.
        let mut best = vec![0_u8; self.entries.len() * words];
        for (index, word) in query.words.iter().enumerate() {
            let range = self
                .tokens
                .range::<str, _>((Bound::Included(word.as_str()), Bound::Unbounded))
                .take_while(|(token, _)| token.starts_with(word.as_str()));
            for (token, number) in range {
                let whole = **token == **word;
                for posting in &self.postings[*number as usize] {
                    let weight = small(if whole {
                        posting.field.whole_word_weight()
                    } else {
                        posting.field.prefix_weight()
                    });
                    let cell = &mut best[posting.slot as usize * words + index];
                    *cell = (*cell).max(weight);
                }
            }
        }
        // The page so far, its worst match on top: a match that would not enter it is
        // passed over without loading its entry (a common word matches thousands).
        let mut page: BinaryHeap<Reverse<Match>> = BinaryHeap::with_capacity(limit + 1);
        for (slot, weights) in best.chunks_exact(words).enumerate() {
            if weights.contains(&0) {
                continue;
            }
            let score: i64 = weights.iter().map(|weight| i64::from(*weight)).sum();
            let id = self.ids[slot];
            let is_after = after.is_none_or(|cursor| {
                score < cursor.score || (score == cursor.score && id > cursor.id)
            });
            let found = Match {
                score,
                id: Reverse(id),
                slot,
            };
            let enters =
                page.len() < limit || page.peek().is_some_and(|Reverse(worst)| found > *worst);
            if !is_after || !enters {
                continue;
            }
            let Some(entry) = &self.entries[slot] else {
                continue;
            };
            if entry.shows(query, visibility) {
                page.push(Reverse(found));
                if page.len() > limit {
                    page.pop();
                }
            }
        }
        // Best first: score descending, then id.
        page.into_sorted_vec()
            .into_iter()
            .map(|Reverse(found)| {
                let slot = found.slot;
                let weights = best[slot * words..(slot + 1) * words]
                    .iter()
                    .map(|weight| i64::from(*weight))
                    .collect();
                (
                    slot,
                    Ranked {
                        id: found.id.0,
                        weights,
                    },
                )
            })
            .collect()
    }

    fn size(&self) -> IndexSize {
        let postings: usize = self.postings.iter().map(Vec::len).sum();
        let posting_bytes: usize = self
            .postings
            .iter()
            .map(|list| list.capacity() * size_of::<Posting>() + size_of::<Vec<Posting>>())
            .sum();
        let token_bytes: usize = self
            .tokens
            .keys()
            .map(|token| token.len() + size_of::<Box<str>>() + size_of::<u32>())
            .sum();
        let entry_bytes: usize = self
            .entries
            .iter()
            .flatten()
            .map(|entry| {
                entry.tokens.capacity() * size_of::<u32>()
                    + entry.life_events.capacity() * size_of::<Uuid>()
                    + entry.agency.as_str().len()
            })
            .sum::<usize>()
            + self.entries.capacity() * size_of::<Option<Entry>>()
            + self.ids.capacity() * size_of::<Uuid>()
            + self.slot_of.capacity() * (size_of::<Uuid>() + size_of::<u32>());
        // The services' texts dominate their heap: their stored JSON's length is close
        // to it, and costs nothing while searching (the size is asked for at start only).
        let service_bytes: usize = self
            .entries
            .iter()
            .flatten()
            .map(|entry| {
                size_of::<PublicService>()
                    + to_json(&entry.service.content).map_or(0, |json| json.len())
            })
            .sum();
        IndexSize {
            services: self.slot_of.len(),
            tokens: self.tokens.len(),
            postings,
            bytes: posting_bytes + token_bytes + entry_bytes + service_bytes,
            service_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use jalia_db::testing::TestDatabase;
    use jalia_db::{Db, from_micros};
    use jalia_model::LocalizedText;

    use super::*;
    use crate::domain::access::PrivateScope;
    use crate::domain::agency::{Agency, AgencyContent, AgencyKind};
    use crate::domain::place::HttpsUrl;
    use crate::domain::public_service::{Channel, ServiceContent};
    use crate::domain::query::ServiceQuery;
    use crate::domain::search::query_words;
    use crate::store;

    /// Words as service sheets and readers write them, with articles, accents, plurals.
    const WORDS: [&str; 18] = [
        "logement",
        "Logements",
        "aide",
        "permis",
        "construire",
        "note",
        "renseignements",
        "Urbanisme",
        "Élève",
        "مذكرة",
        "المعلومات",
        "التعميرية",
        "السكن",
        "سكن",
        "الدعم",
        "رخصة",
        "البناء",
        "الم",
    ];

    const QUERIES: [&str; 12] = [
        "logement",
        "log",
        "aide logement",
        "LOGEMENTS",
        "eleve",
        "مذكرة المعلومات",
        "سكن",
        "الم",
        "ال",
        "r",
        "permis construire note",
        "absent",
    ];

    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(self.0 >> 33).unwrap() % below
        }

        fn text(&mut self, words: usize) -> String {
            (0..words)
                .map(|_| WORDS[self.next(WORDS.len())])
                .collect::<Vec<_>>()
                .join(" ")
        }
    }

    fn agency(code: &str) -> AgencyCode {
        AgencyCode::parse(code).unwrap()
    }

    fn service(rng: &mut Lcg, number: i64) -> PublicService {
        let statuses = [Status::Draft, Status::Published, Status::Retired];
        let audiences = [Audience::Citizens, Audience::Diaspora];
        let content = ServiceContent {
            display_name: LocalizedText::single("fr", &rng.text(2)).with("ar", &rng.text(1)),
            description: LocalizedText::single("fr", &rng.text(4)),
            keywords: (0..rng.next(3))
                .map(|_| LocalizedText::single("fr", &rng.text(1)))
                .collect(),
            audiences: vec![audiences[rng.next(2)]],
            channels: if rng.next(2) == 0 {
                vec![
                    Channel::new(
                        ChannelKind::Online,
                        LocalizedText::default(),
                        Some(HttpsUrl::parse("https://rokhas.ma").unwrap()),
                        None,
                        None,
                        None,
                    )
                    .unwrap(),
                ]
            } else {
                Vec::new()
            },
            ..ServiceContent::default()
        };
        PublicService {
            id: Uuid::now_v7(),
            agency: agency(["bm", "wbk"][rng.next(2)]),
            content,
            status: statuses[rng.next(3)],
            revision: 1,
            create_time: from_micros(number * 1_000_000),
            update_time: from_micros(number * 1_000_000),
            publish_time: None,
            retire_time: None,
        }
    }

    async fn seeded(db: &Db, count: i64) -> Vec<PublicService> {
        db.migrate::<store::Migrator>().await.unwrap();
        for code in ["bm", "wbk"] {
            let agency = Agency {
                code: agency(code),
                content: AgencyContent::of_kind(AgencyKind::Commune),
                create_time: from_micros(0),
                update_time: from_micros(0),
                version: 1,
            };
            let tx = db.begin_write().await.unwrap();
            store::agencies::insert(&tx, &agency).await.unwrap();
            tx.commit().await.unwrap();
        }
        let mut rng = Lcg(7);
        let mut services = Vec::new();
        for number in 0..count {
            let service = service(&mut rng, number);
            let tx = db.begin_write().await.unwrap();
            store::services::insert(&tx, &service).await.unwrap();
            tx.commit().await.unwrap();
            services.push(service);
        }
        services
    }

    fn visibilities() -> Vec<StatusVisibility> {
        vec![
            StatusVisibility {
                published: true,
                private_statuses: Vec::new(),
                private_scope: PrivateScope::Nothing,
            },
            StatusVisibility {
                published: true,
                private_statuses: vec![Status::Draft, Status::Retired],
                private_scope: PrivateScope::Agency(agency("bm")),
            },
            StatusVisibility {
                published: false,
                private_statuses: vec![Status::Draft],
                private_scope: PrivateScope::Everything,
            },
        ]
    }

    fn filters() -> Vec<ServiceQuery> {
        vec![
            ServiceQuery::default(),
            ServiceQuery {
                agency: Some(agency("wbk")),
                ..ServiceQuery::default()
            },
            ServiceQuery {
                audience: Some(Audience::Diaspora),
                channel_kind: Some(ChannelKind::Online),
                ..ServiceQuery::default()
            },
            ServiceQuery {
                updated_after: Some(from_micros(60 * 1_000_000)),
                ..ServiceQuery::default()
            },
        ]
    }

    /// Every page of `limit`, walked with the cursor of each page's last service.
    async fn pages_from_sql(
        db: &Db,
        query: &SearchQuery,
        visibility: &StatusVisibility,
        limit: u64,
    ) -> Vec<Vec<Ranked>> {
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let page = store::search::rank(db.connection(), query, visibility, after, limit)
                .await
                .unwrap();
            let Some(last) = page.last() else {
                return pages;
            };
            after = Some(Cursor {
                score: last.weights.iter().sum(),
                id: last.id,
            });
            pages.push(page);
        }
    }

    fn pages_from_index(
        index: &SearchIndex,
        query: &SearchQuery,
        visibility: &StatusVisibility,
        limit: usize,
    ) -> Vec<Vec<Ranked>> {
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let page = index.rank(query, visibility, after, limit).unwrap();
            let Some(last) = page.last() else {
                return pages;
            };
            after = Some(Cursor {
                score: last.weights.iter().sum(),
                id: last.id,
            });
            pages.push(page);
        }
    }

    #[tokio::test]
    async fn the_index_ranks_and_pages_as_the_token_table_on_both_backends() {
        let database = TestDatabase::new().await;
        let db = database.db();
        let services = seeded(db, 120).await;
        let index = SearchIndex::default();
        assert_eq!(
            index.rank(
                &search("aide", ServiceQuery::default()),
                &visibilities()[0],
                None,
                10
            ),
            None
        );
        for service in &services {
            index.apply(Arc::new(service.clone()));
        }
        index.mark_ready();
        let mut compared = 0;
        for text in QUERIES {
            for filter in filters() {
                let query = search(text, filter);
                for visibility in visibilities() {
                    let sql = pages_from_sql(db, &query, &visibility, 7).await;
                    let memory = pages_from_index(&index, &query, &visibility, 7);
                    assert_eq!(memory, sql, "{text} {query:?} {visibility:?}");
                    compared += sql.iter().map(Vec::len).sum::<usize>();
                }
            }
        }
        assert!(compared > 500, "the fixture matches too little: {compared}");
    }

    fn search(text: &str, filter: ServiceQuery) -> SearchQuery {
        SearchQuery {
            words: query_words(text),
            filter,
        }
    }

    fn published(number: i64, name: &str, revision: i64) -> PublicService {
        PublicService {
            id: Uuid::from_u128(u128::try_from(number).unwrap()),
            agency: agency("bm"),
            content: ServiceContent {
                display_name: LocalizedText::single("fr", name),
                ..ServiceContent::default()
            },
            status: Status::Published,
            revision,
            create_time: from_micros(0),
            update_time: from_micros(revision),
            publish_time: None,
            retire_time: None,
        }
    }

    fn found(index: &SearchIndex, text: &str) -> Vec<Uuid> {
        let visibility = &visibilities()[0];
        index
            .rank(
                &search(text, ServiceQuery::default()),
                visibility,
                None,
                100,
            )
            .unwrap()
            .into_iter()
            .map(|ranked| ranked.id)
            .collect()
    }

    #[test]
    fn a_later_revision_replaces_an_earlier_one_never_the_reverse() {
        let index = SearchIndex::default();
        index.mark_ready();
        index.apply(Arc::new(published(1, "logement", 2)));
        index.apply(Arc::new(published(1, "permis", 1)));
        assert_eq!(found(&index, "logement"), vec![Uuid::from_u128(1)]);
        assert!(found(&index, "permis").is_empty());
        index.apply(Arc::new(published(1, "permis", 3)));
        assert!(found(&index, "logement").is_empty());
        assert_eq!(found(&index, "permis"), vec![Uuid::from_u128(1)]);
        let size = index.size();
        assert_eq!((size.services, size.tokens, size.postings), (1, 1, 1));
        assert_eq!(
            index.outdated(&[(Uuid::from_u128(1), 3), (Uuid::from_u128(2), 1)]),
            vec![Uuid::from_u128(2)]
        );
    }

    #[test]
    fn a_deleted_service_does_not_come_back_from_an_older_read() {
        let index = SearchIndex::default();
        index.mark_ready();
        index.apply(Arc::new(published(1, "logement", 1)));
        index.remove(Uuid::from_u128(1));
        index.apply(Arc::new(published(1, "logement", 1)));
        assert!(found(&index, "logement").is_empty());
        assert!(index.outdated(&[(Uuid::from_u128(1), 1)]).is_empty());
        assert_eq!(
            index.size().tokens,
            0,
            "an unused word leaves the vocabulary"
        );
    }

    #[test]
    fn a_full_reload_drops_only_what_it_could_have_read() {
        let index = SearchIndex::default();
        index.mark_ready();
        index.apply(Arc::new(published(1, "logement", 1)));
        let generation = index.generation();
        // Committed after the reload read the table: not in what it read, yet kept.
        index.apply(Arc::new(published(2, "logement", 1)));
        let gone = index.retain_present(&HashSet::new(), generation);
        assert_eq!(gone, 1);
        assert_eq!(found(&index, "logement"), vec![Uuid::from_u128(2)]);
    }

    #[test]
    fn freed_slots_and_tokens_are_reused() {
        let index = SearchIndex::default();
        index.mark_ready();
        for number in 1..=3 {
            index.apply(Arc::new(published(
                number,
                &format!("mot{number} commun"),
                1,
            )));
        }
        index.remove(Uuid::from_u128(2));
        index.apply(Arc::new(published(4, "autre commun", 1)));
        let mut all = found(&index, "commun");
        all.sort();
        assert_eq!(
            all,
            vec![Uuid::from_u128(1), Uuid::from_u128(3), Uuid::from_u128(4)]
        );
        assert_eq!(
            found(&index, "mot"),
            vec![Uuid::from_u128(1), Uuid::from_u128(3)]
        );
        assert_eq!(index.size().services, 3);
    }
}
