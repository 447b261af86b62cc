//! The events service over gRPC on real servers bound to 127.0.0.1:0, on SQLite by
//! default and on PostgreSQL when JALIA_TEST_POSTGRES_URL is set. One binary: the log
//! capture of `personal_data` is the process's only subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod calendar;
mod changes;
mod consent;
mod events;
mod helpers;
mod lifecycle;
mod limits;
mod personal_data;
mod registrations;
mod rights;
mod self_service;
