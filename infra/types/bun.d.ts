/**
 * Stands in for Bun's types in the SST program (tsconfig.sst.json `paths`). SST's config types
 * import `Shell` from "bun" only for CI workflows, which this app does not use; the real Bun types
 * redefine globals such as URL and clash with Node's in our own code.
 */
export type Shell = (strings: TemplateStringsArray, ...values: unknown[]) => unknown;
