/**
 * Apple's protocol code, loaded when first needed. Most requests never touch it (GraphQL reads,
 * discovery), and it carries the weight of ASN.1/CMS and XML plists: bundled as a separate chunk,
 * it stays out of every function's cold start. Light pieces (errors, the Device Assignment client)
 * are imported directly from their modules.
 */
export const apple = () => import('@ade/apple');

/**
 * The part every check-in and command-channel request needs (signature, check-in, command result),
 * without the ASN.1 library the rest of `@ade/apple` loads (~300 KB, ~30 ms on a first request).
 */
export const appleDeviceMessages = () => import('@ade/apple/device-messages');
