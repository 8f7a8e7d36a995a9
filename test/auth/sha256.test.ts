import { describe, expect, it } from "vitest";
import { bytesEqual, sha256, sha256Ascii } from "../../src/auth/sha256";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const webcrypto = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

describe("sha256 (the key cache's synchronous digest)", () => {
  it("gives the FIPS 180-4 test vectors", () => {
    const enc = new TextEncoder();
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(enc.encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(hex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("equals WebCrypto's SHA-256 for every length around the block boundaries and for API-key-shaped input", async () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(hex(sha256(bytes)), `length ${length}`).toBe(hex(await webcrypto(bytes)));
    }
    const key = new TextEncoder().encode(`amt_${"0123456789abcdef"}_${"A1b2C3d4E5".repeat(4)}xyz`);
    expect(key.length).toBe(64);
    expect(sha256(key)).toEqual(await webcrypto(key));
  });

  it("digests a string as its UTF-8 bytes: ASCII copied directly, anything else encoded", () => {
    const enc = new TextEncoder();
    for (let length = 0; length <= 130; length++) {
      const text = Array.from({ length }, (_, i) => String.fromCharCode(32 + ((i * 7 + length) % 95))).join("");
      expect(hex(sha256Ascii(text)), `length ${length}`).toBe(hex(sha256(enc.encode(text))));
    }
    for (const text of ["amt_é", "日本語のキー", "\u007f\u0080", "emoji 🔑"]) expect(hex(sha256Ascii(text)), text).toBe(hex(sha256(enc.encode(text))));
  });

  it("compares digests by every byte: equal, one bit apart at any position, other lengths", () => {
    const a = sha256Ascii("amt_0123456789abcdef_secret");
    expect(bytesEqual(a, a.slice())).toBe(true);
    for (let i = 0; i < a.length; i++) {
      const b = a.slice();
      b[i] = b[i]! ^ 1;
      expect(bytesEqual(a, b), `byte ${i}`).toBe(false);
    }
    expect(bytesEqual(a, a.slice(0, 31))).toBe(false);
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
