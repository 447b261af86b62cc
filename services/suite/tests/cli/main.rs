//! The `jalia` binary: the manifests that run it, the traces its processes export, and the
//! runtime it builds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly
#![allow(clippy::print_stderr)] // a skipped test says why

mod deploy;
mod runtime;
mod traces;
