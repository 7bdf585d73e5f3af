/**
 * Verification of the XML signatures CPIX documents carry (W3C XML Signature
 * 1.1, as profiled by DASH-IF CPIX §6.4): enveloped signatures on the whole
 * document (URI="", enveloped-signature transform) and on the lists by ID
 * (URI="#id"). Explicit allowlists: Canonical XML 1.0 (no comments),
 * RSA PKCS#1 v1.5 with SHA-256/384/512, digests SHA-256/384/512.
 *
 * A valid signature proves the signed parts are unchanged since the holder
 * of the embedded certificate signed them; whether to trust that signer is
 * the caller's decision (we report its subject and fingerprint).
 */
import { createHash, verify as verifySignature } from 'node:crypto';
import { constantTimeEqual } from '../crypto/ct.js';
import { KeysmithError } from '../errors.js';
import { allElements, attr, canonicalize, childElements, textContent, type XElement } from './xml-c14n.js';
import { assertStrongCertificate, loadCertificate, subjectOf } from './x509.js';

export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SIGNATURE_ALGS: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const DIGEST_ALGS: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

export interface SignatureReport {
  /** What the signature covers: 'document' or the referenced element names. */
  covers: string[];
  /** Reference URIs as written. */
  references: string[];
  signer: string;
  signerSha256: string;
  valid: boolean;
}

function sigError(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_CPIX_SIGNATURE', message, hint === undefined ? {} : { hint });
}

function one(el: XElement, local: string): XElement {
  const list = childElements(el, local, XMLDSIG_NS);
  if (list.length !== 1) throw sigError(`signature: expected one ds:${local}, found ${list.length}`);
  return list[0]!;
}

function idIndex(root: XElement): Map<string, XElement> {
  const index = new Map<string, XElement>();
  const dup = new Set<string>();
  for (const el of allElements(root)) {
    for (const a of el.attrs) {
      if (a.name === 'id' || a.name === 'Id' || a.name === 'ID') {
        if (index.has(a.value)) dup.add(a.value);
        index.set(a.value, el);
      }
    }
  }
  for (const d of dup) index.delete(d); // ambiguous IDs never resolve (signature wrapping)
  return index;
}

/** Every ds:Signature child of the root, verified. Throws ERR_CPIX_SIGNATURE on the first invalid one. */
export function verifyCpixSignatures(root: XElement): SignatureReport[] {
  const signatures = childElements(root, 'Signature', XMLDSIG_NS);
  if (signatures.length === 0) return [];
  const ids = idIndex(root);
  return signatures.map((sig) => verifyOne(root, sig, ids));
}

function verifyOne(root: XElement, sig: XElement, ids: Map<string, XElement>): SignatureReport {
  const signedInfo = one(sig, 'SignedInfo');
  const c14nAlg = attr(one(signedInfo, 'CanonicalizationMethod'), 'Algorithm');
  if (c14nAlg !== C14N) throw sigError(`signature: canonicalization ${c14nAlg ?? '(none)'} is not supported`, 'keysmith verifies Canonical XML 1.0 signatures');
  const sigAlgUri = attr(one(signedInfo, 'SignatureMethod'), 'Algorithm') ?? '';
  const hash = SIGNATURE_ALGS[sigAlgUri];
  if (!hash) throw sigError(`signature: algorithm ${sigAlgUri || '(none)'} is not allowed`, 'allowed: rsa-sha256, rsa-sha384, rsa-sha512');
  const refs = childElements(signedInfo, 'Reference', XMLDSIG_NS);
  if (refs.length === 0) throw sigError('signature: no ds:Reference');
  const covers: string[] = [];
  const uris: string[] = [];
  let valid = true;
  for (const ref of refs) {
    const uri = attr(ref, 'URI') ?? '';
    uris.push(uri);
    let target: XElement;
    let exclude: XElement | undefined;
    const transforms = childElements(ref, 'Transforms', XMLDSIG_NS).flatMap((t) => childElements(t, 'Transform', XMLDSIG_NS));
    for (const t of transforms) {
      const alg = attr(t, 'Algorithm');
      if (alg === ENVELOPED) exclude = sig;
      else if (alg !== C14N) throw sigError(`signature: transform ${alg ?? '(none)'} is not allowed`);
    }
    if (uri === '') {
      target = root;
      covers.push('document');
    } else if (uri.startsWith('#')) {
      const el = ids.get(uri.slice(1));
      // Only the document's own lists may be signed by reference: what we verify is what we read.
      if (!el || el.parent !== root) throw sigError(`signature: reference ${uri.slice(0, 60)} does not resolve to exactly one list of the document`);
      target = el;
      covers.push(el.local);
    } else {
      throw sigError(`signature: external reference ${uri.slice(0, 60)} is not allowed`);
    }
    const digestAlgUri = attr(one(ref, 'DigestMethod'), 'Algorithm') ?? '';
    const digestAlg = DIGEST_ALGS[digestAlgUri];
    if (!digestAlg) throw sigError(`signature: digest ${digestAlgUri || '(none)'} is not allowed`, 'allowed: sha256, sha384, sha512');
    const expected = Buffer.from(textContent(one(ref, 'DigestValue')).replace(/\s+/g, ''), 'base64');
    const actual = createHash(digestAlg).update(canonicalize(target, exclude), 'utf8').digest();
    if (!constantTimeEqual(expected, actual)) valid = false;
  }
  const keyInfo = childElements(sig, 'KeyInfo', XMLDSIG_NS)[0];
  const certEl = keyInfo && childElements(keyInfo, 'X509Data', XMLDSIG_NS).flatMap((d) => childElements(d, 'X509Certificate', XMLDSIG_NS))[0];
  if (!certEl) throw sigError('signature: no ds:X509Certificate in ds:KeyInfo', 'keysmith verifies signatures against the embedded signer certificate');
  const cert = loadCertificate(textContent(certEl), 'signer certificate');
  assertStrongCertificate(cert, `signer ${subjectOf(cert)}`);
  const signatureValue = Buffer.from(textContent(one(sig, 'SignatureValue')).replace(/\s+/g, ''), 'base64');
  const signedBytes = Buffer.from(canonicalize(signedInfo), 'utf8');
  if (!verifySignature(hash, signedBytes, cert.publicKey, signatureValue)) valid = false;
  const report: SignatureReport = { covers, references: uris, signer: subjectOf(cert), signerSha256: cert.fingerprint256, valid };
  if (!valid) {
    throw new KeysmithError('ERR_CPIX_SIGNATURE', `signature by ${report.signer} over ${covers.join(', ')} does not verify: the signed content was changed`, {
      hint: 'do not use this document; ask the sender for a fresh copy',
      details: { covers, references: uris, signer: report.signer },
    });
  }
  return report;
}
