use jalia_proto::AccessRule;

pub use jalia_model::{AgencyScope, Caller};

/// Reads an `agency` claim: `*` for ministry-wide callers, else a code by the one rule agency
/// codes follow everywhere ([`jalia_model::AgencyCode`]), so a token cannot name an agency
/// that no resource could belong to.
pub fn parse_agency_claim(value: &str) -> Option<AgencyScope> {
    if value == "*" {
        return Some(AgencyScope::Ministry);
    }
    jalia_model::AgencyCode::parse(value)
        .ok()
        .map(|code| AgencyScope::Agency(code.as_str().to_owned()))
}

/// Why a call was refused by its access rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The RPC needs a scope and the call carried no (valid) token.
    #[error("this call needs a bearer token")]
    Unauthenticated,
    /// The token is valid but lacks the RPC's scope.
    #[error("the token lacks the `{scope}` scope")]
    PermissionDenied {
        /// The scope the RPC declares.
        scope: String,
    },
}

/// The generic check the server runs for every call, from the RPC's declared rule.
///
/// `Public` lets anyone through (a token that was presented has already been verified by the
/// time this runs); `Scope(s)` needs a caller holding `s`.
pub fn authorize(rule: &AccessRule, caller: Option<&Caller>) -> Result<(), Denied> {
    match rule {
        AccessRule::Public => Ok(()),
        AccessRule::Scope(scope) => match caller {
            None => Err(Denied::Unauthenticated),
            Some(caller) if caller.has_scope(scope) => Ok(()),
            Some(_) => Err(Denied::PermissionDenied {
                scope: scope.clone(),
            }),
        },
    }
}
