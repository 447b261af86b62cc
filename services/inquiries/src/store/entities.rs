//! sea-orm entities of the inquiries tables (see `migration` for the schema and why
//! instants and dates are integers).

/// `inquiry_categories`.
pub(super) mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_categories")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        /// JSON of a `LocalizedText`.
        pub display_name: String,
        pub default_response_days: i32,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
        pub count_working_days: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiry_category_names`: one row per (agency, language, folded name), so that a
/// unique key refuses two categories of one agency with the same name.
pub(super) mod category_name {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_category_names")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub language: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name_key: String,
        pub category_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiries`. Its `Debug` is never used in logs (requester columns are personal data).
pub(super) mod inquiry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiries")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub reference: String,
        pub tracking_hash: Vec<u8>,
        pub requester_name: String,
        pub requester_email: Option<String>,
        pub requester_phone: Option<String>,
        pub requester_country: String,
        pub requester_language: Option<String>,
        pub requester_diaspora: bool,
        pub channel: i32,
        pub category_id: Uuid,
        pub service: Option<String>,
        pub event: Option<String>,
        pub subject: String,
        pub body: String,
        pub answer_before: Option<i32>,
        pub status: i32,
        pub referral_administration: Option<String>,
        pub referral_external_reference: Option<String>,
        pub assignment_team: Option<String>,
        pub assignment_agent: Option<String>,
        pub priority: i32,
        pub submitted_on: i32,
        pub response_days: i32,
        pub paused_days: i32,
        pub due_date: i32,
        pub due_date_source: i32,
        pub due_date_pending: bool,
        pub service_revision: Option<i64>,
        pub first_response_at: Option<i64>,
        pub first_answered_at: Option<i64>,
        pub answered_on_time: Option<bool>,
        pub paused_micros: i64,
        pub waiting_since: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
        pub kind: i32,
        pub place_commune: Option<String>,
        pub place_land_title: Option<String>,
        pub place_latitude_micro: Option<i32>,
        pub place_longitude_micro: Option<i32>,
        pub due_base: Option<i32>,
        pub escalated_at: Option<i64>,
        pub anonymised_at: Option<i64>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("inquiry::Model")
                .field("id", &self.id)
                .field("agency", &self.agency)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiry_history`: one row per change of status or assignment, never changed.
pub(super) mod history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_history")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub inquiry_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub from_status: Option<i32>,
        pub to_status: i32,
        pub actor: String,
        pub change_time: i64,
        pub note: Option<String>,
        pub assignment_team: Option<String>,
        pub assignment_agent: Option<String>,
        pub referral_administration: Option<String>,
        pub referral_external_reference: Option<String>,
        pub escalation: bool,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("history::Model")
                .field("inquiry_id", &self.inquiry_id)
                .field("position", &self.position)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiry_messages`: appended, never changed.
pub(super) mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_messages")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub inquiry_id: Uuid,
        pub visibility: i32,
        pub body: String,
        pub author: String,
        pub created_at: i64,
        pub author_kind: i32,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("message::Model")
                .field("id", &self.id)
                .field("inquiry_id", &self.inquiry_id)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiry_erasures`: the records of erasures made on request, without personal data.
pub(super) mod erasure {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_erasures")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub erased_by_agency: String,
        pub erased_by_subject: String,
        pub inquiry_count: i32,
        pub erase_time: i64,
        /// HMAC-SHA256 of the email's identity key, when the person was named by it.
        pub email_digest: Option<Vec<u8>>,
        /// HMAC-SHA256 of the phone in E.164, when the person was named by it.
        pub phone_digest: Option<Vec<u8>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiry_attachments`: each document's metadata, and where it is attached. Its `Debug`
/// never shows the file name (personal data).
pub(super) mod attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_attachments")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub file_name: String,
        pub media_type: i32,
        pub size_bytes: i64,
        pub sha256: String,
        pub uploader: i32,
        pub created_at: i64,
        pub expires_at: i64,
        pub inquiry_id: Option<Uuid>,
        pub message_id: Option<Uuid>,
        pub attached_at: Option<i64>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("attachment::Model")
                .field("id", &self.id)
                .field("inquiry_id", &self.inquiry_id)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inquiry_attachment_contents`: the database's `AttachmentStore`, one row per content.
pub(super) mod attachment_content {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inquiry_attachment_contents")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub attachment_id: Uuid,
        pub content: Vec<u8>,
        pub created_at: i64,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("attachment_content::Model")
                .field("attachment_id", &self.attachment_id)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
