/**
 * One structured record per request. Never a token, never a key: a token
 * shows up only as the first 16 hex digits of its identity (SHA-256 of the
 * signature), the query string is never logged, the path only as the route.
 */
export interface AccessLogEntry {
  time: string;
  method: string;
  endpoint: string;
  /** The path without query string. */
  path: string;
  status: number;
  ms: number;
  remote: string | undefined;
  /** Refusal reason code (ERR_*), when refused. */
  code?: string;
  /** Requested key ids (public). */
  kids?: string[];
  /** Granted key ids. */
  granted?: number;
  /** First 16 hex digits of the verified token identity. */
  token?: string;
  /** Replay count after this use, for maxuses tokens. */
  uses?: number;
}

export type AccessLogSink = (entry: AccessLogEntry) => void;

/** The human rendering: one line. */
export function formatAccessLine(e: AccessLogEntry): string {
  const parts = [e.time, e.remote ?? '-', e.method, e.path, String(e.status), `${e.ms.toFixed(1)}ms`];
  if (e.code) parts.push(e.code);
  if (e.kids && e.kids.length > 0) parts.push(`kid=${e.kids.join(',')}`);
  if (e.token) parts.push(`token=${e.token}`);
  if (e.uses !== undefined) parts.push(`uses=${e.uses}`);
  return parts.join(' ');
}
