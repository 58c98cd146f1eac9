//! Who may log in, and which tree each login sees.

use std::future::Future;
use std::sync::Arc;

use russh::keys::PublicKey;

use crate::auth::Authorizer;
use crate::fs::SftpFileSystem;

/// Decides logins and hands each one its tree. A gateway in front of a
/// multi-user store gives every user their own view; a shared folder gives
/// everyone the same one ([`SharedTree`]).
pub trait Gatekeeper: Send + Sync + 'static {
    /// The tree a login sees.
    type Fs: SftpFileSystem;

    /// Whether password logins are offered at all. When false, clients are
    /// told that only public keys work.
    fn accepts_passwords(&self) -> bool {
        false
    }

    /// Asked before the client proves it holds `key`: a cheap "would you
    /// let this key in?" that spares a signature for keys refused anyway.
    fn key_offered(&self, user: &str, key: &PublicKey) -> impl Future<Output = bool> + Send;

    /// The client proved it holds `key`: its tree, or `None` to refuse.
    fn key_login(&self, user: &str, key: &PublicKey) -> impl Future<Output = Option<Arc<Self::Fs>>> + Send;

    /// A password login: its tree, or `None` to refuse. Only called when
    /// [`accepts_passwords`](Self::accepts_passwords) is true.
    fn password_login(&self, _user: &str, _password: &str) -> impl Future<Output = Option<Arc<Self::Fs>>> + Send {
        async { None }
    }
}

/// One tree for every client whose key the [`Authorizer`] lets in: a
/// shared folder, as peer mode serves it.
pub struct SharedTree<F> {
    fs: Arc<F>,
    authorizer: Box<dyn Authorizer>,
}

impl<F: SftpFileSystem> SharedTree<F> {
    pub fn new(fs: F, authorizer: impl Authorizer) -> Self {
        Self { fs: Arc::new(fs), authorizer: Box::new(authorizer) }
    }
}

impl<F: SftpFileSystem> Gatekeeper for SharedTree<F> {
    type Fs = F;

    async fn key_offered(&self, user: &str, key: &PublicKey) -> bool {
        self.authorizer.allowed(user, key)
    }

    /// Asks the authoriser again: it may have changed its mind since the offer.
    async fn key_login(&self, user: &str, key: &PublicKey) -> Option<Arc<F>> {
        self.authorizer.allowed(user, key).then(|| Arc::clone(&self.fs))
    }
}
