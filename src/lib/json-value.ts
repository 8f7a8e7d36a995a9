/**
 * A value as a JSON answer carries it: what `c.json(value)` sends (`JSON.stringify`), read back. Dates become
 * ISO strings and undefined fields disappear, so a surface that hands out objects rather than HTTP bodies
 * (the MCP API's `structuredContent`) gives exactly what REST answers.
 *
 * @example
 * asJsonValue({ at: new Date(0), gone: undefined }) // { at: "1970-01-01T00:00:00.000Z" }
 */
export function asJsonValue(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}
