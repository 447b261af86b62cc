//! The inquiries service end to end: real servers on 127.0.0.1:0 over a test database
//! (SQLite by default, PostgreSQL when JALIA_TEST_POSTGRES_URL is set), the generated
//! client, development tokens, a clock the tests set, and a fake services catalog on its
//! own port. One file per resource; `helpers` builds the world each test runs in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod attachments;
mod calendars;
mod categories;
mod changes;
mod due_dates;
mod escalation;
mod fake_catalog;
mod helpers;
mod inquiries;
mod kinds;
mod lists;
mod lookup;
mod messages;
mod privacy;
mod public_statistics;
mod retention;
mod rights;
mod service;
mod statistics;
mod submissions;
mod thread;
