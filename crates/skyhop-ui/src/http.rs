//! Requests in, responses out: the token check, the routes and the response headers.

use std::io::Read;

use tiny_http::{Header, Method, Request, Response};

use crate::State;
use crate::{jobs, pages, reports};

/// A response before it is sent.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub location: Option<String>,
}

impl Reply {
    pub fn html(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            location: None,
        }
    }

    pub fn json(value: &serde_json::Value) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
            location: None,
        }
    }

    pub fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.as_bytes().to_vec(),
            location: None,
        }
    }

    /// 303 See Other: after a POST, the browser GETs `location`.
    pub fn redirect(location: String) -> Reply {
        Reply {
            status: 303,
            content_type: "text/plain; charset=utf-8",
            body: Vec::new(),
            location: Some(location),
        }
    }
}

/// The decoded query or form fields.
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(s: &str) -> Fields {
        Fields(form_urlencoded::parse(s.as_bytes()).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A POST body is small form data; anything past this is refused.
const MAX_BODY: u64 = 64 * 1024;

pub(crate) fn handle(state: &State, mut request: Request) {
    let (path, query) = match request.url().split_once('?') {
        Some((p, q)) => (p.to_string(), Fields::parse(q)),
        None => (request.url().to_string(), Fields::parse("")),
    };
    let reply = if !query.get("token").is_some_and(|t| same(t, &state.token)) {
        Reply::text(
            403,
            "403 forbidden: this page needs the token of the running `skyhop ui`; open the URL it printed",
        )
    } else {
        let method = request.method().clone();
        let mut body = String::new();
        let read = if method == Method::Post {
            request
                .as_reader()
                .take(MAX_BODY)
                .read_to_string(&mut body)
                .is_ok()
        } else {
            true
        };
        if read {
            route(state, &method, &path, &Fields::parse(&body))
        } else {
            Reply::text(400, "400: the form data is not UTF-8")
        }
    };
    send(request, reply);
}

fn route(state: &State, method: &Method, path: &str, form: &Fields) -> Reply {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = *method == Method::Get || *method == Method::Head;
    let post = *method == Method::Post;
    match (segments.as_slice(), get, post) {
        ([""], true, _) => pages::index(state),
        (["deployments", name], true, _) => pages::deployment(state, name),
        (["deployments", name, "rollback", id], true, _) => pages::rollback_form(state, name, id),
        (["deployments", name, "rollback", id], _, true) => {
            pages::rollback_start(state, name, id, form)
        }
        (["deployments", name, "deploy"], _, true) => pages::deploy_start(state, name, form),
        (["jobs", id], true, _) => pages::job(state, id),
        (["jobs", id, "events"], true, _) => jobs::events(state, id),
        (["reports", dir, "report.html"], true, _) => reports::serve(state, dir),
        ([""] | ["deployments", ..] | ["jobs", ..] | ["reports", _, "report.html"], _, _) => {
            Reply::text(405, "405: method not allowed")
        }
        _ => pages::not_found(state, path),
    }
}

fn send(request: Request, reply: Reply) {
    let mut response = Response::from_data(reply.body).with_status_code(reply.status);
    let mut headers = vec![
        ("Content-Type", reply.content_type.to_string()),
        // The token is in the URL: never hand it to another site, never keep it in a cache.
        ("Referrer-Policy", "no-referrer".to_string()),
        ("Cache-Control", "no-store".to_string()),
        ("X-Content-Type-Options", "nosniff".to_string()),
        ("X-Frame-Options", "DENY".to_string()),
    ];
    if let Some(l) = reply.location {
        headers.push(("Location", l));
    }
    for (k, v) in headers {
        if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}
