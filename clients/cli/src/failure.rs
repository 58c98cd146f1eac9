//! Turning any failure into the one line `cordvault: <message>`.

use cordvault_client::ErrorCode;

/// The message for `err`, its causes joined by ": " on a single line.
pub fn describe(err: &anyhow::Error, login_hint: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = match cause.downcast_ref::<cordvault_client::Error>() {
            Some(api) => api_message(api),
            None => cause.to_string(),
        };
        // Context often repeats what the cause says; say it once.
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
    }
    let mut line = parts.join(": ");
    if login_hint && api_code(err) == Some(ErrorCode::Unauthenticated) {
        line.push_str(" (run `cordvault login`)");
    }
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The server's messages are written for people; the code only adds noise,
/// except where the message alone would not say that something is wrong.
fn api_message(err: &cordvault_client::Error) -> String {
    match err.code {
        ErrorCode::Internal => format!("server error: {}", err.message),
        ErrorCode::DataLoss => format!("data loss: {}", err.message),
        _ => err.message.clone(),
    }
}

/// The code of the first API error among the causes.
pub fn api_code(err: &anyhow::Error) -> Option<ErrorCode> {
    err.chain().find_map(|cause| cause.downcast_ref::<cordvault_client::Error>()).map(|api| api.code)
}

/// A closed stdout (`cordvault ls | head`) is how pipes end, not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Panics are bugs, but the user still gets one line rather than a backtrace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let location = info.location().map(|at| format!(" at {}:{}", at.file(), at.line())).unwrap_or_default();
        let line = format!("cordvault: internal error: {payload}{location}");
        eprintln!("{}", line.split_whitespace().collect::<Vec<_>>().join(" "));
    }));
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn joins_causes_on_one_line() {
        let err = Err::<(), _>(cordvault_client::Error::not_found("/x does not exist"))
            .context("cannot fetch\n/x")
            .unwrap_err();
        assert_eq!(describe(&err, true), "cannot fetch /x: /x does not exist");
    }

    #[test]
    fn hints_at_login() {
        let err = anyhow::Error::new(cordvault_client::Error::unauthenticated("missing token"));
        assert_eq!(describe(&err, true), "missing token (run `cordvault login`)");
        assert_eq!(describe(&err, false), "missing token");
    }
}
