import type { Command, Option } from 'commander';
import { TroveApi } from '../api.js';
import { usageError } from '../errors.js';
import { BACKUPS, CONFIGURATIONS, FLAVORS, INSTANCES, type ResourceKind } from '../resolve.js';

/** Which resource a command's first argument names, by the argument's name. */
const FIRST_ARGUMENT_KINDS: Record<string, string> = { instance: 'instances', instances: 'instances', backup: 'backups', group: 'configurations', flavor: 'flavors' };
const KINDS: Record<string, ResourceKind> = { instances: INSTANCES, backups: BACKUPS, configurations: CONFIGURATIONS, flavors: FLAVORS };

interface CommandShape {
  name: string;
  description: string;
  options: Array<{ flag: string; description: string }>;
  firstArgument?: string;
}

function shapes(program: Command): CommandShape[] {
  const optionsOf = (options: readonly Option[]) => options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)).map((flag) => ({ flag, description: o.description })));
  return program
    .createHelp()
    .visibleCommands(program)
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description(), options: [...optionsOf(c.options), ...optionsOf(program.options)], firstArgument: FIRST_ARGUMENT_KINDS[c.registeredArguments[0]?.name() ?? ''] })));
}

const quoteZsh = (text: string) => text.replace(/'/g, "'\\''").replace(/:/g, '\\:').replace(/\[/g, '\\[').replace(/\]/g, '\\]');

function bashCompletion(program: Command): string {
  const commands = shapes(program);
  const cases = commands.map((c) => `    ${c.name}) opts="${c.options.map((o) => o.flag).join(' ')}"; kind="${c.firstArgument ?? ''}" ;;`).join('\n');
  return `# bash completion for trove: source <(trove completion bash)
_trove() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts="" kind=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')}" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [ "$COMP_CWORD" -eq 2 ] && [ -n "$kind" ]; then
    COMPREPLY=($(compgen -W "$(trove __complete "$kind" 2>/dev/null)" -- "$cur"))
  fi
}
complete -o default -F _trove trove
`;
}

function zshCompletion(program: Command): string {
  const commands = shapes(program);
  const cases = commands.map((c) => `    ${c.name})\n      options=(${c.options.map((o) => `'${quoteZsh(o.flag)}:${quoteZsh(o.description)}'`).join(' ')})\n      kind='${c.firstArgument ?? ''}' ;;`).join('\n');
  return `#compdef trove
# zsh completion for trove: source <(trove completion zsh), or save as _trove in your $fpath
_trove() {
  local -a commands options
  local kind=''
  commands=(${commands.map((c) => `'${quoteZsh(c.name)}:${quoteZsh(c.description)}'`).join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases}
  esac
  if [[ $words[CURRENT] == -* ]]; then
    _describe 'option' options
  elif (( CURRENT == 3 )) && [[ -n $kind ]]; then
    local -a names
    names=(\${(f)"$(trove __complete $kind 2>/dev/null)"})
    compadd -a names
  else
    _files
  fi
}
compdef _trove trove 2>/dev/null || true
`;
}

export function registerCompletionCommands(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a completion script: source <(trove completion bash), or zsh')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw usageError(`unknown shell '${shell}': use bash or zsh`);
    });

  // What the completion scripts call to offer names; quiet on any failure, since it runs under a prompt.
  program.command('__complete <kind>', { hidden: true }).action(async (kind: string) => {
    const resource = KINDS[kind];
    if (!resource) return;
    try {
      const api = await TroveApi.connect();
      const items = await api.listAll<{ name: string }>(resource.path, resource.many);
      process.stdout.write(items.map((i) => i.name).join('\n') + (items.length ? '\n' : ''));
    } catch {
      // No names to offer.
    }
  });
}
