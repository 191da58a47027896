import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../common/errors.js';

/** Deeper than any body of this API: a deeper one is refused before anything recurses into it. */
const MAX_JSON_DEPTH = 32;

/** How deeply arrays and objects nest in a JSON text, counted without parsing it (strings skipped). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * JSON bodies as Trove reads them: an empty body is no body (clients send DELETE and bodiless
 * POSTs with a JSON content type), given to the route as null, which a route whose body is
 * optional accepts and any other route's schema refuses; nesting beyond MAX_JSON_DEPTH is
 * refused before anything recurses into it.
 * Everything else goes to Fastify's own parser, which guards against prototype poisoning.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, null);
      return;
    }
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(new BadRequest(`Malformed request body: JSON nested more than ${MAX_JSON_DEPTH} levels deep.`), undefined);
      return;
    }
    parse(request, text, done);
  });
}
