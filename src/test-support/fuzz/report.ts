import { appendFileSync } from 'node:fs';
import type { CallerName, DefectClass, Exchange, Finding } from './oracle.js';
import { groupOf } from './openapi.js';

/** The figures of a run and its distinct defects, one per route and defect class. */
export class FuzzReport {
  readonly requestsByGroup = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  readonly byDefect = new Map<DefectClass, number>();
  readonly distinct = new Map<string, { finding: Finding; count: number; callers: Set<CallerName> }>();
  requests = 0;
  /** Requests of the other project's member on the owner's resources or project: what the leak checks judged. */
  crossProjectProbes = 0;
  routesRun = 0;
  routesLeft: string[] = [];

  /** `tracePath`: a file that gets every exchange as a JSON line, to see what a run sent and got. */
  constructor(
    readonly seed: number,
    private readonly tracePath?: string,
  ) {}

  record(exchange: Exchange, findings: Finding[]): void {
    this.requests++;
    const group = groupOf(exchange.template);
    this.requestsByGroup.set(group, (this.requestsByGroup.get(group) ?? 0) + 1);
    this.statuses.set(exchange.answer.status, (this.statuses.get(exchange.answer.status) ?? 0) + 1);
    this.add(findings);
    if (this.tracePath) {
      const { caller, method, url, fuzzCase, answer } = exchange;
      appendFileSync(this.tracePath, `${JSON.stringify({ caller, method, url, kind: fuzzCase.kind, note: fuzzCase.note, body: fuzzCase.body?.slice(0, 600), status: answer.status, answer: answer.text.slice(0, 600), findings: findings.map(labelOf) })}\n`);
    }
  }

  add(findings: Finding[]): void {
    for (const finding of findings) {
      this.byDefect.set(finding.defect, (this.byDefect.get(finding.defect) ?? 0) + 1);
      const key = `${finding.exchange.method} ${finding.exchange.template} ${labelOf(finding)}`;
      const seen = this.distinct.get(key);
      if (seen) {
        seen.count++;
        seen.callers.add(finding.exchange.caller);
      } else this.distinct.set(key, { finding, count: 1, callers: new Set([finding.exchange.caller]) });
    }
  }

  count(...defects: DefectClass[]): number {
    return defects.reduce((sum, d) => sum + (this.byDefect.get(d) ?? 0), 0);
  }

  get serverErrors(): number {
    return this.count('server-error', 'no-answer');
  }
  get silentAccepts(): number {
    return this.count('accepted-invalid', 'accepted-missing-resource');
  }
  get leaks(): number {
    return this.count('cross-project-read', 'cross-project-difference');
  }
  get formatFaults(): number {
    return this.count('not-fault-format', 'echoes-input', 'wrong-method-not-405');
  }

  /** The figures, then each distinct defect with one example. */
  text(): string {
    const lines = [`fuzz: seed ${this.seed} (set TROVE_FUZZ_SEED to choose another), ${this.requests} requests over ${this.routesRun} routes`];
    if (this.routesLeft.length > 0) lines.push(`fuzz: time limit reached; routes not run: ${this.routesLeft.join(', ')}`);
    lines.push(
      `requests per route group: ${[...this.requestsByGroup]
        .sort()
        .map(([g, n]) => `${g} ${n}`)
        .join(', ')}`,
    );
    lines.push(
      `statuses: ${[...this.statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    lines.push(`5xx or no answer: ${this.serverErrors}; silent accepts: ${this.silentAccepts}; cross-project leaks: ${this.leaks} (in ${this.crossProjectProbes} probes); outside the fault format, echoing input or a wrong method not 405: ${this.formatFaults}`);
    lines.push(`distinct defects (route × class): ${this.distinct.size}`);
    for (const { finding, count, callers } of [...this.distinct.values()].sort((a, b) => order(a.finding) - order(b.finding))) {
      const { exchange } = finding;
      lines.push(`- [${labelOf(finding)}] ${exchange.method} ${exchange.template} ×${count} (callers: ${[...callers].join(', ')})`);
      lines.push(`    ${finding.detail}; e.g. ${exchange.caller}, ${exchange.fuzzCase.kind}: ${exchange.fuzzCase.note}`);
      lines.push(`    ${exchange.method} ${shorten(exchange.url.replace(/^https?:\/\/[^/]+/, ''), 140)}${exchange.fuzzCase.body !== undefined ? ` body ${shorten(exchange.fuzzCase.body, 160)}` : ''}`);
      lines.push(`    → ${exchange.answer.status} ${shorten(exchange.answer.text, 200) || '(empty body)'}`);
    }
    return lines.join('\n');
  }
}

/** A wrong request accepted is told apart by how it was wrong: each kind is a fix of its own. */
function labelOf(finding: Finding): string {
  return finding.defect === 'accepted-invalid' ? `${finding.defect}/${finding.exchange.fuzzCase.kind}` : finding.defect;
}

const ORDER: DefectClass[] = ['server-error', 'no-answer', 'cross-project-read', 'cross-project-difference', 'accepted-invalid', 'accepted-missing-resource', 'not-fault-format', 'echoes-input', 'wrong-method-not-405'];
const order = (f: Finding) => ORDER.indexOf(f.defect);

function shorten(text: string, max: number): string {
  const flat = JSON.stringify(text).slice(1, -1);
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${text.length} characters)`;
}
