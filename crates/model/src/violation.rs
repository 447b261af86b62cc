//! Bad input is reported field by field (AIP-193), all at once, so a caller fixes a form
//! in one round trip.

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
    /// `event.start.time_zone`.
    pub fn under(mut self, parent: &str) -> Self {
        if !parent.is_empty() {
            self.field = if self.field.is_empty() {
                parent.to_owned()
            } else {
                format!("{parent}.{}", self.field)
            };
        }
        self
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
