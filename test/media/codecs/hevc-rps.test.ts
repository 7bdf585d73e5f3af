/**
 * HEVC short-term reference picture sets predicted from one another
 * (H.265 §7.3.7 inter_ref_pic_set_prediction_flag, derivation §7.4.8
 * equations 7-61/7-62). x265 never writes them, so this test rewrites an
 * x265 SPS to carry three sets (one explicit, two predicted), checks our
 * derived sets against values worked out by hand from the equations, and
 * has ffmpeg's trace_headers (an independent parser) read the same SPS:
 * the number of used_by_curr_pic_flag entries it reads per set is
 * NumDeltaPocs of the reference set + 1, and the fields after the sets
 * must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHevcSps } from '../../../src/media/codecs/hevc.js';
import { ffmpeg, splitAnnexB, unescape } from '../../helpers/annexb.js';
import { requireTool } from '../../helpers/tools.js';

const bitsOf = (b: Uint8Array) => [...b].map((x) => x.toString(2).padStart(8, '0')).join('');
const ue = (v: number) => {
  const code = (v + 1).toString(2);
  return '0'.repeat(code.length - 1) + code;
};
function toBytes(bits: string): Buffer {
  const padded = bits + '0'.repeat((8 - (bits.length % 8)) % 8);
  return Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}
function escape(rbsp: Uint8Array): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

// set 0: explicit, S0 = [-1, -3] (both used), S1 = [2] (used)
const SET0 = '' + ue(2) + ue(1) + ue(0) + '1' + ue(1) + '1' + ue(1) + '1';
// set 1: predicted from set 0 with deltaRps = -1; (used, use_delta) per j = 0..3: (1), (0,1), (0,0), (1)
const SET1 = '1' + '1' + ue(0) + '1' + '01' + '00' + '1';
// set 2: predicted from set 1 with deltaRps = +2; j = 0..3: (1), (1), (0,1), (1)
const SET2 = '1' + '0' + ue(1) + '1' + '1' + '01' + '1';

test('HEVC inter-predicted short-term RPS in the SPS: derivation by hand and ffmpeg agree', (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'keysmith-rps-'));
  try {
    const src = join(dir, 'src.hevc');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=0.04', '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=1', '-f', 'hevc', src]);
    const nals = splitAnnexB(readFileSync(src));
    const type = (n: Buffer) => (n[0]! >> 1) & 0x3f;
    const sps = nals.find((n) => type(n) === 33)!;
    // find num_short_term_ref_pic_sets with ffmpeg's own trace of the original
    const trace = (path: string) => {
      const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-f', 'hevc', '-i', path, '-c', 'copy', '-bsf:v', 'trace_headers', '-f', 'null', '-'], { encoding: 'utf8' });
      const lines = r.stderr.split(/\r?\n|\r/).map((l) => l.replace(/^.*\[trace_headers @ [^\]]+\] /, ''));
      const start = lines.findIndex((l) => l.startsWith('Sequence Parameter Set'));
      const end = lines.findIndex((l, i) => i > start && l.startsWith('Picture Parameter Set'));
      return lines.slice(start, end);
    };
    const original = trace(src);
    const numLine = original.find((l) => / num_short_term_ref_pic_sets /.test(l))!;
    const pos = Number(/^(\d+)/.exec(numLine)![1]);
    assert.match(numLine, / 1 = 0$/, 'x265 writes no RPS in its SPS');
    let bits = bitsOf(unescape(sps));
    bits = bits.slice(0, pos) + ue(3) + SET0 + SET1 + SET2 + bits.slice(pos + 1);
    bits = bits.replace(/10*$/, '1'); // rbsp_stop_one_bit, then re-align
    const newSps = escape(toBytes(bits));

    const parsed = parseHevcSps(newSps);
    assert.deepEqual(parsed.shortTermRps, [
      { deltaPocS0: [-1, -3], usedS0: [true, true], deltaPocS1: [2], usedS1: [true] },
      { deltaPocS0: [-1, -2, -4], usedS0: [true, true, false], deltaPocS1: [], usedS1: [] },
      { deltaPocS0: [-2], usedS0: [false], deltaPocS1: [1, 2], usedS1: [true, true] },
    ]);

    const path = join(dir, 'rps.hevc');
    const sc = Buffer.from([0, 0, 0, 1]);
    writeFileSync(path, Buffer.concat(nals.flatMap((n) => [sc, type(n) === 33 ? newSps : n])));
    const lines = trace(path);
    // ffmpeg reads NumDeltaPocs[ref] + 1 used_by_curr_pic_flag entries for each predicted set
    const used = lines.filter((l) => / used_by_curr_pic_flag\[/.test(l)).length;
    assert.equal(used, 3 + 1 + (parsed.shortTermRps[1]!.deltaPocS0.length + parsed.shortTermRps[1]!.deltaPocS1.length) + 1);
    const value = (name: string) => Number(/= (-?\d+)$/.exec(lines.find((l) => new RegExp(` ${name} `).test(l))!)![1]);
    assert.equal(value('num_short_term_ref_pic_sets'), 3);
    assert.equal(value('long_term_ref_pics_present_flag'), parsed.longTermRefPicsPresent ? 1 : 0);
    assert.equal(value('sps_temporal_mvp_enabled_flag'), parsed.temporalMvp ? 1 : 0);
    assert.ok(lines.some((l) => / rbsp_stop_one_bit /.test(l)), 'ffmpeg read the rewritten SPS to its end');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
