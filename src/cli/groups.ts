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
    commands: ['completion'],
    summaries: { completion: 'print a shell completion script (bash, zsh, fish)' },
    load: () => import('./commands/completion.js'),
  },
];

export function groupFor(command: string): GroupRow | undefined {
  return GROUPS.find((g) => g.commands.includes(command));
}
