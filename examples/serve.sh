#!/usr/bin/env bash
# Key delivery end to end: make a content key, a token key and a per-key
# policy; start `keysmith serve`; issue a maxuses token; fetch the AES-128 key
# and a ClearKey license with curl; watch refusals carry their reason codes;
# reload on SIGHUP; stop with SIGTERM (drains, exits 0).
# Runs as is from the repository root (./bin/keysmith) or with keysmith on PATH.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
if [[ -x "$here/bin/keysmith" && -f "$here/dist/cli/main.js" ]]; then KS=(node "$here/bin/keysmith")
elif command -v keysmith >/dev/null; then KS=(keysmith)
else echo "build first (npm ci) or put keysmith on PATH" >&2; exit 2; fi
ks() { "${KS[@]}" "$@"; }
command -v curl >/dev/null || { echo "this example needs curl" >&2; exit 2; }

work=$(mktemp -d)
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

KID=0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11
ISS=https://sts.example.test/
AUD=urn:example:keysmith

echo "== a content key and a token signing key (both 0600)"
ks keys new --kid "$KID" -o keys.json
ks token keygen -o token.key

echo "== the policy: this KID needs a JWT naming it; every other KID is denied"
cat > policy.json <<JSON
{ "version": 1,
  "keys": { "$KID": { "authorization": "token",
                      "token": { "type": "jwt", "issuer": "$ISS", "audience": "$AUD",
                                 "keys": [ { "kind": "symmetric", "key": "$(cat token.key)" } ],
                                 "requiredClaims": [ { "type": "urn:microsoft:azure:mediaservices:contentkeyidentifier" } ] } } } }
JSON

echo "== start the server on a free port; --json prints one line with its URL"
# (not through a shell function: $! must be the server's own pid for the signals below)
"${KS[@]}" --json serve --keys keys.json --policy policy.json --port 0 --json-logs > serve.out 2> serve.log &
server=$!
for _ in $(seq 1 100); do [[ -s serve.out ]] && break; sleep 0.1; done
URL=$(grep -o '"url":"[^"]*"' serve.out | head -n 1 | cut -d'"' -f4)
[[ -n "$URL" ]] || { cat serve.log >&2; exit 1; }
echo "serving at $URL"
curl -fsS "$URL/readyz"; echo

echo "== a token that may fetch keys twice (maxuses tokens must expire within 1 h)"
T=$(ks token issue --type jwt --key-file token.key --issuer "$ISS" --audience "$AUD" --expires 30m --kid "$KID" --max-uses 2)

echo "== the AES-128 key, as an HLS player fetches it (token in the query) …"
curl -fsS "$URL/keys/aes/$KID?token=$T" | od -An -tx1

echo "== … and a ClearKey license, as shaka-player asks for it (bearer token)"
KID_B64URL=$(node -e 'process.stdout.write(Buffer.from(process.argv[1].replace(/-/g, ""), "hex").toString("base64url"))' "$KID")
curl -fsS -X POST -H "Authorization: Bearer $T" -d "{\"kids\":[\"$KID_B64URL\"],\"type\":\"temporary\"}" "$URL/keys/clearkey"; echo

echo "== refusals: 401 with a reason code"
status() { curl -s -o body.json -w '%{http_code}' "$@"; echo " $(cat body.json)"; }
status "$URL/keys/aes/$KID?token=$T"                                   # ERR_TOKEN_MAXUSES_EXCEEDED (third use)
status "$URL/keys/aes/$KID"                                            # ERR_TOKEN_MISSING
OTHER=$(ks token issue --type jwt --key-file token.key --issuer "$ISS" --audience "$AUD" --expires 30m --kid 11111111-2222-4333-8444-555555555555)
status -H "Authorization: Bearer $OTHER" "$URL/keys/aes/$KID"          # ERR_TOKEN_KID_MISMATCH
status "$URL/keys/aes/11111111-2222-4333-8444-555555555555"            # ERR_NOT_AUTHORIZED (denied, existing or not)

echo "== SIGHUP reloads keys and policy: now this KID is open"
printf '{ "version": 1, "keys": { "%s": { "authorization": "open" } } }\n' "$KID" > policy.json
kill -HUP "$server"
for _ in $(seq 1 50); do grep -q '"event":"reload"' serve.log && break; sleep 0.1; done
curl -fsS "$URL/keys/aes/$KID" | od -An -tx1

echo "== metrics and the access log (no tokens, no keys in it)"
curl -fsS "$URL/metrics" | grep -E '^keysmith_(key_grants|refusals)_total'
tail -n 3 serve.log

echo "== SIGTERM: drain and exit 0"
kill -TERM "$server"
wait "$server"
server=""
echo "done"
