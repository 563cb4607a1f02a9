//! SQL `lower()` as display-name search needs it: full Unicode on both backends.
//!
//! PostgreSQL's `lower()` follows the database's character type and folds `É` to `é`;
//! SQLite's built-in folds ASCII only (as does its `LIKE`), so a search for `émile`
//! never met `lower('Émile Zola')`. Every SQLite connection replaces the built-in with
//! [`SearchPrefix::fold`], the same folding the prefix went through, so queries keep
//! one `lower()` for both backends. SQLite lets an application function override a
//! built-in of the same name and arity (its ICU extension does this very thing); no
//! index or stored value depends on `lower()`, so the replacement changes no data.

use diesel::QueryResult;
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use rookery_domain::SearchPrefix;

diesel::define_sql_function! {
    /// SQL `lower()`, for case-insensitive prefix search on display names.
    fn lower(text: Nullable<Text>) -> Nullable<Text>;
}

/// Replaces SQLite's ASCII-only `lower()` on `conn` with the Unicode one.
///
/// # Errors
/// When SQLite refuses the function.
pub(crate) fn register_unicode_lower(conn: &mut SqliteConnection) -> QueryResult<()> {
    lower_utils::register_impl(conn, |text: Option<String>| text.as_deref().map(SearchPrefix::fold))
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    #[test]
    fn sqlite_lower_folds_unicode_after_registration() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let lowered = |conn: &mut SqliteConnection, text: &str| {
            diesel::select(lower(Some(text.to_owned()))).get_result::<Option<String>>(conn).unwrap()
        };
        // The built-in leaves non-ASCII capitals alone: the bug this module fixes.
        assert_eq!(lowered(&mut conn, "Émile Zola").as_deref(), Some("Émile zola"));
        register_unicode_lower(&mut conn).unwrap();
        assert_eq!(lowered(&mut conn, "Émile ZOLA").as_deref(), Some("émile zola"));
        assert_eq!(lowered(&mut conn, "ŁUKASZ Ärzte").as_deref(), Some("łukasz ärzte"));
        let null = diesel::select(lower(None::<String>)).get_result::<Option<String>>(&mut conn).unwrap();
        assert_eq!(null, None);
        // LIKE's own wildcards and escape still apply to the folded text.
        let like = diesel::select(lower(Some("ÉMILE_Z".to_owned())).like("émile\\_%").escape('\\'))
            .get_result::<Option<bool>>(&mut conn)
            .unwrap();
        assert_eq!(like, Some(true));
    }
}
