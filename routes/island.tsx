// Server side of an island: its markup rendered here, and its props in a JSON
// data block (not executable, so allowed by a strict CSP) that boot.tsx reads.
import type { FunctionComponent } from "preact";

let seq = 0;

/** JSON that cannot close its <script> element. */
const scriptSafe = (v: unknown) =>
  JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");

export function Island<P extends object>(
  { name, component: Component, props }: {
    name: string;
    component: FunctionComponent<P>;
    props: P;
  },
) {
  const id = `island-props-${++seq}`;
  return (
    <>
      <div data-island={name} data-props={id}>
        <Component {...props} />
      </div>
      <script
        type="application/json"
        id={id}
        dangerouslySetInnerHTML={{ __html: scriptSafe(props) }}
      />
    </>
  );
}
