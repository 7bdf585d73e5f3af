#!/bin/sh
# keys and pssh, end to end: make keys, show them, derive a PlayReady key from
# a key seed, build and inspect pssh boxes, and exchange keys as CPIX with a
# recipient certificate. Runs as is from the repository root or anywhere with
# keysmith on PATH; needs openssl for the recipient certificate.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$here/bin/keysmith" ] && [ -f "$here/dist/cli/main.js" ]; then ks="$here/bin/keysmith"; else ks=keysmith; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== two random content keys, labelled HD, in keys.json (mode 0600)"
"$ks" keys new --count 2 --label HD -o keys.json
ls -l keys.json

echo "== their KIDs (keys stay hidden without --reveal), then PlayReady's GUID notation"
"$ks" keys show keys.json
"$ks" keys show keys.json --format playready-guid --reveal

echo "== PlayReady key seed -> content key (Microsoft's published test seed and vector)"
"$ks" keys derive --seed XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I \
  --kid 339c45b5-fb6d-4bd9-994c-eabd9d41c95b --format base64
# expected: pTfNwMplhBQG1SXnvyLXVA==

echo "== pssh boxes for Widevine, PlayReady and the W3C common system (base64, for <cenc:pssh>)"
"$ks" pssh new --system widevine,playready,common --keys keys.json \
  --la-url 'https://license.example.com/playready/rightsmanager.asmx' > boxes.b64
cut -c1-72 boxes.b64

echo "== inspect them, checking the PlayReady checksums against our keys"
"$ks" pssh inspect "$(cat boxes.b64)" --keys keys.json

echo "== a cbcs PlayReady 4.3 header as JSON"
kid=$("$ks" --json keys show keys.json | sed -n 's/.*"kid": "\([0-9a-f-]*\)".*/\1/p' | head -1)
"$ks" pssh new --system playready --kid "$kid" --protection-scheme cbcs -f box-hex | "$ks" --json pssh inspect - | head -20

echo "== CPIX: encrypt the keys to a recipient certificate, then import them back"
openssl req -x509 -newkey rsa:3072 -sha256 -days 30 -nodes -subj '/CN=example packager' \
  -keyout packager.key -out packager.pem 2>/dev/null
"$ks" keys export keys.json --cpix --recipient packager.pem --drm widevine,playready,clearkey -o keys.cpix.xml
"$ks" keys import keys.cpix.xml --private-key packager.key -o imported.json
cmp keys.json imported.json && echo "round trip: identical keys.json"

echo "== what the CPIX document holds (no key values in --json)"
"$ks" --json keys import keys.cpix.xml | head -12
