//! Credentials in, a signed-in API client out, with a short memory of
//! recent successes: SFTP clients open several connections and WebDAV
//! clients send the password with every request, while each Login costs
//! the manager an Argon2 check.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cordvault_client::{Client, from_status};
use cordvault_core::{Error, Result};
use cordvault_proto::worker::v1::GatewayLoginRequest;
use cordvault_proto::worker::v1::worker_link_service_client::WorkerLinkServiceClient;
use ring::hmac;
use tonic::transport::Channel;

/// How long a successful login is remembered.
const REMEMBER_FOR: Duration = Duration::from_secs(5 * 60);
/// At most this many remembered logins; beyond it the oldest are forgotten.
const MAX_REMEMBERED: usize = 10_000;

/// Signs users in against the manager.
pub struct Logins {
    /// The manager's address: each signed-in user gets a connection of
    /// their own (see [`Logins::signed_in`]).
    endpoint: String,
    manager: Client,
    /// For SSH-key logins: the manager's internal API and its service
    /// password, which vouch that the gateway checked the key.
    key_logins: Option<(WorkerLinkServiceClient<Channel>, String)>,
    /// Keys the memory, so that it holds no password and no hash an
    /// attacker could test guesses against offline.
    key: hmac::Key,
    remembered: Mutex<HashMap<Vec<u8>, Remembered>>,
}

struct Remembered {
    client: Client,
    until: Instant,
}

impl Logins {
    /// Signs users in at the manager at `endpoint`, connecting on first use.
    pub fn new(endpoint: &str) -> Result<Self> {
        let manager = Client::connect_lazy(endpoint)?;
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system's random source works");
        Ok(Self {
            endpoint: endpoint.to_owned(),
            manager,
            key_logins: None,
            key,
            remembered: Mutex::new(HashMap::new()),
        })
    }

    /// A client acting with `token`, on a connection of its own: HTTP/2
    /// shares one flow-control window among a connection's streams, so a
    /// file one user opened and stopped reading would, on a shared
    /// connection, stall every other user's calls.
    fn signed_in(&self, token: String) -> Result<Client> {
        Ok(Client::connect_lazy(&self.endpoint)?.with_token(token))
    }

    /// Also signs users in by SSH key, vouched for with the manager's
    /// `service_password`.
    pub fn with_key_logins(mut self, service_password: String) -> Result<Self> {
        let endpoint = &self.endpoint;
        let channel = Channel::from_shared(endpoint.clone())
            .map_err(|err| Error::invalid_argument(format!("bad manager address {endpoint:?}: {err}")))?
            .connect_lazy();
        self.key_logins = Some((WorkerLinkServiceClient::new(channel), service_password));
        Ok(self)
    }

    /// Whether SSH-key logins are possible at all.
    pub fn takes_keys(&self) -> bool {
        self.key_logins.is_some()
    }

    /// A client acting as `username`, whose registered SSH public key
    /// `public_key` (OpenSSH text) the caller saw the client prove it holds.
    pub async fn with_ssh_key(&self, username: &str, public_key: &str) -> Result<Client> {
        let Some((internal, service_password)) = &self.key_logins else {
            return Err(Error::permission_denied("this gateway takes passwords only"));
        };
        let memo = self.memo_key(username, &format!("ssh-key {public_key}"));
        if let Some(client) = self.recall(&memo) {
            return Ok(client);
        }
        let request = GatewayLoginRequest {
            service_password: service_password.clone(),
            username: username.to_owned(),
            public_key: public_key.to_owned(),
        };
        let login = internal.clone().gateway_login(request).await.map_err(from_status)?.into_inner();
        let client = self.signed_in(login.token)?;
        self.remember(memo, client.clone());
        Ok(client)
    }

    /// A client acting as `username`, signed in with a password or an app
    /// password. A wrong password is the manager's error, unchanged.
    pub async fn with_password(&self, username: &str, password: &str) -> Result<Client> {
        let memo = self.memo_key(username, password);
        if let Some(client) = self.recall(&memo) {
            return Ok(client);
        }
        let login = self.manager.login(username, password).await?;
        let client = self.signed_in(login.token)?;
        self.remember(memo, client.clone());
        Ok(client)
    }

    fn memo_key(&self, username: &str, password: &str) -> Vec<u8> {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(&(username.len() as u64).to_le_bytes());
        context.update(username.as_bytes());
        context.update(password.as_bytes());
        context.sign().as_ref().to_vec()
    }

    fn recall(&self, memo: &[u8]) -> Option<Client> {
        let remembered = self.remembered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        remembered.get(memo).filter(|entry| entry.until > Instant::now()).map(|entry| entry.client.clone())
    }

    fn remember(&self, memo: Vec<u8>, client: Client) {
        let mut remembered = self.remembered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if remembered.len() >= MAX_REMEMBERED {
            remembered.retain(|_, entry| entry.until > now);
        }
        if remembered.len() >= MAX_REMEMBERED {
            remembered.clear();
        }
        remembered.insert(memo, Remembered { client, until: now + REMEMBER_FOR });
    }
}
