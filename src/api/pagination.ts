import { BadRequest } from '../common/errors.js';
import type { Link } from './links.js';

export interface PageRequest {
  limit?: number;
  marker?: string;
}

export interface Page<T> {
  items: T[];
  /** The marker for the next page, when there is one. */
  next?: string;
}

/**
 * Trove's paging: items after the one whose key is `marker`, at most `limit` of them. Items
 * arrive in the order the collection is listed in; an unknown marker is a client error.
 */
export function paginate<T>(items: T[], key: (item: T) => string, request: PageRequest, maxLimit: number): Page<T> {
  const limit = Math.min(request.limit ?? maxLimit, maxLimit);
  let start = 0;
  if (request.marker !== undefined && request.marker !== '') {
    const index = items.findIndex((item) => key(item) === request.marker);
    if (index < 0) throw new BadRequest(`Marker '${request.marker}' is not an item of this list; start again without a marker.`);
    start = index + 1;
  }
  const page = items.slice(start, start + limit);
  const last = page[page.length - 1];
  return start + limit < items.length && last !== undefined ? { items: page, next: key(last) } : { items: page };
}

/** The `links` of a paged list: a `next` link repeating the query with the new marker. */
export function pageLinks(requestUrl: string, base: string, next: string | undefined): Link[] {
  if (next === undefined) return [];
  const url = new URL(requestUrl, base);
  url.searchParams.set('marker', next);
  return [{ rel: 'next', href: `${base}${url.pathname}${url.search}` }];
}
