/**
 * Key server throughput: token-authorized AES-128 key requests (GET
 * /keys/aes/<kid> with Authorization: Bearer, JWT HS256, contentkeyidentifier
 * bound) at 100 connections, against a bare node:http server answering 16
 * bytes, measured in the same run with autocannon.
 *
 *   npx tsx bench/serve.ts [--seconds 8] [--connections 100]
 *
 * Rows: bare; keysmith serving an open key (no token); with a token without
 * maxuses (the store is not touched); with a maxuses token on memory (one
 * count per request), the same with the verified-token cache off (a full
 * JWT check per request: what the cache saves), and on Redis (one EVALSHA
 * per request). Each server runs in
 * its own child process; autocannon runs here.
 * Targets: memory ≥ 0.5× bare with p99 < 10 ms; Redis ≥ 0.3× bare.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};

async function child(requested: string, store: string): Promise<void> {
  let target = requested;
  const cache = target !== 'keysmith-nocache';
  if (target === 'keysmith-open' || target === 'keysmith-nocache') target = 'keysmith';
  if (target === 'bare') {
    const body = Buffer.alloc(16, 1);
    const s = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 16, 'Cache-Control': 'no-store' });
      res.end(body);
    });
    s.listen(0, '127.0.0.1', () => process.stdout.write(`${(s.address() as AddressInfo).port}\n`));
    return;
  }
  const { KeyServer } = await import('../src/server/key-server.js');
  const { openReplayStore } = await import('../src/server/open-store.js');
  const { testConfig } = await import('../test/server/helpers.js');
  const server = new KeyServer({ config: testConfig(), store: await openReplayStore(store), cacheVerifiedTokens: cache });
  const url = await server.listen(0, '127.0.0.1');
  process.stdout.write(`${new URL(url).port}\n`);
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

function startChild(target: string, store = 'memory'): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', target, '--store', store], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (c: Buffer) => resolve({ proc, port: Number(c.toString().trim()) }));
    proc.once('exit', (code) => reject(new Error(`bench child ${target} exited ${code}`)));
  });
}

async function measure(name: string, port: number, path: string, headers: Record<string, string>, seconds: number, connections: number): Promise<Row> {
  const { default: autocannon } = await import('autocannon');
  const opts = { url: `http://127.0.0.1:${port}${path}`, headers, connections, pipelining: 1 };
  await autocannon({ ...opts, duration: 1 }); // warm-up (JIT, connections)
  const r = await autocannon({ ...opts, duration: seconds });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function redisUrl(): Promise<{ url: string; stop(): void } | undefined> {
  if (process.env.KEYSMITH_TEST_REDIS) return { url: process.env.KEYSMITH_TEST_REDIS, stop: () => undefined };
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keysmith-bench-redis-'));
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => p.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const seconds = Number(flag('--seconds', '8'));
  const connections = Number(flag('--connections', '100'));
  const { token, TOKEN_KID, OPEN_KID } = await import('../test/server/helpers.js');
  const path = `/keys/aes/${TOKEN_KID.uuid}`;
  const plain = { Authorization: `Bearer ${await token({ kid: TOKEN_KID, expiresIn: 1800 })}` };
  const counted = { Authorization: `Bearer ${await token({ kid: TOKEN_KID, maxUses: 1_000_000_000, expiresIn: 1800 })}` };
  const rounds = Number(flag('--rounds', '3'));
  const plan: { name: string; target: string; store: () => string; headers: Record<string, string> }[] = [
    { name: 'bare node:http (16 bytes)', target: 'bare', store: () => 'memory', headers: {} },
    { name: 'keysmith, open key (no token)', target: 'keysmith-open', store: () => 'memory', headers: {} },
    { name: 'keysmith, JWT, no maxuses', target: 'keysmith', store: () => 'memory', headers: plain },
    { name: 'keysmith, JWT maxuses, memory', target: 'keysmith', store: () => 'memory', headers: counted },
    { name: '  same, token cache off', target: 'keysmith-nocache', store: () => 'memory', headers: counted },
  ];
  const redis = await redisUrl();
  if (redis) plan.push({ name: 'keysmith, JWT maxuses, redis', target: 'keysmith', store: () => redis.url, headers: counted });
  else process.stderr.write('bench: redis-server not installed: Redis row skipped\n');

  // Rounds interleave the rows so load changes on a shared machine hit every row alike; medians are reported.
  const samples = new Map<string, Row[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const row of plan) {
        const c = await startChild(row.target, row.store());
        try {
          const targetPath = row.target === 'bare' ? '/' : row.target === 'keysmith-open' ? `/keys/aes/${OPEN_KID.uuid}` : path;
          const r = await measure(row.name, c.port, targetPath, row.headers, seconds, connections);
          samples.set(row.name, [...(samples.get(row.name) ?? []), r]);
        } finally {
          c.proc.kill('SIGTERM');
        }
      }
    }
  } finally {
    redis?.stop();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Row[] = plan.map((p) => {
    const xs = samples.get(p.name)!;
    return { name: p.name, rps: median(xs.map((x) => x.rps)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), non2xx: xs.reduce((a, x) => a + x.non2xx, 0) };
  });

  const bare = rows[0]!.rps;
  process.stdout.write(`\nkeysmith serve bench: ${connections} connections, ${seconds} s per row, median of ${rounds} interleaved rounds, node ${process.version}\n`);
  process.stdout.write(`${'row'.padEnd(34)} ${'req/s'.padStart(9)} ${'ratio'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(8)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(9)} ${(r.rps / bare).toFixed(2).padStart(6)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.non2xx).padStart(8)}\n`);
  }
  const mem = rows.find((r) => r.name.includes('maxuses, memory'))!;
  const red = rows.find((r) => r.name.includes('maxuses, redis'));
  process.stdout.write(`\ntarget memory >= 0.50x bare: ${(mem.rps / bare).toFixed(2)}x ${mem.rps / bare >= 0.5 ? 'ok' : 'MISSED'}; p99 < 10 ms: ${mem.p99} ms ${mem.p99 < 10 ? 'ok' : 'MISSED'} (bare p99 ${rows[0]!.p99} ms)\n`);
  if (red) process.stdout.write(`target redis >= 0.30x bare: ${(red.rps / bare).toFixed(2)}x ${red.rps / bare >= 0.3 ? 'ok' : 'MISSED'}\n`);
  const nocache = rows.find((r) => r.name.includes('cache off'))!;
  process.stdout.write(
    `limits: without the verified-token cache the JWT check (jose HMAC verify + claim checks) bounds throughput at ${(nocache.rps / bare).toFixed(2)}x bare; ` +
      'with it, a request costs bare HTTP plus routing, KID parse, policy lookup, a cache hit, one replay count (a Map increment, or one EVALSHA round trip to Redis) and metrics. ' +
      'At 100 connections latency is connections / throughput (Little\'s law), so p99 < 10 ms needs > ~15k req/s: on a shared 2-core machine the load generator, the server (and Redis) compete for the same cores.\n',
  );
}

if (args[0] === '--child') await child(args[1]!, flag('--store', 'memory'));
else await main();
