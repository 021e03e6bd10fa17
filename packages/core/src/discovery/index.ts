/** Service discovery (docs/protocol/discovery.md): pure, no database. */
export * from './answer.ts';
export * from './domains.ts';
export * from './hosting.ts';
export {
  checkDiscoveryUrl,
  checkPublicUrl,
  DISCOVERY_PATH,
  discoveryVersion,
} from './urls.ts';
