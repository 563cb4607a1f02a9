//! Web URLs of profile images: parsed once at the edge. Only `http` and `https` are
//! accepted, since clients put these values into `<img src>` and links: a
//! `javascript:` or `data:` URL there is script or content an attacker chose.

use std::fmt;

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebUrlError {
    /// Longer than [`WebUrl::MAX_LEN`] characters.
    #[error("must be at most {} characters", WebUrl::MAX_LEN)]
    TooLong,
    /// Not `http://host...` or `https://host...`.
    #[error("must be an http or https URL")]
    NotWeb,
}

/// An absolute `http` or `https` URL with a host, without white space or control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebUrl(String);

impl WebUrl {
    /// The longest URL accepted.
    pub const MAX_LEN: usize = 2048;

    /// Parses a URL, trimming surrounding white space. The scheme is matched
    /// case-insensitively and kept as written.
    ///
    /// # Errors
    /// [`WebUrlError`] when it is too long, has another scheme, no host, or white
    /// space or control characters inside.
    pub fn parse(raw: &str) -> Result<Self, WebUrlError> {
        let url = raw.trim();
        if url.chars().count() > Self::MAX_LEN {
            return Err(WebUrlError::TooLong);
        }
        let (scheme, rest) = url.split_once("://").ok_or(WebUrlError::NotWeb)?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(WebUrlError::NotWeb);
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        if host.is_empty() || host.starts_with(':') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebUrlError::NotWeb);
        }
        Ok(Self(url.to_owned()))
    }

    /// Whether the URL names a user (`https://user:password@host/`).
    #[must_use]
    pub fn has_credentials(&self) -> bool {
        let rest = self.0.split_once("://").map_or("", |(_, rest)| rest);
        rest.split(['/', '?', '#']).next().unwrap_or_default().contains('@')
    }

    /// The URL as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for WebUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn web_urls_are_accepted() {
        for ok in ["https://cdn.example/a.png", "http://localhost:8080/x?y=1#z", " HTTPS://Example.com ", "https://u@h"]
        {
            assert!(WebUrl::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(WebUrl::parse(" https://a.example/x ").unwrap().as_str(), "https://a.example/x");
        assert!(WebUrl::parse("https://u:p@h/x").unwrap().has_credentials());
        assert!(!WebUrl::parse("https://h/x?to=a@b#c@d").unwrap().has_credentials());
    }

    #[test]
    fn other_schemes_and_shapes_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript://%0aalert(1)",
            "data:image/png;base64,AAAA",
            "ftp://example.com/a.png",
            "//example.com/a.png",
            "/avatar.png",
            "https://",
            "https:///path",
            "https://:80/x",
            "https://a.example/a b.png",
            "https://a.example/\u{0}",
            "",
        ] {
            assert_eq!(WebUrl::parse(bad), Err(WebUrlError::NotWeb), "{bad:?}");
        }
        let long = format!("https://a.example/{}", "x".repeat(WebUrl::MAX_LEN));
        assert_eq!(WebUrl::parse(&long), Err(WebUrlError::TooLong));
    }

    proptest! {
        #[test]
        fn whatever_is_accepted_is_http_or_https(raw in "\\PC{0,40}") {
            if let Ok(url) = WebUrl::parse(&raw) {
                let lower = url.as_str().to_ascii_lowercase();
                prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
            }
        }
    }
}
