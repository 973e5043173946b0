#!/usr/bin/env bash
# Runs the README's set-up commands, as written, as root in a clean Debian 12 chroot made by
# debootstrap, then the README's curl lines against the server they start.
#
#   sudo benches/setup/debian-chroot.sh [WORKDIR]      # needs network; about 40 minutes on 2 cores
#
# The two commands are read from the README's "Run it" section (the first ```sh block), so the
# script checks the text a newcomer follows. The chroot gets a copy of the committed tree
# (`git archive HEAD`).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-/var/tmp/tupu-chroot}"
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap and chroot need it)" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q debootstrap; }

if [ ! -x "$work/bin/bash" ]; then
  debootstrap --variant=minbase bookworm "$work" http://deb.debian.org/debian
fi
cp /etc/resolv.conf "$work/etc/resolv.conf"
# Extra CA certificates of the host (a network that inspects TLS) are trusted inside too.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$work/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$work/usr/local/share/ca-certificates/"
fi
mkdir -p "$work/proc" "$work/dev" "$work/sys"
mount -t proc proc "$work/proc"
mount --rbind /dev "$work/dev"
mount --rbind /sys "$work/sys"
server=""
cleanup() {
  [ -n "$server" ] && kill -- "-$server" 2>/dev/null || true
  umount -R "$work/proc" "$work/dev" "$work/sys" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$work/root/tupu" && mkdir -p "$work/root/tupu"
git -C "$root" archive HEAD | tar -x -C "$work/root/tupu"

# The README's commands: the first ```sh block of "## Run it" (two lines).
commands="$(awk '/^## Run it/{f=1} f&&/^```sh/{b=1;next} b&&/^```/{exit} b' "$root/README.md")"
curls="$(awk '/^## Run it/{f=1} f&&/^```sh/{n++} n==2&&/^```sh/{b=1;next} b&&/^```/{exit} b' "$root/README.md")"
echo "README commands:"; echo "$commands"

# The last command starts the server in the foreground: run it in the background and wait
# for /health, as a newcomer would in a second terminal.
setsid chroot "$work" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c "cd /root/tupu && { $(echo "$commands" | head -n 1); } && { $(echo "$commands" | tail -n 1); } > /root/serve.log 2>&1" &
server=$!
for _ in $(seq 1 7200); do
  chroot "$work" bash -c 'command -v curl >/dev/null && curl -sf localhost:7878/health' >/dev/null 2>&1 && break
  sleep 1
done
echo "README curl lines:"
chroot "$work" bash -c "$curls"
echo
echo "the README's set-up ran in a clean chroot and the server answered"
