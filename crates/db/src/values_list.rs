//! PostgreSQL `VALUES` lists of bound values, for reads by many whole keys: each key
//! probing a table through a `LATERAL` subquery, PostgreSQL reads one index entry per key,
//! where an `OR` of the keys may be read as one scan of the columns the keys share
//! (ARCHITECTURE.md §5).

use sea_orm::Value;

/// `($n::t1, $n+1::t2, …), (…)` for `rows`, each value cast to its column's type in
/// `types`; the placeholders are numbered after the `values` already bound, to which the
/// rows' values are appended.
pub fn values_list<const N: usize>(
    rows: impl IntoIterator<Item = [Value; N]>,
    types: [&str; N],
    values: &mut Vec<Value>,
) -> String {
    let mut list = Vec::new();
    for row in rows {
        let cells: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(index, type_name)| format!("${}::{type_name}", values.len() + index + 1))
            .collect();
        list.push(format!("({})", cells.join(", ")));
        values.extend(row);
    }
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_after_the_values_already_bound_and_cast() {
        let mut values: Vec<Value> = vec![0.into()];
        let list = values_list(
            [[1.into(), "a".into()], [2.into(), "b".into()]],
            ["int", "text"],
            &mut values,
        );
        assert_eq!(list, "($2::int, $3::text), ($4::int, $5::text)");
        let expected: Vec<Value> = vec![0.into(), 1.into(), "a".into(), 2.into(), "b".into()];
        assert_eq!(values, expected);
    }
}
