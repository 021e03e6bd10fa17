/**
 * `@ade/apple`: pure Apple protocol code (no I/O). See docs/apple-account-driven-enrollment.md.
 */
export { APPLE_ROOT_CA_PEM, APPLE_ROOT_CA_SHA1, APPLE_ROOT_CA_SHA256 } from './apple-root-ca';
export * from './dep/index.ts';
export {
  type EnrollRequest,
  MAX_ENROLL_BODY_BYTES,
  type ParseEnrollRequestOptions,
  parseEnrollRequest,
} from './enroll-request';
export { AppleProtocolError, type AppleProtocolErrorCode, isAppleProtocolError } from './errors';
export {
  type ApplePlatform,
  assertOsMinimum,
  checkOsMinimum,
  type EnrollmentType,
  OS_MINIMUMS,
  type OsCheck,
  type OsVersion,
  osVersionFromBuild,
  platformFromProduct,
} from './os-version';
export {
  buildPlist,
  DEFAULT_PLIST_MAX_BYTES,
  isPlistDict,
  type ParsePlistOptions,
  type PlistDict,
  type PlistValue,
  parsePlist,
  parsePlistDict,
} from './plist';
export {
  decryptServerToken,
  MAX_TOKEN_FILE_BYTES,
  type ServerToken,
  type TokenKeyPair,
} from './server-token';
export {
  generateTokenCertificate,
  type TokenCertificate,
  type TokenCertificateOptions,
} from './token-certificate';
