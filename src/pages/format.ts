/** Numbers as the pages show them; the tests read the same functions, so a tile equals the metric. */
export { formatMoney } from '../domain/customer-summary';

export const formatPercent = (ratio: number | null | undefined) => (ratio == null ? '—' : `${(Math.round(ratio * 1000) / 10).toFixed(1)} %`);
export const formatNumber = (n: number | null | undefined, digits = 1) => (n == null ? '—' : String(Math.round(n * 10 ** digits) / 10 ** digits));
