//! jalia-catalog: being written.
