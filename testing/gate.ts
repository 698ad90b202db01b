// Suites that need something this machine may lack (root, network namespaces,
// chromium, sanitizers, mount namespaces) skip with the reason printed. Under
// CI=true a skip would let CI pass without the tests that guard the shim and
// the statistics, so there the suite fails instead, naming what is missing.

/** Returns true when the suite's tests must be ignored (`ignore:`); `reason` null means it can run. */
export function gate(suite: string, reason: string | null): boolean {
  if (reason === null) return false;
  if (Deno.env.get("CI") === "true") {
    Deno.test(`${suite}: required under CI=true, but cannot run`, () => {
      throw new Error(
        `${suite} would be skipped: ${reason} (.ci/run must install and grant what it needs)`,
      );
    });
  } else {
    console.log(`${suite} skipped: ${reason}`);
  }
  return true;
}
