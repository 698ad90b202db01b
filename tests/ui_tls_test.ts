// Browser: a TLS test against a loopback TLS server with a self-signed
// certificate (made by openssl): the page names the probe kind and port, and
// the TLS panel shows the handshake phases, the protocol, the certificate and
// why it failed; the summary's Probe column says tls:PORT.
import assert from "node:assert/strict";
import {
  noBrowser,
  summaryCell,
  waitForEnd,
  withBrowser,
} from "../testing/browser_kit.ts";
import { postTest } from "../testing/server_process.ts";
import { gate } from "../testing/gate.ts";
import {
  makeTestCerts,
  opensslMissing,
  serveTls,
} from "../testing/tls_certs.ts";

const noOpenssl = gate("TLS page test", await opensslMissing());

Deno.test({
  name:
    "test page of a tls test: kind:port, handshake phases, certificate and its error",
  ignore: noBrowser || noOpenssl,
  async fn() {
    const certs = await makeTestCerts();
    const tls = serveTls(certs.selfSigned);
    try {
      await withBrowser("tls_test_page", async ({ server, page }) => {
        const id = await postTest(server.base, {
          targets: ["tls-lo"],
          count: 5,
          interval_ms: 100,
          timeout_ms: 1000,
        });
        await page.goto(`/tests/${id}`);
        assert.equal(await waitForEnd(page), "completed");
        assert.equal(
          (await page.textContent("[data-testid=probe-kind]"))!.trim(),
          `tls:${tls.port},`,
        );
        assert.equal(
          await summaryCell(page, "tls-lo", "probe"),
          `tls:${tls.port}`,
        );
        // Every probe failed verification: all errors, none received.
        assert.equal(await summaryCell(page, "tls-lo", "received"), "0");
        // Live, then opened again once finished (drawn from its series, not
        // replayed: the last handshakes come with the page).
        for (const opened of ["live", "finished"]) {
          if (opened === "finished") await page.goto(`/tests/${id}`);
          await page.waitForSelector("[data-testid=tls-error]");
          assert.match(
            (await page.textContent("[data-testid=tls-error]"))!,
            /DEPTH_ZERO_SELF_SIGNED_CERT/,
          );
          assert.match(
            (await page.textContent("[data-testid=tls-connect]"))!,
            /^\d+(\.\d+)? ms$/,
          );
          assert.match(
            (await page.textContent("[data-testid=tls-handshake]"))!,
            /^\d+(\.\d+)? ms$/,
          );
          assert.match(
            (await page.textContent("[data-testid=tls-protocol]"))!,
            /TLSv1\.3/,
          );
          assert.match(
            (await page.textContent("[data-testid=tls-subject]"))!,
            /CN=localhost/,
          );
          assert.match(
            (await page.textContent("[data-testid=tls-days]"))!,
            /in (29|30) days/,
          );
        }
      }, {
        config: `servers:
  - { id: tls-lo, name: TLS loopback, host: localhost, probe: { kind: tls, port: ${tls.port} } }
`,
      });
    } finally {
      tls.close();
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});
