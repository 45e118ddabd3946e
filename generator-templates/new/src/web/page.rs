//! Pagination of the index pages and of the API's lists: the page a query asks for
//! (`?page=&limit=`), and where the pages around it are.

/// The rows a page has when the query does not say (`?limit=`).
pub const DEFAULT_LIMIT: i64 = 20;

/// The most rows a page has, whatever the query asks.
pub const MAX_LIMIT: i64 = 100;

/// A page of the list: `?page=` (from 1) and `?limit=`. A value that is not a positive
/// integer is taken as the default, a limit above [`MAX_LIMIT`] as the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The page, from 1.
    pub number: i64,
    /// The rows a page has.
    pub limit: i64,
}

impl Page {
    /// The page `query` asks for.
    pub fn from_query(query: &[(String, String)]) -> Page {
        let positive = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| value.parse::<i64>().ok())
                .filter(|number| *number > 0)
        };
        Page {
            number: positive("page").unwrap_or(1),
            limit: positive("limit").map_or(DEFAULT_LIMIT, |limit| limit.min(MAX_LIMIT)),
        }
    }

    /// The rows to fetch: one more than the page has, to know whether a next page exists.
    pub fn fetch_limit(self) -> i64 {
        self.limit + 1
    }

    /// The rows before the page.
    pub fn offset(self) -> i64 {
        (self.number - 1).saturating_mul(self.limit)
    }

    /// The number of the page before, if any.
    pub fn previous(self) -> Option<i64> {
        Some(self.number - 1).filter(|number| *number > 0)
    }

    /// Cuts `rows`, fetched with [`Page::fetch_limit`], to the page; the number of the next
    /// page, if there are more rows.
    pub fn trim<T>(self, rows: &mut Vec<T>) -> Option<i64> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if rows.len() <= limit {
            return None;
        }
        rows.truncate(limit);
        self.number.checked_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page and limit a query asks for.
    fn asked(query: &[(&str, &str)]) -> (i64, i64) {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        let page = Page::from_query(&query);
        (page.number, page.limit)
    }

    #[test]
    fn a_page_is_the_first_with_the_default_limit_unless_asked() {
        assert_eq!(asked(&[]), (1, DEFAULT_LIMIT));
        assert_eq!(asked(&[("page", "2"), ("limit", "5")]), (2, 5));
    }

    #[test]
    fn a_limit_above_the_maximum_is_the_maximum() {
        assert_eq!(asked(&[("limit", "1000")]), (1, MAX_LIMIT));
    }

    #[test]
    fn values_that_are_not_positive_integers_are_the_defaults() {
        for value in ["0", "-3", "abc", "", "1.5", "99999999999999999999"] {
            let query = [("page", value), ("limit", value)];
            assert_eq!(asked(&query), (1, DEFAULT_LIMIT), "{value}");
        }
    }

    #[test]
    fn a_page_knows_its_neighbours() {
        let page = Page {
            number: 2,
            limit: 2,
        };
        assert_eq!(page.offset(), 2);
        assert_eq!(page.previous(), Some(1));
        let mut rows = vec![1, 2, 3];
        assert_eq!(page.trim(&mut rows), Some(3));
        assert_eq!(rows, [1, 2]);
        assert_eq!(page.trim(&mut rows), None);
        let first = Page {
            number: 1,
            limit: 2,
        };
        assert_eq!(first.previous(), None);
        let last = Page {
            number: i64::MAX,
            limit: MAX_LIMIT,
        };
        assert_eq!(last.offset(), i64::MAX);
        assert_eq!(last.trim(&mut vec![(); 101]), None);
    }
}
