// The floor for benchmark 4: a bare Deno.serve answering every request with
// an endless text/event-stream (one event, then nothing), no framework and no
// hub. Prints its port; the fan-out benchmark reads its RSS per client.
const frame = new TextEncoder().encode("id: 1\nevent: status\ndata: {}\n\n");
Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen: ({ port }) => console.log(JSON.stringify({ port })),
}, () =>
  new Response(
    new ReadableStream({
      start(c) {
        c.enqueue(frame);
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  ));
