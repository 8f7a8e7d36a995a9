/**
 * SHA-256 (FIPS 180-4) of a short byte string, synchronously, in plain JavaScript.
 *
 * Used only where a digest is needed on every request and WebCrypto's asynchronous `crypto.subtle.digest` costs
 * more than the hashing itself (a promise, a copy into the runtime and back, an await): the key cache's
 * "this exact key was verified here" check (verify-api-key.ts) digests a 64-byte key on every authenticated
 * request. The result is the standard SHA-256, checked against WebCrypto in test/auth/sha256.test.ts. Not
 * constant-time with respect to the input's length (the key's length is public).
 */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Uint32Array(64);
/** Padding scratch for inputs up to 119 bytes (two blocks): a key's digest allocates nothing but its result. */
const SCRATCH = new Uint8Array(128);

/** The SHA-256 digest of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  const p = padded(data.length);
  p.set(data);
  return digestPadded(p, data.length);
}

/**
 * The SHA-256 digest of an ASCII string's bytes, without encoding it first (the key cache digests the presented
 * key on every request; a TextEncoder call into the runtime cost more than this copy). A string with a character
 * outside ASCII is encoded as UTF-8, as TextEncoder would.
 */
export function sha256Ascii(text: string): Uint8Array {
  const length = text.length;
  const p = padded(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return sha256(new TextEncoder().encode(text));
    p[i] = code;
  }
  return digestPadded(p, length);
}

/** Constant-time equality of two byte strings of the same length (false when the lengths differ). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** A buffer for a message of `length` bytes with its padding: the message, a 1 bit, zeros, the length in bits. */
function padded(length: number): Uint8Array {
  const total = (((length + 8) >>> 6) + 1) * 64;
  return total <= SCRATCH.length ? SCRATCH : new Uint8Array(total);
}

function digestPadded(p: Uint8Array, length: number): Uint8Array {
  // The message, a 1 bit, zeros, and the length in bits as 64 bits big-endian, in whole 64-byte blocks.
  const total = (((length + 8) >>> 6) + 1) * 64;
  p.fill(0, length, total);
  p[length] = 0x80;
  const hi = Math.floor(length / 0x2000_0000);
  const lo = (length * 8) >>> 0;
  p[total - 8] = hi >>> 24;
  p[total - 7] = hi >>> 16;
  p[total - 6] = hi >>> 8;
  p[total - 5] = hi;
  p[total - 4] = lo >>> 24;
  p[total - 3] = lo >>> 16;
  p[total - 2] = lo >>> 8;
  p[total - 1] = lo;

  let h0 = 0x6a09e667, h1 = 0xbb67ae85 | 0, h2 = 0x3c6ef372, h3 = 0xa54ff53a | 0;
  let h4 = 0x510e527f, h5 = 0x9b05688c | 0, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  for (let offset = 0; offset < total; offset += 64) {
    for (let t = 0, i = offset; t < 16; t++, i += 4) W[t] = (p[i]! << 24) | (p[i + 1]! << 16) | (p[i + 2]! << 8) | p[i + 3]!;
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15]!;
      const w2 = W[t - 2]!;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  const out = new Uint8Array(32);
  put(out, 0, h0);
  put(out, 4, h1);
  put(out, 8, h2);
  put(out, 12, h3);
  put(out, 16, h4);
  put(out, 20, h5);
  put(out, 24, h6);
  put(out, 28, h7);
  return out;
}

function put(out: Uint8Array, at: number, v: number) {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}
