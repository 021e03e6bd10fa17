/**
 * What every MDM check-in and command-channel request needs, and nothing more: verify the
 * `Mdm-Signature`, read the check-in or the command result. Core loads this entry (not the package
 * index) on those requests, so a device function's first request does not load pkijs/asn1js, which
 * only the enrollment body, profile signing and tokens use.
 */
export { parseCheckin } from './checkin';
export { parseCommandResult } from './command-result';
export { verifyMdmSignature } from './mdm-signature';
