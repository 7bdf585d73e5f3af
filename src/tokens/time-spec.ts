/**
 * Times on the command line and in options: a duration from now (90s, 30m,
 * 2h, 7d), an ISO 8601 date-time with a zone (2026-01-01T00:00:00Z), or epoch
 * seconds (1767225600). Returns epoch seconds.
 */
import { usageError } from '../errors.js';

const DURATION_RE = /^([0-9]{1,7})(s|m|h|d)$/;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export function parseTimeSpec(text: string, nowSeconds: number, name = 'time'): number {
  const t = text.trim();
  const d = DURATION_RE.exec(t);
  if (d) return nowSeconds + Number(d[1]) * (UNIT[d[2] as string] ?? 1);
  if (/^[0-9]{1,12}$/.test(t)) return Number(t);
  if (ISO_RE.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw usageError(`${name}: expected a duration (30m, 2h), an ISO 8601 time with a zone (2026-01-01T00:00:00Z) or epoch seconds, got '${t.slice(0, 40)}'`);
}
