//! Authentication of writes: a handler that writes takes a [`Caller`], which only exists for a
//! request bearing an active token within its rate limit, and asks it whether its scope covers
//! what it writes.
//!
//! Tokens are never logged: the access log prints the request line, not its headers, and no
//! message here quotes the `Authorization` header, the token or its hash; token names may be.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::api::AppState;
use crate::api::http::error::{ApiError, NO_BEARER_TOKEN};
use crate::db::tokens::Token;
use crate::domain::tokens::{self as domain, BearerError, Validity};

/// What a token may write: everything, or one incubator's startups.
pub use crate::domain::tokens::Scope;

const MALFORMED: &str = "the Authorization header is malformed: expected `Bearer <token>`, \
     the token being what `betadata token create` printed";
const UNKNOWN_OR_REVOKED: &str = "the token is unknown or revoked";

/// Who is writing: the token's name (for the audit log) and what it may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub token_name: String,
    pub scope: Scope,
}

impl Caller {
    /// Ok when the caller may write data of a startup hosted by `incubator` (None: no
    /// incubator, admin only), else [`ApiError::Forbidden`].
    pub fn may_write_incubator(&self, incubator: Option<&str>) -> Result<(), ApiError> {
        let own = match &self.scope {
            Scope::Admin => return Ok(()),
            Scope::Incubator(own) => own,
        };
        match incubator {
            Some(id) if id == own => Ok(()),
            Some(id) => Err(ApiError::Forbidden(format!(
                "token `{}` writes only the startups of incubator `{own}`, not those of `{id}`",
                self.token_name
            ))),
            None => Err(ApiError::Forbidden(format!(
                "token `{}` writes only the startups of incubator `{own}`; a startup hosted by \
                 no incubator needs an admin token",
                self.token_name
            ))),
        }
    }

    /// Ok for admin tokens, else [`ApiError::Forbidden`] (incubators and organisations are
    /// admin-only).
    pub fn must_be_admin(&self) -> Result<(), ApiError> {
        match &self.scope {
            Scope::Admin => Ok(()),
            Scope::Incubator(own) => Err(ApiError::Forbidden(format!(
                "token `{}` writes only the startups of incubator `{own}`; this needs an admin \
                 token",
                self.token_name
            ))),
        }
    }
}

/// Reads `Authorization: Bearer <token>`, finds the active token with that hash and counts the
/// write against its rate limit: 401 without a usable token, 429 past the limit.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credentials = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|value| value.as_bytes().to_vec());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                ApiError::Internal("the application state is not registered".into())
            })?;
            let hash = match credentials.as_deref().map(domain::parse_bearer) {
                None | Some(Err(BearerError::NotBearer)) => {
                    return Err(ApiError::Unauthorized(NO_BEARER_TOKEN.into()));
                }
                Some(Err(BearerError::Malformed)) => {
                    return Err(ApiError::Unauthorized(MALFORMED.into()));
                }
                Some(Ok(token)) if !domain::looks_like_token(token) => {
                    return Err(ApiError::Unauthorized(MALFORMED.into()));
                }
                Some(Ok(token)) => domain::hash(token),
            };
            authenticate(&state, hash).await
        })
    }
}

/// The caller holding the token whose hash is `hash`, if it is active and within its limit.
async fn authenticate(state: &AppState, hash: String) -> Result<Caller, ApiError> {
    let now = chrono::Utc::now().naive_utc();
    let today = now.date();
    // Not `db`: recording the use writes, and a write must not start from a read's snapshot.
    let token = state
        .write(move |conn| {
            let token = Token::find_by_hash(conn, &hash)?;
            if let Some(token) = &token
                && domain::validity(token.expires_on, token.revoked_at, today) == Validity::Active
                && token.use_is_stale(now)
                && let Err(error) = Token::touch(conn, token.id, now)
            {
                // Recording the use is bookkeeping: it does not refuse the write.
                log::warn!("cannot record the use of token `{}`: {error}", token.name);
            }
            Ok(token)
        })
        .await?
        .ok_or_else(|| ApiError::Unauthorized(UNKNOWN_OR_REVOKED.into()))?;
    match domain::validity(token.expires_on, token.revoked_at, today) {
        Validity::Active => {}
        Validity::Revoked => return Err(ApiError::Unauthorized(UNKNOWN_OR_REVOKED.into())),
        Validity::Expired => {
            return Err(ApiError::Unauthorized(format!(
                "the token has expired: its last valid day was {} (UTC)",
                token.expires_on.map(|d| d.to_string()).unwrap_or_default()
            )));
        }
    }
    let scope = token.scope().map_err(|error| {
        ApiError::Internal(format!(
            "token `{}` has a bad stored scope: {error}",
            token.name
        ))
    })?;
    state
        .write_limit
        .check(&token.name)
        .map_err(|retry_after_seconds| ApiError::TooManyRequests {
            retry_after_seconds,
        })?;
    Ok(Caller {
        token_name: token.name,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(scope: Scope) -> Caller {
        Caller {
            token_name: "ci".into(),
            scope,
        }
    }

    fn is_forbidden(result: Result<(), ApiError>) -> bool {
        matches!(result, Err(ApiError::Forbidden(_)))
    }

    #[test]
    fn admins_write_everything() {
        let admin = caller(Scope::Admin);
        assert!(admin.may_write_incubator(Some("dinum")).is_ok());
        assert!(admin.may_write_incubator(None).is_ok());
        assert!(admin.must_be_admin().is_ok());
    }

    #[test]
    fn an_incubator_writes_only_its_own_startups() {
        let dinum = caller(Scope::Incubator("dinum".into()));
        assert!(dinum.may_write_incubator(Some("dinum")).is_ok());
        assert!(is_forbidden(dinum.may_write_incubator(Some("sgmas"))));
        assert!(is_forbidden(dinum.may_write_incubator(None)));
        assert!(is_forbidden(dinum.must_be_admin()));
        let Err(ApiError::Forbidden(detail)) = dinum.may_write_incubator(Some("sgmas")) else {
            unreachable!("checked above");
        };
        assert!(
            detail.contains("`dinum`") && detail.contains("`sgmas`"),
            "{detail}"
        );
    }
}
