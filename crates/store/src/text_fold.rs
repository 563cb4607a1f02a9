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

    /// Words a SQLite database stored with the built-in `lower()` (the backfill of
    /// 2026-12-07-000025) are folded by the migration after it.
    #[test]
    fn the_migration_folds_words_stored_with_the_builtin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rookery.db");
        let db =
            crate::Database::open(&format!("sqlite://{}", path.display()), crate::DatabaseOptions::default()).unwrap();
        db.migrate_to("20261208000023").unwrap();
        // As the backfill left them: the built-in's fold, a capital kept.
        let mut raw = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        diesel::sql_query(
            "INSERT INTO accounts (id, username, username_key, full_name, is_private, is_verified, posts_count, \
             followers_count, following_count, created_at, updated_at) \
             VALUES (x'0123456789abcdef0123456789abcdef', 'emile', 'emile', 'Émile Zola', 0, 0, 0, 0, 0, 0, 0)",
        )
        .execute(&mut raw)
        .unwrap();
        diesel::sql_query("INSERT INTO account_words (word, account_id) VALUES ('Émile', x'0123456789abcdef0123456789abcdef'), ('zola', x'0123456789abcdef0123456789abcdef')")
            .execute(&mut raw)
            .unwrap();
        db.migrate().unwrap();
        let words: Vec<String> = crate::schema::account_words::table
            .select(crate::schema::account_words::word)
            .order(crate::schema::account_words::word)
            .load(&mut raw)
            .unwrap();
        assert_eq!(words, ["zola", "émile"]);
    }
}
