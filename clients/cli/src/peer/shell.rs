//! The interactive shell of `cordvault peer`: the original's commands
//! (`list_peers`, `connect`, `ls`, `cd`, `pwd`, `get`, `disconnect`,
//! `exit`) with help for each, history, tab completion of peer names and
//! remote paths, quoting, and `get -r`/`-f` with progress and resume.
//!
//! rustyline reads lines on its own thread; each command runs on the async
//! runtime from there. Ctrl-C during a command cancels that command; at the
//! prompt (or SIGTERM at any time) it leaves, deleting the advert.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use cordvault_peer::{GetOptions, PeerNode, PeerSession, unix_now};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use tokio::runtime::Handle;
use tokio::sync::Mutex;

use super::{ExitSignal, ExitSignals, display, progress, words};

const HISTORY_FILE: &str = "peer_history";
/// Completion asks the peer for a listing; it must not hang the prompt.
const COMPLETION_TIMEOUT: Duration = Duration::from_secs(3);

/// Every command, with its usage and help text.
const COMMANDS: &[(&str, &str, &str)] = &[
    ("list_peers", "list_peers", "Show the live peers: instance, address, last advert, host key fingerprint."),
    ("connect", "connect <peer>", "Open an SFTP session with a peer (its host key must match its advert)."),
    ("accept", "accept <peer>", "Trust the new host key a peer advertises after a key change (check with them first)."),
    ("ls", "ls [-l] [path]", "List a remote folder; -l adds kind, size and date."),
    ("cd", "cd <path>", "Change the remote folder."),
    ("pwd", "pwd", "Print the remote folder."),
    (
        "get",
        "get [-r] [-f] <path> [local]",
        "Download a file (a folder with -r) into the local folder or [local]. Existing files are kept \
         unless -f; an interrupted get resumes where it stopped.",
    ),
    ("lcd", "lcd <dir>", "Change the local folder downloads go to."),
    ("lpwd", "lpwd", "Print the local folder."),
    ("disconnect", "disconnect", "Close the session with the peer."),
    ("help", "help [command]", "Show the commands, or one command's help."),
    ("exit", "exit", "Leave: withdraw the advert and stop sharing."),
];

/// What the shell's thread and the completer share.
struct Shell {
    node: Arc<PeerNode>,
    runtime: Handle,
    session: Mutex<Option<PeerSession>>,
    /// A command is running: Ctrl-C cancels it rather than leaving.
    busy: AtomicBool,
}

enum Flow {
    Continue,
    Exit,
}

pub async fn run(node: PeerNode, config_dir: &Path, mut signals: ExitSignals) -> Result<()> {
    let shell = Arc::new(Shell {
        node: Arc::new(node),
        runtime: Handle::current(),
        session: Mutex::new(None),
        busy: AtomicBool::new(false),
    });
    let history = config_dir.join(HISTORY_FILE);
    let (done, finished) = tokio::sync::oneshot::channel();
    let thread_shell = Arc::clone(&shell);
    std::thread::spawn(move || {
        let _ = done.send(read_eval_loop(&thread_shell, &history));
    });
    let result = tokio::select! {
        result = finished => result.unwrap_or(Ok(())),
        _ = leave_signal(&shell, &mut signals) => {
            eprintln!("\nleaving");
            Ok(())
        }
    };
    if let Some(session) = shell.session.lock().await.take() {
        session.close().await;
    }
    shell.node.shutdown().await;
    result
}

/// SIGTERM, or Ctrl-C while no command runs (a running command is
/// cancelled by its own Ctrl-C listener instead).
async fn leave_signal(shell: &Shell, signals: &mut ExitSignals) {
    loop {
        match signals.next().await {
            ExitSignal::Terminate => return,
            ExitSignal::Interrupt if !shell.busy.load(Ordering::Acquire) => return,
            ExitSignal::Interrupt => {}
        }
    }
}

fn read_eval_loop(shell: &Arc<Shell>, history: &Path) -> Result<()> {
    let config = rustyline::Config::builder().auto_add_history(false).max_history_size(1000)?.build();
    let mut editor: Editor<Completion, FileHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(Completion { shell: Arc::clone(shell) }));
    let _ = editor.load_history(history);
    println!("Welcome to cordvault peer mode. Type help for the commands.");
    loop {
        for warning in shell.node.take_warnings() {
            eprintln!("warning: {warning}");
        }
        let prompt = match shell.runtime.block_on(shell.session.lock()).as_ref() {
            Some(session) => format!("(connected - {}) >> ", session.instance()),
            None => ">> ".to_owned(),
        };
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(err) => return Err(err.into()),
        };
        if line.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line.as_str());
        match execute(shell, &line) {
            Ok(Flow::Exit) => break,
            Ok(Flow::Continue) => {}
            Err(err) => eprintln!("error: {}", display::safe(&format!("{err:#}"))),
        }
    }
    if let Some(parent) = history.parent()
        && parent.exists()
    {
        let _ = editor.save_history(history);
    }
    Ok(())
}

/// Runs one line; Ctrl-C cancels it.
fn execute(shell: &Arc<Shell>, line: &str) -> Result<Flow> {
    let words = words::split(line)?;
    let Some((command, args)) = words.split_first() else { return Ok(Flow::Continue) };
    shell.busy.store(true, Ordering::Release);
    let result = shell.runtime.block_on(async {
        tokio::select! {
            result = command_line(shell, command, args) => result,
            _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted (get again to resume)")),
        }
    });
    shell.busy.store(false, Ordering::Release);
    result
}

async fn command_line(shell: &Shell, command: &str, args: &[String]) -> Result<Flow> {
    match (command, args) {
        ("exit" | "quit", _) => return Ok(Flow::Exit),
        ("help" | "?", []) => print!("{}", help_text()),
        ("help" | "?", [name]) => match COMMANDS.iter().find(|(command, ..)| command == name) {
            Some((_, usage, text)) => println!("{usage}\n  {text}"),
            None => bail!("no command {name:?}; help lists them"),
        },
        ("list_peers", []) => print!("{}", display::peer_table(&shell.node.peers(), unix_now())),
        ("connect", [peer]) => connect(shell, peer).await?,
        ("accept", [peer]) => {
            let fingerprint = shell.node.accept(peer)?;
            println!("{peer} is now trusted with host key {fingerprint}");
        }
        ("disconnect", []) => match shell.session.lock().await.take() {
            Some(session) => {
                println!("disconnected from {}", session.instance());
                session.close().await;
            }
            None => println!("not connected"),
        },
        ("lcd", [dir]) => {
            std::env::set_current_dir(dir).map_err(|err| anyhow!("{dir}: {err}"))?;
        }
        ("lpwd", []) => println!("{}", std::env::current_dir()?.display()),
        ("pwd" | "cd" | "ls" | "get", _) => remote_command(shell, command, args).await?,
        _ => match COMMANDS.iter().find(|(name, ..)| *name == command) {
            Some((_, usage, _)) => bail!("usage: {usage}"),
            None => bail!("unknown command {:?}; help lists the commands", display::safe(command)),
        },
    }
    Ok(Flow::Continue)
}

async fn connect(shell: &Shell, name: &str) -> Result<()> {
    let peer = shell.node.peer(name)?;
    println!("connecting to {} at {} ({})", peer.instance, display::address(&peer), peer.fingerprint);
    let session = PeerSession::connect(&peer, shell.node.identity().client_key()).await?;
    let previous = shell.session.lock().await.replace(session);
    if let Some(previous) = previous {
        previous.close().await;
    }
    println!("connected to {}", peer.instance);
    Ok(())
}

/// The commands that need a session.
async fn remote_command(shell: &Shell, command: &str, args: &[String]) -> Result<()> {
    let mut guard = shell.session.lock().await;
    let Some(session) = guard.as_mut() else { bail!("not connected; connect <peer> first") };
    match (command, args) {
        ("pwd", []) => println!("{}", display::safe(session.pwd())),
        ("cd", [path]) => session.cd(path).await?,
        ("ls", rest) => {
            let long = rest.iter().any(|arg| arg == "-l");
            let paths: Vec<&String> = rest.iter().filter(|arg| *arg != "-l").collect();
            if paths.len() > 1 {
                bail!("usage: ls [-l] [path]");
            }
            let entries = session.list(paths.first().map(|path| path.as_str())).await?;
            print!("{}", display::listing(&entries, long));
        }
        ("get", rest) => {
            let (flags, operands): (Vec<&String>, Vec<&String>) = rest.iter().partition(|arg| arg.starts_with('-'));
            let mut options = GetOptions::default();
            for flag in flags {
                match flag.as_str() {
                    "-r" => options.recursive = true,
                    "-f" => options.force = true,
                    "-rf" | "-fr" => (options.recursive, options.force) = (true, true),
                    other => bail!("get: unknown option {other}; usage: get [-r] [-f] <path> [local]"),
                }
            }
            let (remote, local) = match operands.as_slice() {
                [remote] => (remote.as_str(), None),
                [remote, local] => (remote.as_str(), Some(PathBuf::from(local.as_str()))),
                _ => bail!("usage: get [-r] [-f] <path> [local]"),
            };
            let progress = progress::Bars::new();
            let report = session.get(remote, local.as_deref(), options, &progress).await?;
            display::print_get_report(&report);
        }
        _ => bail!("usage: {}", COMMANDS.iter().find(|(name, ..)| *name == command).map_or("", |(_, usage, _)| usage)),
    }
    Ok(())
}

fn help_text() -> String {
    let width = COMMANDS.iter().map(|(_, usage, _)| usage.len()).max().unwrap_or(0);
    let mut text = String::from("Commands (quote names with spaces: get \"my file.txt\"):\n");
    for (_, usage, help) in COMMANDS {
        text.push_str(&format!("  {usage:<width$}  {help}\n"));
    }
    text
}

/// Tab completion: command names, peer names after `connect`/`accept`,
/// remote paths after `ls`/`cd`/`get` while connected.
struct Completion {
    shell: Arc<Shell>,
}

impl Completion {
    fn remote_candidates(&self, partial: &str) -> Vec<Pair> {
        let (dir, prefix) = match partial.rfind('/') {
            Some(slash) => (&partial[..=slash], &partial[slash + 1..]),
            None => ("", partial),
        };
        let listing = self.shell.runtime.block_on(async {
            let guard = tokio::time::timeout(COMPLETION_TIMEOUT, self.shell.session.lock()).await.ok()?;
            let session = guard.as_ref()?;
            let listing = session.list(Some(if dir.is_empty() { "." } else { dir }));
            tokio::time::timeout(COMPLETION_TIMEOUT, listing).await.ok()?.ok()
        });
        listing
            .unwrap_or_default()
            .into_iter()
            .filter(|entry| entry.name.starts_with(prefix) && !entry.name.chars().any(char::is_control))
            .map(|entry| {
                let is_dir = entry.kind == cordvault_peer::session::EntryKind::Dir;
                let full = format!("{dir}{}{}", entry.name, if is_dir { "/" } else { "" });
                Pair {
                    display: format!("{}{}", entry.name, if is_dir { "/" } else { "" }),
                    replacement: words::quote(&full),
                }
            })
            .collect()
    }
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = word_start(before);
        let partial = words::split(&before[start..])
            .or_else(|_| words::split(&format!("{}'", &before[start..])))
            .or_else(|_| words::split(&format!("{}\"", &before[start..])))
            .ok()
            .and_then(|words| words.into_iter().next())
            .unwrap_or_default();
        let previous = words::split(&before[..start]).unwrap_or_default();
        let candidates = match previous.first().map(String::as_str) {
            None => COMMANDS
                .iter()
                .filter(|(name, ..)| name.starts_with(&partial))
                .map(|(name, ..)| Pair { display: (*name).to_owned(), replacement: format!("{name} ") })
                .collect(),
            Some("connect" | "accept") => self
                .shell
                .node
                .peers()
                .into_iter()
                .filter(|peer| peer.instance.starts_with(&partial))
                .map(|peer| Pair { display: peer.instance.clone(), replacement: peer.instance })
                .collect(),
            Some("ls" | "cd" | "get") if !partial.starts_with('-') => self.remote_candidates(&partial),
            _ => Vec::new(),
        };
        Ok((start, candidates))
    }
}

/// Where the word under the cursor starts: after the last space outside quotes.
fn word_start(before: &str) -> usize {
    let mut start = 0;
    let mut quote = None;
    let mut escaped = false;
    for (index, c) in before.char_indices() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (None, '\\') | (Some('"'), '\\') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, c) if c.is_whitespace() => start = index + c.len_utf8(),
            _ => {}
        }
    }
    start
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use cordvault_peer::node::ShareOptions;
    use cordvault_peer::{AdvertChannel, ChannelChoice, Identity, PeerNode, PeerOptions, PeerSession};
    use cordvault_store::DiscordApi;
    use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
    use rustyline::completion::Completer;
    use rustyline::history::DefaultHistory;
    use tokio::sync::Mutex;

    use super::{COMMANDS, Completion, Shell, help_text, word_start};

    /// Completion against a real peer (this one, connected to itself).
    #[test]
    fn tab_completes_commands_peers_and_remote_paths() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let base = tempfile::tempdir().unwrap();
        let folder = base.path().join("share");
        std::fs::create_dir_all(folder.join("another dir")).unwrap();
        std::fs::write(folder.join("alpha.txt"), b"a").unwrap();
        std::fs::write(folder.join("another dir/inner.txt"), b"i").unwrap();
        std::fs::write(folder.join("beta.txt"), b"b").unwrap();
        let (emulator, node, session) = runtime.block_on(async {
            let config = EmulatorConfig { tokens: vec!["t".into()], channels: vec![7], ..Default::default() };
            let emulator = RunningEmulator::start(config).await;
            let api = DiscordApi::new(&["t".to_owned()], Some(emulator.url.clone())).unwrap();
            let channel = AdvertChannel::open(Arc::new(api), &ChannelChoice::Id(7)).await.unwrap();
            let share = ShareOptions {
                folder: folder.clone(),
                bind: "127.0.0.1:0".parse().unwrap(),
                advertise: None,
                writable: false,
                dotfiles: false,
                upnp: None,
            };
            let identity = Identity::load_or_create(base.path().join("config")).unwrap();
            let node = PeerNode::start(identity, channel, PeerOptions::new("alice", Some(share))).await.unwrap();
            let peer = node.peer("alice").unwrap();
            let session = PeerSession::connect(&peer, node.identity().client_key()).await.unwrap();
            (emulator, node, session)
        });
        let shell = Arc::new(Shell {
            node: Arc::new(node),
            runtime: runtime.handle().clone(),
            session: Mutex::new(Some(session)),
            busy: AtomicBool::new(false),
        });
        let completion = Completion { shell: Arc::clone(&shell) };
        let history = DefaultHistory::new();
        let complete = |line: &str| {
            let context = rustyline::Context::new(&history);
            let (start, pairs) = completion.complete(line, line.len(), &context).unwrap();
            (start, pairs.into_iter().map(|pair| pair.replacement).collect::<Vec<_>>())
        };

        assert_eq!(complete("con"), (0, vec!["connect ".to_owned()]));
        assert_eq!(
            complete("l"),
            (0, vec!["list_peers ".to_owned(), "ls ".to_owned(), "lcd ".to_owned(), "lpwd ".to_owned()])
        );
        assert_eq!(complete("connect al"), (8, vec!["alice".to_owned()]));
        assert_eq!(complete("get a"), (4, vec!["alpha.txt".to_owned(), "'another dir/'".to_owned()]));
        assert_eq!(complete("cd 'another dir/i"), (3, vec!["'another dir/inner.txt'".to_owned()]));
        assert_eq!(complete("get -"), (4, Vec::<String>::new()));
        assert_eq!(complete("ls nothing"), (3, Vec::<String>::new()));

        runtime.block_on(async {
            if let Some(session) = shell.session.lock().await.take() {
                session.close().await;
            }
            shell.node.shutdown().await;
        });
        drop(emulator);
    }

    #[test]
    fn the_word_under_the_cursor() {
        assert_eq!(word_start("get "), 4);
        assert_eq!(word_start("get my"), 4);
        assert_eq!(word_start("get 'my fi"), 4);
        assert_eq!(word_start("get \"a b\" c"), 10);
        assert_eq!(word_start("get a\\ b"), 4);
        assert_eq!(word_start("co"), 0);
    }

    #[test]
    fn every_command_has_help() {
        let text = help_text();
        for (name, usage, help) in COMMANDS {
            assert!(usage.starts_with(name) && !help.is_empty(), "{name}");
            assert!(text.contains(usage), "{name}");
        }
    }
}
