/**
 * Dotted OS versions as Apple's YAML writes them ("4.0", "10.13.4", "9.3.2") and as callers pass them
 * ("17", "17.4.1"). Missing components count as 0, so "17" = "17.0" = "17.0.0".
 */
export function parseVersion(version: string): number[] | undefined {
  if (!/^\d+(?:\.\d+)*$/.test(version.trim())) return undefined;
  return version.trim().split('.').map(Number);
}

/** Negative, zero or positive like a sort comparator; throws on a version that is not dotted numbers. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) throw new Error(`cannot compare versions "${a}" and "${b}"`);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
