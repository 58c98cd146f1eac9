//! `cordvault peer`: the bot, the SFTP server and the shell of peer mode,
//! wired from the command line. The work itself is in `cordvault-peer`.

mod display;
mod progress;
mod shell;
mod words;

use std::io::IsTerminal as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cordvault_peer::advert::MAX_INSTANCE_LEN;
use cordvault_peer::node::ShareOptions;
use cordvault_peer::upnp::UpnpOptions;
use cordvault_peer::{
    AdvertChannel, ChannelChoice, Endpoint, GetOptions, Identity, Peer, PeerError, PeerNode, PeerOptions, PeerSession,
    PeerTable, PinStore, unix_now,
};
use cordvault_store::DiscordApi;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::cli::peer::{PeerArgs, PeerCommand, PeerGetArgs, PeerOptions as Options};

/// The original tool's token file, in the home directory.
const TOKEN_FILE: &str = ".discordsftptoken";
/// How long `peer get` waits for the peer to appear and to let it in.
const GET_PATIENCE: Duration = Duration::from_secs(30);

pub async fn run(args: PeerArgs) -> Result<()> {
    let mut signals = ExitSignals::listen()?;
    let options = &args.options;
    init_logging(options, args.command.as_ref())?;
    let config_dir = config_dir(options)?;
    let identity = Identity::load_or_create(&config_dir)?;
    let api = DiscordApi::new(&[read_token(options)?], std::env::var("DISCORD_API_BASE").ok())?;
    let choice = match options.channel_id {
        Some(id) => ChannelChoice::Id(id),
        None => ChannelChoice::Name(options.channel.clone()),
    };
    let channel = AdvertChannel::open(Arc::new(api), &choice).await?;
    check_message_content_intent(&channel).await?;
    tracing::info!(channel = channel.label(), "channel found");
    match args.command {
        Some(PeerCommand::List) => list(&identity, &channel).await,
        Some(PeerCommand::Get(get)) => get_once(identity, channel, options, get, &mut signals).await,
        Some(PeerCommand::Serve) => {
            let node = start(identity, channel, options).await?;
            describe(&node);
            signals.next().await;
            node.shutdown().await;
            Ok(())
        }
        None => {
            let node = start(identity, channel, options).await?;
            describe(&node);
            shell::run(node, &config_dir, signals).await
        }
    }
}

/// Without the message-content intent the bot reads every other peer's
/// advert as an empty message: say so now rather than find no one.
async fn check_message_content_intent(channel: &AdvertChannel) -> Result<()> {
    if channel.has_message_content_intent().await == Some(false) {
        bail!(
            "the bot cannot read other peers' adverts: it lacks the Message Content intent. Enable it at \
             https://discord.com/developers/applications → your bot → Bot → Privileged Gateway Intents → \
             Message Content Intent, then start again"
        );
    }
    Ok(())
}

async fn start(identity: Identity, channel: AdvertChannel, options: &Options) -> Result<PeerNode> {
    let share = if options.client_only { None } else { Some(share_options(options)?) };
    let mut peer_options = PeerOptions::new(instance_name(options)?, share);
    peer_options.allow = options.allow.clone();
    Ok(PeerNode::start(identity, channel, peer_options).await?)
}

/// What this peer is, on stderr: the channel, the share, the fingerprint.
fn describe(node: &PeerNode) {
    let fingerprint = node.identity().host_key.fingerprint();
    eprintln!("cordvault peer {} in {}", node.instance(), node.channel().label());
    match (node.local_addr(), node.endpoint()) {
        (Some(local), Some(endpoint)) => {
            eprintln!("sharing over SFTP on {local}, announced as {}:{}", endpoint.address, endpoint.port);
            eprintln!("host key {fingerprint}");
        }
        _ => eprintln!("client only: nothing is shared"),
    }
}

fn share_options(options: &Options) -> Result<ShareOptions> {
    let folder = match &options.folder {
        Some(folder) => folder.clone(),
        None => {
            let cwd = std::env::current_dir().context("the current directory")?;
            // The original shared wherever it was started, $HOME included.
            if cwd == Path::new("/") || dirs::home_dir().is_some_and(|home| home == cwd) {
                bail!(
                    "refusing to share {} as a whole: start in the folder to share, or name it with --folder",
                    cwd.display()
                );
            }
            cwd
        }
    };
    let advertise = options.advertise_address.as_deref().map(|text| parse_endpoint(text, options.port)).transpose()?;
    Ok(ShareOptions {
        folder,
        bind: (options.bind, options.port).into(),
        advertise,
        writable: options.writable,
        dotfiles: options.dotfiles,
        upnp: options.upnp.then(UpnpOptions::default),
    })
}

/// `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`.
fn parse_endpoint(text: &str, default_port: u16) -> Result<Endpoint> {
    let invalid = || anyhow::anyhow!("--advertise-address {text:?}: expected HOST, HOST:PORT or [IPv6]:PORT");
    let (address, port) = if let Some(rest) = text.strip_prefix('[') {
        let (address, after) = rest.split_once(']').ok_or_else(invalid)?;
        match after.strip_prefix(':') {
            Some(port) => (address, port.parse().map_err(|_| invalid())?),
            None if after.is_empty() => (address, default_port),
            None => return Err(invalid()),
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, port.parse().map_err(|_| invalid())?),
            // Several colons: a bare IPv6 address.
            _ => (text, default_port),
        }
    };
    let endpoint = Endpoint { address: address.to_owned(), port };
    // The advert's own rules decide what is a usable address.
    endpoint.check().map_err(|err| anyhow::anyhow!("--advertise-address {text:?}: {err}"))?;
    Ok(endpoint)
}

/// `--instance`, or USER@HOST with anything an instance name cannot hold
/// replaced by `-`.
fn instance_name(options: &Options) -> Result<String> {
    if let Some(instance) = &options.instance {
        if !cordvault_peer::advert::is_valid_instance(instance) {
            bail!(
                "--instance {instance:?}: use 1-{MAX_INSTANCE_LEN} letters, digits and . _ @ - (it is shown to every peer)"
            );
        }
        return Ok(instance.clone());
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "user".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_else(|_| "localhost".into());
    let name: String = format!("{user}@{}", host.trim())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._@-".contains(c) { c } else { '-' })
        .take(MAX_INSTANCE_LEN)
        .collect();
    Ok(name)
}

fn config_dir(options: &Options) -> Result<PathBuf> {
    match &options.config_dir {
        Some(dir) => Ok(dir.clone()),
        None => {
            Ok(dirs::config_dir().context("no config directory; pass --config-dir")?.join("cordvault").join("peer"))
        }
    }
}

/// `DISCORD_BOT_TOKEN`, unless `--token-file` is given; else ~/.discordsftptoken.
fn read_token(options: &Options) -> Result<String> {
    if options.token_file.is_none()
        && let Ok(token) = std::env::var("DISCORD_BOT_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_owned());
    }
    let path = match &options.token_file {
        Some(path) => path.clone(),
        None => dirs::home_dir().context("no home directory; pass --token-file")?.join(TOKEN_FILE),
    };
    let token = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the bot token from {} (or set DISCORD_BOT_TOKEN)", path.display()))?;
    if let Ok(metadata) = std::fs::metadata(&path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the token file is readable by other users; chmod 600 it");
    }
    let token = token.trim();
    if token.is_empty() {
        bail!("{} is empty: it should hold the bot token", path.display());
    }
    Ok(token.to_owned())
}

/// Logs to `--log-file` or stderr. On stderr, the shell logs only errors
/// (it shows warnings itself) and one-shot commands only warnings.
fn init_logging(options: &Options, command: Option<&PeerCommand>) -> Result<()> {
    let level = match (options.debug, command, &options.log_file) {
        (true, _, _) => "debug",
        (false, _, Some(_)) | (false, Some(PeerCommand::Serve), None) => "info",
        (false, None, None) => "error",
        (false, Some(_), None) => "warn",
    };
    // Other crates' chatter (russh, hyper) only when debugging.
    let filter =
        if options.debug { level.to_owned() } else { format!("warn,cordvault={level},cordvault_peer={level}") };
    let builder = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter));
    match &options.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening the log file {}", path.display()))?;
            builder.with_ansi(false).with_writer(std::sync::Mutex::new(file)).init();
        }
        None => builder.with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr).init(),
    }
    Ok(())
}

/// Ctrl-C and SIGTERM, listened to from the very start: one that arrives
/// while the peer is still starting is kept, and leads to a clean exit
/// (advert deleted) once it has started.
pub struct ExitSignals {
    interrupt: Signal,
    terminate: Signal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitSignal {
    Interrupt,
    Terminate,
}

impl ExitSignals {
    fn listen() -> Result<ExitSignals> {
        Ok(ExitSignals {
            interrupt: signal(SignalKind::interrupt()).context("listening for Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
        })
    }

    pub async fn next(&mut self) -> ExitSignal {
        tokio::select! {
            _ = self.interrupt.recv() => ExitSignal::Interrupt,
            _ = self.terminate.recv() => ExitSignal::Terminate,
        }
    }
}

/// `peer list`: one channel read, no advert of our own.
async fn list(identity: &Identity, channel: &AdvertChannel) -> Result<()> {
    let mut table = PeerTable::new(PinStore::in_dir(identity.config_dir())?);
    let now = unix_now();
    let report = table.replace(channel.recent().await?, now);
    for peer in table.peers(now) {
        println!("{}", display::peer_line(&peer, now));
    }
    for warning in table.warnings(now) {
        eprintln!("warning: {warning}");
    }
    tracing::info!(skipped = report.skipped(), "adverts read");
    Ok(())
}

/// `peer get PEER:/path [LOCAL]`: announces a client-only advert (so the
/// peer lets our key in), downloads, and withdraws the advert.
async fn get_once(
    identity: Identity,
    channel: AdvertChannel,
    options: &Options,
    args: PeerGetArgs,
    signals: &mut ExitSignals,
) -> Result<()> {
    let Some((peer_name, remote)) = args.source.split_once(':') else {
        bail!("{:?}: expected PEER:/path", args.source);
    };
    let remote = if remote.is_empty() { "/" } else { remote };
    let mut instance = instance_name(options)?;
    instance.truncate(MAX_INSTANCE_LEN - ".get".len());
    let client_key = identity.client_key().clone();
    let node = PeerNode::start(identity, channel, PeerOptions::new(format!("{instance}.get"), None)).await?;
    let work = async {
        let peer = wait_for_peer(&node, peer_name).await?;
        let session = connect_patiently(&peer, &client_key).await?;
        let get = GetOptions { recursive: args.recursive, force: args.force };
        let progress = progress::Bars::new();
        let report = session.get(remote, args.local.as_deref(), get, &progress).await;
        session.close().await;
        let report = report?;
        display::print_get_report(&report);
        if !report.failed.is_empty() || !report.skipped_existing.is_empty() {
            bail!("{} failed, {} skipped", report.failed.len(), report.skipped_existing.len());
        }
        Ok(())
    };
    let result = tokio::select! {
        result = work => result,
        _ = signals.next() => Err(anyhow::anyhow!("interrupted; run the same get again to resume")),
    };
    node.shutdown().await;
    result
}

async fn wait_for_peer(node: &PeerNode, name: &str) -> Result<Peer> {
    let deadline = tokio::time::Instant::now() + GET_PATIENCE;
    loop {
        match node.peer(name) {
            Ok(peer) => return Ok(peer),
            Err(err) if tokio::time::Instant::now() >= deadline => return Err(err.into()),
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                node.refresh().await?;
            }
        }
    }
}

/// The peer learns our client key from our advert on its next channel
/// read (which our first attempt hastens): retry a refused login a while.
async fn connect_patiently(peer: &Peer, client_key: &cordvault_sftp::PrivateKey) -> Result<PeerSession> {
    let deadline = tokio::time::Instant::now() + GET_PATIENCE;
    loop {
        match PeerSession::connect(peer, client_key).await {
            Ok(session) => return Ok(session),
            Err(PeerError::Sftp(cordvault_sftp::SftpError::AuthRejected { .. }))
                if tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_endpoint;

    #[test]
    fn advertise_addresses() {
        let parsed = |text| parse_endpoint(text, 2200).map(|endpoint| (endpoint.address, endpoint.port));
        assert_eq!(parsed("203.0.113.5").unwrap(), ("203.0.113.5".into(), 2200));
        assert_eq!(parsed("peer.example.org:2222").unwrap(), ("peer.example.org".into(), 2222));
        assert_eq!(parsed("[2001:db8::1]:2222").unwrap(), ("2001:db8::1".into(), 2222));
        assert_eq!(parsed("2001:db8::1").unwrap(), ("2001:db8::1".into(), 2200));
        for bad in ["host:notaport", "[::1", "0.0.0.0", "host:0", "bad host", "[::1]x"] {
            assert!(parsed(bad).is_err(), "{bad}");
        }
    }
}
