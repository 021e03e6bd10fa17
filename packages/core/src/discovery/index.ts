/** Service discovery (docs/apple-account-driven-enrollment.md §1, §2): pure, no database. */
export * from './answer.ts';
export * from './domains.ts';
export * from './hosting.ts';
export {
  checkDiscoveryUrl,
  checkPublicUrl,
  DISCOVERY_PATH,
  discoveryVersion,
} from './urls.ts';
