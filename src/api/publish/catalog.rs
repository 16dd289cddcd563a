//! `/api/v1/catalog`: the datasets described in DCAT-AP, as JSON-LD, for harvesters such as
//! data.gouv.fr's. Each dataset has a CSV and an NDJSON distribution, downloadable whole, and
//! the JSON API as a third, reached through the catalog's data service.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::api::http::error::ApiError;
use crate::api::http::public_url;
use crate::api::http::state::AppState;
use crate::api::publish::datasets::{DATASETS, Dataset, LICENCE, Words};
use crate::api::shape::formats::Format;
use crate::db::revision::Revision;

pub const JSON_LD: &str = "application/ld+json";

const IANA: &str = "https://www.iana.org/assignments/media-types/";
const EU_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";

fn id(iri: impl Into<String>) -> Value {
    json!({"@id": iri.into()})
}

fn timestamp(time: NaiveDateTime) -> Value {
    json!({
        "@value": time.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "@type": "xsd:dateTime",
    })
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

/// A text in both its languages, as JSON-LD language-tagged strings.
fn text(words: Words) -> Value {
    json!([
        {"@value": words.en, "@language": "en"},
        {"@value": words.fr, "@language": "fr"},
    ])
}

fn publisher() -> Value {
    json!({
        "@id": "https://beta.gouv.fr",
        "@type": "foaf:Organization",
        "foaf:name": "beta.gouv.fr",
        "foaf:homepage": id("https://beta.gouv.fr"),
    })
}

/// The catalog of every dataset, the API at `base` (its public URL) serving them, their data
/// last changed at `modified`.
pub fn catalog(base: &str, modified: NaiveDateTime) -> Value {
    let catalog_iri = format!("{base}/api/v1/catalog");
    let service_iri = format!("{catalog_iri}#api");
    let datasets: Vec<Value> = DATASETS
        .iter()
        .map(|d| dataset(d, base, &catalog_iri, &service_iri, modified))
        .collect();
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": catalog_iri,
        "@type": "dcat:Catalog",
        "dct:title": text(CATALOG_TITLE),
        "dct:description": text(CATALOG_DESCRIPTION),
        "dct:language": id(format!("{EU_AUTHORITY}language/FRA")),
        "dct:publisher": publisher(),
        "dct:license": id(LICENCE.url),
        "dct:modified": timestamp(modified),
        "foaf:homepage": id(format!("{base}/")),
        "dcat:service": {
            "@id": service_iri,
            "@type": "dcat:DataService",
            "dct:title": "betadata API v1",
            "dcat:endpointURL": id(format!("{base}/api/v1")),
            "dcat:endpointDescription": id(format!("{base}/api/v1/openapi.json")),
            "dct:conformsTo": id("https://spec.openapis.org/oas/v3.1.0"),
            "dct:license": id(LICENCE.url),
            "dcat:servesDataset": DATASETS
                .iter()
                .map(|d| id(format!("{catalog_iri}#{}", d.id)))
                .collect::<Vec<_>>(),
        },
        "dcat:dataset": datasets,
    })
}

fn dataset(
    dataset: &Dataset,
    base: &str,
    catalog_iri: &str,
    service_iri: &str,
    modified: NaiveDateTime,
) -> Value {
    let iri = format!("{catalog_iri}#{}", dataset.id);
    let download = |format: Format, media_type: &str, label: &str| {
        let url = dataset.download_url(base, format);
        json!({
            "@id": format!("{iri}-{label}"),
            "@type": "dcat:Distribution",
            "dct:title": format!("{} ({})", dataset.title.en, label.to_uppercase()),
            "dcat:accessURL": id(url.clone()),
            "dcat:downloadURL": id(url),
            "dcat:mediaType": id(format!("{IANA}{media_type}")),
            "dct:format": label.to_uppercase(),
            "dct:license": id(LICENCE.url),
            "dct:modified": timestamp(modified),
        })
    };
    let mut csv = download(Format::Csv, "text/csv", "csv");
    csv["dct:conformsTo"] = id(dataset.schema_url(base));
    let ndjson = download(Format::Ndjson, "application/x-ndjson", "ndjson");
    let api = json!({
        "@id": format!("{iri}-api"),
        "@type": "dcat:Distribution",
        "dct:title": format!("{} (JSON API, paged)", dataset.title.en),
        "dcat:accessURL": id(dataset.collection_url(base)),
        "dcat:accessService": id(service_iri),
        "dcat:mediaType": id(format!("{IANA}application/json")),
        "dct:format": "JSON",
        "dct:conformsTo": id(format!("{base}/api/v1/openapi.json")),
        "dct:license": id(LICENCE.url),
        "dct:modified": timestamp(modified),
    });
    json!({
        "@id": iri,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.id,
        "dct:title": text(dataset.title),
        "dct:description": text(dataset.description),
        "dct:publisher": publisher(),
        "dct:license": id(LICENCE.url),
        "dct:modified": timestamp(modified),
        "dct:spatial": id(format!("{EU_AUTHORITY}country/FRA")),
        "dct:accrualPeriodicity": id(format!("{EU_AUTHORITY}frequency/UPDATE_CONT")),
        "dcat:theme": id(format!("{EU_AUTHORITY}data-theme/GOVE")),
        "dcat:keyword": dataset.keywords,
        "dcat:landingPage": id(format!("{base}/api/v1/datasets/{}", dataset.id)),
        "dcat:distribution": [csv, ndjson, api],
    })
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
    let revision = state.db(Revision::current).await?;
    Ok(HttpResponse::Ok()
        .content_type(JSON_LD)
        .json(catalog(&public_url::base(&req), revision.changed_at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        let modified = "2026-11-24T10:11:12".parse().expect("time");
        catalog("https://data.example", modified)
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
    fn modified_is_the_data_change_in_utc() {
        let catalog = sample();
        assert_eq!(catalog["dct:modified"]["@value"], "2026-11-24T10:11:12Z");
        assert_eq!(
            catalog["dcat:dataset"][0]["dct:modified"]["@value"],
            "2026-11-24T10:11:12Z"
        );
    }
}
