//! The HTTP API: version 1 under `/api/v1`, its OpenAPI contract and the operational routes,
//! plus beta.gouv.fr's API v2.7 files under `/compat/v2.7` (see [`publish::compat`]).
//!
//! By role: [`http`] holds the machinery every route shares (errors, limits, tokens, caching,
//! the application state), [`shape`] the shapes answers and writes share (the list envelope,
//! the formats, the one write path), [`v1`] a folder for each resource with its reads, writes
//! and routes, and [`publish`] the datasets, the catalog, the landing page and the
//! compatibility files. This module lists the routes and assembles the application.
//!
//! Routes are registered through utoipa-actix-web, so the served routes and the contract are
//! one list and cannot drift.

pub mod health;
pub mod http;
pub mod publish;
pub mod shape;
pub mod v1;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders, Logger, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Spec;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

pub use http::state::AppState;

use crate::api::http::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "betadata",
        description = "Open data of the French Startups d'État (beta.gouv.fr): startups, \
            incubators, sponsor organisations, phases and impact metrics. Every error is an \
            RFC 9457 `application/problem+json` document. Any operation answers 414 to a \
            request target (path and query) longer than 8 KiB, 431 to headers larger than \
            16 KiB in all, and 413 to a declared body larger than 1 MiB.",
        license(name = "Licence Ouverte 2.0 (etalab-2.0)", identifier = "etalab-2.0"),
    ),
    tags(
        (name = "startups", description = "The portfolio, with phase histories"),
        (name = "incubators", description = "The teams that host startups"),
        (name = "organisations", description = "Sponsors and owners of incubators"),
        (name = "phases", description = "The phases of the method and the ways out of it"),
        (name = "metrics", description = "Impact indicators and their observations"),
        (name = "stats", description = "The portfolio in figures, on any date"),
        (name = "datasets", description = "The datasets for download, their TableSchema \
            descriptors and the DCAT catalog"),
        (name = "changes", description = "Every write, in order: the audit log and the feed to \
            sync from"),
        (name = "operations", description = "Health of the service"),
    ),
    modifiers(&BearerTokens),
)]
struct ApiDoc;

/// Documents the CSV and NDJSON answers of every operation that takes `format`, beside its
/// JSON: the one parameter decides, so the contract follows it.
struct Formats;

impl utoipa::Modify for Formats {
    fn modify(&self, spec: &mut Spec) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, ObjectBuilder, RefOr, Type};
        for item in spec.paths.paths.values_mut() {
            let Some(operation) = item.get.as_mut() else {
                continue;
            };
            let takes_format = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.name == "format" && matches!(p.parameter_in, ParameterIn::Query));
            let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") else {
                continue;
            };
            if !takes_format {
                continue;
            }
            let text = |description: &str| {
                ContentBuilder::new()
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .description(Some(description)),
                    ))
                    .build()
            };
            let csv = format!(
                "RFC 4180, a header row; the columns are the dataset's TableSchema fields. {}",
                shape::formula_safe::RULE
            );
            ok.content
                .insert(shape::formats::CSV.to_owned(), text(&csv));
            ok.content.insert(
                shape::formats::NDJSON.to_owned(),
                text("One JSON object per line, each an item of the JSON list"),
            );
        }
    }
}

/// Documents the answer every operation may give when its database work runs past the time
/// limit of a request (see [`AppState::query_timeout`]) or the database does not answer.
struct TimeLimit;

impl utoipa::Modify for TimeLimit {
    fn modify(&self, spec: &mut Spec) {
        use utoipa::openapi::{Ref, RefOr, ResponseBuilder};
        for item in spec.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                operation
                    .responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(
                                    "The database did not answer within the time limit of a \
                                     request: retry after `Retry-After` seconds",
                                )
                                .content(
                                    crate::api::http::error::PROBLEM_JSON,
                                    utoipa::openapi::ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("Problem")))
                                        .build(),
                                )
                                .build(),
                        )
                    });
            }
        }
    }
}

/// Declares the bearer tokens that writes take (`betadata token create`).
struct BearerTokens;

impl utoipa::Modify for BearerTokens {
    fn modify(&self, spec: &mut Spec) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token printed once by `betadata token create`; an `incubator:ID` token \
                 writes only that incubator's startups, their phases and metrics; incubators and \
                 organisations need an `admin` token",
            ))
            .build();
        spec.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Registers every documented route on `app`.
fn routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.service(health::health).service(
        scope::scope("/api/v1")
            // Not an operation of the contract: the contract itself.
            .route("/openapi.json", web::get().to(serve_openapi))
            .service(v1::startups::list_startups)
            .service(v1::startups::get_startup)
            .service(v1::startups::list_startup_phases)
            .service(v1::startups::list_startup_metrics)
            .service(v1::startups::create_startup)
            .service(v1::startups::replace_startup)
            .service(v1::startups::update_startup)
            .service(v1::startups::delete_startup)
            .service(v1::startups::create_phase)
            .service(v1::startups::update_phase)
            .service(v1::startups::delete_phase)
            .service(v1::startups::get_startup_history)
            .service(v1::startups::list_phase_history)
            .service(v1::incubators::list_incubators)
            .service(v1::incubators::get_incubator)
            .service(v1::incubators::list_incubator_startups)
            .service(v1::incubators::create_incubator)
            .service(v1::incubators::update_incubator)
            .service(v1::incubators::delete_incubator)
            .service(v1::organisations::list_organisations)
            .service(v1::organisations::get_organisation)
            .service(v1::organisations::create_organisation)
            .service(v1::organisations::update_organisation)
            .service(v1::organisations::delete_organisation)
            .service(v1::phases::list_phases)
            .service(v1::phases::get_phase)
            .service(v1::metrics::list_metrics)
            .service(v1::metrics::get_metric)
            .service(v1::metrics::list_metric_observations)
            .service(v1::metrics::create_metric)
            .service(v1::metrics::create_observations)
            .service(v1::metrics::list_observations)
            .service(v1::stats::get_stats)
            .service(v1::stats::get_phase_durations)
            .service(v1::stats::get_outcomes)
            .service(publish::datasets::list_datasets)
            .service(publish::datasets::get_dataset)
            .service(publish::datasets::get_dataset_schema)
            .service(publish::datasets::get_data_package)
            .service(publish::catalog::get_catalog)
            .service(v1::changes::list_changes),
    )
}

/// The OpenAPI contract, generated from the routes and types.
pub fn openapi() -> Spec {
    with_routes(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).1
}

/// Registers the routes on `app` and returns it with the contract they make, the answers
/// documented from their parameters ([`Formats`]) once every operation is in.
fn with_routes<T>(app: UtoipaApp<T>) -> (App<T>, Spec)
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    let (app, mut spec) = routes(app).split_for_parts();
    utoipa::Modify::modify(&Formats, &mut spec);
    utoipa::Modify::modify(&TimeLimit, &mut spec);
    (app, spec)
}

/// The whole application: routes, contract, Swagger UI, logging and problem+json fallbacks.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, spec) = with_routes(
        App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(web::Data::new(state)),
    );
    let known = web::Data::new(KnownRoutes::from_spec(&spec).with_compat_files());
    app.app_data(known)
        .app_data(web::Data::new(spec.clone()))
        // A page for people, not an operation of the contract.
        .service(
            web::resource("/")
                .route(web::get().to(publish::landing::landing))
                .default_service(web::to(publish::landing::method_not_allowed)),
        )
        .route("/docs", web::get().to(redirect_to_docs))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/docs/openapi.json", spec))
        // Registered outside utoipa on purpose: these files copy another API's shapes and are
        // no operations of the v1 contract.
        .service(publish::compat::scope())
        .default_service(web::to(fallback))
        // Inner to outer: the tag of the identity representation, compression, then the
        // response cache (coded bytes, kept per data revision), then validators (the tag
        // marked with the coding applied; they read the revision the cache keys on) and 304s,
        // then CORS
        // (reads are open to every origin), then deprecation notices, then one log line per
        // request.
        // Innermost: whatever answered an error without a problem document gets one.
        .wrap(from_fn(http::bare_errors::dress_bare_errors))
        .wrap(from_fn(refuse_nul_in_path))
        // Inside CORS, so that a refused request still tells a browser it may read why.
        .wrap(from_fn(http::limits::bound_request))
        .wrap(from_fn(http::caching::tag_representation))
        .wrap(Compress::default())
        .wrap(from_fn(http::response_cache::serve))
        .wrap(from_fn(http::caching::conditional_get))
        .wrap(
            Cors::default()
                .allow_any_origin()
                .send_wildcard()
                // Writes carry a bearer token, never cookies: any origin may send them too.
                .allowed_methods([
                    Method::GET,
                    Method::HEAD,
                    Method::OPTIONS,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_any_header()
                .expose_headers([
                    header::ETAG,
                    header::LINK,
                    header::LOCATION,
                    header::WWW_AUTHENTICATE,
                    header::RETRY_AFTER,
                    header::HeaderName::from_static("deprecation"),
                    header::HeaderName::from_static("sunset"),
                ])
                .max_age(86_400),
        )
        .wrap(http::deprecation::Announce(http::deprecation::DEPRECATED))
        // No answer is to be sniffed into another type than it says, framed by another site
        // (pages that set a stricter policy, as the landing page does, keep theirs), or
        // followed with the address it came from.
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
                .add((header::REFERRER_POLICY, "no-referrer")),
        )
        .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
}

/// No id holds a NUL character (and PostgreSQL could not compare one): a path naming one
/// names nothing.
async fn refuse_nul_in_path(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    // `%00` has no letter: no case to fold.
    if req.uri().path().contains("%00") {
        let (request, _) = req.into_parts();
        let response = actix_web::ResponseError::error_response(&ApiError::NoRoute);
        return Ok(ServiceResponse::new(request, response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

async fn serve_openapi(spec: web::Data<Spec>) -> HttpResponse {
    HttpResponse::Ok().json(spec.get_ref())
}

/// The documented paths and their methods, to tell "no such resource" (404) from "not with
/// this method" (405).
struct KnownRoutes(Vec<(ResourceDef, Vec<Method>)>);

impl KnownRoutes {
    fn from_spec(spec: &Spec) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, &item.get),
                    (Method::POST, &item.post),
                    (Method::PUT, &item.put),
                    (Method::PATCH, &item.patch),
                    (Method::DELETE, &item.delete),
                ]
                .into_iter()
                .filter(|(_, operation)| operation.is_some())
                .flat_map(|(method, _)| {
                    // Every GET also answers HEAD (see `http::caching::conditional_get`).
                    let head = (method == Method::GET).then_some(Method::HEAD);
                    std::iter::once(method).chain(head)
                })
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// Adds the compatibility files, which the contract does not list; they answer GET and HEAD.
    fn with_compat_files(mut self) -> Self {
        self.0.extend(publish::compat::FILES.iter().map(|file| {
            let path = format!("{}{file}", publish::compat::BASE);
            (ResourceDef::new(path), vec![Method::GET, Method::HEAD])
        }));
        self
    }
}

/// Answers requests no route took: 405 when the path exists under other methods, else 404.
async fn fallback(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    Err(match known.0.iter().find(|(def, _)| def.is_match(path)) {
        Some((_, methods)) => ApiError::MethodNotAllowed {
            allowed: methods.clone(),
        },
        None => ApiError::NoRoute,
    })
}
