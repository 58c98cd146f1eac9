-- SSH public keys that log their user in to the SFTP gateway. A key
-- belongs to one account only.
CREATE TABLE ssh_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- "SHA256:" and unpadded base64, as `ssh-keygen -l` prints it.
    fingerprint TEXT NOT NULL UNIQUE,
    -- The key's type, e.g. "ssh-ed25519".
    algorithm TEXT NOT NULL,
    -- The key as one OpenSSH line without its comment: "ssh-ed25519 AAAA...".
    public_key TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX ssh_keys_user ON ssh_keys (user_id);

-- App passwords: random secrets Login takes in place of the account
-- password. Only a SHA-256 of the secret is kept: the secret is long and
-- random, so no slow hash is needed, and clients that send it with every
-- request (WebDAV) stay fast.
CREATE TABLE app_passwords (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    -- Lower-case hex SHA-256 of the secret.
    secret_sha256 TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_used_at_ms BIGINT
);
CREATE INDEX app_passwords_user ON app_passwords (user_id);
