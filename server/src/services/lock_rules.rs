//! Which WebDAV locks are in each other's way: the rules of dav-server's
//! in-memory lock system (`MemLs` of dav-server 0.11), over locks read from
//! the database. The WebDAV gateway swaps MemLs for the database through
//! `LockService`, so these must answer exactly as MemLs does; the tests
//! below run both on the same random histories.
//!
//! Paths are normalised absolute paths ("/", "/a/b"). A lock at a path
//! covers the path; a deep lock also covers everything below it.

use crate::db::locks::LockView;

/// How many names a path has: 0 for the root.
pub fn depth(path: &str) -> usize {
    names(path).count()
}

/// `path` and every folder above it, the root first.
pub fn ancestry(path: &str) -> Vec<String> {
    let mut paths = vec!["/".to_owned()];
    let mut current = String::new();
    for name in names(path) {
        current.push('/');
        current.push_str(name);
        paths.push(current.clone());
    }
    paths
}

/// Whether `path` is `top` or below it.
pub fn is_at_or_below(path: &str, top: &str) -> bool {
    top == "/" || path == top || path.strip_prefix(top).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether a lock covers `path`: it is at the path, or deep at a folder above it.
pub fn covers(lock: &LockView, path: &str) -> bool {
    lock.row.path == path || (lock.row.deep && is_at_or_below(path, &lock.row.path))
}

/// Who asks, with which lock tokens (WebDAV If header).
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The caller's username; None for nobody in particular.
    pub principal: Option<&'a str>,
    /// A presented token counts whoever owns its lock.
    pub ignore_principal: bool,
    pub tokens: &'a [String],
}

impl Presented<'_> {
    /// What a new lock is checked with: no token, so it holds nothing.
    pub const NOTHING: Presented<'static> = Presented { principal: None, ignore_principal: true, tokens: &[] };

    /// Whether these tokens hold `lock`.
    pub fn holds(&self, lock: &LockView) -> bool {
        self.tokens.contains(&lock.row.token) && (self.ignore_principal || self.principal == Some(lock.owner.as_str()))
    }
}

/// The locks at the path and above it sorted as MemLs walks them: from the
/// root down, oldest first at each path (`locks` oldest first already).
pub fn root_first(mut locks: Vec<LockView>) -> Vec<LockView> {
    locks.sort_by_key(|lock| depth(&lock.row.path));
    locks
}

/// The locks at a path and below it in the order MemLs walks them: depth
/// first, a path's locks (oldest first) before those below it. MemLs takes
/// the folders beside each other in hash order; here they go by name.
pub fn depth_first(mut locks: Vec<LockView>) -> Vec<LockView> {
    locks.sort_by(|a, b| names(&a.row.path).cmp(names(&b.row.path)).then(a.row.id.cmp(&b.row.id)));
    locks
}

fn names(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|name| !name.is_empty())
}

/// MemLs `check_locks_to_path`: a lock covering `path` that is in the way.
/// `at_and_above` is [`root_first`]. An exclusive lock not held is in the
/// way; a shared one not held is too, unless some covering lock is held or
/// `shared_ok`.
pub fn conflict_on_path<'a>(
    path: &str,
    at_and_above: &'a [LockView],
    presented: &Presented<'_>,
    shared_ok: bool,
) -> Option<&'a LockView> {
    let mut holds_one = false;
    let mut first_shared = None;
    for lock in at_and_above.iter().filter(|lock| covers(lock, path)) {
        if presented.holds(lock) {
            holds_one = true;
        } else if !lock.row.shared {
            return Some(lock);
        } else if !shared_ok {
            first_shared.get_or_insert(lock);
        }
    }
    if holds_one { None } else { first_shared }
}

/// MemLs `check_locks_from_path`: a lock at `path` or below it that is in
/// the way. `at_and_below` is [`depth_first`]. Every lock not held is, but
/// shared ones when `shared_ok`.
pub fn conflict_below<'a>(
    at_and_below: &'a [LockView],
    presented: &Presented<'_>,
    shared_ok: bool,
) -> Option<&'a LockView> {
    at_and_below.iter().find(|lock| (!lock.row.shared || !shared_ok) && !presented.holds(lock))
}

/// MemLs `lock`: the lock in the way of a new one, if any.
pub fn lock_conflict<'a>(
    path: &str,
    shared: bool,
    deep: bool,
    at_and_above: &'a [LockView],
    at_and_below: &'a [LockView],
) -> Option<&'a LockView> {
    conflict_on_path(path, at_and_above, &Presented::NOTHING, shared)
        .or_else(|| if deep { conflict_below(at_and_below, &Presented::NOTHING, shared) } else { None })
}

/// MemLs `check`: the lock in the way of a change at `path` (and, when
/// `deep`, below it), if any.
pub fn check_conflict<'a>(
    path: &str,
    deep: bool,
    presented: &Presented<'_>,
    at_and_above: &'a [LockView],
    at_and_below: &'a [LockView],
) -> Option<&'a LockView> {
    conflict_on_path(path, at_and_above, presented, false)
        .or_else(|| if deep { conflict_below(at_and_below, presented, false) } else { None })
}

/// MemLs `lookup_lock`, as unlock and refresh find a lock: by its token,
/// at the path or at a folder above it (deep or not).
pub fn lock_is_found_from(lock: &LockView, path: &str) -> bool {
    is_at_or_below(path, &lock.row.path)
}

#[cfg(test)]
mod tests {
    //! These rules, over a list of locks as the database keeps them, against
    //! dav-server's MemLs itself, on random histories of lock, unlock,
    //! check, discover and delete over a few paths and users.

    use dav_server::davpath::DavPath;
    use dav_server::ls::DavLockSystem;
    use dav_server::memls::MemLs;
    use futures::executor::block_on;
    use proptest::prelude::*;

    use super::*;
    use crate::db::locks::LockRow;

    const PATHS: &[&str] = &["/", "/a", "/a/b", "/a/b/c", "/a/d", "/e"];
    const USERS: &[&str] = &["alice", "bob"];

    #[derive(Debug, Clone)]
    enum Op {
        Lock {
            path: usize,
            user: usize,
            shared: bool,
            deep: bool,
        },
        /// Unlocks the `nth` lock ever created (if it was), at `path`.
        Unlock {
            path: usize,
            nth: usize,
        },
        /// Checks with the tokens of the locks ever created whose index is in `tokens`.
        Check {
            path: usize,
            user: usize,
            ignore_principal: bool,
            deep: bool,
            tokens: Vec<usize>,
        },
        Discover {
            path: usize,
        },
        Delete {
            path: usize,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        let path = 0..PATHS.len();
        // MemLs panics when the root's node goes (deleting "/", or
        // unlocking the last lock on "/"); nobody locks the root here.
        let below_root = 1..PATHS.len();
        let user = 0..USERS.len();
        prop_oneof![
            4 => (below_root.clone(), user.clone(), any::<bool>(), any::<bool>())
                .prop_map(|(path, user, shared, deep)| Op::Lock { path, user, shared, deep }),
            1 => (path.clone(), 0..12usize).prop_map(|(path, nth)| Op::Unlock { path, nth }),
            3 => (path.clone(), user, any::<bool>(), any::<bool>(), proptest::collection::vec(0..12usize, 0..4))
                .prop_map(|(path, user, ignore_principal, deep, tokens)| Op::Check {
                    path,
                    user,
                    ignore_principal,
                    deep,
                    tokens
                }),
            1 => path.clone().prop_map(|path| Op::Discover { path }),
            1 => below_root.prop_map(|path| Op::Delete { path }),
        ]
    }

    /// The locks as the database would hold them, oldest first.
    #[derive(Default)]
    struct Model {
        locks: Vec<LockView>,
        next_id: i64,
    }

    impl Model {
        /// What the service loads for `path`: at and above it, root first.
        fn at_and_above(&self, path: &str) -> Vec<LockView> {
            let ancestry = ancestry(path);
            root_first(self.locks.iter().filter(|lock| ancestry.contains(&lock.row.path)).cloned().collect())
        }

        fn at_and_below(&self, path: &str) -> Vec<LockView> {
            depth_first(self.locks.iter().filter(|lock| is_at_or_below(&lock.row.path, path)).cloned().collect())
        }

        /// Adds a lock (its conflicts checked by the caller); returns its token.
        fn insert(&mut self, path: &str, owner: &str, shared: bool, deep: bool) -> String {
            self.next_id += 1;
            let token = format!("model-{}", self.next_id);
            let row = LockRow {
                id: self.next_id,
                token: token.clone(),
                path: path.to_owned(),
                owner_id: 0,
                owner_xml: String::new(),
                shared,
                deep,
                timeout_seconds: 0,
                expires_at_ms: i64::MAX,
                created_at_ms: 0,
            };
            self.locks.push(LockView { row, owner: owner.to_owned() });
            token
        }

        fn unlock(&mut self, path: &str, token: &str) -> bool {
            let found = self.locks.iter().position(|lock| lock.row.token == token && lock_is_found_from(lock, path));
            found.map(|index| self.locks.remove(index)).is_some()
        }

        fn delete(&mut self, path: &str) {
            self.locks.retain(|lock| !is_at_or_below(&lock.row.path, path));
        }
    }

    /// Whether `lock` is the first of `in_the_way` that some depth-first
    /// walk finds: none of them is above it, or at its path and older.
    fn first_of_a_walk(lock: &LockView, in_the_way: &[&LockView]) -> bool {
        !in_the_way.iter().any(|other| {
            let above = other.row.path != lock.row.path && is_at_or_below(&lock.row.path, &other.row.path);
            above || (other.row.path == lock.row.path && other.row.id < lock.row.id)
        })
    }

    /// Checks MemLs's conflict (by our token) against ours: the same lock,
    /// or, when neither is on the path and both are below it (where MemLs
    /// walks folders beside each other in hash order), each the first lock
    /// in the way of some depth-first walk.
    fn same_conflict(theirs: Option<String>, mine: Option<&LockView>, below: &[LockView], in_the_way: &[&LockView]) {
        match (theirs, mine) {
            (None, None) => {}
            (Some(theirs), Some(mine)) if theirs == mine.row.token => {}
            (Some(theirs), Some(mine)) => {
                let theirs = below.iter().find(|lock| lock.row.token == theirs).expect("a lock below");
                assert!(in_the_way.contains(&theirs) && in_the_way.contains(&mine), "{theirs:?} / {mine:?}");
                assert!(
                    first_of_a_walk(theirs, in_the_way) && first_of_a_walk(mine, in_the_way),
                    "{theirs:?} / {mine:?}"
                );
            }
            (theirs, mine) => panic!("MemLs {theirs:?}, model {mine:?}"),
        }
    }

    /// Runs `ops` on MemLs and on the model; panics at the first difference.
    fn compare(ops: &[Op]) {
        let memls = MemLs::new();
        let mut model = Model::default();
        // Every lock created, as (MemLs token, model token).
        let mut created: Vec<(String, String)> = Vec::new();
        let ours = |memls_token: &str, created: &[(String, String)]| {
            created.iter().find(|(theirs, _)| theirs == memls_token).map(|(_, ours)| ours.clone()).unwrap()
        };
        for op in ops {
            match op {
                Op::Lock { path, user, shared, deep } => {
                    let (path, user, shared, deep) = (PATHS[*path], USERS[*user], *shared, *deep);
                    let dav = DavPath::new(path).unwrap();
                    let theirs = block_on(memls.lock(&dav, Some(user), None, None, shared, deep));
                    let (above, below) = (model.at_and_above(path), model.at_and_below(path));
                    let mine = lock_conflict(path, shared, deep, &above, &below);
                    let in_the_way: Vec<&LockView> = match conflict_on_path(path, &above, &Presented::NOTHING, shared) {
                        Some(_) => Vec::new(),
                        None => below.iter().filter(|lock| !lock.row.shared || !shared).collect(),
                    };
                    let theirs_token = theirs.as_ref().err().map(|lock| ours(&lock.token, &created));
                    same_conflict(theirs_token, mine, &below, &in_the_way);
                    if let Ok(theirs) = theirs {
                        created.push((theirs.token, model.insert(path, user, shared, deep)));
                    }
                }
                Op::Unlock { path, nth } => {
                    let Some((theirs, mine)) = created.get(*nth).cloned() else { continue };
                    let path = PATHS[*path];
                    let unlocked = block_on(memls.unlock(&DavPath::new(path).unwrap(), &theirs)).is_ok();
                    assert_eq!(unlocked, model.unlock(path, &mine));
                }
                Op::Check { path, user, ignore_principal, deep, tokens } => {
                    let (path, user) = (PATHS[*path], USERS[*user]);
                    let picked: Vec<&(String, String)> = tokens.iter().filter_map(|i| created.get(*i)).collect();
                    let theirs_tokens: Vec<String> = picked.iter().map(|(theirs, _)| theirs.clone()).collect();
                    let my_tokens: Vec<String> = picked.iter().map(|(_, mine)| mine.clone()).collect();
                    let dav = DavPath::new(path).unwrap();
                    let theirs = block_on(memls.check(&dav, Some(user), *ignore_principal, *deep, &theirs_tokens));
                    let presented =
                        Presented { principal: Some(user), ignore_principal: *ignore_principal, tokens: &my_tokens };
                    let (above, below) = (model.at_and_above(path), model.at_and_below(path));
                    let mine = check_conflict(path, *deep, &presented, &above, &below);
                    let in_the_way: Vec<&LockView> = match conflict_on_path(path, &above, &presented, false) {
                        Some(_) => Vec::new(),
                        None => below.iter().filter(|lock| !presented.holds(lock)).collect(),
                    };
                    let theirs_token = theirs.err().map(|lock| ours(&lock.token, &created));
                    same_conflict(theirs_token, mine, &below, &in_the_way);
                }
                Op::Discover { path } => {
                    let path = PATHS[*path];
                    let theirs: Vec<String> = block_on(memls.discover(&DavPath::new(path).unwrap()))
                        .iter()
                        .map(|lock| ours(&lock.token, &created))
                        .collect();
                    let mine: Vec<String> = model.at_and_above(path).into_iter().map(|lock| lock.row.token).collect();
                    assert_eq!(theirs, mine);
                }
                Op::Delete { path } => {
                    let path = PATHS[*path];
                    block_on(memls.delete(&DavPath::new(path).unwrap())).unwrap();
                    model.delete(path);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn the_rules_answer_as_memls_does(ops in proptest::collection::vec(op(), 1..40)) {
            compare(&ops);
        }
    }

    #[test]
    fn paths() {
        assert_eq!(ancestry("/"), ["/"]);
        assert_eq!(ancestry("/a/b"), ["/", "/a", "/a/b"]);
        assert_eq!((depth("/"), depth("/a"), depth("/a/b")), (0, 1, 2));
        assert!(is_at_or_below("/a/b", "/a") && is_at_or_below("/a", "/a") && is_at_or_below("/a", "/"));
        assert!(!is_at_or_below("/ab", "/a") && !is_at_or_below("/a", "/a/b"));
    }
}
