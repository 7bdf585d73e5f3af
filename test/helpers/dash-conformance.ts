/**
 * The rules a DASH-IF conformance validator checks that an MPD of ours
 * could break (ISO/IEC 23009-1, DASH-IF IOP v4.3): root namespace, type,
 * profiles, mandatory attributes, declared prefixes, one AdaptationSet per
 * content type, @mimeType/@codecs/@bandwidth, video and audio attributes,
 * ContentProtection order, a gap-free SegmentTimeline with one S per
 * segment whose durations add up to the presentation duration.
 */
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['AdaptationSet', 'Representation', 'ContentProtection', 'S'].includes(name) });

type Node = Record<string, unknown>;

/** The rules a DASH-IF conformance validator checks that our MPDs can break. */
export function checkMpdConformance(mpdText: string, expect: { scheme?: string; segments: Record<string, number> }): void {
  const doc = parser.parse(mpdText) as { MPD: Node };
  const mpd = doc.MPD;
  assert.equal(mpd['@xmlns'], 'urn:mpeg:dash:schema:mpd:2011');
  assert.equal(mpd['@type'], 'static');
  assert.ok(String(mpd['@profiles']).split(',').includes('urn:mpeg:dash:profile:isoff-live:2011'));
  assert.ok(mpd['@minBufferTime'], '@minBufferTime is mandatory (§5.3.1.2)');
  assert.ok(mpd['@mediaPresentationDuration'], 'a static MPD without Period@duration needs @mediaPresentationDuration');
  const total = Number(/PT(?:(\d+)H)?(?:(\d+)M)?([\d.]+)S/.exec(String(mpd['@mediaPresentationDuration']))!.slice(1).reduce((a, x, i) => a + Number(x ?? 0) * [3600, 60, 1][i]!, 0));
  // Every namespace prefix used is declared.
  for (const prefix of new Set([...mpdText.matchAll(/<\/?([a-z]+):/g)].map((m) => m[1]!).concat([...mpdText.matchAll(/ ([a-z]+):[A-Za-z_]+="/g)].map((m) => m[1]!)))) {
    if (prefix === 'xmlns') continue;
    assert.ok(mpd[`@xmlns:${prefix}`], `namespace prefix ${prefix} declared`);
  }
  const period = mpd.Period as Node;
  const sets = period.AdaptationSet as Node[];
  assert.equal(new Set(sets.map((s) => s['@contentType'])).size, sets.length, 'one AdaptationSet per content type');
  for (const set of sets) {
    assert.ok(set['@mimeType'], '@mimeType present');
    assert.equal(set['@segmentAlignment'], 'true');
    const cps = (set.ContentProtection as Node[] | undefined) ?? [];
    if (expect.scheme) {
      assert.equal(cps[0]!['@schemeIdUri'], 'urn:mpeg:dash:mp4protection:2011', 'mp4protection first (IOP §7.7.2)');
      assert.equal(cps[0]!['@value'], expect.scheme);
      assert.match(String(cps[0]!['@cenc:default_KID']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      for (const cp of cps.slice(1)) assert.match(String(cp['@schemeIdUri']), /^urn:uuid:[0-9a-f-]{36}$/);
    } else assert.equal(cps.length, 0);
    for (const rep of set.Representation as Node[]) {
      assert.ok(rep['@codecs'], '@codecs present');
      assert.ok(Number(rep['@bandwidth']) > 0, '@bandwidth present');
      if (set['@contentType'] === 'video') for (const a of ['@width', '@height', '@frameRate', '@sar']) assert.ok(rep[a], `${a} present`);
      if (set['@contentType'] === 'audio') {
        assert.ok(rep['@audioSamplingRate']);
        assert.ok(rep.AudioChannelConfiguration);
      }
      const tpl = rep.SegmentTemplate as Node;
      assert.match(String(tpl['@media']), /\$Number\$/);
      const timescale = Number(tpl['@timescale']);
      assert.ok(Number.isInteger(timescale) && timescale > 0);
      // The timeline is contiguous and its sum is the presentation duration (± one segment's rounding).
      let t = 0;
      let count = 0;
      let sum = 0;
      for (const s of (tpl.SegmentTimeline as Node).S as Node[]) {
        if (s['@t'] !== undefined) {
          assert.equal(Number(s['@t']), t, 'no gap in the SegmentTimeline');
        }
        const d = Number(s['@d']);
        const r = Number(s['@r'] ?? 0);
        t += d * (r + 1);
        sum += d * (r + 1);
        count += r + 1;
      }
      assert.equal(count, expect.segments[String(rep['@id'])], 'one S per segment file');
      assert.ok(Math.abs(sum / timescale - total) < 0.1, `segments sum to the presentation duration (${sum / timescale} vs ${total})`);
    }
  }
}

