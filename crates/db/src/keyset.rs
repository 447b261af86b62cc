//! Keyset positions (ARCHITECTURE.md §2): a List ordered by `(a, b)` continues strictly after the
//! last row served, `(a, b) > (x, y)` (or `<` when descending), which both backends read
//! from an index. Only non-text keys: SQLite and PostgreSQL order integers and UUIDs the
//! same way, but collate text differently, and a page boundary on text would skip or
//! repeat rows on one of them.

use jiff::Timestamp;
use sea_orm::sea_query::{Order, Value};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use crate::time::to_micros;

/// Which way a List runs along its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// The value of one key column at a position. Built only from kinds both backends order
/// alike: integers, instants (stored as microseconds) and UUIDs; never text.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue(Value);

impl From<i64> for KeyValue {
    fn from(value: i64) -> Self {
        Self(value.into())
    }
}

impl From<i32> for KeyValue {
    fn from(value: i32) -> Self {
        Self(value.into())
    }
}

impl From<Uuid> for KeyValue {
    fn from(value: Uuid) -> Self {
        Self(value.into())
    }
}

impl From<Timestamp> for KeyValue {
    /// As stored: microseconds since the epoch.
    fn from(instant: Timestamp) -> Self {
        Self(to_micros(instant).into())
    }
}

/// The key columns of a List, most significant first (the last one unique, e.g. the
/// id, so that every row has one position), and its direction.
#[derive(Debug, Clone, Copy)]
pub struct Keyset<C, const N: usize> {
    columns: [C; N],
    direction: Direction,
}

impl<C: ColumnTrait, const N: usize> Keyset<C, N> {
    /// A List ordered by `columns` in `direction`.
    pub fn new(columns: [C; N], direction: Direction) -> Self {
        Self { columns, direction }
    }

    /// The rows strictly after `position` in this order: for `(a, b)` ascending,
    /// `a > x OR (a = x AND b > y)`.
    pub fn after(&self, position: [KeyValue; N]) -> Condition {
        let mut any = Condition::any();
        for (index, (column, KeyValue(value))) in self.columns.iter().zip(&position).enumerate() {
            let mut all = Condition::all();
            for (equal_column, KeyValue(equal_value)) in
                self.columns.iter().zip(&position).take(index)
            {
                all = all.add(equal_column.eq(equal_value.clone()));
            }
            all = all.add(match self.direction {
                Direction::Ascending => column.gt(value.clone()),
                Direction::Descending => column.lt(value.clone()),
            });
            any = any.add(all);
        }
        any
    }

    /// Orders `select` by the keys and, when continuing, keeps the rows after `position`.
    pub fn apply<E>(&self, select: Select<E>, position: Option<[KeyValue; N]>) -> Select<E>
    where
        E: EntityTrait<Column = C>,
    {
        let order = match self.direction {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        };
        let select = match position {
            Some(position) => select.filter(self.after(position)),
            None => select,
        };
        self.columns.iter().fold(select, |select, column| {
            select.order_by(*column, order.clone())
        })
    }
}
