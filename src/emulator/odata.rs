//! OData query options the emulator understands: `$filter` (eq, startswith, ge/le on dates, and),
//! `$search`, `$select`, `$top` and paging with `$skiptoken`.
