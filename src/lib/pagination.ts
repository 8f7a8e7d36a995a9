import { z } from "@hono/zod-openapi";

/** Largest `pageSize` a list endpoint accepts; more is a 400, never a silent clamp. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

const DECIMAL = /^[0-9]{1,9}$/;
const NOT_DECIMAL = "Must be a whole number written in decimal digits";

/**
 * A query parameter holding a whole number in plain decimal digits: `0x10`, `1e2`, ` 5` or `1.0` are refused
 * rather than read as numbers the way Number() would.
 */
function decimalInteger(min: number, max: number) {
  return z.preprocess(
    (raw) => (typeof raw === "string" && !DECIMAL.test(raw) ? Number.NaN : raw),
    z.coerce.number({ error: NOT_DECIMAL }).int(NOT_DECIMAL).min(min).max(max),
  );
}

/**
 * The `page` and `pageSize` query parameters, to spread into a list endpoint's query schema.
 *
 * @example
 * const ListQuery = z.object({ ...paginationQuery(), status: z.string().optional() });
 */
export function paginationQuery(defaultPageSize = DEFAULT_PAGE_SIZE) {
  return {
    page: decimalInteger(1, 999_999_999)
      .default(1)
      .openapi({ param: { name: "page", in: "query" }, description: "1-based page number.", example: 1 }),
    pageSize: decimalInteger(1, MAX_PAGE_SIZE)
      .default(defaultPageSize)
      .openapi({
        param: { name: "pageSize", in: "query" },
        description: `Items per page, 1 to ${MAX_PAGE_SIZE}.`,
        example: defaultPageSize,
      }),
  };
}

export interface PageRequest {
  page: number;
  pageSize: number;
}

/** The SQL `LIMIT`/`OFFSET` of a page. */
export function pageWindow({ page, pageSize }: PageRequest): { limit: number; offset: number } {
  return { limit: pageSize, offset: (page - 1) * pageSize };
}

/** The envelope fields every paginated list answers with. */
export function pageInfo({ page, pageSize }: PageRequest, total: number) {
  return { page, pageSize, total, hasMore: page * pageSize < total };
}

/** The `page`, `pageSize`, `total` and `hasMore` fields of a list response schema. */
export const PageInfoFields = {
  page: z.number().int().min(1).openapi({ example: 1 }),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).openapi({ example: DEFAULT_PAGE_SIZE }),
  total: z.number().int().min(0).openapi({ description: "Items matching the filters, over all pages.", example: 137 }),
  hasMore: z.boolean().openapi({ description: "True when a later page has items." }),
};

/** How the `Link` header of a paginated response is documented. */
export const LINK_HEADER = {
  link: {
    description:
      'RFC 8288 links to the neighbouring pages, absolute URLs keeping every other query parameter: `<…?page=3>; rel="next", <…?page=1>; rel="prev"`. Absent when there is neither.',
    schema: { type: "string" as const },
  },
};

/**
 * The RFC 8288 `Link` header value for a page of `total` items, or null when there is no next or
 * previous page. Links are absolute and keep every other query parameter of `requestUrl`. A page past
 * the end links back to the last page that has items.
 *
 * @example
 * pageLinks("https://acme.armature.app/api/armature/v1/runs?status=fail&page=2", { page: 2, pageSize: 25 }, 60)
 * // '<https://…/runs?status=fail&page=3>; rel="next", <https://…/runs?status=fail&page=1>; rel="prev"'
 */
export function pageLinks(requestUrl: string, { page, pageSize }: PageRequest, total: number): string | null {
  const lastPage = Math.max(1, Math.ceil(total / pageSize));
  const links: string[] = [];
  const at = (n: number) => {
    const url = new URL(requestUrl);
    url.searchParams.set("page", String(n));
    return url.toString();
  };
  if (page * pageSize < total) links.push(`<${at(page + 1)}>; rel="next"`);
  if (page > 1) links.push(`<${at(Math.min(page - 1, lastPage))}>; rel="prev"`);
  return links.length > 0 ? links.join(", ") : null;
}
