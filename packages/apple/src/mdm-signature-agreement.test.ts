/**
 * The fast `Mdm-Signature` verifier (mdm-signature.ts, our DER reader + node:crypto) against the pkijs
 * verifier it replaced (testing/mdm-signature-reference.ts): on Apple's real capture, on openssl-made
 * signatures of every shape a device or our simulator uses, and on fuzzed inputs (fast-check). They must
 * agree — both refuse, or both accept the same signer — except where the fast one is stricter for a reason
 * listed in STRICTER below, and neither may throw anything but AppleProtocolError.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { children, type Element, readElement } from './der';
import { verifyMdmSignature } from './mdm-signature';
import { buildPlist } from './plist';
import { compareVerifiers, verifyMdmSignatureReference } from './testing/mdm-signature-reference';
import { ENROLL_CAPTURE_PATH, errorCode, makeCert, type Workdir, workdir } from './testing/tools';

/**
 * Where the fast verifier refuses what pkijs accepts, by the reason in its message. Each is something no
 * device or simulator sends; pkijs accepts it because its schemas ignore it (extra elements, CRLs,
 * unsigned attributes, versions, algorithm identifiers it does not read) or because BER allows it.
 */
export const STRICTER: readonly { reason: RegExp; why: string }[] = [
  {
    reason: /not in its shortest form/,
    why: 'a length padded with zero octets (BER allows it, DER does not)',
  },
  {
    reason:
      /runs past its container|a length of \d+ octets|a length is missing|truncated length|indefinite length where none|constructed form of a primitive|unexpected end-of-contents|trailing data|is not closed/,
    why: 'broken framing (an element longer than its container, a bad length octet, a stray end-of-contents) or BER (indefinite lengths, constructed strings) inside a certificate: asn1js reads on, and pkijs re-encodes a repaired certificate, whose fingerprint is then not that of the bytes sent',
  },
  { reason: /an element it does not define/, why: 'an element after the last one a structure defines' },
  {
    reason: /BIT STRING with invalid unused bits/,
    why: 'a BIT STRING that is empty or has unused bits but no octets',
  },
  {
    reason: /primitive form of a constructed type/,
    why: 'a primitive SEQUENCE, SET or other structured type',
  },
  { reason: /high tag number/, why: 'a tag number of 31 or more (no CMS or X.509 structure uses one)' },
  {
    reason: /OBJECT IDENTIFIER (is empty|is longer|has a padded)/,
    why: 'an OBJECT IDENTIFIER that is empty, over 64 octets, or has a padded sub-identifier (asn1js only warns)',
  },
  { reason: /more than one signer/, why: 'a second SignerInfo (devices sign once)' },
  { reason: /carries CRLs/, why: 'revocation information (devices send none)' },
  { reason: /unsigned attributes/, why: 'unsigned attributes (devices send none)' },
  {
    reason: /version/,
    why: 'a version RFC 5652 does not define, or that contradicts the signer identifier',
  },
  {
    reason: /compared byte for byte/,
    why: 'a signer identifier whose issuer equals the certificate’s only after pkijs’s case and space folding or in another encoding (devices copy the bytes)',
  },
  { reason: /is not in DER/, why: 'a certificate or the signed attributes not in DER' },
  {
    reason: /a certificate cannot be read/,
    why: 'a certificate OpenSSL (Node) cannot read, e.g. with an extra element',
  },
  {
    reason: /a time is not/,
    why: 'a time not in DER form (YYMMDDHHMMSSZ) or not a calendar date, e.g. month 32',
  },
  { reason: /signature algorithm/, why: 'a signature algorithm we do not know, or naming another hash' },
  { reason: /digest algorithm is not/, why: 'digest algorithm parameters other than NULL' },
  { reason: /content type other than data/, why: 'no signed attributes over a content type other than data' },
  {
    reason: /signed attributes lack a single|more than one value|appears twice/,
    why: 'multi-valued or repeated attributes',
  },
];

let w: Workdir;
const body = Buffer.from(
  buildPlist({ MessageType: 'Authenticate', EnrollmentID: 'E1', Topic: 'com.apple.mgmt.x' }),
);
const capture = readFileSync(ENROLL_CAPTURE_PATH);

beforeAll(() => {
  w = workdir();
  makeCert(w, 'ca', '/CN=ADE Cloud device CA', { ca: true });
  makeCert(w, 'rsa', '/CN=device identity E1', { issuer: 'ca' });
  makeCert(w, 'ec', '/CN=ec device', { issuer: 'ca', ec: true });
  makeCert(w, 'nokid', '/CN=no key id', { issuer: 'ca', keyIds: false });
  w.write('body.plist', body);
});
afterAll(() => w.remove());

function opensslSign(signer: string, extra: string[] = []): Buffer {
  return w.openssl([
    'cms',
    '-sign',
    '-binary',
    '-in',
    'body.plist',
    '-signer',
    `${signer}.pem`,
    '-inkey',
    `${signer}.key`,
    '-outform',
    'DER',
    ...extra,
  ]);
}

/** Fails unless the two agree, or the fast one refuses for a listed reason; returns 'agree' or that reason. */
function agreement(header: string | string[] | undefined, content: Uint8Array): string {
  const result = compareVerifiers(verifyMdmSignature, header, content);
  if (!result.reference.accepted && result.reference.code === 'CRASH') {
    expect(result.fast.accepted).toBe(false);
    return 'the pkijs reference crashed (a TypeError: a 500 in production); the fast verifier refused';
  }
  if (result.agree) return 'agree';
  const stricter =
    !result.fast.accepted && result.reference.accepted
      ? STRICTER.find((s) => !result.fast.accepted && s.reason.test(result.fast.message))
      : undefined;
  if (stricter) return stricter.why;
  throw new Error(
    `the verifiers disagree: fast ${summary(result.fast)}, reference ${summary(result.reference)}, on ${typeof header === 'string' ? header : JSON.stringify(header)}`,
  );
}

function summary(outcome: ReturnType<typeof compareVerifiers>['fast']): string {
  return outcome.accepted ? `accepted ${outcome.signature.subject}` : `${outcome.code} (${outcome.message})`;
}

/** The capture with its attached content taken out: an Apple-made detached signature over that content. */
function detachedCapture(): { der: Buffer; content: Buffer } {
  const root = readElement(capture, 0, capture.length, 0, { indefinite: true });
  const [, explicit] = children(capture, root, { indefinite: true });
  const [signedData] = children(capture, explicit!, { indefinite: true });
  const encapsulated = children(capture, signedData!, { indefinite: true })[2]!;
  const [type, eContent] = children(capture, encapsulated, { indefinite: true });
  const segments = children(capture, children(capture, eContent!, { indefinite: true })[0]!, {
    indefinite: true,
  });
  const content = Buffer.concat(segments.map((s) => capture.subarray(s.contentStart, s.contentEnd)));
  // Drop eContent: the encapsulated SEQUENCE (indefinite) closes right after its type.
  const der = Buffer.concat([capture.subarray(0, type!.end), capture.subarray(encapsulated.contentEnd)]);
  return { der, content };
}

describe('the fast verifier agrees with the pkijs reference', () => {
  it('on Apple’s capture: attached (the plist as the body), detached, and with another body', () => {
    const { der, content } = detachedCapture();
    const attached = verifyMdmSignature(capture.toString('base64'), content);
    expect(attached).toEqual(verifyMdmSignatureReference(capture.toString('base64'), content));
    expect(attached.subject).toMatch(/^CN=[0-9A-F-]{36}/);
    const detached = verifyMdmSignature(der.toString('base64'), content);
    expect(detached.fingerprintSha256).toBe(attached.fingerprintSha256);
    expect(agreement(der.toString('base64'), content)).toBe('agree');
    for (const header of [capture, der].map((d) => d.toString('base64'))) {
      expect(errorCode(() => verifyMdmSignature(header, body))).toBe('SIGNATURE_INVALID');
      expect(agreement(header, body)).toBe('agree');
    }
  });

  const shapes: [string, string, string[]][] = [
    ['RSA, SHA-256', 'rsa', ['-md', 'sha256']],
    ['RSA, SHA-1', 'rsa', ['-md', 'sha1']],
    ['RSA, SHA-384', 'rsa', ['-md', 'sha384']],
    ['RSA, SHA-512', 'rsa', ['-md', 'sha512']],
    ['RSA, no signed attributes', 'rsa', ['-noattr']],
    ['RSA, SHA-1, no signed attributes', 'rsa', ['-md', 'sha1', '-noattr']],
    ['RSA, subject key identifier', 'rsa', ['-keyid']],
    ['RSA, subject key identifier, no signed attributes', 'rsa', ['-keyid', '-noattr']],
    ['RSA, chain included', 'rsa', ['-certfile', 'ca.pem']],
    ['RSA, attached', 'rsa', ['-nodetach']],
    ['RSA, no key identifiers in the certificate', 'nokid', []],
    ['EC, SHA-256', 'ec', ['-md', 'sha256']],
    ['EC, SHA-1', 'ec', ['-md', 'sha1']],
    ['EC, no signed attributes', 'ec', ['-noattr']],
    ['EC, subject key identifier', 'ec', ['-keyid']],
  ];
  it.each(shapes)(
    'openssl cms -sign, %s: both accept the same signer; both refuse another body',
    (_, signer, extra) => {
      const header = opensslSign(signer, extra).toString('base64');
      expect(verifyMdmSignature(header, body)).toEqual(verifyMdmSignatureReference(header, body));
      const other = Buffer.concat([body, Buffer.from(' ')]);
      expect(errorCode(() => verifyMdmSignature(header, other))).toBe('SIGNATURE_INVALID');
      expect(agreement(header, other)).toBe('agree');
    },
  );

  it('openssl smime -sign (PKCS #7 as older tools write it) is accepted by both', () => {
    const der = w.openssl([
      'smime',
      '-sign',
      '-binary',
      '-in',
      'body.plist',
      '-signer',
      'rsa.pem',
      '-inkey',
      'rsa.key',
      '-outform',
      'DER',
    ]);
    const header = der.toString('base64');
    expect(verifyMdmSignature(header, body)).toEqual(verifyMdmSignatureReference(header, body));
  });
});

// ------------------------------------------------------------------------------------------ fuzzing

/** An element tree that mutations can edit and re-encode with correct lengths. */
interface TreeNode {
  tag: number;
  indefinite: boolean;
  /** Encode the length in a padded long form (0x82 0x00 n …), which BER allows and DER does not. */
  padLength?: boolean;
  content?: Buffer;
  children?: TreeNode[];
}

function toTree(
  bytes: Buffer,
  element: Element = readElement(bytes, 0, bytes.length, 0, { indefinite: true }),
): TreeNode {
  if ((element.tag & 0x20) === 0)
    return {
      tag: element.tag,
      indefinite: false,
      content: bytes.subarray(element.contentStart, element.contentEnd),
    };
  return {
    tag: element.tag,
    indefinite: element.indefinite,
    children: children(bytes, element, { indefinite: true }).map((child) => toTree(bytes, child)),
  };
}

function encode(node: TreeNode): Buffer {
  const inner = node.children ? Buffer.concat(node.children.map(encode)) : (node.content ?? Buffer.alloc(0));
  if (node.indefinite) return Buffer.concat([Buffer.from([node.tag, 0x80]), inner, Buffer.from([0, 0])]);
  const n = inner.length;
  const length = node.padLength
    ? Buffer.from([0x83, 0, n >> 8, n & 0xff])
    : n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([node.tag]), length, inner]);
}

function nodesOf(node: TreeNode, out: TreeNode[] = []): TreeNode[] {
  out.push(node);
  for (const child of node.children ?? []) nodesOf(child, out);
  return out;
}

const MUTATIONS = [
  'flip a content bit',
  'replace content',
  'change tag',
  'drop a child',
  'duplicate a child',
  'swap children',
  'insert an element',
  'toggle indefinite',
  'pad the length',
  'graft from another seed',
] as const;

function mutate(
  seed: Buffer,
  donor: Buffer,
  kind: (typeof MUTATIONS)[number],
  pick: number,
  noise: Uint8Array,
): Buffer {
  const tree = toTree(seed);
  const nodes = nodesOf(tree);
  const node = nodes[pick % nodes.length]!;
  const at = noise[0] ?? 0;
  switch (kind) {
    case 'flip a content bit':
      if (node.content?.length) {
        node.content = Buffer.from(node.content);
        node.content[at % node.content.length]! ^= 1 << ((noise[1] ?? 0) % 8);
      }
      break;
    case 'replace content':
      if (node.content) node.content = Buffer.from(noise);
      else node.children = [];
      break;
    case 'change tag':
      node.tag = (node.tag & 0x20) | ((noise[0] ?? 0) & 0xdf);
      break;
    case 'drop a child':
      node.children?.splice(at % Math.max(1, node.children.length), 1);
      break;
    case 'duplicate a child':
      if (node.children?.length)
        node.children.splice(at % node.children.length, 0, node.children[at % node.children.length]!);
      break;
    case 'swap children':
      if (node.children && node.children.length > 1) {
        const i = at % node.children.length;
        const j = (i + 1) % node.children.length;
        [node.children[i], node.children[j]] = [node.children[j]!, node.children[i]!];
      }
      break;
    case 'insert an element':
      node.children?.splice(at % (node.children.length + 1), 0, {
        tag: (noise[1] ?? 0x04) & 0xdf || 0x04,
        indefinite: false,
        content: Buffer.from(noise.subarray(2)),
      });
      break;
    case 'toggle indefinite':
      if (node.children) node.indefinite = !node.indefinite;
      break;
    case 'pad the length':
      node.padLength = true;
      break;
    case 'graft from another seed': {
      const others = nodesOf(toTree(donor));
      Object.assign(node, structuredClone(others[at % others.length]!), { padLength: false });
      break;
    }
  }
  return encode(tree);
}

/** Seeds: every signature shape from above, each with the body it signs. */
let seeds: { der: Buffer; content: Buffer }[] = [];
beforeAll(() => {
  const made = [
    opensslSign('rsa', ['-md', 'sha256']),
    opensslSign('rsa', ['-md', 'sha1', '-noattr']),
    opensslSign('rsa', ['-keyid', '-certfile', 'ca.pem']),
    opensslSign('ec', ['-md', 'sha256']),
    opensslSign('ec', ['-keyid', '-noattr']),
    opensslSign('rsa', ['-nodetach']),
  ];
  seeds = [
    ...made.map((der) => ({ der, content: body })),
    detachedCapture(),
    { der: capture, content: detachedCapture().content },
  ];
});

const FUZZ_SEED = Number(process.env.MDM_SIGNATURE_FUZZ_SEED ?? 20261204);
/** Scales every run count (1 = the few seconds a test run allows; raise it to explore). */
const FUZZ_SCALE = Number(process.env.MDM_SIGNATURE_FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ seed: FUZZ_SEED, numRuns: Math.round(n * FUZZ_SCALE) });

describe('fuzzed inputs: the verifiers agree (or the fast one is stricter for a listed reason)', () => {
  const seen = new Map<string, number>();
  const check = (header: string | string[] | undefined, content: Uint8Array) => {
    const outcome = agreement(header, content);
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  };
  afterAll(() => console.log('fuzz outcomes:', Object.fromEntries(seen)));

  it('random bytes, and random bytes behind a SignedData header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, prefixed) => {
        const der = prefixed ? Buffer.concat([seeds[0]!.der.subarray(0, 19), bytes]) : Buffer.from(bytes);
        check(der.toString('base64'), body);
      }),
      runs(150),
    );
  });

  it('truncations of valid signatures', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (which, cut) => {
        const seed = seeds[which % seeds.length]!;
        check(seed.der.subarray(0, cut % seed.der.length).toString('base64'), seed.content);
      }),
      runs(150),
    );
  });

  it('bit flips and byte changes anywhere in valid signatures', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat({ max: 255 })),
        (which, flips, byte) => {
          const seed = seeds[which % seeds.length]!;
          const der = Buffer.from(seed.der);
          for (const [at, bit] of flips) der[at % der.length]! ^= 1 << bit;
          if (byte !== null) der[flips[0]![0] % der.length] = byte;
          check(der.toString('base64'), seed.content);
        },
      ),
      runs(150),
    );
  });

  it('field mutations of valid signatures, re-encoded with consistent lengths', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...MUTATIONS),
        fc.nat(),
        fc.uint8Array({ maxLength: 24 }),
        (which, donor, kind, pick, noise) => {
          const seed = seeds[which % seeds.length]!;
          const der = mutate(seed.der, seeds[donor % seeds.length]!.der, kind, pick, noise);
          check(der.toString('base64'), seed.content);
        },
      ),
      runs(250),
    );
  });
});
