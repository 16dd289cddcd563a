//! `/api/v1/catalog`: the datasets described in DCAT-AP 3.0.1, as JSON-LD, for harvesters such
//! as data.gouv.fr's. Each dataset has a CSV and an NDJSON distribution, downloadable whole, and
//! the JSON API as a third; the API itself is the catalog's data service.
//!
//! Every linked resource carries the class DCAT-AP's range shapes ask for, and the values come
//! from the vocabularies DCAT-AP names: the EU Publications Office's authority tables (file
//! types, languages, countries, frequencies, data themes, planned availability), IANA's media
//! types, ADMS's publisher and licence types. `tests/integration/catalog.rs` checks the catalog
//! with DCAT-AP's own SHACL shapes.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use serde_json::{Value, json};

use crate::api::http::error::ApiError;
use crate::api::http::public_url;
use crate::api::http::state::AppState;
use crate::api::publish::datasets::{DATASETS, Dataset, LICENCE, Words};
use crate::api::shape::formats::Format;
use crate::db::revision::Revision;
use crate::db::{self, DbConnection, stats};

pub const JSON_LD: &str = "application/ld+json";

const IANA: &str = "https://www.iana.org/assignments/media-types/";
const EU_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";
const ADMS: &str = "http://purl.org/adms/";

/// Whom to write to about the data: the programme's public address, the contact its own
/// incubator gives in the seeds (`seeds/incubators.yaml`, `dinum`) and its pages give.
const CONTACT_EMAIL: &str = "contact@beta.gouv.fr";
const PROGRAMME: &str = "https://beta.gouv.fr";

/// The data service's `dct:identifier`: udata (data.gouv.fr's harvester) skips a data service
/// without one.
const SERVICE_ID: &str = "api";

fn id(iri: impl Into<String>) -> Value {
    json!({"@id": iri.into()})
}

/// A linked resource with the class DCAT-AP's range shapes require of it.
fn typed(iri: impl Into<String>, class: &str) -> Value {
    json!({"@id": iri.into(), "@type": class})
}

/// A code of one of the EU Publications Office's authority tables, as `class`.
fn authority(table: &str, code: &str, class: &str) -> Value {
    typed(format!("{EU_AUTHORITY}{table}/{code}"), class)
}

/// A concept of a vocabulary, with the label DCAT-AP requires of one: the vocabulary's own.
fn concept(iri: impl Into<String>, label: Value) -> Value {
    json!({"@id": iri.into(), "@type": "skos:Concept", "skos:prefLabel": label})
}

fn english(label: &str) -> Value {
    json!({"@value": label, "@language": "en"})
}

fn timestamp(time: NaiveDateTime) -> Value {
    json!({
        "@value": time.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "@type": "xsd:dateTime",
    })
}

fn date(day: NaiveDate) -> Value {
    json!({"@value": day.to_string(), "@type": "xsd:date"})
}

const CATALOG_TITLE: Words = Words {
    en: "betadata: open data of the Startups d'État",
    fr: "betadata : les données ouvertes des Startups d'État",
};

const CATALOG_DESCRIPTION: Words = Words {
    en: "The portfolio of the beta.gouv.fr programme: its startups and their phases, the \
        incubators, the sponsor organisations and the impact metrics.",
    fr: "Le portefeuille du programme beta.gouv.fr : ses startups et leurs phases, les \
        incubateurs, les organisations qui les portent et les indicateurs d'impact.",
};

const SERVICE_DESCRIPTION: Words = Words {
    en: "The JSON API that serves every dataset of the catalog, in pages, and whole in CSV and \
        NDJSON; its OpenAPI contract describes every route, filter and sort.",
    fr: "L'API JSON qui sert chaque jeu de données du catalogue, page par page, et en entier en \
        CSV et en NDJSON ; son contrat OpenAPI décrit chaque route, filtre et tri.",
};

const CSV_DESCRIPTION: Words = Words {
    en: "The whole dataset in one CSV file (RFC 4180, UTF-8, a header row), its columns described \
        by the TableSchema it conforms to. A text cell that a spreadsheet would run as a formula \
        is written with a `'` before it: the schema's description says how to read it back.",
    fr: "Le jeu de données entier en un fichier CSV (RFC 4180, UTF-8, une ligne d'en-tête), ses \
        colonnes décrites par le TableSchema auquel il se conforme. Une cellule de texte qu'un \
        tableur exécuterait comme une formule est écrite précédée d'une `'` : la description du \
        schéma dit comment la relire.",
};

const NDJSON_DESCRIPTION: Words = Words {
    en: "The whole dataset in NDJSON (newline-delimited JSON, served as application/x-ndjson): \
        one JSON object a line, with the fields of the JSON API's items.",
    fr: "Le jeu de données entier en NDJSON (JSON délimité par des retours à la ligne, servi en \
        application/x-ndjson) : un objet JSON par ligne, avec les champs des éléments de l'API \
        JSON.",
};

const API_DESCRIPTION: Words = Words {
    en: "The dataset through the JSON API, in pages (follow `links.next`), with the filters and \
        sorts its OpenAPI contract describes.",
    fr: "Le jeu de données par l'API JSON, page par page (suivre `links.next`), avec les filtres \
        et les tris que décrit son contrat OpenAPI.",
};

/// A text in both its languages, as JSON-LD language-tagged strings.
fn text(words: Words) -> Value {
    json!([
        {"@value": words.en, "@language": "en"},
        {"@value": words.fr, "@language": "fr"},
    ])
}

fn publisher() -> Value {
    json!({
        "@id": PROGRAMME,
        "@type": ["foaf:Organization", "foaf:Agent"],
        "foaf:name": "beta.gouv.fr",
        "foaf:homepage": id(PROGRAMME),
        // A programme of the State's digital directorate (DINUM).
        "dct:type": concept(
            format!("{ADMS}publishertype/NationalAuthority"),
            english("National authority"),
        ),
    })
}

fn contact_point(catalog_iri: &str) -> Value {
    json!({
        "@id": format!("{catalog_iri}#contact"),
        "@type": "vcard:Kind",
        "vcard:fn": "beta.gouv.fr",
        "vcard:hasEmail": id(format!("mailto:{CONTACT_EMAIL}")),
        "vcard:hasURL": id(PROGRAMME),
    })
}

fn licence() -> Value {
    json!({
        "@id": LICENCE.url,
        "@type": "dct:LicenseDocument",
        // The Licence Ouverte asks reusers to credit the source, and nothing more.
        "dct:type": concept(format!("{ADMS}licencetype/Attribution"), english("Attribution")),
    })
}

/// The public sector, of the EU's data themes: the catalog's only theme.
fn theme() -> Value {
    let label = Words {
        en: "Government and public sector",
        fr: "Gouvernement et secteur public",
    };
    concept(format!("{EU_AUTHORITY}data-theme/GOVE"), text(label))
}

fn themes() -> Value {
    json!({
        "@id": format!("{EU_AUTHORITY}data-theme"),
        "@type": "skos:ConceptScheme",
        "dct:title": english("Data theme"),
    })
}

/// The downloads are meant to stay where they are for the foreseeable future: the API is
/// versioned.
fn availability() -> Value {
    concept(
        format!("{EU_AUTHORITY}planned-availability/STABLE"),
        english("stable"),
    )
}

/// France, as the EU's country table names it: where every startup of the programme works.
fn spatial() -> Value {
    authority("country", "FRA", "dct:Location")
}

/// What the catalog says of the data as a whole, read from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// When the data last changed.
    pub modified: NaiveDateTime,
    /// When the catalog was first published: when its database was made. `None` if unknown.
    pub issued: Option<NaiveDateTime>,
    /// The first and last day of the dated data (phases, observations): each dataset's
    /// temporal coverage. `None` when nothing is dated.
    pub coverage: Option<(NaiveDate, NaiveDate)>,
}

impl Facts {
    pub fn read(conn: &mut DbConnection) -> QueryResult<Self> {
        Ok(Self {
            modified: Revision::current(conn)?.changed_at,
            issued: db::created_at(conn)?,
            coverage: stats::dated_span(conn)?,
        })
    }
}

/// A period of time, as a blank node: udata reads a `dct:temporal` that is an IRI by fetching
/// it.
fn period((start, end): (NaiveDate, NaiveDate)) -> Value {
    json!({
        "@type": "dct:PeriodOfTime",
        "dcat:startDate": date(start),
        "dcat:endDate": date(end),
    })
}

/// The catalog of every dataset, the API at `base` (its public URL) serving them.
pub fn catalog(base: &str, facts: &Facts) -> Value {
    let catalog_iri = format!("{base}/api/v1/catalog");
    let datasets: Vec<Value> = DATASETS
        .iter()
        .map(|d| dataset(d, base, &catalog_iri, facts))
        .collect();
    let mut catalog = json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dcatap": "http://data.europa.eu/r5r/",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": catalog_iri,
        "@type": "dcat:Catalog",
        "dct:title": text(CATALOG_TITLE),
        "dct:description": text(CATALOG_DESCRIPTION),
        // The languages of its titles and descriptions.
        "dct:language": [
            authority("language", "FRA", "dct:LinguisticSystem"),
            authority("language", "ENG", "dct:LinguisticSystem"),
        ],
        "dct:publisher": publisher(),
        "dct:license": licence(),
        "dct:modified": timestamp(facts.modified),
        "dct:spatial": spatial(),
        "dcat:themeTaxonomy": themes(),
        "foaf:homepage": typed(format!("{base}/"), "foaf:Document"),
        "dcat:service": service(base, &catalog_iri),
        "dcat:dataset": datasets,
    });
    if let Some(issued) = facts.issued {
        catalog["dct:issued"] = timestamp(issued);
    }
    catalog
}

/// The API, as the catalog's data service. No distribution names it as its
/// `dcat:accessService`: udata harvests a data service only when none does, taking the others
/// for descriptions internal to a dataset.
fn service(base: &str, catalog_iri: &str) -> Value {
    json!({
        "@id": format!("{catalog_iri}#{SERVICE_ID}"),
        "@type": "dcat:DataService",
        "dct:identifier": SERVICE_ID,
        "dct:title": "betadata API v1",
        "dct:description": text(SERVICE_DESCRIPTION),
        "dcat:endpointURL": id(format!("{base}/api/v1")),
        "dcat:endpointDescription": id(format!("{base}/api/v1/openapi.json")),
        "dct:conformsTo": typed("https://spec.openapis.org/oas/v3.1.0", "dct:Standard"),
        "dct:license": licence(),
        "dct:publisher": publisher(),
        "dcat:contactPoint": contact_point(catalog_iri),
        "dcat:theme": theme(),
        "dcat:keyword": ["API", "OpenAPI", "startups d'état", "beta.gouv.fr"],
        "dcat:servesDataset": DATASETS
            .iter()
            .map(|d| id(format!("{catalog_iri}#{}", d.id)))
            .collect::<Vec<_>>(),
    })
}

/// A distribution's format, from the EU's file types, and its media type, from IANA's.
struct Encoding {
    label: &'static str,
    file_type: &'static str,
    /// `None` when IANA registers none.
    media_type: Option<&'static str>,
}

const CSV: Encoding = Encoding {
    label: "csv",
    file_type: "CSV",
    media_type: Some("text/csv"),
};

/// NDJSON is served as `application/x-ndjson`, which IANA does not register (no `x-` type is):
/// an IANA IRI for it would name nothing, so the distribution has no `dcat:mediaType`. Each
/// line is a JSON text, and the EU's file types have a concept for JSON.
const NDJSON: Encoding = Encoding {
    label: "ndjson",
    file_type: "JSON",
    media_type: None,
};

const JSON_API: Encoding = Encoding {
    label: "api",
    file_type: "JSON",
    media_type: Some("application/json"),
};

fn dataset(dataset: &Dataset, base: &str, catalog_iri: &str, facts: &Facts) -> Value {
    let iri = format!("{catalog_iri}#{}", dataset.id);
    let distribution = |encoding: &Encoding, title: String, description: Words| {
        let mut distribution = json!({
            "@id": format!("{iri}-{}", encoding.label),
            "@type": "dcat:Distribution",
            "dct:title": title,
            "dct:description": text(description),
            "dct:format": authority("file-type", encoding.file_type, "dct:MediaTypeOrExtent"),
            "dct:license": licence(),
            "dct:modified": timestamp(facts.modified),
            "dcatap:availability": availability(),
        });
        if let Some(media_type) = encoding.media_type {
            distribution["dcat:mediaType"] = typed(format!("{IANA}{media_type}"), "dct:MediaType");
        }
        distribution
    };
    let download = |encoding: &Encoding, format: Format, description: Words| {
        let url = dataset.download_url(base, format);
        let title = format!("{} ({})", dataset.title.en, encoding.label.to_uppercase());
        let mut download = distribution(encoding, title, description);
        download["dcat:accessURL"] = id(url.clone());
        download["dcat:downloadURL"] = id(url);
        download
    };
    let mut csv = download(&CSV, Format::Csv, CSV_DESCRIPTION);
    csv["dct:conformsTo"] = typed(dataset.schema_url(base), "dct:Standard");
    let ndjson = download(&NDJSON, Format::Ndjson, NDJSON_DESCRIPTION);
    let title = format!("{} (JSON API, paged)", dataset.title.en);
    let mut api = distribution(&JSON_API, title, API_DESCRIPTION);
    api["dcat:accessURL"] = id(dataset.collection_url(base));
    api["dct:conformsTo"] = typed(format!("{base}/api/v1/openapi.json"), "dct:Standard");
    let mut described = json!({
        "@id": iri,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.id,
        "dct:title": text(dataset.title),
        "dct:description": text(dataset.description),
        "dct:publisher": publisher(),
        "dcat:contactPoint": contact_point(catalog_iri),
        "dct:license": licence(),
        "dct:modified": timestamp(facts.modified),
        "dct:spatial": spatial(),
        "dct:accrualPeriodicity": authority("frequency", "UPDATE_CONT", "dct:Frequency"),
        "dcat:theme": theme(),
        "dcat:keyword": dataset.keywords,
        "dcat:landingPage": typed(
            format!("{base}/api/v1/datasets/{}", dataset.id),
            "foaf:Document",
        ),
        "dcat:distribution": [csv, ndjson, api],
    });
    if let Some(coverage) = facts.coverage {
        described["dct:temporal"] = period(coverage);
    }
    described
}

/// Get the DCAT-AP catalog of the datasets, in JSON-LD.
#[utoipa::path(
    tag = "datasets",
    responses(
        (status = 200, description = "The DCAT-AP catalog", body = Object, content_type = "application/ld+json"),
        (status = 503, description = "The database is unavailable", body = crate::api::http::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/catalog")]
pub async fn get_catalog(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let facts = state.db(Facts::read).await?;
    Ok(HttpResponse::Ok()
        .content_type(JSON_LD)
        .json(catalog(&public_url::base(&req), &facts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            modified: "2026-11-24T10:11:12".parse().expect("time"),
            issued: Some("2026-11-20T08:00:00".parse().expect("time")),
            coverage: Some((
                "2016-01-01".parse().expect("day"),
                "2024-01-01".parse().expect("day"),
            )),
        }
    }

    fn sample() -> Value {
        catalog("https://data.example", &facts())
    }

    fn distributions(catalog: &Value) -> impl Iterator<Item = &Value> {
        catalog["dcat:dataset"]
            .as_array()
            .expect("datasets")
            .iter()
            .flat_map(|d| d["dcat:distribution"].as_array().expect("distributions"))
    }

    #[test]
    fn every_dataset_has_downloads_with_media_type_and_schema() {
        let catalog = sample();
        let datasets = catalog["dcat:dataset"].as_array().expect("datasets");
        assert_eq!(datasets.len(), DATASETS.len());
        for dataset in datasets {
            let csv = &dataset["dcat:distribution"][0];
            assert_eq!(
                csv["dcat:mediaType"]["@id"],
                "https://www.iana.org/assignments/media-types/text/csv"
            );
            let schema = csv["dct:conformsTo"]["@id"].as_str().expect("schema");
            assert!(schema.ends_with("/schema.json"), "{schema}");
            let url = csv["dcat:downloadURL"]["@id"].as_str().expect("url");
            assert!(url.starts_with("https://data.example/api/v1/"), "{url}");
            assert_eq!(dataset["dct:license"]["@id"], LICENCE.url);
        }
    }

    #[test]
    fn formats_are_eu_file_types_and_media_types_iana_ones() {
        let catalog = sample();
        for distribution in distributions(&catalog) {
            let format = distribution["dct:format"]["@id"].as_str().expect("format");
            let label = distribution["@id"].as_str().expect("id").rsplit('-').next();
            let expected = match label {
                Some("csv") => "CSV",
                Some("ndjson" | "api") => "JSON",
                other => panic!("unexpected distribution {other:?}"),
            };
            assert_eq!(
                format,
                format!("http://publications.europa.eu/resource/authority/file-type/{expected}")
            );
            assert_eq!(distribution["dct:format"]["@type"], "dct:MediaTypeOrExtent");
            match distribution["dcat:mediaType"]["@id"].as_str() {
                Some(media_type) => {
                    assert!(media_type.starts_with(IANA), "{media_type}");
                    assert!(!media_type.contains("/x-"), "{media_type}: not registered");
                }
                None => assert_eq!(label, Some("ndjson")),
            }
        }
    }

    #[test]
    fn the_data_service_is_one_udata_harvests() {
        let catalog = sample();
        let service = &catalog["dcat:service"];
        assert_eq!(service["@type"], "dcat:DataService");
        assert_eq!(service["dct:identifier"], SERVICE_ID);
        // udata skips a data service that a distribution names as its access service.
        for distribution in distributions(&catalog) {
            assert!(distribution.get("dcat:accessService").is_none());
        }
        assert_eq!(
            service["dcat:servesDataset"].as_array().map(Vec::len),
            Some(DATASETS.len())
        );
    }

    #[test]
    fn modified_is_the_data_change_in_utc() {
        let catalog = sample();
        assert_eq!(catalog["dct:modified"]["@value"], "2026-11-24T10:11:12Z");
        assert_eq!(
            catalog["dcat:dataset"][0]["dct:modified"]["@value"],
            "2026-11-24T10:11:12Z"
        );
        assert_eq!(catalog["dct:issued"]["@value"], "2026-11-20T08:00:00Z");
    }

    #[test]
    fn each_dataset_covers_the_dated_data() {
        let catalog = sample();
        for dataset in catalog["dcat:dataset"].as_array().expect("datasets") {
            let period = &dataset["dct:temporal"];
            assert_eq!(period["@type"], "dct:PeriodOfTime");
            assert!(period.get("@id").is_none(), "a blank node");
            assert_eq!(period["dcat:startDate"]["@value"], "2016-01-01");
            assert_eq!(period["dcat:endDate"]["@value"], "2024-01-01");
        }
    }

    #[test]
    fn what_the_data_does_not_tell_is_left_out() {
        let facts = Facts {
            issued: None,
            coverage: None,
            ..facts()
        };
        let catalog = catalog("https://data.example", &facts);
        assert!(catalog.get("dct:issued").is_none());
        assert!(catalog["dcat:dataset"][0].get("dct:temporal").is_none());
    }
}
