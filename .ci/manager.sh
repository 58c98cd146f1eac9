# Sourced by the CI scripts that talk to a manager of their own.
#
# start_manager DIR LOG [ARGS...] starts $server_bin in DIR with a clean
# environment (zero configuration, nothing inherited) on a port the kernel
# picks, and waits until the manager reports where it listens. It sets
# `server` (the pid) and `address` (host:port). Taking the address from the
# manager's own log means a script can never talk to another program that
# happens to hold a fixed port.
start_manager() {
    local dir="$1" log="$2"
    shift 2
    (cd "$dir" && exec env -i PATH="$PATH" HOME="$dir" "$server_bin" --listen 127.0.0.1:0 "$@") >"$log" 2>&1 &
    server=$!
    address=""
    for _ in $(seq 1 150); do
        address="$(sed -n 's/.*cordvault manager listening addr=\([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -n 1)"
        [ -n "$address" ] && return 0
        if ! kill -0 "$server" 2>/dev/null; then
            echo "the manager exited before listening:"
            cat "$log"
            return 1
        fi
        sleep 0.2
    done
    echo "the manager did not report where it listens within 30 s:"
    cat "$log"
    return 1
}
