/**
 * Every command group, one row each. Rows are lazy: a group's module is
 * imported only when its command runs (or for completion), so start-up
 * stays close to bare node.
 */
import type { CommandGroupModule } from './context.js';

export interface GroupRow {
  /** Top-level command names the module registers. */
  commands: readonly string[];
  /** One-line summaries for the top-level help, by command. */
  summaries: Readonly<Record<string, string>>;
  load(): Promise<CommandGroupModule>;
}

export const GROUPS: readonly GroupRow[] = [
  {
    commands: ['storage'],
    summaries: { storage: 'encrypt files at rest with AES-256: keygen, encrypt, decrypt, inspect, rewrap' },
    load: () => import('./commands/storage.js'),
  },
  {
    commands: ['keys', 'pssh'],
    summaries: {
      keys: 'content keys and KIDs, PlayReady key seeds, CPIX export and import',
      pssh: 'build and inspect PSSH boxes and DRM headers',
    },
    load: () => import('./commands/keys.js'),
  },
  {
    commands: ['token'],
    summaries: { token: 'test tokens: keygen, issue, verify and inspect JWT/SWT' },
    load: () => import('./commands/token.js'),
  },
  {
    commands: ['encrypt', 'decrypt', 'inspect'],
    summaries: {
      encrypt: 'encrypt an MP4 into a CENC fragmented MP4 (cenc, cbcs)',
      decrypt: 'decrypt a CENC MP4 (cenc, cbcs, cens, cbc1) with its keys',
      inspect: 'show tracks, codecs, protection, KIDs and PSSH of an MP4',
    },
    load: () => import('./commands/media.js'),
  },
  {
    commands: ['package'],
    summaries: { package: 'package MP4 renditions into DASH and HLS (cenc, cbcs, AES-128 or clear)' },
    load: () => import('./commands/package.js'),
  },
  {
    commands: ['serve'],
    summaries: { serve: 'serve content keys (AES-128, ClearKey) with token authorization and replay limits' },
    load: () => import('./commands/serve.js'),
  },
  {
    commands: ['completion'],
    summaries: { completion: 'print a shell completion script (bash, zsh, fish)' },
    load: () => import('./commands/completion.js'),
  },
];

export function groupFor(command: string): GroupRow | undefined {
  return GROUPS.find((g) => g.commands.includes(command));
}
