/**
 * DASH and HLS writers from a hand-built presentation: exact text checked
 * by hand against ISO/IEC 23009-1 / DASH-IF IOP and RFC 8216, plus the
 * rules a conformance validator checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMpdConformance } from '../helpers/dash-conformance.js';
import { KeyId, ContentKey } from '../../src/crypto/values.js';
import { parseDrmList } from '../../src/drm/index.js';
import {
  isoDuration, writeMediaPlaylist, writeMpd, writeMultivariantPlaylist, peakBitrate, averageBitrate,
  type Presentation, type Rendition,
} from '../../src/manifest/index.js';

const kid = KeyId.parse('10000000-1000-1000-1000-100000000000');
const key = ContentKey.parse('00112233445566778899aabbccddeeff');

function video(): Rendition {
  return {
    id: 'video-240p', kind: 'video', codecs: 'avc1.64000d', timescale: 12800, init: 'video-240p/init.mp4', initSize: 800,
    media: 'video-240p/$Number$.m4s', width: 320, height: 240, frameRate: '25', sar: '1:1', kid,
    // 2 s, 2 s, 1 s: 50 000, 60 000 and 20 000 bytes → 200, 240, 160 kbit/s.
    segments: [
      { start: 0, duration: 25600, size: 50_000 },
      { start: 25600, duration: 25600, size: 60_000 },
      { start: 51200, duration: 12800, size: 20_000 },
    ],
  };
}

function audio(): Rendition {
  return {
    id: 'audio', kind: 'audio', codecs: 'mp4a.40.2', timescale: 48000, init: 'audio/init.mp4', initSize: 600,
    media: 'audio/$Number$.m4s', sampleRate: 48000, channels: 2, kid,
    segments: [
      { start: 0, duration: 96256, size: 24_000 },
      { start: 96256, duration: 95232, size: 24_000 },
      { start: 191488, duration: 48128, size: 12_000 },
    ],
  };
}

function expectations(p: Presentation): { scheme?: string; segments: Record<string, number> } {
  return { ...(p.protection ? { scheme: p.protection.scheme } : {}), segments: Object.fromEntries(p.renditions.map((r) => [r.id, r.segments.length])) };
}

function presentation(extra: Partial<Presentation> = {}): Presentation {
  return { duration: 5.01, segmentDuration: 2, renditions: [video(), audio()], ...extra };
}

test('bitrates: peak of the segments and the average over the rendition', () => {
  assert.equal(peakBitrate(video()), 240_000);
  // Audio: 24 000 bytes in 95 232/48 000 = 1.984 s → 96 774.2, rounded up; 60 000 bytes in 4.992 s → 96 153.8.
  assert.equal(peakBitrate(audio()), 96_775);
  assert.equal(averageBitrate(audio()), 96_154);
  assert.equal(averageBitrate(video()), 208_000); // 130 000 bytes × 8 / 5 s
});

test('isoDuration writes xs:duration', () => {
  assert.equal(isoDuration(5.01), 'PT5.010S');
  assert.equal(isoDuration(3725.5), 'PT1H2M5.500S');
  assert.equal(isoDuration(60), 'PT1M0.000S');
});

// minBufferTime: the longest segment (2.005 s) rounded up to whole seconds.
test('the clear MPD, exactly', () => {
  assert.equal(
    writeMpd(presentation()),
    `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="static" mediaPresentationDuration="PT5.010S" minBufferTime="PT3.000S" maxSegmentDuration="PT2.005S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="320" maxHeight="240" maxFrameRate="25">
      <Representation id="video-240p" bandwidth="240000" codecs="avc1.64000d" width="320" height="240" frameRate="25" sar="1:1">
        <SegmentTemplate timescale="12800" initialization="video-240p/init.mp4" media="video-240p/$Number$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="25600" r="1"/>
            <S d="12800"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="audio" bandwidth="96775" codecs="mp4a.40.2" audioSamplingRate="48000">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
        <SegmentTemplate timescale="48000" initialization="audio/init.mp4" media="audio/$Number$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="96256"/>
            <S d="95232"/>
            <S d="48128"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`,
  );
});

test('the clear MPD passes the conformance rules', () => {
  checkMpdConformance(writeMpd(presentation()), expectations(presentation()));
});

test('a protected MPD: mp4protection then one descriptor per DRM, the content from the DRM table, namespaces declared', () => {
  const p = presentation({ protection: { scheme: 'cbcs', drm: parseDrmList('clearkey,widevine,playready'), keys: [{ kid, key }], laUrl: 'https://lic.example.com/ck' } });
  const text = writeMpd(p);
  checkMpdConformance(text, expectations(p));
  assert.match(text, /xmlns:cenc="urn:mpeg:cenc:2013" xmlns:dashif="https:\/\/dashif.org\/CPS" xmlns:mspr="urn:microsoft:playready"|xmlns:cenc="urn:mpeg:cenc:2013"/);
  assert.match(text, /<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cbcs" cenc:default_KID="10000000-1000-1000-1000-100000000000"\/>/);
  assert.match(text, /<dashif:Laurl Lic_type="EME-1.0">https:\/\/lic.example.com\/ck<\/dashif:Laurl>/);
  assert.match(text, /value="MSPR 2.0">\n\s+<cenc:pssh>[A-Za-z0-9+/=]+<\/cenc:pssh>\n\s+<mspr:pro>/);
  // Each DRM descriptor is exactly what the table renders for these KIDs.
  for (const d of p.protection!.drm) {
    const cp = d.dashContentProtection({ kids: [kid], keys: [{ kid, key }], scheme: 'cbcs', laUrl: 'https://lic.example.com/ck' });
    for (const c of cp.children) if (c.text) assert.ok(text.includes(c.text), `${d.name} ${c.name} from the DRM table`);
  }
  for (const prefix of ['cenc', 'mspr', 'dashif']) assert.match(text, new RegExp(`xmlns:${prefix}=`));
});

test('the HLS media playlist, exactly (clear)', () => {
  assert.equal(
    writeMediaPlaylist(presentation(), video()),
    `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="video-240p/init.mp4"
#EXTINF:2.000,
video-240p/1.m4s
#EXTINF:2.000,
video-240p/2.m4s
#EXTINF:1.000,
video-240p/3.m4s
#EXT-X-ENDLIST
`,
  );
});

test('the multivariant playlist, exactly: BANDWIDTH = video peak + audio peak, AUDIO group, CODECS of both', () => {
  assert.equal(
    writeMultivariantPlaylist(presentation()),
    `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=336775,AVERAGE-BANDWIDTH=304154,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x240,FRAME-RATE=25,AUDIO="audio"
video-240p.m3u8
`,
  );
});

test('HLS AES-128: a key line with an explicit IV before the EXT-X-MAP and before every segment', () => {
  const v = video();
  v.segments.forEach((s, i) => (s.iv = Buffer.alloc(16, i + 1)));
  const text = writeMediaPlaylist(presentation({ envelope: { keyUri: 'key.bin', initIv: Buffer.alloc(16, 0) } }), v);
  const lines = text.trim().split('\n');
  const map = lines.findIndex((l) => l.startsWith('#EXT-X-MAP'));
  assert.equal(lines[map - 1], '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000000');
  assert.deepEqual(lines.slice(map + 1, map + 4), ['#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x01010101010101010101010101010101', '#EXTINF:2.000,', 'video-240p/1.m4s']);
  assert.equal(lines.filter((l) => l.startsWith('#EXT-X-KEY')).length, 4);
});

test('HLS CENC: one EXT-X-KEY per DRM (SAMPLE-AES-CTR for cenc, SAMPLE-AES for cbcs) and the same as EXT-X-SESSION-KEY', () => {
  for (const [scheme, method] of [['cenc', 'SAMPLE-AES-CTR'], ['cbcs', 'SAMPLE-AES']] as const) {
    const drm = parseDrmList(scheme === 'cbcs' ? 'clearkey,widevine,playready,fairplay' : 'clearkey,widevine,playready');
    const p = presentation({ protection: { scheme, drm, keys: [{ kid, key }], fairplayKeyUri: 'skd://keys.example.com/10000000' } });
    const media = writeMediaPlaylist(p, video());
    const keyLines = media.split('\n').filter((l) => l.startsWith('#EXT-X-KEY'));
    assert.equal(keyLines.length, drm.length);
    for (const l of keyLines) assert.ok(l.startsWith(`#EXT-X-KEY:METHOD=${method},`), l);
    assert.ok(media.indexOf('#EXT-X-KEY') < media.indexOf('#EXT-X-MAP'));
    const formats = keyLines.map((l) => /KEYFORMAT="([^"]+)"/.exec(l)![1]);
    assert.deepEqual(formats, drm.map((d) => d.hlsKey({ kids: [kid], scheme }).keyformat));
    if (scheme === 'cbcs') assert.ok(keyLines.some((l) => l.includes('URI="skd://keys.example.com/10000000"')));
    const session = writeMultivariantPlaylist(p).split('\n').filter((l) => l.startsWith('#EXT-X-SESSION-KEY'));
    assert.deepEqual(session, keyLines.map((l) => l.replace('#EXT-X-KEY', '#EXT-X-SESSION-KEY')));
  }
});

test('every EXTINF rounds to at most EXT-X-TARGETDURATION (RFC 8216 §4.3.3.1)', () => {
  const v = video();
  v.segments[1]!.duration = 12800 * 2.6; // 2.6 s rounds to 3
  const text = writeMediaPlaylist(presentation(), v);
  assert.match(text, /#EXT-X-TARGETDURATION:3\n/);
});

test('the conformance check itself fails on broken MPDs (missing @codecs, a timeline gap, an undeclared prefix)', () => {
  const good = writeMpd(presentation());
  const exp = expectations(presentation());
  assert.throws(() => checkMpdConformance(good.replace(' codecs="avc1.64000d"', ''), exp), /@codecs/);
  assert.throws(() => checkMpdConformance(good.replace('<S d="12800"/>', '<S t="60000" d="12800"/>'), exp), /gap/);
  assert.throws(() => checkMpdConformance(good.replace('<Period id="0"', '<Period cenc:x="1" id="0"'), exp), /prefix cenc/);
});
