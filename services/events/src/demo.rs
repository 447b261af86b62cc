//! Demo data true to the source document: the two 2025 meetings, completed with their
//! outcomes (the Wilaya's National Day meeting of 10 August, where the urban agency took
//! part, and the agency's own meeting at its headquarters of 12 August), and the next
//! National Day of Moroccans Living Abroad (10 August 2027), published with registration
//! open. Officials are named by role only. Figures and hours the source does not give
//! (attendance, seats, times) are illustrative, and say so in every language.

use jalia_model::{
    AgencyCode, AgencyScope, Audience, Caller, CountryCode, IfMatch, LocalizedText, PostalAddress,
    ZonedDateTime,
};

use crate::app::Events;
use crate::domain::content::{
    AgendaItem, AttendanceFigure, AttendanceMode, Decision, EventContent, EventKind, Outcomes,
    Participant, RegistrationSettings, Venue,
};
use crate::domain::event::{EventName, EventStatus};
use crate::domain::{Error, Result};

const ZONE: &str = "Africa/Casablanca";
/// The Wilaya of the Béni Mellal-Khénifra region, organiser of the 2025 National Day.
const WILAYA: &str = "wbmk";
/// The Urban Agency of Béni Mellal.
const URBAN_AGENCY: &str = "bm";
/// The version of the consent text the demo's open registration asks for.
pub(crate) const DEMO_CONSENT_VERSION: &str = "2025-07";

fn text(fr: &str, ar: &str, en: &str) -> LocalizedText {
    LocalizedText::single("fr", fr)
        .with("ar", ar)
        .with("en", en)
}

fn at(local: &str) -> Result<ZonedDateTime> {
    ZonedDateTime::parse(local, ZONE).map_err(|err| Error::Invalid(vec![err.violation()]))
}

fn role(fr: &str, ar: &str, en: &str) -> Participant {
    Participant {
        role: text(fr, ar, en),
        organization: LocalizedText::default(),
    }
}

fn beni_mellal() -> PostalAddress {
    PostalAddress {
        locality: "Béni Mellal".to_owned(),
        province: "Béni Mellal".to_owned(),
        region: "Béni Mellal-Khénifra".to_owned(),
        country: CountryCode::parse("MA").ok(),
        ..PostalAddress::default()
    }
}

fn wilaya_venue() -> Venue {
    Venue {
        display_name: text(
            "Siège de la Wilaya de la région Béni Mellal-Khénifra",
            "مقر ولاية جهة بني ملال خنيفرة",
            "Headquarters of the Wilaya of the Béni Mellal-Khénifra region",
        ),
        address: Some(beni_mellal()),
    }
}

fn agency_venue() -> Venue {
    Venue {
        display_name: text(
            "Siège de l'Agence urbaine de Béni Mellal",
            "مقر الوكالة الحضرية لبني ملال",
            "Headquarters of the Urban Agency of Béni Mellal",
        ),
        address: Some(beni_mellal()),
    }
}

fn urban_agency_director() -> Participant {
    role(
        "Le Directeur de l'Agence urbaine de Béni Mellal",
        "مدير الوكالة الحضرية لبني ملال",
        "The Director of the Urban Agency of Béni Mellal",
    )
}

/// Those the source names as attending the 2025 National Day without speaking.
fn national_day_2025_guests() -> Vec<Participant> {
    vec![
        role(
            "Le Secrétaire général des affaires régionales",
            "الكاتب العام للشؤون الجهوية",
            "The Secretary General for Regional Affairs",
        ),
        role(
            "Le Vice-président du Conseil de la région Béni Mellal-Khénifra",
            "نائب رئيس مجلس جهة بني ملال خنيفرة",
            "The Vice-President of the Béni Mellal-Khénifra Regional Council",
        ),
        role(
            "Le Vice-président du Conseil provincial de Béni Mellal",
            "نائب رئيس المجلس الإقليمي لبني ملال",
            "The Vice-President of the Provincial Council of Béni Mellal",
        ),
        role(
            "Les autorités locales et sécuritaires",
            "السلطات المحلية والأمنية",
            "The local and security authorities",
        ),
        role(
            "Les représentants des Marocains résidant à l'étranger et de leurs associations",
            "ممثلو الجالية المغربية المقيمة بالخارج وجمعيات مغاربة العالم",
            "Representatives of Moroccans living abroad and of their associations",
        ),
    ]
}

/// The communication meeting the Wilaya held for the National Day on Sunday 10 August
/// 2025, chaired by the Wali, with the urban agency taking part.
fn national_day_2025() -> Result<EventContent> {
    Ok(EventContent {
        kind: EventKind::NationalDay,
        title: text(
            "Rencontre de communication — Journée nationale des Marocains résidant à l'étranger",
            "لقاء تواصلي بمناسبة اليوم الوطني للمغاربة المقيمين بالخارج",
            "Communication meeting for the National Day of Moroccans Living Abroad",
        ),
        description: text(
            "Rencontre organisée par la Wilaya de la région Béni Mellal-Khénifra, avec la participation de l'Agence urbaine de Béni Mellal : dialogue avec les Marocains du monde sur leurs besoins et attentes, et présentation des services des administrations déconcentrées. Horaires indicatifs (la source ne les donne pas).",
            "لقاء نظمته ولاية جهة بني ملال خنيفرة بمشاركة الوكالة الحضرية لبني ملال: حوار مع مغاربة العالم حول حاجياتهم وانتظاراتهم، وتقديم خدمات الإدارات اللاممركزة. التوقيت توضيحي (لا يذكره المصدر).",
            "Meeting organised by the Wilaya of the Béni Mellal-Khénifra region, with the Urban Agency of Béni Mellal taking part: dialogue with Moroccans of the world on their needs and expectations, and presentation of the services of the deconcentrated administrations. Times illustrative (the source does not give them).",
        ),
        theme: text(
            "Le chantier de la digitalisation : renforcement des services de proximité au profit des Marocains du monde",
            "ورش الرقمنة: تعزيز خدمات القرب لفائدة مغاربة العالم",
            "The digitalisation workshop: strengthening proximity services for Moroccans of the world",
        ),
        start: at("2025-08-10T10:00")?,
        end: at("2025-08-10T13:00")?,
        attendance_mode: Some(AttendanceMode::InPerson),
        venue: Some(wilaya_venue()),
        online_access: None,
        chair: Some(role(
            "Le Wali de la région Béni Mellal-Khénifra",
            "والي جهة بني ملال خنيفرة",
            "The Wali of the Béni Mellal-Khénifra region",
        )),
        speakers: vec![urban_agency_director()],
        guests: national_day_2025_guests(),
        agenda_items: vec![
            AgendaItem {
                title: text(
                    "Les agences urbaines au service des Marocains du monde : services numériques, actualité de l'urbanisme et de la construction, mesures pour le séjour estival",
                    "الوكالات الحضرية في خدمة مغاربة العالم: الخدمات الرقمية ومستجدات قطاعي التعمير والبناء والتدابير الخاصة بالمقام الصيفي",
                    "Urban agencies in the service of Moroccans of the world: digital services, urbanism and construction news, summer-stay measures",
                ),
                description: LocalizedText::default(),
                start: Some(at("2025-08-10T10:30")?),
                end: Some(at("2025-08-10T11:00")?),
                speakers: vec![urban_agency_director()],
            },
            AgendaItem {
                title: text(
                    "Interventions des administrations : programmes et services au profit des Marocains résidant à l'étranger",
                    "مداخلات ممثلي المصالح الإدارية: البرامج والخدمات الموجهة للمغاربة المقيمين بالخارج",
                    "Presentations by the administrations: programmes and services for Moroccans living abroad",
                ),
                description: LocalizedText::default(),
                start: Some(at("2025-08-10T11:00")?),
                end: Some(at("2025-08-10T12:30")?),
                speakers: vec![role(
                    "Les représentants des administrations déconcentrées",
                    "ممثلو الإدارات اللاممركزة",
                    "Representatives of the deconcentrated administrations",
                )],
            },
        ],
        audiences: vec![
            Audience::Diaspora,
            Audience::Associations,
            Audience::PublicOfficials,
        ],
        related_services: vec![],
        registration: RegistrationSettings::default(),
    })
}

fn hq_meeting_2025() -> Result<EventContent> {
    Ok(EventContent {
        kind: EventKind::CommunicationMeeting,
        title: text(
            "Rencontre de communication avec les Marocains du monde au siège de l'Agence urbaine",
            "لقاء تواصلي مع مغاربة العالم بمقر الوكالة الحضرية",
            "Communication meeting with Moroccans of the world at the Urban Agency's headquarters",
        ),
        description: text(
            "Avec les organismes du ministère dans la région : programmes du ministère, services de ses administrations et établissements, et programme d'aide directe au logement. Horaires indicatifs (la source ne les donne pas).",
            "بحضور هيئات الوزارة بالجهة: برامج الوزارة وخدمات إداراتها ومؤسساتها، وبرنامج الدعم المباشر للسكن. التوقيت توضيحي (لا يذكره المصدر).",
            "With the ministry's bodies in the region: the ministry's programmes, the services of its administrations and institutions, and the direct housing support programme. Times illustrative (the source does not give them).",
        ),
        theme: text(
            "Les agences urbaines au service des Marocains du monde",
            "الوكالات الحضرية في خدمة مغاربة العالم",
            "Urban agencies in the service of Moroccans of the world",
        ),
        start: at("2025-08-12T10:00")?,
        end: at("2025-08-12T12:30")?,
        attendance_mode: Some(AttendanceMode::InPerson),
        venue: Some(agency_venue()),
        online_access: None,
        chair: Some(urban_agency_director()),
        speakers: vec![],
        guests: vec![],
        agenda_items: vec![AgendaItem {
            title: text(
                "Le programme d'aide directe au logement",
                "برنامج الدعم المباشر للسكن",
                "The direct housing support programme",
            ),
            description: LocalizedText::default(),
            start: Some(at("2025-08-12T11:00")?),
            end: Some(at("2025-08-12T11:45")?),
            speakers: vec![],
        }],
        audiences: vec![Audience::Diaspora],
        related_services: vec![],
        registration: RegistrationSettings::default(),
    })
}

fn national_day_2027() -> Result<EventContent> {
    Ok(EventContent {
        kind: EventKind::NationalDay,
        title: text(
            "Journée nationale des Marocains résidant à l'étranger 2027",
            "اليوم الوطني للمغاربة المقيمين بالخارج 2027",
            "National Day of Moroccans Living Abroad 2027",
        ),
        description: text(
            "Rencontre annuelle du 10 août avec les Marocains du monde : services numériques, urbanisme et construction, aide au logement. Capacité et horaires indicatifs.",
            "اللقاء السنوي ليوم 10 غشت مع مغاربة العالم: الخدمات الرقمية، التعمير والبناء، الدعم السكني. الطاقة الاستيعابية والتوقيت توضيحية.",
            "The yearly 10 August meeting with Moroccans of the world: digital services, urbanism and construction, housing support. Capacity and times illustrative.",
        ),
        theme: LocalizedText::default(),
        start: at("2027-08-10T10:00")?,
        end: at("2027-08-10T13:00")?,
        attendance_mode: Some(AttendanceMode::InPerson),
        venue: Some(wilaya_venue()),
        online_access: None,
        chair: Some(role(
            "Le Wali de la région Béni Mellal-Khénifra",
            "والي جهة بني ملال خنيفرة",
            "The Wali of the Béni Mellal-Khénifra region",
        )),
        speakers: vec![urban_agency_director()],
        guests: vec![],
        agenda_items: vec![],
        audiences: vec![Audience::Diaspora, Audience::Citizens],
        related_services: vec![],
        registration: RegistrationSettings {
            enabled: true,
            capacity: 300,
            reserved_seats: 40,
            waitlist_enabled: true,
            open_time: None,
            close_time: Some(at("2027-08-09T18:00")?.instant()),
            waitlist_capacity: None,
            consent_required: true,
            consent_version: Some(DEMO_CONSENT_VERSION.to_owned()),
        },
    })
}

fn national_day_outcomes() -> Outcomes {
    Outcomes {
        minutes_summary: text(
            "Présentation des services numériques de l'Agence urbaine, de l'actualité de l'urbanisme et de la construction, et des mesures pour le séjour estival ; les administrations ont présenté leurs programmes pour les Marocains du monde. Chiffres de présence indicatifs.",
            "تقديم الخدمات الرقمية للوكالة الحضرية ومستجدات قطاعي التعمير والبناء والتدابير الخاصة بالعطلة الصيفية؛ وقدمت الإدارات برامجها لفائدة مغاربة العالم. أرقام الحضور توضيحية.",
            "The Urban Agency presented its digital services, urbanism and construction news and the summer-stay measures; the administrations presented their programmes for Moroccans of the world. Attendance figures illustrative.",
        ),
        attendance_count: 120,
        attendance_by_audience: vec![
            AttendanceFigure {
                audience: Audience::Diaspora,
                count: 80,
            },
            AttendanceFigure {
                audience: Audience::PublicOfficials,
                count: 40,
            },
        ],
        decisions: vec![Decision {
            text: text(
                "Tenir une rencontre au siège de l'Agence urbaine avec les organismes du ministère",
                "تنظيم لقاء بمقر الوكالة الحضرية بحضور هيئات الوزارة",
                "Hold a meeting at the Urban Agency's headquarters with the ministry's bodies",
            ),
            responsible: text(
                "Le Directeur de l'Agence urbaine de Béni Mellal",
                "مدير الوكالة الحضرية لبني ملال",
                "The Director of the Urban Agency of Béni Mellal",
            ),
            due_date: "2025-08-12".parse().ok(),
        }],
    }
}

fn hq_meeting_outcomes() -> Outcomes {
    Outcomes {
        minutes_summary: text(
            "Échanges avec les Marocains du monde sur les programmes du ministère et le programme d'aide directe au logement (100 000 MAD jusqu'à 300 000 MAD, 70 000 MAD de 300 000 à 700 000 MAD). Chiffres de présence indicatifs.",
            "تبادل مع مغاربة العالم حول برامج الوزارة وبرنامج الدعم المباشر للسكن (100.000 درهم لمسكن لا يتجاوز 300.000 درهم، و70.000 درهم من 300.000 إلى 700.000 درهم). أرقام الحضور توضيحية.",
            "Exchanges with Moroccans of the world on the ministry's programmes and the direct housing support programme (100,000 MAD up to 300,000 MAD, 70,000 MAD from 300,000 to 700,000 MAD). Attendance figures illustrative.",
        ),
        attendance_count: 60,
        attendance_by_audience: vec![AttendanceFigure {
            audience: Audience::Diaspora,
            count: 60,
        }],
        decisions: vec![],
    }
}

/// The resource names of the demo's 2025 meetings, for the suite to hand to the other
/// services' demos (an inquiry raised at a meeting links to it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoEvents {
    /// The Wilaya's National Day meeting of 10 August 2025.
    pub national_day_2025: String,
    /// The urban agency's meeting at its headquarters of 12 August 2025.
    pub headquarters_meeting_2025: String,
}

fn organiser(agency: &AgencyCode) -> Caller {
    Caller {
        subject: "jalia-demo".to_owned(),
        agency: AgencyScope::Agency(agency.to_string()),
        scopes: ["events.write".to_owned()].into_iter().collect(),
    }
}

/// Loads the demo events through the use cases, as each organiser would. Idempotent by
/// looking: an event of the agency of the same kind starting at the same time is the one
/// loaded before, and is taken on from where it stands.
pub(crate) async fn load(events: &Events) -> Result<DemoEvents> {
    let code = |value: &str| AgencyCode::parse(value).map_err(|e| Error::invalid("agency", e));
    let wilaya = code(WILAYA)?;
    let urban_agency = code(URBAN_AGENCY)?;
    let mut names = Vec::new();
    for (agency, content, outcomes) in [
        (wilaya, national_day_2025()?, Some(national_day_outcomes())),
        (
            urban_agency.clone(),
            hq_meeting_2025()?,
            Some(hq_meeting_outcomes()),
        ),
        (urban_agency, national_day_2027()?, None),
    ] {
        names.push(load_one(events, agency, content, outcomes).await?);
    }
    let [national_day_2025, headquarters_meeting_2025, _] = &names[..] else {
        return Err(Error::invalid("demo", "the demo has three events"));
    };
    Ok(DemoEvents {
        national_day_2025: resource_name(national_day_2025),
        headquarters_meeting_2025: resource_name(headquarters_meeting_2025),
    })
}

async fn load_one(
    events: &Events,
    agency: AgencyCode,
    content: EventContent,
    outcomes: Option<Outcomes>,
) -> Result<EventName> {
    let organiser = organiser(&agency);
    let existing = events
        .find_scheduled(&agency, content.kind, &content.start)
        .await?;
    let mut event = match existing {
        Some(event) => event,
        None => {
            events
                .create_event(&organiser, agency.clone(), content, None)
                .await?
        }
    };
    let name = EventName {
        agency,
        id: event.id,
    };
    if event.status == EventStatus::Draft {
        event = events
            .publish_event(
                &organiser,
                &name,
                IfMatch::required(&etag(event.version), "etag")?,
            )
            .await?;
    }
    // Completing is done as the organiser did it, after the meeting.
    if let Some(outcomes) = outcomes
        && event.status == EventStatus::Published
        && events.now() >= event.content.end.instant()
    {
        events
            .complete_event(
                &organiser,
                &name,
                IfMatch::required(&etag(event.version), "etag")?,
                Some(outcomes),
            )
            .await?;
    }
    Ok(name)
}

fn resource_name(name: &EventName) -> String {
    format!("agencies/{}/events/{}", name.agency, name.id)
}

fn etag(version: i64) -> String {
    jalia_model::Etag::of(version).to_string()
}
