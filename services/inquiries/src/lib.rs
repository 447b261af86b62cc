//! jalia-inquiries: being written.
