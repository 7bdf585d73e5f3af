#!/bin/sh
# Package an ABR ladder (three renditions with aligned key frames) into DASH
# and HLS with common encryption and W3C ClearKey, plus an HLS AES-128
# version, then open it in a browser.
# Needs ffmpeg; python3 (or any static web server) to look at the result.
# Run from the repository root (uses ./bin/keysmith) or with keysmith on PATH.
#   sh examples/package.sh            # writes ./package-demo/ and prints how to serve it
#   SERVE=1 sh examples/package.sh    # and serves it on http://localhost:8080/
set -eu
KS=./bin/keysmith
[ -x "$KS" ] || KS=keysmith
out=${OUT:-package-demo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Three renditions of a 10-second test clip, encoded with the same fixed
#    GOP (-g 50 -keyint_min 50 -sc_threshold 0): their segments can align.
for r in 720:1280:2500k 480:854:1200k 360:640:700k; do
  h=${r%%:*}; rest=${r#*:}; w=${rest%%:*}; b=${rest#*:}
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=${w}x${h}:rate=25:duration=10" \
    -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 \
    -c:v libx264 -preset veryfast -b:v "$b" -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -movflags +faststart "$work/in_$h.mp4"
done

KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff

# 2. DASH + HLS over the same CMAF segments, cbcs, signalled for ClearKey,
#    Widevine and PlayReady (the common-system pssh is always there).
$KS package "$work/in_720.mp4" "$work/in_480.mp4" "$work/in_360.mp4" -o "$out" --force \
  --dash --hls --encryption cbcs --drm clearkey,widevine,playready --key "$KID:$KEY" --segment-duration 4

# 3. The same content as HLS AES-128 (whole segments encrypted, key.bin beside
#    the playlists, 0600). --json lists every file, the bitrates and the KIDs.
$KS package "$work/in_720.mp4" "$work/in_480.mp4" -o "$out/aes128" --force --hls --encryption cbc --key "$KID:$KEY" --json | head -30
chmod 644 "$out/aes128/key.bin"   # demo only: let the web server read the key

# 4. A player page: shaka-player (from a CDN) with the ClearKey key inline.
cat > "$out/index.html" <<HTML
<!doctype html><meta charset="utf-8"><title>keysmith package demo</title>
<script src="https://cdn.jsdelivr.net/npm/shaka-player@4/dist/shaka-player.compiled.js"></script>
<video id="v" controls autoplay muted width="960"></video>
<p>DASH cbcs + ClearKey (shaka-player). Also try: <a href="aes128/master.m3u8">aes128/master.m3u8</a> (HLS AES-128, Safari or ffplay -allowed_extensions ALL)</p>
<script>
shaka.polyfill.installAll();
const player = new shaka.Player();
player.attach(document.getElementById('v')).then(() => {
  player.configure({ drm: { clearKeys: { '$KID': '$KEY' } } });
  return player.load('manifest.mpd');
}).catch((e) => document.body.append('error ' + e.code));
</script>
HTML

echo
echo "Serve it and open http://localhost:8080/ :"
echo "  python3 -m http.server 8080 --directory $out"
echo "ffmpeg can read the AES-128 version directly:"
echo "  ffprobe -v error -allowed_extensions ALL -show_entries stream=codec_name,width,height $out/aes128/master.m3u8"
if [ "${SERVE:-0}" = 1 ]; then exec python3 -m http.server 8080 --directory "$out"; fi
