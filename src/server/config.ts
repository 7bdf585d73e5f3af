/**
 * What a running server serves: the content keys and, per key id, who may
 * have them. Loaded as one value and swapped as one value (SIGHUP reload is
 * atomic: a request sees either the old config or the new, never a mix).
 */
import { KeyId } from '../crypto/values.js';
import { readKeyFile, type ContentKeyEntry } from '../keys/content-keys.js';
import { readFileChecked } from '../fsx/atomic.js';
import { parseKeysmithPolicy, type KeyAuthorization, type KeysmithPolicy, type TokenRestriction } from '../tokens/index.js';

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

/** One rule of the token library's policy document (docs/policy.md) as a KeyAccess. */
function accessOf(rule: KeyAuthorization): KeyAccess {
  switch (rule.authorization) {
    case 'open':
      return OPEN;
    case 'token':
      return { kind: 'token', restriction: rule.token };
    default:
      return DENY;
  }
}

/** The policy document as rules by KID hex plus the default (deny when the file has none). */
export function policyRules(doc: KeysmithPolicy): { byKid: Map<string, KeyAccess>; fallback: KeyAccess } {
  const byKid = new Map<string, KeyAccess>();
  for (const [uuid, rule] of doc.keys) byKid.set(KeyId.parse(uuid).hex, accessOf(rule));
  return { byKid, fallback: accessOf(doc.default) };
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
    policy = policyRules(parseKeysmithPolicy(text, policyPath));
  }
  return makeServeConfig(entries, policy, { keys: keysPath, ...(policyPath === undefined ? {} : { policy: policyPath }) });
}
