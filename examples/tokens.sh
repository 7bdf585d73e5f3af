#!/usr/bin/env bash
# Test tokens end to end: make keys, issue JWT and SWT, verify them against an
# Azure Media Services v2 XML template, a v3 JSON restriction and a keysmith
# per-key policy, watch refusals carry their reason codes, inspect a token.
# Runs as is from the repository root (./bin/keysmith) or with keysmith on PATH.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
if [[ -x "$here/bin/keysmith" && -f "$here/dist/cli/main.js" ]]; then ks() { node "$here/bin/keysmith" "$@"; }
elif command -v keysmith >/dev/null; then ks() { keysmith "$@"; }
else echo "build first (npm ci) or put keysmith on PATH" >&2; exit 2; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

KID=0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11
ISS=https://sts.example.test/
AUD=urn:example:keysmith

echo "== keys"
ks token keygen -o hs.key                 # 64 random bytes, base64, mode 0600
ks token keygen --alg ES256 -o es.pem      # es.pem (0600), es.pem.pub.pem, es.pem.jwks.json

echo "== an SWT, byte-compatible with .NET, checked against a v2 XML template"
swt=$(ks token issue --type swt --key-file hs.key --issuer "$ISS" --audience "$AUD" --expires 1h --kid "$KID")
echo "$swt"
cat > template.xml <<XML
<TokenRestrictionTemplate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1">
  <AlternateVerificationKeys />
  <Audience>$AUD</Audience>
  <Issuer>$ISS</Issuer>
  <PrimaryVerificationKey i:type="SymmetricVerificationKey"><KeyValue>$(cat hs.key)</KeyValue></PrimaryVerificationKey>
  <RequiredClaims>
    <TokenClaim><ClaimType>urn:microsoft:azure:mediaservices:contentkeyidentifier</ClaimType><ClaimValue i:nil="true" /></TokenClaim>
  </RequiredClaims>
  <TokenType>SWT</TokenType>
</TokenRestrictionTemplate>
XML
ks token verify "$swt" --template template.xml --kid "$KID"

echo "== an ES256 JWT with maxuses, checked with the public JWKS (no discovery fetch)"
jwt=$(ks token issue --type jwt --key-file es.pem --issuer "$ISS" --audience "$AUD" --expires 30m --kid "$KID" --max-uses 3)
ks token verify "$jwt" --jwks es.pem.jwks.json --issuer "$ISS" --audience "$AUD" --kid "$KID" --json

echo "== a per-key policy: this KID needs a token, every other key is open"
cat > policy.json <<JSON
{ "version": 1,
  "default": { "authorization": "open" },
  "keys": { "$KID": { "authorization": "token",
                      "token": { "type": "jwt", "issuer": "$ISS", "audience": "$AUD",
                                 "jwks": $(cat es.pem.jwks.json),
                                 "requiredClaims": [ { "type": "urn:microsoft:azure:mediaservices:contentkeyidentifier" } ] } } } }
JSON
ks token verify "$jwt" --template policy.json --kid "$KID"
ks token verify "$jwt" --template policy.json --kid 11111111-2222-4333-8444-555555555555

echo "== refusals exit 1 and name their reason"
refused() { if ks "$@"; then echo "expected a refusal" >&2; exit 1; else [[ $? -eq 1 ]]; fi; }
refused token verify "$jwt" --template policy.json --kid "$KID" --at $(( $(date +%s) + 7200 ))       # ERR_TOKEN_EXPIRED
refused token verify "${swt/\%3a/%3A}" --template template.xml --kid "$KID"                          # ERR_TOKEN_SIGNATURE
refused token verify "$swt" --template template.xml --kid 9a1b8c7d-6e5f-4031-2233-445566778899       # ERR_TOKEN_KID_MISMATCH

echo "== inspect decodes without verifying, and says so"
ks token inspect "$jwt"
