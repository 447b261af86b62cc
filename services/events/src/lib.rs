//! jalia-events: being written.
