#!/usr/bin/env bash
# keysmith storage: a short tour of files at rest. Runs as is from the repo
# root (uses ./bin/keysmith, else `keysmith` on PATH); works in a temp dir
# that it removes on exit.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -x "$here/bin/keysmith" ] && [ -f "$here/dist/cli/main.js" ]; then
  ks() { node "$here/bin/keysmith" "$@"; }
else
  ks() { keysmith "$@"; }
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== a key (0600, never overwritten without --force)"
ks storage keygen -o master.key
ls -l master.key | cut -d' ' -f1

echo "== encrypt and decrypt a file"
head -c 3000000 /dev/urandom > movie.mp4
ks storage encrypt -k master.key -o movie.mp4.ks movie.mp4
ks storage inspect movie.mp4.ks
ks storage decrypt -k master.key -o movie.out movie.mp4.ks
cmp movie.mp4 movie.out && echo "round trip: identical"

echo "== random access: only the chunks that hold the bytes are read"
ks storage decrypt -k master.key --range 1000000-1999999 movie.mp4.ks > part.bin
cmp part.bin <(tail -c +1000001 movie.mp4 | head -c 1000000) && echo "range: identical"

echo "== pipes"
printf 'hello from a pipe\n' | ks storage encrypt -k master.key - | ks storage decrypt -k master.key -

echo "== tampering is detected, and nothing is left at -o"
cp movie.mp4.ks bad.ks
printf '\x00' | dd of=bad.ks bs=1 seek=500000 conv=notrunc status=none
if ks storage decrypt -k master.key -o bad.out bad.ks; then echo "unexpected success"; exit 1; fi
[ ! -e bad.out ] && echo "no bad.out left behind"

echo "== passphrase (scrypt parameters in the header)"
printf 'correct horse battery staple\n' > pw.txt
ks storage encrypt --passphrase-file pw.txt -o notes.ks pw.txt
ks storage inspect --json notes.ks | grep -E '"(wrapping|keyId)"'

echo "== rotate the key without re-encrypting the payload"
ks storage keygen -o new.key
ks storage rewrap -k master.key --new-key new.key movie.mp4.ks
ks storage decrypt -k master.key -o /dev/null movie.mp4.ks 2>&1 | head -1 || true  # the old key is refused
ks storage decrypt -k new.key movie.mp4.ks | cmp - movie.mp4 && echo "new key: identical"

echo "== public-key wrapping: X25519 recipients (age-format keys)"
ks storage keygen --x25519 -o archive.id
recipient="$(grep '^# public key:' archive.id | cut -d' ' -f4)"
ks storage encrypt --recipient "$recipient" -o ingest.ks movie.mp4
ks storage decrypt -i archive.id ingest.ks | cmp - movie.mp4 && echo "x25519: identical"

echo "== a directory tree, in parallel, with a --json summary"
mkdir -p masters/s1
head -c 100000 /dev/urandom > masters/intro.mov
head -c 200000 /dev/urandom > masters/s1/ep1.mxf
ks storage encrypt -r -k new.key -o vault masters
find vault -type f | sort
ks --json storage decrypt -r -k new.key -o restored vault | grep -E '"(files|succeeded)"'
diff -r masters restored && echo "tree: identical"
