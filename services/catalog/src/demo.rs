//! Demo data true to the seed (../shared/seed): the Urban Agency of Béni Mellal with its
//! headquarters and its Fquih Ben Salah, Azilal and Khouribga antennas and the diaspora
//! summer hours, the Wilaya of Béni Mellal-Khénifra, the ministry, the commune of Béni
//! Mellal (competent for building permits, which the agency only reviews), and five public
//! services in Arabic, French and English (Amazigh is left out rather than written
//! wrong). Fees and processing times the seed does not give are marked illustrative.
//!
//! Everything is built with the domain's checking constructors and written through the
//! use cases, as a ministry-wide caller would (so revisions and search tokens are written
//! as for any caller). Loading twice changes nothing: each agency, term and service is
//! looked up first (agencies by code, terms by English name, services by French name
//! under their agency) and created only when missing.

use std::collections::BTreeSet;

use jalia_model::{
    AddressInput, AgencyCode, AgencyScope, Audience, Caller, Etag, FieldViolation, IfMatch,
    LocalizedText, MAX_PAGE_SIZE, PageRequest, PostalAddress,
};
use uuid::Uuid;

use crate::app::{Catalog, Lifecycle};
use crate::domain::Error;
use crate::domain::agency::{AgencyContent, AgencyKind, NewAgency, Site, SiteKind};
use crate::domain::hours::{OpeningHours, PeriodInput, Weekday, WeeklyPeriod};
use crate::domain::place::HttpsUrl;
use crate::domain::public_service::{
    Channel, ChannelKind, Cost, Evidence, LegalReference, Money, NewService, Price, ProcessingTime,
    RelatedPlatform, ServiceContent, ServiceName, Status,
};
use crate::domain::query::TermQuery;
use crate::domain::taxonomy::{NewTerm, Term, TermContent, TermKind};

const ZONE: &str = "Africa/Casablanca";
/// The diaspora summer permanences ran until mid-September.
const SUMMER_FROM: &str = "2025-07-01";
const SUMMER_UNTIL: &str = "2025-09-15";

const MINISTRY: &str = "matnuhpv";
const WILAYA: &str = "wbmk";
const URBAN_AGENCY: &str = "bm";
/// The commune of Béni Mellal, which issues building permits.
const COMMUNE: &str = "cbm";

const ROKHAS: &str = "https://www.rokhas.ma";
const IDARATI: &str = "https://www.idarati.ma";
const DAAM_SAKANE: &str = "https://daamsakane.ma";

/// The ids of the demo's categories and life events, as found or created.
#[derive(Debug, Clone, Copy)]
struct Taxonomy {
    urbanism: Uuid,
    housing: Uuid,
    building: Uuid,
    buying: Uuid,
    housing_support: Uuid,
}

fn text(ar: &str, fr: &str, en: &str) -> LocalizedText {
    LocalizedText::single("ar", ar)
        .with("fr", fr)
        .with("en", en)
}

/// Demo data the domain refuses: a bug in this file.
fn refused(problem: String) -> Error {
    FieldViolation::new("demo", problem).into()
}

fn code(value: &str) -> Result<AgencyCode, Error> {
    AgencyCode::parse(value).map_err(refused)
}

fn url(value: &str) -> Result<HttpsUrl, Error> {
    HttpsUrl::parse(value).map_err(refused)
}

fn address(locality: &str, province: &str, place: &LocalizedText) -> Result<PostalAddress, Error> {
    Ok(PostalAddress::parse(AddressInput {
        locality: locality.to_owned(),
        province: province.to_owned(),
        region: "Béni Mellal-Khénifra".to_owned(),
        region_code: "MA".to_owned(),
        place_name: place
            .entries()
            .map(|(language, text)| (language.to_string(), text.to_owned()))
            .collect(),
        ..AddressInput::default()
    })?)
}

fn period(day: Weekday, opens: &str, closes: &str, summer: bool) -> PeriodInput {
    PeriodInput {
        day: Some(day),
        opens: opens.to_owned(),
        closes: closes.to_owned(),
        valid_from: summer.then(|| SUMMER_FROM.to_owned()),
        valid_until: summer.then(|| SUMMER_UNTIL.to_owned()),
    }
}

/// Weekdays 08:30–16:30 all year, plus the summer-stay permanences for the diaspora:
/// weekdays 16:30–18:00 and Saturdays 09:00–13:00, 1 July to 15 September.
fn agency_hours() -> Result<OpeningHours, Error> {
    let mut periods = Vec::new();
    for day in Weekday::WORKDAYS {
        periods.push(period(day, "08:30", "16:30", false));
        periods.push(period(day, "16:30", "18:00", true));
    }
    periods.push(period(Weekday::Saturday, "09:00", "13:00", true));
    Ok(OpeningHours::parse(
        ZONE,
        periods.iter().map(WeeklyPeriod::parse).collect(),
    )?)
}

struct SiteData {
    kind: SiteKind,
    name: LocalizedText,
    locality: &'static str,
}

fn agency_sites() -> Vec<SiteData> {
    vec![
        SiteData {
            kind: SiteKind::Headquarters,
            name: text(
                "مقر الوكالة الحضرية لبني ملال",
                "Siège de l'Agence urbaine de Béni Mellal",
                "Headquarters of the Urban Agency of Béni Mellal",
            ),
            locality: "Béni Mellal",
        },
        SiteData {
            kind: SiteKind::Antenna,
            name: text(
                "ملحقة الفقيه بن صالح",
                "Antenne de Fquih Ben Salah",
                "Fquih Ben Salah antenna",
            ),
            locality: "Fquih Ben Salah",
        },
        SiteData {
            kind: SiteKind::Antenna,
            name: text("ملحقة أزيلال", "Antenne d'Azilal", "Azilal antenna"),
            locality: "Azilal",
        },
        SiteData {
            kind: SiteKind::Antenna,
            name: text("ملحقة خريبكة", "Antenne de Khouribga", "Khouribga antenna"),
            locality: "Khouribga",
        },
    ]
}

fn in_person(site: &SiteData) -> Result<Channel, Error> {
    Ok(Channel::new(
        ChannelKind::InPerson,
        site.name.clone(),
        None,
        Some(address(site.locality, site.locality, &site.name)?),
        None,
        Some(agency_hours()?),
    )?)
}

fn headquarters_desk() -> Result<Channel, Error> {
    agency_sites()
        .first()
        .map(in_person)
        .unwrap_or_else(|| Err(refused("no demo headquarters".to_owned())))
}

fn online(label: LocalizedText, platform: &str) -> Result<Channel, Error> {
    Ok(Channel::new(
        ChannelKind::Online,
        label,
        Some(url(platform)?),
        None,
        None,
        None,
    )?)
}

fn rokhas_platform() -> Result<RelatedPlatform, Error> {
    Ok(RelatedPlatform {
        display_name: text(
            "رخص، المنصة الوطنية للرخص",
            "Rokhas, plateforme nationale des autorisations",
            "Rokhas, the national e-permitting platform",
        ),
        url: url(ROKHAS)?,
    })
}

fn law_12_90() -> LegalReference {
    LegalReference {
        title: text(
            "القانون رقم 12.90 المتعلق بالتعمير",
            "Loi n° 12-90 relative à l'urbanisme",
            "Law No. 12-90 on urban planning",
        ),
        url: None,
    }
}

fn law_55_19() -> LegalReference {
    LegalReference {
        title: text(
            "القانون رقم 55.19 المتعلق بتبسيط المساطر والإجراءات الإدارية",
            "Loi n° 55-19 relative à la simplification des procédures et formalités administratives",
            "Law No. 55-19 on the simplification of administrative procedures and formalities",
        ),
        url: None,
    }
}

fn illustrative_fee(centimes: i64, description: LocalizedText) -> Result<Cost, Error> {
    Ok(Cost {
        price: Price::Amount(Money::parse("MAD", centimes)?),
        description,
        channel_kinds: Vec::new(),
        illustrative: true,
    })
}

fn free(illustrative: bool) -> Cost {
    Cost {
        price: Price::Free,
        description: LocalizedText::default(),
        channel_kinds: Vec::new(),
        illustrative,
    }
}

fn information_note(taxonomy: &Taxonomy) -> Result<ServiceContent, Error> {
    Ok(ServiceContent {
        display_name: text(
            "مذكرة المعلومات التعميرية",
            "Note de renseignements urbanistiques",
            "Urban planning information note",
        ),
        description: text(
            "وثيقة تسلمها الوكالة الحضرية تبين الضوابط التعميرية المطبقة على قطعة أرضية (التنطيق والعلو والارتفاقات) وفق وثائق التعمير السارية. تطلب عبر الإنترنت أو لدى شباك الوكالة.",
            "Document délivré par l'agence urbaine qui indique les règles d'urbanisme applicables à une parcelle (zonage, hauteur, servitudes) selon les documents d'urbanisme en vigueur. Elle se demande en ligne ou au guichet de l'agence.",
            "A document from the urban agency stating the planning rules that apply to a plot (zoning, height, easements) under the urban planning documents in force. It is requested online or at the agency's desk.",
        ),
        keywords: vec![
            text(
                "معلومات تعميرية",
                "renseignements urbanistiques",
                "planning information",
            ),
            text("تنطيق", "zonage", "zoning"),
            text("NRU", "NRU", "NRU"),
        ],
        category: Some(taxonomy.urbanism),
        life_events: vec![taxonomy.building],
        audiences: vec![
            Audience::Citizens,
            Audience::Diaspora,
            Audience::Professionals,
        ],
        channels: vec![
            online(
                text("منصة رخص", "Plateforme Rokhas", "Rokhas platform"),
                ROKHAS,
            )?,
            headquarters_desk()?,
        ],
        requirements: vec![text(
            "أن يكون الطالب مالك القطعة الأرضية أو حاصلا على موافقة مالكها",
            "Être propriétaire de la parcelle ou disposer du consentement de son propriétaire",
            "Own the plot or hold its owner's consent",
        )],
        evidence: vec![
            Evidence {
                display_name: text(
                    "تصميم موقعي للقطعة الأرضية",
                    "Plan de situation de la parcelle",
                    "Location plan of the plot",
                ),
                description: LocalizedText::default(),
                channel_kinds: Vec::new(),
            },
            Evidence {
                display_name: text(
                    "شهادة الملكية أو موافقة المالك",
                    "Certificat de propriété (titre foncier) ou consentement du propriétaire",
                    "Land title certificate or the owner's consent",
                ),
                description: LocalizedText::default(),
                channel_kinds: Vec::new(),
            },
        ],
        costs: vec![illustrative_fee(
            20_000,
            text(
                "مقابل الخدمات المقدمة (قيمة توضيحية)",
                "Rémunération des services rendus (valeur illustrative)",
                "Fee for the service (illustrative value)",
            ),
        )?],
        processing_time: Some(ProcessingTime::days(7, true)),
        output: text(
            "مذكرة المعلومات التعميرية الخاصة بالقطعة الأرضية",
            "La note de renseignements urbanistiques de la parcelle",
            "The urban planning information note of the plot",
        ),
        legal_references: vec![law_12_90(), law_55_19()],
        related_platforms: vec![
            rokhas_platform()?,
            RelatedPlatform {
                display_name: text("إدارتي", "Idarati", "Idarati"),
                url: url(IDARATI)?,
            },
        ],
        competent_authority: None,
    })
}

fn building_permit(taxonomy: &Taxonomy) -> Result<ServiceContent, Error> {
    Ok(ServiceContent {
        display_name: text(
            "رخصة البناء عبر المنصة الوطنية رخص",
            "Autorisation de construire via la plateforme nationale Rokhas",
            "Building permit through the national e-permitting platform (Rokhas)",
        ),
        description: text(
            "يودع ملف طلب رخصة البناء إلكترونيا عبر منصة رخص، وهو أمر إجباري منذ سنة 2020. تدرس اللجنة المختصة الملف ويمكنها الانعقاد عن بعد، وتبدي الوكالة الحضرية رأيها، ويسلم رئيس المجلس الجماعي الرخصة.",
            "La demande d'autorisation de construire se dépose en ligne sur la plateforme Rokhas, obligatoire depuis 2020. La commission compétente, qui peut se réunir par visioconférence, examine le dossier ; l'agence urbaine rend son avis et le président du conseil communal délivre l'autorisation.",
            "The building permit application is filed online on the Rokhas platform, mandatory since 2020. The competent commission, which can meet by video, examines the file; the urban agency gives its opinion and the president of the communal council issues the permit.",
        ),
        keywords: vec![
            text("رخصة البناء", "permis de construire", "building permit"),
            text("رخص", "Rokhas", "Rokhas"),
            text("بناء", "construction", "construction"),
        ],
        category: Some(taxonomy.urbanism),
        life_events: vec![taxonomy.building],
        audiences: vec![
            Audience::Citizens,
            Audience::Diaspora,
            Audience::Professionals,
        ],
        channels: vec![online(
            text("منصة رخص", "Plateforme Rokhas", "Rokhas platform"),
            ROKHAS,
        )?],
        requirements: vec![text(
            "إعداد الملف وإيداعه من طرف مهندس معماري",
            "Dossier préparé et déposé par un architecte",
            "The file is prepared and filed by an architect",
        )],
        evidence: vec![
            Evidence {
                display_name: text(
                    "التصاميم المعمارية موقعة من طرف المهندس المعماري",
                    "Plans architecturaux signés par l'architecte",
                    "Architectural plans signed by the architect",
                ),
                description: LocalizedText::default(),
                channel_kinds: vec![ChannelKind::Online],
            },
            Evidence {
                display_name: text(
                    "شهادة الملكية",
                    "Certificat de propriété",
                    "Land title certificate",
                ),
                description: LocalizedText::default(),
                channel_kinds: vec![ChannelKind::Online],
            },
        ],
        costs: vec![illustrative_fee(
            50_000,
            text(
                "مقابل الخدمات المقدمة من طرف الوكالة الحضرية (قيمة توضيحية)",
                "Rémunération des services rendus par l'agence urbaine (valeur illustrative)",
                "Urban agency fee (illustrative value)",
            ),
        )?],
        processing_time: Some(ProcessingTime::days(30, true)),
        output: text(
            "رخصة البناء",
            "L'autorisation de construire",
            "The building permit",
        ),
        legal_references: vec![law_12_90(), law_55_19()],
        related_platforms: vec![rokhas_platform()?],
        // The president of the communal council issues the permit: the commune is the
        // competent authority, the urban agency gives its opinion.
        competent_authority: Some(code(COMMUNE)?),
    })
}

fn planning_documents(taxonomy: &Taxonomy) -> Result<ServiceContent, Error> {
    Ok(ServiceContent {
        display_name: text(
            "الاطلاع على وثائق التعمير",
            "Consultation des documents d'urbanisme",
            "Consulting urban planning documents",
        ),
        description: text(
            "يمكن الاطلاع على تصاميم التهيئة ووثائق التعمير السارية لدى الوكالة الحضرية. تعرض مشاريع تصاميم التهيئة على بحث علني مدته شهر واحد يمكن خلاله للعموم إبداء ملاحظاتهم.",
            "Les plans d'aménagement et les documents d'urbanisme en vigueur se consultent à l'agence urbaine. Les projets de plans d'aménagement sont soumis à une enquête publique d'un mois pendant laquelle chacun peut formuler ses observations.",
            "Development plans and the urban planning documents in force can be consulted at the urban agency. Draft development plans go through a one-month public inquiry during which anyone may comment.",
        ),
        keywords: vec![
            text("تصميم التهيئة", "plan d'aménagement", "development plan"),
            text("بحث علني", "enquête publique", "public inquiry"),
        ],
        category: Some(taxonomy.urbanism),
        life_events: vec![taxonomy.building],
        audiences: vec![
            Audience::Citizens,
            Audience::Diaspora,
            Audience::Professionals,
            Audience::Associations,
        ],
        channels: agency_sites()
            .iter()
            .map(in_person)
            .collect::<Result<_, _>>()?,
        requirements: vec![text(
            "الخدمة مفتوحة لكل شخص معني",
            "Ouvert à toute personne intéressée",
            "Open to anyone concerned",
        )],
        evidence: Vec::new(),
        costs: vec![free(false)],
        processing_time: Some(ProcessingTime::days(1, true)),
        output: text(
            "الاطلاع على الوثيقة وتقديم الملاحظات خلال البحث العلني",
            "La consultation du document et, pendant l'enquête publique, le dépôt d'observations",
            "Access to the document and, during a public inquiry, the filing of comments",
        ),
        legal_references: vec![law_12_90()],
        related_platforms: Vec::new(),
        competent_authority: None,
    })
}

fn housing_support(taxonomy: &Taxonomy) -> Result<ServiceContent, Error> {
    Ok(ServiceContent {
        display_name: text(
            "برنامج الدعم المباشر للسكن",
            "Programme d'aide directe au logement",
            "Direct housing support programme",
        ),
        description: text(
            "دعم مالي مباشر لاقتناء مسكن: 100.000 درهم لمسكن لا يتجاوز ثمنه 300.000 درهم، و70.000 درهم لمسكن يفوق ثمنه 300.000 درهم ولا يتجاوز 700.000 درهم، مع احتساب الرسوم. مغاربة العالم مؤهلون للاستفادة منه.",
            "Aide financière directe à l'acquisition d'un logement : 100 000 MAD pour un logement dont le prix ne dépasse pas 300 000 MAD, 70 000 MAD pour un logement de plus de 300 000 MAD et jusqu'à 700 000 MAD, toutes taxes comprises. Les Marocains du monde y sont éligibles.",
            "Direct financial support to buy a home: 100,000 MAD for a home priced up to 300,000 MAD, 70,000 MAD for a home above 300,000 MAD and up to 700,000 MAD, taxes included. Moroccans living abroad are eligible.",
        ),
        keywords: vec![
            text("سكن", "logement", "housing"),
            text("الدعم السكني", "aide au logement", "housing aid"),
            text("دعم سكن", "Daam Sakane", "Daam Sakane"),
            text("اقتناء", "achat", "purchase"),
        ],
        category: Some(taxonomy.housing),
        life_events: vec![taxonomy.buying, taxonomy.housing_support],
        audiences: vec![Audience::Citizens, Audience::Diaspora],
        channels: vec![online(
            text(
                "منصة الدعم المباشر للسكن",
                "Plateforme de l'aide directe au logement",
                "Direct housing support platform",
            ),
            DAAM_SAKANE,
        )?],
        requirements: vec![
            text(
                "ألا يكون المستفيد مالكا لمسكن بالمغرب",
                "Ne pas être déjà propriétaire d'un logement au Maroc",
                "Not already own a home in Morocco",
            ),
            text(
                "ألا يكون قد استفاد من قبل من دعم للسكن",
                "Ne pas avoir déjà bénéficié d'une aide au logement",
                "Never have received housing aid before",
            ),
            text(
                "ألا يتجاوز ثمن المسكن 700.000 درهم مع احتساب الرسوم",
                "Un logement d'un prix de 700 000 MAD au plus, toutes taxes comprises",
                "A home priced at 700,000 MAD at most, taxes included",
            ),
        ],
        evidence: Vec::new(),
        costs: vec![free(true)],
        processing_time: Some(ProcessingTime::days(30, true)),
        output: text(
            "دعم مالي يصرف عند اقتناء المسكن: 100.000 أو 70.000 درهم",
            "Une aide de 100 000 ou 70 000 MAD versée à l'acquisition",
            "Support of 100,000 or 70,000 MAD paid at the purchase",
        ),
        legal_references: Vec::new(),
        related_platforms: vec![RelatedPlatform {
            display_name: text(
                "منصة الدعم المباشر للسكن",
                "Plateforme de l'aide directe au logement",
                "Direct housing support platform",
            ),
            url: url(DAAM_SAKANE)?,
        }],
        competent_authority: None,
    })
}

fn summer_desk(taxonomy: &Taxonomy) -> Result<ServiceContent, Error> {
    Ok(ServiceContent {
        display_name: text(
            "شباك مغاربة العالم خلال العطلة الصيفية",
            "Guichet MRE du séjour estival",
            "Diaspora summer-stay desk",
        ),
        description: text(
            "شباك مخصص لمغاربة العالم بمقر الوكالة وبملحقاتها بالفقيه بن صالح وأزيلال وخريبكة، لاستقبالهم وإخبارهم ومواكبة ملفاتهم في مجالي التعمير والبناء خلال العطلة الصيفية، مع ديمومة مسائية أيام العمل وصباح السبت إلى غاية منتصف شتنبر.",
            "Guichet dédié aux Marocains du monde au siège de l'agence et dans ses antennes de Fquih Ben Salah, Azilal et Khouribga, pour les accueillir, les informer et accompagner leurs dossiers d'urbanisme et de construction pendant le séjour estival, avec des permanences en fin de journée en semaine et le samedi matin jusqu'à la mi-septembre.",
            "A desk for Moroccans living abroad at the agency's headquarters and at its Fquih Ben Salah, Azilal and Khouribga antennas, to welcome and inform them and follow their urban planning and construction files during the summer stay, with late weekday and Saturday-morning hours until mid-September.",
        ),
        keywords: vec![
            text("مغاربة العالم", "MRE", "diaspora"),
            text(
                "الجالية المغربية",
                "Marocains du monde",
                "Moroccans living abroad",
            ),
            text("العطلة الصيفية", "séjour estival", "summer stay"),
        ],
        category: Some(taxonomy.urbanism),
        life_events: vec![taxonomy.building],
        audiences: vec![Audience::Diaspora],
        channels: agency_sites()
            .iter()
            .map(in_person)
            .collect::<Result<_, _>>()?,
        requirements: vec![text(
            "أن يكون الزائر من مغاربة العالم أو من أفراد أسرته",
            "Être Marocain résidant à l'étranger ou membre de sa famille",
            "Be a Moroccan living abroad or a member of their family",
        )],
        evidence: Vec::new(),
        costs: vec![free(true)],
        processing_time: Some(ProcessingTime::days(1, true)),
        output: text(
            "المعلومة والتوجيه ومواكبة الملف",
            "Information, orientation et suivi du dossier",
            "Information, guidance and follow-up of the file",
        ),
        legal_references: vec![law_55_19()],
        related_platforms: vec![rokhas_platform()?],
        competent_authority: None,
    })
}

fn ministry() -> AgencyContent {
    AgencyContent {
        display_name: text(
            "وزارة إعداد التراب الوطني والتعمير والإسكان وسياسة المدينة",
            "Ministère de l'Aménagement du territoire national, de l'Urbanisme, de l'Habitat et de la Politique de la ville",
            "Ministry of National Territory Planning, Urbanism, Housing and City Policy",
        ),
        kind: AgencyKind::Ministry,
        region: LocalizedText::default(),
        province: LocalizedText::default(),
        contact_points: Vec::new(),
        parent_body: None,
        sites: Vec::new(),
        fallback_languages: Vec::new(),
    }
}

fn region() -> LocalizedText {
    text(
        "جهة بني ملال خنيفرة",
        "Béni Mellal-Khénifra",
        "Béni Mellal-Khénifra",
    )
}

fn wilaya() -> Result<AgencyContent, Error> {
    let name = text(
        "ولاية جهة بني ملال خنيفرة",
        "Wilaya de la région Béni Mellal-Khénifra",
        "Wilaya of the Béni Mellal-Khénifra region",
    );
    Ok(AgencyContent {
        sites: vec![Site {
            display_name: name.clone(),
            kind: SiteKind::Headquarters,
            address: address("Béni Mellal", "Béni Mellal", &name)?,
            opening_hours: None,
        }],
        display_name: name,
        kind: AgencyKind::Wilaya,
        region: region(),
        province: LocalizedText::default(),
        contact_points: Vec::new(),
        parent_body: None,
        fallback_languages: Vec::new(),
    })
}

fn commune() -> Result<AgencyContent, Error> {
    let name = text(
        "جماعة بني ملال",
        "Commune de Béni Mellal",
        "Commune of Béni Mellal",
    );
    Ok(AgencyContent {
        sites: vec![Site {
            display_name: name.clone(),
            kind: SiteKind::Headquarters,
            address: address("Béni Mellal", "Béni Mellal", &name)?,
            opening_hours: None,
        }],
        display_name: name,
        kind: AgencyKind::Commune,
        region: region(),
        province: text(
            "إقليم بني ملال",
            "Province de Béni Mellal",
            "Béni Mellal Province",
        ),
        contact_points: Vec::new(),
        parent_body: None,
        fallback_languages: Vec::new(),
    })
}

fn urban_agency() -> Result<AgencyContent, Error> {
    let sites = agency_sites()
        .into_iter()
        .map(|site| {
            Ok(Site {
                address: address(site.locality, site.locality, &site.name)?,
                display_name: site.name,
                kind: site.kind,
                opening_hours: Some(agency_hours()?),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(AgencyContent {
        display_name: text(
            "الوكالة الحضرية لبني ملال",
            "Agence urbaine de Béni Mellal",
            "Urban Agency of Béni Mellal",
        ),
        kind: AgencyKind::UrbanAgency,
        region: region(),
        province: text(
            "إقليم بني ملال",
            "Province de Béni Mellal",
            "Béni Mellal Province",
        ),
        contact_points: Vec::new(),
        parent_body: Some(code(MINISTRY)?),
        sites,
        fallback_languages: Vec::new(),
    })
}

/// The categories and life events of the demo: kind, English name (what finds them
/// again), names and description.
fn terms() -> [(TermKind, LocalizedText, LocalizedText); 5] {
    [
        (
            TermKind::Category,
            text(
                "التعمير والبناء",
                "Urbanisme et construction",
                "Urban planning and construction",
            ),
            text(
                "وثائق التعمير والمعلومات التعميرية ورخص البناء",
                "Documents d'urbanisme, renseignements urbanistiques et autorisations de construire",
                "Urban planning documents, planning information and building permits",
            ),
        ),
        (
            TermKind::Category,
            text("السكن", "Habitat et logement", "Housing"),
            LocalizedText::default(),
        ),
        (
            TermKind::LifeEvent,
            text("بناء منزل", "Construire une maison", "Building a house"),
            LocalizedText::default(),
        ),
        (
            TermKind::LifeEvent,
            text("شراء مسكن", "Acheter un logement", "Buying a home"),
            LocalizedText::default(),
        ),
        (
            TermKind::LifeEvent,
            text("الدعم في السكن", "Aide au logement", "Housing support"),
            LocalizedText::default(),
        ),
    ]
}

/// The caller the demo acts as: a ministry-wide system.
fn demo_caller() -> Caller {
    Caller {
        subject: "jalia-demo".to_owned(),
        agency: AgencyScope::Ministry,
        scopes: ["catalog.read", "catalog.write"]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>(),
    }
}

/// Every term of a kind.
async fn all_terms(catalog: &Catalog, caller: &Caller, kind: TermKind) -> Result<Vec<Term>, Error> {
    let query = TermQuery {
        kind,
        updated_after: None,
    };
    let mut terms = Vec::new();
    let mut page = PageRequest::first(MAX_PAGE_SIZE);
    loop {
        let found = catalog.list_terms(Some(caller), &query, &page).await?;
        terms.extend(found.items);
        match found.next_page_token {
            Some(token) => page.token = Some(token),
            None => return Ok(terms),
        }
    }
}

/// The id of the term of `kind` named `display_name` in English, created when missing.
async fn term(
    catalog: &Catalog,
    caller: &Caller,
    existing: &[Term],
    (kind, display_name, description): (TermKind, LocalizedText, LocalizedText),
) -> Result<Uuid, Error> {
    let english = display_name.get("en");
    if let Some(found) = existing
        .iter()
        .find(|term| term.kind == kind && term.content.display_name.get("en") == english)
    {
        return Ok(found.id);
    }
    let request = NewTerm {
        kind,
        content: TermContent {
            display_name,
            description,
        },
        request_id: None,
    };
    Ok(catalog.create_term(caller, request).await?.id)
}

/// The resource names of the demo services that the other services' demos link to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoServices {
    /// The urban planning information note.
    pub information_note: String,
    /// The building permit.
    pub building_permit: String,
    /// The direct housing support programme.
    pub housing_support: String,
}

/// Loads the demo data through the use cases, creating only what is missing.
pub(crate) async fn load(catalog: &Catalog) -> Result<DemoServices, Error> {
    let caller = demo_caller();
    for (agency, content) in [
        (MINISTRY, ministry()),
        (WILAYA, wilaya()?),
        (URBAN_AGENCY, urban_agency()?),
        (COMMUNE, commune()?),
    ] {
        let code = code(agency)?;
        if !catalog.agency_exists(&code).await? {
            let request = NewAgency {
                code,
                content,
                request_id: None,
            };
            catalog.create_agency(&caller, request).await?;
        }
    }
    let mut existing = all_terms(catalog, &caller, TermKind::Category).await?;
    existing.extend(all_terms(catalog, &caller, TermKind::LifeEvent).await?);
    let mut ids = Vec::new();
    for wanted in terms() {
        ids.push(term(catalog, &caller, &existing, wanted).await?);
    }
    let [urbanism, housing, building, buying, support] = ids[..] else {
        return Err(refused("the demo has five terms".to_owned()));
    };
    let taxonomy = Taxonomy {
        urbanism,
        housing,
        building,
        buying,
        housing_support: support,
    };
    let services = [
        (URBAN_AGENCY, information_note(&taxonomy)?),
        (URBAN_AGENCY, building_permit(&taxonomy)?),
        (URBAN_AGENCY, planning_documents(&taxonomy)?),
        (MINISTRY, housing_support(&taxonomy)?),
        (URBAN_AGENCY, summer_desk(&taxonomy)?),
    ];
    let mut names = Vec::new();
    for (agency, content) in services {
        names.push(publish_service(catalog, &caller, code(agency)?, content).await?);
    }
    let [information_note, building_permit, _, housing_support, _] = &names[..] else {
        return Err(refused("the demo has five services".to_owned()));
    };
    tracing::info!("catalog demo data loaded");
    Ok(DemoServices {
        information_note: information_note.to_string(),
        building_permit: building_permit.to_string(),
        housing_support: housing_support.to_string(),
    })
}

/// Finds the service of `agency` with the French name of `content`, creates it when
/// missing, and publishes it when it is a draft; its resource name.
async fn publish_service(
    catalog: &Catalog,
    caller: &Caller,
    agency: AgencyCode,
    content: ServiceContent,
) -> Result<ServiceName, Error> {
    let french = content.display_name.get("fr").map(str::to_owned);
    let found = catalog
        .services_of(caller, &agency)
        .await?
        .into_iter()
        .find(|service| service.content.display_name.get("fr").map(str::to_owned) == french);
    let service = match found {
        Some(service) => service,
        None => {
            let request = NewService {
                parent: agency,
                content,
                request_id: None,
            };
            catalog.create_public_service(caller, request).await?.value
        }
    };
    if service.status == Status::Draft {
        // The demo publishes the draft as it just read it.
        let if_match = IfMatch::required(&Etag::of(service.revision).to_string(), "etag")?;
        catalog
            .change_lifecycle(caller, Lifecycle::Publish, service.name(), if_match)
            .await?;
    }
    Ok(service.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_content_is_valid_and_complete() {
        let taxonomy = Taxonomy {
            urbanism: Uuid::now_v7(),
            housing: Uuid::now_v7(),
            building: Uuid::now_v7(),
            buying: Uuid::now_v7(),
            housing_support: Uuid::now_v7(),
        };
        for content in [
            information_note(&taxonomy),
            building_permit(&taxonomy),
            planning_documents(&taxonomy),
            housing_support(&taxonomy),
            summer_desk(&taxonomy),
        ] {
            let content = content.unwrap();
            assert!(content.missing_for_publication().is_empty());
            for language in ["ar", "fr", "en"] {
                assert!(content.display_name.get(language).is_some(), "{language}");
                assert!(content.description.get(language).is_some(), "{language}");
            }
            assert!(content.processing_time.is_some());
            assert!(!content.costs.is_empty());
            assert!(!content.requirements.is_empty());
        }
        assert!(urban_agency().unwrap().check().is_ok());
        assert!(wilaya().unwrap().check().is_ok());
        assert!(commune().unwrap().check().is_ok());
        assert_eq!(
            building_permit(&taxonomy).unwrap().competent_authority,
            Some(code(COMMUNE).unwrap())
        );
    }

    #[test]
    fn summer_hours_add_to_the_regular_ones() {
        let hours = agency_hours().unwrap();
        assert_eq!(hours.time_zone, "Africa/Casablanca");
        let saturday: Vec<_> = hours
            .periods
            .iter()
            .filter(|p| p.day == Weekday::Saturday)
            .collect();
        assert_eq!(saturday.len(), 1);
        assert_eq!(saturday[0].opens.to_string(), "09:00");
        assert_eq!(saturday[0].closes.to_string(), "13:00");
        assert_eq!(saturday[0].valid_until.unwrap().to_string(), "2025-09-15");
        assert_eq!(hours.periods.len(), 11);
    }
}
