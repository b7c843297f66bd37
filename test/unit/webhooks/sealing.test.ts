// The sealing of endpoint secrets (AES-256-GCM, bound to the endpoint id and the column) and the settings it reads.
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import {
  createKeyring,
  isSealedWith,
  keyId,
  keyringOf,
  SealingError,
  sealedKeyId,
} from "../../../src/crypto/keyring.js";

const K1 = randomBytes(32);
const K2 = randomBytes(32);

describe("sealing", () => {
  it("seals with the first key, opens with any key of the list, and names the key it used", () => {
    const sealed = createKeyring([K1]).seal("ep_1", "secret", "whsec_abc");
    expect(sealed).toMatch(new RegExp(`^enc:v2:${keyId(K1)}:`));
    expect(sealed).not.toContain("whsec_abc");
    expect(sealedKeyId(sealed)).toBe(keyId(K1));
    // Random IV: the same secret twice is stored differently.
    expect(createKeyring([K1]).seal("ep_1", "secret", "whsec_abc")).not.toBe(sealed);
    expect(createKeyring([K2, K1]).open("ep_1", "secret", sealed)).toBe("whsec_abc");
    expect(() => createKeyring([K2]).open("ep_1", "secret", sealed)).toThrow(
      new SealingError(
        `sealed with key ${keyId(K1)}, which ENCRYPTION_KEYS does not hold (it holds ${keyId(K2)})`,
      ),
    );
  });

  it("refuses a value moved to another endpoint or changed", () => {
    const keyring = createKeyring([K1]);
    const sealed = keyring.seal("ep_1", "secret", "whsec_abc");
    expect(() => keyring.open("ep_2", "secret", sealed)).toThrow(/does not open with key/);
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === "A" ? "B" : "A"}${sealed.at(-1)}`;
    expect(() => keyring.open("ep_1", "secret", flipped)).toThrow(SealingError);
  });

  it("refuses a value moved to another column of the same endpoint (a secret read as headers)", () => {
    const keyring = createKeyring([K1]);
    const sealed = keyring.seal("ep_1", "previous_secret", "whsec_abc");
    expect(keyring.open("ep_1", "previous_secret", sealed)).toBe("whsec_abc");
    expect(() => keyring.open("ep_1", "headers", sealed)).toThrow(/does not open with key/);
    expect(() => keyring.open("ep_1", "secret", sealed)).toThrow(/does not open with key/);
  });

  it("requires the whole 16-byte tag: a value cut to a 4-byte tag does not open", () => {
    const keyring = createKeyring([K1]);
    const sealed = keyring.seal("ep_1", "secret", "");
    // IV (12) + tag (16) + no ciphertext: keep the IV and the tag's first 4 bytes.
    const prefix = `enc:v2:${keyId(K1)}:`;
    const packed = Buffer.from(sealed.slice(prefix.length), "base64url");
    const short = `${prefix}${packed.subarray(0, 16).toString("base64url")}`;
    expect(() => keyring.open("ep_1", "secret", short)).toThrow(SealingError);
  });

  it("opens a v1 value (bound to the endpoint only) until start-up or migrate seals it again", () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", K1, iv).setAAD(Buffer.from("ep_1"));
    const body = Buffer.concat([cipher.update("whsec_old", "utf8"), cipher.final()]);
    const v1 = `enc:v1:${keyId(K1)}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
    const keyring = createKeyring([K1]);
    expect(sealedKeyId(v1)).toBe(keyId(K1));
    expect(isSealedWith(v1, keyId(K1))).toBe(false);
    expect(keyring.open("ep_1", "secret", v1)).toBe("whsec_old");
  });

  it("reads a value stored before sealing as it is (the upgrade path; start-up seals it)", () => {
    expect(sealedKeyId("whsec_plain")).toBeNull();
    expect(createKeyring([K1]).open("ep_1", "secret", "whsec_plain")).toBe("whsec_plain");
  });
});

describe("ENCRYPTION_KEYS and WEBHOOK_ALLOW_ADDRESSES", () => {
  const base = { PAYZERO_SIGN_TOKEN: "t" };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return "";
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
  };

  it("reads base64 keys of 32 bytes, the first first; without one the roles that open secrets refuse", () => {
    const c = loadConfig({
      ...base,
      ENCRYPTION_KEYS: ` ${K2.toString("base64")} , ${K1.toString("base64")} `,
    });
    expect(c.encryptionKeys).toEqual([K2, K1]);
    const none = loadConfig(base);
    expect(none.encryptionKeys).toEqual([]);
    expect(() => keyringOf(none)).toThrow(/ENCRYPTION_KEYS is required: .*openssl rand -base64 32/);
  });

  it("refuses malformed keys without echoing them", () => {
    const short = randomBytes(16).toString("base64");
    const message = problems({ ENCRYPTION_KEYS: `${K1.toString("base64")},${short},not base64!` });
    expect(message).toContain("key 2 is not base64 of 32 bytes");
    expect(message).toContain("key 3 is not base64 of 32 bytes");
    expect(message).not.toContain(short);
    expect(message).not.toContain(K1.toString("base64"));
  });

  it("reads addresses and CIDR subnets, and names one that is neither", () => {
    expect(
      loadConfig({ ...base, WEBHOOK_ALLOW_ADDRESSES: "169.254.10.0/24, fe80::1 ,10.0.0.1" })
        .webhookAllowAddresses,
    ).toEqual(["169.254.10.0/24", "fe80::1", "10.0.0.1"]);
    expect(loadConfig(base).webhookAllowAddresses).toEqual([]);
    for (const bad of ["169.254.0.0/33", "metadata.internal", "fe80::/129", "1.2.3.4/x"])
      expect(problems({ WEBHOOK_ALLOW_ADDRESSES: bad })).toContain(
        `WEBHOOK_ALLOW_ADDRESSES entry "${bad}" is not an IP address or CIDR subnet`,
      );
  });
});
