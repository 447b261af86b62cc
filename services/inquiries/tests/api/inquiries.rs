//! Handling an inquiry: assignment, transitions and their history, triage updates, and
//! what another agency sees of it.

use jalia_proto::inquiries::v1::*;
use jalia_runtime::reasons;
use jalia_testing::{assert_invalid, assert_status};
use jiff::Timestamp;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn the_building_permit_inquiry_of_10_august_is_replayed_from_its_history() {
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app-wilaya", "bm").await;
    let chief = world.caller("chef-guichet-mre", "bm").await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let category = chief
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();

    // Raised at the desk of the communication meeting at the Wilaya.
    world.set_clock("2025-08-10T11:20:00");
    let mut request = submission(&category);
    inquiry_mut(&mut request).event = format!("agencies/bm/events/{}", Uuid::now_v7());
    let submitted = desk.submit(request).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    assert_eq!(inquiry.status(), InquiryStatus::New);
    assert_eq!(inquiry.reference, "BM-2025-000001");
    assert_eq!(due_date(&inquiry), "2025-08-25");
    assert_eq!(submitted.tracking_code.len(), 19, "four groups of four");

    world.set_clock("2025-08-10T15:00:00");
    let inquiry = chief
        .assign(
            &inquiry,
            "guichet-mre",
            "agent-urbanisme",
            "dossier urbanisme",
        )
        .await
        .unwrap();
    assert_eq!(inquiry.status(), InquiryStatus::Assigned);

    world.set_clock("2025-08-11T10:30:00");
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "Le dépôt se fait sur Rokhas par votre architecte.",
        )
        .await
        .unwrap();
    world.set_clock("2025-08-11T10:35:00");
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::Answered, "")
        .await
        .unwrap();

    world.set_clock("2025-08-20T09:00:00");
    let inquiry = agent
        .transition(
            &inquiry,
            InquiryStatus::InProgress,
            "le citoyen demande le montant des frais",
        )
        .await
        .unwrap();
    world.set_clock("2025-08-21T16:00:00");
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "Les frais dépendent de la surface construite.",
        )
        .await
        .unwrap();
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::Answered, "")
        .await
        .unwrap();
    world.set_clock("2025-08-28T12:00:00");
    let inquiry = chief
        .transition(&inquiry, InquiryStatus::Closed, "réponses données")
        .await
        .unwrap();
    assert!(
        inquiry.history.is_empty(),
        "only GetInquiry fills the history"
    );

    let read = chief.get(&inquiry.name).await.unwrap();
    let steps: Vec<(InquiryStatus, InquiryStatus, &str, Timestamp, &str)> = read
        .history
        .iter()
        .map(|change| {
            let at = change.change_time.as_ref().unwrap();
            (
                change.from_status(),
                change.to_status(),
                change.actor.as_str(),
                Timestamp::new(at.seconds, at.nanos).unwrap(),
                change.note.as_str(),
            )
        })
        .collect();
    use InquiryStatus::*;
    assert_eq!(
        steps,
        vec![
            (
                Unspecified,
                New,
                "desk-app-wilaya",
                local("2025-08-10T11:20:00"),
                ""
            ),
            (
                New,
                Assigned,
                "chef-guichet-mre",
                local("2025-08-10T15:00:00"),
                "dossier urbanisme"
            ),
            (
                Assigned,
                Answered,
                "agent-urbanisme",
                local("2025-08-11T10:35:00"),
                ""
            ),
            (
                Answered,
                InProgress,
                "agent-urbanisme",
                local("2025-08-20T09:00:00"),
                "le citoyen demande le montant des frais"
            ),
            (
                InProgress,
                Answered,
                "agent-urbanisme",
                local("2025-08-21T16:00:00"),
                ""
            ),
            (
                Answered,
                Closed,
                "chef-guichet-mre",
                local("2025-08-28T12:00:00"),
                "réponses données"
            ),
        ]
    );
    let assignment = read.history[1].assignment.as_ref().unwrap();
    assert_eq!(
        (assignment.team.as_str(), assignment.agent.as_str()),
        ("guichet-mre", "agent-urbanisme")
    );

    // Replaying the history from nothing gives the inquiry's present state.
    let mut replayed = Unspecified;
    for change in &read.history {
        assert_eq!(change.from_status(), replayed, "history is unbroken");
        replayed = change.to_status();
    }
    assert_eq!(replayed, read.status());
    assert_eq!(read.status(), Closed);
    let first_response = read.first_response_time.as_ref().unwrap();
    assert_eq!(
        Timestamp::new(first_response.seconds, first_response.nanos).unwrap(),
        local("2025-08-11T10:30:00"),
        "the first public reply set the first-response time"
    );
    let updated = read.update_time.as_ref().unwrap();
    assert_eq!(
        Timestamp::new(updated.seconds, updated.nanos).unwrap(),
        local("2025-08-28T12:00:00")
    );

    // The citizen sees both replies and the final status.
    let seen = world
        .anonymous()
        .await
        .lookup(&read.reference, &submitted.tracking_code)
        .await
        .unwrap();
    assert_eq!(seen.status(), Closed);
    assert_eq!(seen.replies.len(), 2);
    world.stop().await;
}

#[tokio::test]
async fn concurrent_transitions_with_one_etag_let_exactly_one_win() {
    let world = World::start(2, CatalogAt::Down).await;
    let first = world.caller_on(0, "agent-a", "bm").await;
    let second = world.caller_on(1, "agent-b", "bm").await;
    let category = first
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let inquiry = first
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    let mut tasks = Vec::new();
    for index in 0..10 {
        let caller = if index % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let inquiry = inquiry.clone();
        tasks.push(tokio::spawn(async move {
            caller
                .transition(&inquiry, InquiryStatus::InProgress, "")
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(first.get(&inquiry.name).await.unwrap().history.len(), 2);
    world.stop().await;
}

#[tokio::test]
async fn another_agency_gets_not_found_on_read_reply_assign_and_transition() {
    let world = World::start(1, CatalogAt::Down).await;
    let bm = world.caller("agent-bm", "bm").await;
    let other = world.caller("agent-khouribga", "khouribga").await;
    let ministry = world.caller("ministere-dashboard", "*").await;
    let category = bm
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let inquiry = bm
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();

    assert_status(
        other.get(&inquiry.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_status(
        other
            .write(&inquiry.name, MessageVisibility::PublicReply, "réponse")
            .await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_status(
        other
            .assign(&inquiry, "guichet", "agent-khouribga", "")
            .await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_status(
        other
            .transition(&inquiry, InquiryStatus::InProgress, "")
            .await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    let mut change = inquiry.clone();
    change.priority = InquiryPriority::High as i32;
    assert_status(
        other.update(change, &["priority"]).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_status(
        other.messages(&inquiry.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    // The same, named under the caller's own agency.
    let disguised = inquiry.name.replace("agencies/bm/", "agencies/khouribga/");
    assert_status(
        other.get(&disguised).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_status(
        other.list(list_of("agencies/bm")).await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    assert!(other.list_all(list_of("agencies/-")).await.is_empty());
    let mut foreign = submission(&category);
    foreign.parent = "agencies/bm".to_owned();
    assert_status(
        other.submit(foreign).await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );

    // Nothing changed, and the owner and the ministry read it.
    let read = bm.get(&inquiry.name).await.unwrap();
    assert_eq!(read.etag, inquiry.etag);
    assert_eq!(read.status(), InquiryStatus::New);
    assert!(
        bm.messages(&inquiry.name)
            .await
            .unwrap()
            .inquiry_messages
            .is_empty()
    );
    assert_eq!(
        ministry.get(&inquiry.name).await.unwrap().name,
        inquiry.name
    );
    assert_eq!(ministry.list_all(list_of("agencies/-")).await.len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn update_recomputes_the_due_date_and_raises_the_priority() {
    let world = World::start(1, CatalogAt::Up).await;
    let agent = world.caller("agent", "bm").await;
    let permit = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let housing = agent
        .create_category("agencies/bm", "Aide directe au logement", 5)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(30));

    // The end of the summer stay is before the due date: HIGH from the start.
    let mut request = submission(&permit);
    inquiry_mut(&mut request).answer_before = Some(date("2025-08-20"));
    let inquiry = agent.submit(request).await.unwrap().inquiry.unwrap();
    assert_eq!(inquiry.priority(), InquiryPriority::High);
    assert_eq!(inquiry.answer_before.as_ref().unwrap().date, "2025-08-20");

    let plain = agent
        .submit(submission(&permit))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(plain.priority(), InquiryPriority::Normal);
    let mut change = plain.clone();
    change.category = housing.name.clone();
    let moved = agent.update(change, &["category"]).await.unwrap();
    assert_eq!(due_date(&moved), "2025-08-15");
    let mut change = moved.clone();
    change.service = service.clone();
    let linked = agent.update(change, &["service"]).await.unwrap();
    assert_eq!(due_date(&linked), "2025-09-09");
    assert_eq!(
        linked.due_date_source(),
        DueDateSource::CatalogProcessingTime
    );
    let mut change = linked.clone();
    change.answer_before = Some(date("2025-08-31"));
    let urgent = agent.update(change, &["answer_before"]).await.unwrap();
    assert_eq!(urgent.priority(), InquiryPriority::High);
    let mut change = urgent.clone();
    change.service.clear();
    change.priority = InquiryPriority::Normal as i32;
    let unlinked = agent
        .update(change, &["service", "priority"])
        .await
        .unwrap();
    assert_eq!(due_date(&unlinked), "2025-08-15");
    assert_eq!(unlinked.priority(), InquiryPriority::Normal);
    assert_eq!(unlinked.service, "");

    assert_invalid(
        agent.update(unlinked.clone(), &["subject"]).await,
        "update_mask.paths[0]",
    );
    // An empty mask changes what the request sets (AIP-134), and nothing else: a
    // priority alone neither moves the due date nor asks the catalog.
    let asked = world.catalog.asked();
    let only_priority = Inquiry {
        name: unlinked.name.clone(),
        etag: unlinked.etag.clone(),
        priority: InquiryPriority::High as i32,
        ..Default::default()
    };
    let raised = agent.update(only_priority, &[]).await.unwrap();
    assert_eq!(raised.priority(), InquiryPriority::High);
    assert_eq!(raised.category, unlinked.category);
    assert_eq!(raised.answer_before, unlinked.answer_before);
    assert_eq!(raised.due_date, unlinked.due_date);
    assert_eq!(world.catalog.asked(), asked);
    let nothing = Inquiry {
        name: raised.name.clone(),
        etag: raised.etag.clone(),
        ..Default::default()
    };
    assert_invalid(agent.update(nothing, &[]).await, "update_mask");
    // `*` replaces every updatable field: what the request leaves unset is cleared.
    let mut everything = raised.clone();
    everything.event = format!("agencies/bm/events/{}", Uuid::now_v7());
    everything.answer_before = None;
    let replaced = agent.update(everything.clone(), &["*"]).await.unwrap();
    assert_eq!(replaced.event, everything.event);
    assert_eq!(replaced.answer_before, None);
    assert_eq!(replaced.category, raised.category);
    assert_eq!(due_date(&replaced), "2025-08-15");
    let unlinked = replaced;
    let mut no_category = unlinked.clone();
    no_category.category.clear();
    assert_invalid(
        agent.update(no_category, &["category"]).await,
        "inquiry.category",
    );
    let mut unknown = unlinked.clone();
    unknown.service = service_name();
    assert_invalid(agent.update(unknown, &["service"]).await, "inquiry.service");
    assert_status(
        agent.update(linked.clone(), &["priority"]).await,
        Code::Aborted,
        reasons::STALE_ETAG,
    );

    let closed = agent
        .transition(&unlinked, InquiryStatus::Closed, "")
        .await
        .unwrap();
    assert_status(
        agent.update(closed.clone(), &["priority"]).await,
        Code::FailedPrecondition,
        reasons::INQUIRY_CLOSED,
    );
    assert_status(
        agent
            .write(&closed.name, MessageVisibility::PublicReply, "réponse")
            .await,
        Code::FailedPrecondition,
        reasons::INQUIRY_CLOSED,
    );
    agent
        .write(&closed.name, MessageVisibility::InternalNote, "archivé")
        .await
        .unwrap();
    world.stop().await;
}

#[tokio::test]
async fn a_referral_is_read_back_by_staff_and_by_the_citizen() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let submitted = agent.submit(submission(&category)).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    let commune = Referral {
        administration: "Commune de Béni Mellal, service de l'urbanisme".to_owned(),
        external_reference: "CBM-URB-2025-118".to_owned(),
    };

    world.set_clock("2025-08-11T09:30:00");
    let referred = agent
        .transition_with(
            &inquiry,
            InquiryStatus::Referred,
            "compétence de la commune",
            Some(commune.clone()),
        )
        .await
        .unwrap();
    assert_eq!(referred.status(), InquiryStatus::Referred);
    assert_eq!(referred.referral.as_ref(), Some(&commune));

    // Staff read it on the inquiry, in its history and in lists.
    let read = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(read.referral.as_ref(), Some(&commune));
    let change = read.history.last().unwrap();
    assert_eq!(
        (change.from_status(), change.to_status()),
        (InquiryStatus::New, InquiryStatus::Referred)
    );
    assert_eq!(change.referral.as_ref(), Some(&commune));
    assert_eq!(
        instant(change.change_time.as_ref().unwrap()),
        local("2025-08-11T09:30:00")
    );
    let listed = agent.list_all(list_of("agencies/bm")).await;
    assert_eq!(listed[0].referral.as_ref(), Some(&commune));

    // The citizen reads where to follow it.
    let citizen = world.anonymous().await;
    let seen = citizen
        .lookup(&read.reference, &submitted.tracking_code)
        .await
        .unwrap();
    assert_eq!(seen.status(), InquiryStatus::Referred);
    assert_eq!(seen.referral.as_ref(), Some(&commune));

    // Reopened, it is referred nowhere, and its history still says where it went.
    let reopened = agent
        .transition(&read, InquiryStatus::InProgress, "retour de la commune")
        .await
        .unwrap();
    assert_eq!(reopened.referral, None);
    let seen = citizen
        .lookup(&read.reference, &submitted.tracking_code)
        .await
        .unwrap();
    assert_eq!(seen.referral, None);
    let history = agent.get(&inquiry.name).await.unwrap().history;
    assert_eq!(history[1].referral.as_ref(), Some(&commune));
    assert_eq!(history[2].referral, None);

    // An administration that gave no reference of its own comes back without one.
    let wilaya = Referral {
        administration: "Wilaya de la région Béni Mellal-Khénifra".to_owned(),
        external_reference: String::new(),
    };
    let again = agent
        .transition_with(&reopened, InquiryStatus::Referred, "", Some(wilaya.clone()))
        .await
        .unwrap();
    assert_eq!(again.referral, Some(wilaya));
    world.stop().await;
}
