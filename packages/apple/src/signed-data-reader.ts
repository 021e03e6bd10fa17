/**
 * Reads a CMS SignedData (RFC 5652 §5) of the shape an Apple device sends in `Mdm-Signature` — one
 * signer, its certificate, optional signed attributes, detached (or attached) content — straight from
 * the bytes with the strict reader in der.ts. Nothing here verifies: mdm-signature.ts does, with Node's
 * crypto, over the slices this returns.
 *
 * Why our own reader and not pkijs (which enroll-request.ts still uses for the enrollment body): every
 * check-in and command-channel request verifies a signature, and pkijs/asn1js spend about 3 ms parsing
 * one (schema matching over a general object tree) and add ~300 KB / ~30 ms to a device function's first
 * request. `@peculiar/asn1-cms` is built on asn1js as well and still cost 1.8 ms per message when
 * measured here (2026-12), asn1js's parse alone 0.6 ms; this reader takes a few microseconds.
 *
 * It accepts less than RFC 5652 allows, on purpose (each is something devices and our simulator never
 * send; mdm-signature.test.ts names them where pkijs would have accepted the input):
 * - exactly one SignerInfo; no `crls`; no `unsignedAttrs`; only X.509 certificates (no attribute
 *   certificates), at most 8 of them, each in DER exactly as Node re-encodes it;
 * - no element beyond those each structure defines (pkijs ignores trailing extra elements);
 * - versions: SignedData 1, 3, 4 or 5; SignerInfo 1 with issuerAndSerialNumber, 3 with a key identifier;
 * - signed attributes in DER (definite lengths), each attribute type once, at most 16 of them;
 * - BER (indefinite lengths, OCTET STRING segments) only outside certificates and signed attributes.
 */
import { X509Certificate } from 'node:crypto';
import {
  children,
  DerError,
  type Element,
  encoding,
  expectTag,
  isConstructed,
  octetString,
  oid,
  type ReadOptions,
  readRoot,
  smallInteger,
  TAG,
  validateTree,
} from './der';

/** Hex of the OID content octets: exact keys for lookups. */
export const OID_HEX = {
  data: '2a864886f70d010701',
  signedData: '2a864886f70d010702',
  contentType: '2a864886f70d010903',
  messageDigest: '2a864886f70d010904',
  signingTime: '2a864886f70d010905',
  subjectKeyIdentifier: '551d0e',
} as const;

const MAX_CERTIFICATES = 8;
const MAX_DIGEST_ALGORITHMS = 8;
const MAX_SIGNED_ATTRIBUTES = 16;

export interface AlgorithmIdentifier {
  /** Hex of the OID's content octets. */
  oid: string;
  parameters: 'absent' | 'null' | 'other';
}

export type SignerIdentifier =
  | { kind: 'issuerAndSerialNumber'; issuer: Uint8Array; serial: Uint8Array }
  | { kind: 'subjectKeyIdentifier'; keyId: Uint8Array };

export interface SignedAttributes {
  /** What the signature covers: the attributes' DER with the [0] IMPLICIT tag replaced by SET OF (§5.4). */
  signedBytes: Buffer;
  /** Values of each attribute type (key: hex of the type OID). */
  values: Map<string, Element[]>;
}

export interface SignerInfoParts {
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  signedAttrs?: SignedAttributes;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
}

export interface IncludedCertificate {
  x509: X509Certificate;
  /** The Name's whole encoding and the serial's content octets, as a signer identifier names them. */
  issuer: Uint8Array;
  serial: Uint8Array;
  subjectKeyIdentifier?: Uint8Array;
}

export interface SignedDataParts {
  /** The bytes everything below points into. */
  bytes: Uint8Array;
  /** Content octets of the eContentType OID. */
  eContentType: Uint8Array;
  /** Attached content, if any (devices sign detached). */
  content?: Uint8Array;
  certificates: IncludedCertificate[];
  signer: SignerInfoParts;
}

const BER: ReadOptions = { indefinite: true };
const DER: ReadOptions = {};

/** Reads `der` as ContentInfo → SignedData; throws `DerError` naming the first thing that does not fit. */
export function readSignedData(der: Uint8Array): SignedDataParts {
  if (der.length === 0) throw new DerError('it is empty');
  // Framing is checked here to the end (indefinite lengths are read through); the contents of each field
  // are checked where it is read (validateTree), certificates once per distinct certificate.
  const root = readRoot(der, BER);
  const [contentType, explicit, ...extra] = children(der, expectTag(root, TAG.sequence, 'ContentInfo'), BER);
  noMore(extra, 'ContentInfo');
  if (
    hex(oid(der, expectTag(contentType, TAG.oid, 'the content type'), 'the content type')) !==
    OID_HEX.signedData
  )
    throw new DerError('it is not CMS SignedData');
  const [signedData, ...afterContent] = children(
    der,
    expectTag(explicit, TAG.context(0), 'the content'),
    BER,
  );
  noMore(afterContent, 'the content');
  return readSignedDataFields(der, expectTag(signedData, TAG.sequence, 'SignedData'));
}

function readSignedDataFields(der: Uint8Array, signedData: Element): SignedDataParts {
  const fields = children(der, signedData, BER);
  let at = 0;
  const version = smallInteger(der, fields[at++]!, 'the SignedData version');
  if (![1, 3, 4, 5].includes(version))
    throw new DerError(`SignedData version ${version} is not one RFC 5652 defines`);
  const digestSet = validated(der, expectTag(fields[at++], TAG.set, 'digestAlgorithms'));
  const digestAlgorithms = children(der, digestSet, BER);
  if (digestAlgorithms.length > MAX_DIGEST_ALGORITHMS)
    throw new DerError('it lists too many digest algorithms');
  for (const algorithm of digestAlgorithms) readAlgorithm(der, algorithm, 'a digest algorithm');
  const encapsulated = readEncapsulatedContent(
    der,
    validated(der, expectTag(fields[at++], TAG.sequence, 'encapContentInfo')),
  );
  let certificates: IncludedCertificate[] = [];
  if (fields[at]?.tag === TAG.context(0)) certificates = readCertificates(der, fields[at++]!);
  if (fields[at]?.tag === TAG.context(1))
    throw new DerError('it carries CRLs, which device signatures never do');
  const signerInfos = children(der, validated(der, expectTag(fields[at++], TAG.set, 'signerInfos')), BER);
  noMore(fields.slice(at), 'SignedData');
  if (signerInfos.length === 0) throw new DerError('it has no signer');
  if (signerInfos.length > 1) throw new DerError('it has more than one signer');
  return { bytes: der, ...encapsulated, certificates, signer: readSignerInfo(der, signerInfos[0]!) };
}

function readEncapsulatedContent(
  der: Uint8Array,
  element: Element,
): { eContentType: Uint8Array; content?: Uint8Array } {
  const [type, explicit, ...extra] = children(der, element, BER);
  noMore(extra, 'encapContentInfo');
  const eContentType = oid(der, expectTag(type, TAG.oid, 'eContentType'), 'eContentType');
  if (!explicit) return { eContentType };
  const [value, ...afterValue] = children(der, expectTag(explicit, TAG.context(0), 'eContent'), BER);
  noMore(afterValue, 'eContent');
  if (!value) throw new DerError('eContent is empty');
  return { eContentType, content: octetString(der, value, 'eContent', BER) };
}

function readCertificates(der: Uint8Array, set: Element): IncludedCertificate[] {
  const certificates = children(der, set, BER);
  if (certificates.length > MAX_CERTIFICATES) throw new DerError('it carries too many certificates');
  return certificates.map((certificate) => readCertificate(der, certificate));
}

/**
 * An X.509 certificate (other CertificateChoices are refused), in DER, that Node reads and re-encodes to
 * the same bytes — so the fingerprint we return is the hash of exactly what the device sent.
 */
function readCertificate(der: Uint8Array, certificate: Element): IncludedCertificate {
  expectTag(certificate, TAG.sequence, 'a certificate');
  const bytes = encoding(der, certificate);
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const cached = certificateCache.get(key);
  if (cached) {
    certificateCache.delete(key);
    certificateCache.set(key, cached);
    return cached;
  }
  const own = Buffer.from(bytes); // kept by the cache beyond this request's buffer
  const parsed = parseCertificate(own, readRoot(own));
  certificateCache.set(key, parsed);
  if (certificateCache.size > CERTIFICATE_CACHE_SIZE)
    certificateCache.delete(certificateCache.keys().next().value!);
  return parsed;
}

/**
 * Parsed certificates by their exact bytes. A device sends the same certificate with every message, and
 * reading it (Node's parse, and the key, fingerprint and PEM Node then keeps on the object) is most of a
 * verification's cost; the same bytes always give the same answer, so the last thousand are kept.
 * About 4 KB each: a few MB for the devices one container serves.
 */
const CERTIFICATE_CACHE_SIZE = 1000;
const certificateCache = new Map<string, IncludedCertificate>();

function parseCertificate(bytes: Buffer, certificate: Element): IncludedCertificate {
  requireDer(bytes, certificate, 'a certificate');
  const [tbs] = children(bytes, certificate);
  const fields = children(bytes, expectTag(tbs, TAG.sequence, 'a certificate’s TBSCertificate'));
  let at = fields[0]?.tag === TAG.context(0) ? 1 : 0;
  const serial = expectTag(fields[at++], TAG.integer, 'a certificate’s serial number');
  at++; // signature algorithm
  const issuer = expectTag(fields[at++], TAG.sequence, 'a certificate’s issuer');
  const extensions = fields.find((field) => field.tag === TAG.context(3));
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(bytes);
  } catch {
    throw new DerError('a certificate cannot be read');
  }
  if (!x509.raw.equals(bytes)) throw new DerError('a certificate is not in DER');
  const result: IncludedCertificate = {
    x509,
    issuer: encoding(bytes, issuer),
    serial: integerContent(bytes, serial),
  };
  const keyId = extensions ? subjectKeyIdentifier(bytes, extensions) : undefined;
  if (keyId) result.subjectKeyIdentifier = keyId;
  return result;
}

/** The first subjectKeyIdentifier extension's key identifier, when it is an OCTET STRING. */
function subjectKeyIdentifier(der: Uint8Array, explicit: Element): Uint8Array | undefined {
  const [list] = children(der, explicit);
  if (!list || list.tag !== TAG.sequence) return undefined;
  for (const extension of children(der, list)) {
    if (extension.tag !== TAG.sequence) continue;
    const parts = children(der, extension);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id?.tag !== TAG.oid || value?.tag !== TAG.octetString || parts.length < 2) continue;
    if (hex(oid(der, id, 'an extension id')) !== OID_HEX.subjectKeyIdentifier) continue;
    const inner = der.subarray(value.contentStart, value.contentEnd);
    try {
      const keyId = readRoot(inner);
      return keyId.tag === TAG.octetString ? inner.subarray(keyId.contentStart, keyId.contentEnd) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function readSignerInfo(der: Uint8Array, element: Element): SignerInfoParts {
  const fields = children(der, expectTag(element, TAG.sequence, 'SignerInfo'), BER);
  let at = 0;
  const version = smallInteger(der, fields[at++]!, 'the SignerInfo version');
  const sid = readSignerIdentifier(der, fields[at++]);
  if (version !== (sid.kind === 'issuerAndSerialNumber' ? 1 : 3))
    throw new DerError(`SignerInfo version ${version} does not go with its signer identifier`);
  const digestAlgorithm = readAlgorithm(der, fields[at++], 'the digest algorithm');
  let signedAttrs: SignedAttributes | undefined;
  if (fields[at]?.tag === TAG.context(0)) signedAttrs = readSignedAttributes(der, fields[at++]!);
  const signatureAlgorithm = readAlgorithm(der, fields[at++], 'the signature algorithm');
  const signature = expectTag(fields[at++], TAG.octetString, 'the signature');
  if (fields[at]?.tag === TAG.context(1)) throw new DerError('it has unsigned attributes');
  noMore(fields.slice(at), 'SignerInfo');
  const parts: SignerInfoParts = {
    sid,
    digestAlgorithm,
    signatureAlgorithm,
    signature: der.subarray(signature.contentStart, signature.contentEnd),
  };
  if (signedAttrs) parts.signedAttrs = signedAttrs;
  return parts;
}

function readSignerIdentifier(der: Uint8Array, element: Element | undefined): SignerIdentifier {
  if (element?.tag === TAG.contextPrimitive(0)) {
    if (element.contentEnd === element.contentStart)
      throw new DerError('the signer’s key identifier is empty');
    return { kind: 'subjectKeyIdentifier', keyId: der.subarray(element.contentStart, element.contentEnd) };
  }
  const [issuer, serial, ...extra] = children(
    der,
    expectTag(element, TAG.sequence, 'the signer identifier'),
    BER,
  );
  noMore(extra, 'issuerAndSerialNumber');
  return {
    kind: 'issuerAndSerialNumber',
    issuer: encoding(der, expectTag(issuer, TAG.sequence, 'the signer’s issuer')),
    serial: integerContent(der, expectTag(serial, TAG.integer, 'the signer’s serial number')),
  };
}

function readSignedAttributes(der: Uint8Array, element: Element): SignedAttributes {
  requireDer(der, element, 'the signed attributes');
  const attributes = children(der, element);
  if (attributes.length > MAX_SIGNED_ATTRIBUTES) throw new DerError('it has too many signed attributes');
  const values = new Map<string, Element[]>();
  for (const attribute of attributes) {
    const [type, set, ...extra] = children(der, expectTag(attribute, TAG.sequence, 'a signed attribute'));
    noMore(extra, 'a signed attribute');
    const key = hex(
      oid(der, expectTag(type, TAG.oid, 'a signed attribute’s type'), 'a signed attribute’s type'),
    );
    if (values.has(key)) throw new DerError('a signed attribute appears twice');
    const items = children(der, expectTag(set, TAG.set, 'a signed attribute’s values'));
    if (items.length === 0) throw new DerError('a signed attribute has no value');
    values.set(key, items);
  }
  const signedBytes = Buffer.from(encoding(der, element));
  signedBytes[0] = TAG.set;
  return { signedBytes, values };
}

function readAlgorithm(der: Uint8Array, element: Element | undefined, what: string): AlgorithmIdentifier {
  const [id, parameters, ...extra] = children(der, expectTag(element, TAG.sequence, what), BER);
  noMore(extra, what);
  const algorithm = hex(oid(der, expectTag(id, TAG.oid, what), what));
  if (!parameters) return { oid: algorithm, parameters: 'absent' };
  const isNull = parameters.tag === TAG.null && parameters.contentEnd === parameters.contentStart;
  return { oid: algorithm, parameters: isNull ? 'null' : 'other' };
}

/** An INTEGER's content octets (non-empty); compared byte for byte, as the serials in a signer identifier. */
function integerContent(der: Uint8Array, element: Element): Uint8Array {
  if (element.contentEnd === element.contentStart) throw new DerError('an INTEGER is empty');
  return der.subarray(element.contentStart, element.contentEnd);
}

/** Definite lengths all the way down: what certificates and signed attributes must be (DER). */
function requireDer(der: Uint8Array, element: Element, what: string): void {
  if (element.indefinite || !isConstructed(element)) throw new DerError(`${what} is not in DER`);
  try {
    validateTree(der, element, DER);
  } catch (cause) {
    throw new DerError(`${what} is not in DER (${cause instanceof Error ? cause.message : cause})`);
  }
}

/** `element`, once everything inside it is checked (validateTree, BER allowed). */
function validated(der: Uint8Array, element: Element): Element {
  validateTree(der, element, BER);
  return element;
}

function noMore(extra: readonly Element[], what: string): void {
  if (extra.length > 0)
    throw new DerError(`${what} has an element it does not define at offset ${extra[0]!.start}`);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
