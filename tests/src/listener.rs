//! A stand-in for CloudFormation's pre-signed ResponseURL: a wiremock server on 127.0.0.1 that answers 200 and keeps
//! what it received.

use anyhow::{Context, Result};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One HTTP request as the listener received it.
#[derive(Debug)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    /// Header names lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A listener that answers every PUT with 200.
pub struct ResponseUrl {
    server: MockServer,
}

impl ResponseUrl {
    pub async fn start() -> ResponseUrl {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        ResponseUrl { server }
    }

    /// A pre-signed-looking URL on the listener.
    pub fn url(&self) -> String {
        format!(
            "{}/cloudformation-response/some-stack?X-Amz-Signature=abc",
            self.server.uri()
        )
    }

    /// The one request it received.
    pub async fn only_request(&self) -> Result<ReceivedRequest> {
        let requests = self
            .server
            .received_requests()
            .await
            .context("request recording is on")?;
        anyhow::ensure!(requests.len() == 1, "expected one request, got {}", requests.len());
        let r = &requests[0];
        Ok(ReceivedRequest {
            method: r.method.to_string(),
            path: match r.url.query() {
                Some(q) => format!("{}?{q}", r.url.path()),
                None => r.url.path().to_owned(),
            },
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: r.body.clone(),
        })
    }
}
