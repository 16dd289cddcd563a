//! SQL written out by hand inside diesel's queries, as expressions whose statements diesel keeps
//! prepared.
//!
//! diesel marks every statement that holds a [`diesel::dsl::sql`] literal unsafe to keep in its
//! statement cache, since such text could be anything: SQLite then parses and plans the whole
//! statement again at each request (11 % of the CPU of `/startups/{id}` for a startup with a
//! metric, whose latest observation is sought with such a subquery). The text here is fixed
//! when the program is built, and a bound value goes through a bind, so the statement's text is
//! the same at each call and the cache, keyed by that text, holds it.

use std::marker::PhantomData;

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::expression::{TypedExpressionType, is_aggregate};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, SqlType, Text};

/// A piece of SQL fixed at build time, of SQL type `ST`: see the module's documentation.
#[derive(Debug, Clone, Copy)]
pub struct FixedSql<ST> {
    text: &'static str,
    sql_type: PhantomData<ST>,
}

/// `text` as an expression of type `ST` that leaves its statement cacheable.
pub fn fixed_sql<ST>(text: &'static str) -> FixedSql<ST> {
    FixedSql {
        text,
        sql_type: PhantomData,
    }
}

impl<ST: SqlType + TypedExpressionType> Expression for FixedSql<ST> {
    type SqlType = ST;
}

impl<ST, DB: Backend> QueryFragment<DB> for FixedSql<ST> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        pass.push_sql(self.text);
        Ok(())
    }
}

/// Keyed by its text in the statement cache, not by its type: two texts of one type differ.
impl<ST> QueryId for FixedSql<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> AppearsOnTable<QS> for FixedSql<ST> where Self: Expression {}

impl<ST, QS> SelectableExpression<QS> for FixedSql<ST> where Self: AppearsOnTable<QS> {}

/// Like diesel's literals, valid in any grouping; an aggregate written in it (a `SUM`) is the
/// author's to group.
impl<ST, GB> ValidGrouping<GB> for FixedSql<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// `head`, a bound text, then `tail`: a condition around one value (a search's words), fixed
/// but for the value.
#[derive(Debug, Clone)]
pub struct FixedAround<ST> {
    head: &'static str,
    value: String,
    tail: &'static str,
    sql_type: PhantomData<ST>,
}

/// `head`, `value` bound as text, then `tail`, as an expression of type `ST` that leaves its
/// statement cacheable.
pub fn fixed_around<ST>(head: &'static str, value: String, tail: &'static str) -> FixedAround<ST> {
    FixedAround {
        head,
        value,
        tail,
        sql_type: PhantomData,
    }
}

impl<ST: SqlType + TypedExpressionType> Expression for FixedAround<ST> {
    type SqlType = ST;
}

impl<ST, DB> QueryFragment<DB> for FixedAround<ST>
where
    DB: Backend + HasSqlType<Text>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        pass.push_sql(self.head);
        pass.push_bind_param::<Text, String>(&self.value)?;
        pass.push_sql(self.tail);
        Ok(())
    }
}

impl<ST> QueryId for FixedAround<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> AppearsOnTable<QS> for FixedAround<ST> where Self: Expression {}

impl<ST, QS> SelectableExpression<QS> for FixedAround<ST> where Self: AppearsOnTable<QS> {}

impl<ST, GB> ValidGrouping<GB> for FixedAround<ST> {
    type IsAggregate = is_aggregate::Never;
}

#[cfg(test)]
mod tests {
    use diesel::dsl::sql;
    use diesel::prelude::*;
    use diesel::sql_types::{Bool, Double};
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::schema::startups;

    /// Whether diesel would keep the prepared statement of `query` on SQLite.
    fn kept<Q: QueryFragment<Sqlite>>(query: Q) -> bool {
        query.is_safe_to_cache_prepared(&Sqlite).expect("walks")
    }

    #[test]
    fn statements_with_fixed_text_are_kept_and_those_with_literals_are_not() {
        let name = startups::name.is_not_null();
        let fixed = startups::table.filter(name.and(fixed_sql::<Bool>("1 = 1")));
        assert!(kept(fixed.select(startups::id)));
        let literal = startups::table.filter(name.and(sql::<Bool>("1 = 1")));
        assert!(!kept(literal.select(startups::id)));
        let around = fixed_around::<Bool>("startups.name = ", "x".to_owned(), "");
        assert!(kept(startups::table.filter(around).select(startups::id)));
        assert!(kept(startups::table.select(fixed_sql::<Double>("0.5"))));
    }

    #[test]
    fn the_value_is_bound_between_the_fixed_texts() {
        let around = fixed_around::<Bool>("startups.name = ", "l'a".to_owned(), " AND 1");
        let query = startups::table.filter(around).select(startups::id);
        let text = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(
            text.contains("WHERE startups.name = ? AND 1 -- binds: [\"l'a\"]"),
            "{text}"
        );
    }
}
