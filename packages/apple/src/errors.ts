/**
 * The one error type of `@ade/apple`. Callers branch on `code` (stable, machine readable) and may show
 * `message` to an admin or a device owner: every message says what went wrong and what to do next.
 */
export type AppleProtocolErrorCode =
  /** Body is not an XML property list, or not the shape expected (e.g. not a dict). */
  | 'MALFORMED_PLIST'
  /** Body is not a CMS (PKCS #7) structure, or one we cannot use (e.g. no attached content). */
  | 'MALFORMED_CMS'
  /** The signed plist lacks a key Apple documents for the enrollment request (PRODUCT, VERSION). */
  | 'MALFORMED_ENROLL_REQUEST'
  /** Input larger than the limit for that kind of message. */
  | 'BODY_TOO_LARGE'
  /** The caller asked for a valid signature and the CMS signature does not verify. */
  | 'SIGNATURE_INVALID'
  /** The server token was encrypted to a different certificate than ours. */
  | 'TOKEN_WRONG_KEY'
  /** The server token file is damaged (bad base64, bad ASN.1) or cannot be decrypted. */
  | 'TOKEN_CORRUPTED'
  /** The server token decrypted fine but its access_token_expiry is in the past. */
  | 'TOKEN_EXPIRED'
  /** The file is not an ABM/ASM server token at all (not S/MIME, or the JSON lacks the token fields). */
  | 'NOT_A_TOKEN'
  /** Our own private key or certificate (configuration) cannot be read or do not belong together. */
  | 'INVALID_KEY'
  /** A cryptographic algorithm in the message is not one we implement. */
  | 'UNSUPPORTED_ALGORITHM'
  /** The device's OS (or device type) is below the minimum for the requested enrollment type. */
  | 'UNSUPPORTED_OS'
  /** Our own input for a certificate (CA, identity, signer) is invalid: name, lifetime, usage. */
  | 'INVALID_CERTIFICATE_INPUT'
  /** A PKCS #12 file cannot be built or read: wrong password, damaged, or an algorithm we do not use. */
  | 'INVALID_PKCS12'
  /** Input for a profile breaks Apple's rules (URLs, Topic, mode, AccessRights, values a plist cannot hold…). */
  | 'INVALID_PROFILE_INPUT'
  /** Our own input for an MDM command or a declaration is invalid (empty CommandUUID, duplicate identifier…). */
  | 'INVALID_COMMAND_INPUT'
  /** A payload dictionary does not match Apple's device-management YAML schema for its PayloadType. */
  | 'PROFILE_SCHEMA_VIOLATION'
  /** An MDM check-in's MessageType is not one Apple documents (the HTTP layer answers 400). */
  | 'UNKNOWN_MESSAGE_TYPE'
  /** An MDM check-in or command result lacks a required key, or a key has the wrong type. */
  | 'MALFORMED_MDM_MESSAGE'
  /** A user-enrollment (BYOD) message carries a device identifier Apple forbids there (UDID, SerialNumber…). */
  | 'FORBIDDEN_DEVICE_IDENTIFIER'
  /** The request has no (or an empty) `Mdm-Signature` header. */
  | 'MDM_SIGNATURE_MISSING'
  /** A CMS signature does not include the signer's certificate. */
  | 'SIGNER_CERTIFICATE_MISSING'
  /** A certificate or private key is not usable PEM. */
  | 'MALFORMED_PEM'
  /** The certificate is not an APNs MDM push certificate (subject UID is not `com.apple.mgmt.…`). */
  | 'NOT_A_PUSH_CERTIFICATE'
  /** The certificate's notAfter is in the past. */
  | 'CERTIFICATE_EXPIRED'
  /** The certificate's notBefore is in the future. */
  | 'CERTIFICATE_NOT_YET_VALID'
  /** The private key does not belong to the certificate. */
  | 'KEY_MISMATCH';

const DEFAULT_MESSAGES: Record<AppleProtocolErrorCode, string> = {
  MALFORMED_PLIST: 'The request is not a valid Apple property list.',
  MALFORMED_CMS: 'The request is not a valid signed message from an Apple device.',
  MALFORMED_ENROLL_REQUEST: 'The enrollment request is missing device information (PRODUCT or VERSION).',
  BODY_TOO_LARGE: 'The request is larger than allowed.',
  SIGNATURE_INVALID: 'The device signature on the enrollment request does not verify.',
  TOKEN_WRONG_KEY:
    'This server token was encrypted for a different certificate. Upload this server’s current certificate ' +
    'to the MDM server in Apple Business Manager / Apple School Manager, then download a new token.',
  TOKEN_CORRUPTED:
    'The server token file is damaged or cannot be decrypted. Download it again from Apple Business Manager / ' +
    'Apple School Manager and upload the .p7m file unchanged.',
  TOKEN_EXPIRED:
    'The server token has expired. Renew it in Apple Business Manager / Apple School Manager and upload the new file.',
  NOT_A_TOKEN:
    'This file is not an Apple Business Manager / Apple School Manager server token (.p7m). ' +
    'Download the token from the MDM server’s page and upload that file.',
  INVALID_KEY: 'The server’s private key or certificate for the token cannot be used.',
  UNSUPPORTED_ALGORITHM: 'The message uses a cryptographic algorithm this server does not support.',
  UNSUPPORTED_OS:
    'This device’s software version is too old for this kind of enrollment. Update it and try again.',
  INVALID_CERTIFICATE_INPUT: 'The certificate request is invalid.',
  INVALID_PKCS12: 'The PKCS #12 file cannot be read: the password is wrong or the file is damaged.',
  INVALID_PROFILE_INPUT: 'The profile settings are invalid.',
  INVALID_COMMAND_INPUT: 'The MDM command or declaration cannot be built from this input.',
  PROFILE_SCHEMA_VIOLATION: 'The profile payload does not match Apple’s schema for its type.',
  UNKNOWN_MESSAGE_TYPE: 'The device sent a check-in message of a type this server does not know.',
  MALFORMED_MDM_MESSAGE: 'The device sent an MDM message that lacks required information.',
  FORBIDDEN_DEVICE_IDENTIFIER:
    'A User Enrollment (personal device) message must not identify the device (UDID, serial number).',
  MDM_SIGNATURE_MISSING: 'The request has no Mdm-Signature header; the device must sign its MDM messages.',
  SIGNER_CERTIFICATE_MISSING: 'The signature does not include the signer’s certificate.',
  MALFORMED_PEM: 'The certificate or private key is not valid PEM. Upload the files unchanged.',
  NOT_A_PUSH_CERTIFICATE:
    'This is not an Apple MDM push certificate. Download it from https://identity.apple.com (Apple Push ' +
    'Certificates Portal) and upload that file.',
  CERTIFICATE_EXPIRED: 'The certificate has expired. Renew it and upload the new one.',
  CERTIFICATE_NOT_YET_VALID: 'The certificate is not valid yet. Check the server clock or wait.',
  KEY_MISMATCH:
    'The private key does not belong to this certificate. Upload the key that created the certificate request.',
};

export class AppleProtocolError extends Error {
  override readonly name = 'AppleProtocolError';
  readonly code: AppleProtocolErrorCode;

  constructor(code: AppleProtocolErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? DEFAULT_MESSAGES[code], options);
    this.code = code;
  }
}

export function isAppleProtocolError(err: unknown, code?: AppleProtocolErrorCode): err is AppleProtocolError {
  return err instanceof AppleProtocolError && (code === undefined || err.code === code);
}
