export * from './bytes.js';
export * from './values.js';
export * from './ct.js';
export * from './random.js';
export * from './clock.js';
export * from './aes.js';
export * from './gcm.js';
