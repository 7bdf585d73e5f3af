/** keysmith's key server, as a library. */
export * from './replay-store.js';
export * from './store-memory.js';
export * from './store-file.js';
export * from './store-redis.js';
export * from './open-store.js';
export * from './config.js';
export * from './authorize.js';
export * from './token-cache.js';
export * from './clearkey.js';
export * from './metrics.js';
export * from './access-log.js';
export * from './key-server.js';
export * from './routes.js';
