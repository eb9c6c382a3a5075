import type { FastifyRequest } from 'fastify';
import type { Page, PageRequest } from '../../domain/index.js';

/** A HAL link. */
export interface Link {
  href: string;
}

/** The query parameters every list takes. */
export interface PageQuery {
  page_size: number;
  order: string;
  cursor?: string;
}

/** The page request of a list query (`order` is case-insensitive on the wire). */
export function pageRequest(query: PageQuery): PageRequest {
  const request: PageRequest = {
    pageSize: query.page_size,
    order: query.order.toLowerCase() === 'desc' ? 'desc' : 'asc',
  };
  if (query.cursor !== undefined && query.cursor !== '') {
    request.cursor = query.cursor;
  }

  return request;
}

/**
 * Builds the `_links` of a page: `first`, `self`, and `next`/`prev` when the page has them (never `next`
 * on the last page, since the Node SDK keeps following it). Every href is absolute, made of the public URL,
 * the request's path and its query (filters, `order`, `page_size`) with the page's cursor; the Node SDK
 * reads the cursor back with `new URL(href).searchParams`.
 */
export function pageLinks(
  request: FastifyRequest,
  publicUrl: string,
  page: Pick<Page<unknown>, 'next' | 'prev'>,
): Record<string, Link> {
  const path = request.url.split('?')[0] ?? '/';
  const query = request.query as Record<string, unknown>;
  const href = (cursor: string | undefined): Link => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (
        name !== 'cursor' &&
        (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      ) {
        params.set(name, String(value));
      }
    }
    if (cursor !== undefined) {
      params.set('cursor', cursor);
    }

    return { href: `${publicUrl}${path}?${params.toString()}` };
  };
  const links: Record<string, Link> = { first: href(undefined), self: href(nonEmpty(query.cursor)) };
  if (page.next !== undefined) {
    links.next = href(page.next);
  }
  if (page.prev !== undefined) {
    links.prev = href(page.prev);
  }

  return links;
}

/** A HAL page: `page_size` (the number returned), the items under `_embedded[key]` (always an array). */
export function halPage(
  request: FastifyRequest,
  publicUrl: string,
  key: string,
  page: Pick<Page<unknown>, 'next' | 'prev'>,
  items: readonly unknown[],
): Record<string, unknown> {
  return {
    page_size: items.length,
    _embedded: { [key]: items },
    _links: pageLinks(request, publicUrl, page),
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
