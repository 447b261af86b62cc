//! Demonstration data, true to the source document: inquiries raised by Moroccans living
//! abroad at the Urban Agency of Béni Mellal's 2025 meetings (the communication meeting
//! at the Wilaya on 10 August 2025 and the meeting at the agency's headquarters on
//! 12 August 2025), about a building permit, the direct housing support programme and
//! an urban planning information note.
//!
//! Requesters are invented (example.org addresses, fictional numbers); staff appear by
//! role only. The categories' default response times are illustrative. With the links
//! the suite hands over (`DemoLinks`), the inquiries about a catalog service link to it,
//! so their due dates come from the catalog, and those raised at a meeting link to it.
//!
//! The story is told through the use cases, as the RPCs would tell it, on a clock set to
//! each step's time, so every rule applies and references come from the agency's real
//! counter. Loading twice changes nothing: a category whose name the agency already has is
//! kept, and an inquiry is told only when its category has none yet (each demo inquiry
//! has a category of its own).

use std::sync::Arc;

use jalia_model::{
    AgencyCode, AgencyScope, Caller, CountryCode, Email, Etag, IfMatch, LanguageCode,
    LocalizedText, PageRequest, Phone,
};
use jalia_runtime::ManualClock;
use jiff::Timestamp;
use jiff::civil::date;

use crate::app::{Inquiries, InquiryView};
use crate::domain::Error;
use crate::domain::attachment::{
    AttachmentName, FileName, MediaType, Upload, UploadMetadata, Uploader,
};
use crate::domain::category::{Category, CreateCategoryCommand, name_keys};
use crate::domain::classification::{Kind, Place};
use crate::domain::inquiry::{
    AssignCommand, Assignment, Channel, InquiryName, Requester, Submission, SubmitCommand,
    TransitionCommand,
};
use crate::domain::message::{AddMessageCommand, CitizenReplyCommand, Visibility};
use crate::domain::query::{CategoryFilter, InquiryQuery};
use crate::domain::status::Target;
use crate::domain::text::PersonalText;

const AGENCY: &str = "bm";
const DEMO_SYSTEM: &str = "demo-loader";
const DESK_SYSTEM: &str = "desk-app-wilaya";
const HQ_DESK_SYSTEM: &str = "desk-app-hq";
const DIASPORA_WINDOW: &str = "guichet-mre";
const URBANISM_AGENT: &str = "agent-guichet-mre-urbanisme";
const HOUSING_AGENT: &str = "agent-guichet-mre-logement";
const WEB_PORTAL_SYSTEM: &str = "portail-mre";
const LAND_AGENT: &str = "agent-guichet-mre-foncier";
const CATEGORIES_CREATED: &str = "2025-08-01T09:00:00+01:00";

/// What the other services' demos loaded that the demo inquiries link to, as resource
/// names; the suite fills it in (this service does not know the others' ids). An empty
/// one leaves the links out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoLinks {
    /// The catalog's building permit.
    pub building_permit: Option<String>,
    /// The catalog's direct housing support programme.
    pub housing_support: Option<String>,
    /// The catalog's urban planning information note.
    pub information_note: Option<String>,
    /// The Wilaya's National Day meeting of 10 August 2025.
    pub national_day_2025: Option<String>,
    /// The agency's meeting at its headquarters of 12 August 2025.
    pub headquarters_meeting_2025: Option<String>,
}

/// Loads the demonstration data; a second load changes nothing. An inquiry that links
/// to a catalog service has its due date from the catalog's processing time.
pub(crate) async fn load(inquiries: &Inquiries, links: &DemoLinks) -> Result<(), Error> {
    let story = Story::new(inquiries)?;
    let permit = story
        .category(
            LocalizedText::single("fr", "Permis de construire")
                .with("ar", "رخصة البناء")
                .with("en", "Building permit"),
            15,
        )
        .await?;
    let housing = story
        .category(
            LocalizedText::single("fr", "Aide directe au logement")
                .with("ar", "الدعم المباشر للسكن")
                .with("en", "Direct housing support"),
            10,
        )
        .await?;
    let planning_note = story
        .category(
            LocalizedText::single("fr", "Note de renseignements urbanistiques")
                .with("ar", "مذكرة المعلومات التعميرية")
                .with("en", "Urban planning information note"),
            7,
        )
        .await?;
    let mut told = 0;
    if story.untold(&permit).await? {
        building_permit_at_the_wilaya(&story, &permit, links).await?;
        told += 1;
    }
    if story.untold(&housing).await? {
        housing_support_at_headquarters(&story, &housing, links).await?;
        told += 1;
    }
    if story.untold(&planning_note).await? {
        planning_note_by_phone(&story, &planning_note, links).await?;
        told += 1;
    }
    // The citizen's side of the conversation.
    let land_status = story
        .category(
            LocalizedText::single("fr", "Situation foncière d'un terrain")
                .with("ar", "الوضعية العقارية لقطعة أرضية")
                .with("en", "Land status of a plot"),
            10,
        )
        .await?;
    if story.untold(&land_status).await? {
        citizen_thread_about_a_plot(&story, &land_status).await?;
        told += 1;
    }
    tracing::info!(inquiries = told, "inquiries demo data loaded");
    Ok(())
}

/// The use cases on a clock the story sets, and the agency it happens at.
struct Story {
    clock: Arc<ManualClock>,
    inquiries: Inquiries,
    agency: AgencyCode,
}

impl Story {
    fn new(inquiries: &Inquiries) -> Result<Self, Error> {
        let clock = ManualClock::new(instant(CATEGORIES_CREATED)?);
        Ok(Self {
            inquiries: inquiries.with_clock(clock.clone()),
            clock,
            agency: AgencyCode::parse(AGENCY).map_err(|_| invalid("agency"))?,
        })
    }

    /// A system or agent of the agency.
    fn caller(&self, subject: &str) -> Caller {
        Caller {
            subject: subject.to_owned(),
            agency: AgencyScope::Agency(AGENCY.to_owned()),
            scopes: Default::default(),
        }
    }

    /// Sets the clock to a wall time with its offset.
    fn at(&self, when: &str) -> Result<(), Error> {
        self.clock.set(instant(when)?);
        Ok(())
    }

    /// The agency's category with these names, created unless one of its names is taken.
    async fn category(&self, display_name: LocalizedText, days: i64) -> Result<Category, Error> {
        let caller = self.caller(DEMO_SYSTEM);
        let wanted = name_keys(&display_name);
        let filter = CategoryFilter {
            agency: Some(self.agency.clone()),
            updated_after: None,
        };
        let mut page = PageRequest::first(500);
        loop {
            let listed = self
                .inquiries
                .list_categories(&caller, &filter, &page)
                .await?;
            let existing = listed.items.into_iter().find(|category| {
                name_keys(&category.display_name)
                    .iter()
                    .any(|key| wanted.contains(key))
            });
            if let Some(existing) = existing {
                return Ok(existing);
            }
            match listed.next_page_token {
                Some(token) => page.token = Some(token),
                None => break,
            }
        }
        self.at(CATEGORIES_CREATED)?;
        let command = CreateCategoryCommand {
            agency: self.agency.clone(),
            request_id: None,
            display_name,
            default_response_days: days,
            count_working_days: false,
        };
        self.inquiries.create_category(&caller, command).await
    }

    /// Whether no inquiry of `category` exists yet.
    async fn untold(&self, category: &Category) -> Result<bool, Error> {
        let query = InquiryQuery {
            agency: Some(self.agency.clone()),
            category: Some(category.id),
            ..InquiryQuery::default()
        };
        let caller = self.caller(DEMO_SYSTEM);
        let page = self
            .inquiries
            .list(&caller, &query, &PageRequest::first(1))
            .await?;
        Ok(page.items.is_empty())
    }

    async fn submit(
        &self,
        when: &str,
        desk: &str,
        submission: Submission,
    ) -> Result<InquiryView, Error> {
        self.at(when)?;
        let command = SubmitCommand {
            submission,
            request_id: None,
            attachments: Vec::new(),
        };
        let submitted = self
            .inquiries
            .submit(&self.caller(desk), command, None)
            .await?;
        Ok(submitted.view)
    }

    async fn assign(
        &self,
        when: &str,
        inquiry: &InquiryView,
        agent: &str,
    ) -> Result<InquiryView, Error> {
        self.at(when)?;
        let command = AssignCommand {
            name: name(inquiry),
            if_match: if_match(inquiry)?,
            assignment: Assignment {
                team: Some(DIASPORA_WINDOW.to_owned()),
                agent: Some(agent.to_owned()),
            },
            note: None,
        };
        self.inquiries.assign(&self.caller(agent), command).await
    }

    async fn move_to(
        &self,
        when: &str,
        inquiry: &InquiryView,
        target: Target,
        actor: &str,
        note: Option<&str>,
    ) -> Result<InquiryView, Error> {
        self.at(when)?;
        let command = TransitionCommand {
            name: name(inquiry),
            if_match: if_match(inquiry)?,
            target,
            note: note.map(|note| text(note, 2_000)).transpose()?,
        };
        self.inquiries
            .transition(&self.caller(actor), command)
            .await
    }

    /// Adds a message, and gives the inquiry as it is after it.
    async fn write(
        &self,
        when: &str,
        inquiry: &InquiryView,
        visibility: Visibility,
        body: &str,
        author: &str,
    ) -> Result<InquiryView, Error> {
        self.at(when)?;
        let caller = self.caller(author);
        let command = AddMessageCommand {
            inquiry: name(inquiry),
            request_id: None,
            visibility,
            body: text(body, 10_000)?,
            attachments: Vec::new(),
        };
        self.inquiries.add_message(&caller, command).await?;
        self.inquiries.get(&caller, &name(inquiry)).await
    }
}

async fn building_permit_at_the_wilaya(
    story: &Story,
    category: &Category,
    links: &DemoLinks,
) -> Result<(), Error> {
    let submission = Submission {
        agency: story.agency.clone(),
        requester: Requester {
            display_name: text("Nadia Exemple (fictional)", 200)?,
            email: Some(Email::parse("nadia.exemple@example.org").map_err(|_| invalid("email"))?),
            phone: Some(Phone::parse("+33 6 12 34 56 78").map_err(|_| invalid("phone"))?),
            country_of_residence: country("FR")?,
            preferred_language: Some(language("fr")?),
            diaspora: true,
        },
        channel: Channel::EventDesk,
        category: category.id,
        service: links.building_permit.clone(),
        event: links.national_day_2025.clone(),
        subject: text("Permis de construire sur un terrain familial", 200)?,
        body: text(
            "Je vis en France et je souhaite construire une maison sur le terrain familial \
             près de Béni Mellal. Comment déposer la demande de permis sur Rokhas depuis \
             l'étranger, et quels documents préparer avant la fin de mon séjour d'été ?",
            10_000,
        )?,
        answer_before: Some(date(2025, 8, 31)),
        kind: Kind::Question,
        place: Some(Place {
            commune: Some("Béni Mellal".to_owned()),
            land_title_number: None,
            coordinates: None,
        }),
    };
    let inquiry = story
        .submit("2025-08-10T11:20:00+01:00", DESK_SYSTEM, submission)
        .await?;
    let inquiry = story
        .assign("2025-08-10T15:00:00+01:00", &inquiry, URBANISM_AGENT)
        .await?;
    let inquiry = story
        .move_to(
            "2025-08-11T09:00:00+01:00",
            &inquiry,
            Target::InProgress,
            URBANISM_AGENT,
            None,
        )
        .await?;
    let inquiry = story
        .write(
            "2025-08-11T10:30:00+01:00",
            &inquiry,
            Visibility::PublicReply,
            "La demande de permis se dépose sur la plateforme nationale Rokhas, accessible \
             depuis l'étranger ; l'architecte mandaté dépose le dossier. Préparez le titre \
             foncier ou l'accord du propriétaire et la note de renseignements urbanistiques. \
             Le guichet MRE de l'agence vous accompagne pendant votre séjour.",
            URBANISM_AGENT,
        )
        .await?;
    story
        .move_to(
            "2025-08-11T10:35:00+01:00",
            &inquiry,
            Target::Answered,
            URBANISM_AGENT,
            Some("Réponse donnée ; orientée vers Rokhas et le guichet MRE."),
        )
        .await?;
    Ok(())
}

async fn housing_support_at_headquarters(
    story: &Story,
    category: &Category,
    links: &DemoLinks,
) -> Result<(), Error> {
    let submission = Submission {
        agency: story.agency.clone(),
        requester: Requester {
            display_name: text("Youssef Exemple (fictional)", 200)?,
            email: Some(Email::parse("youssef.exemple@example.org").map_err(|_| invalid("email"))?),
            phone: None,
            country_of_residence: country("ES")?,
            preferred_language: Some(language("ar")?),
            diaspora: true,
        },
        channel: Channel::EventDesk,
        category: category.id,
        service: links.housing_support.clone(),
        event: links.headquarters_meeting_2025.clone(),
        subject: text("الدعم المباشر للسكن لمغاربة العالم", 200)?,
        body: text(
            "أقيم في إسبانيا وأرغب في شراء أول مسكن في بني ملال بثمن يقارب 280000 درهم. \
             هل يمكنني الاستفادة من برنامج الدعم المباشر للسكن، وما هي الوثائق المطلوبة؟",
            10_000,
        )?,
        answer_before: None,
        kind: Kind::Question,
        place: None,
    };
    let inquiry = story
        .submit("2025-08-12T10:45:00+01:00", HQ_DESK_SYSTEM, submission)
        .await?;
    let inquiry = story
        .assign("2025-08-12T14:00:00+01:00", &inquiry, HOUSING_AGENT)
        .await?;
    let inquiry = story
        .move_to(
            "2025-08-13T09:15:00+01:00",
            &inquiry,
            Target::InProgress,
            HOUSING_AGENT,
            None,
        )
        .await?;
    let inquiry = story
        .write(
            "2025-08-13T09:20:00+01:00",
            &inquiry,
            Visibility::InternalNote,
            "Vérifier que le demandeur ne possède pas déjà un logement au Maroc.",
            HOUSING_AGENT,
        )
        .await?;
    let inquiry = story
        .write(
            "2025-08-13T09:40:00+01:00",
            &inquiry,
            Visibility::PublicReply,
            "نعم، مغاربة العالم مؤهلون للبرنامج: 100000 درهم لمسكن لا يتجاوز ثمنه 300000 درهم، \
             بشرط ألا تملكوا مسكنا وألا تكونوا قد استفدتم من دعم للسكن. المرجو إرسال شهادة عدم \
             التملك لإتمام دراسة طلبكم.",
            HOUSING_AGENT,
        )
        .await?;
    story
        .move_to(
            "2025-08-13T09:45:00+01:00",
            &inquiry,
            Target::WaitingOnCitizen,
            HOUSING_AGENT,
            Some("En attente de l'attestation de non-propriété."),
        )
        .await?;
    Ok(())
}

async fn planning_note_by_phone(
    story: &Story,
    category: &Category,
    links: &DemoLinks,
) -> Result<(), Error> {
    let submission = Submission {
        agency: story.agency.clone(),
        requester: Requester {
            display_name: text("Karim Exemple (fictional)", 200)?,
            email: None,
            phone: Some(Phone::parse("+32 470 12 34 56").map_err(|_| invalid("phone"))?),
            country_of_residence: country("BE")?,
            preferred_language: Some(language("fr")?),
            diaspora: true,
        },
        channel: Channel::Phone,
        category: category.id,
        service: links.information_note.clone(),
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
        kind: Kind::Request,
        place: None,
    };
    story
        .submit("2025-08-12T17:10:00+01:00", HQ_DESK_SYSTEM, submission)
        .await?;
    Ok(())
}

/// A one-page PDF, written here so that its cross-reference offsets are exact, that says
/// what it is: an illustrative plan, not a real document.
fn illustrative_plan_pdf() -> Vec<u8> {
    let text = "BT /F1 14 Tf 40 100 Td (Plan du terrain - Azilal - document illustratif \\(fictif\\)) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 200] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        tail.push_str(&format!("{offset:010} 00000 n \n"));
    }
    tail.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.extend_from_slice(tail.as_bytes());
    pdf
}

/// A citizen living in Paris asks through the web portal about a plot inherited in
/// Azilal, with an illustrative plan of it as a PDF; the agency asks for the title deed, the citizen answers back with the
/// reference and tracking code (the wait ends and the due date resumes), and the agency
/// answers.
async fn citizen_thread_about_a_plot(story: &Story, category: &Category) -> Result<(), Error> {
    let submission = Submission {
        agency: story.agency.clone(),
        requester: Requester {
            display_name: text("Youssef Exemple (fictional)", 200)?,
            email: Some(Email::parse("youssef.exemple@example.org").map_err(|_| invalid("email"))?),
            phone: None,
            country_of_residence: country("FR")?,
            preferred_language: Some(language("fr")?),
            diaspora: true,
        },
        channel: Channel::WebPortal,
        category: category.id,
        service: None,
        event: None,
        subject: text("Terrain hérité à Azilal", 200)?,
        body: text(
            "J'habite à Paris et j'ai hérité d'un terrain à Azilal. Puis-je y construire \
             une maison, et quelles démarches faire depuis la France ?",
            10_000,
        )?,
        answer_before: None,
        kind: Kind::Question,
        place: Some(Place {
            commune: Some("Azilal".to_owned()),
            land_title_number: None,
            coordinates: None,
        }),
    };
    story.at("2025-08-13T20:15:00+01:00")?;
    let portal = story.caller(WEB_PORTAL_SYSTEM);
    // The plot's plan, as the citizen sends it with the question: an illustrative PDF.
    let mut plan = Upload::new(
        UploadMetadata {
            agency: story.agency.clone(),
            file_name: FileName::parse("plan-terrain-azilal-illustratif.pdf")
                .map_err(|_| invalid("file name"))?,
            media_type: MediaType::Pdf,
        },
        Uploader::Citizen,
        story.inquiries.attachment_limits().file_bytes,
    );
    plan.push(&illustrative_plan_pdf())?;
    let plan = story.inquiries.upload(&portal, plan).await?;
    let submitted = story
        .inquiries
        .submit(
            &portal,
            SubmitCommand {
                submission,
                request_id: None,
                attachments: vec![AttachmentName {
                    agency: plan.agency,
                    id: plan.id,
                }],
            },
            None,
        )
        .await?;
    let inquiry = story
        .assign("2025-08-14T09:30:00+01:00", &submitted.view, LAND_AGENT)
        .await?;
    let inquiry = story
        .move_to(
            "2025-08-14T09:35:00+01:00",
            &inquiry,
            Target::InProgress,
            LAND_AGENT,
            None,
        )
        .await?;
    let inquiry = story
        .write(
            "2025-08-14T10:00:00+01:00",
            &inquiry,
            Visibility::PublicReply,
            "Merci de nous transmettre le numéro du titre foncier du terrain (ou une copie \
             du titre), afin de vérifier sa situation au plan d'aménagement.",
            LAND_AGENT,
        )
        .await?;
    let inquiry = story
        .move_to(
            "2025-08-14T10:01:00+01:00",
            &inquiry,
            Target::WaitingOnCitizen,
            LAND_AGENT,
            Some("Titre foncier demandé au citoyen."),
        )
        .await?;
    story.at("2025-08-17T11:40:00+01:00")?;
    let reply = CitizenReplyCommand {
        reference: inquiry.inquiry.reference.to_string(),
        tracking_code: submitted.tracking_code.grouped(),
        request_id: None,
        body: text(
            "Voici le numéro du titre foncier : 00000/10 (fictif). Le terrain est au nom \
             de mon père.",
            10_000,
        )?,
        attachments: Vec::new(),
    };
    story.inquiries.reply_as_citizen(&portal, reply).await?;
    let inquiry = story.inquiries.get(&portal, &name(&inquiry)).await?;
    let inquiry = story
        .write(
            "2025-08-18T15:20:00+01:00",
            &inquiry,
            Visibility::PublicReply,
            "Le terrain est en zone constructible. La demande de permis se dépose en ligne \
             sur Rokhas, avec l'acte d'hérédité et le titre foncier.",
            LAND_AGENT,
        )
        .await?;
    story
        .move_to(
            "2025-08-18T15:21:00+01:00",
            &inquiry,
            Target::Answered,
            LAND_AGENT,
            None,
        )
        .await?;
    Ok(())
}

fn country(code: &str) -> Result<CountryCode, Error> {
    CountryCode::parse(code).map_err(|_| invalid("country"))
}

fn language(tag: &str) -> Result<LanguageCode, Error> {
    LanguageCode::parse(tag).map_err(|_| invalid("language"))
}

fn name(inquiry: &InquiryView) -> InquiryName {
    InquiryName {
        agency: inquiry.inquiry.agency.clone(),
        id: inquiry.inquiry.id,
    }
}

/// The etag of the inquiry as last seen, as a handler would send it back.
fn if_match(inquiry: &InquiryView) -> Result<IfMatch, Error> {
    let etag = Etag::of(inquiry.inquiry.version).to_string();
    Ok(IfMatch::required(&etag, "etag")?)
}

fn instant(text: &str) -> Result<Timestamp, Error> {
    text.parse().map_err(|_| invalid("instant"))
}

fn text(value: &str, max: usize) -> Result<PersonalText, Error> {
    PersonalText::parse(value, 1, max).map_err(|_| invalid("text"))
}

/// A value of the demo that the domain refuses: a bug in this file.
fn invalid(what: &str) -> Error {
    Error::Internal(format!("demo data: invalid {what}"))
}
