//! Sessions made of start and end events: time in voice channels (joins
//! paired with leaves) and time in the app (session starts paired with
//! ends), by the original's rules so that results compare.

use std::collections::BTreeMap;

use crate::analytics::{Name, SessionEvent, VoiceEvent};

/// A start paired with an end more than this later is no session.
const MAX_SESSION_SECONDS: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSession {
    pub channel: Name,
    pub guild: Option<Name>,
    pub started: i64,
    pub ended: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSession {
    pub started: i64,
    pub ended: i64,
    pub os: Name,
}

/// Joins paired with leaves. Channels are taken in the order of their
/// names (`channel_name` gives it); in each, every join in time order is
/// paired with the first leave at or after it in that channel, and kept if
/// the call lasted at most 24 hours and did not start inside the call
/// kept before it (in any channel) that started last before it.
pub fn voice_sessions(mut events: Vec<VoiceEvent>, channel_name: impl Fn(Name) -> String) -> Vec<VoiceSession> {
    events.sort_by_cached_key(|event| (channel_name(event.channel), event.seconds));
    // Kept calls by start: start → end.
    let mut kept: BTreeMap<i64, VoiceSession> = BTreeMap::new();
    for channel_events in events.chunk_by(|a, b| a.channel == b.channel) {
        let leaves: Vec<i64> = channel_events.iter().filter(|event| !event.join).map(|event| event.seconds).collect();
        for join in channel_events.iter().filter(|event| event.join) {
            let next_leave = leaves.partition_point(|&leave| leave < join.seconds);
            let Some(&ended) = leaves.get(next_leave) else { continue };
            if ended - join.seconds > MAX_SESSION_SECONDS {
                continue;
            }
            let inside_earlier =
                kept.range(..=join.seconds).next_back().is_some_and(|(_, call)| call.ended >= join.seconds);
            if inside_earlier {
                continue;
            }
            let call = VoiceSession { channel: join.channel, guild: join.guild, started: join.seconds, ended };
            kept.insert(join.seconds, call);
        }
    }
    kept.into_values().collect()
}

/// Starts paired with ends, all systems on one time line. At each end the
/// starts waiting since the previous end are settled: those over 24 hours
/// old are dropped, and the earliest other one that does not fall inside
/// the session kept before opens a session up to this end; the later ones
/// fall inside it. (Every start waiting at an end came after the previous
/// end, so only the last kept session can hold one.)
pub fn app_sessions(mut events: Vec<SessionEvent>) -> Vec<AppSession> {
    events.sort_by_key(|event| event.seconds);
    let mut sessions: Vec<AppSession> = Vec::new();
    let mut waiting: Vec<SessionEvent> = Vec::new();
    for event in events {
        if event.start {
            waiting.push(event);
            continue;
        }
        let opener = waiting.drain(..).find(|start| {
            let recent = event.seconds - start.seconds <= MAX_SESSION_SECONDS;
            let inside_last =
                sessions.last().is_some_and(|last| last.started <= start.seconds && start.seconds <= last.ended);
            recent && !inside_last
        });
        if let Some(start) = opener {
            sessions.push(AppSession { started: start.seconds, ended: event.seconds, os: start.os });
        }
    }
    sessions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(seconds: i64, join: bool, channel: Name) -> VoiceEvent {
        VoiceEvent { seconds, join, channel, guild: None }
    }

    fn app(seconds: i64, start: bool, os: Name) -> SessionEvent {
        SessionEvent { seconds, start, os }
    }

    #[test]
    fn calls_pair_joins_with_the_next_leave() {
        let events = vec![
            voice(100, true, 1),
            voice(400, false, 1),
            // Inside the call above, in another channel: dropped.
            voice(200, true, 2),
            voice(300, false, 2),
            // A join without a leave, and one whose leave is a day late.
            voice(1000, true, 3),
            voice(2000, true, 1),
            voice(2000 + MAX_SESSION_SECONDS + 1, false, 1),
            voice(500, true, 2),
            voice(560, false, 2),
        ];
        let calls = voice_sessions(events, |channel| channel.to_string());
        let spans: Vec<(Name, i64, i64)> = calls.iter().map(|call| (call.channel, call.started, call.ended)).collect();
        assert_eq!(spans, [(1, 100, 400), (2, 500, 560)]);
    }

    #[test]
    fn app_sessions_open_at_the_earliest_waiting_start() {
        let events = vec![
            app(100, true, 1),
            app(150, true, 2),
            app(400, false, 1),
            app(400, true, 2),
            app(900, false, 2),
            app(1000, true, 1),
            app(1000 + MAX_SESSION_SECONDS + 1, false, 1),
            app(1000 + MAX_SESSION_SECONDS + 2, false, 1),
        ];
        let sessions = app_sessions(events);
        assert_eq!(sessions, [AppSession { started: 100, ended: 400, os: 1 }]);
    }
}
