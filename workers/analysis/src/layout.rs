//! Where a package keeps what the analysis reads, found from the zip's
//! entry names alone.
//!
//! Discord has changed the layout over the years — `messages/<id>/` with
//! CSV until March 2024, `Messages/c<id>/` with JSON since, capitalised
//! folders since June 2025, translated folder names in some languages — so
//! folders are found by what they hold, not by their names: the owner's
//! folder holds `user.json`, the messages folder holds `<id>/channel.json`,
//! the servers folder holds `<id>/guild.json`. A package someone re-zipped
//! inside one extra folder is read the same.

/// The entries an analysis reads.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Layout {
    pub user_json: String,
    /// `<owner folder>/user_data_exports/discord_billing/payments.json`.
    pub payments_json: Option<String>,
    /// Every analytics shard, in name order.
    pub analytics: Vec<String>,
    pub servers_index: Option<String>,
    pub messages_index: Option<String>,
    pub channels: Vec<ChannelFiles>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFiles {
    pub channel_id: String,
    pub channel_json: String,
    pub messages: Option<MessagesFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagesFile {
    /// A JSON array of `{ID, Timestamp, Contents, Attachments}` (2024 on).
    Json(String),
    /// `ID,Timestamp,Contents,Attachments` (before March 2024).
    Csv(String),
}

impl Layout {
    /// None when no `user.json` is found: a package without account data.
    pub fn detect(names: &[&str]) -> Option<Layout> {
        let user_json = find_user_json(names)?;
        let owner_folder = parent(&user_json);
        // What holds the owner's folder: "" or the extra folder around it all.
        let base = match owner_folder.rfind('/') {
            Some(at) => &owner_folder[..=at],
            None => "",
        };
        let inside: Vec<&str> = names.iter().copied().filter(|name| name.starts_with(base)).collect();

        let payments = format!("{owner_folder}/user_data_exports/discord_billing/payments.json");
        let mut analytics: Vec<String> =
            inside.iter().filter(|name| is_analytics_shard(name)).map(|name| name.to_string()).collect();
        analytics.sort();

        let messages_root = inside.iter().find_map(|name| numbered_folder_parent(name, "channel.json", true));
        let servers_root = inside.iter().find_map(|name| numbered_folder_parent(name, "guild.json", false));
        let messages_index = index_in(&inside, messages_root.as_deref(), base, &["Messages", "messages"]);
        let servers_index = index_in(&inside, servers_root.as_deref(), base, &["Servers", "servers"]).or_else(|| {
            // The original's last resort: an index.json one folder down that
            // is not the messages index.
            inside
                .iter()
                .find(|name| {
                    let Some(rest) = name.strip_prefix(base) else { return false };
                    rest.ends_with("/index.json")
                        && rest.matches('/').count() == 1
                        && Some(**name) != messages_index.as_deref()
                })
                .map(|name| name.to_string())
        });
        let channels = messages_root.map(|root| channel_files(&inside, &root)).unwrap_or_default();

        Some(Layout {
            payments_json: inside.contains(&payments.as_str()).then_some(payments),
            user_json,
            analytics,
            servers_index,
            messages_index,
            channels,
        })
    }
}

/// `<folder>/user.json` one folder down, or two when the package was
/// wrapped in an extra folder; the shallowest wins.
fn find_user_json(names: &[&str]) -> Option<String> {
    let depth = |name: &&str| name.matches('/').count();
    names
        .iter()
        .filter(|name| name.ends_with("/user.json") && (1..=2).contains(&depth(name)))
        .min_by_key(|name| (depth(name), !name.to_ascii_lowercase().starts_with("account/")))
        .map(|name| name.to_string())
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// `…/analytics…json`, as the original matched it, but every shard.
fn is_analytics_shard(name: &str) -> bool {
    name.ends_with(".json") && name.contains("/analytics")
}

/// For `<root>/<c?digits>/<file>`: the root. Discord ids are 16 to 32 digits.
fn numbered_folder_parent(name: &str, file: &str, c_prefix: bool) -> Option<String> {
    let folder_path = name.strip_suffix(file)?.strip_suffix('/')?;
    let (root, folder) = folder_path.rsplit_once('/')?;
    channel_id_of(folder, c_prefix)?;
    Some(root.to_owned())
}

/// The id in a folder name `c<digits>` or `<digits>`.
fn channel_id_of(folder: &str, c_prefix: bool) -> Option<&str> {
    let id = if c_prefix { folder.strip_prefix('c').unwrap_or(folder) } else { folder };
    ((16..=32).contains(&id.len()) && id.bytes().all(|byte| byte.is_ascii_digit())).then_some(id)
}

fn index_in(inside: &[&str], root: Option<&str>, base: &str, usual: &[&str]) -> Option<String> {
    let candidates = root.map(|root| format!("{root}/index.json")).into_iter();
    let candidates = candidates.chain(usual.iter().map(|folder| format!("{base}{folder}/index.json")));
    candidates.into_iter().find(|candidate| inside.contains(&candidate.as_str()))
}

fn channel_files(inside: &[&str], root: &str) -> Vec<ChannelFiles> {
    let prefix = format!("{root}/");
    let mut channels = Vec::new();
    for name in inside {
        let Some(rest) = name.strip_prefix(&prefix) else { continue };
        let Some((folder, "channel.json")) = rest.split_once('/') else { continue };
        let Some(channel_id) = channel_id_of(folder, true) else { continue };
        let json = format!("{prefix}{folder}/messages.json");
        let csv = format!("{prefix}{folder}/messages.csv");
        let messages = if inside.contains(&json.as_str()) {
            Some(MessagesFile::Json(json))
        } else if inside.contains(&csv.as_str()) {
            Some(MessagesFile::Csv(csv))
        } else {
            None
        };
        channels.push(ChannelFiles { channel_id: channel_id.to_owned(), channel_json: name.to_string(), messages });
    }
    channels
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &[&str] = &[
        "README.txt",
        "Account/user.json",
        "Account/user_data_exports/discord_billing/payments.json",
        "Activity/analytics/events-2024-00000-of-00002.json",
        "Activity/analytics/events-2024-00001-of-00002.json",
        "Activity/reporting/events-2024-00000-of-00001.json",
        "Messages/index.json",
        "Messages/c1000000000000000001/channel.json",
        "Messages/c1000000000000000001/messages.json",
        "Messages/c1000000000000000002/channel.json",
        "Servers/index.json",
        "Servers/2000000000000000001/guild.json",
    ];

    #[test]
    fn current_layout() {
        let layout = Layout::detect(NEW).unwrap();
        assert_eq!(layout.user_json, "Account/user.json");
        assert_eq!(layout.payments_json.as_deref(), Some("Account/user_data_exports/discord_billing/payments.json"));
        assert_eq!(layout.analytics.len(), 2, "every shard, not only the first");
        assert_eq!(layout.messages_index.as_deref(), Some("Messages/index.json"));
        assert_eq!(layout.servers_index.as_deref(), Some("Servers/index.json"));
        assert_eq!(layout.channels.len(), 2);
        assert_eq!(layout.channels[0].channel_id, "1000000000000000001");
        assert_eq!(
            layout.channels[0].messages,
            Some(MessagesFile::Json("Messages/c1000000000000000001/messages.json".into()))
        );
        assert_eq!(layout.channels[1].messages, None);
    }

    #[test]
    fn wrapped_translated_and_old_layouts() {
        let wrapped: Vec<String> = NEW.iter().map(|name| format!("package/{name}")).collect();
        let wrapped: Vec<&str> = wrapped.iter().map(String::as_str).collect();
        let layout = Layout::detect(&wrapped).unwrap();
        assert_eq!(layout.user_json, "package/Account/user.json");
        assert_eq!(layout.servers_index.as_deref(), Some("package/Servers/index.json"));
        assert_eq!(layout.channels.len(), 2);

        let french = [
            "Compte/user.json",
            "Messages/index.json",
            "Messages/c1000000000000000001/channel.json",
            "Serveurs/index.json",
            "Serveurs/2000000000000000001/guild.json",
        ];
        let layout = Layout::detect(&french).unwrap();
        assert_eq!(layout.user_json, "Compte/user.json");
        assert_eq!(layout.servers_index.as_deref(), Some("Serveurs/index.json"));

        let old = [
            "account/user.json",
            "activity/analytics/events-2019-00000-of-00001.json",
            "messages/index.json",
            "messages/1000000000000000001/channel.json",
            "messages/1000000000000000001/messages.csv",
            "servers/index.json",
        ];
        let layout = Layout::detect(&old).unwrap();
        assert_eq!(
            layout.channels[0].messages,
            Some(MessagesFile::Csv("messages/1000000000000000001/messages.csv".into()))
        );
        assert_eq!(layout.servers_index.as_deref(), Some("servers/index.json"));
        assert_eq!(layout.analytics.len(), 1);

        assert_eq!(Layout::detect(&["Messages/index.json", "a/b/c/user.json"]), None);
    }
}
