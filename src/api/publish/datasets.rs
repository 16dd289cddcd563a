//! The published datasets: what each holds, where to download it, and its TableSchema
//! descriptor (frictionless, the format of schema.data.gouv.fr), made from the very columns
//! its CSV is written with. `/api/v1/datapackage.json` gathers them into one Data Package, so
//! a reuser can validate every file, foreign keys included, in one command.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::public_url;
use crate::api::http::query::ApiQuery;
use crate::api::shape::columns::Column;
use crate::api::shape::envelope::ListResponse;
use crate::api::shape::formats::{CsvRecord, Format, respond_whole};
use crate::api::shape::formula_safe;
use crate::api::v1::incubators::IncubatorSummary;
use crate::api::v1::metrics::MetricSummary;
use crate::api::v1::metrics::observations::MetricObservation;
use crate::api::v1::organisations::OrganisationSummary;
use crate::api::v1::phases::PhaseResponse;
use crate::api::v1::startups::phase_history::PhaseHistoryEntry;
use crate::api::v1::startups::rows::StartupExport;

/// The licence every dataset is published under.
pub const LICENCE: Licence = Licence {
    id: "etalab-2.0",
    title: "Licence Ouverte / Open Licence version 2.0",
    url: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
};

#[derive(Debug, Clone, Copy)]
pub struct Licence {
    pub id: &'static str,
    pub title: &'static str,
    pub url: &'static str,
}

/// A column whose values are the key of another dataset.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKey {
    pub column: &'static str,
    /// The dataset referred to, by its id; its key is `id`.
    pub dataset: &'static str,
}

/// A text in English, the language of the API, and in French, that of its public.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub en: &'static str,
    pub fr: &'static str,
}

impl Words {
    /// French first, then the English when it differs: TableSchema has no language tags.
    pub fn both(&self) -> String {
        if self.fr == self.en {
            self.fr.to_owned()
        } else {
            format!("{} — {}", self.fr, self.en)
        }
    }
}

/// A dataset: one collection of the API, downloadable whole.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    pub id: &'static str,
    pub title: Words,
    pub description: Words,
    /// The collection that serves it, under `/api/v1`.
    pub path: &'static str,
    pub columns: &'static [Column],
    pub primary_key: &'static [&'static str],
    pub foreign_keys: &'static [ForeignKey],
    pub keywords: &'static [&'static str],
    /// The version of its schema, and when its definition last changed.
    pub revision: Revision,
}

/// Who publishes the schemas: the programme, not a person.
const AUTHOR: &str = "beta.gouv.fr (Direction interministérielle du numérique)";

/// Where the data comes from, as TableSchema `sources`.
const SOURCES: [(&str, &str); 2] = [
    (
        "Contenu du site beta.gouv.fr (startups, incubateurs, organisations) — beta.gouv.fr content repository",
        "https://github.com/betagouv/beta.gouv.fr",
    ),
    (
        "beta.gouv.fr : rapports d'activité et billets d'où viennent les mesures — activity reports and posts the observations come from",
        "https://beta.gouv.fr",
    ),
];

/// When the schemas were first published: the commit that added the datasets (365a016).
pub const SCHEMAS_CREATED: &str = "2026-11-24";

/// A schema's `version` and `lastModified`, and the fingerprint of the definition they date
/// ([`Dataset::fingerprint`]): a test fails when the columns or keys change and this does not,
/// so the date stays that of the last change of the definition, not of the build.
#[derive(Debug, Clone, Copy)]
pub struct Revision {
    /// Semantic version: the major changes when a file valid before may no longer be.
    pub version: &'static str,
    /// `YYYY-MM-DD`.
    pub modified: &'static str,
    pub fingerprint: u64,
}

/// Where a TableSchema is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// On its own (`/datasets/{id}/schema.json`), with one CSV: its foreign keys name other
    /// resources, which frictionless refuses without a package ("package is required for
    /// foreign keys"), so it leaves them out.
    Alone,
    /// Inside the Data Package, beside the resources its foreign keys name.
    Package,
}

const fn references(column: &'static str, dataset: &'static str) -> ForeignKey {
    ForeignKey { column, dataset }
}

const fn revised(version: &'static str, modified: &'static str, fingerprint: u64) -> Revision {
    Revision {
        version,
        modified,
        fingerprint,
    }
}

/// Every published dataset, in the order reusers meet them.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        id: "startups",
        title: Words {
            en: "Startups d'État",
            fr: "Startups d'État",
        },
        description: Words {
            en: "The portfolio: one row per startup, with its incubator, sponsors, current \
                phase and the dates of each phase of its history. Lists are joined with `|`.",
            fr: "Chaque startup : nom, pitch, incubateur, organisations qui la financent, \
                publics, thématiques, liens, phase actuelle et dates de chacune de ses phases.",
        },
        path: "/startups",
        columns: StartupExport::COLUMNS,
        primary_key: &["id"],
        foreign_keys: &[
            references("incubator", "incubators"),
            references("current_phase", "phases"),
        ],
        keywords: &["startups d'état", "beta.gouv.fr", "innovation publique"],
        revision: revised("1.0.0", "2026-12-05", 0x04a7_dfdf_b8f4_d6c5),
    },
    Dataset {
        id: "phase-history",
        title: Words {
            en: "Phase history of the startups",
            fr: "Historique des phases",
        },
        description: Words {
            en: "Every dated phase of every startup, one row each: when it started and, once \
                over, when it ended.",
            fr: "Chaque phase datée de chaque startup, une ligne par phase : son début et, une \
                fois close, sa fin.",
        },
        path: "/phase-history",
        columns: PhaseHistoryEntry::COLUMNS,
        primary_key: &["startup", "start"],
        foreign_keys: &[
            references("startup", "startups"),
            references("phase", "phases"),
        ],
        keywords: &["startups d'état", "phases", "investigation", "construction"],
        revision: revised("1.0.0", "2026-12-05", 0x3591_f748_056b_56f5),
    },
    Dataset {
        id: "incubators",
        title: Words {
            en: "Incubators",
            fr: "Incubateurs",
        },
        description: Words {
            en: "The incubators of the beta.gouv.fr network and the organisations that run \
                them.",
            fr: "Les équipes qui accueillent les startups : organisation porteuse, site, \
                contact, adresse.",
        },
        path: "/incubators",
        columns: IncubatorSummary::COLUMNS,
        primary_key: &["id"],
        foreign_keys: &[references("owner", "organisations")],
        keywords: &["incubateurs", "beta.gouv.fr"],
        revision: revised("1.0.0", "2026-12-05", 0x7520_41e3_eadc_81bb),
    },
    Dataset {
        id: "organisations",
        title: Words {
            en: "Sponsor organisations",
            fr: "Organisations",
        },
        description: Words {
            en: "Ministries, agencies and local authorities that sponsor startups or run \
                incubators.",
            fr: "Ministères, opérateurs et collectivités qui financent des startups ou portent \
                un incubateur.",
        },
        path: "/organisations",
        columns: OrganisationSummary::COLUMNS,
        primary_key: &["id"],
        foreign_keys: &[],
        keywords: &["administrations", "sponsors"],
        revision: revised("1.0.0", "2026-12-05", 0x6c7f_fb7e_355a_a4a6),
    },
    Dataset {
        id: "phases",
        title: Words {
            en: "Phases of the method",
            fr: "Phases",
        },
        description: Words {
            en: "The four phases of the method and the ways out of it, with how many startups \
                are in each on the day of the export.",
            fr: "Les phases de la méthode (investigation, construction, accélération, \
                consolidation) et ses sorties (transfert, abandon…), avec le nombre de startups \
                dans chacune au jour du téléchargement.",
        },
        path: "/phases",
        columns: PhaseResponse::COLUMNS,
        primary_key: &["id"],
        foreign_keys: &[],
        keywords: &["méthode", "phases"],
        revision: revised("1.0.0", "2026-12-05", 0xe573_6353_9f3d_4e47),
    },
    Dataset {
        id: "metrics",
        title: Words {
            en: "Impact metrics",
            fr: "Indicateurs d'impact",
        },
        description: Words {
            en: "The indicators that measure the startups and the programme, each with its \
                latest value.",
            fr: "Les indicateurs suivis par startup ou pour le programme entier, avec leur \
                unité et leur dernière valeur.",
        },
        path: "/metrics",
        columns: MetricSummary::COLUMNS,
        primary_key: &["id"],
        foreign_keys: &[references("startup", "startups")],
        keywords: &["impact", "indicateurs"],
        revision: revised("1.0.0", "2026-12-05", 0x41fa_b206_2076_d1c9),
    },
    Dataset {
        id: "observations",
        title: Words {
            en: "Observations of the impact metrics",
            fr: "Mesures des indicateurs",
        },
        description: Words {
            en: "Every dated value of every metric, with the document it comes from.",
            fr: "Chaque valeur datée de chaque indicateur, avec le document d'où elle vient.",
        },
        path: "/observations",
        columns: MetricObservation::COLUMNS,
        primary_key: &["metric", "date"],
        foreign_keys: &[references("metric", "metrics")],
        keywords: &["impact", "indicateurs", "séries"],
        revision: revised("1.0.0", "2026-12-05", 0x5133_5f32_d48d_58bc),
    },
];

impl Dataset {
    pub fn find(id: &str) -> Option<&'static Dataset> {
        DATASETS.iter().find(|d| d.id == id)
    }

    /// Where the collection lives, under `base`: the API's public URL (see
    /// [`public_url`]), or nothing for a path.
    pub fn collection_url(&self, base: &str) -> String {
        format!("{base}/api/v1{}", self.path)
    }

    /// The whole dataset in `format`, one download.
    pub fn download_url(&self, base: &str, format: Format) -> String {
        let name = match format {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        };
        format!("{}?format={name}", self.collection_url(base))
    }

    pub fn schema_url(&self, base: &str) -> String {
        format!("{base}/api/v1/datasets/{}/schema.json", self.id)
    }

    /// The TableSchema descriptor of the CSV, with the root fields schema.data.gouv.fr asks
    /// for, in French then in English. Its description ends with the rule against formulas,
    /// which changes what text cells hold: TableSchema has no property for it, and a reuser
    /// must know it to read the text back.
    pub fn table_schema(&self, base: &str, within: Within) -> Value {
        let mut schema = json!({
            "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
            "name": self.id,
            "title": self.title.both(),
            "description": format!(
                "{} {} — {} {}",
                self.description.fr,
                formula_safe::RULE_FR,
                self.description.en,
                formula_safe::RULE
            ),
            "homepage": format!("{base}/"),
            "path": self.schema_url(base),
            "version": self.revision.version,
            "created": SCHEMAS_CREATED,
            "lastModified": self.revision.modified,
            "contributors": [{"title": AUTHOR, "role": "author"}],
            "sources": SOURCES
                .iter()
                .map(|(title, path)| json!({"title": title, "path": path}))
                .collect::<Vec<_>>(),
            "licenses": [{"name": LICENCE.id, "title": LICENCE.title, "path": LICENCE.url}],
            "fields": self.columns.iter().map(Column::descriptor).collect::<Vec<_>>(),
            "primaryKey": self.primary_key,
            "missingValues": [""],
        });
        if within == Within::Package {
            schema["foreignKeys"] = self.foreign_keys_descriptor();
        }
        schema
    }

    fn foreign_keys_descriptor(&self) -> Value {
        self.foreign_keys
            .iter()
            .map(|fk| {
                json!({
                    "fields": [fk.column],
                    "reference": {"resource": fk.dataset, "fields": ["id"]},
                })
            })
            .collect()
    }

    /// A digest of the schema's definition (fields, keys), which [`Revision`] records: FNV-1a,
    /// stable from one build, platform and Rust release to the next.
    pub fn fingerprint(&self) -> u64 {
        let definition = json!({
            "fields": self.columns.iter().map(Column::descriptor).collect::<Vec<_>>(),
            "primaryKey": self.primary_key,
            "foreignKeys": self.foreign_keys_descriptor(),
        })
        .to_string();
        definition
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            })
    }

    /// The Data Package resource of the CSV found at `path`, with its schema inline and its
    /// dialect stated: a validator left to guess it from the rows may take the `'` of cells
    /// neutralised against formulas, or a tab in a text, for the quote or the delimiter.
    pub fn package_resource(&self, base: &str, path: &str) -> Value {
        json!({
            "name": self.id,
            "title": self.title.both(),
            "description": format!("{} — {}", self.description.fr, self.description.en),
            "path": path,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {
                "delimiter": ",",
                "quoteChar": "\"",
                "doubleQuote": true,
                "lineTerminator": "\r\n",
                "header": true,
            },
            "schema": self.table_schema(base, Within::Package),
        })
    }
}

/// A Data Package of every dataset, each CSV at `path_of(dataset)`.
pub fn data_package(base: &str, path_of: impl Fn(&Dataset) -> String) -> Value {
    let resources: Vec<Value> = DATASETS
        .iter()
        .map(|dataset| dataset.package_resource(base, &path_of(dataset)))
        .collect();
    json!({
        "name": "betadata",
        "title": "Startups d'État: the beta.gouv.fr portfolio",
        "licenses": [{"name": LICENCE.id, "title": LICENCE.title, "path": LICENCE.url}],
        "resources": resources,
    })
}

/// A published dataset, where to get it and how its CSV is laid out.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetResponse {
    #[schema(example = "startups")]
    pub id: String,
    #[schema(example = "Startups d'État")]
    pub title: String,
    pub description: String,
    /// Licence identifier (SPDX).
    #[schema(example = "etalab-2.0")]
    pub license: String,
    pub downloads: Downloads,
    /// The TableSchema descriptor of the CSV, also served at `schema_url`.
    #[schema(value_type = Object)]
    pub schema: Value,
    #[schema(example = "http://localhost:8080/api/v1/datasets/startups/schema.json")]
    pub schema_url: String,
}

/// Where to get a dataset, one URL a format.
#[derive(Debug, Serialize, ToSchema)]
pub struct Downloads {
    /// The whole dataset in CSV (RFC 4180, UTF-8, a header row), streamed. A text cell that
    /// begins with `=`, `+`, `-`, `@`, a tab or a carriage return (after any `'`) has one more
    /// `'` before it, so that no spreadsheet runs it as a formula; remove it to read the text.
    #[schema(example = "http://localhost:8080/api/v1/startups?format=csv")]
    pub csv: String,
    /// The whole dataset in NDJSON, one JSON object a line, streamed.
    #[schema(example = "http://localhost:8080/api/v1/startups?format=ndjson")]
    pub ndjson: String,
    /// The JSON collection, in pages: follow `links.next`.
    #[schema(example = "http://localhost:8080/api/v1/startups?format=json")]
    pub json: String,
}

impl DatasetResponse {
    fn new(dataset: &Dataset, base: &str) -> Self {
        Self {
            id: dataset.id.to_owned(),
            title: dataset.title.en.to_owned(),
            description: dataset.description.en.to_owned(),
            license: LICENCE.id.to_owned(),
            downloads: Downloads {
                csv: dataset.download_url(base, Format::Csv),
                ndjson: dataset.download_url(base, Format::Ndjson),
                json: dataset.download_url(base, Format::Json),
            },
            schema: dataset.table_schema(base, Within::Alone),
            schema_url: dataset.schema_url(base),
        }
    }
}

impl CsvRecord for DatasetResponse {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the dataset").key(),
        Column::text("title", "Title").required(),
        Column::text("description", "What it holds").required(),
        Column::text("license", "Licence identifier (SPDX)").required(),
        Column::text("csv", "The whole dataset in CSV")
            .required()
            .uri(),
        Column::text("ndjson", "The whole dataset in NDJSON")
            .required()
            .uri(),
        Column::text("json", "The JSON collection, in pages")
            .required()
            .uri(),
        Column::text("schema_url", "The TableSchema descriptor of the CSV")
            .required()
            .uri(),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.title.clone(),
            self.description.clone(),
            self.license.clone(),
            self.downloads.csv.clone(),
            self.downloads.ndjson.clone(),
            self.downloads.json.clone(),
            self.schema_url.clone(),
        ]
    }
}

/// The dataset list is short and always whole: it takes no paging parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatasetsQuery {
    /// Representation: json (the default), csv or ndjson; `Accept: text/csv` or
    /// `application/x-ndjson` does the same.
    #[param(inline, example = "json")]
    pub format: Option<Format>,
}

/// List the published datasets, with their downloads and TableSchema descriptors.
#[utoipa::path(
    tag = "datasets",
    params(DatasetsQuery),
    responses(
        (status = 200, description = "Every dataset", body = ListResponse<DatasetResponse>),
        (status = 400, description = "Unknown parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/datasets")]
pub async fn list_datasets(
    req: HttpRequest,
    ApiQuery(query): ApiQuery<DatasetsQuery>,
) -> Result<HttpResponse, ApiError> {
    let base = public_url::base(&req);
    let data: Vec<DatasetResponse> = DATASETS
        .iter()
        .map(|d| DatasetResponse::new(d, &base))
        .collect();
    let format = Format::negotiate(&req, query.format);
    respond_whole(&req, format, data)
}

fn find(id: &str) -> Result<&'static Dataset, ApiError> {
    Dataset::find(id).ok_or_else(|| ApiError::NotFound {
        resource: "dataset",
        id: id.to_owned(),
    })
}

/// Get one dataset.
#[utoipa::path(
    tag = "datasets",
    params(("id" = String, Path, description = "Dataset id", example = "startups")),
    responses(
        (status = 200, description = "The dataset", body = DatasetResponse),
        (status = 404, description = "No such dataset", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/datasets/{id}")]
pub async fn get_dataset(
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<web::Json<DatasetResponse>, ApiError> {
    let dataset = find(&id)?;
    Ok(web::Json(DatasetResponse::new(
        dataset,
        &public_url::base(&req),
    )))
}

/// Get the TableSchema descriptor of a dataset's CSV.
#[utoipa::path(
    tag = "datasets",
    params(("id" = String, Path, description = "Dataset id", example = "startups")),
    responses(
        (status = 200, description = "The TableSchema descriptor", body = Object, content_type = "application/schema+json"),
        (status = 404, description = "No such dataset", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/datasets/{id}/schema.json")]
pub async fn get_dataset_schema(
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let dataset = find(&id)?;
    Ok(HttpResponse::Ok()
        .content_type("application/schema+json")
        .json(dataset.table_schema(&public_url::base(&req), Within::Alone)))
}

/// Get every dataset as one frictionless Data Package: each CSV with its schema, foreign keys
/// between them.
#[utoipa::path(
    tag = "datasets",
    responses(
        (status = 200, description = "The Data Package descriptor", body = Object),
    )
)]
#[get("/datapackage.json")]
pub async fn get_data_package(req: HttpRequest) -> HttpResponse {
    let base = public_url::base(&req);
    HttpResponse::Ok().json(data_package(&base, |d| d.download_url(&base, Format::Csv)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://data.example";

    #[test]
    fn a_schema_alone_leaves_its_foreign_keys_to_the_package() {
        for d in DATASETS {
            let alone = d.table_schema(BASE, Within::Alone);
            let mut packaged = d.table_schema(BASE, Within::Package);
            assert_eq!(
                packaged["foreignKeys"].as_array().map(Vec::len),
                Some(d.foreign_keys.len()),
                "{}",
                d.id
            );
            assert!(alone.get("foreignKeys").is_none(), "{}", d.id);
            packaged
                .as_object_mut()
                .expect("an object")
                .remove("foreignKeys");
            assert_eq!(alone, packaged, "{}: otherwise the same", d.id);
        }
    }

    #[test]
    fn schemas_have_the_root_fields_schema_data_gouv_fr_asks_for() {
        let date = |v: &Value| {
            v.as_str()
                .is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        };
        for d in DATASETS {
            let schema = d.table_schema(BASE, Within::Alone);
            for field in ["name", "title", "description", "version"] {
                assert!(
                    schema[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{}: {field}",
                    d.id
                );
            }
            assert_eq!(schema["homepage"], "https://data.example/");
            assert_eq!(schema["path"], d.schema_url(BASE));
            let version: Vec<&str> = d.revision.version.split('.').collect();
            assert!(
                version.len() == 3 && version.iter().all(|n| n.parse::<u32>().is_ok()),
                "{}: a semantic version",
                d.id
            );
            assert!(
                date(&schema["created"]) && date(&schema["lastModified"]),
                "{}",
                d.id
            );
            assert!(schema["created"].as_str() <= schema["lastModified"].as_str());
            for (list, keys) in [
                ("contributors", ["title", "role"]),
                ("sources", ["title", "path"]),
            ] {
                let items = schema[list].as_array().expect(list);
                assert!(!items.is_empty(), "{}: {list}", d.id);
                for item in items {
                    for key in keys {
                        assert!(
                            item[key].as_str().is_some_and(|v| !v.is_empty()),
                            "{}: {list}",
                            d.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_changed_definition_has_a_new_revision() {
        let stale: Vec<String> = DATASETS
            .iter()
            .filter(|d| d.revision.fingerprint != d.fingerprint())
            .map(|d| format!("{}: {:#x}", d.id, d.fingerprint()))
            .collect();
        assert!(
            stale.is_empty(),
            "the fields or keys changed: bump the version, set lastModified to today and record \
             the fingerprint of {stale:?}"
        );
    }

    #[test]
    fn every_field_has_a_title_and_an_example_that_fits_it() {
        for d in DATASETS {
            for column in d.columns {
                assert!(
                    !column.title.is_empty(),
                    "{}.{}: a title",
                    d.id,
                    column.name
                );
                assert!(
                    !column.example.is_empty(),
                    "{}.{}: an example",
                    d.id,
                    column.name
                );
                if let Err(why) = column.check(column.example) {
                    panic!("{}.{}: the example: {why}", d.id, column.name);
                }
                let field = column.descriptor();
                assert_eq!(field["title"], column.title);
                assert_eq!(field["example"], column.example);
            }
        }
    }

    #[test]
    fn ids_are_unique_and_valid_resource_names() {
        for (i, d) in DATASETS.iter().enumerate() {
            assert!(
                d.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                d.id
            );
            assert!(DATASETS[..i].iter().all(|e| e.id != d.id), "{}", d.id);
        }
    }

    #[test]
    fn keys_name_columns_and_references_name_datasets() {
        for d in DATASETS {
            let has = |c: &str| d.columns.iter().any(|col| col.name == c);
            for key in d.primary_key {
                assert!(has(key), "{}: primary key {key}", d.id);
            }
            for fk in d.foreign_keys {
                assert!(has(fk.column), "{}: foreign key {}", d.id, fk.column);
                let target = Dataset::find(fk.dataset).expect("referenced dataset");
                assert!(target.columns.iter().any(|c| c.name == "id"));
            }
        }
    }

    #[test]
    fn neutralised_cells_still_fit_their_columns() {
        for d in DATASETS {
            for column in d.columns {
                for value in column.values {
                    let cell = formula_safe::neutralise(value, column.field_type);
                    assert_eq!(
                        cell, *value,
                        "{}.{}: an enum value is not quoted",
                        d.id, column.name
                    );
                }
                // A quoted cell no longer is a URI or an e-mail address: only a value that
                // cannot start a formula may be declared one.
                assert!(
                    column.format.is_none_or(|f| f == "uri"),
                    "{}.{}: `{:?}` admits values that start a formula",
                    d.id,
                    column.name,
                    column.format
                );
            }
            assert!(
                d.table_schema(BASE, Within::Alone)["description"]
                    .as_str()
                    .is_some_and(|text| text.ends_with(formula_safe::RULE)),
                "{}: the schema states the rule",
                d.id
            );
        }
    }

    #[test]
    fn the_descriptor_lists_every_column_in_order() {
        let startups = Dataset::find("startups").expect("startups");
        let schema = startups.table_schema(BASE, Within::Package);
        let names: Vec<&str> = schema["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["name"].as_str().expect("name"))
            .collect();
        let header = crate::api::shape::columns::header(StartupExport::COLUMNS);
        assert_eq!(names, header);
        assert_eq!(schema["primaryKey"], json!(["id"]));
        assert_eq!(
            schema["foreignKeys"][0]["reference"],
            json!({"resource": "incubators", "fields": ["id"]})
        );
    }
}
