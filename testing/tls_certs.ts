// Certificates for TLS probe tests, made with the openssl CLI in a temporary
// directory: a test CA, a valid server certificate it issued, an expired one,
// one for another name, and a self-signed one; plus a TLS server on loopback.
import { runCommand } from "./run_command.ts";

export interface TestCerts {
  dir: string;
  /** The test CA's certificate (PEM), to be trusted by the client. */
  caPem: string;
  caFile: string;
  /** Issued by the CA for the name localhost only (no IP address), valid 30 days. */
  valid: { cert: string; key: string };
  /** Issued by the CA for localhost, expired yesterday. */
  expired: { cert: string; key: string };
  /** Issued by the CA for other.example only. */
  otherName: { cert: string; key: string };
  /** Self-signed for localhost. */
  selfSigned: { cert: string; key: string };
}

/** Whether the openssl CLI can be run (null) or why not. */
export async function opensslMissing(): Promise<string | null> {
  try {
    const r = await runCommand("openssl", ["version"]);
    return r.code === 0 ? null : "openssl version failed";
  } catch {
    return "the openssl command is not installed";
  }
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await runCommand("openssl", args, { cwd: dir });
  if (r.code !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function issue(
  dir: string,
  name: string,
  cn: string,
  san: string,
  days: number,
): Promise<{ cert: string; key: string }> {
  await openssl(dir, [
    "req",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await Deno.writeTextFile(`${dir}/${name}.ext`, `subjectAltName=${san}\n`);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    String(days),
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ]);
  return {
    cert: await Deno.readTextFile(`${dir}/${name}.pem`),
    key: await Deno.readTextFile(`${dir}/${name}.key`),
  };
}

/** Makes every certificate in a new temporary directory (remove `dir` after). */
export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "pla-tls-" });
  await openssl(dir, [
    "req",
    "-x509",
    ...EC,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=PLA Test CA",
  ]);
  await openssl(dir, [
    "req",
    "-x509",
    ...EC,
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "30",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  const san = "DNS:localhost,IP:127.0.0.1";
  return {
    dir,
    caPem: await Deno.readTextFile(`${dir}/ca.pem`),
    caFile: `${dir}/ca.pem`,
    // By name only: probing 127.0.0.1 for "localhost" passes only if the
    // name reaches the TLS client (SNI and the name check).
    valid: await issue(dir, "valid", "localhost", "DNS:localhost", 30),
    // -days -1: notAfter one day before notBefore (now): expired.
    expired: await issue(dir, "expired", "localhost", san, -1),
    otherName: await issue(
      dir,
      "other",
      "other.example",
      "DNS:other.example",
      30,
    ),
    selfSigned: {
      cert: await Deno.readTextFile(`${dir}/self.pem`),
      key: await Deno.readTextFile(`${dir}/self.key`),
    },
  };
}

/**
 * A certificate for an IP address (a test bed host), issued by the CA of
 * `certs`, as PEM files in its directory.
 */
export async function issueForAddress(
  certs: TestCerts,
  address: string,
): Promise<{ dir: string; cert: string; key: string }> {
  await issue(certs.dir, "bedhost", address, `IP:${address}`, 30);
  return {
    dir: certs.dir,
    cert: `${certs.dir}/bedhost.pem`,
    key: `${certs.dir}/bedhost.key`,
  };
}

/** A TLS server on 127.0.0.1 (or `hostname`) that completes handshakes and closes. */
export function serveTls(
  pair: { cert: string; key: string },
  hostname = "127.0.0.1",
): { port: number; close(): void } {
  const listener = Deno.listenTls({
    hostname,
    port: 0,
    cert: pair.cert,
    key: pair.key,
  });
  (async () => {
    try {
      for await (const conn of listener) {
        conn.handshake().catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch { /* closed by the peer */ }
        });
      }
    } catch { /* listener closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
  };
}
