//! Rows as sea-orm sees them. Instants are microseconds since the epoch; what an
//! organiser writes is one JSON document, beside the columns lists filter and sort on.

pub(super) mod event {
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub kind: String,
        pub status: String,
        pub start_utc: i64,
        pub end_utc: i64,
        /// `,diaspora,citizens,`: filtered with LIKE '%,diaspora,%' the same way on both
        /// databases.
        pub audiences: String,
        #[sea_orm(column_type = "Text")]
        pub content: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub cancellation_reason: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub previous_start: Option<String>,
        pub sequence: i32,
        #[sea_orm(column_type = "Text", nullable)]
        pub outcomes: Option<String>,
        pub confirmed_count: i32,
        pub waitlisted_count: i32,
        pub checked_in_count: i32,
        pub next_waitlist_seq: i64,
        pub publish_time: Option<i64>,
        pub create_time: i64,
        pub update_time: i64,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod erasure {
    use jalia_db::sea_orm::entity::prelude::*;

    /// No personal data: whose data was erased is not kept.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "erasures")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub erased_by_agency: String,
        pub erased_by_subject: String,
        pub registration_count: i32,
        pub erase_time: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod registration {
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registrations")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub event_id: Uuid,
        pub agency: String,
        pub code: String,
        pub status: String,
        /// Order in line; the position is the rank among those still waitlisted.
        pub waitlist_seq: Option<i64>,
        pub display_name: String,
        pub email: Option<String>,
        /// The lowercase email while the registration is live; cleared on cancellation
        /// so the person may register again (a unique index holds one per event).
        pub email_key: Option<String>,
        pub phone: Option<String>,
        /// The E.164 phone while live, as for `email_key`.
        pub phone_key: Option<String>,
        pub residence: Option<String>,
        pub language: Option<String>,
        pub diaspora: bool,
        /// The calling system's agency claim and token subject (not personal data: they
        /// name a system); NULL on rows made before they were kept.
        pub registrant_agency: Option<String>,
        pub registrant_subject: Option<String>,
        /// The consent text's version the person accepted and when; NULL without consent.
        pub consent_version: Option<String>,
        pub consent_time: Option<i64>,
        /// When the personal data was removed; NULL while kept.
        pub anonymise_time: Option<i64>,
        pub check_in_time: Option<i64>,
        pub create_time: i64,
        pub update_time: i64,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
