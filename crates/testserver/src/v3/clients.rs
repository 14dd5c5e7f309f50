//! OAuth clients: `/v3/oauth2/clients` (list, create) and `/v3/oauth2/clients/{id}` (get,
//! update, soft delete), for the owner authenticated by `X-Tapis-Token`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::caller::require_user;
use crate::faults::guarded;
use crate::schema::{self, Fields};
use crate::state::{App, V3Client};
use crate::util::{self, v3_err, v3_ok};

/// `GET /v3/oauth2/clients`.
pub async fn list_clients(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    guarded(&app, "v3.clients", None, async {
        let (user, _) = match require_user(&app, &headers) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let inactive = q.get("show_inactive").is_some_and(|v| !v.is_empty());
        let st = app.st();
        let mut list: Vec<&V3Client> = st
            .v3_clients
            .values()
            .filter(|c| c.owner == user && (c.active || inactive))
            .collect();
        list.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        let out: Vec<Value> = list.iter().map(|c| c.to_json(&app.tenant_id)).collect();
        v3_ok(json!(out), "Clients retrieved successfully.")
    })
    .await
}

/// `POST /v3/oauth2/clients` (JSON `NewClient`).
pub async fn create_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    guarded(&app, "v3.clients", None, async {
        let (user, _) = match require_user(&app, &headers) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let f = if body.is_empty() {
            Fields::new()
        } else {
            match schema::validate(&body, &schema::NEW_CLIENT, "POST") {
                Ok(f) => f,
                Err(r) => return r,
            }
        };
        let id = f
            .get("client_id")
            .cloned()
            .unwrap_or_else(|| util::random_from(util::ALNUM, 13));
        let key = f
            .get("client_key")
            .cloned()
            .unwrap_or_else(|| util::random_from(util::ALNUM, 13));
        for (field, max) in [
            ("client_id", 80),
            ("client_key", 80),
            ("callback_url", 200),
            ("display_name", 50),
            ("description", 70),
        ] {
            if f.get(field).is_some_and(|v| v.chars().count() > max) {
                return v3_err(400, &format!("Invalid POST data; {field} is too long (maximum {max} characters)."));
            }
        }
        let mut st = app.st();
        if st.v3_clients.contains_key(&id) {
            return v3_err(400, &format!("Invalid POST data; This change would violate uniqueness constraints. Details: duplicate key value violates unique constraint \"clients_client_id_key\" DETAIL: Key (client_id)=({id}) already exists."));
        }
        let now = util::now();
        let c = V3Client {
            client_id: id.clone(),
            client_key: key,
            owner: user,
            callback_url: f.get("callback_url").cloned().unwrap_or_default(),
            display_name: f
                .get("display_name")
                .cloned()
                .unwrap_or_else(|| id.chars().take(50).collect()),
            description: f.get("description").cloned().unwrap_or_default(),
            active: true,
            create_time: now,
            last_update_time: now,
        };
        let out = c.to_json(&app.tenant_id);
        st.v3_clients.insert(id, c);
        v3_ok(out, "Client created successfully.")
    })
    .await
}

fn owned_client(app: &App, headers: &HeaderMap, id: &str) -> Result<V3Client, Response> {
    let (user, _) = require_user(app, headers)?;
    let st = app.st();
    let c = st
        .v3_clients
        .get(id)
        .ok_or_else(|| v3_err(400, &format!("No client found with id {id}.")))?;
    if c.owner != user {
        return Err(v3_err(400, "Not authorized for this client."));
    }
    Ok(c.clone())
}

/// `GET /v3/oauth2/clients/{id}`.
pub async fn get_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, "v3.client", None, async {
        match owned_client(&app, &headers, &id) {
            Ok(c) => v3_ok(
                c.to_json(&app.tenant_id),
                "Client object retrieved successfully.",
            ),
            Err(r) => r,
        }
    })
    .await
}

/// `DELETE /v3/oauth2/clients/{id}` (soft delete).
pub async fn delete_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, "v3.client", None, async {
        if let Err(r) = owned_client(&app, &headers, &id) {
            return r;
        }
        let mut st = app.st();
        let Some(c) = st.v3_clients.get_mut(&id) else {
            return v3_err(400, &format!("No client found with id {id}."));
        };
        c.active = false;
        c.last_update_time = util::now();
        v3_ok(
            c.to_json(&app.tenant_id),
            "Client status updated to inactive successfully",
        )
    })
    .await
}

/// `PUT /v3/oauth2/clients/{id}` (JSON `UpdateClient`): changes `callback_url` and
/// `display_name`. As the real server: asking to change the id, key or description is refused
/// before the client is even looked up, then ownership, then the schema.
pub async fn update_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    guarded(&app, "v3.client", None, async {
        if let Err(r) = require_user(&app, &headers) {
            return r;
        }
        let json = serde_json::from_slice::<Value>(&body).ok();
        let Some(obj) = json.as_ref().and_then(Value::as_object) else {
            return v3_err(
                500,
                "Unrecognized exception type: <class 'werkzeug.exceptions.UnsupportedMediaType'>. Exception: 415 Unsupported Media Type: Did not attempt to load JSON data because the request Content-Type was not 'application/json'.",
            );
        };
        for (field, what) in [
            ("client_id", "client_id"),
            ("client_key", "client_key"),
            ("description", "description"),
        ] {
            if obj.contains_key(field) {
                return v3_err(
                    400,
                    &format!("Changing {what} not currently supported."),
                );
            }
        }
        if let Err(r) = owned_client(&app, &headers, &id) {
            return r;
        }
        let f = match schema::validate(&body, &schema::UPDATE_CLIENT, "PUT") {
            Ok(f) => f,
            Err(r) => return r,
        };
        let mut st = app.st();
        let Some(c) = st.v3_clients.get_mut(&id) else {
            return v3_err(400, &format!("No client found with id {id}."));
        };
        if let Some(u) = f.get("callback_url") {
            c.callback_url = u.clone();
        }
        if let Some(n) = f.get("display_name") {
            c.display_name = n.clone();
        }
        c.last_update_time = util::now();
        v3_ok(c.to_json(&app.tenant_id), "Client updated successfully")
    })
    .await
}
