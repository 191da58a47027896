import type { FuzzCase } from './cases.js';

export type CallerName = 'owner' | 'other' | 'admin';

export type DefectClass = 'server-error' | 'no-answer' | 'accepted-invalid' | 'accepted-missing-resource' | 'cross-project-read' | 'cross-project-difference' | 'not-fault-format' | 'echoes-input' | 'wrong-method-not-405';

export interface Answer {
  status: number;
  text: string;
  contentType: string;
  /** The Allow header, when there is one. */
  allow?: string;
}

export interface Exchange {
  caller: CallerName;
  method: string;
  template: string;
  url: string;
  fuzzCase: FuzzCase;
  answer: Answer;
}

export interface Finding {
  defect: DefectClass;
  exchange: Exchange;
  detail: string;
}

/** Trove's fault ({"itemNotFound": {code, message}}), or Keystone's error under /v3. */
export function isFaultBody(template: string, status: number, text: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1) return false;
  const inner = (body as Record<string, unknown>)[keys[0]!] as Record<string, unknown> | null;
  if (!inner || typeof inner !== 'object') return false;
  if (inner.code !== status || typeof inner.message !== 'string' || inner.message.length === 0) return false;
  if (template.startsWith('/v3')) return keys[0] === 'error' && typeof inner.title === 'string';
  return true;
}

/** What is wrong with one answer, taken alone. */
export function checkAnswer(exchange: Exchange): Finding[] {
  const { answer, fuzzCase } = exchange;
  const findings: Finding[] = [];
  const found = (defect: DefectClass, detail: string) => findings.push({ defect, exchange, detail });
  if (answer.status === 0) found('no-answer', answer.text);
  else if (answer.status >= 500) found('server-error', `status ${answer.status}`);
  if (fuzzCase.invalid && answer.status >= 200 && answer.status < 400) found('accepted-invalid', `${fuzzCase.kind} got ${answer.status}`);
  const namesMissing = Object.values(fuzzCase.path).some((p) => 'missing' in p && p.missing);
  if (!fuzzCase.invalid && namesMissing && answer.status >= 200 && answer.status < 300) found('accepted-missing-resource', `a path that names nothing got ${answer.status}`);
  if (answer.status >= 400 && answer.text.length > 0 && !isFaultBody(exchange.template, answer.status, answer.text)) found('not-fault-format', `content-type ${answer.contentType || 'none'}`);
  for (const input of fuzzCase.longInputs) if (answer.text.includes(input.slice(0, 1024))) found('echoes-input', `the answer holds ${input.length >= 1024 ? '1 KB' : `${input.length} characters`} of the input`);
  return findings;
}

/**
 * The other project's member on the owner's resources: a 2xx that carries one of them is a read
 * across projects; a status that differs from the one for a resource that does not exist tells
 * the other project that the resource is there.
 */
export function checkCrossProject(onReal: Exchange, onMissing: Exchange | undefined, ownerSecrets: string[]): Finding[] {
  const findings: Finding[] = [];
  const { answer } = onReal;
  if (answer.status >= 200 && answer.status < 300) {
    const asked = onReal.url;
    const carried = ownerSecrets.filter((s) => answer.text.includes(s) && !asked.includes(s));
    const named = ownerSecrets.filter((s) => asked.includes(s));
    if (carried.length > 0) findings.push({ defect: 'cross-project-read', exchange: onReal, detail: `the answer carries the owner's ${carried.join(', ')}` });
    else if (named.length > 0 && onReal.fuzzCase.kind === 'valid' && onMissing === undefined) findings.push({ defect: 'cross-project-read', exchange: onReal, detail: `${answer.status} on the owner's project` });
  }
  if (onMissing && onMissing.answer.status !== answer.status) findings.push({ defect: 'cross-project-difference', exchange: onReal, detail: `${answer.status} for the owner's resource, ${onMissing.answer.status} for one that does not exist` });
  return findings;
}

/** A method the path does not have: 405 naming the ones it has in Allow, as HTTP says. */
export function checkWrongMethod(exchange: Exchange, methods: string[]): Finding[] {
  const { answer } = exchange;
  const findings = checkAnswer(exchange);
  const allowed = (answer.allow ?? '').split(',').map((m) => m.trim().toUpperCase());
  if (answer.status !== 405 || !methods.every((m) => allowed.includes(m))) {
    findings.push({ defect: 'wrong-method-not-405', exchange, detail: `${answer.status}, Allow: ${answer.allow ?? '(none)'}, where the path has ${methods.join(', ')}` });
  }
  return findings;
}
