import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import { validationError } from "./errors";

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

/** Longest `cursor` accepted; the cursors this API makes are far shorter. */
const MAX_CURSOR_LENGTH = 512;

/**
 * The `page`, `pageSize` and `cursor` query parameters, to spread into a list endpoint's query schema.
 * `page` and `cursor` are mutually exclusive (checked by {@link resolvePaging}, a 400 naming `query.cursor`).
 *
 * @example
 * const ListQuery = z.object({ ...paginationQuery(), status: z.string().optional() });
 */
export function paginationQuery(defaultPageSize = DEFAULT_PAGE_SIZE) {
  return {
    page: decimalInteger(1, 999_999_999)
      .optional()
      .openapi({
        param: { name: "page", in: "query" },
        description: "1-based page number; page 1 when absent. Not together with `cursor`.",
        default: 1,
        example: 1,
      }),
    pageSize: decimalInteger(1, MAX_PAGE_SIZE)
      .default(defaultPageSize)
      .openapi({
        param: { name: "pageSize", in: "query" },
        description: `Items per page, 1 to ${MAX_PAGE_SIZE}.`,
        example: defaultPageSize,
      }),
    cursor: z
      .string()
      .min(1)
      .max(MAX_CURSOR_LENGTH)
      .optional()
      .openapi({
        param: { name: "cursor", in: "query" },
        description:
          "The `nextCursor` of the previous page: the page after it, as cheap as the first page however deep (keyset pagination, stable while items are added). Only valid with the filters and sort it was made for; not together with `page`.",
      }),
  };
}

/** A list query's paging parameters, as validated. */
export interface PageQuery {
  page?: number | undefined;
  pageSize: number;
  cursor?: string | undefined;
}

/** What a page answered: enough for its `Link` header. */
export interface PageRequest {
  page: number;
  pageSize: number;
  nextCursor?: string | null;
  /** True when a later page has items (the `next` link does not depend on a capped total). */
  hasMore?: boolean;
  /** False when `total` is the cap ({@link TOTAL_CAP}) rather than the exact count. */
  totalExact?: boolean;
}

/**
 * Counting stops here: a total above it answers `TOTAL_CAP` with `totalExact: false`, so the first page of a
 * walk reads at most this many index entries however large the table (docs/api-behaviour.md, `total`).
 */
export const TOTAL_CAP = 10_000;

/**
 * The capped count of `table`'s rows matching `where`, as a scalar subquery: `min(matches, TOTAL_CAP + 1)`
 * (one more than the cap tells "more than the cap" from "exactly the cap"). Uncorrelated, so SQLite runs it
 * once however many rows the statement it is in returns.
 *
 * @example db.select({ ..., total: cappedCount(sql`${runs}`, where) })
 */
export function cappedCount(table: SQL, where: SQL): SQL<number> {
  return sql<number>`(select count(*) from (select 1 from ${table} where ${where} limit ${sql.raw(String(TOTAL_CAP + 1))}))`;
}

/** A position in a list: the sort key value(s) of the last item of the previous page, then its id. */
export type Keyset = Array<string | number | null>;

/** The type of each keyset value: a string, a finite number, or a number or null. */
export type KeysetShape = ReadonlyArray<"string" | "number" | "number?">;

/** Where a page starts: an OFFSET (page numbers) or after a keyset (cursor). */
export interface Paging {
  page: number;
  pageSize: number;
  /** Rows to skip: 0 for a cursor page. */
  offset: number;
  /** Read one row more than the page, so `hasMore` needs no count. */
  limit: number;
  /** The position a cursor page starts after; null for page numbers. */
  after: Keyset | null;
  /** The total a cursor carries from the first page of its walk; null when it must be counted. */
  carriedTotal: number | null;
  /** Whether the carried total was exact (false when it was the cap). */
  carriedExact: boolean;
  /** Identifies the list, the organization, the filters and the sort the cursor is valid for. */
  scope: string;
}

/** 2 adds whether the total is exact; 1 (exact totals only) is still read. */
const CURSOR_VERSION = 2;

/** cyrb53: a fast 53-bit string hash (not cryptographic; only tells one list's scope from another's). */
function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * The scope of a list request: which list, whose, with which filters and sort. A cursor records it and is
 * refused with any other. Array values are sets (order and repeats do not matter).
 *
 * @example listScope("runs", orgId, { status: ["fail"], sort: "-createdAt" })
 */
export function listScope(list: string, orgId: string, filters: Record<string, unknown>): string {
  const canonical = Object.keys(filters)
    .sort()
    .filter((k) => filters[k] !== undefined && filters[k] !== "")
    .map((k) => {
      const v = filters[k];
      // A list filter is a set: `fail,pass` and `pass,fail` are the same filter.
      return [k, Array.isArray(v) ? [...new Set(v.map(String))].sort() : v];
    });
  return hash53(JSON.stringify([list, orgId, canonical]));
}

const toBase64Url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64Url = (text: string) => atob(text.replace(/-/g, "+").replace(/_/g, "/"));

function encodeCursor(scope: string, page: number, total: number, exact: boolean, after: Keyset): string {
  return toBase64Url(JSON.stringify([CURSOR_VERSION, scope, page, total, exact ? 1 : 0, ...after]));
}

const badCursor = (message: string) => validationError([{ field: "cursor", message }]);

const isCount = (n: unknown, min: number): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= min;

function decodeCursor(cursor: string, scope: string, shape: KeysetShape) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(cursor));
  } catch {
    throw badCursor("Not a cursor this API made; pass a page's nextCursor as it was answered");
  }
  const fields = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  const version = fields[0];
  const [madeFor, page, total] = fields.slice(1, 4);
  const exact = version === 1 ? 1 : fields[4];
  const after = fields.slice(version === 1 ? 4 : 5);
  const wellFormed =
    (version === 1 || version === CURSOR_VERSION) &&
    (exact === 0 || exact === 1) &&
    typeof madeFor === "string" &&
    isCount(page, 2) &&
    page <= 999_999_999 &&
    isCount(total, 0) &&
    after.length === shape.length &&
    shape.every((type, i) => {
      const v = after[i];
      if (type === "string") return typeof v === "string" && v.length <= 200;
      return (typeof v === "number" && Number.isFinite(v)) || (type === "number?" && v === null);
    });
  if (!wellFormed) throw badCursor("Not a cursor this API made; pass a page's nextCursor as it was answered");
  if (madeFor !== scope) {
    throw badCursor("This cursor was made for another list, filters or sort; repeat the request it came from with only the cursor added");
  }
  return { page, total, exact: exact === 1, after: after as Keyset };
}

/**
 * Where the requested page starts. With `cursor`: after the cursor's keyset, with the total the walk counted
 * on its first page. With `page` (or neither): an OFFSET, and the total is counted. A 400 naming
 * `cursor` when both are given, or when the cursor is malformed or was made for another scope.
 */
export function resolvePaging(query: PageQuery, scope: string, shape: KeysetShape): Paging {
  const { pageSize } = query;
  if (query.cursor !== undefined) {
    if (query.page !== undefined) throw badCursor("Give either cursor or page, not both");
    const c = decodeCursor(query.cursor, scope, shape);
    return { page: c.page, pageSize, offset: 0, limit: pageSize + 1, after: c.after, carriedTotal: c.total, carriedExact: c.exact, scope };
  }
  const page = query.page ?? 1;
  return { page, pageSize, offset: (page - 1) * pageSize, limit: pageSize + 1, after: null, carriedTotal: null, carriedExact: true, scope };
}

/**
 * The page's items and envelope from the rows read with `paging.limit` (one more than the page). `counted`
 * is the count of this request ({@link cappedCount}: at most `TOTAL_CAP + 1`), or null on a cursor page (the
 * cursor's total is used; it never answers fewer items than the walk has already seen).
 */
export function pageOf<T>(paging: Paging, rows: T[], counted: number | null, keysetOf: (row: T) => Keyset) {
  const hasMore = rows.length > paging.pageSize;
  const items = hasMore ? rows.slice(0, paging.pageSize) : rows;
  const seen = (paging.page - 1) * paging.pageSize + items.length + (hasMore ? 1 : 0);
  let total: number;
  let totalExact: boolean;
  if (counted !== null) {
    totalExact = counted <= TOTAL_CAP;
    total = totalExact ? counted : TOTAL_CAP;
  } else {
    totalExact = paging.carriedExact;
    total = Math.max(paging.carriedTotal ?? 0, seen);
  }
  const last = items[items.length - 1];
  const nextCursor = hasMore && last !== undefined ? encodeCursor(paging.scope, paging.page + 1, total, totalExact, keysetOf(last)) : null;
  return { items, info: { page: paging.page, pageSize: paging.pageSize, total, totalExact, hasMore, nextCursor } };
}

/** The `page`, `pageSize`, `total`, `hasMore` and `nextCursor` fields of a list response schema. */
export const PageInfoFields = {
  page: z.number().int().min(1).openapi({ description: "This page's number (also on a cursor page).", example: 1 }),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).openapi({ example: DEFAULT_PAGE_SIZE }),
  total: z.number().int().min(0).openapi({
    description:
      "Items matching the filters, over all pages, counted up to 10,000: exact when `totalExact` is true; beyond that it answers 10,000 and `totalExact` is false (page through with `hasMore` / `nextCursor`). Counted when the request has no `cursor`; a cursor page answers the total counted on the first page of its walk (items added since are not counted).",
    example: 137,
  }),
  totalExact: z.boolean().openapi({
    description: "True when `total` is the exact number of matches; false when there are more than 10,000 and `total` is that cap.",
    example: true,
  }),
  hasMore: z.boolean().openapi({ description: "True when a later page has items." }),
  nextCursor: z.string().nullable().openapi({
    description: "Pass as `cursor` (with the same filters and sort) for the next page; null on the last page.",
  }),
};

/** How the `Link` header of a paginated response is documented. */
export const LINK_HEADER = {
  link: {
    description:
      'RFC 8288 links to the neighbouring pages, absolute URLs keeping every other query parameter: `<…?page=3>; rel="next", <…?page=1>; rel="prev"`. On a cursor page, `next` carries the next `cursor` (and `prev` a page number). Absent when there is neither.',
    schema: { type: "string" as const },
  },
};

/**
 * The RFC 8288 `Link` header value for a page of `total` items, or null when there is no next or
 * previous page. Links are absolute and keep every other query parameter of `requestUrl`. A page past
 * the end links back to the last page that has items. With a capped total (`totalExact: false`) the end is
 * unknown: `next` follows `hasMore` and `prev` is simply the page before. When the request paged with `cursor`, `next` carries
 * the page's `nextCursor` and `prev` a page number (keyset pages only walk forward).
 *
 * @example
 * pageLinks("https://acme.armature.app/api/armature/v1/runs?status=fail&page=2", { page: 2, pageSize: 25 }, 60)
 * // '<https://…/runs?status=fail&page=3>; rel="next", <https://…/runs?status=fail&page=1>; rel="prev"'
 */
export function pageLinks(requestUrl: string, { page, pageSize, nextCursor, hasMore, totalExact }: PageRequest, total: number): string | null {
  // A capped total does not say where the list ends: no clamping to it, and `next` follows `hasMore`.
  const lastPage = totalExact === false ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(total / pageSize));
  const byCursor = new URL(requestUrl).searchParams.has("cursor");
  const links: string[] = [];
  const at = (n: number) => {
    const url = new URL(requestUrl);
    url.searchParams.delete("cursor");
    url.searchParams.set("page", String(n));
    return url.toString();
  };
  if (byCursor) {
    if (nextCursor) {
      const url = new URL(requestUrl);
      url.searchParams.set("cursor", nextCursor);
      links.push(`<${url.toString()}>; rel="next"`);
    }
  } else if ((totalExact !== false && page * pageSize < total) || (totalExact === false && hasMore === true)) links.push(`<${at(page + 1)}>; rel="next"`);
  if (page > 1) links.push(`<${at(Math.min(page - 1, lastPage))}>; rel="prev"`);
  return links.length > 0 ? links.join(", ") : null;
}
