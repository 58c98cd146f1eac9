//! Passwords not given on the command line: prompted without echo on a
//! terminal, else read as one line of stdin (for scripts and tests).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};

/// `given`, or asks for it with `prompt`.
pub fn obtain(given: Option<String>, prompt: &str) -> Result<String> {
    match given {
        Some(password) => Ok(password),
        None if std::io::stdin().is_terminal() => prompt_hidden(prompt),
        None => read_stdin_line(prompt),
    }
}

/// Like [`obtain`], asking twice on a terminal so a typo does not lock the user out.
pub fn obtain_new(given: Option<String>, prompt: &str) -> Result<String> {
    if given.is_some() || !std::io::stdin().is_terminal() {
        return obtain(given, prompt);
    }
    let first = prompt_hidden(prompt)?;
    if prompt_hidden("Repeat it: ")? != first {
        bail!("the passwords differ");
    }
    Ok(first)
}

fn prompt_hidden(prompt: &str) -> Result<String> {
    let terminal = console::Term::stderr();
    terminal.write_str(prompt).context("cannot write the password prompt")?;
    terminal.read_secure_line().context("cannot read the password")
}

fn read_stdin_line(prompt: &str) -> Result<String> {
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
    if read == 0 {
        let what = prompt.trim_end_matches([' ', ':']).to_lowercase();
        bail!("{what} not given: pass it as an option or as one line of stdin");
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
