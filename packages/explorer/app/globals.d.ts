/** The example operations of graphql/operations/, compiled in by src/build.ts. */
declare module 'ade:operations' {
  const operations: { name: string; document: string }[];
  export default operations;
}

/** Monaco's worker scripts by label, file names beside the page's script (src/build.ts `define`). */
declare const __ADE_EXPLORER_WORKERS__: Record<'editor' | 'json' | 'graphql', string>;

declare module '*.css';
