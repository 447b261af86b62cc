//! Page-token opening with a fixed key, scope and clock, for the fuzz targets in `fuzz/`
//! (the `fuzzing` feature, off in every normal build).

use jalia_model::PageRequest;
use jiff::Timestamp;
use serde_json::Value;
use uuid::Uuid;

use crate::{PageScope, PageTokenError, PageTokens};

/// Fixed, so that a finding replays exactly.
const KEY: [u8; 32] = [0x24; 32];
/// The clock, in unix seconds.
const NOW: i64 = 1_780_000_000;

fn scope() -> PageScope<'static> {
    PageScope {
        method: "/jalia.events.v1.EventService/ListEvents",
        caller_agency: "mre",
        query: b"{}",
    }
}

fn tokens() -> Option<(PageTokens, Timestamp)> {
    let tokens = PageTokens::new(&KEY, crate::PAGE_TOKEN_TTL).ok()?;
    Some((tokens, Timestamp::from_second(NOW).ok()?))
}

/// Opens `token` as a List's `page_token` is opened: straight, and through a pager
/// (`PageRequest::parse`, then the cursor), as cursors of the shapes the services use.
pub fn open(token: &str) -> Option<Result<Value, PageTokenError>> {
    let (tokens, now) = tokens()?;
    let opened = tokens.open::<Value>(token, &scope(), now);
    drop(tokens.open::<Uuid>(token, &scope(), now));
    if let Ok(request) = PageRequest::parse(10, token)
        && let Ok(pager) = tokens.pager(scope().method, None, &"{}", &request, now)
    {
        drop(pager.cursor::<Value>());
    }
    Some(opened)
}

/// Seals `cursor` as it is with the fixed key, valid for a minute, and opens it: past the
/// tag check, only the cursor's decoding can refuse it.
pub fn open_sealed(cursor: &[u8]) -> Option<Result<Value, PageTokenError>> {
    let (tokens, now) = tokens()?;
    let token = tokens.seal_raw(&scope(), cursor, NOW + 60);
    drop(tokens.open::<(i64, Uuid)>(&token, &scope(), now));
    Some(tokens.open::<Value>(&token, &scope(), now))
}
