/**
 * `@ade/apple`: pure Apple protocol code (no I/O). See docs/README.md.
 */
export { APPLE_ROOT_CA_PEM, APPLE_ROOT_CA_SHA1, APPLE_ROOT_CA_SHA256 } from './apple-root-ca';
export * from './checkin';
export * from './command-result';
export * from './ddm.ts';
export * from './dep/index.ts';
export {
  type EnrollRequest,
  MAX_ENROLL_BODY_BYTES,
  type ParseEnrollRequestOptions,
  parseEnrollRequest,
} from './enroll-request';
export {
  ALL_ACCESS_RIGHTS,
  buildEnrollmentProfile,
  checkAccessRights,
  type EnrollmentMode,
  type EnrollmentProfileInput,
  enrollmentProfileDict,
  SERVER_CAPABILITIES,
} from './enrollment-profile';
export { AppleProtocolError, type AppleProtocolErrorCode, isAppleProtocolError } from './errors';
export * from './mdm-commands.ts';
export {
  assertEnrollmentType,
  deriveIdentity,
  type EnrollmentIdentity,
  type MdmChannel,
  SHARED_IPAD_USER_ID,
} from './mdm-identity';
export {
  certificateFingerprintSha256,
  MAX_MDM_SIGNATURE_HEADER_CHARS,
  type MdmSignature,
  verifyMdmSignature,
} from './mdm-signature';
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
export { buildPkcs12, PKCS12_ITERATIONS, type Pkcs12Contents, type Pkcs12Input } from './pkcs12';
export { readPkcs12 } from './pkcs12-read';
export {
  type CertificateAuthority,
  type CertificateUsage,
  type CreateCertificateAuthorityOptions,
  createCertificateAuthority,
  type IssueCertificateOptions,
  type IssuedCertificate,
  issueCertificate,
  type PemKeyPair,
} from './pki';
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
export { type ProfileSigner, signProfile } from './profile-signing';
export * from './push-certificate';
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
