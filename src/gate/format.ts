/**
 * A duration for people: `850ms`, `1.3s`, `42s`, `1m30s`, `10m`, `1h5m`.
 *
 * @example
 * formatDuration(90_000) // "1m30s"
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h}h` : "", m ? `${m}m` : "", s ? `${s}s` : ""].join("") || "0s";
}

/** A cost in US dollars to 4 decimals, or `n/a` when the run recorded none. */
export function formatCost(usd: number | null | undefined): string {
  return usd === null || usd === undefined ? "n/a" : `$${usd.toFixed(4)}`;
}

/** A share as a whole percentage (`67%`), one decimal when it is not whole enough to say (`99.5%`). */
export function formatPercent(share: number): string {
  const percent = share * 100;
  return `${Number.isInteger(Math.round(percent * 10) / 10) ? Math.round(percent) : percent.toFixed(1)}%`;
}
