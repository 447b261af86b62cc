//! The labels of the agencies that search results name, kept by each replica beside its
//! search index so that a search reads no database. Kept current the same way: after
//! each agency committed on this replica, and by `background` from the agencies changed
//! on other replicas (so a renamed agency shows in search results here within the
//! refresh interval). Agencies are never deleted, and a label is only replaced by a
//! later version, so reads racing with commits cannot bring back an older name.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{PoisonError, RwLock};

use jalia_model::AgencyCode;

use crate::domain::agency::{Agency, AgencyLabel, AgencyLabels};

/// Agencies' labels by code, with the version each was read at.
#[derive(Debug, Default)]
pub(crate) struct AgencyLabelCache {
    labels: RwLock<HashMap<AgencyCode, (i64, AgencyLabel)>>,
}

impl AgencyLabelCache {
    /// Keeps these agencies' labels as read or committed, unless a later version is
    /// already kept.
    pub(crate) fn apply<'a>(&self, agencies: impl IntoIterator<Item = &'a Agency>) {
        // A panic while holding the lock leaves whole entries only.
        let mut labels = self.labels.write().unwrap_or_else(PoisonError::into_inner);
        for agency in agencies {
            let newer = labels
                .get(&agency.code)
                .is_none_or(|(version, _)| *version < agency.version);
            if newer {
                labels.insert(agency.code.clone(), (agency.version, agency.label()));
            }
        }
    }

    /// The labels of these agencies, or None when one of them is not kept.
    pub(crate) fn labels(&self, codes: &BTreeSet<AgencyCode>) -> Option<AgencyLabels> {
        let labels = self.labels.read().unwrap_or_else(PoisonError::into_inner);
        codes
            .iter()
            .map(|code| {
                labels
                    .get(code)
                    .map(|(_, label)| (code.clone(), label.clone()))
            })
            .collect::<Option<BTreeMap<_, _>>>()
            .map(AgencyLabels::new)
    }
}

#[cfg(test)]
mod tests {
    use jalia_db::from_micros;

    use super::*;
    use crate::domain::agency::{AgencyContent, AgencyKind};

    fn agency(code: &str, name: &str, version: i64) -> Agency {
        let mut content = AgencyContent::of_kind(AgencyKind::Commune);
        content.display_name = jalia_model::LocalizedText::single("fr", name);
        Agency {
            code: AgencyCode::parse(code).unwrap(),
            content,
            create_time: from_micros(0),
            update_time: from_micros(version),
            version,
        }
    }

    fn name(cache: &AgencyLabelCache, code: &str) -> Option<String> {
        let code = AgencyCode::parse(code).unwrap();
        let labels = cache.labels(&BTreeSet::from([code.clone()]))?;
        Some(format!("{:?}", labels.display_name(&code)))
    }

    #[test]
    fn a_later_version_replaces_an_earlier_one_never_the_reverse() {
        let cache = AgencyLabelCache::default();
        assert_eq!(name(&cache, "bm"), None);
        cache.apply([&agency("bm", "Béni Mellal", 2)]);
        cache.apply([&agency("bm", "Ancien nom", 1)]);
        let kept = name(&cache, "bm").unwrap();
        assert!(kept.contains("Béni Mellal"), "{kept}");
        cache.apply([&agency("bm", "Nouveau nom", 3)]);
        let kept = name(&cache, "bm").unwrap();
        assert!(kept.contains("Nouveau nom"), "{kept}");
    }

    #[test]
    fn labels_are_given_only_when_every_agency_is_kept() {
        let cache = AgencyLabelCache::default();
        cache.apply([&agency("bm", "Béni Mellal", 1)]);
        let codes = BTreeSet::from([
            AgencyCode::parse("bm").unwrap(),
            AgencyCode::parse("wbk").unwrap(),
        ]);
        assert_eq!(cache.labels(&codes), None);
        cache.apply([&agency("wbk", "Wilaya", 1)]);
        assert_eq!(
            cache.labels(&codes).map(|labels| labels.iter().count()),
            Some(2)
        );
    }
}
