#!/bin/sh
# Encrypt an MP4 with common encryption, look inside, decrypt it again, and
# let ffmpeg (a decryptor keysmith did not write) check the frames.
# Needs ffmpeg. Run from the repository root (uses ./bin/keysmith) or with
# keysmith on PATH.
set -eu
KS=./bin/keysmith
[ -x "$KS" ] || KS=keysmith
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. A 4-second test clip: H.264 video and AAC audio.
ffmpeg -nostdin -hide_banner -loglevel error \
  -f lavfi -i testsrc2=size=320x240:rate=25:duration=4 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=4 \
  -c:v libx264 -g 25 -c:a aac -movflags +faststart "$work/in.mp4"

KID=0123456789abcdef0123456789abcdef
KEY=00112233445566778899aabbccddeeff

# 2. Encrypt with cbcs (what Apple devices and modern browsers want), with
#    Widevine and PlayReady headers next to the common-system pssh.
$KS encrypt "$work/in.mp4" -o "$work/enc.mp4" --scheme cbcs --key "$KID:$KEY" --drm widevine,playready

# 3. What is inside: scheme, pattern, KID, PSSH systems, sample counts.
$KS inspect "$work/enc.mp4"

# 4. Decrypt with the key, and compare the decoded frames with ffmpeg.
$KS decrypt "$work/enc.mp4" -o "$work/clear.mp4" --key "$KID:$KEY"
a=$(ffmpeg -nostdin -v error -i "$work/in.mp4" -map 0:v:0 -f md5 -)
b=$(ffmpeg -nostdin -v error -i "$work/clear.mp4" -map 0:v:0 -f md5 -)
c=$(ffmpeg -nostdin -v error -decryption_key "$KEY" -i pipe:0 -map 0:v:0 -f md5 - < "$work/enc.mp4")
echo "source:            $a"
echo "keysmith decrypt:  $b"
echo "ffmpeg decrypt:    $c"
[ "$a" = "$b" ] && [ "$a" = "$c" ] && echo "frames identical"

# 5. Without --key, keys are generated and written beside the output (0600).
$KS encrypt "$work/in.mp4" -o "$work/enc2.mp4" --json | head -20
ls -l "$work/enc2.keys.json"
