//! OData query options the emulator understands: `$filter` (`eq`/`ne`, `ge`/`le`/`gt`/`lt` on
//! dates, `startswith(...)`, `any(...)` on string collections, joined by `and`/`or`), `$search`,
//! `$select`, `$top`, `$count` and paging with `$skiptoken` behind `@odata.nextLink`.

mod filter;
mod filter_parse;
mod paging;
mod query;
mod search;

pub use filter::Filter;
pub use paging::{PageBase, page, select};
pub use query::GraphQuery;
pub use search::search_matches;

use serde_json::Value;

/// A property by its path (`status/errorCode`), matching names case-insensitively as Graph does.
fn lookup<'a>(item: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('/').try_fold(item, |v, key| {
        v.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}
