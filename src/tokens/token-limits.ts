/** Bounds applied to every token before any cryptography (hostile input). */
import type { StrictJsonLimits } from './strict-json.js';

/** Tokens longer than this are refused unread (8 KiB: far above any real key-delivery token). */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Claims per token. */
export const MAX_CLAIMS = 64;
/** Length of one claim name. */
export const MAX_CLAIM_NAME = 256;
/** Length of one claim value (strings). */
export const MAX_CLAIM_VALUE = 2048;

export const TOKEN_JSON_LIMITS: StrictJsonLimits = { maxDepth: 8, maxMembers: MAX_CLAIMS, maxString: MAX_CLAIM_VALUE };
