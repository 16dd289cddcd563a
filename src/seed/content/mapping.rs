//! From the front matter of one content file to the project's rows, every problem reported
//! with the file, the field and what was done about it.
//!
//! | content field | stored as |
//! | --- | --- |
//! | file name without `.md` | `id` |
//! | `title` (required) | startup `name`, incubator `title` |
//! | `mission` | `pitch` |
//! | `incubator` | `incubator_id`, which must be known |
//! | `incubators` (co-incubation) | the others listed, in order ([`Relations::co_incubators`]) |
//! | `sponsors` (`/organisations/ID`) | sponsors, which must be known |
//! | `phases` (`name`, `start`, `end`) | phase history; older names renamed ([`PHASE_RENAMES`]) |
//! | `events` (`name`, `date`, `comment`) | events |
//! | `contact`, `link`, `repository` | same names |
//! | `usertypes`, `thematiques`, `techno` | tags |
//! | `stats_url`, `accessibility_status` | same names |
//! | Markdown body | `description` |
//! | organisation `name`, `acronym`, `type` | `name`, `acronym`, `kind` ([`ORGANISATION_TYPES`](crate::domain::fields::ORGANISATION_TYPES)) |
//! | incubator `owner`, `website`, `contact`, `address` | same, `owner` as `/organisations/ID` |

use std::collections::{BTreeSet, HashSet};

use serde_norway::{Mapping, Value};

use super::front_matter::Document;
use crate::db::incubators::Incubator;
use crate::db::organisations::Organisation;
use crate::db::startups::{EventRow, PhaseRow, Relations, Startup, StartupGraph};
use crate::domain::ids::id_key;
use crate::seed::Severity;
use crate::seed::format::PhaseSpanDoc;
use crate::seed::validate::{At, phase_history};

/// Phase names the content tree used before today's list, with the phase each now stands for
/// and why.
pub const PHASE_RENAMES: [(&str, &str, &str); 3] = [
    ("transfer", "transfere", "the same phase, renamed in French"),
    (
        "success",
        "transfere",
        "« pérennisé »: the service left the programme and lives on, which is what \
         `transfere` now says",
    ),
    (
        "alumni",
        "transfere",
        "« partenariat terminé »: the programme's support ended and the service was handed \
         over",
    ),
];

/// Today's name for a phase name of the content tree: itself, or its rename.
pub fn current_phase_name(name: &str) -> &str {
    PHASE_RENAMES
        .iter()
        .find(|(old, _, _)| *old == name)
        .map_or(name, |(_, new, _)| new)
}

/// The `kind` of an organisation whose file gives no `type`: beta.gouv.fr's own word for "other".
pub const DEFAULT_ORGANISATION_TYPE: &str = "autre";

const ORGANISATION_PREFIX: &str = "/organisations/";

/// A scalar read as text: YAML reads `2020` or `true` as a number or a boolean where
/// upstream meant text. `None` for a list, a mapping or null.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(tagged) => scalar_text(&tagged.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// An organisation id from a reference, written `/organisations/ID` upstream (a bare `ID` is
/// accepted too).
pub fn organisation_ref(reference: &str) -> &str {
    let reference = reference.trim();
    reference
        .strip_prefix(ORGANISATION_PREFIX)
        .unwrap_or(reference)
        .trim_end_matches('/')
}

/// Reads fields of one document, reporting through `at`.
struct Fields<'d, 'a, 'r> {
    fields: &'d Mapping,
    at: &'a mut At<'r>,
}

impl Fields<'_, '_, '_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    /// Optional text; a list or a mapping is reported and ignored.
    fn text(&mut self, name: &str) -> Option<String> {
        let value = self.get(name)?;
        match scalar_text(value) {
            Some(text) => self.at.optional_text(name, Some(text)),
            None => {
                self.at
                    .error(name, "expected text; the field is left empty");
                None
            }
        }
    }

    /// A web address as the model stores it: without the spaces around it and with its HTML
    /// entities (`&amp;`) decoded, each repair a warning. What is still not an `http(s)` URL is
    /// kept as written, with a warning: the source publishes it.
    fn url(&mut self, name: &str) -> Option<String> {
        let text = self.text(name)?;
        let url = html_escape::decode_html_entities(text.trim()).into_owned();
        if url != text {
            self.at.problem(
                Severity::Warning,
                name,
                format!("`{text}` has spaces around it or HTML entities; stored as `{url}`"),
            );
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            self.at.problem(
                Severity::Warning,
                name,
                format!("`{url}` is not an http(s) URL; kept as written"),
            );
        }
        Some(url)
    }

    /// A list of entries; a single value stands for a list of one, and anything else is
    /// reported and read as empty.
    fn list(&mut self, name: &str) -> Vec<Value> {
        match self.get(name) {
            None => Vec::new(),
            Some(Value::Sequence(items)) => items.clone(),
            Some(Value::Mapping(_)) => {
                self.at
                    .error(name, "expected a list; the field is left empty");
                Vec::new()
            }
            Some(single) => vec![single.clone()],
        }
    }

    /// A list of text values, each repaired when needed, without duplicates, sorted.
    fn tags(&mut self, name: &str) -> Vec<String> {
        let mut set = BTreeSet::new();
        for (i, item) in self.list(name).iter().enumerate() {
            let field = format!("{name}[{i}]");
            match scalar_text(item) {
                Some(text) if !text.trim().is_empty() => {
                    set.insert(self.at.text(&field, text.trim().to_owned()));
                }
                Some(_) => {}
                None => self.at.error(&field, "expected text; value left out"),
            }
        }
        set.into_iter().collect()
    }

    /// The record's name, which the model requires: `name`, or, when the file gives none, its
    /// id (a warning: the record is kept, and the source still has no title).
    fn title(&mut self, name: &str, id: &str) -> String {
        self.text(name).unwrap_or_else(|| {
            self.at.problem(
                Severity::Warning,
                name,
                format!("missing or empty; the record is named by its id, `{id}`"),
            );
            id.to_owned()
        })
    }
}

/// The id among `ids` that `reference` names: itself, or the one equal to it but for case or
/// Unicode form.
fn known_id(ids: &HashSet<String>, reference: &str) -> Option<String> {
    if ids.contains(reference) {
        return Some(reference.to_owned());
    }
    let key = id_key(reference);
    ids.iter().find(|id| id_key(id) == key).cloned()
}

/// Ids that references may point to.
pub struct Known<'k> {
    pub phases: &'k HashSet<String>,
    pub organisations: &'k HashSet<String>,
    pub incubators: &'k HashSet<String>,
}

/// An organisation from `_organisations/ID.md`.
pub(crate) fn organisation(at: &mut At<'_>, id: &str, doc: &Document) -> Organisation {
    let mut fields = Fields {
        fields: &doc.fields,
        at,
    };
    let name = fields.title("name", id);
    let acronym = fields.text("acronym");
    // The vocabulary is the data's (`administration-centrale`, `operateur`, `autre`,
    // `service-deconcentre`…): stored as the file writes it.
    let kind = fields
        .text("type")
        .unwrap_or_else(|| DEFAULT_ORGANISATION_TYPE.to_owned());
    Organisation {
        id: id.to_owned(),
        name,
        acronym,
        kind,
    }
}

/// Whether an incubator's file says `hidden: true`: kept out of the public lists.
pub fn is_hidden(doc: &Document) -> bool {
    doc.fields
        .get("hidden")
        .is_some_and(|v| v.as_bool() == Some(true) || scalar_text(v).as_deref() == Some("true"))
}

/// An incubator from `_incubators/ID.md`.
pub(crate) fn incubator(
    at: &mut At<'_>,
    id: &str,
    doc: &Document,
    organisations: &HashSet<String>,
) -> Incubator {
    let mut fields = Fields {
        fields: &doc.fields,
        at,
    };
    let title = fields.title("title", id);
    let owner = fields.text("owner").and_then(|reference| {
        let owner = organisation_ref(&reference);
        if organisations.contains(owner) {
            Some(owner.to_owned())
        } else {
            fields.at.error(
                "owner",
                format!("`{reference}` is not a known organisation; the owner is left empty"),
            );
            None
        }
    });
    let description = body(fields.at, &doc.body).or_else(|| fields.text("short_description"));
    Incubator {
        id: id.to_owned(),
        title,
        owner_id: owner,
        website: fields.url("website"),
        contact: fields.text("contact"),
        address: fields.text("address"),
        description,
    }
}

/// The Markdown body as a description: trimmed, repaired when needed, `None` when empty.
fn body(at: &mut At<'_>, body: &str) -> Option<String> {
    at.optional_text("description", Some(body.trim().to_owned()))
}

/// A startup from `_startups/ID.md`.
pub(crate) fn startup(
    at: &mut At<'_>,
    id: &str,
    doc: &Document,
    known: &Known<'_>,
) -> StartupGraph {
    let mut fields = Fields {
        fields: &doc.fields,
        at,
    };
    let name = fields.title("title", id);
    let incubator = fields.text("incubator").and_then(|reference| {
        let found = known_id(known.incubators, &reference);
        match &found {
            None => fields.at.error(
                "incubator",
                format!("`{reference}` is not a known incubator; the startup is kept without it"),
            ),
            Some(id) if *id != reference => fields.at.problem(
                Severity::Warning,
                "incubator",
                format!("`{reference}` differs from the incubator `{id}` by case or Unicode form; read as `{id}`"),
            ),
            Some(_) => {}
        }
        found
    });
    let mut sponsors = BTreeSet::new();
    for (i, item) in fields.list("sponsors").iter().enumerate() {
        let field = format!("sponsors[{i}]");
        let Some(reference) = scalar_text(item) else {
            fields
                .at
                .error(&field, "expected `/organisations/ID`; sponsor left out");
            continue;
        };
        if let Some(sponsor) = known_id(known.organisations, organisation_ref(&reference)) {
            sponsors.insert(sponsor);
        } else {
            fields.at.error(
                &field,
                format!("`{reference}` is not a known organisation; sponsor left out"),
            );
        }
    }
    let co_incubators = co_incubators(&mut fields, incubator.as_deref(), known.incubators);
    let spans = phase_entries(&mut fields);
    let phases = phase_history(fields.at, known.phases, spans);
    let events = events(&mut fields, id);
    let relations = Relations {
        co_incubators,
        phases: phases
            .into_iter()
            .map(|span| PhaseRow::of_span(id, span))
            .collect(),
        sponsors: sponsors.into_iter().collect(),
        usertypes: fields.tags("usertypes"),
        thematiques: fields.tags("thematiques"),
        techno: fields.tags("techno"),
        events,
    };
    let startup = Startup {
        id: id.to_owned(),
        name,
        pitch: fields.text("mission"),
        incubator_id: incubator,
        link: fields.url("link"),
        repository: fields.url("repository"),
        contact: fields.text("contact"),
        description: body(fields.at, &doc.body),
        // Derived from the phases when the startup is written.
        created_on: None,
        updated_at: chrono::Utc::now().naive_utc(),
        latest_phase_id: None,
        latest_phase_start: None,
        stats_url: fields.url("stats_url"),
        accessibility_status: fields.text("accessibility_status"),
    };
    StartupGraph { startup, relations }
}

/// The incubators listed under `incubators:` beside the startup's own `incubator` (which the
/// list usually repeats), in the file's order; an unknown one is reported and left out.
fn co_incubators(
    fields: &mut Fields<'_, '_, '_>,
    incubator: Option<&str>,
    known: &HashSet<String>,
) -> Vec<String> {
    let mut listed = Vec::new();
    for (i, item) in fields.list("incubators").iter().enumerate() {
        let field = format!("incubators[{i}]");
        let Some(reference) = scalar_text(item) else {
            fields
                .at
                .error(&field, "expected an incubator id; left out");
            continue;
        };
        match known_id(known, &reference) {
            None => fields.at.error(
                &field,
                format!("`{reference}` is not a known incubator; left out"),
            ),
            Some(id) if Some(id.as_str()) == incubator || listed.contains(&id) => {}
            Some(id) => listed.push(id),
        }
    }
    listed
}

/// The `phases` entries as the seed format has them, older names renamed (with a warning);
/// an entry without a name or a start is reported and left out.
fn phase_entries(fields: &mut Fields<'_, '_, '_>) -> Vec<PhaseSpanDoc> {
    let mut spans = Vec::new();
    for (i, item) in fields.list("phases").iter().enumerate() {
        let field = |name: &str| format!("phases[{i}].{name}");
        let get = |name: &str| item.get(name).and_then(scalar_text);
        let (Some(name), Some(start)) = (get("name"), get("start")) else {
            let missing = if get("name").is_none() {
                "name"
            } else {
                "start"
            };
            fields
                .at
                .error(&field(missing), "missing; phase entry left out");
            continue;
        };
        let phase = current_phase_name(&name);
        if phase != name {
            fields.at.problem(
                Severity::Warning,
                &field("name"),
                format!("`{name}` is an older phase name; read as `{phase}`"),
            );
        }
        spans.push(PhaseSpanDoc {
            phase: phase.to_owned(),
            start,
            end: get("end"),
        });
    }
    spans
}

fn events(fields: &mut Fields<'_, '_, '_>, id: &str) -> Vec<EventRow> {
    let mut events = Vec::new();
    for (i, item) in fields.list("events").iter().enumerate() {
        let field = |name: &str| format!("events[{i}].{name}");
        let get = |name: &str| item.get(name).and_then(scalar_text);
        let (Some(name), Some(date)) = (get("name"), get("date")) else {
            let missing = if get("name").is_none() {
                "name"
            } else {
                "date"
            };
            fields.at.error(&field(missing), "missing; event left out");
            continue;
        };
        let Some(date) = fields.at.date(&field("date"), &date, "event left out") else {
            continue;
        };
        events.push(EventRow {
            startup_id: id.to_owned(),
            position: i32::try_from(events.len()).unwrap_or(i32::MAX),
            name: fields.at.text(&field("name"), name),
            date,
            comment: fields.at.optional_text(&field("comment"), get("comment")),
        });
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Report;
    use crate::seed::content::front_matter::parse;

    fn known_sets() -> (HashSet<String>, HashSet<String>, HashSet<String>) {
        let set = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect();
        (
            set(&["investigation", "construction", "acceleration", "transfere"]),
            set(&["dinum", "anct"]),
            set(&["dinum-asn"]),
        )
    }

    fn map_startup(text: &str) -> (StartupGraph, Report) {
        let (phases, organisations, incubators) = known_sets();
        let known = Known {
            phases: &phases,
            organisations: &organisations,
            incubators: &incubators,
        };
        let doc = parse(text).expect("front matter");
        let mut report = Report::default();
        let mut at = At {
            file: "_startups/s.md",
            record: Some("s".into()),
            report: &mut report,
        };
        let graph = startup(&mut at, "s", &doc, &known);
        (graph, report)
    }

    fn messages(report: &Report) -> Vec<String> {
        report.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn maps_every_field_of_a_clean_startup() {
        let (graph, report) = map_startup(
            "---\ntitle: Outil\nmission: Aider\nincubator: dinum-asn\nsponsors:\n  - /organisations/dinum\n\
             phases:\n  - name: investigation\n    start: 2020-01-01\n    end: 2020-03-01\n  - name: construction\n    start: 2020-03-02\n\
             events:\n  - name: fast\n    date: 2021-05-01\n    comment: Promotion 3\n\
             contact: a@b.fr\nlink: https://outil.beta.gouv.fr\nrepository: https://github.com/x/y\n\
             usertypes: [etat, particulier]\nthematiques: Santé\ntechno: [Rust]\n\
             stats_url: https://outil.beta.gouv.fr/stats\naccessibility_status: non conforme\ndashlord_url: https://ignored.example\n---\n\n## Contexte\n",
        );
        assert!(report.problems.is_empty(), "{:?}", messages(&report));
        let s = &graph.startup;
        assert_eq!(s.name, "Outil");
        assert_eq!(s.pitch.as_deref(), Some("Aider"));
        assert_eq!(s.incubator_id.as_deref(), Some("dinum-asn"));
        assert_eq!(s.link.as_deref(), Some("https://outil.beta.gouv.fr"));
        assert_eq!(s.repository.as_deref(), Some("https://github.com/x/y"));
        assert_eq!(s.contact.as_deref(), Some("a@b.fr"));
        assert_eq!(s.description.as_deref(), Some("## Contexte"));
        assert_eq!(
            s.stats_url.as_deref(),
            Some("https://outil.beta.gouv.fr/stats")
        );
        assert_eq!(s.accessibility_status.as_deref(), Some("non conforme"));
        let r = &graph.relations;
        assert_eq!(r.sponsors, vec!["dinum"]);
        assert_eq!(r.usertypes, vec!["etat", "particulier"]);
        assert_eq!(r.thematiques, vec!["Santé"]);
        assert_eq!(r.techno, vec!["Rust"]);
        let phases: Vec<(&str, String)> = r
            .phases
            .iter()
            .map(|p| (p.phase_id.as_str(), p.start_date.to_string()))
            .collect();
        assert_eq!(
            phases,
            vec![
                ("investigation", "2020-01-01".to_owned()),
                ("construction", "2020-03-02".to_owned())
            ]
        );
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.events[0].comment.as_deref(), Some("Promotion 3"));
    }

    #[test]
    fn renames_older_phases_and_keeps_the_source_order_with_warnings() {
        let (graph, report) = map_startup(
            "---\ntitle: Vieux\nphases:\n  - name: success\n    start: 01-06-2019\n  - name: investigation\n    start: 2018-01-01\n---\n",
        );
        let phases: Vec<&str> = graph
            .relations
            .phases
            .iter()
            .map(|p| p.phase_id.as_str())
            .collect();
        assert_eq!(phases, vec!["transfere", "investigation"]);
        let messages = messages(&report);
        assert!(
            messages.iter().any(|m| m.starts_with("warning:")
                && m.contains(
                    "phases[0].name: `success` is an older phase name; read as `transfere`"
                )),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("warning:") && m.contains("phases[1].start: phase 1 starts on 2018-01-01, which is not after the previous phase's start on 2019-06-01; kept as the source has it")),
            "{messages:?}"
        );
        assert_eq!(report.errors(), 0);
    }

    #[test]
    fn reports_bad_references_dates_and_names_without_guessing() {
        let (graph, report) = map_startup(
            "---\ntitle: Cassé\nsponsors: [/organisations/nowhere, /organisations/anct]\n\
             phases:\n  - name: investigation\n    start: 01-07-20219\n  - name: pivot\n    start: 2020-01-01\n\
             events:\n  - name: x\n    date: 2020-02-30\n---\n",
        );
        assert_eq!(graph.relations.sponsors, vec!["anct"]);
        assert!(graph.relations.phases.is_empty());
        assert!(graph.relations.events.is_empty());
        let messages = messages(&report).join("\n");
        for expected in [
            "sponsors[0]: `/organisations/nowhere` is not a known organisation",
            "phases[0].start: `01-07-20219` is not a date",
            "phases[1].phase: `pivot` is not a known phase",
            "events[0].date: `2020-02-30` is not a real calendar day",
        ] {
            assert!(messages.contains(expected), "{expected} in {messages}");
        }
        assert_eq!(report.errors(), 4);
    }

    #[test]
    fn keeps_a_startup_without_title_or_with_an_unknown_incubator() {
        let (graph, report) = map_startup("---\nmission: Sans nom\n---\n");
        assert_eq!(graph.startup.name, "s");
        assert!(messages(&report)[0].starts_with("warning:"));
        assert!(
            messages(&report)[0]
                .contains("title: missing or empty; the record is named by its id, `s`")
        );
        let (graph, report) = map_startup("---\ntitle: A\nincubator: ghost\n---\n");
        assert_eq!(graph.startup.incubator_id, None);
        assert!(messages(&report)[0].contains(
            "incubator: `ghost` is not a known incubator; the startup is kept without it"
        ));
        let (graph, report) = map_startup("---\ntitle: A\nincubator: DINUM-ASN\n---\n");
        assert_eq!(graph.startup.incubator_id.as_deref(), Some("dinum-asn"));
        assert!(messages(&report)[0].starts_with("warning:"));
    }

    #[test]
    fn repairs_double_decoded_text_with_a_warning() {
        let (graph, report) = map_startup("---\ntitle: \"DÃ©marche\"\n---\nÃ‰tat\n");
        assert_eq!(graph.startup.name, "Démarche");
        assert_eq!(graph.startup.description.as_deref(), Some("État"));
        assert_eq!(report.warnings(), 2);
    }

    #[test]
    fn maps_organisation_types_and_incubator_owners() {
        let (_, organisations, _) = known_sets();
        let mut report = Report::default();
        let mut at = At {
            file: "f",
            record: None,
            report: &mut report,
        };
        let doc = parse("---\nname: Agence\nacronym: AG\ntype: operateur\n---\n").expect("doc");
        let org = organisation(&mut at, "ag", &doc);
        assert_eq!(
            (org.kind.as_str(), org.acronym.as_deref()),
            ("operateur", Some("AG"))
        );
        let doc = parse("---\nname: Autre\ntype: fondation\n---\n").expect("doc");
        assert_eq!(organisation(&mut at, "x", &doc).kind, "fondation");
        let doc = parse("---\nname: Sans type\n---\n").expect("doc");
        assert_eq!(
            organisation(&mut at, "y", &doc).kind,
            DEFAULT_ORGANISATION_TYPE
        );
        let doc = parse(
            "---\ntitle: Incub\nowner: /organisations/dinum\nwebsite: https://x.fr\nshort_description: Court\n---\n",
        )
        .expect("doc");
        let inc = incubator(&mut at, "inc", &doc, &organisations);
        assert_eq!(inc.owner_id.as_deref(), Some("dinum"));
        assert_eq!(inc.description.as_deref(), Some("Court"));
        let doc = parse("---\ntitle: Incub\nowner: /organisations/ghost\n---\n").expect("doc");
        assert_eq!(
            incubator(&mut at, "inc", &doc, &organisations).owner_id,
            None
        );
        assert_eq!(report.warnings(), 0);
        assert_eq!(report.errors(), 1);
    }

    #[test]
    fn reads_references_and_scalars_loosely() {
        assert_eq!(organisation_ref("/organisations/dinum"), "dinum");
        assert_eq!(organisation_ref("dinum"), "dinum");
        assert_eq!(scalar_text(&Value::from(2020)), Some("2020".into()));
        assert_eq!(scalar_text(&Value::Null), None);
        assert_eq!(current_phase_name("alumni"), "transfere");
        assert_eq!(current_phase_name("construction"), "construction");
    }
}
