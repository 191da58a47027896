/**
 * Configuration values that depend on the flavor: `{RAM * 3 / 4}`, `{max(64, RAM_MB / 8)}M`.
 * A small evaluator of its own (numbers, + − × ÷ %, parentheses, min/max/floor/ceil, and the
 * flavor's variables): nothing a tenant writes is ever handed to a general-purpose evaluator.
 */

/** What a formula may name: the flavor of the instance it is applied to. */
export interface FlavorVariables {
  /** RAM in bytes. */
  RAM: number;
  RAM_MB: number;
  VCPUS: number;
}

export function flavorVariables(ramMb: number, vcpus: number): FlavorVariables {
  return { RAM: ramMb * 1024 * 1024, RAM_MB: ramMb, VCPUS: vcpus };
}

export class FormulaError extends Error {}

type Token = { kind: 'number'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/%(),]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw new FormulaError(`unexpected "${text.slice(at).trim()[0]}" at position ${at + 1}`);
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2] });
    else tokens.push({ kind: 'op', value: match[3]! });
    at = pattern.lastIndex;
  }
  return tokens;
}

const FUNCTIONS: Record<string, (args: number[]) => number> = {
  min: (args) => Math.min(...args),
  max: (args) => Math.max(...args),
  floor: (args) => Math.floor(args[0]!),
  ceil: (args) => Math.ceil(args[0]!),
};

/** Evaluates an expression (without its braces) for one flavor. */
export function evaluate(expression: string, variables: FlavorVariables): number {
  const tokens = tokenize(expression);
  if (tokens.length > 200) throw new FormulaError('the formula is too long');
  let position = 0;
  const peek = () => tokens[position];
  const take = (op: string) => {
    const token = peek();
    if (token?.kind === 'op' && token.value === op) {
      position++;
      return true;
    }
    return false;
  };
  const expect = (op: string) => {
    if (!take(op)) throw new FormulaError(`expected "${op}"`);
  };
  const primary = (): number => {
    const token = tokens[position++];
    if (!token) throw new FormulaError('the formula ends too early');
    if (token.kind === 'number') return token.value;
    if (token.kind === 'op') {
      if (token.value === '(') {
        const value = sum();
        expect(')');
        return value;
      }
      if (token.value === '-') return -primary();
      throw new FormulaError(`unexpected "${token.value}"`);
    }
    const fn = Object.hasOwn(FUNCTIONS, token.value) ? FUNCTIONS[token.value] : undefined;
    if (fn) {
      expect('(');
      const args = [sum()];
      while (take(',')) args.push(sum());
      expect(')');
      return fn(args);
    }
    if (Object.hasOwn(variables, token.value)) return variables[token.value as keyof FlavorVariables];
    throw new FormulaError(`unknown name "${token.value}"; a formula may use ${Object.keys(variables).join(', ')}, min(), max(), floor() and ceil()`);
  };
  const product = (): number => {
    let value = primary();
    for (;;) {
      if (take('*')) value *= primary();
      else if (take('/')) {
        const divisor = primary();
        if (divisor === 0) throw new FormulaError('division by zero');
        value /= divisor;
      } else if (take('%')) {
        const divisor = primary();
        if (divisor === 0) throw new FormulaError('division by zero');
        value %= divisor;
      } else return value;
    }
  };
  const sum = (): number => {
    let value = product();
    for (;;) {
      if (take('+')) value += product();
      else if (take('-')) value -= product();
      else return value;
    }
  };
  const value = sum();
  if (position < tokens.length) throw new FormulaError(`unexpected "${String(tokens[position]!.value)}" after the end of the formula`);
  if (!Number.isFinite(value)) throw new FormulaError('the formula does not give a finite number');
  return value;
}

const FORMULA = /^\{([^{}]*)\}([A-Za-z]*)$/;

/** True when a value is written as a formula: `{…}`, optionally followed by a unit suffix. */
export function isFormula(value: unknown): value is string {
  return typeof value === 'string' && FORMULA.test(value.trim());
}

/** A formula's value for a flavor, with its suffix (such as `M`) kept for the unit rules. */
export function evaluateFormula(value: string, variables: FlavorVariables): { number: number; suffix: string } {
  const match = FORMULA.exec(value.trim());
  if (!match) throw new FormulaError('a formula is written in braces, such as {RAM_MB / 4}');
  return { number: evaluate(match[1]!, variables), suffix: match[2]! };
}
