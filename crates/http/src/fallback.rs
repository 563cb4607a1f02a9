//! JSON answers where actix would answer in plain text — malformed bodies, paths and
//! query strings, wrong methods — each in the dialect's envelope.

use std::marker::PhantomData;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{Method, header};
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, ResponseError, web};

use crate::BODY_LIMIT;
use crate::dialect::{BadInput, Dialect};

/// JSON bodies: size limit and refusals in `D`'s envelope.
pub fn json_config<D: Dialect>() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|err, _req| D::Error::from(BadInput::from_json(&err)).into())
}

/// Path segments: refusals in `D`'s envelope.
pub fn path_config<D: Dialect>() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| D::Error::from(BadInput::from_path(&err)).into())
}

/// Query strings: refusals in `D`'s envelope.
pub fn query_config<D: Dialect>() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| D::Error::from(BadInput::from_query(&err)).into())
}

fn route(req: &HttpRequest) -> String {
    format!("{} {}", req.method(), req.path())
}

/// No route matched.
pub async fn not_found<D: Dialect>(req: HttpRequest) -> HttpResponse {
    D::Error::from(BadInput::NotFound(route(&req))).error_response()
}

/// The route exists but not with this method: 405 in `D`'s envelope, with the
/// `Allow` header RFC 9110 requires (the methods the route takes).
fn method_not_allowed<D: Dialect>(req: &HttpRequest, allow: &str) -> HttpResponse {
    let mut response = D::Error::from(BadInput::MethodNotAllowed(route(req))).error_response();
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// One path of dialect `D` and the methods it takes. Unmatched methods answer 405
/// naming the others in `Allow`, and refused input answers 4xx, both in `D`'s
/// envelope. The methods are recorded as they are added, because a registered actix
/// route cannot be asked for its method afterwards.
pub struct Endpoint<D> {
    resource: Resource,
    methods: Vec<Method>,
    dialect: PhantomData<D>,
}

/// The endpoint at `path` in dialect `D`, taking no method yet.
pub fn resource<D: Dialect>(path: &str) -> Endpoint<D> {
    let resource =
        web::resource(path).app_data(json_config::<D>()).app_data(path_config::<D>()).app_data(query_config::<D>());
    Endpoint { resource, methods: Vec::new(), dialect: PhantomData }
}

impl<D: Dialect> Endpoint<D> {
    /// `method` is answered by `handler`.
    #[must_use]
    pub fn on<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self.resource.route(web::method(method.clone()).to(handler));
        self.methods.push(method);
        self
    }

    /// `GET` is answered by `handler`.
    #[must_use]
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::GET, handler)
    }

    /// `POST` is answered by `handler`.
    #[must_use]
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::POST, handler)
    }

    /// `PUT` is answered by `handler`.
    #[must_use]
    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::PUT, handler)
    }

    /// `PATCH` is answered by `handler`.
    #[must_use]
    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::PATCH, handler)
    }

    /// `DELETE` is answered by `handler`.
    #[must_use]
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::DELETE, handler)
    }

    /// The `Allow` header's value: the methods taken, in the order they were added.
    fn allow(&self) -> String {
        self.methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
    }
}

impl<D: Dialect> HttpServiceFactory for Endpoint<D> {
    fn register(self, config: &mut AppService) {
        let allow = self.allow();
        let refuse = move |req: HttpRequest| {
            let response = method_not_allowed::<D>(&req, &allow);
            async move { response }
        };
        self.resource.default_service(web::to(refuse)).register(config);
    }
}
