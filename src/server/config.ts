/**
 * What a running server serves: the content keys and, per key id, who may
 * have them. Loaded as one value and swapped as one value (SIGHUP reload is
 * atomic: a request sees either the old config or the new, never a mix).
 */
import type { KeyId } from '../crypto/values.js';
import { readKeyFile, type ContentKeyEntry } from '../keys/content-keys.js';
import { readFileChecked } from '../fsx/atomic.js';
import { parseKeysmithPolicy, type TokenRestriction } from '../tokens/index.js';

/** How one key id is protected. */
export type KeyAccess =
  | { kind: 'open' }
  | { kind: 'token'; restriction: TokenRestriction }
  /** No policy names this key id and there is no default: nobody gets it. */
  | { kind: 'deny' };

export interface ServeConfig {
  /** Content keys by KID hex. */
  readonly keys: ReadonlyMap<string, ContentKeyEntry>;
  /** The access rule for a KID (known or not: the rule never depends on whether the key exists). */
  accessFor(kid: KeyId): KeyAccess;
  /** Where it came from, for logs. */
  readonly sources: { keys: string; policy?: string };
  /** How many key ids the policy names, and what the default is (for the start line). */
  readonly summary: { keys: number; policyKids: number; defaultAccess: KeyAccess['kind'] };
}

const OPEN: KeyAccess = { kind: 'open' };
const DENY: KeyAccess = { kind: 'deny' };

type PolicyDoc = ReturnType<typeof parseKeysmithPolicy>;

/** Map the token library's policy document onto KeyAccess rules. */
function accessOf(rule: unknown): KeyAccess {
  const r = rule as { type?: string; kind?: string; restriction?: TokenRestriction } | string;
  const kind = typeof r === 'string' ? r : (r.type ?? r.kind);
  if (kind === 'open') return OPEN;
  if (kind === 'token' && typeof r === 'object' && r.restriction) return { kind: 'token', restriction: r.restriction };
  return DENY;
}

export function policyRules(doc: PolicyDoc): { byKid: Map<string, KeyAccess>; fallback: KeyAccess } {
  const d = doc as unknown as { default?: unknown; keys?: Record<string, unknown> | Map<string, unknown> };
  const byKid = new Map<string, KeyAccess>();
  const entries = d.keys instanceof Map ? [...d.keys] : Object.entries(d.keys ?? {});
  for (const [kid, rule] of entries) byKid.set(kid.replaceAll('-', '').toLowerCase(), accessOf(rule));
  return { byKid, fallback: d.default === undefined ? DENY : accessOf(d.default) };
}

export function makeServeConfig(
  entries: readonly ContentKeyEntry[],
  policy: { byKid: Map<string, KeyAccess>; fallback: KeyAccess } | undefined,
  sources: { keys: string; policy?: string },
): ServeConfig {
  const keys = new Map(entries.map((e) => [e.kid.hex, e]));
  // Without --policy every key is open (a development server); the CLI warns.
  const byKid = policy?.byKid ?? new Map<string, KeyAccess>();
  const fallback = policy?.fallback ?? OPEN;
  return {
    keys,
    sources,
    accessFor: (kid) => byKid.get(kid.hex) ?? fallback,
    summary: { keys: keys.size, policyKids: byKid.size, defaultAccess: fallback.kind },
  };
}

/** Read keys.json and the policy file; throws (and changes nothing) if either is bad. */
export async function loadServeConfig(keysPath: string, policyPath?: string): Promise<ServeConfig> {
  const entries = await readKeyFile(keysPath);
  let policy: ReturnType<typeof policyRules> | undefined;
  if (policyPath !== undefined) {
    const text = (await readFileChecked(policyPath, 4 * 1024 * 1024)).toString('utf8');
    policy = policyRules(parseKeysmithPolicy(text));
  }
  return makeServeConfig(entries, policy, { keys: keysPath, ...(policyPath === undefined ? {} : { policy: policyPath }) });
}
