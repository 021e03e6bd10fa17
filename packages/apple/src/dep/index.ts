/** Apple Device Assignment API (ADE/DEP) client: the public surface of `@ade/apple`'s `dep` folder. */
export { type Account, type AccountUrl, listsAccountDrivenEnrollment } from './account';
export {
  type AccountDrivenEnrollmentProfile,
  DEFAULT_BASE_URL,
  DEFAULT_PROTOCOL_VERSION,
  type DeviceAssignmentApi,
  DeviceAssignmentClient,
  type DeviceAssignmentClientOptions,
} from './client';
export { DeviceAssignmentError, type DeviceAssignmentErrorKind, parseErrorCode } from './errors';
export {
  appleSessionAuthorization,
  hmacSha1Signature,
  type OAuthParam,
  type OAuthSigningInput,
  oauthAuthorizationHeader,
  percentEncode,
  type ServerTokenCredentials,
  signatureBaseString,
} from './oauth1';
