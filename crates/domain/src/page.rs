//! Offset paging as the seeds define it.

use crate::error::GraphError;

/// A validated page request: `page` from 1, `page_size` from 1 to [`PageRequest::MAX_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    page_size: u32,
}

impl PageRequest {
    /// The largest page size any list accepts.
    pub const MAX_SIZE: u32 = 100;
    /// The page size when none is given.
    pub const DEFAULT_SIZE: u32 = 20;

    /// Validates a page request; missing values take the defaults (page 1, size 20).
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] when `page` is below 1 or `page_size` is outside 1..=100.
    pub fn new(page: Option<i64>, page_size: Option<i64>) -> Result<Self, GraphError> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(i64::from(Self::DEFAULT_SIZE));
        let page = u32::try_from(page)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| GraphError::InvalidInput("page must be 1 or more".into()))?;
        let page_size = u32::try_from(page_size)
            .ok()
            .filter(|s| (1..=Self::MAX_SIZE).contains(s))
            .ok_or_else(|| GraphError::InvalidInput(format!("page_size must be between 1 and {}", Self::MAX_SIZE)))?;
        Ok(Self { page, page_size })
    }

    /// The page number, from 1.
    #[must_use]
    pub const fn page(&self) -> u32 {
        self.page
    }

    /// Items per page.
    #[must_use]
    pub const fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Rows to skip.
    #[must_use]
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.page_size)
    }

    /// Rows to return.
    #[must_use]
    pub fn limit(&self) -> i64 {
        i64::from(self.page_size)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, page_size: Self::DEFAULT_SIZE }
    }
}

/// One page of a list, with the total it was cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: i64,
    /// The request that produced this page.
    pub request: PageRequest,
}

impl<T> Page<T> {
    /// Whether a later page has items.
    #[must_use]
    pub fn has_more(&self) -> bool {
        self.request.offset().saturating_add(self.request.limit()) < self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(PageRequest::new(None, None).unwrap(), PageRequest::default());
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert!(PageRequest::new(None, Some(101)).is_err());
        assert_eq!(PageRequest::new(Some(3), Some(10)).unwrap().offset(), 20);
    }

    #[test]
    fn has_more_counts_the_rest() {
        let page = Page { items: vec![1, 2], total: 5, request: PageRequest::new(Some(2), Some(2)).unwrap() };
        assert!(page.has_more());
        let last = Page { items: vec![5], total: 5, request: PageRequest::new(Some(3), Some(2)).unwrap() };
        assert!(!last.has_more());
    }
}
