//! The REST binding each unary RPC declares with `(jalia.options.v1.http)` (AIP-127), read
//! once from the descriptor set: the gateway transcodes REST calls with it and describes
//! them in its OpenAPI document, and the contracts test checks that every unary RPC has
//! one and that no two could match the same request.
//!
//! google.api.HttpRule's template grammar, minus what our contracts do not use: a path is
//! literal segments and `{field.path=pattern}` variables whose pattern is literals, `*`
//! (one segment) and a final `**` (the rest), with an optional final `:verb`.

use prost_reflect::{DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MethodDescriptor};

use crate::options::v1::{HttpRule, http_rule::Pattern};

const HTTP_OPTION: &str = "jalia.options.v1.http";

/// The HTTP methods a binding may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// PUT.
    Put,
    /// POST.
    Post,
    /// DELETE.
    Delete,
    /// PATCH.
    Patch,
}

impl HttpMethod {
    /// The method's name in lower case, as OpenAPI keys operations.
    pub fn lowercase(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Put => "put",
            Self::Post => "post",
            Self::Delete => "delete",
            Self::Patch => "patch",
        }
    }
}

/// What one segment of a path template accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentKind {
    /// The segment as written.
    Literal(String),
    /// `*`: any one non-empty segment.
    Any,
    /// `**`: every remaining segment (at least one).
    Rest,
}

/// One segment of a path template, and the variable it is part of, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSegment {
    /// What it accepts.
    pub kind: SegmentKind,
    /// The index of the variable it binds (`agencies` and `*` in `{name=agencies/*}`
    /// both belong to `name`).
    pub variable: Option<usize>,
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    /// The template as written.
    pub raw: String,
    /// Its segments.
    pub segments: Vec<TemplateSegment>,
    /// The variables' field paths (`name`, `event.name`), by index.
    pub variables: Vec<String>,
    /// The custom verb after the last `:`, if any.
    pub verb: Option<String>,
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path template `{template}`: {problem}")]
pub struct TemplateError {
    /// The template.
    pub template: String,
    /// What is wrong.
    pub problem: &'static str,
}

impl PathTemplate {
    /// Parses `/v1/{name=agencies/*/events/*}:verb`.
    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        let fail = |problem| TemplateError {
            template: raw.to_owned(),
            problem,
        };
        let body = raw.strip_prefix('/').ok_or(fail("must start with `/`"))?;
        // The verb follows the last `:` outside a variable.
        let mut depth = 0usize;
        let mut verb_at = None;
        for (at, ch) in body.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth = depth.checked_sub(1).ok_or(fail("unbalanced `}`"))?,
                ':' if depth == 0 => verb_at = Some(at),
                _ => {}
            }
        }
        if depth != 0 {
            return Err(fail("unbalanced `{`"));
        }
        let (path, verb) = match verb_at {
            Some(at) => (&body[..at], Some(body[at + 1..].to_owned())),
            None => (body, None),
        };
        if verb.as_deref().is_some_and(|verb| !is_name(verb)) {
            return Err(fail("the verb must be a plain name"));
        }
        let mut segments = Vec::new();
        let mut variables: Vec<String> = Vec::new();
        let mut rest = path;
        loop {
            if let Some(inner) = rest.strip_prefix('{') {
                let end = inner.find('}').ok_or(fail("unbalanced `{`"))?;
                let (field, pattern) = inner[..end].split_once('=').unwrap_or((&inner[..end], "*"));
                if field.is_empty() || !field.split('.').all(is_name) {
                    return Err(fail("a variable must name a field"));
                }
                if variables.iter().any(|known| known == field) {
                    return Err(fail("a field is bound twice"));
                }
                let index = variables.len();
                variables.push(field.to_owned());
                for part in pattern.split('/') {
                    segments.push(TemplateSegment {
                        kind: segment_kind(part)
                            .ok_or(fail("a pattern holds literals, `*` and `**`"))?,
                        variable: Some(index),
                    });
                }
                rest = &inner[end + 1..];
            } else {
                let end = rest.find('/').unwrap_or(rest.len());
                match segment_kind(&rest[..end]) {
                    Some(SegmentKind::Literal(literal)) => segments.push(TemplateSegment {
                        kind: SegmentKind::Literal(literal),
                        variable: None,
                    }),
                    _ => return Err(fail("a segment outside a variable must be a literal")),
                }
                rest = &rest[end..];
            }
            rest = match rest.strip_prefix('/') {
                Some(next) => next,
                None if rest.is_empty() => break,
                None => return Err(fail("a variable must be whole segments")),
            };
        }
        if let Some(at) = segments
            .iter()
            .position(|segment| segment.kind == SegmentKind::Rest)
            && at + 1 != segments.len()
        {
            return Err(fail("`**` may only end the path"));
        }
        Ok(Self {
            raw: raw.to_owned(),
            segments,
            variables,
            verb,
        })
    }

    /// Matches a request's path segments (split on `/`, not yet percent-decoded) and verb;
    /// on a match, each variable's field path with the segments it bound.
    pub fn matches<'a>(
        &self,
        segments: &[&'a str],
        verb: Option<&str>,
    ) -> Option<Vec<(&str, Vec<&'a str>)>> {
        if self.verb.as_deref() != verb {
            return None;
        }
        let mut bound: Vec<(&str, Vec<&'a str>)> = self
            .variables
            .iter()
            .map(|field| (field.as_str(), Vec::new()))
            .collect();
        let mut at = 0;
        for segment in &self.segments {
            let taken: &[&'a str] = match &segment.kind {
                SegmentKind::Literal(literal) => {
                    let value = segments.get(at..=at)?;
                    (value[0] == literal.as_str()).then_some(value)?
                }
                SegmentKind::Any => segments.get(at..=at).filter(|value| !value[0].is_empty())?,
                SegmentKind::Rest => segments
                    .get(at..)
                    .filter(|rest| !rest.is_empty() && rest.iter().all(|s| !s.is_empty()))?,
            };
            at += taken.len();
            if let Some(index) = segment.variable {
                bound.get_mut(index)?.1.extend_from_slice(taken);
            }
        }
        (at == segments.len()).then_some(bound)
    }

    /// Whether some request could match both templates (under one HTTP method).
    pub fn overlaps(&self, other: &Self) -> bool {
        if self.verb != other.verb {
            return false;
        }
        let open = |template: &Self| {
            template
                .segments
                .last()
                .is_some_and(|segment| segment.kind == SegmentKind::Rest)
        };
        let (mine, theirs) = (&self.segments, &other.segments);
        let lengths_fit = mine.len() == theirs.len()
            || (open(self) && theirs.len() >= mine.len())
            || (open(other) && mine.len() >= theirs.len());
        lengths_fit
            && mine.iter().zip(theirs).all(|pair| match pair {
                (
                    TemplateSegment {
                        kind: SegmentKind::Literal(a),
                        ..
                    },
                    TemplateSegment {
                        kind: SegmentKind::Literal(b),
                        ..
                    },
                ) => a == b,
                _ => true,
            })
    }
}

fn segment_kind(text: &str) -> Option<SegmentKind> {
    match text {
        "*" => Some(SegmentKind::Any),
        "**" => Some(SegmentKind::Rest),
        literal if is_literal(literal) => Some(SegmentKind::Literal(literal.to_owned())),
        _ => None,
    }
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_literal(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
/// Which part of the request the JSON body fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRule {
    /// No body: every field not in the path comes from the query.
    Empty,
    /// `*`: every field not in the path.
    Whole,
    /// One top-level field; the others not in the path come from the query.
    Field(FieldDescriptor),
}

/// One unary RPC's REST binding.
#[derive(Debug, Clone)]
pub struct HttpBinding {
    /// The RPC.
    pub rpc: MethodDescriptor,
    /// Its HTTP method.
    pub method: HttpMethod,
    /// Its path.
    pub template: PathTemplate,
    /// What the body fills.
    pub body: BodyRule,
    /// Each path variable's fields, outermost first (`event`, then `name`).
    pub path_fields: Vec<Vec<FieldDescriptor>>,
}

impl HttpBinding {
    /// The RPC's gRPC path, `/jalia.events.v1.EventService/GetEvent`.
    pub fn grpc_path(&self) -> String {
        format!(
            "/{}/{}",
            self.rpc.parent_service().full_name(),
            self.rpc.name()
        )
    }
}

/// Why the bindings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpRuleError {
    /// The descriptor set does not decode.
    #[error("the descriptor set does not decode: {0}")]
    Descriptor(#[from] prost_reflect::DescriptorError),
    /// The set lacks our option's definition.
    #[error("the descriptor set lacks the `{HTTP_OPTION}` extension")]
    MissingExtension,
    /// A named service is not in the set.
    #[error("service `{0}` is not in the descriptor set")]
    UnknownService(String),
    /// Some unary RPCs declare no binding.
    #[error("unary RPCs without an http binding: {}", .0.join(", "))]
    Undeclared(Vec<String>),
    /// A binding is malformed.
    #[error("{rpc}: {problem}")]
    Invalid {
        /// The RPC's gRPC path.
        rpc: String,
        /// What is wrong.
        problem: String,
    },
    /// Two bindings could match one request.
    #[error("{0} and {1} could match the same request")]
    Clash(String, String),
}

/// The REST bindings of some services' unary RPCs.
#[derive(Debug, Clone, Default)]
pub struct HttpBindings {
    bindings: Vec<HttpBinding>,
}

impl HttpBindings {
    /// Reads the bindings of the named services from an encoded descriptor set. Fails if a
    /// unary RPC declares none, if a streaming one declares one, if a binding names a
    /// field the request lacks, or if two bindings could match one request.
    pub fn from_descriptor_set(bytes: &[u8], services: &[&str]) -> Result<Self, HttpRuleError> {
        let pool = DescriptorPool::decode(bytes)?;
        let extension = pool
            .get_extension_by_name(HTTP_OPTION)
            .ok_or(HttpRuleError::MissingExtension)?;
        let mut bindings: Vec<HttpBinding> = Vec::new();
        let mut undeclared = Vec::new();
        for service_name in services {
            let service = pool
                .get_service_by_name(service_name)
                .ok_or_else(|| HttpRuleError::UnknownService((*service_name).to_owned()))?;
            for rpc in service.methods() {
                let path = format!("/{}/{}", service.full_name(), rpc.name());
                let options = rpc.options();
                let streaming = rpc.is_client_streaming() || rpc.is_server_streaming();
                if !options.has_extension(&extension) {
                    if !streaming {
                        undeclared.push(path);
                    }
                    continue;
                }
                let invalid = |problem: String| HttpRuleError::Invalid {
                    rpc: path.clone(),
                    problem,
                };
                if streaming {
                    return Err(invalid(
                        "a streaming RPC is offered over gRPC only".to_owned(),
                    ));
                }
                let rule = options
                    .get_extension(&extension)
                    .as_message()
                    .and_then(|message| DynamicMessage::transcode_to::<HttpRule>(message).ok())
                    .ok_or_else(|| invalid("the http option does not decode".to_owned()))?;
                let binding = binding(rpc.clone(), rule).map_err(invalid)?;
                if let Some(other) = bindings.iter().find(|other| {
                    other.method == binding.method && other.template.overlaps(&binding.template)
                }) {
                    return Err(HttpRuleError::Clash(
                        other.template.raw.clone(),
                        binding.template.raw.clone(),
                    ));
                }
                bindings.push(binding);
            }
        }
        if undeclared.is_empty() {
            Ok(Self { bindings })
        } else {
            Err(HttpRuleError::Undeclared(undeclared))
        }
    }

    /// Every binding, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &HttpBinding> {
        self.bindings.iter()
    }

    /// Adds another table's bindings (another service's).
    pub fn extend(&mut self, other: HttpBindings) {
        self.bindings.extend(other.bindings);
    }

    /// The binding a request names, with what each path variable bound; `Err` with the
    /// methods the path does allow when only the method is wrong (empty: no such path).
    #[allow(clippy::type_complexity)]
    pub fn find<'a>(
        &self,
        method: HttpMethod,
        segments: &[&'a str],
        verb: Option<&str>,
    ) -> Result<(&HttpBinding, Vec<Vec<&'a str>>), Vec<HttpMethod>> {
        let mut allowed = Vec::new();
        for binding in &self.bindings {
            if let Some(bound) = binding.template.matches(segments, verb) {
                if binding.method == method {
                    return Ok((
                        binding,
                        bound.into_iter().map(|(_, values)| values).collect(),
                    ));
                }
                allowed.push(binding.method);
            }
        }
        Err(allowed)
    }
}

fn binding(rpc: MethodDescriptor, rule: HttpRule) -> Result<HttpBinding, String> {
    let (method, raw) = match rule.pattern {
        Some(Pattern::Get(path)) => (HttpMethod::Get, path),
        Some(Pattern::Put(path)) => (HttpMethod::Put, path),
        Some(Pattern::Post(path)) => (HttpMethod::Post, path),
        Some(Pattern::Delete(path)) => (HttpMethod::Delete, path),
        Some(Pattern::Patch(path)) => (HttpMethod::Patch, path),
        None => return Err("the http option names no method".to_owned()),
    };
    let template = PathTemplate::parse(&raw).map_err(|err| err.to_string())?;
    let input = rpc.input();
    let mut path_fields = Vec::new();
    for variable in &template.variables {
        let mut message = input.clone();
        let mut fields = Vec::new();
        let mut parts = variable.split('.').peekable();
        while let Some(part) = parts.next() {
            let field = message
                .get_field_by_name(part)
                .ok_or_else(|| format!("the request has no field `{variable}`"))?;
            if field.is_list() || field.is_map() {
                return Err(format!("`{variable}` is repeated"));
            }
            match (field.kind(), parts.peek()) {
                (Kind::Message(inner), Some(_)) => message = inner,
                (Kind::String, None) => {}
                _ => return Err(format!("`{variable}` is not a string field")),
            }
            fields.push(field);
        }
        path_fields.push(fields);
    }
    let body = match rule.body.as_str() {
        "" => BodyRule::Empty,
        "*" => BodyRule::Whole,
        name => BodyRule::Field(
            input
                .get_field_by_name(name)
                .filter(|field| !field.is_list() && matches!(field.kind(), Kind::Message(_)))
                .ok_or_else(|| format!("the body names `{name}`, not a message field"))?,
        ),
    };
    if matches!(method, HttpMethod::Get | HttpMethod::Delete) && body != BodyRule::Empty {
        return Err("GET and DELETE take no body".to_owned());
    }
    Ok(HttpBinding {
        rpc,
        method,
        template,
        body,
        path_fields,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn templates_parse_and_match_resource_names() {
        let template = PathTemplate::parse("/v1/{parent=agencies/*/events/*}:register").unwrap();
        assert_eq!(template.variables, ["parent"]);
        assert_eq!(template.verb.as_deref(), Some("register"));
        let bound = template
            .matches(&["v1", "agencies", "bm", "events", "e1"], Some("register"))
            .unwrap();
        assert_eq!(bound, [("parent", vec!["agencies", "bm", "events", "e1"])]);
        assert!(
            template
                .matches(&["v1", "agencies", "bm", "events", "e1"], None)
                .is_none()
        );
        assert!(
            template
                .matches(&["v1", "agencies", "", "events", "e1"], Some("register"))
                .is_none()
        );
        let nested = PathTemplate::parse("/v1/{event.name=agencies/*/events/*}").unwrap();
        assert_eq!(nested.variables, ["event.name"]);
        let plain = PathTemplate::parse("/v1/agencies").unwrap();
        assert!(plain.matches(&["v1", "agencies"], None).is_some());
        assert!(plain.matches(&["v1", "agencies", "bm"], None).is_none());
        let rest = PathTemplate::parse("/v1/{name=files/**}").unwrap();
        assert_eq!(
            rest.matches(&["v1", "files", "a", "b"], None).unwrap()[0].1,
            ["files", "a", "b"]
        );
    }

    #[test]
    fn malformed_templates_are_refused() {
        for wrong in [
            "v1/x",
            "/v1/{name=agencies/*",
            "/v1/{=x}",
            "/v1/x{name}",
            "/v1/{name=**}/x",
            "/v1/x:",
            "/v1/a b",
            "/v1/{name}/{name}",
            "/v1/",
        ] {
            assert!(PathTemplate::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn overlapping_templates_are_told_apart_from_distinct_ones() {
        let parse = |raw| PathTemplate::parse(raw).unwrap();
        let get_event = parse("/v1/{name=agencies/*/events/*}");
        assert!(get_event.overlaps(&parse("/v1/agencies/{agency}/events/{event}")));
        assert!(!get_event.overlaps(&parse("/v1/{name=agencies/*/services/*}")));
        assert!(!get_event.overlaps(&parse("/v1/{name=agencies/*/events/*}:cancel")));
        assert!(!get_event.overlaps(&parse("/v1/{parent=agencies/*}/events")));
        assert!(parse("/v1/{name=agencies/**}").overlaps(&get_event));
    }
}
