/**
 * `keysmith completion bash|zsh|fish`: completion scripts generated from the
 * commander tree itself, so they never drift from the real commands.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { usageError } from '../../errors.js';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, path: string[], acc: Node[]): Node[] {
  const options = cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)));
  options.push('--help');
  acc.push({ path, subcommands: cmd.commands.map((c) => c.name()), options });
  for (const sub of cmd.commands) walk(sub, [...path, sub.name()], acc);
  return acc;
}

function bash(nodes: Node[]): string {
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options].join(' ')}" ;;`)
    .join('\n');
  return `# keysmith bash completion. Install: keysmith completion bash > /etc/bash_completion.d/keysmith
_keysmith() {
  local cur path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_keysmith_subs "$path") " in
      *" $w "*) path="\${path:+$path }$w" ;;
    esac
  done
  local words
  case "$path" in
${cases}
    *) words="" ;;
  esac
  if [[ "$cur" == -* || -n "$words" ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=( $(compgen -f -- "$cur") )
}
_keysmith_subs() {
  case "$1" in
${nodes.map((n) => `    "${n.path.join(' ')}") echo "${n.subcommands.join(' ')}" ;;`).join('\n')}
  esac
}
complete -F _keysmith keysmith
`;
}

function zsh(nodes: Node[]): string {
  return `#compdef keysmith
# keysmith zsh completion. Install: keysmith completion zsh > "\${fpath[1]}/_keysmith"
_keysmith() {
  local -a path_words
  local w i
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    case " $(_keysmith_subs "\${(j: :)path_words}") " in
      *" $w "*) path_words+=$w ;;
    esac
  done
  local -a cands
  case "\${(j: :)path_words}" in
${nodes.map((n) => `    "${n.path.join(' ')}") cands=(${[...n.subcommands, ...n.options].join(' ')}) ;;`).join('\n')}
  esac
  compadd -a cands
  _files
}
_keysmith_subs() {
  case "$1" in
${nodes.map((n) => `    "${n.path.join(' ')}") echo "${n.subcommands.join(' ')}" ;;`).join('\n')}
  esac
}
compdef _keysmith keysmith
`;
}

function fish(nodes: Node[]): string {
  const lines = ['# keysmith fish completion. Install: keysmith completion fish > ~/.config/fish/completions/keysmith.fish'];
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const s of n.subcommands) lines.push(`complete -c keysmith -n '${cond}' -a ${s}`);
    for (const o of n.options) {
      if (o.startsWith('--')) lines.push(`complete -c keysmith -n '${cond}' -l ${o.slice(2)}`);
      else lines.push(`complete -c keysmith -n '${cond}' -s ${o.slice(1)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const SHELLS: Record<string, (nodes: Node[]) => string> = { bash, zsh, fish };

export function register(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh, fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', '\nExample:\n  keysmith completion bash > ~/.local/share/bash-completion/completions/keysmith')
    .action(
      ctx.action((out, _opts, args) => {
        const shell = args[0] ?? '';
        const make = SHELLS[shell];
        if (!make) throw usageError(`unknown shell '${shell}'`, 'choose bash, zsh or fish');
        const nodes = walk(program, [], []).filter((n) => n.path[0] !== 'completion' || n.path.length === 1);
        out.io.stdout.write(make(nodes));
      }),
    );
}
