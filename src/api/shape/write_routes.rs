//! The handlers of the generic writes, with their contract, written once.
//!
//! Every resource that is [`Writable`](super::writable::Writable) is created, replaced,
//! patched and deleted by the same generic functions; what differs between resources is only
//! the route, the tag, the types and the examples. Each macro here declares one such handler
//! and its `utoipa::path` from those few words, so the contract of a write (its parameters,
//! its 201/200/204, its 409 and 412, and [`WriteProblems`](super::write::WriteProblems)) is
//! written in one place for every resource.
//!
//! The module that calls a macro imports the route attribute it names (`post`, `put`,
//! `patch` or `delete` from `actix_web`): utoipa finds the route by that attribute's bare name.

/// `POST` on a collection: [`create`](super::writable::create), `201` with `Location`, `409`
/// when the id is taken.
macro_rules! create_route {
    (
        $(#[doc = $doc:tt])*
        $name:ident: $path:tt, $input:ident => $view:ident,
        tag = $tag:tt, idempotency_key = $key:tt $(,)?
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            request_body = $input,
            security(("bearer" = [])),
            params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body give the same answer, and write once", example = $key)),
            responses(
                (status = 201, description = "Created; `Location` says where", body = $view),
                (status = 409, description = "The id is taken", body = $crate::api::http::error::Problem, content_type = "application/problem+json"),
                $crate::api::shape::write::WriteProblems,
            )
        )]
        #[post($path)]
        pub async fn $name(
            req: ::actix_web::HttpRequest,
            state: ::actix_web::web::Data<$crate::api::http::state::AppState>,
            caller: $crate::api::http::auth::Caller,
            body: $crate::api::http::body::JsonBody<$input>,
        ) -> Result<::actix_web::HttpResponse, $crate::api::http::error::ApiError> {
            $crate::api::shape::writable::create(req, state, caller, body).await
        }
    };
}

/// `PUT` or `PATCH` on one resource: [`replace`](super::writable::replace) it whole with a
/// document, or [`update`](super::writable::update) it by a JSON Merge Patch. The two share
/// their parameters and answers; `$request_body`, `$body` and `$write` are what differs.
macro_rules! change_route {
    (
        $(#[doc = $doc:tt])*
        $method:ident $name:ident: $path:tt, $view:ident,
        tag = $tag:tt, resource = $resource:tt, id = ($id_title:tt, $id_example:tt),
        request_body = ($($request_body:tt)*), body = $body:ty, write = $($write:ident)::+ $(<$input:ident>)?
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            $($request_body)*,
            security(("bearer" = [])),
            params(
                ("id" = String, Path, description = $id_title, example = $id_example),
                ("If-Match" = Option<String>, Header, description = concat!("The ETag read: the write is refused (412) if the ", $resource, " changed since"), example = "\"5d41402abc4b2a76b9719d911017c592\""),
            ),
            responses(
                (status = 200, description = concat!("The ", $resource, " as it became"), body = $view),
                (status = 412, description = "Changed since the version `If-Match` names", body = $crate::api::http::error::Problem, content_type = "application/problem+json"),
                $crate::api::shape::write::WriteProblems,
            )
        )]
        #[$method($path)]
        pub async fn $name(
            req: ::actix_web::HttpRequest,
            state: ::actix_web::web::Data<$crate::api::http::state::AppState>,
            id: ::actix_web::web::Path<String>,
            caller: $crate::api::http::auth::Caller,
            body: $crate::api::http::body::JsonBody<$body>,
        ) -> Result<::actix_web::HttpResponse, $crate::api::http::error::ApiError> {
            $($write)::+ $(::<$input>)? (req, state, id, caller, body).await
        }
    };
}

/// `DELETE` on one resource: [`delete`](super::writable::delete) it, `204`; `in_use`, when
/// given, documents the `409` of a resource that others still name.
macro_rules! delete_route {
    (
        $(#[doc = $doc:tt])*
        $name:ident: $path:tt, $input:ident,
        tag = $tag:tt, resource = $resource:tt, id = ($id_title:tt, $id_example:tt)
        $(, in_use = $in_use:tt)? $(,)?
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            security(("bearer" = [])),
            params(
                ("id" = String, Path, description = $id_title, example = $id_example),
                ("If-Match" = Option<String>, Header, description = concat!("The ETag read: the write is refused (412) if the ", $resource, " changed since"), example = "\"5d41402abc4b2a76b9719d911017c592\""),
            ),
            responses(
                (status = 204, description = "Deleted"),
                $((status = 409, description = $in_use, body = $crate::api::http::error::Problem, content_type = "application/problem+json"),)?
                (status = 412, description = "Changed since the version `If-Match` names", body = $crate::api::http::error::Problem, content_type = "application/problem+json"),
                $crate::api::shape::write::WriteProblems,
            )
        )]
        #[delete($path)]
        pub async fn $name(
            req: ::actix_web::HttpRequest,
            state: ::actix_web::web::Data<$crate::api::http::state::AppState>,
            id: ::actix_web::web::Path<String>,
            caller: $crate::api::http::auth::Caller,
        ) -> Result<::actix_web::HttpResponse, $crate::api::http::error::ApiError> {
            $crate::api::shape::writable::delete::<$input>(req, state, id, caller).await
        }
    };
}

/// The write routes of one resource, its words given once: the types, tag, name, paths and
/// id, then each route with its doc comment (`create`, `replace`, `update`, `delete`, with
/// their own words: the idempotency key's example, the 409 of a deletion).
macro_rules! write_routes {
    (
        $input:ident => $view:ident, tag = $tag:tt, resource = $resource:tt,
        paths = ($collection:tt, $item:tt), id = ($id_title:tt, $id_example:tt);
        $($(#[doc = $doc:tt])* $action:ident $name:ident $(, $word:ident = $value:tt)*;)+
    ) => {
        $(
            $crate::api::shape::write_routes::write_routes!(@$action
                [$input, $view, $tag, $resource, $collection, $item, $id_title, $id_example]
                $(#[doc = $doc])* $name $(, $word = $value)*
            );
        )+
    };
    (@create [$input:ident, $view:ident, $tag:tt, $resource:tt, $collection:tt, $item:tt, $id_title:tt, $id_example:tt]
        $(#[doc = $doc:tt])* $name:ident, idempotency_key = $key:tt) => {
        $crate::api::shape::write_routes::create_route! {
            $(#[doc = $doc])*
            $name: $collection, $input => $view, tag = $tag, idempotency_key = $key
        }
    };
    (@replace [$input:ident, $view:ident, $tag:tt, $resource:tt, $collection:tt, $item:tt, $id_title:tt, $id_example:tt]
        $(#[doc = $doc:tt])* $name:ident) => {
        $crate::api::shape::write_routes::change_route! {
            $(#[doc = $doc])*
            put $name: $item, $view, tag = $tag, resource = $resource, id = ($id_title, $id_example),
            request_body = (request_body = $input), body = $input,
            write = $crate::api::shape::writable::replace
        }
    };
    (@update [$input:ident, $view:ident, $tag:tt, $resource:tt, $collection:tt, $item:tt, $id_title:tt, $id_example:tt]
        $(#[doc = $doc:tt])* $name:ident) => {
        $crate::api::shape::write_routes::change_route! {
            $(#[doc = $doc])*
            patch $name: $item, $view, tag = $tag, resource = $resource, id = ($id_title, $id_example),
            request_body = (request_body(content = Object, content_type = "application/merge-patch+json", description = concat!("The attributes to change, as in ", stringify!($input)))),
            body = ::serde_json::Value,
            write = $crate::api::shape::writable::update<$input>
        }
    };
    (@delete [$input:ident, $view:ident, $tag:tt, $resource:tt, $collection:tt, $item:tt, $id_title:tt, $id_example:tt]
        $(#[doc = $doc:tt])* $name:ident $(, in_use = $in_use:tt)?) => {
        $crate::api::shape::write_routes::delete_route! {
            $(#[doc = $doc])*
            $name: $item, $input, tag = $tag, resource = $resource, id = ($id_title, $id_example)
            $(, in_use = $in_use)?
        }
    };
}

pub(crate) use {change_route, create_route, delete_route, write_routes};
