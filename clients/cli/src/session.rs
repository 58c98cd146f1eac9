//! Which server and token a command uses, and the connection to it.

use anyhow::{Context, Result};
use cordvault_client::Client;

use crate::cli::GlobalArgs;
use crate::credentials::{self, SavedCredentials};

const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Where the token in use came from; decides whether a new one is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    None,
    CommandLine,
    Saved,
}

pub struct Session {
    pub client: Client,
    pub server: String,
    pub token_origin: TokenOrigin,
}

impl Session {
    /// Connects to `--server`, else the saved server, else the default, with
    /// `--token`, else the token saved for that server.
    pub async fn open(global: &GlobalArgs) -> Result<Session> {
        let saved = credentials::load()?;
        let server = match (&global.server, &saved) {
            (Some(server), _) => canonical_server(server),
            (None, Some(saved)) => canonical_server(&saved.server),
            (None, None) => DEFAULT_SERVER.to_owned(),
        };
        // A token is only good on the server that issued it.
        let saved_token = saved.filter(|saved| canonical_server(&saved.server) == server).map(|saved| saved.token);
        let (token, token_origin) = match (&global.token, saved_token) {
            (Some(token), _) => (Some(token.clone()), TokenOrigin::CommandLine),
            (None, Some(token)) => (Some(token), TokenOrigin::Saved),
            (None, None) => (None, TokenOrigin::None),
        };
        let client = Client::connect(&server).await.with_context(|| format!("cannot connect to {server}"))?;
        let client = match token {
            Some(token) => client.with_token(token),
            None => client,
        };
        Ok(Session { client, server, token_origin })
    }

    pub fn save_token(&self, token: &str) -> Result<std::path::PathBuf> {
        credentials::save(&SavedCredentials { server: self.server.clone(), token: token.to_owned() })
    }
}

/// "http://host:1/" and "http://host:1" are the same server.
fn canonical_server(server: &str) -> String {
    server.trim().trim_end_matches('/').to_owned()
}
