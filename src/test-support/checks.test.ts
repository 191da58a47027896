import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

const CLEAN = 'export function double(n: number): number {\n  return n * 2;\n}\n';

/**
 * `npm run check` on a planted fault: a throwaway project with the repository's own tsconfig.json and
 * biome.json and one source file, checked clean and then with an unused variable, a lint error and a
 * misformatted line.
 */
describe('the checks of npm run check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-checks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const file of ['tsconfig.json', 'biome.json']) copyFileSync(join(ROOT, file), join(dir, file));
  mkdirSync(join(dir, 'src'));

  const run = (source: string, tool: string, args: string[]) => {
    writeFileSync(join(dir, 'src', 'planted.ts'), source);
    const result = spawnSync(bin(tool), args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
  };
  const typecheck = (source: string) => run(source, 'tsc', ['--noEmit', '-p', 'tsconfig.json']);
  const lint = (source: string) => run(source, 'biome', ['lint', '--error-on-warnings']);
  const formatCheck = (source: string) => run(source, 'biome', ['format']);

  it('passes clean code through types, lint and format', () => {
    for (const check of [typecheck, lint, formatCheck]) {
      const result = check(CLEAN);
      assert.equal(result.code, 0, result.output);
    }
  });

  it('fails the type check on an unused variable or parameter', () => {
    const result = typecheck('export function double(n: number, spare: number): number {\n  const unused = 1;\n  return n * 2;\n}\n');
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /'unused' is declared but its value is never read/);
    assert.match(result.output, /'spare' is declared but its value is never read/);
  });

  it('fails lint on a lint error', () => {
    const result = lint('export function isOne(n: number): boolean {\n  return n == 1;\n}\n');
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /noDoubleEquals/);
  });

  it('fails the format check on code not in the formatter’s style', () => {
    const result = formatCheck('export function double(n: number): number { return n * 2 }\n');
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /Formatter would have printed/);
  });
});
