//! Demonstration data, true to the source document: inquiries raised by Moroccans living
//! abroad at the Urban Agency of Béni Mellal's 2025 meetings (the communication meeting
//! at the Wilaya on 10 August 2025 and the meeting at the agency's headquarters on
//! 12 August 2025), about a building permit, the direct housing support programme and
//! an urban planning information note.
//!
//! Requesters are invented (example.org addresses, fictional numbers); staff appear by
//! role only. The categories' default response times are illustrative. Every value is
//! built through the domain's rules, and loading twice changes nothing: ids are fixed and
//! anything already present is left as it is.

use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, LocalizedText, Phone};
use jiff::Timestamp;
use jiff::civil::date;
use uuid::Uuid;

use crate::domain::Error;
use crate::domain::category::Category;
use crate::domain::inquiry::{
    Assignment, Channel, DueBasis, Inquiry, Requester, StateChange, Submission, Target,
    TargetLookup, Visibility,
};
use crate::domain::message::Message;
use crate::domain::reference::Reference;
use crate::domain::text::PersonalText;
use crate::service::Inquiries;

const AGENCY: &str = "bm";
const DESK_SYSTEM: &str = "desk-app-wilaya";
const HQ_DESK_SYSTEM: &str = "desk-app-hq";
const DIASPORA_WINDOW: &str = "guichet-mre";
const URBANISM_AGENT: &str = "agent-guichet-mre-urbanisme";
const HOUSING_AGENT: &str = "agent-guichet-mre-logement";

/// Loads the demonstration data; a second load changes nothing.
pub async fn load(inquiries: &Inquiries) -> Result<(), Error> {
    let agency = AgencyCode::parse(AGENCY).map_err(|_| corrupt("agency"))?;
    let permit = category(
        &agency,
        1,
        LocalizedText::single("fr", "Permis de construire")
            .with("ar", "رخصة البناء")
            .with("en", "Building permit"),
        15,
    )?;
    let housing = category(
        &agency,
        2,
        LocalizedText::single("fr", "Aide directe au logement")
            .with("ar", "الدعم المباشر للسكن")
            .with("en", "Direct housing support"),
        10,
    )?;
    let planning_note = category(
        &agency,
        3,
        LocalizedText::single("fr", "Note de renseignements urbanistiques")
            .with("ar", "مذكرة المعلومات التعميرية")
            .with("en", "Urban planning information note"),
        7,
    )?;
    let mut created = 0;
    for category in [&permit, &housing, &planning_note] {
        created += usize::from(inquiries.insert_demo_category(category).await?);
    }

    for life in [
        building_permit_at_the_wilaya(inquiries, &agency, &permit)?,
        housing_support_at_headquarters(inquiries, &agency, &housing)?,
        planning_note_by_phone(inquiries, &agency, &planning_note)?,
    ] {
        created += usize::from(
            inquiries
                .insert_demo_inquiry(&life.inquiry, &life.history, &life.messages)
                .await?,
        );
    }
    tracing::info!(created, "inquiries demo data loaded");
    Ok(())
}

/// An inquiry and everything that happened to it, built through the domain's rules.
struct Life {
    inquiry: Inquiry,
    history: Vec<(i64, StateChange)>,
    messages: Vec<Message>,
}

impl Life {
    fn submit(
        inquiries: &Inquiries,
        number: u8,
        submission: Submission,
        category: &Category,
        actor: &str,
        at: &str,
    ) -> Result<Self, Error> {
        let at = instant(at)?;
        let reference = Reference::new(submission.agency.clone(), 2025, 0);
        let basis = DueBasis::choose(TargetLookup::NoService, category.default_response_days)
            .map_err(|_| corrupt("due basis"))?;
        let (inquiry, change) = Inquiry::submit(
            fixed_id(at, 0x10, number),
            reference,
            submission,
            basis,
            actor,
            at,
            inquiries.zone(),
        );
        Ok(Self {
            history: vec![(inquiry.version, change)],
            inquiry,
            messages: Vec::new(),
        })
    }

    fn assign(&mut self, team: &str, agent: &str, actor: &str, at: &str) -> Result<(), Error> {
        let assignment = Assignment {
            team: Some(team.to_owned()),
            agent: Some(agent.to_owned()),
        };
        let change = self.inquiry.assign(assignment, actor, None, instant(at)?)?;
        self.history.push((self.inquiry.version, change));
        Ok(())
    }

    fn move_to(
        &mut self,
        inquiries: &Inquiries,
        target: Target,
        actor: &str,
        note: Option<&str>,
        at: &str,
    ) -> Result<(), Error> {
        let note = note
            .map(|note| PersonalText::parse(note, 1, 2_000).map_err(|_| corrupt("note")))
            .transpose()?;
        let change =
            self.inquiry
                .transition(target, actor, note, instant(at)?, inquiries.zone())?;
        self.history.push((self.inquiry.version, change));
        Ok(())
    }

    fn write(
        &mut self,
        visibility: Visibility,
        body: &str,
        author: &str,
        at: &str,
    ) -> Result<(), Error> {
        let at = instant(at)?;
        self.inquiry.record_message(visibility, at)?;
        let number = u8::try_from(self.messages.len()).unwrap_or(u8::MAX);
        self.messages.push(Message {
            id: fixed_id(at, 0x20, number),
            inquiry_id: self.inquiry.id,
            agency: self.inquiry.agency.clone(),
            visibility,
            body: text(body, 10_000)?,
            author: author.to_owned(),
            created_at: at,
        });
        Ok(())
    }
}

fn building_permit_at_the_wilaya(
    inquiries: &Inquiries,
    agency: &AgencyCode,
    category: &Category,
) -> Result<Life, Error> {
    let submission = Submission {
        agency: agency.clone(),
        requester: Requester {
            display_name: text("Nadia Exemple (fictional)", 200)?,
            email: Some(Email::parse("nadia.exemple@example.org").map_err(|_| corrupt("email"))?),
            phone: Some(Phone::parse("+33 6 12 34 56 78").map_err(|_| corrupt("phone"))?),
            country_of_residence: CountryCode::parse("FR").map_err(|_| corrupt("country"))?,
            preferred_language: Some(LanguageCode::parse("fr").map_err(|_| corrupt("language"))?),
            diaspora: true,
        },
        channel: Channel::EventDesk,
        category: category.id,
        service: None,
        event: None,
        subject: text("Permis de construire sur un terrain familial", 200)?,
        body: text(
            "Je vis en France et je souhaite construire une maison sur le terrain familial \
             près de Béni Mellal. Comment déposer la demande de permis sur Rokhas depuis \
             l'étranger, et quels documents préparer avant la fin de mon séjour d'été ?",
            10_000,
        )?,
        answer_before: Some(date(2025, 8, 31)),
    };
    let mut life = Life::submit(
        inquiries,
        1,
        submission,
        category,
        DESK_SYSTEM,
        "2025-08-10T11:20:00+01:00",
    )?;
    life.assign(
        DIASPORA_WINDOW,
        URBANISM_AGENT,
        URBANISM_AGENT,
        "2025-08-10T15:00:00+01:00",
    )?;
    life.move_to(
        inquiries,
        Target::InProgress,
        URBANISM_AGENT,
        None,
        "2025-08-11T09:00:00+01:00",
    )?;
    life.write(
        Visibility::PublicReply,
        "La demande de permis se dépose sur la plateforme nationale Rokhas, accessible \
         depuis l'étranger ; l'architecte mandaté dépose le dossier. Préparez le titre \
         foncier ou l'accord du propriétaire et la note de renseignements urbanistiques. \
         Le guichet MRE de l'agence vous accompagne pendant votre séjour.",
        URBANISM_AGENT,
        "2025-08-11T10:30:00+01:00",
    )?;
    life.move_to(
        inquiries,
        Target::Answered,
        URBANISM_AGENT,
        Some("Réponse donnée ; orientée vers Rokhas et le guichet MRE."),
        "2025-08-11T10:35:00+01:00",
    )?;
    Ok(life)
}

fn housing_support_at_headquarters(
    inquiries: &Inquiries,
    agency: &AgencyCode,
    category: &Category,
) -> Result<Life, Error> {
    let submission = Submission {
        agency: agency.clone(),
        requester: Requester {
            display_name: text("Youssef Exemple (fictional)", 200)?,
            email: Some(Email::parse("youssef.exemple@example.org").map_err(|_| corrupt("email"))?),
            phone: None,
            country_of_residence: CountryCode::parse("ES").map_err(|_| corrupt("country"))?,
            preferred_language: Some(LanguageCode::parse("ar").map_err(|_| corrupt("language"))?),
            diaspora: true,
        },
        channel: Channel::EventDesk,
        category: category.id,
        service: None,
        event: None,
        subject: text("الدعم المباشر للسكن لمغاربة العالم", 200)?,
        body: text(
            "أقيم في إسبانيا وأرغب في شراء أول مسكن في بني ملال بثمن يقارب 280000 درهم. \
             هل يمكنني الاستفادة من برنامج الدعم المباشر للسكن، وما هي الوثائق المطلوبة؟",
            10_000,
        )?,
        answer_before: None,
    };
    let mut life = Life::submit(
        inquiries,
        2,
        submission,
        category,
        HQ_DESK_SYSTEM,
        "2025-08-12T10:45:00+01:00",
    )?;
    life.assign(
        DIASPORA_WINDOW,
        HOUSING_AGENT,
        HOUSING_AGENT,
        "2025-08-12T14:00:00+01:00",
    )?;
    life.move_to(
        inquiries,
        Target::InProgress,
        HOUSING_AGENT,
        None,
        "2025-08-13T09:15:00+01:00",
    )?;
    life.write(
        Visibility::InternalNote,
        "Vérifier que le demandeur ne possède pas déjà un logement au Maroc.",
        HOUSING_AGENT,
        "2025-08-13T09:20:00+01:00",
    )?;
    life.write(
        Visibility::PublicReply,
        "نعم، مغاربة العالم مؤهلون للبرنامج: 100000 درهم لمسكن لا يتجاوز ثمنه 300000 درهم، \
         بشرط ألا تملكوا مسكنا وألا تكونوا قد استفدتم من دعم للسكن. المرجو إرسال شهادة عدم \
         التملك لإتمام دراسة طلبكم.",
        HOUSING_AGENT,
        "2025-08-13T09:40:00+01:00",
    )?;
    life.move_to(
        inquiries,
        Target::WaitingOnCitizen,
        HOUSING_AGENT,
        Some("En attente de l'attestation de non-propriété."),
        "2025-08-13T09:45:00+01:00",
    )?;
    Ok(life)
}

fn planning_note_by_phone(
    inquiries: &Inquiries,
    agency: &AgencyCode,
    category: &Category,
) -> Result<Life, Error> {
    let submission = Submission {
        agency: agency.clone(),
        requester: Requester {
            display_name: text("Karim Exemple (fictional)", 200)?,
            email: None,
            phone: Some(Phone::parse("+32 470 12 34 56").map_err(|_| corrupt("phone"))?),
            country_of_residence: CountryCode::parse("BE").map_err(|_| corrupt("country"))?,
            preferred_language: Some(LanguageCode::parse("fr").map_err(|_| corrupt("language"))?),
            diaspora: true,
        },
        channel: Channel::Phone,
        category: category.id,
        service: None,
        event: None,
        subject: text(
            "Note de renseignements urbanistiques pour une parcelle",
            200,
        )?,
        body: text(
            "Appel sur la ligne dédiée au séjour d'été : le citoyen demande comment obtenir \
             en ligne la note de renseignements urbanistiques d'une parcelle à Fquih Ben \
             Salah avant de l'acheter.",
            10_000,
        )?,
        answer_before: Some(date(2025, 8, 16)),
    };
    Life::submit(
        inquiries,
        3,
        submission,
        category,
        HQ_DESK_SYSTEM,
        "2025-08-12T17:10:00+01:00",
    )
}

fn category(
    agency: &AgencyCode,
    number: u8,
    display_name: LocalizedText,
    default_response_days: i64,
) -> Result<Category, Error> {
    let at = instant("2025-08-01T09:00:00+01:00")?;
    Ok(Category {
        id: fixed_id(at, 0x01, number),
        agency: agency.clone(),
        display_name,
        default_response_days,
        created_at: at,
        updated_at: at,
        version: 1,
    })
}

/// A UUIDv7 for `at` with fixed bits, so that every load makes the same ids.
fn fixed_id(at: Timestamp, kind: u8, number: u8) -> Uuid {
    let millis = u64::try_from(at.as_millisecond()).unwrap_or_default();
    let bits = [0xde, 0x40, kind, number, 0, 0, 0, 0, 0, 0];
    uuid::Builder::from_unix_timestamp_millis(millis, &bits).into_uuid()
}

fn instant(text: &str) -> Result<Timestamp, Error> {
    text.parse().map_err(|_| corrupt("instant"))
}

fn text(value: &str, max: usize) -> Result<PersonalText, Error> {
    PersonalText::parse(value, 1, max).map_err(|_| corrupt("text"))
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("demo data: invalid {what}"))
}
