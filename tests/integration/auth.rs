//! Authentication of writes through the real `Caller` extractor, on both backends: which
//! requests are refused (401, 403, 429) and how, with tokens issued as `betadata token create`
//! issues them. No write endpoint exists here: a small route stands in for one.

use crate::common;

use std::num::NonZeroU32;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpResponse, test, web};
use betadata::api::AppState;
use betadata::api::http::auth::{Caller, Scope};
use betadata::api::http::error::ApiError;
use betadata::db::incubators::Incubator;
use betadata::db::tokens::{self, Revocation, Token, TokenRequest};
use betadata::db::{DbConnection, Keyed};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Utc};
use common::{Reply, assert_problem, both_backends};
use serde_json::json;

/// Stands in for a write to a startup hosted by `incubator` (`none`: hosted by none).
async fn write_startup(
    caller: Caller,
    incubator: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let incubator = incubator.into_inner();
    caller.may_write_incubator((incubator != "none").then_some(incubator.as_str()))?;
    Ok(HttpResponse::Ok().json(json!({
        "token": caller.token_name,
        "scope": caller.scope.to_string(),
    })))
}

/// Stands in for a write to an incubator or an organisation.
async fn write_organisation(caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.must_be_admin()?;
    Ok(HttpResponse::Ok().json(json!({ "token": caller.token_name })))
}

async fn probe(
    state: AppState,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .route("/write/startups/{incubator}", web::post().to(write_startup))
            .route("/write/organisations", web::post().to(write_organisation)),
    )
    .await
}

/// POSTs to `uri` with `authorization` as the header, if any.
async fn post<S, B>(app: &S, uri: &str, authorization: Option<&str>) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let headers: Vec<(&str, &str)> = authorization
        .map(|v| ("authorization", v))
        .into_iter()
        .collect();
    common::send(
        app,
        actix_web::http::Method::POST,
        uri,
        None,
        None,
        &headers,
    )
    .await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn challenge(reply: &Reply) -> &str {
    reply
        .headers
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

const BARE_CHALLENGE: &str = r#"Bearer realm="betadata""#;
const INVALID_TOKEN: &str = r#"Bearer realm="betadata", error="invalid_token""#;

/// A 401 refusing a token that was sent, without echoing it.
fn assert_refused(reply: &Reply, token: &str, detail_part: &str) {
    assert_problem(reply, 401);
    assert_eq!(challenge(reply), INVALID_TOKEN);
    assert_eq!(reply.body["type"], "/problems/unauthorized");
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(detail_part), "{detail}");
    assert!(!reply.body.to_string().contains(token), "{}", reply.body);
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

/// Two incubators for tokens to be scoped to.
fn with_incubators(conn: &mut DbConnection) {
    for id in ["dinum", "sgmas"] {
        Incubator {
            id: id.into(),
            title: id.to_uppercase(),
            owner_id: None,
            website: None,
            contact: None,
            address: None,
            description: None,
        }
        .insert(conn)
        .expect("insert an incubator");
    }
}

/// Issues a token as `betadata token create` does.
fn issue(
    conn: &mut DbConnection,
    name: &str,
    scope: &str,
    expires_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> String {
    let request = TokenRequest {
        name: name.into(),
        scope: scope.parse().expect("a scope"),
        expires_on,
    };
    tokens::issue(conn, &request, now).expect("issue a token")
}

both_backends! {
    fn no_token_is_a_401_with_a_bare_challenge(db) {
        let app = probe(db.state()).await;
        let reply = post(&app, "/write/organisations", None).await;
        assert_problem(&reply, 401);
        assert_eq!(challenge(&reply), BARE_CHALLENGE, "no error code without credentials");
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("Authorization: Bearer"), "{detail}");

        let reply = post(&app, "/write/organisations", Some("Basic dXNlcjpwYXNz")).await;
        assert_problem(&reply, 401);
        assert_eq!(challenge(&reply), BARE_CHALLENGE, "another scheme carries no bearer token");
    }

    fn garbage_and_unknown_tokens_are_refused(db) {
        let app = probe(db.state()).await;
        for garbage in ["Bearer", "Bearer two words", "Bearer garbage", "Bearer bd_short"] {
            let reply = post(&app, "/write/organisations", Some(garbage)).await;
            assert_refused(&reply, "garbage", "malformed");
        }
        let unknown = betadata::domain::tokens::generate().expect("random bytes");
        let reply = post(&app, "/write/organisations", Some(&bearer(&unknown))).await;
        assert_refused(&reply, &unknown, "unknown or revoked");
    }

    fn an_admin_token_writes_everything_and_its_use_is_recorded(db) {
        let mut conn = db.pool.get().expect("connection");
        with_incubators(&mut conn);
        let created = now();
        let token = issue(&mut conn, "ops", "admin", None, created);
        assert_eq!(Token::find_by_name(&mut conn, "ops").expect("query").expect("stored").last_used_at, None);
        let app = probe(db.state()).await;

        let reply = post(&app, "/write/organisations", Some(&bearer(&token))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["token"], "ops");
        for incubator in ["dinum", "sgmas", "none"] {
            let reply = post(&app, &format!("/write/startups/{incubator}"), Some(&bearer(&token))).await;
            assert_eq!(reply.status, 200, "{incubator}: {}", reply.body);
            assert_eq!(reply.body["scope"], "admin");
        }
        let reply = post(&app, "/write/organisations", Some(&format!("bearer   {token}"))).await;
        assert_eq!(reply.status, 200, "the scheme is case-insensitive: {}", reply.body);

        let stored = Token::find_by_name(&mut conn, "ops").expect("query").expect("stored");
        let used = stored.last_used_at.expect("the first use is recorded");
        assert!(used >= created, "{used} >= {created}");
        assert!(!stored.use_is_stale(used + TimeDelta::seconds(59)));
        assert!(stored.use_is_stale(used + TimeDelta::seconds(60)));
        assert!(!Token::touch(&mut conn, stored.id, used + TimeDelta::seconds(30)).expect("touch"),
            "within a minute, nothing is written");
        assert!(Token::touch(&mut conn, stored.id, used + TimeDelta::seconds(61)).expect("touch"));
    }

    fn an_incubator_token_writes_only_its_incubators_startups(db) {
        let mut conn = db.pool.get().expect("connection");
        with_incubators(&mut conn);
        let token = issue(&mut conn, "dinum-ci", "incubator:dinum", None, now());
        let app = probe(db.state()).await;
        let auth = bearer(&token);

        let reply = post(&app, "/write/startups/dinum", Some(&auth)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["scope"], "incubator:dinum");
        assert_eq!(reply.body["token"], "dinum-ci");

        for uri in ["/write/startups/sgmas", "/write/startups/none", "/write/organisations"] {
            let reply = post(&app, uri, Some(&auth)).await;
            assert_problem(&reply, 403);
            assert_eq!(reply.body["type"], "/problems/forbidden", "{uri}");
            assert!(reply.headers.get(header::WWW_AUTHENTICATE).is_none(), "{uri}");
            assert!(!reply.body.to_string().contains(&token));
        }
        let reply = post(&app, "/write/startups/sgmas", Some(&auth)).await;
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("`dinum`") && detail.contains("`sgmas`"), "{detail}");
    }

    fn a_revoked_token_is_refused(db) {
        let mut conn = db.pool.get().expect("connection");
        let token = issue(&mut conn, "old", "admin", None, now());
        let app = probe(db.state()).await;
        let reply = post(&app, "/write/organisations", Some(&bearer(&token))).await;
        assert_eq!(reply.status, 200, "valid before: {}", reply.body);

        assert_eq!(Token::revoke(&mut conn, "old", now()).expect("revoke"), Revocation::Revoked);
        let reply = post(&app, "/write/organisations", Some(&bearer(&token))).await;
        assert_refused(&reply, &token, "unknown or revoked");
        assert!(matches!(
            Token::revoke(&mut conn, "old", now()).expect("revoke"),
            Revocation::AlreadyRevoked(_)
        ));
        assert_eq!(Token::revoke(&mut conn, "nobody", now()).expect("revoke"), Revocation::NoSuchToken);
    }

    fn a_token_expires_after_its_last_day(db) {
        let mut conn = db.pool.get().expect("connection");
        let today = now().date();
        // Issued in the past, as if time had gone by since.
        let issued_then = day("2020-01-01").and_hms_opt(12, 0, 0).expect("a time");
        let expired = issue(&mut conn, "expired", "admin", Some(day("2020-06-30")), issued_then);
        let last_day = issue(&mut conn, "last-day", "admin", Some(today), now());
        let app = probe(db.state()).await;

        let reply = post(&app, "/write/organisations", Some(&bearer(&expired))).await;
        assert_refused(&reply, &expired, "expired");
        assert!(reply.body["detail"].as_str().unwrap_or_default().contains("2020-06-30"));
        let stored = Token::find_by_name(&mut conn, "expired").expect("query").expect("stored");
        assert_eq!(stored.last_used_at, None, "a refused token is not marked used");

        let reply = post(&app, "/write/organisations", Some(&bearer(&last_day))).await;
        assert_eq!(reply.status, 200, "valid through its last day: {}", reply.body);
    }

    fn writes_past_the_rate_are_told_when_to_retry(db) {
        let mut conn = db.pool.get().expect("connection");
        let busy = issue(&mut conn, "busy", "admin", None, now());
        let calm = issue(&mut conn, "calm", "admin", None, now());
        let state = db.state().with_write_rate(NonZeroU32::new(2).expect("non-zero"));
        let app = probe(state).await;

        for n in 1..=2 {
            let reply = post(&app, "/write/organisations", Some(&bearer(&busy))).await;
            assert_eq!(reply.status, 200, "write {n} of the burst: {}", reply.body);
        }
        let reply = post(&app, "/write/organisations", Some(&bearer(&busy))).await;
        assert_problem(&reply, 429);
        assert_eq!(reply.body["type"], "/problems/too-many-requests");
        let retry_after: u64 = reply
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("a Retry-After in seconds");
        // Two a minute: one more every 30 seconds.
        assert!((1..=30).contains(&retry_after), "{retry_after}");

        let reply = post(&app, "/write/organisations", Some(&bearer(&calm))).await;
        assert_eq!(reply.status, 200, "another token has its own bucket: {}", reply.body);
        let reply = post(&app, "/write/organisations", None).await;
        assert_problem(&reply, 401);
    }

    fn issuing_refuses_unknown_incubators_duplicate_names_and_past_dates(db) {
        let mut conn = db.pool.get().expect("connection");
        with_incubators(&mut conn);
        let request = |name: &str, scope: &str, expires_on| TokenRequest {
            name: name.into(),
            scope: scope.parse().expect("a scope"),
            expires_on,
        };
        let error = tokens::issue(&mut conn, &request("x", "incubator:nowhere", None), now())
            .expect_err("unknown incubator");
        assert!(matches!(error, tokens::IssueError::UnknownIncubator(ref id) if id == "nowhere"), "{error}");
        issue(&mut conn, "taken", "incubator:sgmas", None, now());
        let error = tokens::issue(&mut conn, &request("taken", "admin", None), now())
            .expect_err("duplicate name");
        assert!(matches!(error, tokens::IssueError::DuplicateName(_)), "{error}");
        let yesterday = now().date() - TimeDelta::days(1);
        let error = tokens::issue(&mut conn, &request("late", "admin", Some(yesterday)), now())
            .expect_err("past expiry");
        assert!(matches!(error, tokens::IssueError::PastExpiry(_)), "{error}");

        let listed = Token::all(&mut conn).expect("list");
        assert_eq!(listed.len(), 1, "only the valid request stored a token: {listed:?}");
        assert_eq!(listed[0].scope().expect("a stored scope"), Scope::Incubator("sgmas".into()));
    }

    fn a_token_printed_by_the_cli_opens_the_write_api(db) {
        with_incubators(&mut db.pool.get().expect("connection"));
        let url = match &db.url {
            betadata::db::DatabaseUrl::Sqlite(url) | betadata::db::DatabaseUrl::Postgres(url) => url.clone(),
        };
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_betadata"))
            .args(["token", "create", "--name", "from-cli", "--scope", "incubator:sgmas"])
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run betadata");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        let token = stdout.trim_end();
        assert_eq!(stdout.lines().count(), 1, "the token alone: {stdout}");
        assert!(betadata::domain::tokens::looks_like_token(token), "{token}");

        let app = probe(db.state()).await;
        let reply = post(&app, "/write/startups/sgmas", Some(&bearer(token))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["token"], "from-cli");
    }
}
