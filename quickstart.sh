#!/usr/bin/env bash
# quickstart.sh - run vaultgate on built-in defaults and show a backup and a
# restore through it. Idempotent: re-running rebuilds what changed and
# restarts the demo appliance.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
[ -d build ] || meson setup build -Dwerror=true >/dev/null
ninja -C build >/dev/null

QS=$PWD/build/quickstart
STATE=$QS/state
SOCK=$QS/vaultd.sock
CTL="$PWD/build/vault/vaultctl --socket $SOCK"
mkdir -p "$QS"

# Stop a demo vaultd left over from an earlier run (by its recorded PID).
if [ -f "$QS/vaultd.pid" ]; then
	old=$(cat "$QS/vaultd.pid")
	if kill -0 "$old" 2>/dev/null && grep -q vaultd "/proc/$old/cmdline" 2>/dev/null; then
		kill -TERM "$old"; while kill -0 "$old" 2>/dev/null; do sleep 0.1; done
	fi
	rm -f "$QS/vaultd.pid"
fi

echo "== starting vaultd (state: $STATE, socket: $SOCK)"
setsid ./build/vault/vaultd --state-dir "$STATE" --socket "$SOCK" >>"$QS/vaultd.log" 2>&1 < /dev/null &
echo $! > "$QS/vaultd.pid"
for _ in $(seq 100); do $CTL whoami >/dev/null 2>&1 && break; sleep 0.1; done
$CTL whoami >/dev/null

$CTL vault show demo >/dev/null 2>&1 || $CTL vault create demo
$CTL item list demo | grep -q '^host1' || $CTL item create demo host1

echo "== backing up a sample file"
sample=$QS/sample.bin
head -c $((8 * 1024 * 1024 + 12345)) /dev/urandom > "$sample"
point=$($CTL backup demo host1 --object sample.bin "$sample")
echo "recovery point: $point"
$CTL points demo host1

echo "== restoring it"
$CTL restore demo host1 "$point" --object sample.bin -o "$QS/restored.bin"
cmp "$sample" "$QS/restored.bin" && echo "restore is byte-exact ($(stat -c %s "$sample") bytes)"

echo "== the audit log"
$CTL audit verify
$CTL audit export | tail -n 5

cat <<EOT

vaultd keeps running (PID $(cat "$QS/vaultd.pid")). Try:
  $CTL points demo host1
To stop it:
  kill \$(cat $QS/vaultd.pid)
EOT
