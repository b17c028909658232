//! Answers: WeChat's `{"errcode","errmsg"}` rejections and JSON responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A refusal with WeChat's errcode and a message naming what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reject {
    pub errcode: i64,
    pub errmsg: String,
}

impl Reject {
    pub(crate) fn new(errcode: i64, errmsg: impl Into<String>) -> Self {
        Reject {
            errcode,
            errmsg: errmsg.into(),
        }
    }

    /// 268490002 naming a field.
    pub(crate) fn field(field: &str, problem: impl std::fmt::Display) -> Self {
        Reject::new(
            crate::errcodes::INVALID_FIELD,
            format!("invalid request field `{field}`: {problem}"),
        )
    }

    pub(crate) fn body(&self) -> Value {
        json!({"errcode": self.errcode, "errmsg": self.errmsg})
    }
}

/// An HTTP answer with a JSON body.
#[derive(Debug, Clone)]
pub(crate) struct JsonAnswer {
    pub status: StatusCode,
    pub body: Value,
}

impl JsonAnswer {
    pub(crate) fn ok(body: Value) -> Self {
        JsonAnswer {
            status: StatusCode::OK,
            body,
        }
    }

    /// A success: `{"errcode":0,"errmsg":"ok", ...fields}`.
    pub(crate) fn success(fields: Map<String, Value>) -> Self {
        let mut m = Map::new();
        m.insert("errcode".into(), Value::from(0));
        m.insert("errmsg".into(), Value::from("ok"));
        m.extend(fields);
        JsonAnswer::ok(Value::Object(m))
    }

    pub(crate) fn errcode(&self) -> i64 {
        self.body
            .get("errcode")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }
}

impl From<Reject> for JsonAnswer {
    fn from(r: Reject) -> Self {
        JsonAnswer::ok(r.body())
    }
}

impl IntoResponse for JsonAnswer {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body.to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        resp
    }
}
