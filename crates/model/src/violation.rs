//! Bad input is reported field by field (AIP-193), all at once, so a caller fixes a form
//! in one round trip. Paths name the field as the request spells it, with the index of
//! a repeated field's element in brackets: `event.agenda_items[2].title`.

use std::borrow::Cow;

/// The longest caller value a description quotes (see [`quote`]).
pub const MAX_QUOTED_CHARS: usize = 64;

/// One field of a request that is wrong, named by its path (`event.start.time_zone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request.
    pub field: String,
    /// What is wrong with it, for the caller's developers.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The same violation under a parent path: `start.time_zone` under `event` becomes
    /// `event.start.time_zone`, and `[2].title` under `agenda_items` becomes
    /// `agenda_items[2].title`.
    pub fn under(mut self, parent: &str) -> Self {
        self.field = join(parent, &self.field);
        self
    }
}

/// `parent` then `child`, with a dot unless the child is an index or either is empty.
fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else if child.is_empty() {
        parent.to_owned()
    } else if child.starts_with('[') {
        format!("{parent}{child}")
    } else {
        format!("{parent}.{child}")
    }
}

/// Collects violations while a request is checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// None yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Records a violation made elsewhere.
    pub fn push(&mut self, violation: FieldViolation) {
        self.0.push(violation);
    }

    /// Records every violation of a nested check under `parent`.
    pub fn extend_under(&mut self, parent: &str, nested: Vec<FieldViolation>) {
        self.0
            .extend(nested.into_iter().map(|violation| violation.under(parent)));
    }

    /// Keeps the value of a check, or records its violations under `field` and gives None.
    pub fn take<T>(&mut self, field: &str, checked: Result<T, Vec<FieldViolation>>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(nested) => {
                self.extend_under(field, nested);
                None
            }
        }
    }

    /// Keeps the value of a check of one field that describes its problem in words, or
    /// records that problem on `field` and gives None.
    pub fn check<T>(&mut self, field: &str, checked: Result<T, String>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem);
                None
            }
        }
    }

    /// Checks each element of a repeated field: at most `max` of them (one violation on
    /// `field` otherwise, and the elements are not looked at), each one's violations
    /// nested under its index, `field[i].sub`. Gives the elements that passed.
    pub fn each<W, T>(
        &mut self,
        field: &str,
        items: &[W],
        max: usize,
        mut check: impl FnMut(&W) -> Result<T, Vec<FieldViolation>>,
    ) -> Vec<T> {
        if items.len() > max {
            self.add(field, format!("at most {max} entries"));
            return Vec::new();
        }
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| self.take(&format!("{field}[{index}]"), check(item)))
            .collect()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every violation.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldViolation>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }

    /// The violations.
    pub fn into_vec(self) -> Vec<FieldViolation> {
        self.0
    }
}

/// A caller's value as a description quotes it: in backticks, cut to
/// [`MAX_QUOTED_CHARS`] characters, so that an error never echoes unbounded input back
/// (`"`{}` is not an agency code"` with [`quote`] of the value).
pub fn quote(value: &str) -> String {
    format!("`{}`", truncate_chars(value, MAX_QUOTED_CHARS))
}

/// `text` cut to at most `max_chars` characters on a character boundary, the last of
/// them an ellipsis when anything was cut.
pub fn truncate_chars(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let kept = max_chars.saturating_sub(1);
            let end = text
                .char_indices()
                .nth(kept)
                .map_or(text.len(), |(index, _)| index);
            Cow::Owned(format!("{}…", &text[..end]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_nest_by_index() {
        let mut violations = Violations::new();
        let titles = ["Ouverture", "", "Clôture", ""];
        let kept = violations.each("event.agenda_items", &titles, 10, |title| {
            if title.is_empty() {
                Err(vec![FieldViolation::new("title", "must be set")])
            } else {
                Ok(title.len())
            }
        });
        assert_eq!(kept.len(), 2);
        let fields: Vec<String> = violations.into_vec().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            ["event.agenda_items[1].title", "event.agenda_items[3].title"]
        );
    }

    #[test]
    fn nested_lists_and_whole_elements_get_plain_paths() {
        let inner = FieldViolation::new("[0]", "must be a UUID");
        assert_eq!(inner.under("life_events").field, "life_events[0]");
        let mut violations = Violations::new();
        violations.each("speakers", &[1, 2], 5, |_| {
            Err::<(), _>(vec![FieldViolation::new("", "is wrong")])
        });
        let fields: Vec<String> = violations.into_vec().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["speakers[0]", "speakers[1]"]);
    }

    #[test]
    fn too_many_elements_is_one_violation_and_none_are_checked() {
        let mut violations = Violations::new();
        let mut checked = 0;
        let kept = violations.each("speakers", &[0; 1000], 50, |_| {
            checked += 1;
            Ok::<_, Vec<FieldViolation>>(())
        });
        assert!(kept.is_empty());
        assert_eq!(checked, 0);
        assert_eq!(
            violations.into_vec(),
            [FieldViolation::new("speakers", "at most 50 entries")]
        );
    }

    #[test]
    fn quotes_are_bounded_and_cut_on_a_character_boundary() {
        assert_eq!(quote("bm"), "`bm`");
        let long = "é".repeat(10_000);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), MAX_QUOTED_CHARS + 2);
        assert!(quoted.ends_with("…`"));
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        assert_eq!(truncate_chars("ⴰⵙⵙⴰ", 2), "ⴰ…");
    }
}
