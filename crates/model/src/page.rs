//! Page sizes as DESIGN §2 fixes them.

/// When the caller asks for none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most a page holds; larger requests are clamped.
pub const MAX_PAGE_SIZE: u32 = 500;

/// Reads a requested page size: 0 means the default, more than the maximum is clamped,
/// negative is refused.
pub fn page_size(requested: i32) -> Result<u32, String> {
    match u32::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err("must not be negative".to_owned()),
    }
}
