/**
 * The token restriction: what a token must satisfy to be accepted. Every
 * template form (keysmith JSON, Azure Media Services v2 XML, Azure v3 JSON)
 * parses into this one shape, so the verifier has one input (SPECS.md §8).
 */
import type { VerificationKey } from './keys.js';

export type TokenType = 'jwt' | 'swt';

export interface RequiredClaim {
  type: string;
  /** Without a value: the claim must be present (for contentkeyidentifier: equal to the requested KID). */
  value?: string;
}

export interface TokenRestriction {
  type: TokenType;
  issuer: string;
  audience: string;
  /** Primary first, then the alternates (and JWKS keys). Any may match. */
  keys: VerificationKey[];
  requiredClaims: RequiredClaim[];
  /** Leeway for exp/nbf, in seconds. Default 60, at most 300. */
  clockToleranceSeconds?: number;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/** Azure's claim naming the content key a token is for. */
export const CLAIM_CONTENT_KEY_ID = 'urn:microsoft:azure:mediaservices:contentkeyidentifier';
/** Azure's claim limiting how many times a token may fetch a key or license. */
export const CLAIM_MAX_USES = 'urn:microsoft:azure:mediaservices:maxuses';
/** Most keys one restriction may hold (bounds the work per token). */
export const MAX_RESTRICTION_KEYS = 32;
