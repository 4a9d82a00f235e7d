/**
 * Flag parsing for the `recur` commands: a table of flags (kebab-case names, types, ranges,
 * defaults, help) drives both the parser and the `--help` text, so the help always shows the
 * defaults that are actually used. Every bad value is a ConfigError of one line that names the
 * command, the flag, what was expected and what was received.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../util/errors.js';

export type FlagValue = number | string | boolean;

export interface FlagSpec {
  /** kebab-case name without the dashes. */
  name: string;
  type: 'int' | 'number' | 'string' | 'bool' | 'choice';
  help: string;
  /** The value when the flag is not given (none: the flag is undefined then). */
  default?: FlagValue;
  /** What the help shows as the default when there is none or it needs words. */
  defaultText?: string;
  /** Inclusive bounds for numbers (`minExclusive` makes the lower bound strict). */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  choices?: readonly string[];
  /** The placeholder in the help (default: N, X, TEXT, ...). */
  metavar?: string;
  /** Help section title (flags are listed by section, in table order). */
  section?: string;
}

export interface ParsedFlags {
  values: Record<string, FlagValue | undefined>;
  /** Names of the flags given on the command line. */
  given: Set<string>;
  positionals: string[];
}

const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function rangeText(s: FlagSpec): string {
  const kind = s.type === 'int' ? 'an integer' : 'a number';
  const lo = s.min !== undefined ? `${s.minExclusive ? '>' : '>='} ${s.min}` : '';
  const hi = s.max !== undefined ? `<= ${s.max}` : '';
  if (lo && hi) return `${kind} ${s.minExclusive ? `in (${s.min}, ${s.max}]` : `in [${s.min}, ${s.max}]`}`;
  return [kind, lo, hi].filter(Boolean).join(' ');
}

/** Converts and checks one flag value. */
export function convertFlag(cmd: string, s: FlagSpec, raw: string | boolean): FlagValue {
  const flag = `--${s.name}`;
  if (s.type === 'bool') return raw === true;
  const str = String(raw);
  if (s.type === 'string') {
    if (str === '') throw new ConfigError(`${cmd}: ${flag} must not be empty`);
    return str;
  }
  if (s.type === 'choice') {
    const choices = s.choices ?? [];
    if (!choices.includes(str)) {
      throw new ConfigError(`${cmd}: ${flag} must be one of ${choices.join(', ')}, got '${str}'`);
    }
    return str;
  }
  const v = str.trim() === '' ? Number.NaN : Number(str);
  const ok =
    Number.isFinite(v) &&
    (s.type !== 'int' || Number.isInteger(v)) &&
    (s.min === undefined || (s.minExclusive ? v > s.min : v >= s.min)) &&
    (s.max === undefined || v <= s.max);
  if (!ok) throw new ConfigError(`${cmd}: ${flag} must be ${rangeText(s)}, got '${str}'`);
  return v;
}

/**
 * Parses `argv` against `specs`. Unknown flags, missing values and bad values throw ConfigError.
 * `--help`/`-h` is always accepted (values.help). Returned keys are camelCase.
 */
export function parseFlags(
  cmd: string,
  argv: string[],
  specs: readonly FlagSpec[],
  positionals: { max: number; names: string } = { max: 0, names: '' },
): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const s of specs) options[s.name] = { type: s.type === 'bool' ? 'boolean' : 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const m = /'(-[^']*)'/.exec(err.message);
    const flag = m ? m[1].split(/[ =,]/)[0] : '';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new ConfigError(`${cmd}: unknown flag ${flag || err.message} (see recur ${cmd} --help)`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const spec = specs.find((s) => `--${s.name}` === flag);
      if (spec?.type === 'bool') throw new ConfigError(`${cmd}: ${flag} takes no value`);
      throw new ConfigError(
        `${cmd}: ${flag || 'a flag'} needs a value${spec ? ` (${helpValue(spec)})` : ''}; to give a value starting with '-', write ${flag || '--flag'}=VALUE`,
      );
    }
    throw new ConfigError(`${cmd}: ${err.message}`);
  }
  const values: Record<string, FlagValue | undefined> = { help: parsed.values.help === true };
  const given = new Set<string>();
  for (const s of specs) {
    const raw = parsed.values[s.name];
    const key = camel(s.name);
    if (raw === undefined) {
      values[key] = s.default;
      continue;
    }
    if (Array.isArray(raw)) throw new ConfigError(`${cmd}: --${s.name} is given more than once`);
    given.add(key);
    values[key] = convertFlag(cmd, s, raw as string | boolean);
  }
  if (!values.help && parsed.positionals.length > positionals.max) {
    const extra = parsed.positionals
      .slice(positionals.max)
      .map((p) => `'${p}'`)
      .join(' ');
    throw new ConfigError(
      positionals.max === 0
        ? `${cmd}: unexpected argument ${extra} (this command takes flags only; see recur ${cmd} --help)`
        : `${cmd}: unexpected argument ${extra}; expected ${positionals.names} (see recur ${cmd} --help)`,
    );
  }
  return { values, given, positionals: parsed.positionals };
}

function helpValue(s: FlagSpec): string {
  if (s.type === 'choice') return (s.choices ?? []).join('|');
  return s.metavar ?? (s.type === 'int' ? 'N' : s.type === 'number' ? 'X' : 'TEXT');
}

/** The `--help` text: usage, description, and the flags by section with their defaults. */
export function helpText(usage: string, description: string, specs: readonly FlagSpec[]): string {
  const lines = [`usage: ${usage}`, '', description.trim(), ''];
  const sections: string[] = [];
  for (const s of specs)
    if (!sections.includes(s.section ?? 'options')) sections.push(s.section ?? 'options');
  const left = (s: FlagSpec) => (s.type === 'bool' ? `--${s.name}` : `--${s.name} ${helpValue(s)}`);
  const width = Math.min(34, Math.max(...specs.map((s) => left(s).length)) + 2);
  for (const sec of sections) {
    lines.push(`${sec}:`);
    for (const s of specs.filter((x) => (x.section ?? 'options') === sec)) {
      const dflt =
        s.defaultText ?? (s.default !== undefined && s.type !== 'bool' ? String(s.default) : undefined);
      const text = `${s.help}${dflt !== undefined ? ` (default: ${dflt})` : ''}`;
      const l = left(s);
      lines.push(
        l.length + 2 > width ? `  ${l}\n  ${''.padEnd(width)}${text}` : `  ${l.padEnd(width)}${text}`,
      );
    }
    lines.push('');
  }
  lines.push(
    '  --verbose' + ''.padEnd(Math.max(1, width - 9)) + 'print the stack trace of an error',
    '  -h, --help' + ''.padEnd(Math.max(1, width - 10)) + 'show this help',
  );
  return lines.join('\n');
}
