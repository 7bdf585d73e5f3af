/**
 * X.509 certificates and RSA keys for CPIX: loading (PEM or DER) and the
 * strength checks that refuse weak certificates (SHA-1/MD5 signatures,
 * RSA keys under 3072 bits, NIST SP 800-57 Part 1 Rev. 5 Table 2/4).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { KeysmithError } from '../errors.js';

export const MIN_RSA_BITS = 3072;

/** Signature algorithm OIDs (DER content bytes, hex) we refuse. */
const WEAK_SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  '2b0e03021d': 'sha1WithRSASignature (1.3.14.3.2.29)',
  '2a864886f70d010105': 'sha1WithRSAEncryption (1.2.840.113549.1.1.5)',
  '2a864886f70d010104': 'md5WithRSAEncryption (1.2.840.113549.1.1.4)',
  '2a864886f70d010102': 'md2WithRSAEncryption (1.2.840.113549.1.1.2)',
  '2a8648ce3d0401': 'ecdsa-with-SHA1 (1.2.840.10045.4.1)',
  '2a8648ce380403': 'dsa-with-sha1 (1.2.840.10040.4.3)',
};

function certError(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_CPIX_CERTIFICATE', message, hint === undefined ? {} : { hint });
}

/** Read one DER TLV at `o`: returns content start and end. Bounded by `end`. */
function tlv(der: Buffer, o: number, end: number): { tag: number; start: number; next: number } {
  if (o + 2 > end) throw certError('certificate: DER is cut off');
  const tag = der[o]!;
  let len = der[o + 1]!;
  let start = o + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > end) throw certError('certificate: bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  if (start + len > end) throw certError('certificate: DER length runs past the end');
  return { tag, start, next: start + len };
}

/** The OID of Certificate.signatureAlgorithm (RFC 5280 §4.1.1.2), as DER content hex. */
export function signatureAlgorithmOid(der: Buffer): string {
  const cert = tlv(der, 0, der.length); // Certificate SEQUENCE
  const tbs = tlv(der, cert.start, cert.next); // tbsCertificate
  const alg = tlv(der, tbs.next, cert.next); // AlgorithmIdentifier SEQUENCE
  const oid = tlv(der, alg.start, alg.next);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30 || alg.tag !== 0x30 || oid.tag !== 0x06) throw certError('certificate: not an X.509 structure');
  return der.subarray(oid.start, oid.next).toString('hex');
}

/** Parse a certificate from PEM text, DER bytes or bare base64 (as in ds:X509Certificate). */
export function loadCertificate(input: Buffer | string, source = 'certificate'): X509Certificate {
  let data: Buffer | string = input;
  if (typeof input === 'string') {
    const t = input.trim();
    data = t.startsWith('-----BEGIN') ? t : Buffer.from(t.replace(/\s+/g, ''), 'base64');
  } else if (input.subarray(0, 64).toString('latin1').includes('-----BEGIN')) {
    data = input.toString('latin1');
  }
  try {
    return new X509Certificate(data);
  } catch {
    throw certError(`${source}: not an X.509 certificate`, 'give a PEM or DER certificate (.pem, .cer, .crt)');
  }
}

/** Refuse weak certificates: SHA-1/MD5 signatures, non-RSA or short RSA keys. */
export function assertStrongCertificate(cert: X509Certificate, source = 'certificate'): void {
  const weak = WEAK_SIGNATURE_OIDS[signatureAlgorithmOid(cert.raw)];
  if (weak) {
    throw certError(`${source}: weak certificate signature algorithm ${weak}`, 'issue the recipient a certificate signed with SHA-256 or stronger');
  }
  assertStrongRsaKey(cert.publicKey, source);
}

export function assertStrongRsaKey(key: KeyObject, source = 'key'): void {
  if (key.asymmetricKeyType !== 'rsa') {
    throw certError(`${source}: ${key.asymmetricKeyType ?? 'unknown'} key; CPIX key delivery uses RSA-OAEP`, 'use an RSA certificate of 3072 bits or more');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw certError(`${source}: RSA key of ${bits} bits is too small (minimum ${MIN_RSA_BITS})`, `use an RSA key of ${MIN_RSA_BITS} bits or more (e.g. openssl req -x509 -newkey rsa:4096 …)`);
  }
}

/** Load a PEM (PKCS#8 or PKCS#1) private key. Never echoes the key. */
export function loadPrivateKey(pem: Buffer | string, source = 'private key'): KeyObject {
  try {
    const key = createPrivateKey(pem);
    return key;
  } catch {
    throw new KeysmithError('ERR_CPIX_PRIVATE_KEY', `${source}: not a readable private key`, {
      hint: 'give an unencrypted PEM key; from a .pfx: openssl pkcs12 -in cert.pfx -nodes -nocerts',
    });
  }
}

export function subjectOf(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ');
}
