//! Due dates on each agency's calendar: working days skip weekends and Morocco's public
//! holidays (the bundled calendar), and an agency counts its days in its own zone (an
//! operator's calendar file puts it in Paris).

use std::io::Write;

use jalia_proto::inquiries::v1::*;
use uuid::Uuid;

use crate::helpers::*;

async fn working_days_category(api: &Api, days: i32) -> InquiryCategory {
    let request = api.request(CreateInquiryCategoryRequest {
        parent: "agencies/bm".to_owned(),
        inquiry_category: Some(InquiryCategory {
            display_name: Some(text("fr", "Note de renseignements urbanistiques")),
            default_response_days: days,
            count_working_days: true,
            ..Default::default()
        }),
        request_id: Uuid::new_v4().to_string(),
    });
    api.client()
        .create_inquiry_category(request)
        .await
        .map(tonic::Response::into_inner)
        .unwrap()
}

#[tokio::test]
async fn a_holiday_in_between_moves_a_working_days_due_date_by_one_working_day() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let working = working_days_category(&agent, 5).await;
    assert!(working.count_working_days);

    // Monday 11 August 2025: five working days would end on Monday 18 August, but
    // Thursday 14 August (Oued Eddahab Day) is a holiday: Tuesday 19 August.
    world.set_clock("2025-08-11T10:00:00");
    let inquiry = agent
        .submit(submission(&working))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-19");

    // Friday 15 August plus one working day is Monday 18 August.
    let mut one_day = working.clone();
    one_day.default_response_days = 1;
    let one_day = agent
        .update_category(one_day, &["default_response_days"])
        .await
        .unwrap();
    world.set_clock("2025-08-15T10:00:00");
    let inquiry = agent
        .submit(submission(&one_day))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-18");

    // Back to calendar days: the Saturday after.
    let mut calendar_days = one_day.clone();
    calendar_days.count_working_days = false;
    let calendar_days = agent
        .update_category(calendar_days, &["count_working_days"])
        .await
        .unwrap();
    assert!(!calendar_days.count_working_days);
    let inquiry = agent
        .submit(submission(&calendar_days))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-16");
    world.stop().await;
}

#[tokio::test]
async fn an_agency_in_paris_counts_its_days_from_paris_midnight() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(
        br#"{
            "default": {"zone": "Africa/Casablanca", "weekend": ["saturday", "sunday"]},
            "agencies": {"bm": {"zone": "Europe/Paris", "weekend": ["saturday", "sunday"]}}
        }"#,
    )
    .unwrap();
    let path = file.path().to_owned();
    let world = World::start_with(1, CatalogAt::Down, |config| {
        config.calendars_file = Some(path);
    })
    .await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    // 23:30 on 10 August in Casablanca is 00:30 on 11 August in Paris: the inquiry was
    // submitted on the 11th there, and is due 15 days later.
    world.set_clock("2025-08-10T23:30:00");
    let inquiry = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-26");
    world.stop().await;
    drop(file);
}

#[tokio::test]
async fn the_same_submission_in_casablanca_is_a_day_earlier() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    world.set_clock("2025-08-10T23:30:00");
    let inquiry = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-25");
    world.stop().await;
}
