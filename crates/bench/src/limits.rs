//! The follow limits the bench runs under.

/// The follow limit of the configuration measured: on, as by default, but higher than
/// any rate here can reach in an hour, so it never refuses (SPEC section 8's default is
/// 100 an hour).
pub const NEVER_TRIPS: u32 = 1_000_000_000;

/// The default limit, for the account past it.
pub const DEFAULT_LIMIT: u32 = 100;
