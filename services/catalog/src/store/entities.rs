//! sea-orm entities of the catalog's tables (see `schema` for what each column holds).

/// `catalog_agencies`.
pub(crate) mod agency {
    use jalia_db::sea_orm;
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_agencies")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) code: String,
        pub(crate) kind: i32,
        pub(crate) parent_code: Option<String>,
        pub(crate) content: String,
        pub(crate) create_time: i64,
        pub(crate) update_time: i64,
        pub(crate) version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `catalog_terms`: categories and life events.
pub(crate) mod term {
    use jalia_db::sea_orm;
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_terms")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) id: Uuid,
        pub(crate) kind: i32,
        pub(crate) content: String,
        pub(crate) create_time: i64,
        pub(crate) update_time: i64,
        pub(crate) version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `catalog_services`.
pub(crate) mod service {
    use jalia_db::sea_orm;
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_services")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) id: Uuid,
        pub(crate) agency_code: String,
        pub(crate) status: i32,
        pub(crate) category_id: Option<Uuid>,
        pub(crate) audience_mask: i64,
        pub(crate) channel_mask: i64,
        pub(crate) content: String,
        pub(crate) revision: i64,
        pub(crate) create_time: i64,
        pub(crate) update_time: i64,
        pub(crate) publish_time: Option<i64>,
        pub(crate) retire_time: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `catalog_service_life_events`.
pub(crate) mod service_life_event {
    use jalia_db::sea_orm;
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_service_life_events")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) service_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) life_event_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `catalog_search_tokens`.
pub(crate) mod search_token {
    use jalia_db::sea_orm;
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_search_tokens")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) token: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) service_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) field: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) language: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `catalog_service_revisions`.
pub(crate) mod revision {
    use jalia_db::sea_orm;
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_service_revisions")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) service_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) revision: i64,
        pub(crate) action: i32,
        pub(crate) snapshot: String,
        pub(crate) actor: String,
        pub(crate) create_time: i64,
        pub(crate) changed_fields: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
