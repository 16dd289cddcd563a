//! `column IN (?, ?, …)` written so that its statement is prepared once per connection.
//!
//! diesel's `eq_any` writes one placeholder per value and marks its statement as not to be
//! cached, so every page, item and chunk used to prepare each of its `IN` statements afresh:
//! a third of the time of a request for one startup went to SQLite's parser and planner.
//! [`one_of`] pads its list, by repeating the last value, to the next size of a few fixed
//! ones, so that the same query text comes back and the connection's statement cache keeps
//! it. Repeating a value does not change what `IN` selects.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Text};

/// The list sizes a statement is prepared for. A list longer than the last is written as it
/// is, and its statement is not kept (as `eq_any` does).
const SIZES: [usize; 8] = [1, 2, 4, 8, 16, 32, 128, 1024];
const LARGEST: usize = SIZES[SIZES.len() - 1];

/// `column IN (values)`, for a text column (nullable or not); an empty list selects nothing.
pub fn one_of<C>(column: C, values: impl Into<Vec<String>>) -> OneOf<C> {
    OneOf {
        column,
        values: values.into(),
    }
}

/// The expression [`one_of`] builds.
#[derive(Debug, Clone)]
pub struct OneOf<C> {
    column: C,
    values: Vec<String>,
}

/// How many placeholders a list of `len` values is written with.
fn padded(len: usize) -> usize {
    SIZES
        .iter()
        .copied()
        .find(|&size| size >= len)
        .unwrap_or(len)
}

impl<C: Expression> Expression for OneOf<C> {
    type SqlType = Bool;
}

impl<C: ValidGrouping<GB>, GB> ValidGrouping<GB> for OneOf<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for OneOf<C> where OneOf<C>: Expression {}

impl<C: SelectableExpression<QS>, QS> SelectableExpression<QS> for OneOf<C> where
    OneOf<C>: AppearsOnTable<QS>
{
}

impl<C> QueryId for OneOf<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, DB> QueryFragment<DB> for OneOf<C>
where
    DB: Backend + HasSqlType<Text>,
    C: QueryFragment<DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let Some(last) = self.values.last() else {
            out.push_sql("1 = 0");
            return Ok(());
        };
        let len = padded(self.values.len());
        if len > LARGEST {
            out.unsafe_to_cache_prepared();
        }
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        for i in 0..len {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<Text, String>(self.values.get(i).unwrap_or(last))?;
        }
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_padded_to_a_few_sizes() {
        let sizes: Vec<usize> = [1, 2, 3, 5, 20, 33, 1000, 1024, 1025]
            .into_iter()
            .map(padded)
            .collect();
        assert_eq!(sizes, [1, 2, 4, 8, 32, 128, 1024, 1024, 1025]);
    }
}
